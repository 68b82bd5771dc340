// @superscalar/lsp: the LSP role. Re-exports only.
export { InvalidArgumentError, LspError, type LspErrorCode } from './errors.js';
