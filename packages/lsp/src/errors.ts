/**
 * Errors of `@superscalar/lsp`: one base class, {@link LspError}, and one subclass per fault, each
 * with a stable `LSP_` code. Every class is tagged (`@superscalar/lsp:<Name>`), so `Cls.isInstance(x)`
 * is exact across copies of the package.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of the LSP's errors. */
export type LspErrorCode = 'LSP_INVALID_ARGUMENT';

/** Base of every error of `@superscalar/lsp`. */
export class LspError extends SuperscalarError<LspErrorCode> {}
tagError(LspError, '@superscalar/lsp:LspError');

/** An argument had the wrong type, length or range; `argument` names its path. */
export class InvalidArgumentError extends LspError {
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('LSP_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/lsp:InvalidArgumentError');
