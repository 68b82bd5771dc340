// Boundary asserters (internal). Messages name the argument.
import { InvalidArgumentError } from './errors.js';

/** Largest valid index: 2^48 − 1, the first secret a sender uses. */
export const MAX_INDEX = 2 ** 48 - 1;

export function assertBytes(value: unknown, length: number, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new InvalidArgumentError(name, `expected a Uint8Array, got ${describe(value)}`);
  if (value.length !== length)
    throw new InvalidArgumentError(name, `expected ${length} bytes, got ${value.length}`);
}

export function assertIndex(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_INDEX)
    throw new InvalidArgumentError(
      name,
      `expected an integer in [0, 2^48 - 1] (a number, not a bigint), got ${describe(value)}`,
    );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}
