/**
 * @internal The byte helpers of the persisted channel state (`state.ts`): a big-endian writer, a
 * strict reader that throws {@link DecodeError} with the byte offset, and the codecs of the state's
 * parts (basepoints, outpoints, specs, update logs, commitment records).
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import { txidHexBytes } from './_hex.js';
import type { Spec, Update } from './channel/_log.js';
import type { Basepoints, FundingOutpoint, Side } from './commitment.js';
import { DecodeError } from './errors.js';
import type { ChannelPhase, CommitmentRecord, LastSent } from './state.js';

export const SIDES: readonly Side[] = ['lsp', 'client'];
export const PHASES: readonly ChannelPhase[] = ['opening', 'normal', 'failed'];
export const LAST_SENT: readonly LastSent[] = ['none', 'commit', 'revoke'];
const UPDATE_KINDS = ['add', 'fulfill', 'fail', 'fee'] as const;
export const U64 = (1n << 64n) - 1n;
export const U48 = (1n << 48n) - 1n;

export class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private push(b: Uint8Array) {
    this.chunks.push(b);
    this.size += b.length;
  }
  u8(x: number) {
    this.push(Uint8Array.of(x));
  }
  u16(x: number) {
    this.push(Uint8Array.of(x >>> 8, x & 0xff));
  }
  u32(x: number) {
    this.push(Uint8Array.of(x >>> 24, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff));
  }
  u64(x: bigint) {
    const b = new Uint8Array(8);
    let v = x;
    for (let i = 7; i >= 0; i--) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    this.push(b);
  }
  bytes(b: Uint8Array) {
    this.push(Uint8Array.from(b));
  }
  varbytes(b: Uint8Array) {
    this.u16(b.length);
    this.bytes(b);
  }
  bool(b: boolean) {
    this.u8(b ? 1 : 0);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  fail(reason: string, at = this.pos): never {
    throw new DecodeError(reason, at);
  }
  need(n: number, what: string) {
    if (this.pos + n > this.buf.length) this.fail(`truncated: ${what} needs ${n} bytes`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = ((this.buf[this.pos] as number) << 8) | (this.buf[this.pos + 1] as number);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (
      (((b[p] as number) << 24) |
        ((b[p + 1] as number) << 16) |
        ((b[p + 2] as number) << 8) |
        (b[p + 3] as number)) >>>
      0
    );
  }
  u64(what: string, max = U64): bigint {
    this.need(8, what);
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(this.buf[this.pos + i] as number);
    if (v > max) this.fail(`${what} ${v} above ${max}`);
    this.pos += 8;
    return v;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  varbytes(what: string): Uint8Array {
    const n = this.u16(`${what} length`);
    return this.bytes(n, what);
  }
  bool(what: string): boolean {
    const at = this.pos;
    const v = this.u8(what);
    if (v > 1) this.fail(`${what} flag ${v} is not 0 or 1`, at);
    return v === 1;
  }
  enumOf<T>(values: readonly T[], what: string): T {
    const at = this.pos;
    const v = this.u8(what);
    const r = values[v];
    if (r === undefined) this.fail(`unknown ${what} ${v}`, at);
    return r;
  }
  int(what: string, min: number, max: number): number {
    const at = this.pos;
    const v = this.u32(what);
    if (v < min || v > max) this.fail(`${what} ${v} outside ${min}..${max}`, at);
    return v;
  }
  done() {
    if (this.pos !== this.buf.length) this.fail(`${this.buf.length - this.pos} trailing bytes`);
  }
}

export function writeBasepoints(w: Writer, b: Basepoints) {
  w.bytes(b.revocation);
  w.bytes(b.payment);
  w.bytes(b.delayedPayment);
  w.bytes(b.htlc);
}

export function readBasepoints(r: Reader, what: string): Basepoints {
  return {
    revocation: r.bytes(33, `${what}.revocation`),
    payment: r.bytes(33, `${what}.payment`),
    delayedPayment: r.bytes(33, `${what}.delayedPayment`),
    htlc: r.bytes(33, `${what}.htlc`),
  };
}

export function writeOutpoint(w: Writer, o: FundingOutpoint, what: string) {
  w.bytes(txidHexBytes(o.txid, `${what}.txid`));
  w.u32(o.vout);
  w.u64(o.amount);
}

export function readOutpoint(r: Reader, what: string): FundingOutpoint {
  const txid = toHex(r.bytes(32, `${what}.txid`));
  const vout = r.u32(`${what}.vout`);
  const amount = r.u64(`${what}.amount`, 2_100_000_000_000_000n);
  return { txid, vout, amount };
}

export function writeSpec(w: Writer, s: Spec) {
  w.u64(s.lspMsat);
  w.u64(s.clientMsat);
  w.u32(s.feeRate);
  w.u16(s.htlcs.length);
  for (const h of s.htlcs) {
    w.u8(SIDES.indexOf(h.offeredBy));
    w.u64(h.id);
    w.u64(h.amountMsat);
    w.bytes(h.paymentHash);
    w.u32(h.cltvExpiry);
  }
}

export function readSpec(r: Reader, what: string, capacitiesMsat: readonly bigint[]): Spec {
  const at = r.pos;
  const lspMsat = r.u64(`${what}.lspMsat`);
  const clientMsat = r.u64(`${what}.clientMsat`);
  const feeRate = r.int(`${what}.feeRate`, 1, 0xffffffff);
  const count = r.u16(`${what}.htlcs count`);
  const htlcs = [];
  const seen = new Set<string>();
  let total = lspMsat + clientMsat;
  for (let i = 0; i < count; i++) {
    const hat = r.pos;
    const offeredBy = r.enumOf(SIDES, `${what}.htlcs[${i}].offeredBy`);
    const id = r.u64(`${what}.htlcs[${i}].id`);
    const amountMsat = r.u64(`${what}.htlcs[${i}].amountMsat`);
    const paymentHash = r.bytes(32, `${what}.htlcs[${i}].paymentHash`);
    const cltvExpiry = r.int(`${what}.htlcs[${i}].cltvExpiry`, 1, 499_999_999);
    const key = `${offeredBy}:${id}`;
    if (seen.has(key)) r.fail(`${what}.htlcs[${i}]: duplicate HTLC ${key}`, hat);
    seen.add(key);
    total += amountMsat;
    htlcs.push({ offeredBy, id, amountMsat, paymentHash, cltvExpiry });
  }
  if (!capacitiesMsat.includes(total))
    r.fail(
      `${what}: balances and HTLCs add up to ${total} msat, not the channel's ${capacitiesMsat.join(' or ')}`,
      at,
    );
  return { lspMsat, clientMsat, feeRate, htlcs };
}

export function writeUpdates(w: Writer, us: readonly Update[]) {
  w.u16(us.length);
  for (const u of us) {
    w.u8(UPDATE_KINDS.indexOf(u.kind));
    switch (u.kind) {
      case 'add':
        w.u8(SIDES.indexOf(u.htlc.offeredBy));
        w.u64(u.htlc.id);
        w.u64(u.htlc.amountMsat);
        w.bytes(u.htlc.paymentHash);
        w.u32(u.htlc.cltvExpiry);
        w.varbytes(u.onion);
        break;
      case 'fulfill':
        w.u64(u.id);
        w.bytes(u.preimage);
        break;
      case 'fail':
        w.u64(u.id);
        w.varbytes(u.reason);
        break;
      case 'fee':
        w.u32(u.feeRate);
        break;
    }
  }
}

export function readUpdates(r: Reader, what: string): Update[] {
  const n = r.u16(`${what} count`);
  const out: Update[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${what}[${i}]`;
    const kind = r.enumOf(UPDATE_KINDS, `${name}.kind`);
    switch (kind) {
      case 'add': {
        const offeredBy = r.enumOf(SIDES, `${name}.offeredBy`);
        const id = r.u64(`${name}.id`);
        const amountMsat = r.u64(`${name}.amountMsat`);
        const paymentHash = r.bytes(32, `${name}.paymentHash`);
        const cltvExpiry = r.int(`${name}.cltvExpiry`, 1, 499_999_999);
        const onion = r.varbytes(`${name}.onion`);
        out.push({ kind, htlc: { offeredBy, id, amountMsat, paymentHash, cltvExpiry }, onion });
        break;
      }
      case 'fulfill':
        out.push({ kind, id: r.u64(`${name}.id`), preimage: r.bytes(32, `${name}.preimage`) });
        break;
      case 'fail':
        out.push({ kind, id: r.u64(`${name}.id`), reason: r.varbytes(`${name}.reason`) });
        break;
      case 'fee':
        out.push({ kind, feeRate: r.int(`${name}.feeRate`, 1, 0xffffffff) });
        break;
    }
  }
  return out;
}

export function writeCommit(w: Writer, c: CommitmentRecord | null) {
  w.bool(c !== null);
  if (c === null) return;
  w.u64(BigInt(c.number));
  writeSpec(w, c.spec);
  w.bytes(c.point);
}

export function readCommit(r: Reader, what: string, capacityMsat: bigint): CommitmentRecord | null {
  if (!r.bool(`${what} presence`)) return null;
  const number = Number(r.u64(`${what}.number`, U48));
  const spec = readSpec(r, `${what}.spec`, [capacityMsat]);
  const point = r.bytes(33, `${what}.point`);
  return { number, spec, point };
}
