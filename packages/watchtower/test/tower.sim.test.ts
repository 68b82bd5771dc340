// The tower on SimChain with synthetic triggers (a confirmed key-path transaction and a version-3
// response spending it): timing of the first broadcast, CPFP from the tower's own fee wallet, re-bumps
// every block against a competing child, the §5.2 emergency, and reorgs of the trigger and of the
// response.
import { FAUCET_SCRIPT } from '@superscalar/chain';
import { decodeTx, txidOf } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { penaltyEntries, staleStateEntry } from '../src/index.js';
import { competitorChild, synthetic, towerRig } from './_rig.js';

const FACTORY = new Uint8Array(32).fill(3);

function penaltyOf(s: ReturnType<typeof synthetic>) {
  return penaltyEntries({
    factoryId: FACTORY,
    copies: [
      { funding: { txid: s.triggerTxid, vout: 0 }, commitmentTxid: s.triggerTxid, penalties: [s.response] },
    ],
  });
}

describe('a confirmed trigger', () => {
  it('is answered in the next block by a 1-parent-1-child package paid from the tower’s wallet, and confirms', async () => {
    const r = await towerRig();
    const s = synthetic(r.chain);
    await r.add(penaltyOf(s));
    expect(r.tower.indexedEntries).toBe(1);
    await r.chain.broadcast(s.trigger);
    await r.mine(1);
    const h = r.chain.height;
    expect(r.eventsOf('triggered')).toMatchObject([{ triggerTxid: s.triggerTxid, height: h, responses: 1 }]);
    const sent = r.eventsOf('response_broadcast');
    expect(sent).toHaveLength(1);
    const childTxid = sent[0]!.childTxid!;
    expect(r.chain.mempool().sort()).toEqual([s.responseTxid, childTxid].sort());
    // the child spends the anchor and a coin of the tower's own wallet
    const child = decodeTx((await r.chain.getTransaction(childTxid)).tx);
    expect(child.version).toBe(3);
    expect(r.tower.wallet.tx(childTxid)?.state).toBe('pending');
    await r.mine(1);
    expect(r.eventsOf('response_confirmed')).toMatchObject([{ txid: s.responseTxid, height: h + 1 }]);
    expect(r.chain.utxo({ txid: s.responseTxid, vout: 0 })?.scriptPubKey).toEqual(s.payoutScript);
    expect(r.tower.wallet.tx(childTxid)?.state).toBe('confirmed');
    void child;
    // settled and forgotten after finalityDepth blocks; no more broadcasts
    await r.mine(6);
    expect(r.tower.responses()).toEqual([]);
    expect(r.eventsOf('response_broadcast')).toHaveLength(1);
  });

  it('waits for the relative lock: broadcast at tip h + n − 1, never earlier (non-BIP68-final before)', async () => {
    const r = await towerRig();
    const s = synthetic(r.chain, { relLock: 5 });
    await r.add(
      staleStateEntry({ factoryId: FACTORY, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 144 }),
    );
    await r.chain.broadcast(s.trigger);
    await r.mine(1);
    const h = r.chain.height;
    await r.mine(3); // tip h + 3
    expect(r.eventsOf('response_broadcast')).toHaveLength(0);
    expect(() => r.chain.testAccept(s.response)).toThrow(/non-BIP68-final/);
    await r.mine(1); // tip h + 4 = h + 5 − 1
    expect(r.eventsOf('response_broadcast')).toHaveLength(1);
    expect(r.chain.mempool()).toContain(s.responseTxid);
    await r.mine(1);
    expect(r.eventsOf('response_confirmed')).toMatchObject([{ height: h + 5 }]);
  });
});

