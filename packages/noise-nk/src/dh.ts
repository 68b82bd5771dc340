/**
 * Diffie-Hellman functions for the Noise framework (Noise specification §4.1, §12.1).
 *
 * - {@link secp256k1Dh}: BOLT 8's: 33-byte compressed public keys, and
 *   `ECDH(k, P) = SHA256(compressed(k·P))`. This is what every production handshake uses.
 * - {@link x25519Dh}: Noise's `25519` (RFC 7748), used to check the state machine against the
 *   published Noise test vectors. Not used by the transport.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Rng } from '@superscalar/core';
import { curve, encodePoint, n } from '@superscalar/secp';
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

// A secret key as a scalar in [1, n), or undefined. (The bigint cannot be wiped; the curve backend
// wipes its own copy of the scalar bytes after each multiplication.)
function secretScalar(sk: Uint8Array): bigint | undefined {
  if (sk.length !== 32) return undefined;
  let k = 0n;
  for (const b of sk) k = (k << 8n) | BigInt(b);
  return k === 0n || k >= n ? undefined : k;
}

function secretScalarArg(sk: Uint8Array, argument: string): bigint {
  const k = secretScalar(sk);
  if (k === undefined) throw new InvalidArgumentError(argument, 'not a valid secp256k1 secret key');
  return k;
}

/**
 * secp256k1 with BOLT 8's ECDH: SHA256 of the compressed shared point. Runs on the active
 * `@superscalar/secp` curve backend (libsecp256k1 in Node where it loads): `k⋅G` and `k⋅P` for the
 * secret `k` on its constant-time paths.
 */
export const secp256k1Dh: Dh = {
  name: 'secp256k1',
  publicKeyLength: 33,
  keyPair(privateKey) {
    const sk = Uint8Array.from(privateKey);
    return { privateKey: sk, publicKey: encodePoint(curve().mulG(secretScalarArg(sk, 'privateKey'))) };
  },
  generateKeyPair(rng) {
    for (let i = 0; i < 64; i++) {
      const sk = Uint8Array.from(rng(32));
      const k = secretScalar(sk);
      if (k !== undefined) return { privateKey: sk, publicKey: encodePoint(curve().mulG(k)) };
      sk.fill(0);
    }
    throw new InvalidArgumentError('rng', 'produced 64 invalid secp256k1 secret keys in a row; it is broken');
  },
  isValidPublicKey(publicKey) {
    // BOLT 8: keys are always the 33-byte compressed form; 0x04 (uncompressed) and off-curve x fail.
    if (publicKey.length !== 33 || (publicKey[0] !== 2 && publicKey[0] !== 3)) return false;
    return curve().decompress(publicKey) !== undefined;
  },
  dh(privateKey, publicKey) {
    // "ECDH(k, rk): ... returns the SHA256 of the DER-compressed format of the generated point" (BOLT 8).
    const k = secretScalarArg(privateKey, 'privateKey');
    const P = publicKey.length === 33 ? curve().decompress(publicKey) : undefined;
    if (P === undefined)
      throw new InvalidArgumentError('publicKey', 'not a valid compressed secp256k1 point');
    const shared = encodePoint(curve().mulSecret(P, k));
    try {
      return sha256(shared);
    } finally {
      shared.fill(0);
    }
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
