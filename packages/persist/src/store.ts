/**
 * The `Store` port and its SQL implementation over a {@link Backend}.
 *
 * **Order.** Updates are applied in id order: id `n + 1` only after `n`, whatever order the calls
 * arrive in. An update whose predecessors have not arrived yet is held (at most `holdMs`, and at most
 * `maxHeld` of them: beyond that the highest ids go first) until they do; one still missing its
 * predecessors after that is refused with `UpdateGapError`. `applyUpdate` resolves only after the
 * transaction holding the update has committed durably (WAL + `synchronous=FULL` on SQLite, a
 * committed SERIALIZABLE transaction on PostgreSQL); a read issued after that sees it, also after a
 * crash. Concurrent `applyUpdate` calls are grouped into one transaction (group commit) while the
 * previous commit is in flight; each is still acknowledged only after that transaction commits, and a
 * failing update is isolated so it cannot take its neighbours down with it (those after it wait for it
 * again, as above).
 *
 * **Replays.** A replayed id whose operations match the stored MAC is a no-op returning the same ack
 * (a role that crashed between "persist" and "persisted" simply re-sends); with other operations it is
 * refused with `UpdateConflictError`.
 *
 * **Reorg.** The store knows nothing of the chain: chain reorganisations are the roles' business and
 * reach the store as ordinary updates.
 *
 * @module
 */

import { equalBytes, equalBytesConstantTime, type Rng, toHex } from '@superscalar/core';
import { type Kysely, sql } from 'kysely';
import { Writer } from './_codec.js';
import type { AnyDatabase, Backend, Statement, WriteTx } from './backend.js';
import {
  type BackupOptions,
  decodeBackup,
  encodeBackup,
  type RestoreOptions,
  type RestoreResult,
} from './backup.js';
import {
  BackendError,
  CorruptDatabaseError,
  InvalidArgumentError,
  PersistError,
  RestoreRefusedError,
  SchemaTooNewError,
  StoreClosedError,
  UpdateConflictError,
  UpdateFailedError,
  UpdateGapError,
} from './errors.js';
import { migrate, readSchemaVersion, SCHEMA_VERSION, upgradeSnapshot } from './migrations.js';
import { deriveSealingKeys, openValue, type SealingKeys, sealValue, updateMac } from './seal.js';
import {
  type ColumnSpec,
  type EventRecord,
  type KeyOf,
  TABLE_BY_NAME,
  TABLE_SPECS,
  type TableName,
  type TableSpec,
  type Tables,
} from './tables.js';
import {
  canonicalValue,
  checkValue,
  encodeOps,
  keyColumns,
  type NormalizedUpdate,
  normalizeUpdate,
  type Update,
  type UpdateAck,
} from './update.js';

/**
 * Durable state of one role (LSP, client or watchtower). Obtain one from `openSqliteStore`
 * (`@superscalar/persist/sqlite`) or `openPostgresStore` (`@superscalar/persist/postgres`).
 */
export interface Store {
  /** `sqlite` or `postgres`. */
  readonly backend: 'sqlite' | 'postgres';
  /** The schema version of the open database. */
  readonly schemaVersion: number;
  /** 8-byte public fingerprint of the sealing key. */
  readonly keyId: Uint8Array;
  /**
   * Applies `update` atomically and resolves once it is durable (see the module doc for order,
   * replays and grouping).
   *
   * @throws {InvalidArgumentError} a malformed update (nothing queued).
   * @throws {UpdateGapError} the updates before `update.id` did not arrive within the hold.
   * @throws {UpdateConflictError} `update.id` was applied with other operations.
   * @throws {UpdateFailedError} the backend refused it; nothing of it was written.
   */
  applyUpdate(update: Update): Promise<UpdateAck>;
  /** The id of the last applied update (0n for a new store). */
  lastUpdateId(): Promise<bigint>;
  /** One row by primary key, secrets opened; undefined when absent. */
  get<T extends TableName>(table: T, key: KeyOf<T>): Promise<Tables[T] | undefined>;
  /**
   * Rows whose fields equal every field given in `where` (secret fields cannot be filtered on),
   * ordered by primary key.
   */
  list<T extends TableName>(table: T, where?: Partial<Tables[T]>): Promise<Tables[T][]>;
  /** Journal entries after update `afterUpdateId` (default 0), in order, at most `limit` (default all). */
  events(options?: { afterUpdateId?: bigint; limit?: number }): Promise<EventRecord[]>;
  /**
   * A consistent snapshot of the whole store, taken while it stays live, sealed with
   * `@superscalar/keys`' password envelope. Secrets stay sealed under the store key inside it, so a
   * restore needs both the passphrase and the store key.
   */
  backup(options: BackupOptions): Promise<Uint8Array>;
  /**
   * Replaces this store's contents with a backup. Refuses (typed error, nothing modified) a damaged or
   * wrongly-keyed file, a file for another store key, and — unless `overwrite` — a store that already
   * holds updates.
   */
  restore(file: Uint8Array, options: RestoreOptions): Promise<RestoreResult>;
  /** Waits for queued updates, then closes the backend. Later calls throw `StoreClosedError`. */
  close(): Promise<void>;
}

