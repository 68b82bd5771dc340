// The persisted channel state: a versioned, canonical, strictly decoded byte encoding. Round trip
// over arbitrary states; every truncation, extension and byte mutation either fails with a typed
// DecodeError or decodes to a state that re-encodes to exactly those bytes. Same for the
// watchtower records.

import { readFileSync } from 'node:fs';
import { commitmentIndex, generateFromSeed, ShachainStore } from '@superscalar/shachain';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  CHANNEL_STATE_VERSION,
  type ChannelSpec,
  type ChannelState,
  type ChannelUpdate,
  DecodeError,
  decodeChannelState,
  decodeWatchtowerRecord,
  encodeChannelState,
  encodeWatchtowerRecord,
  type WatchtowerRecord,
} from '../src/index.js';
import { makeConfig } from './_channel.js';
import { Pair, payment } from './channel-harness.js';

const runs = propertyRuns(1000, 100);
const U48 = (1n << 48n) - 1n;
const U64 = (1n << 64n) - 1n;
const commitmentNumberArb = fc.bigInt({ min: 0n, max: U48 }).map(Number);

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const sideArb = fc.constantFrom('lsp' as const, 'client' as const);
const hex32 = bytes(32).map((b) => Buffer.from(b).toString('hex'));

function specArb(capacityMsat: bigint): fc.Arbitrary<ChannelSpec> {
  return fc
    .record({
      htlcs: fc.uniqueArray(
        fc.record({
          offeredBy: sideArb,
          id: fc.bigInt({ min: 0n, max: U64 }),
          share: fc.integer({ min: 0, max: 1000 }),
          paymentHash: bytes(32),
          cltvExpiry: fc.integer({ min: 1, max: 499_999_999 }),
        }),
        {
          maxLength: 5,
          selector: (h) => `${h.offeredBy}:${h.id}`,
        },
      ),
      clientShare: fc.integer({ min: 0, max: 1000 }),
      feeRate: fc.integer({ min: 1, max: 0xffffffff }),
    })
    .map(({ htlcs, clientShare, feeRate }) => {
      // Shares of the capacity (out of 1000 each, scaled down so they never exceed it).
      const unit = capacityMsat / 8000n;
      const hs = htlcs.map((h) => ({
        offeredBy: h.offeredBy,
        id: h.id,
        amountMsat: unit * BigInt(h.share),
        paymentHash: h.paymentHash,
        cltvExpiry: h.cltvExpiry,
      }));
      const inHtlcs = hs.reduce((s, h) => s + h.amountMsat, 0n);
      const clientMsat = unit * BigInt(clientShare);
      return { lspMsat: capacityMsat - inHtlcs - clientMsat, clientMsat, feeRate, htlcs: hs };
    });
}

