// The LSP's tower entries for factory states (issue 23, brief §5.2, §5.4, §11): a published
// superseded state costs the LSP its L-stock whoever publishes it, so the LSP's tower guards every
// kickoff of the tree with the newest state spending it — the initial tree's (`guardTreeOps`, written
// with the aggregated signatures) and, after an advance, the new states (`lspAdvanceTowerOps`, the
// hook for the advance flow). Driven with factory-tree's primitives and an EmbeddedTower on SimChain:
// a client publishes its stale path after an advance; the LSP's tower gets the newest state in first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { BlockFollower, SimChain, TxRejected } from '@superscalar/chain';
import { EmbeddedTower } from '@superscalar/client/runtime';
import {
  advanceCounters,
  buildTree,
  createProposal,
  fundingOutput,
  type LeafAllocation,
  planAdvance,
  poisonHashesFromSeed,
  signedTxBytes,
  signJobsSimulated,
  signTreeSimulated,
  type TreeTx,
} from '@superscalar/factory-tree';
import { Bip86Account } from '@superscalar/keys';
import type { Op } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { displayHex } from '@superscalar/tx';
import type { TowerEvent } from '@superscalar/watchtower';
import { storeCommit } from '@superscalar/watchtower/node';
import { afterEach, describe, expect, it } from 'vitest';
import { guardTreeOps, lspAdvanceTowerOps } from '../src/index.js';

const enc = new TextEncoder();
const SEED = sha256(enc.encode('lsp tower test l-stock seed'));
const FACTORY_ID = sha256(enc.encode('lsp tower test factory'));

function secretKey(i: number): Uint8Array {
  for (let n = 0; ; n++) {
    const sk = sha256(enc.encode(`lsp tower test ${i} ${n}`));
    if (secp256k1.utils.isValidSecretKey(sk)) return sk;
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('the LSP tower guards every kickoff of the tree', () => {
  for (const N of [2, 4])
    it(`N = ${N}: after an advance, a client's stale path loses to the newest state the LSP's tower sends`, async () => {
      const chain = new SimChain();
      chain.mineSync(1);
      const sks = Array.from({ length: N + 1 }, (_, i) => secretKey(i));
      const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));
      const leaves = Math.ceil(N / 2);
      const amount = BigInt(N) * 100_000n + BigInt(leaves) * 60_000n;
      const funding = chain.fundSync(fundingOutput(pks[0] as Uint8Array, pks.slice(1)).script, amount);
      const script = (i: number) => Uint8Array.of(0x51, 0x20, ...(pks[i] as Uint8Array).slice(1));
      const proposal = createProposal({
        network: 'regtest',
        proposalHeight: chain.height,
        lsp: { key: pks[0] as Uint8Array, closeScript: script(0) },
        clients: pks.slice(1).map((key, i) => ({
          key,
          closeScript: script(i + 1),
          capacity: 100_000n,
          balance: 50_000n,
        })),
        funding: { txid: funding.txid, vout: funding.vout, amount },
        poisonHashes: poisonHashesFromSeed(SEED, leaves),
      });
      const tree = buildTree(proposal);
      const sigs0 = signTreeSimulated(tree, sks);
      const leaf = 0;
      const cs = advanceCounters(tree, leaf);
      const hs = poisonHashesFromSeed(SEED, cs.length, cs[0]);
      const a = tree.state.allocations[leaf] as LeafAllocation;
      const plan = planAdvance(tree, {
        leaf,
        allocations: new Map([
          [
            leaf,
            {
              capacities: a.capacities.map((c, k) => (k === 0 ? c + 10_000n : c)),
              lStock: a.lStock - 10_000n,
            },
          ],
        ]),
        poisonHashes: new Map(cs.map((c, i) => [c, hs[i] as Uint8Array])),
      });
      const list = signJobsSimulated(plan.jobs, plan.previous.keys, sks);
      const sigs = new Map(plan.jobs.map((j, i) => [j.id, list[i] as Uint8Array]));

      // The LSP's store and update sequence, its tower fed from every durable update.
      const dir = mkdtempSync(join(tmpdir(), 'lsp-tower-'));
      const store = await openSqliteStore({
        path: join(dir, 'lsp.db'),
        sealingKey: new Uint8Array(32).fill(3),
      });
      const sequenced = await storeCommit(store);
      let tower: EmbeddedTower | undefined;
      const commit = async (ops: readonly Op[]) => {
        await sequenced(ops);
        tower?.committed(ops);
      };
      const follower = new BlockFollower(chain);
      const events: TowerEvent[] = [];
      tower = await EmbeddedTower.open({
        store,
        commit,
        account: Bip86Account.fromSeed(sha256(enc.encode('lsp tower fee')), { network: 'regtest' }),
        birthHeight: chain.height + 1,
        follower,
        chain,
        onEvent: (e) => {
          events.push(e);
        },
      });
      const t = tower;
      cleanups.push(async () => {
        t.stop();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      });
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
      let stoppedAt: { txid: string; reason: string } | undefined;
      const at = new Map<string, number>();
      outer: for (const x of stale)
        for (let i = 0; ; i++) {
          if (i > 200) throw new Error(`${x.txid} never went in`);
          const info = await chain.getTransaction(x.txid).catch(() => undefined);
          if (info?.confirmation) {
            at.set(x.txid, info.confirmation.height);
            break;
          }
          if (info === undefined)
            try {
              chain.broadcastSync(signedTxBytes(x, sigs0[x.index] as Uint8Array));
            } catch (e) {
              if (!TxRejected.isInstance(e)) throw e;
              if (e.reason !== 'non-BIP68-final') {
                stoppedAt = { txid: x.txid, reason: e.reason };
                break outer;
              }
            }
          chain.mineSync(1);
          await follower.poll();
        }
      expect(stoppedAt).toEqual({ txid: oldLeaf.txid, reason: 'missing-inputs' });
      const kh = at.get((stale[stale.length - 2] as TreeTx).txid) as number;
      const { S, K } = proposal.dw;
      expect((await chain.getTransaction(newLeaf.txid)).confirmation?.height).toBe(kh + S * (K - 2));
      expect(
        events.filter((e) => e.type === 'response_confirmed').map((e) => (e as { txid: string }).txid),
      ).toContain(newLeaf.txid);
    });
});
