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
import { concatBytes } from '@superscalar/core';
import { assertBytes, assertBytesArray, assertObject, assertTweaks } from './_assert.js';
import { taggedHash, taggedScalar } from './_hash.js';
import { InvalidArgumentError, InvalidContributionError, ValueError } from './errors.js';
import { applyTweaks, getXonlyPubkey, keyAgg } from './keyAgg.js';
import { defaultKeyAggCache, KeyAggCache } from './keyAggCache.js';
import { encodeNoncePoints, sumNoncePoints } from './nonceAgg.js';
import { u64be, xor32 } from './nonceGen.js';
import { bytesToInt, cbytes, mulG, n, type Point, PointCons, pointFromCompressed } from './point.js';
import { type Session, sessionValuesFromPoints, sessionWithValues, signMaterial } from './session.js';

/** Inputs of {@link deterministicSign}. */
export interface DeterministicSignOptions {
  /** The signer's 32-byte secret key. */
  sk: Uint8Array;
  /**
   * The 66-byte `NonceAgg` of every other signer's public nonce, or its two points when the caller
   * aggregated decoded nonces itself (they are encoded here with `cbytes`, so the derivation hashes
   * exactly the nonce that is used; saves two square roots).
   */
  aggothernonce: Uint8Array | readonly [Point, Point];
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
  /** The 66-byte aggregate nonce `NonceAgg((pubnonce, aggothernonce))` every signer signs with. */
  aggnonce: Uint8Array;
  /**
   * The session this signature belongs to (aggregate nonce = NonceAgg(pubnonce, aggothernonce)),
   * for the aggregator to verify and aggregate without computing the session values again.
   */
  session: Session;
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
  assertBytes(options.sk, 'options.sk', 32);
  return deterministicSignImpl(options, undefined);
}

/**
 * A signer that signs last with BIP327 `DeterministicSign` many times under one secret key (an LSP
 * signing every transaction of a tree): the key's public point `d'⋅G` is computed once here instead
 * of once per signature. Each {@link DeterministicSigner.sign} is exactly {@link deterministicSign}
 * with this key. Holds the secret key in memory for its lifetime; drop it when the ceremony ends.
 */
export class DeterministicSigner {
  readonly #sk: Uint8Array;
  readonly #P: Point;
  /** The signer's 33-byte compressed public key. */
  readonly publicKey: Uint8Array;

  /** @throws ValueError for an out-of-range secret key. */
  constructor(sk: Uint8Array) {
    assertBytes(sk, 'sk', 32);
    const d = bytesToInt(sk);
    if (d === 0n || d >= n) throw new ValueError('secret key value is out of range.');
    this.#sk = Uint8Array.from(sk);
    this.#P = mulG(d);
    this.publicKey = cbytes(this.#P);
  }

  /** {@link deterministicSign} with this signer's key (`options` without `sk`). */
  sign(options: Omit<DeterministicSignOptions, 'sk'>): DeterministicSignResult {
    assertObject(options, 'options');
    return deterministicSignImpl({ ...options, sk: this.#sk }, this.#P);
  }
}

function deterministicSignImpl(
  options: DeterministicSignOptions,
  knownP: Point | undefined,
): DeterministicSignResult {
  const { sk, aggothernonce, pubkeys, tweaks = [], isXonly = [], msg, rand } = options;
  let other: [Point, Point] | undefined;
  let aggothernonceBytes: Uint8Array;
  if (Array.isArray(aggothernonce)) {
    const [A, B] = aggothernonce as readonly [Point, Point];
    if (aggothernonce.length !== 2 || !(A instanceof PointCons) || !(B instanceof PointCons))
      throw new InvalidArgumentError('options.aggothernonce', 'expected 66 bytes or two points');
    // NonceAgg((pubnonce, aggothernonce)) decodes aggothernonce with cpoint: infinity fails, blame nobody.
    if (A.is0() || B.is0()) throw new InvalidContributionError(null, 'aggothernonce');
    other = [A, B];
    aggothernonceBytes = concatBytes(cbytes(A), cbytes(B));
  } else {
    assertBytes(aggothernonce, 'options.aggothernonce', 66);
    aggothernonceBytes = aggothernonce as Uint8Array;
  }
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
    cache === false
      ? applyTweaks(keyAgg(pubkeys, { memo: false }), tweaks, isXonly, { memo: false })
      : cache.get(pubkeys, tweaks, isXonly);
  const aggpk = getXonlyPubkey(keyCtx);
  // "Let k_i = int(hash_MuSig/deterministic/nonce(sk' || aggothernonce || aggpk || bytes(8, len(m)) || m
  //  || bytes(1, i - 1))) mod n for i = 1,2"
  const ki = (i: number) =>
    taggedScalar(
      'MuSig/deterministic/nonce',
      skp,
      aggothernonceBytes,
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
  const P = knownP ?? mulG(d);
  // "Let secnonce = bytes(32, k_1) || bytes(32, k_2) || pk" -- used right here, never stored.
  const material = { k1, k2, pk: cbytes(P), R1, R2 };
  const pubnonce = concatBytes(cbytes(R1), cbytes(R2));
  // "Let aggnonce = NonceAgg((pubnonce, aggothernonce)); fail if that fails and blame nobody"
  if (other === undefined) {
    try {
      other = [
        pointFromCompressed(aggothernonceBytes.subarray(0, 33)),
        pointFromCompressed(aggothernonceBytes.subarray(33, 66)),
      ];
    } catch (cause) {
      throw new InvalidContributionError(null, 'aggothernonce', { cause });
    }
  }
  const [aggR1, aggR2] = sumNoncePoints([[R1, R2], other]);
  const aggnonce = encodeNoncePoints([aggR1, aggR2]);
  // "Let session_ctx = SessionContext(aggnonce, ...)"; "Return (pubnonce, Sign(secnonce, sk, session_ctx))"
  const values = sessionValuesFromPoints(keyCtx, aggnonce, aggR1, aggR2, msg);
  const psig = signMaterial(material, sk, values, options.verify !== false, P);
  const session = sessionWithValues({ aggnonce, pubkeys, tweaks, isXonly, msg }, values);
  return { pubnonce, psig, aggnonce, session };
}
