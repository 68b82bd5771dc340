/**
 * SimChain: an in-process regtest that validates like Bitcoin Core (DESIGN.md §5). UTXO set, mempool
 * with Core's acceptance rules and reject strings (see `mempool.ts`), mining on demand, coinbase
 * maturity, block timestamps and median time past, invalidation-based reorganisations with mempool
 * re-acceptance, and a faucet for tests. Browser-safe: no Node built-ins.
 *
 * Not modelled (say it plainly): proof of work and difficulty, peers and relay, block validation
 * beyond what the mempool already checked (blocks are built only from accepted transactions),
 * witness commitments in coinbases, sigop limits, the mempool size limit, fee estimation from a
 * fee market (rates are configured).
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { InvalidArgumentError, NotFound, TxRejected, Unavailable } from '../errors.js';
import type {
  ChainBackend,
  ChainBlock,
  ChainTip,
  Confirmation,
  FeePurpose,
  FundedOutput,
  MineOptions,
  NodePolicyInfo,
  OutPoint,
  PackageAccepted,
  SpendStatus,
  TxInfo,
  WaitOptions,
} from '../interfaces.js';
import type { Tx, TxOut } from '../tx/index.js';
import {
  createTx,
  DecodeError,
  decodeTx,
  encodeTx,
  fromDisplayHex,
  isCoinbase,
  MAX_BLOCK_WEIGHT,
  toDisplayHex,
  txidHex,
  vsize,
  weight,
  wtxidHex,
} from '../tx/index.js';
import { addressToScript } from './_address.js';
import {
  COINBASE_MATURITY,
  headerHash,
  makeCoinbase,
  merkleRoot,
  subsidy,
  txidBytes,
  witnessCommitmentScript,
} from './_block.js';
import { hasValidOps, isUnspendable } from './_script.js';
import { verifyScripts } from './_scripts.js';
import { calculateSequenceLocks, evaluateSequenceLocks, isFinalTx, medianTimePast } from './locks.js';
import {
  type ChainView,
  type Coin,
  Fail,
  MEMPOOL_HEIGHT,
  Mempool,
  outpointKey,
  type TxRecord,
} from './mempool.js';
import { DEFAULT_POLICY, feeAtRate, type SimPolicy } from './policy.js';

/** Options of {@link SimChain}. */
export interface SimChainOptions {
  /** Relay policy; defaults to Core ≥ 29.1 ({@link DEFAULT_POLICY}). */
  readonly policy?: Partial<SimPolicy>;
  /** Wall clock in unix seconds (default `Date.now()/1000`); overridden by `setMockTime`. */
  readonly clock?: () => number;
  /** Genesis timestamp (default: regtest's 1296688602). */
  readonly genesisTime?: number;
  /** Fee rates answered by `feeRate`, sat/kvB (default 1,000 for every purpose). */
  readonly feeRates?: Partial<Record<FeePurpose, number>>;
  /** Floor for `presigned` rates (default 1,000 sat/kvB, brief §1). */
  readonly presignedFloor?: number;
}

interface SimBlock {
  readonly hash: string;
  readonly prevHash: string;
  readonly height: number;
  readonly time: number;
  readonly mtp: number;
  readonly txs: readonly TxRecord[];
  /** Coins this block spent, to restore on disconnect. */
  readonly undo: Map<string, Coin>;
  invalid: boolean;
}

interface Waiter {
  check(): boolean;
}

const ZERO_HASH = '0'.repeat(64);
/** OP_TRUE as a witness script: the faucet's P2WSH output script is `OP_0 <sha256(OP_TRUE)>`. */
const OP_TRUE_SCRIPT = Uint8Array.of(0x51);
/** The faucet's scriptPubKey: P2WSH of `OP_TRUE` (anyone can spend, standard to spend). */
export const FAUCET_SCRIPT: Uint8Array = (() => {
  const s = new Uint8Array(34);
  s[0] = 0x00;
  s[1] = 0x20;
  s.set(sha256(OP_TRUE_SCRIPT), 2);
  return s;
})();
const FAUCET_FEE_RATE = 1000;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function assertBytes(v: unknown, name: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new InvalidArgumentError(name, 'expected a Uint8Array');
  return Uint8Array.from(v);
}

function assertHash(v: unknown, name: string): string {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v))
    throw new InvalidArgumentError(name, 'expected 64 lowercase hex characters (display order)');
  return v;
}

