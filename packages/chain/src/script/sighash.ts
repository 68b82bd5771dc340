/**
 * Signature hashes, computed independently of any transaction builder:
 * - legacy (Core's `SignatureHash` for SigVersion::BASE, with OP_CODESEPARATOR removal and the
 *   SIGHASH_SINGLE "one" bug),
 * - BIP143 (witness v0),
 * - BIP341/BIP342 (taproot key path and tapscript, annex, code-separator position).
 * {@link SighashCache} holds the per-transaction hashes BIP143 and BIP341 share across inputs, so
 * verifying many inputs of one transaction hashes the transaction once.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { InvalidArgumentError } from '../errors.js';
import { compactSizeLength, Writer } from '../tx/_bytes.js';
import type { Tx, TxOut } from '../tx/transaction.js';
import { OP } from './opcodes.js';
import { OpReader } from './script.js';
import { SIGHASH } from './signatureEncoding.js';
import { taggedHash } from './taproot.js';

const sha256d = (b: Uint8Array): Uint8Array => sha256(sha256(b));

/** Per-transaction hashes shared by every input's BIP143/BIP341 sighash, computed on first use. */
export class SighashCache {
  private _prevouts?: Uint8Array;
  private _sequences?: Uint8Array;
  private _outputs?: Uint8Array;
  private _amounts?: Uint8Array;
  private _scripts?: Uint8Array;

  /**
   * @param tx the spending transaction.
   * @param spentOutputs the outputs its inputs spend, one per input, in order (needed for BIP341).
   */
  constructor(
    readonly tx: Tx,
    readonly spentOutputs?: readonly TxOut[],
  ) {}

  /** SHA256 of all outpoints (BIP341 sha_prevouts; BIP143 hashes it once more). */
  get prevouts(): Uint8Array {
    if (!this._prevouts) {
      const w = new Writer(36 * this.tx.inputs.length);
      for (const i of this.tx.inputs) w.bytes(i.prevTxid).u32(i.vout);
      this._prevouts = sha256(w.finish());
    }
    return this._prevouts;
  }

  /** SHA256 of all nSequence values. */
  get sequences(): Uint8Array {
    if (!this._sequences) {
      const w = new Writer(4 * this.tx.inputs.length);
      for (const i of this.tx.inputs) w.u32(i.sequence);
      this._sequences = sha256(w.finish());
    }
    return this._sequences;
  }

  /** SHA256 of all outputs. */
  get outputs(): Uint8Array {
    if (!this._outputs) {
      const w = new Writer();
      for (const o of this.tx.outputs) w.i64(o.value).varBytes(o.script);
      this._outputs = sha256(w.finish());
    }
    return this._outputs;
  }

  private spent(): readonly TxOut[] {
    const s = this.spentOutputs;
    if (!s || s.length !== this.tx.inputs.length)
      throw new InvalidArgumentError('spentOutputs', 'BIP341 sighash needs the spent output of every input');
    return s;
  }

  /** SHA256 of all spent amounts (BIP341 sha_amounts). */
  get amounts(): Uint8Array {
    if (!this._amounts) {
      const w = new Writer(8 * this.tx.inputs.length);
      for (const o of this.spent()) w.i64(o.value);
      this._amounts = sha256(w.finish());
    }
    return this._amounts;
  }

  /** SHA256 of all spent scriptPubKeys, each with its CompactSize length (BIP341 sha_scriptpubkeys). */
  get scriptPubKeys(): Uint8Array {
    if (!this._scripts) {
      const w = new Writer();
      for (const o of this.spent()) w.varBytes(o.script);
      this._scripts = sha256(w.finish());
    }
    return this._scripts;
  }
}

