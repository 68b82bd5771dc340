/**
 * Typed errors of `@superscalar/dw-counter`. Every error is a {@link DwCounterError} (a
 * `SuperscalarError` of `@superscalar/core`) with a stable `code` prefixed `DW_`; every class is
 * tagged, so `isInstance` is exact and works across duplicated copies of the package.
 *
 * @module
 */

import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable machine-readable codes of every error this package throws. */
export type DwCounterErrorCode =
  | 'DW_INVALID_ARGUMENT'
  | 'DW_INVALID_PARAMS'
  | 'DW_INVALID_SHAPE'
  | 'DW_EXHAUSTED'
  | 'DW_COUNTER_EXHAUSTED'
  | 'DW_DECODE';

/** Base class of every error thrown by `@superscalar/dw-counter`. Switch on `code`, never on the message. */
export class DwCounterError extends SuperscalarError<DwCounterErrorCode> {}
tagError(DwCounterError, '@superscalar/dw-counter:DwCounterError');

/** An argument failed validation at the API boundary; `argument` names it. */
export class InvalidArgumentError extends DwCounterError {
  /** The argument path that was wrong (e.g. `leaf`, `options.levelArity[2]`). */
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('DW_INVALID_ARGUMENT', `${argument}: ${message}`);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/dw-counter:InvalidArgumentError');

/**
 * The DW parameters are unusable: `K` outside 2..256, `S` not a positive integer, or `S·(K−1)` above
 * 65,535 (BIP68 holds 16 bits of blocks). `field` names the parameter, `figure` the offending value.
 */
export class InvalidDwParamsError extends DwCounterError {
  /** `K`, `S` or `S·(K−1)`. */
  readonly field: 'K' | 'S' | 'S·(K−1)';
  /** The offending figure. */
  readonly figure: number;
  constructor(field: InvalidDwParamsError['field'], figure: number, message: string) {
    super('DW_INVALID_PARAMS', `${field} = ${figure}: ${message}`);
    this.field = field;
    this.figure = figure;
  }
}
tagError(InvalidDwParamsError, '@superscalar/dw-counter:InvalidDwParamsError');

/** The tree shape is malformed (a static leaf, a static node under a state node, no leaves, …). */
export class InvalidShapeError extends DwCounterError {
  /** Pre-order index of the offending node, when there is one. */
  readonly node: number | undefined;
  constructor(message: string, node?: number) {
    super('DW_INVALID_SHAPE', node === undefined ? message : `node ${node}: ${message}`);
    this.node = node;
  }
}
tagError(InvalidShapeError, '@superscalar/dw-counter:InvalidShapeError');

/**
 * No state-node on the leaf's path, within its DW subtree, has room to advance: the factory must be
 * rotated to a new one (brief §5.2, §9). Nothing was changed.
 */
export class ExhaustedError extends DwCounterError {
  /** The leaf (placement index) whose advance was asked. */
  readonly leaf: number;
  /** The top state-node of the leaf's DW subtree (pre-order index), which is at its last state. */
  readonly topNode: number;
  constructor(leaf: number, topNode: number) {
    super(
      'DW_EXHAUSTED',
      `leaf ${leaf}: every DW layer up to state-node ${topNode} is at its last state; rotate the factory`,
    );
    this.leaf = leaf;
    this.topNode = topNode;
  }
}
tagError(ExhaustedError, '@superscalar/dw-counter:ExhaustedError');

/** The per-factory leaf-state counter `c` would reach 2^48 (brief §5.3): rotate the factory. */
export class CounterExhaustedError extends DwCounterError {
  constructor() {
    super('DW_COUNTER_EXHAUSTED', 'the per-factory leaf-state counter would reach 2^48; rotate the factory');
  }
}
tagError(CounterExhaustedError, '@superscalar/dw-counter:CounterExhaustedError');

/** Serialised DW state bytes are truncated, corrupted or of an unknown version. */
export class DecodeError extends DwCounterError {
  /** What was wrong. */
  readonly reason: 'magic' | 'version' | 'truncated' | 'trailing' | 'invalid';
  /** Byte offset where decoding failed. */
  readonly offset: number;
  constructor(reason: DecodeError['reason'], offset: number, message: string, options?: { cause?: unknown }) {
    super('DW_DECODE', `DW state decode failed at byte ${offset} (${reason}): ${message}`, options);
    this.reason = reason;
    this.offset = offset;
  }
}
tagError(DecodeError, '@superscalar/dw-counter:DecodeError');
