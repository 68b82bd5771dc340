import { describe, expect, it } from 'vitest';
import {
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
    [new InvalidArgumentError('x', 'bad'), 'INVALID_ARGUMENT'],
    [new InvalidMnemonicError('checksum', 'bad'), 'INVALID_MNEMONIC'],
    [new EnvelopeTruncatedError(10, 5), 'ENVELOPE_TRUNCATED'],
    [new EnvelopeCorruptedError('checksum', 'bad'), 'ENVELOPE_CORRUPTED'],
    [new EnvelopeVersionError(2), 'ENVELOPE_UNKNOWN_VERSION'],
    [new WeakKdfError({ log2N: 10, r: 8, p: 1 }, 'x'), 'ENVELOPE_WEAK_KDF'],
    [new WrongPassphraseError(), 'WRONG_PASSPHRASE'],
    [new KeyfileVerifyError('bad'), 'KEYFILE_VERIFY_FAILED'],
    [new InvalidExtendedKeyError('bad'), 'INVALID_EXTENDED_KEY'],
    [new KeychainWipedError(), 'KEYCHAIN_WIPED'],
  ];

  it('every error has its stable code, its class name and the package brand', () => {
    for (const [e, code] of all) {
      expect(e.code).toBe(code);
      expect(e.name).toBe(e.constructor.name);
      expect(KeysError.isInstance(e)).toBe(true);
      expect(e).toBeInstanceOf(Error);
    }
  });

  it('isInstance recognises the brand from another copy of the package, and nothing else', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('@superscalar/keys/error')]: true });
    expect(KeysError.isInstance(foreign)).toBe(true);
    expect(KeysError.isInstance(new Error('x'))).toBe(false);
    expect(KeysError.isInstance(null)).toBe(false);
    expect(KeysError.isInstance({ code: 'WRONG_PASSPHRASE' })).toBe(false);
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new InvalidExtendedKeyError('bad', { cause }).cause).toBe(cause);
  });
});
