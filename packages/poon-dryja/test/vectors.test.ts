import { readFileSync } from 'node:fs';
import { hexToBytes } from '@noble/hashes/utils.js';
import { decodeTx, STANDARD_FLAGS, txidHex, verifyTx } from '@superscalar/chain';
import { describe, expect, it } from 'vitest';
import { computeVector, VECTOR_INPUTS, type VectorInput } from '../scripts/_vectors.js';

interface Expected {
  txid: string;
  unsignedTx: string;
  outputs: { amount: string; script: string }[];
  claims: { vout: number; txid: string; tx: string }[];
  penalties: { vouts: number[]; txid: string; tx: string }[];
}
const doc = JSON.parse(readFileSync(new URL('../vectors/commitments.json', import.meta.url), 'utf8')) as {
  cases: { input: VectorInput; expected: Expected }[];
};

describe('vectors/commitments.json (this package’s own vectors)', () => {
  it('holds every published case, with the generator’s inputs', () => {
    expect(doc.cases.map((c) => c.input)).toEqual(JSON.parse(JSON.stringify(VECTOR_INPUTS)));
  });
  for (const { input, expected } of doc.cases) {
    it(`${input.name}: the builders reproduce every field from the inputs`, () => {
      expect(computeVector(input)).toEqual(expected);
    });
    it(`${input.name}: every claim and penalty passes the chain package’s interpreter`, () => {
      expect(txidHex(decodeTx(hexToBytes(expected.unsignedTx)))).toBe(expected.txid);
      const spent = (vout: number) => {
        const o = expected.outputs[vout];
        if (o === undefined) throw new Error(`no output ${vout}`);
        return { value: BigInt(o.amount), script: hexToBytes(o.script) };
      };
      for (const c of expected.claims) {
        const tx = decodeTx(hexToBytes(c.tx));
        expect(txidHex(tx)).toBe(c.txid);
        verifyTx(tx, [spent(c.vout)], STANDARD_FLAGS);
      }
      for (const p of expected.penalties) {
        const tx = decodeTx(hexToBytes(p.tx));
        expect(txidHex(tx)).toBe(p.txid);
        verifyTx(tx, p.vouts.map(spent), STANDARD_FLAGS);
      }
    });
  }
});
