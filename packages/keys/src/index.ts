// @superscalar/keys: BIP39/BIP32 keychain, one derivation scheme for every key, the password envelope
// and the keyfile pattern. Re-exports only.

export {
  BIP86_PURPOSE,
  Bip86Account,
  type Bip86AccountOptions,
  type Bip86Key,
  type Bip86SecretKey,
  bip86Path,
} from './bip86.js';
export * from './envelope.js';
export * from './errors.js';
export * from './keychain.js';
export * from './keyfile.js';
export * from './mnemonic.js';
