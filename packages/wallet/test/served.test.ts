import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockFollower } from '@superscalar/chain';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { startSimServer } from '@superscalar/chain/sim-server';
import { afterAll, describe, expect, it } from 'vitest';
import { broadcastPending, followWallet, Wallet } from '../src/index.js';
import { account, foreignScript } from './_harness.js';
import { openSequenced, tempDb } from './_store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the same wallet over BitcoindRpc → SimChain server, stored in SQLite (persist)', () => {
  it('funds, broadcasts and settles over JSON-RPC; a reload from SQLite has the same state', async () => {
    const datadir = mkdtempSync(join(tmpdir(), 'wallet-sim-'));
    dirs.push(datadir);
    const server = await startSimServer({ datadir, persist: false });
    try {
      const rpc = new BitcoindRpc({
        url: server.url,
        auth: { cookieFile: server.cookieFile! },
        network: 'regtest',
        wallet: 'any',
      });
      await rpc.mine(101);
      const path = tempDb();
      const { store, commit } = await openSequenced(path);
      const created = Wallet.create({ account: account(0), birthHeight: (await rpc.tip()).height + 1 });
      await commit(created.ops);
      const wallet = created.wallet;
      const follower = new BlockFollower(rpc);
      followWallet({ wallet, follower, commit });
      const addr = wallet.newAddress();
      await commit(addr.ops);
      await rpc.fund(addr.script, 150_000n);
      await follower.poll();
      expect(wallet.balance().confirmed).toBe(150_000n);
      const { funding, ops } = wallet.buildFunding({
        outputs: [{ script: foreignScript(), value: 100_000n }],
        feeRate: 1_500,
        owner: 'factory-9',
        expiresAtHeight: (await rpc.tip()).height + 20,
      });
      await commit(ops);
      await commit(wallet.sign(funding.txid).ops);
      expect(await broadcastPending({ wallet, chain: rpc, txid: funding.txid, commit })).toBe(funding.txid);
      await rpc.mine(1);
      await follower.poll();
      expect(wallet.tx(funding.txid)?.state).toBe('confirmed');
      const reloaded = Wallet.load(await store.list('blobs'), { account: account(0) });
      expect(reloaded.coins()).toEqual(wallet.coins());
      expect(reloaded.txs()).toEqual(wallet.txs());
      expect(reloaded.followFrom()).toEqual(wallet.followFrom());
      await store.close();
    } finally {
      await server.close();
    }
  });
});
