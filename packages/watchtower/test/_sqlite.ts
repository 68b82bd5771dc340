// A real persist store on SQLite in a temporary directory, sealed with a key from the test mnemonic.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keychain } from '@superscalar/keys';
import type { Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { MNEMONIC } from './_rig.js';

export function tempDb(tag = 'tower'): string {
  return join(mkdtempSync(join(tmpdir(), `${tag}-`)), 'tower.db');
}

export function openDb(path: string): Promise<Store> {
  const keys = Keychain.fromMnemonic(MNEMONIC, { network: 'regtest' });
  return openSqliteStore({ path, sealingKey: keys.storeSealingKey() });
}
