// Issue 20's messages: registration and its response, factory_propose with the unsigned funding
// transaction, channel setup with derived channel ids and SCID aliases, the BOLT 4 hop payload of
// update_add_htlc, factory_reestablish, and the per-type bounds computed from a factory's shape.
import { describe, expect, it } from 'vitest';
import {
  fundingTxFor,
  hash,
  p2tr,
  point,
  proposeOf,
  sampleChannelId,
  sampleFactoryId,
  sampleFactoryPropose,
  sampleProposal,
  sampleTx,
} from '../scripts/_samples.js';
import { txidOfUnsigned } from '../src/_tx.js';
import {
  channelIdOf,
  clientLimits,
  decodeHopPayload,
  decodeMessage,
  encodeHopPayload,
  encodeMessage,
  factoryIdOf,
  lspLimits,
  type Message,
  scidAliasOf,
} from '../src/index.js';
import { err } from './_err.js';

const roundTrip = (m: Message) => decodeMessage(encodeMessage(m, { maxSize: 1 << 22 }), { maxSize: 1 << 22 });

describe('factory_register and factory_register_response', () => {
  const reg = {
    type: 'factory_register',
    factoryKey: point('fresh key'),
    closeScript: p2tr('close'),
    capacity: 100_000n,
    balance: 30_000n,
  } as const;
  it('round-trip, with and without a placement profile', () => {
    expect(roundTrip(reg)).toStrictEqual(reg);
    const withProfile = { ...reg, profile: { contribution: -5n, uptime: 0.25, timezone: -3 } };
    expect(roundTrip(withProfile)).toStrictEqual(withProfile);
  });
  it('refuse a balance above the requested capacity, on encode and on decode', () => {
    expect(err(() => encodeMessage({ ...reg, balance: 100_001n })).field).toBe('factory_register.balance');
  });
  it('a response grants or refuses, never both or neither', () => {
    const grant = {
      capacity: 90_000n,
      balance: 30_000n,
      feeBaseMsat: 1000,
      feeProportionalMillionths: 500,
      htlcMinimumMsat: 1n,
      htlcMaximumMsat: 89_000_000n,
    };
    const refusal = { reason: 4, text: 'register again with a fresh factory key' };
    const base = { type: 'factory_register_response', factoryKey: reg.factoryKey } as const;
    expect(roundTrip({ ...base, grant })).toStrictEqual({ ...base, grant });
    expect(roundTrip({ ...base, refusal })).toStrictEqual({ ...base, refusal });
    expect(err(() => encodeMessage(base)).code).toBe('WIRE_INVALID_ARGUMENT');
    expect(err(() => encodeMessage({ ...base, grant, refusal })).code).toBe('WIRE_INVALID_ARGUMENT');
    expect(err(() => encodeMessage({ ...base, grant: { ...grant, balance: 90_001n } })).field).toBe(
      'factory_register_response.grant.balance',
    );
    expect(err(() => encodeMessage({ ...base, grant: { ...grant, htlcMaximumMsat: 0n } })).field).toBe(
      'factory_register_response.grant.htlcMaximumMsat',
    );
    // No cltv_expiry_delta travels: it derives from the proposal's shape (brief §7).
    expect(
      err(() => encodeMessage({ ...base, grant: { ...grant, cltvExpiryDelta: 144 } } as never)).message,
    ).toContain('cltvExpiryDelta');
  });
});

