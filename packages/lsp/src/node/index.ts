// @superscalar/lsp/node: the LSP's Node runtime (TCP and WebSocket over Noise). Re-exports only.
export {
  type LspLinkOptions,
  type LspMachine,
  LspNode,
  type LspNodeOptions,
} from './lspNode.js';
export type { ListenAddress, ListenerLimits } from './server.js';
