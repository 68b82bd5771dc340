/**
 * secp256k1 points and scalars as BIP327 encodes them (BIP327 "Notation"): `cbytes`/`cpoint` for
 * 33-byte compressed points, the `_ext` variants that map the point at infinity to 33 zero bytes,
 * `xbytes` for BIP340 x-only encodings, and scalar helpers modulo the group order `n`.
 *
 * Points are `@noble/curves` secp256k1 points. These helpers are the encoding layer every other module
 * uses, exported for packages that build on MuSig2 (adaptor signatures). Decoding and every
 * multiplication run on the active `@superscalar/secp` backend (libsecp256k1 in Node where it loads,
 * @noble/curves otherwise); the results are the same points either way.
 */
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import {
  curve,
  encodePoint,
  type Point as SecpPoint,
  PointCons as SecpPointCons,
  G as secpG,
  INFINITY as secpInfinity,
  n as secpN,
  xOnlyBytes,
} from '@superscalar/secp';
import { assertBytes } from './_assert.js';
import { InvalidArgumentError, ValueError } from './errors.js';

/** A secp256k1 point (projective coordinates; may be the point at infinity). */
export type Point = SecpPoint;

/** The `@noble/curves` secp256k1 point constructor. */
export const PointCons = SecpPointCons;
/** The generator G. */
export const G: Point = secpG;
/** The point at infinity. */
export const INFINITY: Point = secpInfinity;
/** The group order n. */
export const n: bigint = secpN;

/** `a mod n`, in [0, n). */
export function modN(a: bigint): bigint {
  const r = a % n;
  return r < 0n ? r + n : r;
}

/** True if `P` is the point at infinity. */
export function isInfinity(P: Point): boolean {
  return P.is0();
}

/** BIP340 `has_even_y(P)`; `P` must not be infinity. */
export function hasEvenY(P: Point): boolean {
  return (P.toAffine().y & 1n) === 0n;
}

/** BIP327 `cbytes(P)`: 33-byte compressed encoding. Throws {@link ValueError} for infinity. */
export function cbytes(P: Point): Uint8Array {
  if (P.is0()) throw new ValueError('cbytes: the point at infinity has no compressed encoding');
  return encodePoint(P);
}

/** BIP327 `cbytes_ext(P)`: like {@link cbytes}, but infinity encodes as 33 zero bytes. */
export function cbytesExt(P: Point): Uint8Array {
  return P.is0() ? new Uint8Array(33) : encodePoint(P);
}

/** BIP340 `bytes(P)` / BIP327 `xbytes(P)`: the 32-byte x coordinate. Throws {@link ValueError} for infinity. */
export function xbytes(P: Point): Uint8Array {
  if (P.is0()) throw new ValueError('xbytes: the point at infinity has no x coordinate');
  return xOnlyBytes(P);
}

/**
 * BIP327 `cpoint(x)`: decodes a 33-byte compressed point (prefix 02/03, x < p, on the curve).
 * Throws {@link ValueError} if `x` is not such an encoding.
 */
export function pointFromCompressed(bytes: Uint8Array): Point {
  assertBytes(bytes, 'bytes', 33);
  if (bytes[0] !== 2 && bytes[0] !== 3) throw new ValueError('cpoint: prefix must be 0x02 or 0x03');
  const P = curve().decompress(bytes);
  if (P === undefined) throw new ValueError('cpoint: not a valid compressed point');
  return P;
}

/** BIP327 `cpoint_ext(x)`: like {@link pointFromCompressed}, but 33 zero bytes decode as infinity. */
export function pointFromCompressedExt(bytes: Uint8Array): Point {
  assertBytes(bytes, 'bytes', 33);
  if (isZeroBytes(bytes)) return INFINITY;
  return pointFromCompressed(bytes);
}

/** BIP340 `lift_x(x)`: the point with x coordinate `x` and even y. Throws {@link ValueError} if none exists. */
export function liftX(bytes: Uint8Array): Point {
  assertBytes(bytes, 'bytes', 32);
  const c = new Uint8Array(33);
  c[0] = 2;
  c.set(bytes, 1);
  const P = curve().decompress(c);
  if (P === undefined) throw new ValueError('lift_x: not the x coordinate of a curve point');
  return P;
}

/** BIP340 `int(x)`: a 32-byte big-endian integer (not reduced). */
export function bytesToInt(bytes: Uint8Array): bigint {
  if (bytes.length !== 32) return bytesToNumberBE(bytes);
  // Four 64-bit reads; noble's bytesToNumberBE goes through a hex string.
  const v = new DataView(bytes.buffer, bytes.byteOffset, 32);
  return (
    (v.getBigUint64(0) << 192n) |
    (v.getBigUint64(8) << 128n) |
    (v.getBigUint64(16) << 64n) |
    v.getBigUint64(24)
  );
}

/** BIP340 `bytes(32, x)`: a scalar in [0, 2^256) as 32 big-endian bytes. */
export function scalarToBytes(x: bigint): Uint8Array {
  if (x < 0n || x >= 1n << 256n) throw new InvalidArgumentError('x', 'expected an integer in [0, 2^256)');
  return numberToBytesBE(x, 32);
}

/** `d⋅G` for a secret scalar (constant-time base multiplication); `d` in [1, n). */
export function mulG(d: bigint): Point {
  return curve().mulG(d);
}

/** `k⋅P` for public values (variable time); `k` in [0, n), 0 giving infinity. */
export function mulPublic(P: Point, k: bigint): Point {
  return curve().mul(P, k);
}

/** @internal `a⋅P + b⋅G` for public `a`, `b` in [0, n). */
export function mulAddG(P: Point, a: bigint, b: bigint): Point {
  return curve().mulAddG(P, a, b);
}

/** @internal `P + Q` on the active backend (either may be infinity). */
export function addPoints(P: Point, Q: Point): Point {
  return curve().add(P, Q);
}

function isZeroBytes(b: Uint8Array): boolean {
  let acc = 0;
  for (const v of b) acc |= v;
  return acc === 0;
}
