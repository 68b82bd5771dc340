/**
 * Channel messages (brief §7): the nine types of `@superscalar/poon-dryja`'s `messages.ts`, whose
 * values this package encodes unchanged, plus two wire-level additions of our own: `channel_setup`
 * (each side's basepoints and first two per-commitment points, sent during the factory ceremony) and
 * the optional hop payload of `update_add_htlc`. Amounts are msat (< 2^64), HTLC ids u64, commitment
 * numbers below 2^48, `cltvExpiry` a height in 1..499,999,999, fee rates sat/kvB; keys and nonces are
 * checked on the curve; partial signatures are scalars below n; the onion is 1,366 bytes or empty.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type {
  ChannelMessage as ChannelMachineMessage,
  UpdateAddHtlc as ChannelMachineUpdateAddHtlc,
  ChannelReady,
  ChannelReestablish,
  CommitmentSigned,
  RevokeAndAck,
  Stfu,
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
  struct,
  u64,
  uint,
} from '../_fields.js';
import { Reader, Writer } from '../_io.js';
import { defineMessage, type MessageCodec } from '../codec.js';
import { wireError } from '../errors.js';
import { encodeTlvStream, parseTlvStream, type TlvRecord } from '../tlv.js';
import { channelIdOf } from './factory.js';

export type {
  ChannelReady,
  ChannelReestablish,
  CommitmentSigned,
  RevokeAndAck,
  Stfu,
  UpdateFailHtlc,
  UpdateFee,
  UpdateFulfillHtlc,
};

/**
 * BOLT 4's `payload` TLV stream (`tlv_payload`) for one hop, carried in the clear inside
 * `update_add_htlc` instead of a Sphinx onion: the Noise link is already encrypted, and every payment
 * here crosses one LSP between two of its clients (real BOLT 4 onions come with Lightning interop).
 * Field numbers, names and encodings are BOLT 4's; only these four types are known.
 *
 * Stricter than BOLT 4: exactly one of `shortChannelId` (a hop that forwards) and `paymentData` (the
 * final hop: the payee's invoices always carry a payment secret); `outgoingCltvValue` is a block
 * height (1..499,999,999). Whether the amounts and heights fit the HTLC (`amtToForward` ≤ its amount
 * minus the fee, `outgoingCltvValue` ≤ its `cltvExpiry` minus the delta) is the receiver's check: a
 * violation fails the HTLC (`update_fail_htlc`), it does not close the connection, so it is not a
 * decoding rule.
 */
export interface HopPayload {
  /** `amt_to_forward` (type 2, tu64): msat to forward, or to receive at the final hop. */
  readonly amtToForward: bigint;
  /** `outgoing_cltv_value` (type 4, tu32): the outgoing HTLC's `cltv_expiry`, a block height. */
  readonly outgoingCltvValue: number;
  /**
   * `short_channel_id` (type 6, 8 bytes): where to forward — the SCID alias of the payee's channel,
   * {@link scidAliasOf}`(channelId)`. Present iff the receiver forwards.
   */
  readonly shortChannelId?: Uint8Array;
  /** `payment_data` (type 8: 32-byte `payment_secret`, tu64 `total_msat`). Present iff final. */
  readonly paymentData?: { readonly paymentSecret: Uint8Array; readonly totalMsat: bigint };
  /** Unknown odd records of the payload, kept and re-emitted. */
  readonly unknownRecords?: readonly TlvRecord[];
}

/**
 * `update_add_htlc` on the wire: `@superscalar/poon-dryja`'s value plus the optional hop payload.
 * The extension lives here, not in poon-dryja: the channel machine neither needs nor keeps the hop
 * payload (it is forwarding information for the LSP role), and any poon-dryja `UpdateAddHtlc` is a
 * valid value of this type, so the machine's output encodes as is and a decoded message is accepted
 * by the machine as is.
 */
export interface UpdateAddHtlc extends ChannelMachineUpdateAddHtlc {
  /** BOLT 4 hop payload (TLV 12 of the message). When present, `onion` must be empty. */
  readonly hopPayload?: HopPayload;
}

/** One party's four BOLT 3 basepoints (the shape of poon-dryja's `Basepoints`). */
export interface ChannelBasepoints {
  /** `revocation_basepoint`. */
  readonly revocation: Uint8Array;
  /** `payment_basepoint` (static remote key, brief §7). */
  readonly payment: Uint8Array;
  /** `delayed_payment_basepoint`. */
  readonly delayedPayment: Uint8Array;
  /** `htlc_basepoint`. */
  readonly htlc: Uint8Array;
}

