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

import { toHex as hex } from '@superscalar/core';
import { abandonAdvance, advance as dwAdvance } from '@superscalar/dw-counter';
import { displayHex as toDisplayHex, txidBytes } from '@superscalar/tx';
import { assertObject } from './_assert.js';
import {
  decodeEnvelope,
  decodeProposal,
  encodeEnvelope,
  encodeProposal,
  type In,
  invalid,
  Out,
} from './_codec.js';
import { type AdvancePlan, planAdvance } from './advance.js';
import { InvalidArgumentError } from './errors.js';
import { checkProposal, type Proposal } from './proposal.js';
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
  const records: [number, Uint8Array][] = [
    [T_PROPOSAL, encodeProposal(r.proposal)],
    [T_HISTORY, encodeHistory(r.history)],
  ];
  if (r.signatures.size > 0) records.push([T_SIGNATURES, encodeSignatures(r.signatures)]);
  if (r.secrets.size > 0) records.push([T_SECRETS, encodeSecrets(r.secrets)]);
  return encodeEnvelope(MAGIC, FACTORY_RECORD_VERSION, records);
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
  let proposal: Proposal | undefined;
  let history: AdvanceRecord[] | undefined;
  let signatures = new Map<string, Uint8Array>();
  let secrets = new Map<number, Uint8Array>();
  const end = decodeEnvelope(
    bytes,
    { magic: MAGIC, version: FACTORY_RECORD_VERSION, what: 'SuperScalar factory record' },
    {
      [T_PROPOSAL]: (r) => {
        proposal = decodeProposal(r);
      },
      [T_HISTORY]: (r) => {
        history = decodeHistory(r);
      },
      [T_SIGNATURES]: (r) => {
        signatures = decodeSignatures(r);
      },
      [T_SECRETS]: (r) => {
        secrets = decodeSecrets(r);
      },
    },
  );
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
