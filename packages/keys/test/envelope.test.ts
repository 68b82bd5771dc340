import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  DEFAULT_SCRYPT,
  EnvelopeCorruptedError,
  EnvelopeTruncatedError,
  EnvelopeVersionError,
  InvalidArgumentError,
  inspectEnvelope,
  KeysError,
  open,
  openAsync,
  type SealOptions,
  seal,
  sealAsync,
  TEST_SCRYPT,
  WeakKdfError,
  WrongPassphraseError,
} from '../src/index.js';

const weak: SealOptions = { kdf: TEST_SCRYPT, allowWeakKdf: true };
const weakOpen = { allowWeakKdf: true };

/** A deterministic rng: SHA-256 counter stream from a label. */
function seededRng(label: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = sha256(new TextEncoder().encode(`${label}/${counter++}`));
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

/** Recomputes the trailing 8-byte checksum so a deliberate edit reaches the deeper checks. */
function fixChecksum(env: Uint8Array): Uint8Array {
  const out = Uint8Array.from(env);
  out.set(sha256(out.subarray(0, out.length - 8)).subarray(0, 8), out.length - 8);
  return out;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(KeysError.isInstance(e)).toBe(true);
    return (e as KeysError).code;
  }
  return 'OK';
}

const sample = seal(new TextEncoder().encode('the keyfile secret'), 'correct horse', {
  ...weak,
  rng: seededRng('sample'),
});

describe('envelope round trip', () => {
  it('opens what it sealed, for any plaintext and passphrase (weak KDF, property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ minLength: 1, maxLength: 40 }), (pt, pw) => {
        const env = seal(pt, pw, weak);
        expect(env.length).toBe(57 + pt.length + 16 + 8);
        expect(open(env, pw, weakOpen)).toEqual(pt);
        expect(inspectEnvelope(env).plaintextLength).toBe(pt.length);
      }),
      { numRuns: propertyRuns(100, 25) },
    );
  });

  it('rejects any other passphrase with WrongPassphraseError (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), (other) => {
        fc.pre(other.normalize('NFKD') !== 'correct horse');
        expect(() => open(sample, other, weakOpen)).toThrow(WrongPassphraseError);
      }),
      { numRuns: propertyRuns(50, 10) },
    );
  });

  it('treats NFC and NFD spellings of a passphrase as the same passphrase', () => {
    const env = seal(Uint8Array.of(7), 'caf\u00e9', weak);
    expect(open(env, 'cafe\u0301', weakOpen)).toEqual(Uint8Array.of(7));
  });

  it('accepts a byte passphrase and distinguishes it from a different one', () => {
    const env = seal(Uint8Array.of(1, 2), Uint8Array.of(0, 255, 3), weak);
    expect(open(env, Uint8Array.of(0, 255, 3), weakOpen)).toEqual(Uint8Array.of(1, 2));
    expect(() => open(env, Uint8Array.of(0, 255, 4), weakOpen)).toThrow(WrongPassphraseError);
  });

  it('uses fresh salt and nonce per seal, so two seals of the same input differ', () => {
    const a = seal(Uint8Array.of(1), 'pw', weak);
    const b = seal(Uint8Array.of(1), 'pw', weak);
    expect(bytesToHex(a)).not.toBe(bytesToHex(b));
  });

  it('async variants interoperate with the sync ones', async () => {
    const env = await sealAsync(Uint8Array.of(9, 9), 'pw', weak);
    expect(open(env, 'pw', weakOpen)).toEqual(Uint8Array.of(9, 9));
    expect(await openAsync(sample, 'correct horse', weakOpen)).toEqual(
      new TextEncoder().encode('the keyfile secret'),
    );
    await expect(openAsync(sample, 'nope', weakOpen)).rejects.toThrow(WrongPassphraseError);
  });

  it('round-trips once at the production cost (N = 2^17, r = 8) without any option', () => {
    const env = seal(Uint8Array.of(42), 'production passphrase');
    expect(inspectEnvelope(env).scrypt).toEqual(DEFAULT_SCRYPT);
    expect(open(env, 'production passphrase')).toEqual(Uint8Array.of(42));
  });

  it('does not keep a reference to the caller plaintext', () => {
    const pt = Uint8Array.of(1, 2, 3);
    const env = seal(pt, 'pw', weak);
    expect(pt).toEqual(Uint8Array.of(1, 2, 3));
    expect(open(env, 'pw', weakOpen)).toEqual(pt);
  });
});

