// Byte reader and writer for field values. The reader checks every read against the bytes present
// (a `WIRE_TRUNCATED` WireError, never a RangeError) and copies what it returns.
import { type WireError, wireError } from './errors.js';

export class Reader {
  private o = 0;
  /**
   * `base` is the offset of `bytes` inside the whole message, for error offsets. `deferred` collects
   * the expensive checks (curve points) that run only once the whole message has decoded, so that a
   * message with a bad count, length or trailing byte costs no curve arithmetic at all.
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly base: number,
    private readonly deferred?: (() => void)[],
  ) {}

  /** Runs `check` after the message's structure has decoded (now, when nothing collects checks). */
  defer(check: () => void): void {
    if (this.deferred === undefined) check();
    else this.deferred.push(check);
  }

  get remaining(): number {
    return this.bytes.length - this.o;
  }

  get offset(): number {
    return this.base + this.o;
  }

  fail(code: ConstructorParameters<typeof WireError>[0], message: string, field: string, at = this.o): never {
    throw wireError(code, message, { field, offset: this.base + at });
  }

  need(n: number, field: string): void {
    if (this.bytes.length - this.o < n)
      this.fail('WIRE_TRUNCATED', `needs ${n} more bytes, ${this.bytes.length - this.o} remain`, field);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.o++] as number;
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.bytes;
    const v = ((b[this.o] as number) << 8) | (b[this.o + 1] as number);
    this.o += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const v =
      (b[this.o] as number) * 0x1000000 +
      (((b[this.o + 1] as number) << 16) | ((b[this.o + 2] as number) << 8) | (b[this.o + 3] as number));
    this.o += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const hi = this.u32(field);
    const lo = this.u32(field);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  f64(field: string): number {
    this.need(8, field);
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.o, 8).getFloat64(0);
    this.o += 8;
    return v;
  }

  /** A view of the next `n` bytes (no copy); callers that keep it copy it. */
  view(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.bytes.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }

  /** A copy of the next `n` bytes. */
  take(n: number, field: string): Uint8Array {
    return this.view(n, field).slice();
  }

  /** A copy of everything left. */
  rest(): Uint8Array {
    const v = this.bytes.slice(this.o);
    this.o = this.bytes.length;
    return v;
  }

  end(field: string): void {
    if (this.o !== this.bytes.length)
      this.fail('WIRE_TRAILING_BYTES', `${this.bytes.length - this.o} bytes left after the value`, field);
  }
}

export class Writer {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(256);
  private n = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  private room(k: number): void {
    if (this.n + k <= this.cur.length) return;
    this.chunks.push(this.cur.subarray(0, this.n));
    this.cur = new Uint8Array(Math.max(256, k));
    this.n = 0;
  }

  u8(v: number): void {
    this.room(1);
    this.cur[this.n++] = v;
    this.total += 1;
  }

  u16(v: number): void {
    this.room(2);
    this.cur[this.n++] = (v >>> 8) & 0xff;
    this.cur[this.n++] = v & 0xff;
    this.total += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.cur[this.n++] = (v >>> 24) & 0xff;
    this.cur[this.n++] = (v >>> 16) & 0xff;
    this.cur[this.n++] = (v >>> 8) & 0xff;
    this.cur[this.n++] = v & 0xff;
    this.total += 4;
  }

  u64(v: bigint): void {
    this.u32(Number(v >> 32n));
    this.u32(Number(v & 0xffffffffn));
  }

  f64(v: number): void {
    this.room(8);
    new DataView(this.cur.buffer, this.cur.byteOffset + this.n, 8).setFloat64(0, v);
    this.n += 8;
    this.total += 8;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.cur.set(b, this.n);
    this.n += b.length;
    this.total += b.length;
  }

  finish(): Uint8Array {
    if (this.chunks.length === 0) return this.cur.slice(0, this.n);
    const out = new Uint8Array(this.total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    out.set(this.cur.subarray(0, this.n), o);
    return out;
  }
}
