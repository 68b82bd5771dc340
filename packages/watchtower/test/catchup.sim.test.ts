// Catch-up after being offline (found on Bitcoin Core, integration scene 2c): a tower restarted after
// missing N blocks gets them from the follower in one pass. It applies every missed block first
// (confirmations, conflicting spends, new triggers, its checkpoint) and answers once, at the block at
// the tip, from the state the chain is in there: a response that was due early in the gap goes out
// once (not once per replayed block), and a guarded kickoff whose input a stale state already spent
// goes straight to that state's poison and settlements, the newest state never sent at all.
import { signedSettlementBytes, type TreeTx } from '@superscalar/factory-tree';
import { describe, expect, it } from 'vitest';
import { lstockSecretEntry, penaltyEntries, staleStateEntry, supersededStateEntries } from '../src/index.js';
import { Attacker, advanceLeaf, fundedFactory } from './_factory.js';
import { type Rig, synthetic, towerRig } from './_rig.js';

const FACTORY = new Uint8Array(32).fill(5);
const GAP = 10;

/** Stops the tower's runner: the follower no longer delivers to it (the tower is offline). */
function offline(r: Rig): void {
  r.runner.stop();
}

describe('catch-up after being offline', () => {
  it(`over ${GAP} missed blocks: one package per due response, sent at the tip, never per replayed block`, async () => {
    const r = await towerRig();
    const stale = synthetic(r.chain, { relLock: 2 });
    const revoked = synthetic(r.chain);
    await r.add(
      staleStateEntry({
        factoryId: FACTORY,
        kickoffTxid: stale.triggerTxid,
        state: stale.response,
        dwStep: 144,
      }),
    );
    await r.add(
      penaltyEntries({
        factoryId: FACTORY,
        copies: [
          {
            funding: { txid: revoked.triggerTxid, vout: 0 },
            commitmentTxid: revoked.triggerTxid,
            penalties: [revoked.response],
          },
        ],
      }),
    );
    offline(r);
    await r.chain.broadcast(stale.trigger);
    await r.chain.broadcast(revoked.trigger);
    await r.mine(1);
    const h = r.chain.height;
    await r.mine(GAP);
    expect(r.submitted).toEqual([]);
    await r.restart();
    await r.poll(); // the GAP + 1 missed blocks, in one pass
    expect(r.tower.tipHeight).toBe(r.chain.height);
    expect(r.eventsOf('triggered').map((e) => e.height)).toEqual([h, h]);
    // Each response once, with its first package (no re-bump): both were due from the first blocks.
    expect(r.submitted.sort()).toEqual([stale.responseTxid, revoked.responseTxid].sort());
    expect(r.eventsOf('response_broadcast').map((e) => e.bump)).toEqual([0, 0]);
    expect(r.tower.wallet.pendingBroadcasts()).toHaveLength(2);
    await r.mine(1);
    expect(
      r
        .eventsOf('response_confirmed')
        .map((e) => e.txid)
        .sort(),
    ).toEqual([stale.responseTxid, revoked.responseTxid].sort());
    expect(r.tower.wallet.pendingBroadcasts()).toHaveLength(0);
  });

  it('a block at the tip is answered as usual, and so is each new block after the catch-up (re-bumps)', async () => {
    const r = await towerRig();
    const s = synthetic(r.chain);
    await r.add(
      penaltyEntries({
        factoryId: FACTORY,
        copies: [
          {
            funding: { txid: s.triggerTxid, vout: 0 },
            commitmentTxid: s.triggerTxid,
            penalties: [s.response],
          },
        ],
      }),
    );
    offline(r);
    await r.mine(GAP);
    await r.restart();
    await r.chain.broadcast(s.trigger);
    r.chain.mineSync(1); // the trigger confirms in the last block of the catch-up: answered at once
    await r.poll();
    expect(r.submitted).toEqual([s.responseTxid]);
    await r.mine(1, { empty: true });
    await r.mine(1, { empty: true });
    expect(r.eventsOf('response_broadcast').map((e) => e.bump)).toEqual([0, 1, 2]);
  });

  it('a stale state confirmed while the tower was away: the newest state is never sent, the poison and settlements once each', {
    timeout: 120_000,
  }, async () => {
    const r = await towerRig({ feeCoins: 6 });
    const attacker = new Attacker(r.chain, 6);
    const f = fundedFactory(r.chain, 2, 'catchup');
    await r.poll();
    const adv = advanceLeaf(f, 0, 10_000n);
    const next = adv.plan.next;
    const { S } = f.proposal.dw;
    // The role guards every kickoff of its path with the newest state spending it …
    const path = next.layout.leafPaths[0] as number[];
    const newest = new Set<string>();
    for (const [i, ti] of path.entries()) {
      const k = next.txs[ti] as TreeTx;
      const st = next.txs[path[i + 1] as number];
      if (k.kind !== 'kickoff' || st?.kind !== 'state') continue;
      newest.add(st.txid);
      await r.add(
        staleStateEntry({
          factoryId: f.factoryId,
          kickoffTxid: k.txid,
          state: adv.signedNext(st),
          dwStep: S,
        }),
      );
    }
    // … and the superseded leaf state with its poison (s_c revealed) and settlements.
    const old = adv.plan.superseded[0];
    if (old?.poison === undefined) throw new Error('expected a poison');
    const c = old.counter;
    await r.add(
      supersededStateEntries({
        factoryId: f.factoryId,
        stateTxid: old.stateTx.txid,
        poison: { tx: old.poison, signature: adv.sigs.get(`poison c=${c}`) as Uint8Array },
        settlements: old.settlements.map((e, slot) => ({
          slot,
          tx: signedSettlementBytes(
            e.settlement as NonNullable<typeof e.settlement>,
            adv.sigs.get(`settlement c=${c} client=${e.client}`) as Uint8Array,
          ),
        })),
      }),
    );
    await r.add(lstockSecretEntry({ factoryId: f.factoryId, c, secret: adv.secret(c), poison: old.poison }));

    // The tower goes away; the old path is published in order, the stale leaf state included.
    offline(r);
    let staleAt = 0;
    for (const ti of f.tree.layout.leafPaths[0] as number[]) {
      const t = f.tree.txs[ti] as TreeTx;
      for (let i = 0; ; i++) {
        if (i > 500) throw new Error(`${t.txid} never went in`);
        try {
          r.chain.testAccept(f.signed(t));
          attacker.publish(f.signed(t));
        } catch {}
        await r.mine(1);
        if ((await r.chain.getTransaction(t.txid).catch(() => undefined))?.confirmation) {
          staleAt = r.chain.height;
          break;
        }
      }
    }
    expect((await r.chain.getTransaction(old.stateTx.txid)).confirmation?.height).toBe(staleAt);
    await r.mine(2);
    expect(r.submitted).toEqual([]);

    await r.restart();
    await r.poll(); // every missed block in one pass
    // The guarded kickoffs triggered during the catch-up, but their newest states never went out:
    // the leaf kickoff's output was spent by the stale state in a replayed block (response_lost).
    expect(r.submitted.filter((t) => newest.has(t))).toEqual([]);
    const lost = r.eventsOf('response_lost');
    expect(lost.map((e) => e.spentBy)).toContain(old.stateTx.txid);
    // Poison and settlements: each submitted exactly once.
    const answers = [old.poison.txid, ...old.settlements.map((e) => e.settlement?.txid as string)];
    expect(r.submitted.sort()).toEqual([...answers].sort());
    expect(r.tower.wallet.pendingBroadcasts()).toHaveLength(3);
    await r.mine(1);
    expect(
      r
        .eventsOf('response_confirmed')
        .map((e) => e.kind)
        .sort(),
    ).toEqual(['poison', 'settlement', 'settlement']);
    expect(r.tower.wallet.pendingBroadcasts()).toHaveLength(0);
    expect(r.tower.wallet.reservations()).toEqual([]);
  });
});
