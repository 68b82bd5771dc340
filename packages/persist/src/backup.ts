/**
 * Backup files: one consistent snapshot of every table in a neutral, backend-independent form (so a
 * SQLite backup restores into PostgreSQL and back), sealed with `@superscalar/keys`' password envelope
 * (scrypt + ChaCha20-Poly1305). Secret fields stay sealed under the store key inside the snapshot, so
 * restoring needs the passphrase *and* the store key.
 *
 * File, version 1: magic `SSPB` (4 bytes) ‖ format version = 1 (1 byte) ‖ password envelope. The
 * envelope's plaintext: `"superscalar/persist/backup/v1"`, schema version, store key id, last update
 * id, then every table: name, column names, rows of tagged values (bytes, 64-bit integer, text, null).
 *
 * @module
 */

import type { Rng } from '@superscalar/core';
import { KeysError, openAsync, type ScryptParams, sealAsync } from '@superscalar/keys';
import { Reader, Writer } from './_codec.js';
import {
  BackupDecodeError,
  InvalidArgumentError,
  PersistError,
  UnknownBackupVersionError,
  WrongPassphraseError,
} from './errors.js';

/** The 4-byte magic that starts a backup file: ASCII `SSPB`. */
export const BACKUP_MAGIC: Uint8Array = Uint8Array.of(0x53, 0x53, 0x50, 0x42);
/** The backup format version this release writes and reads. */
export const BACKUP_VERSION = 1;
const LABEL = 'superscalar/persist/backup/v1';

/** Options of `Store.backup`. */
export interface BackupOptions {
  /** The passphrase sealing the file. */
  readonly passphrase: string | Uint8Array;
  /** scrypt cost; default `@superscalar/keys`' production cost. */
  readonly kdf?: ScryptParams;
  /** Accept a scrypt cost below the production floor. **Tests only.** */
  readonly allowWeakKdf?: boolean;
  /** Randomness for the envelope; default a CSPRNG. */
  readonly rng?: Rng;
}

/** Options of `Store.restore` and {@link verifyBackup}. */
export interface RestoreOptions {
  /** The passphrase the file was sealed with. */
  readonly passphrase: string | Uint8Array;
  /** Open files sealed below the production scrypt floor. **Tests only.** */
  readonly allowWeakKdf?: boolean;
  /**
   * Replace a store that already holds updates. Default false. Restoring an older state over a newer
   * one can broadcast a revoked state and lose funds: do it only for disaster recovery.
   */
  readonly overwrite?: boolean;
}

/** What a restore wrote. */
export interface RestoreResult {
  /** The last update id of the restored store. */
  readonly lastUpdateId: bigint;
  /** Rows written, across every table. */
  readonly rows: number;
}

/** What {@link verifyBackup} found in an intact file. */
export interface BackupSummary {
  readonly schemaVersion: number;
  /** Fingerprint of the store key the secrets are sealed under. */
  readonly keyId: Uint8Array;
  readonly lastUpdateId: bigint;
  /** Row count per table. */
  readonly tables: readonly { readonly name: string; readonly rows: number }[];
}

/** @internal A decoded snapshot. */
export interface Snapshot {
  schemaVersion: number;
  keyId: Uint8Array;
  lastUpdateId: bigint;
  tables: { name: string; columns: string[]; rows: unknown[][] }[];
}

/** @internal */
export async function encodeBackup(snap: Snapshot, options: BackupOptions): Promise<Uint8Array> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected an object');
  const w = new Writer();
  w.text(LABEL);
  w.u32(snap.schemaVersion);
  w.bytes(snap.keyId);
  w.i64(snap.lastUpdateId);
  w.u32(snap.tables.length);
  for (const t of snap.tables) {
    w.text(t.name);
    w.u32(t.columns.length);
    for (const c of t.columns) w.text(c);
    w.u32(t.rows.length);
    for (const r of t.rows) for (const v of r) w.value(v);
  }
  const plaintext = w.finish();
  let env: Uint8Array;
  try {
    env = await sealAsync(plaintext, options.passphrase, {
      ...(options.kdf === undefined ? {} : { kdf: options.kdf }),
      ...(options.allowWeakKdf === undefined ? {} : { allowWeakKdf: options.allowWeakKdf }),
      ...(options.rng === undefined ? {} : { rng: options.rng }),
    });
  } catch (e) {
    if (KeysError.isInstance(e) && e.code === 'KEYS_INVALID_ARGUMENT')
      throw new InvalidArgumentError('options', e.message);
    throw e;
  }
  const out = new Uint8Array(BACKUP_MAGIC.length + 1 + env.length);
  out.set(BACKUP_MAGIC, 0);
  out[BACKUP_MAGIC.length] = BACKUP_VERSION;
  out.set(env, BACKUP_MAGIC.length + 1);
  return out;
}

