/**
 * The channel messages of brief §7 (BOLT 2's update flow with simple-taproot-channel nonces), as plain
 * typed values. The state machine consumes and produces them; `@superscalar/wire` encodes them (its
 * codec owns the byte layout, this module only the meaning). Field rules every producer keeps and every
 * decoder checks:
 *
 * - `channelId`: 32 bytes, stable for the channel's life (it does not change when the channel is rebound
 *   to a new outpoint, brief §5.4).
 * - Public nonces are 66 bytes (BIP327 `pubnonce`), partial signatures 32 bytes, points 33 bytes
 *   compressed, secrets and hashes 32 bytes.
 * - Amounts are millisatoshis (`bigint`, 0 ≤ x < 2^64), HTLC ids `bigint` (0 ≤ id < 2^64), commitment
 *   numbers `number` (safe integers, 0 ≤ n < 2^48), `cltvExpiry` a block height (0 < h < 500,000,000), fee rates
 *   integer sat/kvB (brief §1, not BOLT 2's sat/kw).
 *
 * @module
 */

/** `channel_ready` (brief §8 step 5): ready to sign commitment 0, with the first verification nonce. */
export interface ChannelReady {
  readonly type: 'channel_ready';
  readonly channelId: Uint8Array;
  /** The sender's per-commitment point for its commitment 0 (then 1 after each revocation). */
  readonly nextPerCommitmentPoint: Uint8Array;
  /** The sender's verification nonce for the next commitment it will hold (66 bytes). */
  readonly verificationNonce: Uint8Array;
  /**
   * Optional (added by the state machine): the sender's per-commitment point for its commitment 1.
   * Commitment 0 is followed by no `revoke_and_ack`, so without it the signer of commitment 1 would
   * have no point to build it on (BOLT 2's `second_per_commitment_point` plays this role). The channel
   * state machine always sends it and refuses a `channel_ready` without it.
   */
  readonly secondPerCommitmentPoint?: Uint8Array;
  /**
   * Optional (added by the state machine): the sender's verification nonce for its commitment 1 (66
   * bytes), for the same reason: the nonce in `verificationNonce` signs commitment 0 and is then gone.
   * Always sent by the state machine, required on receipt.
   */
  readonly secondVerificationNonce?: Uint8Array;
}

/** `update_add_htlc`. */
export interface UpdateAddHtlc {
  readonly type: 'update_add_htlc';
  readonly channelId: Uint8Array;
  readonly id: bigint;
  readonly amountMsat: bigint;
  readonly paymentHash: Uint8Array;
  readonly cltvExpiry: number;
  /** Opaque onion routing packet (BOLT 4: 1,366 bytes), or empty when the hop is final. */
  readonly onion: Uint8Array;
}

/** `update_fulfill_htlc`. */
export interface UpdateFulfillHtlc {
  readonly type: 'update_fulfill_htlc';
  readonly channelId: Uint8Array;
  readonly id: bigint;
  readonly paymentPreimage: Uint8Array;
}

/** `update_fail_htlc`: the reason is opaque to the channel (encrypted for the origin, BOLT 4). */
export interface UpdateFailHtlc {
  readonly type: 'update_fail_htlc';
  readonly channelId: Uint8Array;
  readonly id: bigint;
  readonly reason: Uint8Array;
}

/** `update_fee` (LSP only, the funder): the commitment fee rate in sat/kvB. */
export interface UpdateFee {
  readonly type: 'update_fee';
  readonly channelId: Uint8Array;
  readonly feeRate: number;
}

/**
 * `commitment_signed`: the sender's partial signature on the receiver's next commitment, with the
 * sender's just-in-time signing nonce. No HTLC signatures: there are no second-stage HTLC transactions
 * (brief §7).
 */
export interface CommitmentSigned {
  readonly type: 'commitment_signed';
  readonly channelId: Uint8Array;
  readonly partialSig: Uint8Array;
  readonly signingNonce: Uint8Array;
}

/** `revoke_and_ack`: the revoked commitment's secret, the next point and the next verification nonce. */
export interface RevokeAndAck {
  readonly type: 'revoke_and_ack';
  readonly channelId: Uint8Array;
  readonly perCommitmentSecret: Uint8Array;
  readonly nextPerCommitmentPoint: Uint8Array;
  readonly nextVerificationNonce: Uint8Array;
}

/** `stfu` (BOLT 2 quiescence), sent before a rebinding advance (brief §5.4). */
export interface Stfu {
  readonly type: 'stfu';
  readonly channelId: Uint8Array;
  /** True when the sender initiated quiescence. */
  readonly initiator: boolean;
}

/** `channel_reestablish`, with a fresh verification nonce (simple taproot channels). */
export interface ChannelReestablish {
  readonly type: 'channel_reestablish';
  readonly channelId: Uint8Array;
  readonly nextCommitmentNumber: number;
  readonly nextRevocationNumber: number;
  /** The last per-commitment secret received from the peer (32 zero bytes if none). */
  readonly yourLastPerCommitmentSecret: Uint8Array;
  /** The sender's current per-commitment point. */
  readonly myCurrentPerCommitmentPoint: Uint8Array;
  readonly verificationNonce: Uint8Array;
}

/** Every channel message. */
export type ChannelMessage =
  | ChannelReady
  | UpdateAddHtlc
  | UpdateFulfillHtlc
  | UpdateFailHtlc
  | UpdateFee
  | CommitmentSigned
  | RevokeAndAck
  | Stfu
  | ChannelReestablish;
