/**
 * L-stock poison (protocol brief §5.3). A superseded leaf state's L-stock output is covered by a
 * poison transaction the leaf signers co-sign at the advance: version 3, nLockTime 0, input nSequence
 * `0xFFFFFFFD`, spending the L-stock by its poison leaf (script path; MuSig2 over the untweaked leaf
 * key `KeyAgg(leaf signers)`, BIP341 script-path sighash), outputs in placement order to each
 * client's close address `lost_i + equal share of R` (remainder to the last client) with
 * `lost_i = max(0, c_i(new) − c_i(old))` and `R = L-stock(old) − Σ lost_i − 240 − fee`, then the P2A
 * anchor; fee from the final witness `[64-byte sig, 32-byte secret, leaf script, 65-byte control
 * block]`. It needs the secret `s_c` the LSP reveals after the advance, so a poison signed for a state
 * that never took effect is useless.
 *
 * If any client output would be below 330 sats, no poison is signed (`@superscalar/tx`'s
 * `BelowDustError`; the advance reports it).
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes } from '@superscalar/core';
import {
  ANCHOR_AMOUNT,
  checkDust,
  displayHex,
  encodeTx,
  type OutPoint,
  P2A_SCRIPT,
  TaprootSighasher,
  type Tx,
  type TxOut,
  tapLeafHash,
  txidBytes,
  txidBytesOf,
  txVsize,
} from '@superscalar/tx';
import { assertBytes, assertInt, assertObject, assertSats } from './_assert.js';
import { InvalidArgumentError } from './errors.js';
import { SETTLEMENT_SEQUENCE } from './settlement.js';
import type { TaprootOutput } from './transactions.js';
import { feeFor } from './tree.js';

/** One client's side of a poison: its close address and its channel capacity in the old and new state. */
export interface PoisonClient {
  /** The client's close address (P2TR scriptPubKey). */
  readonly closeScript: Uint8Array;
  /** Its channel output in the superseded state. */
  readonly oldCapacity: bigint;
  /** Its channel output in the state that supersedes it. */
  readonly newCapacity: bigint;
}

/** Options of {@link buildPoison}. */
export interface PoisonOptions {
  /** The superseded L-stock output (`lStockOutput`: leaves [CSV leaf, poison leaf]). */
  readonly lStock: TaprootOutput;
  /** Its outpoint: the superseded leaf state's display-order txid and the output index. */
  readonly outpoint: OutPoint;
  /** Its value. */
  readonly amount: bigint;
  /** The leaf's clients in placement order. */
  readonly clients: readonly PoisonClient[];
  /** `treeFeeRate`, sat/kvB. */
  readonly feeRate: number;
}

/** A built, unsigned poison transaction. */
export interface PoisonTx {
  /** The unsigned transaction. */
  readonly tx: Tx;
  /** Display-order hex txid. */
  readonly txid: string;
  /** The txid in internal byte order. */
  readonly txidBytes: Uint8Array;
  /** The superseded L-stock output. */
  readonly spent: TxOut;
  /** Its taproot details. */
  readonly lStock: TaprootOutput;
  /** The poison leaf script (`OP_SIZE 32 OP_EQUALVERIFY OP_SHA256 <h> OP_EQUALVERIFY <key> OP_CHECKSIG`). */
  readonly leafScript: Uint8Array;
  /** `sha256(s_c)` committed in the leaf. */
  readonly poisonHash: Uint8Array;
  /** 65-byte control block: `(0xc0 | parity(Q)) || internal key || TapLeaf(CSV leaf)`. */
  readonly controlBlock: Uint8Array;
  /** x-only untweaked `KeyAgg(leaf signers)`: the key the signature verifies against. */
  readonly signingKey: Uint8Array;
  /** Per client (placement order): `lost_i` and its output. */
  readonly payouts: readonly { readonly lost: bigint; readonly amount: bigint }[];
  /** Exact vsize with the final witness. */
  readonly vsize: number;
  /** `ceil(feeRate × vsize / 1000)`. */
  readonly fee: bigint;
  /** BIP341 script-path sighash (`SIGHASH_DEFAULT`, the poison leaf): the MuSig2 message. */
  readonly sighash: Uint8Array;
}

