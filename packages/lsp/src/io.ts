/**
 * The inputs and actions of the LSP's sans-IO machine (DESIGN §4): what a runtime — the Node runtime
 * of `@superscalar/lsp/node`, or a test harness — feeds it and carries out for it.
 *
 * **Execution contract.** Inputs are handled one at a time; the actions of each `handle` call are
 * executed in order, after those of earlier calls; a `persist` is durable (`Store.applyUpdate`
 * resolved, under the id the runtime's sequencer assigns) before any later action executes, so a
 * `send` or `broadcast` never leaves before the state it depends on (brief §11). If a persist fails,
 * the runtime stops the machine and restarts it from the store.
 *
 * @module
 */
import type { ChainSpend } from '@superscalar/client';
import type { Op } from '@superscalar/persist';
import type { EncodedMessage, Message } from '@superscalar/wire';

/** A peer: lower-case hex of its 33-byte node public key. */
export type PeerId = string;

/** Fee rates by purpose, sat/kvB (brief §1), as the runtime's estimator answers them. */
export interface FeeRates {
  /** The funding transaction. */
  readonly funding: number;
  /** Pre-signed tree transactions (floored at 1,000 by the machine unless configured). */
  readonly tree: number;
  /** Channels' initial commitments and `update_fee`. */
  readonly commitment: number;
  /** The cooperative close. */
  readonly close: number;
}

/** What happened outside the machine. */
export type RuntimeInput =
  /** The transport is up, `init` was exchanged and the peer's identity proven (brief §10). */
  | { readonly type: 'peer_connected'; readonly peer: PeerId }
  | { readonly type: 'peer_disconnected'; readonly peer: PeerId }
  /** A decoded message from an identified peer (size-bounded by type before decoding). */
  | { readonly type: 'message'; readonly peer: PeerId; readonly message: Message }
  /** A block the follower connected, with the txids it contains (display hex). */
  | {
      readonly type: 'block_connected';
      readonly height: number;
      readonly hash: string;
      readonly txids: readonly string[];
      /**
       * Optional: the block's spends of the outpoints the machine watches (`watchedOutpoints()`), in
       * block order — the HTLC outputs it offered, whose success-leaf witness reveals a preimage (BOLT 5).
       */
      readonly spends?: readonly ChainSpend[];
      /**
       * The chain's tip the follower is leading to (height): a block below it is replayed history
       * (a restart, a catch-up), and the role defers its broadcasts and re-bumps until the tip.
       * Absent: every block is taken as the tip.
       */
      readonly tip?: number;
    }
  /** A block the follower disconnected (a reorg). */
  | {
      readonly type: 'block_disconnected';
      readonly height: number;
      readonly hash: string;
      /** As `block_connected`'s. */
      readonly tip?: number;
    }
  /** The result of a `broadcast` action: accepted, or refused with the backend's code and reason. */
  | {
      readonly type: 'broadcast_result';
      readonly txid: string;
      readonly error?: { readonly code: string; readonly reason: string };
    }
  | { readonly type: 'fee_rates'; readonly rates: FeeRates }
  /** Timers: the runtime ticks about once a second; `now` of `handle` says when. */
  | { readonly type: 'tick' }
  /**
   * Optional, from a runtime with a mempool feed: transactions seen in the mempool. The LSP refuses
   * to advance a path whose kickoff or state is among them (brief §5.1); blocks tell it the rest.
   */
  | { readonly type: 'mempool_txids'; readonly txids: readonly string[] };

/** What the machine asks its runtime to do, in order. */
export type Action =
  /** Apply these operations as one durable store update before any later action. */
  | { readonly kind: 'persist'; readonly ops: readonly Op[] }
  /**
   * Send `message` to `peer`. `encoded`, when present, is `message` encoded once by wire's
   * `preEncodeMessage` (a message the role sends to many peers): a runtime sends its bytes as they are.
   */
  | {
      readonly kind: 'send';
      readonly peer: PeerId;
      readonly message: Message;
      readonly encoded?: EncodedMessage;
    }
  | { readonly kind: 'disconnect'; readonly peer: PeerId; readonly reason: string }
  /**
   * Broadcast a fully signed transaction; the result comes back as `broadcast_result`. With `child`:
   * a 1-parent-1-child package (`raw` the parent, `child` its CPFP child: `submitpackage`).
   */
  | {
      readonly kind: 'broadcast';
      readonly raw: Uint8Array;
      readonly txid: string;
      readonly label: string;
      readonly child?: Uint8Array;
    };

/** What the LSP's embedder asks of it (through `handle`, like every input). */
export type LspCommand =
  /** Form a factory now from the registered, connected clients (at least one), whatever the timers say. */
  | { readonly type: 'form_factory' }
  /**
   * Close an open factory cooperatively (brief §6): every channel quiesced, the balances read from
   * them, signed by N + 1, broadcast; `FactoryClosed` after `minimumDepth` (`CloseStalled` at
   * `closeDeadlineMs` if it cannot be signed). Also starts a stalled close again.
   */
  | { readonly type: 'close_factory'; readonly factoryId: Uint8Array }
  /** Re-sign the signed close at a higher fee rate (sat/kvB, above the signed one): a new attempt that replaces it. */
  | { readonly type: 'bump_close'; readonly factoryId: Uint8Array; readonly feeRate: number }
  /**
   * Exit the factory unilaterally (brief §6): every tree transaction in order, the LSP's own latest
   * commitment of each channel and its claims, the L-stock spends and the timeout recoveries — so an
   * offline client no longer blocks a close (`ExitStarted` … `ExitCompleted`).
   */
  | { readonly type: 'exit_factory'; readonly factoryId: Uint8Array }
  /**
   * Advance a leaf's state (brief §5): its channels quiesced, the new state (or a carry, §5.2) with
   * every poison and settlement signed by the leaf's (or subtree's) signers, the channels rebound,
   * then the superseded L-stock secrets revealed. `allocations`: new channel capacities of the leaf's
   * clients by client index (the L-stock pays the difference: a liquidity sale), `liquidityFeesMsat`
   * the fee each pays (both default: unchanged, no fee). `AdvanceCompleted` or `AdvanceFailed`
   * follows; a refusal is a `CommandRefused` (`LSP_ADVANCE_REFUSED`, `LSP_ADVANCE_PATH_PUBLISHED`).
   */
  | {
      readonly type: 'advance_leaf';
      readonly factoryId: Uint8Array;
      readonly leaf: number;
      readonly purpose: 'liquidity' | 'rebalance' | 'client_request';
      readonly allocations?: ReadonlyMap<number, bigint>;
      readonly liquidityFeesMsat?: ReadonlyMap<number, bigint>;
    };

/** Every input of the LSP's machine: what the runtime observed, and the embedder's commands. */
export type LspInput = RuntimeInput | LspCommand;
