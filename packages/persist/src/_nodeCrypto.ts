// Internal, Node only (imported by ./sqlite and ./postgres, never by the root export): the sealing
// primitives on OpenSSL through node:crypto. Same bytes as the @noble implementation (tested).
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import type { SealCrypto } from './seal.js';

const TAG = 16;

export const nodeSealCrypto: SealCrypto = Object.freeze({
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    return new Uint8Array(createHmac('sha256', key).update(data).digest());
  },
  aeadEncrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const body = c.update(plaintext);
    c.final();
    const out = new Uint8Array(body.length + TAG);
    out.set(body, 0);
    out.set(c.getAuthTag(), body.length);
    return out;
  },
  aeadDecrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    if (sealed.length < TAG) throw new Error('sealed value shorter than its tag');
    const n = sealed.length - TAG;
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
    d.setAAD(aad, { plaintextLength: n });
    d.setAuthTag(sealed.subarray(n));
    const body = d.update(sealed.subarray(0, n));
    d.final(); // throws when the tag does not verify
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice();
  },
});
