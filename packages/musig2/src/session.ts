/**
 * BIP327 signing: the session context, `GetSessionValues`, `GetSessionKeyAggCoeff`, `Sign`,
 * `PartialSigVerify`, `PartialSigVerifyInternal` and `PartialSigAgg`, plus {@link Session}, which
 * computes the session values once and adds the aggregator's fast path: verify only the final BIP340
 * signature and verify partial signatures one by one only to blame a signer.
 *
 * The key-aggregation context of a session comes from a {@link KeyAggCache} (the shared default unless
 * told otherwise), so sessions over the same signer set never aggregate the keys twice.
 *
 * @see https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#signing
 */
import { equalBytesConstantTime } from '@superscalar/core';
import {
  assertBytes,
  assertBytesArray,
  assertIndex,
  assertObject,
  assertTweaks,
  describe,
} from './_assert.js';
import { taggedScalar } from './_hash.js';
import { InfiniteNonceError, InvalidArgumentError, InvalidContributionError, ValueError } from './errors.js';
import { applyTweaks, type KeyAggContext, keyAgg, msm } from './keyAgg.js';
import { defaultKeyAggCache, KeyAggCache } from './keyAggCache.js';
import { decodePubnonce, nonceAgg } from './nonceAgg.js';
import {
  bytesToInt,
  cbytes,
  G,
  hasEvenY,
  modN,
  mulAddG,
  mulG,
  mulPublic,
  n,
  type Point,
  pointFromCompressed,
  pointFromCompressedExt,
  scalarToBytes,
  xbytes,
} from './point.js';
import { consumeSecretNonce, type NonceMaterial, type SecretNonce } from './secretNonce.js';

/**
 * BIP327 session context: `(aggnonce, pk_1..u, v, tweak_1..v, is_xonly_t_1..v, m)`. `tweaks` and
 * `isXonly` are parallel arrays (default empty). Keys are used in the order given.
 */
export interface SessionContext {
  /** The 66-byte aggregate nonce (`NonceAgg` of every signer's public nonce). */
  aggnonce: Uint8Array;
  /** The 33-byte individual public keys, in aggregation order. */
  pubkeys: readonly Uint8Array[];
  /** 32-byte tweaks applied to the aggregate key, in order. */
  tweaks?: readonly Uint8Array[];
  /** `isXonly[j]` is true if `tweaks[j]` is an x-only (taproot) tweak. */
  isXonly?: readonly boolean[];
  /** The message (any length; a BIP341 sighash is 32 bytes). */
  msg: Uint8Array;
}

/** BIP327 `GetSessionValues` output, with the (tweaked) key-aggregation context it came from. */
export interface SessionValues {
  /** The tweaked key-aggregation context (its `Q`, `gacc`, `tacc` are repeated below). */
  readonly keyAgg: KeyAggContext;
  readonly Q: Point;
  readonly gacc: bigint;
  readonly tacc: bigint;
  /** Nonce coefficient `b = int(hash_MuSig/noncecoef(aggnonce || xbytes(Q) || m)) mod n`. */
  readonly b: bigint;
  /** Final nonce `R = R'_1 + b⋅R'_2`, or G if that is infinity. */
  readonly R: Point;
  /** Challenge `e = int(hash_BIP0340/challenge(xbytes(R) || xbytes(Q) || m)) mod n`. */
  readonly e: bigint;
}

/** Options of functions that build session values. */
export interface SessionOptions {
  /** Where key-aggregation contexts are cached; `false` aggregates afresh. Default: the shared cache. */
  cache?: KeyAggCache | false;
}

/** Options of {@link sign}. */
export interface SignOptions extends SessionOptions {
  /**
   * Verify the partial signature before returning it (BIP327's optional self-check, which guards
   * against faults). Default `true`.
   */
  verify?: boolean;
}

function assertSessionContext(ctx: SessionContext, name: string): void {
  assertObject(ctx, name);
  assertBytes(ctx.aggnonce, `${name}.aggnonce`, 66);
  assertBytesArray(ctx.pubkeys, `${name}.pubkeys`, 33, 1);
  assertTweaks(ctx.tweaks ?? [], ctx.isXonly ?? [], `${name}.tweaks`);
  assertBytes(ctx.msg, `${name}.msg`);
}

