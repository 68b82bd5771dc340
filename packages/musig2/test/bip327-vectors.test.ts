// Every BIP327 vector file, valid and error cases, with the blamed signer checked.
import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { vectorJson } from '../../../test-utils/index.js';
import { secretNonceFromBytes } from '../src/_internal.js';
import {
  aggregateNoncePoints,
  applyTweaks,
  bytesToInt,
  decodePubnonce,
  deterministicSign,
  G,
  getSessionValues,
  getXonlyPubkey,
  KeyAggCache,
  keyAgg,
  keySort,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  partialSigVerify,
  partialSigVerifyInternal,
  sign,
} from '../src/index.js';
import { expectVectorError, hex, pick, toHex, type VectorError } from './_helpers.js';

const noCache = { cache: false as const };

describe('BIP327 key_sort_vectors', () => {
  const v = vectorJson<{ pubkeys: string[]; sorted_pubkeys: string[] }>('bip327/key_sort_vectors.json');
  it('sorts keys lexicographically', () => {
    expect(keySort(v.pubkeys.map(hex)).map(toHex)).toEqual(v.sorted_pubkeys);
  });
});

describe('BIP327 key_agg_vectors', () => {
  const v = vectorJson<{
    pubkeys: string[];
    tweaks: string[];
    valid_test_cases: { key_indices: number[]; expected: string }[];
    error_test_cases: {
      key_indices: number[];
      tweak_indices: number[];
      is_xonly: boolean[];
      error: VectorError;
      comment: string;
    }[];
  }>('bip327/key_agg_vectors.json');
  const pks = v.pubkeys.map(hex);
  it.each(v.valid_test_cases.map((c, i) => [i, c] as const))(
    'valid case %i aggregates to the expected key',
    (_, c) => {
      expect(toHex(getXonlyPubkey(keyAgg(pick(pks, c.key_indices))))).toBe(c.expected);
      // The cache returns the same key.
      expect(toHex(getXonlyPubkey(new KeyAggCache().get(pick(pks, c.key_indices))))).toBe(c.expected);
    },
  );
  it.each(v.error_test_cases.map((c) => [c.comment, c] as const))('error case: %s', (_, c) => {
    const tweaks = pick(v.tweaks, c.tweak_indices).map(hex);
    expectVectorError(() => applyTweaks(keyAgg(pick(pks, c.key_indices)), tweaks, c.is_xonly), c.error);
    expectVectorError(() => new KeyAggCache().get(pick(pks, c.key_indices), tweaks, c.is_xonly), c.error);
  });
});

describe('BIP327 nonce_gen_vectors', () => {
  const v = vectorJson<{
    test_cases: {
      rand_: string;
      sk: string | null;
      pk: string;
      aggpk: string | null;
      msg: string | null;
      extra_in: string | null;
      expected_secnonce: string;
      expected_pubnonce: string;
    }[];
  }>('bip327/nonce_gen_vectors.json');
  it.each(v.test_cases.map((c, i) => [i, c] as const))('case %i derives the expected nonces', (_, c) => {
    const opt = (x: string | null) => (x === null ? undefined : hex(x));
    const { secnonce, pubnonce } = nonceGen({
      pk: hex(c.pk),
      sk: opt(c.sk),
      aggpk: opt(c.aggpk),
      msg: opt(c.msg),
      extraIn: opt(c.extra_in),
      rng: () => hex(c.rand_),
    });
    // The secret nonce is opaque. Its scalars k1, k2 equal the expected ones iff k_i⋅G do (G has prime
    // order n and both are in [1, n)), so compare the public nonce with k_i⋅G of the expected scalars.
    const k1 = hex(c.expected_secnonce.slice(0, 64));
    const k2 = hex(c.expected_secnonce.slice(64, 128));
    const fromExpected =
      toHex(G.multiply(bytesToInt(k1)).toBytes(true)) + toHex(G.multiply(bytesToInt(k2)).toBytes(true));
    expect(fromExpected).toBe(c.expected_pubnonce);
    expect(toHex(pubnonce)).toBe(c.expected_pubnonce);
    expect(toHex(secnonce.publicKey)).toBe(c.expected_secnonce.slice(128));
  });
});

