/**
 * Errors of `@superscalar/watchtower`: one base class, {@link WatchtowerError}, and one subclass per
 * fault, each with a stable `TOWER_` code, so a role maps a fault to a consequence from `code` alone.
 * Every class is tagged (`@superscalar/watchtower:<Name>`), so `Cls.isInstance(x)` is exact across
 * copies of the package.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/** Stable codes of the watchtower's errors. */
export type WatchtowerErrorCode =
  | 'TOWER_INVALID_ARGUMENT'
  | 'TOWER_DECODE'
  | 'TOWER_INVALID_ENTRY'
  | 'TOWER_SECRET_MISMATCH'
  | 'TOWER_UNKNOWN_POISON'
  | 'TOWER_MISSING_ENTRIES'
  | 'TOWER_OUT_OF_ORDER'
  | 'TOWER_STALE_MEMORY';

/** Base of every error of `@superscalar/watchtower`. */
export class WatchtowerError extends SuperscalarError<WatchtowerErrorCode> {}
tagError(WatchtowerError, '@superscalar/watchtower:WatchtowerError');

/** An argument had the wrong type, length or range; `argument` names its path (`options.dwStep`). */
export class InvalidArgumentError extends WatchtowerError {
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('TOWER_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/watchtower:InvalidArgumentError');

/** A stored tower record (an active trigger, the tower's meta blob) does not decode. */
export class DecodeError extends WatchtowerError {
  /** The blob key or row that failed. */
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('TOWER_DECODE', `${key}: ${message}`, options);
    this.key = key;
  }
}
tagError(DecodeError, '@superscalar/watchtower:DecodeError');

/**
 * A response handed to the tower cannot answer its trigger: it is not a version-3 transaction with a
 * P2A anchor as last output, it spends something other than the trigger's outputs, or a poison's
 * witness is not `[sig, secret slot, poison leaf, control block]`. `field` names what is wrong.
 */
export class InvalidEntryError extends WatchtowerError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('TOWER_INVALID_ENTRY', `${field}: ${message}`);
    this.field = field;
  }
}
tagError(InvalidEntryError, '@superscalar/watchtower:InvalidEntryError');

/** `sha256(s_c)` is not the hash in the poison leaf it was given for (brief §5.3): do not store it. */
export class SecretMismatchError extends WatchtowerError {
  readonly c: number;
  constructor(c: number) {
    super('TOWER_SECRET_MISMATCH', `s_${c} does not open the poison leaf it was given for (sha256 differs)`);
    this.c = c;
  }
}
tagError(SecretMismatchError, '@superscalar/watchtower:SecretMismatchError');

/**
 * An L-stock secret was added to a tower that holds no poison of that factory whose leaf it opens:
 * add the poison first (the advance signs it before the LSP reveals `s_c`), or pass the poison.
 */
export class UnknownPoisonError extends WatchtowerError {
  readonly c: number;
  constructor(c: number) {
    super(
      'TOWER_UNKNOWN_POISON',
      `no poison of this factory is opened by s_${c}: add its poison before the secret, or pass the poison`,
    );
    this.c = c;
  }
}
tagError(UnknownPoisonError, '@superscalar/watchtower:UnknownPoisonError');

/**
 * A connected block was handed without the stored entries of a trigger it confirms (the runtime
 * must load the rows of every txid `triggersIn(block)` names before `handle`).
 */
export class MissingEntriesError extends WatchtowerError {
  readonly triggerTxid: string;
  constructor(triggerTxid: string) {
    super(
      'TOWER_MISSING_ENTRIES',
      `block confirms trigger ${triggerTxid} but its entries were not handed in: load them and retry`,
    );
    this.triggerTxid = triggerTxid;
  }
}
tagError(MissingEntriesError, '@superscalar/watchtower:MissingEntriesError');

/** A chain event that does not follow the tower's view (a gap, or a disconnection not at its tip). */
export class OutOfOrderError extends WatchtowerError {
  readonly height: number;
  constructor(height: number, message: string) {
    super('TOWER_OUT_OF_ORDER', `block ${height}: ${message}`);
    this.height = height;
  }
}
tagError(OutOfOrderError, '@superscalar/watchtower:OutOfOrderError');

/**
 * A `persist` action failed: the tower's memory is ahead of its store, so it must not handle another
 * input before it is reopened from the store (`openTower`; a `TowerRunner` given `reopen` does it).
 */
export class StaleMemoryError extends WatchtowerError {
  constructor(options?: { cause?: unknown }) {
    super(
      'TOWER_STALE_MEMORY',
      "a persist failed, so the tower's memory is ahead of its store: reopen it from the store before going on",
      options,
    );
  }
}
tagError(StaleMemoryError, '@superscalar/watchtower:StaleMemoryError');
