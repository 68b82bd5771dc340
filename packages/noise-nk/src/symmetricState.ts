/**
 * Noise `SymmetricState` (Noise specification §5.2) with SHA-256 (HASHLEN = 32) and HKDF over
 * HMAC-SHA256.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@superscalar/core';
import { hkdf2 } from './_hkdf.js';
import type { Aead } from './aead.js';
import { CipherState } from './cipherState.js';

const HASHLEN = 32;

/** Chaining key, handshake hash and the handshake's cipher state. */
export class SymmetricState {
  readonly #aead: Aead;
  #ck: Uint8Array;
  #h: Uint8Array;
  readonly #cs: CipherState;

  /**
   * `InitializeSymmetric(protocol_name)`: "If protocol_name is less than or equal to HASHLEN bytes
   * in length, sets h equal to protocol_name with zero bytes appended to make HASHLEN bytes.
   * Otherwise sets h = HASH(protocol_name)"; `ck = h`; the cipher state starts with no key.
   */
  constructor(aead: Aead, protocolName: Uint8Array) {
    this.#aead = aead;
    if (protocolName.length <= HASHLEN) {
      this.#h = new Uint8Array(HASHLEN);
      this.#h.set(protocolName);
    } else this.#h = sha256(protocolName);
    this.#ck = Uint8Array.from(this.#h);
    this.#cs = new CipherState(aead);
  }

  /** `MixKey(ikm)`: `ck, temp_k = HKDF(ck, ikm)`; the cipher state takes `temp_k`. */
  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.#ck, ikm);
    this.#ck = ck;
    this.#cs.initializeKey(k);
  }

  /** `MixHash(data)`: `h = HASH(h || data)`. */
  mixHash(data: Uint8Array): void {
    this.#h = sha256(concatBytes(this.#h, data));
  }

  /** `EncryptAndHash(plaintext)`: encrypt with `h` as AD, then mix the ciphertext into `h`. */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const c = this.#cs.encryptWithAd(this.#h, plaintext);
    this.mixHash(c);
    return c;
  }

  /** `DecryptAndHash(ciphertext)`: `undefined` when authentication fails (the state is then unusable). */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array | undefined {
    const p = this.#cs.decryptWithAd(this.#h, ciphertext);
    if (p === undefined) return undefined;
    this.mixHash(ciphertext);
    return p;
  }

  /** True once a key has been mixed in (encrypted tokens then carry a 16-byte tag). */
  hasKey(): boolean {
    return this.#cs.hasKey();
  }

  /** The handshake hash `h` (a copy). */
  handshakeHash(): Uint8Array {
    return Uint8Array.from(this.#h);
  }

  /** The chaining key `ck` (a copy). */
  chainingKey(): Uint8Array {
    return Uint8Array.from(this.#ck);
  }

  /**
   * `Split()`: `temp_k1, temp_k2 = HKDF(ck, zerolen)`; returns the initiator-to-responder and
   * responder-to-initiator cipher states. With `rotationInterval`, each carries its own copy of the
   * final `ck` for BOLT 8 key rotation.
   */
  split(rotationInterval?: number): [CipherState, CipherState] {
    const [k1, k2] = hkdf2(this.#ck, new Uint8Array(0));
    const rot =
      rotationInterval === undefined ? undefined : { chainingKey: this.#ck, interval: rotationInterval };
    return [new CipherState(this.#aead, k1, rot), new CipherState(this.#aead, k2, rot)];
  }
}
