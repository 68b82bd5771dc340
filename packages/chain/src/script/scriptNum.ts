/**
 * CScriptNum (script/script.h): little-endian sign-magnitude integers of script arithmetic. Operands
 * are at most 4 bytes (5 for CLTV/CSV); results may be longer and are only re-checked when read again.
 * Values stay within ±2^39, well inside a JS number's exact range.
 */
import { fail } from './scriptError.js';

/**
 * Decodes a script number. Fails with `SCRIPTNUM` when longer than `maxSize` or, with
 * `requireMinimal`, not minimally encoded (Core's `scriptnum_error`).
 */
export function decodeScriptNum(v: Uint8Array, requireMinimal: boolean, maxSize = 4): number {
  const n = v.length;
  if (n > maxSize) fail('SCRIPTNUM');
  if (n === 0) return 0;
  if (requireMinimal && (v[n - 1]! & 0x7f) === 0 && (n <= 1 || (v[n - 2]! & 0x80) === 0)) fail('SCRIPTNUM');
  let result = 0;
  for (let i = 0; i < n; i++) result += v[i]! * 2 ** (8 * i);
  const top = v[n - 1]!;
  if (top & 0x80) return -(result - 0x80 * 2 ** (8 * (n - 1)));
  return result;
}

/** Encodes a script number minimally (0 is the empty vector). */
export function encodeScriptNum(value: number): Uint8Array {
  if (value === 0) return new Uint8Array(0);
  const neg = value < 0;
  let abs = Math.abs(value);
  const out: number[] = [];
  while (abs > 0) {
    out.push(abs % 256);
    abs = Math.floor(abs / 256);
  }
  if (out[out.length - 1]! & 0x80) out.push(neg ? 0x80 : 0);
  else if (neg) out[out.length - 1]! |= 0x80;
  return Uint8Array.from(out);
}

/** Core's CScriptNum::getint(): clamps to the int32 range. */
export function clampInt32(v: number): number {
  return Math.min(0x7fffffff, Math.max(-0x80000000, v));
}

/** Core's CastToBool: false for empty, all-zero, or negative zero (zeros then a final 0x80). */
export function castToBool(v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== 0) return !(i === v.length - 1 && v[i] === 0x80);
  }
  return false;
}
