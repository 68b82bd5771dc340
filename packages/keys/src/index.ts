// @superscalar/keys: BIP39/BIP32 keychain, one derivation scheme for every key, the password envelope
// and the keyfile pattern. Re-exports only.
export * from './envelope.js';
export * from './errors.js';
export * from './keychain.js';
export * from './keyfile.js';
export * from './mnemonic.js';
