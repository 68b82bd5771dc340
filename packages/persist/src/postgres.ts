/**
 * `@superscalar/persist/postgres`: the backend for LSPs at scale, on a `pg` Pool (an optional peer
 * dependency). The update path runs in SERIALIZABLE transactions and is retried on serialization
 * failures and deadlocks, so several processes may share one database safely (each update id is
 * still applied once). Backups read one REPEATABLE READ, READ ONLY snapshot. Every table lives in one
 * schema (default `public`), which isolates stores sharing a database.
 *
 * @module
 */

import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { nodeSealCrypto } from './_nodeCrypto.js';
import type { AnyDatabase, Backend, WriteTx } from './backend.js';
import { BackendError, InvalidArgumentError, type PersistError } from './errors.js';
import { SqlStore, type Store, type StoreOptions } from './store.js';
import type { ColumnKind } from './tables.js';

/** Options of {@link openPostgresStore}: a connection string, or a pool you own. */
export interface PostgresStoreOptions extends StoreOptions {
  /** `postgres://user@host:port/database`. The store creates and closes its own pool. */
  readonly connectionString?: string;
  /**
   * A pool you created and will close yourself. Its connections must already use `schema` as their
   * search path (e.g. `options: '-c search_path=myschema'`).
   */
  readonly pool?: pg.Pool;
  /** Schema holding the tables; created when absent. Default `public`. */
  readonly schema?: string;
  /** Size of the pool the store creates. Default 10. */
  readonly poolSize?: number;
  /** Attempts of one write transaction on serialization failures. Default 20. */
  readonly maxAttempts?: number;
}

const RETRYABLE = new Set(['40001', '40P01']);

function pgCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(connection string)';
  }
}

class PostgresBackend implements Backend {
  readonly crypto = nodeSealCrypto;
  readonly kind = 'postgres' as const;
  readonly db: Kysely<AnyDatabase>;
  private closed = false;

  constructor(
    readonly location: string,
    pool: pg.Pool,
    ownsPool: boolean,
    private readonly maxAttempts: number,
  ) {
    // Kysely destroys the pool it wraps; a caller's pool is wrapped so that destroy leaves it open.
    const wrapped = ownsPool
      ? pool
      : ({ connect: () => pool.connect(), end: async () => undefined } as unknown as pg.Pool);
    this.db = new Kysely<AnyDatabase>({ dialect: new PostgresDialect({ pool: wrapped }) });
  }

  async write<T>(fn: (trx: Kysely<AnyDatabase>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().setIsolationLevel('serializable').execute(fn);
      } catch (e) {
        const code = pgCode(e);
        // 23505 on a concurrent insert of the same update id: the retry sees it as a replay or gap.
        if (attempt >= this.maxAttempts || code === undefined || !(RETRYABLE.has(code) || code === '23505'))
          throw e;
        await new Promise((r) => setTimeout(r, Math.min(50, 2 ** attempt) * Math.random()));
      }
    }
  }

  async writeRaw<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return this.write((trx) =>
      fn({
        query: async (text, params) =>
          (await trx.executeQuery(CompiledQuery.raw(text, [...params]))).rows as Record<string, unknown>[],
        run: async (statements) => {
          for (const [text, params] of statements)
            await trx.executeQuery(CompiledQuery.raw(text, [...params]));
        },
      }),
    );
  }

  async snapshot<T>(fn: (trx: Kysely<AnyDatabase>) => Promise<T>): Promise<T> {
    return this.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(fn);
  }

  migrationTransaction<T>(fn: (trx: Kysely<AnyDatabase>) => Promise<T>): Promise<T> {
    // READ COMMITTED, not SERIALIZABLE: a serializable snapshot would be taken before the lock is
    // granted and hide the schema another process just created.
    return this.db
      .transaction()
      .setIsolationLevel('read committed')
      .execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext('superscalar/persist/' || current_schema()))`.execute(
          trx,
        );
        return fn(trx);
      });
  }

  async tableExists(name: string): Promise<boolean> {
    const r = await sql<{ e: unknown }>`select to_regclass(${name}) is not null as e`.execute(this.db);
    return r.rows[0]?.e === true;
  }

  placeholder(i: number): string {
    return `$${i}`;
  }

  sqlType(kind: ColumnKind): string {
    return kind === 'bytes' ? 'bytea' : kind === 'text' || kind === 'txid' ? 'text' : 'bigint';
  }

  classify(_e: unknown): PersistError | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
}

/**
 * Opens (creating its schema and tables when absent) a PostgreSQL store. Refuses, without modifying
 * anything, a schema written by a newer release (`SchemaTooNewError`) and another store key
 * (`WrongKeyError`).
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected an object');
  const schema = options.schema ?? 'public';
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new InvalidArgumentError('options.schema', 'expected a lower-case SQL identifier');
  const maxAttempts = options.maxAttempts ?? 20;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1)
    throw new InvalidArgumentError('options.maxAttempts', 'expected a positive integer');
  let pool: pg.Pool;
  let location: string;
  const owns = options.pool === undefined;
  if (options.pool !== undefined) {
    pool = options.pool;
    location = `postgres (caller's pool), schema ${schema}`;
  } else {
    const url = options.connectionString;
    if (typeof url !== 'string' || url.length === 0)
      throw new InvalidArgumentError(
        'options.connectionString',
        'expected a connection string or options.pool',
      );
    const size = options.poolSize ?? 10;
    if (!Number.isSafeInteger(size) || size < 1)
      throw new InvalidArgumentError('options.poolSize', 'expected a positive integer');
    location = `${redact(url)} schema ${schema}`;
    pool = new pg.Pool({ connectionString: url, max: size, options: `-c search_path=${schema}` });
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    try {
      const c = await pool.connect();
      try {
        try {
          await c.query(`create schema if not exists "${schema}"`);
        } catch (e) {
          // Two processes creating the schema at once: one wins, the other sees a duplicate.
          const code = pgCode(e);
          if (code !== '23505' && code !== '42P06') throw e;
        }
      } finally {
        c.release();
      }
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new BackendError(`connecting to ${location}`, e);
    }
  }
  return SqlStore.open(new PostgresBackend(location, pool, owns, maxAttempts), options);
}
