import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';
import {
  CounterExhaustedError,
  DecodeError,
  DwCounterError,
  ExhaustedError,
  InvalidArgumentError,
  InvalidDwParamsError,
  InvalidShapeError,
} from '../src/index.js';

describe('errors', () => {
  it('every exported error class is tagged @superscalar/dw-counter:<Name>', () => {
    expect(errorClassProblems(mod, 'dw-counter')).toEqual([]);
  });

  it('isInstance is exact: a sibling class never matches, the base and SuperscalarError do', () => {
    const e = new CounterExhaustedError();
    expect(ExhaustedError.isInstance(e)).toBe(false);
    expect(CounterExhaustedError.isInstance(e)).toBe(true);
    expect(DwCounterError.isInstance(e)).toBe(true);
    expect(SuperscalarError.isInstance(e)).toBe(true);
  });

  it('every error has its stable code, its class name and the package brand', () => {
    const all: [DwCounterError, string][] = [
      [new InvalidArgumentError('leaf', 'bad'), 'DW_INVALID_ARGUMENT'],
      [new InvalidDwParamsError('K', 1, 'bad'), 'DW_INVALID_PARAMS'],
      [new InvalidShapeError('bad', 3), 'DW_INVALID_SHAPE'],
      [new ExhaustedError(0, 1), 'DW_EXHAUSTED'],
      [new CounterExhaustedError(), 'DW_COUNTER_EXHAUSTED'],
      [new DecodeError('truncated', 4, 'bad'), 'DW_DECODE'],
    ];
    for (const [e, code] of all) {
      expect(e.code).toBe(code);
      expect(e.name).toBe(e.constructor.name);
      expect(DwCounterError.isInstance(e)).toBe(true);
    }
  });

  it('isInstance recognises the brand from another copy of the package, and nothing else', () => {
    // As another copy of the package makes it: core's brand and each class's kind tag, base first.
    let proto = Object.create(Error.prototype);
    Object.defineProperty(proto, Symbol.for('@superscalar/error'), { value: true });
    for (const kind of ['@superscalar/dw-counter:DwCounterError', '@superscalar/dw-counter:ExhaustedError']) {
      proto = Object.create(proto);
      Object.defineProperty(proto, Symbol.for('@superscalar/error-kind'), { value: kind });
    }
    const foreign = Object.create(proto);
    expect(DwCounterError.isInstance(foreign)).toBe(true);
    expect(ExhaustedError.isInstance(foreign)).toBe(true);
    expect(CounterExhaustedError.isInstance(foreign)).toBe(false);
    expect(DwCounterError.isInstance(new Error('x'))).toBe(false);
    expect(DwCounterError.isInstance(undefined)).toBe(false);
  });

  it('ExhaustedError says the factory must rotate and names the leaf and top node', () => {
    const e = new ExhaustedError(5, 2);
    expect(e.message).toMatch(/rotate/);
    expect({ leaf: e.leaf, topNode: e.topNode }).toEqual({ leaf: 5, topNode: 2 });
  });
});
