/**
 * The inputs and actions of the client's sans-IO machine (DESIGN §4): what a runtime — the Node runtime
 * of `@superscalar/client/node`, or a test harness — feeds it and carries out for it.
 *
 * **Execution contract.** Inputs are handled one at a time; the actions of each `handle` call are
 * executed in order, after those of earlier calls; a `persist` is durable (`Store.applyUpdate`
 * resolved, under the id the runtime's sequencer assigns) before any later action executes, so a
 * `send` or `broadcast` never leaves before the state it depends on (brief §11). If a persist fails,
 * the runtime stops the machine and restarts it from the store.
 *
 * @module
 */

import type { Op } from '@superscalar/persist';
import type { EncodedMessage, Message } from '@superscalar/wire';
import type { ChainSpend } from './chainSpends.js';

/** A peer: lower-case hex of its 33-byte node public key (for a client, its LSP). */
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
  | { readonly type: 'tick' };

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

/** What the client's embedder asks of it (through `handle`, like every input). */
export type ClientCommand =
  /**
   * Register for the LSP's next factory: allocates the next factory index (a fresh factory key and
   * close address, never reused), persists, and sends `factory_register` (now, or when connected).
   */
  | {
      readonly type: 'register';
      readonly capacity: bigint;
      readonly balance: bigint;
      readonly profile?: {
        readonly contribution: bigint;
        readonly uptime: number;
        readonly timezone: number;
      };
    }
  /**
   * Ask the LSP to close an open factory cooperatively (brief §6): a close request (`close_propose`,
   * attempt 0), now or at the next connection; the LSP decides.
   */
  | { readonly type: 'request_close'; readonly factoryId: Uint8Array }
  /**
   * Ask the LSP for an advance of the client's leaf (brief §5: a client's request), typically a
   * liquidity purchase: the channel `capacity` wanted (sats; default its current one) and the most it
   * pays for it (`maxLiquidityFeeMsat`, default 0). The LSP decides; an `advance_propose` follows if
   * it grants it (`AdvanceCompleted`), else a `warning`.
   */
  | {
      readonly type: 'request_advance';
      readonly factoryId: Uint8Array;
      readonly capacity?: bigint;
      readonly maxLiquidityFeeMsat?: bigint;
    }
  /**
   * Issue a BOLT 11 invoice through the LSP (a fresh preimage and payment secret; the invoice comes
   * back in the `InvoiceCreated` event). `factoryId`: the channel to be paid on (default: the first open).
   */
  | {
      readonly type: 'create_invoice';
      readonly amountMsat: bigint;
      readonly description: string;
      readonly expirySeconds?: number;
      readonly factoryId?: Uint8Array;
    }
  /** Pay a BOLT 11 invoice of another client of the LSP (`PaymentSent` or `PaymentFailed` follows). */
  | { readonly type: 'pay_invoice'; readonly invoice: string; readonly factoryId?: Uint8Array }
  /**
   * Exit the factory unilaterally (brief §6): the client's path root → leaf, its latest commitment,
   * then its claims into its wallet, each broadcast when its lock allows with a CPFP child and
   * re-bumped every block (`ExitStarted`, `ExitStepBroadcast`, … `ExitCompleted`).
   */
  | { readonly type: 'force_close'; readonly factoryId: Uint8Array };

/** Every input of the client's machine: what the runtime observed, and the embedder's commands. */
export type ClientInput = RuntimeInput | ClientCommand;