function assertHeight(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -1)
    throw new InvalidArgumentError(name, 'expected an integer height ≥ -1');
  return v;
}

/**
 * `sendrawtransaction`'s and `submitpackage`'s `maxburnamount` (default 0), checked right after
 * decoding, before anything else: an output that is provably unspendable (OP_RETURN, over 10,000
 * bytes) or has invalid opcodes may carry no value. Core answers RPC -25 with this message.
 */
function checkBurn(rec: TxRecord): void {
  rec.tx.outputs.forEach((o, i) => {
    if (o.value > 0n && (isUnspendable(o.script) || !hasValidOps(o.script)))
      throw new TxRejected({
        reason: MAX_BURN_EXCEEDED,
        txid: rec.txid,
        detail: `output ${i} burns ${o.value} sat`,
        rule: 'maxburnamount',
      });
  });
}

/** Core's `TransactionErrorString(MAX_BURN_EXCEEDED)`. */
const MAX_BURN_EXCEEDED = 'Unspendable output exceeds maximum configured by user (maxburnamount)';

/** Decodes raw bytes into a {@link TxRecord}; undecodable bytes are Core's `TX decode failed`. */
function record(raw: Uint8Array, name = 'tx'): TxRecord {
  const bytes = assertBytes(raw, name);
  let tx: Tx;
  try {
    tx = decodeTx(bytes);
  } catch (e) {
    if (DecodeError.isInstance(e))
      throw new TxRejected({ reason: 'TX decode failed', detail: e.message, rule: 'decode', cause: e });
    throw e;
  }
  return recordOf(tx);
}

function recordOf(tx: Tx): TxRecord {
  const prevTxids = tx.inputs.map((i) => toDisplayHex(i.prevTxid));
  return {
    tx,
    raw: encodeTx(tx),
    txid: txidHex(tx),
    wtxid: wtxidHex(tx),
    vsize: vsize(tx),
    weight: weight(tx),
    inputKeys: tx.inputs.map((i, k) => outpointKey(prevTxids[k]!, i.vout)),
    prevTxids,
  };
}

/**
 * An in-process regtest chain implementing every port of `@superscalar/chain`.
 *
 * Funding for tests: `fund(scriptPubKey, amount)` spends matured coinbase outputs of an internal
 * faucet (a P2WSH `OP_TRUE` output that every block mined without an explicit target pays) in an
 * ordinary transaction that goes through full mempool validation, then mines one block, so the
 * output has one confirmation — the same shape as a wallet send plus `generatetoaddress 1` on
 * bitcoind. The first call mines 101 blocks to mature a faucet coinbase.
 */
export class SimChain implements ChainBackend {
  private policy: SimPolicy;
  private readonly clock: () => number;
  private mockTime: number | undefined;
  private readonly feeRates: Record<FeePurpose, number>;
  private readonly presignedFloor: number;
  private readonly utxos = new Map<string, Coin>();
  private readonly blocks = new Map<string, SimBlock>();
  private readonly active: SimBlock[] = [];
  private readonly txIndex = new Map<string, { block: SimBlock; index: number }>();
  private readonly spendIndex = new Map<string, { txid: string; vin: number; block: SimBlock }>();
  private readonly pool = new Mempool();
  private readonly waiters = new Set<Waiter>();
  private extraNonce = 0;

  constructor(options: SimChainOptions = {}) {
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
    this.feeRates = {
      presigned: 1000,
      cpfp: 1000,
      urgent: 1000,
      economical: 1000,
      ...options.feeRates,
    };
    this.presignedFloor = options.presignedFloor ?? 1000;
    // Genesis: its coinbase output is not spendable (as in Core).
    const genesisTime = options.genesisTime ?? 1296688602;
    const cb = recordOf(makeCoinbase(0, subsidy(0), Uint8Array.of(0x6a), this.extraNonce++));
    const root = merkleRoot([txidBytes(cb.tx)]);
    const genesis: SimBlock = {
      hash: headerHash(ZERO_HASH, root, genesisTime),
      prevHash: ZERO_HASH,
      height: 0,
      time: genesisTime,
      mtp: genesisTime,
      txs: [cb],
      undo: new Map(),
      invalid: false,
    };
    this.blocks.set(genesis.hash, genesis);
    this.active.push(genesis);
    this.txIndex.set(cb.txid, { block: genesis, index: 0 });
  }

