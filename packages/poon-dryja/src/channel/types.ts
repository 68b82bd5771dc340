/**
 * The channel state machine's inputs, actions and events (brief §7, STYLE.md point 5): peer messages,
 * user commands, persistence acknowledgements and chain heights go in; `send`, `persist`, `watch` and
 * `emit` come out.
 *
 * @module
 */

import type { Rng } from '@superscalar/core';
import type { ChannelError } from '../channelErrors.js';
import type { ChannelConfig, FundingOutpoint, Side } from '../commitment.js';
import type { ChannelMessage } from '../messages.js';
import type { ChannelPolicy } from '../state.js';

/** Everything fixed when the channel opens (brief §2, §7, §8 step 5). */
export interface ChannelSetup {
  /** 32 bytes, stable for the channel's life. */
  readonly channelId: Uint8Array;
  /** This side. */
  readonly role: Side;
  /** Keys, basepoints, `T_m` and `toSelfDelay` (both sides' public values). */
  readonly config: ChannelConfig;
  /** The channel output (its amount is the capacity). */
  readonly funding: FundingOutpoint;
  readonly policy: ChannelPolicy;
  /** The client's balance in commitment 0, msat (brief §2 `b_i`); the LSP holds the rest. */
  readonly initialClientBalanceMsat: bigint;
  /** `commitFeeRate`, sat/kvB. */
  readonly feeRate: number;
  /** The chain height now. */
  readonly height: number;
}

/** This side's secrets, from the keychain (never persisted with the state). */
export interface ChannelSecrets {
  /** The secret key of this side's funding key (32 bytes). */
  readonly fundingSecret: Uint8Array;
  /** This side's per-channel shachain seed (32 bytes). */
  readonly shachainSeed: Uint8Array;
  /** This side's `revocation_basepoint_secret` (32 bytes), to pre-sign penalties. */
  readonly revocationBasepointSecret: Uint8Array;
}

/** Observes every secret nonce the channel signs with (tests count signatures per nonce object). */
export interface NonceObserver {
  /** Called once per partial signature made with a secret nonce, before signing. */
  signedWith(nonce: object, message: Uint8Array): void;
}

/** Injected dependencies and settings. */
export interface ChannelOptions {
  /** Randomness (hedged nonces, deterministic-signing aux, penalty signatures). Default: the CSPRNG. */
  readonly rng?: Rng;
  /** Where pre-signed penalties pay (a P2TR scriptPubKey of this side). */
  readonly sweepScript: Uint8Array;
  /** Penalty fee rate, sat/kvB (default: the commitment's fee rate). */
  readonly penaltyFeeRate?: number;
  /** Test hook: sees every secret nonce use. */
  readonly nonceObserver?: NonceObserver;
}

/** Inputs of {@link Channel.handle}. */
export type ChannelInput =
  | { readonly type: 'message'; readonly message: ChannelMessage }
  | {
      readonly type: 'add_htlc';
      readonly amountMsat: bigint;
      readonly paymentHash: Uint8Array;
      readonly cltvExpiry: number;
      readonly onion?: Uint8Array;
    }
  | { readonly type: 'fulfill_htlc'; readonly id: bigint; readonly preimage: Uint8Array }
  | { readonly type: 'fail_htlc'; readonly id: bigint; readonly reason: Uint8Array }
  | { readonly type: 'update_fee'; readonly feeRate: number }
  /** Sign the counterparty's next commitment as soon as BOLT 2 and persistence allow. */
  | { readonly type: 'commit' }
  /** Start quiescence (`stfu`) as soon as nothing is pending. */
  | { readonly type: 'quiesce' }
  /** End quiescence (after a rebinding, or to give up on one). */
  | { readonly type: 'resume' }
  /** The `persist` action carrying `token` is durable. Acknowledge persists in the order issued. */
  | { readonly type: 'persisted'; readonly token: number }
  | { readonly type: 'block'; readonly height: number }
  | { readonly type: 'disconnected' }
  | { readonly type: 'connected' }
  /**
   * Rebinding step 1 (brief §5.4): check both holders' rebound commitments on `funding` and emit a
   * fresh verification nonce for this holder's. A `funding.amount` other than the current capacity
   * is a **capacity change**: the LSP's balance changes by the difference; `liquidityFeeMsat`
   * (default 0) moves from the client's balance to the LSP's; the checks use `reserve` and
   * `maxDustExposure` (default: the new capacity's `defaultReserve` / `defaultMaxDustExposure`, or
   * the policy's own when the capacity does not change), which become the policy's on activation.
   * Throws `CapacityChangeRejectedError` (nothing changed) when a rule of §5.4 fails.
   */
  | {
      readonly type: 'rebind_prepare';
      readonly funding: FundingOutpoint;
      readonly liquidityFeeMsat?: bigint;
      readonly reserve?: bigint;
      readonly maxDustExposure?: bigint;
    }
  /** Rebinding step 2: sign the counterparty's commitment `n` on the new outpoint with its rebinding nonce. */
  | { readonly type: 'rebind_sign'; readonly peerNonce: Uint8Array }
  /** Rebinding step 3: verify the counterparty's partial, complete and persist our rebound commitment. */
  | { readonly type: 'rebind_complete'; readonly partialSig: Uint8Array; readonly signingNonce: Uint8Array }
  /**
   * Rebinding step 4: the new leaf state is signed: the new outpoint becomes current (with a capacity
   * change, its amounts and the new reserve and `maxDustExposure` too). Also after a reconnection or
   * a restart that ended quiescence (the advance's signatures arrived later): then nothing may be
   * pending, and the stored rebound commitment must still be the current commitment's.
   */
  | { readonly type: 'rebind_activate' };

