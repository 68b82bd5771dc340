// Properties over random invoices (fast-check, PROPERTY_RUNS runs each; printed).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  type AmountMultiplier,
  amountMsat,
  decodeInvoice,
  encodeAmount,
  encodeInvoice,
  MAX_AMOUNT_MSAT,
  signInvoice,
  verifyInvoice,
} from '../src/index.js';
import { invoiceAndKey } from './_arb.js';

const RUNS = propertyRuns(1_000, 100);
console.log(`bolt11 property suite: ${RUNS} runs per property`);

describe('properties', () => {
  it('sign → encode → decode returns the signed invoice; encode(decode(s)) = s; it verifies, low-S', () => {
    fc.assert(
      fc.property(invoiceAndKey, ({ invoice, sk }) => {
        const signed = signInvoice(invoice, sk);
        const text = encodeInvoice(signed);
        const decoded = decodeInvoice(text);
        expect(decoded).toEqual(signed);
        expect(decoded.fields).toEqual(invoice.fields);
        expect(encodeInvoice(decoded)).toBe(text);
        expect(decodeInvoice(text.toUpperCase())).toEqual(signed);
        const payee = secp256k1.getPublicKey(sk, true);
        expect(decoded.payeeNodeId).toEqual(payee);
        expect(verifyInvoice(text, payee)).toBe(true);
        expect(secp256k1.Signature.fromBytes(decoded.signature, 'compact').hasHighS()).toBe(false);
        if (invoice.amountMsat === undefined) expect(decoded.amountMsat).toBeUndefined();
        else expect(decoded.amountMsat).toBe(invoice.amountMsat);
      }),
      { numRuns: RUNS },
    );
  });

  it('a changed timestamp, amount or field no longer verifies as the payee', () => {
    fc.assert(
      fc.property(invoiceAndKey, fc.nat(), ({ invoice, sk }, pick) => {
        const signed = signInvoice(invoice, sk);
        const payee = signed.payeeNodeId;
        const i = pick % signed.fields.length;
        const f = signed.fields[i];
        const variants = [
          { ...signed, timestamp: signed.timestamp === 0 ? 1 : signed.timestamp - 1 },
          {
            ...signed,
            amountMsat:
              signed.amountMsat === MAX_AMOUNT_MSAT ? MAX_AMOUNT_MSAT - 1n : (signed.amountMsat ?? 0n) + 1n,
            multiplier: undefined,
          },
          f?.type === 'paymentHash' || f?.type === 'paymentSecret'
            ? {
                ...signed,
                fields: signed.fields.map((g, k) =>
                  k === i ? { ...f, value: f.value.map((b) => b ^ 1) } : g,
                ),
              }
            : {
                ...signed,
                fields: [...signed.fields.slice(0, i), ...signed.fields.slice(i + 1), ...(f ? [f] : [])],
              },
        ];
        for (const v of variants) {
          if (encodeInvoice(v) === encodeInvoice(signed)) continue; // moving the last field last
          expect(verifyInvoice(v, payee)).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('amounts: amountMsat(encodeAmount(msat, m)) = msat for every multiplier that fits', () => {
    const per: Record<AmountMultiplier, bigint> = {
      '': 100_000_000_000n,
      m: 100_000_000n,
      u: 100_000n,
      n: 100n,
      p: 1n,
    };
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: MAX_AMOUNT_MSAT }),
        fc.constantFrom<AmountMultiplier>('', 'm', 'u', 'n', 'p'),
        (msat, m) => {
          const shortest = encodeAmount(msat);
          expect(amountMsat(shortest)).toBe(msat);
          for (const u of ['', 'm', 'u', 'n', 'p'] as const)
            if (msat % per[u] === 0n)
              expect(encodeAmount(msat, u).length).toBeGreaterThanOrEqual(shortest.length);
          if (msat % per[m] === 0n) expect(amountMsat(encodeAmount(msat, m))).toBe(msat);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
