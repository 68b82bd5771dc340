/**
 * Errors of `@superscalar/factory-tree`: one branded base class with a stable `code`, and specific
 * subclasses that name the field, the transaction or the signer at fault.
 *
 * @module
 */

const BRAND = Symbol.for('@superscalar/factory-tree/error');

/** Stable error codes. */
export type FactoryTreeErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_PROPOSAL'
  | 'SIGNING_FAILED'
  | 'PATH_VERIFICATION_FAILED';

/** Base class of every error this package throws. `isInstance` works across package copies. */
export class FactoryTreeError extends Error {
  /** Stable machine-readable code. */
  readonly code: FactoryTreeErrorCode;
  /** @internal brand */
  readonly [BRAND] = true;

  constructor(code: FactoryTreeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FactoryTreeError';
    this.code = code;
  }

  /** True for any error of this package (any copy of it). */
  static isInstance(x: unknown): x is FactoryTreeError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** A malformed argument (wrong type or length), named by its path, e.g. `clients[3].key`. */
export class InvalidArgumentError extends FactoryTreeError {
  /** The argument path. */
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.name = 'InvalidArgumentError';
    this.argument = argument;
  }
}

/**
 * A well-formed proposal that brief §2 rejects. `field` names the proposal field (or the derived
 * figure, e.g. `exitDelay + toSelfDelay + htlcBudget`), `figure` is the offending value and `limit`
 * the bound it broke, when there is one.
 */
export class InvalidProposalError extends FactoryTreeError {
  /** The proposal field or derived quantity at fault. */
  readonly field: string;
  /** The offending figure. */
  readonly figure: number | bigint | string;
  /** The bound it broke, if any. */
  readonly limit: number | bigint | string | undefined;
  constructor(
    field: string,
    figure: number | bigint | string,
    message: string,
    limit?: number | bigint | string,
    options?: { cause?: unknown },
  ) {
    super('INVALID_PROPOSAL', `${field} = ${String(figure)}: ${message}`, options);
    this.name = 'InvalidProposalError';
    this.field = field;
    this.figure = figure;
    this.limit = limit;
  }
}

/**
 * A tree signing session failed: the aggregate signature of transaction `tx` did not verify and
 * `signer` (0 = LSP, i + 1 = `clients[i]`) produced an invalid partial signature, or `null` when no
 * single signer could be blamed. Blame is informational (BIP327): restart with fresh nonces.
 */
export class SigningError extends FactoryTreeError {
  /** Index of the transaction in the tree's transaction list. */
  readonly tx: number;
  /** The blamed participant (0 = LSP, i + 1 = clients[i]), or null. */
  readonly signer: number | null;
  constructor(tx: number, signer: number | null, message: string, options?: { cause?: unknown }) {
    super('SIGNING_FAILED', message, options);
    this.name = 'SigningError';
    this.tx = tx;
    this.signer = signer;
  }
}

/** What a client's path check found wrong. */
export type PathFault = 'missing-tx' | 'tx-mismatch' | 'signature-invalid' | 'funding-mismatch';

/** A client's check of its path (brief §8 step 3, §4.5) failed at transaction `tx`. */
export class PathVerificationError extends FactoryTreeError {
  /** Index of the transaction in the tree's transaction list (-1 for the funding output). */
  readonly tx: number;
  /** What was wrong. */
  readonly fault: PathFault;
  constructor(tx: number, fault: PathFault, message: string, options?: { cause?: unknown }) {
    super('PATH_VERIFICATION_FAILED', `tx ${tx}: ${fault}: ${message}`, options);
    this.name = 'PathVerificationError';
    this.tx = tx;
    this.fault = fault;
  }
}
