// @superscalar/client: the client role (browser-safe). Re-exports only.

export { isNodeId, isWebSocketUrl, type LspAddress, parseLspAddress } from './address.js';
export { type ChainSpend, HtlcWatch, type LearnedPreimage, spendsIn } from './chainSpends.js';
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
  FeeRateRefusedError,
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
export { buriedAt, ExitBook, type ExitBookOptions } from './exit/book.js';
export { type ClientExitInfo, exitKey } from './exit/clientExit.js';
export { decodeExitRecord, EXIT_RECORD_VERSION, encodeExitRecord } from './exit/codec.js';
export {
  type AwaitingClaim,
  type ExitBroadcast,
  type ExitChild,
  type ExitContext,
  ExitDriver,
  type ExitEvent,
  type ExitItem,
  type ExitItemKind,
  type ExitItemSpec,
  type ExitItemStatus,
  type ExitOutput,
  type ExitReason,
  type ExitRecord,
  feeOwner,
  newExitRecord,
} from './exit/driver.js';
export {
  type ClaimItemsOptions,
  type ClaimSecrets,
  claimItem,
  claimItems,
  commitmentItem,
  distributionItems,
  type LearnClaimsOptions,
  learnClaims,
  type RebumpClaimsOptions,
  rebumpClaims,
  relativeLock,
  towerHandOverOps,
  treeId,
  treeItem,
} from './exit/plan.js';
export { kickoffsPublishedBy, type TowerPort, towerTakeOverOps } from './exit/takeOver.js';
export type { Action, ClientCommand, ClientInput, FeeRates, PeerId, RuntimeInput } from './io.js';
export { decodeFailure, encodeFailure, FailureCode } from './payments.js';
export { type ClientPolicy, type ResolvedClientPolicy, resolveClientPolicy } from './policy.js';
export {
  type ClientAdvanceTowerOptions,
  clientAdvanceTowerOps,
  guardPathOps,
  leafSlot,
  revealedSecretOps,
  type SupersededTowerInput,
  supersededStateOps,
} from './tower.js';
export { missingTowerEntryOps } from './towerBackfill.js';
