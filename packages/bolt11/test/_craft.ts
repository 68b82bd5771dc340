// Hand-built invoices, independent of the package's encoder: any words, signed correctly, so a test
// can reach each check behind the signature (or forge one that fails it).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bech32 } from '@scure/base';

export const SK = new Uint8Array(32).fill(7);
export const PAYEE = secp256k1.getPublicKey(SK, true);
export const OTHER_SK = new Uint8Array(32).fill(9);
export const OTHER = secp256k1.getPublicKey(OTHER_SK, true);
export const HASH = new Uint8Array(32).fill(0xab);
export const SECRET = new Uint8Array(32).fill(0x11);
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const N = secp256k1.Point.Fn.ORDER;

/** A field: its bech32 letter and its 5-bit data words. */
export type RawField = [letter: string, words: number[]];

/** 8-bit bytes to 5-bit words, zero-padded (BIP 173 convertbits with padding). */
export const words = (bytes: Uint8Array): number[] => bech32.toWords(bytes);
export const text = (s: string): number[] => words(new TextEncoder().encode(s));
/** A non-negative integer as `count` big-endian words (or the fewest when `count` is absent). */
export function uint(v: number, count?: number): number[] {
  const out: number[] = [];
  for (let x = v; x > 0; x = Math.floor(x / 32)) out.unshift(x % 32);
  while (count !== undefined && out.length < count) out.unshift(0);
  return out;
}

export const P: RawField = ['p', words(HASH)];
export const S: RawField = ['s', words(SECRET)];
export const D: RawField = ['d', text('coffee')];
export const BASE: RawField[] = [P, S, D];

/** 5-bit words to bytes, the last one zero-padded (how BOLT 11 builds the signed data). */
export function pad8(ws: number[]): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of ws) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (bits > 0) out.push((acc << (8 - bits)) & 0xff);
  return Uint8Array.from(out);
}

export interface CraftOptions {
  timestamp?: number;
  sk?: Uint8Array;
  /** Replace s by n − s and flip the recovery id: the same signer, high-S. */
  highS?: boolean;
  /** Override the recovery id byte (any 0..255). */
  recoveryId?: number;
}

/** A correctly signed (unless told otherwise) invoice string with exactly these fields. */
export function craft(hrp: string, fields: RawField[], o: CraftOptions = {}): string {
  const data = uint(o.timestamp ?? 1_700_000_000, 7);
  for (const [letter, ws] of fields) {
    const tag = CHARSET.indexOf(letter);
    if (tag < 0) throw new Error(`letter ${letter}`);
    data.push(tag, ws.length >> 5, ws.length & 31, ...ws);
  }
  return bech32.encode(hrp, [...data, ...signatureWords(hrp, data, o)], false);
}

/** The 104 signature words over `hrp` and the data words before the signature. */
export function signatureWords(hrp: string, data: number[], o: CraftOptions = {}): number[] {
  const hash = sha256(Uint8Array.from([...new TextEncoder().encode(hrp), ...pad8(data)]));
  const rec = secp256k1.sign(hash, o.sk ?? SK, { prehash: false, format: 'recovered' });
  const sig = secp256k1.Signature.fromBytes(rec, 'recovered');
  let s = sig.s;
  let recovery = sig.recovery as number;
  if (o.highS) {
    s = N - s;
    recovery ^= 1;
  }
  const bytes = new Uint8Array(65);
  bytes.set(rec.slice(1, 33), 0);
  bytes.set(secp256k1.Point.Fn.toBytes(s), 32);
  bytes[64] = o.recoveryId ?? recovery;
  return words(bytes);
}
