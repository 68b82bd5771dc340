/**
 * Errors of `@superscalar/lsp`: one base class, {@link LspError}, and one subclass per fault, each
 * with a stable `LSP_` code. Every class is tagged (`@superscalar/lsp:<Name>`), so `Cls.isInstance(x)`
 * is exact across copies of the package.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/**
 * Stable codes of the LSP's errors, each with one consequence for the role: `LSP_INVALID_ARGUMENT` a
 * caller bug; `LSP_STALE_MESSAGE` ignore (a duplicate or a message of an older attempt);
 * `LSP_UNEXPECTED_MESSAGE` a protocol violation by the peer (`error` and disconnect);
 * `LSP_CLOSE_BLAME` abort this close attempt and retry with attempt + 1 (or drop the blamed client).
 */
export type LspErrorCode =
  | 'LSP_INVALID_ARGUMENT'
  | 'LSP_STALE_MESSAGE'
  | 'LSP_UNEXPECTED_MESSAGE'
  | 'LSP_CLOSE_BLAME'
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

/** Why a peer's message is stale: it repeats one already taken, or belongs to an older attempt. */
export type StaleFault = 'duplicate' | 'old-attempt';

/**
 * A peer's message that was already handled or is out of date (a duplicate, an older attempt's).
 * Action: ignore it; nothing changed.
 */
export class StaleMessageError extends LspError {
  /** What made it stale. */
  readonly fault: StaleFault;
  /** The sender (index into `clients[]`), or null when unknown. */
  readonly client: number | null;
  constructor(fault: StaleFault, client: number | null, message: string, options?: { cause?: unknown }) {
    super('LSP_STALE_MESSAGE', message, options);
    this.fault = fault;
    this.client = client;
  }
}
tagError(StaleMessageError, '@superscalar/lsp:StaleMessageError');

/** How a peer's message violates the protocol. */
export type UnexpectedFault =
  /** It names another factory. */
  | 'wrong-factory'
  /** It names an attempt the LSP never proposed. */
  | 'future-attempt'
  /** It comes before the step it answers. */
  | 'out-of-order'
  /** It differs from the sender's earlier message of the same step (equivocation). */
  | 'conflicting'
  /** A field is missing or does not decode (a public nonce off the curve, a wrong length). */
  | 'malformed'
  /** The sender is not a participant. */
  | 'unknown-client';

/**
 * A peer's message that the protocol does not allow here. Action: answer `error` and disconnect the
 * peer (`client` names it); the session is unchanged and acknowledged state is never lost.
 */
export class UnexpectedMessageError extends LspError {
  /** What was wrong. */
  readonly fault: UnexpectedFault;
  /** The sender (index into `clients[]`), or null when unknown. */
  readonly client: number | null;
  constructor(fault: UnexpectedFault, client: number | null, message: string, options?: { cause?: unknown }) {
    super('LSP_UNEXPECTED_MESSAGE', message, options);
    this.fault = fault;
    this.client = client;
  }
}
tagError(UnexpectedMessageError, '@superscalar/lsp:UnexpectedMessageError');

/**
 * The cooperative close's signature did not aggregate or verify (brief §8 step 4's blame, applied to
 * §6): `blamed` is the participant whose partial signature is invalid, by proposal index (0 = the LSP,
 * i + 1 = `clients[i]`), or null when nobody can be named. Blame is informational (BIP327: an
 * aggregator can misattribute). Action: this attempt is over; propose attempt + 1 with fresh nonces,
 * and drop a client blamed repeatedly.
 */
export class CloseBlameError extends LspError {
  /** The blamed participant (0 = LSP, i + 1 = clients[i]), or null. */
  readonly blamed: number | null;
  /** The close attempt that failed. */
  readonly attempt: number;
  constructor(blamed: number | null, attempt: number, message: string, options?: { cause?: unknown }) {
    super('LSP_CLOSE_BLAME', message, options);
    this.blamed = blamed;
    this.attempt = attempt;
  }
}
tagError(CloseBlameError, '@superscalar/lsp:CloseBlameError');

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
