/**
 * Errors of `@superscalar/poon-dryja`: one base class, {@link PoonDryjaError} (a `SuperscalarError` of
 * `@superscalar/core`), with a stable `CHANNEL_` code, and specific subclasses that name the argument,
 * the output or the figure at fault. Every class is tagged, so `Sub.isInstance(e)` is exact and works
 * across package copies. The channel state machine adds its own subclasses (`channelErrors.ts`) on
 * the same base, so `PoonDryjaError.isInstance(e)` catches everything this package throws.
 *
 * @module
 */

import { SuperscalarError, tagError } from '@superscalar/core';

/**
 * Stable codes of every error this package throws, prefixed `CHANNEL_`. Each names one meaning, so a
 * caller maps a fault to a consequence from `code` alone; the state machine's rejections
 * ({@link ChannelError}) also carry the `action` to take.
 */
export type PoonDryjaErrorCode =
  | 'CHANNEL_INVALID_ARGUMENT'
  | 'CHANNEL_INVALID_COMMITMENT'
  | 'CHANNEL_FEE_UNAFFORDABLE'
  | 'CHANNEL_TX_TOO_LARGE'
  | 'CHANNEL_INVALID_SIGNATURE'
  | 'CHANNEL_KEY_MISMATCH'
  | 'CHANNEL_SETTLEMENT_MISMATCH'
  | 'CHANNEL_CAPACITY_CHANGE_REJECTED'
  | 'CHANNEL_SELF_VERIFICATION'
  | 'CHANNEL_DECODE'
  | 'CHANNEL_INVARIANT'
  | ChannelErrorCode;

/** Stable codes of the state machine's rejections ({@link ChannelError} and its subclasses). */
export type ChannelErrorCode =
  | 'CHANNEL_ILLEGAL_STEP'
  | 'CHANNEL_HTLC_REJECTED'
  | 'CHANNEL_FEE_UPDATE_REJECTED'
  | 'CHANNEL_SIGNATURE_REJECTED'
  | 'CHANNEL_REVOCATION_REJECTED'
  | 'CHANNEL_CLOSED';

/**
 * Base class of every error this package throws. `PoonDryjaError.isInstance(e)` is true for any of
 * them, from any copy of the package; `Sub.isInstance(e)` is exact for each subclass.
 */
export class PoonDryjaError<C extends PoonDryjaErrorCode = PoonDryjaErrorCode> extends SuperscalarError<C> {}
tagError(PoonDryjaError, '@superscalar/poon-dryja:PoonDryjaError');

/** A malformed argument (wrong type, length, range or an invalid point), named by its path. */
export class InvalidArgumentError extends PoonDryjaError {
  /** The argument path, e.g. `spec.htlcs[3].paymentHash`. */
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('CHANNEL_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/poon-dryja:InvalidArgumentError');

/**
 * A well-formed commitment spec that cannot be a commitment of this channel: balances and HTLCs that
 * do not add up to the channel output, duplicate HTLC ids, and the like. `field` names the spec field.
 */
export class InvalidCommitmentError extends PoonDryjaError {
  /** The spec field (or derived figure) at fault. */
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('CHANNEL_INVALID_COMMITMENT', `${field}: ${message}`, options);
    this.field = field;
  }
}
tagError(InvalidCommitmentError, '@superscalar/poon-dryja:InvalidCommitmentError');

/**
 * The funder (the LSP, brief §7) cannot pay the commitment's fee and anchor from its balance.
 * `required` is fee + anchor in sats, `available` the LSP's balance in sats (msat truncated).
 */
export class FeeUnaffordableError extends PoonDryjaError {
  /** Sats the LSP's output must cover: the commitment fee plus the 240-sat anchor. */
  readonly required: bigint;
  /** The LSP's balance in sats. */
  readonly available: bigint;
  constructor(required: bigint, available: bigint) {
    super(
      'CHANNEL_FEE_UNAFFORDABLE',
      `the LSP's balance ${available} sats cannot pay the commitment fee and anchor (${required} sats)`,
    );
    this.required = required;
    this.available = available;
  }
}
tagError(FeeUnaffordableError, '@superscalar/poon-dryja:FeeUnaffordableError');

/** A transaction above TRUC's 10,000 vB (BIP431): it would not relay. */
export class TransactionTooLargeError extends PoonDryjaError {
  /** Its virtual size. */
  readonly vsize: number;
  /** The limit it broke. */
  readonly limit: number;
  constructor(what: string, vsize: number, limit: number) {
    super('CHANNEL_TX_TOO_LARGE', `${what} is ${vsize} vB, above the ${limit} vB TRUC limit`);
    this.vsize = vsize;
    this.limit = limit;
  }
}
tagError(TransactionTooLargeError, '@superscalar/poon-dryja:TransactionTooLargeError');

/** A signature that does not verify against the key it must verify against. */
export class InvalidSignatureError extends PoonDryjaError {
  /** What was being verified (e.g. `commitment 5 of the client`). */
  readonly what: string;
  constructor(what: string) {
    super('CHANNEL_INVALID_SIGNATURE', `the signature of ${what} does not verify`);
    this.what = what;
  }
}
tagError(InvalidSignatureError, '@superscalar/poon-dryja:InvalidSignatureError');

