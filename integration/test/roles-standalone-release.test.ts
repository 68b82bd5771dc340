// An exit over a standalone tower (issue 23, brief §6/§11): the client runs no embedded tower; a
// standalone tower (a store of its own, the client's SQLite database read through a handle of its own)
// already answers the client's confirmed leaf kickoff with the newest state and re-bumps it. The
// client's force_close marks that state released (`releasedEntries`) in the persist before its exit
// driver's first broadcast; the tower re-reads its answering triggers' rows at its next block and
// stands down: from then on only the driver sends packages of that state, and it confirms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex } from '@superscalar/core';
import { Bip86Account } from '@superscalar/keys';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { RELEASED_KIND, type TowerEvent } from '@superscalar/watchtower';
import { type StandaloneTower, startStandaloneTower } from '@superscalar/watchtower/node';
import { afterEach, describe, expect, it } from 'vitest';
import { publishInOrder, signedPath } from '../harness/breach.js';
import { clientOf, factoryOf, openFactory, type RoleNode, seedOf, World } from '../harness/index.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

describe('an exit takes its state over from a standalone tower', () => {
  it('the kickoff confirmed and answered by the standalone tower: the client’s marker stands it down at its next block; one party per state', async () => {
    const w = await World.create({
      seed: 'standalone-release',
      clients: 2,
      clientFeeCoins: 2,
      towers: false,
    });
    cleanup.push(() => w.close());
    await openFactory(w);
    const a = w.clients[0] as RoleNode;
    const f = clientOf(a).factories()[0];
    if (f === undefined) throw new Error('no factory');

    // The standalone tower over a's store: its own SQLite store and fee wallet, a's database read.
    const dir = mkdtempSync(join(tmpdir(), 'standalone-release-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const seal = seedOf('standalone-release/tower-seal');
    const towerStore = await openSqliteStore({ path: join(dir, 'tower.db'), sealingKey: seal });
    cleanup.push(() => towerStore.close());
    const entries = await openSqliteStore({ path: a.path, sealingKey: a.keychain.storeSealingKey() });
    cleanup.push(() => entries.close());
    const account = Bip86Account.fromSeed(seedOf('standalone-release/fee'), { network: 'regtest' });
    for (let i = 0; i < 2; i++) w.chain.fundSync(account.deriveKey(0, i).scriptPubKey, 100_000n);
    await w.mine(1);
    const events: TowerEvent[] = [];
    const running: StandaloneTower = await startStandaloneTower({
      store: towerStore,
      entries,
      chain: w.chain,
      account,
      birthHeight: w.chain.height - 2,
      intervalMs: 3_600_000, // polled by the test after each block
      onEvent: (e) => {
        events.push(e);
      },
    });
    cleanup.push(() => running.stop());
    const block = async (empty: boolean) => {
      if (empty) {
        w.chain.mineSync(1, { empty: true });
        await w.sync();
      } else await w.mine(1);
      await running.follower.poll();
    };
    await running.follower.poll();
    expect(running.tower.wallet.balance().confirmed).toBe(200_000n);

    // The LSP publishes the path up to a's leaf kickoff; the tower answers it and re-bumps.
    const path = signedPath(factoryOf(w).proposal, f.clientIndex, clientOf(a).signedPath(f.factoryId) ?? []);
    const state = path[path.length - 1] as (typeof path)[number];
    const kickoff = path[path.length - 2] as (typeof path)[number];
    expect(kickoff.tx.kind).toBe('kickoff');
    await publishInOrder(
      w.chain,
      path.slice(0, -1).map((p) => ({ txid: p.tx.txid, raw: p.raw })),
      async () => {
        await w.mine(1);
        await running.follower.poll();
      },
    );
    const sent = () => events.filter((e) => e.type === 'response_broadcast' && e.txid === state.tx.txid);
    for (let i = 0; i < 400 && sent().length < 2; i++) await block(true);
    expect(sent().map((e) => (e as { bump: number }).bump)).toEqual([0, 1]);

    // The client exits: its marker is durable before its driver's first broadcast.
    await w.command(a, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    const rows = await entries.list('watchEntries', { triggerTxid: kickoff.tx.txid });
    expect(rows.map((r) => r.kind)).toEqual([RELEASED_KIND]);
    const marked = a.persisted.findIndex((ops) =>
      ops.some((o) => o.op === 'put' && o.table === 'watchEntries' && o.row.kind === RELEASED_KIND),
    );
    expect(marked).toBeGreaterThanOrEqual(0);
    // … in the same update as the exit driver's record
    expect(
      a.persisted[marked]?.some(
        (o) => o.op === 'put' && o.table === 'blobs' && o.row.key === `client/x/${f.factoryId}`,
      ),
    ).toBe(true);

    for (let i = 0; i < 3; i++) await block(true);
    // The tower stood down at its first block after the exit, and never sent again.
    expect(events.filter((e) => e.type === 'response_released')).toMatchObject([
      { triggerTxid: kickoff.tx.txid, txid: state.tx.txid, was: 'broadcast' },
    ]);
    expect(sent()).toHaveLength(2);
    // The driver alone re-bumps it every block, and it confirms.
    const mine = (await a.events()).filter((e) => e.kind === 'ExitStepBroadcast' && e.txid === state.tx.txid);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    await block(false);
    expect((await w.chain.getTransaction(state.tx.txid)).confirmation).toBeDefined();
    expect(sent()).toHaveLength(2);
  }, 120_000);
});
