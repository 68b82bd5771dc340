// Internal: the transaction codec, BIP341 sighash and script builders the tree needs. Single-input
// transactions only (every tree transaction has one input); own code, cross-checked in the tests
// against @superscalar/chain's independent codec and sighash.
import { sha256 } from '@noble/hashes/sha2.js';

/** An output. */
export interface TxOut {
  readonly value: bigint;
  readonly script: Uint8Array;
}

/** A one-input transaction (the input's txid in internal byte order). */
export interface OneInputTx {
  readonly version: number;
  readonly locktime: number;
  readonly prevTxid: Uint8Array;
  readonly vout: number;
  readonly sequence: number;
  readonly outputs: readonly TxOut[];
}

/** A little-endian writer into a buffer of the exact final size. */
export class Writer {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  u8(x: number) {
    this.buf[this.pos++] = x;
  }
  u32(x: number) {
    this.buf[this.pos++] = x & 0xff;
    this.buf[this.pos++] = (x >>> 8) & 0xff;
    this.buf[this.pos++] = (x >>> 16) & 0xff;
    this.buf[this.pos++] = (x >>> 24) & 0xff;
  }
  u64(x: bigint) {
    this.u32(Number(x & 0xffffffffn));
    this.u32(Number((x >> 32n) & 0xffffffffn));
  }
  varint(n: number) {
    if (n < 0xfd) this.u8(n);
    else if (n <= 0xffff) {
      this.u8(0xfd);
      this.u8(n & 0xff);
      this.u8(n >>> 8);
    } else {
      this.u8(0xfe);
      this.u32(n);
    }
  }
  bytes(b: Uint8Array) {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  varbytes(b: Uint8Array) {
    this.varint(b.length);
    this.bytes(b);
  }
}

export function varintLen(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

export function outputsLen(outputs: readonly TxOut[]): number {
  let n = varintLen(outputs.length);
  for (const o of outputs) n += 8 + varintLen(o.script.length) + o.script.length;
  return n;
}

export function writeOutputs(w: Writer, outputs: readonly TxOut[]) {
  w.varint(outputs.length);
  for (const o of outputs) {
    w.u64(o.value);
    w.varbytes(o.script);
  }
}

/** Serialises without witness (the txid preimage). */
export function serializeBase(tx: OneInputTx): Uint8Array {
  const w = new Writer(4 + 1 + 41 + outputsLen(tx.outputs) + 4);
  w.u32(tx.version);
  w.varint(1);
  w.bytes(tx.prevTxid);
  w.u32(tx.vout);
  w.varint(0);
  w.u32(tx.sequence);
  writeOutputs(w, tx.outputs);
  w.u32(tx.locktime);
  return w.buf;
}

/** Serialises with the given witness stack on the single input. */
export function serializeWitness(tx: OneInputTx, witness: readonly Uint8Array[]): Uint8Array {
  let wl = varintLen(witness.length);
  for (const item of witness) wl += varintLen(item.length) + item.length;
  const w = new Writer(4 + 2 + 1 + 41 + outputsLen(tx.outputs) + wl + 4);
  w.u32(tx.version);
  w.u8(0);
  w.u8(1);
  w.varint(1);
  w.bytes(tx.prevTxid);
  w.u32(tx.vout);
  w.varint(0);
  w.u32(tx.sequence);
  writeOutputs(w, tx.outputs);
  w.varint(witness.length);
  for (const item of witness) w.varbytes(item);
  w.u32(tx.locktime);
  return w.buf;
}

/** Virtual size (BIP141) with the given witness. */
export function vsizeWith(tx: OneInputTx, witness: readonly Uint8Array[]): number {
  const base = serializeBase(tx).length;
  const total = serializeWitness(tx, witness).length;
  return Math.ceil((base * 3 + total) / 4);
}

/** Internal-order txid. */
export function txidOf(tx: OneInputTx): Uint8Array {
  return sha256(sha256(serializeBase(tx)));
}

/** Display-order hex of an internal-order hash. */
export function toDisplayHex(h: Uint8Array): string {
  let s = '';
  for (let i = h.length - 1; i >= 0; i--) s += (h[i] as number).toString(16).padStart(2, '0');
  return s;
}

/** Internal-order bytes of a display-order hex txid. */
export function fromDisplayHex(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error('expected 64 hex characters');
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[31 - i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

import { taggedHash } from '@superscalar/musig2';

/**
 * BIP341 signature message hash, `SIGHASH_DEFAULT`, for the single input of `tx`: key path when
 * `leafHash` is absent, script path (ext_flag 1, key_version 0, codesep 0xFFFFFFFF) otherwise.
 */
export function taprootSighashOneInput(tx: OneInputTx, spent: TxOut, leafHash?: Uint8Array): Uint8Array {
  const prevout = new Writer(36);
  prevout.bytes(tx.prevTxid);
  prevout.u32(tx.vout);
  const amt = new Writer(8);
  amt.u64(spent.value);
  const spk = new Writer(varintLen(spent.script.length) + spent.script.length);
  spk.varbytes(spent.script);
  const seq = new Writer(4);
  seq.u32(tx.sequence);
  const outs = new Writer(outputsLen(tx.outputs));
  writeOutputs(outs, tx.outputs);
  const shaOutputs = sha256(outs.buf.subarray(varintLen(tx.outputs.length)));
  const m = new Writer(1 + 1 + 4 + 4 + 32 * 5 + 1 + 4 + (leafHash ? 37 : 0));
  m.u8(0); // epoch
  m.u8(0); // hash_type SIGHASH_DEFAULT
  m.u32(tx.version);
  m.u32(tx.locktime);
  m.bytes(sha256(prevout.buf));
  m.bytes(sha256(amt.buf));
  m.bytes(sha256(spk.buf));
  m.bytes(sha256(seq.buf));
  m.bytes(shaOutputs);
  m.u8(leafHash ? 2 : 0); // spend_type = ext_flag * 2 (no annex)
  m.u32(0); // input index
  if (leafHash) {
    m.bytes(leafHash);
    m.u8(0); // key_version
    m.u32(0xffffffff); // codesep_pos
  }
  return taggedHash('TapSighash', m.buf);
}

// --- scripts ---

export const OP_0 = 0x00;
export const OP_1 = 0x51;
export const OP_DROP = 0x75;
export const OP_EQUALVERIFY = 0x88;
export const OP_SIZE = 0x82;
export const OP_SHA256 = 0xa8;
export const OP_CHECKSIG = 0xac;
export const OP_CHECKLOCKTIMEVERIFY = 0xb1;
export const OP_CHECKSEQUENCEVERIFY = 0xb2;

/** Minimal push of a non-negative script number (CScriptNum, minimal encoding). */
export function pushNum(n: number): Uint8Array {
  if (n === 0) return Uint8Array.of(OP_0);
  if (n >= 1 && n <= 16) return Uint8Array.of(0x50 + n);
  const bytes: number[] = [];
  let v = n;
  while (v > 0) {
    bytes.push(v & 0xff);
    v = Math.floor(v / 256);
  }
  if (((bytes[bytes.length - 1] as number) & 0x80) !== 0) bytes.push(0);
  return Uint8Array.of(bytes.length, ...bytes);
}

/** Direct push of up to 75 bytes. */
export function pushData(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length + 1);
  out[0] = b.length;
  out.set(b, 1);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The P2A anchor scriptPubKey `OP_1 <0x4e73>`. */
export const P2A_SCRIPT = Uint8Array.of(0x51, 0x02, 0x4e, 0x73);

/** P2TR scriptPubKey `OP_1 <32-byte x-only key>`. */
export function p2trScript(xonly: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(OP_1, 0x20), xonly);
}

/** BIP341 TapLeaf hash, leaf version 0xc0. */
export function tapLeafHash(script: Uint8Array): Uint8Array {
  const len = new Writer(varintLen(script.length));
  len.varint(script.length);
  return taggedHash('TapLeaf', Uint8Array.of(0xc0), len.buf, script);
}

/** BIP341 TapBranch of two hashes (sorted). */
export function tapBranchHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  for (let i = 0; i < 32; i++) {
    if (a[i] !== b[i])
      return (a[i] as number) < (b[i] as number)
        ? taggedHash('TapBranch', a, b)
        : taggedHash('TapBranch', b, a);
  }
  return taggedHash('TapBranch', a, b);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** A decoded one-input segwit transaction: the unsigned part and the input's witness stack. */
export interface DecodedOneInputTx {
  readonly tx: OneInputTx;
  readonly witness: readonly Uint8Array[];
}

/**
 * Strict decoder of a one-input segwit transaction with an empty scriptSig (every transaction this
 * package builds): returns undefined for anything else (no witness, several inputs, a scriptSig,
 * truncated or trailing bytes, non-minimal varints). Never throws, never allocates from an unchecked
 * length.
 */
export function decodeOneInputTx(b: Uint8Array): DecodedOneInputTx | undefined {
  let o = 0;
  const need = (n: number) => o + n <= b.length;
  const u8 = () => (need(1) ? (b[o++] as number) : -1);
  const u32 = (): number => {
    if (!need(4)) return -1;
    const v =
      ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16)) +
      (b[o + 3] as number) * 2 ** 24;
    o += 4;
    return v;
  };
  const varint = (): number => {
    const f = u8();
    if (f < 0xfd) return f;
    if (f === 0xfd) {
      if (!need(2)) return -1;
      const v = (b[o] as number) | ((b[o + 1] as number) << 8);
      o += 2;
      return v < 0xfd ? -1 : v;
    }
    if (f === 0xfe) {
      const v = u32();
      return v <= 0xffff ? -1 : v;
    }
    return -1;
  };
  const bytes = (n: number): Uint8Array | undefined => {
    if (n < 0 || !need(n)) return undefined;
    const r = b.slice(o, o + n);
    o += n;
    return r;
  };
  const version = u32();
  if (version < 0 || u8() !== 0 || u8() !== 1 || varint() !== 1) return undefined;
  const prevTxid = bytes(32);
  const vout = u32();
  if (prevTxid === undefined || vout < 0 || varint() !== 0) return undefined;
  const sequence = u32();
  const nOut = varint();
  if (sequence < 0 || nOut < 0 || nOut > b.length) return undefined;
  const outputs: TxOut[] = [];
  for (let i = 0; i < nOut; i++) {
    const lo = u32();
    const hi = u32();
    const len = varint();
    if (lo < 0 || hi < 0 || len < 0) return undefined;
    const script = bytes(len);
    if (script === undefined) return undefined;
    outputs.push({ value: (BigInt(hi) << 32n) | BigInt(lo), script });
  }
  const nWit = varint();
  if (nWit < 1 || nWit > b.length) return undefined;
  const witness: Uint8Array[] = [];
  for (let i = 0; i < nWit; i++) {
    const item = bytes(varint());
    if (item === undefined) return undefined;
    witness.push(item);
  }
  const locktime = u32();
  if (locktime < 0 || o !== b.length) return undefined;
  return { tx: { version, locktime, prevTxid, vout, sequence, outputs }, witness };
}
