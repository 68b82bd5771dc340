import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  InvalidContributionError,
  keyAgg,
  MuSig2Error,
  NonceReuseError,
  nonceAgg,
  nonceGen,
  type SecretNonce,
} from '@superscalar/musig2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  AdaptorSession,
  type AdaptorSessionContext,
  adapt,
  adaptorPoint,
  extractAdaptor,
  extractSecadaptor,
  InvalidArgumentError,
  presigVerify,
} from '../src/index.js';
import { bytes32, msgArb, N, scalarBytes, secretArb, seededRng, thrown } from './_arb.js';

const runs = propertyRuns(60, 25);
console.log(`[adaptor] MuSig2 adaptor properties: ${runs} runs each (signer sets of 1..8)`);

interface Signer {
  sk: Uint8Array;
  pk: Uint8Array;
  secnonce: SecretNonce;
  pubnonce: Uint8Array;
}

function signers(sks: Uint8Array[], rngSeed: Uint8Array): Signer[] {
  return sks.map((sk, i) => {
    const pk = secp256k1.getPublicKey(sk, true);
    const { secnonce, pubnonce } = nonceGen({ pk, sk, rng: seededRng(Uint8Array.from([i, ...rngSeed])) });
    return { sk, pk, secnonce, pubnonce };
  });
}

/** Tweak lists: none, one taproot (x-only) tweak, or a plain tweak followed by an x-only one. */
const tweakArb = fc.oneof(
  fc.constant({ tweaks: [] as Uint8Array[], isXonly: [] as boolean[] }),
  fc.bigInt(0n, N - 1n).map((t) => ({ tweaks: [scalarBytes(t)], isXonly: [true] })),
  fc
    .tuple(fc.bigInt(0n, N - 1n), fc.bigInt(0n, N - 1n))
    .map(([a, b]) => ({ tweaks: [scalarBytes(a), scalarBytes(b)], isXonly: [false, true] })),
);

function contextOf(
  s: Signer[],
  msg: Uint8Array,
  adaptor: Uint8Array,
  tw: { tweaks: Uint8Array[]; isXonly: boolean[] },
): AdaptorSessionContext {
  return {
    aggnonce: nonceAgg(s.map((x) => x.pubnonce)),
    pubkeys: s.map((x) => x.pk),
    tweaks: tw.tweaks,
    isXonly: tw.isXonly,
    msg,
    adaptor,
  };
}

