/**
 * Shape suggestions (protocol brief §3.4, §5.2): the shallowest valid shape for N clients, and the
 * trade-off between exits and advances — each more DW layer multiplies a leaf's advances before
 * rotation by K and lengthens the worst-case exit by `S·(K−1)` blocks (and the path by a kickoff and
 * a state), inside §2's budget `exitDelay + toSelfDelay + htlcBudget ≤ 1,584`.
 *
 * @module
 */
import { buildShape, type DwParams, dwExitDelay, validateDwParams } from '@superscalar/dw-counter';
import { assertInt } from './_assert.js';
import { InvalidArgumentError } from './errors.js';
import { MAX_EXIT_BUDGET } from './proposal.js';
import { shapeMetrics } from './tree.js';

/** The result of {@link suggestShape}: a shape and its trade-off figures. */
export interface SuggestedShape {
  readonly leafArity: 1 | 2;
  readonly levelArity: readonly number[];
  readonly staticLevels: number;
  /** §3.4's worst-case exit delay: `layerCount · S·(K−1)` blocks. */
  readonly exitDelay: number;
  /** Transactions on the longest root-to-leaf path (the exit's length). */
  readonly maxPathTxs: number;
  /** DW layers on the deepest path. */
  readonly layerCount: number;
  /**
   * Advances a leaf can make before the factory must rotate (§5.2) if it advances alone: `K^m − 1`
   * for the leaf with the fewest state levels `m` on its path (dw-counter's `advancesLeft` at the
   * initial state). What `minAdvancesPerLeaf` asks for.
   */
  readonly advancesPerLeaf: number;
  /**
   * Advances every leaf is guaranteed when all the leaves under its top DW node advance in turn:
   * `(K − 1)·K^(m−1)`, `K − 1` for each combination of its ancestors' states (a carry for one leaf
   * resets its siblings to state 0 on new kickoffs, so shared upper states are shared). A leaf that
   * advances more often than its siblings can use their share, up to `advancesPerLeaf`.
   */
  readonly advancesPerLeafShared: number;
}

/** Options of {@link suggestShape} and {@link shapeTradeoffs}. */
export interface SuggestShapeOptions {
  /** Blocks for HTLC resolution (default 72, §2). */
  readonly htlcBudget?: number;
  /** Clients per leaf (default 2). */
  readonly leafArity?: 1 | 2;
  /** The fewest advances every leaf must be able to make before rotation (default 1: any shape). */
  readonly minAdvancesPerLeaf?: number;
}

/** Candidate fan-outs: uniform 2, 4, 8, …, 200 and the brief's `[2,4,8]`, with 0..3 static levels. */
const CANDIDATE_ARITIES: readonly (readonly number[])[] = [
  [2],
  [2, 4, 8],
  [4],
  [8],
  [16],
  [32],
  [64],
  [128],
  [200],
];

