/**
 * Typed errors of `@superscalar/bolt11`. Every error thrown by this package is a {@link Bolt11Error}
 * with a stable string `code`; match on `code`, on the subclass or on {@link DecodeError.reason},
 * never on the message.
 */

import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of {@link Bolt11Error} subclasses. */
export type Bolt11ErrorCode = 'BOLT11_INVALID_ARGUMENT' | 'BOLT11_DECODE';

/**
 * Why an invoice string was refused, in the order {@link decodeInvoice} checks (the first failing
 * check names the reason):
 *
 * - `bech32`: not a bech32 string (no separator `1`, mixed case, a character outside the alphabet);
 * - `checksum`: the bech32 checksum does not match (BOLT 11: "MUST fail the payment");
 * - `prefix`: the human-readable part is not `ln` + `bc`, `tb`, `tbs` or `bcrt`;
 * - `amount`: the amount is not a positive decimal without leading zeros followed by at most one of
 *   `m`, `u`, `n`, `p`; a `p` amount not ending in 0 (sub-millisatoshi); above 21 million BTC;
 * - `too-short`: the data part cannot hold the timestamp and the signature;
 * - `field-truncated`: a tagged field runs into the signature;
 * - `field-length`: `p`, `h`, `s` or `n` is not 52, 52, 52 or 53 words long (BOLT 11: "MUST fail");
 * - `field-value`: a field's content is malformed (non-zero padding bits, invalid UTF-8, a public key
 *   not on the curve, a fallback program of the wrong length, a route hint not a whole number of
 *   hops, a number above 2^53 − 1);
 * - `non-minimal`: `x`, `c` or `9` starts with a zero word, or `9` is empty;
 * - `unknown-feature`: an even (compulsory) feature bit this package does not know (BOLT 11: "MUST
 *   fail the payment");
 * - `signature`: no public key recovers from the signature, or, with an `n` field, the signature
 *   does not verify against it or is not low-S;
 * - `duplicate-field`: a field other than `f`, `r` or an unknown one appears twice;
 * - `missing-field`: no `p`, no `s`, or neither `d` nor `h`;
 * - `conflicting-fields`: both `d` and `h`.
 */
export type DecodeReason =
  | 'bech32'
  | 'checksum'
  | 'prefix'
  | 'amount'
  | 'too-short'
  | 'field-truncated'
  | 'field-length'
  | 'field-value'
  | 'non-minimal'
  | 'unknown-feature'
  | 'signature'
  | 'duplicate-field'
  | 'missing-field'
  | 'conflicting-fields';

/**
 * Base class of every error this package throws (a `SuperscalarError` of `@superscalar/core`).
 * `isInstance` is exact and works across duplicate copies of the package.
 */
export class Bolt11Error extends SuperscalarError<Bolt11ErrorCode> {}
tagError(Bolt11Error, '@superscalar/bolt11:Bolt11Error');

/** An argument had the wrong type, length or range. `argument` names its path (`invoice.fields[2].value`). */
export class InvalidArgumentError extends Bolt11Error {
  /** The argument's path, as in the function's signature. */
  readonly argument: string;

  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('BOLT11_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/bolt11:InvalidArgumentError');

/**
 * A string is not a valid BOLT 11 invoice: fail the payment. `reason` says which rule it broke;
 * `field` names the tagged field (its bech32 letter, `p`, `9`, …) when the fault is in one.
 */
export class DecodeError extends Bolt11Error {
  /** Which check failed. */
  readonly reason: DecodeReason;
  /** The tagged field's letter, when the fault is in a field. */
  readonly field: string | undefined;

  constructor(reason: DecodeReason, detail: string, options?: { field?: string; cause?: unknown }) {
    const where = options?.field === undefined ? '' : ` (field ${options.field})`;
    super('BOLT11_DECODE', `invalid BOLT 11 invoice, ${reason}${where}: ${detail}`, options);
    this.reason = reason;
    this.field = options?.field;
  }
}
tagError(DecodeError, '@superscalar/bolt11:DecodeError');
