// @superscalar/lsp: the LSP role. Re-exports only.
export {
  type LspCloseOptions,
  type LspClosePhase,
  type LspCloseResult,
  LspCloseSession,
  MAX_CLOSE_ATTEMPT,
} from './close.js';
export { isCloseRequest } from './closeRequest.js';
export {
  CloseBlameError,
  InvalidArgumentError,
  LspError,
  type LspErrorCode,
  type StaleFault,
  StaleMessageError,
  type UnexpectedFault,
  UnexpectedMessageError,
} from './errors.js';
export type { Action, FeeRates, PeerId, RuntimeInput } from './io.js';
