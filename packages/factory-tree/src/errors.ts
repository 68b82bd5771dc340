/**
 * Errors of `@superscalar/factory-tree`: one base class, {@link FactoryTreeError} (a `SuperscalarError`
 * of `@superscalar/core`), with a stable `TREE_` code, and specific subclasses that name the field, the
 * transaction or the signer at fault. Every class is tagged, so `Sub.isInstance(e)` is exact and works
 * across package copies.
 *
 * @module
 */

import { SuperscalarError, tagError } from '@superscalar/core';

/**
 * Stable codes of every error this package throws, prefixed `TREE_`. Each names one meaning:
 *
 * - `TREE_INVALID_ARGUMENT`: a malformed argument (a caller's bug).
 * - `TREE_INVALID_PROPOSAL`: a well-formed proposal that brief §2 rejects (refuse the factory).
 * - `TREE_INVALID_ALLOCATION`: a leaf allocation that breaks conservation or dust (refuse the advance).
 * - `TREE_SIGNING_FAILED`: a MuSig2 session over the tree failed (restart with fresh nonces).
 * - `TREE_PATH_VERIFICATION_FAILED`: a received transaction, signature or secret is wrong (do not sign
 *   on; the peer is at fault).
 * - `TREE_DECODE`: a stored factory record does not decode.
 * - `TREE_SPEND_INVALID`: an exit, recovery, distribution or close cannot be built as asked.
 * - `TREE_CLOSE_REJECTED`: a client refuses a proposed cooperative close.
 */
export type FactoryTreeErrorCode =
  | 'TREE_INVALID_ARGUMENT'
  | 'TREE_INVALID_PROPOSAL'
  | 'TREE_INVALID_ALLOCATION'
  | 'TREE_SIGNING_FAILED'
  | 'TREE_PATH_VERIFICATION_FAILED'
  | 'TREE_DECODE'
  | 'TREE_SPEND_INVALID'
  | 'TREE_CLOSE_REJECTED';

/**
 * Base class of every error this package throws. `FactoryTreeError.isInstance(e)` is true for any of
 * them, from any copy of the package; `Sub.isInstance(e)` is exact for each subclass.
 */
export class FactoryTreeError<
  C extends FactoryTreeErrorCode = FactoryTreeErrorCode,
> extends SuperscalarError<C> {}
tagError(FactoryTreeError, '@superscalar/factory-tree:FactoryTreeError');

/** A malformed argument (wrong type or length), named by its path, e.g. `clients[3].key`. */
export class InvalidArgumentError extends FactoryTreeError {
  /** The argument path. */
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('TREE_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/factory-tree:InvalidArgumentError');

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
    super('TREE_INVALID_PROPOSAL', `${field} = ${String(figure)}: ${message}`, options);
    this.field = field;
    this.figure = figure;
    this.limit = limit;
  }
}
tagError(InvalidProposalError, '@superscalar/factory-tree:InvalidProposalError');

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
    super('TREE_SIGNING_FAILED', message, options);
    this.tx = tx;
    this.signer = signer;
  }
}
tagError(SigningError, '@superscalar/factory-tree:SigningError');

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
    super('TREE_INVALID_ALLOCATION', `${field} = ${figure}: ${message}`, options);
    this.leaf = leaf;
    this.field = field;
    this.figure = figure;
  }
}
tagError(InvalidAllocationError, '@superscalar/factory-tree:InvalidAllocationError');

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
    super('TREE_PATH_VERIFICATION_FAILED', `${label}: ${fault}: ${message}`, options);
    this.tx = tx;
    this.fault = fault;
    this.label = label;
  }
}
tagError(PathVerificationError, '@superscalar/factory-tree:PathVerificationError');

/** Why a factory record did not decode. */
export type DecodeFault = 'magic' | 'version' | 'truncated' | 'trailing' | 'invalid' | 'unknown-even';

/** A serialised factory (`encodeFactory`) failed to decode: `reason` and the byte `offset`. */
export class DecodeError extends FactoryTreeError {
  /** The fault. */
  readonly reason: DecodeFault;
  /** Byte offset where decoding stopped. */
  readonly offset: number;
  constructor(reason: DecodeFault, offset: number, message: string, options?: { cause?: unknown }) {
    super('TREE_DECODE', `offset ${offset}: ${reason}: ${message}`, options);
    this.reason = reason;
    this.offset = offset;
  }
}
tagError(DecodeError, '@superscalar/factory-tree:DecodeError');
