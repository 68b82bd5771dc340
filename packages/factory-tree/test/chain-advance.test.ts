// SimChain scenarios of brief §5: the newer state wins a race, a stale state is punished by its
// poison and settlements, and an older state can evict an unconfirmed newer one by package RBF.
import { SimChain, TxRejected } from '@superscalar/chain';
import { encodeTx } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { type AdvancePlan, signJobsSimulated } from '../src/advance.js';
import { _poisonBytesUnchecked, signedPoisonBytes } from '../src/poison.js';
import { lStockSecret } from '../src/proposal.js';
import { signedSettlementBytes } from '../src/settlement.js';
import { signTreeSimulated } from '../src/signingPlan.js';
import { buildTree, type FactoryTree, signedTxBytes, type TreeTx } from '../src/transactions.js';
import { adv, FeeWallet, fundedProposal, LSTOCK_SEED, sell, thrown } from './_fixtures.js';

/** A signed factory: the initial tree's signed bytes and, per plan, each job's signature by id. */
function signAll(tree: FactoryTree, sks: Uint8Array[]) {
  const sigs = signTreeSimulated(tree, sks);
  return (t: TreeTx) => signedTxBytes(t, sigs[t.index] as Uint8Array);
}
function signPlan(plan: AdvancePlan, sks: Uint8Array[]): Map<string, Uint8Array> {
  const sigs = signJobsSimulated(plan.jobs, plan.previous.keys, sks);
  return new Map(plan.jobs.map((j, i) => [j.id, sigs[i] as Uint8Array]));
}
const newTxBytes = (sigs: Map<string, Uint8Array>, t: TreeTx) =>
  signedTxBytes(t, sigs.get(`tx ${t.index}`) as Uint8Array);

function reason(f: () => unknown): string {
  const e = thrown(f);
  if (!TxRejected.isInstance(e)) throw e;
  return (e as TxRejected).reason;
}

const TIMEOUT = { timeout: 120_000 };

describe('(a) the old state loses: the newer state is valid S blocks earlier, the old one is then a double spend', () => {
  it('after a leaf advance: both leaf states spend the same kickoff output', TIMEOUT, () => {
    const chain = new SimChain();
    const wallet = new FeeWallet(chain, 6);
    const { proposal, sks } = fundedProposal(chain, { N: 4 });
    const tree = buildTree(proposal);
    const signed = signAll(tree, sks);
    const plan = adv(tree, 0, sell(tree, 0, 0, 10_000n));
    const sigs = signPlan(plan, sks);
    const [kickoff, rootState, leafKickoff, oldLeaf] = (tree.layout.leafPaths[0] as number[]).map(
      (i) => tree.txs[i] as TreeTx,
    );
    const newLeaf = plan.newTxs[0] as TreeTx;
    const { S, K } = proposal.dw;
    wallet.broadcast(signed(kickoff as TreeTx));
    chain.mineSync(S * (K - 1));
    wallet.broadcast(signed(rootState as TreeTx));
    chain.mineSync(1);
    wallet.broadcast(signed(leafKickoff as TreeTx));
    chain.mineSync(1); // the leaf kickoff has 1 confirmation
    chain.mineSync(S * (K - 2) - 2);
    expect(reason(() => chain.testAccept(newTxBytes(sigs, newLeaf)))).toBe('non-BIP68-final');
    chain.mineSync(1);
    // S·(K−2) blocks after the kickoff the newer state (nSequence 20) is final; the old (30) is not.
    expect(reason(() => chain.testAccept(signed(oldLeaf as TreeTx)))).toBe('non-BIP68-final');
    expect(wallet.broadcast(newTxBytes(sigs, newLeaf)).parentTxid).toBe(newLeaf.txid);
    chain.mineSync(1);
    chain.mineSync(S);
    // The old state is now BIP68-final, but its input is spent.
    expect(reason(() => chain.testAccept(signed(oldLeaf as TreeTx)))).toBe('missing-inputs');
    expect(reason(() => wallet.broadcast(signed(oldLeaf as TreeTx)))).toBe('bad-txns-inputs-missingorspent');
  });

  it(
    'after a carry: the new root state beats the old one, and the old leaf kickoffs lose their input',
    TIMEOUT,
    () => {
      const chain = new SimChain();
      const wallet = new FeeWallet(chain, 6);
      const { proposal, sks } = fundedProposal(chain, { N: 4 });
      const tree = buildTree(proposal);
      const signed = signAll(tree, sks);
      let t = tree;
      let plan: AdvancePlan | undefined;
      for (let i = 0; i < 4; i++) {
        plan = adv(t, 1);
        t = plan.next;
      }
      const carry = plan as AdvancePlan;
      expect(carry.kind).toBe('carry');
      const sigs = signPlan(carry, sks);
      const { S, K } = proposal.dw;
      const newRoot = carry.newTxs[0] as TreeTx;
      expect(newRoot.node).toBe(0);
      wallet.broadcast(signed(tree.txs[0] as TreeTx));
      chain.mineSync(1);
      chain.mineSync(S * (K - 2) - 1);
      expect(reason(() => chain.testAccept(signed(tree.txs[1] as TreeTx)))).toBe('non-BIP68-final');
      wallet.broadcast(newTxBytes(sigs, newRoot));
      chain.mineSync(1);
      chain.mineSync(S);
      expect(reason(() => chain.testAccept(signed(tree.txs[1] as TreeTx)))).toBe('missing-inputs');
      // Below the new root state only the carried kickoffs have an input.
      const oldLeafKickoff = tree.txs[2] as TreeTx;
      const newLeafKickoff = carry.newTxs.find((x) => x.index === 2) as TreeTx;
      expect(reason(() => chain.testAccept(signed(oldLeafKickoff)))).toBe('missing-inputs');
      expect(wallet.broadcast(newTxBytes(sigs, newLeafKickoff)).parentTxid).toBe(newLeafKickoff.txid);
    },
  );
});

