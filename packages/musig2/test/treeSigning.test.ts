// The tree-signing fast paths: DeterministicSigner and point-form aggothernonce agree with
// deterministicSign on bytes; the session and aggregate nonce it returns are the ones a fresh Session
// computes; memoised KeyAgg/ApplyTweak give the same contexts as a fresh aggregation; signing without
// self-verification never yields a partial signature that verifies for the wrong key.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  applyTweak,
  DeterministicSigner,
  decodePubnonce,
  deterministicSign,
  getXonlyPubkey,
  InvalidContributionError,
  keyAgg,
  keySort,
  NonceReuseError,
  nonceAgg,
  nonceGen,
  partialSigVerify,
  Session,
  Signer,
  scalarToBytes,
} from '../src/index.js';

const scalar = fc.bigInt({ min: 1n, max: secp256k1.Point.Fn.ORDER - 1n });
const runs = propertyRuns(60, 12);
console.log(`treeSigning.test.ts: ${runs} fast-check runs per property`);

describe('DeterministicSigner and point-form aggothernonce', () => {
  it('give exactly what deterministicSign gives on bytes, with the session a fresh Session computes', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(scalar, { minLength: 2, maxLength: 4 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.boolean(),
        (ds, msg, withTweak) => {
          const sks = ds.map(scalarToBytes);
          const pubkeys = keySort(sks.map((sk) => secp256k1.getPublicKey(sk, true)));
          const me = sks[0] as Uint8Array;
          const others = sks.slice(1).map((sk) => nonceGen({ pk: secp256k1.getPublicKey(sk, true), sk }));
          const aggothernonce = nonceAgg(others.map((o) => o.pubnonce));
          const pts = others.map((o) => decodePubnonce(o.pubnonce, null));
          const sum: [(typeof pts)[0][0], (typeof pts)[0][1]] = [
            pts.map((p) => p[0]).reduce((a, b) => a.add(b)),
            pts.map((p) => p[1]).reduce((a, b) => a.add(b)),
          ];
          const tweaks = withTweak ? [new Uint8Array(32).fill(3)] : [];
          const isXonly = withTweak ? [true] : [];
          const base = { aggothernonce, pubkeys, tweaks, isXonly, msg };
          const a = deterministicSign({ sk: me, ...base });
          const b = new DeterministicSigner(me).sign(base);
          const c = new DeterministicSigner(me).sign({ ...base, aggothernonce: sum, verify: false });
          expect([b.pubnonce, b.psig, b.aggnonce]).toEqual([a.pubnonce, a.psig, a.aggnonce]);
          expect([c.pubnonce, c.psig, c.aggnonce]).toEqual([a.pubnonce, a.psig, a.aggnonce]);
          expect(a.aggnonce).toEqual(nonceAgg([a.pubnonce, aggothernonce]));
          const fresh = new Session(
            { aggnonce: a.aggnonce, pubkeys, tweaks, isXonly, msg },
            { cache: false },
          );
          expect(a.session.values.R.equals(fresh.values.R)).toBe(true);
          expect(a.session.values.Q.equals(fresh.values.Q)).toBe(true);
          expect([a.session.values.b, a.session.values.e]).toEqual([fresh.values.b, fresh.values.e]);
          const i = pubkeys.findIndex((pk) => pk.every((x, j) => x === secp256k1.getPublicKey(me, true)[j]));
          const pubnonces: Uint8Array[] = pubkeys.map(() => new Uint8Array(66));
          // The session's own signers can complete it; the aggregate verifies.
          const psigs = pubkeys.map((pk, pos): Uint8Array => {
            if (pos === i) {
              pubnonces[pos] = a.pubnonce;
              return a.psig;
            }
            const k = others.findIndex((_, j) =>
              secp256k1.getPublicKey(sks[j + 1] as Uint8Array, true).every((x, q) => x === pk[q]),
            );
            pubnonces[pos] = (others[k] as (typeof others)[0]).pubnonce;
            return a.session.sign((others[k] as (typeof others)[0]).secnonce, sks[k + 1] as Uint8Array);
          });
          expect(() => a.session.aggregateVerified(psigs, pubnonces)).not.toThrow();
        },
      ),
      { numRuns: runs },
    );
  });

  it('a point-form aggothernonce with infinity in either half fails blaming nobody', () => {
    const sk = scalarToBytes(5n);
    const pubkeys = keySort([
      secp256k1.getPublicKey(sk, true),
      secp256k1.getPublicKey(scalarToBytes(6n), true),
    ]);
    const G = secp256k1.Point.BASE;
    for (const aggothernonce of [
      [secp256k1.Point.ZERO, G],
      [G, secp256k1.Point.ZERO],
    ] as const) {
      let err: unknown;
      try {
        new DeterministicSigner(sk).sign({ aggothernonce, pubkeys, msg: new Uint8Array(32) });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidContributionError);
      expect((err as InvalidContributionError).signer).toBeNull();
    }
  });
});

