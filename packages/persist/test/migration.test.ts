// Schema migration v1 → v2 (txids as display-order hex), on the v1 fixture written by the release
// before it (test/fixtures/v1-store.db, made by make-v1-store.ts): SQLite opens the file itself;
// PostgreSQL gets the same rows loaded into a version-1 schema. Every row of every table is compared
// with its v1 original, secrets still open, replays of pre-migration updates are still recognised, and
// a migration that cannot convert a row leaves the database exactly as it was.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reversed, toHex } from '@superscalar/core';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleForNode, crashKills } from '../../../test-utils/index.js';
import {
  MigrationError,
  type PersistError,
  SCHEMA_VERSION,
  type Store,
  TABLE_SPECS,
  type TableSpec,
  type Update,
} from '../src/index.js';
import { createTableSql, V1_TABLES } from '../src/migrations.js';
import { openSqliteStore } from '../src/sqlite.js';
import { freshSchema, PG_URL, pgQuery, requirePostgres } from './_pg.js';
import { KEY } from './conformance.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'v1-store.db');
const V1_BACKUP = readFileSync(join(import.meta.dirname, 'fixtures', 'v1-backup.sspb'));
const RESTORE = { passphrase: 'v1 backup', allowWeakKdf: true } as const;
const sha = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
/** The display-order hex of the fixture's txid named `s` (it stored sha256(`tx/${s}`) as bytes). */
const txid = (s: string) => toHex(reversed(sha(`tx/${s}`)));
const b = (n: number, len = 32) => new Uint8Array(len).fill(n);

type Dump = Map<string, Record<string, unknown>[]>;

/** Every row of every table of a SQLite file, raw (v1: txids are bytes). */
function dumpSqlite(path: string): Dump {
  const db = new Database(path, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const out: Dump = new Map();
    for (const t of ['schema_version', 'store_meta', 'updates', ...V1_TABLES.map((x) => x.name)])
      out.set(t, db.prepare(`select * from ${t} order by 1, 2`).all() as Record<string, unknown>[]);
    return out;
  } finally {
    db.close();
  }
}

/** The record a v1 row becomes in schema v2, secrets still sealed (compared separately). */
function expectedRecord(spec: TableSpec, row: Record<string, unknown>): Record<string, unknown> {
  const rec: Record<string, unknown> = {};
  for (const c of spec.columns) {
    const v = row[c.column];
    if (v === null || c.secret !== false) rec[c.field] = v === null ? null : expect.any(Uint8Array);
    else if (c.kind === 'txid') rec[c.field] = toHex(reversed(v as Uint8Array));
    else if (c.kind === 'int') rec[c.field] = Number(v);
    else if (c.kind === 'bigint') rec[c.field] = BigInt(v as bigint);
    else if (c.kind === 'bool') rec[c.field] = Number(v) === 1;
    else if (c.kind === 'bytes') rec[c.field] = new Uint8Array(v as Uint8Array);
    else rec[c.field] = v;
  }
  return rec;
}

