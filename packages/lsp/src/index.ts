// @superscalar/lsp: the LSP role. Re-exports only.
export {
  InvalidArgumentError,
  ListenError,
  LspError,
  type LspErrorCode,
  MachineFailedError,
  StoppedError,
} from './errors.js';
export type { Action, FeeRates, PeerId, RuntimeInput } from './io.js';