describe('BIP327 nonce_agg_vectors', () => {
  const v = vectorJson<{
    pnonces: string[];
    valid_test_cases: { pnonce_indices: number[]; expected: string }[];
    error_test_cases: { pnonce_indices: number[]; error: VectorError; comment: string }[];
  }>('bip327/nonce_agg_vectors.json');
  const pn = v.pnonces.map(hex);
  it.each(v.valid_test_cases.map((c, i) => [i, c] as const))('valid case %i', (_, c) => {
    expect(toHex(nonceAgg(pick(pn, c.pnonce_indices)))).toBe(c.expected);
  });
  it.each(v.error_test_cases.map((c) => [c.comment, c] as const))('error case: %s', (_, c) => {
    expectVectorError(() => nonceAgg(pick(pn, c.pnonce_indices)), c.error);
  });
  // The path of many sessions at once (factory-tree's jobs, DeterministicSign): each signer's nonce
  // decoded once with its index for blame, then the points summed.
  it.each(v.valid_test_cases.map((c, i) => [i, c] as const))(
    'valid case %i, decoded per signer and summed (aggregateNoncePoints)',
    (_, c) => {
      const points = pick(pn, c.pnonce_indices).map((p, i) => decodePubnonce(p, i));
      expect(toHex(aggregateNoncePoints(points))).toBe(c.expected);
    },
  );
  it.each(v.error_test_cases.map((c) => [c.comment, c] as const))(
    'error case, decoded per signer (decodePubnonce blames the index): %s',
    (_, c) => {
      expectVectorError(() => pick(pn, c.pnonce_indices).map((p, i) => decodePubnonce(p, i)), c.error);
    },
  );
});

describe('BIP327 sign_verify_vectors', () => {
  const v = vectorJson<{
    sk: string;
    pubkeys: string[];
    secnonces: string[];
    pnonces: string[];
    aggnonces: string[];
    msgs: string[];
    valid_test_cases: {
      key_indices: number[];
      nonce_indices: number[];
      aggnonce_index: number;
      msg_index: number;
      signer_index: number;
      expected: string;
    }[];
    sign_error_test_cases: {
      key_indices: number[];
      aggnonce_index: number;
      msg_index: number;
      secnonce_index: number;
      error: VectorError;
      comment: string;
    }[];
    verify_fail_test_cases: {
      sig: string;
      key_indices: number[];
      nonce_indices: number[];
      msg_index: number;
      signer_index: number;
      comment: string;
    }[];
    verify_error_test_cases: {
      sig: string;
      key_indices: number[];
      nonce_indices: number[];
      msg_index: number;
      signer_index: number;
      error: VectorError;
      comment: string;
    }[];
  }>('bip327/sign_verify_vectors.json');
  const sk = hex(v.sk);
  const pks = v.pubkeys.map(hex);
  const pn = v.pnonces.map(hex);
  const msgs = v.msgs.map(hex);

  it.each(v.valid_test_cases.map((c, i) => [i, c] as const))('valid case %i signs and verifies', (_, c) => {
    const pubkeys = pick(pks, c.key_indices);
    const pubnonces = pick(pn, c.nonce_indices);
    const aggnonce = hex(v.aggnonces[c.aggnonce_index] as string);
    // "Vectors: the aggnonce is the aggregate of the given public nonces"
    expect(toHex(nonceAgg(pubnonces))).toBe(toHex(aggnonce));
    const msg = msgs[c.msg_index] as Uint8Array;
    // An infinite aggregate nonce (both halves 33 zero bytes): BIP327's final nonce is G.
    const R = getSessionValues({ aggnonce, pubkeys, msg }, noCache).R;
    expect(R.equals(G)).toBe(aggnonce.every((b) => b === 0));
    const secnonce = secretNonceFromBytes(hex(v.secnonces[0] as string));
    const psig = sign(secnonce, sk, { aggnonce, pubkeys, msg }, noCache);
    expect(toHex(psig)).toBe(c.expected);
    expect(partialSigVerify({ psig, pubnonces, pubkeys, msg, i: c.signer_index })).toBe(true);
  });

  it.each(v.sign_error_test_cases.map((c) => [c.comment, c] as const))('sign error: %s', (_, c) => {
    const secnonce = secretNonceFromBytes(hex(v.secnonces[c.secnonce_index] as string));
    const ctx = {
      aggnonce: hex(v.aggnonces[c.aggnonce_index] as string),
      pubkeys: pick(pks, c.key_indices),
      msg: msgs[c.msg_index] as Uint8Array,
    };
    expectVectorError(() => sign(secnonce, sk, ctx, noCache), c.error);
    // Whatever failed, the nonce is spent.
    expect(secnonce.used).toBe(true);
  });

  it.each(v.verify_fail_test_cases.map((c) => [c.comment, c] as const))(
    'verify returns false: %s',
    (_, c) => {
      expect(
        partialSigVerify({
          psig: hex(c.sig),
          pubnonces: pick(pn, c.nonce_indices),
          pubkeys: pick(pks, c.key_indices),
          msg: msgs[c.msg_index] as Uint8Array,
          i: c.signer_index,
        }),
      ).toBe(false);
    },
  );

  it.each(v.verify_error_test_cases.map((c) => [c.comment, c] as const))('verify error: %s', (_, c) => {
    expectVectorError(
      () =>
        partialSigVerify({
          psig: hex(c.sig),
          pubnonces: pick(pn, c.nonce_indices),
          pubkeys: pick(pks, c.key_indices),
          msg: msgs[c.msg_index] as Uint8Array,
          i: c.signer_index,
        }),
      c.error,
    );
  });
});

