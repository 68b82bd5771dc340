// Internal: small content-addressed LRU caches for public, deterministic computations (point
// decoding, per-commitment keys, channel outputs). Keys are the inputs' bytes, so a cache hit is
// always the value the computation would return; values are frozen or treated as immutable.

import { toHex } from '@superscalar/core';

export class Lru<V> {
  readonly #map = new Map<string, V>();
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  get(key: string, compute: () => V): V {
    const hit = this.#map.get(key);
    if (hit !== undefined) {
      // Refresh recency.
      this.#map.delete(key);
      this.#map.set(key, hit);
      return hit;
    }
    const v = compute();
    this.#map.set(key, v);
    if (this.#map.size > this.#limit) {
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
    }
    return v;
  }
}

export function hexKey(...parts: (Uint8Array | string | number)[]): string {
  let s = '';
  for (const p of parts) {
    if (p instanceof Uint8Array) s += toHex(p);
    else s += String(p);
    s += ':';
  }
  return s;
}
