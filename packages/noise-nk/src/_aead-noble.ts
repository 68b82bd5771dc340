// Default AEAD outside Node (browsers, workers, Deno without the `node` condition): @noble/ciphers.
// Selected through the package's `#aead` import map; see package.json `imports`.
export { nobleAead as defaultAead } from './aead.js';