describe('BIP327 tweak_vectors', () => {
  const v = vectorJson<{
    sk: string;
    pubkeys: string[];
    secnonce: string;
    pnonces: string[];
    aggnonce: string;
    tweaks: string[];
    msg: string;
    valid_test_cases: {
      key_indices: number[];
      nonce_indices: number[];
      tweak_indices: number[];
      is_xonly: boolean[];
      signer_index: number;
      expected: string;
      comment: string;
    }[];
    error_test_cases: {
      key_indices: number[];
      nonce_indices: number[];
      tweak_indices: number[];
      is_xonly: boolean[];
      signer_index: number;
      error: VectorError;
      comment: string;
    }[];
  }>('bip327/tweak_vectors.json');
  const sk = hex(v.sk);
  const pks = v.pubkeys.map(hex);
  const pn = v.pnonces.map(hex);
  const msg = hex(v.msg);
  const aggnonce = hex(v.aggnonce);

  it.each(v.valid_test_cases.map((c) => [c.comment, c] as const))('valid: %s', (_, c) => {
    const pubkeys = pick(pks, c.key_indices);
    const pubnonces = pick(pn, c.nonce_indices);
    expect(toHex(nonceAgg(pubnonces))).toBe(v.aggnonce);
    const tweaks = pick(v.tweaks, c.tweak_indices).map(hex);
    const ctx = { aggnonce, pubkeys, tweaks, isXonly: c.is_xonly, msg };
    const psig = sign(secretNonceFromBytes(hex(v.secnonce)), sk, ctx, noCache);
    expect(toHex(psig)).toBe(c.expected);
    expect(
      partialSigVerify({ psig, pubnonces, pubkeys, tweaks, isXonly: c.is_xonly, msg, i: c.signer_index }),
    ).toBe(true);
    // The cached path gives the same signature.
    expect(toHex(sign(secretNonceFromBytes(hex(v.secnonce)), sk, ctx, { cache: new KeyAggCache() }))).toBe(
      c.expected,
    );
  });

  it.each(v.error_test_cases.map((c) => [c.comment, c] as const))('error: %s', (_, c) => {
    const ctx = {
      aggnonce,
      pubkeys: pick(pks, c.key_indices),
      tweaks: pick(v.tweaks, c.tweak_indices).map(hex),
      isXonly: c.is_xonly,
      msg,
    };
    expectVectorError(() => sign(secretNonceFromBytes(hex(v.secnonce)), sk, ctx, noCache), c.error);
  });
});

