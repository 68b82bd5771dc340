// Sealing primitives: the node:crypto and @noble implementations are interchangeable byte for byte,
// and the envelope refuses every kind of damage with a typed error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import { Reader, Writer } from '../src/_codec.js';
import { nodeSealCrypto } from '../src/_nodeCrypto.js';
import { deriveSealingKeys, nobleSealCrypto, openValue, PersistError, sealValue } from '../src/index.js';
import { updateMac } from '../src/seal.js';

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(PersistError.isInstance(e), String(e)).toBe(true);
    return (e as PersistError).code;
  }
  throw new Error('expected a throw');
};

describe('sealing', () => {
  it('node:crypto and @noble seal and MAC identically, and open each other', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 5000 }),
        fc.string(),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        (key, pt, loc, nonce) => {
          const rng = () => Uint8Array.from(nonce);
          const a = deriveSealingKeys(key, rng, nodeSealCrypto);
          const b = deriveSealingKeys(key, rng, nobleSealCrypto);
          const sa = sealValue(a, pt, loc);
          expect(sealValue(b, pt, loc)).toEqual(sa);
          expect(openValue(b, sa, loc)).toEqual(pt);
          expect(openValue(a, sa, loc)).toEqual(pt);
          expect(updateMac(a, 7n, pt)).toEqual(updateMac(b, 7n, pt));
        },
      ),
      { numRuns: propertyRuns(300, 50) },
    );
  });

  it('refuses damage by type: flipped bits, truncation, another location, another key, another version', () => {
    const k = deriveSealingKeys(new Uint8Array(32).fill(1));
    const env = sealValue(k, new Uint8Array([1, 2, 3]), 'invoices.preimage/x');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: env.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const bad = Uint8Array.from(env);
        bad[i] = (bad[i] as number) ^ x;
        // a byte of the key id gives WRONG_KEY, any other byte CORRUPT_ENVELOPE
        expect(['PERSIST_DECODE', 'PERSIST_WRONG_KEY']).toContain(
          code(() => openValue(k, bad, 'invoices.preimage/x')),
        );
      }),
      { numRuns: propertyRuns(300, 50) },
    );
    expect(code(() => openValue(k, env.slice(0, 20), 'invoices.preimage/x'))).toBe('PERSIST_DECODE');
    expect(code(() => openValue(k, new Uint8Array(0), 'invoices.preimage/x'))).toBe('PERSIST_DECODE');
    expect(code(() => openValue(k, env, 'invoices.preimage/y'))).toBe('PERSIST_DECODE');
    expect(
      code(() => openValue(deriveSealingKeys(new Uint8Array(32).fill(2)), env, 'invoices.preimage/x')),
    ).toBe('PERSIST_WRONG_KEY');
    const v2 = Uint8Array.from(env);
    v2[0] = 2;
    expect(code(() => openValue(k, v2, 'invoices.preimage/x'))).toBe('PERSIST_UNKNOWN_ENVELOPE_VERSION');
  });

  it('the codec round-trips every value kind and reports truncation by type', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constant(null),
            fc.uint8Array({ maxLength: 40 }),
            fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
            fc.string({ unit: 'grapheme' }),
            fc.boolean(),
          ),
        ),
        (values) => {
          const w = new Writer();
          for (const v of values) w.value(v);
          const bytes = w.finish();
          const r = new Reader(bytes, (d) => new Error(d));
          const back = values.map(() => r.value('v'));
          r.end('values');
          expect(back).toEqual(values);
          if (bytes.length > 0) {
            const t = new Reader(bytes.slice(0, bytes.length - 1), (d) => new Error(`trunc ${d}`));
            expect(() => {
              for (const _ of values) t.value('v');
            }).toThrow(/trunc/);
          }
        },
      ),
      { numRuns: propertyRuns(300, 50) },
    );
  });
});
