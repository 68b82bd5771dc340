import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns, thrown } from '../../../test-utils/index.js';
import {
  commitmentIndex,
  DecodeError,
  FIRST_INDEX,
  generateFromSeed,
  InconsistentSecretError,
  InvalidArgumentError,
  MAX_STORED_SECRETS,
  ShachainError,
  ShachainStore,
  UnexpectedIndexError,
} from '../src/index.js';
import { encodedStoreAt, MAX } from './_helpers.js';

const runs = propertyRuns();
// Properties that generate whole secret sequences (~47 SHA256 per secret) run fewer cases locally.
const heavyRuns = propertyRuns(200, 100);
console.log(`[shachain] properties: ${runs} runs each, sequence-generating ones ${heavyRuns}`);
const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
/** Received counts spread over the whole range, with the edges (full store, index 0) well covered. */
const receivedArb = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 0, max: MAX + 1 }),
  fc.integer({ min: MAX + 1 - 300, max: MAX + 1 }),
);

/** The first `n` secrets of `seed` (indices 2^48 − 1 downwards), generated once. */
function sequence(seed: Uint8Array, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, k) => generateFromSeed(seed, MAX - k));
}

function insertPrefix(seed: Uint8Array, n: number): ShachainStore {
  const store = new ShachainStore();
  for (const [k, s] of sequence(seed, n).entries()) store.insertSecret(s, MAX - k);
  return store;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('ShachainStore properties', () => {
  it(`any prefix of a generated sequence inserts and every received secret is recoverable (${heavyRuns} runs)`, () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 130 }), (seed, n) => {
        const secrets = sequence(seed, n);
        const store = new ShachainStore();
        for (const [k, s] of secrets.entries()) {
          store.insertSecret(s, MAX - k);
          if (store.storedCount > MAX_STORED_SECRETS) return false;
        }
        expect(store.received).toBe(n);
        expect(store.nextIndex).toBe(MAX - n);
        expect(store.getSecret(MAX - n)).toBeUndefined();
        return secrets.every((s, k) => sameBytes(store.getSecret(MAX - k), s));
      }),
      { numRuns: heavyRuns },
    );
  });

  it(`at any depth, a store keeps ≤ 49 secrets, derives random earlier ones and keeps accepting (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        seedArb,
        receivedArb,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true })),
        (seed, n, picks) => {
          const store = ShachainStore.decode(encodedStoreAt(seed, n));
          expect(store.received).toBe(n);
          expect(store.storedCount).toBeLessThanOrEqual(MAX_STORED_SECRETS);
          const lowest = MAX + 1 - n;
          for (const u of picks) {
            if (n === 0) break;
            const index = Math.min(MAX, lowest + Math.floor(u * n));
            expect(store.getSecret(index)).toEqual(generateFromSeed(seed, index));
          }
          if (n > 0) expect(store.getSecret(lowest)).toEqual(generateFromSeed(seed, lowest));
          // insert a few more in order
          for (let k = 0; k < 3 && store.nextIndex !== undefined; k++) {
            const i = store.nextIndex;
            store.insertSecret(generateFromSeed(seed, i), i);
            expect(store.getSecret(i)).toEqual(generateFromSeed(seed, i));
          }
        },
      ),
      { numRuns: runs },
    );
  });

  it(`a corrupted secret is rejected where it is checkable, else by the next insert (${runs} runs)`, () => {
    fc.assert(
      fc.property(seedArb, receivedArb, fc.nat(255), (seed, n, bit) => {
        fc.pre(n <= MAX); // room for one more
        const store = ShachainStore.decode(encodedStoreAt(seed, n));
        const index = MAX - n;
        const bad = generateFromSeed(seed, index);
        bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
        const before = store.encode();
        if (index % 2 === 0 && n > 0) {
          // an index with trailing zeros must derive the stored secret just before it
          const e = thrown(() => store.insertSecret(bad, index));
          expect(e).toBeInstanceOf(InconsistentSecretError);
          expect((e as InconsistentSecretError).index).toBe(index);
          expect((e as InconsistentSecretError).conflictsWith).toBe(index + 1);
          expect(store.encode()).toEqual(before);
        } else {
          // nothing to check it against yet: accepted, and caught by the very next insert
          store.insertSecret(bad, index);
          fc.pre(index > 0);
          const e = thrown(() => store.insertSecret(generateFromSeed(seed, index - 1), index - 1));
          expect(e).toBeInstanceOf(InconsistentSecretError);
          expect((e as InconsistentSecretError).conflictsWith).toBe(index);
        }
      }),
      { numRuns: runs },
    );
  });

  it(`switching to another seed is rejected once an index must derive an original secret (${heavyRuns} runs)`, () => {
    fc.assert(
      fc.property(seedArb, seedArb, fc.integer({ min: 1, max: 32 }), (seed, other, n) => {
        fc.pre(seed.some((b, i) => b !== other[i]));
        const store = insertPrefix(seed, n);
        // Secrets from `other` are accepted while they only have to derive each other; the first index
        // whose position is above a position still holding a `seed` secret must be rejected. With
        // n ≥ 1 such a position is at most 5 (n ≤ 32), so that happens within 64 inserts.
        for (let k = 0; k < 64; k++) {
          const index = MAX - n - k;
          try {
            store.insertSecret(generateFromSeed(other, index), index);
          } catch (e) {
            expect(e).toBeInstanceOf(InconsistentSecretError);
            expect((e as InconsistentSecretError).conflictsWith).toBeGreaterThan(MAX - n);
            return;
          }
        }
        expect.unreachable('a secret from another seed was never rejected');
      }),
      { numRuns: heavyRuns },
    );
  });

  it(`encode/decode round-trips exactly and the copy behaves identically (${heavyRuns} runs)`, () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 0, max: 64 }), (seed, n) => {
        const store = insertPrefix(seed, n);
        const bytes = store.encode();
        expect(bytes).toEqual(encodedStoreAt(seed, n));
        const copy = ShachainStore.decode(bytes);
        expect(copy.encode()).toEqual(bytes);
        expect(copy.received).toBe(n);
        expect(copy.nextIndex).toBe(store.nextIndex);
        for (let k = 0; k < n; k++)
          expect(sameBytes(copy.getSecret(MAX - k), store.getSecret(MAX - k)!)).toBe(true);
        const next = MAX - n;
        copy.insertSecret(generateFromSeed(seed, next), next);
        store.insertSecret(generateFromSeed(seed, next), next);
        expect(copy.encode()).toEqual(store.encode());
      }),
      { numRuns: heavyRuns },
    );
  });
});

describe('ShachainStore ordering and edges', () => {
  const seed = new Uint8Array(32).fill(7);

  it('rejects any index but the next one, and leaves the store unchanged', () => {
    const store = insertPrefix(seed, 3);
    for (const bad of [MAX, MAX - 2, MAX - 4, 0]) {
      const e = thrown(() => store.insertSecret(generateFromSeed(seed, bad), bad));
      expect(e).toBeInstanceOf(UnexpectedIndexError);
      expect((e as UnexpectedIndexError).expected).toBe(MAX - 3);
      expect((e as UnexpectedIndexError).code).toBe('SHACHAIN_UNEXPECTED_INDEX');
    }
    expect(store.received).toBe(3);
  });

  it('the first secret must be index 2^48 − 1', () => {
    expect(thrown(() => new ShachainStore().insertSecret(generateFromSeed(seed, 5), 5))).toBeInstanceOf(
      UnexpectedIndexError,
    );
  });

  it('after index 0 the store is complete, holds 49 secrets and accepts nothing more', () => {
    const store = ShachainStore.decode(encodedStoreAt(seed, MAX));
    expect(store.nextIndex).toBe(0);
    store.insertSecret(generateFromSeed(seed, 0), 0);
    expect(store.storedCount).toBe(49);
    expect(store.nextIndex).toBeUndefined();
    expect(store.getSecret(MAX)).toEqual(generateFromSeed(seed, MAX));
    expect(store.getSecret(0)).toEqual(generateFromSeed(seed, 0));
    const e = thrown(() => store.insertSecret(generateFromSeed(seed, 0), 0));
    expect(e).toBeInstanceOf(UnexpectedIndexError);
    expect((e as UnexpectedIndexError).expected).toBeUndefined();
    expect(ShachainStore.decode(store.encode()).encode()).toEqual(store.encode());
  });

  it('an empty store returns undefined for every index', () => {
    const store = new ShachainStore();
    expect(store.getSecret(MAX)).toBeUndefined();
    expect(store.getSecret(0)).toBeUndefined();
    expect(store.nextIndex).toBe(MAX);
    expect(store.encode()).toEqual(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('stored secrets are copies: mutating the inserted or returned bytes changes nothing', () => {
    const store = new ShachainStore();
    const s = generateFromSeed(seed, MAX);
    store.insertSecret(s, MAX);
    s.fill(0);
    const got = store.getSecret(MAX);
    expect(got).toEqual(generateFromSeed(seed, MAX));
    got?.fill(0);
    expect(store.getSecret(MAX)).toEqual(generateFromSeed(seed, MAX));
  });
});

describe('argument validation', () => {
  const seed = new Uint8Array(32);
  const cases: [string, () => unknown, string][] = [
    ['short seed', () => generateFromSeed(new Uint8Array(31), 0), 'seed'],
    ['non-bytes seed', () => generateFromSeed('00' as unknown as Uint8Array, 0), 'seed'],
    ['index 2^48', () => generateFromSeed(seed, 2 ** 48), 'index'],
    ['negative index', () => generateFromSeed(seed, -1), 'index'],
    ['fractional index', () => generateFromSeed(seed, 1.5), 'index'],
    ['bigint index', () => generateFromSeed(seed, 5n as unknown as number), 'index'],
    ['long secret', () => new ShachainStore().insertSecret(new Uint8Array(33), MAX), 'secret'],
    ['getSecret out of range', () => new ShachainStore().getSecret(2 ** 48), 'index'],
    ['commitment number out of range', () => commitmentIndex(2 ** 48), 'commitmentNumber'],
  ];
  for (const [name, f, argument] of cases) {
    it(`rejects ${name} with InvalidArgumentError naming ${argument}`, () => {
      const e = thrown(f);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toBe(argument);
      expect(ShachainError.isInstance(e)).toBe(true);
    });
  }

  it('commitmentIndex maps commitment n to 2^48 − 1 − n', () => {
    expect(commitmentIndex(0)).toBe(FIRST_INDEX);
    expect(commitmentIndex(42)).toBe(FIRST_INDEX - 42);
    expect(commitmentIndex(FIRST_INDEX)).toBe(0);
  });

  it('isInstance recognises the brand and kind tag of another copy, not just the prototype', () => {
    // As another copy of the package makes it: core's brand and the base class's kind tag.
    const proto = Object.create(Error.prototype);
    Object.defineProperty(proto, Symbol.for('@superscalar/error'), { value: true });
    Object.defineProperty(proto, Symbol.for('@superscalar/error-kind'), {
      value: '@superscalar/shachain:ShachainError',
    });
    const foreign = Object.create(proto);
    expect(ShachainError.isInstance(foreign)).toBe(true);
    expect(ShachainError.isInstance(new Error('x'))).toBe(false);
    expect(ShachainError.isInstance(null)).toBe(false);
  });
});

describe('strict decoding', () => {
  const seed = new Uint8Array(32).fill(9);
  const good = encodedStoreAt(seed, 12); // 12 received: positions 0, 2, 3 (indices …f4, …f4+…)

  function decodeError(bytes: Uint8Array): DecodeError {
    const e = thrown(() => ShachainStore.decode(bytes));
    expect(e).toBeInstanceOf(DecodeError);
    expect((e as DecodeError).code).toBe('SHACHAIN_DECODE');
    return e as DecodeError;
  }

  it('rejects an unknown version', () => {
    const b = Uint8Array.from(good);
    b[0] = 2;
    expect(decodeError(b).reason).toMatch(/version 2/);
  });
  it('rejects fewer than 8 bytes', () => {
    decodeError(new Uint8Array([1, 0, 0]));
    decodeError(new Uint8Array(0));
  });
  it('rejects a truncated entry and trailing bytes', () => {
    decodeError(good.subarray(0, good.length - 1));
    decodeError(Uint8Array.from([...good, 0]));
    decodeError(Uint8Array.from([...encodedStoreAt(seed, 0), ...new Uint8Array(32)]));
  });
  it('rejects a received count above 2^48', () => {
    const b = encodedStoreAt(seed, MAX + 1);
    b[7] = 1; // 2^48 + 1
    decodeError(b);
    decodeError(new Uint8Array([1, 255, 255, 255, 255, 255, 255, 255]));
  });
  it('rejects stored secrets that contradict each other', () => {
    // 4 received (indices MAX..MAX-3): MAX-3 has 2 trailing zeros and must derive MAX-2 (position 0)
    // and MAX-1 (position 1). Corrupt the position-0 secret.
    const b = encodedStoreAt(seed, 4);
    b[8] = (b[8] as number) ^ 1;
    expect(decodeError(b).cause).toBeInstanceOf(InconsistentSecretError);
  });
  it(`random byte strings decode only to valid stores or DecodeError (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(fc.nat(good.length - 1), fc.nat(255)).map(([at, x]) => {
            const b = Uint8Array.from(good);
            b[at] = (b[at] as number) ^ (x | 1);
            return b;
          }),
        ),
        (bytes) => {
          try {
            const s = ShachainStore.decode(bytes);
            expect(s.encode()).toEqual(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: runs },
    );
  });
});