describe('BIP327 det_sign_vectors', () => {
  const v = vectorJson<{
    sk: string;
    pubkeys: string[];
    msgs: string[];
    valid_test_cases: {
      rand: string | null;
      aggothernonce: string;
      key_indices: number[];
      tweaks: string[];
      is_xonly: boolean[];
      msg_index: number;
      signer_index: number;
      expected: [string, string];
    }[];
    error_test_cases: {
      rand: string | null;
      aggothernonce: string;
      key_indices: number[];
      tweaks: string[];
      is_xonly: boolean[];
      msg_index: number;
      signer_index: number;
      error: VectorError;
      comment: string;
    }[];
  }>('bip327/det_sign_vectors.json');
  const sk = hex(v.sk);
  const pks = v.pubkeys.map(hex);
  const msgs = v.msgs.map(hex);
  const input = (c: Omit<(typeof v.valid_test_cases)[number], 'expected'>) => ({
    sk,
    aggothernonce: hex(c.aggothernonce),
    pubkeys: pick(pks, c.key_indices),
    tweaks: c.tweaks.map(hex),
    isXonly: c.is_xonly,
    msg: msgs[c.msg_index] as Uint8Array,
    rand: c.rand === null ? undefined : hex(c.rand),
    cache: false as const,
  });

  it.each(v.valid_test_cases.map((c, i) => [i, c] as const))('valid case %i', (_, c) => {
    const { pubnonce, psig } = deterministicSign(input(c));
    expect([toHex(pubnonce), toHex(psig)]).toEqual(c.expected);
    // The partial signature verifies in the session whose aggregate nonce combines both nonces.
    const pubkeys = pick(pks, c.key_indices);
    const aggnonce = nonceAgg([pubnonce, hex(c.aggothernonce)]);
    const values = getSessionValues(
      {
        aggnonce,
        pubkeys,
        tweaks: c.tweaks.map(hex),
        isXonly: c.is_xonly,
        msg: msgs[c.msg_index] as Uint8Array,
      },
      noCache,
    );
    expect(partialSigVerifyInternal(psig, pubnonce, pubkeys[c.signer_index] as Uint8Array, values)).toBe(
      true,
    );
  });

  it.each(v.error_test_cases.map((c) => [c.comment, c] as const))('error: %s', (_, c) => {
    expectVectorError(() => deterministicSign(input(c)), c.error);
  });
});

describe('BIP327 sig_agg_vectors', () => {
  const v = vectorJson<{
    pubkeys: string[];
    pnonces: string[];
    tweaks: string[];
    psigs: string[];
    msg: string;
    valid_test_cases: {
      aggnonce: string;
      nonce_indices: number[];
      key_indices: number[];
      tweak_indices: number[];
      is_xonly: boolean[];
      psig_indices: number[];
      expected: string;
    }[];
    error_test_cases: {
      aggnonce: string;
      nonce_indices: number[];
      key_indices: number[];
      tweak_indices: number[];
      is_xonly: boolean[];
      psig_indices: number[];
      error: VectorError;
      comment: string;
    }[];
  }>('bip327/sig_agg_vectors.json');
  const pks = v.pubkeys.map(hex);
  const msg = hex(v.msg);
  const ctxOf = (c: Omit<(typeof v.valid_test_cases)[number], 'expected'>) => ({
    aggnonce: hex(c.aggnonce),
    pubkeys: pick(pks, c.key_indices),
    tweaks: pick(v.tweaks, c.tweak_indices).map(hex),
    isXonly: c.is_xonly,
    msg,
  });
  it.each(v.valid_test_cases.map((c, i) => [i, c] as const))(
    'valid case %i aggregates to a valid BIP340 signature',
    (_, c) => {
      expect(toHex(nonceAgg(pick(v.pnonces, c.nonce_indices).map(hex)))).toBe(c.aggnonce);
      const ctx = ctxOf(c);
      const sig = partialSigAgg(pick(v.psigs, c.psig_indices).map(hex), ctx, noCache);
      expect(toHex(sig)).toBe(c.expected);
      const aggpk = getXonlyPubkey(applyTweaks(keyAgg(ctx.pubkeys), ctx.tweaks, ctx.isXonly));
      expect(schnorr.verify(sig, msg, aggpk)).toBe(true);
    },
  );
  it.each(v.error_test_cases.map((c) => [c.comment, c] as const))('error: %s', (_, c) => {
    expectVectorError(
      () => partialSigAgg(pick(v.psigs, c.psig_indices).map(hex), ctxOf(c), noCache),
      c.error,
    );
  });
});

// Asserts which curve backend this file ran on (noble-backend.test.ts reruns it on noble).
import { runOnBackend } from '@superscalar/secp/test';

runOnBackend('auto');
