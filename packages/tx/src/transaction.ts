/**
 * Bitcoin transactions: the type, their serialization with and without witness (BIP144), txid and
 * wtxid, weight and virtual size (BIP141).
 *
 * Encoding writes each transaction into one buffer of its exact size. Decoding is strict and total:
 * any malformed input (truncated, trailing bytes, a non-canonical CompactSize, a count the remaining
 * bytes cannot hold, a witness flag other than 1, a witness flag with only empty witnesses, no inputs)
 * is a {@link DecodeError}, never another exception.
 *
 * Does not: check consensus or policy (amount ranges, script validity, standardness), nor fill in
 * witnesses (see the sighasher and the packages that sign).
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { DecodeError, InvalidArgumentError } from './errors.js';
import { compactSizeLen, Reader, varBytesLen, Writer } from './io.js';
import { displayHex } from './txid.js';

/** A transaction output. */
export interface TxOut {
  /** Amount in sats. */
  readonly value: bigint;
  /** scriptPubKey. */
  readonly script: Uint8Array;
}

/** A transaction input. */
export interface TxIn {
  /** The spent transaction's txid, internal byte order. */
  readonly txidBytes: Uint8Array;
  /** The spent output's index. */
  readonly vout: number;
  /** nSequence. */
  readonly sequence: number;
  /** scriptSig; absent means empty (every input the project builds is segwit). */
  readonly scriptSig?: Uint8Array;
  /** Witness stack; absent means empty. */
  readonly witness?: readonly Uint8Array[];
}

/** A transaction. */
export interface Tx {
  /** nVersion (3 for the project's TRUC transactions). */
  readonly version: number;
  /** Inputs. */
  readonly inputs: readonly TxIn[];
  /** Outputs. */
  readonly outputs: readonly TxOut[];
  /** nLockTime. */
  readonly locktime: number;
}

/** One witness stack per input; `[]` for an input without witness. */
export type Witnesses = readonly (readonly Uint8Array[])[];

const EMPTY = new Uint8Array(0);
const NO_WITNESS: readonly Uint8Array[] = [];

function stacksOf(tx: Tx, witnesses: Witnesses | undefined): Witnesses {
  if (witnesses === undefined) return tx.inputs.map((i) => i.witness ?? NO_WITNESS);
  if (!Array.isArray(witnesses) || witnesses.length !== tx.inputs.length)
    throw new InvalidArgumentError('witnesses', `expected one stack per input (${tx.inputs.length})`);
  return witnesses;
}

function hasWitness(stacks: Witnesses): boolean {
  for (const s of stacks) if (s.length > 0) return true;
  return false;
}

function stackLen(stack: readonly Uint8Array[]): number {
  let n = compactSizeLen(stack.length);
  for (const item of stack) n += varBytesLen(item);
  return n;
}

function baseLen(tx: Tx): number {
  let n = 8 + compactSizeLen(tx.inputs.length) + compactSizeLen(tx.outputs.length);
  for (const i of tx.inputs) n += 40 + varBytesLen(i.scriptSig ?? EMPTY);
  for (const o of tx.outputs) n += 8 + varBytesLen(o.script);
  return n;
}

function writeBody(w: Writer, tx: Tx): void {
  w.compactSize(tx.inputs.length);
  for (const i of tx.inputs) {
    w.bytes(i.txidBytes);
    w.u32(i.vout);
    w.varBytes(i.scriptSig ?? EMPTY);
    w.u32(i.sequence);
  }
  writeOutputs(w, tx.outputs);
}

/** @internal Writes the outputs with their count (the sighasher hashes them without it). */
export function writeOutputs(w: Writer, outputs: readonly TxOut[], withCount = true): void {
  if (withCount) w.compactSize(outputs.length);
  for (const o of outputs) {
    w.u64(o.value);
    w.varBytes(o.script);
  }
}

/** @internal Length of the outputs' serialization without their count. */
export function outputsLen(outputs: readonly TxOut[]): number {
  let n = 0;
  for (const o of outputs) n += 8 + varBytesLen(o.script);
  return n;
}

/**
 * Serializes `tx` without witness data: the txid preimage, and the whole transaction when no input
 * has a witness.
 */
export function encodeTxNoWitness(tx: Tx): Uint8Array {
  const w = new Writer(baseLen(tx));
  w.u32(tx.version);
  writeBody(w, tx);
  w.u32(tx.locktime);
  return w.finish();
}

/**
 * Serializes `tx` as a node relays it: with marker, flag and witnesses (BIP144) when some input has a
 * non-empty witness, without otherwise. `witnesses`, when given, replaces the inputs' own stacks (one
 * per input), so an unsigned transaction is encoded with its signatures without being copied.
 *
 * @throws {InvalidArgumentError} `witnesses` of another length than `tx.inputs`.
 */
