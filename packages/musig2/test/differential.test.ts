// Differential tests against @scure/btc-signer/musig2.js (an independent BIP327 implementation) on random
// inputs: same aggregate keys with tweaks, same nonces and signatures for the same randomness, identical
// DeterministicSign output, partial signatures that cross-verify, final signatures valid under noble.
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import * as scure from '@scure/btc-signer/musig2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  applyTweaks,
  cbytes,
  deterministicSign,
  getXonlyPubkey,
  InvalidContributionError,
  KeyAggCache,
  keyAgg,
  keySort,
  n,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  partialSigVerify,
  Session,
  scalarToBytes,
  sign,
} from '../src/index.js';

// Each run of a session property is a few dozen scalar multiplications in both libraries.
const runs = propertyRuns(100, 20);
const keyRuns = propertyRuns(300, 50);
console.log(
  `differential.test.ts: ${runs} fast-check runs per session property, ${keyRuns} per key property`,
);
// Generous: the suite shares 2 cores with other work; no assertion depends on time.
const timeout = 900_000;

const scalar = fc.bigInt({ min: 1n, max: n - 1n }).map(scalarToBytes);
const tweak = fc.bigInt({ min: 0n, max: n - 1n }).map(scalarToBytes);
const signerSet = (max: number) =>
  fc.uniqueArray(fc.bigInt({ min: 1n, max: n - 1n }), { minLength: 1, maxLength: max }).map((ds) => {
    const sks = ds.map(scalarToBytes);
    return { sks, pks: sks.map((sk) => secp256k1.getPublicKey(sk, true)) };
  });
const tweaks = fc.array(fc.tuple(tweak, fc.boolean()), { maxLength: 3 });
const message = fc.uint8Array({ minLength: 0, maxLength: 80 });

