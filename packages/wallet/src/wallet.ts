/**
 * The wallet: the on-chain coins of one role, kept as a state machine that does no I/O. Every change
 * (a block connected or disconnected, an address handed out, a reservation, a transaction built,
 * signed or abandoned) returns the `@superscalar/persist` operations that record it; the caller's
 * runtime puts them in its own update (DESIGN §4, one sequencer per store) and acts (broadcasts) only
 * once that update is durable. `Wallet.load` rebuilds the same state from the stored blobs.
 *
 * **Order.** Blocks come from the chain's `BlockFollower` (`applyEvent`): `connected` lowest first,
 * `disconnected` highest first. Delivery is at-least-once: a block the wallet already applied (its
 * checkpoint holds it) or a disconnection above its view is a no-op returning no operations.
 *
 * **Reorg.** A disconnected block un-confirms what it confirmed: its coins become unconfirmed (not
 * spendable by funding), a spend it held frees the coin — unless the spender is the wallet's own
 * transaction, which goes back to `pending` (re-broadcast it) — and a conflict it caused is undone
 * (the conflicted transaction is pending again and its outputs come back). A coin is never counted
 * twice: coins are keyed by outpoint.
 *
 * Browser-safe: no Node built-ins.
 *
 * @module
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import type { BlockRef, ChainEvent } from '@superscalar/chain';
import { cryptoRng, type Network, type Rng } from '@superscalar/core';
import type { Bip86Account } from '@superscalar/keys';
import type { BlobRecord, Op } from '@superscalar/persist';
import {
  decodeTx,
  displayHex,
  encodeTx,
  encodeTxNoWitness,
  type OutPoint,
  P2TR_DUST,
  TaprootSighasher,
  type Tx,
  type TxOut,
  txidBytes,
  txidOf,
  txVsize,
} from '@superscalar/tx';
import { conflict, conflictWithRecent, connectBlock, disconnectBlock, restoreOutputs } from './_chainView.js';
import { hexOf, WalletState } from './_state.js';
import { addressToScript, scriptToAddress } from './address.js';
import { feeForVsize, P2TR_OUTPUT_WEIGHT, type Selection, selectCoins } from './coinSelection.js';
import {
  CoinSpentError,
  DecodeError,
  FeeRateTooLowError,
  InputUnconfirmedError,
  InsufficientFundsError,
  InvalidArgumentError,
  UnknownTxError,
  WrongStateError,
} from './errors.js';
import {
  coinKey,
  decodeBlob,
  type Reservation,
  type WalletCoin,
  type WalletMeta,
  type WalletTx,
  type WalletTxKind,
  walletPrefix,
} from './records.js';

/** Options of {@link Wallet.create} and {@link Wallet.load}. */
export interface WalletOptions {
  /** The BIP86 account (`@superscalar/keys`); a public-only account watches but cannot sign. */
  readonly account: Bip86Account;
  /** Names this wallet's records in the store (several wallets may share one store). Default `main`. */
  readonly walletId?: string;
  /** Addresses derived past the highest used one on each chain (default 20, BIP44's). */
  readonly gapLimit?: number;
  /** Lowest relay fee rate the wallet builds at, sat/kvB (default 1,000: relayed by every Core ≥ 0.15). */
  readonly minRelayFeeRate?: number;
  /** Incremental relay fee for replacements (abandon), sat/kvB (default 1,000). */
  readonly incrementalRelayFeeRate?: number;
  /** Long-term fee rate of the waste metric, sat/kvB (default 10,000, Core's consolidate rate). */
  readonly longTermFeeRate?: number;
  /** BIP340 auxiliary randomness for signatures (default: the platform CSPRNG). */
  readonly rng?: Rng;
  /**
   * Spent coins whose spend is this many blocks deep, and confirmed transactions as deep that no
   * remaining coin refers to, are deleted (default 1,008, about a week; at least 100); `null` keeps
   * everything. A reorg deeper than this needs a rescan.
   */
  readonly pruneDepth?: number | null;
}

/** Options of {@link Wallet.create}. */
export interface CreateWalletOptions extends WalletOptions {
  /** The height below which the wallet has no coins: a rescan starts after `birthHeight − 1`. */
  readonly birthHeight: number;
}

/** The wallet's operations of one change: put them in one store update. */
export interface WalletChange {
  readonly ops: readonly Op[];
}

/** An output to pay: a script or an address of the wallet's network. */
export type Payment =
  | { readonly script: Uint8Array; readonly value: bigint }
  | { readonly address: string; readonly value: bigint };

/** Options of {@link Wallet.buildFunding}. */
export interface FundingOptions {
  /** The factory's funding output (and any other outputs); the funding output is the first. */
  readonly outputs: readonly Payment[];
  /** Fee rate, sat/kvB: the fee is `ceil(feeRate × vsize / 1000)` of the signed transaction. */
  readonly feeRate: number;
  /** Who holds the inputs (e.g. the factory id). */
  readonly owner: string;
  /** The reservation lapses at this height (e.g. `proposalHeight + fundingTimeout`). */
  readonly expiresAtHeight: number;
  /** Confirmations each input needs (default 1). */
  readonly minConfirmations?: number;
}

