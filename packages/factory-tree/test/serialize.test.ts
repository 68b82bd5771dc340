import { toHex as hex } from '@superscalar/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzIterations, propertyRuns } from '../../../test-utils/index.js';
import { abandonPlan, advanceCounters, planAdvance } from '../src/advance.js';
import { buildClientPath } from '../src/clientPath.js';
import { DecodeError } from '../src/errors.js';
import { clientPathState } from '../src/pathState.js';
import { verifyLStockSecret } from '../src/poison.js';
import { lStockSecret, type Proposal } from '../src/proposal.js';
import {
  type AdvanceRecord,
  advanceRecord,
  decodeFactory,
  encodeFactory,
  replayFactory,
  type StoredFactory,
} from '../src/serialize.js';
import { buildTree, type FactoryTree } from '../src/transactions.js';
import { hashesFor, LSTOCK_SEED, makeProposal, sell, thrown } from './_fixtures.js';

const codecRuns = propertyRuns(300, 50);
const replayRuns = propertyRuns(40, 10);

function decodeError(b: Uint8Array): DecodeError {
  const e = thrown(() => decodeFactory(b));
  if (!DecodeError.isInstance(e)) throw e;
  return e as DecodeError;
}

// A few proposals covering every optional field: profiles, explicit L-stocks, placements, networks.
const proposals: Proposal[] = (() => {
  const a = makeProposal({ N: 3 }).proposal;
  const withProfiles = makeProposal({
    N: 4,
    tag: 'prof',
    network: 'signet',
    leafArity: 1,
    levelArity: [3],
  }).proposal;
  const b: Proposal = {
    ...withProfiles,
    clients: withProfiles.clients.map((c, i) => ({
      ...c,
      profile: { contribution: BigInt(i) * -7n + 3n, uptime: i / 3, timezone: -i },
    })),
  };
  const c0 = makeProposal({ N: 5, tag: 'ls', staticLevels: 1 }).proposal;
  const c = { ...c0, lStock: [...buildTree(c0).layout.lStock] };
  return [a, b, c];
})();

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const allocationArb = fc.record({
  capacities: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 1, maxLength: 2 }),
  lStock: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
});
const historyArb: fc.Arbitrary<AdvanceRecord[]> = fc.array(
  fc.record({
    leaf: fc.nat({ max: 0xffffffff }),
    allocations: fc.array(fc.tuple(fc.nat({ max: 50 }), allocationArb)).map((xs) => new Map(xs)),
    poisonHashes: fc.array(fc.tuple(fc.nat({ max: 2 ** 48 - 1 }), bytes(32))).map((xs) => new Map(xs)),
    abandoned: fc.boolean(),
  }),
  { maxLength: 4 },
);
const recordArb: fc.Arbitrary<StoredFactory> = fc.record({
  proposal: fc.constantFrom(...proposals),
  history: historyArb,
  signatures: fc.array(fc.tuple(bytes(32).map(hex), bytes(64)), { maxLength: 5 }).map((xs) => new Map(xs)),
  secrets: fc
    .array(fc.tuple(fc.nat({ max: 2 ** 48 - 1 }), bytes(32)), { maxLength: 5 })
    .map((xs) => new Map(xs)),
});

