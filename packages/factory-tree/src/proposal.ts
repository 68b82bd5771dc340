/**
 * The factory proposal (protocol brief §2): a typed value with the per-network defaults of §2's table,
 * `checkProposal` with every rejection of §2 as an {@link InvalidProposalError} naming the field and
 * the figure, and `deriveT` (§6). Shape suggestions (`suggestShape`, §3.4) are `shape.ts`'s.
 *
 * Not here: the channel limits of §7 (`reserve`, `maxDustExposure`, `maxAcceptedHtlcs`) and the
 * initial-balance affordability check, which belong to the poon-dryja package.
 *
 * @module
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { toHex as hex, type Network } from '@superscalar/core';
import { buildShape, type DwParams, dwExitDelay, validateDwParams } from '@superscalar/dw-counter';
import { pointFromCompressed } from '@superscalar/musig2';
import { generateFromSeed } from '@superscalar/shachain';
import { LOCKTIME_THRESHOLD, P2TR_DUST } from '@superscalar/tx';
import { assertBytes, assertInt, assertObject, assertSats } from './_assert.js';
import { InvalidArgumentError, InvalidProposalError } from './errors.js';
import { layoutTree, shapeMetrics } from './tree.js';

/** Placement rules (§2). */
export type Placement = 'sequential' | 'inward' | 'outward' | 'timezone';

/** A client's placement profile. */
export interface PlacementProfile {
  /** Contribution (sats), for `inward`. */
  readonly contribution: bigint;
  /** Uptime (any monotone score), for `outward`. */
  readonly uptime: number;
  /** Time-zone bucket, for `timezone`. */
  readonly timezone: number;
}

/** One client of the proposal. */
export interface ClientSpec {
  /** 33-byte compressed factory key (per factory, §1). */
  readonly key: Uint8Array;
  /** P2TR scriptPubKey (34 bytes) of the client's close address for this factory. */
  readonly closeScript: Uint8Array;
  /** Channel capacity `c_i`. */
  readonly capacity: bigint;
  /** Initial client balance `b_i` (≤ `c_i`). */
  readonly balance: bigint;
  /** Placement profile; zeros when absent. */
  readonly profile?: PlacementProfile;
}

/** The LSP's part of the proposal. */
export interface LspSpec {
  /** 33-byte compressed factory key. */
  readonly key: Uint8Array;
  /** P2TR scriptPubKey of the LSP's close address for this factory. */
  readonly closeScript: Uint8Array;
}

/** The funding outpoint and amount (§8: the funding transaction is built, not yet broadcast). */
export interface FundingSpec {
  /** Display-order hex txid. */
  readonly txid: string;
  /** Output index. */
  readonly vout: number;
  /** Amount in sats. */
  readonly amount: bigint;
}

/** A complete proposal: every field of §2, defaults filled in. */
export interface Proposal {
  readonly network: Network;
  readonly proposalHeight: number;
  readonly lsp: LspSpec;
  readonly clients: readonly ClientSpec[];
  readonly placement: Placement;
  readonly leafArity: 1 | 2;
  readonly levelArity: readonly number[];
  readonly staticLevels: number;
  readonly dw: DwParams;
  /** Explicit L-stock per leaf (placement order), or undefined for §4.4's default split. */
  readonly lStock: readonly bigint[] | undefined;
  /** sat/kvB. */
  readonly treeFeeRate: number;
  readonly timeoutStep: number;
  readonly activeBlocks: number;
  readonly dyingBlocks: number;
  readonly exitMargin: number;
  readonly fundingTimeout: number;
  readonly minimumDepth: number;
  /** sat/kvB. */
  readonly commitFeeRate: number;
  readonly lStockCsv: number;
  readonly toSelfDelay: number;
  readonly htlcBudget: number;
  /** CLTV of the root kickoff's output (§6). */
  readonly T: number;
  readonly funding: FundingSpec;
  /**
   * `sha256(s_c)` of each leaf's initial L-stock state, in placement order of leaves (leaf j has
   * counter c = j, §5.3). Build them with {@link poisonHashesFromSeed}.
   */
  readonly poisonHashes: readonly Uint8Array[];
}

/** What {@link createProposal} takes: required fields plus any §2 field to override its default. */
export type ProposalInput = Pick<
  Proposal,
  'network' | 'proposalHeight' | 'lsp' | 'clients' | 'funding' | 'poisonHashes'
> &
  Partial<Omit<Proposal, 'network' | 'proposalHeight' | 'lsp' | 'clients' | 'funding' | 'poisonHashes'>>;