/** An unsigned funding transaction (brief §8 step 1): its txid is fixed, nothing is signed yet. */
export interface FundingTx {
  readonly txid: string;
  readonly tx: Tx;
  /** Index of the factory's funding output (0). */
  readonly fundingVout: number;
  /** Index of the change output (always present: funding is fee-bumped by CPFP on it). */
  readonly changeVout: number;
  readonly inputs: readonly WalletCoin[];
  readonly fee: bigint;
  /** Exact vsize of the signed transaction. */
  readonly vsize: number;
  readonly selection: Pick<Selection<WalletCoin>, 'algorithm' | 'waste'>;
}

/** Balances in sats. */
export interface WalletBalance {
  /** Confirmed and unspent (reserved or not). */
  readonly confirmed: bigint;
  /** Unspent but unconfirmed (pending change, coins a reorg un-confirmed). */
  readonly unconfirmed: bigint;
  /** Confirmed, unspent and reserved. */
  readonly reserved: bigint;
}

/** A signed transaction recorded as pending; broadcast it once `ops` are durable. */
export interface SignedTx extends WalletChange {
  readonly txid: string;
  readonly raw: Uint8Array;
  /**
   * Set when a block the wallet already holds spends one of its inputs by another transaction: it was
   * recorded `conflicted` (its wallet inputs spendable again); do not broadcast it.
   */
  readonly conflictedBy?: string;
}

const SEQUENCE_RBF = 0xfffffffd;
/** version, locktime (8 bytes), marker and flag (2 WU), input and output counts (1 byte each). */
const TX_OVERHEAD_WEIGHT = (4 + 4 + 1 + 1) * 4 + 2;
const OPEN: ReadonlySet<string> = new Set(['built', 'pending']);

function isSegwitSpendable(script: Uint8Array): boolean {
  // native v0/v1 witness programs; P2SH-wrapped segwit needs its redeem script, which only a
  // wallet that holds it (Bitcoin Core's, through the adapter) can use.
  const op = script[0] as number;
  return (op === 0 || (op >= 0x51 && op <= 0x60)) && script.length >= 4 && script[1] === script.length - 2;
}

/**
 * The on-chain wallet of one role (see the module doc). Create it once with {@link Wallet.create},
 * then {@link Wallet.load} it from the store's blobs after every restart.
 */
export class Wallet {
  readonly network: Network;
  readonly walletId: string;
  readonly account: Bip86Account;
  readonly minRelayFeeRate: number;
  readonly incrementalRelayFeeRate: number;
  readonly longTermFeeRate: number;
  #rng: Rng;
  #st: WalletState;

