// A tower process for the kill -9 test: a SQLite store of its own, BitcoindRpc to a SimChain server in
// another process, the runner polling every 50 ms. It reports on stdout, one JSON line each: `ready`
// once following the chain; in mode `after`, `triggered` once the update recording the trigger
// `watch` (and its package) is durable — then it stalls before broadcasting; in mode `during`,
// `triggering` while that update may or may not be durable — then it stalls too; in mode `run`, every
// tower event as it happens.
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import type { Op } from '@superscalar/persist';
import { openTower, storeEntrySource } from '../src/index.js';
import { storeCommit, TowerRunner } from '../src/node/index.js';
import { account, TOWER_ACCOUNT } from './_rig.js';
import { openDb } from './_sqlite.js';

const cfg = JSON.parse(process.argv[2] as string) as {
  url: string;
  cookieFile: string;
  db: string;
  birthHeight: number;
  watch: string;
  mode: 'after' | 'during' | 'run';
};
const say = (o: object): void => {
  process.stdout.write(`${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
};
const never = new Promise<never>(() => {});
const store = await openDb(cfg.db);
const sequenced = await storeCommit(store);
const records = (ops: readonly Op[]) =>
  ops.some((o) => o.op === 'put' && o.table === 'blobs' && o.row.key === `tower/main/a/${cfg.watch}`);
const commit = async (ops: readonly Op[]) => {
  if (cfg.mode === 'run' || !records(ops)) return sequenced(ops);
  const durable = sequenced(ops);
  if (cfg.mode === 'during') {
    say({ type: 'triggering' });
    await never;
  }
  await durable;
  say({ type: 'triggered' });
  await never;
};
const rpc = new BitcoindRpc({
  url: cfg.url,
  auth: { cookieFile: cfg.cookieFile },
  network: 'regtest',
  wallet: 'any',
});
const { BlockFollower } = await import('@superscalar/chain');
const tower = await openTower({
  store,
  commit: sequenced,
  account: account(TOWER_ACCOUNT),
  birthHeight: cfg.birthHeight,
});
const follower = new BlockFollower(rpc);
const runner = new TowerRunner({
  tower,
  follower,
  chain: rpc,
  entries: storeEntrySource(store),
  commit,
  onEvent: (event) => say({ type: 'event', event }),
});
await runner.start();
follower.run({ intervalMs: 50, onError: (e) => process.stderr.write(`poll: ${String(e)}\n`) });
say({ type: 'ready', tip: tower.tipHeight });