describe('memoised KeyAgg and ApplyTweak', () => {
  it('return contexts equal to a fresh computation, for repeated and reordered lists', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(scalar, { minLength: 1, maxLength: 5 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (ds, t) => {
          fc.pre(BigInt(`0x${Buffer.from(t).toString('hex')}`) < secp256k1.Point.Fn.ORDER);
          const pks = ds.map((d) => secp256k1.getPublicKey(scalarToBytes(d), true));
          const a = keyAgg(pks);
          const b = keyAgg(pks.map((pk) => Uint8Array.from(pk)));
          expect(b.Q.equals(a.Q)).toBe(true);
          expect(b).toBe(a); // memoised: the same immutable context
          const fresh = keyAgg(pks, { memo: false });
          expect(fresh).not.toBe(a);
          expect(fresh.Q.equals(a.Q)).toBe(true);
          expect(applyTweak(fresh, t, true, { memo: false }).Q.equals(applyTweak(a, t, true).Q)).toBe(true);
          const rev = keyAgg([...pks].reverse());
          if (pks.length > 1) expect(getXonlyPubkey(rev)).not.toEqual(getXonlyPubkey(a)); // order-dependent
          for (let i = 0; i < pks.length; i++) expect(b.coeffAt(i)).toBe(a.coeffAt(i));
          const x = applyTweak(a, t, true);
          const y = applyTweak(b, t, true);
          const z = applyTweak(b, t, false);
          expect(y.Q.equals(x.Q)).toBe(true);
          expect([y.gacc, y.tacc]).toEqual([x.gacc, x.tacc]);
          // x-only and plain tweaks are cached apart.
          const tInt = BigInt(`0x${Buffer.from(t).toString('hex')}`);
          const plain = tInt === 0n ? a.Q : a.Q.add(secp256k1.Point.BASE.multiply(tInt));
          expect(z.Q.equals(plain)).toBe(true);
        },
      ),
      { numRuns: runs },
    );
  });
});

describe('Signer', () => {
  it('signs exactly as Session.sign, with and without self-check, and refuses a nonce of another key', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(scalar, { minLength: 2, maxLength: 3 }),
        fc.uint8Array({ maxLength: 40 }),
        (ds, msg) => {
          const sks = ds.map(scalarToBytes);
          const pubkeys = sks.map((sk) => secp256k1.getPublicKey(sk, true));
          const rand = new Uint8Array(32).fill(9);
          const mk = () => nonceGen({ pk: pubkeys[0] as Uint8Array, sk: sks[0], rng: () => rand });
          const pubnonces = [mk().pubnonce, ...pubkeys.slice(1).map((pk) => nonceGen({ pk }).pubnonce)];
          const session = new Session({ aggnonce: nonceAgg(pubnonces), pubkeys, msg });
          const signer = new Signer(sks[0] as Uint8Array);
          expect(signer.publicKey).toEqual(pubkeys[0]);
          const expected = session.sign(mk().secnonce, sks[0] as Uint8Array);
          expect(signer.sign(mk().secnonce, session)).toEqual(expected);
          expect(signer.sign(mk().secnonce, session, { verify: false })).toEqual(expected);
          expect(partialSigVerify({ psig: expected, pubnonces, pubkeys, msg, i: 0 })).toBe(true);
          const other = new Signer(sks[1] as Uint8Array);
          for (const verify of [true, false])
            expect(() => other.sign(mk().secnonce, session, { verify })).toThrow(
              'Public key does not match nonce_gen argument',
            );
          const used = mk().secnonce;
          signer.sign(used, session, { verify: false });
          expect(() => signer.sign(used, session)).toThrow(NonceReuseError);
        },
      ),
      { numRuns: runs },
    );
  });
});
