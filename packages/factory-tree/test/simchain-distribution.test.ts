// Brief §6 on SimChain: the distribution transaction at T_dist (early: non-final), and the
// distribution tree (top transaction, then one sub-distribution per run of clients).
import { vsize as chainVsize, decodeTx, SimChain } from '@superscalar/chain';
import { encodeTx, type Tx } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import {
  anchoredParent,
  buildDistribution,
  type Distribution,
  type DistributionTx,
  distributionSigningPlan,
  type FactoryTree,
  type SigningJob,
  signedDistributionBytes,
  treeTxVsize,
} from '../src/index.js';
import {
  broadcastWithCpfp,
  FeeWallet,
  feePaid,
  mineTo,
  openFactory,
  type Participants,
  rejectReason,
  signJob,
  verifyStandard,
} from './_harness.js';
import { sighashOne, withInput0 } from './_txkit.js';

const T_OUT = 240_000;

function signAll(tree: FactoryTree, dist: Distribution, who: Participants): Uint8Array[] {
  const plan = distributionSigningPlan(tree, dist);
  return dist.txs.map((t, j) => signedDistributionBytes(t, signJob(plan.jobs[j] as never, who.secretKeys)));
}

/** Checks the signed bytes against the chain's interpreter, the exact fee and the TRUC size. */
function checkTx(t: DistributionTx, bytes: Uint8Array, rate: number) {
  verifyStandard(bytes, [t.spent]);
  const v = chainVsize(decodeTx(bytes));
  expect(v).toBe(t.vsize);
  expect(v).toBeLessThanOrEqual(10_000);
  expect(feePaid(bytes, [t.spent])).toBe((BigInt(rate) * BigInt(v) + 999n) / 1000n);
}

/** Broadcasts the distribution (top first, then its subs in the next block) and checks every payout. */
function runDistribution(chain: SimChain, tree: FactoryTree, dist: Distribution, signed: Uint8Array[]) {
  const p = tree.proposal;
  const wallet = FeeWallet.create(chain, dist.txs.length + 1);
  mineTo(chain, dist.tDist - 1);
  expect(rejectReason(() => chain.testAccept(signed[0] as Uint8Array))).toBe('non-final');
  expect(
    rejectReason(() =>
      broadcastWithCpfp(
        chain,
        signed[0] as Uint8Array,
        anchoredParent(dist.txs[0] as DistributionTx),
        wallet,
      ),
    ),
  ).toBe('non-final');
  chain.mineSync(1);
  wallet.refresh(chain);
  broadcastWithCpfp(chain, signed[0] as Uint8Array, anchoredParent(dist.txs[0] as DistributionTx), wallet);
  chain.mineSync(1);
  wallet.refresh(chain);
  for (let j = 1; j < dist.txs.length; j++)
    broadcastWithCpfp(chain, signed[j] as Uint8Array, anchoredParent(dist.txs[j] as DistributionTx), wallet);
  if (dist.txs.length > 1) chain.mineSync(1);
  expect(chain.mempool()).toEqual([]);
  const paying = dist.txs.filter((t) => t.role !== 'top');
  for (const t of paying) {
    const txid = t.txid;
    t.clients.forEach((c, vout) => {
      const out = chain.utxo({ txid, vout });
      expect(out?.scriptPubKey).toEqual(p.clients[c]?.closeScript);
      expect(out?.value).toBe(dist.payouts[c]);
    });
  }
}

