// Builds the content of vectors/messages.json: every sample message's encoding, and invalid
// encodings with the WireError code a decoder must give. The invalid ones are assembled record by
// record here (not by the encoder), so they test the decoder against the format as written down.
import {
  channelIdOf,
  decodeTlvStream,
  encodeMessage,
  encodeTlvStream,
  factoryIdOf,
  MESSAGE_TYPES,
  type Message,
  scidAliasOf,
  type TlvRecord,
} from '../src/index.js';
import { toJson } from './_json.js';
import {
  hash,
  p2tr,
  point,
  pubnonce,
  sampleChannelId,
  sampleFactoryId,
  sampleFactoryPropose,
  sampleMessages,
  sampleProposal,
} from './_samples.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const u16 = (n: number) => n.toString(16).padStart(4, '0');
const u32 = (n: number) => n.toString(16).padStart(8, '0');
const u64 = (n: bigint) => n.toString(16).padStart(16, '0');
// One TLV record with a type and length below 253 (a one-byte BigSize each).
const rec = (t: number, valueHex: string) =>
  `${t.toString(16).padStart(2, '0')}${(valueHex.length / 2).toString(16).padStart(2, '0')}${valueHex}`;
const msg = (name: keyof typeof MESSAGE_TYPES, ...records: string[]) =>
  u16(MESSAGE_TYPES[name]) + records.join('');

const cid = hex(hash('channel'));
const pcp = hex(point('pcp 0'));
const vn = hex(pubnonce('vn 0'));
const N = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';

/** An invalid encoding and the error it must give. */
export interface InvalidVector {
  readonly description: string;
  readonly hex: string;
  readonly code: string;
}

/** `factory_propose` of the 5-client sample with its records edited (`edit` maps the record list). */
function proposeWith(edit: (records: TlvRecord[]) => TlvRecord[]): string {
  const b = encodeMessage(sampleFactoryPropose(5));
  return hex(
    Uint8Array.from([
      ...b.subarray(0, 2),
      ...encodeTlvStream(edit(decodeTlvStream(b, { offset: 2, isKnown: () => true }))),
    ]),
  );
}
const withFundingTx = (f: (tx: Uint8Array) => Uint8Array) => (rs: TlvRecord[]) =>
  rs.map((r) => (r.type === 48n ? { type: 48n, value: f(r.value) } : r));

const fid = hex(sampleFactoryId);
const bp = hex(
  Uint8Array.from([
    ...point('bp revocation'),
    ...point('bp payment'),
    ...point('bp delayed'),
    ...point('bp htlc'),
  ]),
);
const htlc = (hop: string, onion = '') =>
  msg(
    'update_add_htlc',
    rec(0, cid),
    rec(2, u64(0n)),
    rec(4, u64(1_001_000n)),
    rec(6, hex(hash('payment'))),
    rec(8, u32(1300)),
    rec(10, onion),
    rec(12, hop),
  );
const scid = hex(scidAliasOf(channelIdOf(sampleFactoryId, 4)));

