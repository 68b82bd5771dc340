// Internal: single-key BIP340 signing for claims and penalties (on the active `@superscalar/secp`
// curve backend), and the injected randomness.
import { randomBytes } from '@noble/hashes/utils.js';
import type { Rng } from '@superscalar/core';
import { schnorrSign, schnorrVerify } from '@superscalar/secp';
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
