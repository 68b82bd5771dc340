/**
 * Errors of `@superscalar/lsp`: one base class, {@link LspError}, and one subclass per fault, each
 * with a stable `LSP_` code. Every class is tagged (`@superscalar/lsp:<Name>`), so `Cls.isInstance(x)`
 * is exact across copies of the package.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of the LSP's errors. */
export type LspErrorCode =
  | 'LSP_INVALID_ARGUMENT'
  | 'LSP_STOPPED'
  | 'LSP_MACHINE_FAILED'
  | 'LSP_LISTEN_FAILED';

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

/** The LSP's runtime is stopping or stopped: the command or input was not handled. */
export class StoppedError extends LspError {
  constructor() {
    super('LSP_STOPPED', 'the LSP runtime is stopped; the command was not handled');
  }
}
tagError(StoppedError, '@superscalar/lsp:StoppedError');

/**
 * Fail-stop: a persist failed or the machine threw (`cause`). Nothing queued after it ran; restart the
 * LSP from its store.
 */
export class MachineFailedError extends LspError {
  constructor(cause: unknown) {
    super(
      'LSP_MACHINE_FAILED',
      `the LSP machine stopped: ${cause instanceof Error ? cause.message : String(cause)}; restart it from its store`,
      { cause },
    );
  }
}
tagError(MachineFailedError, '@superscalar/lsp:MachineFailedError');

/** A listener could not bind (`cause` is the platform's error: address in use, permission…). */
export class ListenError extends LspError {
  /** `tcp` or `websocket`. */
  readonly transport: 'tcp' | 'websocket';
  constructor(transport: 'tcp' | 'websocket', where: string, cause: unknown) {
    super(
      'LSP_LISTEN_FAILED',
      `could not listen for ${transport} on ${where}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.transport = transport;
  }
}
tagError(ListenError, '@superscalar/lsp:ListenError');
