// @superscalar/persist: durable SuperScalar state. Re-exports only; the drivers live behind the
// `./sqlite` and `./postgres` subpaths so this entry never loads better-sqlite3 or pg.
export {
  BACKUP_MAGIC,
  BACKUP_VERSION,
  type BackupOptions,
  type BackupSummary,
  type RestoreOptions,
  type RestoreResult,
  verifyBackup,
} from './backup.js';
export {
  BackendError,
  BackupDecodeError,
  CorruptDatabaseError,
  DecodeError,
  InvalidArgumentError,
  MigrationError,
  NoEventError,
  PersistError,
  type PersistErrorCode,
  RestoreRefusedError,
  SchemaTooNewError,
  SequencerFailedError,
  StoreClosedError,
  UnknownBackupVersionError,
  UnknownEnvelopeVersionError,
  UpdateConflictError,
  UpdateFailedError,
  UpdateGapError,
  WrongKeyError,
  WrongPassphraseError,
} from './errors.js';
export { EVENT_CURSOR_KEY, EventQueue, type EventQueueOptions } from './eventQueue.js';
export { SCHEMA_VERSION } from './migrations.js';
export {
  deriveSealingKeys,
  nobleSealCrypto,
  openValue,
  SEAL_VERSION,
  type SealCrypto,
  type SealingKeys,
  sealValue,
} from './seal.js';
export { Sequencer } from './sequencer.js';
export type { Store, StoreOptions } from './store.js';
export {
  type BlobRecord,
  type BroadcastRecord,
  type ChannelRecord,
  type ColumnKind,
  type ColumnSpec,
  type EventRecord,
  type FactoryRecord,
  type HtlcRecord,
  type InvoiceRecord,
  type KeyOf,
  type LStockSecretRecord,
  MAX_KEY_BYTES,
  type MutableTableName,
  type ParticipantRecord,
  TABLE_BY_NAME,
  TABLE_SPECS,
  type TableKeys,
  type TableName,
  type TableSpec,
  type Tables,
  type TreeTxRecord,
  type WatchEntryRecord,
} from './tables.js';
export {
  type DeleteOp,
  type EventOp,
  MAX_UPDATE_ID,
  type Op,
  type PutOp,
  type Update,
  type UpdateAck,
} from './update.js';
