// Kill -9 of a wallet process between building and broadcasting a funding transaction, against a
// SimChain served by another process: after a restart, the reservation and the transaction (built,
// or signed and pending) come back from the SQLite store, and it confirms once broadcast.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockFollower } from '@superscalar/chain';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { spawnSimServer } from '@superscalar/chain/sim-server';
import { describe, expect, it } from 'vitest';
import { bundledChild, crashKills, crashSeed, repoRoot } from '../../../test-utils/index.js';
import { broadcastPending, followWallet, Wallet } from '../src/index.js';
import { account } from './_harness.js';
import { openSequenced, tempDb } from './_store.js';

const pkgDir = join(repoRoot, 'packages', 'wallet');
const bundle = bundledChild({
  dir: pkgDir,
  entry: 'test/crash-child.ts',
  name: 'the crash child',
  cache: 'crash',
});
const KILLS = crashKills(6, 3);
const seed = crashSeed();
console.log(`wallet kill -9: ${KILLS} kills (CRASH_KILLS), seed ${seed} (CRASH_SEED)`);

describe('kill -9 of a wallet process between build and broadcast', () => {
  it(`recovers reservations and the funding transaction from the store (${KILLS} kills)`, async () => {
    const datadir = mkdtempSync(join(tmpdir(), 'wallet-crash-sim-'));
    const server = await spawnSimServer({ datadir });
    try {
      const rpc = new BitcoindRpc({
        url: server.url,
        auth: { cookieFile: server.cookieFile! },
        network: 'regtest',
        wallet: 'any',
      });
      await rpc.mine(101);
      const steps = ['built', 'signing', 'signed'] as const;
      const seen: Record<string, number> = { built: 0, pending: 0 };
      for (let round = 0; round < KILLS; round++) {
        const stopAt = steps[(seed + round) % steps.length]!;
        const tip = await rpc.tip();
        // the wallet's first receive address (index 0) gets a coin in the block after the birth
        await rpc.fund(account(0).deriveKey(0, 0).scriptPubKey, 100_000n);
        const db = tempDb();
        const owner = `factory-${round}`;
        const child = spawn(
          process.execPath,
          [
            bundle,
            JSON.stringify({
              url: server.url,
              cookieFile: server.cookieFile,
              db,
              birthHeight: tip.height + 1,
              owner,
              stopAt,
            }),
          ],
          { stdio: ['ignore', 'pipe', 'inherit'], cwd: pkgDir },
        );
        const line = await new Promise<string>((resolve, reject) => {
          child.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
          child.once('exit', (code) => reject(new Error(`child exited ${code} before reporting`)));
        });
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
        const [, txid] = line.trim().split(' ') as [string, string];

        // restart: the same store, a fresh process's worth of state
        const { store, commit } = await openSequenced(db);
        const wallet = Wallet.load(await store.list('blobs'), { account: account(0) });
        const t = wallet.tx(txid);
        expect(t, `round ${round} (${stopAt})`).toBeDefined();
        expect(['built', 'pending']).toContain(t!.state);
        if (stopAt === 'built') expect(t!.state).toBe('built');
        if (stopAt === 'signed') expect(t!.state).toBe('pending');
        seen[t!.state]!++;
        expect(wallet.reservations().map((r) => r.owner)).toEqual(t!.inputs.map(() => owner));
        expect(wallet.spendableCoins()).toHaveLength(0); // the reserved coin is not offered again
        if (t!.state === 'built') await commit(wallet.sign(txid).ops);
        expect(wallet.pendingBroadcasts().map((p) => p.txid)).toEqual([txid]);
        // nothing was broadcast before the kill
        await expect(rpc.getTransaction(txid)).rejects.toThrow();
        const follower = new BlockFollower(rpc);
        followWallet({ wallet, follower, commit });
        expect(await broadcastPending({ wallet, chain: rpc, txid, commit })).toBe(txid);
        await rpc.mine(1);
        await follower.poll();
        expect(wallet.tx(txid)?.state).toBe('confirmed');
        expect(wallet.reservations()).toHaveLength(0);
        expect(wallet.balance().confirmed).toBe(100_000n - 60_000n - wallet.tx(txid)!.fee!);
        await store.close();
      }
      console.log(
        `wallet kill -9: restarted with the funding built ${seen.built}×, signed and pending ${seen.pending}×`,
      );
    } finally {
      await server.kill('SIGKILL');
      rmSync(datadir, { recursive: true, force: true });
    }
  }, 300_000);
});