const NO_MEMO = { memo: false } as const;

function keyAggFor(
  pubkeys: readonly Uint8Array[],
  tweaks: readonly Uint8Array[],
  isXonly: readonly boolean[],
  options: SessionOptions | undefined,
): KeyAggContext {
  const cache = options?.cache === undefined ? defaultKeyAggCache : options.cache;
  // `cache: false` means afresh: no shared state at all, the process-wide memo included.
  if (cache === false) return applyTweaks(keyAgg(pubkeys, NO_MEMO), tweaks, isXonly, NO_MEMO);
  if (!(cache instanceof KeyAggCache))
    throw new InvalidArgumentError(
      'options.cache',
      `expected a KeyAggCache or false, got ${describe(cache)}`,
    );
  return cache.get(pubkeys, tweaks, isXonly);
}

/** Computes `b`, `R` and `e` for a key context, aggregate nonce and message. */
export function sessionValuesFor(
  keyCtx: KeyAggContext,
  aggnonce: Uint8Array,
  msg: Uint8Array,
): SessionValues {
  // "Let R'_1 = cpoint_ext(aggnonce[0:33]), R'_2 = cpoint_ext(aggnonce[33:66]); fail if that fails
  //  and blame nobody"
  let R1: Point;
  let R2: Point;
  try {
    R1 = pointFromCompressedExt(aggnonce.subarray(0, 33));
    R2 = pointFromCompressedExt(aggnonce.subarray(33, 66));
  } catch (cause) {
    throw new InvalidContributionError(null, 'aggnonce', { cause });
  }
  return sessionValuesFromPoints(keyCtx, aggnonce, R1, R2, msg);
}

/**
 * @internal {@link sessionValuesFor} when the caller already holds the aggregate nonce's two points
 * (`aggnonce` must be their `cbytes_ext` encoding: the caller encoded them), saving two square roots.
 */
export function sessionValuesFromPoints(
  keyCtx: KeyAggContext,
  aggnonce: Uint8Array,
  R1: Point,
  R2: Point,
  msg: Uint8Array,
): SessionValues {
  const { Q, gacc, tacc } = keyCtx;
  const xQ = xbytes(Q);
  // "Let b = int(hash_MuSig/noncecoef(aggnonce || xbytes(Q) || m)) mod n"
  const b = taggedScalar('MuSig/noncecoef', aggnonce, xQ, msg);
  // "Let R' = R'_1 + b⋅R'_2"; "If is_infinite(R'): Let final nonce R = G"
  const Rp = msm([R1, R2], [1n, b]);
  const R = Rp.is0() ? G : Rp;
  // "Let e = int(hash_BIP0340/challenge(xbytes(R) || xbytes(Q) || m)) mod n"
  const e = taggedScalar('BIP0340/challenge', xbytes(R), xQ, msg);
  return Object.freeze({ keyAgg: keyCtx, Q, gacc, tacc, b, R, e });
}

/**
 * BIP327 `GetSessionValues(session_ctx)` → `(Q, gacc, tacc, b, R, e)` (plus the key context).
 *
 * @throws InvalidContributionError `{ signer: i, contrib: 'pubkey' }` for an undecodable key;
 *   `{ signer: null, contrib: 'aggnonce' }` for an undecodable aggregate nonce.
 * @throws ValueError for an invalid tweak.
 */
export function getSessionValues(ctx: SessionContext, options?: SessionOptions): SessionValues {
  assertSessionContext(ctx, 'ctx');
  const keyCtx = keyAggFor(ctx.pubkeys, ctx.tweaks ?? [], ctx.isXonly ?? [], options);
  return sessionValuesFor(keyCtx, ctx.aggnonce, ctx.msg);
}

/**
 * BIP327 `GetSessionKeyAggCoeff(session_ctx, P)`: the key-aggregation coefficient of `P`.
 * @throws ValueError if `cbytes(P)` is not one of the session's keys.
 */
