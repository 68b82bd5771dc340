import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzIterations, propertyRuns } from '../../../test-utils/index.js';
import {
  advance,
  buildShape,
  canAdvance,
  DecodeError,
  type DwState,
  decodeState,
  encodeState,
  initialState,
} from '../src/index.js';
import { arbParams, arbShape } from './_arbitraries.js';

function advanced(
  shape: ReturnType<typeof buildShape>,
  params: { K: number; S: number },
  picks: number[],
): DwState {
  let st = initialState(shape, params);
  for (const p of picks) {
    const leaf = p % shape.leaves.length;
    if (canAdvance(st, leaf)) st = advance(st, leaf).next;
  }
  return st;
}

const sample = advanced(
  buildShape({ leaves: 6, levelArity: [3, 2], staticLevels: 1 }),
  { K: 3, S: 20 },
  [0, 0, 0, 4, 4],
);
const sampleBytes = encodeState(sample);

function reasonOf(bytes: Uint8Array): string {
  try {
    decodeState(bytes);
    return 'OK';
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return (e as DecodeError).reason;
  }
}

describe('DW state encoding', () => {
  it('decode(encode(state)) equals state for any shape and advance history (property)', () => {
    fc.assert(
      fc.property(arbShape, arbParams, fc.array(fc.nat(), { maxLength: 30 }), (shape, params, picks) => {
        const st = advanced(shape, params, picks);
        const bytes = encodeState(st);
        const back = decodeState(bytes);
        expect(back).toEqual(st);
        expect(encodeState(back)).toEqual(bytes);
        // the decoded state keeps working
        const leaf = 0;
        if (canAdvance(st, leaf)) expect(advance(back, leaf).next).toEqual(advance(st, leaf).next);
      }),
      { numRuns: propertyRuns(300, 60) },
    );
  });

  it('reports every strict prefix as truncated', () => {
    for (let len = 0; len < sampleBytes.length; len++) {
      const r = reasonOf(sampleBytes.subarray(0, len));
      expect(r, `prefix ${len}`).toBe('truncated');
    }
  });

  it('rejects trailing bytes, bad magic and unknown versions', () => {
    const longer = new Uint8Array(sampleBytes.length + 1);
    longer.set(sampleBytes);
    expect(reasonOf(longer)).toBe('trailing');
    const magic = Uint8Array.from(sampleBytes);
    magic[0] = 0;
    expect(reasonOf(magic)).toBe('magic');
    const version = Uint8Array.from(sampleBytes);
    version[3] = 2;
    expect(reasonOf(version)).toBe('version');
  });

  it('rejects invalid content: a state ≥ K, a duplicated counter, a static leaf, K out of range', () => {
    const edit = (at: number, v: number) => {
      const b = Uint8Array.from(sampleBytes);
      b[at] = v;
      return b;
    };
    const nodes = sample.shape.nodes.length;
    const firstState = 12 + nodes * 5; // first state-node's state byte
    expect(reasonOf(edit(firstState, 3))).toBe('invalid');
    expect(reasonOf(edit(5, 1))).toBe('invalid'); // K = 0x0100 + … → K high byte changes
    const leafNode = sample.shape.leaves[0]!;
    expect(reasonOf(edit(12 + leafNode * 5, 1))).toBe('invalid');
    expect(reasonOf(edit(12 + leafNode * 5, 4))).toBe('invalid'); // unknown flag bit
    // duplicate counter: copy leaf 0's counter over leaf 1's
    const stateNodes = nodes - sample.shape.staticCount;
    const c0 = 12 + nodes * 5 + stateNodes * 5;
    const b = Uint8Array.from(sampleBytes);
    b.copyWithin(c0 + 6, c0, c0 + 6);
    expect(reasonOf(b)).toBe('invalid');
  });

  it('decodes random mutations to a DecodeError or to a state that re-encodes identically (fuzz)', () => {
    const n = fuzzIterations(10_000, 2_000);
    let errors = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -3, max: 3 }),
        (edits, resize) => {
          const len = Math.max(0, sampleBytes.length + resize);
          const b = new Uint8Array(len);
          b.set(sampleBytes.subarray(0, len));
          for (const [at, v] of edits) if (len > 0) b[at % len] = v;
          try {
            const st = decodeState(b);
            expect(encodeState(st)).toEqual(b);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
            errors++;
          }
        },
      ),
      { numRuns: n },
    );
    console.log(`codec fuzz: ${n} mutated inputs, ${errors} rejected with DecodeError`);
    expect(errors).toBeGreaterThan(0);
  });
});
