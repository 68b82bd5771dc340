// The unsigned funding transaction inside `factory_propose` (brief §8 step 1): a strict parser of
// Bitcoin's legacy (witness-free) serialization, enough to recompute the txid and read the outputs.
// An unsigned transaction has no witnesses, so the segwit marker is refused (it would read as zero
// inputs). Counts are CompactSize, minimally encoded, and bounded by the bytes present before any
// element is read. Not a general transaction codec: @superscalar/tx owns that.
import { sha256 } from '@noble/hashes/sha2.js';
import { bad, type FieldCodec, MAX_MONEY } from './_fields.js';
import { wireError } from './errors.js';

/** Bitcoin Core's largest standard transaction is 400,000 weight units: 100,000 witness-free bytes. */
export const MAX_FUNDING_TX_SIZE = 100_000;
/** The smallest transaction: version, one input with an empty scriptSig, one output, lock time. */
export const MIN_TX_SIZE = 4 + 1 + 41 + 1 + 9 + 4;

/** One output of a parsed transaction. */
export interface ParsedOutput {
  readonly value: bigint;
  readonly script: Uint8Array;
}

/** What the proposal checks of its funding transaction. */
export interface ParsedTx {
  readonly inputs: number;
  readonly outputs: readonly ParsedOutput[];
}

/**
 * Parses a witness-free transaction that must fill `b` exactly. `field` and `base` locate errors.
 *
 * @throws {WireError} `WIRE_INVALID_VALUE` (structure), `WIRE_TRUNCATED`, `WIRE_TRAILING_BYTES`,
 *   `WIRE_OUT_OF_RANGE` (an output above 21e6 BTC).
 */
export function parseUnsignedTx(b: Uint8Array, field: string, base = 0): ParsedTx {
  let o = 0;
  const fail = (code: Parameters<typeof wireError>[0], message: string, at = o): never => {
    throw wireError(code, message, { field, offset: base + at });
  };
  const need = (n: number) => {
    if (b.length - o < n) fail('WIRE_TRUNCATED', `needs ${n} more bytes, ${b.length - o} remain`);
  };
  const compact = (what: string): number => {
    need(1);
    const at = o;
    const first = b[o++] as number;
    if (first < 0xfd) return first;
    if (first === 0xff) fail('WIRE_INVALID_VALUE', `${what}: a count above 2^32 cannot fit`, at);
    const n = first === 0xfd ? 2 : 4;
    need(n);
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + (b[o + i] as number);
    o += n;
    if (v < (n === 2 ? 0xfd : 0x10000)) fail('WIRE_INVALID_VALUE', `${what}: non-minimal CompactSize`, at);
    return v;
  };
  need(4);
  o = 4; // version: any value (it is committed to by the txid)
  const inAt = o;
  const nIn = compact('input count');
  if (nIn === 0)
    fail(
      'WIRE_INVALID_VALUE',
      'no inputs (a segwit marker? the funding transaction travels unsigned, without witnesses)',
      inAt,
    );
  if (nIn * 41 > b.length - o)
    fail('WIRE_TRUNCATED', `${nIn} inputs cannot fit in ${b.length - o} bytes`, inAt);
  for (let i = 0; i < nIn; i++) {
    need(36);
    o += 36;
    const len = compact(`inputs[${i}].scriptSig length`);
    need(len + 4);
    o += len + 4;
  }
  const outAt = o;
  const nOut = compact('output count');
  if (nOut === 0) fail('WIRE_INVALID_VALUE', 'no outputs', outAt);
  if (nOut * 9 > b.length - o)
    fail('WIRE_TRUNCATED', `${nOut} outputs cannot fit in ${b.length - o} bytes`, outAt);
  const outputs: ParsedOutput[] = [];
  for (let i = 0; i < nOut; i++) {
    need(8);
    const at = o;
    let value = 0n;
    for (let k = 7; k >= 0; k--) value = (value << 8n) | BigInt(b[o + k] as number);
    o += 8;
    if (value > MAX_MONEY) fail('WIRE_OUT_OF_RANGE', `outputs[${i}]: ${value} sats exceed 21e6 BTC`, at);
    const len = compact(`outputs[${i}].script length`);
    need(len);
    outputs.push({ value, script: b.subarray(o, o + len) });
    o += len;
  }
  need(4);
  o += 4; // lock time
  if (o !== b.length) fail('WIRE_TRAILING_BYTES', `${b.length - o} bytes after the lock time`);
  return { inputs: nIn, outputs };
}

/** The txid of a witness-free serialization: SHA256d, as display-order (reversed) lower-case hex. */
export function txidOfUnsigned(b: Uint8Array): string {
  const h = sha256(sha256(b));
  let s = '';
  for (let i = 31; i >= 0; i--) s += (h[i] as number).toString(16).padStart(2, '0');
  return s;
}

/**
 * The unsigned funding transaction as a record's whole value: a witness-free serialization of
 * `MIN_TX_SIZE..MAX_FUNDING_TX_SIZE` bytes that parses exactly (see {@link parseUnsignedTx}).
 */
export const unsignedTx: FieldCodec<Uint8Array> = {
  shape: { k: 'tx', max: MAX_FUNDING_TX_SIZE },
  minSize: MIN_TX_SIZE,
  describe: `unsigned transaction (rest of record: witness-free serialization, ${MIN_TX_SIZE}..${MAX_FUNDING_TX_SIZE} bytes, parsed strictly)`,
  write(w, v, field) {
    if (!(v instanceof Uint8Array)) bad(field, 'expected a Uint8Array');
    if (v.length > MAX_FUNDING_TX_SIZE) bad(field, `${v.length} bytes, above ${MAX_FUNDING_TX_SIZE}`);
    try {
      parseUnsignedTx(v, field);
    } catch (e) {
      bad(field, `not a witness-free transaction: ${(e as Error).message}`);
    }
    w.bytes(v);
  },
  read(r, field) {
    const at = r.offset;
    if (r.remaining > MAX_FUNDING_TX_SIZE)
      throw wireError('WIRE_BAD_LENGTH', `${r.remaining} bytes, above ${MAX_FUNDING_TX_SIZE}`, {
        field,
        offset: at,
      });
    const b = r.rest();
    parseUnsignedTx(b, field, at);
    return b;
  },
};
