/**
 * The secret-free watchtower export of a channel (brief §11): per revoked counterparty commitment,
 * for every outpoint copy (brief §5.4), the txid whose confirmation triggers a response and the fully
 * signed penalty transactions to broadcast then (each with a CPFP child the watchtower pays from its
 * own fee wallet). Nothing in it is a key, a per-commitment secret or a nonce: a watchtower holding it
 * can only publish penalties that pay the channel party.
 *
 * Encodings (version 1, big-endian, strict decoders with {@link DecodeError}):
 * - record: `0x01 || channelId (32) || commitmentNumber (8) || copies (2-byte count)`, each copy
 *   `fundingTxid (32) || vout (4) || commitmentTxid (32) || penalties (2-byte count)`, each penalty a
 *   4-byte length and the transaction bytes;
 * - export: `0x01 || channelId (32) || outpoints (2-byte count; txid 32, vout 4, amount 8 each) ||
 *   records (2-byte count; 4-byte length and the record each)`.
 *
 * @module
 */
import { concatBytes, equalBytes, toHex } from '@superscalar/core';
import { assertObject } from './_assert.js';
import { txidHexBytes } from './_hex.js';
import type { RevokedCopy } from './channel/types.js';
import type { FundingOutpoint } from './commitment.js';
import { DecodeError, InvalidArgumentError } from './errors.js';
import type { ChannelState } from './state.js';

/** What a watchtower holds for one revoked counterparty commitment. */
export interface WatchtowerRecord {
  readonly channelId: Uint8Array;
  readonly commitmentNumber: number;
  /** One entry per outpoint copy of the revoked commitment. */
  readonly copies: readonly RevokedCopy[];
}

/** Everything a watchtower needs for one channel: the outpoints to watch and the revoked records. */
export interface WatchtowerExport {
  readonly channelId: Uint8Array;
  /** Every outpoint the channel ever had (brief §5.4: watched until the factory closes). */
  readonly outpoints: readonly FundingOutpoint[];
  readonly records: readonly WatchtowerRecord[];
}

/** The encoding version of records and exports. */
export const WATCHTOWER_ENCODING_VERSION = 1;

const te = (n: number, len: number) => {
  const b = new Uint8Array(len);
  let v = BigInt(n);
  for (let i = len - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
};

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  let x = v;
  for (let i = 7; i >= 0; i--) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}

class Reader {
  pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}
  fail(reason: string, at = this.pos): never {
    throw new DecodeError(`${this.what}: ${reason}`, at);
  }
  take(n: number, field: string): Uint8Array {
    if (this.pos + n > this.buf.length) this.fail(`truncated at ${field}`);
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  uint(n: number, field: string): bigint {
    let v = 0n;
    for (const x of this.take(n, field)) v = (v << 8n) | BigInt(x);
    return v;
  }
  done() {
    if (this.pos !== this.buf.length) this.fail(`${this.buf.length - this.pos} trailing bytes`);
  }
}

/** Encodes one revoked-commitment record (what a `revoked/<n>` blob holds). */
export function encodeWatchtowerRecord(record: WatchtowerRecord): Uint8Array {
  assertObject(record, 'record');
  const parts: Uint8Array[] = [
    Uint8Array.of(WATCHTOWER_ENCODING_VERSION),
    record.channelId,
    u64(BigInt(record.commitmentNumber)),
  ];
  parts.push(te(record.copies.length, 2));
  for (const c of record.copies) {
    parts.push(
      txidHexBytes(c.funding.txid, 'funding.txid'),
      te(c.funding.vout, 4),
      txidHexBytes(c.commitmentTxid, 'commitmentTxid'),
    );
    parts.push(te(c.penalties.length, 2));
    for (const p of c.penalties) parts.push(te(p.length, 4), p);
  }
  return concatBytes(...parts);
}

