export { nodeAead } from './aead.js';
