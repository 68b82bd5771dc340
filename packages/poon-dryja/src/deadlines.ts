/**
 * HTLC deadlines of a factory channel, brief §7 and §3.4. A broadcaster's HTLC claims wait
 * `toSelfDelay`, the client's exit needs up to `exitDelay` blocks plus one per path transaction, and
 * the LSP may take the whole channel output after its timeout `T_m`, so:
 *
 * - `minCltvExpiryDelta = exitDelay + toSelfDelay + htlcBudget` in both directions;
 * - `maxCltvExpiry = T_m − exitDelay − pathTxs − exitMargin`: no HTLC is added with a later expiry;
 * - a node goes on chain for an incoming HTLC whose preimage it knows no later than
 *   `min(cltv_expiry − (exitDelay + toSelfDelay + htlcBudget), T_m − exitDelay − pathTxs − exitMargin)`.
 *
 * @module
 */
import { assertInt, assertObject } from './_assert.js';

/** The factory and channel figures the deadlines depend on (all blocks or heights). */
export interface DeadlineParams {
  /** Worst-case exit delay of the client's path: Σ over its state levels of `S·(K−1)` (§3.4). */
  readonly exitDelay: number;
  /** The channel's `to_self_delay`. */
  readonly toSelfDelay: number;
  /** Extra blocks an HTLC into the factory keeps beyond `exitDelay + toSelfDelay` (default 72). */
  readonly htlcBudget: number;
  /** Transactions on the client's root-to-leaf path (kickoffs and states, static kickoffs included). */
  readonly pathTxs: number;
  /** Safety margin before the first tree timeout (default 144). */
  readonly exitMargin: number;
  /** `T_m`, the channel output's CLTV height. */
  readonly channelTimeout: number;
}

function check(p: DeadlineParams): void {
  assertObject(p, 'params');
  assertInt(p.exitDelay, 'params.exitDelay', 0, 10_000_000);
  assertInt(p.toSelfDelay, 'params.toSelfDelay', 1, 0xffff);
  assertInt(p.htlcBudget, 'params.htlcBudget', 0, 10_000_000);
  assertInt(p.pathTxs, 'params.pathTxs', 1, 10_000);
  assertInt(p.exitMargin, 'params.exitMargin', 0, 10_000_000);
  assertInt(p.channelTimeout, 'params.channelTimeout', 1, 499_999_999);
}

/** `exitDelay + toSelfDelay + htlcBudget`: the least `cltv_expiry_delta` of an HTLC into or out of the factory. */
export function minCltvExpiryDelta(
  p: Omit<DeadlineParams, 'pathTxs' | 'exitMargin' | 'channelTimeout'>,
): number {
  assertObject(p, 'params');
  assertInt(p.exitDelay, 'params.exitDelay', 0, 10_000_000);
  assertInt(p.toSelfDelay, 'params.toSelfDelay', 1, 0xffff);
  assertInt(p.htlcBudget, 'params.htlcBudget', 0, 10_000_000);
  return p.exitDelay + p.toSelfDelay + p.htlcBudget;
}

/**
 * `T_m − exitDelay − pathTxs − exitMargin`: the latest `cltv_expiry` an HTLC on this channel may have.
 * The state machine refuses to add (and to accept) an HTLC expiring later.
 */
export function maxCltvExpiry(p: Omit<DeadlineParams, 'toSelfDelay' | 'htlcBudget'>): number {
  assertObject(p, 'params');
  assertInt(p.exitDelay, 'params.exitDelay', 0, 10_000_000);
  assertInt(p.pathTxs, 'params.pathTxs', 1, 10_000);
  assertInt(p.exitMargin, 'params.exitMargin', 0, 10_000_000);
  assertInt(p.channelTimeout, 'params.channelTimeout', 1, 499_999_999);
  return p.channelTimeout - p.exitDelay - p.pathTxs - p.exitMargin;
}

/**
 * The height by which a node must start its unilateral exit for an incoming HTLC whose preimage it
 * knows: `min(cltv_expiry − (exitDelay + toSelfDelay + htlcBudget), T_m − exitDelay − pathTxs −
 * exitMargin)`. At or after this height, go on chain.
 */
export function goToChainHeight(cltvExpiry: number, p: DeadlineParams): number {
  assertInt(cltvExpiry, 'cltvExpiry', 1, 499_999_999);
  check(p);
  return Math.min(cltvExpiry - minCltvExpiryDelta(p), maxCltvExpiry(p));
}