describe('(b) a stale leaf state is punished: poison with s_c and the settlements', () => {
  it(
    'pay the clients what §5.3/§5.4 promise; the poison without s_c or with another secret fails',
    TIMEOUT,
    () => {
      const chain = new SimChain();
      const wallet = new FeeWallet(chain, 8);
      const { proposal, sks } = fundedProposal(chain, { N: 4 });
      const tree = buildTree(proposal);
      const signed = signAll(tree, sks);
      const plan = adv(tree, 0, sell(tree, 0, 0, 10_000n));
      const sigs = signPlan(plan, sks);
      const { S, K } = proposal.dw;
      // The LSP publishes the superseded path and nobody publishes the newer state.
      const path = (tree.layout.leafPaths[0] as number[]).map((i) => tree.txs[i] as TreeTx);
      for (const t of path) {
        if (t.kind === 'state') chain.mineSync(S * (K - 1) - 1);
        wallet.broadcast(signed(t));
        chain.mineSync(1);
      }
      const stale = plan.superseded[0];
      const poison = stale?.poison;
      if (stale === undefined || poison === undefined) throw new Error('expected a poison');
      expect(chain.utxo({ txid: stale.stateTx.txid, vout: 2 })?.value).toBe(poison.spent.value);
      const poisonSig = sigs.get(`poison c=${stale.counter}`) as Uint8Array;
      const scriptError = (item: Uint8Array) =>
        reason(() => chain.testAccept(_poisonBytesUnchecked(poison, poisonSig, item)));
      // Without s_c (a zero item, as if the secret were unknown), or with other counters' secrets.
      for (const wrong of [new Uint8Array(32), lStockSecret(LSTOCK_SEED, 1), lStockSecret(LSTOCK_SEED, 2)])
        expect(scriptError(wrong)).toMatch(
          /^mempool-script-verify-flag-failed \(Script failed an OP_EQUALVERIFY operation\)$/,
        );
      // No secret item at all: OP_SIZE reads the 64-byte signature.
      const noSecret = encodeTx(poison.tx, [[poisonSig, poison.leafScript, poison.controlBlock]]);
      expect(reason(() => chain.testAccept(noSecret))).toMatch(
        /\(Script failed an OP_EQUALVERIFY operation\)$/,
      );
      expect(() => signedPoisonBytes(poison, poisonSig, lStockSecret(LSTOCK_SEED, 2))).toThrow(
        /poison leaf's hash/,
      );
      // With s_0 it confirms and pays each client its lost amount plus a share of the rest.
      const secret = lStockSecret(LSTOCK_SEED, stale.counter);
      const poisonTxid = wallet.broadcast(signedPoisonBytes(poison, poisonSig, secret)).parentTxid;
      const settlementTxids = stale.settlements.map((e) => {
        const s = e.settlement;
        if (s === undefined) throw new Error('expected a settlement');
        return wallet.broadcast(
          signedSettlementBytes(
            s,
            sigs.get(`settlement c=${stale.counter} client=${e.client}`) as Uint8Array,
          ),
        ).parentTxid;
      });
      chain.mineSync(1);
      poison.payouts.forEach((x, i) => {
        const u = chain.utxo({ txid: poisonTxid, vout: i });
        expect(u?.value).toBe(x.amount);
        expect(u?.scriptPubKey).toEqual(proposal.clients[i]?.closeScript);
      });
      const R = poison.spent.value - 10_000n - 240n - poison.fee;
      expect(poison.payouts.map((x) => x.amount)).toEqual([10_000n + R / 2n, R - R / 2n]);
      expect(poison.payouts.reduce((a, x) => a + x.amount, 0n) + 240n + poison.fee).toBe(poison.spent.value);
      stale.settlements.forEach((e, i) => {
        const u = chain.utxo({ txid: settlementTxids[i] as string, vout: 0 });
        expect(u?.value).toBe(100_000n - 240n - (e.settlement?.fee as bigint));
        expect(u?.scriptPubKey).toEqual(proposal.clients[e.client]?.closeScript);
      });
    },
  );
});