describe('differential vs @scure/btc-signer/musig2', () => {
  it(
    'aggregate keys (with plain and x-only tweaks) are identical',
    () => {
      fc.assert(
        fc.property(signerSet(6), tweaks, fc.boolean(), ({ pks }, tw, sorted) => {
          const keys = sorted ? keySort(pks) : pks;
          const t = tw.map((x) => x[0]);
          const x = tw.map((x) => x[1]);
          const theirs = scure.keyAggregate(keys, t, x);
          const ours = applyTweaks(keyAgg(keys), t, x);
          expect(getXonlyPubkey(ours)).toEqual(scure.keyAggExport(theirs));
          expect(ours.Q.equals(theirs.aggPublicKey)).toBe(true);
          expect(ours.gacc).toBe(theirs.gAcc);
          expect(ours.tacc).toBe(theirs.tweakAcc);
          expect(getXonlyPubkey(new KeyAggCache().get(keys, t, x))).toEqual(scure.keyAggExport(theirs));
        }),
        { numRuns: keyRuns },
      );
    },
    timeout,
  );

  it(
    'full sessions: same nonces and partial signatures, cross-verifying, valid final signature',
    () => {
      fc.assert(
        fc.property(
          signerSet(4),
          tweaks,
          message,
          fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 4, maxLength: 4 }),
          ({ sks, pks }, tw, msg, rands) => {
            const t = tw.map((x) => x[0]);
            const x = tw.map((x) => x[1]);
            const aggpk = getXonlyPubkey(applyTweaks(keyAgg(pks), t, x));
            const ours = pks.map((pk, i) =>
              nonceGen({ pk, sk: sks[i], aggpk, msg, rng: () => rands[i] as Uint8Array }),
            );
            const theirs = pks.map((pk, i) => scure.nonceGen(pk, sks[i], aggpk, msg, undefined, rands[i]));
            const pubnonces = ours.map((o) => o.pubnonce);
            expect(pubnonces).toEqual(theirs.map((s) => s.public));
            const aggnonce = nonceAgg(pubnonces);
            expect(aggnonce).toEqual(scure.nonceAggregate(pubnonces));
            const ctx = { aggnonce, pubkeys: pks, tweaks: t, isXonly: x, msg };
            const psigs = ours.map((o, i) => sign(o.secnonce, sks[i] as Uint8Array, ctx));
            const ss = new scure.Session(aggnonce, pks, msg, t, x);
            const theirPsigs = theirs.map((s, i) => ss.sign(s.secret, sks[i] as Uint8Array));
            expect(psigs).toEqual(theirPsigs);
            psigs.forEach((psig, i) => {
              expect(ss.partialSigVerify(psig, pubnonces, i)).toBe(true);
              expect(partialSigVerify({ psig, pubnonces, pubkeys: pks, tweaks: t, isXonly: x, msg, i })).toBe(
                true,
              );
            });
            const sig = partialSigAgg(psigs, ctx);
            expect(sig).toEqual(ss.partialSigAgg(psigs));
            expect(schnorr.verify(sig, msg, aggpk)).toBe(true);
            const session = new Session(ctx);
            expect(session.verify(sig)).toBe(true);
            expect(session.aggregateVerified(psigs, pubnonces)).toEqual(sig);
          },
        ),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    'DeterministicSign output is identical, and completes a valid signature',
    () => {
      fc.assert(
        fc.property(
          signerSet(4),
          tweaks,
          message,
          fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
          fc.nat(),
          ({ sks, pks }, tw, msg, rand, pickLast) => {
            const t = tw.map((x) => x[0]);
            const x = tw.map((x) => x[1]);
            const last = pickLast % pks.length;
            const others = pks
              .map((pk, i) => ({ i, ...nonceGen({ pk, sk: sks[i] }) }))
              .filter((o) => o.i !== last);
            // With one signer, "the other signers" are nobody: BIP327 needs an aggothernonce, so skip.
            fc.pre(others.length > 0);
            const aggothernonce = nonceAgg(others.map((o) => o.pubnonce));
            const sk = sks[last] as Uint8Array;
            const ours = deterministicSign({
              sk,
              aggothernonce,
              pubkeys: pks,
              tweaks: t,
              isXonly: x,
              msg,
              rand,
            });
            const theirs = scure.deterministicSign(sk, aggothernonce, pks, msg, t, x, rand);
            expect(ours.pubnonce).toEqual(theirs.publicNonce);
            expect(ours.psig).toEqual(theirs.partialSig);
            // The others sign in the session that includes the last signer's nonce.
            const pubnonces = pks.map((_, i) =>
              i === last ? ours.pubnonce : (others.find((o) => o.i === i)?.pubnonce as Uint8Array),
            );
            const session = new Session({
              aggnonce: nonceAgg(pubnonces),
              pubkeys: pks,
              tweaks: t,
              isXonly: x,
              msg,
            });
            const psigs = pks.map((_, i) =>
              i === last
                ? ours.psig
                : session.sign(others.find((o) => o.i === i)?.secnonce as never, sks[i] as Uint8Array),
            );
            const sig = session.aggregateVerified(psigs, pubnonces);
            expect(schnorr.verify(sig, msg, session.xonlyPubkey)).toBe(true);
          },
        ),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    'a corrupted partial signature is blamed on its signer, and scure agrees it does not verify',
    () => {
      fc.assert(
        fc.property(signerSet(4), message, fc.nat(), scalar, ({ sks, pks }, msg, pickBad, junk) => {
          const bad = pickBad % pks.length;
          const nonces = pks.map((pk, i) => nonceGen({ pk, sk: sks[i] }));
          const pubnonces = nonces.map((o) => o.pubnonce);
          const session = new Session({ aggnonce: nonceAgg(pubnonces), pubkeys: pks, msg });
          const psigs = nonces.map((o, i) => session.sign(o.secnonce, sks[i] as Uint8Array));
          fc.pre(!equal(psigs[bad] as Uint8Array, junk));
          psigs[bad] = junk;
          let thrown: unknown;
          try {
            session.aggregateVerified(psigs, pubnonces);
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(InvalidContributionError);
          expect((thrown as InvalidContributionError).signer).toBe(bad);
          expect((thrown as InvalidContributionError).contrib).toBe('psig');
          expect(session.blame(psigs, pubnonces)).toEqual([bad]);
          const ss = new scure.Session(nonceAgg(pubnonces), pks, msg);
          expect(ss.partialSigVerify(junk, pubnonces, bad)).toBe(false);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    'an invalid key is blamed on the same signer index as scure blames',
    () => {
      fc.assert(
        fc.property(
          signerSet(5),
          fc.nat(),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          ({ pks }, at, x) => {
            const i = at % pks.length;
            const badKey = Uint8Array.of(2, ...x);
            // Keep only x coordinates that are not on the curve.
            fc.pre(!onCurve(badKey));
            const keys = pks.slice();
            keys[i] = badKey;
            let ours: unknown;
            let theirs: unknown;
            try {
              keyAgg(keys);
            } catch (e) {
              ours = e;
            }
            try {
              scure.keyAggregate(keys);
            } catch (e) {
              theirs = e;
            }
            expect(ours).toBeInstanceOf(InvalidContributionError);
            expect((ours as InvalidContributionError).signer).toBe(i);
            expect((theirs as scure.InvalidContributionErr).idx).toBe(i);
          },
        ),
        { numRuns: keyRuns },
      );
    },
    timeout,
  );
});

function onCurve(pk: Uint8Array): boolean {
  try {
    cbytes(secp256k1.Point.fromBytes(pk));
    return true;
  } catch {
    return false;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// Asserts which curve backend this file ran on (noble-backend.test.ts reruns it on noble).
import { runOnBackend } from '@superscalar/secp/test';

runOnBackend('auto');