/**
 * `channel_setup` (each side, once per leaf channel, during the factory ceremony after the proposal
 * and before `channel_ready`, brief §8 step 5): the sender's basepoints and its per-commitment points
 * for commitments 0 and 1 (BOLT 2's `open_channel`/`accept_channel` keys; the funding keys are the
 * factory keys of the proposal). `channelId` must be {@link channelIdOf}`(factoryId, clientIndex)`.
 */
export interface ChannelSetup {
  readonly type: 'channel_setup';
  readonly channelId: Uint8Array;
  /** `factoryIdOf(proposal)`. */
  readonly factoryId: Uint8Array;
  /** The channel's client: its index in `proposal.clients[]`. */
  readonly clientIndex: number;
  /** The sender's basepoints (fresh per channel, brief §1). */
  readonly basepoints: ChannelBasepoints;
  /** The sender's per-commitment point for its commitment 0. */
  readonly firstPerCommitmentPoint: Uint8Array;
  /** The sender's per-commitment point for its commitment 1. */
  readonly secondPerCommitmentPoint: Uint8Array;
}

/** Channel messages: poon-dryja's, with `update_add_htlc` extended by the hop payload. */
export type ChannelMessage =
  | Exclude<ChannelMachineMessage, { readonly type: 'update_add_htlc' }>
  | UpdateAddHtlc
  | ChannelSetup;

const SCID_TAG = sha256(new TextEncoder().encode('superscalar-ts/scid-alias'));

/**
 * The SCID alias of a channel (BOLT 2's `short_channel_id` alias): the first 8 bytes of
 * `tagged_hash("superscalar-ts/scid-alias", channelId)` with the top bit of byte 0 set. Read as a
 * `short_channel_id` its block height is then at least 8,388,608 (2^23), far above any real block for
 * generations, so an alias never equals a confirmed channel's SCID. 63 bits of the hash remain: the
 * LSP still checks that its aliases are distinct.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` for a channel id that is not 32 bytes.
 */
export function scidAliasOf(channelId: Uint8Array): Uint8Array {
  if (!(channelId instanceof Uint8Array) || channelId.length !== 32)
    throw wireError('WIRE_INVALID_ARGUMENT', 'expected 32 bytes', { field: 'channelId' });
  const buf = new Uint8Array(96);
  buf.set(SCID_TAG, 0);
  buf.set(SCID_TAG, 32);
  buf.set(channelId, 64);
  const alias = sha256(buf).slice(0, 8);
  alias[0] = (alias[0] as number) | 0x80;
  return alias;
}

