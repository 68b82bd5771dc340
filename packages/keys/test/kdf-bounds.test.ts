// Issue 17 item 5: a header asking for the top of the old accepted scrypt range (1 GiB, 16x the
// default work) cost 1.1 GB and 7 s before "wrong passphrase". The accepted maxima are now what the
// library writes plus a documented factor of two (MAX_SCRYPT), and a header above them is refused
// before any KDF work: scrypt is spied on and must not run.
import { scrypt, scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_SCRYPT,
  EnvelopeCorruptedError,
  InvalidArgumentError,
  inspectEnvelope,
  MAX_SCRYPT,
  open,
  openAsync,
  seal,
  TEST_SCRYPT,
} from '../src/index.js';

vi.mock('@noble/hashes/scrypt.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('@noble/hashes/scrypt.js')>();
  return { ...m, scrypt: vi.fn(m.scrypt), scryptAsync: vi.fn(m.scryptAsync) };
});

const weak = { kdf: TEST_SCRYPT, allowWeakKdf: true, rng: (n: number) => new Uint8Array(n).fill(3) };
const sample = seal(Uint8Array.of(1, 2, 3), 'correct horse', weak);

/** `sample` with its scrypt parameters replaced and the (unkeyed) checksum recomputed: a deliberate edit. */
function withParams(log2N: number, r: number, p: number): Uint8Array {
  const e = Uint8Array.from(sample);
  e[6] = log2N;
  e[7] = r;
  e[8] = p;
  e.set(sha256(e.subarray(0, e.length - 8)).subarray(0, 8), e.length - 8);
  return e;
}

function kdfCalls(): number {
  return vi.mocked(scrypt).mock.calls.length + vi.mocked(scryptAsync).mock.calls.length;
}

describe('scrypt bounds of an envelope header', () => {
  beforeEach(() => {
    vi.mocked(scrypt).mockClear();
    vi.mocked(scryptAsync).mockClear();
  });

  it('the spy sees the KDF work of an honest open (so the checks below can fail)', async () => {
    expect(open(sample, 'correct horse', { allowWeakKdf: true })).toEqual(Uint8Array.of(1, 2, 3));
    await openAsync(sample, 'correct horse', { allowWeakKdf: true });
    expect(kdfCalls()).toBe(2);
  });

  it('MAX_SCRYPT is twice the default, in memory and in work', () => {
    const { log2N, r, p } = DEFAULT_SCRYPT;
    expect(MAX_SCRYPT.memoryBytes).toBe(2 * 128 * 2 ** log2N * r);
    expect(MAX_SCRYPT.work).toBe(2 * 2 ** log2N * r * p);
  });

  const above: [string, number, number, number][] = [
    ['the old top of the range: log2N 20, r 8 (1 GiB)', 20, 8, 1],
    ['log2N 19 (512 MiB)', 19, 8, 1],
    ['r 32 at the default N', 17, 32, 1],
    ['log2N 18 with r 16 (512 MiB)', 18, 16, 1],
    ['p 8 (4x the work)', 17, 8, 8],
    ['log2N 18 with p 2 (4x the work)', 18, 8, 2],
  ];
  for (const [name, log2N, r, p] of above) {
    it(`refuses ${name} as corrupted (kdf-params) before any KDF work, sync and async`, async () => {
      const env = withParams(log2N, r, p);
      for (const attempt of [
        () => inspectEnvelope(env),
        () => open(env, 'wrong passphrase', { allowWeakKdf: true }),
        () => open(env, 'correct horse'),
      ]) {
        let e: unknown;
        try {
          attempt();
        } catch (err) {
          e = err;
        }
        expect(EnvelopeCorruptedError.isInstance(e)).toBe(true);
        expect((e as EnvelopeCorruptedError).reason).toBe('kdf-params');
        expect((e as EnvelopeCorruptedError).code).toBe('KEYS_ENVELOPE_CORRUPTED');
      }
      await expect(openAsync(env, 'wrong passphrase', { allowWeakKdf: true })).rejects.toSatisfy(
        (e: unknown) => EnvelopeCorruptedError.isInstance(e) && e.reason === 'kdf-params',
      );
      expect(kdfCalls()).toBe(0);
    });
  }

  it('accepts every header at the maxima (inspected without KDF work)', () => {
    for (const [log2N, r, p] of [
      [17, 8, 1],
      [18, 8, 1],
      [17, 16, 1],
      [17, 8, 2],
      [16, 8, 4],
    ] as const) {
      expect(inspectEnvelope(withParams(log2N, r, p)).scrypt).toEqual({ log2N, r, p });
    }
    expect(kdfCalls()).toBe(0);
  });

  it('refuses to seal above the maxima, before drawing randomness or any KDF work', () => {
    const rng = vi.fn((n: number) => new Uint8Array(n));
    for (const kdf of [
      { log2N: 20, r: 8, p: 1 },
      { log2N: 18, r: 16, p: 1 },
      { log2N: 17, r: 8, p: 8 },
    ])
      expect(() => seal(Uint8Array.of(1), 'pw', { kdf, rng })).toThrow(InvalidArgumentError);
    expect(rng).not.toHaveBeenCalled();
    expect(kdfCalls()).toBe(0);
  });
});
