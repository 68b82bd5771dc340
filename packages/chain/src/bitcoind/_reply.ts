// Internal: decoding and shape validation of bitcoind JSON-RPC replies. Pure (no I/O), so the fuzz
// suite can drive it directly. Every deviation from the documented shape is a MalformedReply naming
// the field; nothing from a reply is used before it is checked.
import { MalformedReply, RpcError, WarmingUp } from '../errors.js';

/** A JSON value as parsed. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Largest reply accepted (bytes); `getblock` at verbosity 2 of a full block is far below. */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** Field accessors that throw {@link MalformedReply} with the path. */
export class Shape {
  constructor(
    readonly method: string,
    readonly value: unknown,
    readonly path: string,
  ) {}

  private bad(problem: string): never {
    throw new MalformedReply(this.method, this.path, problem);
  }

  obj(): Shape {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value))
      this.bad('expected an object');
    return this;
  }

  /** A field of an object (`undefined` value if absent). */
  at(key: string): Shape {
    this.obj();
    const v = Object.hasOwn(this.value as object, key)
      ? (this.value as Record<string, unknown>)[key]
      : undefined;
    return new Shape(this.method, v, `${this.path}.${key}`);
  }

  has(key: string): boolean {
    this.obj();
    return (
      Object.hasOwn(this.value as object, key) && (this.value as Record<string, unknown>)[key] !== undefined
    );
  }

  isNull(): boolean {
    return this.value === null;
  }

  str(): string {
    if (typeof this.value !== 'string') this.bad('expected a string');
    return this.value as string;
  }

  bool(): boolean {
    if (typeof this.value !== 'boolean') this.bad('expected a boolean');
    return this.value as boolean;
  }

  /** A safe integer within [min, max]. */
  int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.value;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.bad('expected an integer');
    if ((v as number) < min || (v as number) > max) this.bad(`expected an integer in [${min}, ${max}]`);
    return v as number;
  }

  /** A finite number ≥ 0. */
  nonNegative(): number {
    const v = this.value;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      this.bad('expected a finite non-negative number');
    return v as number;
  }

  /** 64 lowercase hex characters (a txid or block hash). */
  hash(): string {
    const s = this.str();
    if (!/^[0-9a-f]{64}$/.test(s)) this.bad('expected 64 lowercase hex characters');
    return s;
  }

  /** Even-length hex, decoded. */
  hexBytes(maxBytes = MAX_REPLY_BYTES): Uint8Array {
    const s = this.str();
    if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) this.bad('expected even-length hex');
    if (s.length / 2 > maxBytes) this.bad('hex too long');
    const out = new Uint8Array(s.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(i * 2, i * 2 + 2), 16);
    return out;
  }

  /** A BTC amount (JSON number with ≤ 8 decimals, in [0, 21e6]) as sats. */
  btcSats(): bigint {
    const v = this.nonNegative();
    if (v > 21_000_000) this.bad('amount above 21 million BTC');
    const sats = Math.round(v * 1e8);
    // Doubles carry ~16 significant digits: allow rounding noise, refuse sub-satoshi precision.
    const tolerance = sats < 1e12 ? 1e-3 : 0.5;
    if (Math.abs(sats - v * 1e8) > tolerance) this.bad('amount with more than 8 decimals');
    return BigInt(sats);
  }

  arr(maxLength = 1_000_000): Shape[] {
    if (!Array.isArray(this.value)) this.bad('expected an array');
    const a = this.value as unknown[];
    if (a.length > maxLength) this.bad(`array longer than ${maxLength}`);
    return a.map((v, i) => new Shape(this.method, v, `${this.path}[${i}]`));
  }

  /** Keys of an object (own, enumerable). */
  keys(): string[] {
    this.obj();
    return Object.keys(this.value as object);
  }
}

/** JSON-RPC error codes with a specific meaning to this client. */
export const RPC_IN_WARMUP = -28;

/**
 * Decodes a JSON-RPC 1.0 reply body for request `id`: returns the result as a {@link Shape}
 * rooted at `result`, or throws {@link RpcError}/{@link WarmingUp}/{@link MalformedReply}.
 */
export function decodeReply(method: string, id: number, body: string): Shape {
  if (body.length > MAX_REPLY_BYTES) throw new MalformedReply(method, 'body', 'reply too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    throw new MalformedReply(method, 'body', 'not JSON', { cause: e });
  }
  const root = new Shape(method, parsed, 'reply').obj();
  const idField = root.at('id');
  if (idField.value !== id) throw new MalformedReply(method, 'reply.id', `expected ${id}`);
  const err = root.at('error');
  if (err.value !== null && err.value !== undefined) {
    const code = err.at('code').int(-1_000_000, 1_000_000);
    const message = err.at('message').str();
    if (code === RPC_IN_WARMUP) throw new WarmingUp(message);
    throw new RpcError(method, code, message.slice(0, 10_000));
  }
  if (!Object.hasOwn(parsed as object, 'result')) throw new MalformedReply(method, 'reply.result', 'missing');
  return new Shape(method, root.at('result').value, 'result');
}
