// The error pattern of @superscalar/core: every class tagged, `isInstance` exact, codes prefixed, and
// the two contracts issue 17 found broken (a forged SecretNonce, an infinite aggregate nonce).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { SuperscalarError } from '@superscalar/core';
import { errorClassProblems } from '@superscalar/core/test';
import { describe, expect, it } from 'vitest';
import { thrown } from '../../../test-utils/index.js';
import { secretNonceFromBytes } from '../src/_internal.js';
import * as mod from '../src/index.js';
import {
  cbytes,
  InfiniteNonceError,
  InvalidArgumentError,
  InvalidContributionError,
  isSecretNonce,
  MuSig2Error,
  mulG,
  NonceReuseError,
  n,
  nonceAgg,
  nonceGen,
  SecretNonce,
  Session,
  Signer,
  scalarToBytes,
  sign,
  ValueError,
} from '../src/index.js';

const sks = [11n, 22n].map(scalarToBytes);
const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));
const msg = new Uint8Array(32).fill(7);

describe('errors', () => {
  it('every exported error class is tagged @superscalar/musig2:<Name>', () => {
    expect(errorClassProblems(mod, 'musig2')).toEqual([]);
  });

  it('isInstance is exact: a sibling class never matches, the base and SuperscalarError do', () => {
    const reuse = new NonceReuseError();
    expect(InvalidContributionError.isInstance(reuse)).toBe(false);
    expect(NonceReuseError.isInstance(reuse)).toBe(true);
    expect(MuSig2Error.isInstance(reuse)).toBe(true);
    expect(SuperscalarError.isInstance(reuse)).toBe(true);
    expect(ValueError.isInstance(new InvalidContributionError(0, 'psig'))).toBe(false);
    expect(reuse.name).toBe('NonceReuseError');
  });

  it('every code is prefixed MUSIG2_', () => {
    const errs: MuSig2Error[] = [
      new InvalidArgumentError('x', 'bad'),
      new InvalidContributionError(null, 'aggnonce'),
      new ValueError('v'),
      new NonceReuseError(),
      new InfiniteNonceError(),
    ];
    for (const e of errs) expect(e.code).toMatch(/^MUSIG2_[A-Z0-9_]+$/);
  });
});

describe('a forged SecretNonce (issue 17 item 5)', () => {
  const forged = () => Object.create(SecretNonce.prototype) as SecretNonce;
  const ctx = () => {
    const nonces = pks.map((pk) => nonceGen({ pk }).pubnonce);
    return { aggnonce: nonceAgg(nonces), pubkeys: pks, msg };
  };

  it('sign refuses it with InvalidArgumentError, never a raw TypeError', () => {
    for (const f of [
      () => sign(forged(), sks[0] as Uint8Array, ctx()),
      () => sign(forged(), sks[0] as Uint8Array, new Session(ctx())),
      () => new Session(ctx()).sign(forged(), sks[0] as Uint8Array),
      () => new Signer(sks[0] as Uint8Array).sign(forged(), new Session(ctx())),
    ]) {
      const e = thrown(f);
      expect(e).not.toBeInstanceOf(TypeError);
      expect(InvalidArgumentError.isInstance(e)).toBe(true);
      expect((e as InvalidArgumentError).code).toBe('MUSIG2_INVALID_ARGUMENT');
    }
  });

  it('is not a SecretNonce to isSecretNonce, and its getters throw typed errors', () => {
    const f = forged();
    expect(f instanceof SecretNonce).toBe(true);
    expect(isSecretNonce(f)).toBe(false);
    expect(isSecretNonce(nonceGen({ pk: pks[0] as Uint8Array }).secnonce)).toBe(true);
    expect(InvalidArgumentError.isInstance(thrown(() => f.used))).toBe(true);
    expect(InvalidArgumentError.isInstance(thrown(() => f.publicKey))).toBe(true);
    expect(String(f)).toBe('SecretNonce { forged }');
  });
});

describe('an infinite aggregate nonce (issue 17 item 5)', () => {
  // Signer 1's nonce is the negation of signer 0's: the nonces sum to infinity, BIP327 signs with
  // R = G, every partial signature verifies and the aggregate cannot.
  const k = [0x1234_5678n, 0x9abc_def0n];
  const secnonceBytes = (ks: bigint[], pk: Uint8Array) =>
    Uint8Array.from([...scalarToBytes(ks[0] as bigint), ...scalarToBytes(ks[1] as bigint), ...pk]);
  const pubnonceOf = (ks: bigint[]) =>
    Uint8Array.from([...cbytes(mulG(ks[0] as bigint)), ...cbytes(mulG(ks[1] as bigint))]);

  it('aggregateVerified throws InfiniteNonceError (MUSIG2_INFINITE_NONCE), not "the nonces do not match"', () => {
    const neg = k.map((x) => n - x);
    const pubnonces = [pubnonceOf(k), pubnonceOf(neg)];
    const aggnonce = nonceAgg(pubnonces);
    expect(aggnonce).toEqual(new Uint8Array(66));
    const session = new Session({ aggnonce, pubkeys: pks, msg });
    const psigs = [
      session.sign(secretNonceFromBytes(secnonceBytes(k, pks[0] as Uint8Array)), sks[0] as Uint8Array),
      session.sign(secretNonceFromBytes(secnonceBytes(neg, pks[1] as Uint8Array)), sks[1] as Uint8Array),
    ];
    expect(session.blame(psigs, pubnonces)).toEqual([]);
    const e = thrown(() => session.aggregateVerified(psigs, pubnonces));
    expect(e).toBeInstanceOf(InfiniteNonceError);
    expect((e as InfiniteNonceError).code).toBe('MUSIG2_INFINITE_NONCE');
    expect((e as Error).message).not.toMatch(/do not match/);
    expect(ValueError.isInstance(e)).toBe(false);
  });
});
