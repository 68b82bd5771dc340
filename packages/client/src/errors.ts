/**
 * Errors of `@superscalar/client`: one base class, {@link ClientError}, and one subclass per fault, each
 * with a stable `CLIENT_` code. Every class is tagged (`@superscalar/client:<Name>`), so `Cls.isInstance(x)`
 * is exact across copies of the package.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of the client's errors. */
export type ClientErrorCode = 'CLIENT_INVALID_ARGUMENT';

/** Base of every error of `@superscalar/client`. */
export class ClientError extends SuperscalarError<ClientErrorCode> {}
tagError(ClientError, '@superscalar/client:ClientError');

/** An argument had the wrong type, length or range; `argument` names its path. */
export class InvalidArgumentError extends ClientError {
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('CLIENT_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/client:InvalidArgumentError');
