// The client's O(depth) record as bytes: round trip, strictness, even/odd, a mutation fuzz, and its
// size beyond the proposal (equal for equal depths, whatever N; figures printed).
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzIterations, propertyRuns } from '../../../test-utils/index.js';
import { buildClientPath } from '../src/clientPath.js';
import { type ClientFactoryRecord, clientFactoryRecord } from '../src/clientRecord.js';
import { decodeClientFactory, encodeClientFactory } from '../src/clientRecordCodec.js';
import { DecodeError, InvalidArgumentError } from '../src/errors.js';
import type { ClientPathState } from '../src/pathState.js';
import { makeProposal, thrown } from './_fixtures.js';

const codecRuns = propertyRuns(200, 40);

function decodeError(b: Uint8Array): DecodeError {
  const e = thrown(() => decodeClientFactory(b));
  if (!DecodeError.isInstance(e)) throw e;
  return e as DecodeError;
}

const sig = (fill: number) => new Uint8Array(64).fill(fill);
const { proposal } = makeProposal({ N: 7, staticLevels: 1, levelArity: [2, 2] });
const paths = proposal.clients.map((_, c) => buildClientPath(proposal, c));

const secretOf = (c: number) => new Uint8Array(32).fill(c + 1);

/**
 * A record of client c with every kind of content (states, instances, counter, signatures, two
 * superseded states of its leaf — one with both signatures, one with the poison's only — and the
 * revealed secret of the first).
 */
