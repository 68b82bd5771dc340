// suggestShape with a minimum number of advances per leaf, and the trade-off it reports (brief §3.4,
// §5.2): each figure is checked against the shape itself — the exit delay and path length against
// the built layout, the advances against dw-counter's odometer (a leaf alone, and every leaf in turn).
import { advance, advancesLeft, buildShape, canAdvance, initialState } from '@superscalar/dw-counter';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, layoutTree, shapeTradeoffs, suggestShape } from '../src/index.js';
import { makeProposal, thrown } from './_fixtures.js';

const MAINNET = { K: 4, S: 144 };
const row = (s: ReturnType<typeof shapeTradeoffs>[number]) => ({
  levelArity: s.levelArity,
  staticLevels: s.staticLevels,
  layers: s.layerCount,
  exitDelay: s.exitDelay,
  pathTxs: s.maxPathTxs,
  advances: s.advancesPerLeaf,
  shared: s.advancesPerLeafShared,
});

describe('suggestShape with minAdvancesPerLeaf (brief §3.4, §5.2)', () => {
  it('N = 1,024, at least 15 advances per leaf: [32] with one static level, 2 DW layers, 864 blocks, 5 path txs', () => {
    const s = suggestShape(1024, MAINNET, 144, { minAdvancesPerLeaf: 15 });
    expect(s && row(s)).toEqual({
      levelArity: [32],
      staticLevels: 1,
      layers: 2,
      exitDelay: 864,
      pathTxs: 5,
      advances: 15,
      shared: 12,
    });
    // Without the minimum: the shallowest shape, one DW layer, 3 advances (unchanged behaviour).
    expect(row(suggestShape(1024, MAINNET, 144) as NonNullable<ReturnType<typeof suggestShape>>)).toEqual({
      levelArity: [32],
      staticLevels: 2,
      layers: 1,
      exitDelay: 432,
      pathTxs: 4,
      advances: 3,
      shared: 3,
    });
    // 48 guaranteed to every leaf advancing in turn needs a third layer; more than 63 fits no budget.
    expect(suggestShape(1024, MAINNET, 144, { minAdvancesPerLeaf: 16 })?.layerCount).toBe(3);
    expect(suggestShape(1024, MAINNET, 144, { minAdvancesPerLeaf: 64 })).toBeUndefined();
    expect(
      InvalidArgumentError.isInstance(thrown(() => suggestShape(8, MAINNET, 144, { minAdvancesPerLeaf: 0 }))),
    ).toBe(true);
  });

  it('the trade-off table for N = 64, 256, 1,024 and 4,096 (mainnet: S = 144, K = 4, toSelfDelay 144)', () => {
    const table = Object.fromEntries(
      [64, 256, 1024, 4096].map((N) => [N, shapeTradeoffs(N, MAINNET, 144).map(row)]),
    );
    console.log(
      [64, 256, 1024, 4096]
        .flatMap((N) =>
          (table[N] as ReturnType<typeof row>[]).map(
            (r) =>
              `N = ${N}: [${r.levelArity.join(',')}] static ${r.staticLevels}, ${r.layers} layer(s), exit ${r.exitDelay} blocks, ${r.pathTxs} path txs, ${r.advances} advances per leaf (${r.shared} shared)`,
          ),
        )
        .join('\n'),
    );
    const r = (levelArity: number[], staticLevels: number, layers: number) => ({
      levelArity,
      staticLevels,
      layers,
      exitDelay: 432 * layers,
      pathTxs: 2 * layers + staticLevels,
      advances: 4 ** layers - 1,
      shared: 3 * 4 ** (layers - 1),
    });
    expect(table).toEqual({
      64: [r([32], 1, 1), r([32], 0, 2), r([8], 0, 3)],
      256: [r([128], 1, 1), r([128], 0, 2), r([16], 0, 3)],
      1024: [r([32], 2, 1), r([32], 1, 2), r([32], 0, 3)],
      4096: [r([64], 2, 1), r([64], 1, 2), r([64], 0, 3)],
    });
    // Four layers (1,728 blocks) never fit 1,584 − 144 − 72.
    expect(shapeTradeoffs(4096, MAINNET, 144, { minAdvancesPerLeaf: 64 })).toEqual([]);
  });

  it('the figures are the shape’s: exit delay and path length from the layout, advances from the odometer', () => {
    for (const N of [64, 256])
      for (const s of shapeTradeoffs(N, MAINNET, 144)) {
        const { proposal } = makeProposal({
          N,
          network: 'mainnet',
          capacity: 10_000n,
          levelArity: s.levelArity,
          staticLevels: s.staticLevels,
        });
        const layout = layoutTree(proposal);
        expect(layout.exitDelay).toBe(s.exitDelay);
        expect(Math.max(...layout.leafPaths.map((p) => p.length))).toBe(s.maxPathTxs);
        const dw = initialState(layout.shape, MAINNET);
        const alone = layout.leafClients.map((_, leaf) => advancesLeft(dw, leaf));
        expect(Math.min(...alone.map(Number))).toBe(s.advancesPerLeaf);
      }
  });

  it('advancesPerLeafShared: every leaf advancing in turn gets at least that many before rotation', () => {
    // Small shapes (K = 3) where the odometer can be run to exhaustion, round-robin over the leaves of
    // one top DW subtree.
    const dw = { K: 3, S: 10 };
    for (const N of [8, 16, 24])
      for (const s of shapeTradeoffs(N, dw, 6, { leafArity: 2 })) {
        const shape = buildShape({
          leaves: Math.ceil(N / 2),
          levelArity: s.levelArity,
          staticLevels: s.staticLevels,
        });
        let state = initialState(shape, dw);
        const counts = shape.leaves.map(() => 0);
        // The leaves under the first top state node (whose parent is static or absent).
        const top = shape.nodes.find((n) => n.layer === 0) as { id: number; end: number };
        const leaves = shape.leaves
          .map((id, leaf) => ({ id, leaf }))
          .filter((l) => l.id >= top.id && l.id < top.end);
        let exhausted = false;
        while (!exhausted)
          for (const { leaf } of leaves) {
            if (!canAdvance(state, leaf)) {
              exhausted = true;
              break;
            }
            state = advance(state, leaf).next;
            counts[leaf] = (counts[leaf] as number) + 1;
          }
        for (const { leaf } of leaves) expect(counts[leaf]).toBeGreaterThanOrEqual(s.advancesPerLeafShared);
        // One leaf alone reaches exactly advancesPerLeaf.
        let alone = initialState(shape, dw);
        let n = 0;
        const first = (leaves[0] as { leaf: number }).leaf;
        while (canAdvance(alone, first)) {
          alone = advance(alone, first).next;
          n++;
        }
        expect(n).toBeGreaterThanOrEqual(s.advancesPerLeaf);
      }
  });
});
