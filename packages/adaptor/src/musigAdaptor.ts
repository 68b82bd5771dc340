/**
 * MuSig2 adaptor sessions: BIP327 signing where the final nonce is offset by an adaptor point T, so the
 * aggregate of the signers' partial signatures is a pre-signature that only someone knowing t = log(T)
 * can complete into a BIP340 signature under the (tweaked) aggregate key, and from which t is then
 * extracted (protocol brief §9, PTLC key turnover).
 *
 * The construction is the one of secp256k1-zkp's MuSig2 adaptor API (`musig_nonce_process` with an
 * adaptor, `musig_adapt`, `musig_extract_adaptor`): the nonce coefficient `b` and `R' = R'_1 + b⋅R'_2`
 * are BIP327's, the final nonce is `R = R' + T`, the challenge is over `xbytes(R)`, and every signer
 * negates its nonce by the parity of R exactly as BIP327 `Sign` does. The aggregate pre-signature is
 * encoded as `cbytes(R) || bytes(s')`, the 65-byte format of the single-signer scheme, so `adapt`,
 * `extractSecadaptor` and `presigVerify` (under the x-only aggregate key) apply to it unchanged.
 *
 * Differences from BIP327 where T makes them necessary: if `R' + T` is infinity the session is refused
 * (`InvalidContributionError { signer: null, contrib: 'aggnonce' }`) instead of BIP327's fallback to G,
 * which would make the pre-signature uncompletable; if R' alone is infinity, R = T (the algebra holds).
 *
 * Secret nonces are `@superscalar/musig2` `SecretNonce`s from its `nonceGen`: owned, never
 * serialisable, consumed by the first signing attempt. A stateless last signer is in
 * `deterministicSign.ts`.
 */
import { concatBytes } from '@superscalar/core';
import {
  bytesToInt,
  cbytes,
  G,
  getSessionValues,
  hasEvenY,
  InvalidContributionError,
  modN,
  type Point,
  partialSigAggWithValues,
  partialSigVerifyInternal,
  pointFromCompressedExt,
  type SecretNonce,
  type SessionContext,
  type SessionOptions,
  type SessionValues,
  signWithValues,
  taggedHash,
  xbytes,
} from '@superscalar/musig2';
import { curve } from '@superscalar/secp';
import { assertBytes, assertObject, describe } from './_assert.js';
import { InvalidArgumentError } from './errors.js';
import { pointOf, presigVerify } from './schnorrAdaptor.js';

/** A BIP327 session context plus the 33-byte compressed adaptor point T every signer agreed on. */
export interface AdaptorSessionContext extends SessionContext {
  /** The adaptor point T = t⋅G (33-byte compressed). */
  adaptor: Uint8Array;
}

/**
 * BIP327 session values with the final nonce offset by T: `R = R'_1 + b⋅R'_2 + T` and
 * `e = int(hash_BIP0340/challenge(xbytes(R) || xbytes(Q) || m)) mod n`.
 *
 * @throws what musig2's `getSessionValues` throws (an undecodable key or aggregate nonce, a bad tweak).
 * @throws {InvalidArgumentError} if `ctx.adaptor` is not a valid compressed point.
 * @throws InvalidContributionError `{ signer: null, contrib: 'aggnonce' }` (musig2's) if `R' + T` is
 *   infinity: restart with fresh nonces.
 */
export function adaptorSessionValues(ctx: AdaptorSessionContext, options?: SessionOptions): SessionValues {
  assertObject(ctx, 'ctx');
  assertBytes(ctx.adaptor, 'ctx.adaptor', 33);
  const T = pointOf(ctx.adaptor, 'ctx.adaptor');
  const base = getSessionValues(ctx, options);
  // R' = R'_1 + b⋅R'_2 is base.R, except that getSessionValues maps an infinite R' to G: only then
  // recompute it to tell the two apart. (Both halves decoded in getSessionValues, so this cannot throw.)
  const Rp = base.R.equals(G) ? recomputeRp(ctx.aggnonce, base.b) : base.R;
  const R = curve().add(Rp, T);
  if (R.is0()) throw new InvalidContributionError(null, 'aggnonce');
  const e = modN(bytesToInt(taggedHash('BIP0340/challenge', xbytes(R), xbytes(base.Q), ctx.msg)));
  return { ...base, R, e };
}