function fullRecord(c = 3): ClientFactoryRecord {
  const path = paths[c] as (typeof paths)[number];
  const r = clientFactoryRecord(path, {
    path: path.txs.map((_, k) => sig(k + 1)),
    distribution: [
      { index: 0, signature: sig(0xaa) },
      { index: 2, signature: sig(0xbb) },
    ],
  });
  const at = (counter: number): ClientPathState => ({
    ...r.state,
    counter,
    poisonHash: sha256(secretOf(counter)),
  });
  return {
    ...r,
    state: at(40),
    superseded: [
      { state: at(5), poisonSignature: sig(0x55), settlementSignature: sig(0x56) },
      { state: at(9), poisonSignature: sig(0x99), settlementSignature: undefined },
    ],
    secrets: new Map([[5, secretOf(5)]]),
  };
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const recordArb: fc.Arbitrary<ClientFactoryRecord> = fc
  .record({
    client: fc.nat({ max: proposal.clients.length - 1 }),
    states: fc.array(fc.nat({ max: proposal.dw.K - 1 }), { minLength: 8, maxLength: 8 }),
    instances: fc.array(fc.nat({ max: 2 ** 32 - 1 }), { minLength: 8, maxLength: 8 }),
    counter: fc.nat({ max: 2 ** 48 - 1 }),
    shift: fc.bigInt({ min: 0n, max: 20_000n }),
    poisonHash: bytes(32),
    signed: fc.boolean(),
    sigs: fc.array(bytes(64), { minLength: 8, maxLength: 8 }),
    dist: fc.uniqueArray(fc.nat({ max: 0xffff }), { maxLength: 3 }),
    old: fc.array(
      fc.record({
        gap: fc.integer({ min: 1, max: 1000 }),
        states: fc.array(fc.nat({ max: proposal.dw.K - 1 }), { minLength: 8, maxLength: 8 }),
        shift: fc.bigInt({ min: 0n, max: 20_000n }),
        poison: fc.option(bytes(64), { nil: undefined }),
        settlement: fc.option(bytes(64), { nil: undefined }),
        secret: fc.option(bytes(32), { nil: undefined }),
      }),
      { maxLength: 3 },
    ),
  })
  .map((x) => {
    const path = paths[x.client] as (typeof paths)[number];
    const n = path.state.states.length;
    const a = path.state.allocation;
    const state: ClientPathState = {
      states: x.states.slice(0, n),
      instances: x.instances.slice(0, n),
      counter: x.counter,
      allocation: {
        capacities: a.capacities.map((v, i) => (i === 0 ? v + x.shift : v)),
        lStock: a.lStock - x.shift,
      },
      poisonHash: x.poisonHash,
    };
    // Superseded states below the current counter, strictly increasing; a secret opens its hash.
    let c = x.counter;
    const old = [...x.old].reverse().flatMap((o) => {
      c -= o.gap;
      if (c < 0) return [];
      const secret = o.secret ?? new Uint8Array(32).fill(7);
      return [
        {
          entry: {
            state: {
              ...state,
              counter: c,
              states: o.states.slice(0, n),
              allocation: {
                capacities: a.capacities.map((v, i) => (i === 0 ? v + o.shift : v)),
                lStock: a.lStock - o.shift,
              },
              poisonHash: sha256(secret),
            },
            poisonSignature: o.poison,
            settlementSignature: o.settlement,
          },
          secret: o.secret === undefined ? undefined : ([c, secret] as const),
        },
      ];
    });
    old.reverse();
    return {
      proposal,
      client: x.client,
      state,
      pathSignatures: x.signed ? x.sigs.slice(0, path.txs.length) : [],
      distributionSignatures: [...x.dist]
        .sort((p, q) => p - q)
        .map((index, k) => ({ index, signature: x.sigs[k] as Uint8Array })),
      superseded: old.map((o) => o.entry),
      secrets: new Map(old.flatMap((o) => (o.secret === undefined ? [] : [o.secret]))),
    };
  });

describe('client record codec', () => {
  it(`round trip: decode(encode(r)) equals r and re-encodes to the same bytes (${codecRuns} runs)`, {
    timeout: 120_000,
  }, () => {
    console.log(`client record round trip: ${codecRuns} runs`);
    fc.assert(
      fc.property(recordArb, (r) => {
        const b = encodeClientFactory(r);
        const d = decodeClientFactory(b);
        expect(d).toEqual(r);
        expect(encodeClientFactory(d)).toEqual(b);
      }),
      { numRuns: codecRuns },
    );
  });

  it('strict: bad magic, unknown version, every truncation, trailing bytes', () => {
    const b = encodeClientFactory(fullRecord());
    expect(decodeError(Uint8Array.of(0x58, ...b.slice(1))).reason).toBe('magic');
    expect(decodeError(Uint8Array.of(...b.slice(0, 4), 2, ...b.slice(5))).reason).toBe('version');
    for (let n = 0; n < b.length; n++)
      expect(['truncated', 'magic']).toContain(decodeError(b.slice(0, n)).reason);
    expect(decodeError(Uint8Array.of(...b, 0)).reason).toBe('trailing');
    // another record format (the LSP's whole-factory record) is not a client record
    expect(decodeError(Uint8Array.of(0x53, 0x53, 0x46, 0x54, ...b.slice(4))).reason).toBe('magic');
  });

  // The stream of a record with the records given after its own (types must keep increasing).
  const withRecords = (b: Uint8Array, extra: number[]) => {
    const body = [...b.slice(9), ...extra];
    const len = body.length;
    return Uint8Array.from([
      ...b.slice(0, 5),
      len >>> 24,
      (len >>> 16) & 255,
      (len >>> 8) & 255,
      len & 255,
      ...body,
    ]);
  };

  it('even/odd: an unknown odd record is skipped, an unknown even one rejected; types must increase', () => {
    const r = fullRecord();
    const b = encodeClientFactory(r);
    expect(decodeClientFactory(withRecords(b, [11, 3, 1, 2, 3]))).toEqual(r);
    expect(decodeError(withRecords(b, [12, 1, 0])).reason).toBe('unknown-even');
    expect(decodeError(withRecords(b, [5, 0])).reason).toBe('invalid'); // 5 after 10
    const unsigned = encodeClientFactory({
      ...r,
      pathSignatures: [],
      distributionSignatures: [],
      superseded: [],
      secrets: new Map(),
    });
    expect(decodeError(withRecords(unsigned, [4, 1, 0])).reason).toBe('invalid'); // an empty list
    expect(
      decodeError(withRecords(unsigned, [6, 1 + 66 * 2, 2, 0, 3, ...sig(1), 0, 1, ...sig(2)])).reason,
    ).toBe(
      'invalid', // positions 3 then 1
    );
  });

  const bare = { pathSignatures: [], distributionSignatures: [], superseded: [], secrets: new Map() };

  it('superseded states and secrets: counters increasing below the current one, flags, s_c against its hash', () => {
    const r = fullRecord();
    const b = encodeClientFactory(r);
    expect(decodeClientFactory(b)).toEqual(r);
    const [first, second] = r.superseded as [
      ClientFactoryRecord['superseded'][number],
      ClientFactoryRecord['superseded'][number],
    ];
    const noSecrets = encodeClientFactory({ ...r, secrets: new Map() });
    const bytesOf = (x: ClientFactoryRecord) => encodeClientFactory(x);
    // A secret record appended by hand: one that does not open its state's hash, or of no state.
    const secretRecord = (c: number, s: Uint8Array) => [10, 42, 0, 1, 0, 0, 0, 0, 0, 0, 0, c, ...s];
    expect(decodeClientFactory(withRecords(noSecrets, secretRecord(9, secretOf(9))))).toEqual({
      ...r,
      secrets: new Map([[9, secretOf(9)]]),
    });
    for (const [c, s] of [
      [9, secretOf(5)],
      [7, secretOf(7)],
    ] as const) {
      const e = decodeError(withRecords(noSecrets, secretRecord(c, s)));
      expect(e.reason).toBe('invalid');
      expect(e.message).toMatch(/secret/);
    }
    expect(decodeError(withRecords(noSecrets, [10, 2, 0, 0])).reason).toBe('invalid'); // empty
    // Encoding refuses what decoding would.
    const argument = (x: ClientFactoryRecord) => {
      const e = thrown(() => bytesOf(x));
      expect(InvalidArgumentError.isInstance(e)).toBe(true);
      return (e as InvalidArgumentError).argument;
    };
    expect(argument({ ...r, superseded: [second, first] })).toBe('record.superseded[1].state.counter');
    expect(argument({ ...r, superseded: [{ ...first, state: { ...first.state, counter: 40 } }] })).toBe(
      'record.superseded[0].state.counter',
    );
    expect(argument({ ...r, superseded: [{ ...first, poisonSignature: new Uint8Array(63) }] })).toBe(
      'record.superseded[0].poisonSignature',
    );
    expect(argument({ ...r, secrets: new Map([[5, secretOf(6)]]) })).toBe('record.secrets[5]');
    expect(argument({ ...r, superseded: [second] })).toBe('record.secrets[5]'); // its state is gone
    // Unknown signature flags in the superseded record.
    const one = encodeClientFactory({ ...r, superseded: [second], secrets: new Map() });
    const flagAt = one.length - 65; // flags, then the one poison signature
    expect(one[flagAt]).toBe(1);
    const flagged = Uint8Array.from(one);
    flagged[flagAt] = 4;
    expect(decodeError(flagged).reason).toBe('invalid');
  });

  it('the path state is checked against the proposal: wrong counts, states, allocation → invalid', () => {
    const r = fullRecord(3);
    const s = r.state;
    const raw = (state: ClientPathState, extra: Partial<ClientFactoryRecord> = {}) => {
      // encodeClientFactory refuses these: build the bytes from a valid record and patch the state record
      const ok = encodeClientFactory({ ...r, ...bare, ...extra });
      const at = ok.length - (54 + 5 * s.states.length + 8 * s.allocation.capacities.length);
      const w: number[] = [];
      const u32 = (x: number) => w.push(x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255);
      const u64 = (x: bigint) => {
        u32(Number(x >> 32n));
        u32(Number(x & 0xffffffffn));
      };
      u32(r.client);
      w.push(state.states.length);
      state.states.forEach((x, i) => {
        w.push(x);
        u32(state.instances[i] as number);
      });
      u64(BigInt(state.counter));
      w.push(state.allocation.capacities.length);
      for (const c of state.allocation.capacities) u64(c);
      u64(state.allocation.lStock);
      w.push(...state.poisonHash);
      const body = [...ok.slice(9, at - 2), 2, w.length, ...w];
      const len = body.length;
      return Uint8Array.from([
        ...ok.slice(0, 5),
        len >>> 24,
        (len >>> 16) & 255,
        (len >>> 8) & 255,
        len & 255,
        ...body,
      ]);
    };
    expect(decodeClientFactory(raw(s))).toEqual({ ...r, ...bare });
    const bad = [
      { ...s, states: [...s.states, 0], instances: [...s.instances, 0] },
      { ...s, states: s.states.map(() => proposal.dw.K) },
      { ...s, allocation: { ...s.allocation, lStock: s.allocation.lStock + 1n } },
      {
        ...s,
        allocation: { capacities: [s.allocation.capacities[0] as bigint], lStock: s.allocation.lStock },
      },
    ];
    for (const state of bad) {
      const e = decodeError(raw(state));
      expect(e.reason).toBe('invalid');
      expect(e.message).toMatch(/path state/);
    }
    // three channels on a leaf is not even well-formed
    const three = { capacities: [...s.allocation.capacities, 330n], lStock: s.allocation.lStock - 330n };
    expect(decodeError(raw({ ...s, allocation: three })).message).toMatch(/3 capacities/);
    // a signature count that is not the path's length
    const e = decodeError(withRecords(encodeClientFactory({ ...r, ...bare }), [4, 65, 1, ...sig(1)]));
    expect(e.reason).toBe('invalid');
  });

  it('encode refuses what decode would: a signature count, size or position, a foreign state', () => {
    const r = fullRecord();
    const argument = (x: ClientFactoryRecord) => {
      const e = thrown(() => encodeClientFactory(x));
      expect(InvalidArgumentError.isInstance(e)).toBe(true);
      return (e as InvalidArgumentError).argument;
    };
    expect(argument({ ...r, pathSignatures: r.pathSignatures.slice(1) })).toBe('record.pathSignatures');
    expect(argument({ ...r, pathSignatures: r.pathSignatures.map(() => new Uint8Array(63)) })).toBe(
      'record.pathSignatures',
    );
    expect(argument({ ...r, distributionSignatures: [...r.distributionSignatures].reverse() })).toBe(
      'record.distributionSignatures[1].index',
    );
    expect(argument({ ...r, client: proposal.clients.length })).toBe('record.client');
    expect(argument({ ...r, state: (paths[6] as (typeof paths)[number]).state, client: 0 })).toMatch(
      /^record\.state/,
    );
  });

  it('fuzz: mutated records give a DecodeError or decode, never another exception', {
    timeout: 300_000,
  }, () => {
    const iterations = fuzzIterations(3_000, 500);
    console.log(`client record fuzz: ${iterations} mutations`);
    const seed = encodeClientFactory(fullRecord());
    let state = 424242;
    const rand = (n: number) => {
      // xorshift32 (an LCG's low bits alternate, which would correlate the choices below)
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state % n;
    };
    // Most mutations land in the proposal (most of the bytes): aim half of them at the rest.
    const tail = seed.length - 700;
    let decoded = 0;
    for (let i = 0; i < iterations; i++) {
      const m = Uint8Array.from(seed);
      const k = 1 + rand(3);
      for (let j = 0; j < k; j++) m[rand(2) === 0 ? tail + rand(700) : rand(m.length)] = rand(256);
      const cut = rand(4) === 0 ? m.slice(0, rand(m.length)) : m;
      try {
        decodeClientFactory(cut);
        decoded++;
      } catch (e) {
        if (!DecodeError.isInstance(e)) throw e;
      }
    }
    console.log(`client record fuzz: ${decoded} of ${iterations} mutations still decode`);
    expect(decoded).toBeGreaterThan(0); // signatures and instances are free bytes
    expect(decoded).toBeLessThan(iterations);
  });
});
