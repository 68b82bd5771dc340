// `Watchtower.release`: an owner (an exit driver) takes over responses, active or not — the tower
// never sends or re-bumps them again, durably across a restart and a reorg, and the owner's child
// at a higher rate replaces the tower's through the shared anchor. And `journal: true`: every event
// lands in the store's journal with the state that caused it, exactly once.
import { FAUCET_SCRIPT } from '@superscalar/chain';
import { decodeTx, txidOf } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { decodeTowerEvent, staleStateEntry, TOWER_EVENT_KINDS } from '../src/index.js';
import { competitorChild, synthetic, towerRig } from './_rig.js';

const FACTORY = new Uint8Array(32).fill(5);

describe('release: the owner takes over', () => {
  it('an active trigger being re-bumped: the tower stops at once and for good; the owner’s better child replaces its own', async () => {
    const r = await towerRig({ journal: true });
    const s = synthetic(r.chain, { relLock: 1 });
    const coin = r.chain.fundSync(FAUCET_SCRIPT, 50_000n); // the owner's fee coin, confirmed up front
    await r.add(
      staleStateEntry({ factoryId: FACTORY, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 144 }),
    );
    await r.chain.broadcast(s.trigger);
    await r.mine(1);
    await r.mine(1, { empty: true }); // one re-bump
    const sent = r.eventsOf('response_broadcast');
    expect(sent.map((e) => e.bump)).toEqual([0, 1]);
    const towerChild = sent[1]!.childTxid!;
    expect(r.chain.mempool()).toContain(towerChild);

    const { ops, released } = r.tower.release([{ triggerTxid: s.triggerTxid, responseIndex: 0 }]);
    expect(released).toMatchObject([
      {
        triggerTxid: s.triggerTxid,
        responseIndex: 0,
        txid: s.responseTxid,
        status: 'broadcast',
        trigger: { height: r.chain.height - 1 },
        child: { txid: towerChild, feeRate: sent[1]!.feeRate },
        lastTip: r.chain.height,
      },
    ]);
    // held until the owner's update is durable: nothing sent, the tower's record left to the owner
    const held = r.submitted.length;
    expect(r.tower.responses().map((x) => x.status)).toEqual(['broadcast']);
    r.store.apply(ops); // the owner's update, durable
    r.tower.ingest(ops); // (the runtime shows the tower every durable update)
    expect(r.submitted).toHaveLength(held);
    expect(r.store.count('watchEntries')).toBe(0);
    expect(r.tower.responses().map((x) => x.status)).toEqual(['released']);
    expect(decodeTowerEvent(r.store.journal.at(-1)!)).toMatchObject({
      kind: 'TowerResponseReleased',
      txid: s.responseTxid,
      was: 'broadcast',
      childTxid: towerChild,
    });

    // the owner's child at a higher rate and fee replaces the tower's (plain RBF on the anchor)
    const mine = competitorChild(s.response, coin, 5_000n);
    await r.chain.broadcastPackage(s.response, mine);
    expect(r.chain.mempool()).toContain(txidOf(decodeTx(mine)));
    expect(r.chain.mempool()).not.toContain(towerChild);

    // no block, restart or tick makes the tower send it again
    const before = r.submitted.length;
    await r.mine(1, { empty: true });
    await r.restart();
    await r.runner.tick();
    await r.mine(1, { empty: true });
    expect(r.submitted).toHaveLength(before);
    expect(r.eventsOf('response_broadcast')).toHaveLength(2);
    await r.mine(1);
    expect(r.chain.utxo({ txid: s.responseTxid, vout: 0 })).toBeDefined();
    expect(r.submitted).toHaveLength(before);
    // forgotten at the next block: nothing of it stays in the tower's records
    expect(r.tower.responses()).toEqual([]);
  });

  it('a trigger not confirmed yet: its entry goes, and its confirmation (even after a reorg) arms nothing', async () => {
    const r = await towerRig();
    const s = synthetic(r.chain);
    await r.add(
      staleStateEntry({ factoryId: FACTORY, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 144 }),
    );
    const { ops, released } = r.tower.release([{ triggerTxid: s.triggerTxid, responseIndex: 0 }]);
    expect(released).toMatchObject([{ status: 'inactive', trigger: null, child: null }]);
    // rows read before the owner's update is durable do not arm it either (the tower's memory)
    await r.chain.broadcast(s.trigger);
    await r.mine(1);
    r.store.apply(ops);
    r.tower.ingest(ops);
    expect(r.eventsOf('triggered')).toEqual([]);
    expect(r.submitted).toEqual([]);
    expect(r.tower.indexedEntries).toBe(0);
  });
});

describe('release before the owner’s update is durable', () => {
  it('the response is held (never sent) while pending; a crash before that update leaves the tower in charge', async () => {
    const r = await towerRig({ journal: true });
    const s = synthetic(r.chain, { relLock: 1 });
    await r.add(
      staleStateEntry({ factoryId: FACTORY, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 144 }),
    );
    await r.chain.broadcast(s.trigger);
    await r.mine(1);
    expect(r.eventsOf('response_broadcast')).toHaveLength(1);
    r.tower.release([{ triggerTxid: s.triggerTxid, responseIndex: 0 }]); // its ops never committed
    // blocks come while the owner's update is not durable: no re-bump, and the tower writes no
    // record of that trigger (the owner's update carries it)
    const before = r.submitted.length;
    await r.mine(1, { empty: true });
    expect(r.submitted).toHaveLength(before);
    const written = [...(r.store.tables.get('blobs')?.values() ?? [])].filter((b) =>
      String(b.key).endsWith(`/a/${s.triggerTxid}`),
    );
    expect(written).toHaveLength(1);
    const record = JSON.parse(new TextDecoder().decode(written[0]?.data as Uint8Array));
    expect(record.responses.map((x: { status: string }) => x.status)).toEqual(['broadcast']);
    // the owner crashed before its update: the restarted tower (from the store) answers again
    await r.restart();
    await r.mine(1, { empty: true });
    expect(r.eventsOf('response_broadcast').map((e) => e.bump)).toEqual([0, 1]);
  });
});

describe('journal: true', () => {
  it('puts every event in the persist of the input that caused it, once, across a restart', async () => {
    const r = await towerRig({ journal: true });
    const s = synthetic(r.chain);
    await r.add(
      staleStateEntry({ factoryId: FACTORY, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 144 }),
    );
    await r.chain.broadcast(s.trigger);
    await r.mine(1);
    await r.restart(); // a tick re-sends (no event), nothing is journalled twice
    await r.mine(1);
    const journal = r.store.journal.map((x) => decodeTowerEvent(x)!);
    expect(journal.map((e) => e.kind)).toEqual(r.events.map((e) => TOWER_EVENT_KINDS[e.type]));
    expect(journal.map((e) => e.kind)).toEqual([
      'TowerTriggered',
      'TowerResponseBroadcast',
      'TowerResponseConfirmed',
    ]);
    expect(journal[1]).toMatchObject({ txid: s.responseTxid, bump: 0 });
    expect(decodeTowerEvent({ kind: 'FactoryOpen', payload: new Uint8Array() })).toBeUndefined();
    expect(() => decodeTowerEvent({ kind: 'TowerTriggered', payload: Uint8Array.of(0xff) })).toThrow(
      /not UTF-8 JSON/,
    );
  });
});
