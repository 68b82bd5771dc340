/**
 * The chain ports every role talks to (DESIGN.md §5): {@link ChainSource}, {@link Broadcaster},
 * {@link FeeEstimator}, and {@link RegtestControl} for tests. Two implementations: `SimChain` (in
 * process) and `BitcoindRpc` (Bitcoin Core JSON-RPC, subpath `@superscalar/chain/bitcoind`).
 *
 * Conventions: transactions are raw consensus bytes (`Uint8Array`, witness serialisation); txids and
 * block hashes are 64-char lowercase hex in Core's display (RPC) byte order; amounts are `bigint`
 * sats; heights are `number`; fee rates are integer sat/kvB (1,000 = 1 sat/vB).
 */

/** A transaction output reference; `txid` in display-order hex. */
export interface OutPoint {
  readonly txid: string;
  readonly vout: number;
}

/** The best block. */
export interface ChainTip {
  readonly height: number;
  readonly hash: string;
}

/** A block of the active chain, with its transactions. */
export interface ChainBlock {
  readonly height: number;
  readonly hash: string;
  /** Hash of the previous block (all zeros for genesis). */
  readonly prevHash: string;
  /** Header timestamp (unix seconds). */
  readonly time: number;
  /** Median time past of this block (BIP113): median of its and its 10 predecessors' timestamps. */
  readonly mediantime: number;
  /** Raw transactions in block order (coinbase first). */
  readonly txs: readonly Uint8Array[];
  /** Txids in block order. */
  readonly txids: readonly string[];
}

/** Where a transaction is confirmed. */
export interface Confirmation {
  readonly blockHash: string;
  readonly height: number;
  /** `tip.height - height + 1` at the time of the answer. */
  readonly confirmations: number;
}

/** A transaction known to the backend, confirmed in the active chain or waiting in the mempool. */
export interface TxInfo {
  readonly txid: string;
  readonly tx: Uint8Array;
  /** Present when confirmed in the active chain; absent while in the mempool. */
  readonly confirmation?: Confirmation;
}

/** What spends an outpoint. */
export type SpendStatus =
  | { readonly spent: false }
  | {
      readonly spent: true;
      /** The spending transaction. */
      readonly txid: string;
      /** The input of the spending transaction that spends the outpoint. */
      readonly vin: number;
      /** Present when the spend is confirmed; absent for a mempool spend. */
      readonly confirmation?: Confirmation;
    };

/** Cancels a wait. */
export interface WaitOptions {
  readonly signal?: AbortSignal;
}

/**
 * Read access to the active chain and the mempool.
 *
 * **Order.** Answers reflect one consistent moment per call, but two calls may straddle a new block
 * or a reorganisation: re-read `tip()` and compare hashes (not heights) when consistency across
 * calls matters. `blocksSince(h)` returns blocks in ascending height order.
 *
 * **Reorg.** After a reorganisation, `blocksSince` returns the new branch from the height asked;
 * a caller that tracked `(height, hash)` pairs detects the fork by a changed hash at a known height
 * and must rewind to the fork point. A transaction that was confirmed may return to the mempool
 * (its `confirmation` disappears) or vanish (`NotFound`); `getSpend` answers for the new chain only.
 */
export interface ChainSource {
  /** The best block of the active chain. */
  tip(): Promise<ChainTip>;
  /** Hash of the active-chain block at `height`; `NotFound` above the tip. */
  blockHash(height: number): Promise<string>;
  /** Active-chain blocks with height > `height`, ascending, up to the tip (at most `limit`, default 1,000). */
  blocksSince(height: number, limit?: number): Promise<ChainBlock[]>;
  /** A transaction from the mempool or the active chain; `NotFound` otherwise. */
  getTransaction(txid: string): Promise<TxInfo>;
  /**
   * Whether `outpoint` is spent in the mempool or the active chain, and by what; `NotFound` if the
   * output never existed (or its transaction is unknown).
   */
  getSpend(outpoint: OutPoint): Promise<SpendStatus>;
  /** Resolves once the active tip is at least `height`. */
  waitForHeight(height: number, options?: WaitOptions): Promise<ChainTip>;
  /** Resolves once `txid` has at least `confirmations` (default 1) in the active chain. */
  waitForConfirmation(txid: string, confirmations?: number, options?: WaitOptions): Promise<Confirmation>;
}

/** Result of a 1-parent-1-child package submission. */
export interface PackageAccepted {
  readonly parentTxid: string;
  readonly childTxid: string;
  /** Txids of mempool transactions the package evicted (RBF, package RBF). */
  readonly replacedTxids: readonly string[];
}

