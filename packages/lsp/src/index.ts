// @superscalar/lsp: the LSP role. Re-exports only.
export type { LspCeremonyStep, LspFactoryPhase } from './codec.js';
export {
  ClientAbortedError,
  type Consequence,
  DecodeError,
  FundingError,
  InvalidArgumentError,
  InvalidChannelSetupError,
  InvalidNoncesError,
  InvalidPartialError,
  InvariantError,
  LspError,
  type LspErrorCode,
  NotImplementedError,
  NotParticipantError,
  PeerFaultError,
  StaleMessageError,
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
  type FactoryParameters,
  type LspPolicy,
  type ResolvedLspPolicy,
  resolveLspPolicy,
} from './policy.js';
