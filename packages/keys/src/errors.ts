/**
 * Typed errors of `@superscalar/keys`.
 *
 * Every error is a {@link KeysError} with a stable string `code`. Errors are branded with
 * `Symbol.for('@superscalar/keys/error')` so `KeysError.isInstance(x)` works across duplicated copies of
 * the package (where `instanceof` would not).
 *
 * @module
 */

const BRAND: unique symbol = Symbol.for('@superscalar/keys/error') as never;

/** Stable machine-readable codes of every error this package throws. */
export type KeysErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_MNEMONIC'
  | 'ENVELOPE_TRUNCATED'
  | 'ENVELOPE_CORRUPTED'
  | 'ENVELOPE_UNKNOWN_VERSION'
  | 'ENVELOPE_WEAK_KDF'
  | 'WRONG_PASSPHRASE'
  | 'KEYFILE_VERIFY_FAILED'
  | 'INVALID_EXTENDED_KEY'
  | 'KEYCHAIN_WIPED';

/** Base class of every error thrown by `@superscalar/keys`. */
export class KeysError extends Error {
  /** Stable code: switch on this, never on the message. */
  readonly code: KeysErrorCode;
  /** @internal brand for {@link KeysError.isInstance}. */
  readonly [BRAND] = true;

  constructor(code: KeysErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }

  /** True when `x` is a `KeysError` from any copy of this package. */
  static isInstance(x: unknown): x is KeysError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** An argument failed validation at the API boundary; `argument` names it (e.g. `options.kdf.log2N`). */
export class InvalidArgumentError extends KeysError {
  /** The argument path that was wrong. */
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}

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
    super('INVALID_MNEMONIC', message, options);
    this.problem = problem;
    this.wordIndex = wordIndex;
  }
}

/** The envelope is shorter than its header says: a partial write or a cut-off copy. */
export class EnvelopeTruncatedError extends KeysError {
  /** Bytes the envelope needs. */
  readonly expected: number;
  /** Bytes it has. */
  readonly actual: number;
  constructor(expected: number, actual: number) {
    super(
      'ENVELOPE_TRUNCATED',
      `envelope truncated: needs ${expected} bytes, has ${actual}; restore the file from a backup`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** The envelope's bytes are damaged (bad magic, bad checksum, trailing bytes or failed authentication). */
export class EnvelopeCorruptedError extends KeysError {
  /** Which check failed. */
  readonly reason: 'magic' | 'checksum' | 'length' | 'kdf-params' | 'authentication';
  constructor(reason: EnvelopeCorruptedError['reason'], message: string) {
    super('ENVELOPE_CORRUPTED', `envelope corrupted (${reason}): ${message}`);
    this.reason = reason;
  }
}

/** The envelope has a format version or KDF identifier this release does not know. */
export class EnvelopeVersionError extends KeysError {
  /** The version byte found. */
  readonly version: number;
  /** The KDF identifier found (when the version was known but the KDF was not). */
  readonly kdf: number | undefined;
  constructor(version: number, kdf?: number) {
    super(
      'ENVELOPE_UNKNOWN_VERSION',
      kdf === undefined
        ? `envelope version ${version} is not supported by this release; upgrade @superscalar/keys`
        : `envelope KDF ${kdf} is not supported by this release; upgrade @superscalar/keys`,
    );
    this.version = version;
    this.kdf = kdf;
  }
}

/**
 * The envelope's (or the requested) KDF cost is below the production floor and `allowWeakKdf` was not
 * set. Weak parameters are for tests only.
 */
export class WeakKdfError extends KeysError {
  /** The scrypt parameters found. */
  readonly params: { readonly log2N: number; readonly r: number; readonly p: number };
  constructor(params: { log2N: number; r: number; p: number }, where: string) {
    super(
      'ENVELOPE_WEAK_KDF',
      `${where}: scrypt cost log2N=${params.log2N} r=${params.r} p=${params.p} is below the production floor; ` +
        'pass allowWeakKdf: true only in tests',
    );
    this.params = { ...params };
  }
}

/** The passphrase does not open this envelope. Nothing was decrypted; nothing should be overwritten. */
export class WrongPassphraseError extends KeysError {
  constructor() {
    super(
      'WRONG_PASSPHRASE',
      'wrong passphrase: the envelope is intact but this passphrase does not open it',
    );
  }
}

/** `openOrCreateKeyfile` wrote a new keyfile but could not read back exactly what it wrote. */
export class KeyfileVerifyError extends KeysError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEYFILE_VERIFY_FAILED', message, options);
  }
}

/** A BIP32 extended key string (xprv/xpub/tprv/tpub) failed to parse or validate. */
export class InvalidExtendedKeyError extends KeysError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_EXTENDED_KEY', `invalid extended key: ${message}`, options);
  }
}

/** The keychain was wiped with `wipe()` and can no longer derive keys. */
export class KeychainWipedError extends KeysError {
  constructor() {
    super('KEYCHAIN_WIPED', 'this keychain was wiped; build a new one from the seed or mnemonic');
  }
}
