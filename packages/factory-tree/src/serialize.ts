/**
 * A factory as versioned bytes and back, exactly: the proposal, the advance history (from which the
 * current DW state, allocations, poison hashes and every superseded poison and settlement are rebuilt
 * deterministically by {@link replayFactory}), the signatures held (by txid) and the revealed L-stock
 * secrets (by counter `c`).
 *
 * Format (version 1; integers big-endian):
 *
 * | field | size |
 * |---|---|
 * | magic `SSFT` | 4 |
 * | version = 1 | 1 |
 * | length of the record stream | 4 |
 * | record stream: records `type ‖ length ‖ value` (BOLT 1 BigSize type and length, minimal), types strictly increasing | length |
 *
 * Records: 0 proposal (required), 2 history (required), 4 signatures, 6 revealed secrets. An unknown
 * odd type is skipped, an unknown even type rejected (BOLT 1's rule), so later versions can add
 * optional records that version-1 readers ignore. Value layouts are in the code below, field by field.
 *
 * Decoding is strict and total: a {@link DecodeError} (`magic`, `version`, `truncated`,
 * `trailing`, `invalid`, `unknown-even`) with the byte offset, never another exception, and no
 * allocation from an unchecked length. The decoded proposal is validated (`checkProposal`); the
 * history is checked when replayed.
 *
 * @module
 */

import { toHex as hex, type Network } from '@superscalar/core';
import { abandonAdvance, advance as dwAdvance } from '@superscalar/dw-counter';
import { displayHex as toDisplayHex, txidBytes } from '@superscalar/tx';
import { assertObject } from './_assert.js';
import { type AdvancePlan, planAdvance } from './advance.js';
import { DecodeError, FactoryTreeError, InvalidArgumentError } from './errors.js';
import { type ClientSpec, checkProposal, type Placement, type Proposal } from './proposal.js';
import { buildTree, type FactoryTree, type LeafAllocation } from './transactions.js';

/** Current format version. */
export const FACTORY_RECORD_VERSION = 1;
const MAGIC = [0x53, 0x53, 0x46, 0x54]; // "SSFT"
const T_PROPOSAL = 0;
const T_HISTORY = 2;
const T_SIGNATURES = 4;
const T_SECRETS = 6;
const COUNTER_MAX = 2 ** 48 - 1;

/** One advance of the history: what was asked, so replay rebuilds exactly what was signed. */
export interface AdvanceRecord {
  /** The leaf advanced. */
  readonly leaf: number;
  /** New allocations by leaf (as given to `planAdvance`). */
  readonly allocations: ReadonlyMap<number, LeafAllocation>;
  /** Poison hashes of the created counters (empty for an abandoned attempt). */
  readonly poisonHashes: ReadonlyMap<number, Uint8Array>;
  /** An attempt whose signing aborted: only its counters are retired (dw-counter `abandonAdvance`). */
  readonly abandoned: boolean;
}

/** Everything a party persists about one factory. */
export interface StoredFactory {
  readonly proposal: Proposal;
  /** Every advance since creation, in order. */
  readonly history: readonly AdvanceRecord[];
  /** Signatures held, by display-order txid (tree, poison and settlement transactions alike). */
  readonly signatures: ReadonlyMap<string, Uint8Array>;
  /** Revealed L-stock secrets `s_c`, by counter `c` (check each with `checkRevealedSecret` first). */
  readonly secrets: ReadonlyMap<number, Uint8Array>;
}

/**
 * The record of a completed advance (pass the request given to `planAdvance`); `options.abandoned`
 * records an abandoned one (default false).
 */
export function advanceRecord(
  leaf: number,
  allocations: ReadonlyMap<number, LeafAllocation> | undefined,
  poisonHashes: ReadonlyMap<number, Uint8Array>,
  options: { readonly abandoned?: boolean } = {},
): AdvanceRecord {
  const abandoned = options.abandoned ?? false;
  return Object.freeze({
    leaf,
    allocations: new Map(allocations ?? []),
    poisonHashes: abandoned ? new Map() : new Map(poisonHashes),
    abandoned,
  });
}

// ---------------------------------------------------------------------------------------------
// Writer

