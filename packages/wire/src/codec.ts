/**
 * The message codec machinery: a message is a 2-byte big-endian type, then a BOLT 1 TLV stream whose
 * records carry the message's fields, one field per record, each with a fixed-width (or explicitly
 * length-prefixed) encoding inside its value. Each message group defines its messages declaratively
 * ({@link MessageSpec}); this module is the one place that turns a spec into an encoder and a decoder.
 *
 * Rules beyond BOLT 1 (stricter, so every value has exactly one encoding and decode∘encode is the
 * identity on accepted bytes):
 * - every known field's record has exactly the bytes its encoding needs (`WIRE_BAD_LENGTH`,
 *   `WIRE_TRAILING_BYTES`, `WIRE_TRUNCATED`);
 * - a required field's record must be present (`WIRE_MISSING_FIELD`); an optional field is present iff it
 *   is defined;
 * - unknown odd records are kept in {@link Extensible.unknownRecords} and re-emitted on encode, so a
 *   relay or a signer sees the same bytes.
 *
 * @module
 */

// BOLT 8's largest message: one definition, noise-nk's (the transport that carries these messages).
import { MAX_MESSAGE_SIZE } from '@superscalar/noise-nk';
import type { FieldCodec } from './_fields.js';
import { assertKeys, bad } from './_fields.js';
import { Reader, Writer } from './_io.js';
import { wireError } from './errors.js';
import { encodeTlvStream, parseTlvStream, type TlvRecord } from './tlv.js';

export { MAX_MESSAGE_SIZE };

/** Unknown odd records a message carried; kept so that re-encoding gives the same bytes. */
export interface Extensible {
  /** Unknown odd TLV records, by increasing type; absent when there were none. */
  readonly unknownRecords?: readonly TlvRecord[];
}

/** One field of a message: its TLV type, its key in the message value, its codec. */
export interface FieldSpec {
  readonly tlv: number;
  readonly key: string;
  readonly codec: FieldCodec<unknown>;
  /** Optional fields are encoded iff defined. */
  readonly optional?: boolean;
  /** An absent optional field decodes as an explicit `undefined` (for `T | undefined` keys). */
  readonly absentAsUndefined?: boolean;
  /** One line for the README. */
  readonly doc?: string;
  /**
   * With a `nested` message, the field lives on the message itself beside the nested object (e.g.
   * `factory_propose.fundingTx` beside `factory_propose.proposal`).
   */
  readonly outer?: boolean;
}

/** A message's codec definition. */
export interface MessageSpec {
  /** The `type` string of the message value. */
  readonly name: string;
  /** The 2-byte message type. */
  readonly type: number;
  readonly fields: readonly FieldSpec[];
  /** When set, the fields live in `message[nested]` (e.g. `factory_propose.proposal`). */
  readonly nested?: string;
  /**
   * Rules across fields, checked on encode and decode; `fail` throws the right error for each. `flat`
   * holds every field (nested and outer ones alike) by key.
   */
  readonly check?: (flat: Record<string, unknown>, fail: (field: string, message: string) => never) => void;
}

/** A compiled message codec. */
export interface MessageCodec {
  readonly spec: MessageSpec;
  encode(msg: unknown): Uint8Array;
  /** Decodes the whole of `bytes` (type included), which must carry this message's type. */
  decode(bytes: Uint8Array): Record<string, unknown> & { type: string };
}

