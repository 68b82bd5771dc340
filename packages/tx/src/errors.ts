/**
 * Errors of `@superscalar/tx`: one base class, {@link TxError}, with a stable `TX_` code.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of `@superscalar/tx`'s errors. */
export type TxErrorCode = 'TX_INVALID_ARGUMENT' | 'TX_DECODE' | 'TX_BELOW_DUST';

/** Base of every error this package throws. Match on `code` or `isInstance`. */
export class TxError extends SuperscalarError<TxErrorCode> {}
tagError(TxError, '@superscalar/tx:TxError');

/**
 * An argument had the wrong type, length or range (a txid that is not 64 hex characters, a witness
 * list of the wrong length, an input index out of range). `argument` names its path (`inputs[2].vout`).
 */
export class InvalidArgumentError extends TxError {
  /** The argument's path, e.g. `tx.inputs[2].vout`. */
  readonly argument: string;

  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('TX_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/tx:InvalidArgumentError');

/**
 * Bytes that do not decode: truncated, trailing, a non-canonical CompactSize, a count larger than
 * the bytes could hold, a superfluous witness flag. `offset` is where decoding stopped.
 */
export class DecodeError extends TxError {
  /** Byte offset at which the input was found malformed. */
  readonly offset: number;

  constructor(offset: number, message: string, options?: { cause?: unknown }) {
    super('TX_DECODE', `at byte ${offset}: ${message}`, options);
    this.offset = offset;
  }
}
tagError(DecodeError, '@superscalar/tx:DecodeError');

/**
 * An output would pay less than the dust limit (or a negative amount, when fees exceed the input).
 * `output` says which output (`settlement payout`, `the claim`), `amount` what it would pay.
 */
export class BelowDustError extends TxError {
  /** What the output is, e.g. `settlement payout`. */
  readonly output: string;
  /** The amount it would pay (may be negative). */
  readonly amount: bigint;
  /** The dust limit it fell below. */
  readonly limit: bigint;

  constructor(output: string, amount: bigint, limit: bigint, options?: { cause?: unknown }) {
    super(
      'TX_BELOW_DUST',
      `${output} would pay ${amount} sats, below ${limit} sats (the dust limit)`,
      options,
    );
    this.output = output;
    this.amount = amount;
    this.limit = limit;
  }
}
tagError(BelowDustError, '@superscalar/tx:BelowDustError');
