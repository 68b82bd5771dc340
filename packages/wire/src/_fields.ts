// Field codecs: the fixed-width (and a few length-prefixed) encodings inside TLV values. `write`
// validates its input (an INVALID_ARGUMENT WireError naming the field) as it writes; `read` range-checks
// everything it reads and copies the bytes it returns. `minSize` bounds a list's element count by the
// bytes present before any element is read, so no count is ever trusted.
import { bytesToBigInt, isValidCompressedPoint, isValidX, N, P } from './_curve.js';
import type { Reader, Writer } from './_io.js';
import { wireError } from './errors.js';

/** What a codec encodes, for generated documentation and test-value generators. */
export type CodecShape =
  | { readonly k: 'uint'; readonly width: 1 | 2 | 4; readonly min: number; readonly max: number }
  | { readonly k: 'u64'; readonly min: bigint; readonly max: bigint }
  | { readonly k: 's64' }
  | { readonly k: 'u48'; readonly min: number }
  | { readonly k: 'f64' }
  | { readonly k: 'bool' }
  | {
      readonly k: 'fixed';
      readonly n: number;
      readonly rule: 'none' | 'point' | 'pubnonce' | 'aggnonce' | 'scalar' | 'sig' | 'presig';
    }
  | { readonly k: 'rest'; readonly max: number; readonly lengths?: readonly number[] }
  | { readonly k: 'bytes16'; readonly max: number }
  | { readonly k: 'text' }
  | { readonly k: 'enum'; readonly values: readonly string[] }
  | { readonly k: 'struct'; readonly members: readonly StructMember[] }
  | {
      readonly k: 'list';
      readonly elem: FieldCodec<unknown>;
      readonly min: number;
      readonly max: number;
      readonly key?: (e: never) => number | bigint;
      readonly keyName?: string;
    }
  | { readonly k: 'txid' }
  | { readonly k: 'p2tr' }
  /** A witness-free transaction (`_tx.ts`). */
  | { readonly k: 'tx'; readonly max: number }
  /** The hop payload of `update_add_htlc` (`messages/channel.ts`). */
  | { readonly k: 'hop' };

/** One field's encoding. */
export interface FieldCodec<T> {
  readonly shape: CodecShape;
  /** The fewest bytes an encoding of this field takes (at least 1 for a list element). */
  readonly minSize: number;
  /** Short description for the README's tables and error messages. */
  readonly describe: string;
  write(w: Writer, v: unknown, field: string): void;
  read(r: Reader, field: string): T;
}

export function bad(field: string, message: string): never {
  throw wireError('WIRE_INVALID_ARGUMENT', message, { field });
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === 'object' ? (v === null ? 'null' : 'an object') : String(v);
}

/** An unsigned integer of 1, 2 or 4 bytes as a `number` in `min..max`. */
export function uint(
  width: 1 | 2 | 4,
  min = 0,
  max = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff,
) {
  const describe = `u${width * 8}${min > 0 || max < 2 ** (width * 8) - 1 ? ` in ${min}..${max}` : ''}`;
  return {
    shape: { k: 'uint', width, min, max },
    minSize: width,
    describe,
    write(w, v, field) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
        bad(field, `expected an integer in ${min}..${max}, got ${show(v)}`);
      if (width === 1) w.u8(v);
      else if (width === 2) w.u16(v);
      else w.u32(v);
    },
    read(r, field) {
      const at = r.offset;
      const v = width === 1 ? r.u8(field) : width === 2 ? r.u16(field) : r.u32(field);
      if (v < min || v > max)
        throw wireError('WIRE_OUT_OF_RANGE', `${v} is outside ${min}..${max}`, { field, offset: at });
      return v;
    },
  } satisfies FieldCodec<number>;
}

