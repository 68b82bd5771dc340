// What the process-level suites' parent and children share: the child's configuration, the keys each
// role derives from the scenario's seed, how a role's store is opened, and (from ../nonces.ts) the
// public nonces a message carries.
import { join } from 'node:path';
import { Bip86Account, Keychain } from '@superscalar/keys';
import type { LspPolicy } from '@superscalar/lsp';
import { openPostgresStore } from '@superscalar/persist/postgres';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { seedOf } from '../rng.js';

export { publicNoncesOf } from '../nonces.js';

/** Where a process freezes (then the parent kills it). `nth` counts from 1 within one process. */
export type Trigger =
  /** Right after the persist carrying the `nth` event of `kind` is durable. */
  | { readonly on: 'persisted'; readonly kind: string; readonly nth: number }
  /** Right before the `nth` message of `type` is handed to the machine. */
  | { readonly on: 'receive'; readonly type: string; readonly nth: number }
  /** Right after the machine handled the `nth` message of `type` (none of its actions ran). */
  | { readonly on: 'handled'; readonly type: string; readonly nth: number }
  /** Right after the chain accepted a broadcast of this label. */
  | { readonly on: 'broadcast'; readonly label: string }
  /**
   * Right after the persist carrying the `nth` put of a blob whose key starts with `prefix` is durable
   * (e.g. `lsp/fwd/`: the LSP's forwarding records), before any later action runs.
   */
  | { readonly on: 'put'; readonly prefix: string; readonly nth: number };

export type StoreConfig =
  | { readonly kind: 'sqlite' }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

/** What a child is told (argv[2], JSON). */
export interface ChildConfig {
  readonly role: 'lsp' | 'clients';
  /** Names the scenario: every key derives from it. */
  readonly seed: string;
  /** Where SQLite files live. */
  readonly dir: string;
  /** 0 for a new store, then one more per restart. */
  readonly generation: number;
  readonly rpc: { readonly url: string; readonly cookieFile: string };
  readonly freeze?: Trigger;
  readonly lsp?: {
    readonly port: number;
    readonly store: StoreConfig;
    readonly policy: LspPolicy;
    /** The wallet's birth height (a new store only). */
    readonly birthHeight: number;
  };
  readonly clients?: {
    readonly indexes: readonly number[];
    readonly lsp: string;
    readonly capacity: string;
    readonly balance: string;
  };
}

export const lspKeychain = (seed: string) => Keychain.fromSeed(seedOf(`${seed}/lsp`), { network: 'regtest' });
export const lspAccount = (seed: string) =>
  Bip86Account.fromSeed(seedOf(`${seed}/lsp/wallet`), { network: 'regtest' });
export const clientKeychain = (seed: string, i: number) =>
  Keychain.fromSeed(seedOf(`${seed}/client${i}`), { network: 'regtest' });

/** Opens a role's store (the parent opens dead roles' stores with this too). */
export function openRoleStore(cfg: {
  dir: string;
  store: StoreConfig;
  name: string;
  sealingKey: Uint8Array;
}) {
  return cfg.store.kind === 'sqlite'
    ? openSqliteStore({ path: join(cfg.dir, `${cfg.name}.db`), sealingKey: cfg.sealingKey })
    : openPostgresStore({
        connectionString: cfg.store.url,
        schema: cfg.store.schema,
        sealingKey: cfg.sealingKey,
        poolSize: 4,
      });
}
