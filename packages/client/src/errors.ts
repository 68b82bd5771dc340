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
import type { CloseFault } from '@superscalar/factory-tree';

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
  | 'CLIENT_FACTORY_STATE'
  | 'CLIENT_INVARIANT'
  | 'CLIENT_STOPPED'
  | 'CLIENT_MACHINE_FAILED'
  | 'CLIENT_DISCOVERY_INSECURE'
  | 'CLIENT_DISCOVERY_FAILED'
  | 'CLIENT_DISCOVERY_INVALID'
  | 'CLIENT_DISCOVERY_KEY_MISMATCH'
  | 'CLIENT_DISCOVERY_WRONG_NETWORK'
  | 'CLIENT_CLOSE_REFUSED'
  | 'CLIENT_CLOSE_SIGNATURE_INVALID'
  | 'CLIENT_PAYMENT_REFUSED'
  | 'CLIENT_FEE_RATE_REFUSED'
  | 'CLIENT_ADVANCE_REFUSED'
  | 'CLIENT_ADVANCE_SIGNATURE_INVALID';

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

/** Why a message is stale: it repeats one already taken, or belongs to an older attempt. */
export type StaleFault = 'duplicate' | 'old-attempt';

/** A duplicate, a replay or a message of an earlier attempt: ignored. */
export class StaleMessageError extends PeerFaultError {
  /** What made it stale, when the refusing code says (the cooperative close's session does). */
  readonly fault: StaleFault | undefined;
  constructor(peer: string, message: string, options?: { factoryId?: string; fault?: StaleFault }) {
    super('CLIENT_STALE_MESSAGE', peer, 'ignore', message, options);
    this.fault = options?.fault;
  }
}
tagError(StaleMessageError, '@superscalar/client:StaleMessageError');

/** How a message from the LSP breaks the protocol, when the refusing code says. */
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
 * A message the current step does not expect: a `warning` by default; the close's session raises it
 * with `disconnect` (a message no honest LSP sends: equivocation, a malformed field).
 */