/**
 * Hands transactions to the mempool.
 *
 * **Order.** A parent must be accepted before (or together with, via `broadcastPackage`) its child.
 * Broadcasting the same transaction again is idempotent: it returns the txid while the transaction
 * is in the mempool. Validity is judged for the next block (tip + 1) at the moment of the call: an
 * early nLockTime gives `non-final`, an early relative lock `non-BIP68-final`.
 *
 * **Reorg.** A reorganisation may return confirmed transactions to the mempool or evict them (and
 * their descendants) if they became invalid; callers that need a transaction confirmed watch it
 * with {@link ChainSource.waitForConfirmation} and re-broadcast after a reorg.
 *
 * Errors: {@link TxRejected} with Core's reject string (`missing-inputs` for a single transaction,
 * `bad-txns-inputs-missingorspent` inside a package, as Core reports them); `Unavailable` if the
 * backend could not be reached (a broadcast is never retried automatically).
 */
export interface Broadcaster {
  /** Submits one transaction; returns its txid or throws `TxRejected`. */
  broadcast(tx: Uint8Array): Promise<string>;
  /**
   * Submits a 1-parent-1-child package (Core's `submitpackage`): package feerate lets a parent below
   * the minimum relay fee in (TRUC), and package RBF may replace conflicting transactions.
   */
  broadcastPackage(parent: Uint8Array, child: Uint8Array): Promise<PackageAccepted>;
}

/** Why a fee rate is wanted; each purpose has its own confirmation target and floor. */
export type FeePurpose =
  /** A pre-signed transaction (tree node, commitment, poison, settlement): floored at 1,000 sat/kvB. */
  | 'presigned'
  /** A CPFP child bumping a package now. */
  | 'cpfp'
  /** An emergency: a deadline is a few blocks away. */
  | 'urgent'
  /** An ordinary sweep or cooperative close with no deadline. */
  | 'economical';

/**
 * Fee rates in integer sat/kvB by purpose (brief §1).
 *
 * **Order.** Each call may answer differently as the mempool changes; callers that must build
 * byte-identical transactions agree on one rate first and carry it (e.g. in the proposal).
 *
 * **Reorg.** Rates do not depend on reorganisations; a reorg may only change what the estimator
 * has seen confirm.
 *
 * Every answer is an integer ≥ the backend's minimum relay fee, and ≥ 1,000 for `presigned`
 * unless configured otherwise, so older nodes (min relay 1,000 before Core 29.1) still relay.
 */
export interface FeeEstimator {
  /** Integer sat/kvB for `purpose`. */
  feeRate(purpose: FeePurpose): Promise<number>;
}

/** Options of {@link RegtestControl.mine}. */
export interface MineOptions {
  /** Coinbase output script (an address's scriptPubKey). Default: the backend's own wallet/faucet. */
  readonly scriptPubKey?: Uint8Array;
  /** A regtest address (`bcrt1…`) instead of `scriptPubKey`. */
  readonly address?: string;
  /** Mine blocks with no mempool transaction (only the coinbase). */
  readonly empty?: boolean;
}

/** A confirmed output created by {@link RegtestControl.fund}. */
export interface FundedOutput {
  readonly txid: string;
  readonly vout: number;
  readonly amount: bigint;
  readonly scriptPubKey: Uint8Array;
  /** Height of the block that confirmed it. */
  readonly height: number;
}

/**
 * Test control of a regtest chain, implemented by both backends so one conformance suite runs on
 * each.
 *
 * **Order.** Each call completes before it resolves: after `mine` the blocks are the active tip;
 * after `fund` the output has one confirmation; after `setMockTime` the next mined block uses the
 * mock time (Core: `max(mtp + 1, time)`).
 *
 * **Reorg.** `invalidateBlock(hash)` disconnects that block and its descendants, returns their
 * non-coinbase transactions to the mempool where still valid (Core's behaviour), and leaves the
 * tip at the parent; mine again to build the competing branch.
 */
export interface RegtestControl {
  /** Mines `count` blocks; returns their hashes in order. */
  mine(count: number, options?: MineOptions): Promise<string[]>;
  /** Creates an output of `amount` sats paying `scriptPubKey`, confirmed once. */
  fund(scriptPubKey: Uint8Array, amount: bigint): Promise<FundedOutput>;
  /** Marks a block invalid and disconnects it with its descendants. */
  invalidateBlock(hash: string): Promise<void>;
  /** Sets the node's clock (unix seconds); `0` returns to the real clock. */
  setMockTime(unixSeconds: number): Promise<void>;
}

/** Relay policy facts a backend reports (from `getnetworkinfo` on bitcoind). */
export interface NodePolicyInfo {
  /** Core's numeric version, e.g. 300000 for 30.0.0 (SimChain reports the version it imitates). */
  readonly version: number;
  /** Minimum relay fee, sat/kvB. */
  readonly minRelayFeeRate: number;
  /** Incremental relay fee, sat/kvB. */
  readonly incrementalRelayFeeRate: number;
}

/** Everything a test needs from one backend. */
export interface ChainBackend extends ChainSource, Broadcaster, FeeEstimator, RegtestControl {
  /** Relay policy facts. */
  policyInfo(): Promise<NodePolicyInfo>;
}
