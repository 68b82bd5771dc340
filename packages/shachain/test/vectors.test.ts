import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { vectorJson } from '../../../test-utils/index.js';
import { generateFromSeed, InconsistentSecretError, ShachainStore } from '../src/index.js';

interface Generation {
  name: string;
  seed: string;
  I: number;
  output: string;
}
interface Storage {
  name: string;
  steps: { I: number; secret: string; expected: 'OK' | 'ERROR' }[];
}
const vectors = vectorJson<{ generation: Generation[]; storage: Storage[] }>('bolt3/shachain.json');

describe('BOLT 3 Appendix D generation vectors', () => {
  it('has all 5 generation cases', () => expect(vectors.generation).toHaveLength(5));
  for (const v of vectors.generation) {
    it(`generate_from_seed matches: ${v.name}`, () => {
      expect(generateFromSeed(hexToBytes(v.seed), v.I)).toEqual(hexToBytes(v.output));
    });
  }
});

describe('BOLT 3 Appendix D storage vectors', () => {
  it('has all 9 storage cases and 56 steps', () => {
    expect(vectors.storage).toHaveLength(9);
    expect(vectors.storage.reduce((n, c) => n + c.steps.length, 0)).toBe(56);
  });
  for (const c of vectors.storage) {
    it(`insert_secret accepts and rejects as specified: ${c.name}`, () => {
      const store = new ShachainStore();
      for (const [i, step] of c.steps.entries()) {
        const secret = hexToBytes(step.secret);
        if (step.expected === 'OK') {
          store.insertSecret(secret, step.I);
          // every secret received so far is still recoverable
          for (const earlier of c.steps.slice(0, i + 1))
            expect(store.getSecret(earlier.I)).toEqual(hexToBytes(earlier.secret));
        } else {
          const before = store.encode();
          let thrown: unknown;
          try {
            store.insertSecret(secret, step.I);
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(InconsistentSecretError);
          expect((thrown as InconsistentSecretError).code).toBe('SHACHAIN_INCONSISTENT_SECRET');
          expect((thrown as InconsistentSecretError).index).toBe(step.I);
          // a rejected insert leaves the store unchanged
          expect(store.encode()).toEqual(before);
          expect(i).toBe(c.steps.length - 1);
        }
      }
    });
  }
  it('the correct-sequence case ends with no ERROR and the others end with one', () => {
    const endings = vectors.storage.map((c) => c.steps.at(-1)?.expected);
    expect(endings.filter((e) => e === 'ERROR')).toHaveLength(8);
  });
});
