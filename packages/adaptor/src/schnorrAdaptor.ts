/**
 * Single-signer Schnorr adaptor signatures whose completions are BIP340 signatures, as specified by
 * the Python reference in ZhePang/Python_Specification_for_Schnorr_Adaptor (the reference for the
 * proposed secp256k1-zkp `schnorr_adaptor` module): `schnorr_presig_sign`, `schnorr_presig_verify`,
 * `schnorr_extract_adaptor`, `schnorr_adapt` and `schnorr_extract_secadaptor`.
 *
 * A pre-signature on message m under x-only key P with adaptor point T = t⋅G is 65 bytes,
 * `cbytes(R0) || bytes(s')` with `R0 = k⋅G + T`. Whoever knows t completes it into the BIP340
 * signature `xbytes(R0) || bytes(s' ± t)` (+ when R0 has even y, − otherwise; the first byte of the
 * pre-signature carries that parity). Whoever holds the pre-signature and sees the completed signature
 * learns t. The adaptor point is not sent separately: it is recovered from the pre-signature
 * (`extractAdaptor`) and compared.
 *
 * The same 65-byte format, and so {@link adapt}, {@link extractSecadaptor}, {@link presigVerify}, also
 * serve MuSig2 adaptor pre-signatures (see `musigAdaptor.ts`): verification only needs the x-only
 * aggregate key.
 *
 * Not done here: nonces are derived as the reference derives them (BIP340-style with the tags
 * `SchnorrAdaptor/aux` and `SchnorrAdaptor/nonce`, committing to T); there is no variant with a
 * caller-supplied nonce.
 */

import { concatBytes, cryptoRng, equalBytes, type Rng } from '@superscalar/core';
import {
  bytesToInt,
  cbytes,
  hasEvenY,
  liftX,
  modN,
  mulG,
  n,
  type Point,
  pointFromCompressed,
  scalarToBytes,
  taggedHash,
  xbytes,
} from '@superscalar/musig2';
import { curve } from '@superscalar/secp';
import { assertBytes, assertObject, describe } from './_assert.js';
import {
  InvalidArgumentError,
  InvalidPresignatureError,
  SignatureMismatchError,
  SigningFailedError,
} from './errors.js';

/** Length of a pre-signature: `cbytes(R0) || bytes(s')`. */
export const PRESIG_LENGTH = 65;

/** Options of {@link presigSign}. */
export interface PresigSignOptions {
  /**
   * 32 bytes of auxiliary randomness (BIP340 `aux_rand`). Default: drawn from `rng`. Pass it only to
   * reproduce a pre-signature (test vectors); all-zero bytes give a deterministic nonce, still safe
   * against nonce reuse but not against fault or side-channel attacks.
   */
  auxRand?: Uint8Array;
  /** Randomness source for `auxRand`: returns `n` fresh bytes. Default: the platform CSPRNG. */
  rng?: Rng;
}

function secretScalar(bytes: Uint8Array, name: string): bigint {
  const x = bytesToInt(bytes);
  if (x === 0n || x >= n) throw new InvalidArgumentError(name, 'must be an integer in [1, n)');
  return x;
}

/** @internal Decodes a 33-byte compressed point, as an {@link InvalidArgumentError} naming `name`. */
export function pointOf(adaptor: Uint8Array, name: string): Point {
  try {
    return pointFromCompressed(adaptor);
  } catch (cause) {
    throw new InvalidArgumentError(name, 'not a valid 33-byte compressed secp256k1 point', { cause });
  }
}

function challenge(rx: Uint8Array, px: Uint8Array, msg: Uint8Array): bigint {
  // "e = int(hash_BIP0340/challenge(bytes(R0) || bytes(P) || m)) mod n"
  return modN(bytesToInt(taggedHash('BIP0340/challenge', rx, px, msg)));
}

/**
 * `schnorr_presig_sign(msg, seckey, aux_rand, T)`: a 65-byte pre-signature of `msg` under the
 * x-only public key of `secretKey`, with adaptor point `adaptor`. The result is verified before it is
 * returned.
 *
 * @param msg - the message (any length; a BIP341 sighash is 32 bytes).
 * @param secretKey - 32-byte secret key in [1, n).
 * @param adaptor - the 33-byte compressed adaptor point T.
 * @throws {InvalidArgumentError} for a bad length, a secret key out of range or an undecodable adaptor.
 * @throws {SigningFailedError} in the negligible-probability cases (zero nonce, `R + T` infinite) and
 *   if the self-check fails.
 */
