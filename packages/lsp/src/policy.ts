/**
 * The LSP's policy (roles memo §2): when to form a factory and from whom, the factory's shape and
 * parameters (brief §2, defaulting to the brief's values for the network), what a registration may
 * ask, and the ceremony's timeouts. {@link resolveLspPolicy} fills every default and checks ranges.
 *
 * @module
 */
import type { Network } from '@superscalar/core';
import { type Placement, type Proposal, proposalDefaults } from '@superscalar/factory-tree';
import { type LspAdvancePolicy, type ResolvedAdvancePolicy, resolveAdvancePolicy } from './advancePolicy.js';
import { InvalidArgumentError } from './errors.js';

/** The factory's parameters (brief §2); each one absent takes `proposalDefaults(network)`'s value. */
export interface FactoryParameters {
  readonly placement?: Placement;
  /** Shape: when `levelArity` is absent the LSP takes `suggestShape(N, dw, toSelfDelay)`'s. */
  readonly leafArity?: 1 | 2;
  readonly levelArity?: readonly number[];
  readonly staticLevels?: number;
  readonly dw?: Proposal['dw'];
  readonly timeoutStep?: number;
  readonly activeBlocks?: number;
  readonly dyingBlocks?: number;
  readonly exitMargin?: number;
  readonly fundingTimeout?: number;
  readonly minimumDepth?: number;
  readonly lStockCsv?: number;
  readonly toSelfDelay?: number;
  readonly htlcBudget?: number;
}

/** What the LSP's embedder sets; every field is optional. */
export interface LspPolicy extends FactoryParameters {
  /** Fewest clients a factory forms with (default 1). */
  readonly minClients?: number;
  /** Most clients per factory (default 64). */
  readonly maxClients?: number;
  /** Form this long after the first waiting registration, if `minClients` are there (default 10 s). */
  readonly formAfterMs?: number;
  /** The LSP's liquidity stock per leaf, sats (default 10,000); the funding pays the tree plus this. */
  readonly lStockPerLeaf?: bigint;
  /** Smallest capacity granted, sats (default 10,000). */
  readonly minCapacity?: bigint;
  /** Largest capacity granted, sats (default 10,000,000). */
  readonly maxCapacity?: bigint;
  /** Largest initial client balance granted, sats (default: the capacity's own bound, brief §7). */
  readonly maxBalance?: bigint;
  /** Routing terms granted: BOLT 7 base fee (default 1,000 msat). */
  readonly feeBaseMsat?: number;
  /** Routing terms granted: proportional fee (default 100 ppm). */
  readonly feeProportionalMillionths?: number;
  /** Smallest HTLC forwarded, msat (default 1,000). */
  readonly htlcMinimumMsat?: bigint;
  /** Fee rate of the funding transaction, sat/kvB, until a `fee_rates` input says otherwise (default 1,000). */
  readonly fundingFeeRate?: number;
  /** Fee rate of the tree's transactions, sat/kvB, floored at 1,000 (default 1,000). */
  readonly treeFeeRate?: number;
  /** Initial commitment fee rate, sat/kvB, floored at 1,000 (default 1,000). */
  readonly commitFeeRate?: number;
  /** Lowest commitment fee rate `update_fee` proposes, sat/kvB (default 1,000; never below 1,000). */
  readonly minCommitFeeRate?: number;
  /** Highest commitment fee rate `update_fee` proposes, sat/kvB (default 100,000). */
  readonly maxCommitFeeRate?: number;
  /** `update_fee` only when the estimate is at least this many percent away from a channel's rate (default 20). */
  readonly feeUpdateHysteresisPercent?: number;
  /** Largest HTLC forwarded, msat (default: no bound but the channel's). */
  readonly htlcMaximumMsat?: bigint;
  /** Most msat in HTLCs the LSP offers on one channel at once (default: no bound but the channel's). */
  readonly maxHtlcValueInFlightMsat?: bigint;
  /** A client that does not answer a ceremony step within this is dropped (default 30 s). */
  readonly stepTimeoutMs?: number;
  /** A forward not added downstream within this many ms (payee offline) is failed upstream (default 60 s). */
  readonly forwardTimeoutMs?: number;
  /** HTLC updates within this many ms share one `commitment_signed` per channel (default 0: one per input). */
  readonly batchWindowMs?: number;
  /** Signing attempts before the ceremony aborts without the blamed client (default 3). */
  readonly maxSigningAttempts?: number;
  /** Fresh attempts after reconnections and restarts, counted apart from signing failures (default 5). */
  readonly maxReconnectRestarts?: number;
  /** A client dropped from a ceremony is left out of formations for this long (default 10 min). */
  readonly benchMs?: number;
  /**
   * The cooperative close's deadline (default 10 min): a close (or a fee bump) that is not signed
   * this long after it started — a client offline, not answering, or a channel holding HTLCs —
   * stalls (`CloseStalled`).
   */
  readonly closeDeadlineMs?: number;
  /** Floor of the cooperative close's fee rate, sat/kvB (default 1,000; `fee_rates.close` raises it). */
  readonly closeFeeRate?: number;
  /**
   * Whether to grant a client's close request (`close_propose`, attempt 0). Asked only for a factory
   * that is open; default: grant.
   */
  readonly acceptCloseRequest?: (request: CloseRequest) => boolean;
  /**
   * Brief §6: the LSP must spend the funding output before `T_dist`, or the clients take the whole
   * factory with the distribution. With this set, a factory still open (not closed, not rotated)
   * `exitBeforeDistribution` blocks before `T_dist` is exited unilaterally (`exit_factory`): its root
   * kickoff confirms before `T_dist`. Default null: never (the embedder closes or rotates in time).
   */
  readonly exitBeforeDistribution?: number | null;
  /** State advances (brief §5): quiescence deadline, liquidity fees, granting client requests. */
  readonly advance?: LspAdvancePolicy;
}

