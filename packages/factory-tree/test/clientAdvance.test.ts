// A client's O(depth) check of an advance (planClientAdvance + validateClientAdvance) against the
// LSP's whole-tree plan (planAdvance + validateAdvance), differentially: over random shapes and
// advance sequences (leaf advances, carries, epoch resets, allocation changes, exhaustion) every
// client re-signed in an advance derives the same node, kind, new path state and transactions, the
// same poison and settlements and the same jobs, and reaches the same verdict on what it receives —
// untouched or tampered. Each client keeps only its ClientFactoryRecord (recordClientAdvance,
// recordRevealedSecret), which round-trips as bytes and replays to the tree's signed path and to the
// LSP's own poisons and settlements.
import { advance as dwAdvance, ExhaustedError } from '@superscalar/dw-counter';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  type AdvancePlan,
  advanceCounters,
  planAdvance,
  type SupersededLeafState,
  signJobsSimulated,
} from '../src/advance.js';
import { type ClientAdvancePlan, planClientAdvance, validateClientAdvance } from '../src/clientAdvance.js';
import { buildClientPath } from '../src/clientPath.js';
import { type ClientFactoryRecord, clientFactoryRecord, replayClientFactory } from '../src/clientRecord.js';
import { decodeClientFactory, encodeClientFactory } from '../src/clientRecordCodec.js';
import { recordClientAdvance, recordRevealedSecret } from '../src/clientSuperseded.js';
import { PathVerificationError } from '../src/errors.js';
import { clientPathState } from '../src/pathState.js';
import { signedPoisonBytes } from '../src/poison.js';
import { lStockSecret, poisonHashesFromSeed } from '../src/proposal.js';
import { signedSettlementBytes } from '../src/settlement.js';
import { signTreeSimulated } from '../src/signingPlan.js';
import { buildTree, type FactoryTree, type LeafAllocation, signedTxBytes } from '../src/transactions.js';
import { type ReceivedAdvance, validateAdvance } from '../src/verify.js';
import { LSTOCK_SEED, makeProposal, thrown } from './_fixtures.js';

const runs = propertyRuns(60, 12);

type Outcome = { ok: unknown } | { fault: string; tx: number; label: string | undefined };
function outcome(f: () => unknown): Outcome {
  try {
    return { ok: f() };
  } catch (e) {
    if (!PathVerificationError.isInstance(e)) throw e;
    const p = e as PathVerificationError;
    return { fault: p.fault, tx: p.tx, label: p.label };
  }
}

const flip = (b: Uint8Array, at: number) => {
  const c = Uint8Array.from(b);
  c[at % c.length] = (c[at % c.length] as number) ^ 1;
  return c;
};

/** Comparable shape of a superseded leaf state (transactions by txid and sighash). */
function superseded(s: SupersededLeafState | undefined) {
  if (s === undefined) return undefined;
  return {
    leaf: s.leaf,
    node: s.node,
    counter: s.counter,
    stateTxid: s.stateTx.txid,
    poison: s.poison === undefined ? undefined : { txid: s.poison.txid, sighash: s.poison.sighash },
    poisonSkipped: s.poisonSkipped,
    settlements: s.settlements.map((e) => ({
      client: e.client,
      vout: e.vout,
      txid: e.settlement?.txid,
      sighash: e.settlement?.sighash,
      skipped: e.skipped,
    })),
  };
}

/** What the LSP sends client `c` at the end of an advance: its new path transactions, poison, settlement. */
function received(plan: AdvancePlan, sigs: Map<string, Uint8Array>, c: number): ReceivedAdvance {
  const leaf = plan.next.layout.leafClients.findIndex((cl) => cl.includes(c));
  const onPath = new Set(plan.next.layout.leafPaths[leaf]);
  const mine = plan.superseded.find((s) => s.leaf === leaf);
  const settlement = mine?.settlements.find((e) => e.client === c)?.settlement;
  const sSig = settlement && sigs.get(`settlement c=${mine?.counter} client=${c}`);
  return {
    txs: plan.newTxs
      .filter((t) => onPath.has(t.index))
      .map((t) => signedTxBytes(t, sigs.get(`tx ${t.index}`) as Uint8Array)),
    ...(mine?.poison ? { poisonSignature: sigs.get(`poison c=${mine.counter}`) as Uint8Array } : {}),
    ...(settlement && sSig ? { settlement: signedSettlementBytes(settlement, sSig) } : {}),
  };
}

/** A tampered copy of what the LSP sends (or the same, for `kind` 0). */
function tamper(r: ReceivedAdvance, kind: number, at: number): ReceivedAdvance {
  switch (kind) {
    case 1:
      return r.txs.length === 0
        ? r
        : { ...r, txs: r.txs.map((t, k) => (k === at % r.txs.length ? flip(t, at) : t)) };
    case 2:
      return { ...r, txs: r.txs.slice(0, -1) };
    case 3:
      return r.poisonSignature ? { ...r, poisonSignature: flip(r.poisonSignature, at) } : r;
    case 4:
      return r.settlement ? { ...r, settlement: flip(r.settlement, r.settlement.length - 1 - (at % 64)) } : r;
    case 5:
      return { ...r, txs: [...r.txs, r.txs[0] ?? new Uint8Array(1)] };
    default:
      return r;
  }
}