/** Issue 20's invalid encodings: funding transaction, registration, channel setup, hop payload, reestablish. */
function issue20Vectors(): InvalidVector[] {
  return [
    {
      description: 'factory_propose as encoded before issue 20 (no fundingTx record, TLV 48)',
      hex: proposeWith((rs) => rs.filter((r) => r.type !== 48n)),
      code: 'WIRE_MISSING_FIELD',
    },
    {
      description:
        'factory_propose: a funding transaction whose txid is not proposal.funding.txid (lock time changed)',
      hex: proposeWith(
        withFundingTx((tx) => {
          const c = Uint8Array.from(tx);
          c[c.length - 1] = (c[c.length - 1] as number) ^ 1;
          return c;
        }),
      ),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'factory_propose: a funding transaction in witness serialization (marker 00 01)',
      hex: proposeWith(
        withFundingTx((tx) => Uint8Array.from([...tx.subarray(0, 4), 0x00, 0x01, ...tx.subarray(4)])),
      ),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'factory_propose: a funding transaction with a byte after the lock time',
      hex: proposeWith(withFundingTx((tx) => Uint8Array.from([...tx, 0]))),
      code: 'WIRE_TRAILING_BYTES',
    },
    {
      description: 'factory_register: balance above capacity',
      hex: msg(
        'factory_register',
        rec(0, hex(point('client 0 factory 2'))),
        rec(2, hex(p2tr('client 0/close 2').subarray(2))),
        rec(4, u64(100_000n)),
        rec(6, u64(100_001n)),
      ),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'factory_register_response: neither grant nor refusal',
      hex: msg('factory_register_response', rec(0, hex(point('client 0 factory 2')))),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description:
        'channel_setup: channelId is not channelIdOf(factoryId, clientIndex) (client 4 for channel 3)',
      hex: msg(
        'channel_setup',
        rec(0, hex(sampleChannelId)),
        rec(2, fid),
        rec(4, u32(4)),
        rec(6, bp),
        rec(8, hex(point('setup pcp 0'))),
        rec(10, hex(point('setup pcp 1'))),
      ),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'update_add_htlc: hop payload amt_to_forward (tu64) with a leading zero byte',
      hex: htlc(rec(2, '000f4240') + rec(4, '04b0') + rec(6, scid)),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'update_add_htlc: hop payload outgoing_cltv_value (tu32) of 5 bytes',
      hex: htlc(rec(2, '0f4240') + rec(4, '00000004b0') + rec(6, scid)),
      code: 'WIRE_BAD_LENGTH',
    },
    {
      description: 'update_add_htlc: hop payload without outgoing_cltv_value',
      hex: htlc(rec(2, '0f4240') + rec(6, scid)),
      code: 'WIRE_MISSING_FIELD',
    },
    {
      description: 'update_add_htlc: hop payload with both short_channel_id and payment_data',
      hex: htlc(
        rec(2, '0f4240') + rec(4, '04b0') + rec(6, scid) + rec(8, `${hex(hash('payment secret'))}0f4240`),
      ),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'update_add_htlc: hop payload with an unknown even type (10, encrypted_recipient_data)',
      hex: htlc(rec(2, '0f4240') + rec(4, '04b0') + rec(6, scid) + rec(10, '00')),
      code: 'WIRE_UNKNOWN_EVEN_TLV',
    },
    {
      description: 'update_add_htlc: a hop payload beside a 1,366-byte onion',
      hex:
        u16(MESSAGE_TYPES.update_add_htlc) +
        rec(0, cid) +
        rec(2, u64(0n)) +
        rec(4, u64(1_001_000n)) +
        rec(6, hex(hash('payment'))) +
        rec(8, u32(1300)) +
        `0afd0556${'ab'.repeat(1366)}` +
        rec(12, rec(2, '0f4240') + rec(4, '04b0') + rec(6, scid)),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'factory_reestablish: phase open with a ceremony record',
      hex: msg('factory_reestablish', rec(0, fid), rec(2, '02'), rec(4, '0001')),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'factory_reestablish: phase advance with a complete advance',
      hex: msg('factory_reestablish', rec(0, fid), rec(2, '03'), rec(6, `${u32(3)}06`)),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'factory_reestablish: unknown phase code 7',
      hex: msg('factory_reestablish', rec(0, fid), rec(2, '07')),
      code: 'WIRE_INVALID_VALUE',
    },
  ];
}

/**
 * The ids derived from a proposal (for another implementation to reproduce): `factoryIdOf` of the
 * 5-client sample proposal, `channelIdOf` of its client 3 and `scidAliasOf` that channel.
 */
export function derivedVectors() {
  const factoryId = factoryIdOf(sampleProposal(5));
  const channelId = channelIdOf(factoryId, 3);
  return {
    description:
      'factoryId = tagged_hash("superscalar-ts/factory-id", factory_propose without TLV 48) of the factory_propose vector; channelId = tagged_hash("superscalar-ts/channel-id", factoryId || u32be(clientIndex)); scidAlias = first 8 bytes of tagged_hash("superscalar-ts/scid-alias", channelId) with bit 7 of byte 0 set',
    factoryId: hex(factoryId),
    clientIndex: 3,
    channelId: hex(channelId),
    scidAlias: hex(scidAliasOf(channelId)),
  };
}