/** An unsigned 64-bit integer as a `bigint` in `min..max`. */
export function u64(min = 0n, max = (1n << 64n) - 1n, describe = 'u64') {
  return {
    shape: { k: 'u64', min, max },
    minSize: 8,
    describe,
    write(w, v, field) {
      if (typeof v !== 'bigint' || v < min || v > max)
        bad(field, `expected a bigint in ${min}..${max}, got ${show(v)}`);
      w.u64(v);
    },
    read(r, field) {
      const at = r.offset;
      const v = r.u64(field);
      if (v < min || v > max)
        throw wireError('WIRE_OUT_OF_RANGE', `${v} is outside ${min}..${max}`, { field, offset: at });
      return v;
    },
  } satisfies FieldCodec<bigint>;
}

/** A signed 64-bit integer (two's complement) as a `bigint`. */
export const s64: FieldCodec<bigint> = {
  shape: { k: 's64' },
  minSize: 8,
  describe: 's64',
  write(w, v, field) {
    if (typeof v !== 'bigint' || v < -(1n << 63n) || v >= 1n << 63n)
      bad(field, `expected a bigint in −2^63..2^63 − 1, got ${show(v)}`);
    w.u64(BigInt.asUintN(64, v));
  },
  read(r, field) {
    return BigInt.asIntN(64, r.u64(field));
  },
};

/** A `number` below 2^48 stored in 8 bytes (the per-factory counter c, §5.3). */
export function u48(min = 0) {
  const max = 2 ** 48 - 1;
  return {
    shape: { k: 'u48', min },
    minSize: 8,
    describe: `u64 < 2^48`,
    write(w, v, field) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
        bad(field, `expected an integer in ${min}..2^48 − 1, got ${show(v)}`);
      w.u64(BigInt(v));
    },
    read(r, field) {
      const at = r.offset;
      const v = r.u64(field);
      if (v < BigInt(min) || v > BigInt(max))
        throw wireError('WIRE_OUT_OF_RANGE', `${v} is outside ${min}..2^48 − 1`, { field, offset: at });
      return Number(v);
    },
  } satisfies FieldCodec<number>;
}

/** A finite IEEE 754 double (NaN and infinities have no encoding; −0 keeps its sign). */
export const f64: FieldCodec<number> = {
  shape: { k: 'f64' },
  minSize: 8,
  describe: 'f64 (finite)',
  write(w, v, field) {
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(field, `expected a finite number, got ${show(v)}`);
    w.f64(v);
  },
  read(r, field) {
    const at = r.offset;
    const v = r.f64(field);
    if (!Number.isFinite(v))
      throw wireError('WIRE_OUT_OF_RANGE', 'not a finite number', { field, offset: at });
    return v;
  },
};

/** A boolean: one byte, 0 or 1 (any other byte is rejected). */
export const bool: FieldCodec<boolean> = {
  shape: { k: 'bool' },
  minSize: 1,
  describe: 'bool (u8 0/1)',
  write(w, v, field) {
    if (typeof v !== 'boolean') bad(field, `expected a boolean, got ${show(v)}`);
    w.u8(v ? 1 : 0);
  },
  read(r, field) {
    const at = r.offset;
    const v = r.u8(field);
    if (v > 1)
      throw wireError('WIRE_INVALID_VALUE', `boolean byte ${v} is neither 0 nor 1`, { field, offset: at });
    return v === 1;
  },
};

function assertBytes(v: unknown, field: string, len?: number): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) bad(field, `expected a Uint8Array, got ${show(v)}`);
  if (len !== undefined && v.length !== len) bad(field, `expected ${len} bytes, got ${v.length}`);
}

/**
 * Exactly `n` bytes, optionally checked by `valid` (which gets the bytes and an offset into them) with
 * `what` naming the rule and `code` the decoding error.
 */
