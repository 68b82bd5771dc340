/**
 * @internal The byte codec shared by this package's versioned records (`serialize.ts`, the LSP's
 * whole-factory record; `clientRecord.ts`, a client's O(depth) record): a big-endian writer and a
 * strict reader, the proposal's value layout, and the envelope both formats use — magic (4 bytes),
 * version (1), the record stream's length (u32), then records `BigSize type ‖ BigSize length ‖ value`
 * with strictly increasing types, an unknown odd type skipped and an unknown even one rejected
 * (BOLT 1's rule). Decoding throws {@link DecodeError} only, and allocates nothing from an unchecked
 * length.
 *
 * @module
 */
import type { Network } from '@superscalar/core';
import { displayHex as toDisplayHex, txidBytes } from '@superscalar/tx';
import { DecodeError, FactoryTreeError, InvalidArgumentError } from './errors.js';
import { type ClientSpec, checkProposal, type Placement, type Proposal } from './proposal.js';

/** A big-endian byte writer. */
export class Out {
  private parts: number[] = [];
  u8(x: number) {
    this.parts.push(x & 0xff);
  }
  u16(x: number) {
    this.parts.push((x >>> 8) & 0xff, x & 0xff);
  }
  u32(x: number) {
    this.parts.push((x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
  }
  u64(x: bigint) {
    this.u32(Number((x >> 32n) & 0xffffffffn));
    this.u32(Number(x & 0xffffffffn));
  }
  i64(x: bigint) {
    this.u64(BigInt.asUintN(64, x));
  }
  f64(x: number) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x);
    this.bytes(b);
  }
  bytes(b: Uint8Array) {
    for (const x of b) this.parts.push(x);
  }
  bigSize(n: number) {
    if (n < 0xfd) this.u8(n);
    else if (n <= 0xffff) {
      this.u8(0xfd);
      this.u16(n);
    } else {
      this.u8(0xfe);
      this.u32(n);
    }
  }
  get length() {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** The record's network byte is the index here (its own order, not core's `NETWORKS`). */
const NETWORKS: readonly Network[] = ['regtest', 'signet', 'testnet4', 'mainnet'];
const PLACEMENTS: readonly Placement[] = ['sequential', 'inward', 'outward', 'timezone'];
const U32_FIELDS = [
  'treeFeeRate',
  'timeoutStep',
  'activeBlocks',
  'dyingBlocks',
  'exitMargin',
  'fundingTimeout',
  'minimumDepth',
  'commitFeeRate',
  'lStockCsv',
  'toSelfDelay',
  'htlcBudget',
  'T',
] as const;

/** The proposal's value layout (record type 0 of both record formats). */
export function encodeProposal(p: Proposal): Uint8Array {
  const w = new Out();
  w.u8(NETWORKS.indexOf(p.network));
  w.u32(p.proposalHeight);
  w.bytes(p.lsp.key);
  w.u8(p.lsp.closeScript.length);
  w.bytes(p.lsp.closeScript);
  w.u8(PLACEMENTS.indexOf(p.placement));
  w.u8(p.leafArity);
  w.u8(p.levelArity.length);
  for (const a of p.levelArity) w.u8(a);
  w.u8(p.staticLevels);
  w.u16(p.dw.K);
  w.u16(p.dw.S);
  for (const f of U32_FIELDS) w.u32(p[f]);
  w.bytes(txidBytes(p.funding.txid, 'record.proposal.funding.txid').reverse());
  w.u32(p.funding.vout);
  w.u64(p.funding.amount);
  w.u32(p.clients.length);
  p.clients.forEach((c, i) => {
    w.bytes(c.key);
    w.u8(c.closeScript.length);
    w.bytes(c.closeScript);
    w.u64(c.capacity);
    w.u64(c.balance);
    if (c.profile === undefined) w.u8(0);
    else {
      const x = c.profile.contribution;
      if (x !== BigInt.asIntN(64, x))
        throw new InvalidArgumentError(
          `proposal.clients[${i}].profile.contribution`,
          'outside the int64 range',
        );
      w.u8(1);
      w.i64(x);
      w.f64(c.profile.uptime);
      w.f64(c.profile.timezone);
    }
  });
  if (p.lStock === undefined) w.u8(0);
  else {
    w.u8(1);
    w.u32(p.lStock.length);
    for (const a of p.lStock) w.u64(a);
  }
  w.u32(p.poisonHashes.length);
  for (const h of p.poisonHashes) w.bytes(h);
  return w.done();
}

/** A strict big-endian byte reader over `b[o..end)`: every shortfall is a `truncated` {@link DecodeError}. */
export class In {
  constructor(
    private readonly b: Uint8Array,
    public o: number,
    private readonly end: number,
  ) {}
  private need(n: number) {
    if (n > this.end - this.o)
      throw new DecodeError('truncated', this.o, `needs ${n} more bytes, ${this.end - this.o} left`);
  }
  get left() {
    return this.end - this.o;
  }
  u8(): number {
    this.need(1);
    return this.b[this.o++] as number;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u32(): number {
    this.need(4);
    const v =
      (this.b[this.o] as number) * 2 ** 24 +
      (((this.b[this.o + 1] as number) << 16) |
        ((this.b[this.o + 2] as number) << 8) |
        (this.b[this.o + 3] as number));
    this.o += 4;
    return v;
  }
  u64(): bigint {
    const hi = this.u32();
    return (BigInt(hi) << 32n) | BigInt(this.u32());
  }
  i64(): bigint {
    return BigInt.asIntN(64, this.u64());
  }
  f64(): number {
    this.need(8);
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.o, 8).getFloat64(0);
    this.o += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const r = this.b.slice(this.o, this.o + n);
    this.o += n;
    return r;
  }
  /** A count of entries of at least `minSize` bytes each: checked against what is left before use. */
  count(minSize: number, max = 0xffffffff): number {
    const at = this.o;
    const n = this.u32();
    if (n > max) throw new DecodeError('invalid', at, `count ${n} above ${max}`);
    if (n * minSize > this.left) throw new DecodeError('truncated', at, `count ${n} exceeds the bytes left`);
    return n;
  }
  bigSize(): number {
    const at = this.o;
    const f = this.u8();
    if (f < 0xfd) return f;
    if (f === 0xfd) {
      const v = this.u16();
      if (v < 0xfd) throw new DecodeError('invalid', at, 'non-minimal BigSize');
      return v;
    }
    if (f === 0xfe) {
      const v = this.u32();
      if (v <= 0xffff) throw new DecodeError('invalid', at, 'non-minimal BigSize');
      return v;
    }
    const v = this.u64();
    if (v <= 0xffffffffn) throw new DecodeError('invalid', at, 'non-minimal BigSize');
    throw new DecodeError('invalid', at, 'BigSize above 2^32 is not used by this format');
  }
  finish(what: string) {
    if (this.o !== this.end)
      throw new DecodeError('trailing', this.o, `${this.end - this.o} bytes after ${what}`);
  }
}

/** Throws an `invalid` {@link DecodeError} at `at`. */
export function invalid(at: number, message: string): never {
  throw new DecodeError('invalid', at, message);
}

/** Decodes {@link encodeProposal}'s layout and validates the proposal (`checkProposal`). */
export function decodeProposal(r: In): Proposal {
  const start = r.o;
  const ni = r.u8();
  const network = NETWORKS[ni] ?? invalid(start, `unknown network ${ni}`);
  const proposalHeight = r.u32();
  const lspKey = r.bytes(33);
  const lspClose = r.bytes(r.u8());
  const pAt = r.o;
  const placement = PLACEMENTS[r.u8()] ?? invalid(pAt, 'unknown placement');
  const leafArity = r.u8();
  if (leafArity !== 1 && leafArity !== 2) invalid(r.o - 1, `leafArity ${leafArity}`);
  const nLevels = r.u8();
  const levelArity: number[] = [];
  for (let i = 0; i < nLevels; i++) levelArity.push(r.u8());
  const staticLevels = r.u8();
  const K = r.u16();
  const S = r.u16();
  const u32s: Record<string, number> = {};
  for (const f of U32_FIELDS) u32s[f] = r.u32();
  const txid = toDisplayHex(r.bytes(32).reverse());
  const vout = r.u32();
  const amount = r.u64();
  const n = r.count(33 + 1 + 16 + 1, 1_000_000);
  const clients: ClientSpec[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.bytes(33);
    const closeScript = r.bytes(r.u8());
    const capacity = r.u64();
    const balance = r.u64();
    const fAt = r.o;
    const flag = r.u8();
    if (flag > 1) invalid(fAt, `profile flag ${flag}`);
    const base = { key, closeScript, capacity, balance };
    if (flag === 0) clients.push(Object.freeze(base));
    else {
      const contribution = r.i64();
      const uptime = r.f64();
      const timezone = r.f64();
      clients.push(Object.freeze({ ...base, profile: Object.freeze({ contribution, uptime, timezone }) }));
    }
  }
  const lAt = r.o;
  const lFlag = r.u8();
  if (lFlag > 1) invalid(lAt, `lStock flag ${lFlag}`);
  let lStock: bigint[] | undefined;
  if (lFlag === 1) {
    const m = r.count(8, 1_000_000);
    lStock = [];
    for (let i = 0; i < m; i++) lStock.push(r.u64());
  }
  const h = r.count(32, 1_000_000);
  const poisonHashes: Uint8Array[] = [];
  for (let i = 0; i < h; i++) poisonHashes.push(r.bytes(32));
  const p = Object.freeze({
    network,
    proposalHeight,
    lsp: Object.freeze({ key: lspKey, closeScript: lspClose }),
    clients: Object.freeze(clients),
    placement,
    leafArity: leafArity as 1 | 2,
    levelArity: Object.freeze(levelArity),
    staticLevels,
    dw: Object.freeze({ K, S }),
    lStock: lStock === undefined ? undefined : Object.freeze(lStock),
    ...(u32s as Pick<Proposal, (typeof U32_FIELDS)[number]>),
    funding: Object.freeze({ txid, vout, amount }),
    poisonHashes: Object.freeze(poisonHashes),
  }) as Proposal;
  try {
    checkProposal(p);
  } catch (e) {
    if (FactoryTreeError.isInstance(e))
      throw new DecodeError('invalid', start, `proposal: ${(e as Error).message}`, { cause: e });
    throw new DecodeError('invalid', start, 'proposal rejected', { cause: e });
  }
  return p;
}

/** Writes the envelope: magic, version, the stream length, then each `[type, value]` record in order. */
export function encodeEnvelope(
  magic: readonly number[],
  version: number,
  records: readonly (readonly [number, Uint8Array])[],
): Uint8Array {
  const stream = new Out();
  for (const [type, value] of records) {
    stream.bigSize(type);
    stream.bigSize(value.length);
    stream.bytes(value);
  }
  const body = stream.done();
  const w = new Out();
  for (const m of magic) w.u8(m);
  w.u8(version);
  w.u32(body.length);
  w.bytes(body);
  return w.done();
}

/**
 * Reads the envelope and hands each known record's value to its reader (which must consume it
 * exactly); skips unknown odd types, rejects unknown even ones. Returns the stream's end offset.
 */
export function decodeEnvelope(
  bytes: Uint8Array,
  format: { readonly magic: readonly number[]; readonly version: number; readonly what: string },
  readers: Readonly<Record<number, (r: In) => void>>,
): number {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('invalid', 0, 'expected a Uint8Array');
  const head = new In(bytes, 0, bytes.length);
  for (const m of format.magic)
    if (head.u8() !== m) throw new DecodeError('magic', head.o - 1, `not a ${format.what}`);
  const version = head.u8();
  if (version !== format.version)
    throw new DecodeError('version', 4, `version ${version}; this reader knows ${format.version}`);
  const len = head.u32();
  if (len > head.left)
    throw new DecodeError('truncated', 5, `the record stream needs ${len} bytes, ${head.left} left`);
  const end = head.o + len;
  if (end !== bytes.length)
    throw new DecodeError('trailing', end, `${bytes.length - end} bytes after the record stream`);
  const s = new In(bytes, head.o, end);
  let lastType = -1;
  while (s.left > 0) {
    const at = s.o;
    const type = s.bigSize();
    if (type <= lastType) invalid(at, `record type ${type} after ${lastType}: types must strictly increase`);
    lastType = type;
    const length = s.bigSize();
    if (length > s.left) throw new DecodeError('truncated', s.o, `record ${type} needs ${length} bytes`);
    const r = new In(bytes, s.o, s.o + length);
    const read = Object.hasOwn(readers, type) ? readers[type] : undefined;
    if (read !== undefined) read(r);
    else if (type % 2 === 0)
      throw new DecodeError('unknown-even', at, `unknown required record type ${type}`);
    else r.o += length; // unknown odd: skip
    r.finish(`record ${type}`);
    s.o += length;
  }
  return end;
}
