/**
 * Coin selection: branch-and-bound for a changeless match, then largest-first with change; the waste
 * metric as Bitcoin Core documents it (`src/wallet/coinselection.h`, `GetSelectionWaste`):
 *
 *   waste = Σ over inputs (fee at `feeRate` − fee at `longTermFeeRate`)
 *         + (with change: `costOfChange`; without: the excess dropped to fees)
 *
 * where `costOfChange` = the change output's fee at `feeRate` + the fee to spend it later at
 * `longTermFeeRate`. Branch-and-bound (Murch's algorithm, as in Core's `SelectCoinsBnB`) searches
 * the coins by descending effective value (value − its input's fee) for a subset whose effective
 * value lies in `[target, target + costOfChange]` with the least waste, within 100,000 tries.
 *
 * Sizes are exact for the wallet's inputs (P2TR key path: 230 WU each, a 64-byte signature): the fee of
 * the result is `ceil(feeRate × vsize / 1000)` of the final transaction, so a caller builds it and
 * finds the same fee. Pure: no I/O, deterministic (ties keep the candidates' order).
 *
 * @module
 */
import { compactSizeLen } from '@superscalar/tx';
import { InsufficientFundsError, InvalidArgumentError } from './errors.js';

/** Weight of a P2TR key-path input: 41 bytes × 4 + witness (count, length, 64-byte signature). */
export const P2TR_INPUT_WEIGHT = 41 * 4 + 1 + 1 + 64;
/** Weight of a P2TR output: 8 (amount) + 1 (length) + 34 (script), × 4. */
export const P2TR_OUTPUT_WEIGHT = (8 + 1 + 34) * 4;
/** BnB gives up after this many steps (Core's `TOTAL_TRIES`). */
export const BNB_MAX_TRIES = 100_000;

/** A candidate coin. */
export interface SelectionCoin {
  readonly value: bigint;
  /** Weight its input adds (default {@link P2TR_INPUT_WEIGHT}). */
  readonly inputWeight?: number;
}

/** Options of {@link selectCoins}. */
export interface SelectionOptions<C extends SelectionCoin> {
  /** Eligible coins (already filtered: confirmed, unreserved, allowed types). */
  readonly candidates: readonly C[];
  /** Sum of the payment outputs. */
  readonly target: bigint;
  /**
   * Weight of the transaction without inputs and without the change output: version, locktime,
   * segwit marker and flag, the input-count byte (a longer count is added here), output count, the
   * payment outputs.
   */
  readonly fixedWeight: number;
  /** Fee rate, sat/kvB. */
  readonly feeRate: number;
  /** The rate the wallet expects to pay in the long run (sat/kvB; Core's `-consolidatefeerate`, default 10,000). */
  readonly longTermFeeRate?: number;
  /** Weight of the change output (default {@link P2TR_OUTPUT_WEIGHT}). */
  readonly changeOutputWeight?: number;
  /** Weight of the input that will spend the change (default {@link P2TR_INPUT_WEIGHT}). */
  readonly changeSpendWeight?: number;
  /** Smallest change output (default 330, P2TR dust). */
  readonly minChange?: bigint;
  /** Always make a change output (a funding transaction, brief §8). Skips branch-and-bound. */
  readonly requireChange?: boolean;
}

/** What {@link selectCoins} chose. */
export interface Selection<C> {
  readonly algorithm: 'bnb' | 'largest-first';
  /** The chosen coins, in the order to spend them. */
  readonly selected: readonly C[];
  /** Change amount, or 0n for a changeless result. */
  readonly change: bigint;
  /** Exact fee: `Σ selected − target − change`. */
  readonly fee: bigint;
  /** Virtual size of the final transaction. */
  readonly vsize: number;
  /** Core's waste metric of this selection (sats; may be negative when `feeRate` < long-term). */
  readonly waste: bigint;
}

/** `ceil(rate × vsize / 1000)`. */
export function feeForVsize(feeRate: number, vsize: number): bigint {
  return (BigInt(feeRate) * BigInt(vsize) + 999n) / 1000n;
}

function feeForWeight(feeRate: number, weight: number): bigint {
  return feeForVsize(feeRate, Math.ceil(weight / 4));
}

/** Weight of the whole transaction with `n` inputs of total weight `inputWeight`. */
function txWeightOf(fixedWeight: number, n: number, inputWeight: number, changeWeight: number): number {
  return fixedWeight + (compactSizeLen(n) - 1) * 4 + inputWeight + changeWeight;
}

/**
 * Selects coins paying `target` plus the exact fee at `feeRate` (see the module doc).
 *
 * @throws {InsufficientFundsError} when no selection can pay (with change when required).
 * @throws {InvalidArgumentError} bad options.
 */
