/**
 * A stateless last signer for MuSig2 adaptor sessions: BIP327 `DeterministicSign` with the final nonce
 * offset by the adaptor point T (see `musigAdaptor.ts`). The signer derives its nonce from its secret
 * key, the other signers' aggregate nonce, the aggregate key, the message **and T**, and signs at once;
 * it holds no secret nonce between rounds, so a crash loses nothing (protocol brief §8's LSP).
 *
 * Deliberate difference from BIP327: the nonce hash uses the tag
 * `SuperScalar/adaptor/deterministic/nonce` and commits to T:
 * `k_i = int(hash(sk' || aggothernonce || aggpk || bytes(8, len(m)) || m || T || bytes(1, i - 1))) mod n`.
 * Without T, two sessions differing only in their adaptor point would use the same nonce with different
 * challenges and reveal the secret key. There are no published vectors for this construction; this
 * package's own vectors cover it.
 *
 * Safe only when the signer really is last: it must have every other signer's public nonce (through
 * `aggothernonce`) before it derives its own.
 */
import { concatBytes } from '@superscalar/core';
import {
  aggregateNoncePoints,
  applyTweaks,
  bytesToInt,
  cbytes,
  defaultKeyAggCache,
  hasEvenY,
  InvalidContributionError,
  KeyAggCache,
  keyAgg,
  modN,
  mulG,
  n,
  type Point,
  pointFromCompressed,
  scalarToBytes,
  taggedHash,
  verifyPartialPoints,
  xbytes,
} from '@superscalar/musig2';
import { assertBytes, assertObject, describe } from './_assert.js';
import { InvalidArgumentError, SigningFailedError } from './errors.js';
import { adaptorSessionValues } from './musigAdaptor.js';
import { pointOf } from './schnorrAdaptor.js';

/** Inputs of {@link adaptorDeterministicSign}. */
export interface AdaptorDeterministicSignOptions {
  /** The signer's 32-byte secret key. */
  sk: Uint8Array;
  /** The 66-byte `NonceAgg` of every other signer's public nonce. */
  aggothernonce: Uint8Array;
  /** Every signer's 33-byte public key, in aggregation order (the signer's own included). */
  pubkeys: readonly Uint8Array[];
  /** 32-byte tweaks applied to the aggregate key, in order. */
  tweaks?: readonly Uint8Array[];
  /** `isXonly[j]` is true if `tweaks[j]` is an x-only (taproot) tweak. */
  isXonly?: readonly boolean[];
  /** The message (any length). */
  msg: Uint8Array;
  /** The 33-byte compressed adaptor point T. */
  adaptor: Uint8Array;
  /** Optional 32-byte auxiliary randomness (hedging); omit for fully deterministic output. */
  rand?: Uint8Array;
  /** Key-context cache; `false` aggregates afresh. Default: musig2's shared cache. */
  cache?: KeyAggCache | false;
}

/** Output of {@link adaptorDeterministicSign}. */
export interface AdaptorDeterministicSignResult {
  /** The signer's 66-byte public nonce (send it with the partial pre-signature). */
  pubnonce: Uint8Array;
  /** The 32-byte partial pre-signature. */
  psig: Uint8Array;
  /** The session's 66-byte aggregate nonce (`NonceAgg(aggothernonce, pubnonce)`). */
  aggnonce: Uint8Array;
}

function u64be(x: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(x));
  return out;
}

/**
 * `DeterministicSign` for an adaptor session: the signer's public nonce and partial pre-signature,
 * verified before they are returned.
 *
 * @throws {InvalidArgumentError} for wrong types/lengths, a secret key out of range or not among
 *   `pubkeys`, or an undecodable adaptor.
 * @throws musig2's `InvalidContributionError` `{ signer: i, contrib: 'pubkey' }` for an undecodable key,
 *   `{ signer: null, contrib: 'aggothernonce' }` for an undecodable `aggothernonce`, and
 *   `{ signer: null, contrib: 'aggnonce' }` if `R' + T` is infinity; `ValueError` for a bad tweak.
 * @throws {SigningFailedError} for a zero derived nonce (negligible) or a failed self-check.
 */