export function fixed(
  n: number,
  rule: 'none' | 'point' | 'pubnonce' | 'aggnonce' | 'scalar' | 'sig' | 'presig' = 'none',
  describe = `${n} bytes`,
  valid?: (b: Uint8Array, at: number) => boolean,
  what = '',
  code: 'WIRE_INVALID_POINT' | 'WIRE_OUT_OF_RANGE' = 'WIRE_OUT_OF_RANGE',
): FieldCodec<Uint8Array> {
  return {
    shape: { k: 'fixed', n, rule },
    minSize: n,
    describe,
    write(w, v, field) {
      assertBytes(v, field, n);
      if (valid && !valid(v, 0)) bad(field, `not ${what}`);
      w.bytes(v);
    },
    read(r, field) {
      const at = r.offset;
      const b = r.take(n, field);
      if (valid !== undefined) {
        const check = () => {
          if (!valid(b, 0)) throw wireError(code, `not ${what}`, { field, offset: at });
        };
        // Curve checks wait for the whole structure; range checks are cheap and stay in place.
        if (rule === 'point' || rule === 'pubnonce' || rule === 'aggnonce' || rule === 'presig')
          r.defer(check);
        else check();
      }
      return b;
    },
  };
}

const isScalar = (b: Uint8Array, at: number) => bytesToBigInt(b, at, at + 32) < N;
const isZero33 = (b: Uint8Array, at: number) => {
  for (let i = at; i < at + 33; i++) if (b[i] !== 0) return false;
  return true;
};

/** 32 opaque bytes (hashes, secrets, ids). */
export const bytes32 = fixed(32, 'none', '32 bytes');
/** A 33-byte compressed secp256k1 point, checked on the curve. */
export const point = fixed(
  33,
  'point',
  'point (33, checked)',
  isValidCompressedPoint,
  'a valid compressed secp256k1 point',
  'WIRE_INVALID_POINT',
);
/** BIP327 `pubnonce`: two valid compressed points. */
export const pubnonce = fixed(
  66,
  'pubnonce',
  'pubnonce (66, both points checked)',
  (b) => isValidCompressedPoint(b, 0) && isValidCompressedPoint(b, 33),
  'a BIP327 public nonce (two valid compressed points)',
  'WIRE_INVALID_POINT',
);
/** BIP327 `aggnonce`: two points, each valid or 33 zero bytes (infinity). */
export const aggnonce = fixed(
  66,
  'aggnonce',
  'aggnonce (66, checked)',
  (b) =>
    (isZero33(b, 0) || isValidCompressedPoint(b, 0)) && (isZero33(b, 33) || isValidCompressedPoint(b, 33)),
  'a BIP327 aggregate nonce (each half a valid point or 33 zero bytes)',
  'WIRE_INVALID_POINT',
);
/** A 32-byte scalar below the group order (a MuSig2 partial signature). */
export const scalar = fixed(32, 'scalar', 'scalar (32, < n)', isScalar, 'a scalar below the secp256k1 order');
/** A BIP340 signature: r below p, s below n. */
export const sig64 = fixed(
  64,
  'sig',
  'signature (64, r < p, s < n)',
  (b) => bytesToBigInt(b, 0, 32) < P && isScalar(b, 32),
  'a BIP340 signature (r < p, s < n)',
);
/** A Schnorr adaptor pre-signature (@superscalar/adaptor: `cbytes(R') || s'`): a valid point and s' < n. */
export const presig65 = fixed(
  65,
  'presig',
  'pre-signature (65: point, s < n)',
  (b) => isValidCompressedPoint(b, 0) && isScalar(b, 33),
  "an adaptor pre-signature (a valid point R' then s' below n)",
  'WIRE_INVALID_POINT',
);

/**
 * The rest of the record as bytes (only as a record's whole value or its last field). `lengths`
 * restricts the allowed sizes.
 */
