/**
 * Errors of `@superscalar/secp`. Internal callers (musig2, adaptor) validate before they call the
 * backend, so these reach users only through the package's own public functions.
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/** Codes of this package's errors. */
export type SecpErrorCode = 'SECP_INVALID_ARGUMENT' | 'SECP_BACKEND_UNAVAILABLE';

/** Base class of every `@superscalar/secp` error. */
export class SecpError extends SuperscalarError<SecpErrorCode> {}
tagError(SecpError, '@superscalar/secp:SecpError');

/** A bad argument: `argument` is its path (`options.aux`, `k`). */
export class InvalidArgumentError extends SecpError {
  readonly argument: string;

  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('SECP_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/secp:InvalidArgumentError');

/** {@link setCurveBackend} asked for the native backend where it did not load (see `cause`). */
export class BackendUnavailableError extends SecpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SECP_BACKEND_UNAVAILABLE', message, options);
  }
}
tagError(BackendUnavailableError, '@superscalar/secp:BackendUnavailableError');
