/**
 * @internal The wallet's view of the chain: applying a connected block (coins received and spent,
 * the wallet's transactions confirmed, conflicts found through the spender index) and undoing a
 * disconnected one (un-confirm, free foreign spends, re-open what its conflicts closed). See the
 * Order and Reorg paragraphs of `wallet.ts`.
 *
 * @module
 */
import type { BlockRef } from '@superscalar/chain';
import { decodeTx, displayHex } from '@superscalar/tx';
import { hexOf, type WalletState } from './_state.js';
import { InvalidArgumentError } from './errors.js';
import { coinKey, type WalletTx } from './records.js';

/** The null prevout of a coinbase input. */
const COINBASE_PREVOUT = '0'.repeat(64);

/** Blocks of the wallet's checkpoint (its resume point for the follower). */
const CHECKPOINT_DEPTH = 12;

/** Pruning runs on blocks whose height is a multiple of this (it scans every record). */
const PRUNE_EVERY = 16;

/**
 * Forgets what no reorg the wallet follows can bring back: coins whose spend confirmed at or below
 * `floor`, and confirmed transactions at or below it that no remaining coin comes from or goes into.
 * Conflicted and abandoned transactions are kept.
 */
function prune(st: WalletState, floor: number): void {
  for (const [k, c] of [...st.coins]) if (c.spentHeight !== null && c.spentHeight <= floor) st.deleteCoin(k);
  const live = new Set<string>();
  for (const c of st.coins.values()) {
    live.add(c.txid);
    if (c.spentBy !== null) live.add(c.spentBy);
  }
  for (const t of [...st.txs.values()])
    if (t.state === 'confirmed' && t.height !== null && t.height <= floor && !live.has(t.txid))
      st.deleteTx(t.txid);
}

/** True when the wallet's own transaction was signed (it has witnesses; every input is P2TR). */
function wasSigned(t: WalletTx): boolean {
  if (t.kind === 'receive' || t.kind === 'external') return true;
  return decodeTx(t.raw).inputs.some((i) => (i.witness?.length ?? 0) > 0);
}

export function connectBlock(
  st: WalletState,
  block: {
    height: number;
    hash: string;
    prevHash: string;
    txs: readonly Uint8Array[];
    txids: readonly string[];
  },
): void {
  const cp = st.meta.checkpoint;
  const last = cp[cp.length - 1];
  if (last !== undefined) {
    if (block.height <= last.height) return; // already applied (at-least-once delivery)
    if (block.height !== last.height + 1 || block.prevHash !== last.hash)
      throw new InvalidArgumentError(
        'event.block',
        `does not extend the wallet's tip ${last.height}:${last.hash}`,
      );
  } else if (block.height < st.meta.birthHeight) {
    return;
  }
  const spent: string[] = [];
  for (let i = 0; i < block.txs.length; i++) {
    const raw = block.txs[i] as Uint8Array;
    const txid = block.txids[i] as string;
    connectTx(st, raw, txid, block.height, block.hash, spent);
  }
  st.recentBlocks.set(block.hash, spent);
  // expired reservations go with the block that expires them
  for (const [k, r] of st.reservations) if (r.expiresAtHeight <= block.height) st.dropReservation(k);
  if (st.pruneDepth !== null && block.height % PRUNE_EVERY === 0) prune(st, block.height - st.pruneDepth);
  const all = [...cp, { height: block.height, hash: block.hash, prevHash: block.prevHash }];
  const next = all.slice(-CHECKPOINT_DEPTH);
  for (const old of all.slice(0, -CHECKPOINT_DEPTH)) forgetRecent(st, old.hash);
  st.meta = { ...st.meta, checkpoint: next };
  st.touchMeta();
}

/** Forgets the recent spends of block `hash` (disconnected, or below the checkpoint). */
function forgetRecent(st: WalletState, hash: string): void {
  for (const k of st.recentBlocks.get(hash) ?? [])
    if (st.recentSpends.get(k)?.hash === hash) st.recentSpends.delete(k);
  st.recentBlocks.delete(hash);
}

function connectTx(
  st: WalletState,
  raw: Uint8Array,
  txid: string,
  height: number,
  hash: string,
  spent: string[],
): void {
  const t = decodeTx(raw);
  const inputs = t.inputs.map((i) => ({ txid: displayHex(i.txidBytes), vout: i.vout }));
  let touches = st.txs.has(txid);
  for (const o of inputs) {
    const k = coinKey(o);
    if (o.txid !== COINBASE_PREVOUT) {
      spent.push(k);
      st.recentSpends.set(k, { txid, hash });
    }
    const spenders = st.spenders.get(k);
    if (spenders !== undefined)
      for (const other of [...spenders]) if (other !== txid) conflict(st, other, txid, hash);
    const c = st.coins.get(k);
    if (c !== undefined) {
      touches = true;
      st.putCoin({ ...c, spentBy: txid, spentHeight: height, spentBlockHash: hash });
      if (st.reservations.has(k)) st.dropReservation(k);
    }
  }
  t.outputs.forEach((o, vout) => {
    const at = st.scripts.get(hexOf(o.script));
    if (at === undefined) return;
    touches = true;
    st.markUsed(at.change, at.index);
    const k = coinKey({ txid, vout });
    const prev = st.coins.get(k);
    st.putCoin({
      txid,
      vout,
      value: o.value,
      script: o.script,
      change: at.change,
      index: at.index,
      height,
      blockHash: hash,
      spentBy: prev?.spentBy ?? null,
      spentHeight: prev?.spentHeight ?? null,
      spentBlockHash: prev?.spentBlockHash ?? null,
    });
  });
  if (!touches) return;
  const known = st.txs.get(txid);
  if (known !== undefined) {
    st.unindex(known);
    st.putTx({
      ...known,
      state: 'confirmed',
      height,
      blockHash: hash,
      conflictedBy: null,
      conflictBlockHash: null,
    });
  } else {
    const paysUs = t.outputs.some((o) => st.scripts.has(hexOf(o.script)));
    const spendsUs = inputs.some((o) => st.coins.has(coinKey(o)));
    st.putTx({
      txid,
      kind: spendsUs ? 'external' : paysUs ? 'receive' : 'external',
      state: 'confirmed',
      raw: Uint8Array.from(raw),
      inputs,
      owner: null,
      fee: null,
      fundingVout: null,
      replaces: null,
      height,
      blockHash: hash,
      conflictedBy: null,
      conflictBlockHash: null,
    });
  }
}

