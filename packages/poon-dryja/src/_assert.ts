// Boundary asserters (STYLE.md §3) on @superscalar/core's `asserters`, throwing this package's
// InvalidArgumentError (CHANNEL_INVALID_ARGUMENT) with core's messages; the message names the argument.
import { asserters, MAX_MONEY } from '@superscalar/core';
import { InvalidArgumentError } from './errors.js';

const A = asserters((argument, message) => new InvalidArgumentError(argument, message));

export function assertBytes(v: unknown, name: string, len?: number): asserts v is Uint8Array {
  // Core's `bytes` returns a copy; only a failing value is handed to it (for its error).
  if (!(v instanceof Uint8Array) || (len !== undefined && v.length !== len)) A.bytes(v, len, name);
}

export function assertSats(v: unknown, name: string): asserts v is bigint {
  A.sats(v, name);
}

/** An amount in msat: 0..21e17 (the money supply × 1,000). */
export function assertMsat(v: unknown, name: string): asserts v is bigint {
  A.bigint(v, 0n, MAX_MONEY * 1000n, name);
}

export function assertInt(v: unknown, name: string, min: number, max: number): asserts v is number {
  A.int(v, min, max, name);
}

export function assertBigInt(v: unknown, name: string, min: bigint, max: bigint): asserts v is bigint {
  A.bigint(v, min, max, name);
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
