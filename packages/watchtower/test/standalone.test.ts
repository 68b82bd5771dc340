// The standalone tower: a store of its own (SQLite) and the role's entries read from the role's store,
// which the tower never writes — SQLite here, PostgreSQL when SUPERSCALAR_PG_URL is set (the case of a
// tower on another machine). Entries the role writes after the tower started are answered: the tower
// has no index and looks every block transaction up in the role's store.
import { SimChain } from '@superscalar/chain';
import { Keychain } from '@superscalar/keys';
import type { Store } from '@superscalar/persist';
import { openPostgresStore } from '@superscalar/persist/postgres';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isCi } from '../../../test-utils/index.js';
import { penaltyEntries, staleStateEntry, type TowerEvent } from '../src/index.js';
import { startStandaloneTower, storeCommit } from '../src/node/index.js';
import { account, MNEMONIC, synthetic, TOWER_ACCOUNT } from './_rig.js';
import { openDb, tempDb } from './_sqlite.js';

const PG_URL = process.env.SUPERSCALAR_PG_URL;
const F = new Uint8Array(8).fill(9);

async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function scenario(roleStore: Store) {
  const chain = new SimChain({ feeRates: { cpfp: 2_000 } });
  chain.mineSync(101);
  const birthHeight = chain.height + 1;
  for (let i = 0; i < 2; i++) chain.fundSync(account(TOWER_ACCOUNT).deriveKey(0, i).scriptPubKey, 100_000n);
  const towerStore = await openDb(tempDb('standalone'));
  const events: TowerEvent[] = [];
  const running = await startStandaloneTower({
    store: towerStore,
    entries: roleStore,
    chain,
    account: account(TOWER_ACCOUNT),
    birthHeight,
    intervalMs: 10,
    onEvent: (e) => {
      events.push(e);
    },
  });
  try {
    expect(running.tower.indexedEntries).toBeUndefined();
    await until(() => running.tower.tipHeight === chain.height, 'the tower to catch up');
    // the role writes its entries now, in its own update sequence
    const a = synthetic(chain);
    const b = synthetic(chain, { relLock: 2 });
    const role = await storeCommit(roleStore);
    await role(
      penaltyEntries({
        factoryId: F,
        copies: [
          {
            funding: { txid: a.triggerTxid, vout: 0 },
            commitmentTxid: a.triggerTxid,
            penalties: [a.response],
          },
        ],
      }).ops,
    );
    await role(
      staleStateEntry({ factoryId: F, kickoffTxid: b.triggerTxid, state: b.response, dwStep: 10 }).ops,
    );
    chain.broadcastSync(a.trigger);
    chain.broadcastSync(b.trigger);
    chain.mineSync(1);
    await until(() => chain.mempool().includes(a.responseTxid), 'the penalty in the mempool');
    expect(chain.mempool()).not.toContain(b.responseTxid);
    chain.mineSync(1);
    await until(() => chain.mempool().includes(b.responseTxid), 'the state in the mempool');
    chain.mineSync(1);
    await until(
      () => events.filter((e) => e.type === 'response_confirmed').length === 2,
      'both confirmations',
    );
    expect(
      events
        .filter((e) => e.type === 'triggered')
        .map((e) => (e as { triggerTxid: string }).triggerTxid)
        .sort(),
    ).toEqual([a.triggerTxid, b.triggerTxid].sort());
    // the tower wrote only its own store
    expect((await roleStore.list('blobs')).filter((x) => x.key.startsWith('tower/'))).toEqual([]);
    expect((await towerStore.list('blobs')).some((x) => x.key === 'tower/main/meta')).toBe(true);
  } finally {
    await running.stop();
    await towerStore.close();
  }
}

describe('standalone tower', () => {
  it('reads a role’s SQLite store, answers entries written after it started', async () => {
    const roleStore = await openDb(tempDb('role'));
    try {
      await scenario(roleStore);
    } finally {
      await roleStore.close();
    }
  });

  const pgSuite = PG_URL !== undefined && PG_URL !== '' ? it : it.skip;
  if (!(PG_URL !== undefined && PG_URL !== '')) {
    const why =
      'standalone tower over PostgreSQL: SUPERSCALAR_PG_URL is not set (run under scripts/with-postgres.sh)';
    if (isCi)
      it('requires PostgreSQL under CI', () => {
        throw new Error(`${why}; under CI=true this is a failure, never a skip`);
      });
    else console.warn(`SKIPPED ${why}`);
  }
  pgSuite('reads a role’s PostgreSQL store (a tower on another machine)', async () => {
    const schema = `tower_${process.pid}_${Date.now().toString(36)}`;
    const keys = Keychain.fromMnemonic(MNEMONIC, { network: 'regtest' });
    const roleStore = await openPostgresStore({
      connectionString: PG_URL as string,
      schema,
      sealingKey: keys.storeSealingKey(),
      poolSize: 2,
    });
    try {
      await scenario(roleStore);
    } finally {
      await roleStore.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    }
  });
});
