// Internal: secp256k1 decoding helpers with typed errors naming the argument, on the active
// `@superscalar/secp` curve backend.
import { curve, encodePoint, n, type Point } from '@superscalar/secp';
import { assertBytes } from './_assert.js';
import { hexKey, Lru } from './_cache.js';
import { InvalidArgumentError } from './errors.js';

export type Pt = Point;
/** The group order n. */
export const N = n;

/** Decodes a 33-byte compressed point, as a typed error naming the argument. */
export function decodePoint(bytes: unknown, name: string): Pt {
  assertBytes(bytes, name, 33);
  // Decompression costs a square root; channels decode the same few keys for every commitment.
  const point = pointCache.get(hexKey(bytes), () => curve().decompress(bytes) ?? null);
  if (point === null) throw new InvalidArgumentError(name, 'not a valid compressed secp256k1 point');
  return point;
}

const pointCache = new Lru<Pt | null>(4096);

/** Decodes a 32-byte secret scalar in 1..n-1. */
export function decodeScalar(bytes: unknown, name: string): bigint {
  assertBytes(bytes, name, 32);
  const k = bytesToBigInt(bytes);
  if (k === 0n || k >= N) throw new InvalidArgumentError(name, 'not a valid secret key (0 or ≥ n)');
  return k;
}

export function bytesToBigInt(b: Uint8Array): bigint {
  let k = 0n;
  for (const x of b) k = (k << 8n) | BigInt(x);
  return k;
}

/** 32-byte big-endian encoding of a scalar. */
export function scalarBytes(k: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = k;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** `k⋅G` for a secret `k` in 1..n-1 (constant time), as 33 compressed bytes. */
export function secretToPoint(k: bigint): Uint8Array {
  return encodePoint(curve().mulG(k));
}
