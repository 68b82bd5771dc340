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
