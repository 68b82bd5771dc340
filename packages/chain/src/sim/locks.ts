/**
 * Transaction finality: nLockTime with BIP113 (median time past) and BIP68 relative locks, as
 * Bitcoin Core's `IsFinalTx`, `CalculateSequenceLocks` and `EvaluateSequenceLocks`
 * (consensus/tx_verify.cpp). Script-level checks (BIP65 CLTV, BIP112 CSV) are the interpreter's.
 *
 * The mempool judges a transaction for the next block: height `tip + 1`, time `MTP(tip)`.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Tx } from '../tx/index.js';

/** nLockTime values below this are block heights, at or above it unix times (BIP65/BIP113). */
export const LOCKTIME_THRESHOLD = 500_000_000;
/** nSequence of a final input: such inputs neither enable nLockTime nor carry a relative lock. */
export const SEQUENCE_FINAL = 0xffffffff;
/** BIP68: bit 31 set disables the relative lock of an input. */
export const SEQUENCE_LOCKTIME_DISABLE_FLAG = 0x80000000;
/** BIP68: bit 22 set makes the relative lock time-based (units of 512 s). */
export const SEQUENCE_LOCKTIME_TYPE_FLAG = 0x00400000;
/** BIP68: the low 16 bits hold the lock value. */
export const SEQUENCE_LOCKTIME_MASK = 0x0000ffff;
/** BIP68: time-based locks count in 2^9 = 512-second units. */
export const SEQUENCE_LOCKTIME_GRANULARITY = 9;

/**
 * Core's `IsFinalTx`: a transaction is final in a block at `height` with median-time-past
 * `mtp` when its nLockTime is 0, or below that height/time ("strictly less than"), or when every
 * input's nSequence is `0xFFFFFFFF` (then nLockTime is ignored).
 */
export function isFinalTx(tx: Tx, height: number, mtp: number): boolean {
  if (tx.locktime === 0) return true;
  const bound = tx.locktime < LOCKTIME_THRESHOLD ? height : mtp;
  if (tx.locktime < bound) return true;
  return tx.inputs.every((i) => i.sequence === SEQUENCE_FINAL);
}

/** The smallest (height, time) at which a transaction's relative locks are all satisfied, minus one. */
export interface SequenceLocks {
  /** The last height at which the transaction is still locked (−1: no height lock). */
  readonly minHeight: number;
  /** The last median-time-past at which it is still locked (−1: no time lock). */
  readonly minTime: number;
}

/** What {@link calculateSequenceLocks} needs to know about each spent coin. */
export interface CoinAge {
  /** Height of the block that created the coin; for a mempool coin, `tip + 1`. */
  readonly height: number;
  /**
   * Median time past of the block *before* the coin's block (Core: `GetAncestor(height − 1)
   * ->GetMedianTimePast()`); for a mempool coin, MTP(tip).
   */
  readonly prevMtp: number;
}

/**
 * Core's `CalculateSequenceLocks` (BIP68): per input with the disable flag clear (and tx version
 * ≥ 2), a height lock of `coinHeight + value − 1` or a time lock of `prevMtp + value·512 − 1`.
 */
export function calculateSequenceLocks(tx: Tx, coins: readonly CoinAge[]): SequenceLocks {
  let minHeight = -1;
  let minTime = -1;
  // BIP68: "relative lock-time [is] only enforced for transactions with nVersion >= 2" (uint32 in Core ≥ 28).
  if (tx.version < 2) return { minHeight, minTime };
  tx.inputs.forEach((input, i) => {
    if ((input.sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) !== 0) return;
    const coin = coins[i];
    if (coin === undefined) throw new InvalidArgumentError(`coins[${i}]`, 'is missing');
    const value = input.sequence & SEQUENCE_LOCKTIME_MASK;
    if ((input.sequence & SEQUENCE_LOCKTIME_TYPE_FLAG) !== 0) {
      minTime = Math.max(minTime, coin.prevMtp + value * 2 ** SEQUENCE_LOCKTIME_GRANULARITY - 1);
    } else {
      minHeight = Math.max(minHeight, coin.height + value - 1);
    }
  });
  return { minHeight, minTime };
}

/**
 * Core's `EvaluateSequenceLocks`: the locks are satisfied in a block at `height` whose parent has
 * median-time-past `prevMtp` when `minHeight < height` and `minTime < prevMtp`.
 */
export function evaluateSequenceLocks(locks: SequenceLocks, height: number, prevMtp: number): boolean {
  return locks.minHeight < height && locks.minTime < prevMtp;
}

/** Median of the timestamps of a block and up to 10 predecessors (BIP113), given oldest first. */
export function medianTimePast(times: readonly number[]): number {
  const last = times.slice(-11).sort((a, b) => a - b);
  if (last.length === 0) throw new InvalidArgumentError('times', 'needs at least one timestamp');
  return last[Math.floor(last.length / 2)]!;
}
