// Internal: what the §6 spends need beyond `_tx.ts` — a multi-input codec and BIP341 key-path sighash
// (for the CPFP child: the P2A anchor plus a fee coin), BIP86 single-key signing, and BIP68 helpers.
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  bytesToInt,
  hasEvenY,
  modN,
  mulG,
  n as ORDER,
  scalarToBytes,
  taggedHash,
  xbytes,
} from '@superscalar/musig2';
import type { TxOut } from './_tx.js';

/** An input of a multi-input transaction (txid in internal byte order). */
export interface SpendInput {
  readonly prevTxid: Uint8Array;
  readonly vout: number;
  readonly sequence: number;
}

/** A transaction with several inputs and no scriptSigs (every input is segwit). */
export interface MultiInputTx {
  readonly version: number;
  readonly locktime: number;
  readonly inputs: readonly SpendInput[];
  readonly outputs: readonly TxOut[];
}

function varint(n: number): number[] {
  if (n < 0xfd) return [n];
  if (n <= 0xffff) return [0xfd, n & 0xff, n >>> 8];
  return [0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
}

class Bytes {
  readonly parts: number[] = [];
  u32(x: number) {
    this.parts.push(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff);
  }
  u64(x: bigint) {
    this.u32(Number(x & 0xffffffffn));
    this.u32(Number((x >> 32n) & 0xffffffffn));
  }
  raw(b: Uint8Array | readonly number[]) {
    for (const x of b) this.parts.push(x);
  }
  vbytes(b: Uint8Array) {
    this.raw(varint(b.length));
    this.raw(b);
  }
  out(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function writeOutputs(w: Bytes, outputs: readonly TxOut[]) {
  w.raw(varint(outputs.length));
  for (const o of outputs) {
    w.u64(o.value);
    w.vbytes(o.script);
  }
}

/** Serialises without witnesses (the txid preimage). */
export function serializeMultiBase(tx: MultiInputTx): Uint8Array {
  const w = new Bytes();
  w.u32(tx.version);
  w.raw(varint(tx.inputs.length));
  for (const i of tx.inputs) {
    w.raw(i.prevTxid);
    w.u32(i.vout);
    w.raw([0]);
    w.u32(i.sequence);
  }
  writeOutputs(w, tx.outputs);
  w.u32(tx.locktime);
  return w.out();
}

/** Serialises with one witness stack per input (an empty stack for a P2A input). */
export function serializeMultiWitness(
  tx: MultiInputTx,
  witnesses: readonly (readonly Uint8Array[])[],
): Uint8Array {
  const w = new Bytes();
  w.u32(tx.version);
  w.raw([0, 1]);
  w.raw(varint(tx.inputs.length));
  for (const i of tx.inputs) {
    w.raw(i.prevTxid);
    w.u32(i.vout);
    w.raw([0]);
    w.u32(i.sequence);
  }
  writeOutputs(w, tx.outputs);
  for (const stack of witnesses) {
    w.raw(varint(stack.length));
    for (const item of stack) w.vbytes(item);
  }
  w.u32(tx.locktime);
  return w.out();
}

/** BIP141 virtual size with the given witnesses. */
export function multiVsize(tx: MultiInputTx, witnesses: readonly (readonly Uint8Array[])[]): number {
  const base = serializeMultiBase(tx).length;
  const total = serializeMultiWitness(tx, witnesses).length;
  return Math.ceil((base * 3 + total) / 4);
}

/** Internal-order txid. */
export function multiTxid(tx: MultiInputTx): Uint8Array {
  return sha256(sha256(serializeMultiBase(tx)));
}

/**
 * BIP341 signature message hash, `SIGHASH_DEFAULT`, key path (ext_flag 0, no annex), for input
 * `index`; `spent` holds the output spent by every input, in input order.
 */
export function taprootKeyPathSighash(tx: MultiInputTx, spent: readonly TxOut[], index: number): Uint8Array {
  const prevouts = new Bytes();
  const amounts = new Bytes();
  const scripts = new Bytes();
  const sequences = new Bytes();
  tx.inputs.forEach((i, k) => {
    prevouts.raw(i.prevTxid);
    prevouts.u32(i.vout);
    amounts.u64((spent[k] as TxOut).value);
    scripts.vbytes((spent[k] as TxOut).script);
    sequences.u32(i.sequence);
  });
  const outs = new Bytes();
  for (const o of tx.outputs) {
    outs.u64(o.value);
    outs.vbytes(o.script);
  }
  const m = new Bytes();
  m.raw([0, 0]); // epoch, hash_type SIGHASH_DEFAULT
  m.u32(tx.version);
  m.u32(tx.locktime);
  m.raw(sha256(prevouts.out()));
  m.raw(sha256(amounts.out()));
  m.raw(sha256(scripts.out()));
  m.raw(sha256(sequences.out()));
  m.raw(sha256(outs.out()));
  m.raw([0]); // spend_type: key path, no annex
  m.u32(index);
  return taggedHash('TapSighash', m.out());
}

/** x-only BIP86 output key of a single secret key: `P + TapTweak(xonly(P))·G`. */
export function bip86OutputKey(secretKey: Uint8Array): Uint8Array {
  return xbytes(mulG(bip86TweakedScalar(secretKey)));
}

function bip86TweakedScalar(secretKey: Uint8Array): bigint {
  const d0 = bytesToInt(secretKey);
  if (d0 <= 0n || d0 >= ORDER) throw new RangeError('secret key out of range');
  const P = mulG(d0);
  const d = hasEvenY(P) ? d0 : ORDER - d0;
  const t = bytesToInt(taggedHash('TapTweak', xbytes(P)));
  if (t >= ORDER) throw new RangeError('tweak out of range');
  return modN(d + t);
}

/** BIP340 signature by the BIP86-tweaked key of `secretKey` (a key-path spend of its BIP86 output). */
export function signBip86(sighash: Uint8Array, secretKey: Uint8Array, auxRand?: Uint8Array): Uint8Array {
  return schnorr.sign(sighash, scalarToBytes(bip86TweakedScalar(secretKey)), auxRand);
}

/** BIP340 signature by an untweaked key (a tapscript `<key> OP_CHECKSIG`). */
export function signPlain(sighash: Uint8Array, secretKey: Uint8Array, auxRand?: Uint8Array): Uint8Array {
  return schnorr.sign(sighash, secretKey, auxRand);
}

/** BIP68: the block-based relative lock of an nSequence, or 0 when disabled (bit 31) or time-based. */
export function relativeLockBlocks(sequence: number): number {
  if ((sequence & 0x80000000) !== 0) return 0;
  if ((sequence & 0x00400000) !== 0) return 0;
  return sequence & 0xffff;
}
