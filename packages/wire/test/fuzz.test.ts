// Fuzz suite: random and mutated inputs for every decoder (one per message type, BigSize, TLV streams,
// the reassembler). Zero exceptions other than WireError, and every accepted input re-encodes to
// itself. Counts come from fuzzIterations() (FUZZ_ITERATIONS; 20,000 per decoder under CI=true) and
// are printed; scripts/fuzz.ts runs the same engine at 1,000,000 per decoder.
import { describe, expect, it } from 'vitest';
import { fuzzIterations } from '../../../test-utils/index.js';
import { DECODERS, fuzzDecoder } from './_fuzz.js';

const ITERATIONS = fuzzIterations(40_000, 20_000);
console.log(`wire fuzz suite: ${ITERATIONS} inputs per decoder, ${DECODERS.length} decoders`);

describe('fuzz', () => {
  for (const d of DECODERS) {
    it(`${d}: random and mutated inputs give only WireErrors or canonical values`, () => {
      const r = fuzzDecoder(d, ITERATIONS, 0x5eed);
      console.log(
        `fuzz ${d}: ${r.inputs} inputs (random ${r.random}, mutated ${r.mutated}), accepted ${r.accepted}, rejected ${r.rejected}, crashes ${r.crashes}`,
      );
      expect(r.firstCrash).toBeUndefined();
      expect(r.crashes).toBe(0);
      expect(r.accepted + r.rejected).toBe(ITERATIONS);
      // The mutations must reach the decoders' success path too, or they test nothing but framing.
      expect(r.accepted).toBeGreaterThan(0);
    }, 120_000);
  }
});