export function restBytes(opts: { max?: number; lengths?: readonly number[]; describe?: string } = {}) {
  const max = opts.max ?? 0xffffffff;
  const rule = opts.lengths ? `one of ${opts.lengths.join(', ')} bytes` : `at most ${max} bytes`;
  return {
    shape: { k: 'rest', max, ...(opts.lengths ? { lengths: opts.lengths } : {}) },
    minSize: 0,
    describe: opts.describe ?? 'bytes (rest of record)',
    write(w, v, field) {
      assertBytes(v, field);
      if (v.length > max || (opts.lengths && !opts.lengths.includes(v.length)))
        bad(field, `expected ${rule}, got ${v.length}`);
      w.bytes(v);
    },
    read(r, field) {
      const n = r.remaining;
      if (n > max || (opts.lengths && !opts.lengths.includes(n)))
        throw wireError('WIRE_BAD_LENGTH', `expected ${rule}, got ${n}`, { field, offset: r.offset });
      return r.rest();
    },
  } satisfies FieldCodec<Uint8Array>;
}

/** Bytes with a u16 length prefix (checked against the bytes present before use). */
export function bytes16(max = 0xffff) {
  return {
    shape: { k: 'bytes16', max },
    minSize: 2,
    describe: `u16 length + bytes (≤ ${max})`,
    write(w, v, field) {
      assertBytes(v, field);
      if (v.length > max) bad(field, `expected at most ${max} bytes, got ${v.length}`);
      w.u16(v.length);
      w.bytes(v);
    },
    read(r, field) {
      const at = r.offset;
      const n = r.u16(field);
      if (n > max) throw wireError('WIRE_OUT_OF_RANGE', `length ${n} above ${max}`, { field, offset: at });
      return r.take(n, field);
    },
  } satisfies FieldCodec<Uint8Array>;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 text as the rest of the record (strict: malformed UTF-8 is rejected, a BOM is kept). */
export const text: FieldCodec<string> = {
  shape: { k: 'text' },
  minSize: 0,
  describe: 'UTF-8 text (rest of record)',
  write(w, v, field) {
    if (typeof v !== 'string') bad(field, `expected a string, got ${show(v)}`);
    const b = utf8.encode(v);
    // A lone surrogate has no UTF-8 encoding (TextEncoder would replace it with U+FFFD).
    if (strictUtf8.decode(b) !== v) bad(field, 'the string is not well-formed Unicode (lone surrogate)');
    w.bytes(b);
  },
  read(r, field) {
    const at = r.offset;
    const b = r.rest();
    try {
      return strictUtf8.decode(b);
    } catch (e) {
      throw wireError('WIRE_INVALID_VALUE', 'malformed UTF-8', { field, offset: at, cause: e });
    }
  },
};

/** A string enumeration stored as one byte. */
export function enumU8<T extends string>(codes: Readonly<Record<T, number>>) {
  const names = new Map<number, T>();
  for (const [k, c] of Object.entries(codes) as [T, number][]) names.set(c, k);
  const list = Object.keys(codes).join(' | ');
  return {
    shape: { k: 'enum', values: Object.keys(codes) },
    minSize: 1,
    describe: `u8 enum (${(Object.entries(codes) as [T, number][]).map(([k, c]) => `${c} ${k}`).join(', ')})`,
    write(w, v, field) {
      const c = typeof v === 'string' && Object.hasOwn(codes, v) ? codes[v as T] : undefined;
      if (c === undefined) bad(field, `expected one of ${list}, got ${show(v)}`);
      w.u8(c);
    },
    read(r, field) {
      const at = r.offset;
      const c = r.u8(field);
      const v = names.get(c);
      if (v === undefined)
        throw wireError('WIRE_INVALID_VALUE', `unknown code ${c} (${list})`, { field, offset: at });
      return v;
    },
  } satisfies FieldCodec<T>;
}

/** Rejects keys outside `allowed` (so a field the wire does not carry is never dropped silently). */
export function assertKeys(v: object, allowed: ReadonlySet<string>, field: string): void {
  for (const k of Object.keys(v))
    if (!allowed.has(k)) bad(field, `unknown field "${k}": the wire format does not carry it`);
}

/** One struct member: `[key, codec]` or `[key, codec, 'optional']` (a presence byte 0/1 first). */
export type StructMember =
  | readonly [string, FieldCodec<unknown>]
  | readonly [string, FieldCodec<unknown>, 'optional'];

/** A fixed sequence of members; the value is an object with exactly those keys. */
export function struct<T>(members: readonly StructMember[], describe = 'struct'): FieldCodec<T> {
  const allowed = new Set(members.map((m) => m[0]));
  const minSize = members.reduce((s, m) => s + (m[2] === 'optional' ? 1 : m[1].minSize), 0);
  return {
    shape: { k: 'struct', members },
    minSize,
    describe,
    write(w, v, field) {
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        bad(field, `expected an object, got ${show(v)}`);
      assertKeys(v, allowed, field);
      const o = v as Record<string, unknown>;
      for (const [key, codec, opt] of members) {
        const x = o[key];
        if (opt === 'optional') {
          if (x === undefined) {
            w.u8(0);
            continue;
          }
          w.u8(1);
        } else if (x === undefined) bad(`${field}.${key}`, 'missing');
        codec.write(w, x, `${field}.${key}`);
      }
    },
    read(r, field) {
      const o: Record<string, unknown> = {};
      for (const [key, codec, opt] of members) {
        if (opt === 'optional') {
          const at = r.offset;
          const flag = r.u8(`${field}.${key}`);
          if (flag > 1)
            throw wireError('WIRE_INVALID_VALUE', `presence byte ${flag} is neither 0 nor 1`, {
              field: `${field}.${key}`,
              offset: at,
            });
          if (flag === 0) continue;
        }
        o[key] = codec.read(r, `${field}.${key}`);
      }
      return o as T;
    },
  };
}

/** Options of {@link list}. */
export interface ListOptions<T> {
  /** Width of the element count: 2 (default) or 4 bytes. */
  readonly countBytes?: 2 | 4;
  readonly min?: number;
  readonly max?: number;
  /** When set, elements must be in strictly increasing order of this key (no duplicates). */
  readonly key?: (e: T) => number | bigint;
  /** What the key is, for messages. */
  readonly keyName?: string;
}

/** A count, then that many elements. The count is bounded by the bytes present before any read. */
export function list<T>(elem: FieldCodec<T>, opts: ListOptions<T> = {}): FieldCodec<T[]> {
  const cb = opts.countBytes ?? 2;
  const min = opts.min ?? 0;
  const max = Math.min(opts.max ?? Number.MAX_SAFE_INTEGER, cb === 2 ? 0xffff : 0xffffffff);
  if (elem.minSize < 1) throw new Error('list elements must take at least one byte');
  const order = opts.key;
  const orderFail = (_field: string) => `elements must be in strictly increasing ${opts.keyName ?? 'order'}`;
  return {
    shape: {
      k: 'list',
      elem: elem as FieldCodec<unknown>,
      min,
      max,
      ...(order ? { key: order as (e: never) => number | bigint, keyName: opts.keyName ?? 'key' } : {}),
    },
    minSize: cb,
    describe: `u${cb * 8} count + [${elem.describe}]${order ? ` by increasing ${opts.keyName ?? 'key'}` : ''}`,
    write(w, v, field) {
      if (!Array.isArray(v)) bad(field, `expected an array, got ${show(v)}`);
      if (v.length < min || v.length > max) bad(field, `expected ${min}..${max} elements, got ${v.length}`);
      if (cb === 2) w.u16(v.length);
      else w.u32(v.length);
      let prev: number | bigint | undefined;
      v.forEach((e, i) => {
        elem.write(w, e, `${field}[${i}]`);
        if (order) {
          const k = order(e as T);
          if (prev !== undefined && k <= prev) bad(`${field}[${i}]`, orderFail(field));
          prev = k;
        }
      });
    },
    read(r, field) {
      const at = r.offset;
      const n = cb === 2 ? r.u16(field) : r.u32(field);
      if (n < min || n > max)
        throw wireError('WIRE_OUT_OF_RANGE', `${n} elements, expected ${min}..${max}`, { field, offset: at });
      if (n * elem.minSize > r.remaining)
        throw wireError(
          'WIRE_TRUNCATED',
          `${n} elements need at least ${n * elem.minSize} bytes, ${r.remaining} remain`,
          {
            field,
            offset: at,
          },
        );
      const out: T[] = [];
      let prev: number | bigint | undefined;
      for (let i = 0; i < n; i++) {
        const eAt = r.offset;
        const e = elem.read(r, `${field}[${i}]`);
        if (order) {
          const k = order(e);
          if (prev !== undefined && k <= prev)
            throw wireError('WIRE_INVALID_VALUE', orderFail(field), { field: `${field}[${i}]`, offset: eAt });
          prev = k;
        }
        out.push(e);
      }
      return out;
    },
  };
}

/** A txid as display-order lower-case hex; on the wire its 32 bytes in internal (reversed) order. */
export const txidHex: FieldCodec<string> = {
  shape: { k: 'txid' },
  minSize: 32,
  describe: 'txid (32, internal byte order; display hex in TS)',
  write(w, v, field) {
    if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v))
      bad(field, 'expected 64 lower-case hex characters (display order)');
    const b = new Uint8Array(32);
    for (let i = 0; i < 32; i++) b[31 - i] = Number.parseInt(v.slice(2 * i, 2 * i + 2), 16);
    w.bytes(b);
  },
  read(r, field) {
    const b = r.view(32, field);
    let s = '';
    for (let i = 31; i >= 0; i--) s += (b[i] as number).toString(16).padStart(2, '0');
    return s;
  },
};

