/**
 * The AEAD the Noise cipher states use: ChaCha20-Poly1305 (RFC 8439) with a 12-byte nonce and a
 * 16-byte tag appended to the ciphertext, as the Noise specification's `ChaChaPoly` cipher
 * (§12.3) and BOLT 8 use it.
 *
 * The backend is pluggable. {@link nobleAead} (pure JavaScript, @noble/ciphers) runs everywhere,
 * including browsers, where WebCrypto has no ChaCha20-Poly1305. `nodeAead` (from
 * `@superscalar/noise-nk/node`) uses `node:crypto` and is several times faster. Without an explicit
 * `aead` option the package picks one through its `#aead` import: `node:crypto` under the `node`
 * export condition, @noble/ciphers otherwise.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

/** An AEAD key bound once, then used for many messages. */
export interface AeadKey {
  /** Returns `ciphertext || tag(16)`. `nonce` is 12 bytes. Must not retain or modify its inputs. */
  seal(nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * Optional fast path: writes `ciphertext || tag` into `output` (exactly `plaintext.length + 16`
   * bytes; may not overlap `plaintext`). Framing uses it to build a frame without an extra copy.
   */
  sealInto?(nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array, output: Uint8Array): void;
  /** Returns the plaintext, or `undefined` when the tag does not verify (or `ciphertext` < 16 bytes). */
  open(nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
}

/** A ChaCha20-Poly1305 implementation. */
export interface Aead {
  /** Short backend name for logs and benchmarks, e.g. `node:crypto`, `@noble/ciphers`. */
  readonly name: string;
  /** Binds a 32-byte key. The backend copies it. */
  key(key: Uint8Array): AeadKey;
}

/** ChaCha20-Poly1305 from @noble/ciphers: pure JavaScript, browser-safe. */
export const nobleAead: Aead = {
  name: '@noble/ciphers',
  key(key: Uint8Array): AeadKey {
    const k = Uint8Array.from(key);
    return {
      seal(nonce, ad, plaintext) {
        return chacha20poly1305(k, nonce, ad.length > 0 ? ad : undefined).encrypt(plaintext);
      },
      sealInto(nonce, ad, plaintext, output) {
        chacha20poly1305(k, nonce, ad.length > 0 ? ad : undefined).encrypt(plaintext, output);
      },
      open(nonce, ad, ciphertext) {
        if (ciphertext.length < 16) return undefined;
        try {
          return chacha20poly1305(k, nonce, ad.length > 0 ? ad : undefined).decrypt(ciphertext);
        } catch {
          // @noble/ciphers throws on a tag mismatch; that is the only failure left after the checks above.
          return undefined;
        }
      },
    };
  },
};
