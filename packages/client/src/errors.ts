/**
 * Errors of `@superscalar/client`: one base class, {@link ClientError}, and one subclass per fault, each
 * with a stable `CLIENT_` code. Every class is tagged (`@superscalar/client:<Name>`), so `Cls.isInstance(x)`
 * is exact across copies of the package.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of the client's errors. */
export type ClientErrorCode =
  | 'CLIENT_INVALID_ARGUMENT'
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
