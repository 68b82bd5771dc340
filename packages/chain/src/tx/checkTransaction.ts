/**
 * Bitcoin Core's context-free transaction checks (`CheckTransaction` in consensus/tx_check.cpp):
 * what makes a transaction invalid before any input is looked up.
 */
import type { Tx } from './transaction.js';
import { baseSize } from './transaction.js';

/** 21 million BTC in sats: Core's MAX_MONEY. */
export const MAX_MONEY = 2_100_000_000_000_000n;
/** Core's MAX_BLOCK_WEIGHT. */
export const MAX_BLOCK_WEIGHT = 4_000_000;

/** True when the transaction is a coinbase: one input spending the null outpoint. */
export function isCoinbase(tx: Tx): boolean {
  return tx.inputs.length === 1 && isNullOutpoint(tx.inputs[0]!.prevTxid, tx.inputs[0]!.vout);
}

function isNullOutpoint(prevTxid: Uint8Array, vout: number): boolean {
  return vout === 0xffffffff && prevTxid.every((b) => b === 0);
}

/**
 * Runs Core's `CheckTransaction` and returns its reject reason (`bad-txns-vin-empty`,
 * `bad-txns-vout-empty`, `bad-txns-oversize`, `bad-txns-vout-negative`, `bad-txns-vout-toolarge`,
 * `bad-txns-txouttotal-toolarge`, `bad-txns-inputs-duplicate`, `bad-cb-length`,
 * `bad-txns-prevout-null`), or `null` when the transaction passes.
 */
export function checkTransaction(tx: Tx): string | null {
  if (tx.inputs.length === 0) return 'bad-txns-vin-empty';
  if (tx.outputs.length === 0) return 'bad-txns-vout-empty';
  // Size limits (no witness data counted, scaled by the witness factor).
  if (baseSize(tx) * 4 > MAX_BLOCK_WEIGHT) return 'bad-txns-oversize';
  let total = 0n;
  for (const o of tx.outputs) {
    if (o.value < 0n) return 'bad-txns-vout-negative';
    if (o.value > MAX_MONEY) return 'bad-txns-vout-toolarge';
    total += o.value;
    if (total > MAX_MONEY) return 'bad-txns-txouttotal-toolarge';
  }
  const seen = new Set<string>();
  for (const i of tx.inputs) {
    let key = `${i.vout}:`;
    for (const b of i.prevTxid) key += String.fromCharCode(b);
    if (seen.has(key)) return 'bad-txns-inputs-duplicate';
    seen.add(key);
  }
  if (isCoinbase(tx)) {
    const n = tx.inputs[0]!.scriptSig.length;
    if (n < 2 || n > 100) return 'bad-cb-length';
  } else {
    for (const i of tx.inputs) if (isNullOutpoint(i.prevTxid, i.vout)) return 'bad-txns-prevout-null';
  }
  return null;
}
