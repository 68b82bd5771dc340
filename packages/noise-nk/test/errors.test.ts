// The error pattern of issue 16: every class is a SuperscalarError of core, tagged so that
// `Sub.isInstance` is exact, with NOISE_-prefixed codes; decode failures are DecodeErrors.
import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';
import {
  BadMacError,
  ConnectionClosedError,
  DecodeError,
  HandshakeError,
  InvalidArgumentError,
  NoiseError,
  RateLimitedError,
} from '../src/index.js';

describe('errors', () => {
  it('every exported error class is tagged @superscalar/noise-nk:<Name>', () => {
    expect(errorClassProblems(mod, 'noise-nk')).toEqual([]);
  });

  it('isInstance is exact: siblings never match, subclasses match their ancestors', () => {
    const hs = new HandshakeError(1, 'bad_tag', 'x');
    expect(HandshakeError.isInstance(hs)).toBe(true);
    expect(DecodeError.isInstance(hs)).toBe(true);
    expect(NoiseError.isInstance(hs)).toBe(true);
    expect(SuperscalarError.isInstance(hs)).toBe(true);
    expect(BadMacError.isInstance(hs)).toBe(false);
    expect(RateLimitedError.isInstance(hs)).toBe(false);
    const closed = new ConnectionClosedError();
    expect(DecodeError.isInstance(closed)).toBe(false);
    expect(NoiseError.isInstance(new Error('x'))).toBe(false);
  });

  it('codes carry the NOISE_ prefix; names survive; a bad argument names its path', () => {
    const e = new InvalidArgumentError('options.localStatic', 'expected 32 bytes');
    expect(e.code).toBe('NOISE_INVALID_ARGUMENT');
    expect(e.argument).toBe('options.localStatic');
    expect(e.name).toBe('InvalidArgumentError');
    expect(new BadMacError('body').code).toBe('NOISE_BAD_MAC');
    expect(new DecodeError('NOISE_DECODE', 'text message').action).toBe('disconnect');
    expect(() => mod.Handshake.initiator(null as never)).toThrow(InvalidArgumentError);
  });
});