  // ---- policy --------------------------------------------------------------------------------

  /** The relay policy in force. */
  get relayPolicy(): SimPolicy {
    return this.policy;
  }

  /** Replaces parts of the relay policy (e.g. to mirror a bitcoind's `getnetworkinfo`). */
  setPolicy(policy: Partial<SimPolicy>): void {
    this.policy = { ...this.policy, ...policy };
  }

  async policyInfo(): Promise<NodePolicyInfo> {
    return {
      version: this.policy.coreVersion,
      minRelayFeeRate: this.policy.minRelayFeeRate,
      incrementalRelayFeeRate: this.policy.incrementalRelayFeeRate,
    };
  }

  // ---- internal state ------------------------------------------------------------------------

  private get tipBlock(): SimBlock {
    return this.active[this.active.length - 1]!;
  }

  private now(): number {
    return this.mockTime ?? this.clock();
  }

  private view(): ChainView {
    return {
      tipHeight: this.tipBlock.height,
      mtp: (h) => this.active[h]!.mtp,
      utxo: (k) => this.utxos.get(k),
      policy: this.policy,
      verifyScripts,
    };
  }

  private notify(): void {
    for (const w of [...this.waiters]) if (w.check()) this.waiters.delete(w);
  }

  private connect(block: SimBlock): void {
    block.txs.forEach((rec, index) => {
      if (!isCoinbase(rec.tx)) {
        rec.inputKeys.forEach((k, vin) => {
          const coin = this.utxos.get(k);
          if (coin === undefined) throw new Unavailable(`SimChain bug: block spends missing coin ${k}`);
          block.undo.set(k, coin);
          this.utxos.delete(k);
          this.spendIndex.set(k, { txid: rec.txid, vin, block });
        });
      }
      rec.tx.outputs.forEach((o, v) => {
        // Core's AddCoins skips provably unspendable outputs.
        if (o.script.length > 0 && o.script[0] === 0x6a) return;
        this.utxos.set(outpointKey(rec.txid, v), {
          value: o.value,
          script: o.script,
          height: block.height,
          coinbase: index === 0,
        });
      });
      this.txIndex.set(rec.txid, { block, index });
    });
    this.active.push(block);
  }

  private disconnectTip(): SimBlock {
    const block = this.active.pop()!;
    for (let t = block.txs.length - 1; t >= 0; t--) {
      const rec = block.txs[t]!;
      for (let v = 0; v < rec.tx.outputs.length; v++) this.utxos.delete(outpointKey(rec.txid, v));
      // Restore what this transaction spent, after removing its outputs (Core's DisconnectBlock order):
      // an output created and spent in the same block must end up absent.
      if (!isCoinbase(rec.tx)) {
        for (const k of rec.inputKeys) {
          this.spendIndex.delete(k);
          const coin = block.undo.get(k);
          if (coin !== undefined) this.utxos.set(k, coin);
        }
      }
      this.txIndex.delete(rec.txid);
    }
    block.undo.clear();
    return block;
  }

  private coinbaseScript(options: MineOptions | undefined): Uint8Array {
    if (options?.scriptPubKey !== undefined && options.address !== undefined)
      throw new InvalidArgumentError('options', 'give either scriptPubKey or address, not both');
    if (options?.scriptPubKey !== undefined) return assertBytes(options.scriptPubKey, 'options.scriptPubKey');
    if (options?.address !== undefined) return addressToScript(options.address);
    return FAUCET_SCRIPT;
  }

  private mineOne(script: Uint8Array, empty: boolean): string {
    const prev = this.tipBlock;
    const height = prev.height + 1;
    const time = Math.max(prev.mtp + 1, this.now());
    const txs: TxRecord[] = [];
    let fees = 0n;
    if (!empty) {
      let w = 4000; // room for the coinbase
      for (const txid of this.pool.topological()) {
        const e = this.pool.entries.get(txid)!;
        // Skip a transaction whose parent did not fit.
        if (this.pool.parentsOf(txid).some((p) => !txs.some((r) => r.txid === p))) continue;
        if (w + e.rec.weight > MAX_BLOCK_WEIGHT) continue;
        w += e.rec.weight;
        txs.push(e.rec);
        fees += e.fee;
      }
    }
    const commitment = witnessCommitmentScript(txs.map((r) => r.tx));
    const cb = recordOf(makeCoinbase(height, subsidy(height) + fees, script, this.extraNonce++, commitment));
    const all = [cb, ...txs];
    const root = merkleRoot(all.map((r) => txidBytes(r.tx)));
    const times = this.active.slice(-10).map((b) => b.time);
    times.push(time);
    const block: SimBlock = {
      hash: headerHash(prev.hash, root, time),
      prevHash: prev.hash,
      height,
      time,
      mtp: medianTimePast(times),
      txs: all,
      undo: new Map(),
      invalid: false,
    };
    this.blocks.set(block.hash, block);
    this.connect(block);
    for (const r of txs) this.pool.remove(r.txid);
    return block.hash;
  }

