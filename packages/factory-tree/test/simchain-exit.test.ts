// Brief §6 on SimChain: a client's unilateral exit (relative locks, TRUC packages with CPFP children),
// the LSP's L-stock spend by its CSV leaf, and the LSP's timeout recovery by the CLTV leaf.
import { vsize as chainVsize, decodeTx, SimChain } from '@superscalar/chain';
import { encodeTx, type Tx, tapLeafHash } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { signPlain } from '../src/_sign.js';
import {
  anchoredParent,
  exitPath,
  lStockSpend,
  type ScriptPathSpend,
  signLspScriptPathSpend,
  signTreeSimulated,
  type TreeTx,
  timeoutRecovery,
} from '../src/index.js';
import {
  broadcastWithCpfp,
  FeeWallet,
  feePaid,
  mineTo,
  openFactory,
  rejectReason,
  verifyStandard,
} from './_harness.js';
import { sighashOne } from './_txkit.js';

const T_OUT = 120_000;

/** Checks a signed LSP spend against the chain's interpreter and the exact-fee rule. */
function checkLspSpend(spend: ScriptPathSpend, bytes: Uint8Array, feeRate: number) {
  verifyStandard(bytes, [spend.spent]);
  const v = chainVsize(decodeTx(bytes));
  expect(v).toBe(spend.vsize);
  expect(feePaid(bytes, [spend.spent])).toBe((BigInt(feeRate) * BigInt(v) + 999n) / 1000n);
  expect(decodeTx(bytes).outputs).toHaveLength(1); // no anchor
}

describe('unilateral exit on SimChain (N = 4, regtest defaults)', () => {
  it(
    "a client's path confirms only as each relative lock passes; then the L-stock spend and the timeouts of the channel outputs",
    () => {
      const chain = new SimChain();
      const wallet = FeeWallet.create(chain, 6);
      const f = openFactory(chain, { n: 4 });
      const { tree, who } = f;
      const p = tree.proposal;
      const sigs = signTreeSimulated(tree, who.secretKeys);
      const lsp = who.secretKeys[0] as Uint8Array;

      const first = exitPath(tree, 0, { signatures: sigs, heights: { fundingConfirmedAt: f.fundingHeight } });
      expect(first.steps.map((s) => s.tx)).toEqual(tree.layout.leafPaths[0]);
      expect(first.steps.map((s) => s.kind)).toEqual(['kickoff', 'state', 'kickoff', 'state']);
      expect(first.steps.map((s) => s.relativeLock)).toEqual([0, 30, 0, 30]);
      expect(first.deadline).toBe(p.T - 3 * p.timeoutStep);
      // Projected schedule from the funding height: 1 + 30 + 1 + 30 blocks.
      expect(first.steps.map((s) => s.earliestBlock)).toEqual(
        [1, 31, 32, 62].map((d) => f.fundingHeight + d),
      );

      const confirmedAt: number[] = [];
      for (let i = 0; i < first.steps.length; i++) {
        const path = exitPath(tree, 0, {
          signatures: sigs,
          heights: { fundingConfirmedAt: f.fundingHeight, confirmedAt },
        });
        const step = path.steps[i] as (typeof path.steps)[number];
        expect(step.projected).toBe(false);
        const t = tree.txs[step.tx] as TreeTx;
        if (step.relativeLock > 0) {
          // Judged at tip + 1: refused at every tip before earliestBroadcastTip.
          expect(chain.height).toBe(step.parentConfirmedAt);
          expect(rejectReason(() => chain.testAccept(step.bytes))).toBe('non-BIP68-final');
          mineTo(chain, step.earliestBroadcastTip - 1);
          wallet.refresh(chain);
          expect(rejectReason(() => broadcastWithCpfp(chain, step.bytes, anchoredParent(t), wallet))).toBe(
            'non-BIP68-final',
          );
        }
        mineTo(chain, step.earliestBroadcastTip);
        wallet.refresh(chain);
        const r = broadcastWithCpfp(chain, step.bytes, anchoredParent(t), wallet);
        expect(r.parentTxid).toBe(step.txid);
        expect(r.childVsize).toBeLessThanOrEqual(1000);
        chain.mineSync(1);
        const conf = chain.utxo({ txid: step.txid, vout: 0 });
        expect(conf?.height).toBe(step.earliestBlock);
        confirmedAt.push(chain.height);
      }
      const done = exitPath(tree, 0, {
        signatures: sigs,
        heights: { fundingConfirmedAt: f.fundingHeight, confirmedAt },
      });
      expect(done.channel.txid).toBe(done.steps[3]?.txid);
      expect(chain.utxo({ txid: done.channel.txid, vout: done.channel.vout })?.value).toBe(
        p.clients[0]?.capacity,
      );
      const leafStateAt = confirmedAt[3] as number;

      // The LSP's L-stock spend: nSequence lStockCsv, valid once the leaf state has lStockCsv confirmations.
      const ls = lStockSpend(tree, 0, { feeRate: 1000 });
      expect(ls.tx.inputs[0]?.sequence).toBe(p.lStockCsv);
      expect(ls.tx.locktime).toBe(0);
      expect(ls.controlBlock).toHaveLength(65);
      const lsBytes = signLspScriptPathSpend(ls, lsp);
      checkLspSpend(ls, lsBytes, 1000);
      expect(rejectReason(() => chain.broadcastSync(lsBytes))).toBe('non-BIP68-final');
      mineTo(chain, leafStateAt + p.lStockCsv - 2);
      expect(rejectReason(() => chain.broadcastSync(lsBytes))).toBe('non-BIP68-final');
      chain.mineSync(1);
      const lsTxid = chain.broadcastSync(lsBytes);
      chain.mineSync(1);
      expect(chain.utxo({ txid: lsTxid, vout: 0 })).toMatchObject({
        value: (tree.layout.lStock[0] as bigint) - ls.fee,
        height: leafStateAt + p.lStockCsv,
      });

      // The client never publishes a commitment: after T_m the LSP recovers both channel outputs alone.
      const leafState = tree.txs[done.steps[3]?.tx as number] as TreeTx;
      const recs = [0, 1].map((vout) => {
        const rec = timeoutRecovery(tree, { tx: leafState.index, vout }, { feeRate: 1000 });
        expect(rec.tx.locktime).toBe(done.deadline);
        const bytes = signLspScriptPathSpend(rec, lsp);
        checkLspSpend(rec, bytes, 1000);
        return { rec, bytes, vout };
      });
      mineTo(chain, done.deadline - 1);
      for (const { bytes } of recs) expect(rejectReason(() => chain.broadcastSync(bytes))).toBe('non-final');
      chain.mineSync(1);
      const txids = recs.map(({ bytes }) => chain.broadcastSync(bytes));
      chain.mineSync(1);
      recs.forEach(({ rec, vout }, i) => {
        const out = chain.utxo({ txid: txids[i] as string, vout: 0 });
        expect(out?.value).toBe((p.clients[vout]?.capacity as bigint) - rec.fee);
        expect(out?.scriptPubKey).toEqual(p.lsp.closeScript);
        expect(out?.height).toBe(done.deadline + 1);
      });
    },
    T_OUT,
  );

  it(
    'every tree transaction is accepted as a TRUC 1-parent-1-child package with its CPFP child',
    () => {
      const chain = new SimChain();
      const f = openFactory(chain, { n: 4 });
      const sigs = signTreeSimulated(f.tree, f.who.secretKeys);
      const wallet = FeeWallet.create(chain, 6);
      // Both paths, level by level: the two leaf kickoffs share a block, so do the leaf states.
      const byK = new Map<number, TreeTx[]>();
      for (const t of f.tree.txs) byK.set(t.k, [...(byK.get(t.k) ?? []), t]);
      for (const k of [...byK.keys()].sort((a, b) => a - b)) {
        const level = byK.get(k) as TreeTx[];
        const lock = level[0]?.kind === 'state' ? 30 : 0;
        if (lock > 0) chain.mineSync(lock - 1);
        wallet.refresh(chain);
        for (const t of level) {
          const paths = exitPath(f.tree, f.tree.layout.leafClients[Math.max(0, t.leaf)]?.[0] ?? 0, {
            signatures: sigs,
            heights: {
              fundingConfirmedAt: f.fundingHeight,
            },
          });
          const bytes =
            paths.steps.find((s) => s.tx === t.index)?.bytes ??
            encodeTx(t.tx, [[sigs[t.index] as Uint8Array]]);
          const r = broadcastWithCpfp(chain, bytes, anchoredParent(t), wallet, 5_000);
          expect(chain.mempool()).toContain(r.parentTxid);
          expect(chain.mempool()).toContain(r.childTxid);
        }
        chain.mineSync(1);
        for (const t of level) expect(chain.mempool()).not.toContain(t.txid);
      }
      expect(chain.mempool()).toEqual([]);
    },
    T_OUT,
  );
});

