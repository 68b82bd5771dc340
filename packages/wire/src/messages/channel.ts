/**
 * Channel messages (brief §7): the nine types of `@superscalar/poon-dryja`'s `messages.ts`, whose
 * values this package encodes unchanged. Amounts are msat (< 2^64), HTLC ids u64, commitment numbers
 * below 2^48, `cltvExpiry` a height in 1..499,999,999, fee rates sat/kvB; keys and nonces are checked
 * on the curve; partial signatures are scalars below n; the onion is 1,366 bytes or empty.
 *
 * @module
 */
import type {
  ChannelMessage,
  ChannelReady,
  ChannelReestablish,
  CommitmentSigned,
  RevokeAndAck,
  Stfu,
  UpdateAddHtlc,
  UpdateFailHtlc,
  UpdateFee,
  UpdateFulfillHtlc,
} from '@superscalar/poon-dryja';
import {
  bool,
  bytes32,
  commitmentNumber,
  feeRate,
  msat,
  point,
  pubnonce,
  restBytes,
  scalar,
  u64,
  uint,
} from '../_fields.js';
import { defineMessage, type MessageCodec } from '../codec.js';

export type {
  ChannelMessage,
  ChannelReady,
  ChannelReestablish,
  CommitmentSigned,
  RevokeAndAck,
  Stfu,
  UpdateAddHtlc,
  UpdateFailHtlc,
  UpdateFee,
  UpdateFulfillHtlc,
};

/** BOLT 4's onion packet size. */
export const ONION_PACKET_SIZE = 1366;

const channelId = { tlv: 0, key: 'channelId', codec: bytes32 };
const htlcId = { tlv: 2, key: 'id', codec: u64(0n, (1n << 64n) - 1n, 'u64 HTLC id') };

/** @internal */
export const channelCodecs: MessageCodec[] = [
  defineMessage({
    name: 'channel_ready',
    type: 0x0300,
    fields: [
      channelId,
      { tlv: 2, key: 'nextPerCommitmentPoint', codec: point },
      { tlv: 4, key: 'verificationNonce', codec: pubnonce },
      { tlv: 6, key: 'secondPerCommitmentPoint', codec: point, optional: true },
      { tlv: 8, key: 'secondVerificationNonce', codec: pubnonce, optional: true },
    ],
  }),
  defineMessage({
    name: 'stfu',
    type: 0x0302,
    fields: [channelId, { tlv: 2, key: 'initiator', codec: bool }],
  }),
  defineMessage({
    name: 'update_add_htlc',
    type: 0x0304,
    fields: [
      channelId,
      htlcId,
      { tlv: 4, key: 'amountMsat', codec: msat },
      { tlv: 6, key: 'paymentHash', codec: bytes32 },
      { tlv: 8, key: 'cltvExpiry', codec: uint(4, 1, 499_999_999) },
      {
        tlv: 10,
        key: 'onion',
        codec: restBytes({ lengths: [0, ONION_PACKET_SIZE], describe: 'onion (1,366 bytes or empty)' }),
      },
    ],
  }),
  defineMessage({
    name: 'update_fulfill_htlc',
    type: 0x0306,
    fields: [channelId, htlcId, { tlv: 4, key: 'paymentPreimage', codec: bytes32 }],
  }),
  defineMessage({
    name: 'update_fail_htlc',
    type: 0x0308,
    fields: [channelId, htlcId, { tlv: 4, key: 'reason', codec: restBytes() }],
  }),
  defineMessage({
    name: 'update_fee',
    type: 0x030a,
    fields: [channelId, { tlv: 2, key: 'feeRate', codec: feeRate }],
  }),
  defineMessage({
    name: 'commitment_signed',
    type: 0x030c,
    fields: [
      channelId,
      { tlv: 2, key: 'partialSig', codec: scalar },
      { tlv: 4, key: 'signingNonce', codec: pubnonce },
    ],
  }),
  defineMessage({
    name: 'revoke_and_ack',
    type: 0x030e,
    fields: [
      channelId,
      { tlv: 2, key: 'perCommitmentSecret', codec: bytes32 },
      { tlv: 4, key: 'nextPerCommitmentPoint', codec: point },
      { tlv: 6, key: 'nextVerificationNonce', codec: pubnonce },
    ],
  }),
  defineMessage({
    name: 'channel_reestablish',
    type: 0x0310,
    fields: [
      channelId,
      { tlv: 2, key: 'nextCommitmentNumber', codec: commitmentNumber },
      { tlv: 4, key: 'nextRevocationNumber', codec: commitmentNumber },
      { tlv: 6, key: 'yourLastPerCommitmentSecret', codec: bytes32 },
      { tlv: 8, key: 'myCurrentPerCommitmentPoint', codec: point },
      { tlv: 10, key: 'verificationNonce', codec: pubnonce },
    ],
  }),
];
