/**
 * Signature and public key encodings as Bitcoin Core checks them: BIP66 strict DER, low S (BIP146),
 * defined hash types, key types (STRICTENC, WITNESS_PUBKEYTYPE), and the lax DER parser plus
 * S-normalisation that consensus ECDSA verification uses (pubkey.cpp, libsecp256k1).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sigCacheAdd, sigCacheHas, sigCacheKey } from './_sigCache.js';
import { SCRIPT_VERIFY } from './flags.js';
import { fail } from './scriptError.js';

const N = secp256k1.Point.CURVE().n;
const HALF_N = N >> 1n;

/** SIGHASH types. */
export const SIGHASH = {
  DEFAULT: 0x00,
  ALL: 0x01,
  NONE: 0x02,
  SINGLE: 0x03,
  ANYONECANPAY: 0x80,
} as const;

/**
 * BIP66 strict DER, including the trailing hash-type byte:
 * `0x30 len 0x02 lenR R 0x02 lenS S hashtype`, minimal positive integers, 9..73 bytes.
 */
export function isValidSignatureEncoding(sig: Uint8Array): boolean {
  const n = sig.length;
  if (n < 9 || n > 73) return false;
  if (sig[0] !== 0x30) return false;
  if (sig[1] !== n - 3) return false;
  const lenR = sig[3]!;
  if (5 + lenR >= n) return false;
  const lenS = sig[5 + lenR]!;
  if (lenR + lenS + 7 !== n) return false;
  if (sig[2] !== 0x02) return false;
  if (lenR === 0) return false;
  if (sig[4]! & 0x80) return false;
  if (lenR > 1 && sig[4] === 0x00 && !(sig[5]! & 0x80)) return false;
  if (sig[lenR + 4] !== 0x02) return false;
  if (lenS === 0) return false;
  if (sig[lenR + 6]! & 0x80) return false;
  if (lenS > 1 && sig[lenR + 6] === 0x00 && !(sig[lenR + 7]! & 0x80)) return false;
  return true;
}

function bytesToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/**
 * libsecp256k1-compatible lax DER parse (Core's `ecdsa_signature_parse_der_lax`), without the hash-type
 * byte. Returns `undefined` when unparsable; an overflowing R or S yields r = s = 0 (never valid).
 */
export function parseDerLax(input: Uint8Array): { r: bigint; s: bigint } | undefined {
  const len = input.length;
  let pos = 0;
  if (pos === len || input[pos] !== 0x30) return undefined;
  pos++;
  if (pos === len) return undefined;
  let lenbyte = input[pos++]!;
  if (lenbyte & 0x80) {
    lenbyte -= 0x80;
    if (lenbyte > len - pos) return undefined;
    pos += lenbyte;
  }
  const readInt = (): { at: number; size: number } | undefined => {
    if (pos === len || input[pos] !== 0x02) return undefined;
    pos++;
    if (pos === len) return undefined;
    let lb = input[pos++]!;
    let size: number;
    if (lb & 0x80) {
      lb -= 0x80;
      if (lb > len - pos) return undefined;
      while (lb > 0 && input[pos] === 0) {
        pos++;
        lb--;
      }
      if (lb >= 4) return undefined;
      size = 0;
      while (lb > 0) {
        size = size * 256 + input[pos]!;
        pos++;
        lb--;
      }
    } else {
      size = lb;
    }
    if (size > len - pos) return undefined;
    const at = pos;
    pos += size;
    return { at, size };
  };
  const rr = readInt();
  if (!rr) return undefined;
  const ss = readInt();
  if (!ss) return undefined;
  const value = ({ at, size }: { at: number; size: number }): bigint | undefined => {
    while (size > 0 && input[at] === 0) {
      size--;
      at++;
    }
    if (size > 32) return undefined;
    return bytesToBigInt(input.subarray(at, at + size));
  };
  const r = value(rr);
  const s = value(ss);
  if (r === undefined || s === undefined || r >= N || s >= N) return { r: 0n, s: 0n };
  return { r, s };
}

/** BIP146 low S: strict DER and S ≤ n/2 (sig includes the hash-type byte). Fails with SIG_DER / SIG_HIGH_S. */
function checkLowS(sig: Uint8Array): void {
  if (!isValidSignatureEncoding(sig)) fail('SIG_DER');
  const parsed = parseDerLax(sig.subarray(0, sig.length - 1));
  if (parsed && parsed.s > HALF_N) fail('SIG_HIGH_S');
}

