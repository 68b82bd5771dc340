// Boundary asserters (internal); byte helpers come from @superscalar/core. Messages name the argument.
import { InvalidArgumentError } from './errors.js';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/** Asserts a Uint8Array, of exactly `length` bytes when given. */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new InvalidArgumentError(name, `expected a Uint8Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length)
    throw new InvalidArgumentError(name, `expected ${length} bytes, got ${value.length}`);
}

export function assertObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null)
    throw new InvalidArgumentError(name, `expected an object, got ${describe(value)}`);
}