export function adaptorDeterministicSign(
  options: AdaptorDeterministicSignOptions,
): AdaptorDeterministicSignResult {
  assertObject(options, 'options');
  const { sk, aggothernonce, pubkeys, tweaks = [], isXonly = [], msg, adaptor, rand } = options;
  assertBytes(sk, 'options.sk', 32);
  assertBytes(aggothernonce, 'options.aggothernonce', 66);
  assertBytes(msg, 'options.msg');
  assertBytes(adaptor, 'options.adaptor', 33);
  pointOf(adaptor, 'options.adaptor');
  if (rand !== undefined) assertBytes(rand, 'options.rand', 32);
  if (!Array.isArray(pubkeys))
    throw new InvalidArgumentError('options.pubkeys', `expected an array, got ${describe(pubkeys)}`);
  pubkeys.forEach((pk, i) => {
    assertBytes(pk, `options.pubkeys[${i}]`, 33);
  });
  const d0 = bytesToInt(sk);
  if (d0 === 0n || d0 >= n) throw new InvalidArgumentError('options.sk', 'must be an integer in [1, n)');
  const P = mulG(d0);
  const pk = cbytes(P);
  // "Let sk' = sk xor hash_MuSig/aux(rand)" when rand is given, else sk
  const skp = rand === undefined ? Uint8Array.from(sk) : xor(sk, taggedHash('MuSig/aux', rand));
  const cache = options.cache === undefined ? defaultKeyAggCache : options.cache;
  if (cache !== false && !(cache instanceof KeyAggCache))
    throw new InvalidArgumentError('options.cache', 'expected a KeyAggCache or false');
  const keyCtx =
    cache === false ? applyTweaks(keyAgg(pubkeys), tweaks, isXonly) : cache.get(pubkeys, tweaks, isXonly);
  const aggpk = xbytes(keyCtx.Q);
  // k_i = int(hash_SuperScalar/adaptor/deterministic/nonce(sk' || aggothernonce || aggpk
  //        || bytes(8, len(m)) || m || T || bytes(1, i - 1))) mod n   (BIP327's, plus T)
  const ki = (i: number) =>
    modN(
      bytesToInt(
        taggedHash(
          'SuperScalar/adaptor/deterministic/nonce',
          skp,
          aggothernonce,
          aggpk,
          u64be(msg.length),
          msg,
          adaptor,
          Uint8Array.of(i),
        ),
      ),
    );
  const k1 = ki(0);
  const k2 = ki(1);
  skp.fill(0);
  if (k1 === 0n || k2 === 0n) throw new SigningFailedError('derived nonce is zero; retry with rand');
  const R1 = mulG(k1);
  const R2 = mulG(k2);
  const pubnonce = concatBytes(cbytes(R1), cbytes(R2));
  // "Let aggnonce = NonceAgg((pubnonce, aggothernonce)); fail if that fails and blame nobody"
  let other: [Point, Point];
  try {
    other = [
      pointFromCompressed(aggothernonce.subarray(0, 33)),
      pointFromCompressed(aggothernonce.subarray(33, 66)),
    ];
  } catch (cause) {
    throw new InvalidContributionError(null, 'aggothernonce', { cause });
  }
  const aggnonce = aggregateNoncePoints([[R1, R2], other]);
  const values = adaptorSessionValues({ aggnonce, pubkeys, tweaks, isXonly, msg, adaptor }, { cache });
  // BIP327 Sign with the adaptor-offset R:
  // "Let a = GetSessionKeyAggCoeff(session_ctx, P); fail if that fails"
  let a: bigint;
  try {
    a = values.keyAgg.keyAggCoeff(pk);
  } catch (cause) {
    throw new InvalidArgumentError('options.sk', 'its public key is not among options.pubkeys', { cause });
  }
  // "Let k_i = k'_i if has_even_y(R), otherwise n - k'_i"
  const evenR = hasEvenY(values.R);
  const k1e = evenR ? k1 : n - k1;
  const k2e = evenR ? k2 : n - k2;
  // "Let g = 1 if has_even_y(Q), otherwise g = -1 mod n"; "Let d = g⋅gacc⋅d' mod n"
  const g = hasEvenY(values.Q) ? values.gacc : modN(-values.gacc);
  const d = modN(g * d0);
  // "Let s = (k_1 + b⋅k_2 + e⋅a⋅d) mod n"
  const s = modN(k1e + values.b * k2e + modN(values.e * a) * d);
  if (!verifyPartialPoints(s, R1, R2, P, a, values))
    throw new SigningFailedError('the partial pre-signature does not verify (possible fault): discard it');
  return { pubnonce, psig: scalarToBytes(s), aggnonce };
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((x, i) => x ^ (b[i] as number));
}
