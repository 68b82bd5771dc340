// @superscalar/wire: SuperScalar protocol messages as typed values with one strict, total codec. Re-exports only.

export { MAX_FUNDING_TX_SIZE } from './_tx.js';
export { type ClientAdvanceTerms, type ClientPlace, clientAdvanceTerms } from './advanceTerms.js';
export {
  bigSizeLength,
  type DecodedBigSize,
  decodeBigSize,
  encodeBigSize,
  MAX_BIGSIZE,
} from './bigsize.js';
export { type Extensible, MAX_MESSAGE_SIZE } from './codec.js';
export { EncodedMessage, type PreEncodeOptions, preEncodeMessage } from './encoded.js';
export {
  DecodeError,
  FragmentError,
  InitError,
  InvalidArgumentError,
  LinkError,
  MessageTooLargeError,
  PeerError,
  WireError,
  type WireErrorCode,
  type WireErrorContext,
  wireError,
} from './errors.js';
export {
  DEFAULT_MAX_PARTS,
  DEFAULT_MAX_TOTAL_SIZE,
  type EncodeFramesOptions,
  encodeFrames,
  Reassembler,
  type ReassemblerOptions,
} from './fragment.js';
export {
  identityMessage,
  signIdentity,
  verifyIdentity,
} from './identity.js';
export {
  clientLimits,
  type LspLimitsOptions,
  lspLimits,
  type ShapeLimitsOptions,
} from './limits.js';
export {
  DEFAULT_INIT_TIMEOUT_MS,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_SILENCE_TIMEOUT_MS,
  type LinkCloseReason,
  type LinkOptions,
  type LinkSession,
  MessageLink,
  unknownRequiredFeature,
} from './link.js';
export {
  type AdvanceMessage,
  type CloseMessage,
  decodeMessage,
  encodeMessage,
  type FactoryMessage,
  type InvoiceMessage,
  type JitMessage,
  limitFor,
  MESSAGE_NAMES,
  MESSAGE_TYPES,
  type Message,
  type MessageName,
  peekMessageType,
  type RotationMessage,
  type SetupMessage,
  type SizeLimits,
  type SizeOptions,
} from './message.js';
export type {
  AdvanceAggNonces,
  AdvanceDone,
  AdvanceKind,
  AdvanceNonces,
  AdvancePropose,
  AdvancePsigs,
  AdvanceRequestMessage,
  AdvanceTxAggNonce,
  AdvanceTxKind,
  AdvanceTxNonce,
  AdvanceTxPartialSig,
  AdvanceTxRef,
  AdvanceTxSignature,
  ChannelAllocation,
  CreatedLeafState,
  LeafAllocationEntry,
  LstockSecret,
  RebindingNonce,
  ReboundCommitmentSig,
} from './messages/advance.js';
export {
  type ChannelBasepoints,
  type ChannelMessage,
  type ChannelReady,
  type ChannelReestablish,
  type ChannelSetup,
  type CommitmentSigned,
  decodeHopPayload,
  encodeHopPayload,
  type HopPayload,
  NEXT_HOP_PAYLOAD_TYPE,
  ONION_PACKET_SIZE,
  type RevokeAndAck,
  type Stfu,
  scidAliasOf,
  type UpdateAddHtlc,
  type UpdateFailHtlc,
  type UpdateFee,
  type UpdateFulfillHtlc,
} from './messages/channel.js';
export type {
  CloseAggNonce,
  CloseDone,
  CloseNonce,
  ClosePropose,
  ClosePsig,
  CloseTxOutput,
} from './messages/close.js';
export {
  type AdvanceStep,
  type CeremonyStep,
  type CloseStep,
  channelIdOf,
  type DistributionAggNonce,
  type DistributionNonce,
  type DistributionPartialSig,
  type DistributionSignature,
  type FactoryAbort,
  FactoryAbortReason,
  type FactoryAggNonces,
  type FactoryFunded,
  type FactoryNonces,
  type FactoryPhase,
  type FactoryPropose,
  type FactoryPsigs,
  type FactoryReestablish,
  type FactoryRegister,
  type FactoryRegisterResponse,
  type FactorySigned,
  factoryIdOf,
  type PlacementProfile,
  type Proposal,
  type RegistrationGrant,
  RegistrationRefusal,
  type RegistrationRefusalInfo,
  type TreeTxKind,
  type TxAggNonce,
  type TxNonce,
  type TxPartialSig,
  type TxSignature,
} from './messages/factory.js';
export type {
  Invoice,
  InvoiceRequest,
} from './messages/invoice.js';
export type {
  JitAccept,
  JitMigrate,
  JitOffer,
  JitReady,
} from './messages/jit.js';
export type {
  RotationBegin,
  TurnoverComplete,
  TurnoverPresig,
} from './messages/rotation.js';
export {
  type ErrorMessage,
  type Fragment,
  type IdentityProof,
  type Init,
  MAX_PONG_BYTES,
  NETWORK_CODES,
  type Ping,
  type Pong,
  PROTOCOL_VERSION,
  pongFor,
  type Warning,
} from './messages/setup.js';
export {
  type DecodeTlvOptions,
  decodeTlvStream,
  encodeTlvStream,
  type TlvRecord,
} from './tlv.js';