interface Scenario {
  readonly N: number;
  readonly leafArity: 1 | 2;
  readonly levelArity: readonly number[];
  readonly staticLevels: number;
  readonly K: number;
  readonly steps: readonly {
    readonly pick: number;
    readonly shift: number;
    readonly others: boolean;
    readonly tamper: number;
    readonly at: number;
  }[];
}

type Seen = Record<'leaf' | 'carry' | 'epochReset' | 'exhausted' | 'tampered' | 'clients', number>;

/**
 * Runs an advance sequence: the LSP plans over its tree and signs; every client re-signed plans from
 * its own record's path and must agree with the whole tree's plan and verdict (see the file comment).
 */
function runScenario(r: Scenario, seen: Seen): void {
  const { proposal, sks } = makeProposal({
    N: r.N,
    leafArity: r.leafArity,
    levelArity: r.levelArity,
    staticLevels: r.staticLevels,
    overrides: { dw: { K: r.K, S: 4 } },
  });
  let tree: FactoryTree = buildTree(proposal);
  const initial = signTreeSimulated(tree, sks);
  // Each client keeps only its own record.
  let records: ClientFactoryRecord[] = proposal.clients.map((_, c) => {
    const path = buildClientPath(proposal, c);
    return clientFactoryRecord(path, { path: path.txs.map((t) => initial[t.index] as Uint8Array) });
  });
  const lspPlans: { plan: AdvancePlan; sigs: Map<string, Uint8Array> }[] = [];
  const L = tree.layout.leafClients.length;
  for (const step of r.steps) {
    const leaf = step.pick % L;
    let cs: number[];
    try {
      cs = advanceCounters(tree, leaf);
    } catch (e) {
      expect(ExhaustedError.isInstance(e)).toBe(true);
      seen.exhausted++;
      // Every client of that leaf finds the same from its own path.
      for (const c of tree.layout.leafClients[leaf] as readonly number[]) {
        const cp = buildClientPath(proposal, c, { state: (records[c] as ClientFactoryRecord).state });
        const req = { leaf, counter: 2 ** 40, poisonHash: new Uint8Array(32) };
        expect(ExhaustedError.isInstance(thrown(() => planClientAdvance(cp, req)))).toBe(true);
      }
      break;
    }
    const hs = poisonHashesFromSeed(LSTOCK_SEED, cs.length, cs[0]);
    const poisonHashes = new Map(cs.map((c, i) => [c, hs[i] as Uint8Array]));
    const createdLeaves = advanceCounterLeaves(tree, leaf);
    const allocations = new Map<number, LeafAllocation>();
    for (const l of createdLeaves) {
      if (l !== leaf && !step.others) continue;
      const a = tree.state.allocations[l] as LeafAllocation;
      const wanted = BigInt(l === leaf ? step.shift : Math.floor(step.shift / 3));
      const last = a.capacities[a.capacities.length - 1] as bigint;
      // Keep every output above dust (planAdvance refuses dust; that is tested elsewhere).
      const max = a.lStock - 330n;
      const min = 330n - last;
      const shift = wanted > max ? max : wanted < min ? min : wanted;
      allocations.set(l, {
        capacities: a.capacities.map((x, i) => (i === a.capacities.length - 1 ? x + shift : x)),
        lStock: a.lStock - shift,
      });
    }
    const plan = planAdvance(tree, { leaf, allocations, poisonHashes });
    const sigList = signJobsSimulated(plan.jobs, tree.keys, sks);
    const sigs = new Map(plan.jobs.map((j, i) => [j.id, sigList[i] as Uint8Array]));
    seen[plan.kind]++;
    if (plan.dw.epochReset) seen.epochReset++;
    for (const created of plan.dw.created) {
      for (const c of plan.next.layout.leafClients[created.leaf] as readonly number[]) {
        seen.clients++;
        const record = records[c] as ClientFactoryRecord;
        const path = buildClientPath(proposal, c, { state: record.state });
        const mine: ClientAdvancePlan = planClientAdvance(path, {
          leaf,
          counter: created.counter,
          poisonHash: poisonHashes.get(created.counter) as Uint8Array,
          ...(allocations.has(created.leaf) ? { allocation: allocations.get(created.leaf) } : {}),
        });
        // The same plan, seen from the client's path.
        expect(mine.node).toBe(plan.dw.advancedNode);
        expect(mine.kind).toBe(plan.kind);
        expect(mine.epochReset).toBe(plan.dw.epochReset);
        expect(mine.next.state).toEqual(clientPathState(plan.next, c));
        const onPath = new Set(plan.next.layout.leafPaths[created.leaf]);
        expect(mine.newTxs.map((t) => t.txid)).toEqual(
          plan.newTxs.filter((t) => onPath.has(t.index)).map((t) => t.txid),
        );
        expect(superseded(mine.superseded)).toEqual(
          superseded(plan.superseded.find((s) => s.leaf === created.leaf)),
        );
        expect(mine.jobs).toEqual(plan.jobs.filter((j) => j.signers.includes(c + 1)));
        // The same verdict on what arrives, untouched or tampered.
        const honest = received(plan, sigs, c);
        const got = tamper(honest, step.tamper, step.at);
        if (got !== honest) seen.tampered++;
        const whole = outcome(() => validateAdvance(plan, c, got));
        const own = outcome(() => validateClientAdvance(mine, got));
        expect(own).toEqual(whole);
        if (step.tamper >= 1 && step.tamper <= 5 && got !== honest) expect('fault' in own).toBe(true);
        const verified = validateClientAdvance(mine, honest);
        records[c] = recordClientAdvance(record, mine, verified);
      }
    }
    lspPlans.push({ plan, sigs });
    tree = plan.next;
    // The LSP reveals the superseded states' secrets; each client keeps its leaf's.
    for (const s of plan.superseded)
      for (const c of tree.layout.leafClients[s.leaf] as readonly number[])
        records[c] = recordRevealedSecret(
          records[c] as ClientFactoryRecord,
          s.counter,
          lStockSecret(LSTOCK_SEED, s.counter),
        );
  }
  // Each record round-trips as bytes and replays to the tree's signed path and to the LSP's
  // own poisons and settlements.
  records = records.map((rec) => {
    const back = decodeClientFactory(encodeClientFactory(rec));
    expect(back).toEqual(rec);
    return back;
  });
  for (const rec of records) {
    const replay = replayClientFactory(rec);
    expect(replay.path.txs.map((t) => t.txid)).toEqual(replay.path.txs.map((t) => tree.txs[t.index]?.txid));
    expect(replay.signedPath).toHaveLength(replay.path.txs.length);
    expect(replay.superseded.map((s) => s.counter)).toEqual(rec.superseded.map((e) => e.state.counter));
    for (const resp of replay.superseded) {
      const { plan, sigs } = lspPlans.find((x) =>
        x.plan.superseded.some((s) => s.counter === resp.counter),
      ) as (typeof lspPlans)[number];
      const s = plan.superseded.find((x) => x.counter === resp.counter) as SupersededLeafState;
      expect(resp.stateTx.txid).toBe(s.stateTx.txid);
      const own = s.settlements.find((e) => e.client === rec.client)?.settlement;
      expect(resp.signedSettlement).toEqual(
        own &&
          signedSettlementBytes(
            own,
            sigs.get(`settlement c=${s.counter} client=${rec.client}`) as Uint8Array,
          ),
      );
      expect(resp.signedPoison).toEqual(
        s.poison &&
          signedPoisonBytes(
            s.poison,
            sigs.get(`poison c=${s.counter}`) as Uint8Array,
            lStockSecret(LSTOCK_SEED, s.counter),
          ),
      );
    }
  }
}