/** STRICTENC: hash type (without ANYONECANPAY) is ALL, NONE or SINGLE. */
export function isDefinedHashtypeSignature(sig: Uint8Array): boolean {
  if (sig.length === 0) return false;
  const t = sig[sig.length - 1]! & ~SIGHASH.ANYONECANPAY;
  return t >= SIGHASH.ALL && t <= SIGHASH.SINGLE;
}

/** Core's CheckSignatureEncoding for ECDSA signatures (empty is allowed: a compact "invalid"). */
export function checkSignatureEncoding(sig: Uint8Array, flags: number): void {
  if (sig.length === 0) return;
  if (
    (flags & (SCRIPT_VERIFY.DERSIG | SCRIPT_VERIFY.LOW_S | SCRIPT_VERIFY.STRICTENC)) !== 0 &&
    !isValidSignatureEncoding(sig)
  )
    fail('SIG_DER');
  if (flags & SCRIPT_VERIFY.LOW_S) checkLowS(sig);
  if (flags & SCRIPT_VERIFY.STRICTENC && !isDefinedHashtypeSignature(sig)) fail('SIG_HASHTYPE');
}

/** A 33-byte compressed key (02/03) or a 65-byte uncompressed key (04). */
export function isCompressedOrUncompressedPubKey(k: Uint8Array): boolean {
  if (k.length < 33) return false;
  if (k[0] === 0x04) return k.length === 65;
  if (k[0] === 0x02 || k[0] === 0x03) return k.length === 33;
  return false;
}

/** A 33-byte compressed key. */
export function isCompressedPubKey(k: Uint8Array): boolean {
  return k.length === 33 && (k[0] === 0x02 || k[0] === 0x03);
}

/** Core's CheckPubKeyEncoding: STRICTENC key types, and compressed-only keys in witness v0. */
export function checkPubKeyEncoding(key: Uint8Array, flags: number, witnessV0: boolean): void {
  if (flags & SCRIPT_VERIFY.STRICTENC && !isCompressedOrUncompressedPubKey(key)) fail('PUBKEYTYPE');
  if (flags & SCRIPT_VERIFY.WITNESS_PUBKEYTYPE && witnessV0 && !isCompressedPubKey(key))
    fail('WITNESS_PUBKEYTYPE');
}

/**
 * Core's CPubKey validity and libsecp256k1's pubkey parse: 33 bytes 02/03, or 65 bytes 04, or the
 * hybrid 06/07 forms (parity must match). Returns the key in a form noble accepts, or undefined.
 */
function parsePubKey(key: Uint8Array): Uint8Array | undefined {
  const h = key[0];
  if ((h === 0x02 || h === 0x03) && key.length === 33) return key;
  if ((h === 0x04 || h === 0x06 || h === 0x07) && key.length === 65) {
    if (h !== 0x04 && (key[64]! & 1) !== (h & 1)) return undefined;
    if (h === 0x04) return key;
    const k = Uint8Array.from(key);
    k[0] = 0x04;
    return k;
  }
  return undefined;
}

/**
 * Consensus ECDSA verification (Core's CPubKey::Verify): lax DER, S normalised to low, then verify.
 * `derSig` excludes the hash-type byte. Successful checks are remembered in a bounded cache.
 */
export function verifyEcdsa(derSig: Uint8Array, pubkey: Uint8Array, msg32: Uint8Array): boolean {
  const key = parsePubKey(pubkey);
  if (!key) return false;
  const parsed = parseDerLax(derSig);
  if (!parsed) return false;
  const { r } = parsed;
  let { s } = parsed;
  if (r === 0n || s === 0n) return false;
  if (s > HALF_N) s = N - s;
  const compact = new Uint8Array(64);
  for (let i = 0; i < 32; i++) {
    compact[31 - i] = Number((r >> BigInt(8 * i)) & 0xffn);
    compact[63 - i] = Number((s >> BigInt(8 * i)) & 0xffn);
  }
  const k = sigCacheKey('e', msg32, key, compact);
  if (sigCacheHas(k)) return true;
  let ok = false;
  try {
    ok = secp256k1.verify(compact, msg32, key, { prehash: false, lowS: true, format: 'compact' });
  } catch {
    ok = false;
  }
  if (ok) sigCacheAdd(k);
  return ok;
}
