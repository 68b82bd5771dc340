/**
 * Forward-only schema migrations with a `schema_version` table (one row per applied migration).
 * A database whose highest version is above {@link SCHEMA_VERSION} was written by a newer release and
 * is refused with `SchemaTooNewError` before anything is written. Migrations run in one transaction
 * under a cross-process lock, so two processes opening one fresh database do not race, and a crash or
 * a refusal half-way leaves the database exactly as it was (SQLite and PostgreSQL both roll DDL back).
 *
 * SQL stays portable between SQLite and PostgreSQL: bytes are `blob`/`bytea`, integers `integer`
 * (SQLite, 64-bit) / `bigint` (PostgreSQL), text `text`, booleans 0/1 integers.
 *
 * Versions:
 * 1. `initial`: every table, txids as 32 internal-order bytes.
 * 2. `txid-display-hex`: the txid columns (`factories.funding_txid`, `tree_txs.txid`,
 *    `tree_txs.parent_txid`, `watch_entries.trigger_txid`, `broadcasts.txid`) hold display-order hex
 *    (64 lower-case characters, as Bitcoin Core prints txids). The four tables are rebuilt and every
 *    row converted; a txid that is not 32 bytes refuses the migration (`MigrationError`). Update MACs
 *    and sealed values do not change: both bind a txid's internal-order bytes in either version.
 *
 * @module
 */

import { reversed, toHex } from '@superscalar/core';
import { type Kysely, sql } from 'kysely';
import type { AnyDatabase, Backend } from './backend.js';
import type { Snapshot } from './backup.js';
import { MigrationError } from './errors.js';
import { type ColumnKind, TABLE_SPECS } from './tables.js';

/** The schema version this release writes and the highest it opens. */
export const SCHEMA_VERSION = 2;

/** One forward migration. */
interface Migration {
  readonly version: number;
  readonly name: string;
  up(trx: Kysely<AnyDatabase>, backend: Backend): Promise<void>;
}

/** A table as a migration creates it: frozen, so that a migration never changes. */
interface FrozenTable {
  readonly name: string;
  /** `[column, kind, nullable]` in order. */
  readonly columns: readonly (readonly [string, ColumnKind, boolean])[];
  readonly key: readonly string[];
  readonly indexes: readonly (readonly string[])[];
}

/** @internal Schema version 1's tables, exactly as release 0.0.0 created them. */
export const V1_TABLES: readonly FrozenTable[] = [
  {
    name: 'factories',
    columns: [
      ['factory_id', 'bytes', false],
      ['params', 'bytes', false],
      ['state', 'text', false],
      ['funding_txid', 'bytes', true],
      ['funding_vout', 'int', true],
      ['timeout_height', 'int', false],
    ],
    key: ['factory_id'],
    indexes: [['state']],
  },
  {
    name: 'participants',
    columns: [
      ['factory_id', 'bytes', false],
      ['idx', 'int', false],
      ['pubkey', 'bytes', false],
      ['role', 'text', false],
    ],
    key: ['factory_id', 'idx'],
    indexes: [['pubkey']],
  },
  {
    name: 'tree_txs',
    columns: [
      ['txid', 'bytes', false],
      ['factory_id', 'bytes', false],
      ['parent_txid', 'bytes', true],
      ['kind', 'text', false],
      ['signed_tx', 'bytes', false],
    ],
    key: ['txid'],
    indexes: [['factory_id'], ['parent_txid']],
  },
  {
    name: 'channels',
    columns: [
      ['channel_id', 'bytes', false],
      ['factory_id', 'bytes', true],
      ['local_sats', 'bigint', false],
      ['remote_sats', 'bigint', false],
      ['commitment_number', 'bigint', false],
      ['state', 'text', false],
    ],
    key: ['channel_id'],
    indexes: [['factory_id']],
  },
  {
    name: 'htlcs',
    columns: [
      ['channel_id', 'bytes', false],
      ['direction', 'text', false],
      ['htlc_id', 'bigint', false],
      ['amount_msat', 'bigint', false],
      ['payment_hash', 'bytes', false],
      ['cltv_expiry', 'int', false],
      ['state', 'text', false],
    ],
    key: ['channel_id', 'direction', 'htlc_id'],
    indexes: [['payment_hash']],
  },
  {
    name: 'invoices',
    columns: [
      ['payment_hash', 'bytes', false],
      ['preimage', 'bytes', true],
      ['amount_msat', 'bigint', true],
      ['state', 'text', false],
      ['expires_at', 'int', true],
    ],
    key: ['payment_hash'],
    indexes: [],
  },
  {
    name: 'watch_entries',
    columns: [
      ['trigger_txid', 'bytes', false],
      ['response_index', 'int', false],
      ['factory_id', 'bytes', true],
      ['kind', 'text', false],
      ['response_tx', 'bytes', false],
      ['valid_from_height', 'int', true],
      ['relative_lock', 'int', true],
      ['secret', 'bytes', true],
    ],
    key: ['trigger_txid', 'response_index'],
    indexes: [['factory_id']],
  },
  {
    name: 'lstock_secrets',
    columns: [
      ['factory_id', 'bytes', false],
      ['c', 'bigint', false],
      ['secret', 'bytes', false],
    ],
    key: ['factory_id', 'c'],
    indexes: [],
  },
  {
    name: 'broadcasts',
    columns: [
      ['txid', 'bytes', false],
      ['raw_tx', 'bytes', false],
      ['purpose', 'text', false],
      ['state', 'text', false],
      ['first_height', 'int', true],
    ],
    key: ['txid'],
    indexes: [['state']],
  },
  {
    name: 'events',
    columns: [
      ['update_id', 'bigint', false],
      ['idx', 'int', false],
      ['kind', 'text', false],
      ['payload', 'bytes', false],
    ],
    key: ['update_id', 'idx'],
    indexes: [],
  },
  {
    name: 'blobs',
    columns: [
      ['blob_key', 'text', false],
      ['version', 'int', false],
      ['data', 'bytes', false],
      ['secret', 'bool', false],
    ],
    key: ['blob_key'],
    indexes: [],
  },
];

