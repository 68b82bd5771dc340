/**
 * Typed errors of `@superscalar/keys`.
 *
 * Every error is a {@link KeysError} (a `SuperscalarError` of `@superscalar/core`) with a stable
 * string `code` prefixed `KEYS_`. Every class is tagged, so `Cls.isInstance(x)` is exact (a sibling
 * class never matches) and works across duplicated copies of the package (where `instanceof` would
 * not). Bytes or strings that do not decode are a {@link DecodeError} (one subclass per cause).
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/** Codes of the {@link DecodeError} family: damaged or unknown bytes and strings. */
export type KeysDecodeErrorCode =
  | 'KEYS_DECODE'
  | 'KEYS_ENVELOPE_TRUNCATED'
  | 'KEYS_ENVELOPE_CORRUPTED'
  | 'KEYS_ENVELOPE_UNKNOWN_VERSION'
  | 'KEYS_INVALID_EXTENDED_KEY';

/** Stable machine-readable codes of every error this package throws. */
export type KeysErrorCode =
  | 'KEYS_INVALID_ARGUMENT'
  | 'KEYS_INVALID_MNEMONIC'
  | KeysDecodeErrorCode
  | 'KEYS_ENVELOPE_WEAK_KDF'
  | 'KEYS_WRONG_PASSPHRASE'
  | 'KEYS_KEYFILE_VERIFY_FAILED'
  | 'KEYS_KEYCHAIN_WIPED';

/** Base class of every error thrown by `@superscalar/keys`. Switch on `code`, never on the message. */
export class KeysError extends SuperscalarError<KeysErrorCode> {}
tagError(KeysError, '@superscalar/keys:KeysError');

/** An argument failed validation at the API boundary; `argument` names it (e.g. `options.kdf.log2N`). */
export class InvalidArgumentError extends KeysError {
  /** The argument path that was wrong. */
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('KEYS_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/keys:InvalidArgumentError');

/** Why a mnemonic was rejected. */
export type MnemonicProblem = 'word-count' | 'unknown-word' | 'checksum' | 'encoding';

/**
 * A BIP39 mnemonic was rejected. `problem` says why; for `unknown-word`, `wordIndex` is the 0-based
 * position of the first word not in the wordlist. The mnemonic itself is never put in the message.
 */
export class InvalidMnemonicError extends KeysError {
  /** What is wrong with the mnemonic. */
  readonly problem: MnemonicProblem;
  /** 0-based index of the offending word, for `unknown-word`. */
  readonly wordIndex: number | undefined;
  constructor(problem: MnemonicProblem, message: string, wordIndex?: number, options?: { cause?: unknown }) {
    super('KEYS_INVALID_MNEMONIC', message, options);
    this.problem = problem;
    this.wordIndex = wordIndex;
  }
}
tagError(InvalidMnemonicError, '@superscalar/keys:InvalidMnemonicError');

/**
 * Bytes or a string that do not decode. The envelope and extended-key errors below are its
 * subclasses, one per cause, each with its own code; match `DecodeError.isInstance(x)` for all of them.
 */
export class DecodeError extends KeysError {
  constructor(message: string, options?: { cause?: unknown }, code: KeysDecodeErrorCode = 'KEYS_DECODE') {
    super(code, message, options);
  }
}
tagError(DecodeError, '@superscalar/keys:DecodeError');

/** The envelope is shorter than its header says: a partial write or a cut-off copy. */
export class EnvelopeTruncatedError extends DecodeError {
  /** Bytes the envelope needs. */
  readonly expected: number;
  /** Bytes it has. */
  readonly actual: number;
  constructor(expected: number, actual: number) {
    super(
      `envelope truncated: needs ${expected} bytes, has ${actual}; restore the file from a backup`,
      undefined,
      'KEYS_ENVELOPE_TRUNCATED',
    );
    this.expected = expected;
    this.actual = actual;
  }
}
tagError(EnvelopeTruncatedError, '@superscalar/keys:EnvelopeTruncatedError');

/**
 * The envelope's bytes are damaged (bad magic, bad checksum, trailing bytes, KDF parameters outside
 * the accepted range, or failed authentication).
 */
export class EnvelopeCorruptedError extends DecodeError {
  /** Which check failed. */
  readonly reason: 'magic' | 'checksum' | 'length' | 'kdf-params' | 'authentication';
  constructor(reason: EnvelopeCorruptedError['reason'], message: string) {
    super(`envelope corrupted (${reason}): ${message}`, undefined, 'KEYS_ENVELOPE_CORRUPTED');
    this.reason = reason;
  }
}
tagError(EnvelopeCorruptedError, '@superscalar/keys:EnvelopeCorruptedError');

/** The envelope has a format version or KDF identifier this release does not know. */
export class EnvelopeVersionError extends DecodeError {
  /** The version byte found. */
  readonly version: number;
  /** The KDF identifier found (when the version was known but the KDF was not). */
  readonly kdf: number | undefined;
  constructor(version: number, kdf?: number) {
    super(
      kdf === undefined
        ? `envelope version ${version} is not supported by this release; upgrade @superscalar/keys`
        : `envelope KDF ${kdf} is not supported by this release; upgrade @superscalar/keys`,
      undefined,
      'KEYS_ENVELOPE_UNKNOWN_VERSION',
    );
    this.version = version;
    this.kdf = kdf;
  }
}
tagError(EnvelopeVersionError, '@superscalar/keys:EnvelopeVersionError');

/**
 * The envelope's (or the requested) KDF cost is below the production floor and `allowWeakKdf` was not
 * set. Weak parameters are for tests only.
 */
export class WeakKdfError extends KeysError {
  /** The scrypt parameters found. */
  readonly params: { readonly log2N: number; readonly r: number; readonly p: number };
  constructor(params: { log2N: number; r: number; p: number }, where: string) {
    super(
      'KEYS_ENVELOPE_WEAK_KDF',
      `${where}: scrypt cost log2N=${params.log2N} r=${params.r} p=${params.p} is below the production floor; ` +
        'pass allowWeakKdf: true only in tests',
    );
    this.params = { ...params };
  }
}
tagError(WeakKdfError, '@superscalar/keys:WeakKdfError');

/** The passphrase does not open this envelope. Nothing was decrypted; nothing should be overwritten. */
export class WrongPassphraseError extends KeysError {
  constructor() {
    super(
      'KEYS_WRONG_PASSPHRASE',
      'wrong passphrase: the envelope is intact but this passphrase does not open it',
    );
  }
}
tagError(WrongPassphraseError, '@superscalar/keys:WrongPassphraseError');

/** `openOrCreateKeyfile` wrote a new keyfile but could not read back exactly what it wrote. */
export class KeyfileVerifyError extends KeysError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEYS_KEYFILE_VERIFY_FAILED', message, options);
  }
}
tagError(KeyfileVerifyError, '@superscalar/keys:KeyfileVerifyError');

/** A BIP32 extended key string (xprv/xpub/tprv/tpub) failed to parse or validate. */
export class InvalidExtendedKeyError extends DecodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`invalid extended key: ${message}`, options, 'KEYS_INVALID_EXTENDED_KEY');
  }
}
tagError(InvalidExtendedKeyError, '@superscalar/keys:InvalidExtendedKeyError');

/** The keychain was wiped with `wipe()` and can no longer derive keys. */
export class KeychainWipedError extends KeysError {
  constructor() {
    super('KEYS_KEYCHAIN_WIPED', 'this keychain was wiped; build a new one from the seed or mnemonic');
  }
}
tagError(KeychainWipedError, '@superscalar/keys:KeychainWipedError');
