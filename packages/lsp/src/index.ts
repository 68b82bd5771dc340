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
  ListenError,
  LspError,
  type LspErrorCode,
  MachineFailedError,
  type StaleFault,
  StaleMessageError,
  StoppedError,
  type UnexpectedFault,
  UnexpectedMessageError,
} from './errors.js';
export type { Action, FeeRates, PeerId, RuntimeInput } from './io.js';