/** The checks every backend runs after opening the v1 data with this release. */
async function checkMigrated(store: Store, v1: Dump): Promise<void> {
  expect(store.schemaVersion).toBe(SCHEMA_VERSION);
  expect(await store.lastUpdateId()).toBe(12n);
  let rows = 0;
  for (const spec of TABLE_SPECS) {
    const before = v1.get(spec.sqlName) ?? [];
    const after = await store.list(spec.name);
    expect(after, spec.name).toHaveLength(before.length);
    const expected = before.map((r) => expectedRecord(spec, r));
    for (const e of expected) expect(after, `${spec.name} keeps every row`).toContainEqual(e);
    rows += after.length;
  }
  expect(rows).toBe(65);
  // Spot checks against what make-v1-store.ts wrote.
  const root = await store.get('treeTxs', { txid: txid('tree/1/0') });
  expect(root).toMatchObject({ parentTxid: null, kind: 'kickoff', signedTx: sha('signed/1/0') });
  expect((await store.get('treeTxs', { txid: txid('tree/1/2') }))?.parentTxid).toBe(txid('tree/1/0'));
  expect(await store.get('treeTxs', { txid: txid('tree/3/6') })).toBeUndefined();
  expect((await store.list('treeTxs', { parentTxid: txid('tree/2/1') })).map((t) => t.txid).sort()).toEqual(
    [txid('tree/2/3'), txid('tree/2/4')].sort(),
  );
  expect((await store.get('factories', { factoryId: sha('factory/1') }))?.fundingTxid).toBe(
    txid('funding/1'),
  );
  expect((await store.get('factories', { factoryId: sha('factory/3') }))?.fundingTxid).toBeNull();
  // Sealed values were bound to the txid's bytes in v1; they still open under the hex key.
  for (let w = 1; w <= 3; w++) {
    const e = await store.get('watchEntries', { triggerTxid: txid(`tree/${w}/${w}`), responseIndex: 0 });
    expect(e?.secret).toEqual(sha(`secret/${w}`));
  }
  expect((await store.get('invoices', { paymentHash: sha('hash/1') }))?.preimage).toEqual(sha('preimage/1'));
  expect((await store.get('blobs', { key: 'machine/lsp' }))?.data).toEqual(b(7, 300));
  expect((await store.get('broadcasts', { txid: txid('broadcast/2') }))?.firstHeight).toBe(800_202);
  // Update 12 re-sent in v2's shape (a role that crashed before its ack) is the same update.
  const last: Update = {
    id: 12n,
    ops: [
      {
        op: 'put',
        table: 'broadcasts',
        row: {
          txid: txid('broadcast/5'),
          rawTx: b(5, 10),
          purpose: 'poison',
          state: 'confirmed',
          firstHeight: 800_300,
        },
      },
      {
        op: 'put',
        table: 'treeTxs',
        row: {
          txid: txid('tree/9/0'),
          factoryId: b(9),
          parentTxid: txid('tree/1/0'),
          kind: 'state',
          signedTx: b(9, 10),
        },
      },
      { op: 'event', kind: 'last', payload: b(12, 2) },
    ],
  };
  expect(await store.applyUpdate(last)).toEqual({ id: 12n });
  const other = { ...last, ops: last.ops.slice(0, 2) };
  await expect(store.applyUpdate(other)).rejects.toMatchObject({ code: 'PERSIST_UPDATE_CONFLICT' });
  await store.applyUpdate({
    id: 13n,
    ops: [{ op: 'delete', table: 'broadcasts', key: { txid: txid('broadcast/5') } }],
  });
  expect(await store.get('broadcasts', { txid: txid('broadcast/5') })).toBeUndefined();
}

describe('schema migration v1 → v2: SQLite', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'persist-migrate-'));
    path = join(dir, 'store.db');
    copyFileSync(FIXTURE, path);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the fixture is a version-1 store with txids as 32 bytes', () => {
    const v1 = dumpSqlite(path);
    expect(v1.get('schema_version')?.map((r) => Number(r.version))).toEqual([1]);
    expect(v1.get('tree_txs')?.every((r) => r.txid instanceof Uint8Array && r.txid.length === 32)).toBe(true);
  });

  it('opens the v1 file, converts every row of every table, and keeps secrets and replays', async () => {
    const v1 = dumpSqlite(path);
    const store = await openSqliteStore({ path, sealingKey: KEY });
    try {
      await checkMigrated(store, v1);
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('select version from schema_version order by 1').all()).toEqual([
        { version: 1 },
        { version: 2 },
      ]);
      for (const [t, c] of [
        ['tree_txs', 'txid'],
        ['tree_txs', 'parent_txid'],
        ['factories', 'funding_txid'],
        ['watch_entries', 'trigger_txid'],
        ['broadcasts', 'txid'],
      ] as const) {
        const types = db.prepare(`select distinct typeof(${c}) as t from ${t} where ${c} is not null`).all();
        expect(types, `${t}.${c}`).toEqual([{ t: 'text' }]);
      }
      // The indexes a fresh v2 database has, under the same names.
      const idx = db
        .prepare("select name from sqlite_master where type = 'index' and name like '%_idx' order by 1")
        .all()
        .map((r) => (r as { name: string }).name);
      expect(idx).toContain('tree_txs_parent_txid_idx');
      expect(idx).toContain('broadcasts_state_idx');
    } finally {
      db.close();
    }
  });

  it('a backup taken at schema v1 restores into a v2 store with every row converted', async () => {
    const store = await openSqliteStore({ path: join(dir, 'fresh.db'), sealingKey: KEY });
    try {
      expect(await store.restore(V1_BACKUP, RESTORE)).toEqual({ lastUpdateId: 12n, rows: 78 });
      await checkMigrated(store, dumpSqlite(path));
    } finally {
      await store.close();
    }
  });

  it('a row that cannot be converted refuses the migration and leaves the v1 database exactly as it was', async () => {
    // broadcasts is converted last: the three tables rebuilt before it must be rolled back too.
    const db = new Database(path);
    db.prepare("update broadcasts set txid = x'0102' where purpose = 'poison'").run();
    db.close();
    const before = dumpSqlite(path);
    const e = await openSqliteStore({ path, sealingKey: KEY }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(MigrationError.isInstance(e), String(e)).toBe(true);
    expect(e).toMatchObject({ code: 'PERSIST_MIGRATION', from: 1, to: 2 });
    expect((e as PersistError).message).toMatch(/broadcasts\.txid of row \d+ holds 2 bytes/);
    expect(dumpSqlite(path)).toEqual(before);
    const fix = new Database(path);
    fix
      .prepare("update broadcasts set txid = ? where purpose = 'poison'")
      .run(Buffer.from(sha('tx/broadcast/5')));
    fix.close();
    const store = await openSqliteStore({ path, sealingKey: KEY });
    await store.close();
  });
});

