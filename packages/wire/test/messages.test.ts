// Message-level behaviour: bytes assembled by hand from the format (independent of the encoder), the
// encoder's validation with field paths, unknown odd records, size limits, ping/pong, and the factory
// proposal rebuilt into the same tree.
import { buildTree, checkProposal, createProposal } from '@superscalar/factory-tree';
import type { UpdateAddHtlc } from '@superscalar/poon-dryja';
import { describe, expect, it } from 'vitest';
import { hash, p2tr, point, proposeOf, pubnonce, sampleProposal } from '../scripts/_samples.js';
import {
  decodeMessage,
  encodeMessage,
  factoryIdOf,
  MAX_PONG_BYTES,
  MESSAGE_NAMES,
  MESSAGE_TYPES,
  type Message,
  pongFor,
} from '../src/index.js';
import { err } from './_err.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const cid = hash('channel');
const BIG = { maxSize: 1 << 22 };

describe('bytes assembled by hand from the format', () => {
  it('update_fee: type 030a, TLV 0 channel id (32), TLV 2 u32 fee rate', () => {
    const bytes = encodeMessage({ type: 'update_fee', channelId: cid, feeRate: 2500 });
    expect(hex(bytes)).toBe(`030a0020${hex(cid)}0204000009c4`);
  });
  it('stfu: a boolean is one byte', () => {
    expect(hex(encodeMessage({ type: 'stfu', channelId: cid, initiator: true }))).toBe(
      `03020020${hex(cid)}020101`,
    );
  });
  it('ping: u16 num_pong_bytes then the ignored bytes; a 300-byte record length is a 3-byte BigSize', () => {
    expect(hex(encodeMessage({ type: 'ping', numPongBytes: 65535, ignored: new Uint8Array(2) }))).toBe(
      '00160002ffff02020000',
    );
    const long = encodeMessage({ type: 'pong', ignored: new Uint8Array(300) });
    expect(hex(long.subarray(0, 6))).toBe('001800fd012c');
  });
  it('update_add_htlc: u64 id and msat, u32 cltv, an empty onion is a zero-length record', () => {
    const m: UpdateAddHtlc = {
      type: 'update_add_htlc',
      channelId: cid,
      id: 258n,
      amountMsat: 1000n,
      paymentHash: hash('payment'),
      cltvExpiry: 800,
      onion: new Uint8Array(0),
    };
    expect(hex(encodeMessage(m))).toBe(
      `03040020${hex(cid)}02080000000000000102040800000000000003e80620${hex(hash('payment'))}0804000003200a00`,
    );
  });
  it('factory_funded: the txid travels in internal byte order', () => {
    const txid = `${'00'.repeat(31)}01`;
    expect(hex(encodeMessage({ type: 'factory_funded', factoryId: cid, txid, vout: 2 }))).toBe(
      `010c0020${hex(cid)}0220${'01'}${'00'.repeat(31)}040400000002`,
    );
  });
});

