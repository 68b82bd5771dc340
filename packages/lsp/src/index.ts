// @superscalar/lsp: the LSP role. Re-exports only.
export { InvalidArgumentError, LspError, type LspErrorCode } from './errors.js';
export type { Action, FeeRates, PeerId, RuntimeInput } from './io.js';