export function getSessionKeyAggCoeff(values: SessionValues, P: Point): bigint {
  return values.keyAgg.keyAggCoeff(cbytes(P));
}

/**
 * BIP327 `Sign` over precomputed session values (`R` and `e` may be adjusted by a caller building on
 * MuSig2, e.g. an adaptor session offsetting R by T). Consumes `secnonce`.
 *
 * @throws NonceReuseError if `secnonce` was used before.
 * @throws ValueError for an out-of-range secret nonce or secret key, a secret key that is not the
 *   nonce's, a key not in the session, or a failed self-verification.
 */
export function signWithValues(
  secnonce: SecretNonce,
  sk: Uint8Array,
  values: SessionValues,
  options?: { verify?: boolean },
): Uint8Array {
  const m = consumeSecretNonce(secnonce);
  assertBytes(sk, 'sk', 32);
  return signMaterial(m, sk, values, options?.verify !== false);
}

/**
 * @internal `Sign` on consumed nonce material. `P` may be passed when the caller has just computed
 * `d'⋅G` from the same `sk` (DeterministicSign), saving one base multiplication.
 */
export function signMaterial(
  m: NonceMaterial,
  sk: Uint8Array,
  values: SessionValues,
  verify: boolean,
  knownP?: Point,
): Uint8Array {
  const { Q, gacc, b, R, e } = values;
  // "Let k'_1 = int(secnonce[0:32]), k'_2 = int(secnonce[32:64]); fail if k'_i = 0 or k'_i ≥ n"
  if (m.k1 === 0n || m.k1 >= n) throw new ValueError('first secnonce value is out of range.');
  if (m.k2 === 0n || m.k2 >= n) throw new ValueError('second secnonce value is out of range.');
  // "Let k_i = k'_i if has_even_y(R), otherwise n - k'_i"
  const evenR = hasEvenY(R);
  const k1 = evenR ? m.k1 : n - m.k1;
  const k2 = evenR ? m.k2 : n - m.k2;
  // "Let d' = int(sk); fail if d' = 0 or d' ≥ n"
  const dp = bytesToInt(sk);
  if (dp === 0n || dp >= n) throw new ValueError('secret key value is out of range.');
  // "Let P = d'⋅G"; "Let pk = cbytes(P)"; "Fail if pk ≠ secnonce[64:97]"
  // "Let a = GetSessionKeyAggCoeff(session_ctx, P); fail if that fails"
  // With self-verification on, d'⋅G is not computed up front: the key P listed in the session for the
  // nonce's pk is used, and the self-check s⋅G = Re* + e⋅a⋅g'⋅P fails unless d' is P's secret key;
  // only then is d'⋅G computed, to report which check failed. Same outcome, one base multiplication
  // fewer per signature.
  const listed = verify && knownP === undefined ? values.keyAgg.pointOf(m.pk) : undefined;
  const P = knownP ?? listed ?? mulG(dp);
  const pk = listed === undefined ? cbytes(P) : m.pk;
  if (!equalBytesConstantTime(pk, m.pk)) throw new ValueError('Public key does not match nonce_gen argument');
  const a = values.keyAgg.keyAggCoeff(pk);
  // "Let g = 1 if has_even_y(Q), otherwise g = -1 mod n"; "Let d = g⋅gacc⋅d' mod n"
  const negQ = !hasEvenY(Q);
  const d = modN((negQ ? -gacc : gacc) * dp);
  // "Let s = (k_1 + b⋅k_2 + e⋅a⋅d) mod n"
  const s = modN(k1 + b * k2 + modN(e * a) * d);
  const psig = scalarToBytes(s);
  if (verify) {
    // "If PartialSigVerifyInternal(psig, pubnonce, pk, session_ctx) (see below) returns failure, fail"
    const R1 = m.R1 ?? mulG(m.k1);
    const R2 = m.R2 ?? mulG(m.k2);
    if (!verifyPartialPoints(s, R1, R2, P, a, values)) {
      if (listed !== undefined && !equalBytesConstantTime(cbytes(mulG(dp)), m.pk))
        throw new ValueError('Public key does not match nonce_gen argument');
      throw new ValueError('Partial signature does not verify (possible fault): discard this session');
    }
  }
  return psig;
}

