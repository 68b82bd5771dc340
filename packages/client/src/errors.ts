/**
 * Errors of `@superscalar/client`: one base class, {@link ClientError}, and one subclass per fault, each
 * with a stable `CLIENT_` code. Every class is tagged (`@superscalar/client:<Name>`), so `Cls.isInstance(x)`
 * is exact across copies of the package.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';
import type { CloseFault } from '@superscalar/factory-tree';

/**
 * Stable codes of the client's errors, each with one consequence for the role:
 * `CLIENT_INVALID_ARGUMENT` a caller bug; `CLIENT_STALE_MESSAGE` ignore (a duplicate or a message of
 * an older attempt); `CLIENT_UNEXPECTED_MESSAGE` a protocol violation by the LSP (`error` and
 * disconnect); `CLIENT_CLOSE_REFUSED` do not sign this close, tell the LSP (`warning`) and keep the
 * factory open; `CLIENT_CLOSE_SIGNATURE_INVALID` the LSP's final close signature is not valid for the
 * transaction the client checked (`error`; watch the chain for the close anyway).
 */
export type ClientErrorCode =
  | 'CLIENT_INVALID_ARGUMENT'
  | 'CLIENT_STALE_MESSAGE'
  | 'CLIENT_UNEXPECTED_MESSAGE'
  | 'CLIENT_CLOSE_REFUSED'
  | 'CLIENT_CLOSE_SIGNATURE_INVALID'
  | 'CLIENT_STOPPED'
  | 'CLIENT_MACHINE_FAILED'
  | 'CLIENT_DISCOVERY_INSECURE'
  | 'CLIENT_DISCOVERY_FAILED'
  | 'CLIENT_DISCOVERY_INVALID'
  | 'CLIENT_DISCOVERY_KEY_MISMATCH'
  | 'CLIENT_DISCOVERY_WRONG_NETWORK';

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

/** Why a message from the LSP is stale: it repeats one already taken, or belongs to an older attempt. */
export type StaleFault = 'duplicate' | 'old-attempt';

/** A message from the LSP that was already handled or is out of date. Action: ignore it. */
export class StaleMessageError extends ClientError {
  /** What made it stale. */
  readonly fault: StaleFault;
  constructor(fault: StaleFault, message: string, options?: { cause?: unknown }) {
    super('CLIENT_STALE_MESSAGE', message, options);
    this.fault = fault;
  }
}
tagError(StaleMessageError, '@superscalar/client:StaleMessageError');

/** How a message from the LSP violates the protocol. */
export type UnexpectedFault =
  /** It names another factory. */
  | 'wrong-factory'
  /** It names an attempt this session is not. */
  | 'future-attempt'
  /** It comes before the step it answers. */
  | 'out-of-order'
  /** It differs from the LSP's earlier message of the same step (equivocation). */
  | 'conflicting'
  /** A field is missing or does not decode (a close request where a proposal belongs, a bad nonce). */
  | 'malformed';

/**
 * A message from the LSP that the protocol does not allow here. Action: answer `error` and disconnect;
 * the session is unchanged.
 */
export class UnexpectedMessageError extends ClientError {
  /** What was wrong. */
  readonly fault: UnexpectedFault;
  constructor(fault: UnexpectedFault, message: string, options?: { cause?: unknown }) {
    super('CLIENT_UNEXPECTED_MESSAGE', message, options);
    this.fault = fault;
  }
}
tagError(UnexpectedMessageError, '@superscalar/client:UnexpectedMessageError');

/**
 * Why the client refuses a proposed cooperative close: factory-tree's {@link CloseFault}s (its own
 * close address not paid at least its balance — `no-own-output`, `underpaid` — or not the §6 form),
 * or: `fee-too-high` (above the caller's cap), `lock-time` (nLockTime too far from the client's tip),
 * `wrong-outputs` (the outputs are not the §6 construction: order, owners, dust, fee or the LSP's rest).
 */
export type CloseRefusal = CloseFault | 'fee-too-high' | 'lock-time' | 'wrong-outputs';

/**
 * The client will not sign this cooperative close (brief §6: it signs only if its **own** output pays
 * its **own** close address at least its balance; §12 flaw 6). `cause` is factory-tree's
 * `CloseRejectedError` when its check refused. Action: do not sign; tell the LSP (`warning`) and keep
 * the factory open.
 */
export class CloseRefusedError extends ClientError {
  /** Why. */
  readonly fault: CloseRefusal;
  /** The close attempt refused. */
  readonly attempt: number;
  constructor(fault: CloseRefusal, attempt: number, message: string, options?: { cause?: unknown }) {
    super('CLIENT_CLOSE_REFUSED', `close attempt ${attempt} refused: ${fault}: ${message}`, options);
    this.fault = fault;
    this.attempt = attempt;
  }
}
tagError(CloseRefusedError, '@superscalar/client:CloseRefusedError');

/**
 * The LSP's `close_done` signature is not a valid BIP340 signature of the close the client checked
 * under the funding output key. Action: `error` to the LSP; the close may still confirm (the LSP can
 * hold a valid signature), so keep watching the funding output.
 */
export class CloseSignatureError extends ClientError {
  /** The close attempt. */
  readonly attempt: number;
  constructor(attempt: number, message: string, options?: { cause?: unknown }) {
    super('CLIENT_CLOSE_SIGNATURE_INVALID', message, options);
    this.attempt = attempt;
  }
}
tagError(CloseSignatureError, '@superscalar/client:CloseSignatureError');

/** The client's runtime is stopping or stopped: the command or input was not handled. */
export class StoppedError extends ClientError {
  constructor() {
    super('CLIENT_STOPPED', 'the client runtime is stopped; the command was not handled');
  }
}
tagError(StoppedError, '@superscalar/client:StoppedError');

/**
 * Fail-stop: a persist failed or the machine threw (`cause`). Nothing queued after it ran; restart the
 * client from its store.
 */
export class MachineFailedError extends ClientError {
  constructor(cause: unknown) {
    super(
      'CLIENT_MACHINE_FAILED',
      `the client machine stopped: ${cause instanceof Error ? cause.message : String(cause)}; restart it from its store`,
      { cause },
    );
  }
}
tagError(MachineFailedError, '@superscalar/client:MachineFailedError');

/**
 * `.well-known` discovery failed. `code` says why: `CLIENT_DISCOVERY_INSECURE` (not HTTPS and no
 * pinned key: the document's key cannot be trusted), `CLIENT_DISCOVERY_FAILED` (network, HTTP status,
 * timeout, too large), `CLIENT_DISCOVERY_INVALID` (not a valid document), `CLIENT_DISCOVERY_KEY_MISMATCH`
 * (the key differs from the pinned one), `CLIENT_DISCOVERY_WRONG_NETWORK`. `url` is what was fetched.
 */
export class DiscoveryError extends ClientError {
  readonly url: string;
  constructor(
    code: Extract<ClientErrorCode, `CLIENT_DISCOVERY_${string}`>,
    url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${url}: ${message}`, options);
    this.url = url;
  }
}
tagError(DiscoveryError, '@superscalar/client:DiscoveryError');