/** `txid` lost to the confirmed `by` (in block `hash`): it and its descendants are conflicted. */
export function conflict(st: WalletState, txid: string, by: string, hash: string): void {
  const t = st.txs.get(txid);
  if (t === undefined || t.state === 'conflicted' || t.state === 'confirmed') return;
  st.unindex(t);
  st.putTx({ ...t, state: 'conflicted', conflictedBy: by, conflictBlockHash: hash });
  for (const o of t.inputs) {
    const c = st.coins.get(coinKey(o));
    if (c?.spentBy === txid) st.putCoin({ ...c, spentBy: null, spentHeight: null, spentBlockHash: null });
  }
  if (t.owner !== null) st.releaseOwnerOf(t);
  // its outputs vanish, and whatever spent them
  for (const [k, c] of [...st.coins]) {
    if (c.txid !== txid) continue;
    if (c.spentBy !== null) conflict(st, c.spentBy, by, hash);
    st.deleteCoin(k);
  }
}

export function disconnectBlock(st: WalletState, ref: BlockRef): void {
  const cp = st.meta.checkpoint;
  const last = cp[cp.length - 1];
  if (last === undefined || ref.height > last.height) return; // above the view: already undone
  if (ref.height !== last.height || ref.hash !== last.hash)
    throw new InvalidArgumentError('event.block', `is not the wallet's tip ${last.height}:${last.hash}`);
  const hash = ref.hash;
  forgetRecent(st, hash);
  // 1. conflicts this block caused are undone: the loser is open again, its outputs come back
  for (const t of [...st.txs.values()]) {
    if (t.state !== 'conflicted' || t.conflictBlockHash !== hash) continue;
    if (!wasSigned(t)) {
      // An unsigned transaction lost its reservation with the conflict: it stays dead (its owner
      // builds again), so no coin can be selected twice.
      st.putTx({ ...t, state: 'abandoned', conflictedBy: null, conflictBlockHash: null });
      continue;
    }
    const back: WalletTx = { ...t, state: 'pending', conflictedBy: null, conflictBlockHash: null };
    st.putTx(back);
    st.index(back);
    restoreOutputs(st, back);
  }
  // 2. what the block confirmed is unconfirmed again
  for (const c of [...st.coins.values()]) {
    let n = c;
    if (c.blockHash === hash) n = { ...n, height: null, blockHash: null };
    if (c.spentBlockHash === hash) {
      const spender = st.txs.get(c.spentBy as string);
      const ours = spender !== undefined && spender.kind !== 'receive' && spender.kind !== 'external';
      // A spend that disappears frees the coin, unless the wallet made it (it goes back to pending).
      n = ours
        ? { ...n, spentHeight: null, spentBlockHash: null }
        : { ...n, spentBy: null, spentHeight: null, spentBlockHash: null };
    }
    if (n !== c) st.putCoin(n);
  }
  for (const t of [...st.txs.values()]) {
    if (t.blockHash !== hash) continue;
    // Back to pending: the wallet's own are re-broadcast; one seen only in a block stays tracked
    // (its coins unconfirmed) until it confirms again or a conflict confirms.
    const n: WalletTx = { ...t, state: 'pending', height: null, blockHash: null };
    st.putTx(n);
    st.index(n);
  }
  const next = cp.slice(0, -1);
  if (next.length === 0 && last.prevHash !== undefined)
    next.push({ height: last.height - 1, hash: last.prevHash });
  st.meta = { ...st.meta, checkpoint: next };
  st.touchMeta();
}

/**
 * A pending transaction just recorded whose input a recent block already spent (another transaction):
 * it is conflicted by that block (undone if the block is disconnected). Returns the conflicting txid.
 */
export function conflictWithRecent(st: WalletState, t: WalletTx): string | undefined {
  for (const o of t.inputs) {
    const s = st.recentSpends.get(coinKey(o));
    if (s === undefined || s.txid === t.txid) continue;
    conflict(st, t.txid, s.txid, s.hash);
    return s.txid;
  }
  return undefined;
}

/** Re-adds the wallet outputs of an open transaction as unconfirmed coins and marks its spends. */
export function restoreOutputs(st: WalletState, t: WalletTx): void {
  const tx = decodeTx(t.raw);
  tx.outputs.forEach((o, vout) => {
    const at = st.scripts.get(hexOf(o.script));
    if (at === undefined) return;
    const k = coinKey({ txid: t.txid, vout });
    if (st.coins.has(k)) return;
    st.putCoin({
      txid: t.txid,
      vout,
      value: o.value,
      script: o.script,
      change: at.change,
      index: at.index,
      height: null,
      blockHash: null,
      spentBy: null,
      spentHeight: null,
      spentBlockHash: null,
    });
  });
  if (t.state === 'pending')
    for (const o of t.inputs) {
      const c = st.coins.get(coinKey(o));
      if (c !== undefined && c.spentBy === null) st.putCoin({ ...c, spentBy: t.txid });
    }
}