export function presigSign(
  msg: Uint8Array,
  secretKey: Uint8Array,
  adaptor: Uint8Array,
  options: PresigSignOptions = {},
): Uint8Array {
  assertBytes(msg, 'msg');
  assertBytes(secretKey, 'secretKey', 32);
  assertBytes(adaptor, 'adaptor', 33);
  assertObject(options, 'options');
  const rng = options.rng ?? cryptoRng;
  if (typeof rng !== 'function')
    throw new InvalidArgumentError('options.rng', `expected a function, got ${describe(rng)}`);
  const auxRand = options.auxRand ?? rng(32);
  assertBytes(auxRand, options.auxRand === undefined ? 'options.rng()' : 'options.auxRand', 32);
  // "Let d' = int(sk); fail if d' = 0 or d' ≥ n"; "Let P = d'⋅G"
  const d0 = secretScalar(secretKey, 'secretKey');
  const P = mulG(d0);
  const px = xbytes(P);
  // "Let d = d' if has_even_y(P), otherwise let d = n - d'"
  const d = hasEvenY(P) ? d0 : n - d0;
  const T = pointOf(adaptor, 'adaptor');
  // "Let t be the byte-wise xor of bytes(d) and hash_SchnorrAdaptor/aux(a)"
  const mask = taggedHash('SchnorrAdaptor/aux', auxRand);
  const dBytes = scalarToBytes(d);
  const t = mask.map((m, i) => m ^ (dBytes[i] as number));
  dBytes.fill(0);
  // "Let k' = int(hash_SchnorrAdaptor/nonce(t || T || bytes(P) || m)) mod n; fail if k' = 0"
  const k0 = modN(bytesToInt(taggedHash('SchnorrAdaptor/nonce', t, adaptor, px, msg)));
  t.fill(0);
  if (k0 === 0n) throw new SigningFailedError('derived nonce is zero; retry with fresh auxRand');
  // "Let R = k'⋅G"; "Let R0 = R + T; fail if infinite"
  const R0 = curve().add(mulG(k0), T);
  if (R0.is0()) throw new SigningFailedError('R + T is infinity; retry with fresh auxRand');
  // "Let k = k' if has_even_y(R0), otherwise let k = n - k'"
  const k = hasEvenY(R0) ? k0 : n - k0;
  const e = challenge(xbytes(R0), px, msg);
  // "Let presig = cbytes(R0) || bytes((k + e⋅d) mod n)"
  const presig = concatBytes(cbytes(R0), scalarToBytes(modN(k + e * d)));
  // "If schnorr_presig_verify(...) fails, fail"
  if (!presigVerify({ msg, adaptor, pubkey: px, presig }))
    throw new SigningFailedError('the pre-signature does not verify (possible fault): discard it');
  return presig;
}

/**
 * `schnorr_extract_adaptor(msg, pubkey, presig)`: the 33-byte adaptor point T that `presig` commits
 * to under `pubkey` and `msg`, or `undefined` if there is none (an invalid public key or nonce
 * encoding, s' ≥ n, or an infinite intermediate point).
 *
 * @throws {InvalidArgumentError} only for wrong types or lengths.
 */
export function extractAdaptor(
  msg: Uint8Array,
  pubkey: Uint8Array,
  presig: Uint8Array,
): Uint8Array | undefined {
  assertBytes(msg, 'msg');
  assertBytes(pubkey, 'pubkey', 32);
  assertBytes(presig, 'presig', PRESIG_LENGTH);
  // "Let P = lift_x(int(pk)); let s' = int(presig[33:65]); fail if that fails or s' ≥ n"
  let P: Point;
  try {
    P = liftX(pubkey);
  } catch {
    return undefined;
  }
  const s0 = bytesToInt(presig.subarray(33, 65));
  if (s0 >= n) return undefined;
  // "Let R0 = cpoint(presig[0:33]); fail if that fails"
  let R0: Point;
  try {
    R0 = pointFromCompressed(presig.subarray(0, 33));
  } catch {
    return undefined;
  }
  const e = challenge(presig.subarray(1, 33), pubkey, msg);
  // "Let R = s'⋅G - e⋅P; fail if infinite"
  const R = curve().mulAddG(P, modN(-e), s0);
  if (R.is0()) return undefined;
  // "Let T = R0 - R if has_even_y(R0), otherwise T = R0 + R; fail if infinite"
  const T = curve().add(R0, hasEvenY(R0) ? R.negate() : R);
  if (T.is0()) return undefined;
  return cbytes(T);
}

/** Inputs of {@link presigVerify}: four byte strings, named so that they cannot be swapped. */
export interface PresigVerifyOptions {
  /** The signed message (any length; a BIP341 sighash is 32 bytes). */
  msg: Uint8Array;
  /** The 33-byte compressed adaptor point T. */
  adaptor: Uint8Array;
  /** The 32-byte x-only public key (for a MuSig2 session, the tweaked aggregate key). */
  pubkey: Uint8Array;
  /** The 65-byte pre-signature. */
  presig: Uint8Array;
}