describe('distribution on SimChain', () => {
  it(
    'N = 4: the distribution pays each client c_i plus an equal share at T_dist, not before',
    () => {
      const chain = new SimChain();
      const f = openFactory(chain, { n: 4, capacity: (i) => 100_000n + BigInt(i) * 10_000n });
      const p = f.tree.proposal;
      const dist = buildDistribution(f.tree);
      expect(dist.isTree).toBe(false);
      expect(dist.tDist).toBe(p.proposalHeight + p.activeBlocks + p.dyingBlocks + 10);
      const [d] = dist.txs as [DistributionTx];
      expect(d.tx).toMatchObject({ version: 3, locktime: dist.tDist, inputs: [{ sequence: 0xfffffffe }] });
      expect(d.tx.outputs.map((o) => o.value)).toEqual([...dist.payouts, 240n]);
      const rest = p.funding.amount - p.clients.reduce((a, c) => a + c.capacity, 0n) - 240n - d.fee;
      const share = rest / 4n;
      expect(dist.payouts).toEqual([
        100_000n + share,
        110_000n + share,
        120_000n + share,
        130_000n + share + (rest - 4n * share),
      ]);
      const signed = signAll(f.tree, dist, f.who);
      checkTx(d, signed[0] as Uint8Array, p.treeFeeRate);
      // Why nSequence 0xFFFFFFFE: with 0xFFFFFFFF the same transaction ignores its nLockTime and
      // clients could take the whole factory at once (here, 30+ blocks before T_dist).
      const final: Tx = withInput0(d.tx, { sequence: 0xffffffff });
      const job = { ...(distributionSigningPlan(f.tree, dist).jobs[0] as SigningJob) };
      const finalBytes = encodeTx(final, [
        [signJob({ ...job, sighash: sighashOne(final, d.spent) }, f.who.secretKeys)],
      ]);
      expect(chain.height).toBeLessThan(dist.tDist - 20);
      expect(rejectReason(() => chain.testAccept(finalBytes))).toBe('accepted');
      expect(rejectReason(() => chain.testAccept(signed[0] as Uint8Array))).toBe('non-final');
      runDistribution(chain, f.tree, dist, signed);
    },
    T_OUT,
  );

  it(
    'a forced 3-client limit splits N = 8 into runs of 3, 3, 2; every transaction confirms and pays',
    () => {
      const chain = new SimChain();
      const f = openFactory(chain, { n: 8 });
      const dist = buildDistribution(f.tree, { maxVsize: treeTxVsize(3) });
      expect(dist.isTree).toBe(true);
      expect(dist.groups).toEqual([
        [0, 1, 2],
        [3, 4, 5],
        [6, 7],
      ]);
      const signed = signAll(f.tree, dist, f.who);
      dist.txs.forEach((t, j) => {
        checkTx(t, signed[j] as Uint8Array, f.tree.proposal.treeFeeRate);
      });
      runDistribution(chain, f.tree, dist, signed);
    },
    T_OUT,
  );

  it(
    'N = 231 needs a distribution tree at the TRUC limit: top + 2 sub-distributions, all confirm and pay every client',
    () => {
      const chain = new SimChain();
      const f = openFactory(chain, { n: 231, capacity: () => 20_000n, lStockPerLeaf: 5_000n });
      expect(treeTxVsize(231)).toBeGreaterThan(10_000);
      expect(treeTxVsize(230)).toBeLessThanOrEqual(10_000);
      const dist = buildDistribution(f.tree);
      expect(dist.isTree).toBe(true);
      expect(dist.groups.map((g) => g.length)).toEqual([116, 115]);
      const top = dist.txs[0] as DistributionTx;
      expect(top.tx.outputs).toHaveLength(3);
      // Each sub-distribution output is KeyAgg(LSP + its clients), BIP86.
      dist.txs.slice(1).forEach((s, g) => {
        expect(s.spentTaproot.merkleRoot).toBeUndefined();
        expect(s.spentTaproot.pubkeys).toHaveLength((dist.groups[g]?.length as number) + 1);
        expect(top.tx.outputs[g]?.script).toEqual(s.spentTaproot.script);
      });
      const plan = distributionSigningPlan(f.tree, dist);
      expect(plan.byParticipant[0]).toEqual([0, 1, 2]);
      expect(plan.byParticipant[1]).toEqual([0, 1]);
      expect(plan.byParticipant[231]).toEqual([0, 2]);
      const signed = signAll(f.tree, dist, f.who);
      dist.txs.forEach((t, j) => {
        checkTx(t, signed[j] as Uint8Array, f.tree.proposal.treeFeeRate);
      });
      runDistribution(chain, f.tree, dist, signed);
    },
    T_OUT,
  );
});
