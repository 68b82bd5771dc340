/**
 * Diffie-Hellman functions for the Noise framework (Noise specification §4.1, §12.1).
 *
 * - {@link secp256k1Dh}: BOLT 8's: 33-byte compressed public keys, and
 *   `ECDH(k, P) = SHA256(compressed(k·P))`. This is what every production handshake uses.
 * - {@link x25519Dh}: Noise's `25519` (RFC 7748), used to check the state machine against the
 *   published Noise test vectors. Not used by the transport.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Rng } from '@superscalar/core';
import { InvalidArgumentError } from './errors.js';

/** A key pair. `privateKey` is owned by the handshake that generated it. */
export interface KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A Noise DH function. */
export interface Dh {
  /** The DH name in a Noise protocol name, e.g. `secp256k1`, `25519`. */
  readonly name: string;
  /** Length of a serialised public key (Noise's DHLEN for the `e`/`s` tokens). */
  readonly publicKeyLength: number;
  /** Derives a key pair from a private key; throws if the private key is invalid. */
  keyPair(privateKey: Uint8Array): KeyPair;
  /** Generates a key pair from `rng`, retrying on the (negligible) invalid draws. */
  generateKeyPair(rng: Rng): KeyPair;
  /** True when `publicKey` is a valid encoding of a usable public key. */
  isValidPublicKey(publicKey: Uint8Array): boolean;
  /** The shared secret; throws when `publicKey` is unusable (callers validate first). */
  dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
}

/** secp256k1 with BOLT 8's ECDH: SHA256 of the compressed shared point. */
export const secp256k1Dh: Dh = {
  name: 'secp256k1',
  publicKeyLength: 33,
  keyPair(privateKey) {
    const sk = Uint8Array.from(privateKey);
    return { privateKey: sk, publicKey: secp256k1.getPublicKey(sk, true) };
  },
  generateKeyPair(rng) {
    for (let i = 0; i < 64; i++) {
      const sk = Uint8Array.from(rng(32));
      if (sk.length === 32 && secp256k1.utils.isValidSecretKey(sk))
        return { privateKey: sk, publicKey: secp256k1.getPublicKey(sk, true) };
    }
    throw new InvalidArgumentError('rng', 'produced 64 invalid secp256k1 secret keys in a row; it is broken');
  },
  isValidPublicKey(publicKey) {
    // BOLT 8: keys are always the 33-byte compressed form; 0x04 (uncompressed) and off-curve x fail.
    if (publicKey.length !== 33 || (publicKey[0] !== 2 && publicKey[0] !== 3)) return false;
    try {
      secp256k1.Point.fromBytes(publicKey);
      return true;
    } catch {
      return false;
    }
  },
  dh(privateKey, publicKey) {
    // "ECDH(k, rk): ... returns the SHA256 of the DER-compressed format of the generated point" (BOLT 8).
    return sha256(secp256k1.getSharedSecret(privateKey, publicKey, true));
  },
};

/** X25519 (RFC 7748) as Noise's `25519` DH; for the framework's test vectors. */
export const x25519Dh: Dh = {
  name: '25519',
  publicKeyLength: 32,
  keyPair(privateKey) {
    const sk = Uint8Array.from(privateKey);
    return { privateKey: sk, publicKey: x25519.getPublicKey(sk) };
  },
  generateKeyPair(rng) {
    const sk = Uint8Array.from(rng(32));
    if (sk.length !== 32) throw new InvalidArgumentError('rng', `returned ${sk.length} bytes, expected 32`);
    return { privateKey: sk, publicKey: x25519.getPublicKey(sk) };
  },
  isValidPublicKey(publicKey) {
    return publicKey.length === 32;
  },
  dh(privateKey, publicKey) {
    return x25519.getSharedSecret(privateKey, publicKey);
  },
};
