/**
 * The tower's whole contract (sans-IO): what goes in ({@link TowerInput}: chain events with the
 * entries their triggers need, ticks, broadcast results), what comes out ({@link TowerAction}:
 * `persist`, `broadcast`, `emit`, carried out in order), and what the embedder is told
 * ({@link TowerEvent}). What is persisted: the operations of `persist` actions (persist's `blobs`
 * rows of the tower and of its fee wallet); never a participant's key.
 *
 * @module
 */
import type { BlockRef, ChainBlock } from '@superscalar/chain';
import type { BlobRecord, LStockSecretRecord, Op, WatchEntryRecord } from '@superscalar/persist';
import type { EntryKind } from './entries.js';

/** Fee rates (integer sat/kvB) the runtime reads from its `FeeEstimator` before each input. */
export interface FeeRates {
  /** `feeRate('cpfp')`: what a CPFP package should reach now. */
  readonly cpfp: number;
  /** `feeRate('urgent')`: used in an emergency (brief §5.2). */
  readonly urgent: number;
}

/** What the entries of the triggers in a block (or of waiting poisons) need from the store. */
export interface EntryRows {
  /** Every `watchEntries` row of every trigger txid asked (`triggersIn(block)`). */
  readonly entries: readonly WatchEntryRecord[];
  /** The `lstockSecrets` rows of the factories of those entries' poisons (and of waiting poisons). */
  readonly secrets: readonly LStockSecretRecord[];
  /** The per-factory blobs (`watch/f/<id>`) of those entries' factories. */
  readonly factories: readonly BlobRecord[];
}

/** What the tower is handed. */
export type TowerInput =
  /**
   * A block joined the best chain (from the `BlockFollower`): `rows` are the stored entries of every
   * txid {@link Watchtower.triggersIn} named for it.
   */
  | {
      readonly type: 'connected';
      readonly block: ChainBlock;
      readonly rows: EntryRows;
      readonly feeRates: FeeRates;
      /**
       * The best chain's height when the block was delivered (the follower's `tipHeight`). A block
       * below it is a **catch-up** block: the tower applies it (confirmations, conflicting spends,
       * triggers, its checkpoint) but sends nothing — a package judged against a chain that has
       * moved on is refused or doomed (its input may be spent by a later replayed block) and would
       * hold a fee coin. What is due goes out once, at the block at the tip, from the state there.
       * Absent: every block is treated as the tip.
       */
      readonly tipHeight?: number;
    }
  /** A block left the best chain (highest first). */
  | { readonly type: 'disconnected'; readonly block: BlockRef }
  /**
   * No new block, but go over what is due at the current tip: broadcast what is due and never went
   * out, re-send what is pending (after a restart, or when entries or secrets changed). `rows`: the
   * secrets of waiting poisons ({@link Watchtower.waitingFactories}).
   */
  | { readonly type: 'tick'; readonly rows?: EntryRows; readonly feeRates: FeeRates }
  /** What a `broadcast` action's submission did (`reason`: Core's reject string). */
  | {
      readonly type: 'broadcast_result';
      readonly id: string;
      readonly accepted: boolean;
      readonly reason?: string;
    };

/** What the runtime carries out, in order. */
export type TowerAction =
  /** Commit these operations in one update and wait until durable before the next action. */
  | { readonly kind: 'persist'; readonly ops: readonly Op[] }
  /**
   * Submit `parent` with `child` as a 1-parent-1-child package (`broadcastPackage`), or `parent`
   * alone when `child` is absent (no fee coin left: the response pays its own pre-signed fee).
   * Report the outcome with `broadcast_result` and this `id` (`<trigger txid>:<response index>`).
   */
  | {
      readonly kind: 'broadcast';
      readonly id: string;
      readonly parent: Uint8Array;
      readonly child?: Uint8Array;
    }
  | { readonly kind: 'emit'; readonly event: TowerEvent };

/** Names one response. */
export interface ResponseRef {
  readonly triggerTxid: string;
  readonly responseIndex: number;
  readonly kind: EntryKind;
  /** The response's txid. */
  readonly txid: string;
}

/** What the embedder is told. */
export type TowerEvent =
  /** A trigger confirmed: `responses` pre-signed transactions answer it. */
  | {
      readonly type: 'triggered';
      readonly triggerTxid: string;
      readonly height: number;
      readonly kinds: readonly EntryKind[];
      readonly responses: number;
    }
  /** A response went out (first time or re-bumped: `bump` counts the re-bumps). */
  | (ResponseRef & {
      readonly type: 'response_broadcast';
      readonly childTxid: string | undefined;
      /** The package fee rate aimed at, sat/kvB. */
      readonly feeRate: number;
      readonly bump: number;
      readonly emergency: boolean;
    })
  /** A response confirmed. */
  | (ResponseRef & { readonly type: 'response_confirmed'; readonly height: number })
  /** Another transaction spending the response's input confirmed: this response can never confirm. */
  | (ResponseRef & { readonly type: 'response_lost'; readonly spentBy: string; readonly height: number })
  /** A reorg took the response's block away: it is pending again and re-broadcast. */
  | (ResponseRef & { readonly type: 'response_unconfirmed'; readonly height: number })
  /** A reorg took the trigger's block away: its pending responses are cancelled. */
  | { readonly type: 'trigger_cancelled'; readonly triggerTxid: string; readonly height: number }
  /**
   * A stale-state response is still unconfirmed `S − 6` blocks after maturity (brief §5.2): every
   * package now aims at the emergency budget. `deadline`: the first tip from which an older state
   * (a lock at least `S` longer) is final too and may replace it by package RBF.
   */
  | (ResponseRef & { readonly type: 'emergency'; readonly deadline: number })
  /** A poison's trigger confirmed but no `s_c` opens it yet: it goes out as soon as one is added. */
  | (ResponseRef & { readonly type: 'secret_missing' })
  /** No confirmed fee coin covers a child: the response went out alone; refill the fee wallet. */
  | (ResponseRef & { readonly type: 'fee_coins_exhausted'; readonly needed: bigint })
  /** A stored response cannot answer its trigger (malformed): it is skipped. */
  | (ResponseRef & { readonly type: 'response_invalid'; readonly reason: string })
  /** A submission was refused (it is retried, re-bumped, at the next block). */
  | { readonly type: 'broadcast_failed'; readonly id: string; readonly reason: string }
  /**
   * Its owner took the response over (`Watchtower.release`: an exit driver publishing that state
   * itself): the tower never sends or re-bumps it again. `was`: its status then (`inactive`: the
   * trigger had not confirmed; its entry is deleted); `childTxid`/`feeRate`: the tower's CPFP child
   * in flight, which the owner's next, better-paying package replaces.
   */
  | (ResponseRef & {
      readonly type: 'response_released';
      readonly was: string;
      readonly childTxid: string | undefined;
      readonly feeRate: number | undefined;
    });
