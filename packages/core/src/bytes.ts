/** Bytes and hex: the one copy every package uses (no `Buffer`, browser-safe). */

import { InvalidArgumentError } from './errors.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of `b`, first byte first. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] as number];
  return s;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Bytes of an even-length hex string (either case). Throws {@link InvalidArgumentError} naming
 * `argument` for anything else, and when `length` is given and the byte length differs.
 */
export function fromHex(hex: string, argument = 'hex', length?: number): Uint8Array {
  if (typeof hex !== 'string')
    throw new InvalidArgumentError(argument, `expected a hex string, got ${typeof hex}`);
  if (hex.length % 2 !== 0) throw new InvalidArgumentError(argument, 'hex string of odd length');
  if (length !== undefined && hex.length !== 2 * length) {
    throw new InvalidArgumentError(argument, `expected ${length} bytes of hex, got ${hex.length / 2}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex.charCodeAt(2 * i));
    const lo = nibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new InvalidArgumentError(argument, `not hex at position ${2 * i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** A new array holding `parts` one after another. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte-wise equality (not constant time: never compare secrets with it). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Equality in time independent of where the arrays differ (lengths are not secret). */
export function equalBytesConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

/** Lexicographic order of byte strings, as BIP67/BIP327 KeySort use. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Reversed copy: internal byte order ↔ display order of txids and block hashes. */
export function reversed(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b[b.length - 1 - i] as number;
  return out;
}
