/**
 * @internal Turning the stored entries of a trigger that just confirmed into response states: each
 * response is checked against the trigger transaction (version 3, spends only the trigger's outputs,
 * P2A anchor last), its own fee computed from the trigger's output values, its first broadcast tip
 * from its relative lock (BIP68: a lock of `n` on an output confirmed at `h` is valid in block
 * `h + n`, so it is accepted from tip `h + n − 1`; a key-path response from tip `h`), and a poison
 * completed with its `s_c` when one is known.
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import type { LStockSecretRecord, WatchEntryRecord } from '@superscalar/persist';
import { encodeTx, type Tx, txidOf, txVsize } from '@superscalar/tx';
import type { ResponseState } from './_records.js';
import {
  checkPoisonTemplate,
  checkResponse,
  type EntryKind,
  relativeLockOf,
  secretHashHex,
} from './entries.js';

/** @internal A response that cannot answer its trigger, with why. */
export interface InvalidResponse {
  readonly index: number;
  readonly kind: EntryKind;
  readonly reason: string;
}

/** @internal Secrets by `sha256(s_c)` hex. */
export function secretsByHash(rows: readonly LStockSecretRecord[]): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const s of rows) m.set(secretHashHex(s.secret), s.secret);
  return m;
}

/** @internal The poison `raw` with `secret` in its secret slot. */
export function completePoison(raw: Tx, secret: Uint8Array): Uint8Array {
  const w = raw.inputs[0]?.witness ?? [];
  return encodeTx(raw, [[w[0] as Uint8Array, secret, w[2] as Uint8Array, w[3] as Uint8Array]]);
}

/** @internal The response state of one stored entry of a trigger confirmed at `height`. */
export function responseOf(
  row: WatchEntryRecord,
  trigger: Tx,
  height: number,
  secrets: ReadonlyMap<string, Uint8Array>,
): ResponseState | InvalidResponse {
  const kind = row.kind as EntryKind;
  const bad = (reason: string): InvalidResponse => ({ index: row.responseIndex, kind, reason });
  let tx: Tx;
  try {
    tx = checkResponse(row.responseTx, row.triggerTxid, 'responseTx');
  } catch (e) {
    return bad((e as Error).message);
  }
  let spent = 0n;
  let lock = 0;
  const vouts: number[] = [];
  for (const i of tx.inputs) {
    const out = trigger.outputs[i.vout];
    if (out === undefined) return bad(`spends output ${i.vout}, which the trigger does not have`);
    spent += out.value;
    vouts.push(i.vout);
    try {
      lock = Math.max(lock, relativeLockOf(i.sequence, 'responseTx'));
    } catch (e) {
      return bad((e as Error).message);
    }
  }
  const paid = tx.outputs.reduce((a, o) => a + o.value, 0n);
  if (paid > spent) return bad('pays more than it spends');
  let poisonHash: string | null = null;
  let raw: Uint8Array = Uint8Array.from(row.responseTx);
  let status: ResponseState['status'] = 'waiting';
  if (kind === 'poison') {
    try {
      poisonHash = toHex(checkPoisonTemplate(tx, 'responseTx'));
    } catch (e) {
      return bad((e as Error).message);
    }
    const s = secrets.get(poisonHash);
    if (s === undefined) status = 'no-secret';
    else raw = completePoison(tx, s);
  }
  let dueTip = height + Math.max(1, lock) - 1;
  if (row.validFromHeight !== null) dueTip = Math.max(dueTip, row.validFromHeight);
  const anchorVout = tx.outputs.length - 1;
  return {
    index: row.responseIndex,
    kind,
    txid: txidOf(tx),
    raw,
    parentFee: spent - paid,
    vsize: txVsize(tx),
    anchorVout,
    anchorValue: (tx.outputs[anchorVout] as Tx['outputs'][number]).value,
    vouts,
    dueTip,
    poisonHash,
    status,
    before: null,
    at: null,
    spentBy: null,
    child: null,
    changeScript: null,
    bumps: 0,
    lastTip: null,
    emergency: false,
  };
}
