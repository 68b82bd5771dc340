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
  | 'INVALID_ALLOCATION'
  | 'SIGNING_FAILED'
  | 'PATH_VERIFICATION_FAILED'
  | 'DECODE_FAILED'
  | 'SPEND_INVALID'
  | 'CLOSE_REJECTED';

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

/**
 * A leaf allocation (§5.1) that breaks amount conservation or leaves an output below dust: `leaf` is
 * the leaf (placement order), `field` the argument path, `figure` the offending amount.
 */
export class InvalidAllocationError extends FactoryTreeError {
  /** The leaf. */
  readonly leaf: number;
  /** The argument path, e.g. `allocations[1].capacities[0]`. */
  readonly field: string;
  /** The offending amount (or sum). */
  readonly figure: bigint;
  constructor(leaf: number, field: string, figure: bigint, message: string, options?: { cause?: unknown }) {
    super('INVALID_ALLOCATION', `${field} = ${figure}: ${message}`, options);
    this.name = 'InvalidAllocationError';
    this.leaf = leaf;
    this.field = field;
    this.figure = figure;
  }
}

/**
 * What a client's check found wrong: a transaction missing, undecodable or not byte-identical to the
 * rebuilt one (`tx-mismatch`: version, input, sequence, lock time, amounts or scripts differ; the
 * message says which), a signature that does not verify against the spent output's key, a funding
 * amount or output that does not match the tree, the client's own entry in the proposal not being
 * what it agreed (`client-mismatch`), or a revealed L-stock secret that does not open its poison leaf.
 */
export type PathFault =
  | 'missing-tx'
  | 'undecodable'
  | 'tx-mismatch'
  | 'signature-invalid'
  | 'funding-mismatch'
  | 'client-mismatch'
  | 'secret-invalid';

/**
 * A client's check (brief §4.5, §8 steps 3–4, §5.1) failed at transaction `tx`: `tx` is the index in
 * the tree's transaction list, -1 for the funding output, or -2 for a poison / settlement / secret
 * (then `label` names it).
 */
export class PathVerificationError extends FactoryTreeError {
  /** Index of the transaction in the tree's transaction list (-1 funding, -2 advance artefacts). */
  readonly tx: number;
  /** What was wrong. */
  readonly fault: PathFault;
  /** Human-readable name of the transaction at fault, e.g. `tx 3 (leaf 1 state)` or `poison c=4`. */
  readonly label: string;
  constructor(tx: number, fault: PathFault, message: string, options?: { cause?: unknown; label?: string }) {
    const label = options?.label ?? `tx ${tx}`;
    super('PATH_VERIFICATION_FAILED', `${label}: ${fault}: ${message}`, options);
    this.name = 'PathVerificationError';
    this.tx = tx;
    this.fault = fault;
    this.label = label;
  }
}

/** Why a factory record did not decode. */
export type DecodeFault = 'magic' | 'version' | 'truncated' | 'trailing' | 'invalid' | 'unknown-even';

/** A serialised factory (`serialize.ts`) failed to decode: `reason` and the byte `offset`. */
export class FactoryDecodeError extends FactoryTreeError {
  /** The fault. */
  readonly reason: DecodeFault;
  /** Byte offset where decoding stopped. */
  readonly offset: number;
  constructor(reason: DecodeFault, offset: number, message: string, options?: { cause?: unknown }) {
    super('DECODE_FAILED', `offset ${offset}: ${reason}: ${message}`, options);
    this.name = 'FactoryDecodeError';
    this.reason = reason;
    this.offset = offset;
  }
}
