import { describe, expect, it } from 'vitest';
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
  it('every error has its stable code, its class name and the package brand', () => {
    const all: [DwCounterError, string][] = [
      [new InvalidArgumentError('leaf', 'bad'), 'INVALID_ARGUMENT'],
      [new InvalidDwParamsError('K', 1, 'bad'), 'INVALID_DW_PARAMS'],
      [new InvalidShapeError('bad', 3), 'INVALID_SHAPE'],
      [new ExhaustedError(0, 1), 'EXHAUSTED'],
      [new CounterExhaustedError(), 'COUNTER_EXHAUSTED'],
      [new DecodeError('truncated', 4, 'bad'), 'DECODE_ERROR'],
    ];
    for (const [e, code] of all) {
      expect(e.code).toBe(code);
      expect(e.name).toBe(e.constructor.name);
      expect(DwCounterError.isInstance(e)).toBe(true);
    }
  });

  it('isInstance recognises the brand from another copy of the package, and nothing else', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('@superscalar/dw-counter/error')]: true });
    expect(DwCounterError.isInstance(foreign)).toBe(true);
    expect(DwCounterError.isInstance(new Error('x'))).toBe(false);
    expect(DwCounterError.isInstance(undefined)).toBe(false);
  });

  it('ExhaustedError says the factory must rotate and names the leaf and top node', () => {
    const e = new ExhaustedError(5, 2);
    expect(e.message).toMatch(/rotate/);
    expect({ leaf: e.leaf, topNode: e.topNode }).toEqual({ leaf: 5, topNode: 2 });
  });
});