describe('schema migration v1 → v2: SIGKILL while migrating', () => {
  // crashKills() / 50 kills (6 locally, at least 2 under CI; CRASH_KILLS scales it).
  const KILLS = Math.max(2, Math.ceil(crashKills() / 50));
  console.log(`[persist migration crash] ${KILLS} SIGKILLs (crashKills() / 50)`);

  it(`a migration killed at any point leaves v1 intact or v2 complete (${KILLS} kills)`, {
    timeout: 120_000 + KILLS * 10_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'persist-migrate-kill-'));
    const path = join(dir, 'store.db');
    // Bundled beside node_modules, so the child resolves better-sqlite3 like the package does.
    const bundleDir = join(import.meta.dirname, '..', 'node_modules', '.crash-child');
    mkdirSync(bundleDir, { recursive: true });
    const bundle = join(bundleDir, `migrate-child-${process.pid}.mjs`);
    try {
      expect(() =>
        bundleForNode({
          entry: join(import.meta.dirname, 'migrate-child.ts'),
          outfile: bundle,
          cwd: join(import.meta.dirname, '..'),
          name: 'the migrate child',
        }),
      ).not.toThrow();
      // A larger v1 store: the fixture plus 5,000 tree transactions, so the migration takes a while.
      copyFileSync(FIXTURE, path);
      const db = new Database(path);
      const ins = db.prepare(
        "insert into tree_txs (txid, factory_id, parent_txid, kind, signed_tx) values (?, ?, ?, 'state', ?)",
      );
      db.transaction(() => {
        for (let i = 0; i < 5_000; i++)
          ins.run(sha(`bulk/${i}`), sha('factory/1'), i === 0 ? null : sha(`bulk/${i - 1}`), sha(`tx/${i}`));
      })();
      db.close();
      const v1 = dumpSqlite(path);
      const pristine = join(dir, 'v1.db');
      copyFileSync(path, pristine);
      const run = (killAfterMs: number | undefined) =>
        new Promise<'killed' | 'done'>((resolve, reject) => {
          const child = spawn(process.execPath, [bundle, path], { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          child.stderr.on('data', (d) => {
            err += String(d);
          });
          child.stdout.on('data', (d) => {
            out += String(d);
            if (killAfterMs !== undefined && out.includes('opening\n'))
              setTimeout(() => child.kill('SIGKILL'), killAfterMs);
          });
          child.on('exit', (code, signal) => {
            if (signal === 'SIGKILL') resolve('killed');
            else if (code === 0 && out.includes('done')) resolve('done');
            else reject(new Error(`child exited ${code} ${signal}: ${err}`));
          });
        });
      // Time one migration of a copy (from `opening` to exit), to spread the kills over it.
      const probe = join(dir, 'probe.db');
      copyFileSync(path, probe);
      let t0 = 0;
      const p = spawn(process.execPath, [bundle, probe], { stdio: ['ignore', 'pipe', 'ignore'] });
      p.stdout.on('data', (d) => {
        if (t0 === 0 && String(d).includes('opening')) t0 = performance.now();
      });
      await new Promise((r) => p.on('exit', r));
      const span = performance.now() - t0;
      let seed = 0x6d16;
      const rand = () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed / 0x7fffffff;
      };
      const outcomes: string[] = [];
      for (let k = 0; k < KILLS; k++) {
        const outcome = await run(Math.floor(rand() * span));
        const versions = dumpSqlite(path)
          .get('schema_version')
          ?.map((x) => Number(x.version));
        outcomes.push(`${outcome}@v${versions?.join('+')}`);
        if (versions?.length === 1) expect(dumpSqlite(path), `kill ${k}: v1 untouched`).toEqual(v1);
        else {
          // Migrated before the kill: it is complete; start the next round from v1 again.
          expect(versions).toEqual([1, 2]);
          const done = await openSqliteStore({ path, sealingKey: KEY });
          expect(await done.list('treeTxs')).toHaveLength(21 + 5_000);
          await done.close();
          for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
          copyFileSync(pristine, path);
        }
      }
      console.log(
        `[persist migration crash] migration ${Math.round(span)} ms; rounds: ${outcomes.join(', ')}`,
      );
      expect(
        outcomes.some((o) => o.endsWith('@v1')),
        'at least one kill interrupted the migration',
      ).toBe(true);
      const store = await openSqliteStore({ path, sealingKey: KEY });
      try {
        expect(await store.list('treeTxs')).toHaveLength(21 + 5_000);
        expect((await store.get('treeTxs', { txid: toHex(reversed(sha('bulk/5'))) }))?.parentTxid).toBe(
          toHex(reversed(sha('bulk/4'))),
        );
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(bundle, { force: true });
    }
  });
});

