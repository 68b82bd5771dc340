// @superscalar/client/node: the client's Node runtime (TCP and WebSocket over Noise). Re-exports only.
export { ClientNode, type ClientNodeOptions, type NodeLinkOptions } from './clientNode.js';
export { type DialOptions, dial } from './dial.js';
