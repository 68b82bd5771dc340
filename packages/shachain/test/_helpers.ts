// Test helpers: build stores at any depth directly from a seed, without 2^48 inserts.
import { generateFromSeed } from '../src/index.js';

export const MAX = 2 ** 48 - 1;

/** Index with exactly `p` trailing zeros most recently received when `lowest` was the last insert. */
function heldIndex(p: number, lowest: bigint): bigint | undefined {
  if (p === 48) return lowest === 0n ? 0n : undefined;
  const step = 1n << BigInt(p);
  let k = (lowest + step - 1n) / step;
  if (k % 2n === 0n) k += 1n;
  const index = k * step;
  return index <= BigInt(MAX) ? index : undefined;
}

/** The version-1 encoding of a store that has received `received` secrets generated from `seed`. */
export function encodedStoreAt(seed: Uint8Array, received: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(8);
  header[0] = 1;
  new DataView(header.buffer).setBigUint64(0, BigInt(received) | (1n << 56n));
  parts.push(header);
  if (received > 0) {
    const lowest = 2n ** 48n - BigInt(received);
    for (let p = 0; p <= 48; p++) {
      const i = heldIndex(p, lowest);
      if (i !== undefined) parts.push(generateFromSeed(seed, Number(i)));
    }
  }
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of parts) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}
