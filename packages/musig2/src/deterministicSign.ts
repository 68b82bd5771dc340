/**
 * BIP327 DeterministicSign: the last signer derives its nonce from its secret key, the other signers'
 * aggregate nonce, the aggregate key and the message, and signs at once. It holds no secret nonce
 * between rounds, so it is stateless (the protocol brief's LSP signs every tree transaction this way).
 *
 * Safe only when the signer really is last: it must have every other signer's public nonce (through
 * `aggothernonce`) before it derives its own.
 *
 * @see https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#signing-with-deterministic-nonces
 */
import { assertBytes, assertBytesArray, assertObject, assertTweaks } from './_assert.js';
import { taggedHash, taggedScalar } from './_hash.js';
import { InvalidArgumentError, InvalidContributionError, ValueError } from './errors.js';
import { applyTweaks, getXonlyPubkey, keyAgg } from './keyAgg.js';
import { defaultKeyAggCache, KeyAggCache } from './keyAggCache.js';
import { aggregateNoncePoints } from './nonceAgg.js';
import { concat, u64be, xor32 } from './nonceGen.js';
import { bytesToInt, cbytes, mulG, n, type Point, pointFromCompressed } from './point.js';
import { sessionValuesFor, signMaterial } from './session.js';

/** Inputs of {@link deterministicSign}. */
export interface DeterministicSignOptions {
  /** The signer's 32-byte secret key. */
  sk: Uint8Array;
  /** The 66-byte `NonceAgg` of every other signer's public nonce. */
  aggothernonce: Uint8Array;
  /** Every signer's 33-byte public key, in aggregation order (the signer's own included). */
  pubkeys: readonly Uint8Array[];
  tweaks?: readonly Uint8Array[];
  isXonly?: readonly boolean[];
  /** The message (any length). */
  msg: Uint8Array;
  /** Optional 32-byte auxiliary randomness (hedging); omit for fully deterministic output. */
  rand?: Uint8Array;
  /** Key-context cache; `false` aggregates afresh. Default: the shared cache. */
  cache?: KeyAggCache | false;
  /** Verify the partial signature before returning it (default `true`; keep it on: it guards against faults). */
  verify?: boolean;
}

/** Output of {@link deterministicSign}. */
export interface DeterministicSignResult {
  /** The signer's 66-byte public nonce (send it with the partial signature). */
  pubnonce: Uint8Array;
  /** The 32-byte partial signature. */
  psig: Uint8Array;
}

/**
 * BIP327 `DeterministicSign(sk, aggothernonce, pk_1..u, tweak_1..v, is_xonly_t_1..v, m, rand)`.
 *
 * @throws InvalidContributionError `{ signer: i, contrib: 'pubkey' }` for an undecodable key;
 *   `{ signer: null, contrib: 'aggothernonce' }` for an undecodable `aggothernonce`.
 * @throws ValueError for an invalid tweak, a secret key whose public key is not in `pubkeys`, or an
 *   out-of-range secret key.
 */
export function deterministicSign(options: DeterministicSignOptions): DeterministicSignResult {
  assertObject(options, 'options');
  const { sk, aggothernonce, pubkeys, tweaks = [], isXonly = [], msg, rand } = options;
  assertBytes(sk, 'options.sk', 32);
  assertBytes(aggothernonce, 'options.aggothernonce', 66);
  assertBytesArray(pubkeys, 'options.pubkeys', 33, 1);
  assertTweaks(tweaks, isXonly, 'options.tweaks');
  assertBytes(msg, 'options.msg');
  if (rand !== undefined) assertBytes(rand, 'options.rand', 32);
  // "If the optional argument rand is present: Let sk' = sk xor hash_MuSig/aux(rand); Else: sk' = sk"
  const skp = rand === undefined ? sk : xor32(sk, taggedHash('MuSig/aux', rand));
  // "Let keygen_ctx_0 = KeyAgg(pk_1..u)", apply the tweaks, "Let aggpk = GetXonlyPubkey(keygen_ctx_v)"
  const cache = options.cache === undefined ? defaultKeyAggCache : options.cache;
  if (cache !== false && !(cache instanceof KeyAggCache))
    throw new InvalidArgumentError('options.cache', 'expected a KeyAggCache or false');
  const keyCtx =
    cache === false ? applyTweaks(keyAgg(pubkeys), tweaks, isXonly) : cache.get(pubkeys, tweaks, isXonly);
  const aggpk = getXonlyPubkey(keyCtx);
  // "Let k_i = int(hash_MuSig/deterministic/nonce(sk' || aggothernonce || aggpk || bytes(8, len(m)) || m
  //  || bytes(1, i - 1))) mod n for i = 1,2"
  const ki = (i: number) =>
    taggedScalar(
      'MuSig/deterministic/nonce',
      skp,
      aggothernonce,
      aggpk,
      u64be(msg.length),
      msg,
      Uint8Array.of(i),
    );
  const k1 = ki(0);
  const k2 = ki(1);
  // "Fail if k_1 = 0 or k_2 = 0"
  if (k1 === 0n || k2 === 0n) throw new ValueError('DeterministicSign derived a zero nonce scalar');
  const d = bytesToInt(sk);
  if (d === 0n || d >= n) throw new ValueError('secret key value is out of range.');
  const R1 = mulG(k1);
  const R2 = mulG(k2);
  const P = mulG(d);
  // "Let secnonce = bytes(32, k_1) || bytes(32, k_2) || pk" -- used right here, never stored.
  const material = { k1, k2, pk: cbytes(P), R1, R2 };
  const pubnonce = concat(cbytes(R1), cbytes(R2));
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
  // "Let session_ctx = SessionContext(aggnonce, ...)"; "Return (pubnonce, Sign(secnonce, sk, session_ctx))"
  const values = sessionValuesFor(keyCtx, aggnonce, msg);
  const psig = signMaterial(material, sk, values, options.verify !== false, P);
  return { pubnonce, psig };
}
