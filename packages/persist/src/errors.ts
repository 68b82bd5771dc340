/**
 * Typed errors of `@superscalar/persist`. Every error is a {@link PersistError} (a
 * `SuperscalarError` of `@superscalar/core`) with a stable `code` prefixed `PERSIST_`; subclasses carry
 * the fields a caller needs to act (the update id, the table, the version). Every class is tagged, so
 * `Sub.isInstance(x)` is exact and works across two copies of this package in one process.
 *
 * What a role does with each code: `PERSIST_INVALID_ARGUMENT`, `PERSIST_UPDATE_GAP` and
 * `PERSIST_UPDATE_CONFLICT` are bugs or divergence of the caller (stop the sequence);
 * `PERSIST_UPDATE_FAILED` and `PERSIST_BACKEND` are the database refusing or failing (nothing of the
 * update was written; retry or stop); `PERSIST_SCHEMA_TOO_NEW` and the `UNKNOWN_*_VERSION` codes mean
 * "upgrade"; `PERSIST_WRONG_KEY`, `PERSIST_CORRUPT_DATABASE`, `PERSIST_DECODE` and
 * `PERSIST_MIGRATION` mean the store cannot be used as it is; the backup codes concern a backup file;
 * `PERSIST_SEQUENCER_FAILED` means the role's update sequence stopped (restart from the store), and
 * `PERSIST_NO_EVENT` is a misuse of the event queue.
 */

import { SuperscalarError, tagError, toHex } from '@superscalar/core';

/** Stable error codes. They never change meaning between versions. */
export type PersistErrorCode =
  | 'PERSIST_INVALID_ARGUMENT'
  | 'PERSIST_UPDATE_GAP'
  | 'PERSIST_UPDATE_CONFLICT'
  | 'PERSIST_UPDATE_FAILED'
  | 'PERSIST_SCHEMA_TOO_NEW'
  | 'PERSIST_MIGRATION'
  | 'PERSIST_WRONG_KEY'
  | 'PERSIST_CORRUPT_DATABASE'
  | 'PERSIST_DECODE'
  | 'PERSIST_UNKNOWN_ENVELOPE_VERSION'
  | 'PERSIST_BACKUP_DECODE'
  | 'PERSIST_UNKNOWN_BACKUP_VERSION'
  | 'PERSIST_WRONG_PASSPHRASE'
  | 'PERSIST_RESTORE_REFUSED'
  | 'PERSIST_STORE_CLOSED'
  | 'PERSIST_BACKEND'
  | 'PERSIST_SEQUENCER_FAILED'
  | 'PERSIST_NO_EVENT';

/** Base class of every error thrown by this package. */
export class PersistError extends SuperscalarError<PersistErrorCode> {}
tagError(PersistError, '@superscalar/persist:PersistError');

