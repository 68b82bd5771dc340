// The cached sighasher against @scure/btc-signer's BIP341 preimages (an independent implementation,
// test-only) on random transactions: every hash type, key and script path, with and without annex.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '@superscalar/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import { encodeTx, InvalidArgumentError, TaprootSighasher, type Tx, tapLeafHash } from '../src/index.js';

const RUNS = propertyRuns(500, 100);
console.log(`tx sighash differential: ${RUNS} runs`);

const script = fc.uint8Array({ maxLength: 60 });
const arbCase = fc.record({
  version: fc.constantFrom(1, 2, 3),
  locktime: fc.nat({ max: 0xffff_ffff }),
  inputs: fc.array(
    fc.record({
      txidBytes: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      vout: fc.nat({ max: 0xffff_ffff }),
      sequence: fc.nat({ max: 0xffff_ffff }),
      value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
      spk: script,
    }),
    { minLength: 1, maxLength: 6 },
  ),
  outputs: fc.array(fc.record({ value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }), script }), {
    maxLength: 6,
  }),
  index: fc.nat(),
  hashType: fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83),
  annex: fc.option(
    fc.uint8Array({ maxLength: 40 }).map((a) => Uint8Array.from([0x50, ...a])),
    { nil: undefined },
  ),
  leaf: fc.option(script, { nil: undefined }),
  codeSep: fc.option(fc.nat({ max: 1000 }), { nil: undefined }),
});

describe('differential against @scure/btc-signer', () => {
  it('every input of a transaction, one cached sighasher, agrees with the independent preimage', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const tx: Tx = {
          version: c.version,
          locktime: c.locktime,
          inputs: c.inputs.map((i) => ({ txidBytes: i.txidBytes, vout: i.vout, sequence: i.sequence })),
          outputs: c.outputs,
        };
        const prevouts = c.inputs.map((i) => ({ value: i.value, script: i.spk }));
        const theirs = Transaction.fromRaw(encodeTx(tx), {
          allowUnknownOutputs: true,
          allowUnknownInputs: true,
          disableScriptCheck: true,
        });
        const hasher = new TaprootSighasher(tx, prevouts);
        // every input, so the cached per-transaction hashes are reused across inputs
        for (let k = 0; k < tx.inputs.length; k++) {
          const index = (c.index + k) % tx.inputs.length;
          const options = {
            hashType: c.hashType,
            ...(c.annex ? { annex: c.annex } : {}),
            ...(c.leaf ? { leafHash: tapLeafHash(c.leaf), codeSeparatorPos: c.codeSep ?? 0xffff_ffff } : {}),
          };
          if ((c.hashType & 3) === 3 && index >= tx.outputs.length) {
            expect(() => hasher.sighash(index, options)).toThrow(InvalidArgumentError);
            continue;
          }
          const want = theirs.preimageWitnessV1(
            index,
            prevouts.map((p) => p.script),
            c.hashType,
            prevouts.map((p) => p.value),
            c.leaf ? (c.codeSep ?? -1) : -1,
            c.leaf,
            0xc0,
            c.annex,
          );
          expect(toHex(hasher.sighash(index, options))).toBe(toHex(want));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects an index out of range and an undefined hash type with InvalidArgumentError', () => {
    const tx: Tx = {
      version: 3,
      locktime: 0,
      inputs: [{ txidBytes: new Uint8Array(32), vout: 0, sequence: 0 }],
      outputs: [{ value: 1n, script: Uint8Array.of(0x51) }],
    };
    const h = new TaprootSighasher(tx, [{ value: 2n, script: Uint8Array.of(0x51) }]);
    for (const i of [-1, 1, 0.5]) expect(() => h.sighash(i)).toThrow(InvalidArgumentError);
    for (const t of [0x04, 0x80, 0x84, 0xff])
      expect(() => h.sighash(0, { hashType: t })).toThrow(InvalidArgumentError);
    expect(() => new TaprootSighasher(tx, [])).toThrow(InvalidArgumentError);
  });
});
