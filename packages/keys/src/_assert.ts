// Small boundary asserters. Internal: not exported from the package.
import type { Rng } from '@superscalar/core';
import { InvalidArgumentError } from './errors.js';

/** Asserts `value` is a Uint8Array (of `length` bytes when given) and returns a copy. */
export function bytes(value: unknown, name: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(name, 'expected a Uint8Array');
  if (length !== undefined && value.length !== length)
    throw new InvalidArgumentError(name, `expected ${length} bytes, got ${value.length}`);
  return Uint8Array.from(value);
}

/** Asserts `value` is an integer in [min, max]. */
export function int(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new InvalidArgumentError(name, `expected an integer in ${min}..${max}, got ${String(value)}`);
  return value;
}

/** Asserts a hardened-derivable BIP32 index: an integer in 0..2^31-1. */
export function index(value: unknown, name: string): number {
  return int(value, name, 0, 0x7fff_ffff);
}

/** True when the string has no lone UTF-16 surrogate (so it has a UTF-8 encoding). */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** Asserts a string with a UTF-8 encoding. */
export function text(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(name, 'expected a string');
  if (!isWellFormed(value)) throw new InvalidArgumentError(name, 'contains a lone UTF-16 surrogate');
  return value;
}

/** Calls an injected rng and checks it returned exactly `n` bytes. */
export function randomFrom(rng: Rng, n: number, name: string): Uint8Array {
  const out = rng(n);
  if (!(out instanceof Uint8Array) || out.length !== n)
    throw new InvalidArgumentError(name, `rng(${n}) must return ${n} bytes`);
  return Uint8Array.from(out);
}