/**
 * A P2TR scriptPubKey `OP_1 <32-byte key>` (34 bytes in TS); on the wire only the 32-byte output key,
 * which must be a valid x coordinate (an invalid one makes the output unspendable).
 */
export const p2trScript: FieldCodec<Uint8Array> = {
  shape: { k: 'p2tr' },
  minSize: 32,
  describe: 'P2TR output key (32, checked; 34-byte script in TS)',
  write(w, v, field) {
    assertBytes(v, field, 34);
    if (v[0] !== 0x51 || v[1] !== 0x20) bad(field, 'expected a P2TR scriptPubKey (51 20 <32 bytes>)');
    if (!isValidX(bytesToBigInt(v, 2, 34))) bad(field, 'the P2TR output key is not a valid x coordinate');
    w.bytes(v.subarray(2));
  },
  read(r, field) {
    const at = r.offset;
    const k = r.take(32, field);
    r.defer(() => {
      if (!isValidX(bytesToBigInt(k)))
        throw wireError('WIRE_INVALID_POINT', 'the P2TR output key is not a valid x coordinate', {
          field,
          offset: at,
        });
    });
    const s = new Uint8Array(34);
    s[0] = 0x51;
    s[1] = 0x20;
    s.set(k, 2);
    return s;
  },
};

/** Bitcoin's 21e6 BTC in sats: no amount of sats on the wire exceeds it. */
export const MAX_MONEY = 2_100_000_000_000_000n;
/** An amount in sats, 0..21e14 (stricter than u64: no valid output exceeds MAX_MONEY). */
export const sats = u64(0n, MAX_MONEY, 'u64 sats ≤ 21e14');
/** An amount in millisatoshis, 0..2^64 − 1. */
export const msat = u64(0n, (1n << 64n) - 1n, 'u64 msat');
/** A block height below 500,000,000 (the lock-time threshold). */
export const height = uint(4, 0, 499_999_999);
/** A commitment number below 2^48. */
export const commitmentNumber = u48();
/** A fee rate, integer sat/kvB. */
export const feeRate = uint(4);
