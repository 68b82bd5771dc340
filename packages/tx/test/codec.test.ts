// The codec: round trips (fast-check), agreement with @scure/btc-signer on txid, wtxid, weight and
// bytes, the txid convention's one failure contract, and malformed input giving only DecodeError.
import { Transaction } from '@scure/btc-signer';
import { toHex } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import * as mod from '../src/index.js';
import {
  BelowDustError,
  checkDust,
  DecodeError,
  decodeTx,
  displayHex,
  encodeTx,
  encodeTxNoWitness,
  InvalidArgumentError,
  isTxid,
  P2TR_DUST,
  Reader,
  type Tx,
  TxError,
  txidBytes,
  txidBytesOf,
  txidOf,
  txVsize,
  txWeight,
  Writer,
  wtxidOf,
} from '../src/index.js';

const RUNS = propertyRuns(500, 100);
console.log(`tx codec properties: ${RUNS} runs each`);

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const arbTx: fc.Arbitrary<Tx> = fc.record({
  version: fc.constantFrom(1, 2, 3),
  locktime: fc.nat({ max: 0xffff_ffff }),
  inputs: fc.array(
    fc.record({
      txidBytes: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      vout: fc.nat({ max: 0xffff_ffff }),
      sequence: fc.nat({ max: 0xffff_ffff }),
      scriptSig: bytes(300),
      witness: fc.array(bytes(300), { maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  outputs: fc.array(fc.record({ value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), script: bytes(300) }), {
    maxLength: 5,
  }),
});

describe('round trips', () => {
  it('decodeTx(encodeTx(tx)) is tx, and encodes back to the same bytes', () => {
    fc.assert(
      fc.property(arbTx, (tx) => {
        const b = encodeTx(tx);
        const d = decodeTx(b);
        expect(d).toEqual(tx);
        expect(encodeTx(d)).toEqual(b);
      }),
      { numRuns: RUNS },
    );
  });

  it('txWeight equals the formula over the two serializations, txid ignores witnesses', () => {
    fc.assert(
      fc.property(arbTx, (tx) => {
        const base = encodeTxNoWitness(tx).length;
        const total = encodeTx(tx).length;
        expect(txWeight(tx)).toBe(base * 3 + total);
        expect(txVsize(tx)).toBe(Math.ceil((base * 3 + total) / 4));
        const stripped = { ...tx, inputs: tx.inputs.map((i) => ({ ...i, witness: [] })) };
        expect(txidOf(stripped)).toBe(txidOf(tx));
      }),
      { numRuns: RUNS },
    );
  });

  it('Writer and Reader agree on CompactSize at every boundary', () => {
    for (const n of [0, 1, 0xfc, 0xfd, 0xffff, 0x10000, 0xffff_ffff]) {
      const w = new Writer(mod.compactSizeLen(n));
      w.compactSize(n);
      const r = new Reader(w.finish());
      expect(r.compactSize('n', Number.MAX_SAFE_INTEGER)).toBe(n);
      r.end();
    }
  });
});

describe('differential against @scure/btc-signer (independent implementation, test-only)', () => {
  it('same txid and bytes, with and without witness, on random transactions', () => {
    fc.assert(
      fc.property(arbTx, (t) => {
        // scure reads amounts as int64 up to the money supply
        const tx = {
          ...t,
          outputs: t.outputs.map((o) => ({ ...o, value: o.value % 2_100_000_000_000_001n })),
        };
        const b = encodeTx(tx);
        const theirs = Transaction.fromRaw(b, {
          allowUnknownOutputs: true,
          allowUnknownInputs: true,
          disableScriptCheck: true,
          allowLegacyWitnessUtxo: true,
        });
        expect(theirs.id).toBe(txidOf(tx));
        expect(toHex(theirs.toBytes(true, true))).toBe(toHex(b));
        expect(toHex(theirs.toBytes(true, false))).toBe(toHex(encodeTxNoWitness(tx)));
        expect(wtxidOf(tx) === txidOf(tx)).toBe(!tx.inputs.some((i) => (i.witness ?? []).length > 0));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('malformed input', () => {
  it('a truncated or extended encoding is a DecodeError, never another exception', () => {
    fc.assert(
      fc.property(arbTx, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 3 }), (tx, cut, extra) => {
        const b = encodeTx(tx);
        const short = b.subarray(0, cut % b.length);
        expect(() => decodeTx(short)).toThrow(DecodeError);
        const long = new Uint8Array([...b, ...extra]);
        expect(() => decodeTx(long)).toThrow(DecodeError);
      }),
      { numRuns: RUNS },
    );
  });

  it('random and mutated bytes decode or throw DecodeError only', () => {
    fc.assert(
      fc.property(
        arbTx,
        fc.nat(),
        fc.nat({ max: 255 }),
        fc.uint8Array({ maxLength: 200 }),
        (tx, at, byte, junk) => {
          const b = encodeTx(tx);
          const m = Uint8Array.from(b);
          m[at % m.length] = byte;
          for (const input of [m, junk]) {
            try {
              const d = decodeTx(input);
              expect(encodeTx(d)).toEqual(input); // strict: what decodes is canonical
            } catch (e) {
              expect(DecodeError.isInstance(e)).toBe(true);
              expect((e as DecodeError).code).toBe('TX_DECODE');
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('rejects a non-canonical CompactSize, a bad witness flag, a superfluous witness and no inputs', () => {
    const tx: Tx = {
      version: 2,
      locktime: 0,
      inputs: [
        {
          txidBytes: new Uint8Array(32),
          vout: 0,
          sequence: 0,
          scriptSig: new Uint8Array(),
          witness: [Uint8Array.of(1)],
        },
      ],
      outputs: [{ value: 1n, script: Uint8Array.of(0x51) }],
    };
    const legacy = encodeTxNoWitness(tx);
    const nonCanonical = Uint8Array.from([...legacy.subarray(0, 4), 0xfd, 0x01, 0x00, ...legacy.subarray(5)]);
    expect(() => decodeTx(nonCanonical)).toThrow(/non-canonical/);
    const seg = encodeTx(tx);
    const badFlag = Uint8Array.from(seg);
    badFlag[5] = 2;
    expect(() => decodeTx(badFlag)).toThrow(/witness flag/);
    // the same transaction with marker and flag and an empty witness stack
    const superfluous = Uint8Array.from([
      ...seg.subarray(0, 6),
      ...legacy.subarray(4, legacy.length - 4),
      0x00,
      ...legacy.subarray(legacy.length - 4),
    ]);
    expect(() => decodeTx(superfluous)).toThrow(/superfluous/);
    expect(() => decodeTx(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0, 0))).toThrow(DecodeError);
    // a count larger than the bytes could hold is refused before any allocation
    expect(() => decodeTx(Uint8Array.of(2, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0x7f))).toThrow(DecodeError);
  });
});

describe('txid convention', () => {
  it('txidBytes and displayHex are inverse and reverse the byte order', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => {
        const hex = displayHex(b);
        expect(isTxid(hex)).toBe(true);
        expect(hex).toBe(toHex(Uint8Array.from(b).reverse()));
        expect(txidBytes(hex)).toEqual(b);
        expect(txidBytes(hex.toUpperCase())).toEqual(b);
      }),
      { numRuns: RUNS },
    );
  });

  it('one failure contract: InvalidArgumentError naming the argument, for every bad input', () => {
    const bad: unknown[] = [
      '',
      'zz'.repeat(32),
      'a'.repeat(63),
      'a'.repeat(65),
      42,
      undefined,
      null,
      new Uint8Array(32),
    ];
    for (const x of bad) {
      try {
        txidBytes(x as string, 'funding.txid');
        expect.unreachable();
      } catch (e) {
        expect(InvalidArgumentError.isInstance(e)).toBe(true);
        expect((e as InvalidArgumentError).argument).toBe('funding.txid');
        expect((e as InvalidArgumentError).code).toBe('TX_INVALID_ARGUMENT');
      }
    }
    for (const x of [new Uint8Array(31), new Uint8Array(33), 'ab', undefined]) {
      expect(() => displayHex(x as Uint8Array)).toThrow(InvalidArgumentError);
    }
  });

  it('txidBytesOf is the internal order of txidOf', () => {
    fc.assert(
      fc.property(arbTx, (tx) => {
        expect(displayHex(txidBytesOf(tx))).toBe(txidOf(tx));
      }),
      { numRuns: 50 },
    );
  });
});

describe('errors', () => {
  it('every class is tagged', () => {
    expect(errorClassProblems(mod, 'tx')).toEqual([]);
  });

  it('checkDust throws one BelowDustError naming the output, the amount and the limit', () => {
    expect(() => checkDust(P2TR_DUST, 'x')).not.toThrow();
    try {
      checkDust(329n, 'settlement payout');
      expect.unreachable();
    } catch (e) {
      expect(BelowDustError.isInstance(e)).toBe(true);
      expect(TxError.isInstance(e)).toBe(true);
      expect(DecodeError.isInstance(e)).toBe(false);
      const d = e as BelowDustError;
      expect([d.code, d.output, d.amount, d.limit]).toEqual([
        'TX_BELOW_DUST',
        'settlement payout',
        329n,
        330n,
      ]);
    }
  });
});
