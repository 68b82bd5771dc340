/**
 * Secrets at rest: fields marked secret (invoice preimages, watchtower secrets, L-stock secrets,
 * secret blobs) are sealed with ChaCha20-Poly1305 (RFC 8439) under a key derived with HKDF-SHA256
 * (RFC 5869) from the caller's 32-byte store key (which `@superscalar/keys` derives from the node
 * seed). Each sealed value is bound to where it lives (table, column, primary key) through the AEAD's
 * associated data, so a sealed value copied to another row does not open.
 *
 * Envelope, version 1:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 1 | version = 1 |
 * | 1 | 8 | key id: `HKDF(storeKey, info = "key-id/v1")[0..8]` |
 * | 9 | 12 | random nonce |
 * | 21 | n + 16 | ciphertext and tag; AAD = `"superscalar/persist/seal/v1" ‖ version ‖ key id ‖ location` |
 *
 * Random 96-bit nonces are safe far beyond any store's lifetime (2^32 values per key keeps the
 * collision probability below 2^-32). Not done here: key rotation (a store has one key for life).
 *
 * @module
 */

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, cryptoRng, equalBytes, type Rng } from '@superscalar/core';
import { utf8 } from './_codec.js';
import { DecodeError, InvalidArgumentError, UnknownEnvelopeVersionError, WrongKeyError } from './errors.js';

/** The sealing envelope version this release writes and reads. */
export const SEAL_VERSION = 1;
const KEY_ID_LEN = 8;
const NONCE_LEN = 12;
const TAG_LEN = 16;
const HEADER_LEN = 1 + KEY_ID_LEN + NONCE_LEN;
const SALT = utf8('superscalar/persist');
const AAD_PREFIX = utf8('superscalar/persist/seal/v1');

/**
 * The primitives sealing uses. The default is @noble (pure JS, browser-safe); the Node backends
 * (`./sqlite`, `./postgres`) pass OpenSSL's through `node:crypto`, several times faster. Both produce
 * identical bytes.
 */
export interface SealCrypto {
  /** HMAC-SHA256. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 (RFC 8439): ciphertext followed by the 16-byte tag. */
  aeadEncrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 decryption; throws when the tag does not verify. */
  aeadDecrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
}

/** The pure-JS primitives (@noble/ciphers, @noble/hashes). */
export const nobleSealCrypto: SealCrypto = Object.freeze({
  hmacSha256: (key: Uint8Array, data: Uint8Array) => hmac(sha256, key, data),
  aeadEncrypt: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array) =>
    chacha20poly1305(key, nonce, aad).encrypt(pt),
  aeadDecrypt: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array) =>
    chacha20poly1305(key, nonce, aad).decrypt(ct),
});

/** Keys derived from a store key. Opaque: hold it, pass it to `open*Store`, never serialise it. */
export interface SealingKeys {
  /** 8-byte public fingerprint of the store key (safe to log and store). */
  readonly keyId: Uint8Array;
  /** @internal */
  readonly _aead: Uint8Array;
  /** @internal */
  readonly _mac: Uint8Array;
  /** @internal */
  readonly _rng: Rng;
  /** @internal */
  readonly _crypto: SealCrypto;
}

/**
 * Derives the sealing keys from a 32-byte store key (`@superscalar/keys`' `storeSealingKey`, or any
 * uniformly random 32 bytes the caller keeps safe). `rng` supplies nonces (default a CSPRNG).
 */
export function deriveSealingKeys(
  storeKey: Uint8Array,
  rng: Rng = cryptoRng,
  primitives: SealCrypto = nobleSealCrypto,
): SealingKeys {
  if (!(storeKey instanceof Uint8Array) || storeKey.length !== 32)
    throw new InvalidArgumentError('sealingKey', 'expected 32 bytes');
  if (typeof rng !== 'function') throw new InvalidArgumentError('rng', 'expected a function');
  const ikm = Uint8Array.from(storeKey);
  const out = {
    keyId: hkdf(sha256, ikm, SALT, utf8('key-id/v1'), 32).slice(0, KEY_ID_LEN),
    _aead: hkdf(sha256, ikm, SALT, utf8('sealing-key/v1'), 32),
    _mac: hkdf(sha256, ikm, SALT, utf8('update-mac/v1'), 32),
    _rng: rng,
    _crypto: primitives,
  };
  ikm.fill(0);
  return out;
}

function aad(version: number, keyId: Uint8Array, location: string): Uint8Array {
  return concatBytes(AAD_PREFIX, Uint8Array.of(version), keyId, utf8(location));
}

/** Seals `plaintext` for `location` (a string naming table, column and row). */
export function sealValue(keys: SealingKeys, plaintext: Uint8Array, location: string): Uint8Array {
  const nonce = keys._rng(NONCE_LEN);
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LEN)
    throw new InvalidArgumentError('rng', `must return ${NONCE_LEN} bytes`);
  const ct = keys._crypto.aeadEncrypt(keys._aead, nonce, aad(SEAL_VERSION, keys.keyId, location), plaintext);
  return concatBytes(Uint8Array.of(SEAL_VERSION), keys.keyId, nonce, ct);
}

/**
 * Opens a sealed value. Throws {@link UnknownEnvelopeVersionError} for another version,
 * {@link WrongKeyError} when it was sealed under another key, {@link DecodeError} when it is
 * truncated or fails authentication (altered, or moved to another row).
 */
export function openValue(keys: SealingKeys, envelope: Uint8Array, location: string): Uint8Array {
  if (envelope.length < 1) throw new DecodeError(`sealed value ${location}`, 'empty');
  const version = envelope[0] as number;
  if (version !== SEAL_VERSION) throw new UnknownEnvelopeVersionError(location, version);
  if (envelope.length < HEADER_LEN + TAG_LEN)
    throw new DecodeError(`sealed value ${location}`, `truncated (${envelope.length} bytes)`);
  const keyId = envelope.subarray(1, 1 + KEY_ID_LEN);
  if (!equalBytes(keyId, keys.keyId)) throw new WrongKeyError(Uint8Array.from(keyId), keys.keyId);
  const nonce = envelope.subarray(1 + KEY_ID_LEN, HEADER_LEN);
  try {
    return keys._crypto.aeadDecrypt(
      keys._aead,
      nonce,
      aad(version, keyId, location),
      envelope.subarray(HEADER_LEN),
    );
  } catch {
    throw new DecodeError(`sealed value ${location}`, 'authentication failed (altered or moved)');
  }
}

/** @internal HMAC of an update's canonical encoding (replay detection without storing plaintext). */
export function updateMac(keys: SealingKeys, id: bigint, encoded: Uint8Array): Uint8Array {
  const idBytes = new Uint8Array(8);
  new DataView(idBytes.buffer).setBigUint64(0, id);
  return keys._crypto.hmacSha256(keys._mac, concatBytes(idBytes, encoded));
}
