// Unit and property tests of the distribution and the distribution tree (brief §6).
import { vsize as chainVsize, decodeTx } from '@superscalar/chain';
import { encodeTx } from '@superscalar/tx';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  buildDistribution,
  type Distribution,
  distributionSigningPlan,
  type FactoryTree,
  fundingOutput,
  musigTaprootOutput,
  SpendError,
  treeTxVsize,
} from '../src/index.js';
import { unfundedTree } from './_harness.js';

const RUNS = propertyRuns(200, 30);
console.log(`distribution properties: ${RUNS} runs`);

const SIZES = [1, 2, 3, 5, 8, 13, 21, 40];

/** Every §6 invariant of a built distribution. */
function checkInvariants(tree: FactoryTree, dist: Distribution, maxVsize: number) {
  const p = tree.proposal;
  const N = p.clients.length;
  const order = tree.layout.order;
  // Runs: contiguous in placement order, covering every client once, balanced, as few as fit.
  expect(dist.groups.flat()).toEqual([...order]);
  let maxPer = 1;
  while (treeTxVsize(maxPer + 1) <= maxVsize) maxPer++;
  expect(dist.isTree).toBe(N > maxPer);
  expect(dist.groups).toHaveLength(dist.isTree ? Math.ceil(N / maxPer) : 1);
  const sizes = dist.groups.map((g) => g.length);
  expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
  // Payouts: c_i plus one equal share, the remainder to the last client in placement order.
  const extra = p.clients.map((c, i) => (dist.payouts[i] as bigint) - c.capacity);
  const share = extra[order[0] as number] as bigint;
  order.slice(0, -1).forEach((c) => {
    expect(extra[c]).toBe(share);
  });
  const lastExtra = extra[order.at(-1) as number] as bigint;
  expect(lastExtra >= share && lastExtra < share + BigInt(N)).toBe(true);
  // Every transaction: the §6 form, exact size and fee, value conserved, outputs in order.
  for (const t of dist.txs) {
    expect(t.tx).toMatchObject({ version: 3, locktime: dist.tDist, inputs: [{ sequence: 0xfffffffe }] });
    const bytes = encodeTx(t.tx, [[new Uint8Array(64)]]);
    const v = chainVsize(decodeTx(bytes));
    expect(v).toBe(t.vsize);
    expect(v).toBeLessThanOrEqual(maxVsize);
    expect(t.fee).toBe((BigInt(p.treeFeeRate) * BigInt(v) + 999n) / 1000n);
    expect(t.spent.value).toBe(t.tx.outputs.reduce((a, o) => a + o.value, 0n) + t.fee);
    expect(t.tx.outputs.at(-1)).toEqual({ value: 240n, script: Uint8Array.of(0x51, 0x02, 0x4e, 0x73) });
    if (t.role !== 'top')
      t.clients.forEach((c, i) => {
        expect(t.tx.outputs[i]).toEqual({ value: dist.payouts[c], script: p.clients[c]?.closeScript });
      });
  }
  const first = dist.txs[0];
  expect(first?.spent).toEqual({ value: p.funding.amount, script: tree.funding.script });
  if (dist.isTree)
    dist.txs.slice(1).forEach((s, g) => {
      expect(s.role).toBe('sub');
      expect(s.tx.inputs[0]?.txidBytes).toEqual(first?.txidBytes);
      expect(s.tx.inputs[0]?.vout).toBe(g);
      expect(first?.tx.outputs[g]).toEqual(s.spent);
      const keys = [p.lsp.key, ...(dist.groups[g] as number[]).map((c) => p.clients[c]?.key as Uint8Array)];
      expect(s.spentTaproot.outputKey).toEqual(musigTaprootOutput(keys, []).outputKey);
    });
}