/**
 * The equation of `PartialSigVerifyInternal` on decoded inputs: `s⋅G = Re* + e⋅a⋅g'⋅P`, with
 * `Re* = ±(R*_1 + b⋅R*_2)` by the parity of R and `g' = g⋅gacc`.
 */
export function verifyPartialPoints(
  s: bigint,
  R1: Point,
  R2: Point,
  P: Point,
  a: bigint,
  values: SessionValues,
): boolean {
  const { Q, gacc, b, R, e } = values;
  if (s >= n) return false;
  const evenR = hasEvenY(R);
  const gp = hasEvenY(Q) ? gacc : modN(-gacc);
  const c = modN(modN(e * a) * gp);
  // s⋅G == sign⋅(R1 + b⋅R2) + c⋅P, computed as sign⋅R1 + [(sign⋅b)⋅R2 + c⋅P] (one Straus pass).
  const bb = evenR ? b : modN(-b);
  const rhs = msm([evenR ? R1 : R1.negate(), R2, P], [1n, bb, c]);
  const lhs = mulAddG(G, 0n, s);
  return lhs.equals(rhs);
}

/**
 * BIP327 `PartialSigVerifyInternal(psig, pubnonce, pk, session_ctx)` over session values: returns
 * false for a partial signature that does not verify (including one ≥ n).
 *
 * @throws InvalidContributionError `{ signer, contrib: 'pubnonce' | 'pubkey' }` (with `signer` as
 *   given, default `null`) if the public nonce or key does not decode.
 * @throws ValueError if `pk` is not one of the session's keys.
 */
export function partialSigVerifyInternal(
  psig: Uint8Array,
  pubnonce: Uint8Array,
  pk: Uint8Array,
  values: SessionValues,
  signer: number | null = null,
): boolean {
  assertBytes(psig, 'psig', 32);
  assertBytes(pubnonce, 'pubnonce', 66);
  assertBytes(pk, 'pk', 33);
  const s = bytesToInt(psig);
  if (s >= n) return false;
  const [R1, R2] = decodePubnonce(pubnonce, signer);
  let P: Point;
  try {
    P = pointFromCompressed(pk);
  } catch (cause) {
    throw new InvalidContributionError(signer, 'pubkey', { cause });
  }
  return verifyPartialPoints(s, R1, R2, P, values.keyAgg.keyAggCoeff(pk), values);
}

/** Inputs of {@link partialSigVerify} (BIP327 `PartialSigVerify`). */
export interface PartialSigVerifyOptions extends SessionOptions {
  /** The 32-byte partial signature of signer `i`. */
  psig: Uint8Array;
  /** Every signer's 66-byte public nonce, in signer order. */
  pubnonces: readonly Uint8Array[];
  /** Every signer's 33-byte public key, in signer order (= aggregation order). */
  pubkeys: readonly Uint8Array[];
  tweaks?: readonly Uint8Array[];
  isXonly?: readonly boolean[];
  msg: Uint8Array;
  /** Index of the signer whose partial signature is checked. */
  i: number;
}

/**
 * BIP327 `PartialSigVerify(psig, pubnonce_1..u, pk_1..u, tweak_1..v, is_xonly_t_1..v, m, i)`.
 * Returns false for a well-formed partial signature that does not verify.
 *
 * @throws InvalidContributionError `{ signer, contrib: 'pubnonce' }` / `{ signer, contrib: 'pubkey' }`
 *   naming the participant whose nonce or key does not decode.
 */