describe('timeout recovery on SimChain', () => {
  it(
    'after T_0 the LSP alone recovers the root kickoff output by the CLTV leaf; before, non-final, and with nLockTime met but CLTV not, the script error',
    () => {
      const chain = new SimChain();
      const f = openFactory(chain, { n: 4 });
      const { tree, who } = f;
      const p = tree.proposal;
      const sigs = signTreeSimulated(tree, who.secretKeys);
      const wallet = FeeWallet.create(chain, 2);
      const root = tree.txs[0] as TreeTx;
      broadcastWithCpfp(chain, encodeTx(root.tx, [[sigs[0] as Uint8Array]]), anchoredParent(root), wallet);
      chain.mineSync(1);

      const rec = timeoutRecovery(tree, { tx: 0, vout: 0 }, { feeRate: 2_000 });
      expect(rec.tx).toMatchObject({ version: 3, locktime: p.T, inputs: [{ sequence: 0xfffffffe }] });
      expect(rec.controlBlock).toHaveLength(33);
      expect(rec.controlBlock[0]).toBe(0xc0 | (root.outputTaproot[0]?.parity as number));
      const lsp = who.secretKeys[0] as Uint8Array;
      const bytes = signLspScriptPathSpend(rec, lsp);
      checkLspSpend(rec, bytes, 2_000);
      expect(rejectReason(() => chain.broadcastSync(bytes))).toBe('non-final');

      // nLockTime the current tip (final) but the leaf demands T: the script fails on CLTV.
      const early: Tx = { ...rec.tx, locktime: chain.height };
      const earlySig = signPlain(sighashOne(early, rec.spent, tapLeafHash(rec.leafScript)), lsp);
      const earlyBytes = encodeTx(early, [[earlySig, rec.leafScript, rec.controlBlock]]);
      expect(rejectReason(() => chain.broadcastSync(earlyBytes))).toMatch(
        /^mempool-script-verify-flag-failed \(Locktime requirement not satisfied\)$/,
      );

      mineTo(chain, p.T - 1);
      expect(rejectReason(() => chain.broadcastSync(bytes))).toBe('non-final');
      chain.mineSync(1);
      const txid = chain.broadcastSync(bytes);
      chain.mineSync(1);
      expect(chain.utxo({ txid, vout: 0 })).toMatchObject({
        value: (root.tx.outputs[0]?.value as bigint) - rec.fee,
        height: p.T + 1,
      });
    },
    T_OUT,
  );
});
