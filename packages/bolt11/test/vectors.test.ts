// The examples of BOLT 11 (lightning/bolts 11-payment-encoding.md, vectors/bolt11/examples.json):
// every valid example decodes to its documented fields and re-encodes byte-identically when signed
// with the documented key; every invalid one fails with a typed error, for the reason it exists.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  type DecodeReason,
  decodeInvoice,
  encodeInvoice,
  FIELD_LETTER,
  type Invoice,
  invoiceSigningHash,
  signInvoice,
  verifyInvoice,
} from '../src/index.js';
import {
  AMOUNT_MSAT,
  examples,
  fallbackProgram,
  payeeNodeId,
  privateKey,
  scidBytes,
  type ValidExample,
} from './_vectors.js';

const NETWORK = { lnbc: 'mainnet', lntb: 'testnet4', lntbs: 'signet', lnbcrt: 'regtest' } as const;
const letters = (inv: Invoice) =>
  inv.fields.map((f) => (f.type === 'unknown' ? `?${f.tag}` : FIELD_LETTER[f.type]));

function expectDocumentedFields(inv: Invoice, v: ValidExample): void {
  expect(inv.network).toBe(NETWORK[v.prefix as keyof typeof NETWORK]);
  expect(inv.amountMsat).toBe(v.amount === null ? undefined : AMOUNT_MSAT[v.amount]);
  expect(inv.timestamp).toBe(v.timestamp);
  expect(bytesToHex(inv.paymentHash)).toBe(v.paymentHash);
  expect(bytesToHex(inv.paymentSecret)).toBe(v.paymentSecret);
  expect(inv.description).toBe(v.description);
  if (v.descriptionHash === undefined) expect(inv.descriptionHash).toBeUndefined();
  else {
    expect(bytesToHex(inv.descriptionHash as Uint8Array)).toBe(v.descriptionHash);
    if (v.descriptionHashPreimage !== undefined)
      expect(bytesToHex(sha256(new TextEncoder().encode(v.descriptionHashPreimage)))).toBe(v.descriptionHash);
  }
  expect(inv.expiry).toBe(v.expiry ?? 3600);
  expect(inv.minFinalCltvExpiryDelta).toBe(v.minFinalCltvExpiryDelta ?? 18);
  expect(inv.fallbacks).toEqual(
    (v.fallbacks ?? []).map((f) => ({
      version: f.version,
      program: fallbackProgram(v.prefix, f.version, f.address),
    })),
  );
  expect(inv.routeHints).toEqual(
    (v.routeHints ?? []).map((route) =>
      route.map((h) => ({ ...h, pubkey: hexToBytes(h.pubkey), shortChannelId: scidBytes(h.shortChannelId) })),
    ),
  );
  expect(inv.features).toEqual(v.features);
  expect(inv.metadata === undefined ? undefined : bytesToHex(inv.metadata)).toBe(v.metadata);
  expect(letters(inv)).toEqual(v.fieldOrder);
}

