// The error pattern of @superscalar/core and the package's public surface.
import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import * as mod from '../src/index.js';
import {
  BackupDecodeError,
  DecodeError,
  InvalidArgumentError,
  PersistError,
  UpdateConflictError,
  UpdateGapError,
} from '../src/index.js';

describe('errors', () => {
  it('every exported error class is tagged with its own kind', () => {
    expect(errorClassProblems(mod, 'persist')).toEqual([]);
  });

  it('isInstance is exact: siblings never match, subclasses match their ancestors', () => {
    const gap = new UpdateGapError(3n, 1n);
    expect(UpdateGapError.isInstance(gap)).toBe(true);
    expect(UpdateConflictError.isInstance(gap)).toBe(false);
    expect(PersistError.isInstance(gap)).toBe(true);
    expect(SuperscalarError.isInstance(gap)).toBe(true);
    const backup = new BackupDecodeError('truncated');
    expect(DecodeError.isInstance(backup)).toBe(true);
    expect(BackupDecodeError.isInstance(new DecodeError('sealed value x', 'empty'))).toBe(false);
    expect(backup.code).toBe('PERSIST_BACKUP_DECODE');
    expect(new DecodeError('sealed value x', 'empty').code).toBe('PERSIST_DECODE');
    const arg = new InvalidArgumentError('update.ops[0].row.txid', 'bad');
    expect(arg).toMatchObject({ code: 'PERSIST_INVALID_ARGUMENT', argument: 'update.ops[0].row.txid' });
    expect(arg.name).toBe('InvalidArgumentError');
  });

  it('the root export lists its names explicitly and leaks no internal one', () => {
    const names = Object.keys(mod);
    for (const internal of [
      'checkValue',
      'normalizeUpdate',
      'encodeOps',
      'keyColumns',
      'canonicalValue',
      'updateMac',
      'encodeBackup',
      'decodeBackup',
      'migrate',
      'readSchemaVersion',
      'upgradeSnapshot',
      'SqlStore',
      'toDb',
      'fromDb',
    ])
      expect(names, internal).not.toContain(internal);
    expect(names).toContain('MAX_KEY_BYTES');
  });
});
