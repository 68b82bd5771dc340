/**
 * The port between the store's logic and a database driver. `./sqlite` and `./postgres` each
 * implement it; the root export never imports a driver, so a browser bundle can carry the types and
 * sealing code without better-sqlite3 or pg.
 *
 * Contract: `write` runs its callback in one transaction that either commits entirely (and is durable
 * when the promise resolves) or not at all; it may run the callback again after a serialization
 * failure, so the callback must only touch the database. `snapshot` runs its callback in a read-only
 * transaction that sees one consistent state.
 *
 * @module
 */

import type { Kysely } from 'kysely';
import type { PersistError } from './errors.js';
import type { SealCrypto } from './seal.js';
import type { ColumnKind } from './tables.js';

/** Kysely's view of the dynamic schema (tables are described at run time by `TABLE_SPECS`). */
export type AnyDatabase = Record<string, Record<string, unknown>>;

/** One SQL statement with positional parameters (placeholders from {@link Backend.placeholder}). */
export type Statement = readonly [sql: string, params: readonly unknown[]];

/** The update path's transaction: plain SQL, no query builder (it is the hot path). */
export interface WriteTx {
  /** Runs a query and returns its rows. */
  query(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs statements in order. */
  run(statements: readonly Statement[]): Promise<void>;
}

/** A database driver behind the store. Implemented by `./sqlite` and `./postgres`. */
export interface Backend {
  /** `sqlite` or `postgres`. */
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, for messages (a path, or host/database/schema; never a password). */
  readonly location: string;
  /** The Kysely instance (reads outside transactions). */
  readonly db: Kysely<AnyDatabase>;
  /** Runs `fn` in one write transaction (see the module contract). */
  write<T>(fn: (trx: Kysely<AnyDatabase>) => Promise<T>): Promise<T>;
  /** Like `write`, for the update path: plain SQL statements (see {@link WriteTx}). */
  writeRaw<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T>;
  /** Runs `fn` in one consistent read-only snapshot. */
  snapshot<T>(fn: (trx: Kysely<AnyDatabase>) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one write transaction that holds the cross-process migration lock and in which each
   * statement sees what other processes committed before the lock was granted (so a second process
   * opening a fresh database waits, then sees the first one's schema).
   */
  migrationTransaction<T>(fn: (trx: Kysely<AnyDatabase>) => Promise<T>): Promise<T>;
  /** True when the table exists. */
  tableExists(name: string): Promise<boolean>;
  /** Faster sealing primitives for this platform (default: the pure-JS ones). */
  readonly crypto?: SealCrypto;
  /** The `i`-th (1-based) parameter placeholder: `?` on SQLite, `$i` on PostgreSQL. */
  placeholder(i: number): string;
  /** The SQL type of a column kind. */
  sqlType(kind: ColumnKind): string;
  /** Translates a driver error into a typed error when it means corruption or similar. */
  classify(e: unknown): PersistError | undefined;
  /** Closes what the backend opened. */
  close(): Promise<void>;
}
