// Seeded randomness for the harness: a SHA-256 counter stream per label, so every run with the same
// seed is the same run (machines' nonces, the scheduler's choices, fault injection).
import { sha256 } from '@noble/hashes/sha2.js';
import type { Rng } from '@superscalar/core';

const enc = new TextEncoder();

/** A deterministic byte stream for `label` (never reuse a label for two streams that must differ). */
export function seededRng(label: string): Rng {
  const key = sha256(enc.encode(label));
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n: number) => {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      if (pool.length === 0) {
        const block = new Uint8Array(40);
        block.set(key, 0);
        new DataView(block.buffer).setFloat64(32, counter++);
        pool = sha256(block);
      }
      const take = Math.min(pool.length, n - at);
      out.set(pool.subarray(0, take), at);
      pool = pool.subarray(take);
      at += take;
    }
    return out;
  };
}

/** A deterministic 32-byte seed for `label`. */
export function seedOf(label: string): Uint8Array {
  return sha256(enc.encode(`seed:${label}`));
}

function u32(rng: Rng): number {
  const b = rng(4);
  return (
    ((b[0] as number) * 2 ** 24 + ((b[1] as number) << 16) + ((b[2] as number) << 8) + (b[3] as number)) >>> 0
  );
}

/** An integer in [0, n) from `rng`. */
export function pick(rng: Rng, n: number): number {
  return u32(rng) % n;
}

/** True with probability `p`. */
export function chance(rng: Rng, p: number): boolean {
  return p > 0 && u32(rng) / 2 ** 32 < p;
}
