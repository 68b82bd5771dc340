// BIP340 verification (single and batch) against the official vectors and noble's schnorr, and the
// session fast path (verifyAggregate) against BIP340 verification.
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns, vectorText } from '../../../test-utils/index.js';
import {
  n,
  nonceAgg,
  nonceGen,
  Session,
  scalarToBytes,
  schnorrBatchVerify,
  schnorrVerify,
} from '../src/index.js';
import { hex } from './_helpers.js';

const rows = vectorText('bip340/test-vectors.csv')
  .trim()
  .split(/\r?\n/)
  .slice(1)
  .map((line) => {
    const [index, , pk, , msg, sig, result, comment] = line.split(',');
    return {
      index: Number(index),
      pk: pk as string,
      msg: msg as string,
      sig: sig as string,
      ok: result === 'TRUE',
      comment,
    };
  });

describe('BIP340 test-vectors.csv', () => {
  it('has every row (0–18)', () => {
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 19 }, (_, i) => i));
  });
  it.each(rows.map((r) => [r.index, r.comment || (r.ok ? 'valid' : 'invalid'), r] as const))(
    'row %i (%s): schnorrVerify gives the expected result',
    (_, __, r) => {
      expect(schnorrVerify(hex(r.sig), hex(r.msg), hex(r.pk))).toBe(r.ok);
      // A batch made of this row and a known-valid row is valid iff the row is.
      const valid = rows[0] as (typeof rows)[number];
      const batch = [r, valid].map((x) => ({ sig: hex(x.sig), msg: hex(x.msg), pubkey: hex(x.pk) }));
      expect(schnorrBatchVerify(batch)).toBe(r.ok);
    },
  );
});

describe('BIP340 properties', () => {
  const runs = propertyRuns(200, 30);
  const sk = fc.bigInt({ min: 1n, max: n - 1n }).map(scalarToBytes);
  const item = fc.tuple(
    sk,
    fc.uint8Array({ maxLength: 64 }),
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
  );

  it('schnorrVerify agrees with noble on valid and bit-flipped signatures', () => {
    fc.assert(
      fc.property(item, fc.nat(511), fc.boolean(), ([d, msg, aux], bit, flip) => {
        const sig = schnorr.sign(msg, d, aux);
        if (flip) sig[bit >> 3] = (sig[bit >> 3] as number) ^ (1 << (bit & 7));
        const pk = schnorr.getPublicKey(d);
        expect(schnorrVerify(sig, msg, pk)).toBe(schnorr.verify(sig, msg, pk));
        expect(schnorrVerify(sig, msg, pk)).toBe(!flip);
      }),
      { numRuns: runs },
    );
  }, 600_000);

  it('a batch is valid iff every signature is; a single bad one is caught', () => {
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        (xs, bad) => {
          const batch = xs.map(([d, msg, aux]) => ({
            sig: schnorr.sign(msg, d, aux),
            msg,
            pubkey: schnorr.getPublicKey(d),
          }));
          if (bad !== undefined) {
            const b = batch[bad % batch.length] as (typeof batch)[number];
            b.sig = Uint8Array.from(b.sig);
            b.sig[40] = (b.sig[40] as number) ^ 1;
          }
          expect(schnorrBatchVerify(batch)).toBe(bad === undefined);
        },
      ),
      { numRuns: propertyRuns(100, 15) },
    );
  }, 600_000);

  it('Session.verify accepts exactly what BIP340 verification accepts', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.bigInt({ min: 1n, max: n - 1n }), { minLength: 1, maxLength: 3 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.nat(511),
        (ds, msg, bit) => {
          const sks = ds.map(scalarToBytes);
          const pks = sks.map((x) => secp256k1.getPublicKey(x, true));
          const nonces = pks.map((pk, i) => nonceGen({ pk, sk: sks[i] }));
          const pubnonces = nonces.map((x) => x.pubnonce);
          const session = new Session({ aggnonce: nonceAgg(pubnonces), pubkeys: pks, msg });
          const sig = session.partialSigAgg(
            nonces.map((x, i) => session.sign(x.secnonce, sks[i] as Uint8Array)),
          );
          expect(session.verify(sig)).toBe(true);
          expect(schnorrVerify(sig, msg, session.xonlyPubkey)).toBe(true);
          const bad = Uint8Array.from(sig);
          bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
          expect(session.verify(bad)).toBe(false);
          expect(schnorr.verify(bad, msg, session.xonlyPubkey)).toBe(false);
        },
      ),
      { numRuns: propertyRuns(100, 15) },
    );
  }, 600_000);
});

// Asserts which curve backend this file ran on (noble-backend.test.ts reruns it on noble).
import { runOnBackend } from '@superscalar/secp/test';

runOnBackend('auto');