  /** Core's `removeForReorg`: drop mempool txs no longer valid for the next block, with descendants. */
  private removeForReorg(): void {
    const nextHeight = this.tipBlock.height + 1;
    const tipMtp = this.tipBlock.mtp;
    for (const txid of this.pool.topological()) {
      const e = this.pool.entries.get(txid);
      if (e === undefined) continue;
      let ok = isFinalTx(e.rec.tx, nextHeight, tipMtp);
      const ages: { height: number; prevMtp: number }[] = [];
      for (const k of e.rec.inputKeys) {
        const coin = this.pool.coin(k) ?? this.utxos.get(k);
        if (coin === undefined) {
          ok = false;
          break;
        }
        if (coin.coinbase && nextHeight - coin.height < COINBASE_MATURITY) ok = false;
        ages.push(
          coin.height === MEMPOOL_HEIGHT
            ? { height: nextHeight, prevMtp: tipMtp }
            : { height: coin.height, prevMtp: this.active[Math.max(coin.height - 1, 0)]!.mtp },
        );
      }
      if (ok) ok = evaluateSequenceLocks(calculateSequenceLocks(e.rec.tx, ages), nextHeight, tipMtp);
      if (!ok) this.pool.removeRecursive(txid);
    }
  }

  /** Removes mempool transactions spending outputs of `rec` (a tx that left the chain for good). */
  private removeSpendersOf(rec: TxRecord): void {
    rec.tx.outputs.forEach((_, v) => {
      const s = this.pool.spender(outpointKey(rec.txid, v));
      if (s !== undefined) this.pool.removeRecursive(s);
    });
  }

  // ---- ChainSource ---------------------------------------------------------------------------

  async tip(): Promise<ChainTip> {
    const t = this.tipBlock;
    return { height: t.height, hash: t.hash };
  }

  async blockHash(height: number): Promise<string> {
    assertHeight(height, 'height');
    const b = this.active[height];
    if (b === undefined) throw new NotFound(`block at height ${height}`);
    return b.hash;
  }

  private chainBlock(b: SimBlock): ChainBlock {
    return {
      height: b.height,
      hash: b.hash,
      prevHash: b.prevHash,
      time: b.time,
      mediantime: b.mtp,
      txs: b.txs.map((r) => Uint8Array.from(r.raw)),
      txids: b.txs.map((r) => r.txid),
    };
  }

  async blocksSince(height: number, limit = 1000): Promise<ChainBlock[]> {
    assertHeight(height, 'height');
    if (!Number.isInteger(limit) || limit < 1)
      throw new InvalidArgumentError('limit', 'expected a positive integer');
    return this.active.slice(height + 1, height + 1 + limit).map((b) => this.chainBlock(b));
  }

  /** Synchronous `blocksSince` for embedders that drive SimChain in a loop. */
  blockAt(height: number): ChainBlock {
    const b = this.active[height];
    if (b === undefined) throw new NotFound(`block at height ${height}`);
    return this.chainBlock(b);
  }

  private confirmationOf(block: SimBlock): Confirmation {
    return {
      blockHash: block.hash,
      height: block.height,
      confirmations: this.tipBlock.height - block.height + 1,
    };
  }

  async getTransaction(txid: string): Promise<TxInfo> {
    assertHash(txid, 'txid');
    const m = this.pool.entries.get(txid);
    if (m !== undefined) return { txid, tx: Uint8Array.from(m.rec.raw) };
    const c = this.txIndex.get(txid);
    if (c === undefined) throw new NotFound(`transaction ${txid}`);
    return {
      txid,
      tx: Uint8Array.from(c.block.txs[c.index]!.raw),
      confirmation: this.confirmationOf(c.block),
    };
  }