export class UnexpectedMessageError extends PeerFaultError {
  /** What was wrong, when the refusing code says. */
  readonly fault: UnexpectedFault | undefined;
  constructor(
    peer: string,
    message: string,
    options?: { factoryId?: string; consequence?: Consequence; cause?: unknown; fault?: UnexpectedFault },
  ) {
    super('CLIENT_UNEXPECTED_MESSAGE', peer, options?.consequence ?? 'warning', message, options);
    this.fault = options?.fault;
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

/** A command names a factory whose phase does not allow it (`request_close` of a factory not open). */
export class FactoryStateError extends ClientError {
  /** The factory, hex. */
  readonly factoryId: string;
  /** Its phase when the command came. */
  readonly phase: string;
  constructor(factoryId: string, phase: string, message: string) {
    super('CLIENT_FACTORY_STATE', `factory ${factoryId} (${phase}): ${message}`);
    this.factoryId = factoryId;
    this.phase = phase;
  }
}
tagError(FactoryStateError, '@superscalar/client:FactoryStateError');

/** Why a payment command was refused (nothing was added to the channel). */
export type PaymentRefusal =
  | 'invalid-invoice'
  | 'network'
  | 'expired'
  | 'amount'
  | 'self'
  | 'duplicate'
  | 'route'
  | 'no-channel'
  | 'no-tip'
  | 'dying'
  | 'window'
  | 'channel';

/**
 * `create_invoice` or `pay_invoice` refused: `refusal` says why (`window`: the HTLC's `cltv_expiry`
 * would pass `T_m − exitDelay − pathTxs − exitMargin`, brief §7's routable window; `dying`: the
 * factory is in its dying period). Journalled as `CommandRefused { code: 'CLIENT_PAYMENT_REFUSED' }`.
 */
export class PaymentRefusedError extends ClientError {
  readonly command: string;
  readonly refusal: PaymentRefusal;
  constructor(command: string, refusal: PaymentRefusal, message: string, options?: { cause?: unknown }) {
    super('CLIENT_PAYMENT_REFUSED', `${command} refused (${refusal}): ${message}`, options);
    this.command = command;
    this.refusal = refusal;
  }
}
tagError(PaymentRefusedError, '@superscalar/client:PaymentRefusedError');

/** A bug: an internal invariant broke. Journalled as an `InvariantViolated` event. */
export class InvariantError extends ClientError {
  readonly invariant: string;
  constructor(invariant: string, message: string, options?: { cause?: unknown }) {
    super('CLIENT_INVARIANT', `internal: ${invariant}: ${message}`, options);
    this.invariant = invariant;
  }
}
tagError(InvariantError, '@superscalar/client:InvariantError');

// The runtime's errors (./node, ./runtime).

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

// The cooperative close sessions' errors.

/**
 * Why the client refuses a proposed cooperative close: factory-tree's {@link CloseFault}s (its own
 * close address not paid at least its balance — `no-own-output`, `underpaid` — or not the §6 form),
 * or: `fee-too-high` (above the caller's cap), `lock-time` (nLockTime too far from the client's tip),
 * `wrong-outputs` (the outputs are not the §6 construction: order, owners, dust, fee or the LSP's rest),
 * `channel-busy` (the machine's: its channel is not quiescent, or holds HTLCs — brief §6 closes only
 * when none is pending).
 */
export type CloseRefusal = CloseFault | 'fee-too-high' | 'lock-time' | 'wrong-outputs' | 'channel-busy';

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

/**
 * The LSP's `update_fee` proposes a commitment fee rate outside the client's policy
 * (`minCommitFeeRate`..`maxCommitFeeRate`). Action (BOLT 2): a `warning` naming the channel and the
 * rate, then close the connection, so the uncommitted update is forgotten on both sides; journalled as
 * `FeeUpdateRefused`. A retransmission of that update after the reconnection (the LSP had already
 * signed it: BOLT 2 obliges it to resend) is accepted once, and the LSP restores the previous rate.
 */
export class FeeRateRefusedError extends ClientError {
  /** The channel, hex. */
  readonly channelId: string;
  /** The rate proposed, sat/kvB. */
  readonly feeRate: number;
  /** The policy's bounds, sat/kvB. */
  readonly min: number;
  readonly max: number;
  constructor(channelId: string, feeRate: number, bounds: { min: number; max: number }) {
    super(
      'CLIENT_FEE_RATE_REFUSED',
      `update_fee ${feeRate} sat/kvB on channel ${channelId} is outside the policy's ${bounds.min}..${bounds.max}`,
    );
    this.channelId = channelId;
    this.feeRate = feeRate;
    this.min = bounds.min;
    this.max = bounds.max;
  }
}
tagError(FeeRateRefusedError, '@superscalar/client:FeeRateRefusedError');

/**
 * The client refuses an advance the LSP proposed (brief §5): `fee` — the allocation pays it less than
 * its channel balance minus the fee it agreed to (its `request_advance` maximum, else
 * `policy.maxLiquidityFeeMsat`); `channel` — a rebound commitment §5.4 refuses (reserve, dust,
 * affordability, a capacity below its balance), or the channel is not quiescent; `published` — a
 * transaction of its path is on chain (§5.1); `terms` — the proposal does not apply to its path;
 * `state` — the factory is not open. Nothing was signed; the LSP is told (`factory_reestablish`).
 */
export class AdvanceRefusedError extends ClientError {
  readonly reason: 'fee' | 'channel' | 'published' | 'terms' | 'state';
  constructor(
    reason: 'fee' | 'channel' | 'published' | 'terms' | 'state',
    message: string,
    options?: { cause?: unknown },
  ) {
    super('CLIENT_ADVANCE_REFUSED', `advance refused (${reason}): ${message}`, options);
    this.reason = reason;
  }
}
tagError(AdvanceRefusedError, '@superscalar/client:AdvanceRefusedError');

/**
 * Something the LSP sent in an advance does not check (aggregate nonces for other jobs, a half of the
 * rebound commitment or a final signature that does not verify, a wrong L-stock secret): the advance
 * is abandoned before the client signs, or — after its partial signatures — the connection is closed
 * and the client keeps its old state.
 */
export class AdvanceSignatureError extends PeerFaultError {
  constructor(peer: string, message: string, options: { factoryId: string; cause?: unknown }) {
    super('CLIENT_ADVANCE_SIGNATURE_INVALID', peer, 'disconnect', message, options);
  }
}
tagError(AdvanceSignatureError, '@superscalar/client:AdvanceSignatureError');