const updateArb: fc.Arbitrary<ChannelUpdate> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    htlc: fc.record({
      offeredBy: sideArb,
      id: fc.bigInt({ min: 0n, max: U64 }),
      amountMsat: fc.bigInt({ min: 0n, max: U64 }),
      paymentHash: bytes(32),
      cltvExpiry: fc.integer({ min: 1, max: 499_999_999 }),
    }),
    onion: fc.uint8Array({ maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant('fulfill' as const),
    id: fc.bigInt({ min: 0n, max: U64 }),
    preimage: bytes(32),
  }),
  fc.record({
    kind: fc.constant('fail' as const),
    id: fc.bigInt({ min: 0n, max: U64 }),
    reason: fc.uint8Array({ maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant('fee' as const), feeRate: fc.integer({ min: 1, max: 0xffffffff }) }),
);
const updates = fc.array(updateArb, { maxLength: 4 });

const stateArb: fc.Arbitrary<ChannelState> = fc
  .bigInt({ min: 1n, max: 2_100_000_000_000_000n })
  .chain((capacity) => {
    const cap = capacity * 1000n;
    const commit = fc.record({
      number: commitmentNumberArb,
      spec: specArb(cap),
      point: bytes(33),
    });
    const outpoint = fc.record({ txid: hex32, vout: fc.nat(), amount: fc.constant(capacity) });
    return fc.record({
      revision: fc.nat(),
      channelId: bytes(32),
      role: sideArb,
      config: fc
        .record({
          channelTimeout: fc.integer({ min: 1, max: 499_999_999 }),
          toSelfDelay: fc.integer({ min: 1, max: 0xffff }),
          dustLimit: fc.bigInt({ min: 330n, max: 2_100_000_000_000_000n }),
        })
        .map((o) => makeConfig(o)),
      policy: fc.record({
        reserve: fc.bigInt({ min: 0n, max: U64 }),
        maxDustExposure: fc.bigInt({ min: 0n, max: U64 }),
        maxAcceptedHtlcs: fc.integer({ min: 0, max: 114 }),
        exitDelay: fc.nat(),
        pathTxs: fc.nat(),
        exitMargin: fc.nat(),
        htlcBudget: fc.nat(),
        dyingHeight: fc.integer({ min: 0, max: 499_999_999 }),
      }),
      phase: fc.constantFrom('opening' as const, 'normal' as const, 'failed' as const),
      height: fc.integer({ min: 0, max: 499_999_999 }),
      fundings: fc
        .array(
          fc.record({
            outpoint,
            // An older outpoint may hold another capacity (brief §5.4 capacity change).
            otherAmount: fc.option(fc.bigInt({ min: 1n, max: 2_100_000_000_000_000n }), { nil: null }),
            firstRemoteNumber: commitmentNumberArb,
            last: commitmentNumberArb,
            holder: fc.option(fc.record({ number: commitmentNumberArb, signature: bytes(64) }), {
              nil: null,
            }),
            balances: fc.option(
              fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 })),
              {
                nil: null,
              },
            ),
          }),
          { minLength: 1, maxLength: 3 },
        )
        .map((fs) =>
          fs.map((f, i) => {
            const current = i === fs.length - 1;
            const amount = current || f.otherAmount === null ? capacity : f.otherAmount;
            const unit = (amount * 1000n) / 2000n;
            return {
              outpoint: { ...f.outpoint, amount },
              firstRemoteNumber: f.firstRemoteNumber,
              lastRemoteNumber: current ? null : f.last,
              holder: f.holder,
              balances:
                current || f.balances === null
                  ? null
                  : { lspMsat: unit * BigInt(f.balances[0]), clientMsat: unit * BigInt(f.balances[1]) },
            };
          }),
        ),
      initialSpec: specArb(cap),
      localCommit: fc.option(
        fc.record({
          number: commitmentNumberArb,
          spec: specArb(cap),
          point: bytes(33),
          signature: bytes(64),
        }),
        { nil: null },
      ),
      remoteCommit: fc.option(commit, { nil: null }),
      nextRemoteCommit: fc.option(commit, { nil: null }),
      remoteNextPoints: fc.array(bytes(33), { maxLength: 2 }),
      localChanges: fc.record({ proposed: updates, signed: updates, acked: updates }),
      remoteChanges: fc.record({ proposed: updates, acked: updates, signed: updates }),
      localNextHtlcId: fc.bigInt({ min: 0n, max: U64 }),
      remoteNextHtlcId: fc.bigInt({ min: 0n, max: U64 }),
      remoteSecrets: fc.tuple(bytes(32), fc.integer({ min: 0, max: 20 })).map(([seed, k]) => {
        const store = new ShachainStore();
        for (let n = 0; n < k; n++)
          store.insertSecret(generateFromSeed(seed, commitmentIndex(n)), commitmentIndex(n));
        return store;
      }),
      localStfu: fc.boolean(),
      remoteStfu: fc.boolean(),
      lastSent: fc.constantFrom('none' as const, 'commit' as const, 'revoke' as const),
      rebind: fc.option(
        fc.record({
          outpoint: fc.record({
            txid: hex32,
            vout: fc.nat(),
            amount: fc.bigInt({ min: 1n, max: 2_100_000_000_000_000n }),
          }),
          signature: fc.option(bytes(64), { nil: null }),
          liquidityFeeMsat: fc.bigInt({ min: 0n, max: U64 }),
          reserve: fc.bigInt({ min: 0n, max: U64 }),
          maxDustExposure: fc.bigInt({ min: 0n, max: U64 }),
        }),
        { nil: null },
      ),
    });
  });

