import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  feeForVsize,
  InsufficientFundsError,
  P2TR_INPUT_WEIGHT,
  P2TR_OUTPUT_WEIGHT,
  type SelectionCoin,
  selectCoins,
  selectionWaste,
} from '../src/index.js';

const RUNS = propertyRuns(300, 60);
console.log(`coin selection properties: ${RUNS} runs each (PROPERTY_RUNS)`);

// one P2TR payment output, overhead of a one-input-byte segwit transaction
const FIXED = (4 + 4 + 1 + 1) * 4 + 2 + P2TR_OUTPUT_WEIGHT;
const weightOf = (n: number, change: boolean) =>
  FIXED + n * P2TR_INPUT_WEIGHT + (change ? P2TR_OUTPUT_WEIGHT : 0);
const vsizeOf = (n: number, change: boolean) => Math.ceil(weightOf(n, change) / 4);

interface Coin extends SelectionCoin {
  id: number;
}
const coinsArb = fc
  .array(fc.bigInt({ min: 500n, max: 2_000_000n }), { minLength: 1, maxLength: 12 })
  .map((vs) => vs.map((value, id): Coin => ({ value, id })));

const feeRateArb = fc.integer({ min: 1_000, max: 50_000 });

function costOfChange(feeRate: number, longTerm: number): bigint {
  return (
    feeForVsize(feeRate, P2TR_OUTPUT_WEIGHT / 4) + feeForVsize(longTerm, Math.ceil(P2TR_INPUT_WEIGHT / 4))
  );
}

describe('coin selection', () => {
  it('any result pays target plus the exact fee of its final size, change ≥ 330 or none, no coin twice', () => {
    fc.assert(
      fc.property(
        coinsArb,
        fc.bigInt({ min: 1_000n, max: 5_000_000n }),
        feeRateArb,
        fc.boolean(),
        (coins, target, feeRate, requireChange) => {
          let s: ReturnType<typeof selectCoins<Coin>>;
          try {
            s = selectCoins({ candidates: coins, target, fixedWeight: FIXED, feeRate, requireChange });
          } catch (e) {
            expect(e).toBeInstanceOf(InsufficientFundsError);
            // really insufficient: even every coin cannot pay amount + fee (+ minimum change)
            const all = coins.reduce((a, c) => a + c.value, 0n);
            const need = target + feeForVsize(feeRate, vsizeOf(coins.length, false));
            if (!requireChange) expect(all < need).toBe(true);
            return;
          }
          const ids = s.selected.map((c) => c.id);
          expect(new Set(ids).size).toBe(ids.length);
          const sum = s.selected.reduce((a, c) => a + c.value, 0n);
          expect(sum).toBe(target + s.fee + s.change);
          const withChange = s.change > 0n;
          if (requireChange) expect(withChange).toBe(true);
          if (withChange) {
            expect(s.change >= 330n).toBe(true);
            expect(s.fee).toBe(feeForVsize(feeRate, vsizeOf(s.selected.length, true)));
          } else {
            expect(s.fee >= feeForVsize(feeRate, vsizeOf(s.selected.length, false))).toBe(true);
          }
          expect(s.vsize).toBe(vsizeOf(s.selected.length, withChange));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('branch-and-bound: a changeless match within cost of change, with the least waste of all such subsets (brute force)', () => {
    fc.assert(
      fc.property(
        coinsArb,
        fc.bigInt({ min: 1_000n, max: 3_000_000n }),
        feeRateArb,
        (coins, target, feeRate) => {
          const longTerm = 10_000;
          const coc = costOfChange(feeRate, longTerm);
          // brute force over every subset: effective-value window and waste, as BnB defines them
          const inputFee = feeForVsize(feeRate, Math.ceil(P2TR_INPUT_WEIGHT / 4));
          const fixedFee = feeForVsize(feeRate, Math.ceil(FIXED / 4));
          const eligible = coins.filter((c) => c.value - inputFee > 0n);
          let best: bigint | undefined;
          for (let m = 1; m < 1 << eligible.length; m++) {
            const sub = eligible.filter((_, i) => (m >> i) & 1);
            const eff = sub.reduce((a, c) => a + c.value - inputFee, 0n);
            if (eff < target + fixedFee || eff > target + fixedFee + coc) continue;
            // the exact (not estimated) fee must be covered too
            const excess =
              sub.reduce((a, c) => a + c.value, 0n) -
              target -
              feeForVsize(feeRate, vsizeOf(sub.length, false));
            if (excess < 0n) continue;
            const w = selectionWaste({
              selected: sub,
              feeRate,
              longTermFeeRate: longTerm,
              changeCostOrExcess: excess,
            });
            if (best === undefined || w < best) best = w;
          }
          let s: ReturnType<typeof selectCoins<Coin>> | undefined;
          try {
            s = selectCoins({
              candidates: coins,
              target,
              fixedWeight: FIXED,
              feeRate,
              longTermFeeRate: longTerm,
            });
          } catch {
            s = undefined;
          }
          if (best === undefined) {
            if (s !== undefined) expect(s.algorithm).toBe('largest-first');
            return;
          }
          expect(s?.algorithm).toBe('bnb');
          expect(s!.change).toBe(0n);
          const eff = s!.selected.reduce((a, c) => a + c.value - inputFee, 0n);
          expect(eff >= target + fixedFee && eff <= target + fixedFee + coc).toBe(true);
          // BnB minimises the waste of its fee estimate (each input rounded up to 58 vB and each part
          // to a whole sat); the exact waste is within that rounding, D(n) = n·⌈rate/2000⌉ + n + 1.
          const n = BigInt(s!.selected.length);
          expect(s!.waste <= best + n * BigInt(Math.ceil(feeRate / 2000)) + n + 1n).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('waste follows Core’s definition', () => {
    const sel = [{ value: 100_000n }, { value: 50_000n }];
    // at 5 sat/vB now, 10 sat/vB long-term: each 58-vB input saves 290 sats; change costs its own
    expect(
      selectionWaste({ selected: sel, feeRate: 5_000, longTermFeeRate: 10_000, changeCostOrExcess: 0n }),
    ).toBe(2n * (290n - 580n));
    expect(
      selectionWaste({ selected: sel, feeRate: 5_000, longTermFeeRate: 10_000, changeCostOrExcess: 777n }),
    ).toBe(2n * (290n - 580n) + 777n);
  });

  it('finds an exact changeless match among 10,000 coins and falls back to largest-first', () => {
    const coins: Coin[] = [];
    for (let i = 0; i < 10_000; i++) coins.push({ id: i, value: 10_000n + BigInt((i * 7919) % 100_000) });
    const feeRate = 2_000;
    const inputFee = feeForVsize(feeRate, 58);
    const pick = [coins[17]!, coins[4242]!];
    const target =
      pick.reduce((a, c) => a + c.value - inputFee, 0n) - feeForVsize(feeRate, Math.ceil(FIXED / 4));
    const s = selectCoins({ candidates: coins, target, fixedWeight: FIXED, feeRate });
    expect(s.algorithm).toBe('bnb');
    const lf = selectCoins({
      candidates: coins,
      target: 5_000_000n,
      fixedWeight: FIXED,
      feeRate,
      requireChange: true,
    });
    expect(lf.algorithm).toBe('largest-first');
    expect(lf.change >= 330n).toBe(true);
  });
});