/** A client's request to close a factory, as {@link LspPolicy.acceptCloseRequest} sees it. */
export interface CloseRequest {
  /** The factory, hex. */
  readonly factoryId: string;
  /** The requesting client's node id. */
  readonly peer: string;
  /** Its index in the proposal's `clients`. */
  readonly clientIndex: number;
}

/** {@link LspPolicy} with every default filled in. */
export type ResolvedLspPolicy = Required<
  Omit<LspPolicy, 'levelArity' | 'maxBalance' | 'htlcMaximumMsat' | 'maxHtlcValueInFlightMsat' | 'advance'>
> & {
  readonly levelArity: readonly number[] | undefined;
  readonly maxBalance: bigint | undefined;
  readonly htlcMaximumMsat: bigint | undefined;
  readonly maxHtlcValueInFlightMsat: bigint | undefined;
  readonly advance: ResolvedAdvancePolicy;
};

function int(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidArgumentError(
      `policy.${name}`,
      `expected an integer in ${min}..${max}, got ${String(v)}`,
    );
  return v;
}

function fn<F>(v: unknown, name: string): F | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'function') throw new InvalidArgumentError(`policy.${name}`, 'expected a function');
  return v as F;
}

function sats(v: unknown, name: string, min: bigint): bigint {
  if (typeof v !== 'bigint' || v < min)
    throw new InvalidArgumentError(`policy.${name}`, `expected sats (bigint) of at least ${min}`);
  return v;
}

/**
 * Every default of {@link LspPolicy} for `network` (brief §2's table, regtest values on regtest),
 * checked.
 *
 * @throws {InvalidArgumentError} naming the field (`policy.maxClients`).
 */
