/**
 * Just-in-time channels: a client with no (or too little) inbound capacity in a factory gets a channel
 * from the LSP for an incoming payment, later migrated into a factory. Provisional fields: the roles
 * issue refines them.
 *
 * @module
 */
import { bytes32, height, msat, txidHex, uint } from '../_fields.js';
import { defineMessage, type MessageCodec } from '../codec.js';

/** `jit_offer` (LSP → client): a channel for an incoming payment, for a fee. */
export interface JitOffer {
  readonly type: 'jit_offer';
  /** Offer id, chosen by the LSP. */
  readonly offerId: Uint8Array;
  /** The factory the client belongs to (or will join). */
  readonly factoryId: Uint8Array;
  /** The incoming payment's hash. */
  readonly paymentHash: Uint8Array;
  readonly amountMsat: bigint;
  /** The LSP's fee, deducted from the payment. */
  readonly feeMsat: bigint;
  /** Height after which the offer lapses. */
  readonly expiry: number;
}

/** `jit_accept` (client → LSP). */
export interface JitAccept {
  readonly type: 'jit_accept';
  readonly offerId: Uint8Array;
}

/** `jit_ready` (LSP → client): the JIT channel exists. */
export interface JitReady {
  readonly type: 'jit_ready';
  readonly offerId: Uint8Array;
  readonly channelId: Uint8Array;
  /** The channel's funding outpoint (display-order txid). */
  readonly fundingTxid: string;
  readonly fundingVout: number;
}

/** `jit_migrate` (LSP → client): move the JIT channel's balance into a factory's channel. */
export interface JitMigrate {
  readonly type: 'jit_migrate';
  readonly channelId: Uint8Array;
  /** The destination factory. */
  readonly factoryId: Uint8Array;
  readonly amountMsat: bigint;
  readonly feeMsat: bigint;
}

const offerId = { tlv: 0, key: 'offerId', codec: bytes32 };

/** @internal */
export const jitCodecs: MessageCodec[] = [
  defineMessage({
    name: 'jit_offer',
    type: 0x0600,
    fields: [
      offerId,
      { tlv: 2, key: 'factoryId', codec: bytes32 },
      { tlv: 4, key: 'paymentHash', codec: bytes32 },
      { tlv: 6, key: 'amountMsat', codec: msat },
      { tlv: 8, key: 'feeMsat', codec: msat },
      { tlv: 10, key: 'expiry', codec: height },
    ],
    check: (m, fail) => {
      if ((m.feeMsat as bigint) > (m.amountMsat as bigint)) fail('feeMsat', 'the fee exceeds the amount');
    },
  }),
  defineMessage({ name: 'jit_accept', type: 0x0602, fields: [offerId] }),
  defineMessage({
    name: 'jit_ready',
    type: 0x0604,
    fields: [
      offerId,
      { tlv: 2, key: 'channelId', codec: bytes32 },
      { tlv: 4, key: 'fundingTxid', codec: txidHex },
      { tlv: 6, key: 'fundingVout', codec: uint(4) },
    ],
  }),
  defineMessage({
    name: 'jit_migrate',
    type: 0x0606,
    fields: [
      { tlv: 0, key: 'channelId', codec: bytes32 },
      { tlv: 2, key: 'factoryId', codec: bytes32 },
      { tlv: 4, key: 'amountMsat', codec: msat },
      { tlv: 6, key: 'feeMsat', codec: msat },
    ],
    check: (m, fail) => {
      if ((m.feeMsat as bigint) > (m.amountMsat as bigint)) fail('feeMsat', 'the fee exceeds the amount');
    },
  }),
];