/** A comparable form: the shachain store as its bytes. */
function plain(s: ChannelState): unknown {
  return { ...s, remoteSecrets: s.remoteSecrets.encode() };
}

/** A real state: a channel with HTLCs both ways, a fee update in flight and revocations received. */
function realState(): Uint8Array {
  const pair = new Pair({ funding: { txid: 'ab'.repeat(32), vout: 3, amount: 1_000_000n } });
  pair.drive();
  for (const [i, side] of (['lsp', 'client', 'lsp'] as const).entries()) {
    pair.do(side, {
      type: 'add_htlc',
      amountMsat: 3_000_000n + BigInt(i),
      paymentHash: payment(`state ${i}`).hash,
      cltvExpiry: 900 + i,
      onion: Uint8Array.of(i, 1, 2),
    });
    pair.do(side, { type: 'commit' });
    pair.drive();
  }
  pair.do('lsp', { type: 'update_fee', feeRate: 1_500 });
  pair.do('lsp', { type: 'commit' });
  return pair.peers.lsp.states.get(Math.max(...pair.peers.lsp.states.keys())) as Uint8Array;
}

describe('persisted channel state', () => {
  it(`round-trips arbitrary states exactly and canonically (${runs} runs)`, () => {
    console.log(`state round-trip property: ${runs} runs`);
    fc.assert(
      fc.property(stateArb, (s) => {
        const bytesOut = encodeChannelState(s);
        expect(bytesOut[0]).toBe(CHANNEL_STATE_VERSION);
        const back = decodeChannelState(bytesOut);
        expect(plain(back)).toEqual(
          plain({ ...s, config: { ...s.config, dustLimit: s.config.dustLimit ?? 330n } }),
        );
        expect(Buffer.from(encodeChannelState(back)).equals(Buffer.from(bytesOut))).toBe(true);
      }),
      { numRuns: runs },
    );
  });

  it('a real channel state restores and re-encodes to the same bytes', () => {
    const b = realState();
    const s = decodeChannelState(b);
    expect(
      s.localChanges.signed.length + s.remoteChanges.acked.length + s.localChanges.proposed.length,
    ).toBeGreaterThan(0);
    expect(s.remoteSecrets.received).toBeGreaterThan(0);
    expect(Buffer.from(encodeChannelState(s)).equals(Buffer.from(b))).toBe(true);
  });

  it('every truncation and any trailing byte is a DecodeError', () => {
    const b = realState();
    for (let n = 0; n < b.length; n++)
      expect(() => decodeChannelState(b.subarray(0, n))).toThrow(DecodeError);
    expect(() => decodeChannelState(Uint8Array.of(...b, 0))).toThrow(/trailing/);
    for (const v of [0, 3, 255]) {
      const other = Uint8Array.from(b);
      other[0] = v;
      expect(() => decodeChannelState(other)).toThrow(new RegExp(`unknown version ${v}`));
    }
  });

  it('a version-1 state (written before capacity changes) still decodes, and re-encodes as version 2', () => {
    // A state written by the version-1 encoder: a channel rebound once (two outpoints of one
    // capacity), an HTLC fulfilled afterwards.
    const hex = readFileSync(new URL('./fixtures/channel-state-v1.hex', import.meta.url), 'utf8').trim();
    const v1 = Uint8Array.from(Buffer.from(hex, 'hex'));
    expect(v1[0]).toBe(1);
    const s = decodeChannelState(v1);
    expect(s.fundings).toHaveLength(2);
    expect(s.fundings.map((f) => f.balances)).toEqual([null, null]);
    expect(s.fundings.map((f) => f.outpoint.amount)).toEqual([1_000_000n, 1_000_000n]);
    const v2 = encodeChannelState(s);
    expect(v2[0]).toBe(2);
    expect(v2.length).toBe(v1.length + 2); // one balances presence byte per funding record
    expect(plain(decodeChannelState(v2))).toEqual(plain(s));
    // Version 1 keeps its rule: every outpoint holds the channel capacity.
    const other = Uint8Array.from(v1);
    const amountAt = 1 + 4 + 32 + 1 + 33 + 33 + 4 + 4 + 4 * 33 * 2 + 8 + 8 * 2 + 4 * 6 + 1 + 4 + 2 + 32 + 4;
    other[amountAt + 7] = (other[amountAt + 7] as number) ^ 1;
    expect(() => decodeChannelState(other)).toThrow(/do not all hold the channel capacity/);
  });

  it(`a mutated byte is a DecodeError or a canonical state (${runs} runs)`, () => {
    const b = realState();
    fc.assert(
      fc.property(fc.nat(b.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const m = Uint8Array.from(b);
        m[at] = ((m[at] as number) ^ x) & 0xff;
        let decoded: ChannelState | undefined;
        try {
          decoded = decodeChannelState(m);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
          expect((e as DecodeError).offset).toBeGreaterThanOrEqual(0);
          return;
        }
        expect(Buffer.from(encodeChannelState(decoded)).equals(Buffer.from(m))).toBe(true);
      }),
      { numRuns: runs },
    );
  });

  it('named failures: a balance that does not add up, an unknown role, a flag that is not 0 or 1', () => {
    const s = decodeChannelState(realState());
    const bad = encodeChannelState({
      ...s,
      initialSpec: { ...s.initialSpec, clientMsat: s.initialSpec.clientMsat + 1n },
    });
    expect(() => decodeChannelState(bad)).toThrow(/add up/);
    const role = encodeChannelState(s);
    role[1 + 4 + 32] = 7;
    expect(() => decodeChannelState(role)).toThrow(/unknown role 7/);
    const enc = encodeChannelState({ ...s, rebind: null });
    // The last byte is the rebind presence flag.
    enc[enc.length - 1] = 2;
    expect(() => decodeChannelState(enc)).toThrow(/not 0 or 1/);
  });

  it('secret keys and the shachain seed are not in the state', async () => {
    const { CLIENT, LSP } = await import('./_channel.js');
    const hex = Buffer.from(realState()).toString('hex');
    for (const k of [LSP, CLIENT])
      for (const s of [k.funding, k.revocation, k.payment, k.delayedPayment, k.htlc, k.shachainSeed])
        expect(hex.includes(Buffer.from(s).toString('hex'))).toBe(false);
  });
});

describe('watchtower records', () => {
  const recordArb: fc.Arbitrary<WatchtowerRecord> = fc.record({
    channelId: bytes(32),
    commitmentNumber: commitmentNumberArb,
    copies: fc.array(
      fc.record({
        funding: fc.record({ txid: hex32, vout: fc.nat() }),
        commitmentTxid: hex32,
        penalties: fc.array(fc.uint8Array({ minLength: 60, maxLength: 300 }), { maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  });

  it(`round-trip; truncations fail typed (${runs} runs)`, () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), (r, cut) => {
        const b = encodeWatchtowerRecord(r);
        expect(decodeWatchtowerRecord(b)).toEqual(r);
        const n = cut % b.length;
        expect(() => decodeWatchtowerRecord(b.subarray(0, n))).toThrow(DecodeError);
      }),
      { numRuns: runs },
    );
  });
});