/** Options shared by `openSqliteStore` and `openPostgresStore`. */
export interface StoreOptions {
  /** The 32-byte store key (`@superscalar/keys`' store sealing key), from which sealing keys derive. */
  readonly sealingKey: Uint8Array;
  /** Nonce source for sealing; default a CSPRNG. */
  readonly rng?: Rng;
  /** Most updates grouped into one transaction; default 256. */
  readonly maxBatch?: number;
  /**
   * How long an update that arrived before its predecessors waits for them, in ms; then it is refused
   * with `UpdateGapError`. Default 1000.
   */
  readonly holdMs?: number;
  /** Most updates held waiting for their predecessors (the highest ids are refused first). Default 1024. */
  readonly maxHeld?: number;
}

const CANARY = 'canary';
const CANARY_TEXT = new TextEncoder().encode('superscalar/persist canary v1');

interface Pending {
  readonly update: NormalizedUpdate;
  readonly mac: Uint8Array;
  readonly resolve: (ack: UpdateAck) => void;
  readonly reject: (e: unknown) => void;
  /** When it stops waiting for its predecessors (performance.now() milliseconds). */
  deadline: number;
}

const now = () => performance.now();

type Outcome = { ok: true } | { ok: false; error: PersistError };

/** @internal Row conversion between records and backend values. */
export function toDb(c: ColumnSpec, v: unknown): unknown {
  if (v === null) return null;
  if (c.kind === 'bool') return v ? 1 : 0;
  return v;
}

/** @internal */
export function fromDb(c: ColumnSpec, v: unknown, location: string): unknown {
  if (v === null || v === undefined) {
    if (c.nullable) return null;
    throw new CorruptDatabaseError(location, `column ${c.column} is null`);
  }
  switch (c.kind) {
    case 'bytes':
      if (v instanceof Uint8Array) return new Uint8Array(v);
      break;
    case 'txid':
      if (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)) return v;
      break;
    case 'bigint':
      if (typeof v === 'bigint') return v;
      if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
      if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
      break;
    case 'int':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
      if (typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+$/.test(v))) {
        const n = Number(v);
        if (Number.isSafeInteger(n)) return n;
      }
      break;
    case 'text':
      if (typeof v === 'string') return v;
      break;
    case 'bool':
      if (v === 0 || v === 0n || v === '0' || v === false) return false;
      if (v === 1 || v === 1n || v === '1' || v === true) return true;
      break;
  }
  throw new CorruptDatabaseError(location, `column ${c.column} holds an unexpected ${typeof v}`);
}

/** @internal Where a sealed value lives: bound into the AEAD so it cannot be moved. */
export function sealLocation(spec: TableSpec, c: ColumnSpec, keyValues: readonly unknown[]): string {
  const w = new Writer();
  // Canonical values: a txid key seals to the same location in schema versions 1 and 2.
  keyColumns(spec).forEach((k, i) => {
    w.value(canonicalValue(k, keyValues[i]));
  });
  return `${spec.sqlName}.${c.column}/${toHex(w.finish())}`;
}

/** Parameters per statement, under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMS = 30_000;

interface NetRow {
  put: boolean;
  params: unknown[];
}

/** The net effect of a batch: per table, the last operation per primary key; events; update rows. */
class NetEffect {
  readonly tables = new Map<TableSpec, Map<string, NetRow>>();
  readonly events: unknown[][] = [];
  readonly updates: unknown[][] = [];
  set(spec: TableSpec, key: string, row: NetRow): void {
    let m = this.tables.get(spec);
    if (m === undefined) {
      m = new Map();
      this.tables.set(spec, m);
    }
    m.set(key, row);
  }
}

