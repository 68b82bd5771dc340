/** The transaction codec's decode failure. */
import { tagError } from '@superscalar/core';
import { ChainError } from '../errors.js';

/** Which rule undecodable bytes broke (Bitcoin Core's `UnserializeTransaction` plus "no trailing bytes"). */
export type DecodeProblem =
  | 'TRUNCATED'
  | 'NONCANONICAL_COMPACTSIZE'
  | 'SIZE_TOO_LARGE'
  | 'SUPERFLUOUS_WITNESS'
  | 'UNKNOWN_OPTIONAL_DATA'
  | 'TRAILING_DATA'
  /** Script assembly text (`parseAsm`), see `ScriptAsmError`. */
  | 'ASM';

/**
 * Bytes (or script assembly) could not be decoded. `code` is `CHAIN_DECODE`; `problem` says which rule
 * was broken and `offset` where (the byte position; for assembly, the character position).
 */
export class DecodeError extends ChainError<'CHAIN_DECODE'> {
  /** Which rule was broken. */
  readonly problem: DecodeProblem;
  /** Position in the input at which the problem was found. */
  readonly offset: number;

  constructor(problem: DecodeProblem, offset: number, message: string, options?: { cause?: unknown }) {
    super('CHAIN_DECODE', `${message} (at byte ${offset})`, options);
    this.problem = problem;
    this.offset = offset;
  }
}
tagError(DecodeError, '@superscalar/chain:DecodeError');
