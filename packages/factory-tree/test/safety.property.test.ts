// Brief §5.2's safety rule, checked on the built transactions over random shapes and random advance
// sequences: for any two signed root-to-leaf paths, at the top-most node where they use different
// state transactions, both spend the same kickoff output and the newer one's nSequence is smaller by
// at least S.

import { equalBytes as bytesEqual, toHex } from '@superscalar/core';
import { ExhaustedError } from '@superscalar/dw-counter';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import { advanceCounters, planAdvance } from '../src/advance.js';
import { poisonHashesFromSeed } from '../src/proposal.js';
import { buildTree, type FactoryTree, type TreeTx } from '../src/transactions.js';
import { LSTOCK_SEED, makeProposal } from './_fixtures.js';

const runs = propertyRuns(100, 20);

/** Node ids of a leaf's root-to-leaf path. */
function pathNodes(tree: FactoryTree, leaf: number): number[] {
  const ids: number[] = [];
  const nodes = tree.layout.shape.nodes;
  for (let n = tree.layout.shape.leaves[leaf] as number; n >= 0; n = (nodes[n] as { parent: number }).parent)
    ids.push(n);
  return ids.reverse();
}

/** Checks the rule for leaf `a`'s path in `older` against leaf `b`'s path in `newer`; returns the violation. */
function violation(older: FactoryTree, a: number, newer: FactoryTree, b: number): string | undefined {
  const pa = pathNodes(older, a);
  const pb = pathNodes(newer, b);
  const S = older.proposal.dw.S;
  for (let d = 0; d < Math.min(pa.length, pb.length) && pa[d] === pb[d]; d++) {
    const node = pa[d] as number;
    const nt = older.layout.nodeTxs[node] as { kickoff: number; state: number };
    const ko = older.txs[nt.kickoff] as TreeTx;
    const kn = newer.txs[nt.kickoff] as TreeTx;
    if (nt.state < 0) {
      if (ko.txid !== kn.txid) return `static kickoff of node ${node} differs`;
      continue;
    }
    const so = older.txs[nt.state] as TreeTx;
    const sn = newer.txs[nt.state] as TreeTx;
    if (so.txid === sn.txid) continue;
    if (ko.txid !== kn.txid) return `node ${node}: the kickoffs differ at the top-most differing state`;
    const io = so.tx.inputs[0] as TreeTx['tx']['inputs'][number];
    const inn = sn.tx.inputs[0] as TreeTx['tx']['inputs'][number];
    if (!bytesEqual(io.txidBytes, inn.txidBytes) || io.vout !== inn.vout)
      return `node ${node}: the states spend different outpoints`;
    if (inn.sequence + S > io.sequence)
      return `node ${node}: newer nSequence ${inn.sequence} not smaller than ${io.sequence} by S = ${S}`;
    return undefined;
  }
  return undefined;
}

it(`§5.2 safety rule over random shapes and advance sequences (${runs} runs)`, { timeout: 300_000 }, () => {
  console.log(`safety property: ${runs} runs`);
  const shapeArb = fc.record({
    N: fc.integer({ min: 1, max: 8 }),
    leafArity: fc.constantFrom(1 as const, 2 as const),
    levelArity: fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 1, maxLength: 2 }),
    staticLevels: fc.integer({ min: 0, max: 1 }),
    K: fc.integer({ min: 2, max: 4 }),
    S: fc.integer({ min: 1, max: 12 }),
  });
  fc.assert(
    fc.property(shapeArb, fc.array(fc.nat(), { minLength: 1, maxLength: 7 }), (shape, picks) => {
      const { proposal } = makeProposal({
        N: shape.N,
        leafArity: shape.leafArity,
        levelArity: shape.levelArity,
        staticLevels: shape.staticLevels,
        overrides: { dw: { K: shape.K, S: shape.S } },
      });
      const trees: FactoryTree[] = [buildTree(proposal)];
      const L = trees[0]?.layout.leafClients.length as number;
      for (const pick of picks) {
        const tree = trees.at(-1) as FactoryTree;
        const leaf = pick % L;
        let cs: number[];
        try {
          cs = advanceCounters(tree, leaf);
        } catch (e) {
          if (e instanceof ExhaustedError) continue;
          throw e;
        }
        const hs = poisonHashesFromSeed(LSTOCK_SEED, cs.length, cs[0]);
        const next = planAdvance(tree, {
          leaf,
          poisonHashes: new Map(cs.map((c, i) => [c, hs[i] as Uint8Array])),
        }).next;
        // The advance rebuilds only the advanced subtree: it must equal a full rebuild at the new state.
        const full = buildTree(proposal, next.state);
        expect(next.txs.map((t) => t.txid)).toEqual(full.txs.map((t) => t.txid));
        expect(next.txs.map((t) => toHex(t.sighash))).toEqual(full.txs.map((t) => toHex(t.sighash)));
        trees.push(next);
      }
      for (let i = 0; i < trees.length; i++)
        for (let j = i + 1; j < trees.length; j++)
          for (let a = 0; a < L; a++)
            for (let b = 0; b < L; b++) {
              const v = violation(trees[i] as FactoryTree, a, trees[j] as FactoryTree, b);
              if (v !== undefined) throw new Error(`trees ${i} → ${j}, leaves ${a}/${b}: ${v}`);
            }
      // Every advance changed something on the advanced leaf's path.
      for (let i = 1; i < trees.length; i++)
        expect((trees[i] as FactoryTree).state.dw.nextCounter).toBeGreaterThan(
          (trees[i - 1] as FactoryTree).state.dw.nextCounter,
        );
    }),
    { numRuns: runs },
  );
});

it('the checker reports a violation when the pair is taken the wrong way round (it can fail)', () => {
  const { proposal } = makeProposal({ N: 4 });
  const t0 = buildTree(proposal);
  const cs = advanceCounters(t0, 0);
  const hs = poisonHashesFromSeed(LSTOCK_SEED, cs.length, cs[0]);
  const t1 = planAdvance(t0, {
    leaf: 0,
    poisonHashes: new Map(cs.map((c, i) => [c, hs[i] as Uint8Array])),
  }).next;
  expect(violation(t0, 0, t1, 0)).toBeUndefined();
  expect(violation(t1, 0, t0, 0)).toMatch(/not smaller/);
});
