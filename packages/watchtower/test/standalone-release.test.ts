// The owner's release reaches a standalone tower (a process of its own over the role's store, which
// has no `Watchtower.release` to call): the role replaces its entry with a `released` row
// (`releasedEntries`) in the update that records its exit, and the tower — which re-reads the rows
// of its active triggers before every broadcast and re-bump — stands down: one party per state.
// Two SQLite handles on one role database (the role's, writing; the tower's, reading), as two
// processes would have.
import { FAUCET_SCRIPT, SimChain } from '@superscalar/chain';
import { describe, expect, it } from 'vitest';
import { RELEASED_KIND, releasedEntries, staleStateEntry, type TowerEvent } from '../src/index.js';
import { type StandaloneTower, startStandaloneTower, storeCommit } from '../src/node/index.js';
import { account, competitorChild, synthetic, TOWER_ACCOUNT } from './_rig.js';
import { openDb, tempDb } from './_sqlite.js';

const F = new Uint8Array(16).fill(7);

async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('standalone tower: the owner’s release', () => {
  it('an active response stops at the next block once the owner’s marker is durable (and stays stopped across a restart); a kickoff not yet confirmed never arms', async () => {
    const chain = new SimChain({ feeRates: { cpfp: 2_000 } });
    chain.mineSync(101);
    const birthHeight = chain.height + 1;
    for (let i = 0; i < 3; i++) chain.fundSync(account(TOWER_ACCOUNT).deriveKey(0, i).scriptPubKey, 100_000n);
    const rolePath = tempDb('role');
    const roleStore = await openDb(rolePath); // the role's own handle (it writes)
    const entries = await openDb(rolePath); // the tower's handle on the role's database (it reads)
    const towerPath = tempDb('standalone');
    let towerStore = await openDb(towerPath);
    const events: TowerEvent[] = [];
    const start = () =>
      startStandaloneTower({
        store: towerStore,
        entries,
        chain,
        account: account(TOWER_ACCOUNT),
        birthHeight,
        intervalMs: 10,
        onEvent: (e) => {
          events.push(e);
        },
      });
    let running: StandaloneTower | undefined = await start();
    const caughtUp = () => until(() => running?.tower.tipHeight === chain.height, 'the tower at the tip');
    const sent = (txid: string) =>
      events.filter((e) => e.type === 'response_broadcast' && e.txid === txid) as Extract<
        TowerEvent,
        { type: 'response_broadcast' }
      >[];
    try {
      await caughtUp();
      const faucet = chain.fundSync(FAUCET_SCRIPT, 50_000n); // the owner's fee coin
      const active = synthetic(chain, { relLock: 1 });
      const later = synthetic(chain, { relLock: 1 });
      const role = await storeCommit(roleStore);
      for (const s of [active, later])
        await role(
          staleStateEntry({ factoryId: F, kickoffTxid: s.triggerTxid, state: s.response, dwStep: 144 }).ops,
        );
      chain.broadcastSync(active.trigger);
      chain.mineSync(1);
      await until(() => sent(active.responseTxid).length === 1, 'the tower’s first package');
      chain.mineSync(1, { empty: true });
      await until(() => sent(active.responseTxid).length === 2, 'its re-bump');
      const rate = sent(active.responseTxid)[1]?.feeRate as number;

      // The owner's exit takes both states over: markers in its update, then its own package, which
      // outbids the tower's child in flight.
      await role(
        releasedEntries({
          factoryId: F,
          refs: [
            { triggerTxid: active.triggerTxid, responseIndex: 0 },
            { triggerTxid: later.triggerTxid, responseIndex: 0 },
          ],
        }).ops,
      );
      expect((await entries.list('watchEntries', { triggerTxid: active.triggerTxid }))[0]?.kind).toBe(
        RELEASED_KIND,
      );
      chain.mineSync(1, { empty: true }); // the next block: the tower re-reads its active triggers' rows
      await caughtUp();
      expect(events.filter((e) => e.type === 'response_released')).toMatchObject([
        { triggerTxid: active.triggerTxid, was: 'broadcast', feeRate: rate },
      ]);
      expect(sent(active.responseTxid)).toHaveLength(2); // no re-bump at the block that released it
      const before = sent(active.responseTxid).length;
      for (let i = 0; i < 3; i++) {
        chain.mineSync(1, { empty: true });
        await caughtUp();
      }
      expect(sent(active.responseTxid)).toHaveLength(before);

      // A restart on the same stores: still released (its record says so), still silent.
      await running.stop();
      running = undefined;
      await towerStore.close();
      towerStore = await openDb(towerPath);
      running = await start();
      // (every response of the trigger released: forgotten at that block, the marker row stays)
      expect(running.tower.responses().filter((r) => r.status !== 'released')).toEqual([]);
      chain.mineSync(1, { empty: true });
      await caughtUp();
      expect(sent(active.responseTxid)).toHaveLength(before);

      // The owner's package confirms; the later kickoff confirms and the tower never arms it.
      // the state is still in the mempool with the tower's last child: the owner's child replaces it
      chain.broadcastSync(competitorChild(active.response, faucet, 20_000n));
      chain.broadcastSync(later.trigger);
      chain.mineSync(1);
      await caughtUp();
      expect((await chain.getTransaction(active.responseTxid)).confirmation).toBeDefined();
      chain.mineSync(2, { empty: true });
      await caughtUp();
      expect(events.filter((e) => e.type === 'triggered').map((e) => e.triggerTxid)).toEqual([
        active.triggerTxid,
      ]);
      expect(sent(later.responseTxid)).toEqual([]);
      expect(chain.mempool()).toEqual([]);
    } finally {
      await running?.stop();
      await towerStore.close();
      await entries.close();
      await roleStore.close();
    }
  });
});
