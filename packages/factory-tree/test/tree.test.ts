import { txidHex as chainTxidHex, decodeTx, SimChain, TxRejected, vsize } from '@superscalar/chain';
import { P2A_SCRIPT } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { buildTree, feeFor, layoutTree, signedTxBytes, signTreeSimulated } from '../src/index.js';
import { FeeWallet, fundedProposal, makeProposal, thrown } from './_fixtures.js';

describe('§3.1 node and transaction counts', () => {
  const count = (N: number, leafArity: 1 | 2, levelArity = [2], staticLevels = 0) => {
    const { proposal } = makeProposal({ N, leafArity, levelArity, staticLevels, capacity: 1_000n });
    const layout = layoutTree(proposal);
    return { nodes: layout.shape.nodes.length, txs: layout.txs.length, layers: layout.shape.layerCount };
  };

  it('N = 4, leaf arity 2: 6 transactions (a binary tree with L leaves has 2·(2L−1))', () => {
    expect(count(4, 2).txs).toBe(6);
  });

  it('N = 64: 126 transactions with leaves of 2, 254 with leaves of 1', () => {
    expect(count(64, 2).txs).toBe(126);
    expect(count(64, 1).txs).toBe(254);
  });

  it('N = 1,024: 2,046 transactions with leaves of 2, 4,094 with leaves of 1', { timeout: 120_000 }, () => {
    expect(count(1024, 2).txs).toBe(2046);
    expect(count(1024, 1).txs).toBe(4094);
  });

  it('N = 1,024, [2,4,8], 2 static levels: 587 nodes, 1,171 transactions, 3 DW layers', {
    timeout: 120_000,
  }, () => {
    expect(count(1024, 2, [2, 4, 8], 2)).toEqual({ nodes: 587, txs: 1171, layers: 3 });
  });

  it('odd N with leaf arity 2: the last leaf holds one client', () => {
    const { proposal } = makeProposal({ N: 5 });
    const layout = layoutTree(proposal);
    expect(layout.leafClients.map((l) => l.length)).toEqual([2, 2, 1]);
  });
});

describe('§4.4 amounts bottom-up and exact fees', () => {
  for (const shape of [
    { N: 4 },
    { N: 5, leafArity: 1 as const },
    { N: 7, levelArity: [3] },
    { N: 8, levelArity: [2], staticLevels: 1 },
    { N: 6, levelArity: [4, 2], staticLevels: 2 },
  ]) {
    it(`${JSON.stringify(shape)}: each input = Σ outputs + fee; each child spends its parent's output; root input = funding`, () => {
      const { proposal } = makeProposal(shape);
      const tree = buildTree(proposal);
      expect(tree.txs[0]?.inputAmount).toBe(proposal.funding.amount);
      let fees = 0n;
      for (const t of tree.txs) {
        const out = t.tx.outputs.reduce((a, o) => a + o.value, 0n);
        expect(t.inputAmount).toBe(out + t.fee);
        expect(t.tx.outputs.at(-1)).toEqual({ value: 240n, script: P2A_SCRIPT });
        if (t.parent >= 0) {
          const parent = tree.txs[t.parent];
          expect(parent?.tx.outputs[t.parentVout]?.value).toBe(t.inputAmount);
          expect(parent?.tx.outputs[t.parentVout]?.script).toEqual(t.spentTaproot.script);
          expect(t.tx.inputs[0]?.txidBytes).toEqual(parent?.txidBytes);
        }
        fees += t.fee;
      }
      expect(tree.layout.totalFees).toBe(fees);
      // §4.4: the default L-stocks take what is left, the last leaf the remainder.
      const caps = proposal.clients.reduce((a, c) => a + c.capacity, 0n);
      const anchors = 240n * BigInt(tree.txs.length);
      const ls = tree.layout.lStock;
      expect(ls.reduce((a, b) => a + b, 0n)).toBe(proposal.funding.amount - caps - anchors - fees);
      const each = ls[0] as bigint;
      for (const x of ls.slice(0, -1)) expect(x).toBe(each);
      expect((ls.at(-1) as bigint) - each).toBeLessThan(BigInt(ls.length));
    });
  }

  it('fee = ceil(treeFeeRate × vsize / 1000) against the serialized signed transaction, at several rates', () => {
    for (const treeFeeRate of [1000, 1234, 5001]) {
      const { proposal, sks } = makeProposal({ N: 3, overrides: { treeFeeRate } });
      const tree = buildTree(proposal);
      const sigs = signTreeSimulated(tree, sks);
      tree.txs.forEach((t, i) => {
        const signed = decodeTx(signedTxBytes(t, sigs[i] as Uint8Array));
        expect(vsize(signed)).toBe(t.vsize);
        expect(t.fee).toBe(feeFor(treeFeeRate, vsize(signed)));
        expect(chainTxidHex(signed)).toBe(t.txid);
      });
    }
  });

  it('every transaction: version 3, nLockTime 0; kickoffs 0xFFFFFFFF, states S·(K−1) at state 0', () => {
    const { proposal } = makeProposal({ N: 4 });
    for (const t of buildTree(proposal).txs) {
      expect(t.tx.version).toBe(3);
      expect(t.tx.locktime).toBe(0);
      expect(t.tx.inputs[0]?.sequence).toBe(
        t.kind === 'kickoff' ? 0xffffffff : proposal.dw.S * (proposal.dw.K - 1),
      );
    }
  });

  it('node outputs carry T_k = T − k·timeoutStep, decreasing down each path', () => {
    const { proposal } = makeProposal({ N: 4 });
    const tree = buildTree(proposal);
    for (const t of tree.txs)
      for (const r of t.outputRoles)
        if (r.kind === 'node' || r.kind === 'channel')
          expect(r.Tk).toBe(proposal.T - t.k * proposal.timeoutStep);
  });
});

