/**
 * Noise `CipherState` (Noise specification §5.1) with BOLT 8's optional key rotation.
 *
 * Nonces are Noise's ChaChaPoly encoding: 32 zero bits then the 64-bit counter little-endian.
 * With `rotation` set, after a key has been used for `rotation.interval` (BOLT 8: 1,000) encryptions
 * or decryptions, "ck', k' = HKDF(ck, k)" and the nonce resets to 0 (BOLT 8 "Lightning Message Key
 * Rotation"). Without it the nonce runs to 2^53 − 1 (a safe integer; far beyond any session) and
 * then {@link NonceExhaustedError} is thrown: Noise forbids reusing a nonce.
 *
 * Not implemented: Noise's `Rekey()` (no pattern here uses it) and out-of-order nonces (`SetNonce`
 * is only used by tests).
 */
import { assertBytes, EMPTY } from './_assert.js';
import { hkdf2 } from './_hkdf.js';
import type { Aead, AeadKey } from './aead.js';
import { NonceExhaustedError, StateError } from './errors.js';

/** BOLT 8's key rotation: every `interval` uses of a key, `ck, k = HKDF(ck, k)`. */
export interface KeyRotation {
  /** The chaining key at the end of the handshake (each direction keeps its own copy). */
  readonly chainingKey: Uint8Array;
  /** Uses of a key before it rotates; BOLT 8 uses 1,000. */
  readonly interval: number;
}

/** A Noise cipher state: a key (possibly none), a nonce counter, and optional BOLT 8 rotation. */
export class CipherState {
  readonly #aead: Aead;
  #k: Uint8Array | undefined;
  #key: AeadKey | undefined;
  #n = 0;
  #ck: Uint8Array | undefined;
  readonly #interval: number;
  readonly #nonce = new Uint8Array(12);

  /**
   * @param aead - the AEAD backend.
   * @param key - an initial 32-byte key, or `undefined` for Noise's "empty" key.
   * @param rotation - BOLT 8 key rotation; omitted for plain Noise.
   */
  constructor(aead: Aead, key?: Uint8Array, rotation?: KeyRotation) {
    this.#aead = aead;
    if (key !== undefined) this.initializeKey(key);
    if (rotation !== undefined) {
      assertBytes(rotation.chainingKey, 'rotation.chainingKey', 32);
      this.#ck = Uint8Array.from(rotation.chainingKey);
      this.#interval = rotation.interval;
    } else this.#interval = 0;
  }

  /** `InitializeKey(key)`: sets the key and resets the nonce to 0. */
  initializeKey(key: Uint8Array): void {
    assertBytes(key, 'key', 32);
    this.#k = Uint8Array.from(key);
    this.#key = this.#aead.key(this.#k);
    this.#n = 0;
  }

  /** `HasKey()`. */
  hasKey(): boolean {
    return this.#key !== undefined;
  }

  /** The next nonce to be used (for tests and diagnostics). */
  get nonce(): number {
    return this.#n;
  }

  /** `SetNonce(n)`; for tests. */
  setNonce(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new StateError(`nonce must be a safe non-negative integer`);
    this.#n = n;
  }

  /** `EncryptWithAd(ad, plaintext)`: with no key, returns a copy of the plaintext. */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const key = this.#key;
    if (key === undefined) return Uint8Array.from(plaintext);
    const out = key.seal(this.#nextNonce(), ad, plaintext);
    this.#advance();
    return out;
  }

  /**
   * `EncryptWithAd` writing `ciphertext || tag` into `output` (exactly `plaintext.length + 16` bytes).
   * Requires a key (transport use only).
   */
  encryptInto(ad: Uint8Array, plaintext: Uint8Array, output: Uint8Array): void {
    const key = this.#key;
    if (key === undefined) throw new StateError('encryptInto needs a key');
    const nonce = this.#nextNonce();
    if (key.sealInto !== undefined) key.sealInto(nonce, ad, plaintext, output);
    else output.set(key.seal(nonce, ad, plaintext));
    this.#advance();
  }

  /**
   * `DecryptWithAd(ad, ciphertext)`: returns `undefined` when authentication fails, in which case the
   * nonce does not advance (Noise §5.1). With no key, returns a copy of the ciphertext.
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
    const key = this.#key;
    if (key === undefined) return Uint8Array.from(ciphertext);
    const out = key.open(this.#nextNonce(), ad, ciphertext);
    if (out === undefined) return undefined;
    this.#advance();
    return out;
  }

  #nextNonce(): Uint8Array {
    const n = this.#n;
    if (n >= Number.MAX_SAFE_INTEGER) throw new NonceExhaustedError();
    // 32 bits of zeros, then the 64-bit nonce little-endian (Noise §12.3 ChaChaPoly).
    const v = this.#nonce;
    const lo = n >>> 0;
    const hi = Math.floor(n / 0x1_0000_0000);
    v[4] = lo & 0xff;
    v[5] = (lo >>> 8) & 0xff;
    v[6] = (lo >>> 16) & 0xff;
    v[7] = lo >>> 24;
    v[8] = hi & 0xff;
    v[9] = (hi >>> 8) & 0xff;
    v[10] = (hi >>> 16) & 0xff;
    v[11] = hi >>> 24;
    return v;
  }

  #advance(): void {
    this.#n++;
    const ck = this.#ck;
    if (ck !== undefined && this.#n === this.#interval) {
      // BOLT 8: "ck', k' = HKDF(ck, k)", then reset the nonce to 0.
      const [ck2, k2] = hkdf2(ck, this.#k ?? EMPTY);
      this.#ck = ck2;
      this.initializeKey(k2);
    }
  }
}
