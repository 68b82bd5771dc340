/**
 * Errors of `@superscalar/lsp`: one base class, {@link LspError}, and one subclass per fault, each
 * with a stable `LSP_` code. Every class is tagged (`@superscalar/lsp:<Name>`), so `Cls.isInstance(x)`
 * is exact across copies of the package.
 *
 * A peer's fault is a {@link PeerFaultError}: it names the peer and says what the machine does about
 * it (`consequence`), like LDK's `ChannelError`. The machine never throws out of `handle`: it maps
 * each fault to its consequence — `ignore` (a duplicate, a replay, a stale attempt), `warning` (a
 * message out of order or for a factory it does not know), `disconnect` (an `error` message, then the
 * connection is closed: a message no honest peer sends, or a factory that is not the peer's), or
 * `abort` (the ceremony stops and forms again without the peer: a wrong nonce set, a refused
 * proposal) — and logs it. A bug is an {@link InvariantError}, journalled as an event.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of the LSP's errors. */
export type LspErrorCode =
  | 'LSP_INVALID_ARGUMENT'
  | 'LSP_DECODE'
  | 'LSP_STALE_MESSAGE'
  | 'LSP_UNEXPECTED_MESSAGE'
  | 'LSP_UNKNOWN_FACTORY'
  | 'LSP_NOT_PARTICIPANT'
  | 'LSP_INVALID_NONCES'
  | 'LSP_INVALID_PARTIAL'
  | 'LSP_CLIENT_ABORTED'
  | 'LSP_INVALID_CHANNEL_SETUP'
  | 'LSP_FACTORY_STATE'
  | 'LSP_FUNDING_FAILED'
  | 'LSP_INVARIANT'
  | 'LSP_STOPPED'
  | 'LSP_MACHINE_FAILED'
  | 'LSP_LISTEN_FAILED'
  | 'LSP_CLOSE_BLAME'
  | 'LSP_ADVANCE_REFUSED'
  | 'LSP_ADVANCE_PATH_PUBLISHED'
  | 'LSP_CANCELLING_NONCES';

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

/** A stored record (`lsp/…` blob) does not decode: the store is damaged or from a newer version. */
export class DecodeError extends LspError {
  /** The blob key. */
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('LSP_DECODE', `${key}: ${message}`, options);
    this.key = key;
  }
}
tagError(DecodeError, '@superscalar/lsp:DecodeError');

/** What the machine does about a peer's fault. */
export type Consequence = 'ignore' | 'warning' | 'disconnect' | 'abort';

