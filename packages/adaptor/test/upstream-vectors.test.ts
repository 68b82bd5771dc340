// The Schnorr adaptor vectors of ZhePang/Python_Specification_for_Schnorr_Adaptor (no licence stated,
// so they are not in the repository): run from ../shared/vectors/adaptor/ when present, else skipped.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  adapt,
  extractAdaptor,
  extractSecadaptor,
  InvalidArgumentError,
  presigSign,
  presigVerify,
} from '../src/index.js';
import { readCsv, upstreamDir, upstreamPresent } from './_csv.js';

if (!upstreamPresent)
  console.warn(
    `[adaptor] upstream adaptor vectors SKIPPED: ${upstreamDir} not found (see vectors/README.md)`,
  );

const h = (s: string | undefined) => hexToBytes(s ?? '');

describe.skipIf(!upstreamPresent)(
  'upstream presig_vectors.csv (schnorr_presig_sign / schnorr_presig_verify)',
  () => {
    const rows = upstreamPresent ? readCsv('presig_vectors.csv') : [];
    it('has 15 rows', () => expect(rows).toHaveLength(15));
    for (const r of rows) {
      const expected = r.result === 'TRUE';
      it(`#${r.index} presig_verify is ${expected} (${r.comment || 'no comment'})`, () => {
        const msg = h(r.message);
        const adaptor = h(r.adaptor);
        const pubkey = h(r['public key']);
        const presig = h(r['pre-signature']);
        expect(presigVerify({ msg, adaptor, pubkey, presig })).toBe(expected);
        if (r['secret key']) {
          expect(schnorr.getPublicKey(h(r['secret key']))).toEqual(pubkey);
          expect(presigSign(msg, h(r['secret key']), adaptor, { auxRand: h(r.aux_rand) })).toEqual(presig);
        }
        if (expected) expect(extractAdaptor(msg, pubkey, presig)).toEqual(adaptor);
      });
    }
  },
);

describe.skipIf(!upstreamPresent)('upstream adapt_vectors.csv (schnorr_adapt, then BIP340 verify)', () => {
  const rows = upstreamPresent ? readCsv('adapt_vectors.csv') : [];
  it('has 5 rows', () => expect(rows).toHaveLength(5));
  for (const r of rows) {
    const expected = r.result === 'TRUE';
    it(`#${r.index} adapt reproduces the signature, which verifies: ${expected} (${r.comment})`, () => {
      const sig = adapt(h(r['pre-signature']), h(r.secadaptor));
      expect(sig).toEqual(h(r['BIP340 signature']));
      expect(schnorr.verify(sig, h(r.message), h(r.pubkey))).toBe(expected);
    });
  }
});

describe.skipIf(!upstreamPresent)('upstream secadaptor_vectors.csv (schnorr_extract_secadaptor)', () => {
  const rows = upstreamPresent ? readCsv('secadaptor_vectors.csv') : [];
  it('has 4 rows', () => expect(rows).toHaveLength(4));
  for (const r of rows) {
    const expected = r.result === 'TRUE';
    it(`#${r.index} extracted secret equals the listed one: ${expected} (${r.comment})`, () => {
      const presig = h(r['pre-signature']);
      const sig = h(r['BIP340 signature']);
      const t = extractSecadaptor(presig, sig);
      expect(t.every((b, i) => b === h(r.secadaptor)[i])).toBe(expected);
    });
  }
});

describe.skipIf(!upstreamPresent)('upstream vectors: argument errors the reference raises', () => {
  it('presig_verify rejects wrong lengths with InvalidArgumentError', () => {
    const [r] = upstreamPresent ? readCsv('presig_vectors.csv') : [];
    const msg = h(r?.message);
    expect(() =>
      presigVerify({
        msg,
        adaptor: new Uint8Array(32),
        pubkey: h(r?.['public key']),
        presig: h(r?.['pre-signature']),
      }),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      presigVerify({
        msg,
        adaptor: h(r?.adaptor),
        pubkey: new Uint8Array(33),
        presig: h(r?.['pre-signature']),
      }),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      presigVerify({
        msg,
        adaptor: h(r?.adaptor),
        pubkey: h(r?.['public key']),
        presig: new Uint8Array(64),
      }),
    ).toThrow(InvalidArgumentError);
  });
});

// Asserts which curve backend this file ran on (noble-backend.test.ts reruns it on noble).
import { runOnBackend } from '@superscalar/secp/test';

runOnBackend('auto');
