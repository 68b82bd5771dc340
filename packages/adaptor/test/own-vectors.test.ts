// This package's own vectors (test/vectors/adaptor-vectors.json, from scripts/gen-vectors.ts), checked
// on every run, with or without the upstream vectors beside the checkout.
import { readFileSync } from 'node:fs';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { nonceAgg, nonceGen } from '@superscalar/musig2';
import { describe, expect, it } from 'vitest';
import {
  AdaptorSession,
  adapt,
  adaptorDeterministicSign,
  adaptorPoint,
  extractAdaptor,
  extractSecadaptor,
  presigSign,
  presigVerify,
} from '../src/index.js';

interface Vectors {
  presign: {
    comment: string;
    secretKey: string;
    publicKey: string;
    auxRand: string;
    message: string;
    secadaptor: string;
    adaptor: string;
    presig: string;
    signature: string;
  }[];
  verify: {
    comment: string;
    publicKey: string;
    message: string;
    adaptor: string;
    presig: string;
    result: boolean;
  }[];
  musig: {
    comment: string;
    secretKeys: string[];
    publicKeys: string[];
    nonceRands: string[];
    pubnonces: string[];
    aggnonce: string;
    tweaks: string[];
    isXonly: boolean[];
    message: string;
    secadaptor: string;
    adaptor: string;
    aggregateXonlyKey: string;
    psigs: string[];
    presig: string;
    signature: string;
  }[];
  deterministic: (Vectors['musig'][number] & { deterministicRand: string | null; aggothernonce: string })[];
}

const v = JSON.parse(
  readFileSync(new URL('./vectors/adaptor-vectors.json', import.meta.url), 'utf8'),
) as Vectors;
const h = hexToBytes;

describe('own vectors: single-signer pre-signatures', () => {
  it('has 10 cases covering both pre-signature parities', () => {
    expect(v.presign).toHaveLength(10);
    expect(new Set(v.presign.map((c) => c.presig.slice(0, 2)))).toEqual(new Set(['02', '03']));
  });
  for (const c of v.presign) {
    it(`reproduces, verifies, adapts and extracts: ${c.comment}`, () => {
      const msg = h(c.message);
      expect(schnorr.getPublicKey(h(c.secretKey))).toEqual(h(c.publicKey));
      expect(adaptorPoint(h(c.secadaptor))).toEqual(h(c.adaptor));
      const presig = presigSign(msg, h(c.secretKey), h(c.adaptor), { auxRand: h(c.auxRand) });
      expect(presig).toEqual(h(c.presig));
      expect(presigVerify({ msg, adaptor: h(c.adaptor), pubkey: h(c.publicKey), presig })).toBe(true);
      expect(extractAdaptor(msg, h(c.publicKey), presig)).toEqual(h(c.adaptor));
      const sig = adapt(presig, h(c.secadaptor));
      expect(sig).toEqual(h(c.signature));
      expect(schnorr.verify(sig, msg, h(c.publicKey))).toBe(true);
      expect(extractSecadaptor(presig, sig, h(c.adaptor))).toEqual(h(c.secadaptor));
    });
  }
});

describe('own vectors: pre-signature verification', () => {
  it('has 12 cases, one valid', () => {
    expect(v.verify).toHaveLength(12);
    expect(v.verify.filter((c) => c.result)).toHaveLength(1);
  });
  for (const c of v.verify) {
    it(`presigVerify is ${c.result}: ${c.comment}`, () => {
      expect(
        presigVerify({
          msg: h(c.message),
          adaptor: h(c.adaptor),
          pubkey: h(c.publicKey),
          presig: h(c.presig),
        }),
      ).toBe(c.result);
    });
  }
});

