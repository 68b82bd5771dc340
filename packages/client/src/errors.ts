/**
 * Errors of `@superscalar/client`: one base class, {@link ClientError}, and one subclass per fault, each
 * with a stable `CLIENT_` code. Every class is tagged (`@superscalar/client:<Name>`), so `Cls.isInstance(x)`
 * is exact across copies of the package.
 *
 * A fault of the LSP's message is a {@link PeerFaultError} that says what the machine does about it
 * (`consequence`): `ignore` (a duplicate, a replay, a stale attempt), `warning` (out of order, an
 * unknown factory), `disconnect` (`error`, then the connection closes: a peer that is not the
 * client's LSP), or `abort` (the client refuses to go on with the factory: `factory_abort`, and it
 * forgets it — a proposal or a signature that does not check). The machine never throws out of
 * `handle`; a bug is an {@link InvariantError}, journalled as an event.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of the client's errors. */
export type ClientErrorCode =
  | 'CLIENT_INVALID_ARGUMENT'
  | 'CLIENT_DECODE'
  | 'CLIENT_STALE_MESSAGE'
  | 'CLIENT_UNEXPECTED_MESSAGE'
  | 'CLIENT_UNKNOWN_FACTORY'
  | 'CLIENT_NOT_LSP'
  | 'CLIENT_INVALID_PROPOSAL'
  | 'CLIENT_INVALID_SIGNATURE'
  | 'CLIENT_NOT_IMPLEMENTED'
  | 'CLIENT_INVARIANT';

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

/** A stored record (`client/…` blob) does not decode: the store is damaged or from a newer version. */
export class DecodeError extends ClientError {
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('CLIENT_DECODE', `${key}: ${message}`, options);
    this.key = key;
  }
}
tagError(DecodeError, '@superscalar/client:DecodeError');

/** What the machine does about a peer's fault. */
export type Consequence = 'ignore' | 'warning' | 'disconnect' | 'abort';

/** Base of every fault of a peer's message. */
export class PeerFaultError extends ClientError {
  readonly peer: string;
  readonly consequence: Consequence;
  /** The factory concerned, hex, when there is one. */
  readonly factoryId: string | undefined;
  constructor(
    code: ClientErrorCode,
    peer: string,
    consequence: Consequence,
    message: string,
    options?: { cause?: unknown; factoryId?: string },
  ) {
    super(code, `${message} (peer ${peer.slice(0, 16)}…; ${consequence})`, options);
    this.peer = peer;
    this.consequence = consequence;
    this.factoryId = options?.factoryId;
  }
}
tagError(PeerFaultError, '@superscalar/client:PeerFaultError');

/** A duplicate, a replay or a message of an earlier attempt: ignored. */
export class StaleMessageError extends PeerFaultError {
  constructor(peer: string, message: string, options?: { factoryId?: string }) {
    super('CLIENT_STALE_MESSAGE', peer, 'ignore', message, options);
  }
}
tagError(StaleMessageError, '@superscalar/client:StaleMessageError');

/** A message the current step does not expect. */
export class UnexpectedMessageError extends PeerFaultError {
  constructor(peer: string, message: string, options?: { factoryId?: string; consequence?: Consequence }) {
    super('CLIENT_UNEXPECTED_MESSAGE', peer, options?.consequence ?? 'warning', message, options);
  }
}
tagError(UnexpectedMessageError, '@superscalar/client:UnexpectedMessageError');

/** A factory id the client does not hold. */
export class UnknownFactoryError extends PeerFaultError {
  constructor(peer: string, factoryId: string) {
    super('CLIENT_UNKNOWN_FACTORY', peer, 'warning', `unknown factory ${factoryId}`, { factoryId });
  }
}
tagError(UnknownFactoryError, '@superscalar/client:UnknownFactoryError');

/** A message from a peer that is not the client's LSP (flaw 3: identities are proven, never claimed). */
export class NotLspError extends PeerFaultError {
  constructor(peer: string) {
    super(
      'CLIENT_NOT_LSP',
      peer,
      'disconnect',
      "a factory message from a peer that is not this client's LSP",
    );
  }
}
tagError(NotLspError, '@superscalar/client:NotLspError');

/**
 * The proposal fails one of the client's checks (roles memo §3 step 3: its entry, the network, its
 * policy, the height, `checkProposal`, its path, the funding transaction, the distribution): the
 * client answers `factory_abort { INVALID_PROPOSAL }` and forgets the proposal.
 */
export class InvalidProposalError extends PeerFaultError {
  /** What failed, e.g. `funding`, `clients[2]`, `toSelfDelay`. */
  readonly field: string;
  constructor(
    peer: string,
    field: string,
    message: string,
    options: { factoryId?: string; cause?: unknown },
  ) {
    super('CLIENT_INVALID_PROPOSAL', peer, 'abort', `${field}: ${message}`, options);
    this.field = field;
  }
}
tagError(InvalidProposalError, '@superscalar/client:InvalidProposalError');

/**
 * Something the LSP sent for signing does not check (aggregate nonces for other jobs, a signature
 * that does not verify against its transaction's key): the client aborts the factory.
 */
export class InvalidSignatureError extends PeerFaultError {
  constructor(peer: string, message: string, options: { factoryId: string; cause?: unknown }) {
    super('CLIENT_INVALID_SIGNATURE', peer, 'abort', message, options);
  }
}
tagError(InvalidSignatureError, '@superscalar/client:InvalidSignatureError');

/** A command or message of a part not implemented in this release (the cooperative close). */
export class NotImplementedError extends ClientError {
  constructor(what: string) {
    super('CLIENT_NOT_IMPLEMENTED', `${what} is not implemented in this release`);
  }
}
tagError(NotImplementedError, '@superscalar/client:NotImplementedError');

/** A bug: an internal invariant broke. Journalled as an `InvariantViolated` event. */
export class InvariantError extends ClientError {
  readonly invariant: string;
  constructor(invariant: string, message: string, options?: { cause?: unknown }) {
    super('CLIENT_INVARIANT', `internal: ${invariant}: ${message}`, options);
    this.invariant = invariant;
  }
}
tagError(InvariantError, '@superscalar/client:InvariantError');