/** BOLT 1 truncated unsigned integer: big-endian without leading zero bytes (0 is empty). */
function tuBytes(v: bigint): Uint8Array {
  const out: number[] = [];
  for (let x = v; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
  return Uint8Array.from(out);
}

function readTu(b: Uint8Array, width: 4 | 8, field: string, at: number): bigint {
  if (b.length > width)
    throw wireError('WIRE_BAD_LENGTH', `a tu${width * 8} has at most ${width} bytes, got ${b.length}`, {
      field,
      offset: at,
    });
  if (b.length > 0 && b[0] === 0)
    throw wireError('WIRE_INVALID_VALUE', `tu${width * 8} not minimally encoded (leading zero byte)`, {
      field,
      offset: at,
    });
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

const HOP_KNOWN = new Set([2n, 4n, 6n, 8n]);
const MAX_U64 = (1n << 64n) - 1n;

function failArg(field: string, message: string): never {
  throw wireError('WIRE_INVALID_ARGUMENT', message, { field });
}

/** @internal The hop payload as a record's whole value (a BOLT 4 `payload` TLV stream). */
export const hopPayloadCodec = {
  shape: { k: 'hop' } as const,
  minSize: 0,
  describe:
    'BOLT 4 payload TLV stream: 2 amt_to_forward (tu64 msat), 4 outgoing_cltv_value (tu32 height), 6 short_channel_id? (8), 8 payment_data? (32-byte payment_secret, tu64 total_msat); exactly one of 6 and 8',
  write(w: Writer, v: unknown, field: string) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) failArg(field, 'expected an object');
    const h = v as Record<string, unknown>;
    for (const k of Object.keys(h))
      if (
        !['amtToForward', 'outgoingCltvValue', 'shortChannelId', 'paymentData', 'unknownRecords'].includes(k)
      )
        failArg(field, `unknown field "${k}": the wire format does not carry it`);
    const amt = h.amtToForward;
    if (typeof amt !== 'bigint' || amt < 0n || amt > MAX_U64)
      failArg(`${field}.amtToForward`, 'expected a bigint in 0..2^64 − 1');
    const cltv = h.outgoingCltvValue;
    if (typeof cltv !== 'number' || !Number.isInteger(cltv) || cltv < 1 || cltv > 499_999_999)
      failArg(`${field}.outgoingCltvValue`, 'expected a block height in 1..499999999');
    const records: TlvRecord[] = [
      { type: 2n, value: tuBytes(amt) },
      { type: 4n, value: tuBytes(BigInt(cltv)) },
    ];
    const scid = h.shortChannelId;
    const pd = h.paymentData as Record<string, unknown> | undefined;
    if ((scid === undefined) === (pd === undefined))
      failArg(field, 'exactly one of shortChannelId (forward) and paymentData (final hop)');
    if (scid !== undefined) {
      if (!(scid instanceof Uint8Array) || scid.length !== 8)
        failArg(`${field}.shortChannelId`, 'expected 8 bytes');
      records.push({ type: 6n, value: Uint8Array.from(scid) });
    }
    if (pd !== undefined) {
      if (typeof pd !== 'object' || pd === null) failArg(`${field}.paymentData`, 'expected an object');
      for (const k of Object.keys(pd))
        if (k !== 'paymentSecret' && k !== 'totalMsat')
          failArg(`${field}.paymentData`, `unknown field "${k}": the wire format does not carry it`);
      const secret = pd.paymentSecret;
      const total = pd.totalMsat;
      if (!(secret instanceof Uint8Array) || secret.length !== 32)
        failArg(`${field}.paymentData.paymentSecret`, 'expected 32 bytes');
      if (typeof total !== 'bigint' || total < 0n || total > MAX_U64)
        failArg(`${field}.paymentData.totalMsat`, 'expected a bigint in 0..2^64 − 1');
      const t = tuBytes(total);
      const value = new Uint8Array(32 + t.length);
      value.set(secret);
      value.set(t, 32);
      records.push({ type: 8n, value });
    }
    const extra = h.unknownRecords;
    if (extra !== undefined) {
      if (!Array.isArray(extra)) failArg(`${field}.unknownRecords`, 'expected an array');
      let prev = -1n;
      extra.forEach((r: TlvRecord, i) => {
        const at = `${field}.unknownRecords[${i}]`;
        if (
          typeof r !== 'object' ||
          r === null ||
          typeof r.type !== 'bigint' ||
          !(r.value instanceof Uint8Array)
        )
          failArg(at, 'expected { type: bigint, value: Uint8Array }');
        if (r.type < 0n || r.type > MAX_U64 || r.type % 2n === 0n || HOP_KNOWN.has(r.type))
          failArg(at, `type ${r.type}: only unknown odd types below 2^64 can be carried`);
        if (r.type <= prev) failArg(at, 'unknown records must be in strictly increasing type order');
        prev = r.type;
        records.push({ type: r.type, value: r.value });
      });
    }
    records.sort((a, b) => (a.type < b.type ? -1 : 1));
    w.bytes(encodeTlvStream(records));
  },
  read(r: Reader, field: string): HopPayload {
    const base = r.offset;
    const bytes = r.rest();
    const recs = parseTlvStream(bytes, 0, (t) => HOP_KNOWN.has(t), field);
    const out: {
      amtToForward?: bigint;
      outgoingCltvValue?: number;
      shortChannelId?: Uint8Array;
      paymentData?: { paymentSecret: Uint8Array; totalMsat: bigint };
      unknownRecords?: TlvRecord[];
    } = {};
    const unknown: TlvRecord[] = [];
    for (const rec of recs) {
      const at = base + rec.value.byteOffset - bytes.byteOffset;
      switch (rec.type) {
        case 2n:
          out.amtToForward = readTu(rec.value, 8, `${field}.amtToForward`, at);
          break;
        case 4n: {
          const v = Number(readTu(rec.value, 4, `${field}.outgoingCltvValue`, at));
          if (v < 1 || v > 499_999_999)
            throw wireError('WIRE_OUT_OF_RANGE', `${v} is not a block height in 1..499999999`, {
              field: `${field}.outgoingCltvValue`,
              offset: at,
            });
          out.outgoingCltvValue = v;
          break;
        }
        case 6n:
          if (rec.value.length !== 8)
            throw wireError('WIRE_BAD_LENGTH', `short_channel_id has 8 bytes, got ${rec.value.length}`, {
              field: `${field}.shortChannelId`,
              offset: at,
            });
          out.shortChannelId = rec.value.slice();
          break;
        case 8n:
          if (rec.value.length < 32)
            throw wireError(
              'WIRE_TRUNCATED',
              `payment_data needs 32 bytes of payment_secret, got ${rec.value.length}`,
              {
                field: `${field}.paymentData`,
                offset: at,
              },
            );
          out.paymentData = {
            paymentSecret: rec.value.slice(0, 32),
            totalMsat: readTu(rec.value.subarray(32), 8, `${field}.paymentData.totalMsat`, at + 32),
          };
          break;
        default:
          unknown.push({ type: rec.type, value: rec.value.slice() });
      }
    }
    const missing = (k: string, t: number) => {
      throw wireError('WIRE_MISSING_FIELD', `required TLV ${t} is absent`, {
        field: `${field}.${k}`,
        tlvType: BigInt(t),
      });
    };
    if (out.amtToForward === undefined) missing('amtToForward', 2);
    if (out.outgoingCltvValue === undefined) missing('outgoingCltvValue', 4);
    if ((out.shortChannelId === undefined) === (out.paymentData === undefined))
      throw wireError(
        'WIRE_INVALID_VALUE',
        'exactly one of short_channel_id (forward) and payment_data (final hop)',
        { field, offset: base },
      );
    if (unknown.length > 0) out.unknownRecords = unknown;
    return out as HopPayload;
  },
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
      { tlv: 12, key: 'hopPayload', codec: hopPayloadCodec, optional: true },
    ],
    check(f, fail) {
      if (f.hopPayload !== undefined && (f.onion as Uint8Array).length !== 0)
        fail('onion', 'must be empty when a hop payload is present');
    },
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
  defineMessage({
    name: 'channel_setup',
    type: 0x0312,
    fields: [
      channelId,
      { tlv: 2, key: 'factoryId', codec: bytes32 },
      { tlv: 4, key: 'clientIndex', codec: uint(4) },
      {
        tlv: 6,
        key: 'basepoints',
        codec: struct(
          [
            ['revocation', point],
            ['payment', point],
            ['delayedPayment', point],
            ['htlc', point],
          ],
          'basepoints',
        ),
      },
      { tlv: 8, key: 'firstPerCommitmentPoint', codec: point },
      { tlv: 10, key: 'secondPerCommitmentPoint', codec: point },
    ],
    check(f, fail) {
      const expected = channelIdOf(f.factoryId as Uint8Array, f.clientIndex as number);
      const got = f.channelId as Uint8Array;
      if (!expected.every((b, i) => b === got[i]))
        fail('channelId', 'is not channelIdOf(factoryId, clientIndex)');
    },
  }),
];