export function selectCoins<C extends SelectionCoin>(options: SelectionOptions<C>): Selection<C> {
  const o = checkOptions(options);
  if (!o.requireChange) {
    const bnb = selectBnb(o);
    if (bnb !== undefined) return bnb;
  }
  return selectLargestFirst(o);
}

interface Normalized<C> {
  candidates: readonly C[];
  target: bigint;
  fixedWeight: number;
  feeRate: number;
  longTermFeeRate: number;
  changeOutputWeight: number;
  changeSpendWeight: number;
  minChange: bigint;
  requireChange: boolean;
  costOfChange: bigint;
}

function checkOptions<C extends SelectionCoin>(o: SelectionOptions<C>): Normalized<C> {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', 'expected an object');
  if (!Array.isArray(o.candidates)) throw new InvalidArgumentError('options.candidates', 'expected an array');
  o.candidates.forEach((c, i) => {
    if (typeof c?.value !== 'bigint' || c.value < 0n)
      throw new InvalidArgumentError(`options.candidates[${i}].value`, 'expected a non-negative bigint');
  });
  if (typeof o.target !== 'bigint' || o.target < 0n)
    throw new InvalidArgumentError('options.target', 'expected a non-negative bigint');
  const int = (v: unknown, name: string, d?: number): number => {
    const x = v === undefined ? d : v;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0)
      throw new InvalidArgumentError(`options.${name}`, 'expected a non-negative integer');
    return x;
  };
  const feeRate = int(o.feeRate, 'feeRate');
  const longTermFeeRate = int(o.longTermFeeRate, 'longTermFeeRate', 10_000);
  const changeOutputWeight = int(o.changeOutputWeight, 'changeOutputWeight', P2TR_OUTPUT_WEIGHT);
  const changeSpendWeight = int(o.changeSpendWeight, 'changeSpendWeight', P2TR_INPUT_WEIGHT);
  const minChange = o.minChange ?? 330n;
  if (typeof minChange !== 'bigint' || minChange < 0n)
    throw new InvalidArgumentError('options.minChange', 'expected a non-negative bigint');
  return {
    candidates: o.candidates,
    target: o.target,
    fixedWeight: int(o.fixedWeight, 'fixedWeight'),
    feeRate,
    longTermFeeRate,
    changeOutputWeight,
    changeSpendWeight,
    minChange,
    requireChange: o.requireChange === true,
    costOfChange:
      feeForWeight(feeRate, changeOutputWeight) + feeForWeight(longTermFeeRate, changeSpendWeight),
  };
}

const weightOf = (c: SelectionCoin): number => c.inputWeight ?? P2TR_INPUT_WEIGHT;

/** Core's waste of a selection (see the module doc). */
export function selectionWaste(options: {
  readonly selected: readonly SelectionCoin[];
  readonly feeRate: number;
  readonly longTermFeeRate: number;
  /** With change: its cost of change; without: the excess dropped to fees. */
  readonly changeCostOrExcess: bigint;
}): bigint {
  let w = options.changeCostOrExcess;
  for (const c of options.selected)
    w += feeForWeight(options.feeRate, weightOf(c)) - feeForWeight(options.longTermFeeRate, weightOf(c));
  return w;
}

function finish<C extends SelectionCoin>(
  o: Normalized<C>,
  selected: C[],
  algorithm: 'bnb' | 'largest-first',
): Selection<C> | undefined {
  let sum = 0n;
  let inW = 0;
  for (const c of selected) {
    sum += c.value;
    inW += weightOf(c);
  }
  const noChangeVsize = Math.ceil(txWeightOf(o.fixedWeight, selected.length, inW, 0) / 4);
  const noChangeFee = feeForVsize(o.feeRate, noChangeVsize);
  const changeVsize = Math.ceil(txWeightOf(o.fixedWeight, selected.length, inW, o.changeOutputWeight) / 4);
  const changeFee = feeForVsize(o.feeRate, changeVsize);
  const change = sum - o.target - changeFee;
  if (algorithm === 'largest-first' && change >= o.minChange) {
    const waste = selectionWaste({
      selected,
      feeRate: o.feeRate,
      longTermFeeRate: o.longTermFeeRate,
      changeCostOrExcess: o.costOfChange,
    });
    return { algorithm, selected, change, fee: changeFee, vsize: changeVsize, waste };
  }
  if (o.requireChange) return undefined;
  const excess = sum - o.target - noChangeFee;
  if (excess < 0n) return undefined;
  const waste = selectionWaste({
    selected,
    feeRate: o.feeRate,
    longTermFeeRate: o.longTermFeeRate,
    changeCostOrExcess: excess,
  });
  return { algorithm, selected, change: 0n, fee: noChangeFee + excess, vsize: noChangeVsize, waste };
}