describe('factory record codec', () => {
  it(`round trip: decode(encode(r)) equals r and re-encodes to the same bytes (${codecRuns} runs)`, {
    timeout: 120_000,
  }, () => {
    console.log(`serialize round trip: ${codecRuns} runs`);
    fc.assert(
      fc.property(recordArb, (r) => {
        const b = encodeFactory(r);
        const d = decodeFactory(b);
        expect(d.proposal).toEqual(r.proposal);
        expect(d.history).toEqual(r.history);
        expect(d.signatures).toEqual(r.signatures);
        expect(d.secrets).toEqual(r.secrets);
        expect(encodeFactory(d)).toEqual(b);
      }),
      { numRuns: codecRuns },
    );
  });

  it('strict: bad magic, unknown version, every truncation, trailing bytes', () => {
    const b = encodeFactory({
      proposal: proposals[1] as Proposal,
      history: [],
      signatures: new Map([['ab'.repeat(32), new Uint8Array(64)]]),
      secrets: new Map(),
    });
    expect(decodeError(Uint8Array.of(0x58, ...b.slice(1))).reason).toBe('magic');
    const v2 = Uint8Array.from(b);
    v2[4] = 2;
    expect(decodeError(v2).reason).toBe('version');
    for (let n = 0; n < b.length; n++)
      expect(['truncated', 'magic']).toContain(decodeError(b.slice(0, n)).reason);
    expect(decodeError(Uint8Array.of(...b, 0)).reason).toBe('trailing');
  });

  it('even/odd: an unknown odd record is skipped, an unknown even one rejected; types must increase', () => {
    const r: StoredFactory = {
      proposal: proposals[0] as Proposal,
      history: [],
      signatures: new Map(),
      secrets: new Map(),
    };
    const b = encodeFactory(r);
    const withRecord = (type: number, value: number[]) => {
      const body = [...b.slice(9), type, value.length, ...value];
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
    expect(decodeFactory(withRecord(9, [1, 2, 3]))).toEqual(decodeFactory(b));
    expect(decodeError(withRecord(8, [1])).reason).toBe('unknown-even');
    expect(decodeError(withRecord(1, [])).reason).toBe('invalid'); // 1 after 2
    // A known record with a byte left over inside its value.
    const secretsValue = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, ...new Array(32).fill(7), 0xee];
    expect(decodeError(withRecord(6, secretsValue)).reason).toBe('trailing');
    expect(decodeFactory(withRecord(6, secretsValue.slice(0, -1))).secrets.get(3)).toEqual(
      new Uint8Array(32).fill(7),
    );
  });

  it('a decoded proposal is validated: a wrong T inside valid framing is `invalid`', () => {
    const p = proposals[0] as Proposal;
    const b = encodeFactory({ proposal: p, history: [], signatures: new Map(), secrets: new Map() });
    // T is the last of the twelve u32 fields; find it by its value.
    const T = p.T;
    const needle = [T >>> 24, (T >>> 16) & 255, (T >>> 8) & 255, T & 255];
    const at = b.findIndex((_, i) => needle.every((x, k) => b[i + k] === x));
    const bad = Uint8Array.from(b);
    bad[at + 3] = (bad[at + 3] as number) ^ 1;
    const e = decodeError(bad);
    expect(e.reason).toBe('invalid');
    expect(e.message).toMatch(/T = /);
  });

  it(`fuzz: mutated records give a DecodeError or decode, never another exception`, {
    timeout: 120_000,
  }, () => {
    const iterations = fuzzIterations(3_000, 500);
    console.log(`serialize fuzz: ${iterations} mutations`);
    const seed = encodeFactory({
      proposal: proposals[2] as Proposal,
      history: [advanceRecord(1, new Map(), new Map([[5, new Uint8Array(32)]]))],
      signatures: new Map([['cd'.repeat(32), new Uint8Array(64).fill(3)]]),
      secrets: new Map([[4, new Uint8Array(32).fill(9)]]),
    });
    let state = 12345;
    const rand = (n: number) => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state % n;
    };
    let decoded = 0;
    for (let i = 0; i < iterations; i++) {
      const m = Uint8Array.from(seed);
      const k = 1 + rand(3);
      for (let j = 0; j < k; j++) m[rand(m.length)] = rand(256);
      const cut = rand(4) === 0 ? m.slice(0, rand(m.length)) : m;
      try {
        decodeFactory(cut);
        decoded++;
      } catch (e) {
        if (!DecodeError.isInstance(e)) throw e;
      }
    }
    expect(decoded).toBeLessThan(iterations);
  });
});

describe('replay', () => {
  it(`a record of random advances replays to the same trees, plans and secrets (${replayRuns} runs)`, {
    timeout: 300_000,
  }, () => {
    console.log(`serialize replay: ${replayRuns} runs`);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 1000 }), fc.boolean()), { minLength: 1, maxLength: 5 }),
        (N, steps) => {
          const { proposal } = makeProposal({ N, overrides: { dw: { K: 2, S: 5 } } });
          let tree: FactoryTree = buildTree(proposal);
          const history: AdvanceRecord[] = [];
          const secrets = new Map<number, Uint8Array>();
          const L = tree.layout.leafClients.length;
          for (const [pick, amount, abandon] of steps) {
            const leaf = pick % L;
            try {
              advanceCounters(tree, leaf);
            } catch {
              break; // exhausted: the factory would rotate
            }
            const poisonHashes = hashesFor(tree, leaf);
            const alloc = sell(tree, leaf, 0, BigInt(amount));
            const allocations = new Map([[leaf, alloc]]);
            const plan = planAdvance(tree, { leaf, allocations, poisonHashes });
            if (abandon) {
              history.push(advanceRecord(leaf, allocations, poisonHashes, { abandoned: true }));
              tree = abandonPlan(plan);
              continue;
            }
            history.push(advanceRecord(leaf, allocations, poisonHashes));
            for (const s of plan.superseded) secrets.set(s.counter, lStockSecret(LSTOCK_SEED, s.counter));
            tree = plan.next;
          }
          const record: StoredFactory = { proposal, history, signatures: new Map(), secrets };
          const replayed = replayFactory(decodeFactory(encodeFactory(record)));
          expect(replayed.tree.txs.map((t) => t.txid)).toEqual(tree.txs.map((t) => t.txid));
          expect(replayed.tree.state.dw.nextCounter).toBe(tree.state.dw.nextCounter);
          expect(replayed.tree.state.allocations).toEqual(tree.state.allocations);
          // A client's path at the replayed state, from the O(depth) projection only.
          for (let c = 0; c < N; c++) {
            const cp = buildClientPath(proposal, c, { state: clientPathState(replayed.tree, c) });
            expect(cp.txs.map((t) => t.index)).toEqual(tree.layout.leafPaths[cp.leaf]);
            expect(cp.txs.map((t) => t.txid)).toEqual(cp.txs.map((t) => tree.txs[t.index]?.txid));
          }
          for (const p of replayed.plans)
            for (const s of p.superseded)
              if (s.poison)
                expect(verifyLStockSecret(secrets.get(s.counter) as Uint8Array, s.poison)).toBe(true);
        },
      ),
      { numRuns: replayRuns },
    );
  });
});