/** Schema version 2's txid columns per table (display-order hex; internal-order bytes in version 1). */
const V2_TXID_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  factories: ['funding_txid'],
  tree_txs: ['txid', 'parent_txid'],
  watch_entries: ['trigger_txid'],
  broadcasts: ['txid'],
};

/** Schema version 2's versions of the rebuilt tables. Freeze a copy here before changing TABLE_SPECS. */
function v2Table(name: string): FrozenTable {
  const spec = TABLE_SPECS.find((t) => t.sqlName === name);
  if (spec === undefined) throw new MigrationError(1, 2, `no table ${name}`);
  const col = (f: string) => spec.columns.find((c) => c.field === f)?.column as string;
  return {
    name,
    columns: spec.columns.map((c) => [c.column, c.kind, c.nullable] as const),
    key: spec.key.map(col),
    indexes: spec.indexes.map((ix) => ix.map(col)),
  };
}

/** @internal The statements that create `t` (under the name `as`) and its indexes. */
export function createTableSql(
  t: FrozenTable,
  sqlType: (kind: ColumnKind) => string,
  as = t.name,
): { table: string; indexes: string[] } {
  const cols = t.columns.map(([c, kind, nullable]) => `${c} ${sqlType(kind)}${nullable ? '' : ' not null'}`);
  return {
    table: `create table ${as} (${cols.join(', ')}, primary key (${t.key.join(', ')}))`,
    indexes: t.indexes.map(
      (cs) => `create index ${t.name}_${cs.join('_')}_idx on ${t.name} (${cs.join(', ')})`,
    ),
  };
}

/** @internal A version-1 txid (32 internal-order bytes) as version 2 stores it. */
export function txidFromV1(v: unknown, where: string): string | null {
  if (v === null || v === undefined) return null;
  if (!(v instanceof Uint8Array) || v.length !== 32)
    throw new MigrationError(
      1,
      2,
      `${where} holds ${v instanceof Uint8Array ? `${v.length} bytes` : `a ${typeof v}`}, not a 32-byte txid`,
    );
  return toHex(reversed(v));
}

/** Rows copied per statement while rebuilding a table. */
const COPY_PAGE = 500;

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
      for (const t of V1_TABLES) {
        const ddl = createTableSql(t, (k) => backend.sqlType(k));
        await sql.raw(ddl.table).execute(trx);
        for (const ix of ddl.indexes) await sql.raw(ix).execute(trx);
      }
    },
  },
  {
    version: 2,
    name: 'txid-display-hex',
    async up(trx, backend) {
      for (const [name, txidCols] of Object.entries(V2_TXID_COLUMNS)) {
        // Rebuild: the txid is part of primary keys, which neither backend alters in place portably.
        const t = v2Table(name);
        const ddl = createTableSql(t, (k) => backend.sqlType(k), `${name}_v2`);
        await sql.raw(ddl.table).execute(trx);
        // Keyset pages in primary-key order (row-value comparison, portable): linear in the table.
        const keys = sql.join(t.key.map((k) => sql.ref(k)));
        let after: unknown[] | undefined;
        for (let copied = 0; ; ) {
          const where = after === undefined ? sql`` : sql`where (${keys}) > (${sql.join(after)})`;
          const { rows } = await sql<
            Record<string, unknown>
          >`select * from ${sql.table(name)} ${where} order by ${keys} limit ${COPY_PAGE}`.execute(trx);
          if (rows.length === 0) break;
          const converted = rows.map((row, i) => {
            const out: Record<string, unknown> = { ...row };
            for (const c of txidCols) out[c] = txidFromV1(row[c], `${name}.${c} of row ${copied + i + 1}`);
            return out;
          });
          await trx.insertInto(`${name}_v2`).values(converted).execute();
          copied += rows.length;
          const lastRow = rows[rows.length - 1] as Record<string, unknown>;
          after = t.key.map((k) => lastRow[k]);
          if (rows.length < COPY_PAGE) break;
        }
        await sql.raw(`drop table ${name}`).execute(trx);
        await sql.raw(`alter table ${name}_v2 rename to ${name}`).execute(trx);
        // PostgreSQL keeps the primary key's index name; give it the name a fresh table would have.
        if (backend.kind === 'postgres')
          await sql.raw(`alter index ${name}_v2_pkey rename to ${name}_pkey`).execute(trx);
        for (const ix of ddl.indexes) await sql.raw(ix).execute(trx);
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

/**
 * @internal A backup snapshot brought to {@link SCHEMA_VERSION}: a version-1 backup's txid columns are
 * converted as migration 2 converts tables, so backups taken before the upgrade still restore.
 * Throws `MigrationError` for a txid that is not 32 bytes.
 */
export function upgradeSnapshot(snap: Snapshot): Snapshot {
  if (snap.schemaVersion !== 1) return snap;
  return {
    ...snap,
    schemaVersion: 2,
    tables: snap.tables.map((t) => {
      const cols = V2_TXID_COLUMNS[t.name];
      if (cols === undefined) return t;
      const at = cols.map((c) => t.columns.indexOf(c)).filter((i) => i >= 0);
      return {
        ...t,
        rows: t.rows.map((row, r) => {
          const out = [...row];
          for (const i of at) out[i] = txidFromV1(row[i], `backup ${t.name}.${t.columns[i]} of row ${r + 1}`);
          return out;
        }),
      };
    }),
  };
}