describe('factory_propose carries the unsigned funding transaction', () => {
  const m = sampleFactoryPropose(5);
  it('round-trips; the funding txid is the transaction hash and factoryIdOf ignores the transaction bytes', () => {
    expect(roundTrip(m)).toStrictEqual(m);
    expect(txidOfUnsigned(m.fundingTx)).toBe(m.proposal.funding.txid);
    expect(factoryIdOf(m.proposal)).toEqual(sampleFactoryId);
  });
  it('refuses a transaction whose txid, output or amount does not match proposal.funding', () => {
    const other = sampleTx(['x'], [{ value: m.proposal.funding.amount, script: new Uint8Array(34) }]);
    expect(err(() => encodeMessage({ ...m, fundingTx: other })).field).toBe('factory_propose.fundingTx');
    const p = m.proposal;
    const vout5 = { ...p, funding: { ...p.funding, vout: 5 } };
    expect(err(() => encodeMessage({ ...m, proposal: vout5 })).message).toContain('vout 5 does not exist');
    // Same keys, another amount: a consistent transaction with the old amount does not match.
    const amount = { ...p, funding: { ...p.funding, amount: p.funding.amount + 1n } };
    expect(err(() => encodeMessage({ ...m, proposal: amount })).code).toBe('WIRE_INVALID_ARGUMENT');
    const rebuilt = fundingTxFor(amount);
    const fixed = { ...amount, funding: { ...amount.funding, txid: txidOfUnsigned(rebuilt) } };
    expect(roundTrip({ ...m, proposal: fixed, fundingTx: rebuilt })).toStrictEqual({
      ...m,
      proposal: fixed,
      fundingTx: rebuilt,
    });
  });
  it('refuses a missing transaction, a witness serialization, trailing bytes and a non-minimal count', () => {
    expect(err(() => encodeMessage({ type: 'factory_propose', proposal: m.proposal } as never)).field).toBe(
      'factory_propose.fundingTx',
    );
    const tx = m.fundingTx;
    const segwit = Uint8Array.from([...tx.subarray(0, 4), 0, 1, ...tx.subarray(4)]);
    expect(err(() => encodeMessage({ ...m, fundingTx: segwit })).message).toContain('no inputs');
    expect(err(() => encodeMessage({ ...m, fundingTx: Uint8Array.from([...tx, 0]) })).message).toContain(
      'after the lock time',
    );
    const nonMinimal = Uint8Array.from([...tx.subarray(0, 4), 0xfd, tx[4] as number, 0, ...tx.subarray(5)]);
    expect(err(() => encodeMessage({ ...m, fundingTx: nonMinimal })).message).toContain('non-minimal');
  });
});

describe('channel ids, SCID aliases and channel_setup', () => {
  it('channelIdOf is the documented tagged hash of (factoryIdOf(proposal), client index)', async () => {
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const tag = sha256(new TextEncoder().encode('superscalar-ts/channel-id'));
    const idx = Uint8Array.from([0, 0, 0, 3]);
    expect(channelIdOf(sampleFactoryId, 3)).toEqual(
      sha256(Uint8Array.from([...tag, ...tag, ...sampleFactoryId, ...idx])),
    );
    expect(channelIdOf(sampleFactoryId, 3)).toEqual(sampleChannelId);
    expect(channelIdOf(sampleFactoryId, 4)).not.toEqual(sampleChannelId);
    expect(err(() => channelIdOf(new Uint8Array(31), 0)).field).toBe('factoryId');
    expect(err(() => channelIdOf(sampleFactoryId, -1)).field).toBe('clientIndex');
  });
  it('scidAliasOf is 8 bytes with the top bit set (an implied block height ≥ 2^23), distinct per channel', () => {
    const aliases = new Set<string>();
    for (let i = 0; i < 256; i++) {
      const a = scidAliasOf(channelIdOf(sampleFactoryId, i));
      expect(a).toHaveLength(8);
      expect((a[0] as number) & 0x80).toBe(0x80);
      aliases.add(Buffer.from(a).toString('hex'));
    }
    expect(aliases.size).toBe(256);
    expect(err(() => scidAliasOf(new Uint8Array(8))).code).toBe('WIRE_INVALID_ARGUMENT');
  });
  it('encodeHopPayload/decodeHopPayload round-trip the BOLT 4 payload TLV stream', () => {
    const fwd = {
      amtToForward: 1_000_000n,
      outgoingCltvValue: 700,
      shortChannelId: scidAliasOf(sampleChannelId),
    };
    expect(decodeHopPayload(encodeHopPayload(fwd))).toEqual(fwd);
    const fin = {
      amtToForward: 5n,
      outgoingCltvValue: 1,
      paymentData: { paymentSecret: new Uint8Array(32).fill(9), totalMsat: 5n },
    };
    const bytes = encodeHopPayload(fin);
    expect(bytes[0]).toBe(2); // type 2 first
    expect(decodeHopPayload(bytes)).toEqual(fin);
    expect(err(() => decodeHopPayload(bytes.subarray(0, 3))).code).toMatch(/^WIRE_/);
    expect(err(() => encodeHopPayload({ amtToForward: 1n, outgoingCltvValue: 1 })).code).toBe(
      'WIRE_INVALID_ARGUMENT',
    );
  });
  it('channel_setup round-trips and must name the channel its factory id and client index derive', () => {
    const m = {
      type: 'channel_setup',
      channelId: sampleChannelId,
      factoryId: sampleFactoryId,
      clientIndex: 3,
      basepoints: {
        revocation: point('r'),
        payment: point('p'),
        delayedPayment: point('d'),
        htlc: point('h'),
      },
      firstPerCommitmentPoint: point('pcp0'),
      secondPerCommitmentPoint: point('pcp1'),
    } as const;
    expect(roundTrip(m)).toStrictEqual(m);
    expect(err(() => encodeMessage({ ...m, clientIndex: 4 })).field).toBe('channel_setup.channelId');
  });
});

