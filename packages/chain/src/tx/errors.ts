/**
 * Errors of the transaction codec. They carry the package brand `Symbol.for('@superscalar/chain/error')`,
 * so the package's base `isInstance` check recognises them; match on `code`, never on the message.
 */

const BRAND = Symbol.for('@superscalar/chain/error');

/** Stable codes of {@link TxDecodeError}. */
export type TxDecodeErrorCode =
  | 'TX_TRUNCATED'
  | 'TX_NONCANONICAL_COMPACTSIZE'
  | 'TX_SIZE_TOO_LARGE'
  | 'TX_SUPERFLUOUS_WITNESS'
  | 'TX_UNKNOWN_OPTIONAL_DATA'
  | 'TX_TRAILING_DATA';

/**
 * Raw transaction bytes could not be decoded. `offset` is the byte position where decoding failed.
 * The rules are Bitcoin Core's `UnserializeTransaction` plus "no trailing bytes".
 */
export class TxDecodeError extends Error {
  /** Stable, machine-readable code. */
  readonly code: TxDecodeErrorCode;
  /** Byte offset in the input at which the problem was found. */
  readonly offset: number;

  constructor(code: TxDecodeErrorCode, offset: number, message: string, options?: { cause?: unknown }) {
    super(`${message} (at byte ${offset})`, options);
    this.code = code;
    this.offset = offset;
    this.name = 'TxDecodeError';
  }

  /** True for a {@link TxDecodeError} from any copy of this package. */
  static isInstance(x: unknown): x is TxDecodeError {
    return (
      typeof x === 'object' &&
      x !== null &&
      (x as Record<symbol, unknown>)[BRAND] === true &&
      (x as { name?: unknown }).name === 'TxDecodeError'
    );
  }
}
Object.defineProperty(TxDecodeError.prototype, BRAND, { value: true });

/** A caller passed a malformed value (wrong type, length or range); `argument` names it. */
export class TxArgumentError extends Error {
  /** Stable code. */
  readonly code = 'TX_INVALID_ARGUMENT' as const;
  /** The argument path, e.g. `tx.inputs[2].prevTxid`. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`);
    this.argument = argument;
    this.name = 'TxArgumentError';
  }

  /** True for a {@link TxArgumentError} from any copy of this package. */
  static isInstance(x: unknown): x is TxArgumentError {
    return (
      typeof x === 'object' &&
      x !== null &&
      (x as Record<symbol, unknown>)[BRAND] === true &&
      (x as { name?: unknown }).name === 'TxArgumentError'
    );
  }
}
Object.defineProperty(TxArgumentError.prototype, BRAND, { value: true });
