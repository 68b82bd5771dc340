// Boundary asserters (internal). Messages name the argument.
import { InvalidArgumentError } from './errors.js';

export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new InvalidArgumentError(name, `expected a Uint8Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length)
    throw new InvalidArgumentError(name, `expected ${length} bytes, got ${value.length}`);
}

export function assertPositiveInt(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError(name, `expected a positive integer, got ${describe(value)}`);
}

export function assertFunction(value: unknown, name: string): void {
  if (typeof value !== 'function')
    throw new InvalidArgumentError(name, `expected a function, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

export const EMPTY = new Uint8Array(0);

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
