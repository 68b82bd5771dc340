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
    const out = new Uint8Array(plaintext.length + 16);
    this.sealInto(nonce, ad, plaintext, out);
    return out;
  }

  sealInto(nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array, output: Uint8Array): void {
    const c = createCipheriv(ALG, this.#key, nonce, { authTagLength: 16 });
    if (ad.length > 0) c.setAAD(ad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    output.set(body, 0);
    // ChaCha20 is a stream cipher: final() yields no bytes, it only computes the tag.
    const fin = c.final();
    if (fin.length > 0) output.set(fin, body.length);
    output.set(c.getAuthTag(), plaintext.length);
  }

  open(nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
    if (ciphertext.length < 16) return undefined;
    const n = ciphertext.length - 16;
    const d = createDecipheriv(ALG, this.#key, nonce, { authTagLength: 16 });
    d.setAuthTag(ciphertext.subarray(n));
    if (ad.length > 0) d.setAAD(ad, { plaintextLength: n });
    const body = d.update(ciphertext.subarray(0, n));
    let fin: Buffer;
    try {
      fin = d.final();
    } catch {
      // OpenSSL reports a tag mismatch by throwing from final(); the plaintext must not be released.
      body.fill(0);
      return undefined;
    }
    if (fin.length === 0 && body.length === n)
      // A plain Uint8Array view of the fresh buffer OpenSSL wrote (no copy, no Buffer semantics).
      return new Uint8Array(body.buffer, body.byteOffset, body.length);
    const out = new Uint8Array(n);
    out.set(body, 0);
    out.set(fin, body.length);
    return out;
  }
}

/** ChaCha20-Poly1305 from `node:crypto`. */
export const nodeAead: Aead = {
  name: 'node:crypto',
  key: (key: Uint8Array): AeadKey => new NodeAeadKey(key),
};
