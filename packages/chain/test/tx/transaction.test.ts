import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns, vectorJson } from '../../../../test-utils/index.js';
import { InvalidArgumentError } from '../../src/index.js';
import {
  checkTransaction,
  createTx,
  DecodeError,
  decodeTx,
  encodeTx,
  fromDisplayHex,
  type Tx,
  toDisplayHex,
  txidHex,
  vsize,
  weight,
  wtxidHex,
} from '../../src/tx/index.js';

type CoreTxRow = [unknown[][], string, string];
const coreRows = (file: string): CoreTxRow[] =>
  vectorJson<unknown[][]>(`bitcoin-core/${file}`).filter((r): r is CoreTxRow => r.length === 3);

const arbBytes = (max: number) => fc.uint8Array({ maxLength: max });
const arbTx: fc.Arbitrary<Tx> = fc
  .record({
    version: fc.nat({ max: 0xffffffff }),
    locktime: fc.nat({ max: 0xffffffff }),
    inputs: fc.array(
      fc.record({
        prevTxid: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        vout: fc.nat({ max: 0xffffffff }),
        scriptSig: arbBytes(300),
        sequence: fc.nat({ max: 0xffffffff }),
        witness: fc.array(arbBytes(300), { maxLength: 4 }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    outputs: fc.array(
      fc.record({ value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }), script: arbBytes(300) }),
      { maxLength: 5 },
    ),
  })
  .map(createTx);

describe('tx codec', () => {
  it('decode(encode(tx)) round-trips random transactions and the encoding is canonical', () => {
    fc.assert(
      fc.property(arbTx, (tx) => {
        const raw = encodeTx(tx);
        const back = decodeTx(raw);
        expect(back).toEqual(tx);
        expect(encodeTx(back)).toEqual(raw);
        expect(weight(tx)).toBe(encodeTx(tx, { witness: false }).length * 3 + raw.length);
      }),
      { numRuns: propertyRuns() },
    );
  });

  it('agrees with @scure/btc-signer on the serialisation, txid, wtxid and vsize of random transactions', () => {
    fc.assert(
      // scure accepts only versions -1..3 (signed); the codec's own round trip covers the full range.
      fc.property(arbTx, fc.integer({ min: 0, max: 3 }), (anyTx, version) => {
        const tx = createTx({ ...anyTx, version });
        const raw = encodeTx(tx);
        const other = Transaction.fromRaw(raw, {
          allowUnknownOutputs: true,
          allowUnknownInputs: true,
          disableScriptCheck: true,
          allowLegacyWitnessUtxo: true,
        });
        expect(txidHex(tx)).toBe(other.id);
        expect(wtxidHex(tx)).toBe(toDisplayHex(sha256(sha256(other.toBytes(true, true)))));
        expect(other.toBytes(true, true)).toEqual(raw);
        const stripped = other.toBytes(true, false).length;
        expect(vsize(tx)).toBe(Math.ceil((stripped * 3 + raw.length) / 4));
      }),
      { numRuns: propertyRuns(200, 50) },
    );
  });

  it('decodes and re-encodes byte-identically every transaction in Core tx_valid.json', () => {
    const rows = coreRows('tx_valid.json');
    expect(rows.length).toBeGreaterThan(100);
    for (const [, hex] of rows) {
      const raw = hexToBytes(hex);
      expect(encodeTx(decodeTx(raw))).toEqual(raw);
    }
  });

  it('computes the BIP341 vector transaction sizes and a known txid', () => {
    const v = vectorJson<{ keyPathSpending: { given: { rawUnsignedTx: string } }[] }>(
      'bip341/wallet-test-vectors.json',
    );
    const raw = hexToBytes(v.keyPathSpending[0]!.given.rawUnsignedTx);
    const tx = decodeTx(raw);
    expect(tx.inputs).toHaveLength(9);
    expect(tx.outputs).toHaveLength(2);
    expect(tx.version).toBe(2);
    expect(tx.locktime).toBe(0x1dcd6500);
    expect(weight(tx)).toBe(raw.length * 4);
    // Core's well-known first block-170 spend: f4184fc5…9e16 (txid of the first P2PK payment).
    const block170 = hexToBytes(
      '0100000001c997a5e56e104102fa209c6a852dd90660a20b2d9c352423edce25857fcd3704000000004847304402204e45e16932b8af514961a1d3a1a25fdf3f4f7732e9d624c6c61548ab5fb8cd410220181522ec8eca07de4860a4acdd12909d831cc56cbbac4622082221a8768d1d0901ffffffff0200ca9a3b00000000434104ae1a62fe09c5f51b13905f07f06b99a2f7159b2225f374cd378d71302fa28414e7aab37397f554a7df5f142c21c1b7303b8a0626f1baded5c72a704f7e6cd84cac00286bee0000000043410411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3ac00000000',
    );
    expect(txidHex(decodeTx(block170))).toBe(
      'f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16',
    );
  });

  it('rejects malformed encodings with a typed, stable code', () => {
    const good = hexToBytes(coreRows('tx_valid.json')[0]![1]);
    const cases: [string, string][] = [
      ['', 'TRUNCATED'],
      ['01000000', 'TRUNCATED'],
      [`${Buffer.from(good).toString('hex')}00`, 'TRAILING_DATA'],
      // segwit marker with flag 1 but every witness empty
      [
        '0100000000010100000000000000000000000000000000000000000000000000000000000000000000000000ffffffff0100000000000000000000000000',
        'SUPERFLUOUS_WITNESS',
      ],
      // unknown flag bits
      [
        '0100000000020100000000000000000000000000000000000000000000000000000000000000000000000000ffffffff010000000000000000000000000000',
        'UNKNOWN_OPTIONAL_DATA',
      ],
      // input count 1 written as 0xfd 0x0100 (non-canonical)
      ['01000000fd0100', 'NONCANONICAL_COMPACTSIZE'],
      ['01000000fe00000004', 'SIZE_TOO_LARGE'],
      ['01000000ff0000000000000000', 'NONCANONICAL_COMPACTSIZE'],
    ];
    for (const [hex, code] of cases) {
      let caught: unknown;
      try {
        decodeTx(hexToBytes(hex));
      } catch (e) {
        caught = e;
      }
      expect(DecodeError.isInstance(caught), hex).toBe(true);
      expect((caught as DecodeError).problem, hex).toBe(code);
    }
  });

  it('any truncation of a valid transaction fails with TX_TRUNCATED and nothing else', () => {
    fc.assert(
      fc.property(arbTx, fc.nat(), (tx, cut) => {
        const raw = encodeTx(tx);
        const n = cut % raw.length;
        try {
          decodeTx(raw.subarray(0, n));
          // A prefix can decode only by coincidence of the segwit-vs-legacy ambiguity: it must then re-encode.
        } catch (e) {
          expect(DecodeError.isInstance(e)).toBe(true);
        }
      }),
      { numRuns: propertyRuns() },
    );
  });

  it('createTx validates fields, names the bad argument and copies caller bytes', () => {
    const prevTxid = new Uint8Array(32);
    const tx = createTx({
      version: 2,
      locktime: 0,
      inputs: [{ prevTxid, vout: 0, sequence: 0xffffffff }],
      outputs: [{ value: 1000n, script: new Uint8Array([0x51]) }],
    });
    prevTxid[0] = 1;
    expect(tx.inputs[0]!.prevTxid[0]).toBe(0);
    expect(Object.isFrozen(tx) && Object.isFrozen(tx.inputs[0])).toBe(true);
    expect(() =>
      createTx({
        version: 2,
        locktime: 0,
        inputs: [{ prevTxid: new Uint8Array(31), vout: 0, sequence: 0 }],
        outputs: [],
      }),
    ).toThrow(/tx\.inputs\[0\]\.prevTxid/);
    expect(() => createTx({ version: -1, locktime: 0, inputs: [], outputs: [] })).toThrow(
      InvalidArgumentError,
    );
  });

  it('display hex is the byte reverse of the internal order', () => {
    const h = fromDisplayHex('f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16');
    expect(h[0]).toBe(0x16);
    expect(toDisplayHex(h)).toBe('f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16');
  });

  it("checkTransaction returns Core's reasons for context-free invalidity", () => {
    const base = {
      version: 1,
      locktime: 0,
      inputs: [{ prevTxid: new Uint8Array(32).fill(1), vout: 0, sequence: 0 }],
      outputs: [{ value: 1n, script: new Uint8Array() }],
    };
    expect(checkTransaction(createTx(base))).toBeNull();
    expect(checkTransaction(createTx({ ...base, inputs: [] }))).toBe('bad-txns-vin-empty');
    expect(checkTransaction(createTx({ ...base, outputs: [] }))).toBe('bad-txns-vout-empty');
    expect(checkTransaction(createTx({ ...base, outputs: [{ value: -1n, script: new Uint8Array() }] }))).toBe(
      'bad-txns-vout-negative',
    );
    expect(
      checkTransaction(
        createTx({ ...base, outputs: [{ value: 2_100_000_000_000_001n, script: new Uint8Array() }] }),
      ),
    ).toBe('bad-txns-vout-toolarge');
    const half = { value: 1_100_000_000_000_000n, script: new Uint8Array() };
    expect(checkTransaction(createTx({ ...base, outputs: [half, half] }))).toBe(
      'bad-txns-txouttotal-toolarge',
    );
    expect(checkTransaction(createTx({ ...base, inputs: [base.inputs[0]!, base.inputs[0]!] }))).toBe(
      'bad-txns-inputs-duplicate',
    );
    const nullIn = { prevTxid: new Uint8Array(32), vout: 0xffffffff, sequence: 0 };
    expect(checkTransaction(createTx({ ...base, inputs: [nullIn] }))).toBe('bad-cb-length');
    expect(checkTransaction(createTx({ ...base, inputs: [nullIn, base.inputs[0]!] }))).toBe(
      'bad-txns-prevout-null',
    );
  });
});
