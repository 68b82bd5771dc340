// Invariants of our own construction: MSM key aggregation equals the naive sum (duplicates included),
// the tweak accumulators satisfy Q = gacc⋅Q0 + tacc⋅G, encodings round-trip, options behave, and
// boundary validation names the argument.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import * as scure from '@scure/btc-signer/musig2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  applyTweaks,
  bytesToInt,
  cbytes,
  cbytesExt,
  G,
  getPlainPubkey,
  getXonlyPubkey,
  hasEvenY,
  INFINITY,
  InvalidArgumentError,
  keyAgg,
  keyAggCoeff,
  keySort,
  keySortWithOrder,
  liftX,
  msm,
  n,
  nonceAgg,
  nonceGen,
  partialSigVerify,
  pointFromCompressed,
  pointFromCompressedExt,
  Session,
  scalarToBytes,
  sign,
  ValueError,
  xbytes,
} from '../src/index.js';

const runs = propertyRuns(200, 30);
console.log(`properties.test.ts: ${runs} fast-check runs per property`);
const timeout = 600_000;
const scalarBig = fc.bigInt({ min: 1n, max: n - 1n });
const keyFromScalar = (d: bigint) => secp256k1.getPublicKey(scalarToBytes(d), true);

describe('key aggregation', () => {
  it(
    'the MSM aggregate equals Σ KeyAggCoeff(pk_i)⋅P_i and scure, with repeated keys',
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.nat(4), { minLength: 1, maxLength: 8 }),
          fc.array(scalarBig, { minLength: 5, maxLength: 5 }),
          (picks, ds) => {
            const pool = ds.map(keyFromScalar);
            const pubkeys = picks.map((i) => pool[i] as Uint8Array);
            const ctx = keyAgg(pubkeys);
            let naive = INFINITY;
            for (const pk of pubkeys)
              naive = naive.add(pointFromCompressed(pk).multiply(keyAggCoeff(pubkeys, pk)));
            expect(ctx.Q.equals(naive)).toBe(true);
            expect(getXonlyPubkey(ctx)).toEqual(scure.keyAggExport(scure.keyAggregate(pubkeys)));
          },
        ),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it('msm matches the naive sum for both algorithms (Straus and Pippenger sizes)', () => {
    for (const size of [3, 140]) {
      const ps = Array.from({ length: size }, (_, i) => G.multiply(BigInt(i + 11)));
      const ss = Array.from({ length: size }, (_, i) => (BigInt(i) * 0x1234567890abcdefn + 1n) % n);
      let naive = INFINITY;
      ps.forEach((P, i) => {
        naive = naive.add(P.multiplyUnsafe(ss[i] as bigint));
      });
      expect(msm(ps, ss).equals(naive)).toBe(true);
    }
  });

  it(
    'after any tweaks, Q = gacc⋅Q0 + tacc⋅G, and the plain key encodes Q',
    () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(scalarBig, { minLength: 1, maxLength: 4 }),
          fc.array(fc.tuple(fc.bigInt({ min: 0n, max: n - 1n }), fc.boolean()), { maxLength: 4 }),
          (ds, tw) => {
            const base = keyAgg(ds.map(keyFromScalar));
            const ctx = applyTweaks(
              base,
              tw.map(([t]) => scalarToBytes(t)),
              tw.map(([, x]) => x),
            );
            const expected = base.Q.multiply(ctx.gacc).add(ctx.tacc === 0n ? INFINITY : G.multiply(ctx.tacc));
            expect(ctx.Q.equals(expected)).toBe(true);
            expect(ctx.gacc === 1n || ctx.gacc === n - 1n).toBe(true);
            expect(pointFromCompressed(getPlainPubkey(ctx)).equals(ctx.Q)).toBe(true);
          },
        ),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it('a tweak ≥ n is a ValueError with the BIP327 message', () => {
    const ctx = keyAgg([keyFromScalar(5n)]);
    expect(() => applyTweaks(ctx, [scalarToBytes(n)], [false])).toThrow(ValueError);
    expect(() => applyTweaks(ctx, [scalarToBytes(n)], [false])).toThrow('The tweak must be less than n.');
  });
});

