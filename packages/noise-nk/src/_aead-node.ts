// Default AEAD under the `node` export condition: node:crypto. Selected through `#aead`.
export { nodeAead as defaultAead } from './node/aead.js';
