// SQLite-specific guarantees: file mode, pragmas, and refusal of damaged files without modifying them.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PersistError } from '../src/index.js';
import { openSqliteStore } from '../src/sqlite.js';
import { KEY } from './conformance.js';

const digest = (p: string) =>
  existsSync(p) ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'absent';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(PersistError.isInstance(e), String(e)).toBe(true);
    return (e as PersistError).code;
  }
  throw new Error('expected a rejection');
}

describe('SQLite file handling', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'persist-file-'));
    path = join(dir, 'store.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function populated(): Promise<void> {
    const s = await openSqliteStore({ path, sealingKey: KEY });
    for (let i = 1n; i <= 40n; i++)
      await s.applyUpdate({
        id: i,
        ops: [
          {
            op: 'put',
            table: 'blobs',
            row: { key: `k${i}`, version: 1, data: new Uint8Array(3000).fill(Number(i)), secret: true },
          },
        ],
      });
    await s.close();
  }

  it('creates the database, WAL and shared-memory files with mode 0600 even under a lax umask', async () => {
    const old = process.umask(0o022);
    try {
      const s = await openSqliteStore({ path, sealingKey: KEY });
      await s.applyUpdate({ id: 1n, ops: [] });
      for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(f).mode & 0o777, f).toBe(0o600);
      await s.close();
    } finally {
      process.umask(old);
    }
  });

  it('opens in WAL mode with synchronous=FULL, foreign keys on and 64-bit safe integers', async () => {
    const s = await openSqliteStore({ path, sealingKey: KEY });
    try {
      // The connection is internal; peek at it to check the durability settings it runs with.
      const raw = (s as unknown as { be: { raw: Database.Database } }).be.raw;
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('synchronous', { simple: true })).toBe(2n); // FULL
      expect(raw.pragma('foreign_keys', { simple: true })).toBe(1n);
      await s.applyUpdate({
        id: 1n,
        ops: [
          {
            op: 'put',
            table: 'htlcs',
            row: {
              channelId: new Uint8Array(1),
              direction: 'offered',
              htlcId: 2n ** 62n + 1n,
              amountMsat: 1n,
              paymentHash: new Uint8Array(32),
              cltvExpiry: 1,
              state: 'added',
            },
          },
        ],
      });
      expect((await s.list('htlcs'))[0]?.htlcId).toBe(2n ** 62n + 1n);
    } finally {
      await s.close();
    }
  });

  it('refuses a file that is not a database, without modifying it', async () => {
    writeFileSync(path, Buffer.alloc(8192, 0x61));
    const before = digest(path);
    expect(await code(openSqliteStore({ path, sealingKey: KEY }))).toBe('PERSIST_CORRUPT_DATABASE');
    expect(digest(path)).toBe(before);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses a truncated database, without modifying it', async () => {
    await populated();
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(100_000);
    truncateSync(path, Math.floor(size / 3));
    const before = digest(path);
    expect(await code(openSqliteStore({ path, sealingKey: KEY }))).toBe('PERSIST_CORRUPT_DATABASE');
    expect(digest(path)).toBe(before);
  });

  it('refuses a database with damaged pages, without modifying it', async () => {
    await populated();
    const bytes = readFileSync(path);
    // Overwrite the middle of the file (b-tree pages) with garbage, keeping the header intact.
    bytes.fill(0xff, Math.floor(bytes.length / 2), Math.floor(bytes.length / 2) + 8192);
    writeFileSync(path, bytes);
    const before = digest(path);
    const c = await code(
      (async () => {
        const s = await openSqliteStore({ path, sealingKey: KEY });
        // quick_check may not see damage inside blob overflow pages; reading must still fail typed.
        try {
          for (let i = 1; i <= 40; i++) await s.get('blobs', { key: `k${i}` });
        } finally {
          await s.close();
        }
      })(),
    );
    expect(['PERSIST_CORRUPT_DATABASE', 'PERSIST_DECODE']).toContain(c);
    if (c === 'PERSIST_CORRUPT_DATABASE') expect(digest(path)).toBe(before);
  });

  it('creates nothing and reports clearly when the directory does not exist', async () => {
    expect(await code(openSqliteStore({ path: join(dir, 'missing', 'x.db'), sealingKey: KEY }))).toBe(
      'PERSIST_BACKEND',
    );
  });

  it('validates its options by name', async () => {
    await expect(openSqliteStore({ path: '', sealingKey: KEY })).rejects.toThrow(/options\.path/);
    await expect(openSqliteStore({ path, sealingKey: new Uint8Array(31) })).rejects.toThrow(/sealingKey/);
    await expect(openSqliteStore({ path, sealingKey: KEY, maxBatch: 0 })).rejects.toThrow(/maxBatch/);
  });
});

describe('package boundaries', () => {
  it('the root export never imports a database driver or a Node built-in (browser clients load it)', () => {
    const src = join(__dirname, '..', 'src');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(src, file), 'utf8');
      for (const m of text.matchAll(/from '([^']+)'/g)) {
        const spec = m[1] as string;
        expect(spec, `${file} imports ${spec}`).not.toMatch(/^(better-sqlite3|pg|node:|fs$|path$)/);
        if (spec.startsWith('./')) visit(spec.slice(2).replace(/\.js$/, '.ts'));
      }
    };
    visit('index.ts');
    expect(seen.has('store.ts')).toBe(true);
    expect(seen.has('sqlite.ts') || seen.has('postgres.ts')).toBe(false);
  });
});
