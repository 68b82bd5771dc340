/**
 * Typed errors of `@superscalar/shachain`. Every error thrown by this package is a {@link ShachainError}
 * with a stable string `code`; match on `code` or on the subclass, never on the message.
 */

import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of {@link ShachainError} subclasses. */
export type ShachainErrorCode =
  | 'SHACHAIN_INVALID_ARGUMENT'
  | 'SHACHAIN_INCONSISTENT_SECRET'
  | 'SHACHAIN_UNEXPECTED_INDEX'
  | 'SHACHAIN_DECODE';

/**
 * Base class of every error this package throws (a `SuperscalarError` of `@superscalar/core`).
 * `isInstance` is exact and works across duplicate copies of the package.
 */
export class ShachainError extends SuperscalarError<ShachainErrorCode> {}
tagError(ShachainError, '@superscalar/shachain:ShachainError');

/** An argument had the wrong type, length or range. `argument` names it. */
export class InvalidArgumentError extends ShachainError {
  /** The argument's name, as in the function's signature (e.g. `seed`, `index`). */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super('SHACHAIN_INVALID_ARGUMENT', `${argument}: ${message}`);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/shachain:InvalidArgumentError');

/**
 * A received secret cannot have come from the same seed as a secret received earlier: the sender
 * sent a wrong secret (treat it as a protocol violation by the peer; do not store the secret).
 */
export class InconsistentSecretError extends ShachainError {
  /** Index of the secret that was rejected. */
  readonly index: number;
  /** Index of the earlier secret it fails to derive. */
  readonly conflictsWith: number;

  constructor(index: number, conflictsWith: number) {
    super(
      'SHACHAIN_INCONSISTENT_SECRET',
      `secret for index ${index} does not derive the earlier secret for index ${conflictsWith}; ` +
        'the peer sent a wrong per-commitment secret: reject it and fail the channel',
    );
    this.index = index;
    this.conflictsWith = conflictsWith;
  }
}
tagError(InconsistentSecretError, '@superscalar/shachain:InconsistentSecretError');

/**
 * A secret arrived out of order. The compact store accepts secrets only in strictly decreasing index
 * order, one at a time, starting at 2^48 − 1; `expected` is the index it needs next (`undefined` when
 * the store already holds index 0 and accepts nothing more).
 */
export class UnexpectedIndexError extends ShachainError {
  /** Index that was offered. */
  readonly index: number;
  /** Index the store needs next, or `undefined` when it is complete. */
  readonly expected: number | undefined;

  constructor(index: number, expected: number | undefined) {
    super(
      'SHACHAIN_UNEXPECTED_INDEX',
      expected === undefined
        ? `secret for index ${index} offered, but the store already holds every index down to 0`
        : `secret for index ${index} offered, but the store needs index ${expected} next`,
    );
    this.index = index;
    this.expected = expected;
  }
}
tagError(UnexpectedIndexError, '@superscalar/shachain:UnexpectedIndexError');

/** Bytes given to `ShachainStore.decode` are not a valid store encoding. */
export class DecodeError extends ShachainError {
  /** What was wrong, in a few words. */
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super('SHACHAIN_DECODE', `invalid shachain store encoding: ${reason}`, options);
    this.reason = reason;
  }
}
tagError(DecodeError, '@superscalar/shachain:DecodeError');
