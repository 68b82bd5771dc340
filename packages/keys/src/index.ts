// @superscalar/keys: BIP39/BIP32 keychain, one derivation scheme for every key, and the password
// envelope. Re-exports only.
export * from './envelope.js';
export * from './errors.js';
