import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns, vectorJson } from '../../../../test-utils/index.js';
import {
  legacySighash,
  SighashCache,
  segwitV0Sighash,
  tapLeafHash,
  taprootSighash,
} from '../../src/script/index.js';
import { createTx, decodeTx, encodeTx, type Tx, toDisplayHex } from '../../src/tx/index.js';

describe('legacy sighash: Bitcoin Core sighash.json', () => {
  it('reproduces every row (random txs, scripts with OP_CODESEPARATOR, every hash type incl. SINGLE bug)', () => {
    const rows = vectorJson<unknown[][]>('bitcoin-core/sighash.json').filter((r) => r.length === 5);
    expect(rows.length).toBe(500);
    const failures: string[] = [];
    for (const [rawTx, script, index, hashType, expected] of rows as [
      string,
      string,
      number,
      number,
      string,
    ][]) {
      const tx = decodeTx(hexToBytes(rawTx));
      const got = toDisplayHex(legacySighash(tx, index, hexToBytes(script), hashType));
      if (got !== expected) failures.push(`${expected} got ${got}`);
    }
    console.log(`sighash.json: ${rows.length} rows run, 0 excluded`);
    expect(failures).toEqual([]);
  });
});

const arbBytes = (max: number) => fc.uint8Array({ maxLength: max });
const arbScript = fc.uint8Array({ minLength: 1, maxLength: 60 });
const arbCase = fc
  .record({
    version: fc.integer({ min: 0, max: 3 }),
    locktime: fc.nat({ max: 0xffffffff }),
    inputs: fc.array(
      fc.record({
        prevTxid: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        vout: fc.nat({ max: 0xffffffff }),
        sequence: fc.nat({ max: 0xffffffff }),
        value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
        spk: arbScript,
      }),
      { minLength: 1, maxLength: 4 },
    ),
    outputs: fc.array(fc.record({ value: fc.bigInt({ min: 0n, max: 1n << 50n }), script: arbScript }), {
      minLength: 1,
      maxLength: 4,
    }),
    index: fc.nat(),
    hashType: fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83),
    annex: fc.option(
      arbBytes(40).map((b) => Uint8Array.of(0x50, ...b)),
      { nil: undefined },
    ),
    leaf: fc.option(arbScript, { nil: undefined }),
    codeSep: fc.option(fc.nat({ max: 1000 }), { nil: undefined }),
  })
  .map((c) => {
    const tx: Tx = createTx({
      version: c.version,
      locktime: c.locktime,
      inputs: c.inputs.map((i) => ({ prevTxid: i.prevTxid, vout: i.vout, sequence: i.sequence })),
      outputs: c.outputs,
    });
    return { ...c, tx, index: c.index % c.inputs.length };
  });

function scureTx(tx: Tx): Transaction {
  return Transaction.fromRaw(encodeTx(tx), {
    allowUnknownOutputs: true,
    allowUnknownInputs: true,
    disableScriptCheck: true,
  });
}

describe('differential against @scure/btc-signer (independent implementation, test-only)', () => {
  it('BIP143 sighash agrees on random transactions and hash types', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const hashType = c.hashType === 0 ? 1 : c.hashType;
        const code = c.inputs[c.index]!.spk;
        const amount = c.inputs[c.index]!.value;
        const ours = segwitV0Sighash(c.tx, c.index, code, amount, hashType, new SighashCache(c.tx));
        const theirs = scureTx(c.tx).preimageWitnessV0(c.index, code, hashType, amount);
        expect(bytesToHex(ours)).toBe(bytesToHex(theirs));
      }),
      { numRuns: propertyRuns(500, 100) },
    );
  });

  it('BIP341 sighash agrees on random transactions, hash types, annexes and tapscript leaves', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const spent = c.inputs.map((i) => ({ value: i.value, script: i.spk }));
        const single = (c.hashType & 3) === 3;
        const ours = taprootSighash(c.tx, c.index, spent, c.hashType, {
          ...(c.annex ? { annex: c.annex } : {}),
          ...(c.leaf
            ? { leafHash: tapLeafHash(c.leaf, 0xc0), codeSeparatorPos: c.codeSep ?? 0xffffffff }
            : {}),
        });
        if (single && c.index >= c.tx.outputs.length) {
          expect(ours).toBeUndefined();
          return;
        }
        const theirs = scureTx(c.tx).preimageWitnessV1(
          c.index,
          spent.map((s) => s.script),
          c.hashType,
          spent.map((s) => s.value),
          c.leaf ? (c.codeSep ?? -1) : -1,
          c.leaf,
          0xc0,
          c.annex,
        );
        expect(bytesToHex(ours!)).toBe(bytesToHex(theirs));
      }),
      { numRuns: propertyRuns(500, 100) },
    );
  });

  it('BIP341 rejects undefined hash types like Core (returns undefined)', () => {
    const tx = createTx({
      version: 2,
      locktime: 0,
      inputs: [{ prevTxid: new Uint8Array(32), vout: 0, sequence: 0 }],
      outputs: [{ value: 1n, script: Uint8Array.of(0x51) }],
    });
    const spent = [{ value: 2n, script: Uint8Array.of(0x51) }];
    for (const t of [0x04, 0x80, 0x84, 0xff]) expect(taprootSighash(tx, 0, spent, t)).toBeUndefined();
    for (const t of [0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83])
      expect(taprootSighash(tx, 0, spent, t)).toHaveLength(32);
  });
});
