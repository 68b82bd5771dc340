// The keyfile pattern on a real file system (what a Node caller writes): read returns undefined only
// on ENOENT; write creates exclusively ('wx') and fsyncs.
import {
  closeSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type KeyfileIo, openOrCreateKeyfile, TEST_SCRYPT, WrongPassphraseError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'keys-keyfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileIo(path: string): KeyfileIo {
  return {
    read: () => {
      try {
        return new Uint8Array(readFileSync(path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e; // EACCES, EISDIR, …: never "missing"
      }
    },
    write: (bytes) => {
      const fd = openSync(path, 'wx', 0o600); // fails with EEXIST rather than overwrite
      try {
        writeSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}

const weak = { seal: { kdf: TEST_SCRYPT, allowWeakKdf: true }, open: { allowWeakKdf: true } };

describe('keyfile pattern on disk', () => {
  it('creates once with mode 0600; a wrong passphrase leaves the file byte-for-byte intact', async () => {
    const path = join(dir, 'node.key');
    const created = await openOrCreateKeyfile({
      io: fileIo(path),
      passphrase: 'right',
      create: () => new Uint8Array(32).fill(9),
      ...weak,
    });
    expect(created.created).toBe(true);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    const before = readFileSync(path);
    let createCalls = 0;
    await expect(
      openOrCreateKeyfile({
        io: fileIo(path),
        passphrase: 'wrong',
        create: () => new Uint8Array(32).fill(++createCalls),
        ...weak,
      }),
    ).rejects.toThrow(WrongPassphraseError);
    expect(createCalls).toBe(0);
    expect(readFileSync(path)).toEqual(before);
    const reopened = await openOrCreateKeyfile({
      io: fileIo(path),
      passphrase: 'right',
      create: () => new Uint8Array(1),
      ...weak,
    });
    expect(reopened).toEqual({ secret: new Uint8Array(32).fill(9), created: false });
  });

  it('an unreadable path (a directory) is an error, not a missing keyfile', async () => {
    await expect(
      openOrCreateKeyfile({ io: fileIo(dir), passphrase: 'pw', create: () => new Uint8Array(32), ...weak }),
    ).rejects.toThrow(/EISDIR|illegal operation/);
  });
});
