/**
 * Forward-only schema migrations with a `schema_version` table (one row per applied migration).
 * A database whose highest version is above {@link SCHEMA_VERSION} was written by a newer release and
 * is refused with `SchemaTooNewError` before anything is written. Migrations run in one transaction
 * under a cross-process lock, so two processes opening one fresh database do not race.
 *
 * SQL stays portable between SQLite and PostgreSQL: bytes are `blob`/`bytea`, integers `integer`
 * (SQLite, 64-bit) / `bigint` (PostgreSQL), text `text`, booleans 0/1 integers.
 *
 * @module
 */

import { type Kysely, sql } from 'kysely';
import type { AnyDatabase, Backend } from './backend.js';
import { TABLE_SPECS } from './tables.js';

/** The schema version this release writes and the highest it opens. */
export const SCHEMA_VERSION = 1;

/** One forward migration. */
interface Migration {
  readonly version: number;
  readonly name: string;
  up(trx: Kysely<AnyDatabase>, backend: Backend): Promise<void>;
}

// Migration 1 creates every table from TABLE_SPECS as they are in schema version 1. When a later
// migration changes a table, freeze a copy of version 1's specs here first: a migration never changes.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    async up(trx, backend) {
      const bytes = backend.sqlType('bytes');
      const big = backend.sqlType('bigint');
      await sql`create table store_meta (meta_key text primary key, value ${sql.raw(bytes)} not null)`.execute(
        trx,
      );
      await sql`create table updates (id ${sql.raw(big)} primary key, mac ${sql.raw(bytes)} not null, op_count ${sql.raw(big)} not null)`.execute(
        trx,
      );
      for (const t of TABLE_SPECS) {
        const cols = t.columns.map(
          (c) => `${c.column} ${backend.sqlType(c.kind)}${c.nullable ? '' : ' not null'}`,
        );
        const key = t.key.map((k) => t.columns.find((c) => c.field === k)?.column).join(', ');
        await sql.raw(`create table ${t.sqlName} (${cols.join(', ')}, primary key (${key}))`).execute(trx);
        for (const ix of t.indexes) {
          const cs = ix.map((f) => t.columns.find((c) => c.field === f)?.column);
          await sql
            .raw(`create index ${t.sqlName}_${cs.join('_')}_idx on ${t.sqlName} (${cs.join(', ')})`)
            .execute(trx);
        }
      }
    },
  },
];

/** Reads the highest applied schema version (0 for an empty database). Writes nothing. */
export async function readSchemaVersion(
  backend: Backend,
  trx: Kysely<AnyDatabase> = backend.db,
): Promise<number> {
  if (!(await backend.tableExists('schema_version'))) return 0;
  const r = await sql<{ v: unknown }>`select max(version) as v from schema_version`.execute(trx);
  const v = r.rows[0]?.v;
  return v === null || v === undefined ? 0 : Number(v);
}

/**
 * Applies every pending migration inside `trx` (the caller's write transaction, after
 * `migrationTransaction`). Returns the version before migrating.
 */
export async function migrate(trx: Kysely<AnyDatabase>, backend: Backend): Promise<number> {
  await sql`create table if not exists schema_version (version integer primary key, name text not null)`.execute(
    trx,
  );
  const r = await sql<{ v: unknown }>`select max(version) as v from schema_version`.execute(trx);
  const raw = r.rows[0]?.v;
  const from = raw === null || raw === undefined ? 0 : Number(raw);
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    await m.up(trx, backend);
    await sql`insert into schema_version (version, name) values (${m.version}, ${m.name})`.execute(trx);
  }
  return from;
}