describe('encoders validate their input, naming the field', () => {
  const ready = {
    type: 'channel_ready',
    channelId: cid,
    nextPerCommitmentPoint: point('a'),
    verificationNonce: pubnonce('b'),
  } as const;
  it('rejects a field the format does not carry', () => {
    const e = err(() => encodeMessage({ ...ready, extra: 1 } as unknown as Message));
    expect(e.code).toBe('WIRE_INVALID_ARGUMENT');
    expect(e.message).toContain('extra');
    expect(e.messageType).toBe(MESSAGE_TYPES.channel_ready);
  });
  it('rejects a missing field, a wrong length, an invalid point', () => {
    const { verificationNonce: _, ...missing } = ready;
    expect(err(() => encodeMessage(missing as unknown as Message)).field).toBe(
      'channel_ready.verificationNonce',
    );
    expect(err(() => encodeMessage({ ...ready, channelId: new Uint8Array(31) })).field).toBe(
      'channel_ready.channelId',
    );
    const notOnCurve = Uint8Array.from([2, ...new Uint8Array(31), 7]);
    expect(err(() => encodeMessage({ ...ready, nextPerCommitmentPoint: notOnCurve })).field).toBe(
      'channel_ready.nextPerCommitmentPoint',
    );
  });
  it('rejects out-of-range numbers', () => {
    const add = {
      type: 'update_add_htlc',
      channelId: cid,
      id: 0n,
      amountMsat: 1n << 64n,
      paymentHash: cid,
      cltvExpiry: 10,
      onion: new Uint8Array(0),
    } as const;
    expect(err(() => encodeMessage(add)).field).toBe('update_add_htlc.amountMsat');
    expect(err(() => encodeMessage({ ...add, amountMsat: 1n, cltvExpiry: 500_000_000 })).field).toBe(
      'update_add_htlc.cltvExpiry',
    );
    expect(err(() => encodeMessage({ ...add, amountMsat: 1n, onion: new Uint8Array(5) })).field).toBe(
      'update_add_htlc.onion',
    );
    expect(
      err(() =>
        encodeMessage({
          type: 'channel_reestablish',
          channelId: cid,
          nextCommitmentNumber: 2 ** 48,
          nextRevocationNumber: 0,
          yourLastPerCommitmentSecret: cid,
          myCurrentPerCommitmentPoint: point('a'),
          verificationNonce: pubnonce('b'),
        }),
      ).field,
    ).toBe('channel_reestablish.nextCommitmentNumber');
  });
  it('rejects lists out of order or with duplicates', () => {
    const m = {
      type: 'factory_psigs',
      factoryId: cid,
      attempt: 0,
      psigs: [
        { tx: 3, psig: cid },
        { tx: 3, psig: cid },
      ],
      distributionPsigs: [],
    } as const;
    expect(err(() => encodeMessage(m)).field).toBe('factory_psigs.psigs[1]');
  });
  it('close_propose: no outputs only in a close request (attempt 0), on both sides', () => {
    const request = {
      type: 'close_propose',
      factoryId: cid,
      attempt: 0,
      tipHeight: 800,
      closeFeeRate: 0,
      outputs: [],
    } as const;
    const bytes = encodeMessage(request);
    expect(hex(bytes)).toBe(`04000020${hex(cid)}0202000004040000032006040000000008020000`);
    expect(decodeMessage(bytes)).toEqual(request);
    expect(err(() => encodeMessage({ ...request, attempt: 1 })).field).toBe('close_propose.outputs');
    const forged = Uint8Array.from(bytes);
    forged.set([0x00, 0x01], 38); // attempt 1, still no outputs
    expect(err(() => decodeMessage(forged)).field).toBe('close_propose.outputs');
  });
  it('names the nested proposal field at fault', () => {
    const p = sampleProposal(5);
    const clients = p.clients.map((c, i) => (i === 2 ? { ...c, capacity: 21_000_000_00_000_001n } : c));
    expect(err(() => encodeMessage(proposeOf({ ...p, clients }))).field).toBe(
      'factory_propose.proposal.clients[2].capacity',
    );
    expect(err(() => encodeMessage(proposeOf({ ...p, future: 1 } as never))).message).toContain('future');
  });
  it('rejects text that is not well-formed Unicode and an unknown message type', () => {
    expect(err(() => encodeMessage({ type: 'warning', text: 'a\ud800b' })).field).toBe('warning.text');
    expect(err(() => encodeMessage({ type: 'nope' } as unknown as Message)).code).toBe(
      'WIRE_INVALID_ARGUMENT',
    );
  });
  it('rejects unknown records that are even, known, unordered or not bytes', () => {
    const base = { type: 'stfu', channelId: cid, initiator: false } as const;
    for (const unknownRecords of [
      [{ type: 4n, value: new Uint8Array(0) }],
      [{ type: 2n, value: new Uint8Array(0) }],
      [
        { type: 7n, value: new Uint8Array(0) },
        { type: 5n, value: new Uint8Array(0) },
      ],
      [{ type: 9n, value: 'x' }],
    ])
      expect(err(() => encodeMessage({ ...base, unknownRecords } as never)).code).toBe(
        'WIRE_INVALID_ARGUMENT',
      );
  });
});

describe('decoding', () => {
  it('keeps unknown odd records and re-emits them in type order', () => {
    const bytes = Uint8Array.from(Buffer.from(`03020020${hex(cid)}0101aa020101fd01010100`, 'hex'));
    const m = decodeMessage(bytes);
    expect(m.unknownRecords).toEqual([
      { type: 1n, value: Uint8Array.from([0xaa]) },
      { type: 0x101n, value: Uint8Array.from([0]) },
    ]);
    expect(encodeMessage(m)).toEqual(bytes);
  });
  it('tags errors with the message type; odd unknown types are ignorable, even ones are not', () => {
    expect(err(() => decodeMessage(Uint8Array.from([0x03, 0x02]))).messageType).toBe(MESSAGE_TYPES.stfu);
    const odd = err(() => decodeMessage(Uint8Array.from([0x7f, 0xff])));
    const even = err(() => decodeMessage(Uint8Array.from([0x7f, 0xfe])));
    expect([odd.code, odd.ignorable, even.code, even.ignorable]).toEqual([
      'WIRE_UNKNOWN_MESSAGE_TYPE',
      true,
      'WIRE_UNKNOWN_MESSAGE_TYPE',
      false,
    ]);
    expect(err(() => decodeMessage(Uint8Array.from([0x03, 0x02, 0x00]))).ignorable).toBe(false);
  });
  it('limits messages to 65,535 bytes unless told otherwise, on both sides', () => {
    const big = { type: 'update_fail_htlc', channelId: cid, id: 0n, reason: new Uint8Array(70_000) } as const;
    expect(err(() => encodeMessage(big)).code).toBe('WIRE_MESSAGE_TOO_LARGE');
    const bytes = encodeMessage(big, BIG);
    expect(err(() => decodeMessage(bytes)).code).toBe('WIRE_MESSAGE_TOO_LARGE');
    expect(decodeMessage(bytes, BIG)).toEqual(big);
  });
  it('rejects non-Uint8Array input with a WireError', () => {
    expect(err(() => decodeMessage('0302' as never)).code).toBe('WIRE_INVALID_ARGUMENT');
  });
  it('every message type is even (must be understood) and unique', () => {
    const types = MESSAGE_NAMES.map((n) => MESSAGE_TYPES[n]);
    expect(new Set(types).size).toBe(types.length);
    for (const t of types) expect(t % 2).toBe(0);
  });
});

