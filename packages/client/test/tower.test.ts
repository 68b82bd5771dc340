// The client's tower hooks for factory states (issue 23, brief §5.2–§5.4, §11), driven with
// factory-tree's advance primitives directly (the roles' advance flow is another branch's): a client
// records a verified advance (planClientAdvance, validateClientAdvance, recordClientAdvance), hands
// its tower the new path's guarded kickoffs and the superseded leaf state's poison and settlement
// (`clientAdvanceTowerOps`) and, once the LSP reveals it, `s_c` (`revealedSecretOps`) — all in its own
// store's updates — and the EmbeddedTower of `@superscalar/client/runtime` answers on SimChain:
// (a) live while the stale path is published: the newest state wins; (b) offline until the stale
// leaf state confirmed: back, it publishes the poison and the settlement.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { BlockFollower, SimChain, TxRejected } from '@superscalar/chain';
import {
  advanceCounters,
  buildClientPath,
  buildTree,
  type ClientFactoryRecord,
  clientFactoryRecord,
  createProposal,
  fundingOutput,
  type LeafAllocation,
  lStockSecret,
  planAdvance,
  planClientAdvance,
  poisonHashesFromSeed,
  recordClientAdvance,
  signedSettlementBytes,
  signedTxBytes,
  signJobsSimulated,
  signTreeSimulated,
  supersededResponses,
  type TreeTx,
  validateClientAdvance,
} from '@superscalar/factory-tree';
import { Bip86Account } from '@superscalar/keys';
import type { Op, Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import type { TowerEvent } from '@superscalar/watchtower';
import { revokedCommitmentOps } from '@superscalar/watchtower';
import { storeCommit } from '@superscalar/watchtower/node';
import { afterEach, describe, expect, it } from 'vitest';
import { clientAdvanceTowerOps, guardPathOps, revealedSecretOps } from '../src/index.js';
import { EmbeddedTower } from '../src/runtime/index.js';

const enc = new TextEncoder();
const LSTOCK_SEED = sha256(enc.encode('client tower test l-stock seed'));
const FACTORY_ID = sha256(enc.encode('client tower test factory'));

function secretKey(i: number): Uint8Array {
  for (let n = 0; ; n++) {
    const sk = sha256(enc.encode(`client tower test ${i} ${n}`));
    if (secp256k1.utils.isValidSecretKey(sk)) return sk;
  }
}

function closeScript(i: number): Uint8Array {
  const pk = secp256k1.getPublicKey(secretKey(100 + i), true);
  return Uint8Array.of(0x51, 0x20, ...pk.slice(1));
}

interface Rig {
  readonly chain: SimChain;
  readonly store: Store;
  readonly commit: (ops: readonly Op[]) => Promise<void>;
  readonly tower: EmbeddedTower;
  readonly events: TowerEvent[];
  mine(n?: number): Promise<void>;
  poll(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function rig(chain: SimChain, birthHeight: number): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'client-tower-'));
  const store = await openSqliteStore({
    path: join(dir, 'client.db'),
    sealingKey: new Uint8Array(32).fill(7),
  });
  const sequenced = await storeCommit(store);
  let tower: EmbeddedTower | undefined;
  // the role's update sequence: every durable update is shown to the tower
  const commit = async (ops: readonly Op[]) => {
    await sequenced(ops);
    tower?.committed(ops);
  };
  const follower = new BlockFollower(chain);
  const events: TowerEvent[] = [];
  tower = await EmbeddedTower.open({
    store,
    commit,
    account: Bip86Account.fromSeed(sha256(enc.encode('client tower fee')), { network: 'regtest' }),
    birthHeight,
    follower,
    chain,
    onEvent: (e) => {
      events.push(e);
    },
  });
  cleanups.push(async () => {
    tower?.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const t = tower;
  return {
    chain,
    store,
    commit,
    tower: t,
    events,
    async poll() {
      await follower.poll();
    },
    async mine(n = 1) {
      for (let i = 0; i < n; i++) {
        chain.mineSync(1);
        await follower.poll();
      }
    },
  };
}

/**
 * A 2-client factory funded on `chain`, signed in full (the initial tree), and client 0's side of one
 * advance of its leaf (10,000 sat of L-stock sold to it) as the roles would run it: the LSP's plan
 * signed by everyone, the client's own plan, its verification and its new record.
 */
function advancedFactory(chain: SimChain) {
  const N = 2;
  const sks = Array.from({ length: N + 1 }, (_, i) => secretKey(i));
  const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));
  const amount = BigInt(N) * 100_000n + 60_000n;
  const funding = chain.fundSync(fundingOutput(pks[0] as Uint8Array, pks.slice(1)).script, amount);
  const proposal = createProposal({
    network: 'regtest',
    proposalHeight: chain.height,
    lsp: { key: pks[0] as Uint8Array, closeScript: closeScript(0) },
    clients: pks.slice(1).map((key, i) => ({
      key,
      closeScript: closeScript(i + 1),
      capacity: 100_000n,
      balance: 50_000n,
    })),
    funding: { txid: funding.txid, vout: funding.vout, amount },
    poisonHashes: poisonHashesFromSeed(LSTOCK_SEED, 1),
  });
  const tree = buildTree(proposal);
  const sigs0 = signTreeSimulated(tree, sks);
  const client = 0;
  const path = buildClientPath(proposal, client);
  const record: ClientFactoryRecord = clientFactoryRecord(path, {
    path: path.txs.map((t) => sigs0[t.index] as Uint8Array),
  });
  // The advance, as the LSP plans it and everyone signs it.
  const leaf = 0;
  const cs = advanceCounters(tree, leaf);
  const hs = poisonHashesFromSeed(LSTOCK_SEED, cs.length, cs[0]);
  const a = tree.state.allocations[leaf] as LeafAllocation;
  const allocation = {
    capacities: a.capacities.map((c, k) => (k === 0 ? c + 10_000n : c)),
    lStock: a.lStock - 10_000n,
  };
  const plan = planAdvance(tree, {
    leaf,
    allocations: new Map([[leaf, allocation]]),
    poisonHashes: new Map(cs.map((c, i) => [c, hs[i] as Uint8Array])),
  });
  const list = signJobsSimulated(plan.jobs, plan.previous.keys, sks);
  const sigs = new Map(plan.jobs.map((j, i) => [j.id, list[i] as Uint8Array]));
  // The client's side: its own plan, what the LSP sends it, its checks, its new record.
  const counter = cs[0] as number;
  const mine = planClientAdvance(path, { leaf, counter, poisonHash: hs[0] as Uint8Array, allocation });
  const stale = plan.superseded[0];
  if (stale?.poison === undefined) throw new Error('expected a poison');
  const settlement = stale.settlements.find((e) => e.client === client)?.settlement;
  if (settlement === undefined) throw new Error('expected a settlement');
  const verified = validateClientAdvance(mine, {
    txs: mine.newTxs.map((t) => signedTxBytes(t, sigs.get(`tx ${t.index}`) as Uint8Array)),
    poisonSignature: sigs.get(`poison c=${stale.counter}`) as Uint8Array,
    settlement: signedSettlementBytes(
      settlement,
      sigs.get(`settlement c=${stale.counter} client=${client}`) as Uint8Array,
    ),
  });
  const next = recordClientAdvance(record, mine, verified);
  const [superseded] = supersededResponses(next);
  if (superseded === undefined) throw new Error('expected a superseded state');
  return {
    proposal,
    /** The initial path, signed (what a cheater publishes). */
    stalePath: path.txs.map((t) => ({ tx: t, raw: signedTxBytes(t, sigs0[t.index] as Uint8Array) })),
    initialOps: guardPathOps({
      factoryId: FACTORY_ID,
      txs: path.txs,
      signatures: record.pathSignatures,
      dwStep: proposal.dw.S,
    }),
    advanceOps: clientAdvanceTowerOps({
      factoryId: FACTORY_ID,
      path: mine.next,
      pathSignatures: next.pathSignatures,
      superseded,
      ...(verified.poisonSignature === undefined ? {} : { poisonSignature: verified.poisonSignature }),
    }),
    secretOps: () =>
      revealedSecretOps({
        factoryId: FACTORY_ID,
        counter: superseded.counter,
        secret: lStockSecret(LSTOCK_SEED, superseded.counter),
        poison: superseded.poison as NonNullable<typeof superseded.poison>,
      }),
    newLeaf: mine.next.txs[mine.next.txs.length - 1] as TreeTx,
    newLeafRaw: signedTxBytes(
      mine.next.txs[mine.next.txs.length - 1] as TreeTx,
      next.pathSignatures[next.pathSignatures.length - 1] as Uint8Array,
    ),
    superseded,
    settlement,
  };
}