describe('SimChain: the initial path confirms, each state only once its relative lock has passed', () => {
  it('N = 4: root kickoff, root state, leaf kickoff, leaf state — each with a CPFP child', {
    timeout: 120_000,
  }, () => {
    const chain = new SimChain();
    const wallet = new FeeWallet(chain, 6);
    const { proposal, sks } = fundedProposal(chain, { N: 4 });
    const tree = buildTree(proposal);
    const sigs = signTreeSimulated(tree, sks);
    const signed = (i: number) =>
      signedTxBytes(tree.txs[i] as (typeof tree.txs)[number], sigs[i] as Uint8Array);
    const path = tree.layout.leafPaths[1] as readonly number[];
    const wait = proposal.dw.S * (proposal.dw.K - 1);
    for (const i of path) {
      const t = tree.txs[i] as (typeof tree.txs)[number];
      if (t.kind === 'state') {
        chain.mineSync(wait - 2); // the parent has wait − 1 confirmations: one block short
        const early = thrown(() => wallet.broadcast(signed(i)));
        expect(TxRejected.isInstance(early) && early.reason).toBe('non-BIP68-final');
        chain.mineSync(1);
      }
      expect(wallet.broadcast(signed(i)).parentTxid).toBe(t.txid);
      chain.mineSync(1);
      expect(chain.utxo({ txid: t.txid, vout: 0 })?.value).toBe(t.tx.outputs[0]?.value);
    }
    // The leaf state's outputs: the channel outputs, the L-stock, the anchor spent by the child.
    const leafState = tree.txs[path.at(-1) as number] as (typeof tree.txs)[number];
    expect(leafState.outputRoles.map((r) => r.kind)).toEqual(['channel', 'channel', 'lstock', 'anchor']);
    for (let v = 0; v < 3; v++)
      expect(chain.utxo({ txid: leafState.txid, vout: v })?.scriptPubKey).toEqual(
        leafState.tx.outputs[v]?.script,
      );
  });

  it('a tampered signature is refused by the script interpreter', { timeout: 60_000 }, () => {
    const chain = new SimChain();
    const wallet = new FeeWallet(chain, 1);
    const { proposal, sks } = fundedProposal(chain, { N: 2 });
    const tree = buildTree(proposal);
    const sig = Uint8Array.from(signTreeSimulated(tree, sks)[0] as Uint8Array);
    sig[5] = (sig[5] as number) ^ 1;
    const e = thrown(() => wallet.broadcast(signedTxBytes(tree.txs[0] as (typeof tree.txs)[number], sig)));
    expect(TxRejected.isInstance(e) && e.reason).toMatch(/\(Invalid Schnorr signature\)/);
  });
});
