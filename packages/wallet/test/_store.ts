// A real persist store on SQLite with the runtime's update sequence: what a role's runtime does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keychain } from '@superscalar/keys';
import type { Op, Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import type { Commit } from '../src/index.js';
import { MNEMONIC } from './_harness.js';

export function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'wallet-')), 'wallet.db');
}

export interface Sequenced {
  store: Store;
  commit: Commit;
}

/** Opens (or reopens) a SQLite store and a sequencer continuing from its last update id. */
export async function openSequenced(path: string): Promise<Sequenced> {
  const keys = Keychain.fromMnemonic(MNEMONIC, { network: 'regtest' });
  const store = await openSqliteStore({ path, sealingKey: keys.storeSealingKey() });
  let next = (await store.lastUpdateId()) + 1n;
  const commit: Commit = async (ops: readonly Op[]) => {
    const id = next++;
    await store.applyUpdate({ id, ops });
  };
  return { store, commit };
}
