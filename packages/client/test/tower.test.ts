// The client's tower hooks for factory states (issue 23, brief §5.2–§5.4, §11), driven with
// factory-tree's advance primitives directly (the roles' advance flow is another branch's): a client
// records a verified advance (planClientAdvance, validateClientAdvance, recordClientAdvance), hands
// its tower the new path's guarded kickoffs and the superseded leaf state's poison and settlement
// (`clientAdvanceTowerOps`) and, once the LSP reveals it, `s_c` (`revealedSecretOps`) — all in its own
// store's updates — and the EmbeddedTower of `@superscalar/client/runtime` answers on SimChain:
// (a) live while the stale path is published: the newest state wins; (b) offline until the stale
// leaf state confirmed: back, it publishes the poison and the settlement.
import { SimChain } from '@superscalar/chain';
import {
  buildClientPath,
  type ClientFactoryRecord,
  clientFactoryRecord,
  planClientAdvance,
  recordClientAdvance,
  signedSettlementBytes,
  signedTxBytes,
  supersededResponses,
  type TreeTx,
  validateClientAdvance,
} from '@superscalar/factory-tree';
import { revokedCommitmentOps } from '@superscalar/watchtower';
import { describe, expect, it } from 'vitest';
import { clientAdvanceTowerOps, guardPathOps, revealedSecretOps } from '../src/index.js';
import { advanceLeaf, fundedFactory, publishPath, roleTowerKeys, towerRig } from './_tower.js';

const KEYS = roleTowerKeys('client', 100);
const FACTORY_ID = KEYS.factoryId;

/**
 * A 2-client factory funded on `chain`, signed in full (the initial tree), and client 0's side of one
 * advance of its leaf (10,000 sat of L-stock sold to it) as the roles would run it: the LSP's plan
 * signed by everyone, the client's own plan, its verification and its new record.
 */
function advancedFactory(chain: SimChain) {
  const f = fundedFactory(chain, 2, KEYS);
  const { proposal, sigs: sigs0 } = f;
  const client = 0;
  const path = buildClientPath(proposal, client);
  const record: ClientFactoryRecord = clientFactoryRecord(path, {
    path: path.txs.map((t) => sigs0[t.index] as Uint8Array),
  });
  // The advance, as the LSP plans it and everyone signs it.
  const leaf = 0;
  const { plan, sigs, allocation, counters: cs, poisonHashes: hs, secret } = advanceLeaf(f, leaf, 10_000n);
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
    stalePath: path.txs.map((t) => ({ tx: t, raw: f.signed(t) })),
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
        secret: secret(superseded.counter),
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
    const r = await towerRig(chain, { role: 'client', birthHeight: chain.height + 1 });
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

    const out = await publishPath(r, f.stalePath);
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
    const r = await towerRig(chain, { role: 'client', birthHeight: chain.height + 1 });
    await r.commit(f.initialOps);
    await r.commit(f.advanceOps);
    // s_c arrives after the advance (the LSP reveals it last), in an update of its own
    await r.commit(f.secretOps());
    expect(r.tower.tower.indexedEntries).toBe(3);
    // the tower is not following: the whole stale path confirms
    const out = await publishPath(r, f.stalePath);
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
      expect(u?.scriptPubKey).toEqual(KEYS.closeScript(i + 1));
    });
    expect(poison.payouts[0]?.lost).toBe(10_000n); // what client 0 would lose if the old state stood
    const s = chain.utxo({ txid: f.settlement.txid, vout: 0 });
    expect(s?.value).toBe(f.settlement.payout);
    expect(s?.scriptPubKey).toEqual(KEYS.closeScript(1));
  });
});