/** Byte offsets of the poison leaf: 0x82 0x01 0x20 0x88 0xa8 0x20 <32: hash> 0x88 0x20 <32: key> 0xac. */
const POISON_LEAF_LEN = 6 + 32 + 2 + 32 + 1;

/** Reads the committed hash and key out of a poison leaf script, or undefined if it is not one. */
export function parsePoisonLeaf(script: Uint8Array): { hash: Uint8Array; key: Uint8Array } | undefined {
  if (!(script instanceof Uint8Array) || script.length !== POISON_LEAF_LEN) return undefined;
  const head = [0x82, 0x01, 0x20, 0x88, 0xa8, 0x20];
  for (let i = 0; i < head.length; i++) if (script[i] !== head[i]) return undefined;
  if (script[38] !== 0x88 || script[39] !== 0x20 || script[72] !== 0xac) return undefined;
  return { hash: script.slice(6, 38), key: script.slice(40, 72) };
}

/**
 * True when `secret` is the 32-byte `s_c` that opens the poison: `sha256(secret)` equals the hash in
 * `poison` (a poison leaf script, a {@link PoisonTx}, or the 32-byte hash itself).
 */
export function verifyLStockSecret(secret: Uint8Array, poison: Uint8Array | PoisonTx): boolean {
  if (!(secret instanceof Uint8Array) || secret.length !== 32) return false;
  let hash: Uint8Array | undefined;
  if (poison instanceof Uint8Array) hash = poison.length === 32 ? poison : parsePoisonLeaf(poison)?.hash;
  else if (typeof poison === 'object' && poison !== null) hash = poison.poisonHash;
  if (hash === undefined)
    throw new InvalidArgumentError('poison', 'expected a poison leaf, a 32-byte hash or a PoisonTx');
  return equalBytes(sha256(secret), hash);
}

function poisonTx(prevTxid: Uint8Array, vout: number, outs: readonly TxOut[]): Tx {
  return {
    version: 3,
    locktime: 0,
    inputs: [{ txidBytes: prevTxid, vout, sequence: SETTLEMENT_SEQUENCE }],
    outputs: [...outs, { value: ANCHOR_AMOUNT, script: P2A_SCRIPT }],
  };
}

/**
 * Builds the poison of a superseded L-stock (§5.3).
 *
 * @throws {BelowDustError} (`@superscalar/tx`) some client output would be below 330 sats (or R < 0): no poison is signed.
 * @throws {InvalidArgumentError} an L-stock output without the poison leaf, or malformed options.
 */