describe('envelope bad input', () => {
  it('reports every strict prefix as truncated (never a passphrase error)', () => {
    for (let len = 0; len < sample.length; len++) {
      expect(() => open(sample.subarray(0, len), 'correct horse', weakOpen)).toThrow(EnvelopeTruncatedError);
    }
  });

  it('reports trailing bytes as corruption', () => {
    const longer = new Uint8Array(sample.length + 1);
    longer.set(sample);
    expect(() => open(longer, 'correct horse', weakOpen)).toThrow(EnvelopeCorruptedError);
  });

  it('never opens a single-byte change, and flags each as corruption before any KDF work', () => {
    for (let i = 0; i < sample.length; i++) {
      const bad = Uint8Array.from(sample);
      bad[i] = (bad[i] as number) ^ 0x01;
      const code = codeOf(() => open(bad, 'correct horse', weakOpen));
      // magic → corrupted; version byte → unknown version; length → truncated/corrupted; else checksum
      expect([
        'KEYS_ENVELOPE_CORRUPTED',
        'KEYS_ENVELOPE_UNKNOWN_VERSION',
        'KEYS_ENVELOPE_TRUNCATED',
      ]).toContain(code);
    }
  });

  it('names the right failure for each field when the checksum is recomputed (a deliberate edit)', () => {
    const edit = (i: number, v: number) => {
      const bad = Uint8Array.from(sample);
      bad[i] = v;
      return fixChecksum(bad);
    };
    const pw = 'correct horse';
    expect(() => open(edit(4, 2), pw, weakOpen)).toThrow(EnvelopeVersionError);
    expect(() => open(edit(5, 2), pw, weakOpen)).toThrow(EnvelopeVersionError);
    expect(codeOf(() => open(edit(6, 0), pw, weakOpen))).toBe('KEYS_ENVELOPE_CORRUPTED'); // log2N = 0
    expect(codeOf(() => open(edit(6, 40), pw, weakOpen))).toBe('KEYS_ENVELOPE_CORRUPTED'); // 2^40: refused
    expect(codeOf(() => open(edit(6, 11), pw, weakOpen))).toBe('KEYS_WRONG_PASSPHRASE'); // params are bound
    expect(codeOf(() => open(edit(10, sample[10]! ^ 1), pw, weakOpen))).toBe('KEYS_WRONG_PASSPHRASE'); // salt
    expect(codeOf(() => open(edit(30, sample[30]! ^ 1), pw, weakOpen))).toBe('KEYS_WRONG_PASSPHRASE'); // nonce
    expect(codeOf(() => open(edit(50, sample[50]! ^ 1), pw, weakOpen))).toBe('KEYS_WRONG_PASSPHRASE'); // check
    const ct = edit(60, sample[60]! ^ 1);
    expect(() => open(ct, pw, weakOpen)).toThrow(EnvelopeCorruptedError);
    expect(codeOf(() => open(ct, pw, weakOpen))).toBe('KEYS_ENVELOPE_CORRUPTED');
    try {
      open(ct, pw, weakOpen);
    } catch (e) {
      expect((e as EnvelopeCorruptedError).reason).toBe('authentication');
    }
  });

  it('rejects bytes that are not an envelope by their magic', () => {
    expect(() => inspectEnvelope(new TextEncoder().encode('{"json":true}'))).toThrow(EnvelopeCorruptedError);
  });

  it('refuses a weak KDF unless allowWeakKdf is set, when sealing and when opening', () => {
    expect(() => seal(Uint8Array.of(1), 'pw', { kdf: TEST_SCRYPT })).toThrow(WeakKdfError);
    expect(() => open(sample, 'correct horse')).toThrow(WeakKdfError);
  });

  it('rejects an empty passphrase, bad KDF parameters and a short rng at seal time', () => {
    expect(() => seal(Uint8Array.of(1), '', weak)).toThrow(InvalidArgumentError);
    expect(() => seal(Uint8Array.of(1), 'pw', { kdf: { log2N: 19, r: 8, p: 1 } })).toThrow(
      InvalidArgumentError,
    );
    expect(() => seal(Uint8Array.of(1), 'pw', { ...weak, rng: () => new Uint8Array(3) })).toThrow(
      InvalidArgumentError,
    );
    expect(() => seal('x' as unknown as Uint8Array, 'pw', weak)).toThrow(InvalidArgumentError);
  });
});

describe('envelope fixtures (our own vectors: old versions must keep opening)', () => {
  interface Fixture {
    name: string;
    passphrase: string;
    plaintext_hex: string;
    envelope_hex: string;
  }
  const fixtures = JSON.parse(
    readFileSync(new URL('./vectors/envelope-v1.json', import.meta.url), 'utf8'),
  ) as { vectors: Fixture[] };

  it('opens every published v1 envelope to its plaintext', () => {
    expect(fixtures.vectors.length).toBeGreaterThan(0);
    for (const f of fixtures.vectors) {
      expect(bytesToHex(open(hexToBytes(f.envelope_hex), f.passphrase, weakOpen))).toBe(f.plaintext_hex);
    }
  });

  it('re-seals each fixture byte-for-byte from its deterministic rng', () => {
    for (const f of fixtures.vectors) {
      const env = seal(hexToBytes(f.plaintext_hex), f.passphrase, { ...weak, rng: seededRng(f.name) });
      expect(bytesToHex(env)).toBe(f.envelope_hex);
    }
  });
});
