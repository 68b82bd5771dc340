// Shared fast-check arbitraries and helpers for the adaptor tests.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';

export const N = secp256k1.Point.Fn.ORDER;

export function scalarBytes(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = x;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** A secret scalar in [1, n) as 32 bytes, biased towards the edges now and then. */
export const secretArb = fc
  .oneof(
    { weight: 8, arbitrary: fc.bigInt(1n, N - 1n) },
    { weight: 1, arbitrary: fc.bigInt(1n, 1000n) },
    { weight: 1, arbitrary: fc.bigInt(N - 1000n, N - 1n) },
  )
  .map(scalarBytes);

export const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
export const msgArb = fc.oneof(bytes32, fc.uint8Array({ maxLength: 100 }));

/** An rng that replays `seed` then counts, so fast-check runs are reproducible. */
export function seededRng(seed: Uint8Array): (n: number) => Uint8Array {
  let counter = 0;
  return (len) => {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = (seed[i % seed.length] as number) ^ ((counter + i) & 0xff);
    counter += 1;
    return out;
  };
}

export { thrown } from '../../../test-utils/index.js';
