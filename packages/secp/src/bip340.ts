/**
 * BIP340 Schnorr signatures on the active backend: `lift_x`, `Sign` and `Verify`, following the
 * BIP's pseudocode line by line (quoted). Signing costs two `k⋅G` (constant time); verification one
 * `a⋅P + b⋅G`.
 *
 * @see https://github.com/bitcoin/bips/blob/master/bip-0340.mediawiki
 */

import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { n, type Point, p } from './backend.js';
import { InvalidArgumentError } from './errors.js';
import { curve } from './select.js';

type Hasher = ReturnType<typeof sha256.create>;
const prefixes = new Map<string, Hasher>();

/** BIP340 `hash_tag(x) = SHA256(SHA256(tag) || SHA256(tag) || x)`. */
export function taggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  let h = prefixes.get(tag);
  if (h === undefined) {
    const t = sha256(new TextEncoder().encode(tag));
    h = sha256.create().update(t).update(t);
    prefixes.set(tag, h);
  }
  const c = h.clone();
  for (const x of parts) c.update(x);
  return c.digest();
}

function assertBytes(v: unknown, name: string, len?: number): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) throw new InvalidArgumentError(name, 'expected a Uint8Array');
  if (len !== undefined && v.length !== len)
    throw new InvalidArgumentError(name, `expected ${len} bytes, got ${v.length}`);
}

function hasEvenY(P: Point): boolean {
  return (P.toAffine().y & 1n) === 0n;
}

function xbytes(P: Point): Uint8Array {
  return numberToBytesBE(P.toAffine().x, 32);
}

/** BIP340 `lift_x(x)`: the point with x coordinate `x` (32 bytes) and even y, or `undefined` if none. */
export function liftX(x: Uint8Array): Point | undefined {
  assertBytes(x, 'x', 32);
  const c = new Uint8Array(33);
  c[0] = 2;
  c.set(x, 1);
  return curve().decompress(c);
}

/**
 * BIP340 `Sign(sk, m, a)`: the 64-byte signature of `msg` (any length) under the 32-byte secret key
 * `sk`, with 32 bytes of auxiliary randomness `aux` (default 32 zero bytes: deterministic).
 *
 * @throws InvalidArgumentError for wrong lengths or a secret key out of range.
 */
export function schnorrSign(
  msg: Uint8Array,
  sk: Uint8Array,
  aux: Uint8Array = new Uint8Array(32),
): Uint8Array {
  assertBytes(msg, 'msg');
  assertBytes(sk, 'sk', 32);
  assertBytes(aux, 'aux', 32);
  const backend = curve();
  // "Let d' = int(sk)"; "Fail if d' = 0 or d' ≥ n"
  const dp = bytesToNumberBE(sk);
  if (dp === 0n || dp >= n) throw new InvalidArgumentError('sk', 'secret key out of range');
  // "Let P = d'⋅G"; "Let d = d' if has_even_y(P), otherwise let d = n - d'"
  const P = backend.mulG(dp);
  const d = hasEvenY(P) ? dp : n - dp;
  const px = xbytes(P);
  // "Let t be the byte-wise xor of bytes(d) and hash_BIP0340/aux(a)"
  const t = numberToBytesBE(d, 32);
  const ha = taggedHash('BIP0340/aux', aux);
  for (let i = 0; i < 32; i++) t[i] = (t[i] as number) ^ (ha[i] as number);
  // "Let rand = hash_BIP0340/nonce(t || bytes(P) || m)"; "Let k' = int(rand) mod n"
  const kp = bytesToNumberBE(taggedHash('BIP0340/nonce', t, px, msg)) % n;
  t.fill(0);
  // "Fail if k' = 0"
  if (kp === 0n) throw new InvalidArgumentError('aux', 'derived a zero nonce; use other randomness');
  // "Let R = k'⋅G"; "Let k = k' if has_even_y(R), otherwise let k = n - k'"
  const R = backend.mulG(kp);
  const k = hasEvenY(R) ? kp : n - kp;
  const rx = xbytes(R);
  // "Let e = int(hash_BIP0340/challenge(bytes(R) || bytes(P) || m)) mod n"
  const e = bytesToNumberBE(taggedHash('BIP0340/challenge', rx, px, msg)) % n;
  // "Let sig = bytes(R) || bytes((k + ed) mod n)"
  const sig = new Uint8Array(64);
  sig.set(rx, 0);
  sig.set(numberToBytesBE((k + e * d) % n, 32), 32);
  return sig;
}

/**
 * BIP340 `Verify(pk, m, sig)`: true iff `sig` (64 bytes) is a valid signature of `msg` (any length)
 * under the 32-byte x-only key `pubkey`. False (never a throw) for a key or signature that does not
 * decode.
 *
 * @throws InvalidArgumentError only for wrong lengths or types.
 */
export function schnorrVerify(sig: Uint8Array, msg: Uint8Array, pubkey: Uint8Array): boolean {
  assertBytes(sig, 'sig', 64);
  assertBytes(msg, 'msg');
  assertBytes(pubkey, 'pubkey', 32);
  // "Let P = lift_x(int(pk)); fail if that fails"
  const P = liftX(pubkey);
  if (P === undefined) return false;
  // "Let r = int(sig[0:32]); fail if r ≥ p"; "Let s = int(sig[32:64]); fail if s ≥ n"
  const r = bytesToNumberBE(sig.subarray(0, 32));
  const s = bytesToNumberBE(sig.subarray(32, 64));
  if (r >= p || s >= n) return false;
  // "Let e = int(hash_BIP0340/challenge(bytes(r) || bytes(P) || m)) mod n"
  const e = bytesToNumberBE(taggedHash('BIP0340/challenge', sig.subarray(0, 32), pubkey, msg)) % n;
  // "Let R = s⋅G - e⋅P"; "Fail if is_infinite(R)", "not has_even_y(R)", or "x(R) ≠ r"
  const R = curve().mulAddG(P, (n - e) % n, s);
  if (R.is0() || !hasEvenY(R)) return false;
  return R.toAffine().x === r;
}
