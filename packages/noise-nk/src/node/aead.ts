/**
 * ChaCha20-Poly1305 from `node:crypto` (OpenSSL). Node only. Passes the same vectors as
 * {@link nobleAead}; several times faster for large frames.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import type { Aead, AeadKey } from '../aead.js';

const ALG = 'chacha20-poly1305';

class NodeAeadKey implements AeadKey {
  readonly #key: KeyObject;

  constructor(key: Uint8Array) {
    this.#key = createSecretKey(Uint8Array.from(key));
  }

  seal(nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const c = createCipheriv(ALG, this.#key, nonce, { authTagLength: 16 });
    if (ad.length > 0) c.setAAD(ad, { plaintextLength: plaintext.length });
    const out = new Uint8Array(plaintext.length + 16);
    const body = c.update(plaintext);
    out.set(body, 0);
    const fin = c.final();
    out.set(fin, body.length);
    out.set(c.getAuthTag(), plaintext.length);
    return out;
  }

  open(nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
    if (ciphertext.length < 16) return undefined;
    const n = ciphertext.length - 16;
    const d = createDecipheriv(ALG, this.#key, nonce, { authTagLength: 16 });
    d.setAuthTag(ciphertext.subarray(n));
    if (ad.length > 0) d.setAAD(ad, { plaintextLength: n });
    const out = new Uint8Array(n);
    const body = d.update(ciphertext.subarray(0, n));
    out.set(body, 0);
    try {
      const fin = d.final();
      out.set(fin, body.length);
    } catch {
      // OpenSSL reports a tag mismatch by throwing from final(); the plaintext must not be released.
      return undefined;
    }
    return out;
  }
}

/** ChaCha20-Poly1305 from `node:crypto`. */
export const nodeAead: Aead = {
  name: 'node:crypto',
  key: (key: Uint8Array): AeadKey => new NodeAeadKey(key),
};
