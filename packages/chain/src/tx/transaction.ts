/**
 * Raw Bitcoin transactions: the immutable {@link Tx} shape and a strict codec for the legacy and the
 * BIP144 segwit serialisations, with txid, wtxid, weight and vsize (BIP141).
 *
 * Decoding follows Bitcoin Core's `UnserializeTransaction` (witness allowed) and is stricter in one
 * way: trailing bytes after the locktime are an error. Values are decoded as Core's signed 64-bit
 * `CAmount`, so a negative or oversized value decodes and is rejected later by {@link checkTransaction}
 * with Core's reason, as a node would.
 *
 * Byte order: `prevTxid` and the results of {@link txid}/{@link wtxid} are in **internal order** (the
 * order they are serialised and hashed in). Display order (what block explorers and RPCs print) is the
 * reverse; use {@link txidHex} or {@link toDisplayHex} for it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { InvalidArgumentError } from '../errors.js';
import { compactSizeLength, Reader, Writer } from './_bytes.js';
import { DecodeError } from './errors.js';

/** A transaction input. `prevTxid` is 32 bytes in internal (serialised) order. */
export interface TxIn {
  /** Txid of the spent transaction, 32 bytes, internal byte order (reverse of display hex). */
  readonly prevTxid: Uint8Array;
  /** Output index in the spent transaction (uint32). */
  readonly vout: number;
  /** The scriptSig (empty for native segwit spends). */
  readonly scriptSig: Uint8Array;
  /** nSequence (uint32). */
  readonly sequence: number;
  /** Witness stack items, bottom first; empty when the input has no witness. */
  readonly witness: readonly Uint8Array[];
}

/** A transaction output. */
export interface TxOut {
  /** Amount in sats (Core's signed 64-bit CAmount; negative only in decoded invalid transactions). */
  readonly value: bigint;
  /** The scriptPubKey. */
  readonly script: Uint8Array;
}

/** An immutable transaction. */
export interface Tx {
  /** nVersion as an unsigned 32-bit number (Core ≥ 28 treats it as uint32). */
  readonly version: number;
  readonly inputs: readonly TxIn[];
  readonly outputs: readonly TxOut[];
  /** nLockTime (uint32). */
  readonly locktime: number;
}

/** The fields of a {@link Tx}, as accepted by {@link createTx}. */
export interface TxInit {
  version: number;
  inputs: readonly {
    prevTxid: Uint8Array;
    vout: number;
    scriptSig?: Uint8Array;
    sequence: number;
    witness?: readonly Uint8Array[];
  }[];
  outputs: readonly { value: bigint; script: Uint8Array }[];
  locktime: number;
}

function u32(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new InvalidArgumentError(name, `expected an integer in [0, 2^32), got ${String(v)}`);
  return v;
}

function bytesArg(v: unknown, name: string, len?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new InvalidArgumentError(name, 'expected a Uint8Array');
  if (len !== undefined && v.length !== len)
    throw new InvalidArgumentError(name, `expected ${len} bytes, got ${v.length}`);
  return Uint8Array.from(v);
}

/**
 * Builds an immutable {@link Tx} from plain fields, validating every field and copying caller bytes.
 * Values must be in [−2^63, 2^63) (consensus limits are {@link checkTransaction}'s job).
 */