describe('buildDistribution', () => {
  const trees = new Map<number, FactoryTree>();
  beforeAll(() => {
    for (const n of SIZES)
      trees.set(n, unfundedTree({ n, capacity: (i) => 10_000n + BigInt((i * 7919) % 5000) }));
  });

  it('keeps every §6 invariant for any size limit: contiguous balanced runs, exact fees, equal shares, conservation', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SIZES),
        fc.integer({ min: treeTxVsize(1), max: 10_000 }),
        (n, maxVsize) => {
          const tree = trees.get(n) as FactoryTree;
          let dist: Distribution;
          try {
            dist = buildDistribution(tree, { maxVsize });
          } catch (e) {
            // Only a top transaction too small for the runs may refuse.
            expect(e).toBeInstanceOf(SpendError);
            expect(e).toMatchObject({ fault: 'too-many-clients' });
            let maxPer = 1;
            while (treeTxVsize(maxPer + 1) <= maxVsize) maxPer++;
            expect(treeTxVsize(Math.ceil(n / maxPer))).toBeGreaterThan(maxVsize);
            return;
          }
          checkInvariants(tree, dist, maxVsize);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('pays in placement order (inward: largest contribution last) and is a single transaction for 40 clients', () => {
    const tree = unfundedTree({
      n: 6,
      tag: 'inward',
      profile: (i) => ({ contribution: BigInt(100 - i), uptime: 0, timezone: 0 }),
      overrides: { placement: 'inward' },
    });
    expect(tree.layout.order).toEqual([5, 4, 3, 2, 1, 0]);
    const dist = buildDistribution(tree);
    checkInvariants(tree, dist, 10_000);
    expect(dist.txs[0]?.tx.outputs[0]?.script).toEqual(tree.proposal.clients[5]?.closeScript);
    const split = buildDistribution(tree, { maxVsize: treeTxVsize(4) });
    expect(split.groups).toEqual([
      [5, 4, 3],
      [2, 1, 0],
    ]);
    checkInvariants(tree, split, treeTxVsize(4));
    const d40 = buildDistribution(trees.get(40) as FactoryTree);
    expect(d40.isTree).toBe(false);
    checkInvariants(trees.get(40) as FactoryTree, d40, 10_000);
  });

  it('the signing plan: every signer of each transaction in KeySort order, a client signs the top and its own run', () => {
    const tree = trees.get(13) as FactoryTree;
    const dist = buildDistribution(tree, { maxVsize: treeTxVsize(5) });
    expect(dist.groups.map((g) => g.length)).toEqual([5, 4, 4]);
    const plan = distributionSigningPlan(tree, dist);
    expect(plan.jobs.map((j) => j.id)).toEqual([
      'distribution-top',
      'distribution-sub[0]',
      'distribution-sub[1]',
      'distribution-sub[2]',
    ]);
    expect(plan.jobs[0]?.outputKey).toEqual(
      fundingOutput(tree.keys[0] as Uint8Array, tree.keys.slice(1)).outputKey,
    );
    plan.jobs.forEach((j, k) => {
      const t = dist.txs[k];
      expect([...j.signers].sort((a, b) => a - b)).toEqual(t?.signers);
      expect(j.pubkeys).toEqual(j.signers.map((s) => tree.keys[s]));
      const sorted = [...j.pubkeys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(j.pubkeys).toEqual(sorted);
      expect(j.sighash).toEqual(t?.sighash);
      expect(j.outputKey).toEqual(t?.spentTaproot.outputKey);
    });
    expect(plan.byParticipant[0]).toEqual([0, 1, 2, 3]);
    expect(plan.byParticipant[1]).toEqual([0, 1]);
    expect(plan.byParticipant[6]).toEqual([0, 2]);
    expect(plan.byParticipant[13]).toEqual([0, 3]);
  });

  it('refuses a limit below one client or above TRUC, and a top that cannot hold the runs', () => {
    const tree = trees.get(3) as FactoryTree;
    expect(() => buildDistribution(tree, { maxVsize: treeTxVsize(1) - 1 })).toThrow(/maxVsize/);
    expect(() => buildDistribution(tree, { maxVsize: 10_001 })).toThrow(/maxVsize/);
    expect(() => buildDistribution(tree, { maxVsize: treeTxVsize(1) })).toThrow(
      expect.objectContaining({ fault: 'too-many-clients', code: 'TREE_SPEND_INVALID' }),
    );
  });
});