export function buildPoison(o: PoisonOptions): PoisonTx {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', 'expected an object');
  const lStock = o.lStock;
  if (typeof lStock !== 'object' || lStock === null || lStock.leaves?.length !== 2)
    throw new InvalidArgumentError('lStock', 'expected an L-stock TaprootOutput (two leaves)');
  const leafScript = lStock.leaves[1] as Uint8Array;
  const parsed = parsePoisonLeaf(leafScript);
  if (parsed === undefined || !equalBytes(parsed.key, lStock.internalKey))
    throw new InvalidArgumentError('lStock.leaves[1]', 'not a poison leaf over the L-stock internal key');
  if (typeof o.outpoint !== 'object' || o.outpoint === null)
    throw new InvalidArgumentError('outpoint', 'expected { txid, vout }');
  const prevTxid = txidBytes(o.outpoint.txid, 'outpoint.txid');
  assertInt(o.outpoint.vout, 'outpoint.vout', 0, 0xffffffff);
  assertSats(o.amount, 'amount');
  assertInt(o.feeRate, 'feeRate', 0, 100_000_000);
  if (!Array.isArray(o.clients) || o.clients.length === 0)
    throw new InvalidArgumentError('clients', 'expected the leaf clients');
  o.clients.forEach((c, i) => {
    assertBytes(c.closeScript, `clients[${i}].closeScript`, 34);
    assertSats(c.oldCapacity, `clients[${i}].oldCapacity`);
    assertSats(c.newCapacity, `clients[${i}].newCapacity`);
  });
  const controlBlock = concatBytes(
    Uint8Array.of(0xc0 | lStock.parity),
    lStock.internalKey,
    tapLeafHash(lStock.leaves[0] as Uint8Array),
  );
  const lost: bigint[] = [];
  for (const c of o.clients as readonly PoisonClient[]) {
    const gain: bigint = c.newCapacity - c.oldCapacity;
    lost.push(gain > 0n ? gain : 0n);
  }
  const witness = [new Uint8Array(64), new Uint8Array(32), leafScript, controlBlock];
  const sized = poisonTx(
    prevTxid,
    o.outpoint.vout,
    o.clients.map((c) => ({ value: 0n, script: c.closeScript })),
  );
  const vsize = txVsize(sized, [witness]);
  const fee = feeFor(o.feeRate, vsize);
  const n = BigInt(o.clients.length);
  const R = o.amount - lost.reduce((a, b) => a + b, 0n) - ANCHOR_AMOUNT - fee;
  // R < 0: the L-stock does not cover Σ lost_i + anchor + fee, so no poison is signed.
  checkDust(R, 'poison remainder R', 0n);
  const share = R / n;
  const amounts = lost.map((l, i) => l + share + (i === lost.length - 1 ? R - share * n : 0n));
  amounts.forEach((a, i) => {
    checkDust(a, `poison output ${i}`);
  });
  const tx = poisonTx(
    prevTxid,
    o.outpoint.vout,
    o.clients.map((c, i) => ({ value: amounts[i] as bigint, script: Uint8Array.from(c.closeScript) })),
  );
  const spent: TxOut = { value: o.amount, script: lStock.script };
  const id = txidBytesOf(tx);
  return Object.freeze({
    tx,
    txid: displayHex(id),
    txidBytes: id,
    spent,
    lStock,
    leafScript,
    poisonHash: parsed.hash,
    controlBlock,
    signingKey: lStock.internalKey,
    payouts: Object.freeze(amounts.map((amount, i) => Object.freeze({ lost: lost[i] as bigint, amount }))),
    vsize,
    fee,
    sighash: new TaprootSighasher(tx, [spent]).sighash(0, { leafHash: tapLeafHash(leafScript) }),
  });
}

/**
 * The poison's final witness `[signature, s_c, leaf script, control block]`.
 *
 * @throws {InvalidArgumentError} a signature that is not 64 bytes, or a secret that does not open the
 *   poison leaf (checked here, so a watchtower never broadcasts a poison that cannot be valid).
 */
export function poisonWitness(poison: PoisonTx, signature: Uint8Array, secret: Uint8Array): Uint8Array[] {
  assertObject(poison, 'poison');
  assertBytes(signature, 'signature', 64);
  assertBytes(secret, 'secret', 32);
  if (!verifyLStockSecret(secret, poison))
    throw new InvalidArgumentError('secret', "sha256(secret) is not this poison leaf's hash");
  return [Uint8Array.from(signature), Uint8Array.from(secret), poison.leafScript, poison.controlBlock];
}

/** Serialises a poison with its final witness (see {@link poisonWitness}). */
export function signedPoisonBytes(poison: PoisonTx, signature: Uint8Array, secret: Uint8Array): Uint8Array {
  assertObject(poison, 'poison');
  return encodeTx(poison.tx, [poisonWitness(poison, signature, secret)]);
}

/**
 * Serialises a poison with an arbitrary 32-byte item in place of `s_c`, unchecked: only for tests that
 * show a wrong secret fails on chain.
 *
 * @internal
 */
export function _poisonBytesUnchecked(poison: PoisonTx, signature: Uint8Array, item: Uint8Array): Uint8Array {
  return encodeTx(poison.tx, [[signature, item, poison.leafScript, poison.controlBlock]]);
}