export function partialSigVerify(options: PartialSigVerifyOptions): boolean {
  assertObject(options, 'options');
  const { psig, pubnonces, pubkeys, tweaks = [], isXonly = [], msg, i } = options;
  assertBytes(psig, 'options.psig', 32);
  assertBytesArray(pubnonces, 'options.pubnonces', 66, 1);
  assertBytesArray(pubkeys, 'options.pubkeys', 33, 1);
  if (pubnonces.length !== pubkeys.length)
    throw new InvalidArgumentError('options.pubnonces', 'expected one public nonce per public key');
  assertIndex(i, 'options.i', pubkeys.length);
  // "Let aggnonce = NonceAgg(pubnonce_1..u); fail if that fails"
  const aggnonce = nonceAgg(pubnonces);
  // "Let session_ctx = SessionContext(aggnonce, pk_1..u, v, tweak_1..v, is_xonly_t_1..v, m)"
  const values = getSessionValues({ aggnonce, pubkeys, tweaks, isXonly, msg }, options);
  // "Return PartialSigVerifyInternal(psig, pubnonce_i, pk_i, session_ctx)"
  return partialSigVerifyInternal(psig, pubnonces[i] as Uint8Array, pubkeys[i] as Uint8Array, values, i);
}

/**
 * BIP327 `PartialSigAgg(psig_1..u, session_ctx)` over session values: the 64-byte BIP340 signature
 * `xbytes(R) || bytes(32, Σ s_i + e⋅g⋅tacc)`. It does not verify the result (see
 * {@link Session.aggregateVerified}).
 *
 * @throws InvalidContributionError `{ signer: i, contrib: 'psig' }` if `psigs[i]` is ≥ n.
 */
export function partialSigAggWithValues(psigs: readonly Uint8Array[], values: SessionValues): Uint8Array {
  assertBytesArray(psigs, 'psigs', 32, 1);
  let s = 0n;
  for (let i = 0; i < psigs.length; i++) {
    // "Let s_i = int(psig_i); fail if s_i ≥ n and blame signer i"
    const si = bytesToInt(psigs[i] as Uint8Array);
    if (si >= n) throw new InvalidContributionError(i, 'psig');
    s += si;
  }
  // "Let g = 1 if has_even_y(Q), otherwise g = -1 mod n"; "Let s = s_1 + ... + s_u + e⋅g⋅tacc mod n"
  const g = hasEvenY(values.Q) ? 1n : n - 1n;
  s = modN(s + modN(values.e * g) * values.tacc);
  const sig = new Uint8Array(64);
  sig.set(xbytes(values.R), 0);
  sig.set(scalarToBytes(s), 32);
  return sig;
}

/**
 * Verifies a BIP340 signature on `values`' message against the session's aggregate key without
 * decoding the key or nonce (they are already points): `s⋅G − e⋅Q_even` must have even y and the
 * x coordinate of the signature's R.
 */
export function verifyAggregate(sig: Uint8Array, values: SessionValues): boolean {
  assertBytes(sig, 'sig', 64);
  const s = bytesToInt(sig.subarray(32, 64));
  if (s >= n) return false;
  if (!equalBytesConstantTime(sig.subarray(0, 32), xbytes(values.R))) return false;
  const Qe = hasEvenY(values.Q) ? values.Q : values.Q.negate();
  const negE = modN(-values.e);
  const Rc = mulAddG(Qe, negE, s);
  if (Rc.is0() || !hasEvenY(Rc)) return false;
  return Rc.equals(hasEvenY(values.R) ? values.R : values.R.negate());
}

// Not exported from the package: lets this package's own DeterministicSign hand back the session it
// computed instead of having the caller compute the same values again.
const PRESET_VALUES = Symbol('presetSessionValues');

/**
 * @internal A {@link Session} over `ctx` whose values were computed by this package from the same
 * context (`sessionValuesFromPoints`); not exported from the package entry point.
 */
export function sessionWithValues(ctx: SessionContext, values: SessionValues): Session {
  return new Session(ctx, { [PRESET_VALUES]: values } as SessionOptions);
}

/**
 * One signing session with its values computed once: the signer's and the aggregator's view of a
 * BIP327 session context. Copies the caller's bytes.
 */
export class Session {
  /** The session values (`Q`, `gacc`, `tacc`, `b`, `R`, `e` and the key context). */
  readonly values: SessionValues;
  readonly #pubkeys: readonly Uint8Array[];
  readonly #msg: Uint8Array;
  readonly #aggnonce: Uint8Array;

