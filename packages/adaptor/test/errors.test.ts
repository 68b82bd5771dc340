// The error pattern of @superscalar/core: every class tagged, `isInstance` exact, codes prefixed.
import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';
import {
  AdaptorError,
  InvalidArgumentError,
  InvalidPresignatureError,
  SignatureMismatchError,
  SigningFailedError,
} from '../src/index.js';

describe('errors', () => {
  it('every exported error class is tagged @superscalar/adaptor:<Name>', () => {
    expect(errorClassProblems(mod, 'adaptor')).toEqual([]);
  });

  it('isInstance is exact: a sibling class never matches, the base and SuperscalarError do', () => {
    const e = new SignatureMismatchError('x');
    expect(InvalidPresignatureError.isInstance(e)).toBe(false);
    expect(SignatureMismatchError.isInstance(e)).toBe(true);
    expect(AdaptorError.isInstance(e)).toBe(true);
    expect(SuperscalarError.isInstance(e)).toBe(true);
    expect(e.name).toBe('SignatureMismatchError');
  });

  it('every code is prefixed ADAPTOR_', () => {
    for (const e of [
      new InvalidArgumentError('x', 'bad'),
      new InvalidPresignatureError('x'),
      new SignatureMismatchError('x'),
      new SigningFailedError('x'),
    ])
      expect(e.code).toMatch(/^ADAPTOR_[A-Z_]+$/);
  });

  it('presigVerify takes one options object and names the argument it refuses', () => {
    const e = (() => {
      try {
        mod.presigVerify({
          msg: new Uint8Array(32),
          adaptor: new Uint8Array(33),
          pubkey: new Uint8Array(31),
          presig: new Uint8Array(65),
        });
      } catch (err) {
        return err;
      }
    })();
    expect(InvalidArgumentError.isInstance(e)).toBe(true);
    expect((e as InvalidArgumentError).argument).toBe('options.pubkey');
  });
});