describe('re-bumps (brief §5.2)', () => {
  it('replaces a competing low-fee child, re-bumps every block until it confirms, and pays the emergency budget S − 6 blocks after maturity', async () => {
    const r = await towerRig({
      policy: { maxFeeRate: 20_000, emergencyFeeRate: 100_000 },
      feeCoinValue: 200_000n,
    });
    const s = synthetic(r.chain, { relLock: 2 });
    const coin = r.chain.fundSync(FAUCET_SCRIPT, 20_000n); // the competitor's, confirmed up front
    await r.add(
      staleStateEntry({ factoryId: FACTORY, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 10 }),
    );
    await r.chain.broadcast(s.trigger);
    await r.mine(1);
    const h = r.chain.height;
    // tip h + 1: the state is final for the next block; a competitor gets in first with a cheap child
    r.chain.mineSync(1);
    const theirs = competitorChild(s.response, coin, 400n);
    await r.chain.broadcastPackage(s.response, theirs);
    const theirTxid = txidOf(decodeTx(theirs));
    expect((await r.chain.getSpend({ txid: s.responseTxid, vout: 1 })) as { txid: string }).toMatchObject({
      txid: theirTxid,
    });
    await r.poll();
    const anchorSpender = async () =>
      ((await r.chain.getSpend({ txid: s.responseTxid, vout: 1 })) as { txid: string }).txid;
    const rates: number[] = [];
    let last = r.eventsOf('response_broadcast').at(-1)!;
    expect(await anchorSpender()).toBe(last.childTxid);
    expect(r.chain.mempool()).not.toContain(theirTxid);
    rates.push(last.feeRate);
    // empty blocks (no miner takes it): a higher child every block
    for (let tip = h + 2; tip <= h + 5; tip++) {
      await r.mine(1, { empty: true });
      expect(r.chain.height).toBe(tip);
      const now = r.eventsOf('response_broadcast').at(-1)!;
      expect(now.bump, `tip ${tip}`).toBe(last.bump + 1);
      expect(now.feeRate).toBeGreaterThan(last.feeRate);
      expect(await anchorSpender()).toBe(now.childTxid);
      rates.push(now.feeRate);
      last = now;
    }
    // maturity tip h + 1; S − 6 = 4 blocks later (tip h + 5) is the emergency: the budget at once
    expect(r.eventsOf('emergency')).toMatchObject([{ txid: s.responseTxid, deadline: h + 1 + 10 }]);
    expect(last.emergency).toBe(true);
    expect(last.feeRate).toBe(100_000);
    expect(rates.slice(0, 4)).toEqual([2_000, 3_000, 4_000, 5_000]);
    await r.mine(1);
    expect(r.eventsOf('response_confirmed')).toMatchObject([{ txid: s.responseTxid, height: h + 6 }]);
    expect(r.tower.wallet.tx(last.childTxid!)?.state).toBe('confirmed');
    const sent = r.eventsOf('response_broadcast').length;
    await r.mine(3);
    expect(r.eventsOf('response_broadcast')).toHaveLength(sent);
    console.log(`re-bump rates (sat/kvB) from tip h + 1: ${rates.join(', ')}`);
  });
});