/**
 * A secret (a basepoint secret or a per-commitment secret) that does not match the public key the
 * transaction needs: signing with it would produce an invalid witness.
 */
export class KeyMismatchError extends PoonDryjaError {
  /** The argument holding the wrong secret. */
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('CHANNEL_KEY_MISMATCH', `${argument}: ${message}`);
    this.argument = argument;
  }
}
tagError(KeyMismatchError, '@superscalar/poon-dryja:KeyMismatchError');

/** A stale-channel settlement (brief §5.4) that does not pay what the brief requires. */
export class SettlementMismatchError extends PoonDryjaError {
  /** The field that differs (`outputs[0].value`, `sequence`, …). */
  readonly field: string;
  constructor(field: string, message: string) {
    super('CHANNEL_SETTLEMENT_MISMATCH', `${field}: ${message}`);
    this.field = field;
  }
}
tagError(SettlementMismatchError, '@superscalar/poon-dryja:SettlementMismatchError');

/**
 * Which rule of brief §5.4 "Capacity change" a rebinding with a new capacity or a liquidity fee broke:
 *
 * - `fee-above-balance`: the client's balance is below the liquidity fee;
 * - `lsp-balance`: the capacity shrinks by more than the LSP's balance;
 * - `output-below-dust`: a `to_local`/`to_remote` output present on the old copy would fall below 330 sats;
 * - `client-reserve`: the client's balance after paying the fee would be below the new capacity's reserve;
 * - `affordability`: the LSP's balance would not cover the new reserve + fee (with room for one more
 *   HTLC each way) + 240 (brief §7);
 * - `dust-exposure`: trimmed HTLCs plus the fee would exceed the new capacity's `maxDustExposure`.
 */
export type CapacityChangeRule =
  | 'fee-above-balance'
  | 'lsp-balance'
  | 'output-below-dust'
  | 'client-reserve'
  | 'affordability'
  | 'dust-exposure';

/**
 * A rebinding with a capacity change (brief §5.4) that must be refused: the advance aborts, nothing is
 * signed. `holder` is the commitment checked; `figure` and `limit` are sats (msat for the fee rule).
 */
export class CapacityChangeRejectedError extends PoonDryjaError {
  /** The rule broken. */
  readonly rule: CapacityChangeRule;
  /** Whose rebound commitment broke it. */
  readonly holder: 'lsp' | 'client';
  /** The offending figure. */
  readonly figure: bigint;
  /** The limit it broke. */
  readonly limit: bigint;
  constructor(
    rule: CapacityChangeRule,
    holder: 'lsp' | 'client',
    figure: bigint,
    limit: bigint,
    message: string,
  ) {
    super('CHANNEL_CAPACITY_CHANGE_REJECTED', `${rule} (${holder}'s commitment): ${message}`);
    this.rule = rule;
    this.holder = holder;
    this.figure = figure;
    this.limit = limit;
  }
}
tagError(CapacityChangeRejectedError, '@superscalar/poon-dryja:CapacityChangeRejectedError');

/**
 * Bytes that do not decode: a persisted channel state ({@link decodeChannelState}), a watchtower
 * record or export. Strict decoders: `offset` is the byte where decoding failed.
 */
export class DecodeError extends PoonDryjaError {
  /** Byte offset where decoding failed. */
  readonly offset: number;
  /** What was wrong. */
  readonly reason: string;
  constructor(reason: string, offset: number, options?: { cause?: unknown }) {
    super('CHANNEL_DECODE', `at byte ${offset}: ${reason}`, options);
    this.offset = offset;
    this.reason = reason;
  }
}
tagError(DecodeError, '@superscalar/poon-dryja:DecodeError');

/**
 * A signature this package just made does not verify (verify-your-own-signature): a faulty signer,
 * memory or RNG. Nothing was returned; do not retry with the same inputs before investigating.
 */
export class SelfVerificationError extends PoonDryjaError {
  /** What was signed (`claim`, `penalty`, `commitment`: the holder's own partial). */
  readonly what: string;
  constructor(what: string) {
    super('CHANNEL_SELF_VERIFICATION', `the ${what} signature failed self-verification`);
    this.what = what;
  }
}
tagError(SelfVerificationError, '@superscalar/poon-dryja:SelfVerificationError');

/**
 * An internal invariant of the channel state machine broke (an update log removing an HTLC it never
 * added, a signature with no counterparty nonce queued): a bug in this package, not a peer's fault.
 * The in-memory channel cannot be trusted; stop it and recover from the last persisted state (force-
 * close from the latest holder commitment if in doubt). `invariant` names what broke.
 */
export class InvariantError extends PoonDryjaError {
  /** The invariant that broke, e.g. `update-log: removal of a known HTLC`. */
  readonly invariant: string;
  constructor(invariant: string, message: string) {
    super('CHANNEL_INVARIANT', `internal: ${invariant}: ${message}`);
    this.invariant = invariant;
  }
}
tagError(InvariantError, '@superscalar/poon-dryja:InvariantError');
