// A tower process for the kill -9 test (see _towerChild.ts for what it reports): a SQLite store of its
// own, BitcoindRpc to a SimChain server in another process.
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { account, TOWER_ACCOUNT } from './_rig.js';
import { openDb } from './_sqlite.js';
import { runTowerChild } from './_towerChild.js';

const cfg = JSON.parse(process.argv[2] as string) as {
  url: string;
  cookieFile: string;
  db: string;
  birthHeight: number;
  watch: string;
  mode: 'after' | 'during' | 'run';
};
await runTowerChild({
  store: await openDb(cfg.db),
  rpc: new BitcoindRpc({
    url: cfg.url,
    auth: { cookieFile: cfg.cookieFile },
    network: 'regtest',
    wallet: 'any',
  }),
  account: account(TOWER_ACCOUNT),
  birthHeight: cfg.birthHeight,
  watch: cfg.watch,
  mode: cfg.mode,
});