/** Base of every fault of a peer's message: who, and what the machine does about it. */
export class PeerFaultError extends LspError {
  /** The peer's node id. */
  readonly peer: string;
  /** What the machine does: ignore, `warning`, `error` + disconnect, or abort the ceremony. */
  readonly consequence: Consequence;
  /** The factory concerned, hex, when there is one. */
  readonly factoryId: string | undefined;
  constructor(
    code: LspErrorCode,
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
tagError(PeerFaultError, '@superscalar/lsp:PeerFaultError');

/** Why a message is stale: it repeats one already taken, or belongs to an older (or ended) attempt. */
export type StaleFault = 'duplicate' | 'old-attempt';

/** A duplicate, a replay or a message of an earlier attempt: ignored, nothing changes. */
export class StaleMessageError extends PeerFaultError {
  /** What made it stale, when the refusing code says (the cooperative close's sessions do). */
  readonly fault: StaleFault | undefined;
  constructor(peer: string, message: string, options?: { factoryId?: string; fault?: StaleFault }) {
    super('LSP_STALE_MESSAGE', peer, 'ignore', message, options);
    this.fault = options?.fault;
  }
}
tagError(StaleMessageError, '@superscalar/lsp:StaleMessageError');

/** How a message breaks the protocol, when the refusing code says (the cooperative close's sessions do). */
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
  | 'malformed';

/**
 * A message the current step does not expect (out of order, a type the LSP never receives): a
 * `warning` by default; the close's sessions raise it with `disconnect` (a message no honest client
 * sends: equivocation, a malformed nonce, an attempt never proposed).
 */
export class UnexpectedMessageError extends PeerFaultError {
  /** What was wrong, when the refusing code says. */
  readonly fault: UnexpectedFault | undefined;
  constructor(
    peer: string,
    message: string,
    options?: { factoryId?: string; consequence?: Consequence; cause?: unknown; fault?: UnexpectedFault },
  ) {
    super('LSP_UNEXPECTED_MESSAGE', peer, options?.consequence ?? 'warning', message, options);
    this.fault = options?.fault;
  }
}
tagError(UnexpectedMessageError, '@superscalar/lsp:UnexpectedMessageError');

/** A factory id the LSP does not know: answered with a `warning`. */
export class UnknownFactoryError extends PeerFaultError {
  constructor(peer: string, factoryId: string) {
    super('LSP_UNKNOWN_FACTORY', peer, 'warning', `unknown factory ${factoryId}`, { factoryId });
  }
}
tagError(UnknownFactoryError, '@superscalar/lsp:UnknownFactoryError');

/**
 * A message about a factory the peer is not a participant of (brief §12 flaw 3: identities are the
 * runtime's proven node ids, never claimed): `error` and disconnect; the factory is not touched.
 */
export class NotParticipantError extends PeerFaultError {
  constructor(peer: string, factoryId: string) {
    super(
      'LSP_NOT_PARTICIPANT',
      peer,
      'disconnect',
      `the peer is not a participant of factory ${factoryId}`,
      { factoryId },
    );
  }
}
tagError(NotParticipantError, '@superscalar/lsp:NotParticipantError');

/**
 * A client's nonces are not exactly its jobs for the attempt (wrong transactions, kinds, indices,
 * a nonce that does not decode): the client is dropped and the ceremony forms again without it.
 */
export class InvalidNoncesError extends PeerFaultError {
  /** The blamed participant (i + 1 = clients[i]). */
  readonly participant: number;
  constructor(
    peer: string,
    participant: number,
    message: string,
    options: { factoryId: string; cause?: unknown },
  ) {
    super('LSP_INVALID_NONCES', peer, 'abort', message, options);
    this.participant = participant;
  }
}
tagError(InvalidNoncesError, '@superscalar/lsp:InvalidNoncesError');

/**
 * A client's partial signatures are not its jobs' (shape), or the aggregate failed and blamed it: the
 * LSP retries with fresh nonces up to `maxSigningAttempts`, then aborts without the client.
 */
export class InvalidPartialError extends PeerFaultError {
  readonly participant: number;
  constructor(
    peer: string,
    participant: number,
    message: string,
    options: { factoryId: string; cause?: unknown },
  ) {
    super('LSP_INVALID_PARTIAL', peer, 'abort', message, options);
    this.participant = participant;
  }
}
tagError(InvalidPartialError, '@superscalar/lsp:InvalidPartialError');

/** A client aborted the ceremony (it refused the proposal, or withdrew): it is dropped. */
export class ClientAbortedError extends PeerFaultError {
  readonly participant: number;
  /** The client's `factory_abort` reason code. */
  readonly reason: number;
  constructor(
    peer: string,
    participant: number,
    reason: number,
    text: string,
    options: { factoryId: string },
  ) {
    super('LSP_CLIENT_ABORTED', peer, 'abort', `the client aborted (${reason}): ${text}`, options);
    this.participant = participant;
    this.reason = reason;
  }
}
tagError(ClientAbortedError, '@superscalar/lsp:ClientAbortedError');

/** A client's `channel_setup` cannot open its channel (bad basepoints, an unaffordable commitment 0): it is dropped. */
export class InvalidChannelSetupError extends PeerFaultError {
  readonly participant: number;
  constructor(
    peer: string,
    participant: number,
    message: string,
    options: { factoryId: string; cause?: unknown },
  ) {
    super('LSP_INVALID_CHANNEL_SETUP', peer, 'abort', message, options);
    this.participant = participant;
  }
}
tagError(InvalidChannelSetupError, '@superscalar/lsp:InvalidChannelSetupError');

/**
 * A command names a factory whose phase does not allow it (`close_factory` on a factory that is not
 * open, `bump_close` with no signed close to replace): refused with a `CommandRefused` event.
 */
export class FactoryStateError extends LspError {
  /** The factory, hex. */
  readonly factoryId: string;
  /** Its phase when the command came. */
  readonly phase: string;
  constructor(factoryId: string, phase: string, message: string) {
    super('LSP_FACTORY_STATE', `factory ${factoryId} (${phase}): ${message}`);
    this.factoryId = factoryId;
    this.phase = phase;
  }
}
tagError(FactoryStateError, '@superscalar/lsp:FactoryStateError');

/** The wallet could not build, sign or abandon a funding transaction. */
export class FundingError extends LspError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LSP_FUNDING_FAILED', message, options);
  }
}
tagError(FundingError, '@superscalar/lsp:FundingError');

