// The role-split job-signing API (jobs.ts) over every job kind: the initial tree, the distribution
// (a distribution tree here), an advance (new state, poison, settlements) and the cooperative close.
import type { Rng } from '@superscalar/core';
import { schnorrVerify } from '@superscalar/musig2';
import { describe, expect, it } from 'vitest';
import { advanceCounters, planAdvance, signJobsSimulated } from '../src/advance.js';
import { buildCooperativeClose } from '../src/close.js';
import { buildDistribution, distributionSigningPlan } from '../src/distribution.js';
import { InvalidArgumentError, SigningError } from '../src/errors.js';
import {
  clientJobsRound1,
  clientJobsRound2,
  type JobPartialSigs,
  jobsByParticipant,
  lspAggregateJobs,
  lspSignJobs,
  type SigningJob,
  type SigningJobKind,
  signJobsSplitSimulated,
} from '../src/jobs.js';
import { poisonHashesFromSeed } from '../src/proposal.js';
import { signingPlan } from '../src/signingPlan.js';
import { buildTree, type LeafAllocation } from '../src/transactions.js';
import { treeTxVsize } from '../src/tree.js';
import { LSTOCK_SEED, makeProposal, thrown } from './_fixtures.js';

const { proposal, sks } = makeProposal({ N: 6 });
const tree = buildTree(proposal);
const dist = buildDistribution(tree, { maxVsize: treeTxVsize(3) });
const cs = advanceCounters(tree, 0);
const hs = poisonHashesFromSeed(LSTOCK_SEED, cs.length, cs[0]);
const a0 = tree.state.allocations[0] as LeafAllocation;
const advance = planAdvance(tree, {
  leaf: 0,
  allocations: new Map([
    [0, { capacities: [a0.capacities[0] as bigint, a0.capacities[1] as bigint], lStock: a0.lStock }],
  ]),
  poisonHashes: new Map(cs.map((c, i) => [c, hs[i] as Uint8Array])),
});
const close = buildCooperativeClose(tree, {
  balances: proposal.clients.map((c) => c.balance),
  tipHeight: 300,
  closeFeeRate: 2_000,
});
/** Every job kind in one session: tree, distribution (top + subs), advance (state, poison, settlements), close. */
const jobs: readonly SigningJob[] = [
  ...signingPlan(tree).txs,
  ...distributionSigningPlan(tree, dist).jobs,
  ...advance.jobs,
  close.job,
];
const KINDS: readonly SigningJobKind[] = ['tree', 'distribution', 'poison', 'settlement', 'close'];

/** A constant rng: each nonce is then fixed by (key, job key, message) alone, whatever the draw order (not zero: batch multipliers redraw zeros). */
const zeroRng: Rng = (n) => new Uint8Array(n).fill(0x5a);

/** Runs the four steps as separate parties would, with an optional hook on the clients' partials. */
function roleSplit(
  rng: Rng | undefined,
  tamperPartials?: (m: JobPartialSigs) => JobPartialSigs,
): Uint8Array[] {
  const round1 = [...jobsByParticipant(jobs)].map(([p, idxs]) =>
    clientJobsRound1({
      participant: p,
      secretKey: sks[p] as Uint8Array,
      jobs: idxs.map((index) => ({ index, job: jobs[index] as SigningJob })),
      ...(rng ? { rng } : {}),
    }),
  );
  const lsp = lspSignJobs({ jobs, lspSecretKey: sks[0] as Uint8Array, nonces: round1.map((r) => r.nonces) });
  const partials = round1.map(({ state }) => {
    const agg = lsp.aggNonces.find((a) => a.participant === state.participant);
    const m = clientJobsRound2(state, agg as never);
    return tamperPartials ? tamperPartials(m) : m;
  });
  return lspAggregateJobs(lsp.state, partials);
}