function recomputeRp(aggnonce: Uint8Array, b: bigint): Point {
  const R1 = pointFromCompressedExt(aggnonce.subarray(0, 33));
  const R2 = pointFromCompressedExt(aggnonce.subarray(33, 66));
  return curve().msm([R1, R2], [1n, b]);
}

/**
 * One MuSig2 adaptor signing session: every signer builds it from the same context (aggregate nonce,
 * keys, tweaks, message, adaptor point), produces a partial pre-signature with {@link sign}, and the
 * aggregator combines them into the 65-byte pre-signature with {@link aggregateVerified}. Copies the
 * caller's bytes.
 */
export class AdaptorSession {
  /** The session values, with `R` the adaptor-offset final nonce. */
  readonly values: SessionValues;
  readonly #pubkeys: readonly Uint8Array[];
  readonly #msg: Uint8Array;
  readonly #adaptor: Uint8Array;

  /** @throws what {@link adaptorSessionValues} throws. */
  constructor(ctx: AdaptorSessionContext, options?: SessionOptions) {
    assertObject(ctx, 'ctx');
    assertBytes(ctx.msg, 'ctx.msg');
    assertBytes(ctx.aggnonce, 'ctx.aggnonce', 66);
    assertBytes(ctx.adaptor, 'ctx.adaptor', 33);
    if (!Array.isArray(ctx.pubkeys))
      throw new InvalidArgumentError('ctx.pubkeys', `expected an array, got ${describe(ctx.pubkeys)}`);
    const copy: AdaptorSessionContext = {
      aggnonce: Uint8Array.from(ctx.aggnonce),
      pubkeys: ctx.pubkeys.map((pk, i) => {
        assertBytes(pk, `ctx.pubkeys[${i}]`, 33);
        return Uint8Array.from(pk);
      }),
      msg: Uint8Array.from(ctx.msg),
      adaptor: Uint8Array.from(ctx.adaptor),
    };
    if (ctx.tweaks !== undefined) {
      if (!Array.isArray(ctx.tweaks))
        throw new InvalidArgumentError('ctx.tweaks', `expected an array, got ${describe(ctx.tweaks)}`);
      copy.tweaks = ctx.tweaks.map((t, i) => {
        assertBytes(t, `ctx.tweaks[${i}]`, 32);
        return Uint8Array.from(t);
      });
    }
    if (ctx.isXonly !== undefined) {
      if (!Array.isArray(ctx.isXonly))
        throw new InvalidArgumentError('ctx.isXonly', `expected an array, got ${describe(ctx.isXonly)}`);
      copy.isXonly = [...ctx.isXonly];
    }
    this.values = adaptorSessionValues(copy, options);
    this.#pubkeys = copy.pubkeys;
    this.#msg = copy.msg;
    this.#adaptor = copy.adaptor;
  }

  /** Number of signers. */
  get size(): number {
    return this.#pubkeys.length;
  }

  /** The 32-byte x-only (tweaked) aggregate key the completed signature verifies under. */
  get xonlyPubkey(): Uint8Array {
    return xbytes(this.values.Q);
  }