/**
 * A hop payload as its BOLT 4 `payload` TLV stream (the value of `update_add_htlc`'s TLV 12). The
 * roles carry it inside the poon-dryja channel's `onion` bytes between receipt and settlement, so it
 * is persisted with the HTLC itself.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` for a value the wire format cannot carry.
 */
export function encodeHopPayload(hop: HopPayload): Uint8Array {
  const w = new Writer();
  hopPayloadCodec.write(w, hop, 'hopPayload');
  return w.finish();
}

/**
 * The hop payload a BOLT 4 `payload` TLV stream holds (strict, as in `update_add_htlc`).
 *
 * @throws {WireError} `WIRE_DECODE`-family codes for malformed bytes.
 */
export function decodeHopPayload(bytes: Uint8Array): HopPayload {
  if (!(bytes instanceof Uint8Array))
    throw wireError('WIRE_INVALID_ARGUMENT', 'expected bytes', { field: 'hopPayload' });
  return hopPayloadCodec.read(new Reader(bytes, 0), 'hopPayload');
}

/**
 * The odd custom TLV type (BOLT 1 "it's ok to be odd", BOLT 4 custom range ≥ 65,536) under which a
 * payer puts the final hop's payload (its {@link encodeHopPayload} bytes) inside the LSP's payload, so
 * the LSP can hand the payee its `payment_data` (the stand-in for an onion's next layer; the Noise
 * link already encrypts it).
 */
export const NEXT_HOP_PAYLOAD_TYPE = 65_537n;
