// Small boundary asserters; messages name the argument path.
import { InvalidArgumentError } from './errors.js';

export function assertBytes(v: unknown, name: string, len?: number): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) throw new InvalidArgumentError(name, 'expected a Uint8Array');
  if (len !== undefined && v.length !== len)
    throw new InvalidArgumentError(name, `expected ${len} bytes, got ${v.length}`);
}

export function assertSats(v: unknown, name: string): asserts v is bigint {
  if (typeof v !== 'bigint') throw new InvalidArgumentError(name, 'expected a bigint amount in sats');
  if (v < 0n || v > 2_100_000_000_000_000n)
    throw new InvalidArgumentError(name, `expected 0..21e14 sats, got ${v}`);
}

export function assertMsat(v: unknown, name: string): asserts v is bigint {
  if (typeof v !== 'bigint') throw new InvalidArgumentError(name, 'expected a bigint amount in msat');
  if (v < 0n || v > 2_100_000_000_000_000_000n)
    throw new InvalidArgumentError(name, `expected 0..21e17 msat, got ${v}`);
}

export function assertInt(v: unknown, name: string, min: number, max: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidArgumentError(name, `expected an integer in ${min}..${max}, got ${String(v)}`);
}

export function assertBigInt(v: unknown, name: string, min: bigint, max: bigint): asserts v is bigint {
  if (typeof v !== 'bigint' || v < min || v > max)
    throw new InvalidArgumentError(name, `expected a bigint in ${min}..${max}, got ${String(v)}`);
}

export function assertObject(v: unknown, name: string): asserts v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) throw new InvalidArgumentError(name, 'expected an object');
}

/** A fee rate: integer sat/kvB. */
export function assertFeeRate(v: unknown, name: string): asserts v is number {
  assertInt(v, name, 0, 100_000_000);
}

/** Checks a destination scriptPubKey. */
export function assertDestination(script: unknown, name: string): asserts script is Uint8Array {
  assertBytes(script, name);
  if (script.length === 0 || script.length > 10_000)
    throw new InvalidArgumentError(name, 'expected a scriptPubKey of 1..10,000 bytes');
}