export function invalidVectors(): InvalidVector[] {
  return [
    { description: 'shorter than the 2-byte type', hex: '03', code: 'WIRE_TRUNCATED' },
    { description: 'unknown even message type', hex: '0ffe', code: 'WIRE_UNKNOWN_MESSAGE_TYPE' },
    { description: 'unknown odd message type (ignorable)', hex: '0fff00', code: 'WIRE_UNKNOWN_MESSAGE_TYPE' },
    {
      description: 'stfu: required field missing',
      hex: msg('stfu', rec(0, cid)),
      code: 'WIRE_MISSING_FIELD',
    },
    {
      description: 'stfu: boolean byte 2',
      hex: msg('stfu', rec(0, cid), rec(2, '02')),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'stfu: unknown even TLV type 4',
      hex: msg('stfu', rec(0, cid), rec(2, '01'), rec(4, '')),
      code: 'WIRE_UNKNOWN_EVEN_TLV',
    },
    {
      description: 'stfu: TLV types out of order',
      hex: msg('stfu', rec(2, '01'), rec(0, cid)),
      code: 'WIRE_TLV_ORDER',
    },
    {
      description: 'stfu: duplicate TLV type',
      hex: msg('stfu', rec(0, cid), rec(2, '01'), rec(2, '01')),
      code: 'WIRE_TLV_ORDER',
    },
    {
      description: 'stfu: duplicate unknown odd TLV type',
      hex: msg('stfu', rec(0, cid), rec(2, '01'), rec(5, ''), rec(5, '')),
      code: 'WIRE_TLV_ORDER',
    },
    {
      description: 'stfu: non-minimal BigSize length (fd0001)',
      hex: `${msg('stfu', rec(0, cid))}02fd000101`,
      code: 'WIRE_NON_CANONICAL_BIGSIZE',
    },
    {
      description: 'stfu: non-minimal BigSize type (fd0002)',
      hex: `${msg('stfu', rec(0, cid))}fd00020101`,
      code: 'WIRE_NON_CANONICAL_BIGSIZE',
    },
    {
      description: 'stfu: a record length running past the end',
      hex: `${msg('stfu', rec(0, cid))}020501`,
      code: 'WIRE_TLV_LENGTH_OVERRUN',
    },
    {
      description: 'stfu: a truncated BigSize type',
      hex: `${msg('stfu', rec(0, cid))}fd01`,
      code: 'WIRE_TRUNCATED',
    },
    {
      description: 'stfu: a record type without a length',
      hex: `${msg('stfu', rec(0, cid))}02`,
      code: 'WIRE_TRUNCATED',
    },
    {
      description: 'stfu: a 31-byte channel id',
      hex: msg('stfu', rec(0, cid.slice(2)), rec(2, '01')),
      code: 'WIRE_TRUNCATED',
    },
    {
      description: 'stfu: a 33-byte channel id',
      hex: msg('stfu', rec(0, `${cid}00`), rec(2, '01')),
      code: 'WIRE_TRAILING_BYTES',
    },
    {
      description: 'update_fee: a 5-byte fee rate',
      hex: msg('update_fee', rec(0, cid), rec(2, '00000003e8')),
      code: 'WIRE_TRAILING_BYTES',
    },
    {
      description: 'channel_ready: a point not on the curve',
      hex: msg('channel_ready', rec(0, cid), rec(2, `02${'00'.repeat(31)}07`), rec(4, vn)),
      code: 'WIRE_INVALID_POINT',
    },
    {
      description: 'channel_ready: a point with prefix 04',
      hex: msg('channel_ready', rec(0, cid), rec(2, `04${pcp.slice(2)}`), rec(4, vn)),
      code: 'WIRE_INVALID_POINT',
    },
    {
      description: 'channel_ready: an x coordinate ≥ p',
      hex: msg('channel_ready', rec(0, cid), rec(2, `02${'ff'.repeat(32)}`), rec(4, vn)),
      code: 'WIRE_INVALID_POINT',
    },
    {
      description: 'commitment_signed: a partial signature equal to n',
      hex: msg('commitment_signed', rec(0, cid), rec(2, N), rec(4, vn)),
      code: 'WIRE_OUT_OF_RANGE',
    },
    {
      description: 'update_add_htlc: cltv_expiry 500,000,000 (a timestamp)',
      hex: msg(
        'update_add_htlc',
        rec(0, cid),
        rec(2, u64(0n)),
        rec(4, u64(1000n)),
        rec(6, hex(hash('payment'))),
        rec(8, u32(500_000_000)),
        rec(10, ''),
      ),
      code: 'WIRE_OUT_OF_RANGE',
    },
    {
      description: 'update_add_htlc: cltv_expiry 0',
      hex: msg(
        'update_add_htlc',
        rec(0, cid),
        rec(2, u64(0n)),
        rec(4, u64(1000n)),
        rec(6, hex(hash('payment'))),
        rec(8, u32(0)),
        rec(10, ''),
      ),
      code: 'WIRE_OUT_OF_RANGE',
    },
    {
      description: 'update_add_htlc: a 100-byte onion',
      hex: msg(
        'update_add_htlc',
        rec(0, cid),
        rec(2, u64(0n)),
        rec(4, u64(1000n)),
        rec(6, hex(hash('payment'))),
        rec(8, u32(800)),
        rec(10, '00'.repeat(100)),
      ),
      code: 'WIRE_BAD_LENGTH',
    },
    {
      description: 'channel_reestablish: commitment number 2^48',
      hex: msg(
        'channel_reestablish',
        rec(0, cid),
        rec(2, u64(1n << 48n)),
        rec(4, u64(0n)),
        rec(6, '00'.repeat(32)),
        rec(8, pcp),
        rec(10, vn),
      ),
      code: 'WIRE_OUT_OF_RANGE',
    },
    {
      description: 'error: malformed UTF-8 text',
      hex: msg('error', rec(0, 'c328')),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'init: feature bits with a leading zero byte',
      hex: msg('init', rec(0, '00010001'), rec(2, '0002'), rec(4, '04')),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'init: network code 0',
      hex: msg('init', rec(0, '00010001'), rec(2, ''), rec(4, '00')),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'init: versions not strictly increasing',
      hex: msg('init', rec(0, '000200010001'), rec(2, ''), rec(4, '04')),
      code: 'WIRE_INVALID_VALUE',
    },
    {
      description: 'init: a version count larger than the bytes present',
      hex: msg('init', rec(0, 'ffff0001'), rec(2, ''), rec(4, '04')),
      code: 'WIRE_OUT_OF_RANGE',
    },
    {
      description: 'factory_psigs: a psig count larger than the bytes present',
      hex: msg(
        'factory_psigs',
        rec(0, cid),
        rec(2, '00'),
        rec(4, `0010${u32(0)}${'11'.repeat(32)}`),
        rec(6, '0000'),
      ),
      code: 'WIRE_TRUNCATED',
    },
    {
      description: 'lstock_secret: counter 2^48',
      hex: msg('lstock_secret', rec(0, cid), rec(2, u64(1n << 48n)), rec(4, '00'.repeat(32))),
      code: 'WIRE_OUT_OF_RANGE',
    },
    {
      description: 'fragment: part 2 of 2',
      hex: msg(
        'fragment',
        rec(0, u64(0n)),
        rec(2, '0100'),
        rec(4, '0002'),
        rec(6, '0002'),
        rec(8, u32(70000)),
        rec(10, '01'),
      ),
      code: 'WIRE_INVALID_VALUE',
    },
    ...issue20Vectors(),
  ];
}

/** The whole vector file. */
export function buildVectors() {
  return {
    description:
      'SuperScalar-TS wire messages (@superscalar/wire): each valid vector is a message value (bytes as {"$bytes": hex}, bigints as {"$bigint": decimal}) and its exact encoding; each invalid vector is an encoding a decoder must reject with the given WireError code. Generated by scripts/generate-vectors.ts.',
    valid: sampleMessages().map((m: Message) => ({
      name: m.type,
      type: MESSAGE_TYPES[m.type],
      hex: hex(encodeMessage(m)),
      value: toJson(m),
    })),
    invalid: invalidVectors(),
    derived: derivedVectors(),
  };
}
