// A client's replay from its O(depth) record after a restart: the same path transactions and sighashes
// as the whole tree, at the initial state and after a leaf advance and a carry, its signatures verified;
// a record with a tampered signature, allocation, DW state or poison hash refused with a typed error.
import { encodeTx } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { type AdvancePlan, advanceCounters, planAdvance } from '../src/advance.js';
import { ceremonyJobs, clientDistribution } from '../src/clientDistribution.js';
import { buildClientPath, type ClientPath } from '../src/clientPath.js';
import { type ClientFactoryRecord, clientFactoryRecord, replayClientFactory } from '../src/clientRecord.js';
import { decodeClientFactory, encodeClientFactory } from '../src/clientRecordCodec.js';
import { buildDistribution } from '../src/distribution.js';
import { InvalidAllocationError, PathVerificationError } from '../src/errors.js';
import { signJobsSplitSimulated } from '../src/jobs.js';
import { advanceClientPathState, clientPathState } from '../src/pathState.js';
import { poisonHashesFromSeed } from '../src/proposal.js';
import { buildTree, type FactoryTree, type LeafAllocation, signedTxBytes } from '../src/transactions.js';
import { validatePath } from '../src/verify.js';
import { LSTOCK_SEED, makeProposal, thrown } from './_fixtures.js';

const N = 6;
const MAXV = 330; // a distribution tree (top + 2 subs): each client signs two distribution transactions
const { proposal, sks } = makeProposal({ N, overrides: { dw: { K: 2, S: 5 } } });
const tree = buildTree(proposal);
const dist = buildDistribution(tree, { maxVsize: MAXV });
const ceremony = signJobsSplitSimulated(ceremonyJobs(tree, dist), sks);
const treeSigs = new Map(tree.txs.map((t) => [t.txid, ceremony[t.index] as Uint8Array]));

/** What a client persists after the ceremony (its signatures received and checked). */
function ceremonyRecord(c: number): ClientFactoryRecord {
  const path = buildClientPath(proposal, c);
  const signed = path.txs.map((t) => signedTxBytes(t, treeSigs.get(t.txid) as Uint8Array));
  const v = validatePath(proposal, c, signed);
  const cd = clientDistribution(path, { maxVsize: MAXV });
  return clientFactoryRecord(v.clientPath, {
    path: v.signatures,
    distribution: cd.positions.map((index) => ({
      index,
      signature: ceremony[tree.txs.length + index] as Uint8Array,
    })),
  });
}

const restart = (r: ClientFactoryRecord) =>
  replayClientFactory(decodeClientFactory(encodeClientFactory(r)), { distribution: { maxVsize: MAXV } });

/** The path's transactions and sighashes against the whole tree's, and the signed bytes. */
function expectSamePath(path: ClientPath, full: FactoryTree, signedPath: readonly Uint8Array[] | undefined) {
  expect(path.txs.map((t) => t.index)).toEqual(full.layout.leafPaths[path.leaf]);
  for (const t of path.txs) {
    const f = full.txs[t.index];
    expect(encodeTx(t.tx)).toEqual(encodeTx(f?.tx as never));
    expect(t.sighash).toEqual(f?.sighash);
  }
  expect(signedPath).toEqual(
    path.txs.map((t) => signedTxBytes(full.txs[t.index] as never, treeSigs.get(t.txid) as Uint8Array)),
  );
}

function pathError(f: () => unknown): PathVerificationError {
  const e = thrown(f);
  if (!PathVerificationError.isInstance(e)) throw e;
  return e as PathVerificationError;
}

/** Plans an advance of `leaf` moving `amount` from the L-stock to its first channel; signs its tree jobs. */
function advanceAndSign(t: FactoryTree, leaf: number, amount: bigint): AdvancePlan {
  const cs = advanceCounters(t, leaf);
  const hs = poisonHashesFromSeed(LSTOCK_SEED, cs.length, cs[0]);
  const a = t.state.allocations[leaf] as LeafAllocation;
  const allocation = {
    capacities: a.capacities.map((x, i) => (i === 0 ? x + amount : x)),
    lStock: a.lStock - amount,
  };
  const plan = planAdvance(t, {
    leaf,
    allocations: new Map([[leaf, allocation]]),
    poisonHashes: new Map(cs.map((c, i) => [c, hs[i] as Uint8Array])),
  });
  const jobs = plan.jobs.filter((j) => j.kind === 'tree');
  const sigs = signJobsSplitSimulated(jobs, sks);
  jobs.forEach((j, k) => {
    const tx = plan.newTxs.find((n) => `tx ${n.index}` === j.id);
    treeSigs.set(tx?.txid as string, sigs[k] as Uint8Array);
  });
  return plan;
}

/** The client's own update of its record after an advance that re-signed its path (no whole tree). */
function advancedRecord(r: ClientFactoryRecord, plan: AdvancePlan): ClientFactoryRecord {
  const old = buildClientPath(r.proposal, r.client, { state: r.state });
  const created = plan.dw.created.find((x) => x.leaf === old.leaf);
  if (created === undefined) return r;
  const next = buildClientPath(r.proposal, r.client, {
    state: advanceClientPathState(old, {
      node: plan.dw.advancedNode,
      counter: created.counter,
      poisonHash: poisonHashesFromSeed(LSTOCK_SEED, 1, created.counter)[0] as Uint8Array,
      allocation: plan.next.state.allocations[old.leaf] as LeafAllocation,
    }),
  });
  return clientFactoryRecord(next, {
    path: next.txs.map((t) => treeSigs.get(t.txid) as Uint8Array),
    distribution: r.distributionSignatures,
  });
}