/**
 * `schnorr_presig_verify(msg, T, pubkey, presig)`: true when `presig` is a valid pre-signature of
 * `msg` under `pubkey` for the adaptor point `adaptor`, i.e. adapting it with the discrete log of
 * `adaptor` yields a valid BIP340 signature. False for any well-sized input that does not verify
 * (including a public key or adaptor that is not a curve point).
 *
 * @throws {InvalidArgumentError} only for wrong types or lengths.
 */
export function presigVerify(options: PresigVerifyOptions): boolean {
  assertObject(options, 'options');
  const { msg, adaptor, pubkey, presig } = options;
  assertBytes(msg, 'options.msg');
  assertBytes(adaptor, 'options.adaptor', 33);
  assertBytes(pubkey, 'options.pubkey', 32);
  assertBytes(presig, 'options.presig', PRESIG_LENGTH);
  const T = extractAdaptor(msg, pubkey, presig);
  return T !== undefined && equalBytes(T, adaptor);
}

function presigScalar(presig: Uint8Array): bigint {
  assertBytes(presig, 'presig', PRESIG_LENGTH);
  if (presig[0] !== 2 && presig[0] !== 3)
    throw new InvalidPresignatureError('first byte must be 0x02 or 0x03');
  const s0 = bytesToInt(presig.subarray(33, 65));
  if (s0 >= n) throw new InvalidPresignatureError("s' is not below the curve order");
  return s0;
}

/**
 * `schnorr_adapt(presig, secadaptor)`: completes a pre-signature with the secret adaptor t into the
 * 64-byte BIP340 signature `presig[1:33] || bytes(s' + t)` (or `s' − t` when the first byte is 0x03).
 *
 * Pure arithmetic: it does not check that `presig` verifies or that t matches its adaptor point.
 * Verify the pre-signature with {@link presigVerify} when it arrives and the result with BIP340
 * verification before relying on it.
 *
 * @param secadaptor - the 32-byte secret t in [1, n).
 * @throws {InvalidPresignatureError} for a bad first byte or s' ≥ n.
 * @throws {InvalidArgumentError} for wrong lengths or t outside [1, n) (stricter than the reference,
 *   which accepts t = 0).
 */
export function adapt(presig: Uint8Array, secadaptor: Uint8Array): Uint8Array {
  const s0 = presigScalar(presig);
  assertBytes(secadaptor, 'secadaptor', 32);
  const t = secretScalar(secadaptor, 'secadaptor');
  const s = presig[0] === 2 ? modN(s0 + t) : modN(s0 - t);
  return concatBytes(presig.subarray(1, 33), scalarToBytes(s));
}

/**
 * `schnorr_extract_secadaptor(presig, sig)`: the 32-byte secret adaptor t from a pre-signature and
 * the BIP340 signature completed from it: `s − s'` (or `s' − s` when the first byte is 0x03).
 *
 * Stricter than the reference: the signature's R must be the pre-signature's (else it completes a
 * different pre-signature), the result must not be zero, and, when `adaptor` is given, `t⋅G` must
 * equal it. Pass `adaptor` whenever you know it (PTLC key turnover: the expected public key).
 *
 * @throws {InvalidPresignatureError} for a bad first byte or s' ≥ n.
 * @throws {InvalidArgumentError} for wrong lengths, or s ≥ n in `sig`.
 * @throws {SignatureMismatchError} when `sig` does not complete `presig` (or not for `adaptor`).
 */
export function extractSecadaptor(presig: Uint8Array, sig: Uint8Array, adaptor?: Uint8Array): Uint8Array {
  const s0 = presigScalar(presig);
  assertBytes(sig, 'sig', 64);
  if (adaptor !== undefined) assertBytes(adaptor, 'adaptor', 33);
  const s = bytesToInt(sig.subarray(32, 64));
  if (s >= n) throw new InvalidArgumentError('sig', 's is not below the curve order');
  if (!equalBytes(sig.subarray(0, 32), presig.subarray(1, 33)))
    throw new SignatureMismatchError("the signature's R is not the pre-signature's");
  const t = presig[0] === 2 ? modN(s - s0) : modN(s0 - s);
  if (t === 0n) throw new SignatureMismatchError('the extracted secret is zero');
  if (adaptor !== undefined && !equalBytes(cbytes(mulG(t)), adaptor))
    throw new SignatureMismatchError('the extracted secret is not the discrete log of the adaptor point');
  return scalarToBytes(t);
}

/**
 * The 33-byte compressed adaptor point `t⋅G` of a 32-byte secret adaptor t in [1, n) (a helper for
 * callers that create adaptors, e.g. PTLC key turnover uses the client's old factory public key).
 *
 * @throws {InvalidArgumentError} for a wrong length or t outside [1, n).
 */
export function adaptorPoint(secadaptor: Uint8Array): Uint8Array {
  assertBytes(secadaptor, 'secadaptor', 32);
  return cbytes(mulG(secretScalar(secadaptor, 'secadaptor')));
}
