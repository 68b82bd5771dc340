import { describe, expect, it } from 'vitest';
import {
  EnvelopeCorruptedError,
  EnvelopeTruncatedError,
  EnvelopeVersionError,
  type KeyfileIo,
  KeyfileVerifyError,
  openOrCreateKeyfile,
  TEST_SCRYPT,
  WrongPassphraseError,
} from '../src/index.js';

/** An in-memory "file" with create-exclusive writes, counting calls. */
function memoryFile(initial?: Uint8Array) {
  const state = { bytes: initial, writes: 0, creates: 0 };
  const io: KeyfileIo = {
    read: async () => (state.bytes === undefined ? undefined : Uint8Array.from(state.bytes)),
    write: async (b) => {
      if (state.bytes !== undefined) throw new Error('EEXIST');
      state.writes++;
      state.bytes = Uint8Array.from(b);
    },
  };
  const create = () => {
    state.creates++;
    return new Uint8Array(32).fill(state.creates);
  };
  return { state, io, create };
}

const weak = { seal: { kdf: TEST_SCRYPT, allowWeakKdf: true }, open: { allowWeakKdf: true } };

describe('openOrCreateKeyfile: the caller pattern', () => {
  it('creates a keyfile only when none exists, then opens the same secret', async () => {
    const f = memoryFile();
    const first = await openOrCreateKeyfile({ io: f.io, passphrase: 'pw', create: f.create, ...weak });
    expect(first.created).toBe(true);
    const second = await openOrCreateKeyfile({ io: f.io, passphrase: 'pw', create: f.create, ...weak });
    expect(second).toEqual({ secret: first.secret, created: false });
    expect(f.state.creates).toBe(1);
    expect(f.state.writes).toBe(1);
  });

  it('a wrong passphrase is an error and never regenerates or overwrites the keyfile', async () => {
    const f = memoryFile();
    await openOrCreateKeyfile({ io: f.io, passphrase: 'right', create: f.create, ...weak });
    const before = Uint8Array.from(f.state.bytes as Uint8Array);
    await expect(
      openOrCreateKeyfile({ io: f.io, passphrase: 'wrong', create: f.create, ...weak }),
    ).rejects.toThrow(WrongPassphraseError);
    expect(f.state.bytes).toEqual(before);
    expect(f.state.creates).toBe(1);
    expect(f.state.writes).toBe(1);
  });

  it('a truncated, empty, corrupted or future-version keyfile is an error and is left untouched', async () => {
    const good = memoryFile();
    await openOrCreateKeyfile({ io: good.io, passphrase: 'pw', create: good.create, ...weak });
    const bytes = good.state.bytes as Uint8Array;
    const flipped = Uint8Array.from(bytes);
    flipped[70] = (flipped[70] as number) ^ 0x80;
    const future = Uint8Array.from(bytes);
    future[4] = 9;
    const cases: [Uint8Array, new (...a: never[]) => Error][] = [
      [bytes.subarray(0, bytes.length - 1), EnvelopeTruncatedError],
      [new Uint8Array(0), EnvelopeTruncatedError],
      [flipped, EnvelopeCorruptedError],
      [future, EnvelopeVersionError],
    ];
    for (const [content, error] of cases) {
      const f = memoryFile(Uint8Array.from(content));
      await expect(
        openOrCreateKeyfile({ io: f.io, passphrase: 'pw', create: f.create, ...weak }),
      ).rejects.toThrow(error);
      expect(f.state.bytes).toEqual(content);
      expect(f.state.creates).toBe(0);
      expect(f.state.writes).toBe(0);
    }
  });

  it('a read failure propagates and nothing is created', async () => {
    let creates = 0;
    const io: KeyfileIo = {
      read: () => {
        throw new Error('EACCES');
      },
      write: () => {
        throw new Error('must not write');
      },
    };
    await expect(
      openOrCreateKeyfile({ io, passphrase: 'pw', create: () => new Uint8Array(++creates), ...weak }),
    ).rejects.toThrow('EACCES');
    expect(creates).toBe(0);
  });

  it('reports a write that does not read back intact', async () => {
    let stored: Uint8Array | undefined;
    const io: KeyfileIo = {
      read: () => stored,
      write: (b) => {
        stored = b.subarray(0, b.length - 2); // a storage layer that loses the tail
      },
    };
    await expect(
      openOrCreateKeyfile({ io, passphrase: 'pw', create: () => new Uint8Array(32), ...weak }),
    ).rejects.toThrow(KeyfileVerifyError);
  });
});