export function createTx(init: TxInit): Tx {
  if (typeof init !== 'object' || init === null) throw new InvalidArgumentError('tx', 'expected an object');
  if (!Array.isArray(init.inputs)) throw new InvalidArgumentError('tx.inputs', 'expected an array');
  if (!Array.isArray(init.outputs)) throw new InvalidArgumentError('tx.outputs', 'expected an array');
  const inputs = init.inputs.map((i, k) => {
    const at = `tx.inputs[${k}]`;
    const witness = i.witness ?? [];
    if (!Array.isArray(witness)) throw new InvalidArgumentError(`${at}.witness`, 'expected an array');
    return Object.freeze({
      prevTxid: bytesArg(i.prevTxid, `${at}.prevTxid`, 32),
      vout: u32(i.vout, `${at}.vout`),
      scriptSig: bytesArg(i.scriptSig ?? new Uint8Array(0), `${at}.scriptSig`),
      sequence: u32(i.sequence, `${at}.sequence`),
      witness: Object.freeze(witness.map((w, j) => bytesArg(w, `${at}.witness[${j}]`))),
    });
  });
  const outputs = init.outputs.map((o, k) => {
    const at = `tx.outputs[${k}]`;
    if (typeof o.value !== 'bigint' || o.value !== BigInt.asIntN(64, o.value))
      throw new InvalidArgumentError(`${at}.value`, 'expected a bigint in the int64 range');
    return Object.freeze({ value: o.value, script: bytesArg(o.script, `${at}.script`) });
  });
  return Object.freeze({
    version: u32(init.version, 'tx.version'),
    inputs: Object.freeze(inputs),
    outputs: Object.freeze(outputs),
    locktime: u32(init.locktime, 'tx.locktime'),
  });
}

/** True when any input carries a non-empty witness (the tx then serialises in the segwit format). */
export function hasWitness(tx: Tx): boolean {
  return tx.inputs.some((i) => i.witness.length > 0);
}

/**
 * Decodes a raw transaction (legacy or BIP144 segwit serialisation), strictly: canonical CompactSizes,
 * no superfluous witness flag, no unknown flag bits, no trailing bytes.
 * @throws {DecodeError} with a stable `code` and the failing byte offset.
 */
export function decodeTx(raw: Uint8Array): Tx {
  if (!(raw instanceof Uint8Array)) throw new InvalidArgumentError('raw', 'expected a Uint8Array');
  const r = new Reader(raw);
  const tx = readTx(r);
  if (r.remaining !== 0)
    throw new DecodeError('TRAILING_DATA', r.pos, `${r.remaining} bytes after the locktime`);
  return tx;
}

/** @internal Reads one transaction at the reader's position (a block's transactions follow each other). */
export function readTx(r: Reader): Tx {
  const version = r.u32();
  let inputs = readInputs(r);
  let outputs: TxOut[];
  let flags = 0;
  if (inputs.length === 0) {
    // BIP144: an empty input vector is the marker; the next byte is the flag.
    const flagAt = r.pos;
    flags = r.u8();
    if (flags !== 0) {
      inputs = readInputs(r);
      outputs = readOutputs(r);
    } else {
      // Core reads this as a transaction with no inputs and no outputs (flag byte = vout count 0).
      outputs = [];
    }
    if ((flags & 1) !== 0) {
      flags ^= 1;
      const withWitness: TxIn[] = [];
      for (const input of inputs) {
        const n = r.compactSize();
        const stack: Uint8Array[] = [];
        for (let j = 0; j < n; j++) stack.push(r.varBytes());
        withWitness.push({ ...input, witness: Object.freeze(stack) });
      }
      if (withWitness.every((i) => i.witness.length === 0))
        throw new DecodeError('SUPERFLUOUS_WITNESS', flagAt, 'superfluous witness record');
      inputs = withWitness;
    }
    if (flags !== 0)
      throw new DecodeError('UNKNOWN_OPTIONAL_DATA', flagAt, 'unknown transaction optional data');
  } else {
    outputs = readOutputs(r);
  }
  const locktime = r.u32();
  return Object.freeze({
    version,
    inputs: Object.freeze(inputs.map((i) => Object.freeze(i))),
    outputs: Object.freeze(outputs),
    locktime,
  });
}

function readInputs(r: Reader): TxIn[] {
  const n = r.compactSize();
  const out: TxIn[] = [];
  for (let k = 0; k < n; k++) {
    const prevTxid = r.bytes(32);
    const vout = r.u32();
    const scriptSig = r.varBytes();
    const sequence = r.u32();
    out.push({ prevTxid, vout, scriptSig, sequence, witness: Object.freeze([]) });
  }
  return out;
}