export function resolveLspPolicy(network: Network, policy: LspPolicy = {}): ResolvedLspPolicy {
  if (typeof policy !== 'object' || policy === null)
    throw new InvalidArgumentError('policy', 'expected an object');
  const d = proposalDefaults(network);
  const p = policy;
  const minClients = int(p.minClients ?? 1, 'minClients', 1, 46_000);
  const maxClients = int(p.maxClients ?? 64, 'maxClients', minClients, 46_000);
  return Object.freeze({
    minClients,
    maxClients,
    formAfterMs: int(p.formAfterMs ?? 10_000, 'formAfterMs', 0, 2 ** 40),
    lStockPerLeaf: sats(p.lStockPerLeaf ?? 10_000n, 'lStockPerLeaf', 330n),
    minCapacity: sats(p.minCapacity ?? 10_000n, 'minCapacity', 330n),
    maxCapacity: sats(p.maxCapacity ?? 10_000_000n, 'maxCapacity', 330n),
    maxBalance: p.maxBalance === undefined ? undefined : sats(p.maxBalance, 'maxBalance', 0n),
    feeBaseMsat: int(p.feeBaseMsat ?? 1000, 'feeBaseMsat', 0, 0xffffffff),
    feeProportionalMillionths: int(
      p.feeProportionalMillionths ?? 100,
      'feeProportionalMillionths',
      0,
      0xffffffff,
    ),
    htlcMinimumMsat: sats(p.htlcMinimumMsat ?? 1000n, 'htlcMinimumMsat', 0n),
    fundingFeeRate: int(p.fundingFeeRate ?? 1000, 'fundingFeeRate', 1, 100_000_000),
    treeFeeRate: Math.max(1000, int(p.treeFeeRate ?? 1000, 'treeFeeRate', 1, 100_000_000)),
    commitFeeRate: Math.max(1000, int(p.commitFeeRate ?? 1000, 'commitFeeRate', 1, 100_000_000)),
    minCommitFeeRate: Math.max(1000, int(p.minCommitFeeRate ?? 1000, 'minCommitFeeRate', 1, 100_000_000)),
    maxCommitFeeRate: int(
      p.maxCommitFeeRate ?? 100_000,
      'maxCommitFeeRate',
      Math.max(1000, p.minCommitFeeRate ?? 1000),
      100_000_000,
    ),
    feeUpdateHysteresisPercent: int(
      p.feeUpdateHysteresisPercent ?? 20,
      'feeUpdateHysteresisPercent',
      0,
      1_000,
    ),
    htlcMaximumMsat:
      p.htlcMaximumMsat === undefined ? undefined : sats(p.htlcMaximumMsat, 'htlcMaximumMsat', 1n),
    maxHtlcValueInFlightMsat:
      p.maxHtlcValueInFlightMsat === undefined
        ? undefined
        : sats(p.maxHtlcValueInFlightMsat, 'maxHtlcValueInFlightMsat', 1n),
    stepTimeoutMs: int(p.stepTimeoutMs ?? 30_000, 'stepTimeoutMs', 1, 2 ** 40),
    forwardTimeoutMs: int(p.forwardTimeoutMs ?? 60_000, 'forwardTimeoutMs', 1, 2 ** 40),
    batchWindowMs: int(p.batchWindowMs ?? 0, 'batchWindowMs', 0, 2 ** 40),
    maxSigningAttempts: int(p.maxSigningAttempts ?? 3, 'maxSigningAttempts', 1, 100),
    maxReconnectRestarts: int(p.maxReconnectRestarts ?? 5, 'maxReconnectRestarts', 0, 100),
    benchMs: int(p.benchMs ?? 600_000, 'benchMs', 0, 2 ** 40),
    closeDeadlineMs: int(p.closeDeadlineMs ?? 600_000, 'closeDeadlineMs', 1, 2 ** 40),
    closeFeeRate: int(p.closeFeeRate ?? 1000, 'closeFeeRate', 1, 100_000_000),
    acceptCloseRequest:
      fn<(r: CloseRequest) => boolean>(p.acceptCloseRequest, 'acceptCloseRequest') ?? (() => true),
    placement: p.placement ?? d.placement,
    leafArity: p.leafArity ?? d.leafArity,
    levelArity: p.levelArity,
    staticLevels: int(p.staticLevels ?? d.staticLevels, 'staticLevels', 0, 64),
    dw: p.dw ?? d.dw,
    timeoutStep: int(p.timeoutStep ?? d.timeoutStep, 'timeoutStep', 1, 65_535),
    activeBlocks: int(p.activeBlocks ?? d.activeBlocks, 'activeBlocks', 1, 1_000_000),
    dyingBlocks: int(p.dyingBlocks ?? d.dyingBlocks, 'dyingBlocks', 0, 1_000_000),
    exitMargin: int(p.exitMargin ?? d.exitMargin, 'exitMargin', 0, 1_000_000),
    fundingTimeout: int(p.fundingTimeout ?? d.fundingTimeout, 'fundingTimeout', 1, 1_000_000),
    minimumDepth: int(p.minimumDepth ?? d.minimumDepth, 'minimumDepth', 1, 1_000),
    lStockCsv: int(p.lStockCsv ?? d.lStockCsv, 'lStockCsv', 1, 65_535),
    toSelfDelay: int(p.toSelfDelay ?? d.toSelfDelay, 'toSelfDelay', 1, 65_535),
    htlcBudget: int(p.htlcBudget ?? d.htlcBudget, 'htlcBudget', 0, 65_535),
    exitBeforeDistribution:
      p.exitBeforeDistribution === undefined || p.exitBeforeDistribution === null
        ? null
        : int(p.exitBeforeDistribution, 'exitBeforeDistribution', 1, 1_000_000),
    advance: resolveAdvancePolicy(p.advance),
  });
}
