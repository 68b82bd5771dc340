// A standalone watchtower process over a role's real store (the kill -9 test): a SQLite store of its
// own, the role's store read for entries (never written; SQLite, or PostgreSQL as across machines), BitcoindRpc to a SimChain server
// in another process, the runner polling every 50 ms. One JSON line per fact on stdout: `ready` once
// following the chain; in mode `after`, `triggered` once the update recording the trigger `watch`
// (and its package) is durable — then it stalls before broadcasting; in mode `during`, `triggering`
// while that update may or may not be durable — then it stalls too; in mode `run`, every tower event.
import { BlockFollower } from '@superscalar/chain';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { fromHex } from '@superscalar/core';
import { Bip86Account } from '@superscalar/keys';
import type { Op } from '@superscalar/persist';
import { openPostgresStore } from '@superscalar/persist/postgres';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { openTower, storeEntrySource } from '@superscalar/watchtower';
import { storeCommit, TowerRunner } from '@superscalar/watchtower/node';

/** What the parent passes (argv[2], JSON). */
export interface TowerChildConfig {
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** The tower's own store, and its sealing key (hex). */
  readonly towerDb: string;
  readonly towerSeal: string;
  /** The role's store (entries: SQLite file or PostgreSQL schema), and its sealing key (hex). */
  readonly entries:
    | { readonly kind: 'sqlite'; readonly path: string }
    | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };
  readonly entriesSeal: string;
  /** The fee wallet's BIP32 seed (hex). */
  readonly feeSeed: string;
  readonly birthHeight: number;
  readonly watch: string;
  readonly mode: 'after' | 'during' | 'run';
}

const cfg = JSON.parse(process.argv[2] as string) as TowerChildConfig;
const say = (o: object): void => {
  process.stdout.write(`${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
};
const never = new Promise<never>(() => {});
const store = await openSqliteStore({ path: cfg.towerDb, sealingKey: fromHex(cfg.towerSeal) });
const e = cfg.entries;
const entries =
  e.kind === 'sqlite'
    ? await openSqliteStore({ path: e.path, sealingKey: fromHex(cfg.entriesSeal) })
    : await openPostgresStore({
        connectionString: e.url,
        schema: e.schema,
        sealingKey: fromHex(cfg.entriesSeal),
        poolSize: 2,
      });
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
  auth: { user: cfg.user, password: cfg.password },
  network: 'regtest',
  wallet: 'any',
});
const account = Bip86Account.fromSeed(fromHex(cfg.feeSeed), { network: 'regtest' });
const tower = await openTower({
  store,
  entries,
  commit: sequenced,
  account,
  birthHeight: cfg.birthHeight,
  index: false,
});
const follower = new BlockFollower(rpc);
const runner = new TowerRunner({
  tower,
  follower,
  chain: rpc,
  entries: storeEntrySource(entries),
  commit,
  onEvent: (event) => say({ type: 'event', event }),
});
await runner.start();
follower.run({ intervalMs: 50, onError: (e) => process.stderr.write(`poll: ${String(e)}\n`) });
say({ type: 'ready', tip: tower.tipHeight });
