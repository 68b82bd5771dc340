/**
 * Errors of `@superscalar/wire`: one branded class, {@link WireError}, with a stable `code`. Every
 * decoder and encoder of this package throws nothing else (the fuzz suite holds it to that).
 *
 * @module
 */

const BRAND = Symbol.for('@superscalar/wire/error');

/**
 * Stable error codes.
 *
 * Decoding: `TRUNCATED` (the input ends inside a field), `NON_CANONICAL_BIGSIZE`, `TLV_ORDER` (types
 * not strictly increasing), `TLV_LENGTH_OVERRUN` (a record's length runs past the end),
 * `UNKNOWN_EVEN_TLV`, `UNKNOWN_MESSAGE_TYPE` (see {@link WireError.ignorable}), `MISSING_FIELD`,
 * `BAD_LENGTH` (a fixed-width value of the wrong size), `TRAILING_BYTES` (bytes left inside a record
 * after its fields), `OUT_OF_RANGE`, `INVALID_POINT`, `INVALID_VALUE` (an enum code, a boolean, UTF-8,
 * ordering inside a list), `MESSAGE_TOO_LARGE`.
 *
 * Encoding: `INVALID_ARGUMENT` (a value that has no encoding: wrong type, out of range, unknown key).
 *
 * Fragments (brief §10, split messages): `FRAGMENT_OUT_OF_ORDER`, `FRAGMENT_DUPLICATE`,
 * `FRAGMENT_TOO_MANY_PARTS`, `FRAGMENT_TOO_LARGE`, `FRAGMENT_MISMATCH` (a part disagrees with the first
 * part of its message), `FRAGMENT_LENGTH_MISMATCH` (the parts do not add up to the declared length),
 * `FRAGMENT_INTERLEAVED` (a part of another message before the current one is complete).
 */
export type WireErrorCode =
  | 'TRUNCATED'
  | 'NON_CANONICAL_BIGSIZE'
  | 'TLV_ORDER'
  | 'TLV_LENGTH_OVERRUN'
  | 'UNKNOWN_EVEN_TLV'
  | 'UNKNOWN_MESSAGE_TYPE'
  | 'MISSING_FIELD'
  | 'BAD_LENGTH'
  | 'TRAILING_BYTES'
  | 'OUT_OF_RANGE'
  | 'INVALID_POINT'
  | 'INVALID_VALUE'
  | 'MESSAGE_TOO_LARGE'
  | 'INVALID_ARGUMENT'
  | 'FRAGMENT_OUT_OF_ORDER'
  | 'FRAGMENT_DUPLICATE'
  | 'FRAGMENT_TOO_MANY_PARTS'
  | 'FRAGMENT_TOO_LARGE'
  | 'FRAGMENT_MISMATCH'
  | 'FRAGMENT_LENGTH_MISMATCH'
  | 'FRAGMENT_INTERLEAVED';

/** Where a {@link WireError} happened, as far as it is known. */
export interface WireErrorContext {
  /** The field path, e.g. `factory_propose.proposal.clients[3].key`. */
  readonly field?: string;
  /** The 2-byte message type being decoded or encoded. */
  readonly messageType?: number;
  /** The TLV record type at fault. */
  readonly tlvType?: bigint;
  /** Byte offset in the input where decoding failed. */
  readonly offset?: number;
  readonly cause?: unknown;
}

/**
 * The one error class of this package. A peer's bytes that fail to decode mean: close that connection
 * (BOLT 1), except `UNKNOWN_MESSAGE_TYPE` with {@link ignorable} true, which the receiver ignores.
 */
export class WireError extends Error {
  /** Stable machine-readable code. */
  readonly code: WireErrorCode;
  /** The field path, when known. */
  readonly field: string | undefined;
  /** The message type, when known. */
  readonly messageType: number | undefined;
  /** The TLV record type, when the fault is in one record. */
  readonly tlvType: bigint | undefined;
  /** Offset in the decoded input, when decoding. */
  readonly offset: number | undefined;
  /** @internal brand */
  readonly [BRAND] = true;

  constructor(code: WireErrorCode, message: string, context: WireErrorContext = {}) {
    super(
      context.field === undefined ? message : `${context.field}: ${message}`,
      context.cause === undefined ? undefined : { cause: context.cause },
    );
    this.name = 'WireError';
    this.code = code;
    this.field = context.field;
    this.messageType = context.messageType;
    this.tlvType = context.tlvType;
    this.offset = context.offset;
  }

  /**
   * True only for `UNKNOWN_MESSAGE_TYPE` with an odd type: BOLT 1's "it's ok to be odd" — the receiver
   * ignores such a message instead of closing the connection.
   */
  get ignorable(): boolean {
    return (
      this.code === 'UNKNOWN_MESSAGE_TYPE' && this.messageType !== undefined && this.messageType % 2 === 1
    );
  }

  /** True for any error of this package (any copy of it). */
  static isInstance(x: unknown): x is WireError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }
}