describe('reorgs', () => {
  it('a reorg that removes the trigger cancels its pending response; the trigger confirming again re-arms it', async () => {
    const r = await towerRig();
    const s = synthetic(r.chain, { relLock: 3 });
    await r.add(
      staleStateEntry({ factoryId: FACTORY, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 144 }),
    );
    await r.chain.broadcast(s.trigger);
    await r.mine(1);
    const h = r.chain.height;
    const block = r.chain.blockAt(h)!;
    await r.mine(1, { empty: true }); // tip h + 1: not due yet (due at h + 2)
    await r.chain.invalidateBlock(block.hash);
    await r.poll();
    expect(r.eventsOf('trigger_cancelled')).toMatchObject([{ triggerTxid: s.triggerTxid, height: h }]);
    expect(r.tower.responses()).toEqual([]);
    // the trigger is back in the mempool; empty blocks keep it out past the old due tip
    await r.mine(4, { empty: true });
    expect(r.chain.height).toBe(h + 3);
    expect(r.eventsOf('response_broadcast')).toHaveLength(0);
    expect(r.chain.mempool()).not.toContain(s.responseTxid);
    // it confirms again at h + 4: armed anew, due at h + 6
    await r.mine(1);
    expect(r.eventsOf('triggered')).toHaveLength(2);
    await r.mine(2);
    expect(r.eventsOf('response_broadcast')).toHaveLength(1);
    await r.mine(1);
    expect(r.eventsOf('response_confirmed')).toMatchObject([{ height: h + 7 }]);
  });

  it('a reorg that removes the response re-broadcasts it, and it confirms again', async () => {
    const r = await towerRig();
    const s = synthetic(r.chain);
    await r.add(penaltyOf(s));
    await r.chain.broadcast(s.trigger);
    await r.mine(2);
    const h = r.chain.height;
    expect(r.eventsOf('response_confirmed')).toMatchObject([{ height: h }]);
    const sends = r.eventsOf('response_broadcast').length;
    const submissions = r.submitted.length;
    await r.chain.invalidateBlock(r.chain.blockAt(h)!.hash);
    await r.poll();
    expect(r.eventsOf('response_unconfirmed')).toMatchObject([{ txid: s.responseTxid, height: h }]);
    // sent again at once (a node need not have put it back in its mempool)
    expect(r.submitted.slice(submissions)).toEqual([s.responseTxid]);
    expect(r.chain.mempool()).toContain(s.responseTxid);
    await r.mine(1, { empty: true });
    expect(r.eventsOf('response_broadcast').length).toBeGreaterThan(sends); // re-bumped while pending
    await r.mine(1);
    expect(r.eventsOf('response_confirmed')).toHaveLength(2);
    expect(r.eventsOf('response_confirmed').at(-1)).toMatchObject({ height: h + 1 });
  });
});

describe('restarts', () => {
  it('an active trigger survives a restart: a waiting response goes out when due, a sent one is sent again at once', async () => {
    const r = await towerRig();
    const a = synthetic(r.chain, { relLock: 4 });
    const b = synthetic(r.chain);
    await r.add(
      staleStateEntry({ factoryId: FACTORY, kickoffTxid: a.triggerTxid, state: a.response, dwStep: 144 }),
    );
    await r.add(penaltyOf(b));
    await r.chain.broadcast(a.trigger);
    await r.chain.broadcast(b.trigger);
    r.chain.mineSync(1, {});
    // b is due at this tip and goes out; a is due at h + 3
    await r.poll();
    const h = r.chain.height;
    expect(r.submitted).toEqual([b.responseTxid]);
    await r.restart();
    // the restarted runner's first tick sends b again (it may never have reached a node)
    expect(r.submitted).toEqual([b.responseTxid, b.responseTxid]);
    expect(
      r.tower
        .responses()
        .map((x) => x.status)
        .sort(),
    ).toEqual(['broadcast', 'waiting']);
    await r.mine(2, { empty: true }); // tip h + 2: a not due yet (h + 3)
    expect(r.submitted.filter((t) => t === a.responseTxid)).toHaveLength(0);
    await r.mine(1, { empty: true });
    expect(r.submitted.filter((t) => t === a.responseTxid)).toHaveLength(1);
    await r.mine(1);
    expect(
      r
        .eventsOf('response_confirmed')
        .map((e) => e.txid)
        .sort(),
    ).toEqual([a.responseTxid, b.responseTxid].sort());
    expect(r.chain.height).toBe(h + 4);
  });

  it('a failed persist: the runner reopens the tower from its store and handles the block again', async () => {
    const r = await towerRig();
    const s = synthetic(r.chain);
    await r.add(penaltyOf(s));
    await r.chain.broadcast(s.trigger);
    r.store.failNext = true;
    r.chain.mineSync(1);
    await expect(r.poll()).rejects.toThrow(/did not accept/);
    expect(r.submitted).toEqual([]); // nothing left before its persist
    const before = r.runner.tower;
    await r.poll();
    expect(r.runner.tower).not.toBe(before);
    expect(r.submitted).toEqual([s.responseTxid]);
    await r.mine(1);
    expect(r.eventsOf('response_confirmed')).toMatchObject([{ txid: s.responseTxid }]);
  });
});
