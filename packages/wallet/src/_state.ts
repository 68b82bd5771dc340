/**
 * @internal The wallet's state and its bookkeeping: coins, tracked transactions, reservations, the
 * derived scripts of the gap limit, the spender index used to find conflicts, and the persist
 * operations of the change in progress (one put or delete per touched record, flushed per call).
 *
 * @module
 */
import type { Bip86Account } from '@superscalar/keys';
import type { Op } from '@superscalar/persist';
import {
  type CheckpointRef,
  coinKey,
  deleteOp,
  putOp,
  type Reservation,
  type WalletCoin,
  type WalletMeta,
  type WalletTx,
} from './records.js';

/** @internal Lower-case hex of bytes (script keys). */
export function hexOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** @internal The mutable state behind a `Wallet`. */
export class WalletState {
  readonly walletId: string;
  readonly account: Bip86Account;
  meta: WalletMeta;
  readonly coins = new Map<string, WalletCoin>();
  readonly txs = new Map<string, WalletTx>();
  readonly reservations = new Map<string, Reservation>();
  /** Script hex → BIP86 (change, index) for every derived address (gap limit included). */
  readonly scripts = new Map<string, { change: 0 | 1; index: number }>();
  readonly derived: [number, number] = [0, 0];
  /** Outpoint → open (built/pending) tracked txs spending it. */
  readonly spenders = new Map<string, Set<string>>();
  /**
   * Memory only: outpoint → the transaction of a recent block (the checkpoint's) that spends it, for
   * every input of those blocks — the wallet's coins or not (an anchor, a factory output). A pending
   * transaction recorded after its conflict confirmed is conflicted at once. Empty after a load (the
   * blocks are not read again): a broadcast refused for a spent input resolves it then.
   */
  readonly recentSpends = new Map<string, { txid: string; hash: string }>();
  /** Block hash → the outpoint keys it put in `recentSpends` (undone with the block, pruned with depth). */
  readonly recentBlocks = new Map<string, string[]>();
  readonly dirty = new Map<string, Op>();

  /** Spent coins and settled transactions this many blocks deep are forgotten; null keeps all. */
  readonly pruneDepth: number | null;

  constructor(walletId: string, account: Bip86Account, meta: WalletMeta, pruneDepth: number | null) {
    this.walletId = walletId;
    this.account = account;
    this.meta = meta;
    this.pruneDepth = pruneDepth;
  }

  deleteTx(txid: string): void {
    this.txs.delete(txid);
    this.dirty.set(`t/${txid}`, deleteOp(this.walletId, 't', txid));
  }

  /** Height of the last block applied; `birthHeight − 1` before any. */
  get tipHeight(): number {
    const c = this.meta.checkpoint;
    return c.length === 0 ? this.meta.birthHeight - 1 : (c[c.length - 1] as CheckpointRef).height;
  }

  next(change: 0 | 1): { script: Uint8Array; index: number } {
    const next = [...this.meta.nextIndex] as [number, number];
    const index = next[change];
    next[change] = index + 1;
    this.meta = { ...this.meta, nextIndex: next };
    this.touchMeta();
    this.extend();
    return { script: this.account.deriveKey(change, index).scriptPubKey, index };
  }

  /** Derives scripts up to max(next, used + 1) + gapLimit on both chains. */
  extend(): void {
    for (const change of [0, 1] as const) {
      const want =
        Math.max(this.meta.nextIndex[change], this.meta.usedIndex[change] + 1) + this.meta.gapLimit;
      while (this.derived[change] < want) {
        const i = this.derived[change];
        this.scripts.set(hexOf(this.account.deriveKey(change, i).scriptPubKey), { change, index: i });
        this.derived[change] = i + 1;
      }
    }
  }

  markUsed(change: 0 | 1, index: number): void {
    if (index <= this.meta.usedIndex[change]) return;
    const used = [...this.meta.usedIndex] as [number, number];
    used[change] = index;
    const next = [...this.meta.nextIndex] as [number, number];
    if (next[change] <= index) next[change] = index + 1;
    this.meta = { ...this.meta, usedIndex: used, nextIndex: next };
    this.touchMeta();
    this.extend();
  }

  reservedBy(key: string): Reservation | undefined {
    const r = this.reservations.get(key);
    return r !== undefined && r.expiresAtHeight > this.tipHeight ? r : undefined;
  }

  releaseOwnerOf(t: WalletTx): void {
    for (const o of t.inputs) {
      const k = coinKey(o);
      if (this.reservations.get(k)?.owner === t.owner) this.dropReservation(k);
    }
  }

  index(t: WalletTx): void {
    for (const o of t.inputs) {
      const k = coinKey(o);
      let s = this.spenders.get(k);
      if (s === undefined) {
        s = new Set();
        this.spenders.set(k, s);
      }
      s.add(t.txid);
    }
  }

  unindex(t: WalletTx): void {
    for (const o of t.inputs) {
      const k = coinKey(o);
      const s = this.spenders.get(k);
      s?.delete(t.txid);
      if (s?.size === 0) this.spenders.delete(k);
    }
  }

  putCoin(c: WalletCoin): void {
    const k = coinKey(c);
    this.coins.set(k, c);
    this.dirty.set(`c/${k}`, putOp(this.walletId, 'c', k, c));
  }

  deleteCoin(k: string): void {
    this.coins.delete(k);
    this.dirty.set(`c/${k}`, deleteOp(this.walletId, 'c', k));
    if (this.reservations.has(k)) this.dropReservation(k);
  }

  putTx(t: WalletTx): void {
    this.txs.set(t.txid, t);
    this.dirty.set(`t/${t.txid}`, putOp(this.walletId, 't', t.txid, t));
  }

  putReservation(r: Reservation): void {
    const k = coinKey(r);
    this.reservations.set(k, r);
    this.dirty.set(`r/${k}`, putOp(this.walletId, 'r', k, r));
  }

  dropReservation(k: string): void {
    this.reservations.delete(k);
    this.dirty.set(`r/${k}`, deleteOp(this.walletId, 'r', k));
  }

  touchMeta(): void {
    this.dirty.set('m/meta', putOp(this.walletId, 'm', 'meta', this.meta));
  }

  flush(): readonly Op[] {
    const ops = [...this.dirty.values()];
    this.dirty.clear();
    return ops;
  }
}
