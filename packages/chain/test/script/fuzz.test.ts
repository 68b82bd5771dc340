import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzIterations } from '../../../../test-utils/index.js';
import { ALL_FLAGS, flagsAreConsistent, OP, ScriptError, verifyScript } from '../../src/script/index.js';
import { DecodeError, decodeTx, encodeTx } from '../../src/tx/index.js';
import { creditingTx, spendingTx } from './_core.js';

// Opcode-dense random scripts: mostly single opcodes, some small pushes, so execution goes deep.
const arbScript = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0x4f, max: 0xff }).map((o) => Uint8Array.of(o)) },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 8 }).map((d) => Uint8Array.of(d.length, ...d)) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }) },
    ),
    { maxLength: 24 },
  )
  .map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));
const arbFlags = fc
  .nat({ max: ALL_FLAGS })
  .map((f) => f & ALL_FLAGS)
  .filter(flagsAreConsistent);

describe('fuzz: only typed errors', () => {
  it('random scripts, witnesses and flags verify or throw a ScriptError, never anything else', () => {
    const runs = fuzzIterations(20_000, 2_000);
    console.log(`interpreter fuzz: ${runs} runs`);
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        arbScript,
        arbScript,
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }),
        arbFlags,
        fc.constantFrom(undefined, OP.OP_0, OP.OP_1),
        (scriptSig, spkRaw, witness, flags, wrapVersion) => {
          // Sometimes make the scriptPubKey a witness program so witness paths run too.
          const spk =
            wrapVersion === undefined
              ? spkRaw
              : Uint8Array.of(wrapVersion, 32, ...new Uint8Array(32).fill(spkRaw[0] ?? 0));
          const credit = creditingTx(spk, 1000n);
          const tx = spendingTx(scriptSig, witness, credit);
          try {
            verifyScript({
              scriptSig,
              scriptPubKey: spk,
              witness,
              flags,
              tx,
              inputIndex: 0,
              amount: 1000n,
              spentOutputs: credit.outputs,
            });
            seen.add('OK');
          } catch (e) {
            expect(ScriptError.isInstance(e)).toBe(true);
            seen.add((e as ScriptError).scriptError);
          }
        },
      ),
      { numRuns: runs },
    );
    // The fuzzer reaches both outcomes and many distinct failure kinds.
    expect(seen.has('OK')).toBe(true);
    expect(seen.size).toBeGreaterThan(10);
  });

  it('random and mutated transaction bytes decode or throw a DecodeError', () => {
    const runs = fuzzIterations(20_000, 5_000);
    console.log(`tx decoder fuzz: ${runs} runs`);
    const base = encodeTx(
      spendingTx(
        Uint8Array.of(1, 2),
        [Uint8Array.of(3), new Uint8Array(0)],
        creditingTx(Uint8Array.of(0x51), 5n),
      ),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc
            .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
            .map((muts) => {
              const b = Uint8Array.from(base);
              for (const [at, v] of muts) b[at % b.length] = v;
              return b;
            }),
        ),
        (bytes) => {
          try {
            const tx = decodeTx(bytes);
            // Whatever decodes re-encodes to the same bytes (the codec is canonical).
            expect(encodeTx(tx)).toEqual(bytes);
          } catch (e) {
            expect(DecodeError.isInstance(e)).toBe(true);
          }
        },
      ),
      { numRuns: runs },
    );
  });
});