describe('job signing split by role', () => {
  it('covers every job kind in one session', () => {
    expect(new Set(jobs.map((j) => j.kind))).toEqual(new Set(KINDS));
    expect(dist.isTree).toBe(true);
  });

  it('gives the same signatures as signJobsSimulated with the same nonces, each verifying', () => {
    const split = roleSplit(zeroRng);
    const reference = signJobsSimulated(jobs, tree.keys, sks, { rng: zeroRng });
    expect(split).toEqual(reference);
    expect(signJobsSplitSimulated(jobs, sks, { rng: zeroRng })).toEqual(reference);
    split.forEach((sig, i) => {
      expect(schnorrVerify(sig, (jobs[i] as SigningJob).sighash, (jobs[i] as SigningJob).outputKey)).toBe(
        true,
      );
    });
  });

  it('sends each client messages for its own jobs only (its path and distribution, its leaf’s advance)', () => {
    const by = jobsByParticipant(jobs);
    const plan = signingPlan(tree);
    for (const [p, idxs] of by) {
      for (const i of idxs) expect(jobs[i]?.signers).toContain(p);
      const treeJobs = idxs.filter((i) => jobs[i]?.kind === 'tree' && i < plan.txs.length);
      expect(treeJobs).toEqual(plan.byParticipant[p]);
      // the top distribution and its own sub-distribution: two nonces (§8 round 1)
      expect(idxs.filter((i) => jobs[i]?.kind === 'distribution')).toHaveLength(2);
    }
  });

  for (const kind of KINDS)
    it(`blames the client whose partial signature is bad, by proposal index (${kind}), then a retry with fresh nonces succeeds`, () => {
      const index = jobs.findIndex((j) => j.kind === kind);
      const job = jobs[index] as SigningJob;
      const victim = job.signers.filter((s) => s !== 0).at(-1) as number;
      const err = thrown(() =>
        roleSplit(undefined, (m) =>
          m.participant !== victim
            ? m
            : {
                ...m,
                psigs: m.psigs.map((s, k) => {
                  if (m.jobs[k] !== index) return s;
                  const b = Uint8Array.from(s);
                  b[31] = (b[31] as number) ^ 1;
                  return b;
                }),
              },
        ),
      );
      expect(err).toBeInstanceOf(SigningError);
      expect((err as SigningError).tx).toBe(index);
      expect((err as SigningError).signer).toBe(victim);
      expect((err as SigningError).message).toContain(job.id);
      // retry: fresh nonces from round 1 (CSPRNG), every signature verifies
      const sigs = roleSplit(undefined);
      expect(schnorrVerify(sigs[index] as Uint8Array, job.sighash, job.outputKey)).toBe(true);
    });

  for (const kind of KINDS)
    it(`blames the LSP for a bad partial signature of its own (${kind})`, () => {
      const index = jobs.findIndex((j) => j.kind === kind);
      const err = thrown(() =>
        signJobsSplitSimulated(jobs, sks, {
          tamper: (i, p, psig) => (i === index && p === 0 ? new Uint8Array(32).fill(7) : psig),
        }),
      );
      expect(err).toBeInstanceOf(SigningError);
      expect((err as SigningError).tx).toBe(index);
      expect((err as SigningError).signer).toBe(0);
    });

  it('blames a client whose nonce does not decode, and the LSP for an undecodable aggregate nonce', () => {
    const by = [...jobsByParticipant(jobs)];
    const round1 = by.map(([p, idxs]) =>
      clientJobsRound1({
        participant: p,
        secretKey: sks[p] as Uint8Array,
        jobs: idxs.map((index) => ({ index, job: jobs[index] as SigningJob })),
      }),
    );
    const nonces = round1.map((r) => r.nonces);
    const broken = nonces[2] as (typeof nonces)[number];
    const bad = {
      ...broken,
      pubnonces: broken.pubnonces.map((n, k) => (k === 0 ? new Uint8Array(66).fill(5) : n)),
    };
    const e1 = thrown(() =>
      lspSignJobs({
        jobs,
        lspSecretKey: sks[0] as Uint8Array,
        nonces: nonces.map((n) => (n === broken ? bad : n)),
      }),
    );
    expect(e1).toBeInstanceOf(SigningError);
    expect((e1 as SigningError).signer).toBe(broken.participant);
    expect((e1 as SigningError).tx).toBe(broken.jobs[0]);
    const lsp = lspSignJobs({ jobs, lspSecretKey: sks[0] as Uint8Array, nonces });
    const first = round1[0] as (typeof round1)[number];
    const agg = lsp.aggNonces.find(
      (a) => a.participant === first.state.participant,
    ) as (typeof lsp.aggNonces)[number];
    const e2 = thrown(() =>
      clientJobsRound2(first.state, {
        ...agg,
        aggnonces: agg.aggnonces.map(() => new Uint8Array(66).fill(5)),
      }),
    );
    expect(e2).toBeInstanceOf(SigningError);
    expect((e2 as SigningError).signer).toBe(0);
    // the state is spent: a second round 2 needs fresh nonces
    expect(() => clientJobsRound2(first.state, agg)).toThrow(InvalidArgumentError);
    expect(() => JSON.stringify(first.state)).toThrow(InvalidArgumentError);
  });

  it('refuses jobs a client does not sign, a wrong key, out-of-order indices, and messages for other jobs', () => {
    const [p, idxs] = [...jobsByParticipant(jobs)][0] as [number, number[]];
    const own = idxs.map((index) => ({ index, job: jobs[index] as SigningJob }));
    const foreign = jobs.findIndex((j) => !j.signers.includes(p));
    expect(() =>
      clientJobsRound1({
        participant: p,
        secretKey: sks[p] as Uint8Array,
        jobs: [{ index: foreign, job: jobs[foreign] as SigningJob }],
      }),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      clientJobsRound1({ participant: p, secretKey: sks[p + 1] as Uint8Array, jobs: own }),
    ).toThrow(/key of participant/);
    expect(() =>
      clientJobsRound1({ participant: p, secretKey: sks[p] as Uint8Array, jobs: [...own].reverse() }),
    ).toThrow(InvalidArgumentError);
    const r = clientJobsRound1({ participant: p, secretKey: sks[p] as Uint8Array, jobs: own });
    expect(() => lspSignJobs({ jobs, lspSecretKey: sks[0] as Uint8Array, nonces: [r.nonces] })).toThrow(
      /one message per signing client/,
    );
    expect(() => lspSignJobs({ jobs, lspSecretKey: sks[1] as Uint8Array, nonces: [] })).toThrow(/LSP key/);
  });
});
