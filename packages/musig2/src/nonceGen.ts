/**
 * BIP327 NonceGen: derives a signer's two secret nonce scalars from fresh randomness, optionally
 * hedged with the secret key, aggregate key, message and extra input, and returns the 66-byte public
 * nonce with an owned {@link SecretNonce}.
 *
 * @see https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#nonce-generation
 */
import { concatBytes, cryptoRng, type Rng } from '@superscalar/core';
import { assertBytes, assertFunction, assertObject } from './_assert.js';
import { taggedHash, taggedScalar } from './_hash.js';
import { InvalidArgumentError, ValueError } from './errors.js';
import { cbytes, mulG } from './point.js';
import { createSecretNonce, type SecretNonce } from './secretNonce.js';

/** Inputs of {@link nonceGen}; every optional input of BIP327 NonceGen. */
export interface NonceGenOptions {
  /** The signer's 33-byte individual public key (required). */
  pk: Uint8Array;
  /** The signer's 32-byte secret key: hedges the nonce against a bad RNG (recommended). */
  sk?: Uint8Array;
  /** The 32-byte x-only aggregate public key, when known. */
  aggpk?: Uint8Array;
  /** The message to be signed, when known (any length). */
  msg?: Uint8Array;
  /** Extra input mixed into the derivation (e.g. a session id or counter), any length. */
  extraIn?: Uint8Array;
  /** Randomness source for BIP327's `rand'` (32 bytes). Defaults to the CSPRNG; inject for tests only. */
  rng?: Rng;
}

/** Output of {@link nonceGen}. */
export interface NonceGenResult {
  /** The secret nonce, usable for exactly one signature. Never persist it. */
  secnonce: SecretNonce;
  /** The 66-byte public nonce `cbytes(k1⋅G) || cbytes(k2⋅G)` to send to the other signers. */
  pubnonce: Uint8Array;
}

/**
 * BIP327 `NonceGen(sk, pk, aggpk, m, extra_in)`.
 *
 * @throws InvalidArgumentError for wrong lengths (or an `rng` that does not return 32 bytes).
 * @throws ValueError if a derived scalar is 0 (probability ~2^-256).
 */
export function nonceGen(options: NonceGenOptions): NonceGenResult {
  assertObject(options, 'options');
  const { pk, sk, aggpk, msg, extraIn } = options;
  assertBytes(pk, 'options.pk', 33);
  if (sk !== undefined) assertBytes(sk, 'options.sk', 32);
  if (aggpk !== undefined) assertBytes(aggpk, 'options.aggpk', 32);
  if (msg !== undefined) assertBytes(msg, 'options.msg');
  if (extraIn !== undefined) assertBytes(extraIn, 'options.extraIn');
  const rng = options.rng ?? cryptoRng;
  assertFunction(rng, 'options.rng');
  // "Let rand' be a 32-byte array freshly drawn uniformly at random"
  const randPrime = rng(32);
  if (!(randPrime instanceof Uint8Array) || randPrime.length !== 32)
    throw new InvalidArgumentError('options.rng', 'must return a Uint8Array of 32 bytes');
  // "If the optional argument sk is present: Let rand be the byte-wise xor of sk and hash_MuSig/aux(rand')"
  const rand = sk === undefined ? Uint8Array.from(randPrime) : xor32(sk, taggedHash('MuSig/aux', randPrime));
  const aggpkBytes = aggpk ?? new Uint8Array(0);
  // "If the optional argument m is not present: Let m_prefixed = bytes(1, 0)
  //  Else: Let m_prefixed = bytes(1, 1) || bytes(8, len(m)) || m"
  const msgPrefixed =
    msg === undefined ? Uint8Array.of(0) : concatBytes(Uint8Array.of(1), u64be(msg.length), msg);
  const extra = extraIn ?? new Uint8Array(0);
  // "Let k_i = int(hash_MuSig/nonce(rand || bytes(1, len(pk)) || pk || bytes(1, len(aggpk)) || aggpk
  //  || m_prefixed || bytes(4, len(extra_in)) || extra_in || bytes(1, i - 1))) mod n for i = 1,2"
  const ki = (i: number) =>
    taggedScalar(
      'MuSig/nonce',
      rand,
      Uint8Array.of(pk.length),
      pk,
      Uint8Array.of(aggpkBytes.length),
      aggpkBytes,
      msgPrefixed,
      u32be(extra.length),
      extra,
      Uint8Array.of(i),
    );
  const k1 = ki(0);
  const k2 = ki(1);
  rand.fill(0);
  // "Fail if k1 = 0 or k2 = 0"
  if (k1 === 0n || k2 === 0n) throw new ValueError('NonceGen derived a zero nonce scalar; retry');
  const R1 = mulG(k1);
  const R2 = mulG(k2);
  const pubnonce = concatBytes(cbytes(R1), cbytes(R2));
  return { secnonce: createSecretNonce({ k1, k2, pk, R1, R2 }), pubnonce };
}

/** @internal */
export function xor32(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** @internal 8-byte big-endian length. */
export function u64be(x: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(x));
  return out;
}

function u32be(x: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, x);
  return out;
}
