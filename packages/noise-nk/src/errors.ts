/**
 * Typed errors of `@superscalar/noise-nk`. Every error thrown (or reported through `closed`) by this
 * package is a {@link NoiseError} (a `SuperscalarError` of `@superscalar/core`) with a stable string
 * `code` prefixed `NOISE_`; match on `code` or on the subclass's `isInstance`, never on the message.
 * Errors caused by the peer say so with `action: 'disconnect'`: the connection they happened on is
 * already closed, nothing else is affected.
 */
import { SuperscalarError, tagError } from '@superscalar/core';
import type { AdmissionLimit } from './connectionLimiter.js';

/** Codes of {@link DecodeError} and its subclasses: the peer's bytes could not be decoded. */
export type NoiseDecodeCode = 'NOISE_DECODE' | 'NOISE_HANDSHAKE_FAILED' | 'NOISE_BAD_MAC';

/** Stable codes of {@link NoiseError} subclasses. */
export type NoiseErrorCode =
  | NoiseDecodeCode
  | 'NOISE_INVALID_ARGUMENT'
  | 'NOISE_HANDSHAKE_TIMEOUT'
  | 'NOISE_IDLE_TIMEOUT'
  | 'NOISE_FRAME_TOO_LARGE'
  | 'NOISE_NONCE_EXHAUSTED'
  | 'NOISE_CONNECTION_CLOSED'
  | 'NOISE_TRANSPORT_ERROR'
  | 'NOISE_RATE_LIMITED'
  | 'NOISE_STATE';

/**
 * Base class of every error this package throws. `NoiseError.isInstance(x)` (and each subclass's
 * `isInstance`) is exact and works across duplicate copies of the package (core's kind tags).
 */
export class NoiseError<C extends NoiseErrorCode = NoiseErrorCode> extends SuperscalarError<C> {}
tagError(NoiseError, '@superscalar/noise-nk:NoiseError');

/** An argument had the wrong type, length or range. `argument` names it. Fix the call. */
export class InvalidArgumentError extends NoiseError<'NOISE_INVALID_ARGUMENT'> {
  /** The argument's name or path (e.g. `remoteStatic`, `options.prologue`). */
  readonly argument: string;

  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('NOISE_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/noise-nk:InvalidArgumentError');

/**
 * The peer's bytes could not be decoded: a malformed or unauthentic handshake act
 * ({@link HandshakeError}), a transport frame that failed authentication ({@link BadMacError}), or
 * (code `NOISE_DECODE` on this class itself) bytes of the wrong kind, such as a WebSocket text
 * message on a binary channel. Action: disconnect; the connection is already closed.
 */
export class DecodeError<C extends NoiseDecodeCode = NoiseDecodeCode> extends NoiseError<C> {
  /** Always `disconnect`. */
  readonly action = 'disconnect' as const;
}
tagError(DecodeError, '@superscalar/noise-nk:DecodeError');

/**
 * Why a handshake message was rejected. The BOLT 8 labels map as: `short_read` → `ACTn_READ_FAILED`,
 * `bad_version` → `ACTn_BAD_VERSION`, `bad_pubkey` → `ACTn_BAD_PUBKEY`, `bad_ciphertext` (the
 * encrypted static key did not authenticate) → `ACTn_BAD_CIPHERTEXT`, `bad_tag` (the payload's MAC)
 * → `ACTn_BAD_TAG`. `bad_length` is a message longer than the act.
 */
export type HandshakeFailure =
  | 'short_read'
  | 'bad_length'
  | 'bad_version'
  | 'bad_pubkey'
  | 'bad_ciphertext'
  | 'bad_tag';

/**
 * The peer's handshake message was malformed or did not authenticate (a wrong static key, a wrong
 * prologue or protocol name, or tampering). Action: disconnect; the handshake cannot continue.
 */
export class HandshakeError extends DecodeError<'NOISE_HANDSHAKE_FAILED'> {
  /** The 1-based handshake message (BOLT 8 "act") that failed. */
  readonly act: number;
  /** What was wrong with it. */
  readonly reason: HandshakeFailure;

  constructor(act: number, reason: HandshakeFailure, detail: string, options?: { cause?: unknown }) {
    super('NOISE_HANDSHAKE_FAILED', `handshake act ${act}: ${reason}: ${detail}`, options);
    this.act = act;
    this.reason = reason;
  }

  /** The BOLT 8 test-vector label of this failure, e.g. `ACT3_BAD_CIPHERTEXT`. */
  get bolt8Label(): string {
    const r = this.reason === 'short_read' || this.reason === 'bad_length' ? 'READ_FAILED' : this.reason;
    return `ACT${this.act}_${r.toUpperCase()}`;
  }
}
tagError(HandshakeError, '@superscalar/noise-nk:HandshakeError');

/**
 * A handshake deadline passed: act one did not arrive in time (`deadline: 'act_one'`, responders
 * only, default 2 s) or the whole handshake did not finish in time (`'handshake'`, default 10 s).
 * The connection was closed.
 */
export class HandshakeTimeoutError extends NoiseError<'NOISE_HANDSHAKE_TIMEOUT'> {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;
  /** Which deadline passed. */
  readonly deadline: 'act_one' | 'handshake';
  /** Always `disconnect`. */
  readonly action = 'disconnect' as const;

