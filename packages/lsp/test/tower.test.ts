// The LSP's tower entries for factory states (issue 23, brief §5.2, §5.4, §11): a published
// superseded state costs the LSP its L-stock whoever publishes it, so the LSP's tower guards every
// kickoff of the tree with the newest state spending it — the initial tree's (`guardTreeOps`, written
// with the aggregated signatures) and, after an advance, the new states (`lspAdvanceTowerOps`, the
// hook for the advance flow). Driven with factory-tree's primitives and an EmbeddedTower on SimChain:
// a client publishes its stale path after an advance; the LSP's tower gets the newest state in first.
import { SimChain } from '@superscalar/chain';
import type { TreeTx } from '@superscalar/factory-tree';
import { displayHex } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import {
  advanceLeaf,
  fundedFactory,
  publishPath,
  roleTowerKeys,
  towerRig,
} from '../../client/test/_tower.js';
import { guardTreeOps, lspAdvanceTowerOps } from '../src/index.js';

const KEYS = roleTowerKeys('lsp', 0);
const FACTORY_ID = KEYS.factoryId;

describe('the LSP tower guards every kickoff of the tree', () => {
  for (const N of [2, 4])
    it(`N = ${N}: after an advance, a client's stale path loses to the newest state the LSP's tower sends`, async () => {
      const chain = new SimChain();
      chain.mineSync(1);
      const f = fundedFactory(chain, N, KEYS);
      const { proposal, tree, sigs: sigs0 } = f;
      const leaf = 0;
      const { plan, sigs } = advanceLeaf(f, leaf, 10_000n);

      // The LSP's store and update sequence, its tower fed from every durable update.
      const r = await towerRig(chain, { role: 'lsp', birthHeight: chain.height + 1 });
      const { commit, tower: t } = r;
      await t.start();

      const initial = guardTreeOps({
        factoryId: FACTORY_ID,
        txs: tree.txs,
        signatureOf: (x) => sigs0[x.index],
        dwStep: proposal.dw.S,
      });
      // every kickoff of the tree that a state spends is guarded, once
      const parents = new Set(
        tree.txs
          .filter((x) => x.kind === 'state')
          .map((x) => displayHex(x.tx.inputs[0]?.txidBytes as Uint8Array)),
      );
      const kickoffs = tree.txs.filter((k) => k.kind === 'kickoff' && parents.has(k.txid));
      expect(kickoffs.length).toBeGreaterThan(0);
      expect(initial.filter((o) => o.op === 'put' && o.table === 'watchEntries')).toHaveLength(
        kickoffs.length,
      );
      await commit(initial);
      await commit(lspAdvanceTowerOps({ factoryId: FACTORY_ID, plan, signatures: sigs }));
      expect(t.tower.indexedEntries).toBe(kickoffs.length);

      // A client publishes its (now stale) initial path to the advanced leaf.
      const path = tree.layout.leafPaths[leaf] as readonly number[];
      const stale = path.map((i) => tree.txs[i] as TreeTx);
      const newLeaf = plan.next.txs[path[path.length - 1] as number] as TreeTx;
      const oldLeaf = stale[stale.length - 1] as TreeTx;
      expect(newLeaf.txid).not.toBe(oldLeaf.txid);
      const out = await publishPath(
        r,
        stale.map((x) => ({ tx: x, raw: f.signed(x) })),
      );
      const { at } = out;
      expect({ txid: out.stoppedAt?.txid, reason: out.reason }).toEqual({
        txid: oldLeaf.txid,
        reason: 'missing-inputs',
      });
      const kh = at.get((stale[stale.length - 2] as TreeTx).txid) as number;
      const { S, K } = proposal.dw;
      expect((await chain.getTransaction(newLeaf.txid)).confirmation?.height).toBe(kh + S * (K - 2));
      expect(
        r.events.filter((e) => e.type === 'response_confirmed').map((e) => (e as { txid: string }).txid),
      ).toContain(newLeaf.txid);
    });
});
