/**
 * Bitcoin's serialization primitives: an exact-size {@link Writer} and a bounds-checked
 * {@link Reader} of little-endian integers, CompactSize lengths and length-prefixed bytes.
 *
 * The writer is given its final size up front (callers add up `compactSizeLen` and friends), so
 * encoding allocates once; {@link Writer.finish} checks the size was exact. The reader throws
 * {@link DecodeError} (with the byte offset) on anything malformed and never allocates from a length
 * it has not checked against the bytes left.
 *
 * @module
 */
import { DecodeError, InvalidArgumentError } from './errors.js';

/** Encoded length of the CompactSize of `n`: 1, 3, 5 or 9 bytes. */
export function compactSizeLen(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffff_ffff ? 5 : 9;
}

/** Encoded length of `b` with its CompactSize length prefix. */
export function varBytesLen(b: Uint8Array): number {
  return compactSizeLen(b.length) + b.length;
}

/** A little-endian writer into a buffer of the exact final size. */
export class Writer {
  /** The buffer being written (its length is the size given). */
  readonly buf: Uint8Array;
  /** The next write position. */
  pos = 0;

  /** A writer of exactly `size` bytes. */
  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 0)
      throw new InvalidArgumentError('size', `expected a non-negative integer, got ${size}`);
    this.buf = new Uint8Array(size);
  }
  /** One byte. */
  u8(x: number): void {
    this.buf[this.pos++] = x;
  }
  /** 16-bit unsigned, little-endian. */
  u16(x: number): void {
    this.buf[this.pos++] = x & 0xff;
    this.buf[this.pos++] = (x >>> 8) & 0xff;
  }
  /** 32-bit unsigned, little-endian. */
  u32(x: number): void {
    this.buf[this.pos++] = x & 0xff;
    this.buf[this.pos++] = (x >>> 8) & 0xff;
    this.buf[this.pos++] = (x >>> 16) & 0xff;
    this.buf[this.pos++] = (x >>> 24) & 0xff;
  }
  /** 64-bit unsigned, little-endian. */
  u64(x: bigint): void {
    this.u32(Number(x & 0xffff_ffffn));
    this.u32(Number((x >> 32n) & 0xffff_ffffn));
  }
  /** Bitcoin's CompactSize (minimal encoding). */
  compactSize(n: number): void {
    if (n < 0xfd) this.u8(n);
    else if (n <= 0xffff) {
      this.u8(0xfd);
      this.u16(n);
    } else if (n <= 0xffff_ffff) {
      this.u8(0xfe);
      this.u32(n);
    } else {
      this.u8(0xff);
      this.u64(BigInt(n));
    }
  }
  /** Raw bytes. */
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** Bytes with a CompactSize length prefix. */
  varBytes(b: Uint8Array): void {
    this.compactSize(b.length);
    this.bytes(b);
  }
  /** The buffer, after checking every byte was written (a size miscount is a programming error). */
  finish(): Uint8Array {
    if (this.pos !== this.buf.length)
      throw new InvalidArgumentError('size', `wrote ${this.pos} bytes into a buffer of ${this.buf.length}`);
    return this.buf;
  }
}

/** A bounds-checked little-endian reader; every fault is a {@link DecodeError} with its offset. */
export class Reader {
  readonly #b: Uint8Array;
  /** The next read position. */
  pos = 0;

  /** A reader over `bytes` (not copied: do not mutate them while reading). */
  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', 'expected a Uint8Array');
    this.#b = bytes;
  }
  /** Bytes not yet read. */
  get remaining(): number {
    return this.#b.length - this.pos;
  }
  #need(n: number, what: string): void {
    if (n > this.#b.length - this.pos)
      throw new DecodeError(this.pos, `truncated: ${what} needs ${n} bytes, ${this.remaining} left`);
  }
  /** The next byte without consuming it, or -1 at the end. */
  peek(offset = 0): number {
    const i = this.pos + offset;
    return i < this.#b.length ? (this.#b[i] as number) : -1;
  }
  /** One byte. */
  u8(what = 'byte'): number {
    this.#need(1, what);
    return this.#b[this.pos++] as number;
  }
  /** 16-bit unsigned, little-endian. */
  u16(what = 'u16'): number {
    this.#need(2, what);
    const b = this.#b;
    const v = (b[this.pos] as number) | ((b[this.pos + 1] as number) << 8);
    this.pos += 2;
    return v;
  }
  /** 32-bit unsigned, little-endian. */
  u32(what = 'u32'): number {
    this.#need(4, what);
    const b = this.#b;
    const p = this.pos;
    const v =
      ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16)) +
      (b[p + 3] as number) * 0x100_0000;
    this.pos += 4;
    return v;
  }
  /** 64-bit unsigned, little-endian. */
  u64(what = 'u64'): bigint {
    this.#need(8, what);
    const lo = this.u32(what);
    const hi = this.u32(what);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  /** A canonical (minimally encoded) CompactSize, at most `max` (default: the bytes left). */
  compactSize(what = 'CompactSize', max = this.remaining): number {
    const at = this.pos;
    const f = this.u8(what);
    let v: number;
    if (f < 0xfd) v = f;
    else if (f === 0xfd) {
      v = this.u16(what);
      if (v < 0xfd) throw new DecodeError(at, `non-canonical ${what}`);
    } else if (f === 0xfe) {
      v = this.u32(what);
      if (v <= 0xffff) throw new DecodeError(at, `non-canonical ${what}`);
    } else {
      const big = this.u64(what);
      if (big <= 0xffff_ffffn) throw new DecodeError(at, `non-canonical ${what}`);
      throw new DecodeError(at, `${what} ${big} is larger than the input`);
    }
    if (v > max) throw new DecodeError(at, `${what} ${v} exceeds ${max}`);
    return v;
  }
  /** A copy of the next `n` bytes. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.#need(n, what);
    const out = this.#b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** Bytes with a CompactSize length prefix. */
  varBytes(what = 'bytes'): Uint8Array {
    return this.bytes(this.compactSize(`${what} length`), what);
  }
  /** Throws {@link DecodeError} unless every byte was read. */
  end(): void {
    if (this.pos !== this.#b.length) throw new DecodeError(this.pos, `${this.remaining} trailing bytes`);
  }
}
