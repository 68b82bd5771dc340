// Property tests over every message: encode → decode is the identity on random values, and
// decode → encode is the identity on every byte string the decoder accepts (canonical encoding), for
// random mutations of valid encodings.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import { decodeMessage, encodeMessage, WireError } from '../src/index.js';
import { MESSAGE_NAMES, messageArb } from './_arb.js';

const RUNS = propertyRuns(300, 40);
const BIG = { maxSize: 1 << 22 };
console.log(`wire properties: ${RUNS} runs per message and property, ${MESSAGE_NAMES.length} messages`);

const mutation = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ k: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    k: fc.constant('insert' as const),
    at: fc.nat(),
    v: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({ k: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 4 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(b: Uint8Array, m: Mutation): Uint8Array {
  if (b.length <= 2) return b;
  const at = 2 + (m.at % (b.length - 2));
  const c = Uint8Array.from(b);
  switch (m.k) {
    case 'flip':
      c[at] = (c[at] as number) ^ (1 << m.bit);
      return c;
    case 'set':
      c[at] = m.v;
      return c;
    case 'cut':
      return c.subarray(0, at);
    case 'insert':
      return Uint8Array.from([...c.subarray(0, at), ...m.v, ...c.subarray(at)]);
    default:
      return Uint8Array.from([...c.subarray(0, at), ...c.subarray(at + m.n)]);
  }
}

describe('every message', () => {
  for (const name of MESSAGE_NAMES) {
    it(`${name}: decode(encode(v)) deep-equals v`, () => {
      fc.assert(
        fc.property(messageArb(name), (m) => {
          const bytes = encodeMessage(m, BIG);
          expect(decodeMessage(bytes, BIG)).toStrictEqual(m);
        }),
        { numRuns: RUNS },
      );
    }, 120_000);

    it(`${name}: every accepted mutation re-encodes to the same bytes; every rejection is a WireError`, () => {
      fc.assert(
        fc.property(messageArb(name), fc.array(mutation, { minLength: 1, maxLength: 3 }), (m, ms) => {
          let b = encodeMessage(m, BIG);
          for (const x of ms) b = mutate(b, x);
          let decoded: ReturnType<typeof decodeMessage>;
          try {
            decoded = decodeMessage(b, BIG);
          } catch (e) {
            expect(WireError.isInstance(e)).toBe(true);
            return;
          }
          expect(encodeMessage(decoded, BIG)).toStrictEqual(b);
        }),
        { numRuns: RUNS },
      );
    }, 120_000);
  }
});