/** Publishes `txs` in order (each once the chain takes it), mining a block at a time. */
async function publish(r: Rig, txs: readonly { tx: TreeTx; raw: Uint8Array }[]) {
  const at = new Map<string, number>();
  for (const { tx, raw } of txs)
    for (let i = 0; ; i++) {
      if (i > 200) throw new Error(`${tx.txid} never went in`);
      const info = await r.chain.getTransaction(tx.txid).catch(() => undefined);
      if (info?.confirmation) {
        at.set(tx.txid, info.confirmation.height);
        break;
      }
      if (info === undefined)
        try {
          r.chain.broadcastSync(raw);
        } catch (e) {
          if (!TxRejected.isInstance(e)) throw e;
          if (e.reason !== 'non-BIP68-final') return { stoppedAt: tx, reason: e.reason, at };
        }
      await r.mine(1);
    }
  return { stoppedAt: undefined, reason: undefined, at };
}

describe('the client tower hooks for factory states', () => {
  it('revokedCommitmentOps skips copies with nothing to penalise', () => {
    expect(revokedCommitmentOps(FACTORY_ID, [])).toEqual([]);
    expect(
      revokedCommitmentOps(FACTORY_ID, [
        { funding: { txid: '00'.repeat(32), vout: 0 }, commitmentTxid: '11'.repeat(32), penalties: [] },
      ]),
    ).toEqual([]);
  });

  it('(a) live: the stale path published after an advance loses to the newest state the tower sends', async () => {
    const chain = new SimChain();
    chain.mineSync(1);
    const f = advancedFactory(chain);
    const r = await rig(chain, chain.height + 1);
    await r.tower.start();
    // the factory opens (kickoffs guarded), then advances: both in the client's own updates
    await r.commit(f.initialOps);
    await r.commit([...f.advanceOps, ...f.secretOps()]);
    const kinds = (await r.store.list('watchEntries')).map((e) => e.kind).sort();
    expect(kinds).toEqual(['poison', 'settlement', 'stale-state']);
    const kickoff = f.stalePath[f.stalePath.length - 2]?.tx as TreeTx;
    // the guarded kickoff's one response is now the new leaf state (the row was replaced)
    const rows = await r.store.list('watchEntries', { triggerTxid: kickoff.txid });
    expect(rows.map((e) => e.responseTx)).toEqual([f.newLeafRaw]);

    const out = await publish(r, f.stalePath);
    const oldLeaf = f.stalePath[f.stalePath.length - 1]?.tx as TreeTx;
    expect(out.stoppedAt?.txid).toBe(oldLeaf.txid);
    expect(out.reason).toBe('missing-inputs');
    const kh = out.at.get(kickoff.txid) as number;
    const { S, K } = f.proposal.dw;
    const confirmed = await chain.getTransaction(f.newLeaf.txid);
    expect(confirmed.confirmation?.height).toBe(kh + S * (K - 2));
    expect(r.events.filter((e) => e.type === 'response_confirmed')).toMatchObject([
      { kind: 'stale-state', txid: f.newLeaf.txid },
    ]);
  });

  it('(b) offline until the superseded leaf state confirmed: back, the tower sends its poison and settlement', async () => {
    const chain = new SimChain();
    chain.mineSync(1);
    const f = advancedFactory(chain);
    const r = await rig(chain, chain.height + 1);
    await r.commit(f.initialOps);
    await r.commit(f.advanceOps);
    // s_c arrives after the advance (the LSP reveals it last), in an update of its own
    await r.commit(f.secretOps());
    expect(r.tower.tower.indexedEntries).toBe(3);
    // the tower is not following: the whole stale path confirms
    const out = await publish(r, f.stalePath);
    expect(out.stoppedAt).toBeUndefined();
    const staleHeight = out.at.get(f.superseded.stateTx.txid) as number;
    // back: it catches up from its checkpoint, block by block
    await r.tower.start();
    await r.poll();
    expect(r.events.filter((e) => e.type === 'triggered')).toMatchObject([
      { kinds: ['stale-state'] },
      { triggerTxid: f.superseded.stateTx.txid, height: staleHeight, kinds: ['poison', 'settlement'] },
    ]);
    await r.mine(1);
    const confirmed = r.events.filter((e) => e.type === 'response_confirmed');
    expect(confirmed.map((e) => (e as { kind: string }).kind).sort()).toEqual(['poison', 'settlement']);
    const poison = f.superseded.poison as NonNullable<typeof f.superseded.poison>;
    poison.payouts.forEach((p, i) => {
      const u = chain.utxo({ txid: poison.txid, vout: i });
      expect(u?.value).toBe(p.amount);
      expect(u?.scriptPubKey).toEqual(closeScript(i + 1));
    });
    expect(poison.payouts[0]?.lost).toBe(10_000n); // what client 0 would lose if the old state stood
    const s = chain.utxo({ txid: f.settlement.txid, vout: 0 });
    expect(s?.value).toBe(f.settlement.payout);
    expect(s?.scriptPubKey).toEqual(closeScript(1));
  });
});
