// Internal: single-key BIP340 signing for claims and penalties (on the active `@superscalar/secp`
// curve backend), and the injected randomness.
import { randomBytes } from '@noble/hashes/utils.js';
import type { Rng } from '@superscalar/core';
import { curve, p as FIELD_P, schnorrSign, schnorrVerify, taggedHash } from '@superscalar/secp';
import { bytesToBigInt, decodeScalar, N, scalarBytes, secretToPoint } from './_ec.js';
import { InvalidArgumentError, SelfVerificationError } from './errors.js';

export type { Rng };

export const defaultRng: Rng = (n) => randomBytes(n);

/** BIP340 signature of `msg` with the 32-byte secret `sk` (BIP340 negates for an odd-y key itself). */
export function signSchnorr(msg: Uint8Array, sk: Uint8Array, rng: Rng): Uint8Array {
  const aux = rng(32);
  if (!(aux instanceof Uint8Array) || aux.length !== 32)
    throw new InvalidArgumentError('rng', 'must return the 32 bytes asked for');
  const sig = schnorrSign(msg, sk, aux);
  // Verify-your-own-signature: a fault here must not reach the chain.
  const pub = secretToPoint(decodeScalar(sk, 'sk')).subarray(1);
  if (!schnorrVerify(sig, msg, pub)) throw new SelfVerificationError('BIP340');
  return sig;
}

/** BIP340 signature without self-verification: the caller verifies (e.g. one batch for a whole penalty). */
export function signSchnorrUnverified(msg: Uint8Array, sk: Uint8Array, rng: Rng): Uint8Array {
  const aux = rng(32);
  if (!(aux instanceof Uint8Array) || aux.length !== 32)
    throw new InvalidArgumentError('rng', 'must return the 32 bytes asked for');
  return schnorrSign(msg, sk, aux);
}

/** `(d + t) mod n` as 32 bytes: BIP341 `taproot_tweak_seckey` for an even-y secret `d`. */
export function addTweak(evenD: bigint, tweak: Uint8Array): Uint8Array {
  return scalarBytes((evenD + bytesToBigInt(tweak)) % N);
}

/**
 * BIP340 `Verify(pk, m, sig)` of a signature this side just made, given `dEven`, the secret of
 * `lift_x(pk)` (the even-y point with x = `pk`): `R = s⋅G − e⋅lift_x(pk)` is computed as
 * `(s − e⋅dEven)⋅G`, one constant-time base multiplication instead of a square root and a
 * variable-time multiplication by the key (about a third of the cost on either backend).
 *
 * The same verdict as `schnorrVerify(sig, msg, pk)` whenever `dEven⋅G = lift_x(pk)`. When it is not
 * (a wrong tweak, a flipped parity, a corrupted secret), the check fails for any signature made with
 * it, except with negligible probability: the challenge `e` hashes `pk`, the signer's hashed its own
 * key, so `s − e⋅dEven` is not the nonce. `pk` must be the key the chain checks (the output's key,
 * not one derived from `dEven`).
 */
export function verifyOwnSchnorr(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array, dEven: bigint): boolean {
  if (sig.length !== 64 || pk.length !== 32) return false;
  const rBytes = sig.subarray(0, 32);
  const r = bytesToBigInt(rBytes);
  const s = bytesToBigInt(sig.subarray(32, 64));
  if (r >= FIELD_P || s >= N) return false;
  const e = bytesToBigInt(taggedHash('BIP0340/challenge', rBytes, pk, msg)) % N;
  const k = (((s - e * dEven) % N) + N) % N;
  if (k === 0n) return false;
  const R = curve().mulG(k).toAffine();
  return (R.y & 1n) === 0n && R.x === r;
}