describe('a client checks an advance from its own path: the same as the whole tree (§5.1, §5.2)', () => {
  const fresh = (): Seen => ({ leaf: 0, carry: 0, epochReset: 0, exhausted: 0, tampered: 0, clients: 0 });

  it('a leaf advance, a carry that resets the epoch, another leaf advance, then exhaustion (N = 4, K = 2)', () => {
    const seen = fresh();
    const step = (pick: number, tamper = 0) => ({ pick, shift: 5_000, others: true, tamper, at: 3 });
    runScenario(
      {
        N: 4,
        leafArity: 2,
        levelArity: [2],
        staticLevels: 0,
        K: 2,
        steps: [step(0), step(0, 1), step(1, 3), step(1)],
      },
      seen,
    );
    expect(seen).toEqual({ leaf: 2, carry: 1, epochReset: 1, exhausted: 1, tampered: 6, clients: 8 });
  });

  it(`differential over random shapes and advance sequences (${runs} runs)`, { timeout: 300_000 }, () => {
    const seen = fresh();
    fc.assert(
      fc.property(
        fc.record({
          N: fc.integer({ min: 2, max: 6 }),
          leafArity: fc.constantFrom(1 as const, 2 as const),
          levelArity: fc.constantFrom([2], [3], [2, 3]),
          staticLevels: fc.constantFrom(0, 0, 1),
          K: fc.constantFrom(2, 2, 3),
          steps: fc.array(
            fc.record({
              pick: fc.nat(),
              shift: fc.integer({ min: -2_000, max: 30_000 }),
              others: fc.boolean(),
              tamper: fc.integer({ min: 0, max: 9 }),
              at: fc.nat(),
            }),
            { minLength: 1, maxLength: 8 },
          ),
        }),
        (r) => runScenario(r, seen),
      ),
      { numRuns: runs },
    );
    console.log(`client advance differential: ${runs} runs, ${JSON.stringify(seen)}`);
    expect(seen.leaf).toBeGreaterThan(0);
    expect(seen.tampered).toBeGreaterThan(0);
  });
});

/** The leaves an advance of `leaf` re-signs (dw-counter's `created`), before planning it. */
function advanceCounterLeaves(tree: FactoryTree, leaf: number): number[] {
  return dwAdvance(tree.state.dw, leaf).created.map((c) => c.leaf);
}
