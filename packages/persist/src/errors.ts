/**
 * Typed errors of `@superscalar/persist`. Every error is a {@link PersistError} with a stable string
 * `code`; subclasses carry the fields a caller needs to act (the update id, the table, the version).
 * The brand (`Symbol.for('@superscalar/persist/error')`) makes {@link PersistError.isInstance} work
 * across two copies of this package in one process.
 */

const BRAND = Symbol.for('@superscalar/persist/error');

/** Stable error codes. They never change meaning between versions. */
export type PersistErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UPDATE_GAP'
  | 'UPDATE_CONFLICT'
  | 'UPDATE_FAILED'
  | 'SCHEMA_TOO_NEW'
  | 'WRONG_KEY'
  | 'CORRUPT_DATABASE'
  | 'CORRUPT_ENVELOPE'
  | 'UNKNOWN_ENVELOPE_VERSION'
  | 'CORRUPT_BACKUP'
  | 'UNKNOWN_BACKUP_VERSION'
  | 'WRONG_PASSPHRASE'
  | 'RESTORE_REFUSED'
  | 'STORE_CLOSED'
  | 'BACKEND';

/** Base class of every error thrown by this package. */
export class PersistError extends Error {
  /** Stable machine-readable code. */
  readonly code: PersistErrorCode;
  declare readonly cause?: unknown;
  /** @internal brand checked by {@link PersistError.isInstance}. */
  readonly [BRAND] = true;

  constructor(code: PersistErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }

  /** True for any persist error, also one thrown by another copy of this package. */
  static isInstance(x: unknown): x is PersistError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** An argument failed boundary validation; `argument` names its path (e.g. `update.ops[2].row.txid`). */
export class InvalidArgumentError extends PersistError {
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super('INVALID_ARGUMENT', `${argument}: ${message}`);
  }
}

/**
 * An update's id is not the next one: the store has `lastId` and expects `lastId + 1`. Nothing was
 * written. The caller has lost an update (a bug) or talks to the wrong store.
 */
export class UpdateGapError extends PersistError {
  constructor(
    readonly id: bigint,
    readonly lastId: bigint,
  ) {
    super(
      'UPDATE_GAP',
      `update ${id} does not follow the last applied update ${lastId} (expected ${lastId + 1n}); nothing was written`,
    );
  }
}

/**
 * An update replays an id that was already applied with different contents. Nothing was written:
 * the store keeps the first version. A role that sees this has diverged from its own journal.
 */
export class UpdateConflictError extends PersistError {
  constructor(readonly id: bigint) {
    super(
      'UPDATE_CONFLICT',
      `update ${id} was already applied with different operations; the stored version is kept`,
    );
  }
}

/** An update could not be applied (the backend refused it); nothing of it was written. */
export class UpdateFailedError extends PersistError {
  constructor(
    readonly id: bigint,
    cause: unknown,
  ) {
    super('UPDATE_FAILED', `update ${id} was not applied: ${describe(cause)}`, { cause });
  }
}

/** The database was written by a newer version of this package; it was not modified. Upgrade. */
export class SchemaTooNewError extends PersistError {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      'SCHEMA_TOO_NEW',
      `database schema version ${found} is newer than this package supports (${supported}); upgrade @superscalar/persist. The database was not modified`,
    );
  }
}

/** The sealing key does not open this store's secrets; nothing was read or modified. */
export class WrongKeyError extends PersistError {
  constructor(
    readonly expectedKeyId: Uint8Array,
    readonly givenKeyId: Uint8Array,
  ) {
    super(
      'WRONG_KEY',
      `the sealing key does not match this store (store key id ${hex(expectedKeyId)}, given ${hex(givenKeyId)}); the store was not modified`,
    );
  }
}

/** The database file or its contents are damaged (truncated, not a database, failed integrity check). */
export class CorruptDatabaseError extends PersistError {
  constructor(
    readonly location: string,
    detail: string,
    cause?: unknown,
  ) {
    super('CORRUPT_DATABASE', `database ${location} is damaged: ${detail}; it was not modified`, { cause });
  }
}

/** A sealed value is malformed or its authentication tag does not verify. */
export class CorruptEnvelopeError extends PersistError {
  constructor(
    readonly location: string,
    detail: string,
  ) {
    super('CORRUPT_ENVELOPE', `sealed value ${location} is damaged: ${detail}`);
  }
}

/** A sealed value uses an envelope version this package does not know. */
export class UnknownEnvelopeVersionError extends PersistError {
  constructor(
    readonly location: string,
    readonly version: number,
  ) {
    super(
      'UNKNOWN_ENVELOPE_VERSION',
      `sealed value ${location} has envelope version ${version}, which this package does not know; upgrade @superscalar/persist`,
    );
  }
}

/** A backup file is truncated, altered or not a backup. */
export class CorruptBackupError extends PersistError {
  constructor(detail: string, cause?: unknown) {
    super('CORRUPT_BACKUP', `backup is damaged: ${detail}`, { cause });
  }
}

/** A backup file uses a format version this package does not know. */
export class UnknownBackupVersionError extends PersistError {
  constructor(readonly version: number) {
    super(
      'UNKNOWN_BACKUP_VERSION',
      `backup format version ${version} is not supported; upgrade @superscalar/persist`,
    );
  }
}

/** The passphrase does not open the backup. */
export class WrongPassphraseError extends PersistError {
  constructor(cause?: unknown) {
    super('WRONG_PASSPHRASE', 'the passphrase does not open this backup', { cause });
  }
}

/** A restore was refused before anything was written; `reason` says why. */
export class RestoreRefusedError extends PersistError {
  constructor(readonly reason: string) {
    super('RESTORE_REFUSED', `restore refused, the store was not modified: ${reason}`);
  }
}

/** The store was closed. */
export class StoreClosedError extends PersistError {
  constructor() {
    super('STORE_CLOSED', 'the store is closed');
  }
}

/** The backend failed in a way that is not one of the above (connection lost, disk full...). */
export class BackendError extends PersistError {
  constructor(action: string, cause: unknown) {
    super('BACKEND', `${action} failed: ${describe(cause)}`, { cause });
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
