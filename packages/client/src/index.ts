// @superscalar/client: the client role (browser-safe). Re-exports only.

export { isNodeId, isWebSocketUrl, type LspAddress, parseLspAddress } from './address.js';
export {
  type AdvanceTowerEntries,
  type SupersededTowerEntry,
  towerEntriesOf,
} from './advance.js';
export {
  Client,
  type ClientFactoryInfo,
  type ClientOptions,
  type ClientRestoreOptions,
} from './client.js';
export {
  type ClientCloseOptions,
  type ClientClosePhase,
  type ClientCloseResult,
  ClientCloseSession,
} from './close.js';
export { closeRequest } from './closeRequest.js';
export type { ClientFactoryPhase, RegistrationStatus } from './codec.js';
export {
  addressesOf,
  type DiscoverOptions,
  discoverLsp,
  type FetchLike,
  type FetchResponseLike,
  parseWellKnown,
  WELL_KNOWN_PATH,
  type WellKnownDocument,
  wellKnownUrl,
} from './discovery.js';
export {
  AdvanceRefusedError,
  AdvanceSignatureError,
  ClientError,
  type ClientErrorCode,
  type CloseRefusal,
  CloseRefusedError,
  CloseSignatureError,
  type Consequence,
  DecodeError,
  DiscoveryError,
  FactoryStateError,
  InvalidArgumentError,
  InvalidProposalError,
  InvalidSignatureError,
  InvariantError,
  MachineFailedError,
  NotLspError,
  type PaymentRefusal,
  PaymentRefusedError,
  PeerFaultError,
  type StaleFault,
  StaleMessageError,
  StoppedError,
  type UnexpectedFault,
  UnexpectedMessageError,
  UnknownFactoryError,
} from './errors.js';
export { type ClientEvent, type ClientEventKind, decodeClientEvent } from './events.js';
export type { Action, ClientCommand, ClientInput, FeeRates, PeerId, RuntimeInput } from './io.js';
export { decodeFailure, encodeFailure, FailureCode } from './payments.js';
export { type ClientPolicy, type ResolvedClientPolicy, resolveClientPolicy } from './policy.js';
