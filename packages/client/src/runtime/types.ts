/**
 * What a role runtime runs and talks to: the machine it drives ({@link RoleMachine}), each peer's
 * connection ({@link PeerLink}) and the chain's ports ({@link ChainPorts}).
 *
 * @module
 */

import type { BlockFollower, Broadcaster, FeeEstimator, FeePurpose, FollowFrom } from '@superscalar/chain';
import type { Clock, Logger } from '@superscalar/core';
import type { EventQueue, Sequencer } from '@superscalar/persist';
import type { OutPoint } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';
import type { EncodedMessage, Message } from '@superscalar/wire';
import type { Action, FeeRates, RuntimeInput } from '../io.js';

/**
 * A sans-IO role machine (`Lsp`, `Client`, or a test's): the runtime feeds it {@link RuntimeInput}s
 * and the embedder's commands (`C`, passed through unchanged), one at a time, with `now` read from
 * the runtime's clock, and carries out the actions it returns under the execution contract (see
 * `RoleRuntime`). `handle` must not throw for a peer's input; a throw is a bug and stops the machine
 * (fail-stop).
 */
export interface RoleMachine<C = never> {
  /** Lower-case hex of the machine's 33-byte node public key (its Noise static key for an LSP). */
  readonly nodeId: string;
  /**
   * The last block the machine handled, as restored from its store (`Lsp` and `Client` have it):
   * unless `ChainPorts.from` says otherwise, the runtime follows the chain from there, so blocks mined
   * while the node was down are handed to it after a restart. Null or absent: from the tip.
   */
  readonly tip?: { readonly height: number; readonly hash: string } | null;
  handle(input: RuntimeInput | C, now: number): readonly Action[];
  /**
   * Optional (`Lsp` and `Client` have it): the outpoints whose spends the runtime hands in
   * `block_connected`'s `spends`, asked once per block.
   */
  watchedOutpoints?(): readonly OutPoint[];
}

/** One peer's connection as the runtime uses it (`@superscalar/wire`'s `MessageLink` is one). */
export interface PeerLink {
  /** Starts delivering the peer's messages (called once, right after `peer_connected` is fed). */
  start(onMessage: (message: Message) => void): void;
  /** Sends one message; false when the connection is gone (the message is dropped). */
  send(message: Message): boolean;
  /**
   * Optional: sends a message encoded once by `preEncodeMessage` (`MessageLink` has it). The runtime
   * uses it for a message object that one `handle` call sends to several peers; without it, `send`
   * gets `encoded.message`.
   */
  sendEncoded?(encoded: EncodedMessage): boolean;
  /** Closes the connection cleanly. */
  close(): Promise<void>;
  /** Resolves once the connection is closed, whatever the reason. */
  readonly closed: Promise<unknown>;
}

/** Which {@link FeeEstimator} purpose answers each of the machine's {@link FeeRates}. */
export type FeePurposes = { readonly [K in keyof FeeRates]: FeePurpose };

/**
 * The chain's ports. Every part is optional: without a follower no blocks are fed, without a
 * broadcaster every `broadcast` action fails (`broadcast_result` with code `NO_BROADCASTER`), without
 * an estimator no `fee_rates` are fed.
 */
export interface ChainPorts {
  /** Follows the best chain; the machine (and the wallet, first) subscribe to it. */
  readonly follower?: BlockFollower;
  /** Where the machine's subscription starts (default: the machine's `tip`, else `'tip'`). */
  readonly from?: FollowFrom;
  /** Polls the follower this often, ms (default 5,000; 0: the embedder polls it). */
  readonly pollIntervalMs?: number;
  readonly broadcaster?: Broadcaster;
  readonly fees?: FeeEstimator;
  /** Polls the estimator this often, ms (default 60,000); `fee_rates` is fed when a rate changed. */
  readonly feeIntervalMs?: number;
  /** Default: funding and close `economical`, tree and commitment `presigned`. */
  readonly feePurposes?: FeePurposes;
}

/** Builds the runtime's errors, so each role reports them with its own codes. */
export interface RuntimeErrors {
  /** The runtime is stopping or stopped: an input or command was not handled. */
  stopped(): Error;
  /** Fail-stop: a persist failed or the machine threw (`cause`); restart from the store. */
  failed(cause: unknown): Error;
}

/** Options of `RoleRuntime`. */
export interface RoleRuntimeOptions<C> {
  readonly machine: RoleMachine<C>;
  /** The store's one sequencer: every persist goes through it. */
  readonly sequencer: Sequencer;
  /** The store's event queue (exposed to the embedder). */
  readonly events: EventQueue;
  readonly chain?: ChainPorts;
  /** A wallet to keep in step with the chain (`followWallet`), committed through the same sequence. */
  readonly wallet?: Wallet;
  /** Feeds `tick` this often, ms (default 1,000). */
  readonly tickMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Logger module, e.g. `lsp/node`. */
  readonly module?: string;
  readonly errors: RuntimeErrors;
  /** Called once when the machine stops on a failure (after the runtime stopped everything). */
  readonly onFailure?: (error: Error) => void;
}