/** Every candidate whose exit fits §2's budget, with its figures and its ranking key. */
function candidates(
  N: number,
  dw: DwParams,
  toSelfDelay: number,
  options: SuggestShapeOptions,
): { shape: SuggestedShape; key: number[] }[] {
  assertInt(N, 'N', 1, 1_000_000);
  validateDwParams(dw);
  assertInt(toSelfDelay, 'toSelfDelay', 1, 65_535);
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected { htlcBudget?, leafArity?, minAdvancesPerLeaf? }');
  const htlcBudget = options.htlcBudget ?? 72;
  assertInt(htlcBudget, 'options.htlcBudget', 0, 65_535);
  const leafArity = options.leafArity ?? 2;
  if (leafArity !== 1 && leafArity !== 2)
    throw new InvalidArgumentError('options.leafArity', 'expected 1 or 2');
  const out: { shape: SuggestedShape; key: number[] }[] = [];
  for (const levelArity of CANDIDATE_ARITIES)
    for (let staticLevels = 0; staticLevels <= 3; staticLevels++) {
      const leaves = Math.ceil(N / leafArity);
      const shape = buildShape({ leaves, levelArity, staticLevels });
      if (shape.layerCount === 0) continue;
      const exitDelay = dwExitDelay(shape.layerCount, dw);
      if (exitDelay + toSelfDelay + htlcBudget > MAX_EXIT_BUDGET) continue;
      const maxPathTxs = shapeMetrics(shape).maxPathTxs;
      const minStates = Math.min(...shape.leaves.map((id) => (shape.nodes[id]?.layer ?? 0) + 1));
      const advancesPerLeaf = Math.min(dw.K ** minStates - 1, Number.MAX_SAFE_INTEGER);
      const advancesPerLeafShared = Math.min((dw.K - 1) * dw.K ** (minStates - 1), Number.MAX_SAFE_INTEGER);
      out.push({
        shape: Object.freeze({
          leafArity,
          levelArity,
          staticLevels,
          exitDelay,
          maxPathTxs,
          layerCount: shape.layerCount,
          advancesPerLeaf,
          advancesPerLeafShared,
        }),
        key: [maxPathTxs, shape.layerCount, Math.max(...levelArity), staticLevels],
      });
    }
  return out;
}

/**
 * §3.4: the shallowest shape (fewest transactions on the longest path; ties: fewer DW layers, then
 * the smaller largest fan-out, then fewer static levels) whose `exitDelay + toSelfDelay + htlcBudget`
 * is at most 1,584 and whose leaves can each advance at least `minAdvancesPerLeaf` times before the
 * factory must rotate (`advancesPerLeaf`, §5.2). Candidate fan-outs are uniform 2, 4, 8, 16, 32, 64,
 * 128, 200 and the brief's `[2,4,8]`, with 0..3 static levels; every candidate's fan-out is ≤ 200, so
 * TRUC's size holds. Returns undefined when no candidate fits. The shallowest shape has the fewest
 * DW layers it can, hence the fewest advances; {@link shapeTradeoffs} lists the alternatives.
 */
export function suggestShape(
  N: number,
  dw: DwParams,
  toSelfDelay: number,
  options: SuggestShapeOptions = {},
): SuggestedShape | undefined {
  const min = options?.minAdvancesPerLeaf ?? 1;
  assertInt(min, 'options.minAdvancesPerLeaf', 1, Number.MAX_SAFE_INTEGER);
  let best: { shape: SuggestedShape; key: number[] } | undefined;
  for (const c of candidates(N, dw, toSelfDelay, options))
    if (c.shape.advancesPerLeaf >= min && (best === undefined || lexLess(c.key, best.key))) best = c;
  return best?.shape;
}

/**
 * The trade-off between advances and exits (§3.4, §5.2): for each number of DW layers that fits §2's
 * exit budget, the shallowest shape with that many layers (ranked as {@link suggestShape} ranks), by
 * increasing layers — each more layer multiplies the advances per leaf by K and adds `S·(K−1)` blocks
 * to the worst-case exit. `minAdvancesPerLeaf` drops the rows below it.
 */
export function shapeTradeoffs(
  N: number,
  dw: DwParams,
  toSelfDelay: number,
  options: SuggestShapeOptions = {},
): SuggestedShape[] {
  const min = options?.minAdvancesPerLeaf ?? 1;
  assertInt(min, 'options.minAdvancesPerLeaf', 1, Number.MAX_SAFE_INTEGER);
  const byLayers = new Map<number, { shape: SuggestedShape; key: number[] }>();
  for (const c of candidates(N, dw, toSelfDelay, options)) {
    if (c.shape.advancesPerLeaf < min) continue;
    const b = byLayers.get(c.shape.layerCount);
    if (b === undefined || lexLess(c.key, b.key)) byLayers.set(c.shape.layerCount, c);
  }
  return [...byLayers.entries()].sort((x, y) => x[0] - y[0]).map(([, c]) => c.shape);
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number);
  return false;
}
