// @superscalar/lsp: the LSP role. Re-exports only.
export type { AdvancePurpose, CompletedAdvance } from './advance.js';
export type { AdvanceRequestInfo, LspAdvancePolicy } from './advancePolicy.js';
export {
  type LspCloseOptions,
  type LspClosePhase,
  type LspCloseResult,
  LspCloseSession,
  MAX_CLOSE_ATTEMPT,
} from './close.js';
export { isCloseRequest } from './closeRequest.js';
export type { LspCeremonyStep, LspFactoryPhase } from './codec.js';
export {
  AdvancePathPublishedError,
  AdvanceRefusedError,
  CancellingNoncesError,
  ClientAbortedError,
  CloseBlameError,
  type Consequence,
  DecodeError,
  FactoryStateError,
  FundingError,
  InvalidArgumentError,
  InvalidChannelSetupError,
  InvalidNoncesError,
  InvalidPartialError,
  InvariantError,
  ListenError,
  LspError,
  type LspErrorCode,
  MachineFailedError,
  NotParticipantError,
  PeerFaultError,
  type StaleFault,
  StaleMessageError,
  StoppedError,
  type UnexpectedFault,
  UnexpectedMessageError,
  UnknownFactoryError,
} from './errors.js';
export { decodeLspEvent, type LspEvent, type LspEventKind } from './events.js';
export type { Action, FeeRates, LspCommand, LspInput, PeerId, RuntimeInput } from './io.js';
export {
  Lsp,
  type LspChannelInfo,
  type LspFactoryInfo,
  type LspOptions,
  type LspRestoreOptions,
} from './lsp.js';
export {
  type CloseRequest,
  type FactoryParameters,
  type LspPolicy,
  type ResolvedLspPolicy,
  resolveLspPolicy,
} from './policy.js';
export { guardTreeOps, lspAdvanceTowerOps } from './tower.js';
