/**
 * BIP341 signature messages ("SigMsg") and their `TapSighash` hashes for every input of one
 * transaction, key path and script path (tapscript, BIP342), every hash type:
 * `SIGHASH_DEFAULT`, `ALL`, `NONE`, `SINGLE`, each `| ANYONECANPAY`, with or without an annex.
 *
 * "If hash_type & 0x80 does not equal SIGHASH_ANYONECANPAY": sha_prevouts, sha_amounts,
 * sha_scriptpubkeys and sha_sequences; "if hash_type & 3 does not equal SIGHASH_NONE or
 * SIGHASH_SINGLE": sha_outputs. {@link TaprootSighasher} computes each of these once per transaction,
 * on first use, so a 170-input penalty costs one pass over its inputs, not 170.
 *
 * Does not: compute legacy or segwit-v0 (BIP143) sighashes; the project spends only taproot outputs.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { taggedHash } from './_hash.js';
import { InvalidArgumentError } from './errors.js';
import { compactSizeLen, varBytesLen, Writer } from './io.js';
import { outputsLen, type Tx, type TxOut, writeOutputs } from './transaction.js';

/** BIP341 `SIGHASH_DEFAULT` (0x00): like `ALL`, with a 64-byte signature. */
export const SIGHASH_DEFAULT = 0x00;
/** `SIGHASH_ALL`. */
export const SIGHASH_ALL = 0x01;
/** `SIGHASH_NONE`. */
export const SIGHASH_NONE = 0x02;
/** `SIGHASH_SINGLE`. */
export const SIGHASH_SINGLE = 0x03;
/** `SIGHASH_ANYONECANPAY`, or-ed with `ALL`, `NONE` or `SINGLE`. */
export const SIGHASH_ANYONECANPAY = 0x80;

const VALID_TYPES = new Set([0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83]);

/** What selects one input's signature message beyond its index. */
export interface SighashOptions {
  /** The hash type (default {@link SIGHASH_DEFAULT}). */
  readonly hashType?: number;
  /** Script path: the TapLeaf hash of the executed leaf (BIP342 `ext_flag` 1). Absent: key path. */
  readonly leafHash?: Uint8Array;
  /** The annex (first byte 0x50), when the input's witness has one. */
  readonly annex?: Uint8Array;
  /** Script path: the opcode position of the last executed `OP_CODESEPARATOR` (default 0xFFFFFFFF: none). */
  readonly codeSeparatorPos?: number;
  /** Key version of the script path (default 0). */
  readonly keyVersion?: number;
}

/**
 * The BIP341 sighashes of one transaction. `prevouts[i]` is the output input `i` spends (amount and
 * scriptPubKey), as BIP341 commits to every spent output.
 *
 * The transaction and the prevouts are read at construction and on first use: do not mutate them.
 */
export class TaprootSighasher {
  readonly #tx: Tx;
  readonly #prevouts: readonly TxOut[];
  #shaPrevouts: Uint8Array | undefined;
  #shaAmounts: Uint8Array | undefined;
  #shaScriptPubkeys: Uint8Array | undefined;
  #shaSequences: Uint8Array | undefined;
  #shaOutputs: Uint8Array | undefined;

  /** @throws {InvalidArgumentError} unless there is one prevout per input. */
  constructor(tx: Tx, prevouts: readonly TxOut[]) {
    if (typeof tx !== 'object' || tx === null || !Array.isArray(tx.inputs) || !Array.isArray(tx.outputs))
      throw new InvalidArgumentError('tx', 'expected a Tx');
    if (!Array.isArray(prevouts) || prevouts.length !== tx.inputs.length)
      throw new InvalidArgumentError('prevouts', `expected one spent output per input (${tx.inputs.length})`);
    this.#tx = tx;
    this.#prevouts = prevouts;
  }

  #prevoutHashes(): void {
    const tx = this.#tx;
    const n = tx.inputs.length;
    const prevouts = new Writer(36 * n);
    const amounts = new Writer(8 * n);
    let spkLen = 0;
    for (const s of this.#prevouts) spkLen += varBytesLen(s.script);
    const spks = new Writer(spkLen);
    const seqs = new Writer(4 * n);
    for (let i = 0; i < n; i++) {
      const input = tx.inputs[i] as Tx['inputs'][number];
      const spent = this.#prevouts[i] as TxOut;
      prevouts.bytes(input.txidBytes);
      prevouts.u32(input.vout);
      amounts.u64(spent.value);
      spks.varBytes(spent.script);
      seqs.u32(input.sequence);
    }
    this.#shaPrevouts = sha256(prevouts.finish());
    this.#shaAmounts = sha256(amounts.finish());
    this.#shaScriptPubkeys = sha256(spks.finish());
    this.#shaSequences = sha256(seqs.finish());
  }

