// Boundary asserters (internal). Messages name the argument path.
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

/** Asserts an array of Uint8Array of `length` bytes each; `min` is the least number of items. */
export function assertBytesArray(
  value: unknown,
  name: string,
  length: number,
  min = 0,
): asserts value is readonly Uint8Array[] {
  if (!Array.isArray(value))
    throw new InvalidArgumentError(name, `expected an array, got ${describe(value)}`);
  if (value.length < min) throw new InvalidArgumentError(name, `expected at least ${min} item(s), got 0`);
  if (value.length >= 2 ** 32) throw new InvalidArgumentError(name, 'expected fewer than 2^32 items');
  for (let i = 0; i < value.length; i++) assertBytes(value[i], `${name}[${i}]`, length);
}

/** Asserts an array of booleans. */
export function assertBoolArray(value: unknown, name: string): asserts value is readonly boolean[] {
  if (!Array.isArray(value))
    throw new InvalidArgumentError(name, `expected an array, got ${describe(value)}`);
  for (let i = 0; i < value.length; i++)
    if (typeof value[i] !== 'boolean')
      throw new InvalidArgumentError(`${name}[${i}]`, `expected a boolean, got ${describe(value[i])}`);
}

/** Asserts tweaks (32-byte each) and their is-x-only flags, of equal length. */
export function assertTweaks(tweaks: unknown, isXonly: unknown, name = 'tweaks'): void {
  assertBytesArray(tweaks, name, 32);
  assertBoolArray(isXonly, 'isXonly');
  if (tweaks.length !== isXonly.length)
    throw new InvalidArgumentError(
      'isXonly',
      `expected one flag per tweak (${tweaks.length}), got ${isXonly.length}`,
    );
}

/** Asserts a non-negative safe integer below `max` (exclusive). */
export function assertIndex(value: unknown, name: string, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= max)
    throw new InvalidArgumentError(name, `expected an integer in [0, ${max}), got ${describe(value)}`);
}

/** Asserts a function. */
export function assertFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function')
    throw new InvalidArgumentError(name, `expected a function, got ${describe(value)}`);
}

/** Asserts a plain object (options bags). */
export function assertObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidArgumentError(name, `expected an object, got ${describe(value)}`);
}
