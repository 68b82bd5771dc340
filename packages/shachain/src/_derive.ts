// Bit walking shared by generation and the store (internal).
import { sha256 } from '@noble/hashes/sha2.js';

/** Number of index bits (48). */
export const INDEX_BITS = 48;

/** True when bit `b` (0..47) of the 48-bit index `index` is set. */
export function bitSet(index: number, b: number): boolean {
  // 2 ** b is exact for b < 53, and floor division keeps everything in safe integers.
  return Math.floor(index / 2 ** b) % 2 === 1;
}

/**
 * `derive_secret(base, bits, I)`: from `base` (the secret of an index whose low `bits` bits are zero
 * and whose higher bits equal those of `index`), walk bits `bits − 1` down to 0 of `index`.
 * Internal: the caller guarantees the prefix matches. Returns a fresh array.
 */
export function deriveSecret(base: Uint8Array, bits: number, index: number): Uint8Array {
  let p = Uint8Array.from(base);
  for (let b = bits - 1; b >= 0; b--) {
    if (!bitSet(index, b)) continue;
    // spec: "flip(B) in P", i.e. P[B / 8] ^= (1 << (B % 8)), then "P = SHA256(P)"
    p[b >>> 3] = (p[b >>> 3] as number) ^ (1 << (b & 7));
    p = sha256(p);
  }
  return p;
}

/** Number of trailing zero bits of a 48-bit index; 48 for index 0 (BOLT 3 `where_to_put_secret`). */
export function trailingZeros(index: number): number {
  for (let b = 0; b < INDEX_BITS; b++) if (bitSet(index, b)) return b;
  return INDEX_BITS;
}

/** True when `a` and `b` agree on every bit at position `bits` and above. */
export function samePrefix(a: number, b: number, bits: number): boolean {
  return Math.floor(a / 2 ** bits) === Math.floor(b / 2 ** bits);
}