export function encodeTx(tx: Tx, witnesses?: Witnesses): Uint8Array {
  const stacks = stacksOf(tx, witnesses);
  if (!hasWitness(stacks)) return encodeTxNoWitness(tx);
  let wl = 2;
  for (const s of stacks) wl += stackLen(s);
  const w = new Writer(baseLen(tx) + wl);
  w.u32(tx.version);
  w.u8(0); // marker
  w.u8(1); // flag
  writeBody(w, tx);
  for (const s of stacks) {
    w.compactSize(s.length);
    for (const item of s) w.varBytes(item);
  }
  w.u32(tx.locktime);
  return w.finish();
}

/**
 * Decodes a serialized transaction, with witness (BIP144) or without. The result's inputs always
 * carry `scriptSig` and `witness` (empty when absent).
 *
 * @throws {DecodeError} anything but exactly one well-formed transaction (see the module doc).
 */
export function decodeTx(bytes: Uint8Array): Tx {
  const r = new Reader(bytes);
  const version = r.u32('version');
  let segwit = false;
  if (r.peek() === 0) {
    const at = r.pos;
    r.u8();
    const flag = r.u8('flag');
    if (flag !== 1)
      throw new DecodeError(at, `witness flag ${flag}, expected 1 (or a transaction without inputs)`);
    segwit = true;
  }
  const nIn = r.compactSize('input count', Math.floor(r.remaining / 41));
  if (nIn === 0) throw new DecodeError(r.pos - 1, 'no inputs');
  const inputs: { txidBytes: Uint8Array; vout: number; sequence: number; scriptSig: Uint8Array }[] = [];
  for (let i = 0; i < nIn; i++) {
    const txid = r.bytes(32, `inputs[${i}].txid`);
    const vout = r.u32(`inputs[${i}].vout`);
    const scriptSig = r.varBytes(`inputs[${i}].scriptSig`);
    const sequence = r.u32(`inputs[${i}].sequence`);
    inputs.push({ txidBytes: txid, vout, sequence, scriptSig });
  }
  const nOut = r.compactSize('output count', Math.floor(r.remaining / 9));
  const outputs: TxOut[] = [];
  for (let i = 0; i < nOut; i++) {
    const value = r.u64(`outputs[${i}].value`);
    outputs.push({ value, script: r.varBytes(`outputs[${i}].script`) });
  }
  const stacks: Uint8Array[][] = [];
  if (segwit) {
    const at = r.pos;
    let any = false;
    for (let i = 0; i < nIn; i++) {
      const n = r.compactSize(`inputs[${i}].witness count`);
      const stack: Uint8Array[] = [];
      for (let j = 0; j < n; j++) stack.push(r.varBytes(`inputs[${i}].witness[${j}]`));
      if (n > 0) any = true;
      stacks.push(stack);
    }
    if (!any) throw new DecodeError(at, 'superfluous witness record (every witness is empty)');
  }
  const locktime = r.u32('locktime');
  r.end();
  return {
    version,
    inputs: inputs.map((i, k) => ({ ...i, witness: stacks[k] ?? [] })),
    outputs,
    locktime,
  };
}

/** `tx` with `witnesses` (one stack per input) in place of its inputs' own. */
export function withWitnesses(tx: Tx, witnesses: Witnesses): Tx {
  const stacks = stacksOf(tx, witnesses);
  return { ...tx, inputs: tx.inputs.map((i, k) => ({ ...i, witness: stacks[k] as readonly Uint8Array[] })) };
}

/** The txid, internal byte order: `sha256d` of the serialization without witness. */
export function txidBytesOf(tx: Tx): Uint8Array {
  return sha256(sha256(encodeTxNoWitness(tx)));
}

/** The txid, display-order hex. */
export function txidOf(tx: Tx): string {
  return displayHex(txidBytesOf(tx));
}

/** The wtxid (BIP141), display-order hex: the txid when no input has a witness. */
export function wtxidOf(tx: Tx, witnesses?: Witnesses): string {
  return displayHex(sha256(sha256(encodeTx(tx, witnesses))));
}

/**
 * BIP141 weight: `base size × 3 + total size`, computed without serializing. `witnesses` as in
 * {@link encodeTx}.
 */
export function txWeight(tx: Tx, witnesses?: Witnesses): number {
  const stacks = stacksOf(tx, witnesses);
  const base = baseLen(tx);
  if (!hasWitness(stacks)) return base * 4;
  let wl = 2;
  for (const s of stacks) wl += stackLen(s);
  return base * 4 + wl;
}

/** BIP141 virtual size, `ceil(weight / 4)`. */
export function txVsize(tx: Tx, witnesses?: Witnesses): number {
  return Math.ceil(txWeight(tx, witnesses) / 4);
}