/** §2's per-network defaults (regtest values where the table gives them). */
export function proposalDefaults(network: Network) {
  const r = network === 'regtest';
  return {
    placement: 'sequential' as Placement,
    leafArity: 2 as 1 | 2,
    levelArity: [2] as readonly number[],
    staticLevels: 0,
    dw: { K: 4, S: r ? 10 : 144 } as DwParams,
    treeFeeRate: 1000,
    timeoutStep: 5,
    activeBlocks: r ? 20 : 4320,
    dyingBlocks: r ? 10 : 432,
    exitMargin: r ? 10 : 144,
    fundingTimeout: r ? 10 : 144,
    minimumDepth: r ? 1 : 3,
    commitFeeRate: 1000,
    lStockCsv: r ? 10 : 144,
    toSelfDelay: r ? 6 : 144,
    htlcBudget: 72,
  };
}

/** BIP68 holds 16 bits; §2 caps `S·(K−1)`. */
export const MAX_DW_SPAN = 65_535;
/** §2: `exitDelay + toSelfDelay + htlcBudget` at most 2,016 − 432. */
export const MAX_EXIT_BUDGET = 1584;
/** Largest interior fan-out (≤ 201 outputs with the anchor). */
export const MAX_FAN_OUT = 200;

/** The shape figures §2's checks and §6's `T` depend on. */
export interface ShapeFigures {
  /** §3.4: Σ over the deepest path's state levels of S·(K−1). */
  readonly exitDelay: number;
  /** Transactions on the longest root-to-leaf path. */
  readonly maxPathTxs: number;
  /** Number of DW layers. */
  readonly layerCount: number;
  /** Number of leaves. */
  readonly leaves: number;
}

/**
 * §6: `T = T_dist + exitDelay + exitMargin + m_max·timeoutStep` with
 * `T_dist = proposalHeight + activeBlocks + dyingBlocks + 10` and `m_max` the largest k of any output
 * (the longest path's transaction count − 1).
 */
export function deriveT(p: Omit<Proposal, 'T'>): number {
  assertObject(p, 'p');
  const f = shapeFigures(p);
  return tDist(p) + f.exitDelay + p.exitMargin + (f.maxPathTxs - 1) * p.timeoutStep;
}

/** §6: the distribution transaction's nLockTime. */
export function tDist(p: Pick<Proposal, 'proposalHeight' | 'activeBlocks' | 'dyingBlocks'>): number {
  assertObject(p, 'p');
  return p.proposalHeight + p.activeBlocks + p.dyingBlocks + 10;
}

/** The shape figures of a proposal (leaves, layers, exit delay, longest path). */
export function shapeFigures(
  p: Pick<Proposal, 'clients' | 'leafArity' | 'levelArity' | 'staticLevels' | 'dw'>,
): ShapeFigures {
  assertObject(p, 'p');
  const leaves = Math.ceil(p.clients.length / p.leafArity);
  const shape = buildShape({ leaves, levelArity: p.levelArity, staticLevels: p.staticLevels });
  const m = shapeMetrics(shape);
  return {
    exitDelay: dwExitDelay(shape.layerCount, p.dw),
    maxPathTxs: m.maxPathTxs,
    layerCount: shape.layerCount,
    leaves,
  };
}

/**
 * Fills §2's defaults for `input.network`, derives `T` (§6) when absent, and validates the result.
 *
 * @throws {InvalidArgumentError} a malformed field. {@link InvalidProposalError} a rejection of §2.
 */
export function createProposal(input: ProposalInput): Proposal {
  assertObject(input, 'proposal');
  const d = proposalDefaults(input.network);
  const base = {
    ...d,
    lStock: undefined,
    ...stripUndefined(input),
  } as Omit<Proposal, 'T'> & { T?: number };
  checkShapeFields(base);
  const T = base.T ?? deriveT(base);
  const p: Proposal = Object.freeze({ ...base, T });
  checkProposal(p);
  return p;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}

function assertP2tr(v: unknown, name: string) {
  assertBytes(v, name, 34);
  if (v[0] !== 0x51 || v[1] !== 0x20) throw new InvalidArgumentError(name, 'expected a P2TR scriptPubKey');
}

function assertKey(v: unknown, name: string) {
  assertBytes(v, name, 33);
  try {
    pointFromCompressed(v);
  } catch (e) {
    throw new InvalidArgumentError(name, 'not a valid compressed secp256k1 public key', { cause: e });
  }
}