describe('MuSig2 adaptor sessions: properties', () => {
  it(`every partial pre-signature verifies, the adapted aggregate is a valid BIP340 signature and t is extractable (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        fc.array(secretArb, { minLength: 1, maxLength: 8 }),
        secretArb,
        msgArb,
        tweakArb,
        bytes32,
        (sks, t, msg, tw, seed) => {
          const s = signers(sks, seed);
          const T = adaptorPoint(t);
          const ctx = contextOf(s, msg, T, tw);
          // every signer builds its own session from the same context
          const psigs = s.map((x) => new AdaptorSession(ctx).sign(x.secnonce, x.sk));
          const agg = new AdaptorSession(ctx);
          psigs.forEach((p, i) => {
            expect(agg.partialSigVerify(p, s[i]?.pubnonce as Uint8Array, i)).toBe(true);
          });
          const presig = agg.aggregateVerified(
            psigs,
            s.map((x) => x.pubnonce),
          );
          const Q = agg.xonlyPubkey;
          // the MuSig2 pre-signature is a plain single-signer pre-signature under the aggregate key
          expect(presigVerify({ msg, adaptor: T, pubkey: Q, presig })).toBe(true);
          expect(extractAdaptor(msg, Q, presig)).toEqual(T);
          expect(presig[0]).toBe(agg.nonceParity ? 3 : 2);
          // not a signature before adapting; a valid BIP340 signature (noble) after
          expect(schnorr.verify(presig.subarray(1), msg, Q)).toBe(false);
          const sig = adapt(presig, t);
          expect(schnorr.verify(sig, msg, Q)).toBe(true);
          expect(extractSecadaptor(presig, sig, T)).toEqual(t);
          // the key really is the (tweaked) aggregate of the signers' keys
          if (tw.tweaks.length === 0)
            expect(Q).toEqual(
              keyAgg(s.map((x) => x.pk))
                .Q.toBytes(true)
                .subarray(1),
            );
        },
      ),
      { numRuns: runs },
    );
  });

  it(`a tampered partial pre-signature fails its check and the aggregator blames that signer (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        fc.array(secretArb, { minLength: 1, maxLength: 8 }),
        secretArb,
        bytes32,
        tweakArb,
        bytes32,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (sks, t, msg, tw, seed, who, x) => {
          const s = signers(sks, seed);
          const ctx = contextOf(s, msg, adaptorPoint(t), tw);
          const session = new AdaptorSession(ctx);
          const psigs = s.map((y) => session.sign(y.secnonce, y.sk));
          const bad = who % s.length;
          const tampered = Uint8Array.from(psigs[bad] as Uint8Array);
          tampered[31] = (tampered[31] as number) ^ x;
          psigs[bad] = tampered;
          const pubnonces = s.map((y) => y.pubnonce);
          expect(session.partialSigVerify(tampered, pubnonces[bad] as Uint8Array, bad)).toBe(false);
          const e = thrown(() => session.aggregateVerified(psigs, pubnonces));
          expect(e).toBeInstanceOf(InvalidContributionError);
          expect((e as InvalidContributionError).signer).toBe(bad);
          expect((e as InvalidContributionError).contrib).toBe('psig');
        },
      ),
      { numRuns: runs },
    );
  });

  it(`signatures of a plain session cannot stand in for an adaptor session's (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        fc.array(secretArb, { minLength: 2, maxLength: 4 }),
        secretArb,
        bytes32,
        bytes32,
        (sks, t, msg, seed) => {
          const s = signers(sks, seed);
          const withT = new AdaptorSession(contextOf(s, msg, adaptorPoint(t), { tweaks: [], isXonly: [] }));
          const t2 = scalarBytes((BigInt(`0x${bytesToHex(t)}`) % (N - 1n)) + 1n); // ≠ t
          const other = new AdaptorSession(contextOf(s, msg, adaptorPoint(t2), { tweaks: [], isXonly: [] }));
          const psig = withT.sign(s[0]?.secnonce as SecretNonce, s[0]?.sk as Uint8Array);
          // a partial pre-signature for adaptor T does not verify in a session with another adaptor
          expect(other.partialSigVerify(psig, s[0]?.pubnonce as Uint8Array, 0)).toBe(false);
        },
      ),
      { numRuns: runs },
    );
  });
});

describe('MuSig2 adaptor sessions: misuse and errors', () => {
  const sks = [scalarBytes(3n), scalarBytes(5n), scalarBytes(7n)];
  const t = scalarBytes(99n);
  const T = adaptorPoint(t);
  const msg = new Uint8Array(32).fill(1);

  it('a secret nonce signs once: a second use throws NonceReuseError and signs nothing', () => {
    const s = signers(sks, new Uint8Array(32));
    const session = new AdaptorSession(contextOf(s, msg, T, { tweaks: [], isXonly: [] }));
    const first = s[0] as Signer;
    session.sign(first.secnonce, first.sk);
    expect(first.secnonce.used).toBe(true);
    const e = thrown(() => session.sign(first.secnonce, first.sk));
    expect(e).toBeInstanceOf(NonceReuseError);
    expect(MuSig2Error.isInstance(e)).toBe(true);
    expect(() => JSON.stringify(s[1]?.secnonce)).toThrow();
  });

  it('a nonce is consumed even when signing fails (wrong secret key)', () => {
    const s = signers(sks, new Uint8Array(32).fill(1));
    const session = new AdaptorSession(contextOf(s, msg, T, { tweaks: [], isXonly: [] }));
    expect(() => session.sign(s[0]?.secnonce as SecretNonce, sks[1] as Uint8Array)).toThrow(MuSig2Error);
    expect(s[0]?.secnonce.used).toBe(true);
  });

  it('refuses an adaptor that is not a point, naming ctx.adaptor', () => {
    const s = signers(sks, new Uint8Array(32).fill(2));
    const ctx = contextOf(s, msg, Uint8Array.from([2, ...new Uint8Array(32).fill(0xff)]), {
      tweaks: [],
      isXonly: [],
    });
    const e = thrown(() => new AdaptorSession(ctx));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).argument).toBe('ctx.adaptor');
    expect(
      (thrown(() => new AdaptorSession({ ...ctx, adaptor: new Uint8Array(32) })) as InvalidArgumentError)
        .argument,
    ).toBe('ctx.adaptor');
  });

  it("refuses a session whose final nonce R' + T is infinity (blames nobody: restart)", () => {
    // one signer whose aggregate nonce R' is known: pick T = −R'
    const s = signers([sks[0] as Uint8Array], new Uint8Array(32).fill(3));
    const base = contextOf(s, msg, T, { tweaks: [], isXonly: [] });
    const b = new AdaptorSession(base).values.b;
    const R1 = secp256k1.Point.fromBytes(base.aggnonce.subarray(0, 33));
    const R2 = secp256k1.Point.fromBytes(base.aggnonce.subarray(33, 66));
    const minusRp = R1.add(R2.multiply(b)).negate().toBytes(true);
    const e = thrown(() => new AdaptorSession({ ...base, adaptor: minusRp }));
    expect(e).toBeInstanceOf(InvalidContributionError);
    expect((e as InvalidContributionError).signer).toBeNull();
    expect((e as InvalidContributionError).contrib).toBe('aggnonce');
  });

  it("an aggregate nonce at infinity (R' = ∞) gives R = T, not BIP327's G + T", () => {
    const s = signers(sks, new Uint8Array(32).fill(8));
    const session = new AdaptorSession({
      ...contextOf(s, msg, T, { tweaks: [], isXonly: [] }),
      aggnonce: new Uint8Array(66),
    });
    expect(session.values.R.equals(secp256k1.Point.fromBytes(T))).toBe(true);
  });

  it('blames the nonce contributor whose public nonce does not decode, and checks list sizes', () => {
    const s = signers(sks, new Uint8Array(32).fill(4));
    const session = new AdaptorSession(contextOf(s, msg, T, { tweaks: [], isXonly: [] }));
    const psigs = s.map((x) => session.sign(x.secnonce, x.sk));
    const garbage = new Uint8Array(66).fill(0xff);
    const e = thrown(() => session.partialSigVerify(psigs[1] as Uint8Array, garbage, 1));
    expect(e).toBeInstanceOf(InvalidContributionError);
    expect((e as InvalidContributionError).signer).toBe(1);
    expect(thrown(() => session.partialSigAgg(psigs.slice(1)))).toBeInstanceOf(InvalidArgumentError);
    expect(
      thrown(() => session.partialSigVerify(psigs[0] as Uint8Array, s[0]?.pubnonce as Uint8Array, 3)),
    ).toBeInstanceOf(InvalidArgumentError);
  });

  it('aggregateVerified reports nonces that do not match the aggregate nonce when every partial verifies', () => {
    const s = signers(sks, new Uint8Array(32).fill(5));
    const ctx = contextOf(s, msg, T, { tweaks: [], isXonly: [] });
    const session = new AdaptorSession(ctx);
    const psigs = s.map((x) => session.sign(x.secnonce, x.sk));
    // a session over a different aggregate nonce: its own pre-signature check fails, every partial
    // (checked against the given nonces and this session's R) fails too, so signer 0 is blamed
    const shifted = new AdaptorSession({ ...ctx, msg: new Uint8Array(32).fill(2) });
    expect(
      thrown(() =>
        shifted.aggregateVerified(
          psigs,
          s.map((x) => x.pubnonce),
        ),
      ),
    ).toBeInstanceOf(InvalidContributionError);
    expect(
      session.aggregateVerified(
        psigs,
        s.map((x) => x.pubnonce),
      ),
    ).toHaveLength(65);
  });

  it('rejects malformed context fields with InvalidArgumentError naming them', () => {
    const s = signers(sks, new Uint8Array(32).fill(7));
    const ctx = contextOf(s, msg, T, { tweaks: [], isXonly: [] });
    const cases: [Record<string, unknown>, string][] = [
      [{ tweaks: 'x' }, 'ctx.tweaks'],
      [{ tweaks: [new Uint8Array(31)], isXonly: [true] }, 'ctx.tweaks[0]'],
      [{ isXonly: 1 }, 'ctx.isXonly'],
      [{ pubkeys: 'x' }, 'ctx.pubkeys'],
      [{ pubkeys: [new Uint8Array(32)] }, 'ctx.pubkeys[0]'],
      [{ aggnonce: new Uint8Array(65) }, 'ctx.aggnonce'],
      [{ msg: 'x' }, 'ctx.msg'],
    ];
    for (const [patch, argument] of cases) {
      const e = thrown(() => new AdaptorSession({ ...ctx, ...patch } as never));
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toBe(argument);
    }
  });

  it('copies the caller’s context: mutating it afterwards changes nothing', () => {
    const s = signers(sks, new Uint8Array(32).fill(6));
    const ctx = contextOf(s, Uint8Array.from(msg), Uint8Array.from(T), { tweaks: [], isXonly: [] });
    const session = new AdaptorSession(ctx);
    const before = session.values.e;
    ctx.msg.fill(9);
    ctx.adaptor.fill(0);
    (ctx.pubkeys[0] as Uint8Array).fill(0);
    expect(session.values.e).toBe(before);
    expect(session.adaptor).toEqual(T);
    expect(session.msg).toEqual(msg);
  });
});