describe('replayClientFactory', () => {
  it('at the initial state: the same path transactions, sighashes and signed bytes as the whole tree, for every client', () => {
    for (let c = 0; c < N; c++) {
      const r = ceremonyRecord(c);
      const replayed = restart(r);
      expectSamePath(replayed.path, tree, replayed.signedPath);
      expect(replayed.path.state).toEqual(clientPathState(tree, c));
      expect(replayed.signedDistribution).toHaveLength(2);
      expect(replayed.distribution?.positions).toEqual(r.distributionSignatures.map((e) => e.index));
      // what it would broadcast verifies as the path the LSP sent
      expect(() => validatePath(proposal, c, replayed.signedPath as Uint8Array[])).not.toThrow();
    }
  });

  it('after a leaf advance and then a carry: each client updates its own record and replays the whole tree’s path', () => {
    let records = proposal.clients.map((_, c) => ceremonyRecord(c));
    let t = tree;
    for (const [leaf, amount, kind] of [
      [1, 5_000n, 'leaf'],
      [1, 7_000n, 'carry'], // K = 2: leaf 1's layer is exhausted, its parent carries
    ] as const) {
      const plan = advanceAndSign(t, leaf, amount);
      expect(plan.kind).toBe(kind);
      records = records.map((r) => advancedRecord(r, plan));
      t = plan.next;
      for (const r of records) {
        expect(r.state).toEqual(clientPathState(t, r.client));
        const replayed = restart(r);
        expectSamePath(replayed.path, t, replayed.signedPath);
        const v = validatePath(proposal, r.client, replayed.signedPath as Uint8Array[], { state: r.state });
        expect(v.signatures).toEqual(r.pathSignatures);
      }
    }
  });

  describe('refuses a tampered record with a typed error', () => {
    const r = ceremonyRecord(2);
    const path = buildClientPath(proposal, 2);
    const last = path.txs.length - 1;
    const leafStateTx = path.txs[last]?.index;

    it('a flipped or swapped path signature: signature-invalid, naming the transaction', () => {
      const flipped = r.pathSignatures.map((s, k) =>
        k === 1 ? Uint8Array.from(s, (b, i) => (i === 9 ? b ^ 1 : b)) : s,
      );
      const e = pathError(() => restart({ ...r, pathSignatures: flipped }));
      expect([e.fault, e.tx]).toEqual(['signature-invalid', path.txs[1]?.index]);
      const swapped = [
        r.pathSignatures[1],
        r.pathSignatures[0],
        ...r.pathSignatures.slice(2),
      ] as Uint8Array[];
      expect(pathError(() => restart({ ...r, pathSignatures: swapped })).tx).toBe(path.txs[0]?.index);
      // in memory (no codec): a missing signature
      expect(
        pathError(() => replayClientFactory({ ...r, pathSignatures: r.pathSignatures.slice(1) })).fault,
      ).toBe('missing-tx');
    });

    it('an allocation that keeps the total (1,000 sats moved from the L-stock): the leaf state’s signature fails', () => {
      const a = r.state.allocation;
      const moved = {
        capacities: a.capacities.map((x, i) => (i === 0 ? x + 1_000n : x)),
        lStock: a.lStock - 1_000n,
      };
      const e = pathError(() => restart({ ...r, state: { ...r.state, allocation: moved } }));
      expect([e.fault, e.tx]).toEqual(['signature-invalid', leafStateTx]);
    });

    it('an allocation that breaks the total: InvalidAllocationError (DecodeError from bytes)', () => {
      const a = r.state.allocation;
      const e = thrown(() =>
        replayClientFactory({ ...r, state: { ...r.state, allocation: { ...a, lStock: a.lStock + 1n } } }),
      );
      expect(InvalidAllocationError.isInstance(e)).toBe(true);
    });

    it('a DW state or a poison hash: the first transaction built from it fails its signature', () => {
      const states = r.state.states.map((s, i) => (i === 0 ? s + 1 : s));
      const e = pathError(() => restart({ ...r, state: { ...r.state, states } }));
      expect(e.fault).toBe('signature-invalid');
      expect(e.tx).toBe(path.txs.find((t) => t.kind === 'state')?.index);
      const poisonHash = Uint8Array.from(r.state.poisonHash, (b, i) => (i === 0 ? b ^ 1 : b));
      const f = pathError(() => restart({ ...r, state: { ...r.state, poisonHash } }));
      expect([f.fault, f.tx]).toEqual(['signature-invalid', leafStateTx]);
    });

    it('a distribution signature: signature-invalid; a position the client does not sign: tx-mismatch', () => {
      const d = r.distributionSignatures;
      const bad = d.map((x, k) => (k === 0 ? { ...x, signature: d[1]?.signature as Uint8Array } : x));
      expect(pathError(() => restart({ ...r, distributionSignatures: bad })).fault).toBe('signature-invalid');
      const other = ceremonyRecord(5).distributionSignatures.find((x) => !d.some((y) => y.index === x.index));
      const foreign = [...d, other as (typeof d)[number]].sort((x, y) => x.index - y.index);
      expect(pathError(() => restart({ ...r, distributionSignatures: foreign })).fault).toBe('tx-mismatch');
    });
  });
});
