// SQLite test plumbing: one temp file per harness, raw SQL beside the store for fault injection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/sqlite.js';
import { HOLD, KEY, type StoreHarness } from './conformance.js';

export function sqliteHarness(): StoreHarness {
  const dir = mkdtempSync(join(tmpdir(), 'persist-sqlite-'));
  const path = join(dir, 'store.db');
  return {
    kind: 'sqlite',
    open: (sealingKey = KEY, options = {}) => openSqliteStore({ path, sealingKey, ...HOLD, ...options }),
    async query(text) {
      const db = new Database(path);
      try {
        const stmt = db.prepare(text);
        if (stmt.reader) return stmt.all() as Record<string, unknown>[];
        stmt.run();
        return [];
      } finally {
        db.close();
      }
    },
    async injectChannelFailure() {
      const db = new Database(path);
      for (const when of ['insert', 'update'])
        db.exec(
          `create trigger fail_${when} before ${when} on channels when new.state = 'fail' begin select raise(abort, 'injected failure'); end`,
        );
      db.close();
    },
    async destroy() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
