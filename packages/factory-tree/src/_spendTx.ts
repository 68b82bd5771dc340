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
import { outputsLen, type TxOut, varintLen, Writer, writeOutputs } from './_tx.js';

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

function inputsLen(inputs: readonly SpendInput[]): number {
  return varintLen(inputs.length) + inputs.length * 41;
}

function writeInputs(w: Writer, inputs: readonly SpendInput[]) {
  w.varint(inputs.length);
  for (const i of inputs) {
    w.bytes(i.prevTxid);
    w.u32(i.vout);
    w.u8(0); // empty scriptSig
    w.u32(i.sequence);
  }
}

/** Serialises without witnesses (the txid preimage). */
export function serializeMultiBase(tx: MultiInputTx): Uint8Array {
  const w = new Writer(4 + inputsLen(tx.inputs) + outputsLen(tx.outputs) + 4);
  w.u32(tx.version);
  writeInputs(w, tx.inputs);
  writeOutputs(w, tx.outputs);
  w.u32(tx.locktime);
  return w.buf;
}

/** Serialises with one witness stack per input (an empty stack for a P2A input). */
export function serializeMultiWitness(
  tx: MultiInputTx,
  witnesses: readonly (readonly Uint8Array[])[],
): Uint8Array {
  let witnessLen = 0;
  for (const stack of witnesses) {
    witnessLen += varintLen(stack.length);
    for (const item of stack) witnessLen += varintLen(item.length) + item.length;
  }
  const w = new Writer(4 + 2 + inputsLen(tx.inputs) + outputsLen(tx.outputs) + witnessLen + 4);
  w.u32(tx.version);
  w.u8(0); // segwit marker
  w.u8(1); // flag
  writeInputs(w, tx.inputs);
  writeOutputs(w, tx.outputs);
  for (const stack of witnesses) {
    w.varint(stack.length);
    for (const item of stack) w.varbytes(item);
  }
  w.u32(tx.locktime);
  return w.buf;
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
  const count = tx.inputs.length;
  let scriptsLen = 0;
  for (let k = 0; k < count; k++) {
    const script = (spent[k] as TxOut).script;
    scriptsLen += varintLen(script.length) + script.length;
  }
  const prevouts = new Writer(36 * count);
  const amounts = new Writer(8 * count);
  const scripts = new Writer(scriptsLen);
  const sequences = new Writer(4 * count);
  tx.inputs.forEach((i, k) => {
    prevouts.bytes(i.prevTxid);
    prevouts.u32(i.vout);
    amounts.u64((spent[k] as TxOut).value);
    scripts.varbytes((spent[k] as TxOut).script);
    sequences.u32(i.sequence);
  });
  const outs = new Writer(outputsLen(tx.outputs));
  writeOutputs(outs, tx.outputs);
  const m = new Writer(1 + 1 + 4 + 4 + 32 * 5 + 1 + 4);
  m.u8(0); // epoch
  m.u8(0); // hash_type SIGHASH_DEFAULT
  m.u32(tx.version);
  m.u32(tx.locktime);
  m.bytes(sha256(prevouts.buf));
  m.bytes(sha256(amounts.buf));
  m.bytes(sha256(scripts.buf));
  m.bytes(sha256(sequences.buf));
  m.bytes(sha256(outs.buf.subarray(varintLen(tx.outputs.length)))); // sha_outputs excludes the count
  m.u8(0); // spend_type: key path, no annex
  m.u32(index);
  return taggedHash('TapSighash', m.buf);
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