function readRecord(r: Reader): WatchtowerRecord {
  const version = Number(r.uint(1, 'version'));
  if (version !== WATCHTOWER_ENCODING_VERSION) r.fail(`unknown version ${version}`, r.pos - 1);
  const channelId = r.take(32, 'channelId');
  const number = r.uint(8, 'commitmentNumber');
  if (number >= 1n << 48n) r.fail(`commitment number ${number} above 2^48 − 1`, r.pos - 8);
  const commitmentNumber = Number(number);
  const n = Number(r.uint(2, 'copies count'));
  if (n === 0) r.fail('no copies', r.pos - 2);
  const copies: RevokedCopy[] = [];
  for (let i = 0; i < n; i++) {
    const txid = toHex(r.take(32, `copies[${i}].funding.txid`));
    const vout = Number(r.uint(4, `copies[${i}].funding.vout`));
    const commitmentTxid = toHex(r.take(32, `copies[${i}].commitmentTxid`));
    const k = Number(r.uint(2, `copies[${i}].penalties count`));
    const penalties: Uint8Array[] = [];
    for (let j = 0; j < k; j++) {
      const at = r.pos;
      const len = Number(r.uint(4, `copies[${i}].penalties[${j}] length`));
      if (len < 60 || len > 400_000)
        r.fail(`copies[${i}].penalties[${j}]: ${len} bytes is no transaction`, at);
      penalties.push(r.take(len, `copies[${i}].penalties[${j}]`));
    }
    copies.push({ funding: { txid, vout }, commitmentTxid, penalties });
  }
  return { channelId, commitmentNumber, copies };
}

/** Decodes {@link encodeWatchtowerRecord}'s bytes (strict). */
export function decodeWatchtowerRecord(bytes: Uint8Array): WatchtowerRecord {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', 'expected a Uint8Array');
  const r = new Reader(bytes, 'watchtower record');
  const record = readRecord(r);
  r.done();
  return record;
}

/**
 * Builds a channel's watchtower export from its state (for the outpoints) and its revoked records
 * (the `revoked/<n>` blobs of its persist actions, decoded). Records of another channel are refused.
 */
export function watchtowerExport(
  state: Pick<ChannelState, 'channelId' | 'fundings'>,
  records: readonly WatchtowerRecord[],
): WatchtowerExport {
  assertObject(state, 'state');
  if (!Array.isArray(records)) throw new InvalidArgumentError('records', 'expected an array of records');
  for (const [i, rec] of records.entries())
    if (!equalBytes(rec.channelId, state.channelId))
      throw new InvalidArgumentError(`records[${i}]`, 'belongs to another channel');
  return {
    channelId: Uint8Array.from(state.channelId),
    outpoints: state.fundings.map((f) => ({ ...f.outpoint })),
    records: [...records].sort((a, b) => a.commitmentNumber - b.commitmentNumber),
  };
}

/** Encodes a {@link WatchtowerExport}. */
export function encodeWatchtowerExport(x: WatchtowerExport): Uint8Array {
  assertObject(x, 'x');
  const parts: Uint8Array[] = [
    Uint8Array.of(WATCHTOWER_ENCODING_VERSION),
    x.channelId,
    te(x.outpoints.length, 2),
  ];
  for (const o of x.outpoints)
    parts.push(txidHexBytes(o.txid, 'outpoint.txid'), te(o.vout, 4), u64(o.amount));
  parts.push(te(x.records.length, 2));
  for (const rec of x.records) {
    const b = encodeWatchtowerRecord(rec);
    parts.push(te(b.length, 4), b);
  }
  return concatBytes(...parts);
}

/** Decodes {@link encodeWatchtowerExport}'s bytes (strict: every record must be of the same channel). */
export function decodeWatchtowerExport(bytes: Uint8Array): WatchtowerExport {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', 'expected a Uint8Array');
  const r = new Reader(bytes, 'watchtower export');
  const version = Number(r.uint(1, 'version'));
  if (version !== WATCHTOWER_ENCODING_VERSION) r.fail(`unknown version ${version}`, 0);
  const channelId = r.take(32, 'channelId');
  const n = Number(r.uint(2, 'outpoints count'));
  if (n === 0) r.fail('no outpoints', r.pos - 2);
  const outpoints: FundingOutpoint[] = [];
  for (let i = 0; i < n; i++)
    outpoints.push({
      txid: toHex(r.take(32, `outpoints[${i}].txid`)),
      vout: Number(r.uint(4, `outpoints[${i}].vout`)),
      amount: r.uint(8, `outpoints[${i}].amount`),
    });
  const k = Number(r.uint(2, 'records count'));
  const records: WatchtowerRecord[] = [];
  for (let i = 0; i < k; i++) {
    const len = Number(r.uint(4, `records[${i}] length`));
    const at = r.pos;
    const inner = new Reader(r.take(len, `records[${i}]`), `watchtower export records[${i}]`);
    const rec = readRecord(inner);
    inner.done();
    if (!equalBytes(rec.channelId, channelId)) r.fail(`records[${i}] belongs to another channel`, at);
    records.push(rec);
  }
  r.done();
  return { channelId, outpoints, records };
}
