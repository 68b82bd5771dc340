/**
 * The project's one txid convention. A txid in a public field or parameter named `txid` is
 * display-order hex (64 lower-case characters: what Bitcoin Core prints and RPCs take); the 32 bytes in
 * internal order (what transactions serialize, hashes produce) are named `txidBytes`. An outpoint is
 * {@link OutPoint}. {@link txidBytes} and {@link displayHex} convert, and throw
 * {@link InvalidArgumentError} (never anything else, never `undefined`) on bad input.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/** A transaction output's reference: its transaction's display-order hex txid and its index. */
export interface OutPoint {
  /** Display-order hex txid (64 lower-case characters). */
  readonly txid: string;
  /** Output index. */
  readonly vout: number;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Internal-order bytes of a display-order hex txid (either case accepted).
 *
 * @param argument names the argument in the error (`funding.txid`).
 * @throws {InvalidArgumentError} unless `txid` is a string of 64 hex characters.
 */
export function txidBytes(txid: string, argument = 'txid'): Uint8Array {
  if (typeof txid !== 'string' || txid.length !== 64)
    throw new InvalidArgumentError(argument, 'expected 64 hex characters (display-order txid)');
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    const hi = nibble(txid.charCodeAt(2 * i));
    const lo = nibble(txid.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0)
      throw new InvalidArgumentError(argument, 'expected 64 hex characters (display-order txid)');
    out[31 - i] = (hi << 4) | lo;
  }
  return out;
}

/**
 * Display-order lower-case hex of an internal-order 32-byte hash (a txid, wtxid or block hash).
 *
 * @param argument names the argument in the error (`parent.txidBytes`).
 * @throws {InvalidArgumentError} unless `bytes` is a 32-byte `Uint8Array`.
 */
export function displayHex(bytes: Uint8Array, argument = 'txidBytes'): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32)
    throw new InvalidArgumentError(argument, 'expected 32 bytes (internal-order txid)');
  let s = '';
  for (let i = 31; i >= 0; i--) s += HEX[bytes[i] as number];
  return s;
}

/** True when `x` is a display-order txid as the convention writes it: 64 lower-case hex characters. */
export function isTxid(x: unknown): x is string {
  return typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);
}
