/**
 * BIP327 key generation and aggregation: `KeyAgg`, `KeyAggCoeff`, `ApplyTweak`, `GetXonlyPubkey`,
 * `GetPlainPubkey`, plus a cache of key-aggregation contexts for tree signing.
 *
 * KeyAgg computes `Q = Σ a_i⋅P_i` as one multi-scalar multiplication on the active `@superscalar/secp`
 * backend (with @noble/curves: Straus for small sets, Pippenger for large ones; with libsecp256k1: one
 * multiplication per term in C and one combined sum); the coefficients are public, so variable-time
 * arithmetic is safe. The context also keeps every coefficient, so signing and verification never
 * re-hash the key list.
 *
 * Not done here: KeySort (see `keySort.ts`; KeyAgg aggregates in the order given, as the BIP says).
 *
 * @see https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#key-generation-and-aggregation
 */
import { equalBytes, toHex } from '@superscalar/core';
import { curve } from '@superscalar/secp';
import { assertBytes, assertBytesArray, assertTweaks } from './_assert.js';
import { taggedHash, taggedScalar } from './_hash.js';
import { InvalidArgumentError, InvalidContributionError, ValueError } from './errors.js';
import { bytesToInt, cbytes, hasEvenY, modN, n, type Point, pointFromCompressed, xbytes } from './point.js';

/**
 * Decoded public keys by their 33-byte encoding (public data). A tree aggregates each participant's
 * key into one set per level, so without this every occurrence paid a square root.
 */
const POINT_CACHE_MAX = 65_536;
const pointCache = new Map<string, Point>();

function decodeKeyCached(pk: Uint8Array, hex: string): Point {
  let P = pointCache.get(hex);
  if (P === undefined) {
    P = pointFromCompressed(pk);
    if (pointCache.size >= POINT_CACHE_MAX) pointCache.delete(pointCache.keys().next().value as string);
    pointCache.set(hex, P);
  }
  return P;
}

/**
 * Untweaked contexts by `HashKeys(pk_1..u)` (which KeyAgg computes anyway, and which commits to the
 * exact ordered list), least recently used first out, bounded by the total number of keys held.
 * `KeyAgg` is a pure function of the list and contexts are immutable, so a repeated aggregation of the
 * same list (a node's kickoff and state outputs, a channel output equal to its leaf's set, every
 * session over it) returns the same context instead of repeating the multi-scalar multiplication.
 */
const CONTEXT_CACHE_MAX_KEYS = 262_144;
const contextCache = new Map<string, KeyAggContext>();
let contextCacheKeys = 0;

/** Tweaked children of a cached context, by `tweak || isXonly`, so each tweak costs one `t⋅G` per process. */
const TWEAKS_PER_CONTEXT = 64;
const tweakCache = new WeakMap<KeyAggContext, Map<string, KeyAggContext>>();

/** The key list a context was built from, with its hash and every coefficient (shared by tweaked copies). */
interface KeySet {
  readonly pubkeys: readonly Uint8Array[];
  readonly points: readonly Point[];
  readonly coeffs: readonly bigint[];
  /** hex(pk) → coefficient, for `KeyAggCoeff` lookups by key. */
  readonly byKey: ReadonlyMap<string, bigint>;
  /** hex(pk) → decoded point. */
  readonly pointByKey: ReadonlyMap<string, Point>;
}

// Tweaked copies share their parent's key set (read through this accessor, set in the class body).
let keySetOf: (ctx: KeyAggContext) => KeySet;

/**
 * BIP327 `KeyAggContext`: the aggregate point `Q`, the accumulated sign `gacc` and the accumulated
 * tweak `tacc`, plus the key list it was aggregated from (needed for `KeyAggCoeff`). Immutable:
 * {@link applyTweak} returns a new context. Build one with {@link keyAgg}.
 */
export class KeyAggContext {
  /** The (possibly tweaked) aggregate public key Q. Never infinity. */
  readonly Q: Point;
  /** Accumulated sign, 1 or n − 1. */
  readonly gacc: bigint;
  /** Accumulated tweak, in [0, n). */
  readonly tacc: bigint;
  readonly #keys: KeySet;

  static {
    keySetOf = (ctx) => ctx.#keys;
  }

  /** @internal Use {@link keyAgg} and {@link applyTweak}. */
  constructor(Q: Point, gacc: bigint, tacc: bigint, keys: KeySet) {
    this.Q = Q;
    this.gacc = gacc;
    this.tacc = tacc;
    this.#keys = keys;
  }

  /** Number of individual keys. */
  get size(): number {
    return this.#keys.pubkeys.length;
  }

  /** Copies of the individual public keys, in aggregation order. */
  get pubkeys(): Uint8Array[] {
    return this.#keys.pubkeys.map((pk) => Uint8Array.from(pk));
  }

  /** The decoded individual public keys, in aggregation order. */
  get points(): readonly Point[] {
    return this.#keys.points;
  }