// Checks that must pass before the shape can be built.
function checkShapeFields(p: Omit<Proposal, 'T'>) {
  if (!Array.isArray(p.clients)) throw new InvalidArgumentError('clients', 'expected an array');
  if (p.clients.length === 0)
    throw new InvalidProposalError('clients.length', 0, 'a factory needs at least one client (N = 0)', 1);
  if (p.leafArity !== 1 && p.leafArity !== 2)
    throw new InvalidProposalError('leafArity', String(p.leafArity), 'leaves hold 1 or 2 clients');
  if (!Array.isArray(p.levelArity) || p.levelArity.length === 0)
    throw new InvalidArgumentError('levelArity', 'expected a non-empty array');
  p.levelArity.forEach((a, i) => {
    if (!Number.isInteger(a) || a < 2)
      throw new InvalidProposalError(`levelArity[${i}]`, a, 'a fan-out is at least 2', 2);
    if (a > MAX_FAN_OUT)
      throw new InvalidProposalError(
        `levelArity[${i}]`,
        a,
        `a fan-out above ${MAX_FAN_OUT} breaks TRUC's size limit`,
        MAX_FAN_OUT,
      );
  });
  assertInt(p.staticLevels, 'staticLevels', 0, 64);
  assertObject(p.dw, 'dw');
  assertInt(p.dw.K, 'dw.K', -1e9, 1e9);
  assertInt(p.dw.S, 'dw.S', -1e9, 1e9);
  if (p.dw.K < 2 || p.dw.K > 256)
    throw new InvalidProposalError('dw.K', p.dw.K, 'K must be in 2..256', '2..256');
  if (p.dw.S < 1) throw new InvalidProposalError('dw.S', p.dw.S, 'S must be at least 1 block', 1);
  const span = p.dw.S * (p.dw.K - 1);
  if (span > MAX_DW_SPAN)
    throw new InvalidProposalError('dw.S·(dw.K−1)', span, 'BIP68 holds 16 bits of blocks', MAX_DW_SPAN);
  validateDwParams(p.dw);
}

/**
 * Every rejection of brief §2, in order; the first one found is thrown as an
 * {@link InvalidProposalError} naming the field and the figure.
 */