describe('update_add_htlc hop payload (BOLT 4 tlv_payload)', () => {
  const base = {
    type: 'update_add_htlc',
    channelId: sampleChannelId,
    id: 1n,
    amountMsat: 1_001_000n,
    paymentHash: hash('payment'),
    cltvExpiry: 1300,
    onion: new Uint8Array(0),
  } as const;
  const scid = scidAliasOf(channelIdOf(sampleFactoryId, 4));
  it('encodes BOLT 4 types 2, 4, 6 with truncated integers', () => {
    const m = {
      ...base,
      hopPayload: { amtToForward: 1_000_000n, outgoingCltvValue: 1200, shortChannelId: scid },
    };
    const b = encodeMessage(m);
    const hop = `0203${'0f4240'}0402${'04b0'}0608${Buffer.from(scid).toString('hex')}`;
    expect(
      Buffer.from(b)
        .toString('hex')
        .endsWith(`0c${(hop.length / 2).toString(16)}${hop}`),
    ).toBe(true);
    expect(decodeMessage(b)).toStrictEqual(m);
  });
  it('encodes payment_data (type 8) as the secret then a tu64 total; zero is empty', () => {
    const m = {
      ...base,
      hopPayload: {
        amtToForward: 0n,
        outgoingCltvValue: 1,
        paymentData: { paymentSecret: hash('s'), totalMsat: 0n },
        unknownRecords: [{ type: 9n, value: Uint8Array.from([1]) }],
      },
    };
    const b = encodeMessage(m);
    expect(Buffer.from(b).toString('hex')).toContain(
      `0200040101${'08'}20${Buffer.from(hash('s')).toString('hex')}090101`,
    );
    expect(decodeMessage(b)).toStrictEqual(m);
  });
  it('needs exactly one of short_channel_id and payment_data, and an empty onion beside it', () => {
    const hop = { amtToForward: 5n, outgoingCltvValue: 10 };
    expect(err(() => encodeMessage({ ...base, hopPayload: hop })).field).toBe('update_add_htlc.hopPayload');
    expect(
      err(() =>
        encodeMessage({
          ...base,
          hopPayload: {
            ...hop,
            shortChannelId: scid,
            paymentData: { paymentSecret: hash('s'), totalMsat: 1n },
          },
        }),
      ).field,
    ).toBe('update_add_htlc.hopPayload');
    expect(
      err(() =>
        encodeMessage({ ...base, onion: new Uint8Array(1366), hopPayload: { ...hop, shortChannelId: scid } }),
      ).field,
    ).toBe('update_add_htlc.onion');
    // A poon-dryja UpdateAddHtlc (no hop payload) is unchanged on the wire.
    expect(roundTrip(base)).toStrictEqual(base);
  });
});

