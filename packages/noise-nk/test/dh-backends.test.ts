// secp256k1Dh on every curve backend equals an independent computation with @noble/curves: key pairs,
// public-key checks and BOLT 8's ECDH (SHA256 of the compressed k⋅P) on random keys, and the errors for
// keys that are not keys.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { setCurveBackend } from '@superscalar/secp';
import { backendsUnderTest } from '@superscalar/secp/test';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import { secp256k1Dh } from '../src/dh.js';
import { InvalidArgumentError } from '../src/errors.js';

const runs = propertyRuns(100, 25);
const backends = backendsUnderTest();
console.log(`noise-nk dh: curve backends ${backends.map((b) => b.id).join(', ')}; PROPERTY_RUNS=${runs}`);
const N = secp256k1.Point.Fn.ORDER;
const secret = fc.bigInt({ min: 1n, max: N - 1n }).map((k) => {
  const b = new Uint8Array(32);
  let v = k;
  for (let i = 31; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
});

describe.each(backends.map((b) => [b.id, b] as const))('secp256k1Dh on curve backend %s', (_id, b) => {
  beforeAll(() => void setCurveBackend(b));
  afterAll(() => void setCurveBackend('auto'));

  it('key pairs and ECDH equal noble', () => {
    fc.assert(
      fc.property(secret, secret, (a, c) => {
        const kp = secp256k1Dh.keyPair(a);
        expect(kp.publicKey).toEqual(secp256k1.getPublicKey(a, true));
        const C = secp256k1.getPublicKey(c, true);
        expect(secp256k1Dh.isValidPublicKey(C)).toBe(true);
        const want = sha256(secp256k1.getSharedSecret(a, C, true));
        expect(secp256k1Dh.dh(a, C)).toEqual(want);
        expect(secp256k1Dh.dh(c, kp.publicKey)).toEqual(want);
      }),
      { numRuns: runs },
    );
  });

  it('rejects what is not a key, with typed errors', () => {
    const good = secp256k1.getPublicKey(new Uint8Array(32).fill(1), true);
    const offCurve = Uint8Array.of(2, ...new Uint8Array(31), 5);
    expect(secp256k1Dh.isValidPublicKey(offCurve)).toBe(false);
    expect(secp256k1Dh.isValidPublicKey(secp256k1.getPublicKey(new Uint8Array(32).fill(1), false))).toBe(
      false,
    );
    expect(() => secp256k1Dh.dh(new Uint8Array(32).fill(1), offCurve)).toThrow(InvalidArgumentError);
    expect(() => secp256k1Dh.dh(new Uint8Array(32), good)).toThrow(InvalidArgumentError);
    expect(() => secp256k1Dh.keyPair(new Uint8Array(32).fill(0xff))).toThrow(InvalidArgumentError);
    // generateKeyPair skips invalid draws (0, ≥ n) and takes the next valid one.
    const draws = [new Uint8Array(32), new Uint8Array(32).fill(0xff), new Uint8Array(32).fill(3)];
    const kp = secp256k1Dh.generateKeyPair(() => draws.shift() as Uint8Array);
    expect(kp.publicKey).toEqual(secp256k1.getPublicKey(new Uint8Array(32).fill(3), true));
  });
});
