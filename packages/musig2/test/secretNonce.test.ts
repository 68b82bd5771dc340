// Misuse resistance of SecretNonce: one signature per nonce, never serialisable, never readable.

import { inspect } from 'node:util';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import * as publicApi from '../src/index.js';
import {
  deterministicSign,
  InvalidArgumentError,
  keySort,
  MuSig2Error,
  NonceReuseError,
  nonceAgg,
  nonceGen,
  partialSigVerify,
  SecretNonce,
  SecretNonceNotSerialisableError,
  Session,
  sign,
} from '../src/index.js';

function twoSigners() {
  const sks = [secp256k1.utils.randomSecretKey(), secp256k1.utils.randomSecretKey()];
  const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));
  return { sks, pks };
}

describe('SecretNonce', () => {
  const msg = new Uint8Array(32).fill(1);

  it('signs once; a second use throws NonceReuseError and signs nothing', () => {
    const { sks, pks } = twoSigners();
    const a = nonceGen({ pk: pks[0] as Uint8Array, sk: sks[0] });
    const b = nonceGen({ pk: pks[1] as Uint8Array, sk: sks[1] });
    const ctx = { aggnonce: nonceAgg([a.pubnonce, b.pubnonce]), pubkeys: pks, msg };
    expect(a.secnonce.used).toBe(false);
    const psig = sign(a.secnonce, sks[0] as Uint8Array, ctx);
    expect(a.secnonce.used).toBe(true);
    expect(partialSigVerify({ psig, pubnonces: [a.pubnonce, b.pubnonce], pubkeys: pks, msg, i: 0 })).toBe(
      true,
    );
    // Same session, and a different message: both refused.
    expect(() => sign(a.secnonce, sks[0] as Uint8Array, ctx)).toThrow(NonceReuseError);
    expect(() => sign(a.secnonce, sks[0] as Uint8Array, { ...ctx, msg: new Uint8Array(32) })).toThrow(
      NonceReuseError,
    );
    expect(() => new Session(ctx).sign(a.secnonce, sks[0] as Uint8Array)).toThrow(NonceReuseError);
  });

  it('a failed signing attempt also consumes the nonce (the session must restart)', () => {
    const { sks, pks } = twoSigners();
    const a = nonceGen({ pk: pks[0] as Uint8Array });
    const b = nonceGen({ pk: pks[1] as Uint8Array });
    const ctx = { aggnonce: nonceAgg([a.pubnonce, b.pubnonce]), pubkeys: pks, msg };
    // Wrong secret key for this nonce: ValueError, and the nonce is gone.
    expect(() => sign(a.secnonce, sks[1] as Uint8Array, ctx)).toThrow(MuSig2Error);
    expect(a.secnonce.used).toBe(true);
    expect(() => sign(a.secnonce, sks[0] as Uint8Array, ctx)).toThrow(NonceReuseError);
    // A session that cannot be built (bad aggregate nonce) consumes it too.
    const c = nonceGen({ pk: pks[0] as Uint8Array });
    expect(() =>
      sign(c.secnonce, sks[0] as Uint8Array, { ...ctx, aggnonce: new Uint8Array(66).fill(4) }),
    ).toThrow(MuSig2Error);
    expect(c.secnonce.used).toBe(true);
  });

  it('cannot be serialised: JSON.stringify throws, toString/inspect are redacted, structuredClone copies nothing', () => {
    const { pks } = twoSigners();
    const { secnonce } = nonceGen({ pk: pks[0] as Uint8Array });
    expect(() => JSON.stringify(secnonce)).toThrow(SecretNonceNotSerialisableError);
    expect(() => JSON.stringify({ nested: [secnonce] })).toThrow(SecretNonceNotSerialisableError);
    expect(String(secnonce)).toBe('SecretNonce { used: false }');
    expect(inspect(secnonce)).toBe('SecretNonce { used: false }');
    expect(Object.keys(secnonce)).toEqual([]);
    expect(Object.getOwnPropertySymbols(secnonce)).toEqual([]);
    const clone = structuredClone(secnonce) as unknown;
    expect(clone).not.toBeInstanceOf(SecretNonce);
    expect(() =>
      sign(clone as SecretNonce, new Uint8Array(32).fill(1), {
        aggnonce: new Uint8Array(66),
        pubkeys: pks,
        msg,
      }),
    ).toThrow(InvalidArgumentError);
  });

  it('cannot be constructed outside the library', () => {
    const Ctor = SecretNonce as unknown as new (...args: unknown[]) => SecretNonce;
    expect(() => new Ctor(Symbol('SecretNonce'), { k1: 1n, k2: 1n, pk: new Uint8Array(33) })).toThrow(
      InvalidArgumentError,
    );
  });

  it('the package entry point exposes no way to build a SecretNonce from bytes', () => {
    const names = Object.keys(publicApi);
    expect(names.filter((x) => /secretNonceFrom|createSecretNonce|consumeSecretNonce/i.test(x))).toEqual([]);
  });

  it('deterministicSign holds no secret nonce and needs none', () => {
    const { sks, pks } = twoSigners();
    const sorted = keySort(pks);
    const other = nonceGen({ pk: pks[1] as Uint8Array });
    const r1 = deterministicSign({
      sk: sks[0] as Uint8Array,
      aggothernonce: other.pubnonce,
      pubkeys: sorted,
      msg,
    });
    const r2 = deterministicSign({
      sk: sks[0] as Uint8Array,
      aggothernonce: other.pubnonce,
      pubkeys: sorted,
      msg,
    });
    expect(r1).toEqual(r2);
  });
});