describe('encodings', () => {
  it(
    'cbytes/cpoint, xbytes/lift_x round-trip; infinity encodes as 33 zero bytes only in the _ext forms',
    () => {
      fc.assert(
        fc.property(scalarBig, (d) => {
          const P = G.multiply(d);
          expect(pointFromCompressed(cbytes(P)).equals(P)).toBe(true);
          expect(pointFromCompressedExt(cbytesExt(P)).equals(P)).toBe(true);
          const L = liftX(xbytes(P));
          expect(L.equals(hasEvenY(P) ? P : P.negate())).toBe(true);
          expect(bytesToInt(scalarToBytes(d))).toBe(d);
        }),
        { numRuns: runs },
      );
      expect(cbytesExt(INFINITY)).toEqual(new Uint8Array(33));
      expect(pointFromCompressedExt(new Uint8Array(33)).is0()).toBe(true);
      expect(() => cbytes(INFINITY)).toThrow(ValueError);
      expect(() => pointFromCompressed(new Uint8Array(33))).toThrow(ValueError);
    },
    timeout,
  );
});

describe('signing options', () => {
  it(
    'sign with and without self-verification gives the same partial signature; it verifies',
    () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(scalarBig, { minLength: 1, maxLength: 3 }),
          fc.uint8Array({ maxLength: 33 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          (ds, msg, rand) => {
            const sks = ds.map(scalarToBytes);
            const pubkeys = sks.map((sk) => secp256k1.getPublicKey(sk, true));
            const mk = () => nonceGen({ pk: pubkeys[0] as Uint8Array, sk: sks[0], rng: () => rand });
            const others = pubkeys.slice(1).map((pk) => nonceGen({ pk }).pubnonce);
            const pubnonces = [mk().pubnonce, ...others];
            const ctx = { aggnonce: nonceAgg(pubnonces), pubkeys, msg };
            const a = sign(mk().secnonce, sks[0] as Uint8Array, ctx);
            const b = sign(mk().secnonce, sks[0] as Uint8Array, ctx, { verify: false, cache: false });
            expect(a).toEqual(b);
            expect(partialSigVerify({ psig: a, pubnonces, pubkeys, msg, i: 0 })).toBe(true);
            // A different extra input gives a different nonce.
            const c = nonceGen({
              pk: pubkeys[0] as Uint8Array,
              sk: sks[0],
              rng: () => rand,
              extraIn: Uint8Array.of(1),
            });
            expect(c.pubnonce).not.toEqual(pubnonces[0]);
          },
        ),
        { numRuns: propertyRuns(100, 15) },
      );
    },
    timeout,
  );
});

describe('boundary validation names the argument', () => {
  const pk = keyFromScalar(3n);
  const cases: [string, () => unknown, string][] = [
    ['keyAgg: short key', () => keyAgg([pk.subarray(0, 32)]), 'pubkeys[0]'],
    ['keyAgg: empty list', () => keyAgg([]), 'pubkeys'],
    ['applyTweaks: not a context', () => applyTweaks({} as never, [new Uint8Array(32)], [true]), 'ctx'],
    [
      'applyTweaks: 31-byte tweak',
      () => applyTweaks(keyAgg([pk]), [new Uint8Array(31)], [true]),
      'tweaks[0]',
    ],
    ['nonceGen: no pk', () => nonceGen({} as never), 'options.pk'],
    ['nonceGen: short sk', () => nonceGen({ pk, sk: new Uint8Array(31) }), 'options.sk'],
    ['nonceGen: aggpk of 33 bytes', () => nonceGen({ pk, aggpk: new Uint8Array(33) }), 'options.aggpk'],
    ['nonceGen: bad rng', () => nonceGen({ pk, rng: () => new Uint8Array(16) }), 'options.rng'],
    ['nonceAgg: short nonce', () => nonceAgg([new Uint8Array(65)]), 'pubnonces[0]'],
    [
      'partialSigVerify: index out of range',
      () =>
        partialSigVerify({
          psig: new Uint8Array(32),
          pubnonces: [new Uint8Array(66)],
          pubkeys: [pk],
          msg: new Uint8Array(0),
          i: 1,
        }),
      'options.i',
    ],
    [
      'Session: tweak flags mismatch',
      () =>
        new Session({
          aggnonce: new Uint8Array(66),
          pubkeys: [pk],
          tweaks: [new Uint8Array(32)],
          isXonly: [],
          msg: new Uint8Array(0),
        }),
      'isXonly',
    ],
  ];
  it.each(cases)('%s', (_, f, argument) => {
    let thrown: unknown;
    try {
      f();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).argument).toBe(argument);
  });
});

describe('keySortWithOrder', () => {
  it('sorted[j] is pubkeys[order[j]], equal to keySort, and order is a permutation', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 33, maxLength: 33 }), { maxLength: 10 }), (pks) => {
        const { sorted, order } = keySortWithOrder(pks);
        expect(sorted).toEqual(keySort(pks));
        order.forEach((i, j) => {
          expect(sorted[j]).toEqual(pks[i]);
        });
        expect([...order].sort((a, b) => a - b)).toEqual(pks.map((_, i) => i));
      }),
      { numRuns: runs },
    );
  });
});
