/**
 * The tower's fee policy: what a CPFP package aims at when a response first goes out, how much each
 * block's re-bump adds, the normal cap, and the emergency budget of brief §5.2 (a newer state still
 * unconfirmed `S − 6` blocks after its maturity). All rates are integer sat/kvB.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/** See the module doc; every field has a default. */
export interface FeePolicy {
  /** No package aims below this (brief §1: 1,000 so Core ≤ 29.0 nodes relay it). Default 1,000. */
  readonly floorFeeRate: number;
  /** A re-bump aims at least this many percent above the previous child's rate. Default 25. */
  readonly bumpPercent: number;
  /** ... and at least this much above it (covers the incremental relay fee). Default 1,000. */
  readonly bumpMin: number;
  /** Normal budget: a package never aims above this. Default 50,000 (50 sat/vB). */
  readonly maxFeeRate: number;
  /** Emergency budget: from `S − emergencyMargin` blocks after maturity, every package aims here. Default 500,000. */
  readonly emergencyFeeRate: number;
  /** The `6` of `S − 6` (brief §5.2). Default 6. */
  readonly emergencyMargin: number;
  /** DW step assumed for a stale-state entry whose factory blob is missing. Default 144. */
  readonly defaultDwStep: number;
  /** Confirmations after which a settled trigger is forgotten (its entries stay until pruned). Default 6. */
  readonly finalityDepth: number;
}

/** The defaults. */
export const DEFAULT_FEE_POLICY: FeePolicy = Object.freeze({
  floorFeeRate: 1_000,
  bumpPercent: 25,
  bumpMin: 1_000,
  maxFeeRate: 50_000,
  emergencyFeeRate: 500_000,
  emergencyMargin: 6,
  defaultDwStep: 144,
  finalityDepth: 6,
});

/** The policy with `overrides` applied, checked. */
export function feePolicy(overrides: Partial<FeePolicy> = {}): FeePolicy {
  if (typeof overrides !== 'object' || overrides === null)
    throw new InvalidArgumentError('options.policy', 'expected an object');
  const p = { ...DEFAULT_FEE_POLICY, ...overrides };
  for (const [k, v] of Object.entries(p))
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100_000_000)
      throw new InvalidArgumentError(`options.policy.${k}`, 'expected a non-negative integer');
  if (p.maxFeeRate < p.floorFeeRate)
    throw new InvalidArgumentError('options.policy.maxFeeRate', 'below floorFeeRate');
  if (p.emergencyFeeRate < p.maxFeeRate)
    throw new InvalidArgumentError('options.policy.emergencyFeeRate', 'below maxFeeRate');
  if (p.defaultDwStep < 1) throw new InvalidArgumentError('options.policy.defaultDwStep', 'expected ≥ 1');
  return Object.freeze(p);
}

/**
 * The rate a response's next package aims at: in an emergency the emergency budget; otherwise the
 * estimate (never below the floor) and, for a re-bump, at least `bumpPercent` and `bumpMin` above the
 * previous rate, capped at `maxFeeRate` (then the previous rate stands).
 */
export function nextFeeRate(
  p: FeePolicy,
  o: { readonly estimate: number; readonly previous: number | undefined; readonly emergency: boolean },
): number {
  if (o.emergency) return Math.max(p.emergencyFeeRate, o.previous ?? 0);
  let r = Math.max(p.floorFeeRate, o.estimate);
  if (o.previous !== undefined)
    r = Math.max(r, Math.ceil((o.previous * (100 + p.bumpPercent)) / 100), o.previous + p.bumpMin);
  return Math.max(Math.min(r, p.maxFeeRate), o.previous ?? 0);
}