/** An argument failed boundary validation; `argument` names its path (e.g. `update.ops[2].row.txid`). */
export class InvalidArgumentError extends PersistError {
  /** The argument's path, e.g. `update.ops[2].row.localSats`. */
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('PERSIST_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/persist:InvalidArgumentError');

/**
 * An update's id does not follow the last applied one: the store has `lastId` and expected
 * `lastId + 1`, and the missing ids did not arrive within the store's hold (`holdMs`, `maxHeld`).
 * Nothing of it was written. The caller has lost an update (a bug) or talks to the wrong store.
 */
export class UpdateGapError extends PersistError {
  readonly id: bigint;
  readonly lastId: bigint;
  constructor(id: bigint, lastId: bigint, reason = 'the missing updates did not arrive') {
    super(
      'PERSIST_UPDATE_GAP',
      `update ${id} does not follow the last applied update ${lastId} (expected ${lastId + 1n}) and ${reason}; nothing was written`,
    );
    this.id = id;
    this.lastId = lastId;
  }
}
tagError(UpdateGapError, '@superscalar/persist:UpdateGapError');

/**
 * An update replays an id that was already applied with different contents. Nothing was written:
 * the store keeps the first version. A role that sees this has diverged from its own journal.
 */
export class UpdateConflictError extends PersistError {
  readonly id: bigint;
  constructor(id: bigint) {
    super(
      'PERSIST_UPDATE_CONFLICT',
      `update ${id} was already applied with different operations; the stored version is kept`,
    );
    this.id = id;
  }
}
tagError(UpdateConflictError, '@superscalar/persist:UpdateConflictError');

/** An update could not be applied (the backend refused it); nothing of it was written. */
export class UpdateFailedError extends PersistError {
  readonly id: bigint;
  constructor(id: bigint, cause: unknown) {
    super('PERSIST_UPDATE_FAILED', `update ${id} was not applied: ${describe(cause)}`, { cause });
    this.id = id;
  }
}
tagError(UpdateFailedError, '@superscalar/persist:UpdateFailedError');

/** The database was written by a newer version of this package; it was not modified. Upgrade. */
export class SchemaTooNewError extends PersistError {
  readonly found: number;
  readonly supported: number;
  constructor(found: number, supported: number) {
    super(
      'PERSIST_SCHEMA_TOO_NEW',
      `database schema version ${found} is newer than this package supports (${supported}); upgrade @superscalar/persist. The database was not modified`,
    );
    this.found = found;
    this.supported = supported;
  }
}
tagError(SchemaTooNewError, '@superscalar/persist:SchemaTooNewError');

/**
 * A schema migration found data it cannot convert (e.g. a txid column holding 31 bytes). The
 * migration runs in one transaction: the database was left exactly as it was, at version `from`.
 */
export class MigrationError extends PersistError {
  readonly from: number;
  readonly to: number;
  constructor(from: number, to: number, detail: string) {
    super(
      'PERSIST_MIGRATION',
      `migrating the schema from version ${from} to ${to} failed: ${detail}; the database was not modified`,
    );
    this.from = from;
    this.to = to;
  }
}
tagError(MigrationError, '@superscalar/persist:MigrationError');

/** The sealing key does not open this store's secrets; nothing was read or modified. */
export class WrongKeyError extends PersistError {
  readonly expectedKeyId: Uint8Array;
  readonly givenKeyId: Uint8Array;
  constructor(expectedKeyId: Uint8Array, givenKeyId: Uint8Array) {
    super(
      'PERSIST_WRONG_KEY',
      `the sealing key does not match this store (store key id ${toHex(expectedKeyId)}, given ${toHex(givenKeyId)}); the store was not modified`,
    );
    this.expectedKeyId = expectedKeyId;
    this.givenKeyId = givenKeyId;
  }
}
tagError(WrongKeyError, '@superscalar/persist:WrongKeyError');

/** The database file or its contents are damaged (truncated, not a database, failed integrity check). */
export class CorruptDatabaseError extends PersistError {
  readonly location: string;
  constructor(location: string, detail: string, cause?: unknown) {
    super('PERSIST_CORRUPT_DATABASE', `database ${location} is damaged: ${detail}; it was not modified`, {
      cause,
    });
    this.location = location;
  }
}
tagError(CorruptDatabaseError, '@superscalar/persist:CorruptDatabaseError');

/**
 * Bytes that do not decode: a sealed value (envelope) that is malformed or fails authentication
 * (altered, or moved to another row). `location` says where it was read. Subclasses name other
 * undecodable inputs ({@link BackupDecodeError}).
 */
export class DecodeError extends PersistError {
  /** What was being decoded, e.g. `sealed value invoices.preimage/…` or `backup`. */
  readonly location: string;
  constructor(location: string, detail: string, options?: { cause?: unknown }) {
    super(
      (new.target as { readonly CODE: 'PERSIST_DECODE' | 'PERSIST_BACKUP_DECODE' }).CODE,
      `${location} is damaged: ${detail}`,
      options,
    );
    this.location = location;
  }
  /** The code instances of this class carry. */
  static readonly CODE: 'PERSIST_DECODE' | 'PERSIST_BACKUP_DECODE' = 'PERSIST_DECODE';
}
tagError(DecodeError, '@superscalar/persist:DecodeError');

/** A sealed value uses an envelope version this package does not know. */
export class UnknownEnvelopeVersionError extends PersistError {
  readonly location: string;
  readonly version: number;
  constructor(location: string, version: number) {
    super(
      'PERSIST_UNKNOWN_ENVELOPE_VERSION',
      `sealed value ${location} has envelope version ${version}, which this package does not know; upgrade @superscalar/persist`,
    );
    this.location = location;
    this.version = version;
  }
}
tagError(UnknownEnvelopeVersionError, '@superscalar/persist:UnknownEnvelopeVersionError');

/** A backup file is truncated, altered or not a backup. */
export class BackupDecodeError extends DecodeError {
  static override readonly CODE = 'PERSIST_BACKUP_DECODE' as const;
  constructor(detail: string, cause?: unknown) {
    super('backup', detail, { cause });
  }
}
tagError(BackupDecodeError, '@superscalar/persist:BackupDecodeError');

/** A backup file uses a format version this package does not know. */
export class UnknownBackupVersionError extends PersistError {
  readonly version: number;
  constructor(version: number) {
    super(
      'PERSIST_UNKNOWN_BACKUP_VERSION',
      `backup format version ${version} is not supported; upgrade @superscalar/persist`,
    );
    this.version = version;
  }
}
tagError(UnknownBackupVersionError, '@superscalar/persist:UnknownBackupVersionError');

/** The passphrase does not open the backup. */
export class WrongPassphraseError extends PersistError {
  constructor(cause?: unknown) {
    super('PERSIST_WRONG_PASSPHRASE', 'the passphrase does not open this backup', { cause });
  }
}
tagError(WrongPassphraseError, '@superscalar/persist:WrongPassphraseError');

/** A restore was refused before anything was written; `reason` says why. */
export class RestoreRefusedError extends PersistError {
  readonly reason: string;
  constructor(reason: string) {
    super('PERSIST_RESTORE_REFUSED', `restore refused, the store was not modified: ${reason}`);
    this.reason = reason;
  }
}
tagError(RestoreRefusedError, '@superscalar/persist:RestoreRefusedError');

/** The store was closed. */
export class StoreClosedError extends PersistError {
  constructor() {
    super('PERSIST_STORE_CLOSED', 'the store is closed');
  }
}
tagError(StoreClosedError, '@superscalar/persist:StoreClosedError');

/** The backend failed in a way that is not one of the above (connection lost, disk full...). */
export class BackendError extends PersistError {
  constructor(action: string, cause: unknown) {
    super('PERSIST_BACKEND', `${action} failed: ${describe(cause)}`, { cause });
  }
}
tagError(BackendError, '@superscalar/persist:BackendError');

/**
 * A {@link Sequencer} commit failed, or was refused because an earlier one had (fail-stop). With
 * `updateId` set, that update was not applied (`cause` is the store's error); without it, nothing was
 * submitted (`cause` is the failure that stopped the sequencer). Stop the role and restart it from the
 * store: what was acknowledged is durable, nothing after the failed update is.
 */
export class SequencerFailedError extends PersistError {
  /** The update that failed; undefined when the commit was refused because the sequencer had failed. */
  readonly updateId: bigint | undefined;
  constructor(cause: unknown, updateId?: bigint) {
    super(
      'PERSIST_SEQUENCER_FAILED',
      updateId === undefined
        ? `the sequencer stopped after a failed update (${describe(cause)}); nothing was submitted: restart from the store`
        : `update ${updateId} failed (${describe(cause)}); the sequencer is stopped: restart from the store`,
      { cause },
    );
    this.updateId = updateId;
  }
}
tagError(SequencerFailedError, '@superscalar/persist:SequencerFailedError');

/** `EventQueue.eventHandled()` was called with no event delivered by `nextEvent()` to acknowledge. */
export class NoEventError extends PersistError {
  constructor(detail = 'no event was delivered by nextEvent()') {
    super('PERSIST_NO_EVENT', `eventHandled(): ${detail}`);
  }
}
tagError(NoEventError, '@superscalar/persist:NoEventError');

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