  /** A copy of the 33-byte adaptor point T. */
  get adaptor(): Uint8Array {
    return Uint8Array.from(this.#adaptor);
  }

  /** A copy of the message. */
  get msg(): Uint8Array {
    return Uint8Array.from(this.#msg);
  }

  /** True when the final nonce R = R' + T has odd y (then adapting subtracts t; BIP327 negates nonces). */
  get nonceParity(): boolean {
    return !hasEvenY(this.values.R);
  }

  /**
   * The signer's 32-byte partial pre-signature: BIP327 `Sign` with the adaptor-offset nonce. Consumes
   * `secnonce` (even when it fails), and verifies the result before returning it.
   *
   * @throws musig2's `NonceReuseError` if `secnonce` was used before; `ValueError` for a secret key that
   *   is not the nonce's or not in the session, or a failed self-check.
   */
  sign(secnonce: SecretNonce, sk: Uint8Array): Uint8Array {
    return signWithValues(secnonce, sk, this.values, { verify: true });
  }

  /**
   * Verifies signer `i`'s partial pre-signature against its public nonce. Returns false for a
   * well-formed partial signature that does not verify.
   *
   * @throws musig2's `InvalidContributionError { signer: i, contrib: 'pubnonce' }` for an undecodable nonce.
   */
  partialSigVerify(psig: Uint8Array, pubnonce: Uint8Array, i: number): boolean {
    if (!Number.isInteger(i) || i < 0 || i >= this.#pubkeys.length)
      throw new InvalidArgumentError(
        'i',
        `expected a signer index in [0, ${this.#pubkeys.length}), got ${describe(i)}`,
      );
    return partialSigVerifyInternal(psig, pubnonce, this.#pubkeys[i] as Uint8Array, this.values, i);
  }

  /**
   * Aggregates partial pre-signatures into the 65-byte pre-signature `cbytes(R) || bytes(s')`, with
   * `s' = Σ s_i + e⋅g⋅tacc` (BIP327 `PartialSigAgg`). It does not verify the result (see
   * {@link aggregateVerified}).
   *
   * @throws musig2's `InvalidContributionError { signer: i, contrib: 'psig' }` if `psigs[i]` ≥ n.
   */
  partialSigAgg(psigs: readonly Uint8Array[]): Uint8Array {
    this.#assertOnePerSigner(psigs, 'psigs', 32);
    const sig = partialSigAggWithValues(psigs, this.values);
    return concatBytes(cbytes(this.values.R), sig.subarray(32, 64));
  }

  /** True if `presig` is a valid pre-signature of this session's message, key and adaptor point. */
  presigVerify(presig: Uint8Array): boolean {
    return presigVerify({ msg: this.#msg, adaptor: this.#adaptor, pubkey: this.xonlyPubkey, presig });
  }

  /**
   * The aggregator's fast path: aggregates and verifies only the pre-signature; only if that fails
   * does it verify each partial pre-signature to blame the first faulty signer (informational, as in
   * BIP327: restart with fresh nonces).
   *
   * @throws musig2's `InvalidContributionError { signer, contrib: 'psig' }` naming the first faulty
   *   signer (or `'pubnonce'` if its nonce does not decode).
   * @throws {InvalidArgumentError} if every partial verifies but the aggregate does not (the public
   *   nonces given do not aggregate to this session's aggregate nonce).
   */
  aggregateVerified(psigs: readonly Uint8Array[], pubnonces: readonly Uint8Array[]): Uint8Array {
    this.#assertOnePerSigner(psigs, 'psigs', 32);
    this.#assertOnePerSigner(pubnonces, 'pubnonces', 66);
    const presig = this.partialSigAgg(psigs);
    if (this.presigVerify(presig)) return presig;
    for (let i = 0; i < psigs.length; i++)
      if (!this.partialSigVerify(psigs[i] as Uint8Array, pubnonces[i] as Uint8Array, i))
        throw new InvalidContributionError(i, 'psig');
    throw new InvalidArgumentError(
      'pubnonces',
      "every partial pre-signature verifies but the aggregate does not: the public nonces do not match the session's aggregate nonce",
    );
  }

  #assertOnePerSigner(list: readonly Uint8Array[], name: string, len: number): void {
    if (!Array.isArray(list))
      throw new InvalidArgumentError(name, `expected an array, got ${describe(list)}`);
    if (list.length !== this.#pubkeys.length)
      throw new InvalidArgumentError(
        name,
        `expected one per signer (${this.#pubkeys.length}), got ${list.length}`,
      );
    list.forEach((x, i) => {
      assertBytes(x, `${name}[${i}]`, len);
    });
  }
}
