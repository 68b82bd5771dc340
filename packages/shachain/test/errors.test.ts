// The error pattern of @superscalar/core: every class tagged, `isInstance` exact, codes prefixed.
import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';
import {
  DecodeError,
  InconsistentSecretError,
  InvalidArgumentError,
  ShachainError,
  UnexpectedIndexError,
} from '../src/index.js';

describe('errors', () => {
  it('every exported error class is tagged @superscalar/shachain:<Name>', () => {
    expect(errorClassProblems(mod, 'shachain')).toEqual([]);
  });

  it('isInstance is exact: a sibling class never matches, the base and SuperscalarError do', () => {
    const e = new UnexpectedIndexError(5, 6);
    expect(InconsistentSecretError.isInstance(e)).toBe(false);
    expect(DecodeError.isInstance(e)).toBe(false);
    expect(UnexpectedIndexError.isInstance(e)).toBe(true);
    expect(ShachainError.isInstance(e)).toBe(true);
    expect(SuperscalarError.isInstance(e)).toBe(true);
    expect(e.name).toBe('UnexpectedIndexError');
  });

  it('every code is prefixed SHACHAIN_, and a decode failure is DecodeError SHACHAIN_DECODE', () => {
    const all: [ShachainError, string][] = [
      [new InvalidArgumentError('x', 'bad'), 'SHACHAIN_INVALID_ARGUMENT'],
      [new InconsistentSecretError(1, 2), 'SHACHAIN_INCONSISTENT_SECRET'],
      [new UnexpectedIndexError(1, 2), 'SHACHAIN_UNEXPECTED_INDEX'],
      [new DecodeError('x'), 'SHACHAIN_DECODE'],
    ];
    for (const [e, code] of all) expect(e.code).toBe(code);
    let thrown: unknown;
    try {
      mod.ShachainStore.decode(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0));
    } catch (e) {
      thrown = e;
    }
    expect(DecodeError.isInstance(thrown)).toBe(true);
  });
});
