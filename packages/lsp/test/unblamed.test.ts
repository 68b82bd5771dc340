// Signing failures nobody can be blamed for (src/unblamed.ts): the LSP tells client nonces that cancel
// (BIP327 DeterministicSign refusing an infinite aggothernonce) from every other failure, names the job,
// its leaf and its client signers; an aggregate that fails with every partial valid is "unblamed".
import { SimChain } from '@superscalar/chain';
import {
  buildDistribution,
  buildTree,
  ceremonyJobs,
  clientJobsRound1,
  jobsByParticipant,
  lspSignJobs,
  SigningError,
} from '@superscalar/factory-tree';
import { BatchAggregationError, InvalidContributionError } from '@superscalar/musig2';
import { describe, expect, it } from 'vitest';
import { resolveAdvancePolicy } from '../src/advancePolicy.js';
import { cancellingJob, clientSigners, leafOfTx, unblamedAggregate } from '../src/unblamed.js';
import { fundedFactory, seededRng, thrown } from './_factory.js';

const negated = (pn: Uint8Array) => {
  const out = Uint8Array.from(pn);
  out[0] = (out[0] as number) ^ 1;
  out[33] = (out[33] as number) ^ 1;
  return out;
};

describe('client nonces that cancel (BIP327 DeterministicSign)', () => {
  const chain = new SimChain();
  const f = fundedFactory(chain, 4, 'unblamed');
  const tree = buildTree(f.proposal);
  const jobs = ceremonyJobs(tree, buildDistribution(tree));
  const byParticipant = jobsByParticipant(jobs);
  const round1 = (p: number) =>
    clientJobsRound1({
      participant: p,
      secretKey: (f.clients[p - 1] as { secretKey: Uint8Array }).secretKey,
      jobs: (byParticipant.get(p) ?? []).map((index) => ({
        index,
        job: jobs[index] as (typeof jobs)[number],
      })),
      rng: seededRng(p),
    }).nonces;

  it("are told apart: the job, its leaf and every client signer of it (the leaf's state, one party under two keys)", () => {
    const path = tree.layout.leafPaths[0] as readonly number[];
    const target = path[path.length - 1] as number;
    const [x, y] = (tree.layout.leafClients[0] as readonly number[]).map((c) => c + 1) as [number, number];
    const nonces = [1, 2, 3, 4].map(round1);
    const ofX = nonces[x - 1] as (typeof nonces)[number];
    const ofY = nonces[y - 1] as (typeof nonces)[number];
    const k = ofY.jobs.indexOf(target);
    const pubnonces = [...ofY.pubnonces];
    pubnonces[k] = negated(ofX.pubnonces[ofX.jobs.indexOf(target)] as Uint8Array);
    nonces[y - 1] = { ...ofY, pubnonces };
    const e = thrown(() => lspSignJobs({ jobs, lspSecretKey: f.lsp.secretKey, nonces }));
    expect(SigningError.isInstance(e)).toBe(true);
    expect((e as SigningError).signer).toBeNull(); // the protocol blames nobody
    expect(cancellingJob(e)).toBe(target);
    expect(leafOfTx(tree, target)).toBe(0);
    expect(clientSigners(jobs[target] as (typeof jobs)[number])).toEqual([x, y].sort((a, b) => a - b));
    // Honest nonces sign.
    expect(() =>
      lspSignJobs({ jobs, lspSecretKey: f.lsp.secretKey, nonces: [1, 2, 3, 4].map(round1) }),
    ).not.toThrow();
  });

  it('other failures are not cancelling nonces; leafOfTx is null above the leaves', () => {
    const cause = new InvalidContributionError(null, 'aggothernonce');
    expect(cancellingJob(new SigningError(3, null, 'x', { cause }))).toBe(3);
    expect(cancellingJob(new SigningError(3, 2, 'x', { cause }))).toBeNull();
    expect(
      cancellingJob(new SigningError(3, null, 'x', { cause: new InvalidContributionError(1, 'pubnonce') })),
    ).toBeNull();
    expect(cancellingJob(new SigningError(3, null, 'x'))).toBeNull();
    expect(cancellingJob(cause)).toBeNull();
    expect(leafOfTx(tree, 0)).toBeNull(); // the root kickoff
    expect(leafOfTx(tree, tree.txs.length + 5)).toBeNull();
  });
});

describe('an aggregate nobody can be blamed for', () => {
  const unblamed = (faults: ConstructorParameters<typeof BatchAggregationError>[0]) =>
    unblamedAggregate(
      new SigningError(faults[0]?.job ?? 0, null, 'x', {
        cause: new BatchAggregationError(
          faults,
          faults.map(() => undefined),
        ),
      }),
    );

  it("is every failing job's 'infinite-nonce' or 'aggnonce' with no signer; a blamed one is not", () => {
    expect(unblamed([{ job: 1, signers: [], contrib: 'infinite-nonce' }])).toBe(true);
    expect(
      unblamed([
        { job: 0, signers: [], contrib: 'aggnonce' },
        { job: 2, signers: [], contrib: 'infinite-nonce' },
      ]),
    ).toBe(true);
    expect(
      unblamed([
        { job: 0, signers: [], contrib: 'infinite-nonce' },
        { job: 2, signers: [1], contrib: 'psig' },
      ]),
    ).toBe(false);
    expect(unblamedAggregate(new SigningError(0, 1, 'x'))).toBe(false);
  });
});

describe('policy.advance.maxSigningAttempts', () => {
  it('defaults to 3 and takes 1..10', () => {
    expect(resolveAdvancePolicy(undefined).maxSigningAttempts).toBe(3);
    expect(resolveAdvancePolicy({ maxSigningAttempts: 1 }).maxSigningAttempts).toBe(1);
    for (const bad of [0, 11, 1.5])
      expect(thrown(() => resolveAdvancePolicy({ maxSigningAttempts: bad }))).toMatchObject({
        code: 'LSP_INVALID_ARGUMENT',
        argument: 'policy.advance.maxSigningAttempts',
      });
  });
});