  /**
   * @throws what {@link getSessionValues} throws.
   */
  constructor(ctx: SessionContext, options?: SessionOptions) {
    assertSessionContext(ctx, 'ctx');
    this.#pubkeys = ctx.pubkeys.map((pk) => Uint8Array.from(pk));
    this.#msg = Uint8Array.from(ctx.msg);
    this.#aggnonce = Uint8Array.from(ctx.aggnonce);
    const preset = (options as { [PRESET_VALUES]?: SessionValues } | undefined)?.[PRESET_VALUES];
    if (preset !== undefined) {
      this.values = preset;
      return;
    }
    const keyCtx = keyAggFor(this.#pubkeys, ctx.tweaks ?? [], ctx.isXonly ?? [], options);
    this.values = sessionValuesFor(keyCtx, this.#aggnonce, this.#msg);
  }

  /** Number of signers. */
  get size(): number {
    return this.#pubkeys.length;
  }

  /** The 32-byte x-only (tweaked) aggregate key the final signature verifies under. */
  get xonlyPubkey(): Uint8Array {
    return xbytes(this.values.Q);
  }

  /** A copy of the message. */
  get msg(): Uint8Array {
    return Uint8Array.from(this.#msg);
  }

  /** BIP327 `Sign(secnonce, sk, session_ctx)`. Consumes `secnonce`. See {@link signWithValues}. */
  sign(secnonce: SecretNonce, sk: Uint8Array, options?: { verify?: boolean }): Uint8Array {
    return signWithValues(secnonce, sk, this.values, options);
  }

  /**
   * `PartialSigVerifyInternal` for signer `i` of this session (the aggregate nonce is this session's).
   * Returns false for a partial signature that does not verify.
   * @throws InvalidContributionError `{ signer: i, contrib: 'pubnonce' }` for an undecodable nonce.
   */
  partialSigVerify(psig: Uint8Array, pubnonce: Uint8Array, i: number): boolean {
    assertIndex(i, 'i', this.#pubkeys.length);
    return partialSigVerifyInternal(psig, pubnonce, this.#pubkeys[i] as Uint8Array, this.values, i);
  }

  /** BIP327 `PartialSigAgg`: the 64-byte signature, unverified. See {@link partialSigAggWithValues}. */
  partialSigAgg(psigs: readonly Uint8Array[]): Uint8Array {
    this.#assertOnePerSigner(psigs, 'psigs');
    return partialSigAggWithValues(psigs, this.values);
  }

  /** True if `sig` is a valid BIP340 signature of this session's message under its aggregate key. */
  verify(sig: Uint8Array): boolean {
    return verifyAggregate(sig, this.values);
  }

  /**
   * The aggregator's fast path: aggregates the partial signatures and verifies only the final BIP340
   * signature. Only if that fails does it verify each partial signature, to blame the first faulty
   * signer (BIP327 notes an aggregator cannot always attribute faults correctly; treat the blame as
   * informational and restart the session with fresh nonces).
   *
   * @param pubnonces - every signer's public nonce (used only to blame).
   * @throws InvalidContributionError `{ signer: i, contrib: 'psig' }` naming the first faulty signer
   *   (or `'pubnonce'` if its nonce does not decode).
   * @throws InfiniteNonceError if every partial signature verifies but the session's aggregate nonce
   *   `R'_1 + b⋅R'_2` is infinity (the nonces were chosen to cancel; nobody can be blamed).
   * @throws ValueError if every partial signature verifies but the aggregate does not otherwise (the
   *   public nonces do not aggregate to this session's aggregate nonce).
   */
  aggregateVerified(psigs: readonly Uint8Array[], pubnonces: readonly Uint8Array[]): Uint8Array {
    this.#assertOnePerSigner(psigs, 'psigs');
    this.#assertOnePerSigner(pubnonces, 'pubnonces', 66);
    const sig = partialSigAggWithValues(psigs, this.values);
    if (verifyAggregate(sig, this.values)) return sig;
    const faulty = this.blame(psigs, pubnonces);
    if (faulty.length > 0) throw new InvalidContributionError(faulty[0] as number, 'psig');
    if (this.nonceIsInfinite) throw new InfiniteNonceError();
    throw new ValueError(
      'every partial signature verifies but the aggregate does not: the public nonces do not match the aggregate nonce',
    );
  }

  /** Indices of every signer whose partial signature does not verify (slow path: one check each). */
  blame(psigs: readonly Uint8Array[], pubnonces: readonly Uint8Array[]): number[] {
    this.#assertOnePerSigner(psigs, 'psigs');
    this.#assertOnePerSigner(pubnonces, 'pubnonces', 66);
    const out: number[] = [];
    for (let i = 0; i < psigs.length; i++)
      if (!this.partialSigVerify(psigs[i] as Uint8Array, pubnonces[i] as Uint8Array, i)) out.push(i);
    return out;
  }

  /**
   * True when the session's `R'_1 + b⋅R'_2` is the point at infinity: BIP327 then signs with the final
   * nonce `R = G`, after which no set of partial signatures can verify — the one cause of an aggregate
   * failure, with every partial signature valid, other than public nonces that are not this session's.
   * (Either half of the aggregate nonce alone may be infinity, 33 zero bytes: that signs normally.)
   */
  get nonceIsInfinite(): boolean {
    const R1 = pointFromCompressedExt(this.#aggnonce.subarray(0, 33));
    const R2 = pointFromCompressedExt(this.#aggnonce.subarray(33, 66));
    return R1.add(mulPublic(R2, this.values.b)).is0();
  }

  #assertOnePerSigner(list: readonly Uint8Array[], name: string, len = 32): void {
    assertBytesArray(list, name, len, 1);
    if (list.length !== this.#pubkeys.length)
      throw new InvalidArgumentError(
        name,
        `expected one per signer (${this.#pubkeys.length}), got ${list.length}`,
      );
  }
}

/**
 * A signer holding one secret key for many `Sign` calls (a client signing every transaction of its
 * tree path): the key's point `d'⋅G` is computed once here, so each signature skips that base
 * multiplication while BIP327's check that the key is the nonce's (`pk = secnonce[64:97]`) still
 * runs. Holds the secret key in memory for its lifetime; drop it when the session ends.
 */
export class Signer {
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

  /**
   * BIP327 `Sign(secnonce, sk, session_ctx)` with this signer's key in `session`, as
   * {@link Session.sign}. Consumes `secnonce`.
   */
  sign(secnonce: SecretNonce, session: Session, options?: { verify?: boolean }): Uint8Array {
    if (!(session instanceof Session)) throw new InvalidArgumentError('session', 'expected a Session');
    const m = consumeSecretNonce(secnonce);
    return signMaterial(m, this.#sk, session.values, options?.verify !== false, this.#P);
  }
}

/**
 * BIP327 `Sign(secnonce, sk, session_ctx)`: the signer's 32-byte partial signature. Consumes
 * `secnonce` even when it fails.
 */
export function sign(
  secnonce: SecretNonce,
  sk: Uint8Array,
  ctx: SessionContext | Session,
  options?: SignOptions,
): Uint8Array {
  const session = ctx instanceof Session ? ctx : sessionOrBurn(secnonce, ctx, options);
  return session.sign(secnonce, sk, options);
}

// A failure building the session still consumes the nonce (as BIP327's reference, which clears the
// secnonce before anything else): a nonce that was offered to a failed session is never reused.
function sessionOrBurn(secnonce: SecretNonce, ctx: SessionContext, options?: SessionOptions): Session {
  try {
    return new Session(ctx, options);
  } catch (err) {
    try {
      consumeSecretNonce(secnonce);
    } catch {
      // already used, or not a SecretNonce: the original error is the one to report
    }
    throw err;
  }
}

/** BIP327 `PartialSigAgg(psig_1..u, session_ctx)`: the 64-byte BIP340 signature. */
export function partialSigAgg(
  psigs: readonly Uint8Array[],
  ctx: SessionContext | Session,
  options?: SessionOptions,
): Uint8Array {
  const session = ctx instanceof Session ? ctx : new Session(ctx, options);
  return session.partialSigAgg(psigs);
}
