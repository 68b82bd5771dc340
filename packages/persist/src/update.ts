/**
 * Updates: the unit of durability (LDK's `ChannelMonitorUpdate` pattern, brief §11). A role hands the
 * store one {@link Update} — a strictly increasing id and a list of operations — and proceeds (signs,
 * sends, broadcasts) only after the store acknowledges it. An update is applied all-or-nothing; a
 * replayed id with the same operations is a no-op that returns the same acknowledgement; a replayed id
 * with different operations is refused; an id that skips ahead is refused.
 *
 * This module validates updates at the boundary, copies the caller's bytes and computes the
 * canonical encoding the store keys replays on.
 */

import { fromHex, reversed } from '@superscalar/core';
import { Writer } from './_codec.js';
import { InvalidArgumentError } from './errors.js';
import {
  type ColumnSpec,
  type KeyOf,
  type MutableTableName,
  TABLE_BY_NAME,
  type TableSpec,
  type Tables,
} from './tables.js';

/** Insert or replace one row (by primary key). */
export type PutOp = { [T in MutableTableName]: { op: 'put'; table: T; row: Tables[T] } }[MutableTableName];
/** Delete one row by primary key (a no-op when absent). */
export type DeleteOp = {
  [T in MutableTableName]: { op: 'delete'; table: T; key: KeyOf<T> };
}[MutableTableName];
/** Append one entry to the event journal; its `updateId`/`index` are assigned by the store. */
export interface EventOp {
  op: 'event';
  kind: string;
  payload: Uint8Array;
}
/** One operation of an update. */
export type Op = PutOp | DeleteOp | EventOp;

/** An atomic update. `id` is strictly increasing from 1 per store. */
export interface Update {
  id: bigint;
  ops: readonly Op[];
}

/** The acknowledgement of a durable update. A replay of the same update returns an equal ack. */
export interface UpdateAck {
  readonly id: bigint;
}

/** @internal A validated, copied operation with values in column order. */
export type NormalizedOp =
  | { op: 'put'; spec: TableSpec; values: unknown[] }
  | { op: 'delete'; spec: TableSpec; values: unknown[] }
  | { op: 'event'; kind: string; payload: Uint8Array };

