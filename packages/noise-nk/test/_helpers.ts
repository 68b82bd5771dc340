// Shared test helpers (not part of the package).

import { fromHex, type Rng } from '@superscalar/core';
import { type Aead, nobleAead } from '../src/aead.js';
import { nodeAead } from '../src/node/aead.js';

export { toHex } from '@superscalar/core';
export const hex = (s: string): Uint8Array => fromHex(s);
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Both AEAD backends: every vector test runs once per backend. */
export const BACKENDS: readonly [string, Aead][] = [
  ['node:crypto', nodeAead],
  ['@noble/ciphers', nobleAead],
];

/** An rng that hands out the given byte strings in order, then fails the test. */
export function queuedRng(...keys: Uint8Array[]): Rng {
  const q = [...keys];
  return (n) => {
    const k = q.shift();
    if (k === undefined || k.length !== n) throw new Error(`test rng exhausted or wrong size (${n})`);
    return k;
  };
}

export { FakeTimers, MemoryChannel, memoryChannelPair as memoryPair } from '../src/testing/index.js';

/** A deterministic secp256k1 key for tests. */
export const key = (b: number): Uint8Array => new Uint8Array(32).fill(b);

/** Fast byte equality (vitest's deep equality is slow on 64 KiB arrays). */
export function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}
