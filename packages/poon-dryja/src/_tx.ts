// Internal: the transaction codec and BIP341 sighash the channel's transactions need (any number of
// inputs, SIGHASH_DEFAULT only). Own code; the tests check every transaction against
// @superscalar/chain's independent codec, sighash and script interpreter.
import { sha256 } from '@noble/hashes/sha2.js';
import { taggedHash } from '@superscalar/musig2';

/** A transaction output. */
export interface TxOut {
  /** Amount in sats. */
  readonly value: bigint;
  /** scriptPubKey. */
  readonly script: Uint8Array;
}

/** A transaction input (no scriptSig: every input here is segwit v1). */
export interface TxIn {
  /** The spent transaction's id, internal byte order. */
  readonly prevTxid: Uint8Array;
  /** The spent output's index. */
  readonly vout: number;
  /** nSequence. */
  readonly sequence: number;
}

/** An unsigned transaction. */
export interface UnsignedTx {
  /** nVersion (3 for every transaction of this package). */
  readonly version: number;
  /** nLockTime. */
  readonly locktime: number;
  /** Inputs. */
  readonly inputs: readonly TxIn[];
  /** Outputs. */
  readonly outputs: readonly TxOut[];
}

export function varintLen(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

class Writer {
  readonly buf: Uint8Array;
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

function outputsLen(outputs: readonly TxOut[]): number {
  let n = 0;
  for (const o of outputs) n += 8 + varintLen(o.script.length) + o.script.length;
  return n;
}

function writeOutputs(w: Writer, outputs: readonly TxOut[]) {
  for (const o of outputs) {
    w.u64(o.value);
    w.varbytes(o.script);
  }
}

function witnessLen(stack: readonly Uint8Array[]): number {
  let n = varintLen(stack.length);
  for (const item of stack) n += varintLen(item.length) + item.length;
  return n;
}

/** Serialises without witness (the txid preimage). */
export function serializeBase(tx: UnsignedTx): Uint8Array {
  const size =
    4 +
    varintLen(tx.inputs.length) +
    41 * tx.inputs.length +
    varintLen(tx.outputs.length) +
    outputsLen(tx.outputs) +
    4;
  const w = new Writer(size);
  w.u32(tx.version);
  w.varint(tx.inputs.length);
  for (const i of tx.inputs) {
    w.bytes(i.prevTxid);
    w.u32(i.vout);
    w.varint(0);
    w.u32(i.sequence);
  }
  w.varint(tx.outputs.length);
  writeOutputs(w, tx.outputs);
  w.u32(tx.locktime);
  return w.buf;
}

/** Serialises with one witness stack per input (segwit marker and flag). */
export function serializeWitness(tx: UnsignedTx, witnesses: readonly (readonly Uint8Array[])[]): Uint8Array {
  if (witnesses.length !== tx.inputs.length) throw new Error('one witness stack per input');
  let wl = 0;
  for (const s of witnesses) wl += witnessLen(s);
  const base = serializeBase(tx);
  const w = new Writer(base.length + 2 + wl);
  // version, marker, flag, then the base body without its version and locktime, witnesses, locktime
  w.bytes(base.subarray(0, 4));
  w.u8(0);
  w.u8(1);
  w.bytes(base.subarray(4, base.length - 4));
  for (const s of witnesses) {
    w.varint(s.length);
    for (const item of s) w.varbytes(item);
  }
  w.bytes(base.subarray(base.length - 4));
  return w.buf;
}

/** BIP141 virtual size with the given witnesses: `ceil(weight / 4)`. */
export function vsizeWith(tx: UnsignedTx, witnesses: readonly (readonly Uint8Array[])[]): number {
  const base = serializeBase(tx).length;
  let wl = 2;
  for (const s of witnesses) wl += witnessLen(s);
  return Math.ceil((base * 4 + wl) / 4);
}

/** Internal-order txid. */
export function txidOf(tx: UnsignedTx): Uint8Array {
  return sha256(sha256(serializeBase(tx)));
}

/** Display-order hex of an internal-order hash. */
export function toDisplayHex(h: Uint8Array): string {
  let s = '';
  for (let i = h.length - 1; i >= 0; i--) s += (h[i] as number).toString(16).padStart(2, '0');
  return s;
}

/** Internal-order bytes of a display-order hex txid, or undefined when it is not 64 hex characters. */
export function fromDisplayHex(hex: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return undefined;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[31 - i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * BIP341 `SIGHASH_DEFAULT` signature messages of one transaction: the per-transaction hashes are
 * computed once, so a 170-input penalty costs one pass over its inputs, not 170.
 */
export class TaprootSighasher {
  readonly #tx: UnsignedTx;
  readonly #common: Uint8Array;

  /** `spent[i]` is the output input `i` spends (amount and scriptPubKey). */
  constructor(tx: UnsignedTx, spent: readonly TxOut[]) {
    if (spent.length !== tx.inputs.length) throw new Error('one spent output per input');
    this.#tx = tx;
    const n = tx.inputs.length;
    const prevouts = new Writer(36 * n);
    const amounts = new Writer(8 * n);
    let spkLen = 0;
    for (const s of spent) spkLen += varintLen(s.script.length) + s.script.length;
    const spks = new Writer(spkLen);
    const seqs = new Writer(4 * n);
    tx.inputs.forEach((input, i) => {
      prevouts.bytes(input.prevTxid);
      prevouts.u32(input.vout);
      const s = spent[i] as TxOut;
      amounts.u64(s.value);
      spks.varbytes(s.script);
      seqs.u32(input.sequence);
    });
    const outs = new Writer(outputsLen(tx.outputs));
    writeOutputs(outs, tx.outputs);
    const w = new Writer(1 + 1 + 4 + 4 + 32 * 5);
    w.u8(0); // epoch
    w.u8(0); // hash_type: SIGHASH_DEFAULT
    w.u32(tx.version);
    w.u32(tx.locktime);
    w.bytes(sha256(prevouts.buf));
    w.bytes(sha256(amounts.buf));
    w.bytes(sha256(spks.buf));
    w.bytes(sha256(seqs.buf));
    w.bytes(sha256(outs.buf));
    this.#common = w.buf;
  }

  /** The message of input `index`: key path without `leafHash`, script path (ext_flag 1) with it. */
  sighash(index: number, leafHash?: Uint8Array): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.#tx.inputs.length)
      throw new Error('input index out of range');
    const w = new Writer(this.#common.length + 1 + 4 + (leafHash ? 37 : 0));
    w.bytes(this.#common);
    w.u8(leafHash ? 2 : 0); // spend_type = ext_flag · 2, no annex
    w.u32(index);
    if (leafHash) {
      w.bytes(leafHash);
      w.u8(0); // key_version
      w.u32(0xffffffff); // codesep_pos: no OP_CODESEPARATOR executed
    }
    return taggedHash('TapSighash', w.buf);
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
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

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte comparison (BIP69 orders scriptPubKeys this way). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** A decoded transaction: the unsigned form plus one witness stack per input. */
export interface DecodedTx extends UnsignedTx {
  /** One stack per input (empty stacks when the transaction has no witness). */
  readonly witnesses: readonly (readonly Uint8Array[])[];
}

/**
 * Decodes a serialised transaction (with or without witness). Strict: no scriptSig, no trailing
 * bytes. Returns undefined for anything else (the caller names the argument in its error).
 */
export function decodeTx(bytes: Uint8Array): DecodedTx | undefined {
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new RangeError('truncated');
  };
  const u8 = () => {
    need(1);
    return bytes[pos++] as number;
  };
  const u32 = () => {
    need(4);
    const v =
      ((bytes[pos] as number) |
        ((bytes[pos + 1] as number) << 8) |
        ((bytes[pos + 2] as number) << 16) |
        ((bytes[pos + 3] as number) << 24)) >>>
      0;
    pos += 4;
    return v;
  };
  const u64 = () => {
    const lo = BigInt(u32());
    const hi = BigInt(u32());
    return (hi << 32n) | lo;
  };
  const varint = () => {
    const b = u8();
    if (b < 0xfd) return b;
    if (b === 0xfd) {
      const v = u8() | (u8() << 8);
      if (v < 0xfd) throw new RangeError('non-canonical varint');
      return v;
    }
    if (b === 0xfe) {
      const v = u32();
      if (v <= 0xffff) throw new RangeError('non-canonical varint');
      return v;
    }
    throw new RangeError('varint too large');
  };
  const take = (n: number) => {
    need(n);
    const out = bytes.slice(pos, pos + n);
    pos += n;
    return out;
  };
  try {
    const version = u32();
    let segwit = false;
    if (bytes[pos] === 0 && bytes[pos + 1] === 1) {
      segwit = true;
      pos += 2;
    }
    const nIn = varint();
    if (nIn === 0 || nIn > 100_000) return undefined;
    const inputs: TxIn[] = [];
    for (let i = 0; i < nIn; i++) {
      const prevTxid = take(32);
      const vout = u32();
      if (varint() !== 0) return undefined; // a scriptSig: never ours
      inputs.push({ prevTxid, vout, sequence: u32() });
    }
    const nOut = varint();
    if (nOut > 100_000) return undefined;
    const outputs: TxOut[] = [];
    for (let i = 0; i < nOut; i++) {
      const value = u64();
      outputs.push({ value, script: take(varint()) });
    }
    const witnesses: Uint8Array[][] = inputs.map(() => []);
    if (segwit) {
      for (const stack of witnesses) {
        const items = varint();
        for (let j = 0; j < items; j++) stack.push(take(varint()));
      }
    }
    const locktime = u32();
    if (pos !== bytes.length) return undefined;
    return { version, locktime, inputs, outputs, witnesses };
  } catch {
    return undefined;
  }
}