/** A bug: an internal invariant broke. Journalled as an `InvariantViolated` event, never thrown out of `handle`. */
export class InvariantError extends LspError {
  readonly invariant: string;
  constructor(invariant: string, message: string, options?: { cause?: unknown }) {
    super('LSP_INVARIANT', `internal: ${invariant}: ${message}`, options);
    this.invariant = invariant;
  }
}
tagError(InvariantError, '@superscalar/lsp:InvariantError');

// The runtime's errors (./node, ./runtime).

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

// The cooperative close sessions' errors.

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

/**
 * An advance (brief §5) the LSP will not run now: the factory is not open, another advance is in
 * progress, the leaf's DW layers are exhausted (rotate), an allocation breaks amount conservation or
 * dust, or a client's request the policy does not grant. `reason` names which.
 */
export class AdvanceRefusedError extends LspError {
  readonly reason: 'state' | 'busy' | 'exhausted' | 'allocation' | 'request';
  constructor(
    reason: 'state' | 'busy' | 'exhausted' | 'allocation' | 'request',
    message: string,
    options?: { cause?: unknown },
  ) {
    super('LSP_ADVANCE_REFUSED', message, options);
    this.reason = reason;
  }
}
tagError(AdvanceRefusedError, '@superscalar/lsp:AdvanceRefusedError');

/**
 * Brief §5.1: an advance refused because a kickoff or state on the advancing path (or below it) is
 * in a mempool or on chain — advancing it now would race the published transaction.
 */
export class AdvancePathPublishedError extends LspError {
  /** The published transaction (display hex). */
  readonly txid: string;
  readonly where: 'mempool' | 'chain';
  constructor(txid: string, where: 'mempool' | 'chain', message: string) {
    super('LSP_ADVANCE_PATH_PUBLISHED', message);
    this.txid = txid;
    this.where = where;
  }
}
tagError(AdvancePathPublishedError, '@superscalar/lsp:AdvancePathPublishedError');

/**
 * The public nonces the clients sent for one signing job sum to infinity in one half, so BIP327
 * `DeterministicSign` (the LSP signs last) must fail and nobody can be blamed by the protocol
 * (`det_sign_vectors`: "aggothernonce ... point at infinity"). The LSP draws a stronger conclusion
 * for itself: it never shows any client another's nonce before every nonce of the round is in, so
 * an honest signer's nonce is uniform and unseen by the others, and the sum reaches infinity only
 * (up to 2^-128) when **every** client signer of the job chose its nonce knowing the others' — one
 * party registered under all of those keys, or colluders. `participants` are those clients
 * (i + 1 = clients[i]); `tx` the job (a tree transaction index, or `n + i` for distribution
 * transaction i); `leaf` the leaf whose kickoff or state it is, else null.
 */
export class CancellingNoncesError extends LspError {
  readonly factoryId: string;
  readonly tx: number;
  /** The job's name (`tx 5`, `distribution 0`, `poison c=3`, …). */
  readonly job: string;
  readonly leaf: number | null;
  readonly participants: readonly number[];
  constructor(
    options: {
      factoryId: string;
      tx: number;
      job: string;
      leaf: number | null;
      participants: readonly number[];
      cause?: unknown;
    },
    message: string,
  ) {
    super('LSP_CANCELLING_NONCES', message, options.cause === undefined ? {} : { cause: options.cause });
    this.factoryId = options.factoryId;
    this.tx = options.tx;
    this.job = options.job;
    this.leaf = options.leaf;
    this.participants = [...options.participants];
  }
}
tagError(CancellingNoncesError, '@superscalar/lsp:CancellingNoncesError');
