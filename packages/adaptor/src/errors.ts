/**
 * Typed errors of `@superscalar/adaptor`. Every error this package raises itself is an
 * {@link AdaptorError} with a stable string `code`; match on `code` or on the subclass, never on the
 * message. The MuSig2 arithmetic underneath is `@superscalar/musig2`'s, and its errors
 * (`NonceReuseError`, `InvalidContributionError { signer, contrib }`, `ValueError`) pass through
 * unchanged, so a caller handles a faulty co-signer the same way in plain and adaptor sessions.
 */

import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of {@link AdaptorError} subclasses. */
export type AdaptorErrorCode =
  | 'ADAPTOR_INVALID_ARGUMENT'
  | 'ADAPTOR_INVALID_PRESIGNATURE'
  | 'ADAPTOR_SIGNATURE_MISMATCH'
  | 'ADAPTOR_SIGNING_FAILED';

/**
 * Base class of every error this package throws (a `SuperscalarError` of `@superscalar/core`).
 * `isInstance` is exact and works across duplicate copies of the package.
 */
export class AdaptorError extends SuperscalarError<AdaptorErrorCode> {}
tagError(AdaptorError, '@superscalar/adaptor:AdaptorError');

/**
 * An argument had the wrong type or length, or a value out of range (a secret key or secret adaptor
 * not in [1, n), an adaptor point that does not decode). `argument` names it.
 */
export class InvalidArgumentError extends AdaptorError {
  /** The argument's path, as in the function's signature (e.g. `adaptor`, `ctx.msg`). */
  readonly argument: string;

  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('ADAPTOR_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/adaptor:InvalidArgumentError');

/**
 * A 65-byte pre-signature is malformed where {@link adapt} or {@link extractSecadaptor} need it
 * (a first byte other than 0x02/0x03, or s' ≥ n). Verify pre-signatures with `presigVerify` when they
 * arrive; this error means one was used without that check.
 */
export class InvalidPresignatureError extends AdaptorError {
  constructor(reason: string) {
    super('ADAPTOR_INVALID_PRESIGNATURE', `invalid pre-signature: ${reason}`);
  }
}
tagError(InvalidPresignatureError, '@superscalar/adaptor:InvalidPresignatureError');

/**
 * A completed signature does not belong to the pre-signature (its R differs), or the secret extracted
 * from it does not match the expected adaptor point. Nothing learnt from it can be trusted.
 */
export class SignatureMismatchError extends AdaptorError {
  constructor(reason: string) {
    super('ADAPTOR_SIGNATURE_MISMATCH', `signature does not complete this pre-signature: ${reason}`);
  }
}
tagError(SignatureMismatchError, '@superscalar/adaptor:SignatureMismatchError');

/**
 * Signing could not produce a valid pre-signature: a derived nonce was zero or `R + T` was infinity
 * (probability ~2^-256 for honest inputs), or the self-check failed (a fault). Retry with fresh
 * `auxRand`; never release the faulty output.
 */
export class SigningFailedError extends AdaptorError {
  constructor(reason: string) {
    super('ADAPTOR_SIGNING_FAILED', `pre-signing failed: ${reason}`);
  }
}
tagError(SigningFailedError, '@superscalar/adaptor:SigningFailedError');
