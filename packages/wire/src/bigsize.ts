/**
 * BigSize (BOLT 1, Appendix A): a big-endian CompactSize. `x < 0xfd` is one byte; then `0xfd` + u16,
 * `0xfe` + u32, `0xff` + u64. Decoding requires the minimal encoding ("All values decoded with BigSize
 * should be checked to ensure they are minimally encoded"), so every value has exactly one encoding.
 *
 * @module
 */
import { wireError } from './errors.js';

/** The largest BigSize value, 2^64 − 1. */
export const MAX_BIGSIZE = (1n << 64n) - 1n;

/** Number of bytes {@link encodeBigSize} produces for `value` (1, 3, 5 or 9). */
export function bigSizeLength(value: bigint): number {
  if (value < 0xfdn) return 1;
  if (value <= 0xffffn) return 3;
  if (value <= 0xffffffffn) return 5;
  return 9;
}

/**
 * The minimal BigSize encoding of `value`.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` unless `value` is an integer in 0..2^64 − 1.
 */
export function encodeBigSize(value: bigint | number): Uint8Array {
  let v: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0)
      throw wireError('WIRE_INVALID_ARGUMENT', `BigSize: expected a non-negative safe integer, got ${value}`);
    v = BigInt(value);
  } else if (typeof value === 'bigint') {
    v = value;
  } else
    throw wireError('WIRE_INVALID_ARGUMENT', `BigSize: expected a bigint or number, got ${typeof value}`);
  if (v < 0n || v > MAX_BIGSIZE)
    throw wireError('WIRE_INVALID_ARGUMENT', `BigSize: ${v} is outside 0..2^64 − 1`);
  const len = bigSizeLength(v);
  const out = new Uint8Array(len);
  const view = new DataView(out.buffer);
  if (len === 1) out[0] = Number(v);
  else if (len === 3) {
    out[0] = 0xfd;
    view.setUint16(1, Number(v));
  } else if (len === 5) {
    out[0] = 0xfe;
    view.setUint32(1, Number(v));
  } else {
    out[0] = 0xff;
    view.setBigUint64(1, v);
  }
  return out;
}

/** A decoded BigSize and the offset just after it. */
export interface DecodedBigSize {
  readonly value: bigint;
  /** Offset of the first byte after the encoding. */
  readonly next: number;
}

/**
 * Decodes the BigSize at `offset` of `bytes`.
 *
 * @throws {WireError} `WIRE_TRUNCATED` when the input ends inside it, `WIRE_NON_CANONICAL_BIGSIZE` when a shorter
 *   encoding exists.
 */
export function decodeBigSize(bytes: Uint8Array, offset = 0, field = 'bigsize'): DecodedBigSize {
  if (!(bytes instanceof Uint8Array))
    throw wireError('WIRE_INVALID_ARGUMENT', 'expected a Uint8Array', { field });
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw wireError('WIRE_INVALID_ARGUMENT', `offset must be a non-negative integer, got ${offset}`, {
      field,
    });
  if (offset >= bytes.length)
    throw wireError('WIRE_TRUNCATED', 'no byte left for a BigSize', { field, offset });
  const first = bytes[offset] as number;
  if (first < 0xfd) return { value: BigInt(first), next: offset + 1 };
  const width = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
  if (offset + 1 + width > bytes.length)
    throw wireError('WIRE_TRUNCATED', `a ${1 + width}-byte BigSize runs past the end`, { field, offset });
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset + 1, width);
  let value: bigint;
  let min: bigint;
  if (width === 2) {
    value = BigInt(view.getUint16(0));
    min = 0xfdn;
  } else if (width === 4) {
    value = BigInt(view.getUint32(0));
    min = 0x10000n;
  } else {
    value = view.getBigUint64(0);
    min = 0x100000000n;
  }
  if (value < min)
    throw wireError('WIRE_NON_CANONICAL_BIGSIZE', `BigSize ${value} is not minimally encoded`, {
      field,
      offset,
    });
  return { value, next: offset + 1 + width };
}
