import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { InvalidContributionError, nonceAgg, nonceGen } from '@superscalar/musig2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  AdaptorSession,
  adapt,
  adaptorDeterministicSign,
  adaptorPoint,
  extractSecadaptor,
  InvalidArgumentError,
} from '../src/index.js';
import { bytes32, msgArb, N, scalarBytes, secretArb, seededRng, thrown } from './_arb.js';

const runs = propertyRuns(40, 20);
console.log(`[adaptor] deterministic last-signer properties: ${runs} runs each (signer sets of 2..8)`);

const tweakArb = fc.oneof(
  fc.constant({ tweaks: [] as Uint8Array[], isXonly: [] as boolean[] }),
  fc.bigInt(0n, N - 1n).map((t) => ({ tweaks: [scalarBytes(t)], isXonly: [true] })),
);

function setup(sks: Uint8Array[], seed: Uint8Array) {
  const pubkeys = sks.map((sk) => secp256k1.getPublicKey(sk, true));
  const others = sks
    .slice(0, -1)
    .map((sk, i) =>
      nonceGen({ pk: pubkeys[i] as Uint8Array, sk, rng: seededRng(Uint8Array.from([i, ...seed])) }),
    );
  return { pubkeys, others, aggothernonce: nonceAgg(others.map((x) => x.pubnonce)) };
}

describe('adaptorDeterministicSign', () => {
  it(`a deterministic last signer completes a session: all partials verify, the adapted signature is valid, t is extractable (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        fc.array(secretArb, { minLength: 2, maxLength: 8 }),
        secretArb,
        msgArb,
        tweakArb,
        bytes32,
        (sks, t, msg, tw, seed) => {
          const { pubkeys, others, aggothernonce } = setup(sks, seed);
          const T = adaptorPoint(t);
          const last = sks.length - 1;
          const det = adaptorDeterministicSign({
            sk: sks[last] as Uint8Array,
            aggothernonce,
            pubkeys,
            ...tw,
            msg,
            adaptor: T,
          });
          const pubnonces = [...others.map((x) => x.pubnonce), det.pubnonce];
          expect(det.aggnonce).toEqual(nonceAgg(pubnonces));
          const session = new AdaptorSession({ aggnonce: det.aggnonce, pubkeys, ...tw, msg, adaptor: T });
          const psigs = [...others.map((x, i) => session.sign(x.secnonce, sks[i] as Uint8Array)), det.psig];
          expect(session.partialSigVerify(det.psig, det.pubnonce, last)).toBe(true);
          const presig = session.aggregateVerified(psigs, pubnonces);
          const sig = adapt(presig, t);
          expect(schnorr.verify(sig, msg, session.xonlyPubkey)).toBe(true);
          expect(extractSecadaptor(presig, sig, T)).toEqual(t);
        },
      ),
      { numRuns: runs },
    );
  });

  it(`the nonce is a function of every input, the adaptor point included (${runs} runs)`, () => {
    fc.assert(
      fc.property(
        fc.array(secretArb, { minLength: 2, maxLength: 3 }),
        secretArb,
        bytes32,
        bytes32,
        bytes32,
        (sks, t, msg, seed, rand) => {
          const { pubkeys, aggothernonce } = setup(sks, seed);
          const base = {
            sk: sks.at(-1) as Uint8Array,
            aggothernonce,
            pubkeys,
            msg,
            adaptor: adaptorPoint(t),
          };
          const a = adaptorDeterministicSign(base);
          expect(adaptorDeterministicSign(base)).toEqual(a);
          const t2 = scalarBytes((BigInt(`0x${Buffer.from(t).toString('hex')}`) % (N - 1n)) + 1n);
          // another adaptor point must never reuse the nonce (that would reveal the secret key)
          expect(adaptorDeterministicSign({ ...base, adaptor: adaptorPoint(t2) }).pubnonce).not.toEqual(
            a.pubnonce,
          );
          expect(adaptorDeterministicSign({ ...base, rand }).pubnonce).not.toEqual(a.pubnonce);
        },
      ),
      { numRuns: runs },
    );
  });

  it('rejects a secret key whose public key is not a signer, naming options.sk', () => {
    const { pubkeys, aggothernonce } = setup([scalarBytes(3n), scalarBytes(5n)], new Uint8Array(32));
    const e = thrown(() =>
      adaptorDeterministicSign({
        sk: scalarBytes(9n),
        aggothernonce,
        pubkeys,
        msg: new Uint8Array(32),
        adaptor: adaptorPoint(scalarBytes(2n)),
      }),
    );
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).argument).toBe('options.sk');
  });

  it('blames nobody for an undecodable aggothernonce', () => {
    const { pubkeys } = setup([scalarBytes(3n), scalarBytes(5n)], new Uint8Array(32));
    const e = thrown(() =>
      adaptorDeterministicSign({
        sk: scalarBytes(5n),
        aggothernonce: new Uint8Array(66),
        pubkeys,
        msg: new Uint8Array(32),
        adaptor: adaptorPoint(scalarBytes(2n)),
      }),
    );
    expect(e).toBeInstanceOf(InvalidContributionError);
    expect((e as InvalidContributionError).signer).toBeNull();
    expect((e as InvalidContributionError).contrib).toBe('aggothernonce');
  });

  it('rejects malformed arguments with InvalidArgumentError naming them', () => {
    const { pubkeys, aggothernonce } = setup([scalarBytes(3n), scalarBytes(5n)], new Uint8Array(32));
    const ok = {
      sk: scalarBytes(5n),
      aggothernonce,
      pubkeys,
      msg: new Uint8Array(32),
      adaptor: adaptorPoint(scalarBytes(2n)),
    };
    const cases: [Record<string, unknown>, string][] = [
      [{ sk: new Uint8Array(31) }, 'options.sk'],
      [{ sk: new Uint8Array(32) }, 'options.sk'],
      [{ aggothernonce: new Uint8Array(65) }, 'options.aggothernonce'],
      [{ adaptor: new Uint8Array(33) }, 'options.adaptor'],
      [{ rand: new Uint8Array(1) }, 'options.rand'],
      [{ pubkeys: 'x' }, 'options.pubkeys'],
    ];
    for (const [patch, argument] of cases) {
      const e = thrown(() => adaptorDeterministicSign({ ...ok, ...patch } as never));
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toBe(argument);
    }
  });
});