  /** The coefficient of the key at position `i` in aggregation order. */
  coeffAt(i: number): bigint {
    const a = this.#keys.coeffs[i];
    if (a === undefined) throw new ValueError(`no key at position ${i}`);
    return a;
  }

  /** The decoded point of `pk` if it is one of the keys, else `undefined`. */
  pointOf(pk: Uint8Array): Point | undefined {
    assertBytes(pk, 'pk', 33);
    return this.#keys.pointByKey.get(toHex(pk));
  }

  /**
   * BIP327 `KeyAggCoeff(pk_1..u, pk')` for this context's key list. Throws {@link ValueError} if `pk`
   * is not one of the keys (stricter than the BIP's KeyAggCoeff, matching `GetSessionKeyAggCoeff`).
   */
  keyAggCoeff(pk: Uint8Array): bigint {
    assertBytes(pk, 'pk', 33);
    const a = this.#keys.byKey.get(toHex(pk));
    if (a === undefined) throw new ValueError("The signer's pubkey must be included in the list of pubkeys.");
    return a;
  }
}

/** BIP327 `HashKeys(pk_1..u)` = `hash_KeyAgg list(pk_1 || ... || pk_u)`. */
export function hashKeys(pubkeys: readonly Uint8Array[]): Uint8Array {
  assertBytesArray(pubkeys, 'pubkeys', 33);
  return taggedHash('KeyAgg list', ...pubkeys);
}

/** BIP327 `GetSecondKey(pk_1..u)`: the first key different from `pk_1`, or 33 zero bytes. */
export function getSecondKey(pubkeys: readonly Uint8Array[]): Uint8Array {
  assertBytesArray(pubkeys, 'pubkeys', 33, 1);
  const first = pubkeys[0] as Uint8Array;
  for (let j = 1; j < pubkeys.length; j++) {
    const pk = pubkeys[j] as Uint8Array;
    if (!equalBytes(pk, first)) return Uint8Array.from(pk);
  }
  return new Uint8Array(33);
}

/**
 * BIP327 `KeyAggCoeff(pk_1..u, pk')`: 1 if `pk'` is the second distinct key, else
 * `int(hash_KeyAgg coefficient(L || pk')) mod n` with `L = HashKeys(pk_1..u)`.
 */
export function keyAggCoeff(pubkeys: readonly Uint8Array[], pk: Uint8Array): bigint {
  assertBytesArray(pubkeys, 'pubkeys', 33, 1);
  assertBytes(pk, 'pk', 33);
  return coeffInternal(hashKeys(pubkeys), getSecondKey(pubkeys), pk);
}

function coeffInternal(L: Uint8Array, pk2: Uint8Array, pk: Uint8Array): bigint {
  if (equalBytes(pk, pk2)) return 1n;
  return taggedScalar('KeyAgg coefficient', L, pk);
}

/** Options of {@link keyAgg}, {@link applyTweak} and {@link applyTweaks}. */
export interface MemoOptions {
  /**
   * Use (and fill) the process-wide memo of contexts, tweaked contexts and decoded keys. Default
   * `true`; `false` computes afresh (benchmarks, or a caller that wants no shared state).
   */
  memo?: boolean;
}

/**
 * BIP327 `KeyAgg(pk_1..u)`: aggregates 33-byte compressed public keys, in the order given, into a
 * {@link KeyAggContext} with `gacc = 1`, `tacc = 0`. Memoised by `HashKeys(pk_1..u)` unless
 * `options.memo` is false (the result is the same either way; contexts are immutable).
 *
 * @throws InvalidContributionError `{ signer: i, contrib: 'pubkey' }` if `pubkeys[i]` does not decode.
 * @throws ValueError if the aggregate is infinity (not reachable without a hash collision).
 */
export function keyAgg(pubkeys: readonly Uint8Array[], options?: MemoOptions): KeyAggContext {
  assertBytesArray(pubkeys, 'pubkeys', 33, 1);
  const useMemo = options?.memo !== false;
  const keys = pubkeys.map((pk) => Uint8Array.from(pk));
  const hexes = keys.map((pk) => toHex(pk));
  const points = keys.map((pk, i) => {
    try {
      return useMemo ? decodeKeyCached(pk, hexes[i] as string) : pointFromCompressed(pk);
    } catch (cause) {
      throw new InvalidContributionError(i, 'pubkey', { cause });
    }
  });
  const L = taggedHash('KeyAgg list', ...keys);
  const memoKey = toHex(L);
  const memo = useMemo ? contextCache.get(memoKey) : undefined;
  if (memo !== undefined) {
    contextCache.delete(memoKey);
    contextCache.set(memoKey, memo);
    return memo;
  }
  const pk2 = getSecondKey(keys);
  const byKey = new Map<string, bigint>();
  const pointByKey = new Map<string, Point>();
  const coeffs = keys.map((pk, i) => {
    const hex = hexes[i] as string;
    let a = byKey.get(hex);
    if (a === undefined) {
      a = coeffInternal(L, pk2, pk);
      byKey.set(hex, a);
      pointByKey.set(hex, points[i] as Point);
    }
    return a;
  });
  const Q = msm(points, coeffs);
  if (Q.is0()) throw new ValueError('The aggregate public key cannot be infinity.');
  const ctx = new KeyAggContext(Q, 1n, 0n, {
    pubkeys: Object.freeze(keys),
    points: Object.freeze(points),
    coeffs: Object.freeze(coeffs),
    byKey,
    pointByKey,
  });
  if (!useMemo) return ctx;
  contextCache.set(memoKey, ctx);
  contextCacheKeys += keys.length;
  while (contextCacheKeys > CONTEXT_CACHE_MAX_KEYS && contextCache.size > 1) {
    const oldest = contextCache.keys().next().value as string;
    contextCacheKeys -= (contextCache.get(oldest) as KeyAggContext).size;
    contextCache.delete(oldest);
  }
  return ctx;
}

