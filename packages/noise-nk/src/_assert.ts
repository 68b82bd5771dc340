// Boundary asserters (internal). Messages name the argument path.
import { asserters } from '@superscalar/core';
import { InvalidArgumentError } from './errors.js';

/** `@superscalar/core`'s asserters, throwing this package's {@link InvalidArgumentError}. */
export const check = asserters((argument, message) => new InvalidArgumentError(argument, message));

/**
 * A type check that does not copy, for the per-frame paths (messages up to 64 KiB): core's
 * `check.bytes` returns a copy, which those paths must not pay for.
 */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new InvalidArgumentError(name, `expected a Uint8Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length)
    throw new InvalidArgumentError(name, `expected ${length} bytes, got ${value.length}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

export const EMPTY = new Uint8Array(0);