/** @internal A validated, copied update. */
export interface NormalizedUpdate {
  id: bigint;
  ops: NormalizedOp[];
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
/** Largest update id accepted (the backends store ids as signed 64-bit integers). */
export const MAX_UPDATE_ID = I64_MAX;

const TXID_HEX = /^[0-9a-f]{64}$/;
const utf8 = new TextEncoder();

/** @internal Validates and copies one field value. */
export function checkValue(c: ColumnSpec, v: unknown, path: string): unknown {
  if (v === null && c.nullable) return null;
  switch (c.kind) {
    case 'bytes':
      if (!(v instanceof Uint8Array))
        throw new InvalidArgumentError(path, `expected Uint8Array, got ${kind(v)}`);
      if (c.maxBytes !== undefined && v.length > c.maxBytes)
        throw new InvalidArgumentError(
          path,
          `${v.length} bytes is longer than a key or indexed field may be (${c.maxBytes} bytes)`,
        );
      return Uint8Array.from(v);
    case 'txid':
      if (typeof v !== 'string' || !TXID_HEX.test(v))
        throw new InvalidArgumentError(
          path,
          `expected a display-order txid (64 lower-case hex characters), got ${typeof v === 'string' ? `a string of ${v.length} characters` : kind(v)}`,
        );
      return v;
    case 'bigint':
      if (typeof v !== 'bigint') throw new InvalidArgumentError(path, `expected bigint, got ${kind(v)}`);
      if (v > I64_MAX || v < I64_MIN) throw new InvalidArgumentError(path, 'out of the signed 64-bit range');
      if ((c.min !== undefined && v < c.min) || (c.max !== undefined && v > c.max))
        throw new InvalidArgumentError(path, `${v} is outside [${c.min ?? I64_MIN}, ${c.max ?? I64_MAX}]`);
      return v;
    case 'int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v))
        throw new InvalidArgumentError(path, `expected a safe integer, got ${kind(v)}`);
      return v;
    case 'text':
      if (typeof v !== 'string') throw new InvalidArgumentError(path, `expected string, got ${kind(v)}`);
      if (v.includes('\u0000')) throw new InvalidArgumentError(path, 'contains a NUL character');
      if (LONE_SURROGATE.test(v)) throw new InvalidArgumentError(path, 'contains a lone surrogate');
      if (c.maxBytes !== undefined && v.length > c.maxBytes / 3) {
        const n = utf8.encode(v).length;
        if (n > c.maxBytes)
          throw new InvalidArgumentError(
            path,
            `${n} UTF-8 bytes is longer than a key or indexed field may be (${c.maxBytes} bytes)`,
          );
      }
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw new InvalidArgumentError(path, `expected boolean, got ${kind(v)}`);
      return v;
  }
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return 'Uint8Array';
  return typeof v;
}

function checkObject(spec: TableSpec, obj: unknown, fields: readonly ColumnSpec[], path: string): unknown[] {
  if (typeof obj !== 'object' || obj === null) throw new InvalidArgumentError(path, 'expected an object');
  const rec = obj as Record<string, unknown>;
  const allowed = new Set(fields.map((f) => f.field));
  for (const k of Object.keys(rec))
    if (!allowed.has(k)) throw new InvalidArgumentError(`${path}.${k}`, `is not a field of ${spec.name}`);
  return fields.map((f) => {
    if (!(f.field in rec)) throw new InvalidArgumentError(`${path}.${f.field}`, 'is missing');
    return checkValue(f, rec[f.field], `${path}.${f.field}`);
  });
}

/** @internal The key columns of a table, in key order. */
export function keyColumns(spec: TableSpec): ColumnSpec[] {
  return spec.key.map((k) => spec.columns.find((c) => c.field === k) as ColumnSpec);
}

/** @internal Validates and copies an update; throws {@link InvalidArgumentError} naming the field. */
export function normalizeUpdate(update: unknown, path = 'update'): NormalizedUpdate {
  if (typeof update !== 'object' || update === null)
    throw new InvalidArgumentError(path, 'expected an object');
  const u = update as Record<string, unknown>;
  const id = u.id;
  if (typeof id !== 'bigint')
    throw new InvalidArgumentError(`${path}.id`, `expected bigint, got ${kind(id)}`);
  if (id < 1n || id > MAX_UPDATE_ID)
    throw new InvalidArgumentError(`${path}.id`, 'must be between 1 and 2^63 - 1');
  if (!Array.isArray(u.ops)) throw new InvalidArgumentError(`${path}.ops`, 'expected an array');
  const ops = (u.ops as unknown[]).map((raw, i): NormalizedOp => {
    const p = `${path}.ops[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new InvalidArgumentError(p, 'expected an object');
    const o = raw as Record<string, unknown>;
    if (o.op === 'event') {
      if (typeof o.kind !== 'string') throw new InvalidArgumentError(`${p}.kind`, 'expected string');
      const k = checkValue(
        { field: 'kind', column: 'kind', kind: 'text', nullable: false, secret: false },
        o.kind,
        `${p}.kind`,
      ) as string;
      if (!(o.payload instanceof Uint8Array))
        throw new InvalidArgumentError(`${p}.payload`, 'expected Uint8Array');
      return { op: 'event', kind: k, payload: Uint8Array.from(o.payload) };
    }
    if (o.op !== 'put' && o.op !== 'delete')
      throw new InvalidArgumentError(`${p}.op`, `expected 'put', 'delete' or 'event', got ${String(o.op)}`);
    const spec = typeof o.table === 'string' ? TABLE_BY_NAME.get(o.table) : undefined;
    if (spec === undefined || spec.name === 'events')
      throw new InvalidArgumentError(`${p}.table`, `unknown or append-only table ${String(o.table)}`);
    if (o.op === 'put')
      return { op: 'put', spec, values: checkObject(spec, o.row, spec.columns, `${p}.row`) };
    return { op: 'delete', spec, values: checkObject(spec, o.key, keyColumns(spec), `${p}.key`) };
  });
  return { id, ops };
}

/**
 * @internal The value's canonical form for hashing and sealing: a `txid` column's internal-order
 * bytes (what schema version 1 stored), anything else as it is. So an update's MAC and a sealed
 * value's location are the same before and after the v1 → v2 migration.
 */
export function canonicalValue(c: ColumnSpec, v: unknown): unknown {
  return c.kind === 'txid' && typeof v === 'string' ? reversed(fromHex(v)) : v;
}

/** @internal Canonical encoding of an update's operations (the replay check compares its MAC). */
export function encodeOps(ops: readonly NormalizedOp[]): Uint8Array {
  const w = new Writer();
  w.text('superscalar/persist/update/v1');
  w.u32(ops.length);
  for (const o of ops) {
    w.text(o.op);
    if (o.op === 'event') {
      w.text(o.kind);
      w.bytes(o.payload);
    } else {
      w.text(o.spec.name);
      w.u32(o.values.length);
      const cols = o.op === 'put' ? o.spec.columns : keyColumns(o.spec);
      o.values.forEach((v, i) => {
        w.value(canonicalValue(cols[i] as ColumnSpec, v));
      });
    }
  }
  return w.finish();
}
