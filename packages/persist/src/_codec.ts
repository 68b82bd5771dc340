// Internal: a tiny length-prefixed binary writer/reader used for update digests and backup files.
// Big-endian integers; every read is bounds-checked and reports through the caller's error factory.
import { InvalidArgumentError } from './errors.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** Value tags of {@link Writer.value}. */
export const TAG_NULL = 0;
export const TAG_BYTES = 1;
export const TAG_INT = 2;
export const TAG_TEXT = 3;
export const TAG_BOOL = 4;

export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private at = 0;

  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(n: number): void {
    this.reserve(1);
    this.buf[this.at++] = n & 0xff;
  }
  u32(n: number): void {
    this.reserve(4);
    this.view.setUint32(this.at, n);
    this.at += 4;
  }
  i64(n: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.at, n);
    this.at += 8;
  }
  raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.raw(b);
  }
  text(s: string): void {
    // ASCII fast path (table and column names, most states); UTF-8 otherwise.
    let ascii = true;
    for (let i = 0; i < s.length; i++)
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    if (!ascii) {
      this.bytes(enc.encode(s));
      return;
    }
    this.u32(s.length);
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.at++] = s.charCodeAt(i);
  }
  /** A tagged scalar: null, bytes, integer (bigint or number), text or boolean. */
  value(v: unknown): void {
    if (v === null || v === undefined) this.u8(TAG_NULL);
    else if (v instanceof Uint8Array) {
      this.u8(TAG_BYTES);
      this.bytes(v);
    } else if (typeof v === 'bigint') {
      this.u8(TAG_INT);
      this.i64(v);
    } else if (typeof v === 'number') {
      this.u8(TAG_INT);
      this.i64(BigInt(v));
    } else if (typeof v === 'string') {
      this.u8(TAG_TEXT);
      this.text(v);
    } else if (typeof v === 'boolean') {
      this.u8(TAG_BOOL);
      this.u8(v ? 1 : 0);
    } else throw new InvalidArgumentError('value', `cannot encode a ${typeof v}`);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

export class Reader {
  private at = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly fail: (detail: string) => Error,
  ) {}

  private need(n: number, what: string): void {
    if (this.at + n > this.buf.length) throw this.fail(`truncated while reading ${what} at byte ${this.at}`);
  }
  get remaining(): number {
    return this.buf.length - this.at;
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.at++] as number;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.at, 4).getUint32(0);
    this.at += 4;
    return v;
  }
  i64(what: string): bigint {
    this.need(8, what);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.at, 8).getBigInt64(0);
    this.at += 8;
    return v;
  }
  raw(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  bytes(what: string): Uint8Array {
    return this.raw(this.u32(what), what);
  }
  text(what: string): string {
    const b = this.bytes(what);
    try {
      return dec.decode(b);
    } catch {
      throw this.fail(`${what} is not valid UTF-8`);
    }
  }
  /** Reads a value written by {@link Writer.value}; integers come back as bigint. */
  value(what: string): Uint8Array | bigint | string | boolean | null {
    const tag = this.u8(what);
    switch (tag) {
      case TAG_NULL:
        return null;
      case TAG_BYTES:
        return this.bytes(what);
      case TAG_INT:
        return this.i64(what);
      case TAG_TEXT:
        return this.text(what);
      case TAG_BOOL: {
        const b = this.u8(what);
        if (b > 1) throw this.fail(`${what} has boolean byte ${b}`);
        return b === 1;
      }
      default:
        throw this.fail(`${what} has unknown value tag ${tag}`);
    }
  }
  end(what: string): void {
    if (this.at !== this.buf.length)
      throw this.fail(`${this.buf.length - this.at} trailing bytes after ${what}`);
  }
}

export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}
