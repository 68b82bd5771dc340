/**
 * The curve backend interface: the few secp256k1 operations that dominate MuSig2, adaptor signatures
 * and BIP340, behind one object so a faster implementation can replace @noble/curves where it loads.
 *
 * Points are `@noble/curves` secp256k1 points in both backends (the type every `@superscalar/*`
 * package already speaks). A backend takes and returns them; the native backend keeps every point it
 * returns in affine form (`Z = 1`), so encoding it again costs no inversion, and remembers each point's
 * 65-byte encoding so it crosses into C without re-encoding.
 *
 * Scalars are bigints in `[0, n)` unless a method says otherwise; callers reduce them first.
 */
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

/** A secp256k1 point (`@noble/curves`; may be the point at infinity). */
export type Point = WeierstrassPoint<bigint>;

/** The `@noble/curves` secp256k1 point constructor. */
export const PointCons = secp256k1.Point;
/** The generator G. */
export const G: Point = PointCons.BASE;
/** The point at infinity. */
export const INFINITY: Point = PointCons.ZERO;
/** The group order n. */
export const n: bigint = PointCons.Fn.ORDER;
/** The field size p. */
export const p: bigint = PointCons.Fp.ORDER;

/**
 * The hot secp256k1 operations. Both implementations return identical points for identical inputs
 * (tested on every BIP327/BIP340/BIP341 vector and on random differential sessions).
 */
export interface CurveBackend {
  /** `'noble'` or `'native'`. */
  readonly id: 'noble' | 'native';
  /** What runs underneath, for logs and benchmarks (`@noble/curves`, `libsecp256k1 (secp256k1@5 N-API)`). */
  readonly name: string;
  /**
   * `k⋅G` for a **secret** `k` in `[1, n)`: the constant-time path of the backend (libsecp256k1's
   * blinded `ecmult_gen`; noble's `multiply`).
   */
  mulG(k: bigint): Point;
  /**
   * `k⋅P` for a **secret** `k` in `[1, n)` and a public `P` (ECDH): the constant-time path
   * (libsecp256k1's `ecmult_const` through `secp256k1_ecdh`, the scalar in a buffer wiped before
   * return; noble's constant-time `multiply`). Infinity for `P` at infinity.
   */
  mulSecret(P: Point, k: bigint): Point;
  /** `k⋅P` for a **public** `k` in `[0, n)` (0 or infinity give infinity). May be variable time. */
  mul(P: Point, k: bigint): Point;
  /** `a⋅P + b⋅G` for public `a`, `b` in `[0, n)` (BIP340 verification, tweaking). */
  mulAddG(P: Point, a: bigint, b: bigint): Point;
  /** `P + Q` (either may be infinity). */
  add(P: Point, Q: Point): Point;
  /** `Σ scalars[i]⋅points[i]` for public inputs (multi-scalar multiplication; equal lengths). */
  msm(points: readonly Point[], scalars: readonly bigint[]): Point;
  /** `Σ points[i]` (infinity for an empty list). */
  sum(points: readonly Point[]): Point;
  /**
   * Decodes a 33-byte compressed point (prefix 02/03, `x < p`, on the curve); `undefined` if it is not
   * one. The caller checks the length.
   */
  decompress(bytes: Uint8Array): Point | undefined;
}

// The 65-byte uncompressed encodings of the points the native backend returned (their bytes came from
// libsecp256k1), so they cross back into C, and are encoded, without another inversion or curve check.
const encodings = new WeakMap<Point, Uint8Array>();

/** @internal Remembers `b` (65 bytes, `04 || x || y`) as the encoding of `P`. */
export function rememberEncoding(P: Point, b: Uint8Array): void {
  encodings.set(P, b);
}

/** @internal The 65-byte uncompressed encoding of `P` (not infinity), remembered once computed. */
export function uncompressedOf(P: Point): Uint8Array {
  let b = encodings.get(P);
  if (b === undefined) {
    b = P.toBytes(false);
    encodings.set(P, b);
  }
  return b;
}

/**
 * The SEC1 encoding of `P` (not infinity): 33 bytes compressed (default) or 65 uncompressed. The same
 * bytes as `P.toBytes(compressed)`, without its inversion and curve check for a point a backend
 * returned (whose encoding it already holds). A fresh array each call.
 */
export function encodePoint(P: Point, compressed = true): Uint8Array {
  const b = encodings.get(P);
  if (b === undefined) return P.toBytes(compressed);
  if (!compressed) return Uint8Array.from(b);
  const out = new Uint8Array(33);
  out[0] = ((b[64] as number) & 1) === 0 ? 2 : 3;
  out.set(b.subarray(1, 33), 1);
  return out;
}

/**
 * BIP340 `bytes(P)`: the 32-byte x coordinate of `P` (not infinity). Copied from the remembered
 * encoding for a point a backend returned; otherwise from its affine x.
 */
export function xOnlyBytes(P: Point): Uint8Array {
  const b = encodings.get(P);
  if (b !== undefined) return b.slice(1, 33);
  const x = P.toAffine().x;
  const out = new Uint8Array(32);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, x >> 192n);
  v.setBigUint64(8, (x >> 128n) & 0xffffffffffffffffn);
  v.setBigUint64(16, (x >> 64n) & 0xffffffffffffffffn);
  v.setBigUint64(24, x & 0xffffffffffffffffn);
  return out;
}
