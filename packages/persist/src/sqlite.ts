/**
 * `@superscalar/persist/sqlite`: the embedded default backend on better-sqlite3 (an optional peer
 * dependency). The file is created with mode 0600 before SQLite opens it (its `-wal` and `-shm`
 * files inherit that mode), then opened with WAL, `synchronous=FULL` (a commit is on disk when it
 * returns), foreign keys on, `safeIntegers` (64-bit integers come back as bigint, never rounded) and a
 * busy timeout. At open, `PRAGMA quick_check` refuses a damaged file before anything is written.
 *
 * @module
 */

import { closeSync, constants, existsSync, openSync, realpathSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { nodeSealCrypto } from './_nodeCrypto.js';
import type { AnyDatabase, Backend, WriteTx } from './backend.js';
import { BackendError, CorruptDatabaseError, InvalidArgumentError, PersistError } from './errors.js';
import { SqlStore, type Store, type StoreOptions } from './store.js';
import type { ColumnKind } from './tables.js';

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions extends StoreOptions {
  /** Database file path (created with mode 0600 when absent), or `:memory:` for tests. */
  readonly path: string;
  /** Run `PRAGMA quick_check` at open (O(size) read). Default true. */
  readonly integrityCheck?: boolean;
  /** How long a writer waits for another process's lock, in ms. Default 5000. */
  readonly busyTimeoutMs?: number;
}

const CORRUPT_CODES = new Set([
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT_VTAB',
  'SQLITE_CORRUPT_SEQUENCE',
]);

function sqliteCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Statement cache in front of better-sqlite3 (Kysely prepares every query afresh otherwise). */
function cachedDatabase(db: Database.Database) {
  const cache = new Map<string, Database.Statement>();
  return {
    prepare(text: string) {
      let stmt = cache.get(text);
      if (stmt === undefined) {
        stmt = db.prepare(text);
        if (cache.size >= 512) cache.clear();
        cache.set(text, stmt);
      }
      return stmt;
    },
    close() {
      cache.clear();
      db.close();
    },
  };
}

// Write transactions of every store on one file in this process take turns. better-sqlite3 is
// synchronous: a second connection's BEGIN IMMEDIATE would block the whole thread in busy_timeout
// while the first connection's transaction waits for that same thread to finish (a self-deadlock).
// Other processes are serialised by SQLite's own lock and busy_timeout.
const fileTurns = new Map<string, Promise<void>>();

async function inTurn<T>(key: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (key === undefined) return fn();
  const prev = fileTurns.get(key) ?? Promise.resolve();
  let release = () => {};
  const mine = new Promise<void>((r) => {
    release = r;
  });
  const tail = prev.then(() => mine);
  fileTurns.set(key, tail);
  await prev;
  try {
    return await fn();
  } finally {
    release();
    if (fileTurns.get(key) === tail) fileTurns.delete(key);
  }
}

class SqliteBackend implements Backend {
  readonly crypto = nodeSealCrypto;
  readonly kind = 'sqlite' as const;
  readonly db: Kysely<AnyDatabase>;
  private readonly cached: ReturnType<typeof cachedDatabase>;
  private closed = false;

  constructor(
    readonly location: string,
    private readonly raw: Database.Database,
    /** Real path of the file (undefined for `:memory:`), the key of {@link inTurn}. */
    private readonly turnKey: string | undefined,
  ) {
    this.cached = cachedDatabase(raw);
    this.db = new Kysely<AnyDatabase>({ dialect: new SqliteDialect({ database: this.cached }) });
  }

  async write<T>(fn: (trx: Kysely<AnyDatabase>) => Promise<T>): Promise<T> {
    // BEGIN IMMEDIATE takes the write lock up front, so a read-then-write transaction never fails
    // half-way with SQLITE_BUSY when another process writes.
    return inTurn(this.turnKey, () => this.writeNow(fn));
  }

  private writeNow<T>(fn: (trx: Kysely<AnyDatabase>) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const r = await fn(conn);
        await sql`commit`.execute(conn);
        return r;
      } catch (e) {
        if (this.raw.inTransaction) await sql`rollback`.execute(conn).catch(() => undefined);
        throw e;
      }
    });
  }

  async writeRaw<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    // Holds Kysely's connection (so no read interleaves with the open transaction) and runs the
    // statements synchronously on the cached prepared statements: no await per statement.
    return inTurn(this.turnKey, () => this.writeRawNow(fn));
  }

  private writeRawNow<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async () => {
      const raw = this.raw;
      raw.prepare('begin immediate').run();
      try {
        const tx: WriteTx = {
          query: async (text, params) =>
            this.cached.prepare(text).all(...params) as Record<string, unknown>[],
          run: async (statements) => {
            for (const [text, params] of statements) this.cached.prepare(text).run(...params);
          },
        };
        const r = await fn(tx);
        raw.prepare('commit').run();
        return r;
      } catch (e) {
        if (raw.inTransaction) raw.prepare('rollback').run();
        throw e;
      }
    });
  }

  async snapshot<T>(fn: (trx: Kysely<AnyDatabase>) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn);
      try {
        return await fn(conn);
      } finally {
        if (this.raw.inTransaction) await sql`commit`.execute(conn).catch(() => undefined);
      }
    });
  }

  migrationTransaction<T>(fn: (trx: Kysely<AnyDatabase>) => Promise<T>): Promise<T> {
    // BEGIN IMMEDIATE takes the database's write lock before the first read.
    return this.write(fn);
  }

  async tableExists(name: string): Promise<boolean> {
    const r = await sql<{
      n: unknown;
    }>`select count(*) as n from sqlite_master where type = 'table' and name = ${name}`.execute(this.db);
    return Number(r.rows[0]?.n ?? 0) > 0;
  }

  placeholder(): string {
    return '?';
  }

  sqlType(kind: ColumnKind): string {
    return kind === 'bytes' ? 'blob' : kind === 'text' || kind === 'txid' ? 'text' : 'integer';
  }

  classify(e: unknown): PersistError | undefined {
    const code = sqliteCode(e);
    if (code !== undefined && CORRUPT_CODES.has(code))
      return new CorruptDatabaseError(this.location, (e as Error).message, e);
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
}