/** @internal Opens and parses a backup file; typed errors for every kind of damage. */
export async function decodeBackup(file: Uint8Array, options: RestoreOptions): Promise<Snapshot> {
  if (!(file instanceof Uint8Array)) throw new InvalidArgumentError('file', 'expected Uint8Array');
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected an object');
  if (file.length < BACKUP_MAGIC.length + 1) throw new BackupDecodeError(`only ${file.length} bytes`);
  for (let i = 0; i < BACKUP_MAGIC.length; i++)
    if (file[i] !== BACKUP_MAGIC[i])
      throw new BackupDecodeError('not a SuperScalar persist backup (bad magic)');
  const version = file[BACKUP_MAGIC.length] as number;
  if (version !== BACKUP_VERSION) throw new UnknownBackupVersionError(version);
  let plaintext: Uint8Array;
  try {
    plaintext = await openAsync(file.slice(BACKUP_MAGIC.length + 1), options.passphrase, {
      ...(options.allowWeakKdf === undefined ? {} : { allowWeakKdf: options.allowWeakKdf }),
    });
  } catch (e) {
    if (KeysError.isInstance(e)) {
      if (e.code === 'KEYS_WRONG_PASSPHRASE') throw new WrongPassphraseError(e);
      if (e.code === 'KEYS_INVALID_ARGUMENT') throw new InvalidArgumentError('options.passphrase', e.message);
      throw new BackupDecodeError(e.message, e);
    }
    throw e;
  }
  const r = new Reader(plaintext, (d) => new BackupDecodeError(d));
  try {
    if (r.text('label') !== LABEL) throw new BackupDecodeError('unexpected content label');
    const schemaVersion = r.u32('schema version');
    const keyId = r.bytes('key id');
    const lastUpdateId = r.i64('last update id');
    const nTables = r.u32('table count');
    const tables: Snapshot['tables'] = [];
    for (let t = 0; t < nTables; t++) {
      const name = r.text('table name');
      const nCols = r.u32(`${name} column count`);
      if (nCols > 64) throw new BackupDecodeError(`${name} has ${nCols} columns`);
      const columns: string[] = [];
      for (let c = 0; c < nCols; c++) columns.push(r.text(`${name} column name`));
      const nRows = r.u32(`${name} row count`);
      // Each row takes at least one byte per column: a hostile count cannot make us allocate much.
      if (nRows * Math.max(1, nCols) > r.remaining)
        throw new BackupDecodeError(`${name} row count exceeds the file`);
      const rows: unknown[][] = [];
      for (let i = 0; i < nRows; i++) {
        const row: unknown[] = [];
        for (let c = 0; c < nCols; c++) row.push(r.value(`${name}.${columns[c]}`));
        rows.push(row);
      }
      tables.push({ name, columns, rows });
    }
    r.end('the last table');
    return { schemaVersion, keyId, lastUpdateId, tables };
  } catch (e) {
    if (PersistError.isInstance(e)) throw e;
    throw new BackupDecodeError((e as Error).message, e);
  }
}

/**
 * Checks a backup file without a store: magic, version, passphrase, authentication and structure.
 * Returns what it holds; throws {@link BackupDecodeError}, {@link UnknownBackupVersionError} or
 * {@link WrongPassphraseError}. `Store.restore` additionally checks the store key against every
 * sealed value before writing.
 */
export async function verifyBackup(file: Uint8Array, options: RestoreOptions): Promise<BackupSummary> {
  const snap = await decodeBackup(file, options);
  return {
    schemaVersion: snap.schemaVersion,
    keyId: snap.keyId,
    lastUpdateId: snap.lastUpdateId,
    tables: snap.tables.map((t) => ({ name: t.name, rows: t.rows.length })),
  };
}
