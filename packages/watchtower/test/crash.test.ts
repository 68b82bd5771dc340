// Kill -9 of a tower process between a trigger and its broadcast, against a SimChain served by another
// process: the trigger confirms, the tower records it (and, for a key-path response, its package) and is
// SIGKILLed before anything reaches the node — once the update is durable (`after`), or while it may or
// may not be (`during`). Restarted on the same SQLite store, it broadcasts, and the response confirms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { spawnSimServer } from '@superscalar/chain/sim-server';
import { describe, expect, it } from 'vitest';
import {
  bundledChild,
  crashKills,
  crashSeed,
  type JsonChild,
  repoRoot,
  spawnJsonChild,
} from '../../../test-utils/index.js';
import { penaltyEntries } from '../src/index.js';
import { storeCommit } from '../src/node/index.js';
import { account, syntheticFrom, syntheticKey, TOWER_ACCOUNT } from './_rig.js';
import { openDb, tempDb } from './_sqlite.js';

const pkgDir = join(repoRoot, 'packages', 'watchtower');
const bundle = bundledChild({
  dir: pkgDir,
  entry: 'test/crash-child.ts',
  name: 'the crash child',
  cache: 'crash',
});
const KILLS = crashKills(4, 2);
const seed = crashSeed();
console.log(`watchtower kill -9: ${KILLS} kills (CRASH_KILLS), seed ${seed} (CRASH_SEED)`);

const start = (config: object): JsonChild =>
  spawnJsonChild(bundle, config, { cwd: pkgDir, name: 'child', defaultTimeoutMs: 60_000 });

const event = (type: string, txid?: string) => (l: Record<string, unknown>) => {
  const e = l.event as { type?: string; txid?: string } | undefined;
  return l.type === 'event' && e?.type === type && (txid === undefined || e.txid === txid);
};

async function inMempool(rpc: BitcoindRpc, txid: string) {
  for (let i = 0; i < 600; i++) {
    const info = await rpc.getTransaction(txid).catch(() => undefined);
    if (info !== undefined) return info;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${txid} never reached the node`);
}

describe('kill -9 of a tower process between a trigger and its broadcast', () => {
  it(`broadcasts after the restart (${KILLS} kills)`, async () => {
    const datadir = mkdtempSync(join(tmpdir(), 'tower-crash-sim-'));
    const server = await spawnSimServer({ datadir });
    const children: JsonChild[] = [];
    try {
      const rpc = new BitcoindRpc({
        url: server.url,
        auth: { cookieFile: server.cookieFile! },
        network: 'regtest',
        wallet: 'any',
      });
      await rpc.mine(101);
      const birthHeight = (await rpc.tip()).height + 1;
      // the tower's fee wallet: its first receive addresses, funded before it ever runs
      for (let i = 0; i < 3; i++)
        await rpc.fund(account(TOWER_ACCOUNT).deriveKey(0, i).scriptPubKey, 100_000n);
      const db = tempDb('tower-crash');
      const base = { url: server.url, cookieFile: server.cookieFile, db, birthHeight };
      const seen = { after: 0, during: 0 };
      for (let round = 0; round < KILLS; round++) {
        const mode = (seed + round) % 2 === 0 ? 'after' : 'during';
        // the role adds an entry while no tower process runs (one writer per store)
        const n = 1_000 + round;
        const coin = await rpc.fund(syntheticKey(n).scriptPubKey, 51_000n);
        const s = syntheticFrom(coin, n);
        const store = await openDb(db);
        await (await storeCommit(store))(
          penaltyEntries({
            factoryId: null,
            copies: [
              {
                funding: { txid: s.triggerTxid, vout: 0 },
                commitmentTxid: s.triggerTxid,
                penalties: [s.response],
              },
            ],
          }).ops,
        );
        await store.close();

        const doomed = start({ ...base, watch: s.triggerTxid, mode });
        children.push(doomed);
        await doomed.until((l) => l.type === 'ready');
        await rpc.broadcast(s.trigger);
        await rpc.mine(1);
        await doomed.until((l) => l.type === (mode === 'after' ? 'triggered' : 'triggering'));
        await doomed.kill();
        seen[mode]++;
        // nothing reached the node
        await expect(rpc.getTransaction(s.responseTxid)).rejects.toThrow();

        const revived = start({ ...base, watch: s.triggerTxid, mode: 'run' });
        children.push(revived);
        // sent again by the restarted runner's first tick (the update was durable), or sent anew when
        // the follower re-delivers the trigger's block (it was not)
        const info = await inMempool(rpc, s.responseTxid);
        expect(info.confirmation).toBeUndefined();
        await rpc.mine(1);
        await revived.until(event('response_confirmed', s.responseTxid));
        expect((await rpc.getTransaction(s.responseTxid)).confirmation?.confirmations).toBe(1);
        await revived.kill();
      }
      console.log(
        `watchtower kill -9: killed after the durable update ${seen.after}×, during it ${seen.during}×`,
      );
    } finally {
      for (const c of children) if (c.proc.exitCode === null) await c.kill();
      await server.kill('SIGKILL');
      rmSync(datadir, { recursive: true, force: true });
    }
  }, 300_000);
});