describe('ping and pong (BOLT 1)', () => {
  it('the largest pong fits one message exactly', () => {
    expect(encodeMessage({ type: 'pong', ignored: new Uint8Array(MAX_PONG_BYTES) }).length).toBe(65_535);
    expect(err(() => encodeMessage({ type: 'pong', ignored: new Uint8Array(MAX_PONG_BYTES + 1) })).code).toBe(
      'WIRE_INVALID_ARGUMENT',
    );
  });
  it('pongFor answers with zeros, and not at all above the limit', () => {
    expect(pongFor({ type: 'ping', numPongBytes: 3, ignored: new Uint8Array(0) })).toEqual({
      type: 'pong',
      ignored: new Uint8Array(3),
    });
    expect(
      pongFor({ type: 'ping', numPongBytes: MAX_PONG_BYTES + 1, ignored: new Uint8Array(0) }),
    ).toBeUndefined();
  });
});

describe('factory_propose carries the whole proposal', () => {
  it('a decoded proposal validates and rebuilds the same tree (same txids)', () => {
    const p = sampleProposal(7);
    const d = decodeMessage(encodeMessage(proposeOf(p)));
    if (d.type !== 'factory_propose') throw new Error('wrong type');
    expect(d.proposal).toEqual(p);
    expect(() => checkProposal(d.proposal)).not.toThrow();
    expect(buildTree(d.proposal).txs.map((t) => t.txid)).toEqual(buildTree(p).txs.map((t) => t.txid));
  });
  it('an explicit lStock and every placement profile survive', () => {
    const base = sampleProposal(4);
    const p = createProposal({
      network: base.network,
      proposalHeight: base.proposalHeight,
      lsp: base.lsp,
      clients: base.clients.map((c, i) => ({
        ...c,
        profile: { contribution: BigInt(-i), uptime: -0, timezone: 1e300 },
      })),
      funding: base.funding,
      poisonHashes: base.poisonHashes,
      placement: 'inward',
    });
    const d = decodeMessage(encodeMessage(proposeOf({ ...p, lStock: [1n, 2n] })));
    if (d.type !== 'factory_propose') throw new Error('wrong type');
    expect(d.proposal).toEqual({ ...p, lStock: [1n, 2n] });
    expect(Object.is(d.proposal.clients[0]?.profile?.uptime, -0)).toBe(true);
  });
  it('costs 82 bytes per client without a profile (key 33, close key 32, capacity 8, balance 8, presence byte 1), 106 with one, plus 32 per leaf (poison hash)', () => {
    const size = (n: number) => encodeMessage(proposeOf(sampleProposal(n, 'mainnet')), BIG).length;
    // sampleProposal gives clients 1, 4, 7, … a profile; N = 64 → 66 adds clients 64 (none) and 65 (profile) and one leaf.
    expect(size(66) - size(64)).toBe(82 + 106 + 32);
  });
  it('factoryIdOf commits to every proposal field', () => {
    const p = sampleProposal(3);
    expect(factoryIdOf(p)).toEqual(factoryIdOf(sampleProposal(3)));
    expect(factoryIdOf(p)).not.toEqual(factoryIdOf({ ...p, funding: { ...p.funding, vout: 2 } }));
    expect(factoryIdOf(p)).toHaveLength(32);
  });
  it('P2TR close scripts travel as their 32-byte key and must be valid keys', () => {
    const p = sampleProposal(2);
    const bad = {
      ...p,
      lsp: { ...p.lsp, closeScript: Uint8Array.from([0x51, 0x20, ...new Uint8Array(32).fill(0xff)]) },
    };
    expect(err(() => encodeMessage(proposeOf(bad))).field).toBe('factory_propose.proposal.lsp.closeScript');
    const p2wpkh = { ...p, lsp: { ...p.lsp, closeScript: Uint8Array.from([0, 20, ...new Uint8Array(32)]) } };
    expect(err(() => encodeMessage(proposeOf(p2wpkh))).code).toBe('WIRE_INVALID_ARGUMENT');
    expect(p2tr('x')).toHaveLength(34);
  });
});

describe('input ownership', () => {
  it('a decoded message owns its bytes, also when decoded from a Buffer', () => {
    const buf = Buffer.from(
      encodeMessage({ type: 'update_fulfill_htlc', channelId: cid, id: 1n, paymentPreimage: hash('p') }),
    );
    const m = decodeMessage(buf);
    if (m.type !== 'update_fulfill_htlc') throw new Error('wrong type');
    expect(m.paymentPreimage.constructor).toBe(Uint8Array);
    buf.fill(0);
    expect(m.paymentPreimage).toEqual(hash('p'));
    expect(m.channelId).toEqual(cid);
  });
});
