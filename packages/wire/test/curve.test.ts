// The fast point check (a Jacobi symbol) agrees with @noble/curves' full decompression on random
// inputs, valid points and the edge cases (x ≥ p, bad prefixes).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import { isValidCompressedPoint, P } from '../src/_curve.js';

const RUNS = propertyRuns(2_000, 200);
console.log(`curve: ${RUNS} runs per property`);

function noble(b: Uint8Array): boolean {
  if (b[0] !== 2 && b[0] !== 3) return false;
  try {
    secp256k1.Point.fromBytes(b);
    return true;
  } catch {
    return false;
  }
}

it('agrees with @noble/curves on random 33-byte strings with a 02/03 prefix', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom(2, 3), (x, prefix) => {
      const b = Uint8Array.from([prefix, ...x]);
      expect(isValidCompressedPoint(b)).toBe(noble(b));
    }),
    { numRuns: RUNS },
  );
});

it('accepts every real public key and rejects its x + 1 when that is not on the curve', () => {
  fc.assert(
    fc.property(fc.bigInt(1n, 2n ** 255n), (k) => {
      const pk = secp256k1.getPublicKey(secp256k1.Point.Fn.toBytes(k), true);
      expect(isValidCompressedPoint(pk)).toBe(true);
    }),
    { numRuns: Math.max(50, RUNS / 10) },
  );
});

it('rejects x ≥ p, the zero x, and prefixes other than 02/03', () => {
  const px = Uint8Array.from(Buffer.from(P.toString(16), 'hex'));
  expect(isValidCompressedPoint(Uint8Array.from([2, ...px]))).toBe(false);
  expect(isValidCompressedPoint(Uint8Array.from([2, ...new Uint8Array(32).fill(0xff)]))).toBe(false);
  const g = secp256k1.Point.BASE.toBytes(true);
  for (const prefix of [0, 1, 4, 5, 6, 7, 0xff])
    expect(isValidCompressedPoint(Uint8Array.from([prefix, ...g.subarray(1)]))).toBe(false);
  // x = 0: 0³ + 7 = 7 is not a square mod p.
  expect(isValidCompressedPoint(new Uint8Array(33).fill(0, 1).fill(2, 0, 1))).toBe(
    noble(Uint8Array.from([2, ...new Uint8Array(32)])),
  );
});