/** The script code with every OP_CODESEPARATOR removed, as Core serialises it (stops at a bad push). */
function stripCodeSeparators(script: Uint8Array): { bytes: Uint8Array; declaredLength: number } {
  const r = new OpReader(script);
  let separators = 0;
  while (r.next()) if (r.opcode === OP.OP_CODESEPARATOR) separators++;
  if (separators === 0) return { bytes: script, declaredLength: script.length };
  const parts: Uint8Array[] = [];
  const r2 = new OpReader(script);
  let begin = 0;
  while (r2.next()) {
    if (r2.opcode === OP.OP_CODESEPARATOR) {
      parts.push(script.subarray(begin, r2.pos - 1));
      begin = r2.pos;
    }
  }
  if (begin !== script.length) parts.push(script.subarray(begin, r2.pos));
  let n = 0;
  for (const p of parts) n += p.length;
  const bytes = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return { bytes, declaredLength: script.length - separators };
}

/**
 * Legacy (pre-segwit) signature hash. `hashType` is the full 32-bit value Core serialises (a
 * signature's last byte in practice). Returns Core's `uint256::ONE` for SIGHASH_SINGLE without a
 * matching output.
 */
export function legacySighash(
  tx: Tx,
  inputIndex: number,
  scriptCode: Uint8Array,
  hashType: number,
): Uint8Array {
  const base = hashType & 0x1f;
  const anyoneCanPay = (hashType & SIGHASH.ANYONECANPAY) !== 0;
  const single = base === SIGHASH.SINGLE;
  const none = base === SIGHASH.NONE;
  if (single && inputIndex >= tx.outputs.length) {
    const one = new Uint8Array(32);
    one[0] = 1;
    return one;
  }
  const code = stripCodeSeparators(scriptCode);
  const w = new Writer(256 + scriptCode.length);
  w.u32(tx.version);
  const inputs = anyoneCanPay ? [inputIndex] : tx.inputs.map((_, k) => k);
  w.compactSize(inputs.length);
  for (const k of inputs) {
    const input = tx.inputs[k]!;
    w.bytes(input.prevTxid).u32(input.vout);
    if (k === inputIndex) w.compactSize(code.declaredLength).bytes(code.bytes);
    else w.compactSize(0);
    w.u32(k !== inputIndex && (single || none) ? 0 : input.sequence);
  }
  const nOutputs = none ? 0 : single ? inputIndex + 1 : tx.outputs.length;
  w.compactSize(nOutputs);
  for (let k = 0; k < nOutputs; k++) {
    if (single && k !== inputIndex) w.i64(-1n).compactSize(0);
    else w.i64(tx.outputs[k]!.value).varBytes(tx.outputs[k]!.script);
  }
  w.u32(tx.locktime);
  w.u32(hashType >>> 0);
  return sha256d(w.finish());
}

const ZERO32: Uint8Array = new Uint8Array(32);

/** BIP143 signature hash for witness v0 inputs; `amount` is the spent output's value. */
export function segwitV0Sighash(
  tx: Tx,
  inputIndex: number,
  scriptCode: Uint8Array,
  amount: bigint,
  hashType: number,
  cache: SighashCache = new SighashCache(tx),
): Uint8Array {
  const base = hashType & 0x1f;
  const anyoneCanPay = (hashType & SIGHASH.ANYONECANPAY) !== 0;
  const hashPrevouts = anyoneCanPay ? ZERO32 : sha256(cache.prevouts);
  const hashSequence =
    anyoneCanPay || base === SIGHASH.SINGLE || base === SIGHASH.NONE ? ZERO32 : sha256(cache.sequences);
  let hashOutputs: Uint8Array = ZERO32;
  if (base !== SIGHASH.SINGLE && base !== SIGHASH.NONE) hashOutputs = sha256(cache.outputs);
  else if (base === SIGHASH.SINGLE && inputIndex < tx.outputs.length) {
    const o = tx.outputs[inputIndex]!;
    hashOutputs = sha256d(new Writer(9 + o.script.length).i64(o.value).varBytes(o.script).finish());
  }
  const input = tx.inputs[inputIndex]!;
  const w = new Writer(160 + scriptCode.length + compactSizeLength(scriptCode.length));
  w.u32(tx.version).bytes(hashPrevouts).bytes(hashSequence);
  w.bytes(input.prevTxid).u32(input.vout);
  w.varBytes(scriptCode).i64(amount).u32(input.sequence);
  w.bytes(hashOutputs)
    .u32(tx.locktime)
    .u32(hashType >>> 0);
  return sha256d(w.finish());
}