  private constructor(options: WalletOptions, meta: WalletMeta) {
    if (typeof options?.account?.deriveKey !== 'function')
      throw new InvalidArgumentError('options.account', 'expected a Bip86Account');
    this.account = options.account;
    this.network = options.account.network;
    const id = options.walletId ?? 'main';
    if (typeof id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(id))
      throw new InvalidArgumentError('options.walletId', 'expected 1 to 64 characters of [A-Za-z0-9._-]');
    this.walletId = id;
    const rate = (v: unknown, name: string, d: number): number => {
      const x = v ?? d;
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 100_000_000)
        throw new InvalidArgumentError(`options.${name}`, 'expected an integer sat/kvB rate');
      return x;
    };
    this.minRelayFeeRate = rate(options.minRelayFeeRate, 'minRelayFeeRate', 1000);
    this.incrementalRelayFeeRate = rate(options.incrementalRelayFeeRate, 'incrementalRelayFeeRate', 1000);
    this.longTermFeeRate = rate(options.longTermFeeRate, 'longTermFeeRate', 10_000);
    this.#rng = options.rng ?? cryptoRng;
    if (meta.account !== options.account.account || meta.network !== options.account.network)
      throw new InvalidArgumentError(
        'options.account',
        `the store holds account ${meta.account} on ${meta.network}, not ${options.account.account} on ${options.account.network}`,
      );
    const prune = options.pruneDepth === undefined ? 1_008 : options.pruneDepth;
    if (prune !== null && (!Number.isInteger(prune) || prune < 100))
      throw new InvalidArgumentError('options.pruneDepth', 'expected an integer ≥ 100, or null');
    this.#st = new WalletState(id, options.account, meta, prune);
    this.#st.extend();
  }

  /** A new wallet; store `ops` before using it. */
  static create(options: CreateWalletOptions): { wallet: Wallet; ops: readonly Op[] } {
    const birth = options?.birthHeight;
    if (typeof birth !== 'number' || !Number.isInteger(birth) || birth < 0)
      throw new InvalidArgumentError('options.birthHeight', 'expected a non-negative integer');
    const gap = options.gapLimit ?? 20;
    if (!Number.isInteger(gap) || gap < 1 || gap > 10_000)
      throw new InvalidArgumentError('options.gapLimit', 'expected an integer in [1, 10000]');
    const meta: WalletMeta = {
      network: options.account?.network,
      account: options.account?.account,
      gapLimit: gap,
      birthHeight: birth,
      nextIndex: [0, 0],
      usedIndex: [-1, -1],
      checkpoint: [],
    };
    const wallet = new Wallet(options, meta);
    wallet.#st.touchMeta();
    return { wallet, ops: wallet.#st.flush() };
  }

  /**
   * The wallet from its stored blobs (`store.list('blobs')`; blobs of other owners are skipped).
   *
   * @throws {DecodeError} no wallet of this id in `blobs`, or a damaged record.
   */
  static load(blobs: readonly BlobRecord[], options: WalletOptions): Wallet {
    const walletId = options?.walletId ?? 'main';
    const prefix = walletPrefix(walletId);
    const mine = blobs.filter((b) => typeof b?.key === 'string' && b.key.startsWith(prefix));
    const metaBlob = mine.find((b) => b.key === `${prefix}m/meta`);
    if (metaBlob === undefined) throw new DecodeError(`${prefix}m/meta`, 'no wallet of this id in the store');
    const meta = decodeBlob(walletId, metaBlob).record as WalletMeta;
    const w = new Wallet(options, meta);
    for (const b of mine) {
      const { kind, id, record } = decodeBlob(walletId, b);
      if (kind === 'c') w.#st.coins.set(id, record as WalletCoin);
      else if (kind === 't') w.#st.txs.set(id, record as WalletTx);
      else if (kind === 'r') w.#st.reservations.set(id, record as Reservation);
    }
    for (const t of w.#st.txs.values()) if (OPEN.has(t.state)) w.#st.index(t);
    w.#st.extend();
    return w;
  }

  // ---------------------------------------------------------------- view

  /** Height of the wallet's tip (the last block applied); `birthHeight − 1` before any. */
  get tipHeight(): number {
    return this.#st.tipHeight;
  }

  /** Where the block follower should resume this wallet from: its checkpoint, or the birth height. */
  followFrom(): readonly BlockRef[] | { readonly height: number } {
    const c = this.#st.meta.checkpoint;
    return c.length === 0
      ? { height: this.#st.meta.birthHeight - 1 }
      : c.map((r) => ({ height: r.height, hash: r.hash }));
  }

  /** Confirmations of a coin or transaction height at the wallet's tip (0 when unconfirmed). */
  confirmations(height: number | null): number {
    return height === null ? 0 : Math.max(0, this.tipHeight - height + 1);
  }

  /** Every coin the wallet holds or held (spent coins stay until pruned, see `pruneDepth`), in "txid:vout" order. */
  coins(): WalletCoin[] {
    return [...this.#st.coins.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
  }

  /** One coin, or undefined. */
  coin(outpoint: OutPoint): WalletCoin | undefined {
    return this.#st.coins.get(coinKey(outpoint));
  }

  /** One tracked transaction, or undefined. */
  tx(txid: string): WalletTx | undefined {
    return this.#st.txs.get(txid);
  }

  /** Tracked transactions, optionally of some states, in txid order. */
  txs(states?: readonly WalletTx['state'][]): WalletTx[] {
    const all = [...this.#st.txs.values()].sort((a, b) => (a.txid < b.txid ? -1 : 1));
    return states === undefined ? all : all.filter((t) => states.includes(t.state));
  }

  /** Signed transactions not yet confirmed: what a runtime re-broadcasts after a restart or a reorg. */
  pendingBroadcasts(): WalletTx[] {
    return this.txs(['pending']).filter((t) => t.kind !== 'receive' && t.kind !== 'external');
  }

  /** Live reservations (expired ones are ignored, and dropped at the next block). */
  reservations(): Reservation[] {
    return [...this.#st.reservations.values()].filter((r) => r.expiresAtHeight > this.tipHeight);
  }

  /** Balances (see {@link WalletBalance}). */
  balance(): WalletBalance {
    let confirmed = 0n;
    let unconfirmed = 0n;
    let reserved = 0n;
    for (const [k, c] of this.#st.coins) {
      if (c.spentBy !== null) continue;
      if (c.height === null) unconfirmed += c.value;
      else {
        confirmed += c.value;
        if (this.#st.reservedBy(k) !== undefined) reserved += c.value;
      }
    }
    return { confirmed, unconfirmed, reserved };
  }

  /** Coins funding may use: confirmed ≥ `minConfirmations`, unspent, unreserved, segwit. */
  spendableCoins(minConfirmations = 1): WalletCoin[] {
    const out: WalletCoin[] = [];
    for (const [k, c] of this.#st.coins) {
      if (c.spentBy !== null || c.height === null) continue;
      if (this.confirmations(c.height) < minConfirmations) continue;
      if (this.#st.reservedBy(k) !== undefined || !isSegwitSpendable(c.script)) continue;
      out.push(c);
    }
    return out;
  }

  /** The segwit address of a script on the wallet's network. */
  addressOf(script: Uint8Array): string | undefined {
    return scriptToAddress(script, this.network);
  }

  // ---------------------------------------------------------------- addresses

  /** The next receive address (BIP86 `…/0/i`); store `ops`, then hand it out. */
  newAddress(): { address: string; script: Uint8Array; index: number; ops: readonly Op[] } {
    const { script, index } = this.#st.next(0);
    return { address: this.addressOf(script) as string, script, index, ops: this.#st.flush() };
  }

  /** The next change script (BIP86 `…/1/i`), e.g. for a CPFP child's change. */
  changeScript(): { script: Uint8Array; index: number; ops: readonly Op[] } {
    const r = this.#st.next(1);
    return { ...r, ops: this.#st.flush() };
  }

  /** True when `script` is one of the wallet's (within the gap limit). */
  isMine(script: Uint8Array): boolean {
    return this.#st.scripts.has(hexOf(script));
  }

  // ---------------------------------------------------------------- chain events

  /**
   * Applies one event of the block follower and returns its operations (store them, with the wallet's
   * checkpoint they include, before accepting the next event).
   */
  applyEvent(event: ChainEvent): readonly Op[] {
    if (event?.type === 'connected') connectBlock(this.#st, event.block);
    else if (event?.type === 'disconnected') disconnectBlock(this.#st, event.block);
    else throw new InvalidArgumentError('event', "expected a 'connected' or 'disconnected' chain event");
    return this.#st.flush();
  }

  // ---------------------------------------------------------------- reservations

  /**
   * Reserves coins for `owner` until `expiresAtHeight`.
   *
   * @throws {InvalidArgumentError} a coin the wallet does not hold, spent, or reserved by another owner.
   */
  reserve(options: {
    owner: string;
    outpoints: readonly OutPoint[];
    expiresAtHeight: number;
  }): readonly Op[] {
    const owner = this.#owner(options?.owner);
    const exp = this.#expiry(options.expiresAtHeight);
    const keys = (options.outpoints ?? []).map((o, i) => {
      const k = coinKey(o);
      const c = this.#st.coins.get(k);
      if (c === undefined)
        throw new InvalidArgumentError(`options.outpoints[${i}]`, 'not a coin of this wallet');
      if (c.spentBy !== null) throw new CoinSpentError(o, c.spentBy);
      const r = this.#st.reservedBy(k);
      if (r !== undefined && r.owner !== owner)
        throw new InvalidArgumentError(`options.outpoints[${i}]`, `reserved by ${r.owner}`);
      return k;
    });
    for (const k of keys) {
      const [txid, vout] = k.split(':') as [string, string];
      this.#st.putReservation({ txid, vout: Number(vout), owner, expiresAtHeight: exp });
    }
    return this.#st.flush();
  }

  /** Releases every reservation of `owner` (and abandons its unsigned transactions). */
  release(owner: string): readonly Op[] {
    this.#owner(owner);
    for (const [k, r] of this.#st.reservations) if (r.owner === owner) this.#st.dropReservation(k);
    for (const t of this.#st.txs.values())
      if (t.owner === owner && t.state === 'built') {
        this.#st.unindex(t);
        this.#st.putTx({ ...t, state: 'abandoned' });
      }
    return this.#st.flush();
  }

  #owner(owner: unknown): string {
    if (typeof owner !== 'string' || owner.length === 0 || owner.length > 256)
      throw new InvalidArgumentError('options.owner', 'expected a string of 1 to 256 characters');
    return owner;
  }

  #expiry(h: unknown): number {
    if (typeof h !== 'number' || !Number.isInteger(h) || h <= this.tipHeight)
      throw new InvalidArgumentError(
        'options.expiresAtHeight',
        `expected an integer above the tip ${this.tipHeight}`,
      );
    return h;
  }

  #checkRate(feeRate: unknown, name = 'options.feeRate'): number {
    if (typeof feeRate !== 'number' || !Number.isInteger(feeRate) || feeRate < 0 || feeRate > 100_000_000)
      throw new InvalidArgumentError(name, 'expected an integer sat/kvB rate');
    if (feeRate < this.minRelayFeeRate) throw new FeeRateTooLowError(feeRate, this.minRelayFeeRate);
    return feeRate;
  }

  #payment(p: Payment, i: number): TxOut {
    const value = p?.value;
    if (typeof value !== 'bigint' || value < 0n)
      throw new InvalidArgumentError(`options.outputs[${i}].value`, 'expected a non-negative bigint');
    let script: Uint8Array;
    if ('address' in p) script = addressToScript(p.address, this.network);
    else if (p?.script instanceof Uint8Array) script = Uint8Array.from(p.script);
    else
      throw new InvalidArgumentError(
        `options.outputs[${i}]`,
        'expected { script, value } or { address, value }',
      );
    if (value < P2TR_DUST)
      throw new InvalidArgumentError(`options.outputs[${i}].value`, `below dust (${P2TR_DUST} sats)`);
    return { value, script };
  }

  // ---------------------------------------------------------------- funding (brief §8)

  /**
   * Builds the unsigned funding transaction (brief §8 step 1): confirmed segwit inputs only, the
   * factory's output first, always a change output, the exact fee at `feeRate` for the signed size.
   * Its inputs are reserved by `owner` until `expiresAtHeight`; the transaction is recorded `built`.
   *
   * @throws {FeeRateTooLowError} `feeRate` below the wallet's relay floor.
   * @throws {InsufficientFundsError} the eligible coins cannot pay amount, fee and a change output.
   * @throws {WrongNetworkError} an address of another network.
   */
  buildFunding(options: FundingOptions): { funding: FundingTx; ops: readonly Op[] } {
    const feeRate = this.#checkRate(options?.feeRate);
    const owner = this.#owner(options.owner);
    const exp = this.#expiry(options.expiresAtHeight);
    const minConf = options.minConfirmations ?? 1;
    if (!Number.isInteger(minConf) || minConf < 1)
      throw new InvalidArgumentError(
        'options.minConfirmations',
        'expected an integer ≥ 1 (funding inputs are confirmed)',
      );
    if (!Array.isArray(options.outputs) || options.outputs.length === 0)
      throw new InvalidArgumentError('options.outputs', 'expected at least the funding output');
    const outputs = options.outputs.map((p, i) => this.#payment(p, i));
    const target = outputs.reduce((s, o) => s + o.value, 0n);
    let fixedWeight = TX_OVERHEAD_WEIGHT;
    for (const o of outputs) fixedWeight += (8 + 1 + o.script.length) * 4;
    const sel = selectCoins({
      candidates: this.spendableCoins(minConf),
      target,
      fixedWeight,
      feeRate,
      longTermFeeRate: this.longTermFeeRate,
      changeOutputWeight: P2TR_OUTPUT_WEIGHT,
      requireChange: true,
    });
    const tx = this.#spendWithChange(sel, outputs);
    const vsize = txVsize(
      tx,
      tx.inputs.map(() => [new Uint8Array(64)]),
    );
    const fee = feeForVsize(feeRate, vsize);
    if (fee !== sel.fee || vsize !== sel.vsize)
      throw new InvalidArgumentError('options', `internal size mismatch ${vsize}/${sel.vsize}`);
    const txid = txidOf(tx);
    for (const c of sel.selected)
      this.#st.putReservation({ txid: c.txid, vout: c.vout, owner, expiresAtHeight: exp });
    const record: WalletTx = {
      txid,
      kind: 'funding',
      state: 'built',
      raw: encodeTxNoWitness(tx),
      inputs: sel.selected.map((c) => ({ txid: c.txid, vout: c.vout })),
      owner,
      fee,
      fundingVout: 0,
      replaces: null,
      height: null,
      blockHash: null,
      conflictedBy: null,
      conflictBlockHash: null,
    };
    this.#st.putTx(record);
    this.#st.index(record);
    const funding: FundingTx = {
      txid,
      tx,
      fundingVout: 0,
      changeVout: outputs.length,
      inputs: sel.selected,
      fee,
      vsize,
      selection: { algorithm: sel.algorithm, waste: sel.waste },
    };
    return { funding, ops: this.#st.flush() };
  }

  /**
   * Signs a `built` transaction of the wallet and records it `pending` (its inputs spent, its change
   * an unconfirmed coin). Store `ops`, then broadcast `raw`.
   *
   * @throws {InputUnconfirmedError} a funding input lost its confirmation (reorg): wait or abandon.
   * @throws {CoinSpentError} an input was spent by another transaction (it is then conflicted).
   */
  sign(txid: string): SignedTx {
    const t = this.#st.txs.get(txid);
    if (t === undefined) throw new UnknownTxError(txid);
    if (t.state === 'pending' || t.state === 'confirmed') return { txid, raw: t.raw, ops: [] };
    if (t.state !== 'built') throw new WrongStateError(txid, t.state, 'sign');
    for (const o of t.inputs) {
      const c = this.#st.coins.get(coinKey(o));
      if (c === undefined || (c.spentBy !== null && c.spentBy !== txid))
        throw new CoinSpentError(o, c?.spentBy ?? undefined);
      if (t.kind === 'funding' && c.height === null) throw new InputUnconfirmedError(o);
      const r = this.#st.reservedBy(coinKey(o));
      if (t.owner !== null && r?.owner !== t.owner)
        throw new WrongStateError(
          txid,
          r === undefined ? 'no longer reserved (expired)' : `reserved by ${r.owner}`,
          'sign',
        );
    }
    const tx = decodeTx(t.raw);
    const raw = this.#signTx(tx, t.inputs);
    const n: WalletTx = { ...t, state: 'pending', raw };
    this.#st.putTx(n);
    this.#st.index(n);
    restoreOutputs(this.#st, n);
    return { txid, raw, ops: this.#st.flush() };
  }

  // The unsigned v2 transaction of a selection: its coins (RBF-signalling), `outputs`, then the
  // change to a fresh internal address (always last).
  #spendWithChange(sel: { selected: readonly WalletCoin[]; change: bigint }, outputs: readonly TxOut[]): Tx {
    const { script } = this.#st.next(1);
    return {
      version: 2,
      locktime: 0,
      inputs: sel.selected.map((c) => ({
        txidBytes: txidBytes(c.txid),
        vout: c.vout,
        sequence: SEQUENCE_RBF,
      })),
      outputs: [...outputs, { value: sel.change, script }],
    };
  }

  #signTx(tx: Tx, inputs: readonly OutPoint[]): Uint8Array {
    const coins = inputs.map((o) => this.#st.coins.get(coinKey(o)) as WalletCoin);
    const sighasher = new TaprootSighasher(
      tx,
      coins.map((c) => ({ value: c.value, script: c.script })),
    );
    const witnesses = coins.map((c, i) => [this.#signKeyPath(c, sighasher.sighash(i))]);
    return encodeTx(tx, witnesses);
  }

  #signKeyPath(c: WalletCoin, sighash: Uint8Array): Uint8Array {
    const k = this.account.deriveSecret(c.change, c.index);
    try {
      if (hexOf(k.scriptPubKey) !== hexOf(c.script))
        throw new InvalidArgumentError('outpoint', 'the coin is not the BIP86 output of its recorded key');
      const aux = this.#rng(32);
      return schnorr.sign(sighash, k.tweakedSecretKey, aux);
    } finally {
      k.secretKey.fill(0);
      k.tweakedSecretKey.fill(0);
    }
  }

  /**
   * A BIP340 key-path signature (`SIGHASH_DEFAULT`) of `sighash` by the wallet coin `outpoint`: for a
   * transaction built elsewhere (factory-tree's `buildCpfpChild` gives the fee input's sighash).
   */
  signInput(outpoint: OutPoint, sighash: Uint8Array): Uint8Array {
    const c = this.#st.coins.get(coinKey(outpoint));
    if (c === undefined) throw new InvalidArgumentError('outpoint', 'not a coin of this wallet');
    if (!(sighash instanceof Uint8Array) || sighash.length !== 32)
      throw new InvalidArgumentError('sighash', 'expected 32 bytes');
    return this.#signKeyPath(c, sighash);
  }

  /**
   * Records a signed transaction made outside the wallet that spends or pays its coins (a CPFP child)
   * as `pending`: its wallet inputs are spent, its wallet outputs are unconfirmed coins. Store `ops`,
   * then broadcast.
   *
   * `replaces`: the txid of a pending transaction of the wallet that this one replaces (a re-bumped
   * CPFP child spending the same fee coin): the coins it spent may be spent again. Both stay
   * `pending`; whichever confirms conflicts the other (as {@link Wallet.abandon}'s double-spend).
   */
  recordBroadcast(
    raw: Uint8Array,
    options: { kind: WalletTxKind; owner?: string; replaces?: string },
  ): SignedTx {
    if (!(raw instanceof Uint8Array)) throw new InvalidArgumentError('raw', 'expected Uint8Array');
    let tx: Tx;
    try {
      tx = decodeTx(raw);
    } catch (cause) {
      throw new InvalidArgumentError('raw', 'not a transaction', { cause });
    }
    const txid = txidOf(tx);
    const known = this.#st.txs.get(txid);
    if (known !== undefined && known.state !== 'built' && known.state !== 'abandoned')
      return { txid, raw: known.raw, ops: [] };
    const replaces = options?.replaces;
    if (replaces !== undefined) {
      const r = this.#st.txs.get(replaces);
      if (r === undefined) throw new UnknownTxError(replaces);
      if (r.state !== 'pending') throw new WrongStateError(replaces, r.state, 'replace');
    }
    const inputs = tx.inputs.map((i) => ({ txid: displayHex(i.txidBytes), vout: i.vout }));
    inputs.forEach((o) => {
      const c = this.#st.coins.get(coinKey(o));
      if (c !== undefined && c.spentBy !== null && c.spentBy !== txid && c.spentBy !== replaces)
        throw new CoinSpentError(o, c.spentBy);
    });
    // The replaced transaction's coins are this one's from now on (restoreOutputs re-marks them).
    for (const o of inputs) {
      const c = this.#st.coins.get(coinKey(o));
      if (c !== undefined && replaces !== undefined && c.spentBy === replaces)
        this.#st.putCoin({ ...c, spentBy: null });
    }
    const n: WalletTx = {
      txid,
      kind: options?.kind ?? 'send',
      state: 'pending',
      raw: Uint8Array.from(raw),
      inputs,
      owner: options?.owner ?? null,
      fee: null,
      fundingVout: null,
      replaces: replaces ?? null,
      height: null,
      blockHash: null,
      conflictedBy: null,
      conflictBlockHash: null,
    };
    this.#st.putTx(n);
    this.#st.index(n);
    restoreOutputs(this.#st, n);
    const by = conflictWithRecent(this.#st, n);
    return { txid, raw: n.raw, ops: this.#st.flush(), ...(by === undefined ? {} : { conflictedBy: by }) };
  }

  /**
   * Gives up a funding transaction (brief §8 step 6: the factory did not complete in time). Never
   * signed: its reservation is released and it is `abandoned` (nobody can broadcast it). Signed:
   * its inputs are double-spent back to the wallet by a replacement paying at least `feeRate` and
   * the original's fee plus the incremental relay fee (BIP125 rules 3 and 4), recorded `pending`.
   */
  abandon(
    txid: string,
    options: { feeRate: number },
  ): { doubleSpend: SignedTx | undefined; ops: readonly Op[] } {
    const t = this.#st.txs.get(txid);
    if (t === undefined) throw new UnknownTxError(txid);
    const feeRate = this.#checkRate(options?.feeRate);
    if (t.state === 'built') {
      this.#st.unindex(t);
      this.#st.putTx({ ...t, state: 'abandoned' });
      this.#st.releaseOwnerOf(t);
      return { doubleSpend: undefined, ops: this.#st.flush() };
    }
    if (t.state !== 'pending') throw new WrongStateError(txid, t.state, 'abandon');
    const coins = t.inputs.map((o) => {
      const c = this.#st.coins.get(coinKey(o));
      if (c === undefined) throw new CoinSpentError(o, undefined);
      if (c.spentBy !== null && c.spentBy !== txid) throw new CoinSpentError(o, c.spentBy);
      return c;
    });
    const total = coins.reduce((s, c) => s + c.value, 0n);
    const { script } = this.#st.next(1);
    const draft = (value: bigint): Tx => ({
      version: 2,
      locktime: 0,
      inputs: coins.map((c) => ({ txidBytes: txidBytes(c.txid), vout: c.vout, sequence: SEQUENCE_RBF })),
      outputs: [{ value, script }],
    });
    const vsize = txVsize(
      draft(0n),
      coins.map(() => [new Uint8Array(64)]),
    );
    let fee = feeForVsize(feeRate, vsize);
    const floor = (t.fee ?? 0n) + feeForVsize(this.incrementalRelayFeeRate, vsize);
    if (fee < floor) fee = floor;
    if (total - fee < P2TR_DUST) throw new InsufficientFundsError(fee + P2TR_DUST, total);
    const tx = draft(total - fee);
    const newTxid = txidOf(tx);
    // The coins are the original's until the replacement is recorded: free them, then spend them.
    for (const c of coins) this.#st.putCoin({ ...c, spentBy: null });
    const raw = this.#signTx(tx, t.inputs);
    const n: WalletTx = {
      txid: newTxid,
      kind: 'abandon',
      state: 'pending',
      raw,
      inputs: t.inputs,
      owner: t.owner,
      fee,
      fundingVout: null,
      replaces: txid,
      height: null,
      blockHash: null,
      conflictedBy: null,
      conflictBlockHash: null,
    };
    this.#st.putTx(n);
    this.#st.index(n);
    restoreOutputs(this.#st, n);
    for (const c of coins)
      this.#st.putCoin({ ...(this.#st.coins.get(coinKey(c)) as WalletCoin), spentBy: newTxid });
    this.#st.releaseOwnerOf(t);
    return { doubleSpend: { txid: newTxid, raw, ops: [] }, ops: this.#st.flush() };
  }

  /**
   * Records that `outpoint` is spent by a transaction the wallet did not make (found after a
   * `missing-inputs` rejection with `ChainSource.getSpend`): the coin is spent, and the wallet's own
   * open transactions that used it are conflicted.
   */
  markSpentElsewhere(outpoint: OutPoint, spentBy: string, options?: { blockHash?: string }): readonly Op[] {
    const k = coinKey(outpoint);
    const c = this.#st.coins.get(k);
    if (c === undefined && !this.#st.spenders.has(k))
      throw new InvalidArgumentError(
        'outpoint',
        'neither a coin of this wallet nor an input of its open transactions',
      );
    // A block in the wallet's view: a reorg that disconnects it re-opens what it conflicted.
    const hash = options?.blockHash;
    const inView = hash !== undefined && this.#st.meta.checkpoint.some((r) => r.hash === hash);
    for (const other of [...(this.#st.spenders.get(k) ?? [])])
      if (other !== spentBy) conflict(this.#st, other, spentBy, inView ? hash : '');
    if (c !== undefined) {
      this.#st.putCoin({ ...(this.#st.coins.get(k) as WalletCoin), spentBy });
      if (this.#st.reservations.has(k)) this.#st.dropReservation(k);
    }
    return this.#st.flush();
  }

  /**
   * Gives up a `pending` transaction of the wallet that is in no mempool and no block (refused,
   * evicted, or its package was: Bitcoin Core's `abandontransaction`). It and every pending
   * transaction spending its outputs become `abandoned`: their wallet inputs are spendable again and
   * their reservations released, their outputs dropped. Check first that the backend does not hold
   * it (`abandonIfAbsent`); should it confirm after all, the block records it `confirmed`.
   *
   * @throws {WrongStateError} not a `pending` transaction of the wallet (a `built` one: {@link Wallet.abandon}).
   */
  abandonTransaction(txid: string): readonly Op[] {
    const t = this.#st.txs.get(txid);
    if (t === undefined) throw new UnknownTxError(txid);
    if (t.state !== 'pending' || t.kind === 'receive' || t.kind === 'external')
      throw new WrongStateError(txid, t.state, 'abandonTransaction');
    const drop = (x: WalletTx): void => {
      this.#st.unindex(x);
      this.#st.putTx({ ...x, state: 'abandoned' });
      for (const o of x.inputs) {
        const c = this.#st.coins.get(coinKey(o));
        if (c?.spentBy === x.txid) this.#st.putCoin({ ...c, spentBy: null });
      }
      if (x.owner !== null) this.#st.releaseOwnerOf(x);
      for (const [k, c] of [...this.#st.coins]) {
        if (c.txid !== x.txid) continue;
        const child = c.spentBy === null ? undefined : this.#st.txs.get(c.spentBy);
        if (child?.state === 'pending') drop(child);
        this.#st.deleteCoin(k);
      }
    };
    drop(t);
    return this.#st.flush();
  }

  // ---------------------------------------------------------------- fee coins (brief §6, §11)

  /** Confirmed, unspent, unreserved coins with a value in [minValue, maxValue]. */
  feeCoins(options: { minValue: bigint; maxValue?: bigint }): WalletCoin[] {
    const max = options?.maxValue;
    return this.spendableCoins(1).filter(
      (c) => c.value >= options.minValue && (max === undefined || c.value <= max),
    );
  }

  /**
   * Hands out one confirmed P2TR coin of at least `minValue` (the smallest such) for a CPFP child,
   * reserved by `owner`. The coin is a factory-tree `FeeCoin` as it is. Undefined when the pool is
   * empty (refill it with {@link Wallet.splitFeeCoins}).
   */
  takeFeeCoin(options: {
    owner: string;
    minValue: bigint;
    expiresAtHeight: number;
  }): { coin: WalletCoin; ops: readonly Op[] } | undefined {
    const owner = this.#owner(options?.owner);
    const exp = this.#expiry(options.expiresAtHeight);
    const pool = this.feeCoins({ minValue: options.minValue }).sort((a, b) =>
      a.value === b.value ? 0 : a.value < b.value ? -1 : 1,
    );
    const coin = pool[0];
    if (coin === undefined) return undefined;
    this.#st.putReservation({ txid: coin.txid, vout: coin.vout, owner, expiresAtHeight: exp });
    return { coin, ops: this.#st.flush() };
  }

  /**
   * Splits the largest spendable coin into `count` fee coins of `value` sats each (P2TR change-chain
   * outputs) plus change, signed and recorded `pending`; broadcast `raw` once `ops` are durable. The
   * new coins join the pool when confirmed. Undefined when the pool already holds `count` coins of
   * `value` to `2·value` sats (the useful sizes; larger coins are what splits consume).
   */
  splitFeeCoins(options: { count: number; value: bigint; feeRate: number }): SignedTx | undefined {
    const feeRate = this.#checkRate(options?.feeRate);
    const count = options.count;
    if (!Number.isInteger(count) || count < 1 || count > 200)
      throw new InvalidArgumentError('options.count', 'expected an integer in [1, 200]');
    if (typeof options.value !== 'bigint' || options.value < P2TR_DUST)
      throw new InvalidArgumentError('options.value', `expected a bigint ≥ ${P2TR_DUST}`);
    // the pool: coins of a useful size, [value, 2·value]; anything larger is what splits feed on
    const have = this.feeCoins({ minValue: options.value, maxValue: options.value * 2n }).length;
    if (have >= count) return undefined;
    const n = count - have;
    const outputs: TxOut[] = [];
    for (let i = 0; i < n; i++) outputs.push({ value: options.value, script: this.#st.next(1).script });
    let fixedWeight = TX_OVERHEAD_WEIGHT; // ≤ 201 outputs: a one-byte count
    for (const o of outputs) fixedWeight += (8 + 1 + o.script.length) * 4;
    // largest coin first: the split should not consume the pool it refills
    const sel = selectCoins({
      candidates: this.spendableCoins(1).filter((c) => c.value > options.value),
      target: options.value * BigInt(n),
      fixedWeight,
      feeRate,
      longTermFeeRate: this.longTermFeeRate,
      requireChange: true,
    });
    const tx = this.#spendWithChange(sel, outputs);
    const raw = this.#signTx(tx, sel.selected);
    const txid = txidOf(tx);
    const rec: WalletTx = {
      txid,
      kind: 'split',
      state: 'pending',
      raw,
      inputs: sel.selected.map((c) => ({ txid: c.txid, vout: c.vout })),
      owner: null,
      fee: sel.fee,
      fundingVout: null,
      replaces: null,
      height: null,
      blockHash: null,
      conflictedBy: null,
      conflictBlockHash: null,
    };
    this.#st.putTx(rec);
    this.#st.index(rec);
    restoreOutputs(this.#st, rec);
    return { txid, raw, ops: this.#st.flush() };
  }

  // ---------------------------------------------------------------- bookkeeping
}
