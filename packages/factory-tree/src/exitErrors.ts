/**
 * Errors of the exit, timeout-recovery, distribution and cooperative-close builders (brief §6). They
 * extend {@link FactoryTreeError}, so `FactoryTreeError.isInstance` catches them too.
 *
 * @module
 */
import { tagError } from '@superscalar/core';
import { FactoryTreeError, type FactoryTreeErrorCode } from './errors.js';

/** Codes of this file's errors (members of {@link FactoryTreeErrorCode}). */
export type ExitErrorCode = Extract<FactoryTreeErrorCode, 'TREE_SPEND_INVALID' | 'TREE_CLOSE_REJECTED'>;

/** What makes a requested spend impossible to build. */
export type SpendFault =
  | 'not-a-timeout-output'
  | 'below-dust'
  | 'fee-coin-too-small'
  | 'too-large'
  | 'too-many-clients'
  | 'rest-negative'
  | 'unknown-client'
  | 'missing-signature';

/**
 * A transaction of brief §6 cannot be built as asked: `fault` says why and `what` names the output,
 * transaction or argument concerned (e.g. `tx[3].outputs[0]`).
 */
export class SpendError extends FactoryTreeError {
  /** Why. */
  readonly fault: SpendFault;
  /** The output, transaction or argument concerned. */
  readonly what: string;
  constructor(fault: SpendFault, what: string, message: string, options?: { cause?: unknown }) {
    super('TREE_SPEND_INVALID', `${what}: ${fault}: ${message}`, options);
    this.fault = fault;
    this.what = what;
  }
}
tagError(SpendError, '@superscalar/factory-tree:SpendError');

/** What a client's check of a cooperative close found wrong. */
export type CloseFault = 'wrong-input' | 'wrong-form' | 'no-own-output' | 'underpaid';

/**
 * A client refuses to sign a cooperative close (brief §6): its own close address is not paid at least
 * its balance, or the transaction does not spend the factory's funding output in the §6 form. Action:
 * do not sign; report to the LSP and keep the factory open.
 */
export class CloseRejectedError extends FactoryTreeError {
  /** The client (index into `clients[]`) that refused. */
  readonly client: number;
  /** What was wrong. */
  readonly fault: CloseFault;
  constructor(client: number, fault: CloseFault, message: string, options?: { cause?: unknown }) {
    super('TREE_CLOSE_REJECTED', `client ${client}: ${fault}: ${message}`, options);
    this.client = client;
    this.fault = fault;
  }
}
tagError(CloseRejectedError, '@superscalar/factory-tree:CloseRejectedError');
