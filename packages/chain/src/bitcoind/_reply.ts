// Internal: decoding and shape validation of bitcoind JSON-RPC replies. Pure (no I/O), so the fuzz
// suite can drive it directly. Every deviation from the documented shape is a MalformedReply naming
// the field; nothing from a reply is used before it is checked.
import { MalformedReply, ReplyTooLarge, RpcError, WarmingUp } from '../errors.js';

/** A JSON value as parsed. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Largest reply accepted for any method (bytes): the `rpc()` escape hatch's bound. */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/**
 * The work one reply may cost, checked before anything is allocated for it: its size while it
 * streams in, then a linear pre-scan of nesting depth and tokens (`{`, `[`, strings and `,`) before
 * `JSON.parse`. Parsing cost grows with tokens (about 90 bytes of heap per empty object), so the
 * token bound is what keeps a hostile node from exhausting memory or blocking the event loop.
 */
export interface ReplyBounds {
  readonly bytes: number;
  readonly depth: number;
  readonly tokens: number;
}

const MiB = 1024 * 1024;
/** Small answers: chain info, a header, a hash, an estimate, a package result, a balance. */
const SMALL: ReplyBounds = { bytes: MiB, depth: 16, tokens: 50_000 };

/**
 * Per-method bounds, each above the largest legitimate answer:
 * - `getblock` is asked at verbosity 0: one hex string of a block of at most 4,000,000 bytes.
 * - `getrawtransaction` (verbose) of a transaction of at most 4 MB: hex plus its decoding. A
 *   non-standard mined transaction with over ~1M inputs, outputs or witness items would exceed the
 *   token bound; no standard transaction comes near it (400,000 weight units).
 * - `generatetodescriptor` of at most 100,000 blocks: that many hashes.
 */
const BOUNDS: Readonly<Record<string, ReplyBounds>> = {
  getblock: { bytes: 8 * MiB + 4096, depth: 4, tokens: 100 },
  getrawtransaction: { bytes: 32 * MiB, depth: 16, tokens: 3_000_000 },
  generatetodescriptor: { bytes: 8 * MiB, depth: 4, tokens: 250_000 },
};

/** Bounds of the `rpc()` escape hatch and of any method not listed. */
export const DEFAULT_BOUNDS: ReplyBounds = { bytes: MAX_REPLY_BYTES, depth: 64, tokens: 3_000_000 };

/** The bounds of a reply to `method`; `wrapped` is false for the `rpc()` escape hatch. */
export function boundsFor(method: string, wrapped: boolean): ReplyBounds {
  if (!wrapped) return DEFAULT_BOUNDS;
  return BOUNDS[method] ?? SMALL;
}

/**
 * Refuses a body over `bounds` with {@link ReplyTooLarge}, in one pass over its characters and before
 * anything is parsed or allocated. Strings are skipped (escapes included), so only JSON structure
 * counts toward the depth.
 */
export function preScan(method: string, body: string, bounds: ReplyBounds): void {
  if (body.length > bounds.bytes) throw new ReplyTooLarge(method, 'bytes', bounds.bytes);
  const maxDepth = bounds.depth;
  const maxTokens = bounds.tokens;
  let depth = 0;
  let tokens = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      tokens++;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new ReplyTooLarge(method, 'depth', maxDepth);
      tokens++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c) {
      tokens++;
    } else {
      continue;
    }
    if (tokens > maxTokens) throw new ReplyTooLarge(method, 'tokens', maxTokens);
  }
}

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
 * rooted at `result`, or throws {@link RpcError}/{@link WarmingUp}/{@link MalformedReply} (a
 * {@link ReplyTooLarge} before parsing when the body is over `bounds`).
 */
export function decodeReply(
  method: string,
  id: number,
  body: string,
  bounds: ReplyBounds = DEFAULT_BOUNDS,
): Shape {
  preScan(method, body, bounds);
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
