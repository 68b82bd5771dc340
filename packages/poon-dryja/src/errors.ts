/**
 * Errors of `@superscalar/poon-dryja`: one branded base class, {@link PoonDryjaError}, with a stable
 * `code` and a cross-copy `isInstance`, and specific subclasses that name the argument, the output or
 * the figure at fault. The channel state machine adds its own subclasses (in its own file) on the same
 * base, so `PoonDryjaError.isInstance(e)` catches everything this package throws.
 *
 * @module
 */

const BRAND = Symbol.for('@superscalar/poon-dryja/error');

/**
 * Stable codes of the transaction layer (this file). Subclasses defined elsewhere in the package may
 * use further codes; the type stays open for them.
 */
export type PoonDryjaErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_COMMITMENT'
  | 'FEE_UNAFFORDABLE'
  | 'COMMITMENT_TOO_LARGE'
  | 'INVALID_SIGNATURE'
  | 'KEY_MISMATCH'
  | 'BELOW_DUST'
  | 'SETTLEMENT_MISMATCH'
  // Open for the state machine's codes (`string & {}` keeps editor completion for the ones above).
  | (string & {});

/** Base class of every error this package throws. `isInstance` works across package copies. */
export class PoonDryjaError extends Error {
  /** Stable machine-readable code. */
  readonly code: PoonDryjaErrorCode;
  /** @internal brand */
  readonly [BRAND] = true;

  constructor(code: PoonDryjaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoonDryjaError';
    this.code = code;
  }

  /** True for any error of this package (any copy of it). */
  static isInstance(x: unknown): x is PoonDryjaError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** A malformed argument (wrong type, length, range or an invalid point), named by its path. */
export class InvalidArgumentError extends PoonDryjaError {
  /** The argument path, e.g. `spec.htlcs[3].paymentHash`. */
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.name = 'InvalidArgumentError';
    this.argument = argument;
  }
}

/**
 * A well-formed commitment spec that cannot be a commitment of this channel: balances and HTLCs that
 * do not add up to the channel output, duplicate HTLC ids, and the like. `field` names the spec field.
 */
export class InvalidCommitmentError extends PoonDryjaError {
  /** The spec field (or derived figure) at fault. */
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_COMMITMENT', `${field}: ${message}`, options);
    this.name = 'InvalidCommitmentError';
    this.field = field;
  }
}

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
      'FEE_UNAFFORDABLE',
      `the LSP's balance ${available} sats cannot pay the commitment fee and anchor (${required} sats)`,
    );
    this.name = 'FeeUnaffordableError';
    this.required = required;
    this.available = available;
  }
}

/** A transaction above TRUC's 10,000 vB (BIP431): it would not relay. */
export class TransactionTooLargeError extends PoonDryjaError {
  /** Its virtual size. */
  readonly vsize: number;
  /** The limit it broke. */
  readonly limit: number;
  constructor(what: string, vsize: number, limit: number) {
    super('COMMITMENT_TOO_LARGE', `${what} is ${vsize} vB, above the ${limit} vB TRUC limit`);
    this.name = 'TransactionTooLargeError';
    this.vsize = vsize;
    this.limit = limit;
  }
}

/** A signature that does not verify against the key it must verify against. */
export class InvalidSignatureError extends PoonDryjaError {
  /** What was being verified (e.g. `commitment 5 of the client`). */
  readonly what: string;
  constructor(what: string) {
    super('INVALID_SIGNATURE', `the signature of ${what} does not verify`);
    this.name = 'InvalidSignatureError';
    this.what = what;
  }
}

/**
 * A secret (a basepoint secret or a per-commitment secret) that does not match the public key the
 * transaction needs: signing with it would produce an invalid witness.
 */
export class KeyMismatchError extends PoonDryjaError {
  /** The argument holding the wrong secret. */
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('KEY_MISMATCH', `${argument}: ${message}`);
    this.name = 'KeyMismatchError';
    this.argument = argument;
  }
}

/** A claim, penalty or settlement whose output would fall below the 330-sat P2TR dust limit. */
export class BelowDustError extends PoonDryjaError {
  /** The output amount it would have had (may be negative). */
  readonly amount: bigint;
  constructor(what: string, amount: bigint) {
    super('BELOW_DUST', `${what} would pay ${amount} sats, below the 330-sat dust limit`);
    this.name = 'BelowDustError';
    this.amount = amount;
  }
}

/** A stale-channel settlement (brief §5.4) that does not pay what the brief requires. */
export class SettlementMismatchError extends PoonDryjaError {
  /** The field that differs (`outputs[0].value`, `sequence`, …). */
  readonly field: string;
  constructor(field: string, message: string) {
    super('SETTLEMENT_MISMATCH', `${field}: ${message}`);
    this.name = 'SettlementMismatchError';
    this.field = field;
  }
}