  #outputsHash(): Uint8Array {
    if (this.#shaOutputs === undefined) {
      const w = new Writer(outputsLen(this.#tx.outputs));
      writeOutputs(w, this.#tx.outputs, false);
      this.#shaOutputs = sha256(w.finish());
    }
    return this.#shaOutputs;
  }

  /**
   * The BIP341 signature message of input `index`, epoch byte `0x00` first: the bytes
   * {@link sighash} hashes with the `TapSighash` tag.
   *
   * @throws {InvalidArgumentError} an index out of range, an unknown hash type, `SIGHASH_SINGLE`
   * without a matching output, a leaf hash or annex of the wrong form.
   */
  sigMsg(index: number, options: SighashOptions = {}): Uint8Array {
    const tx = this.#tx;
    if (!Number.isInteger(index) || index < 0 || index >= tx.inputs.length)
      throw new InvalidArgumentError('index', `expected an input index in [0, ${tx.inputs.length - 1}]`);
    const hashType = options.hashType ?? SIGHASH_DEFAULT;
    if (!VALID_TYPES.has(hashType))
      throw new InvalidArgumentError('options.hashType', `unknown hash type 0x${hashType.toString(16)}`);
    const { leafHash, annex } = options;
    if (leafHash !== undefined && (!(leafHash instanceof Uint8Array) || leafHash.length !== 32))
      throw new InvalidArgumentError('options.leafHash', 'expected 32 bytes');
    if (annex !== undefined && (!(annex instanceof Uint8Array) || annex.length === 0 || annex[0] !== 0x50))
      throw new InvalidArgumentError('options.annex', 'expected bytes starting with 0x50');
    const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
    const base = hashType & 3;
    if (base === SIGHASH_SINGLE && index >= tx.outputs.length)
      throw new InvalidArgumentError('index', 'SIGHASH_SINGLE without an output of the same index');
    const allOutputs = base !== SIGHASH_NONE && base !== SIGHASH_SINGLE;
    const size =
      1 + // epoch
      1 + // hash_type
      4 + // nVersion
      4 + // nLockTime
      (anyoneCanPay ? 0 : 128) +
      (allOutputs ? 32 : 0) +
      1 + // spend_type
      (anyoneCanPay ? 36 + 8 + varBytesLen((this.#prevouts[index] as TxOut).script) + 4 : 4) +
      (annex !== undefined ? 32 : 0) +
      (base === SIGHASH_SINGLE ? 32 : 0) +
      (leafHash !== undefined ? 37 : 0);
    const m = new Writer(size);
    m.u8(0); // epoch
    m.u8(hashType);
    m.u32(tx.version);
    m.u32(tx.locktime);
    if (!anyoneCanPay) {
      if (this.#shaPrevouts === undefined) this.#prevoutHashes();
      m.bytes(this.#shaPrevouts as Uint8Array);
      m.bytes(this.#shaAmounts as Uint8Array);
      m.bytes(this.#shaScriptPubkeys as Uint8Array);
      m.bytes(this.#shaSequences as Uint8Array);
    }
    if (allOutputs) m.bytes(this.#outputsHash());
    // "spend_type = ext_flag · 2 + annex_present"
    m.u8((leafHash !== undefined ? 2 : 0) + (annex !== undefined ? 1 : 0));
    if (anyoneCanPay) {
      const input = tx.inputs[index] as Tx['inputs'][number];
      const spent = this.#prevouts[index] as TxOut;
      m.bytes(input.txidBytes);
      m.u32(input.vout);
      m.u64(spent.value);
      m.varBytes(spent.script);
      m.u32(input.sequence);
    } else {
      m.u32(index);
    }
    if (annex !== undefined) {
      const a = new Writer(varBytesLen(annex));
      a.varBytes(annex);
      m.bytes(sha256(a.finish()));
    }
    if (base === SIGHASH_SINGLE) {
      const out = tx.outputs[index] as TxOut;
      const o = new Writer(8 + compactSizeLen(out.script.length) + out.script.length);
      writeOutputs(o, [out], false);
      m.bytes(sha256(o.finish()));
    }
    if (leafHash !== undefined) {
      m.bytes(leafHash);
      m.u8(options.keyVersion ?? 0);
      m.u32(options.codeSeparatorPos ?? 0xffff_ffff);
    }
    return m.finish();
  }

  /** `hash_TapSighash(SigMsg)` of input `index`: the message a BIP340 signature signs. */
  sighash(index: number, options?: SighashOptions): Uint8Array {
    return taggedHash('TapSighash', this.sigMsg(index, options));
  }
}