/** Branch-and-bound for a changeless selection, or undefined when there is none within the tries. */
function selectBnb<C extends SelectionCoin>(o: Normalized<C>): Selection<C> | undefined {
  // Effective values: value − the input's own fee at feeRate. Coins that cost more than they bring are out.
  const fixedFee = feeForWeight(o.feeRate, o.fixedWeight);
  const target = o.target + fixedFee;
  const pool = o.candidates
    .map((c, k) => {
      const fee = feeForWeight(o.feeRate, weightOf(c));
      return { c, k, eff: c.value - fee, waste: fee - feeForWeight(o.longTermFeeRate, weightOf(c)) };
    })
    .filter((u) => u.eff > 0n)
    .sort((a, b) => (a.eff === b.eff ? a.k - b.k : a.eff > b.eff ? -1 : 1));
  const n = pool.length;
  let available = 0n;
  for (const u of pool) available += u.eff;
  if (available < target) return undefined;
  const upper = target + o.costOfChange;
  const feeIsHigh = o.feeRate > o.longTermFeeRate;
  const sel = new Array<boolean>(n).fill(false);
  let value = 0n;
  let waste = 0n;
  let best: number[] | undefined;
  let bestWaste = 0n;
  let depth = 0;
  for (let tries = 0; tries < BNB_MAX_TRIES; tries++) {
    let backtrack = false;
    if (
      value + available < target ||
      value > upper ||
      (best !== undefined && waste > bestWaste && feeIsHigh)
    ) {
      backtrack = true;
    } else if (value >= target) {
      const w = waste + (value - target);
      if (best === undefined || w <= bestWaste) {
        best = [];
        for (let i = 0; i < depth; i++) if (sel[i]) best.push(i);
        bestWaste = w;
      }
      backtrack = true;
    }
    if (backtrack) {
      // Walk back over omitted coins (they become available again), then omit the last included one.
      while (depth > 0 && !sel[depth - 1]) {
        depth--;
        available += (pool[depth] as (typeof pool)[number]).eff;
      }
      if (depth === 0) break;
      const u = pool[depth - 1] as (typeof pool)[number];
      sel[depth - 1] = false;
      value -= u.eff;
      waste -= u.waste;
    } else {
      const u = pool[depth] as (typeof pool)[number];
      available -= u.eff;
      const prev = pool[depth - 1];
      // An equivalent coin right after an omitted one would only repeat that branch: omit it too.
      if (
        depth > 0 &&
        !sel[depth - 1] &&
        prev !== undefined &&
        prev.eff === u.eff &&
        prev.waste === u.waste
      ) {
        sel[depth] = false;
      } else {
        sel[depth] = true;
        value += u.eff;
        waste += u.waste;
      }
      depth++;
    }
  }
  if (best === undefined) return undefined;
  const chosen = best.map((i) => (pool[i] as (typeof pool)[number]).c);
  return finish(o, chosen, 'bnb');
}

/** Largest coins first until amount, exact fee and a change of at least `minChange` are covered. */
function selectLargestFirst<C extends SelectionCoin>(o: Normalized<C>): Selection<C> {
  const sorted = o.candidates
    .map((c, k) => ({ c, k }))
    .sort((a, b) => (a.c.value === b.c.value ? a.k - b.k : a.c.value > b.c.value ? -1 : 1));
  const chosen: C[] = [];
  let total = 0n;
  let inW = 0;
  for (const { c } of sorted) {
    chosen.push(c);
    total += c.value;
    inW += weightOf(c);
    // Cheap test first: the exact fee with change, then the full result only when it may succeed.
    const w = txWeightOf(o.fixedWeight, chosen.length, inW, o.requireChange ? o.changeOutputWeight : 0);
    if (total - o.target - feeForWeight(o.feeRate, w) < (o.requireChange ? o.minChange : 0n)) continue;
    const r = finish(o, chosen.slice(), 'largest-first');
    if (r !== undefined) return r;
  }
  // Nothing suffices: report what a change-carrying selection of every coin would have needed.
  const vsize = Math.ceil(
    txWeightOf(o.fixedWeight, Math.max(1, o.candidates.length), inW, o.changeOutputWeight) / 4,
  );
  const needed = o.target + feeForVsize(o.feeRate, vsize) + (o.requireChange ? o.minChange : 0n);
  throw new InsufficientFundsError(needed, total);
}
