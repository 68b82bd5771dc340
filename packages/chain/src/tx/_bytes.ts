// Internal byte helpers of the codec: a bounds-checked reader, a growable writer, CompactSize.
import { DecodeError } from './errors.js';

/** Bitcoin Core's MAX_SIZE: no CompactSize length may exceed it. */
export const MAX_SIZE = 0x02000000;

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte-wise equality. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A forward-only reader that throws {@link DecodeError} on truncation. */
export class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.buf.length - this.pos < n)
      throw new DecodeError('TRUNCATED', this.pos, `need ${n} more bytes, have ${this.remaining}`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  /** Little-endian signed 64-bit (Core's CAmount is int64). */
  i64(): bigint {
    const lo = BigInt(this.u32());
    const hi = BigInt(this.u32());
    return BigInt.asIntN(64, (hi << 32n) | lo);
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** CompactSize as Core's ReadCompactSize(range_check = true): canonical, at most MAX_SIZE. */
  compactSize(): number {
    const at = this.pos;
    const first = this.u8();
    let n: number;
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      this.need(2);
      n = this.buf[this.pos]! | (this.buf[this.pos + 1]! << 8);
      this.pos += 2;
      if (n < 0xfd) throw new DecodeError('NONCANONICAL_COMPACTSIZE', at, 'non-canonical CompactSize');
    } else if (first === 0xfe) {
      n = this.u32();
      if (n < 0x10000) throw new DecodeError('NONCANONICAL_COMPACTSIZE', at, 'non-canonical CompactSize');
    } else {
      this.u32(); // low half: any value is either non-canonical or too large
      const hi = this.u32();
      if (hi === 0) throw new DecodeError('NONCANONICAL_COMPACTSIZE', at, 'non-canonical CompactSize');
      throw new DecodeError('SIZE_TOO_LARGE', at, 'CompactSize above MAX_SIZE');
    }
    if (n > MAX_SIZE) throw new DecodeError('SIZE_TOO_LARGE', at, 'CompactSize above MAX_SIZE');
    return n;
  }

  varBytes(): Uint8Array {
    return this.bytes(this.compactSize());
  }
}

/** A growable little-endian writer. */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    const b = this.buf;
    b[this.len] = v & 0xff;
    b[this.len + 1] = (v >>> 8) & 0xff;
    b[this.len + 2] = (v >>> 16) & 0xff;
    b[this.len + 3] = (v >>> 24) & 0xff;
    this.len += 4;
    return this;
  }

  i64(v: bigint): this {
    const u = BigInt.asUintN(64, v);
    this.u32(Number(u & 0xffffffffn));
    this.u32(Number(u >> 32n));
    return this;
  }

  bytes(v: Uint8Array): this {
    this.reserve(v.length);
    this.buf.set(v, this.len);
    this.len += v.length;
    return this;
  }

  compactSize(n: number): this {
    if (n < 0xfd) return this.u8(n);
    if (n <= 0xffff)
      return this.u8(0xfd)
        .u8(n & 0xff)
        .u8(n >>> 8);
    if (n <= 0xffffffff) return this.u8(0xfe).u32(n);
    return this.u8(0xff)
      .u32(n % 0x100000000)
      .u32(Math.floor(n / 0x100000000));
  }

  varBytes(v: Uint8Array): this {
    return this.compactSize(v.length).bytes(v);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Size in bytes of a CompactSize encoding of n. */
export function compactSizeLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}