describe(`BOLT 11 examples (lightning/bolts ${examples.provenance.commit.slice(0, 8)})`, () => {
  it('has 15 valid and 11 invalid examples, one of them reclassified', () => {
    expect(examples.valid).toHaveLength(15);
    expect(examples.invalid).toHaveLength(11);
    expect(examples.invalid.filter((v) => v.specListsAsValid).map((v) => v.id)).toEqual([
      'wrong-length-p-h-s-n',
    ]);
  });

  const regular = examples.valid.filter((v) => v.id !== 'high-s-recovery');
  for (const v of regular) {
    it(`${v.id}: decodes to the documented fields and payee`, () => {
      const inv = decodeInvoice(v.invoice);
      expectDocumentedFields(inv, v);
      expect(inv.payeeNodeId).toEqual(payeeNodeId);
      expect(verifyInvoice(inv, payeeNodeId)).toBe(true);
      expect(verifyInvoice(v.invoice, payeeNodeId)).toBe(true);
      if (v.signing !== undefined) {
        expect(bytesToHex(inv.signature)).toBe(v.signing.signature);
        expect(inv.recoveryId).toBe(v.signing.recoveryId);
        expect(bytesToHex(sha256(hexToBytes(v.signing.signingData)))).toBe(v.signing.signingHash);
        expect(bytesToHex(invoiceSigningHash(inv))).toBe(v.signing.signingHash);
      }
    });

    it(`${v.id}: re-encodes, and re-signs with the documented key (RFC 6979, low-S), byte-identically`, () => {
      const inv = decodeInvoice(v.invoice);
      expect(encodeInvoice(inv)).toBe(v.invoice.toLowerCase());
      const { signature, recoveryId, ...unsigned } = inv;
      const resigned = signInvoice(unsigned, privateKey());
      expect(bytesToHex(resigned.signature)).toBe(bytesToHex(signature));
      expect(resigned.recoveryId).toBe(recoveryId);
      expect(encodeInvoice(resigned)).toBe(v.invoice.toLowerCase());
      expect(resigned).toEqual(inv);
    });
  }

  it('high-s-recovery: decodes (recovery accepts high S), and re-signing differs only in the signature', () => {
    const v = examples.valid.find((x) => x.id === 'high-s-recovery') as ValidExample;
    const lowS = examples.valid[0] as ValidExample;
    const inv = decodeInvoice(v.invoice);
    expectDocumentedFields(inv, v);
    expect(bytesToHex(inv.signature)).toBe(v.signing?.signature);
    expect(bytesToHex(invoiceSigningHash(inv))).toBe(v.signing?.signingHash);
    expect(encodeInvoice(inv)).toBe(v.invoice);
    // Its s is n − s of the first example's, but its recovery id (1) was kept, so recovery yields
    // another key than the examples' payee; with the recovery id flipped it is the payee's signature.
    expect(bytesToHex(inv.signature.slice(0, 32))).toBe(lowS.signing?.signature.slice(0, 64));
    expect(inv.payeeNodeId).not.toEqual(payeeNodeId);
    expect(verifyInvoice(inv)).toBe(true);
    expect(verifyInvoice(inv, payeeNodeId)).toBe(false);
    expect(verifyInvoice({ ...inv, recoveryId: inv.recoveryId ^ 1 }, payeeNodeId)).toBe(true);
    // Signing the same fields with the documented key gives the low-S signature: the first example.
    const { signature: _s, recoveryId: _r, ...unsigned } = inv;
    const resigned = encodeInvoice(signInvoice(unsigned, privateKey()));
    expect(resigned).not.toBe(v.invoice);
    expect(resigned).toBe(lowS.invoice);
  });

  const reasons: Record<string, DecodeReason> = {
    'wrong-length-p-h-s-n': 'field-length',
    'unknown-even-feature-100': 'unknown-feature',
    'bad-checksum': 'checksum',
    'no-separator': 'bech32',
    'mixed-case': 'bech32',
    'signature-not-recoverable': 'signature',
    'too-short': 'too-short',
    'invalid-multiplier': 'amount',
    'sub-millisatoshi': 'amount',
    'missing-payment-secret': 'missing-field',
    'high-s-with-payee-node-id': 'signature',
  };
  for (const v of examples.invalid) {
    it(`${v.id}: fails with DecodeError '${reasons[v.id]}' (${v.fault})`, () => {
      let thrown: unknown;
      try {
        decodeInvoice(v.invoice);
      } catch (e) {
        thrown = e;
      }
      expect(DecodeError.isInstance(thrown)).toBe(true);
      expect((thrown as DecodeError).reason).toBe(reasons[v.id]);
      // verifyInvoice answers false where the signature is the only fault, and throws otherwise.
      if (reasons[v.id] === 'signature') expect(verifyInvoice(v.invoice)).toBe(false);
      else expect(() => verifyInvoice(v.invoice)).toThrow(DecodeError);
    });
  }

  it('wrong-length-p-h-s-n fails at its first wrong-length field, p with 51 words', () => {
    const v = examples.invalid.find((x) => x.id === 'wrong-length-p-h-s-n');
    expect(() => decodeInvoice(v?.invoice as string)).toThrow(/field p\): data_length 51, expected 52/);
  });
});
