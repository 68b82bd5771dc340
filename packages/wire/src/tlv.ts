/**
 * TLV streams (BOLT 1, "Type-Length-Value Format"): a series of records `BigSize type, BigSize length,
 * value`. Writers order records by strictly increasing type and encode type and length minimally;
 * readers stop at the end of the input, and fail on a non-minimal BigSize, types that do not strictly
 * increase (a duplicate included), a length that runs past the end, and an unknown even type. Unknown
 * odd records are returned to the caller, which may ignore or keep them.
 *
 * @module
 */
import { bigSizeLength, decodeBigSize, encodeBigSize, MAX_BIGSIZE } from './bigsize.js';
import { wireError } from './errors.js';

/** One TLV record. */
export interface TlvRecord {
  /** Record type, 0..2^64 − 1. */
  readonly type: bigint;
  readonly value: Uint8Array;
}

/** Options of {@link decodeTlvStream}. */
export interface DecodeTlvOptions {
  /** Where the stream starts in the input (default 0); it runs to the end of the input. */
  readonly offset?: number;
  /**
   * Which types the caller understands. An unknown even type fails the stream (`WIRE_UNKNOWN_EVEN_TLV`);
   * unknown odd records are returned like known ones. Default: every type is unknown.
   */
  readonly isKnown?: (type: bigint) => boolean;
  /** Field path for error messages. */
  readonly field?: string;
}

/**
 * Encodes `records` as a TLV stream.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` when types do not strictly increase or a value is not bytes.
 */
export function encodeTlvStream(records: readonly TlvRecord[]): Uint8Array {
  if (!Array.isArray(records)) throw wireError('WIRE_INVALID_ARGUMENT', 'records: expected an array');
  let size = 0;
  let prev = -1n;
  records.forEach((r, i) => {
    if (typeof r !== 'object' || r === null)
      throw wireError('WIRE_INVALID_ARGUMENT', 'expected a record', { field: `records[${i}]` });
    if (typeof r.type !== 'bigint' || r.type < 0n || r.type > MAX_BIGSIZE)
      throw wireError('WIRE_INVALID_ARGUMENT', 'type: expected a bigint in 0..2^64 − 1', {
        field: `records[${i}]`,
      });
    if (!(r.value instanceof Uint8Array))
      throw wireError('WIRE_INVALID_ARGUMENT', 'value: expected a Uint8Array', { field: `records[${i}]` });
    if (r.type <= prev)
      throw wireError('WIRE_INVALID_ARGUMENT', `type ${r.type} does not strictly increase (after ${prev})`, {
        field: `records[${i}]`,
      });
    prev = r.type;
    size += bigSizeLength(r.type) + bigSizeLength(BigInt(r.value.length)) + r.value.length;
  });
  const out = new Uint8Array(size);
  let o = 0;
  for (const r of records) {
    const t = encodeBigSize(r.type);
    const l = encodeBigSize(r.value.length);
    out.set(t, o);
    o += t.length;
    out.set(l, o);
    o += l.length;
    out.set(r.value, o);
    o += r.value.length;
  }
  return out;
}

/**
 * Decodes the TLV stream from `options.offset` to the end of `bytes`. Returned values are copies.
 *
 * @throws {WireError} `WIRE_TRUNCATED`, `WIRE_NON_CANONICAL_BIGSIZE`, `WIRE_TLV_ORDER`, `WIRE_TLV_LENGTH_OVERRUN`,
 *   `WIRE_UNKNOWN_EVEN_TLV`.
 */
export function decodeTlvStream(bytes: Uint8Array, options: DecodeTlvOptions = {}): TlvRecord[] {
  return parseTlvStream(
    bytes,
    options.offset ?? 0,
    options.isKnown ?? (() => false),
    options.field ?? 'tlv',
  ).map((r) => ({ type: r.type, value: r.value.slice() }));
}

/**
 * @internal The parser behind {@link decodeTlvStream}; values are views into `bytes` (no copy), so
 * callers copy what they keep.
 */
export function parseTlvStream(
  bytes: Uint8Array,
  offset: number,
  isKnown: (type: bigint) => boolean,
  field: string,
): TlvRecord[] {
  if (!(bytes instanceof Uint8Array))
    throw wireError('WIRE_INVALID_ARGUMENT', 'expected a Uint8Array', { field });
  const out: TlvRecord[] = [];
  let o = offset;
  let prev = -1n;
  const ctx = (at: number, tlvType: bigint) => ({ field, offset: at, tlvType });
  while (o < bytes.length) {
    const start = o;
    const t = decodeBigSize(bytes, o, field);
    o = t.next;
    if (t.value <= prev)
      throw wireError(
        'WIRE_TLV_ORDER',
        prev === t.value ? `TLV type ${t.value} appears twice` : `TLV type ${t.value} after ${prev}`,
        ctx(start, t.value),
      );
    prev = t.value;
    if (o >= bytes.length)
      throw wireError('WIRE_TRUNCATED', `TLV record ${t.value} has no length`, ctx(o, t.value));
    const l = decodeBigSize(bytes, o, field);
    o = l.next;
    // Checked against the bytes present before it is used for anything: never an allocation from it.
    if (l.value > BigInt(bytes.length - o))
      throw wireError(
        'WIRE_TLV_LENGTH_OVERRUN',
        `TLV record ${t.value} claims ${l.value} bytes, ${bytes.length - o} remain`,
        ctx(o, t.value),
      );
    const len = Number(l.value);
    if (!isKnown(t.value) && t.value % 2n === 0n)
      throw wireError('WIRE_UNKNOWN_EVEN_TLV', `unknown even TLV type ${t.value}`, ctx(start, t.value));
    out.push({ type: t.value, value: bytes.subarray(o, o + len) });
    o += len;
  }
  return out;
}