export function checkProposal(p: Proposal): void {
  assertObject(p, 'proposal');
  if (!['regtest', 'signet', 'testnet4', 'mainnet'].includes(p.network))
    throw new InvalidArgumentError('network', `unknown network ${String(p.network)}`);
  assertInt(p.proposalHeight, 'proposalHeight', 0, LOCKTIME_THRESHOLD - 1);
  assertObject(p.lsp, 'lsp');
  assertKey(p.lsp.key, 'lsp.key');
  assertP2tr(p.lsp.closeScript, 'lsp.closeScript');
  checkShapeFields(p);
  const seen = new Map<string, string>([[hex(p.lsp.key), 'lsp.key']]);
  p.clients.forEach((c, i) => {
    assertObject(c, `clients[${i}]`);
    assertKey(c.key, `clients[${i}].key`);
    assertP2tr(c.closeScript, `clients[${i}].closeScript`);
    assertSats(c.capacity, `clients[${i}].capacity`);
    assertSats(c.balance, `clients[${i}].balance`);
    const k = hex(c.key);
    const prev = seen.get(k);
    if (prev !== undefined)
      throw new InvalidProposalError(`clients[${i}].key`, k, `duplicate key (also ${prev})`);
    seen.set(k, `clients[${i}].key`);
    if (c.capacity < P2TR_DUST)
      throw new InvalidProposalError(
        `clients[${i}].capacity`,
        c.capacity,
        'channel output below dust',
        P2TR_DUST,
      );
    if (c.balance > c.capacity)
      throw new InvalidProposalError(
        `clients[${i}].balance`,
        c.balance,
        'balance above the channel capacity',
        c.capacity,
      );
    if (c.profile !== undefined) {
      assertObject(c.profile, `clients[${i}].profile`);
      if (typeof c.profile.contribution !== 'bigint')
        throw new InvalidArgumentError(`clients[${i}].profile.contribution`, 'expected a bigint');
      if (!Number.isFinite(c.profile.uptime))
        throw new InvalidArgumentError(`clients[${i}].profile.uptime`, 'expected a number');
      if (!Number.isFinite(c.profile.timezone))
        throw new InvalidArgumentError(`clients[${i}].profile.timezone`, 'expected a number');
    }
  });
  if (!['sequential', 'inward', 'outward', 'timezone'].includes(p.placement))
    throw new InvalidArgumentError('placement', `unknown placement ${String(p.placement)}`);
  assertInt(p.treeFeeRate, 'treeFeeRate', 0, 100_000_000);
  assertInt(p.commitFeeRate, 'commitFeeRate', 0, 100_000_000);
  assertInt(p.timeoutStep, 'timeoutStep', 1, 65_535);
  assertInt(p.activeBlocks, 'activeBlocks', 1, 1_000_000);
  assertInt(p.dyingBlocks, 'dyingBlocks', 0, 1_000_000);
  assertInt(p.exitMargin, 'exitMargin', 0, 1_000_000);
  assertInt(p.fundingTimeout, 'fundingTimeout', 1, 1_000_000);
  assertInt(p.minimumDepth, 'minimumDepth', 1, 1_000);
  assertInt(p.lStockCsv, 'lStockCsv', 1, 65_535);
  assertInt(p.toSelfDelay, 'toSelfDelay', 1, 65_535);
  assertInt(p.htlcBudget, 'htlcBudget', 0, 65_535);
  assertObject(p.funding, 'funding');
  if (typeof p.funding.txid !== 'string' || !/^[0-9a-f]{64}$/.test(p.funding.txid))
    throw new InvalidArgumentError('funding.txid', 'expected 64 lower-case hex characters (display order)');
  assertInt(p.funding.vout, 'funding.vout', 0, 0xffffffff);
  assertSats(p.funding.amount, 'funding.amount');
  if (p.fundingTimeout >= p.activeBlocks)
    throw new InvalidProposalError(
      'fundingTimeout',
      p.fundingTimeout,
      'must be below activeBlocks',
      p.activeBlocks,
    );

  const f = shapeFigures(p);
  if (!Array.isArray(p.poisonHashes) || p.poisonHashes.length !== f.leaves)
    throw new InvalidArgumentError('poisonHashes', `expected one 32-byte hash per leaf (${f.leaves})`);
  p.poisonHashes.forEach((h, j) => {
    assertBytes(h, `poisonHashes[${j}]`, 32);
  });
  const budget = f.exitDelay + p.toSelfDelay + p.htlcBudget;
  if (budget > MAX_EXIT_BUDGET)
    throw new InvalidProposalError(
      'exitDelay + toSelfDelay + htlcBudget',
      budget,
      `the shape's exit delay is ${f.exitDelay} blocks (${f.layerCount} DW layers of ${p.dw.S}·${p.dw.K - 1}); use wider levelArity, staticLevels or a smaller S (see suggestShape)`,
      MAX_EXIT_BUDGET,
    );
  assertInt(p.T, 'T', 0, Number.MAX_SAFE_INTEGER);
  const expectedT = deriveT(p);
  if (p.T !== expectedT)
    throw new InvalidProposalError(
      'T',
      p.T,
      `T must be exactly the value §6 derives (${expectedT})`,
      expectedT,
    );
  if (p.T >= LOCKTIME_THRESHOLD)
    throw new InvalidProposalError(
      'T',
      p.T,
      'T must be a block height below 500,000,000',
      LOCKTIME_THRESHOLD,
    );
  if (p.lStock !== undefined) {
    if (!Array.isArray(p.lStock) || p.lStock.length !== f.leaves)
      throw new InvalidArgumentError('lStock', `expected one amount per leaf (${f.leaves})`);
    p.lStock.forEach((a, j) => {
      assertSats(a, `lStock[${j}]`);
    });
  }
  // Amounts, fees, dust, TRUC size, the funding amount and the per-path timeout check.
  layoutTree(p);
}

/**
 * The initial poison hashes `sha256(s_c)` for leaves 0..leaves−1 (c = firstCounter + j), with `s_c`
 * the LSP's per-factory L-stock shachain at index `2^48 − 1 − c` (§5.3).
 */
export function poisonHashesFromSeed(seed: Uint8Array, leaves: number, firstCounter = 0): Uint8Array[] {
  assertBytes(seed, 'seed', 32);
  assertInt(leaves, 'leaves', 1, 1_000_000);
  assertInt(firstCounter, 'firstCounter', 0, 2 ** 48 - 1 - leaves);
  return Array.from({ length: leaves }, (_, j) => sha256(lStockSecret(seed, firstCounter + j)));
}

/** The LSP's L-stock secret `s_c` (shachain index `2^48 − 1 − c`, §5.3). */
export function lStockSecret(seed: Uint8Array, c: number): Uint8Array {
  assertBytes(seed, 'seed', 32);
  assertInt(c, 'c', 0, 2 ** 48 - 1);
  return generateFromSeed(seed, 2 ** 48 - 1 - c);
}
