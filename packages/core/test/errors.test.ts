import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import { InvalidArgumentError, kindOf, SuperscalarError, tagError } from '../src/index.js';
import { errorClassProblems } from '../src/testing/index.js';

class AError extends SuperscalarError<'X_A' | 'X_B'> {}
tagError(AError, '@superscalar/x:AError');
class BError extends AError {
  constructor() {
    super('X_B', 'b');
  }
}
tagError(BError, '@superscalar/x:BError');
class CError extends AError {
  constructor() {
    super('X_A', 'c');
  }
}
tagError(CError, '@superscalar/x:CError');
class Untagged extends SuperscalarError {}

describe('SuperscalarError.isInstance', () => {
  it('is exact: a sibling never matches, a subclass matches its ancestors', () => {
    const b = new BError();
    expect(BError.isInstance(b)).toBe(true);
    expect(AError.isInstance(b)).toBe(true);
    expect(SuperscalarError.isInstance(b)).toBe(true);
    expect(CError.isInstance(b)).toBe(false);
    expect(BError.isInstance(new CError())).toBe(false);
  });

  it('matches across copies of a package (same kind tag, different class objects)', () => {
    class BCopy extends SuperscalarError {
      constructor() {
        super('X_B', 'copy');
      }
    }
    tagError(BCopy, '@superscalar/x:BError');
    expect(BError.isInstance(new BCopy())).toBe(true);
    expect(new BCopy() instanceof BError).toBe(false);
  });

  it('rejects non-errors and plain errors', () => {
    for (const x of [null, undefined, 1, 'X_B', {}, new Error('x'), { code: 'X_B' }]) {
      expect(SuperscalarError.isInstance(x)).toBe(false);
      expect(BError.isInstance(x)).toBe(false);
    }
  });

  it('throws on an untagged class (a programming error, not a silent false)', () => {
    expect(() => Untagged.isInstance(new BError())).toThrow(TypeError);
  });

  it('names errors after their kind and keeps code and cause', () => {
    const cause = new Error('root');
    const e = new AError('X_A', 'msg', { cause });
    expect(e.name).toBe('AError');
    expect(e.code).toBe('X_A');
    expect(e.cause).toBe(cause);
    expect(kindOf(new BError())).toBe('@superscalar/x:BError');
  });

  it('refuses malformed and duplicate tags', () => {
    class D extends SuperscalarError {}
    expect(() => tagError(D, 'D')).toThrow(TypeError);
    tagError(D, '@superscalar/x:D');
    expect(() => tagError(D, '@superscalar/x:D')).toThrow(TypeError);
  });

  it("core's own classes pass the module check; an untagged export is reported", () => {
    expect(errorClassProblems(core as unknown as Record<string, unknown>, 'core')).toEqual([]);
    expect(errorClassProblems({ Untagged }, 'x')).toEqual([
      "Untagged: not tagged (tagError(Untagged, '@superscalar/x:Untagged'))",
    ]);
    expect(errorClassProblems({ BError }, 'x')).toEqual([]);
    expect(errorClassProblems({ Renamed: BError }, 'x')).toEqual(["Renamed: tagged '@superscalar/x:BError'"]);
  });

  it('InvalidArgumentError names the argument', () => {
    const e = new InvalidArgumentError('clients[3].key', 'expected 33 bytes');
    expect(e.code).toBe('CORE_INVALID_ARGUMENT');
    expect(e.argument).toBe('clients[3].key');
    expect(e.message).toBe('clients[3].key: expected 33 bytes');
  });
});

describe('isInstance detached', () => {
  it('says how to call it instead of failing obscurely', () => {
    const detached = BError.isInstance as unknown as (x: unknown) => boolean;
    expect(() => detached(new BError())).toThrow(/detached/);
  });
});
