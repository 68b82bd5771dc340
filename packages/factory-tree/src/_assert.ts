// Boundary asserters (STYLE.md §3) on @superscalar/core's `asserters`, throwing this package's
// InvalidArgumentError (TREE_INVALID_ARGUMENT) with core's messages; the message names the argument.
import { asserters } from '@superscalar/core';
import { InvalidArgumentError } from './errors.js';

const A = asserters((argument, message) => new InvalidArgumentError(argument, message));

export function assertBytes(v: unknown, name: string, len?: number): asserts v is Uint8Array {
  // Core's `bytes` returns a copy; only a failing value is handed to it (for its error).
  if (!(v instanceof Uint8Array) || (len !== undefined && v.length !== len)) A.bytes(v, len, name);
}

export function assertSats(v: unknown, name: string): asserts v is bigint {
  A.sats(v, name);
}

export function assertInt(v: unknown, name: string, min: number, max: number): asserts v is number {
  A.int(v, min, max, name);
}

export function assertObject(v: unknown, name: string): asserts v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) throw new InvalidArgumentError(name, 'expected an object');
}

/** A `FactoryTree` from `buildTree` (checked shallowly: the package trusts what it built). */
export function assertTree(v: unknown, name = 'tree'): void {
  if (typeof v !== 'object' || v === null || !('proposal' in v) || !('layout' in v) || !('txs' in v))
    throw new InvalidArgumentError(name, 'expected a FactoryTree (buildTree)');
}

/** Checks the fields a `FactoryOutline` reads (a `FactoryTree` or a `ClientPath`). */
export function assertOutline(v: unknown, name = 'tree'): void {
  if (
    typeof v !== 'object' ||
    v === null ||
    !('proposal' in v) ||
    !('layout' in v) ||
    !('keys' in v) ||
    !('funding' in v)
  )
    throw new InvalidArgumentError(
      name,
      'expected a FactoryTree (buildTree) or a ClientPath (buildClientPath)',
    );
}