describe('factory_reestablish', () => {
  const fid = sampleFactoryId;
  it('round-trips every phase with the records it allows', () => {
    const ms: Message[] = [
      {
        type: 'factory_reestablish',
        factoryId: fid,
        phase: 'ceremony',
        ceremony: { attempt: 2, step: 'funded' },
      },
      {
        type: 'factory_reestablish',
        factoryId: fid,
        phase: 'open',
        advance: { advanceId: 9, step: 'complete' },
      },
      {
        type: 'factory_reestablish',
        factoryId: fid,
        phase: 'advance',
        advance: { advanceId: 10, step: 'signed' },
      },
      { type: 'factory_reestablish', factoryId: fid, phase: 'close', close: { attempt: 1, step: 'signed' } },
      { type: 'factory_reestablish', factoryId: fid, phase: 'aborted' },
      {
        type: 'factory_reestablish',
        factoryId: fid,
        phase: 'closed',
        unknownRecords: [{ type: 11n, value: new Uint8Array(2) }],
      },
    ];
    for (const m of ms) expect(roundTrip(m)).toStrictEqual(m);
  });
  it('refuses records that contradict the phase', () => {
    const bad: Message[] = [
      { type: 'factory_reestablish', factoryId: fid, phase: 'ceremony' },
      { type: 'factory_reestablish', factoryId: fid, phase: 'open', close: { attempt: 0, step: 'nonce' } },
      { type: 'factory_reestablish', factoryId: fid, phase: 'advance' },
      {
        type: 'factory_reestablish',
        factoryId: fid,
        phase: 'open',
        advance: { advanceId: 1, step: 'psigs' },
      },
      {
        type: 'factory_reestablish',
        factoryId: fid,
        phase: 'aborted',
        advance: { advanceId: 1, step: 'complete' },
      },
    ];
    for (const m of bad) expect(err(() => encodeMessage(m)).code).toBe('WIRE_INVALID_ARGUMENT');
  });
});

describe('per-type bounds from the shape', () => {
  it('are the largest encodings: a message of the shape fits exactly (plus the extension room), one more entry does not', () => {
    const depth = 5;
    const limits = clientLimits({ depth, extensionBytes: 0 });
    const nonces = (n: number, d = 2): Message => ({
      type: 'factory_nonces',
      factoryId: fid0,
      attempt: 255,
      nonces: Array.from({ length: n }, (_, i) => ({ tx: 4_000_000_000 + i, kind: 'state', pubnonce: pn })),
      distributionNonces: Array.from({ length: d }, (_, i) => ({ index: i, pubnonce: pn })),
    });
    expect(encodeMessage(nonces(2 * depth)).length).toBe(limits.factory_nonces);
    expect(decodeMessage(encodeMessage(nonces(2 * depth)), { maxSizeByType: limits }).type).toBe(
      'factory_nonces',
    );
    const e = err(() => decodeMessage(encodeMessage(nonces(2 * depth + 1)), { maxSizeByType: limits }));
    expect(e.code).toBe('WIRE_MESSAGE_TOO_LARGE');
    expect(clientLimits({ depth }).factory_nonces).toBe((limits.factory_nonces as number) + 1024);
  });
  it('bound every new fixed-shape message by its largest encoding', () => {
    const c = clientLimits({ depth: 1, extensionBytes: 0, textBytes: 60 });
    const l = lspLimits({ depth: 1, clients: 5, extensionBytes: 0, textBytes: 60 });
    const reg: Message = {
      type: 'factory_register',
      factoryKey: point('k'),
      closeScript: p2tr('c'),
      capacity: 1n,
      balance: 1n,
      profile: { contribution: 1n, uptime: 1, timezone: 1 },
    };
    expect(encodeMessage(reg).length).toBe(c.factory_register);
    const refusal: Message = {
      type: 'factory_register_response',
      factoryKey: point('k'),
      refusal: { reason: 1, text: 'x'.repeat(60) },
    };
    expect(encodeMessage(refusal).length).toBeLessThanOrEqual(l.factory_register_response as number);
    const re: Message = {
      type: 'factory_reestablish',
      factoryId: fid0,
      phase: 'close',
      advance: { advanceId: 1, step: 'complete' },
      close: { attempt: 1, step: 'nonce' },
    };
    expect(encodeMessage(re).length).toBe(c.factory_reestablish);
    const p = sampleFactoryPropose(5);
    expect(encodeMessage(p).length).toBeLessThanOrEqual(l.factory_propose as number);
    expect(err(() => clientLimits({ depth: 0 })).field).toBe('options.depth');
    expect(err(() => lspLimits({ depth: 2, clients: 0 })).field).toBe('options.clients');
  });
});

const fid0 = new Uint8Array(32).fill(1);
const pn = Uint8Array.from([...point('n1'), ...point('n2')]);

it('proposals of the samples differ only by what they were built from', () => {
  expect(proposeOf(sampleProposal(3)).fundingTx).toEqual(proposeOf(sampleProposal(3)).fundingTx);
});