  async getSpend(outpoint: OutPoint): Promise<SpendStatus> {
    const txid = assertHash(outpoint?.txid, 'outpoint.txid');
    const key = outpointKey(txid, outpoint.vout);
    const m = this.pool.spender(key);
    if (m !== undefined) {
      const vin = this.pool.entries.get(m)!.rec.inputKeys.indexOf(key);
      return { spent: true, txid: m, vin };
    }
    const s = this.spendIndex.get(key);
    if (s !== undefined)
      return { spent: true, txid: s.txid, vin: s.vin, confirmation: this.confirmationOf(s.block) };
    if (this.utxos.has(key) || this.pool.coin(key) !== undefined) return { spent: false };
    throw new NotFound(`outpoint ${key}`);
  }

  private wait<T>(answer: () => T | undefined, options?: WaitOptions): Promise<T> {
    const now = answer();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const signal = options?.signal;
      const w: Waiter = {
        check: () => {
          const a = answer();
          if (a === undefined) return false;
          signal?.removeEventListener('abort', onAbort);
          resolve(a);
          return true;
        },
      };
      const onAbort = (): void => {
        this.waiters.delete(w);
        reject(signal?.reason);
      };
      if (signal?.aborted === true) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(w);
    });
  }

  waitForHeight(height: number, options?: WaitOptions): Promise<ChainTip> {
    assertHeight(height, 'height');
    return this.wait(() => {
      const t = this.tipBlock;
      return t.height >= height ? { height: t.height, hash: t.hash } : undefined;
    }, options);
  }

  waitForConfirmation(txid: string, confirmations = 1, options?: WaitOptions): Promise<Confirmation> {
    assertHash(txid, 'txid');
    if (!Number.isInteger(confirmations) || confirmations < 1)
      throw new InvalidArgumentError('confirmations', 'expected a positive integer');
    return this.wait(() => {
      const c = this.txIndex.get(txid);
      if (c === undefined) return undefined;
      const conf = this.confirmationOf(c.block);
      return conf.confirmations >= confirmations ? conf : undefined;
    }, options);
  }

  // ---- Broadcaster ---------------------------------------------------------------------------

  private toRejected(e: unknown, single: boolean): unknown {
    if (!(e instanceof Fail)) return e;
    // testmempoolaccept/sendrawtransaction name a single transaction's missing inputs `missing-inputs`.
    if (single && e.kind === 'missing-inputs') return new TxRejected({ ...e.init, reason: 'missing-inputs' });
    return e.toTxRejected();
  }

  /** Like `testmempoolaccept`: throws {@link TxRejected} if `tx` would be refused; changes nothing. */
  testAccept(tx: Uint8Array): string {
    const rec = record(tx);
    try {
      this.pool.acceptSingle(this.view(), rec, { test: true, maxFee: 'single' });
    } catch (e) {
      throw this.toRejected(e, true);
    }
    return rec.txid;
  }

  /** Synchronous {@link broadcast}. */
  broadcastSync(tx: Uint8Array): string {
    const rec = record(tx);
    checkBurn(rec);
    // Core's BroadcastTransaction: outputs already in the UTXO set → already confirmed.
    for (let v = 0; v < rec.tx.outputs.length; v++)
      if (this.utxos.has(outpointKey(rec.txid, v)))
        throw new TxRejected({
          reason: 'txn-already-known',
          txid: rec.txid,
          detail: 'Transaction outputs already in utxo set',
        });
    if (this.pool.entries.has(rec.txid)) return rec.txid;
    try {
      this.pool.acceptSingle(this.view(), rec, { maxFee: 'single' });
    } catch (e) {
      throw this.toRejected(e, true);
    }
    return rec.txid;
  }

  async broadcast(tx: Uint8Array): Promise<string> {
    return this.broadcastSync(tx);
  }

  /** Synchronous {@link broadcastPackage}. */
  broadcastPackageSync(parent: Uint8Array, child: Uint8Array): PackageAccepted {
    const p = record(parent, 'parent');
    const c = record(child, 'child');
    checkBurn(p);
    checkBurn(c);
    try {
      const r = this.pool.acceptPackage(this.view(), p, c);
      return { parentTxid: p.txid, childTxid: c.txid, replacedTxids: r.replaced };
    } catch (e) {
      throw this.toRejected(e, false);
    }
  }

  async broadcastPackage(parent: Uint8Array, child: Uint8Array): Promise<PackageAccepted> {
    return this.broadcastPackageSync(parent, child);
  }

  /** Txids in the mempool (insertion order). */
  mempool(): string[] {
    return [...this.pool.entries.keys()];
  }

  /** An unspent output of the UTXO set (confirmed only), or undefined. */
  utxo(
    outpoint: OutPoint,
  ): { value: bigint; scriptPubKey: Uint8Array; height: number; coinbase: boolean } | undefined {
    const c = this.utxos.get(outpointKey(assertHash(outpoint?.txid, 'outpoint.txid'), outpoint.vout));
    return c === undefined
      ? undefined
      : { value: c.value, scriptPubKey: Uint8Array.from(c.script), height: c.height, coinbase: c.coinbase };
  }

  // ---- FeeEstimator --------------------------------------------------------------------------

  async feeRate(purpose: FeePurpose): Promise<number> {
    const r = this.feeRates[purpose];
    if (r === undefined) throw new InvalidArgumentError('purpose', `unknown fee purpose ${String(purpose)}`);
    const floor =
      purpose === 'presigned'
        ? Math.max(this.presignedFloor, this.policy.minRelayFeeRate)
        : this.policy.minRelayFeeRate;
    return Math.max(Math.ceil(r), floor);
  }

  // ---- RegtestControl ------------------------------------------------------------------------

  /** Synchronous {@link mine}. */
  mineSync(count: number, options?: MineOptions): string[] {
    if (!Number.isInteger(count) || count < 0 || count > 100_000)
      throw new InvalidArgumentError('count', 'expected an integer in [0, 100000]');
    const script = this.coinbaseScript(options);
    const hashes: string[] = [];
    for (let i = 0; i < count; i++) hashes.push(this.mineOne(script, options?.empty === true));
    this.notify();
    return hashes;
  }

  async mine(count: number, options?: MineOptions): Promise<string[]> {
    return this.mineSync(count, options);
  }

  private faucetCoins(): { key: string; coin: Coin }[] {
    const next = this.tipBlock.height + 1;
    const out: { key: string; coin: Coin }[] = [];
    for (const [key, coin] of this.utxos) {
      if (!sameBytes(coin.script, FAUCET_SCRIPT)) continue;
      if (coin.coinbase && next - coin.height < COINBASE_MATURITY) continue;
      if (this.pool.spender(key) !== undefined) continue;
      out.push({ key, coin });
    }
    return out.sort((a, b) => (a.coin.value > b.coin.value ? -1 : a.coin.value < b.coin.value ? 1 : 0));
  }

  /** Synchronous {@link fund}. */
  fundSync(scriptPubKey: Uint8Array, amount: bigint): FundedOutput {
    const script = assertBytes(scriptPubKey, 'scriptPubKey');
    const txid = this.faucetSend(script, amount);
    this.mineSync(1);
    return { txid, vout: 0, amount, scriptPubKey: Uint8Array.from(script), height: this.tipBlock.height };
  }

  /**
   * Pays `amount` to `scriptPubKey` from the faucet and leaves the transaction in the mempool (output
   * 0), like a wallet's `sendtoaddress`; mines maturity blocks first if the faucet has too little.
   * `fund` is this plus one block.
   */
  faucetSend(scriptPubKey: Uint8Array, amount: bigint): string {
    const script = assertBytes(scriptPubKey, 'scriptPubKey');
    if (typeof amount !== 'bigint' || amount <= 0n)
      throw new InvalidArgumentError('amount', 'expected a positive bigint');
    for (let attempt = 0; attempt < 20; attempt++) {
      const coins = this.faucetCoins();
      const picked: { key: string; coin: Coin }[] = [];
      let total = 0n;
      for (const c of coins) {
        if (total >= amount + 100_000n) break;
        picked.push(c);
        total += c.coin.value;
      }
      if (total < amount + 100_000n || picked.length > 500) {
        this.mineSync(attempt === 0 && coins.length === 0 ? 101 : 100);
        continue;
      }
      const build = (change: bigint): Tx =>
        createTx({
          version: 2,
          inputs: picked.map((p) => {
            const at = p.key.lastIndexOf(':');
            return {
              prevTxid: fromDisplayHex(p.key.slice(0, at)),
              vout: Number(p.key.slice(at + 1)),
              sequence: 0xfffffffd,
              witness: [OP_TRUE_SCRIPT],
            };
          }),
          outputs: [
            { value: amount, script },
            ...(change > 0n ? [{ value: change, script: FAUCET_SCRIPT }] : []),
          ],
          locktime: 0,
        });
      const fee = feeAtRate(FAUCET_FEE_RATE, vsize(build(1n)));
      let change = total - amount - fee;
      if (change < 1000n) change = 0n;
      const tx = build(change);
      return this.broadcastSync(encodeTx(tx));
    }
    throw new Unavailable('SimChain faucet could not gather enough matured coins');
  }

  async fund(scriptPubKey: Uint8Array, amount: bigint): Promise<FundedOutput> {
    return this.fundSync(scriptPubKey, amount);
  }

  /** Synchronous {@link invalidateBlock}. */
  invalidateBlockSync(hash: string): void {
    assertHash(hash, 'hash');
    const block = this.blocks.get(hash);
    if (block === undefined) throw new NotFound(`block ${hash}`);
    if (block.height === 0) throw new InvalidArgumentError('hash', 'the genesis block cannot be invalidated');
    block.invalid = true;
    if (this.active[block.height]?.hash !== hash) return;
    const disconnected: SimBlock[] = [];
    while (this.tipBlock.height >= block.height) {
      const b = this.disconnectTip();
      b.invalid = true;
      disconnected.unshift(b);
    }
    // Core's MaybeUpdateMempoolForReorg: re-accept disconnected transactions, earliest first,
    // without fee/TRUC limits; a failure also removes mempool transactions that depended on it.
    const view = this.view();
    for (const b of disconnected) {
      for (const rec of b.txs) {
        if (isCoinbase(rec.tx)) {
          this.removeSpendersOf(rec);
          continue;
        }
        try {
          this.pool.acceptSingle(view, rec, { bypassLimits: true });
        } catch (e) {
          if (!(e instanceof Fail)) throw e;
          this.removeSpendersOf(rec);
        }
      }
    }
    this.removeForReorg();
    this.notify();
  }

  async invalidateBlock(hash: string): Promise<void> {
    this.invalidateBlockSync(hash);
  }

  async setMockTime(unixSeconds: number): Promise<void> {
    if (!Number.isInteger(unixSeconds) || unixSeconds < 0)
      throw new InvalidArgumentError('unixSeconds', 'expected a non-negative integer');
    this.mockTime = unixSeconds === 0 ? undefined : unixSeconds;
  }

  /** Like `gettxoutsetinfo`: number and total value of confirmed unspent outputs at the tip. */
  txOutSetInfo(): { height: number; txouts: number; totalAmount: bigint } {
    let total = 0n;
    for (const c of this.utxos.values()) total += c.value;
    return { height: this.tipBlock.height, txouts: this.utxos.size, totalAmount: total };
  }

  /** Median time past of the tip (BIP113). */
  get medianTimePast(): number {
    return this.tipBlock.mtp;
  }

  /** The tip height, synchronously. */
  get height(): number {
    return this.tipBlock.height;
  }

  /**
   * A block by hash, on the active chain or not (an invalidated or otherwise stale block), with
   * whether it is active: what bitcoind's `getblock`/`getblockheader` serve for stale blocks.
   */
  blockByHash(hash: string): { block: ChainBlock; active: boolean } | undefined {
    const b = this.blocks.get(assertHash(hash, 'hash'));
    if (b === undefined) return undefined;
    return { block: this.chainBlock(b), active: this.active[b.height] === b };
  }

  /** What the faucet can spend now: matured, confirmed faucet coins not spent in the mempool. */
  faucetBalance(): bigint {
    let total = 0n;
    for (const c of this.faucetCoins()) total += c.coin.value;
    return total;
  }

  /** Value of the outputs a transaction spends, from the UTXO set or the mempool (for fee math in tests). */
  spentOutputs(tx: Uint8Array): TxOut[] {
    const rec = record(tx);
    return rec.inputKeys.map((k, i) => {
      const c = this.pool.coin(k) ?? this.utxos.get(k);
      if (c === undefined) throw new NotFound(`input ${i} (${k})`);
      return { value: c.value, script: Uint8Array.from(c.script) };
    });
  }
}
