// BIP65/68/113 finality helpers: exact boundaries and monotonicity properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  calculateSequenceLocks,
  createTx,
  evaluateSequenceLocks,
  isFinalTx,
  medianTimePast,
  SEQUENCE_LOCKTIME_DISABLE_FLAG,
  SEQUENCE_LOCKTIME_TYPE_FLAG,
  type Tx,
} from '../src/index.js';

const txWith = (version: number, locktime: number, sequences: number[]): Tx =>
  createTx({
    version,
    locktime,
    inputs: sequences.map((sequence, i) => ({ prevTxid: new Uint8Array(32).fill(i + 1), vout: 0, sequence })),
    outputs: [{ value: 1000n, script: Uint8Array.of(0x51) }],
  });

describe('nLockTime (IsFinalTx, BIP113)', () => {
  it('a height lock X is final in block X + 1, not in block X; final sequences disable it', () => {
    const tx = txWith(2, 500, [0xfffffffe]);
    expect(isFinalTx(tx, 500, 0)).toBe(false);
    expect(isFinalTx(tx, 501, 0)).toBe(true);
    expect(isFinalTx(txWith(2, 500, [0xffffffff]), 1, 0)).toBe(true);
    const timed = txWith(2, 600_000_000, [0]);
    expect(isFinalTx(timed, 10, 600_000_000)).toBe(false);
    expect(isFinalTx(timed, 10, 600_000_001)).toBe(true);
  });

  it('finality is monotone: once final at (height, MTP) it stays final later', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xfffffffe }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (locktime, seq, h, t, dh, dt) => {
          const tx = txWith(2, locktime, [seq]);
          if (isFinalTx(tx, h, t)) expect(isFinalTx(tx, h + dh, t + dt)).toBe(true);
        },
      ),
      { numRuns: propertyRuns() },
    );
  });
});

describe('relative locks (BIP68)', () => {
  it('a 5-block lock on a coin of height 100 binds until height 104 and opens at 105; version 1 and the disable flag ignore it', () => {
    const locks = calculateSequenceLocks(txWith(2, 0, [5]), [{ height: 100, prevMtp: 0 }]);
    expect(locks).toEqual({ minHeight: 104, minTime: -1 });
    expect(evaluateSequenceLocks(locks, 104, 0)).toBe(false);
    expect(evaluateSequenceLocks(locks, 105, 0)).toBe(true);
    expect(calculateSequenceLocks(txWith(1, 0, [5]), [{ height: 100, prevMtp: 0 }]).minHeight).toBe(-1);
    expect(
      calculateSequenceLocks(txWith(2, 0, [(SEQUENCE_LOCKTIME_DISABLE_FLAG | 5) >>> 0]), [
        { height: 100, prevMtp: 0 },
      ]).minHeight,
    ).toBe(-1);
    const timed = calculateSequenceLocks(txWith(2, 0, [SEQUENCE_LOCKTIME_TYPE_FLAG | 2]), [
      { height: 100, prevMtp: 1_000 },
    ]);
    expect(timed).toEqual({ minHeight: -1, minTime: 1_000 + 1024 - 1 });
  });

  it('satisfied relative locks stay satisfied at any later height and median time past', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 0xffffffff }),
            fc.integer({ min: 0, max: 10_000 }),
            fc.integer({ min: 0, max: 1e9 }),
          ),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 2e9 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 1e6 }),
        (inputs, h, t, dh, dt) => {
          const tx = txWith(
            2,
            0,
            inputs.map(([s]) => s),
          );
          const locks = calculateSequenceLocks(
            tx,
            inputs.map(([, height, prevMtp]) => ({ height, prevMtp })),
          );
          if (evaluateSequenceLocks(locks, h, t))
            expect(evaluateSequenceLocks(locks, h + dh, t + dt)).toBe(true);
        },
      ),
      { numRuns: propertyRuns() },
    );
  });

  it('median time past is the middle of the last 11 timestamps', () => {
    expect(medianTimePast([5, 1, 3])).toBe(3);
    expect(medianTimePast([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 100])).toBe(7);
  });
});