describe('(b) after a carry, every leaf below the advanced node is covered', () => {
  it(
    'the old root state and an old leaf path confirm; that leaf’s poison (lost = 0, equal shares) and settlements confirm',
    TIMEOUT,
    () => {
      const chain = new SimChain();
      const wallet = new FeeWallet(chain, 8);
      const { proposal, sks } = fundedProposal(chain, { N: 4 });
      const tree = buildTree(proposal);
      const signed = signAll(tree, sks);
      let t = tree;
      let carry: AdvancePlan | undefined;
      for (let i = 0; i < 4; i++) {
        carry = adv(t, 0);
        t = carry.next;
      }
      if (carry === undefined || carry.kind !== 'carry') throw new Error('expected a carry');
      const sigs = signPlan(carry, sks);
      // Leaf 1 never advanced itself: its initial state (c = 1) is superseded by the carry.
      const stale = carry.superseded.find((s) => s.leaf === 1);
      const poison = stale?.poison;
      if (stale === undefined || poison === undefined)
        throw new Error('expected leaf 1 superseded with a poison');
      expect(stale.counter).toBe(1);
      expect(stale.stateTx.txid).toEqual(tree.txs[stale.stateTx.index]?.txid);
      const { S, K } = proposal.dw;
      for (const i of tree.layout.leafPaths[1] as number[]) {
        const tx = tree.txs[i] as TreeTx;
        if (tx.kind === 'state') chain.mineSync(S * (K - 1) - 1);
        wallet.broadcast(signed(tx));
        chain.mineSync(1);
      }
      const poisonTxid = wallet.broadcast(
        signedPoisonBytes(poison, sigs.get('poison c=1') as Uint8Array, lStockSecret(LSTOCK_SEED, 1)),
      ).parentTxid;
      const settled = stale.settlements.map(
        (e) =>
          wallet.broadcast(
            signedSettlementBytes(
              e.settlement as NonNullable<typeof e.settlement>,
              sigs.get(`settlement c=1 client=${e.client}`) as Uint8Array,
            ),
          ).parentTxid,
      );
      chain.mineSync(1);
      const R = poison.spent.value - 240n - poison.fee;
      expect(poison.payouts.map((x) => x.lost)).toEqual([0n, 0n]);
      poison.payouts.forEach((x, i) => {
        expect(x.amount).toBe(i === 0 ? R / 2n : R - R / 2n);
        expect(chain.utxo({ txid: poisonTxid, vout: i })?.value).toBe(x.amount);
      });
      settled.forEach((txid, i) => {
        expect(chain.utxo({ txid, vout: 0 })?.scriptPubKey).toEqual(proposal.clients[2 + i]?.closeScript);
      });
    },
  );
});

describe('(c) package RBF: a matured older state with a high-fee child evicts an unconfirmed newer state', () => {
  // Brief §5.2: once the older state matures it can replace an unconfirmed newer one by package RBF,
  // so whoever broadcast the newer state must re-bump its CPFP child every block until it confirms.
  // Shown here: the newer state waits unconfirmed (empty blocks), the old state + a 20,000-sat child
  // evicts it at maturity, and a re-bump (the newer state with a larger child) takes the slot back.
  it('replaces, and the re-bumped newer state replaces back and confirms', TIMEOUT, () => {
    const chain = new SimChain();
    const wallet = new FeeWallet(chain, 6);
    const { proposal, sks } = fundedProposal(chain, { N: 2 });
    const tree = buildTree(proposal);
    const signed = signAll(tree, sks);
    const plan = adv(tree, 0, sell(tree, 0, 1, 5_000n));
    const sigs = signPlan(plan, sks);
    const [kickoff, oldState] = tree.txs as readonly TreeTx[];
    const newState = plan.newTxs[0] as TreeTx;
    const { S, K } = proposal.dw;
    wallet.broadcast(signed(kickoff as TreeTx));
    chain.mineSync(1);
    chain.mineSync(S * (K - 2) - 1);
    const first = wallet.broadcast(newTxBytes(sigs, newState), 1_000n);
    expect(chain.mempool()).toContain(first.parentTxid);
    chain.mineSync(S, { empty: true }); // the newer state does not confirm for S blocks
    const evict = wallet.broadcast(signed(oldState as TreeTx), 20_000n);
    expect(evict.replacedTxids).toEqual(expect.arrayContaining([first.parentTxid, first.childTxid]));
    expect(chain.mempool()).not.toContain(first.parentTxid);
    const rebump = wallet.broadcast(newTxBytes(sigs, newState), 50_000n);
    expect(rebump.replacedTxids).toEqual(expect.arrayContaining([evict.parentTxid]));
    chain.mineSync(1);
    expect(chain.utxo({ txid: newState.txid, vout: 0 })?.value).toBe(newState.tx.outputs[0]?.value);
  });
});
