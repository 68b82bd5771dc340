import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';
import {
  DecodeError,
  EnvelopeCorruptedError,
  EnvelopeTruncatedError,
  EnvelopeVersionError,
  InvalidArgumentError,
  InvalidExtendedKeyError,
  InvalidMnemonicError,
  KeychainWipedError,
  KeyfileVerifyError,
  KeysError,
  WeakKdfError,
  WrongPassphraseError,
} from '../src/index.js';

describe('errors', () => {
  const all: [KeysError, string][] = [
    [new InvalidArgumentError('x', 'bad'), 'KEYS_INVALID_ARGUMENT'],
    [new InvalidMnemonicError('checksum', 'bad'), 'KEYS_INVALID_MNEMONIC'],
    [new EnvelopeTruncatedError(10, 5), 'KEYS_ENVELOPE_TRUNCATED'],
    [new EnvelopeCorruptedError('checksum', 'bad'), 'KEYS_ENVELOPE_CORRUPTED'],
    [new EnvelopeVersionError(2), 'KEYS_ENVELOPE_UNKNOWN_VERSION'],
    [new WeakKdfError({ log2N: 10, r: 8, p: 1 }, 'x'), 'KEYS_ENVELOPE_WEAK_KDF'],
    [new WrongPassphraseError(), 'KEYS_WRONG_PASSPHRASE'],
    [new KeyfileVerifyError('bad'), 'KEYS_KEYFILE_VERIFY_FAILED'],
    [new InvalidExtendedKeyError('bad'), 'KEYS_INVALID_EXTENDED_KEY'],
    [new KeychainWipedError(), 'KEYS_KEYCHAIN_WIPED'],
  ];

  it('every error has its stable code, its class name and the package brand', () => {
    for (const [e, code] of all) {
      expect(e.code).toBe(code);
      expect(e.name).toBe(e.constructor.name);
      expect(KeysError.isInstance(e)).toBe(true);
      expect(e).toBeInstanceOf(Error);
    }
  });

  it('every exported error class is tagged @superscalar/keys:<Name>', () => {
    expect(errorClassProblems(mod, 'keys')).toEqual([]);
  });

  it('isInstance is exact: a sibling class never matches; the envelope and extended-key errors are DecodeErrors', () => {
    const wrong = new WrongPassphraseError();
    expect(EnvelopeCorruptedError.isInstance(wrong)).toBe(false);
    expect(DecodeError.isInstance(wrong)).toBe(false);
    expect(WrongPassphraseError.isInstance(wrong)).toBe(true);
    expect(KeysError.isInstance(wrong)).toBe(true);
    expect(SuperscalarError.isInstance(wrong)).toBe(true);
    for (const e of [
      new EnvelopeTruncatedError(10, 5),
      new EnvelopeCorruptedError('checksum', 'bad'),
      new EnvelopeVersionError(2),
      new InvalidExtendedKeyError('bad'),
    ]) {
      expect(DecodeError.isInstance(e)).toBe(true);
      expect(e.code).toMatch(/^KEYS_/);
    }
    expect(EnvelopeTruncatedError.isInstance(new EnvelopeCorruptedError('checksum', 'bad'))).toBe(false);
    expect(new DecodeError('bad').code).toBe('KEYS_DECODE');
  });

  it('isInstance recognises the brand from another copy of the package, and nothing else', () => {
    // As another copy of the package makes it: core's brand and each class's kind tag, base first.
    let proto = Object.create(Error.prototype);
    Object.defineProperty(proto, Symbol.for('@superscalar/error'), { value: true });
    for (const kind of ['@superscalar/keys:KeysError', '@superscalar/keys:WrongPassphraseError']) {
      proto = Object.create(proto);
      Object.defineProperty(proto, Symbol.for('@superscalar/error-kind'), { value: kind });
    }
    const foreign = Object.create(proto);
    expect(KeysError.isInstance(foreign)).toBe(true);
    expect(WrongPassphraseError.isInstance(foreign)).toBe(true);
    expect(DecodeError.isInstance(foreign)).toBe(false);
    expect(KeysError.isInstance(new Error('x'))).toBe(false);
    expect(KeysError.isInstance(null)).toBe(false);
    expect(KeysError.isInstance({ code: 'KEYS_WRONG_PASSPHRASE' })).toBe(false);
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new InvalidExtendedKeyError('bad', { cause }).cause).toBe(cause);
  });
});
