/**
 * The LSP's policy for state advances (brief §5, flaw 8): how long an advance waits for quiescence,
 * how a client's request (`advance_request`) is granted, and what a liquidity sale costs. Advances
 * happen only for a purpose (a liquidity sale, a rebalance, a client's request) — never after every
 * payment.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/** A client's `advance_request`, as the policy sees it. */
export interface AdvanceRequestInfo {
  /** The factory, hex. */
  readonly factoryId: string;
  /** The requesting client's node id. */
  readonly peer: string;
  /** Its index in the proposal's `clients`. */
  readonly clientIndex: number;
  /** Its channel's capacity now, and the one it asks for, sats. */
  readonly capacity: bigint;
  readonly requestedCapacity: bigint;
  /** The most it pays, msat. */
  readonly maxLiquidityFeeMsat: bigint;
  /** The fee the LSP's terms ask (`liquidityFeeMsat` of the added capacity). */
  readonly liquidityFeeMsat: bigint;
}

/** Options of the LSP's advances (`LspPolicy.advance`). */
export interface LspAdvancePolicy {
  /**
   * An advance whose channels are not quiescent (HTLCs in flight, a client offline) this long after
   * it was asked for fails (`AdvanceFailed { reason: 'timeout' }`), default 60 s. Each signing step
   * then has the ceremony's `stepTimeoutMs`.
   */
  readonly quiesceTimeoutMs?: number;
  /** The liquidity fee of a sale: a base (msat, default 1,000,000) … */
  readonly liquidityFeeBaseMsat?: bigint;
  /** … plus this many millionths of the added capacity (default 10,000: 1 %). No fee when nothing is added. */
  readonly liquidityFeeProportionalMillionths?: number;
  /**
   * Whether to grant a client's `advance_request` (asked only when the fee is within the client's
   * maximum and the leaf's L-stock can pay the capacity). Default: grant.
   */
  readonly acceptAdvanceRequest?: (request: AdvanceRequestInfo) => boolean;
  /**
   * When the shape is suggested (no `levelArity`): the fewest advances each leaf must be able to make
   * before the factory has to rotate (`suggestShape`'s `minAdvancesPerLeaf`: more DW layers, a longer
   * exit). Default: none (the shallowest shape).
   */
  readonly minAdvancesPerLeaf?: number;
  /**
   * Signing attempts of one advance when its aggregation fails with nobody to blame (client nonces
   * that cancel to infinity, BIP327): the LSP signs the same advance again with fresh nonces from
   * every signer up to this many attempts in all, then abandons it (`AdvanceFailed` with `attempts`
   * and the clients whose nonces cancelled). A failure that blames a client abandons at once. Default 3
   * (brief §8 step 4's bound for the ceremony), in 1..10.
   */
  readonly maxSigningAttempts?: number;
}

/** @internal */
export interface ResolvedAdvancePolicy {
  readonly quiesceTimeoutMs: number;
  readonly liquidityFeeBaseMsat: bigint;
  readonly liquidityFeeProportionalMillionths: number;
  readonly acceptAdvanceRequest: (request: AdvanceRequestInfo) => boolean;
  readonly minAdvancesPerLeaf: number | undefined;
  readonly maxSigningAttempts: number;
}

/** @internal */
export function resolveAdvancePolicy(p: LspAdvancePolicy | undefined): ResolvedAdvancePolicy {
  if (p === undefined) p = {};
  if (typeof p !== 'object' || p === null)
    throw new InvalidArgumentError('policy.advance', 'expected an object');
  const ms = p.quiesceTimeoutMs ?? 60_000;
  if (!Number.isInteger(ms) || ms < 1 || ms > 86_400_000)
    throw new InvalidArgumentError('policy.advance.quiesceTimeoutMs', 'expected ms in 1..86,400,000');
  const base = p.liquidityFeeBaseMsat ?? 1_000_000n;
  if (typeof base !== 'bigint' || base < 0n)
    throw new InvalidArgumentError('policy.advance.liquidityFeeBaseMsat', 'expected msat (a bigint ≥ 0)');
  const ppm = p.liquidityFeeProportionalMillionths ?? 10_000;
  if (!Number.isInteger(ppm) || ppm < 0 || ppm > 1_000_000)
    throw new InvalidArgumentError(
      'policy.advance.liquidityFeeProportionalMillionths',
      'expected an integer in 0..1,000,000',
    );
  const accept = p.acceptAdvanceRequest ?? (() => true);
  if (typeof accept !== 'function')
    throw new InvalidArgumentError('policy.advance.acceptAdvanceRequest', 'expected a function');
  const min = p.minAdvancesPerLeaf;
  if (min !== undefined && (!Number.isInteger(min) || min < 1 || min > 1_000_000))
    throw new InvalidArgumentError(
      'policy.advance.minAdvancesPerLeaf',
      'expected an integer in 1..1,000,000',
    );
  const attempts = p.maxSigningAttempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10)
    throw new InvalidArgumentError('policy.advance.maxSigningAttempts', 'expected an integer in 1..10');
  return Object.freeze({
    minAdvancesPerLeaf: min,
    maxSigningAttempts: attempts,
    quiesceTimeoutMs: ms,
    liquidityFeeBaseMsat: base,
    liquidityFeeProportionalMillionths: ppm,
    acceptAdvanceRequest: accept,
  });
}

/** @internal The liquidity fee (msat) of `addedSats` of capacity: 0 when nothing is added. */
export function liquidityFeeMsat(p: ResolvedAdvancePolicy, addedSats: bigint): bigint {
  if (addedSats <= 0n) return 0n;
  return (
    p.liquidityFeeBaseMsat + (addedSats * 1000n * BigInt(p.liquidityFeeProportionalMillionths)) / 1_000_000n
  );
}