/**
 * Opens (creating when absent) a SQLite store. Refuses, without modifying the file: a damaged or
 * non-SQLite file (`CorruptDatabaseError`), a schema written by a newer release (`SchemaTooNewError`),
 * another store key (`WrongKeyError`).
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected an object');
  const path = options.path;
  if (typeof path !== 'string' || path.length === 0 || path.includes('\u0000'))
    throw new InvalidArgumentError('options.path', 'expected a file path');
  const busy = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busy) || busy < 0)
    throw new InvalidArgumentError('options.busyTimeoutMs', 'expected a non-negative integer');
  const memory = path === ':memory:';
  if (!memory && !existsSync(path)) {
    try {
      closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR, 0o600));
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'EEXIST') throw new BackendError(`creating ${path}`, e);
    }
  }
  let raw: Database.Database;
  try {
    raw = new Database(path, { fileMustExist: !memory });
  } catch (e) {
    throw new BackendError(`opening ${path}`, e);
  }
  try {
    raw.defaultSafeIntegers(true);
    raw.pragma(`busy_timeout = ${busy}`);
    // The first read of the header: a file that is not a database fails here, before any write.
    if (options.integrityCheck !== false) {
      const rows = raw.pragma('quick_check') as { quick_check: string }[];
      const first = rows[0]?.quick_check;
      if (first !== 'ok')
        throw new CorruptDatabaseError(
          path,
          `quick_check reports ${rows.map((r) => r.quick_check).join('; ')}`,
        );
    } else raw.prepare('select count(*) from sqlite_master').get();
    if (!memory) {
      const mode = raw.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal')
        throw new BackendError(`enabling WAL on ${path}`, new Error(`journal_mode is ${String(mode)}`));
    }
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
  } catch (e) {
    raw.close();
    const code = sqliteCode(e);
    if (code !== undefined && CORRUPT_CODES.has(code))
      throw new CorruptDatabaseError(path, (e as Error).message, e);
    if (PersistError.isInstance(e)) throw e;
    throw new BackendError(`opening ${path}`, e);
  }
  return SqlStore.open(new SqliteBackend(path, raw, memory ? undefined : realpathSync(path)), options);
}