function readOutputs(r: Reader): TxOut[] {
  const n = r.compactSize();
  const out: TxOut[] = [];
  for (let k = 0; k < n; k++) {
    const value = r.i64();
    const script = r.varBytes();
    out.push(Object.freeze({ value, script }));
  }
  return out;
}

/**
 * Serialises a transaction: BIP144 segwit format when any input has a witness (and `witness` is not
 * false), else the legacy format.
 */
export function encodeTx(tx: Tx, options: { witness?: boolean } = {}): Uint8Array {
  const withWitness = options.witness !== false && hasWitness(tx);
  const w = new Writer(baseSize(tx) + (withWitness ? witnessSize(tx) : 0));
  w.u32(tx.version);
  if (withWitness) w.u8(0).u8(1);
  w.compactSize(tx.inputs.length);
  for (const i of tx.inputs) w.bytes(i.prevTxid).u32(i.vout).varBytes(i.scriptSig).u32(i.sequence);
  w.compactSize(tx.outputs.length);
  for (const o of tx.outputs) w.i64(o.value).varBytes(o.script);
  if (withWitness) {
    for (const i of tx.inputs) {
      w.compactSize(i.witness.length);
      for (const item of i.witness) w.varBytes(item);
    }
  }
  w.u32(tx.locktime);
  return w.finish();
}

/** Size in bytes of the legacy (witness-stripped) serialisation. */
export function baseSize(tx: Tx): number {
  let n = 8 + compactSizeLength(tx.inputs.length) + compactSizeLength(tx.outputs.length);
  for (const i of tx.inputs) n += 40 + compactSizeLength(i.scriptSig.length) + i.scriptSig.length;
  for (const o of tx.outputs) n += 8 + compactSizeLength(o.script.length) + o.script.length;
  return n;
}

/** Bytes the witness adds to the serialisation (marker, flag and stacks); 0 without witness. */
function witnessSize(tx: Tx): number {
  if (!hasWitness(tx)) return 0;
  let n = 2;
  for (const i of tx.inputs) {
    n += compactSizeLength(i.witness.length);
    for (const item of i.witness) n += compactSizeLength(item.length) + item.length;
  }
  return n;
}

/** Size in bytes of the full serialisation (with witness when present). */
export function totalSize(tx: Tx): number {
  return baseSize(tx) + witnessSize(tx);
}

/** BIP141 weight: base size × 3 + total size. */
export function weight(tx: Tx): number {
  return baseSize(tx) * 3 + totalSize(tx);
}

/** BIP141 virtual size: ceil(weight / 4). */
export function vsize(tx: Tx): number {
  return Math.ceil(weight(tx) / 4);
}

const sha256d = (b: Uint8Array): Uint8Array => sha256(sha256(b));

/** The txid (double SHA-256 of the legacy serialisation), 32 bytes in internal order. */
export function txid(tx: Tx): Uint8Array {
  return sha256d(encodeTx(tx, { witness: false }));
}

/** The wtxid (double SHA-256 of the full serialisation), 32 bytes in internal order. */
export function wtxid(tx: Tx): Uint8Array {
  return sha256d(encodeTx(tx));
}

/** Hex of 32 internal-order hash bytes in display order (reversed), as RPCs and explorers print. */
export function toDisplayHex(hash: Uint8Array): string {
  return bytesToHex(Uint8Array.from(hash).reverse());
}

/** Parses display-order hex (as RPCs print txids) into internal-order bytes. */
export function fromDisplayHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex))
    throw new InvalidArgumentError('hex', 'expected 64 hex characters');
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[31 - i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The txid in display hex, as `getrawtransaction`/`sendrawtransaction` print it. */
export function txidHex(tx: Tx): string {
  return toDisplayHex(txid(tx));
}

/** The wtxid in display hex. */
export function wtxidHex(tx: Tx): string {
  return toDisplayHex(wtxid(tx));
}