class Out {
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

function encodeProposal(p: Proposal): Uint8Array {
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

function sortedKeys<K extends number | string>(m: ReadonlyMap<K, unknown>): K[] {
  return [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function encodeHistory(h: readonly AdvanceRecord[]): Uint8Array {
  const w = new Out();
  w.u32(h.length);
  h.forEach((r, i) => {
    const at = `history[${i}]`;
    if (!Number.isInteger(r.leaf) || r.leaf < 0 || r.leaf > 0xffffffff)
      throw new InvalidArgumentError(`${at}.leaf`, 'expected a leaf index');
    if (!(r.allocations instanceof Map) || !(r.poisonHashes instanceof Map))
      throw new InvalidArgumentError(at, 'expected Maps of allocations and poison hashes');
    w.u32(r.leaf);
    w.u8(r.abandoned ? 1 : 0);
    w.u32(r.allocations.size);
    for (const leaf of sortedKeys(r.allocations)) {
      const a = r.allocations.get(leaf) as LeafAllocation;
      if (a.capacities.length > 2)
        throw new InvalidArgumentError(`${at}.allocations`, 'at most 2 capacities per leaf');
      w.u32(leaf);
      w.u8(a.capacities.length);
      for (const c of a.capacities) w.u64(c);
      w.u64(a.lStock);
    }
    w.u32(r.poisonHashes.size);
    for (const c of sortedKeys(r.poisonHashes)) {
      const hash = r.poisonHashes.get(c) as Uint8Array;
      if (
        !Number.isInteger(c) ||
        c < 0 ||
        c > COUNTER_MAX ||
        !(hash instanceof Uint8Array) ||
        hash.length !== 32
      )
        throw new InvalidArgumentError(`${at}.poisonHashes`, 'expected counter → 32-byte hash');
      w.u64(BigInt(c));
      w.bytes(hash);
    }
  });
  return w.done();
}

function encodeSignatures(m: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const w = new Out();
  w.u32(m.size);
  for (const txid of sortedKeys(m)) {
    const sig = m.get(txid) as Uint8Array;
    if (!/^[0-9a-f]{64}$/.test(txid) || !(sig instanceof Uint8Array) || sig.length !== 64)
      throw new InvalidArgumentError('signatures', 'expected display-order hex txid → 64-byte signature');
    w.bytes(txidBytes(txid, 'record.signatures').reverse());
    w.bytes(sig);
  }
  return w.done();
}

function encodeSecrets(m: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const w = new Out();
  w.u32(m.size);
  for (const c of sortedKeys(m)) {
    const s = m.get(c) as Uint8Array;
    if (!Number.isInteger(c) || c < 0 || c > COUNTER_MAX || !(s instanceof Uint8Array) || s.length !== 32)
      throw new InvalidArgumentError('secrets', 'expected counter → 32-byte secret');
    w.u64(BigInt(c));
    w.bytes(s);
  }
  return w.done();
}

/**
 * Encodes a factory record (see the module table). Validates the proposal first.
 *
 * @throws {InvalidProposalError}, {@link InvalidArgumentError} malformed parts.
 */
export function encodeFactory(r: StoredFactory): Uint8Array {
  if (typeof r !== 'object' || r === null)
    throw new InvalidArgumentError('record', 'expected a StoredFactory');
  checkProposal(r.proposal);
  if (!Array.isArray(r.history)) throw new InvalidArgumentError('record.history', 'expected an array');
  if (!(r.signatures instanceof Map) || !(r.secrets instanceof Map))
    throw new InvalidArgumentError('record', 'signatures and secrets must be Maps');
  const stream = new Out();
  const record = (type: number, value: Uint8Array) => {
    stream.bigSize(type);
    stream.bigSize(value.length);
    stream.bytes(value);
  };
  record(T_PROPOSAL, encodeProposal(r.proposal));
  record(T_HISTORY, encodeHistory(r.history));
  if (r.signatures.size > 0) record(T_SIGNATURES, encodeSignatures(r.signatures));
  if (r.secrets.size > 0) record(T_SECRETS, encodeSecrets(r.secrets));
  const body = stream.done();
  const w = new Out();
  for (const m of MAGIC) w.u8(m);
  w.u8(FACTORY_RECORD_VERSION);
  w.u32(body.length);
  w.bytes(body);
  return w.done();
}

// ---------------------------------------------------------------------------------------------
// Reader

class In {
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

function invalid(at: number, message: string): never {
  throw new DecodeError('invalid', at, message);
}

function decodeProposal(r: In): Proposal {
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

function decodeHistory(r: In): AdvanceRecord[] {
  const n = r.count(4 + 1 + 4 + 4);
  const out: AdvanceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const leaf = r.u32();
    const fAt = r.o;
    const flags = r.u8();
    if (flags > 1) invalid(fAt, `history[${i}] flags ${flags}`);
    const allocations = new Map<number, LeafAllocation>();
    const na = r.count(4 + 1 + 8);
    let lastLeaf = -1;
    for (let k = 0; k < na; k++) {
      const at = r.o;
      const l = r.u32();
      if (l <= lastLeaf) invalid(at, 'allocation leaves not strictly increasing');
      lastLeaf = l;
      const nc = r.u8();
      if (nc < 1 || nc > 2) invalid(at + 4, `${nc} capacities`);
      const capacities: bigint[] = [];
      for (let j = 0; j < nc; j++) capacities.push(r.u64());
      allocations.set(l, Object.freeze({ capacities: Object.freeze(capacities), lStock: r.u64() }));
    }
    const poisonHashes = new Map<number, Uint8Array>();
    const nh = r.count(8 + 32);
    let last = -1;
    for (let k = 0; k < nh; k++) {
      const at = r.o;
      const c = r.u64();
      if (c > BigInt(COUNTER_MAX) || Number(c) <= last)
        invalid(at, 'poison counters not strictly increasing below 2^48');
      last = Number(c);
      poisonHashes.set(last, r.bytes(32));
    }
    out.push(Object.freeze({ leaf, allocations, poisonHashes, abandoned: flags === 1 }));
  }
  return out;
}

function decodeSignatures(r: In): Map<string, Uint8Array> {
  const n = r.count(96);
  const m = new Map<string, Uint8Array>();
  let prev: string | undefined;
  for (let i = 0; i < n; i++) {
    const at = r.o;
    const raw = r.bytes(32);
    const key = hex(raw);
    if (prev !== undefined && key <= prev) invalid(at, 'txids not strictly increasing');
    prev = key;
    m.set(toDisplayHex(raw.reverse()), r.bytes(64));
  }
  return m;
}

function decodeSecrets(r: In): Map<number, Uint8Array> {
  const n = r.count(40);
  const m = new Map<number, Uint8Array>();
  let last = -1;
  for (let i = 0; i < n; i++) {
    const at = r.o;
    const c = r.u64();
    if (c > BigInt(COUNTER_MAX) || Number(c) <= last)
      invalid(at, 'secret counters not strictly increasing below 2^48');
    last = Number(c);
    m.set(last, r.bytes(32));
  }
  return m;
}

/**
 * Decodes a factory record.
 *
 * @throws {DecodeError} and nothing else.
 */
export function decodeFactory(bytes: Uint8Array): StoredFactory {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('invalid', 0, 'expected a Uint8Array');
  const head = new In(bytes, 0, bytes.length);
  for (const m of MAGIC)
    if (head.u8() !== m) throw new DecodeError('magic', head.o - 1, 'not a SuperScalar factory record');
  const version = head.u8();
  if (version !== FACTORY_RECORD_VERSION)
    throw new DecodeError('version', 4, `version ${version}; this reader knows ${FACTORY_RECORD_VERSION}`);
  const len = head.u32();
  if (len > head.left)
    throw new DecodeError('truncated', 5, `the record stream needs ${len} bytes, ${head.left} left`);
  const end = head.o + len;
  if (end !== bytes.length)
    throw new DecodeError('trailing', end, `${bytes.length - end} bytes after the record stream`);
  const s = new In(bytes, head.o, end);
  let lastType = -1;
  let proposal: Proposal | undefined;
  let history: AdvanceRecord[] | undefined;
  let signatures = new Map<string, Uint8Array>();
  let secrets = new Map<number, Uint8Array>();
  while (s.left > 0) {
    const at = s.o;
    const type = s.bigSize();
    if (type <= lastType) invalid(at, `record type ${type} after ${lastType}: types must strictly increase`);
    lastType = type;
    const length = s.bigSize();
    if (length > s.left) throw new DecodeError('truncated', s.o, `record ${type} needs ${length} bytes`);
    const r = new In(bytes, s.o, s.o + length);
    switch (type) {
      case T_PROPOSAL:
        proposal = decodeProposal(r);
        break;
      case T_HISTORY:
        history = decodeHistory(r);
        break;
      case T_SIGNATURES:
        signatures = decodeSignatures(r);
        break;
      case T_SECRETS:
        secrets = decodeSecrets(r);
        break;
      default:
        if (type % 2 === 0) throw new DecodeError('unknown-even', at, `unknown required record type ${type}`);
        r.o += length; // unknown odd: skip
    }
    r.finish(`record ${type}`);
    s.o += length;
  }
  if (proposal === undefined) invalid(end, 'no proposal record');
  if (history === undefined) invalid(end, 'no history record');
  return Object.freeze({ proposal, history: Object.freeze(history), signatures, secrets });
}

/** What {@link replayFactory} rebuilds. */
export interface ReplayedFactory {
  /** The current tree (current DW state, allocations and poison hashes). */
  readonly tree: FactoryTree;
  /** The plan of each completed advance, in order: superseded states, poisons, settlements. */
  readonly plans: readonly AdvancePlan[];
}

/**
 * Rebuilds the current tree and every advance plan from a record, deterministically (the same bytes
 * every party signed).
 *
 * @throws the typed errors of `buildTree` and `planAdvance` for a history that does not apply.
 */
export function replayFactory(r: StoredFactory): ReplayedFactory {
  assertObject(r, 'record');
  let tree = buildTree(r.proposal);
  const plans: AdvancePlan[] = [];
  for (const h of r.history) {
    if (h.abandoned) {
      const dw = abandonAdvance(tree.state.dw, dwAdvance(tree.state.dw, h.leaf));
      tree = Object.freeze({ ...tree, state: Object.freeze({ ...tree.state, dw }) });
      continue;
    }
    const plan = planAdvance(tree, {
      leaf: h.leaf,
      allocations: h.allocations,
      poisonHashes: h.poisonHashes,
    });
    plans.push(plan);
    tree = plan.next;
  }
  return Object.freeze({ tree, plans: Object.freeze(plans) });
}