function keyString(values: readonly unknown[]): string {
  const w = new Writer();
  for (const v of values) w.value(v);
  return toHex(w.finish());
}

function toBigint(v: unknown): bigint {
  if (v === null || v === undefined) return 0n;
  return BigInt(v as bigint | string | number);
}

function isSealed(c: ColumnSpec, rec: Record<string, unknown>): boolean {
  return c.secret === true || (typeof c.secret === 'string' && rec[c.secret] === true);
}

/** @internal The SQL store. Use `openSqliteStore` / `openPostgresStore`. */
export class SqlStore implements Store {
  /** Updates not yet in a transaction, by id (a replayed id may be submitted more than once). */
  private readonly waiting = new Map<bigint, Pending[]>();
  private waitingCount = 0;
  /** Updates that stopped waiting for their predecessors: the database applies or refuses them. */
  private released: Pending[] = [];
  /** The highest applied id, as the last transaction saw it. */
  private last: bigint;
  /** The highest id of the contiguous run in the transaction in flight (`last` when idle). */
  private committingTop: bigint;
  private flushing: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  private constructor(
    private readonly be: Backend,
    private readonly keys: SealingKeys,
    readonly schemaVersion: number,
    private readonly limits: { maxBatch: number; holdMs: number; maxHeld: number },
    last: bigint,
  ) {
    this.last = last;
    this.committingTop = last;
  }

  get backend(): 'sqlite' | 'postgres' {
    return this.be.kind;
  }
  get keyId(): Uint8Array {
    return Uint8Array.from(this.keys.keyId);
  }

  /**
   * Opens a store on `backend`: refuses a newer schema and a wrong key before writing anything, then
   * migrates forward (writing the sealed canary on a fresh database). Closes the backend on failure.
   */
  static async open(backend: Backend, options: StoreOptions): Promise<SqlStore> {
    try {
      if (typeof options !== 'object' || options === null)
        throw new InvalidArgumentError('options', 'expected an object');
      const keys = deriveSealingKeys(options.sealingKey, options.rng, backend.crypto);
      const limit = (name: 'maxBatch' | 'holdMs' | 'maxHeld', dflt: number, min: number) => {
        const v = options[name] ?? dflt;
        if (!Number.isSafeInteger(v) || v < min)
          throw new InvalidArgumentError(`options.${name}`, `expected an integer of at least ${min}`);
        return v;
      };
      const limits = {
        maxBatch: limit('maxBatch', 256, 1),
        holdMs: limit('holdMs', 1000, 0),
        maxHeld: limit('maxHeld', 1024, 0),
      };
      const found = await SqlStore.guard(backend, 'reading the schema version', () =>
        readSchemaVersion(backend),
      );
      if (found > SCHEMA_VERSION) throw new SchemaTooNewError(found, SCHEMA_VERSION);
      if (found > 0) await SqlStore.checkCanary(backend, keys, backend.db);
      if (found < SCHEMA_VERSION) {
        await SqlStore.guard(backend, 'migrating the schema', () =>
          backend.migrationTransaction(async (trx) => {
            const before = await migrate(trx, backend);
            if (before > SCHEMA_VERSION) throw new SchemaTooNewError(before, SCHEMA_VERSION);
            if (before === 0) {
              await trx
                .insertInto('store_meta')
                .values({ meta_key: CANARY, value: sealValue(keys, CANARY_TEXT, `store_meta.${CANARY}`) })
                .execute();
            }
          }),
        );
        await SqlStore.checkCanary(backend, keys, backend.db);
      }
      const last = await SqlStore.guard(backend, 'reading the last update id', async () => {
        const r = await sql<{ v: unknown }>`select max(id) as v from updates`.execute(backend.db);
        return toBigint(r.rows[0]?.v);
      });
      return new SqlStore(backend, keys, SCHEMA_VERSION, limits, last);
    } catch (e) {
      await backend.close().catch(() => undefined);
      throw e;
    }
  }

