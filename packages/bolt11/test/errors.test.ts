// The error pattern of @superscalar/core: every class tagged, `isInstance` exact, codes prefixed.
import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';
import { Bolt11Error, DecodeError, decodeInvoice, InvalidArgumentError } from '../src/index.js';

describe('errors', () => {
  it('every exported error class is tagged @superscalar/bolt11:<Name>', () => {
    expect(errorClassProblems(mod, 'bolt11')).toEqual([]);
  });

  it('isInstance is exact: a sibling class never matches, the base and SuperscalarError do', () => {
    const e = new DecodeError('checksum', 'x');
    expect(InvalidArgumentError.isInstance(e)).toBe(false);
    expect(DecodeError.isInstance(e)).toBe(true);
    expect(Bolt11Error.isInstance(e)).toBe(true);
    expect(SuperscalarError.isInstance(e)).toBe(true);
    expect(e.name).toBe('DecodeError');
  });

  it('codes are prefixed BOLT11_; a DecodeError carries its reason and field', () => {
    expect(new InvalidArgumentError('x', 'bad').code).toBe('BOLT11_INVALID_ARGUMENT');
    const d = new DecodeError('field-length', 'data_length 51', { field: 'p' });
    expect([d.code, d.reason, d.field]).toEqual(['BOLT11_DECODE', 'field-length', 'p']);
    expect(d.message).toContain('field p');
  });

  it('a non-string is an InvalidArgumentError naming `text`, garbage a DecodeError', () => {
    let thrown: unknown;
    try {
      decodeInvoice(42 as unknown as string);
    } catch (e) {
      thrown = e;
    }
    expect(InvalidArgumentError.isInstance(thrown)).toBe(true);
    expect((thrown as InvalidArgumentError).argument).toBe('text');
    expect(() => decodeInvoice('')).toThrow(DecodeError);
    expect(() => decodeInvoice('lnbc1qqqqqqqqq')).toThrow(DecodeError);
  });
});