/** Compiles a spec; throws (a programming error, at module load) on an inconsistent spec. */
export function defineMessage(spec: MessageSpec): MessageCodec {
  const fields = [...spec.fields].sort((a, b) => a.tlv - b.tlv);
  fields.forEach((f, i) => {
    if (i > 0 && f.tlv === (fields[i - 1] as FieldSpec).tlv)
      throw new Error(`${spec.name}: duplicate TLV ${f.tlv}`);
    if (!f.optional && f.tlv % 2 !== 0)
      throw new Error(`${spec.name}.${f.key}: a required field needs an even type`);
  });
  const byTlv = new Map<bigint, FieldSpec>(fields.map((f) => [BigInt(f.tlv), f]));
  const innerKeys = new Set(fields.filter((f) => !(spec.nested && f.outer)).map((f) => f.key));
  const outerKeys = spec.nested ? fields.filter((f) => f.outer).map((f) => f.key) : [];
  const msgKeys = new Set([
    'type',
    'unknownRecords',
    ...(spec.nested ? [spec.nested, ...outerKeys] : innerKeys),
  ]);
  const pathOf = (f: FieldSpec) =>
    spec.nested && !f.outer ? `${spec.name}.${spec.nested}.${f.key}` : `${spec.name}.${f.key}`;
  const isKnown = (t: bigint) => byTlv.has(t);
  const byKey = new Map(fields.map((f) => [f.key, f]));
  // A check names a field by key, or a sub-path starting with one (`clients[3].key`, `hopPayload.x`).
  const pathOfKey = (field: string) => {
    const f = byKey.get(field.split(/[.[]/)[0] as string);
    return f ? `${pathOf(f).slice(0, -f.key.length)}${field}` : `${spec.name}.${field}`;
  };

  function encode(msg: unknown): Uint8Array {
    const name = spec.name;
    if (typeof msg !== 'object' || msg === null) bad(name, 'expected a message object');
    const m = msg as Record<string, unknown>;
    if (m.type !== name) bad(`${name}.type`, `expected "${name}"`);
    assertKeys(m, msgKeys, name);
    let flat = m;
    if (spec.nested) {
      const base = `${name}.${spec.nested}`;
      const inner = m[spec.nested];
      if (typeof inner !== 'object' || inner === null || Array.isArray(inner))
        bad(base, 'expected an object');
      assertKeys(inner, innerKeys, base);
      flat = { ...(inner as Record<string, unknown>) };
      for (const k of outerKeys) flat[k] = m[k];
    }
    const records: TlvRecord[] = [];
    for (const f of fields) {
      const v = flat[f.key];
      if (v === undefined) {
        if (f.optional) continue;
        bad(pathOf(f), 'missing');
      }
      const w = new Writer();
      f.codec.write(w, v, pathOf(f));
      records.push({ type: BigInt(f.tlv), value: w.finish() });
    }
    spec.check?.(flat, (field, message) => bad(pathOfKey(field), message));
    const extra = m.unknownRecords;
    let all = records;
    if (extra !== undefined) {
      if (!Array.isArray(extra)) bad(`${name}.unknownRecords`, 'expected an array');
      let prev = -1n;
      extra.forEach((r: TlvRecord, i) => {
        const at = `${name}.unknownRecords[${i}]`;
        if (typeof r !== 'object' || r === null) bad(at, 'expected a record');
        assertKeys(r, new Set(['type', 'value']), at);
        if (typeof r.type !== 'bigint' || r.type < 0n || r.type >= 1n << 64n)
          bad(at, 'type: expected a bigint < 2^64');
        if (r.type % 2n === 0n) bad(at, `type ${r.type} is even: only unknown odd records can be carried`);
        if (byTlv.has(r.type)) bad(at, `type ${r.type} is a known field of ${name}`);
        if (r.type <= prev) bad(at, 'unknown records must be in strictly increasing type order');
        if (!(r.value instanceof Uint8Array)) bad(at, 'value: expected a Uint8Array');
        prev = r.type;
      });
      all = [...records, ...(extra as TlvRecord[])].sort((a, b) => (a.type < b.type ? -1 : 1));
    }
    const stream = encodeTlvStream(all);
    const out = new Uint8Array(2 + stream.length);
    out[0] = spec.type >>> 8;
    out[1] = spec.type & 0xff;
    out.set(stream, 2);
    return out;
  }

  function decode(bytes: Uint8Array): Record<string, unknown> & { type: string } {
    const name = spec.name;
    const records = parseTlvStream(bytes, 2, isKnown, name);
    const flat: Record<string, unknown> = {};
    const unknown: TlvRecord[] = [];
    const deferred: (() => void)[] = [];
    for (const rec of records) {
      const f = byTlv.get(rec.type);
      const at = rec.value.byteOffset - bytes.byteOffset;
      if (f === undefined) {
        unknown.push({ type: rec.type, value: rec.value.slice() });
        continue;
      }
      const path = pathOf(f);
      const r = new Reader(rec.value, at, deferred);
      flat[f.key] = f.codec.read(r, path);
      r.end(path);
    }
    for (const f of fields) {
      if (f.key in flat) continue;
      if (f.absentAsUndefined) flat[f.key] = undefined;
      else if (!f.optional)
        throw wireError('WIRE_MISSING_FIELD', `required TLV ${f.tlv} is absent`, {
          field: pathOf(f),
          tlvType: BigInt(f.tlv),
        });
    }
    // Structure, counts, lengths and relations hold: only now spend curve arithmetic on the points.
    // (Cross-field rules first: they are cheap, and a check may rely on the fields being present.)
    spec.check?.(flat, (field, message) => {
      throw wireError('WIRE_INVALID_VALUE', message, { field: pathOfKey(field) });
    });
    for (const check of deferred) check();
    let msg: Record<string, unknown> & { type: string };
    if (spec.nested) {
      const inner: Record<string, unknown> = {};
      const outer: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(flat)) (outerKeys.includes(k) ? outer : inner)[k] = v;
      msg = { type: name, [spec.nested]: inner, ...outer };
    } else msg = { type: name, ...flat };
    if (unknown.length > 0) msg.unknownRecords = unknown;
    return msg;
  }

  return { spec: { ...spec, fields }, encode, decode };
}