/** Extra inputs of a BIP341 sighash. */
export interface TaprootSighashOptions {
  /** The annex (whole last witness item, starting with 0x50) when present. */
  annex?: Uint8Array;
  /** For BIP342 script-path signatures: the executed leaf's hash (ext_flag 1). */
  leafHash?: Uint8Array;
  /** Position of the last executed OP_CODESEPARATOR (opcode index), 0xffffffff if none (the default). */
  codeSeparatorPos?: number;
  /** Precomputed transaction hashes; build one per transaction to share them across inputs. */
  cache?: SighashCache;
}

/**
 * BIP341 signature hash: `TapSighash` tagged hash of {@link taprootSigMsg}'s message.
 * Returns `undefined` where Core's `SignatureHashSchnorr` fails: an undefined hash type, or
 * SIGHASH_SINGLE without an output at the input's index.
 */
export function taprootSighash(
  tx: Tx,
  inputIndex: number,
  spentOutputs: readonly TxOut[],
  hashType: number,
  options: TaprootSighashOptions = {},
): Uint8Array | undefined {
  const msg = taprootSigMsg(tx, inputIndex, spentOutputs, hashType, options);
  return msg && taggedHash('TapSighash', msg);
}

/**
 * BIP341 `SigMsg(hash_type, ext_flag)` (epoch byte included), with BIP342's extension when
 * `leafHash` is given; `undefined` for an undefined hash type or SIGHASH_SINGLE without an output.
 */
export function taprootSigMsg(
  tx: Tx,
  inputIndex: number,
  spentOutputs: readonly TxOut[],
  hashType: number,
  options: TaprootSighashOptions = {},
): Uint8Array | undefined {
  if (!(hashType <= 0x03 || (hashType >= 0x81 && hashType <= 0x83))) return undefined;
  const cache = options.cache ?? new SighashCache(tx, spentOutputs);
  const outputType = hashType === SIGHASH.DEFAULT ? SIGHASH.ALL : hashType & 0x03;
  const anyoneCanPay = (hashType & SIGHASH.ANYONECANPAY) !== 0;
  if (outputType === SIGHASH.SINGLE && inputIndex >= tx.outputs.length) return undefined;
  const w = new Writer(256);
  w.u8(0); // epoch
  w.u8(hashType);
  w.u32(tx.version).u32(tx.locktime);
  if (!anyoneCanPay) {
    w.bytes(cache.prevouts).bytes(cache.amounts).bytes(cache.scriptPubKeys).bytes(cache.sequences);
  }
  if (outputType === SIGHASH.ALL) w.bytes(cache.outputs);
  const extFlag = options.leafHash ? 1 : 0;
  w.u8(extFlag * 2 + (options.annex ? 1 : 0));
  if (anyoneCanPay) {
    const input = tx.inputs[inputIndex]!;
    const spent = spentOutputs[inputIndex]!;
    w.bytes(input.prevTxid).u32(input.vout).i64(spent.value).varBytes(spent.script).u32(input.sequence);
  } else {
    w.u32(inputIndex);
  }
  if (options.annex) {
    w.bytes(sha256(new Writer(options.annex.length + 5).varBytes(options.annex).finish()));
  }
  if (outputType === SIGHASH.SINGLE) {
    const o = tx.outputs[inputIndex]!;
    w.bytes(sha256(new Writer(9 + o.script.length).i64(o.value).varBytes(o.script).finish()));
  }
  if (options.leafHash) {
    w.bytes(options.leafHash).u8(0); // key_version 0
    w.u32(options.codeSeparatorPos ?? 0xffffffff);
  }
  return w.finish();
}