/** A revoked counterparty commitment on one outpoint, and its pre-signed penalties. */
export interface RevokedCopy {
  readonly funding: { readonly txid: string; readonly vout: number };
  /** The revoked commitment's txid (display hex): its confirmation triggers the penalties. */
  readonly commitmentTxid: string;
  /** Fully signed penalty transactions (each broadcast with a CPFP child through its anchor). */
  readonly penalties: readonly Uint8Array[];
}

/** What a watcher must guard. */
export type WatchRequest =
  /** A channel outpoint (brief §5.4: every outpoint the channel ever had, until the factory closes). */
  | { readonly type: 'funding'; readonly outpoint: FundingOutpoint }
  /** A revoked counterparty commitment, on every outpoint copy. */
  | { readonly type: 'revoked'; readonly commitmentNumber: number; readonly copies: readonly RevokedCopy[] };

/** Events for the embedder. */
export type ChannelEvent =
  /** Commitment 0 is held (signed) on both sides and persisted here. */
  | { readonly type: 'ready' }
  /** A local `add_htlc` was accepted with this id. */
  | { readonly type: 'htlc_offered'; readonly id: bigint; readonly paymentHash: Uint8Array }
  /** An incoming HTLC is irrevocably committed: forward it or settle it. */
  | {
      readonly type: 'htlc_received';
      readonly id: bigint;
      readonly amountMsat: bigint;
      readonly paymentHash: Uint8Array;
      readonly cltvExpiry: number;
      readonly onion: Uint8Array;
    }
  /** An outgoing HTLC was fulfilled (the preimage is known: settle upstream at once). */
  | { readonly type: 'htlc_fulfilled'; readonly id: bigint; readonly preimage: Uint8Array }
  /** An outgoing HTLC failed irrevocably (propagate the failure upstream, brief §7). */
  | { readonly type: 'htlc_failed'; readonly id: bigint; readonly reason: Uint8Array }
  /** Both sides sent `stfu` and nothing is pending: a rebinding may start. */
  | { readonly type: 'quiescent' }
  /** Rebinding: this holder's fresh verification nonce (send it in `advance_nonces`). */
  | { readonly type: 'rebind_nonce'; readonly nonce: Uint8Array }
  /** Rebinding: our partial signature on the counterparty's rebound commitment (send in `advance_psigs`). */
  | { readonly type: 'rebind_partial'; readonly partialSig: Uint8Array; readonly signingNonce: Uint8Array }
  /** Rebinding: our own rebound commitment is complete, verified and persisted (after the persist ack). */
  | { readonly type: 'rebound'; readonly funding: FundingOutpoint }
  /** A peer message was rejected: do what `error.action` says. */
  | { readonly type: 'error'; readonly error: ChannelError }
  /**
   * Brief §7 deadline reached: broadcast the latest commitment now. `outgoing-htlc-expired`: an HTLC
   * we offered is past its expiry and still committed; `incoming-htlc-deadline`: an HTLC we fulfilled
   * has reached `min(cltv_expiry − (exitDelay + toSelfDelay + htlcBudget), T_m − exitDelay − pathTxs −
   * exitMargin)` and the fulfill is not irrevocably committed yet.
   */
  | {
      readonly type: 'go_on_chain';
      readonly reason: 'outgoing-htlc-expired' | 'incoming-htlc-deadline';
      readonly htlcId: bigint;
      readonly deadline: number;
    };

/** Actions the embedder carries out, in order. */
export type ChannelAction =
  | { readonly kind: 'send'; readonly message: ChannelMessage }
  | {
      readonly kind: 'persist';
      /**
       * Opaque: hand it back in `{ type: 'persisted', token }` once the state is durable. It is not a
       * store update id: the runtime that owns the store assigns those (DESIGN §4, one sequencer per
       * store) and applies the channel's persists in the order they were issued.
       */
      readonly token: number;
      /** The whole channel state ({@link encodeChannelState}). */
      readonly state: Uint8Array;
      /** Append-only records to store with it (e.g. `revoked/<n>`: a watchtower record). */
      readonly blobs: readonly { readonly key: string; readonly bytes: Uint8Array }[];
    }
  | { readonly kind: 'watch'; readonly watch: WatchRequest }
  | { readonly kind: 'emit'; readonly event: ChannelEvent };