describe('own vectors: MuSig2 adaptor sessions', () => {
  it('has 5 cases, 1 to 8 signers, with and without tweaks', () => {
    expect(v.musig.map((c) => c.secretKeys.length)).toEqual([1, 2, 3, 5, 8]);
  });
  for (const c of v.musig) {
    it(`reproduces nonces, partial pre-signatures, the pre-signature and the signature: ${c.comment}`, () => {
      const pubkeys = c.publicKeys.map(h);
      const nonces = c.secretKeys.map((sk, i) =>
        nonceGen({ pk: pubkeys[i] as Uint8Array, sk: h(sk), rng: () => h(c.nonceRands[i] as string) }),
      );
      expect(nonces.map((x) => x.pubnonce)).toEqual(c.pubnonces.map(h));
      const aggnonce = nonceAgg(nonces.map((x) => x.pubnonce));
      expect(aggnonce).toEqual(h(c.aggnonce));
      const session = new AdaptorSession({
        aggnonce,
        pubkeys,
        tweaks: c.tweaks.map(h),
        isXonly: c.isXonly,
        msg: h(c.message),
        adaptor: h(c.adaptor),
      });
      expect(session.xonlyPubkey).toEqual(h(c.aggregateXonlyKey));
      const psigs = nonces.map((x, i) => session.sign(x.secnonce, h(c.secretKeys[i] as string)));
      expect(psigs).toEqual(c.psigs.map(h));
      psigs.forEach((p, i) => {
        expect(session.partialSigVerify(p, nonces[i]?.pubnonce as Uint8Array, i)).toBe(true);
      });
      const presig = session.aggregateVerified(
        psigs,
        nonces.map((x) => x.pubnonce),
      );
      expect(presig).toEqual(h(c.presig));
      expect(
        presigVerify({
          msg: h(c.message),
          adaptor: h(c.adaptor),
          pubkey: h(c.aggregateXonlyKey),
          presig,
        }),
      ).toBe(true);
      const sig = adapt(presig, h(c.secadaptor));
      expect(sig).toEqual(h(c.signature));
      expect(schnorr.verify(sig, h(c.message), h(c.aggregateXonlyKey))).toBe(true);
      expect(extractSecadaptor(presig, sig, h(c.adaptor))).toEqual(h(c.secadaptor));
    });
  }
});

describe('own vectors: deterministic last signer', () => {
  it('has 2 cases, with and without rand', () => {
    expect(v.deterministic.map((c) => c.deterministicRand === null)).toEqual([true, false]);
  });
  for (const c of v.deterministic) {
    it(`reproduces the deterministic nonce and partial, and the whole session: ${c.comment}`, () => {
      const pubkeys = c.publicKeys.map(h);
      const last = pubkeys.length - 1;
      const others = c.nonceRands.map((r, i) =>
        nonceGen({ pk: pubkeys[i] as Uint8Array, sk: h(c.secretKeys[i] as string), rng: () => h(r) }),
      );
      const aggothernonce = nonceAgg(others.map((x) => x.pubnonce));
      expect(aggothernonce).toEqual(h(c.aggothernonce));
      const det = adaptorDeterministicSign({
        sk: h(c.secretKeys[last] as string),
        aggothernonce,
        pubkeys,
        tweaks: c.tweaks.map(h),
        isXonly: c.isXonly,
        msg: h(c.message),
        adaptor: h(c.adaptor),
        ...(c.deterministicRand === null ? {} : { rand: h(c.deterministicRand) }),
      });
      expect(det.pubnonce).toEqual(h(c.pubnonces[last] as string));
      expect(det.psig).toEqual(h(c.psigs[last] as string));
      expect(det.aggnonce).toEqual(h(c.aggnonce));
      const session = new AdaptorSession({
        aggnonce: det.aggnonce,
        pubkeys,
        tweaks: c.tweaks.map(h),
        isXonly: c.isXonly,
        msg: h(c.message),
        adaptor: h(c.adaptor),
      });
      const psigs = [
        ...others.map((x, i) => session.sign(x.secnonce, h(c.secretKeys[i] as string))),
        det.psig,
      ];
      expect(psigs).toEqual(c.psigs.map(h));
      const presig = session.aggregateVerified(psigs, c.pubnonces.map(h));
      expect(presig).toEqual(h(c.presig));
      const sig = adapt(presig, h(c.secadaptor));
      expect(sig).toEqual(h(c.signature));
      expect(schnorr.verify(sig, h(c.message), h(c.aggregateXonlyKey))).toBe(true);
      expect(extractSecadaptor(presig, sig, h(c.adaptor))).toEqual(h(c.secadaptor));
    });
  }
});

// Asserts which curve backend this file ran on (noble-backend.test.ts reruns it on noble).
import { runOnBackend } from '@superscalar/secp/test';

runOnBackend('auto');
