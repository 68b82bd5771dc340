/**
 * BIP340 Schnorr verification on this package's point layer, single and batched. The aggregator's
 * fast path (verify the final signature, blame only on failure) and tree signing (hundreds of final
 * signatures per ceremony) use these; a batch of u signatures costs one multi-scalar multiplication
 * of 2u + 1 points instead of u separate verifications.
 *
 * @see https://github.com/bitcoin/bips/blob/master/bip-0340.mediawiki#verification
 * @see https://github.com/bitcoin/bips/blob/master/bip-0340.mediawiki#batch-verification
 */
import { cryptoRng, type Rng } from '@superscalar/core';
import { assertBytes, assertFunction } from './_assert.js';
import { taggedScalar } from './_hash.js';
import { InvalidArgumentError } from './errors.js';
import { msm } from './keyAgg.js';
import { bytesToInt, G, hasEvenY, liftX, modN, mulAddG, n, type Point, PointCons, xbytes } from './point.js';

const p = PointCons.Fp.ORDER;

/** One signature to verify: a 64-byte BIP340 signature, its message, and the 32-byte x-only key (or its point). */
export interface SchnorrItem {
  sig: Uint8Array;
  msg: Uint8Array;
  /** The 32-byte x-only public key, or the key as a point (its parity is ignored, as x-only keys are). */
  pubkey: Uint8Array | Point;
}

function keyPoint(pubkey: Uint8Array | Point, name: string): Point | null {
  if (pubkey instanceof Uint8Array) {
    assertBytes(pubkey, name, 32);
    try {
      return liftX(pubkey);
    } catch {
      return null;
    }
  }
  if (!(pubkey instanceof PointCons)) throw new InvalidArgumentError(name, 'expected 32 bytes or a point');
  if (pubkey.is0()) return null;
  return hasEvenY(pubkey) ? pubkey : pubkey.negate();
}

/**
 * BIP340 `Verify(pk, m, sig)`: true iff `sig` is a valid signature of `msg` (any length) under the
 * x-only key `pubkey`. Returns false (never throws) for an invalid key or signature encoding.
 */
export function schnorrVerify(sig: Uint8Array, msg: Uint8Array, pubkey: Uint8Array | Point): boolean {
  assertBytes(sig, 'sig', 64);
  assertBytes(msg, 'msg');
  // "Let P = lift_x(int(pk)); fail if that fails"
  const P = keyPoint(pubkey, 'pubkey');
  if (P === null) return false;
  // "Let r = int(sig[0:32]); fail if r ≥ p"; "Let s = int(sig[32:64]); fail if s ≥ n"
  const r = bytesToInt(sig.subarray(0, 32));
  const s = bytesToInt(sig.subarray(32, 64));
  if (r >= p || s >= n) return false;
  // "Let e = int(hash_BIP0340/challenge(bytes(r) || bytes(P) || m)) mod n"
  const e = taggedScalar('BIP0340/challenge', sig.subarray(0, 32), xbytes(P), msg);
  // "Let R = s⋅G - e⋅P"; "Fail if is_infinite(R), not has_even_y(R), or x(R) ≠ r"
  const R = mulAddG(P, modN(-e), s);
  if (R.is0() || !hasEvenY(R)) return false;
  return R.toAffine().x === r;
}

/**
 * BIP340 batch verification: true iff every signature is valid (with overwhelming probability; a
 * false answer means at least one is invalid — verify them one by one to find which). Uses random
 * 128-bit-or-more multipliers from `rng` (default: the CSPRNG). An empty batch is valid.
 */
export function schnorrBatchVerify(items: readonly SchnorrItem[], rng: Rng = cryptoRng): boolean {
  if (!Array.isArray(items)) throw new InvalidArgumentError('items', 'expected an array');
  assertFunction(rng, 'rng');
  if (items.length === 0) return true;
  if (items.length === 1) {
    const it = items[0] as SchnorrItem;
    return schnorrVerify(it.sig, it.msg, it.pubkey);
  }
  const points: Point[] = [];
  const scalars: bigint[] = [];
  let sSum = 0n;
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as SchnorrItem;
    assertBytes(it.sig, `items[${i}].sig`, 64);
    assertBytes(it.msg, `items[${i}].msg`);
    const P = keyPoint(it.pubkey, `items[${i}].pubkey`);
    if (P === null) return false;
    const r = bytesToInt(it.sig.subarray(0, 32));
    const s = bytesToInt(it.sig.subarray(32, 64));
    if (r >= p || s >= n) return false;
    let R: Point;
    try {
      R = liftX(it.sig.subarray(0, 32));
    } catch {
      return false;
    }
    const e = taggedScalar('BIP0340/challenge', it.sig.subarray(0, 32), xbytes(P), it.msg);
    // "Generate u-1 random integers a_2...u in the range 1...n-1"
    const a = i === 0 ? 1n : randomMultiplier(rng);
    // Check (s_1 + a_2⋅s_2 + ...)⋅G = R_1 + a_2⋅R_2 + ... + e_1⋅P_1 + (a_2⋅e_2)⋅P_2 + ...
    // as  Σ a_i⋅(-R_i) + Σ (a_i⋅e_i)⋅(-P_i) + (Σ a_i⋅s_i)⋅G = infinity.
    sSum = modN(sSum + a * s);
    points.push(R.negate(), P.negate());
    scalars.push(a, modN(a * e));
  }
  points.push(G);
  scalars.push(sSum);
  return msm(points, scalars).is0();
}

function randomMultiplier(rng: Rng): bigint {
  for (;;) {
    const b = rng(32);
    if (!(b instanceof Uint8Array) || b.length !== 32)
      throw new InvalidArgumentError('rng', 'must return a Uint8Array of 32 bytes');
    const a = modN(bytesToInt(b));
    if (a !== 0n) return a;
  }
}
