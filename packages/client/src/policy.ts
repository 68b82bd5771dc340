/**
 * The client's policy (roles memo §2): the bounds it accepts a proposal within, and whether it
 * registers again after a ceremony aborts. {@link resolveClientPolicy} fills the defaults.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/** What the client's embedder sets; every field is optional. */
export interface ClientPolicy {
  /** Largest channel `toSelfDelay` accepted, blocks (default 2,016). */
  readonly maxToSelfDelay?: number;
  /** Largest worst-case exit delay of the tree accepted, blocks (default 1,584, brief §2's budget). */
  readonly maxExitDelay?: number;
  /** Smallest `fundingTimeout` accepted, blocks (default 1). */
  readonly minFundingTimeout?: number;
  /** Largest `fundingTimeout` accepted, blocks (default 1,008: the LSP may not tie up a client longer). */
  readonly maxFundingTimeout?: number;
  /** Largest `commitFeeRate` accepted, in a proposal and in the LSP's `update_fee`, sat/kvB (default 100,000). */
  readonly maxCommitFeeRate?: number;
  /** Smallest commitment fee rate accepted in the LSP's `update_fee`, sat/kvB (default 1,000). */
  readonly minCommitFeeRate?: number;
  /** A proposal's height may be at most this far above the client's tip (default 1). */
  readonly maxProposalAhead?: number;
  /** … and at most this far below it (default 6). */
  readonly maxProposalBehind?: number;
  /** Register again with a fresh key after the LSP aborts a ceremony (default true). */
  readonly reRegister?: boolean;
  /** Largest cooperative close fee rate signed, sat/kvB (default 100,000): the fee comes out of the LSP's output, but a close that never confirms ties the client up. */
  readonly maxCloseFeeRate?: number;
  /**
   * Exit unilaterally from a factory still open this many blocks after its proposal (the LSP has
   * neither closed nor rotated it by then). Default null: never.
   */
  readonly exitAfterBlocks?: number | null;
  /** Exit unilaterally from every open factory once the LSP has been unreachable this long, ms. Default null: never. */
  readonly exitIfUnreachableMs?: number | null;
  /**
   * The largest liquidity fee (msat) the client pays in an advance it did not request itself
   * (default 0: it pays only what its own `request_advance` offered).
   */
  readonly maxLiquidityFeeMsat?: bigint;
}

/** {@link ClientPolicy} with every default filled in. */
export type ResolvedClientPolicy = Required<ClientPolicy>;

function int(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidArgumentError(
      `policy.${name}`,
      `expected an integer in ${min}..${max}, got ${String(v)}`,
    );
  return v;
}

function msatOf(v: unknown, name: string): bigint {
  if (typeof v !== 'bigint' || v < 0n)
    throw new InvalidArgumentError(`policy.${name}`, 'expected msat (a bigint ≥ 0)');
  return v;
}

/**
 * Every default of {@link ClientPolicy}, checked.
 *
 * @throws {InvalidArgumentError} naming the field.
 */
export function resolveClientPolicy(policy: ClientPolicy = {}): ResolvedClientPolicy {
  if (typeof policy !== 'object' || policy === null)
    throw new InvalidArgumentError('policy', 'expected an object');
  const p = policy;
  const minFundingTimeout = int(p.minFundingTimeout ?? 1, 'minFundingTimeout', 1, 1_000_000);
  if (p.reRegister !== undefined && typeof p.reRegister !== 'boolean')
    throw new InvalidArgumentError('policy.reRegister', 'expected a boolean');
  return Object.freeze({
    maxToSelfDelay: int(p.maxToSelfDelay ?? 2016, 'maxToSelfDelay', 1, 65_535),
    maxExitDelay: int(p.maxExitDelay ?? 1584, 'maxExitDelay', 0, 65_535),
    minFundingTimeout,
    maxFundingTimeout: int(p.maxFundingTimeout ?? 1008, 'maxFundingTimeout', minFundingTimeout, 1_000_000),
    maxCommitFeeRate: int(p.maxCommitFeeRate ?? 100_000, 'maxCommitFeeRate', 1000, 100_000_000),
    minCommitFeeRate: int(p.minCommitFeeRate ?? 1000, 'minCommitFeeRate', 1, 100_000_000),
    maxProposalAhead: int(p.maxProposalAhead ?? 1, 'maxProposalAhead', 0, 1_000),
    maxProposalBehind: int(p.maxProposalBehind ?? 6, 'maxProposalBehind', 0, 1_000),
    reRegister: p.reRegister ?? true,
    maxCloseFeeRate: int(p.maxCloseFeeRate ?? 100_000, 'maxCloseFeeRate', 1000, 100_000_000),
    exitAfterBlocks:
      p.exitAfterBlocks === undefined || p.exitAfterBlocks === null
        ? null
        : int(p.exitAfterBlocks, 'exitAfterBlocks', 0, 1_000_000),
    exitIfUnreachableMs:
      p.exitIfUnreachableMs === undefined || p.exitIfUnreachableMs === null
        ? null
        : int(p.exitIfUnreachableMs, 'exitIfUnreachableMs', 0, 2 ** 48),
    maxLiquidityFeeMsat: msatOf(p.maxLiquidityFeeMsat ?? 0n, 'maxLiquidityFeeMsat'),
  });
}