  private static async guard<T>(backend: Backend, action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (PersistError.isInstance(e)) throw e;
      throw backend.classify(e) ?? new BackendError(action, e);
    }
  }

  private static async checkCanary(
    backend: Backend,
    keys: SealingKeys,
    db: Kysely<AnyDatabase>,
  ): Promise<void> {
    const row = await SqlStore.guard(backend, 'reading the key canary', () =>
      db.selectFrom('store_meta').select('value').where('meta_key', '=', CANARY).executeTakeFirst(),
    );
    if (row === undefined || !(row.value instanceof Uint8Array))
      throw new CorruptDatabaseError(backend.location, 'the sealed key canary is missing');
    const pt = openValue(keys, new Uint8Array(row.value), `store_meta.${CANARY}`);
    if (!equalBytesConstantTime(pt, CANARY_TEXT))
      throw new CorruptDatabaseError(backend.location, 'the key canary is wrong');
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  // ---------------------------------------------------------------- updates
  //
  // An update waits in `waiting` until every id below it is applied or in the transaction in flight;
  // the flusher takes the contiguous run after the last applied id (plus replays of applied ids) as
  // one group. An update whose predecessors are missing is held until its deadline or until more than
  // `maxHeld` are held, then released: it goes to the database, which applies it if its predecessors
  // have arrived after all, and refuses it with UpdateGapError otherwise.

  applyUpdate(update: Update): Promise<UpdateAck> {
    try {
      this.assertOpen();
      const n = normalizeUpdate(update);
      const mac = updateMac(this.keys, n.id, encodeOps(n.ops));
      return new Promise<UpdateAck>((resolve, reject) => {
        this.wait({ update: n, mac, resolve, reject, deadline: now() + this.limits.holdMs });
        if (this.waitingCount > this.limits.maxHeld) this.releaseOverflow();
        this.schedule();
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private wait(p: Pending): void {
    const list = this.waiting.get(p.update.id);
    if (list === undefined) this.waiting.set(p.update.id, [p]);
    else list.push(p);
    this.waitingCount++;
  }

  private unwait(id: bigint): Pending[] {
    const list = this.waiting.get(id) ?? [];
    this.waiting.delete(id);
    this.waitingCount -= list.length;
    return list;
  }

  /** The highest id up to which every id is applied, in flight or waiting. */
  private frontier(): bigint {
    let f = this.last;
    if (this.committingTop > f) f = this.committingTop;
    while (this.waiting.has(f + 1n)) f++;
    return f;
  }

  /** Ids waiting for a missing predecessor, highest first. */
  private blockedIds(): bigint[] {
    const f = this.frontier();
    return [...this.waiting.keys()].filter((id) => id > f).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  }

  /** Releases the highest blocked ids until at most `maxHeld` updates are held. */
  private releaseOverflow(): void {
    const blocked = this.blockedIds();
    let held = blocked.reduce((n, id) => n + (this.waiting.get(id)?.length ?? 0), 0);
    for (const id of blocked) {
      if (held <= this.limits.maxHeld) break;
      const list = this.unwait(id);
      held -= list.length;
      this.released.push(...list);
    }
  }

  /** Releases the blocked updates whose deadline has passed (all of them when `all`). */
  private releaseExpired(all: boolean): void {
    const t = now();
    for (const id of this.blockedIds()) {
      const list = this.waiting.get(id) as Pending[];
      if (!all && !list.some((p) => p.deadline <= t)) continue;
      const keep = all ? [] : list.filter((p) => p.deadline > t);
      this.unwait(id);
      if (keep.length > 0) for (const p of keep) this.wait(p);
      this.released.push(...list.filter((p) => !keep.includes(p)));
    }
  }

  private schedule(): void {
    if (this.flushing !== undefined) return;
    this.flushing = (async () => {
      await null; // let a synchronous burst of calls queue up first
      try {
        for (;;) {
          const batch = this.takeBatch();
          if (batch.length === 0) break;
          await this.commitBatch(batch);
        }
      } finally {
        this.committingTop = this.last;
        this.flushing = undefined;
      }
      this.armTimer();
    })();
  }

  /** The next group: replays and the contiguous run after the last applied id, then released ones. */
  private takeBatch(): Pending[] {
    const max = this.limits.maxBatch;
    const f = this.frontier();
    const ready = [...this.waiting.keys()].filter((id) => id <= f).sort((a, b) => (a < b ? -1 : 1));
    const batch: Pending[] = [];
    let top = this.last;
    for (const id of ready) {
      if (batch.length >= max) break;
      const list = this.unwait(id);
      const room = max - batch.length;
      batch.push(...list.slice(0, room));
      for (const p of list.slice(room)) this.wait(p);
      if (id > top) top = id;
    }
    while (batch.length < max && this.released.length > 0) batch.push(this.released.shift() as Pending);
    this.committingTop = top;
    return batch.sort((a, b) => (a.update.id < b.update.id ? -1 : a.update.id > b.update.id ? 1 : 0));
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.waitingCount === 0) return;
    let first = Number.POSITIVE_INFINITY;
    for (const list of this.waiting.values())
      for (const p of list) if (p.deadline < first) first = p.deadline;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.releaseExpired(false);
        this.schedule();
        if (this.flushing === undefined) this.armTimer();
      },
      Math.max(0, Math.ceil(first - now())),
    );
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    let result: { outcomes: Outcome[]; last: bigint };
    try {
      result = await this.be.writeRaw((tx) => this.applyBatch(tx, batch));
    } catch (e) {
      if (batch.length > 1) {
        // Isolate the update that failed: the first goes alone; the others go back to the queue, where
        // those after a refused one wait for it again.
        const [first, ...rest] = batch as [Pending, ...Pending[]];
        await this.commitBatch([first]);
        const t = now() + this.limits.holdMs;
        for (const p of rest) {
          if (p.deadline < t) p.deadline = t;
          this.wait(p);
        }
        return;
      }
      const p = batch[0] as Pending;
      p.reject(
        PersistError.isInstance(e) ? e : (this.be.classify(e) ?? new UpdateFailedError(p.update.id, e)),
      );
      return;
    }
    this.last = result.last;
    batch.forEach((p, i) => {
      const o = result.outcomes[i] as Outcome;
      if (o.ok) p.resolve(Object.freeze({ id: p.update.id }));
      else p.reject(o.error);
    });
  }

  private async applyBatch(
    tx: WriteTx,
    batch: readonly Pending[],
  ): Promise<{ outcomes: Outcome[]; last: bigint }> {
    const rows = await tx.query('select max(id) as v from updates', []);
    let last = toBigint(rows[0]?.v);
    const outcomes: Outcome[] = [];
    const net = new NetEffect();
    // MACs of the updates this transaction applies: a replay inside the same group compares to these.
    const macs = new Map<bigint, Uint8Array>();
    for (const p of batch) {
      const id = p.update.id;
      if (id <= last) {
        let mac = macs.get(id);
        if (mac === undefined) {
          const r = await tx.query(`select mac from updates where id = ${this.be.placeholder(1)}`, [id]);
          const m = r[0]?.mac;
          if (m instanceof Uint8Array) mac = new Uint8Array(m);
        }
        const same = mac !== undefined && equalBytesConstantTime(mac, p.mac);
        outcomes.push(same ? { ok: true } : { ok: false, error: new UpdateConflictError(id) });
        continue;
      }
      if (id !== last + 1n) {
        outcomes.push({ ok: false, error: new UpdateGapError(id, last) });
        continue;
      }
      this.collect(p, net);
      macs.set(id, p.mac);
      last = id;
      outcomes.push({ ok: true });
    }
    await tx.run(this.statements(net));
    return { outcomes, last };
  }

  private async readLast(db: Kysely<AnyDatabase>): Promise<bigint> {
    const r = await sql<{ v: unknown }>`select max(id) as v from updates`.execute(db);
    return toBigint(r.rows[0]?.v);
  }

  /**
   * Folds one update into the batch's net effect. Every put or delete replaces a whole row by primary
   * key, so applying a batch in order equals applying, per key, its last operation: the batch becomes
   * a few multi-row statements per table instead of one statement per row (one round trip each on
   * PostgreSQL).
   */
  private collect(p: Pending, net: NetEffect): void {
    const { id, ops } = p.update;
    let eventIndex = 0;
    for (const o of ops) {
      if (o.op === 'event') {
        net.events.push([id, eventIndex++, o.kind, o.payload]);
        continue;
      }
      const spec = o.spec;
      const keyCols = keyColumns(spec);
      if (o.op === 'delete') {
        const keyParams = keyCols.map((c, i) => toDb(c, o.values[i]));
        net.set(spec, keyString(keyCols.map((_, i) => o.values[i])), { put: false, params: keyParams });
        continue;
      }
      const rec: Record<string, unknown> = {};
      spec.columns.forEach((c, i) => {
        rec[c.field] = o.values[i];
      });
      const keyValues = keyCols.map((c) => rec[c.field]);
      const params = spec.columns.map((c) => {
        let v = rec[c.field];
        if (v !== null && isSealed(c, rec))
          v = sealValue(this.keys, v as Uint8Array, sealLocation(spec, c, keyValues));
        return toDb(c, v);
      });
      net.set(spec, keyString(keyValues), { put: true, params });
    }
    net.updates.push([id, p.mac, BigInt(ops.length)]);
  }

  /** Multi-row statements for a batch's net effect, chunked under the backends' parameter limits. */
  private statements(net: NetEffect): Statement[] {
    const out: Statement[] = [];
    let n = 0;
    const ph = () => this.be.placeholder(++n);
    const chunks = <T>(rows: T[], width: number): T[][] => {
      const per = Math.max(1, Math.floor(MAX_PARAMS / width));
      const r: T[][] = [];
      for (let i = 0; i < rows.length; i += per) r.push(rows.slice(i, i + per));
      return r;
    };
    const emit = (head: string, rows: (readonly unknown[])[], tail = '') => {
      for (const chunk of chunks(rows, rows[0]?.length ?? 1)) {
        n = 0;
        const tuples = chunk.map((r) => `(${r.map(() => ph()).join(', ')})`).join(', ');
        out.push([`${head}${tuples}${tail}`, chunk.flat()]);
      }
    };
    for (const [spec, rows] of net.tables) {
      const keyCols = keyColumns(spec).map((c) => c.column);
      const puts: (readonly unknown[])[] = [];
      const dels: (readonly unknown[])[] = [];
      for (const r of rows.values()) (r.put ? puts : dels).push(r.params);
      if (dels.length > 0) emit(`delete from ${spec.sqlName} where (${keyCols.join(', ')}) in (`, dels, ')');
      if (puts.length > 0) {
        const cols = spec.columns.map((c) => c.column);
        const set = cols.filter((c) => !keyCols.includes(c)).map((c) => `${c} = excluded.${c}`);
        emit(
          `insert into ${spec.sqlName} (${cols.join(', ')}) values `,
          puts,
          ` on conflict (${keyCols.join(', ')}) do ${set.length > 0 ? `update set ${set.join(', ')}` : 'nothing'}`,
        );
      }
    }
    if (net.events.length > 0) emit('insert into events (update_id, idx, kind, payload) values ', net.events);
    emit('insert into updates (id, mac, op_count) values ', net.updates);
    return out;
  }

  async lastUpdateId(): Promise<bigint> {
    this.assertOpen();
    return this.read('reading the last update id', () => this.readLast(this.be.db));
  }

  // ---------------------------------------------------------------- reads

  private async read<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (PersistError.isInstance(e)) throw e;
      throw this.be.classify(e) ?? new BackendError(action, e);
    }
  }

  private spec(table: unknown): TableSpec {
    const spec = typeof table === 'string' ? TABLE_BY_NAME.get(table) : undefined;
    if (spec === undefined) throw new InvalidArgumentError('table', `unknown table ${String(table)}`);
    return spec;
  }

  /** @internal Turns a backend row into a record, opening sealed fields. */
  rowToRecord(spec: TableSpec, row: Record<string, unknown>): Record<string, unknown> {
    const rec: Record<string, unknown> = {};
    const where = `${this.be.location}:${spec.sqlName}`;
    for (const c of spec.columns)
      rec[c.field] = c.secret === false ? fromDb(c, row[c.column], where) : row[c.column];
    const keyValues = keyColumns(spec).map((c) => rec[c.field]);
    for (const c of spec.columns) {
      if (c.secret === false) continue;
      const raw = fromDb(c, rec[c.field], where);
      rec[c.field] =
        raw !== null && isSealed(c, rec)
          ? openValue(this.keys, raw as Uint8Array, sealLocation(spec, c, keyValues))
          : raw;
    }
    return rec;
  }

  async get<T extends TableName>(table: T, key: KeyOf<T>): Promise<Tables[T] | undefined> {
    this.assertOpen();
    const spec = this.spec(table);
    const keyCols = keyColumns(spec);
    if (typeof key !== 'object' || key === null) throw new InvalidArgumentError('key', 'expected an object');
    const k = key as Record<string, unknown>;
    const values = keyCols.map((c) => checkValue(c, k[c.field], `key.${c.field}`));
    return this.read(`reading ${spec.name}`, async () => {
      let q = this.be.db.selectFrom(spec.sqlName).selectAll();
      keyCols.forEach((c, i) => {
        q = q.where(c.column, '=', toDb(c, values[i]));
      });
      const row = await q.executeTakeFirst();
      return row === undefined ? undefined : (this.rowToRecord(spec, row) as unknown as Tables[T]);
    });
  }

  async list<T extends TableName>(table: T, where?: Partial<Tables[T]>): Promise<Tables[T][]> {
    this.assertOpen();
    const spec = this.spec(table);
    const filters: [ColumnSpec, unknown][] = [];
    if (where !== undefined) {
      if (typeof where !== 'object' || where === null)
        throw new InvalidArgumentError('where', 'expected an object');
      for (const [f, v] of Object.entries(where)) {
        const c = spec.columns.find((x) => x.field === f);
        if (c === undefined) throw new InvalidArgumentError(`where.${f}`, `is not a field of ${spec.name}`);
        if (c.secret === true || (typeof c.secret === 'string' && c.secret !== f))
          throw new InvalidArgumentError(`where.${f}`, 'secret fields are sealed and cannot be filtered on');
        filters.push([c, checkValue({ ...c, nullable: true }, v, `where.${f}`)]);
      }
    }
    return this.read(`reading ${spec.name}`, async () => {
      let q = this.be.db.selectFrom(spec.sqlName).selectAll();
      for (const [c, v] of filters)
        q = v === null ? q.where(c.column, 'is', null) : q.where(c.column, '=', toDb(c, v));
      for (const c of keyColumns(spec)) q = q.orderBy(c.column);
      const rows = await q.execute();
      return rows.map((r) => this.rowToRecord(spec, r) as unknown as Tables[T]);
    });
  }

  async events(options: { afterUpdateId?: bigint; limit?: number } = {}): Promise<EventRecord[]> {
    this.assertOpen();
    const after = options.afterUpdateId ?? 0n;
    if (typeof after !== 'bigint') throw new InvalidArgumentError('options.afterUpdateId', 'expected bigint');
    const limit = options.limit;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
      throw new InvalidArgumentError('options.limit', 'expected a positive integer');
    const spec = TABLE_BY_NAME.get('events') as TableSpec;
    return this.read('reading events', async () => {
      let q = this.be.db
        .selectFrom('events')
        .selectAll()
        .where('update_id', '>', after)
        .orderBy('update_id')
        .orderBy('idx');
      if (limit !== undefined) q = q.limit(limit);
      const rows = await q.execute();
      return rows.map((r) => this.rowToRecord(spec, r) as unknown as EventRecord);
    });
  }

  // ---------------------------------------------------------------- backup

  async backup(options: BackupOptions): Promise<Uint8Array> {
    this.assertOpen();
    const snap = await this.read('taking a snapshot', () =>
      this.be.snapshot(async (trx) => {
        const tables: { name: string; columns: string[]; rows: unknown[][] }[] = [];
        for (const name of ['store_meta', 'updates', ...TABLE_SPECS.map((t) => t.sqlName)]) {
          const r = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(trx);
          const kinds = columnKinds(name);
          tables.push({
            name,
            columns: kinds.map(([c]) => c),
            rows: r.rows.map((row) =>
              kinds.map(([c, k]) => normalizeRaw(k, row[c], `${this.be.location}:${name}`)),
            ),
          });
        }
        return { lastUpdateId: await this.readLast(trx), tables };
      }),
    );
    return encodeBackup(
      {
        schemaVersion: this.schemaVersion,
        keyId: this.keys.keyId,
        lastUpdateId: snap.lastUpdateId,
        tables: snap.tables,
      },
      options,
    );
  }

  async restore(file: Uint8Array, options: RestoreOptions): Promise<RestoreResult> {
    this.assertOpen();
    const decoded = await decodeBackup(file, options);
    let snap: typeof decoded;
    try {
      snap = upgradeSnapshot(decoded);
    } catch (e) {
      throw new RestoreRefusedError(`the backup does not convert to this schema: ${(e as Error).message}`);
    }
    if (snap.schemaVersion !== this.schemaVersion)
      throw new RestoreRefusedError(
        `the backup has schema version ${snap.schemaVersion}, this store ${this.schemaVersion}; restore it with the release that wrote it`,
      );
    if (!equalBytes(snap.keyId, this.keys.keyId))
      throw new RestoreRefusedError(
        `the backup was made with store key ${toHex(snap.keyId)}, this store uses ${toHex(this.keys.keyId)}`,
      );
    // Open every sealed value (and the canary) before writing anything: a wrongly-keyed or altered
    // secret is refused here.
    const byName = new Map(snap.tables.map((t) => [t.name, t]));
    const expected = ['store_meta', 'updates', ...TABLE_SPECS.map((t) => t.sqlName)];
    for (const name of expected) {
      const t = byName.get(name);
      if (t === undefined) throw new RestoreRefusedError(`the backup lacks table ${name}`);
      const cols = columnsOf(name);
      if (t.columns.length !== cols.length || t.columns.some((c, i) => c !== cols[i]))
        throw new RestoreRefusedError(`table ${name} has unexpected columns`);
    }
    if (byName.size !== expected.length) throw new RestoreRefusedError('the backup has unexpected tables');
    const meta = byName.get('store_meta')!;
    const canary = meta.rows.find((r) => r[0] === CANARY);
    if (canary === undefined || !(canary[1] instanceof Uint8Array))
      throw new RestoreRefusedError('the backup has no key canary');
    try {
      if (!equalBytes(openValue(this.keys, canary[1], `store_meta.${CANARY}`), CANARY_TEXT))
        throw new RestoreRefusedError('the backup key canary is wrong');
      for (const spec of TABLE_SPECS) {
        const t = byName.get(spec.sqlName)!;
        for (const raw of t.rows) {
          const row: Record<string, unknown> = {};
          spec.columns.forEach((c, i) => {
            row[c.column] = raw[i];
          });
          this.rowToRecord(spec, row);
        }
      }
    } catch (e) {
      if (e instanceof RestoreRefusedError) throw e;
      throw new RestoreRefusedError(`the backup does not verify against this store: ${(e as Error).message}`);
    }
    const last = await this.read('restoring', () =>
      this.be.write(async (trx) => {
        const current = await this.readLast(trx);
        if (current > 0n && options.overwrite !== true)
          throw new RestoreRefusedError(
            `the store already holds ${current} updates; pass overwrite: true to replace them (restoring an old channel state can lose funds)`,
          );
        for (const name of [...expected].reverse()) await trx.deleteFrom(name).execute();
        for (const name of expected) {
          const t = byName.get(name)!;
          for (const raw of t.rows) {
            const row: Record<string, unknown> = {};
            t.columns.forEach((c, i) => {
              row[c] = raw[i];
            });
            await trx.insertInto(name).values(row).execute();
          }
        }
        return this.readLast(trx);
      }),
    );
    this.last = last;
    this.committingTop = last;
    return { lastUpdateId: last, rows: snap.tables.reduce((n, t) => n + t.rows.length, 0) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Held updates stop waiting: the database applies them if they fit, refuses them otherwise.
    while (this.waitingCount > 0 || this.released.length > 0 || this.flushing !== undefined) {
      this.releaseExpired(true);
      this.schedule();
      await this.flushing;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.be.close();
  }
}

type RawKind = 'bytes' | 'int' | 'text';

function columnKinds(name: string): [string, RawKind][] {
  if (name === 'store_meta')
    return [
      ['meta_key', 'text'],
      ['value', 'bytes'],
    ];
  if (name === 'updates')
    return [
      ['id', 'int'],
      ['mac', 'bytes'],
      ['op_count', 'int'],
    ];
  const spec = TABLE_SPECS.find((t) => t.sqlName === name);
  if (spec === undefined) throw new InvalidArgumentError('table', `unknown table ${name}`);
  return spec.columns.map((c) => [
    c.column,
    c.kind === 'bytes' ? 'bytes' : c.kind === 'text' || c.kind === 'txid' ? 'text' : 'int',
  ]);
}

function columnsOf(name: string): string[] {
  return columnKinds(name).map(([c]) => c);
}

/** Backend values to the neutral backup form: bytes, bigint, string or null, by column kind. */
function normalizeRaw(kind: RawKind, v: unknown, where: string): unknown {
  if (v === null || v === undefined) return null;
  if (kind === 'bytes' && v instanceof Uint8Array) return new Uint8Array(v);
  if (kind === 'text' && typeof v === 'string') return v;
  if (kind === 'int') {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  }
  throw new CorruptDatabaseError(where, `unexpected ${typeof v} in a ${kind} column`);
}