/** `Σ scalars[i]⋅points[i]` for public inputs (scalars in [0, n)), on the active curve backend. */
export function msm(points: readonly Point[], scalars: readonly bigint[]): Point {
  return curve().msm(points, scalars);
}

/**
 * BIP327 `ApplyTweak(keygen_ctx, tweak, is_xonly_t)`: returns a new context tweaked by the 32-byte
 * `tweak`, as an x-only tweak (BIP341 taproot tweak) or a plain one.
 *
 * @throws ValueError `The tweak must be less than n.` or `The result of tweaking cannot be infinity.`
 */
export function applyTweak(
  ctx: KeyAggContext,
  tweak: Uint8Array,
  isXonly: boolean,
  options?: MemoOptions,
): KeyAggContext {
  if (!(ctx instanceof KeyAggContext))
    throw new InvalidArgumentError('ctx', 'expected a KeyAggContext from keyAgg()');
  assertBytes(tweak, 'tweak', 32);
  if (typeof isXonly !== 'boolean') throw new InvalidArgumentError('isXonly', 'expected a boolean');
  if (options?.memo === false) return applyTweakUncached(ctx, tweak, isXonly);
  const memoKey = `${toHex(tweak)}${isXonly ? 'x' : 'p'}`;
  let children = tweakCache.get(ctx);
  const memo = children?.get(memoKey);
  if (memo !== undefined) return memo;
  const tweaked = applyTweakUncached(ctx, tweak, isXonly);
  if (children === undefined) {
    children = new Map();
    tweakCache.set(ctx, children);
  }
  if (children.size >= TWEAKS_PER_CONTEXT) children.clear();
  children.set(memoKey, tweaked);
  return tweaked;
}

function applyTweakUncached(ctx: KeyAggContext, tweak: Uint8Array, isXonly: boolean): KeyAggContext {
  // "Let g = -1 mod n if is_xonly_t and not has_even_y(Q), otherwise let g = 1"
  const negate = isXonly && !hasEvenY(ctx.Q);
  // "Let t = int(tweak); fail if t ≥ n"
  const t = bytesToInt(tweak);
  if (t >= n) throw new ValueError('The tweak must be less than n.');
  // "Let Q' = g⋅Q + t⋅G; fail if is_infinite(Q')"
  const gQ = negate ? ctx.Q.negate() : ctx.Q;
  // The tweak is public (a hash of public keys and scripts): variable-time multiplication is safe.
  const Q = t === 0n ? gQ : curve().mulAddG(gQ, 1n, t);
  if (Q.is0()) throw new ValueError('The result of tweaking cannot be infinity.');
  // "Let gacc' = g⋅gacc mod n", "Let tacc' = t + g⋅tacc mod n"
  const gacc = negate ? modN(-ctx.gacc) : ctx.gacc;
  const tacc = modN(t + (negate ? -ctx.tacc : ctx.tacc));
  return new KeyAggContext(Q, gacc, tacc, keySetOf(ctx));
}

/** Applies `tweaks[i]` (x-only if `isXonly[i]`) in order. */
export function applyTweaks(
  ctx: KeyAggContext,
  tweaks: readonly Uint8Array[],
  isXonly: readonly boolean[],
  options?: MemoOptions,
): KeyAggContext {
  assertTweaks(tweaks, isXonly);
  let c = ctx;
  for (let i = 0; i < tweaks.length; i++)
    c = applyTweak(c, tweaks[i] as Uint8Array, isXonly[i] as boolean, options);
  return c;
}

/** BIP327 `GetXonlyPubkey(keygen_ctx)`: `xbytes(Q)`, the 32-byte BIP340 key. */
export function getXonlyPubkey(ctx: KeyAggContext): Uint8Array {
  return xbytes(ctx.Q);
}

/** BIP327 `GetPlainPubkey(keygen_ctx)`: `cbytes(Q)`, the 33-byte compressed key (for further plain tweaking). */
export function getPlainPubkey(ctx: KeyAggContext): Uint8Array {
  return cbytes(ctx.Q);
}