  constructor(timeoutMs: number, deadline: 'act_one' | 'handshake' = 'handshake') {
    super(
      'NOISE_HANDSHAKE_TIMEOUT',
      deadline === 'act_one'
        ? `act one did not arrive within ${timeoutMs} ms; connection closed`
        : `handshake did not complete within ${timeoutMs} ms; connection closed`,
    );
    this.timeoutMs = timeoutMs;
    this.deadline = deadline;
  }
}
tagError(HandshakeTimeoutError, '@superscalar/noise-nk:HandshakeTimeoutError');

/**
 * An established session received nothing from the peer for `idleTimeoutMs` (an option, off by
 * default) and was closed. Action: disconnect; reconnect if the peer is still wanted.
 */
export class IdleTimeoutError extends NoiseError<'NOISE_IDLE_TIMEOUT'> {
  /** The idle time that elapsed, in milliseconds. */
  readonly timeoutMs: number;
  /** Always `disconnect`. */
  readonly action = 'disconnect' as const;

  constructor(timeoutMs: number) {
    super('NOISE_IDLE_TIMEOUT', `nothing received for ${timeoutMs} ms; session closed`);
    this.timeoutMs = timeoutMs;
  }
}
tagError(IdleTimeoutError, '@superscalar/noise-nk:IdleTimeoutError');

/**
 * A transport frame (its length prefix or its body) failed authentication: garbage, tampering or a
 * desynchronised peer. Action: disconnect (the cipher state cannot recover).
 */
export class BadMacError extends DecodeError<'NOISE_BAD_MAC'> {
  /** Which part of the frame failed: the 18-byte encrypted length or the body. */
  readonly part: 'length' | 'body';

  constructor(part: 'length' | 'body') {
    super('NOISE_BAD_MAC', `transport frame ${part} failed authentication; connection closed`);
    this.part = part;
  }
}
tagError(BadMacError, '@superscalar/noise-nk:BadMacError');

/**
 * A message is larger than the frame limit (65,535 bytes in BOLT 8, or a smaller configured limit).
 * Sending one throws before anything is written; receiving one closes the connection.
 */
export class FrameTooLargeError extends NoiseError<'NOISE_FRAME_TOO_LARGE'> {
  /** The offending length in bytes. */
  readonly length: number;
  /** The limit in force. */
  readonly limit: number;

  constructor(length: number, limit: number) {
    super('NOISE_FRAME_TOO_LARGE', `message of ${length} bytes exceeds the frame limit of ${limit} bytes`);
    this.length = length;
    this.limit = limit;
  }
}
tagError(FrameTooLargeError, '@superscalar/noise-nk:FrameTooLargeError');

/** A cipher state without key rotation reached the largest nonce. Action: start a new session. */
export class NonceExhaustedError extends NoiseError<'NOISE_NONCE_EXHAUSTED'> {
  constructor() {
    super('NOISE_NONCE_EXHAUSTED', 'cipher nonce exhausted; re-handshake to continue');
  }
}
tagError(NonceExhaustedError, '@superscalar/noise-nk:NonceExhaustedError');

/** The operation needs an open connection, and this one is closed (by either side or by an error). */
export class ConnectionClosedError extends NoiseError<'NOISE_CONNECTION_CLOSED'> {
  constructor(message = 'connection is closed', options?: { cause?: unknown }) {
    super('NOISE_CONNECTION_CLOSED', message, options);
  }
}
tagError(ConnectionClosedError, '@superscalar/noise-nk:ConnectionClosedError');

/** The underlying byte transport reported an error (a socket reset, a WebSocket error). */
export class TransportError extends NoiseError<'NOISE_TRANSPORT_ERROR'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOISE_TRANSPORT_ERROR', message, options);
  }
}
tagError(TransportError, '@superscalar/noise-nk:TransportError');

/**
 * A listener refused a connection: its source address exceeded the per-IP rate
 * (`per_ip_rate`) or had its maximum of handshakes in progress (`per_ip_handshakes`), or the
 * listener had its maximum in all (`concurrent_handshakes`). The connection was closed unread.
 */
export class RateLimitedError extends NoiseError<'NOISE_RATE_LIMITED'> {
  /** The peer's address. */
  readonly remoteAddress: string;
  /** Which limit refused it. */
  readonly limit: AdmissionLimit;

  constructor(remoteAddress: string, limit: AdmissionLimit) {
    super('NOISE_RATE_LIMITED', `connection from ${remoteAddress} refused: ${limit} limit reached`);
    this.remoteAddress = remoteAddress;
    this.limit = limit;
  }
}
tagError(RateLimitedError, '@superscalar/noise-nk:RateLimitedError');

/** An API was called out of order (e.g. writing a handshake message when it is the peer's turn). */
export class StateError extends NoiseError<'NOISE_STATE'> {
  constructor(message: string) {
    super('NOISE_STATE', message);
  }
}
tagError(StateError, '@superscalar/noise-nk:StateError');