if (requirePostgres('schema migration v1 → v2: PostgreSQL')) {
  describe('schema migration v1 → v2: PostgreSQL', () => {
    it('opens the fixture rows in a v1 schema, converts every row of every table, keeps secrets and replays', async () => {
      const { openPostgresStore } = await import('../src/postgres.js');
      const v1 = dumpSqlite(FIXTURE);
      const schema = freshSchema('migrate');
      const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      await c.connect();
      try {
        await c.query(`create schema "${schema}"`);
        const pgType = (k: string) => (k === 'bytes' ? 'bytea' : k === 'text' ? 'text' : 'bigint');
        await c.query('create table schema_version (version integer primary key, name text not null)');
        await c.query('create table store_meta (meta_key text primary key, value bytea not null)');
        await c.query(
          'create table updates (id bigint primary key, mac bytea not null, op_count bigint not null)',
        );
        for (const t of V1_TABLES) {
          const ddl = createTableSql(t, pgType);
          await c.query(ddl.table);
          for (const ix of ddl.indexes) await c.query(ix);
        }
        for (const [table, rows] of v1) {
          for (const row of rows) {
            const cols = Object.keys(row);
            const vals = cols.map((k) => {
              const v = row[k];
              return v instanceof Uint8Array ? Buffer.from(v) : typeof v === 'bigint' ? v.toString() : v;
            });
            await c.query(
              `insert into ${table} (${cols.join(', ')}) values (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
              vals,
            );
          }
        }
      } finally {
        await c.end();
      }
      try {
        const store = await openPostgresStore({
          connectionString: PG_URL as string,
          schema,
          sealingKey: KEY,
        });
        try {
          await checkMigrated(store, v1);
        } finally {
          await store.close();
        }
        const versions = await pgQuery(schema, 'select version from schema_version order by 1');
        expect(versions.map((r) => Number(r.version))).toEqual([1, 2]);
        const pkeys = await pgQuery(
          schema,
          `select indexname from pg_indexes where schemaname = '${schema}' and indexname like '%_pkey' order by 1`,
        );
        expect(pkeys.map((r) => r.indexname)).toContain('tree_txs_pkey');
        // A v1 backup restores over it (overwrite) to the same converted contents.
        const target = await openPostgresStore({
          connectionString: PG_URL as string,
          schema,
          sealingKey: KEY,
        });
        try {
          await target.restore(V1_BACKUP, { ...RESTORE, overwrite: true });
          await checkMigrated(target, v1);
        } finally {
          await target.close();
        }
        // A second open finds version 2 and migrates nothing.
        const again = await openPostgresStore({
          connectionString: PG_URL as string,
          schema,
          sealingKey: KEY,
        });
        expect(await again.get('treeTxs', { txid: txid('tree/1/0') })).toBeDefined();
        await again.close();
      } finally {
        await pgQuery('public', `drop schema if exists "${schema}" cascade`);
      }
    });
  });
}
