/**
 * A bounded cache of tweaked key-aggregation contexts, keyed by the exact ordered key list and the
 * tweaks. Tree signing aggregates the same signer sets again and again (every node of a subtree, every
 * state of every DW layer, every re-signing after a failed round); with the cache, each set costs one
 * KeyAgg (one multi-scalar multiplication) per process, and every later session only hashes the key
 * list to find it.
 *
 * Keys are looked up by `SHA256(u || pk_1 || ... || pk_u || v || (tweak_j || is_xonly_j)...)`; the
 * cached context is immutable, so sharing it is safe. The order of keys matters (BIP327 KeyAgg is
 * order-dependent): sort with `keySort` first, as the project always does.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '@superscalar/core';
import { assertBytesArray, assertTweaks } from './_assert.js';
import { InvalidArgumentError } from './errors.js';
import { applyTweaks, type KeyAggContext, keyAgg } from './keyAgg.js';

/** Least-recently-used cache of {@link KeyAggContext}s (see the module comment). */
export class KeyAggCache {
  readonly #max: number;
  readonly #map = new Map<string, KeyAggContext>();
  #hits = 0;
  #misses = 0;

  /** @param maxEntries - how many contexts to keep (least recently used evicted first); default 1024. */
  constructor(maxEntries = 1024) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new InvalidArgumentError('maxEntries', 'expected a positive integer');
    this.#max = maxEntries;
  }

  /**
   * The context for `keyAgg(pubkeys)` tweaked by `tweaks` (x-only where `isXonly[j]`), computed on a
   * miss. Throws what {@link keyAgg} and `applyTweak` throw; failures are not cached.
   */
  get(
    pubkeys: readonly Uint8Array[],
    tweaks: readonly Uint8Array[] = [],
    isXonly: readonly boolean[] = [],
  ): KeyAggContext {
    assertBytesArray(pubkeys, 'pubkeys', 33, 1);
    assertTweaks(tweaks, isXonly);
    const key = cacheKey(pubkeys, tweaks, isXonly);
    const hit = this.#map.get(key);
    if (hit !== undefined) {
      this.#hits++;
      this.#map.delete(key);
      this.#map.set(key, hit);
      return hit;
    }
    this.#misses++;
    // Reuse the untweaked context when it is cached (a taproot tweak on a known signer set).
    const baseKey = tweaks.length > 0 ? cacheKey(pubkeys, [], []) : key;
    let ctx = this.#map.get(baseKey);
    if (ctx === undefined) {
      ctx = keyAgg(pubkeys);
      if (tweaks.length > 0) this.#put(baseKey, ctx);
    }
    ctx = applyTweaks(ctx, tweaks, isXonly);
    this.#put(key, ctx);
    return ctx;
  }

  /** Number of cached contexts. */
  get size(): number {
    return this.#map.size;
  }

  /** Lookups answered from the cache and lookups that computed a context, since creation or `clear()`. */
  get stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }

  /** Drops every cached context. */
  clear(): void {
    this.#map.clear();
    this.#hits = 0;
    this.#misses = 0;
  }

  #put(key: string, ctx: KeyAggContext): void {
    this.#map.set(key, ctx);
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
    }
  }
}

function cacheKey(
  pubkeys: readonly Uint8Array[],
  tweaks: readonly Uint8Array[],
  isXonly: readonly boolean[],
) {
  const h = sha256.create();
  const u = new Uint8Array(4);
  new DataView(u.buffer).setUint32(0, pubkeys.length);
  h.update(u);
  for (const pk of pubkeys) h.update(pk);
  new DataView(u.buffer).setUint32(0, tweaks.length);
  h.update(u);
  tweaks.forEach((t, j) => {
    h.update(t);
    h.update(Uint8Array.of(isXonly[j] ? 1 : 0));
  });
  return toHex(h.digest());
}

/** The cache used by sessions unless they are given another (or `cache: false`). 1024 contexts. */
export const defaultKeyAggCache: KeyAggCache = new KeyAggCache(1024);
