// A standalone watchtower process over a role's real store (the kill -9 test): a SQLite store of its
// own, the role's store read for entries (never written; SQLite, or PostgreSQL as across machines), BitcoindRpc to a SimChain server
// in another process: the watchtower package's kill -9 tower child (packages/watchtower/test/
// _towerChild.ts, which says what it reports) over these stores.
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { fromHex } from '@superscalar/core';
import { Bip86Account } from '@superscalar/keys';
import { openPostgresStore } from '@superscalar/persist/postgres';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { runTowerChild } from '../../../packages/watchtower/test/_towerChild.js';

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
const e = cfg.entries;
await runTowerChild({
  store: await openSqliteStore({ path: cfg.towerDb, sealingKey: fromHex(cfg.towerSeal) }),
  entries:
    e.kind === 'sqlite'
      ? await openSqliteStore({ path: e.path, sealingKey: fromHex(cfg.entriesSeal) })
      : await openPostgresStore({
          connectionString: e.url,
          schema: e.schema,
          sealingKey: fromHex(cfg.entriesSeal),
          poolSize: 2,
        }),
  rpc: new BitcoindRpc({
    url: cfg.url,
    auth: { user: cfg.user, password: cfg.password },
    network: 'regtest',
    wallet: 'any',
  }),
  account: Bip86Account.fromSeed(fromHex(cfg.feeSeed), { network: 'regtest' }),
  birthHeight: cfg.birthHeight,
  watch: cfg.watch,
  mode: cfg.mode,
});
