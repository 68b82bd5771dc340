/**
 * Aggregating many sessions at once, as the aggregator of a tree-signing ceremony does (one session
 * per tree transaction, hundreds per ceremony): each session's partial signatures are summed, and all
 * final signatures are checked together by BIP340 batch verification on points the sessions already
 * hold (no decoding). Only when the batch fails are sessions verified one by one, and only in a
 * failing session are partial signatures verified one by one, to blame signers.
 */
import { cryptoRng, type Rng, tagError } from '@superscalar/core';
import { assertFunction } from './_assert.js';
import { InvalidArgumentError, InvalidContributionError, MuSig2Error } from './errors.js';
import { msm } from './keyAgg.js';
import { bytesToInt, G, hasEvenY, modN, n, type Point } from './point.js';
import { partialSigAggWithValues, Session, verifyAggregate } from './session.js';

/** One session to aggregate: its partial signatures and public nonces, one per signer, in signer order. */
export interface AggregateJob {
  session: Session;
  psigs: readonly Uint8Array[];
  pubnonces: readonly Uint8Array[];
}

/** The faulty signers of one job of a batch. */
export interface JobFault {
  /** Index of the job in the batch. */
  job: number;
  /**
   * Indices (in that session's signer order) of the signers to blame: those whose public nonce does
   * not decode (`'pubnonce'`), else those whose partial signature fails or is out of range
   * (`'psig'`); empty when nobody can be blamed.
   */
  signers: number[];
  /**
   * What failed: `'pubnonce'` (a signer's public nonce does not decode: BIP327 blames it), `'psig'`
   * (a partial signature fails or is out of range), or, with every partial signature valid,
   * `'infinite-nonce'` (the session's `R'_1 + b⋅R'_2` is infinity, so BIP327 signed with `R = G` and
   * no signature can verify: the nonces were chosen to cancel, nobody can be blamed —
   * `InfiniteNonceError`'s case) or `'aggnonce'` (the public nonces given are not those the session's
   * aggregate nonce was made from: the aggregator's own mistake). Restart the session with fresh
   * nonces in every case.
   */
  contrib: 'psig' | 'pubnonce' | 'infinite-nonce' | 'aggnonce';
}

/**
 * Some jobs of a batch failed. `faults` lists, per failing job, the signers to blame (informational:
 * BIP327 notes an aggregator can misattribute; restart those sessions with fresh nonces).
 * `sigs[j]` is the valid signature of job `j`, or `undefined` for a failing job.
 */
export class BatchAggregationError extends MuSig2Error {
  readonly faults: JobFault[];
  readonly sigs: (Uint8Array | undefined)[];

  constructor(faults: JobFault[], sigs: (Uint8Array | undefined)[]) {
    super(
      'MUSIG2_BATCH_FAULTS',
      `${faults.length} of ${sigs.length} session(s) failed: ${faults
        .slice(0, 5)
        .map((f) => `job ${f.job} signers [${f.signers.join(', ')}] (${f.contrib})`)
        .join('; ')}${faults.length > 5 ? '; ...' : ''}`,
    );
    this.faults = faults;
    this.sigs = sigs;
  }
}
tagError(BatchAggregationError, '@superscalar/musig2:BatchAggregationError');

/**
 * Aggregates every job's partial signatures into its BIP340 signature and verifies all of them with
 * one batch verification. Returns the signatures in job order.
 *
 * @throws BatchAggregationError listing the faulty signers of every failing job.
 */
export function aggregateBatch(jobs: readonly AggregateJob[], rng: Rng = cryptoRng): Uint8Array[] {
  if (!Array.isArray(jobs)) throw new InvalidArgumentError('jobs', 'expected an array');
  assertFunction(rng, 'rng');
  const sigs: (Uint8Array | undefined)[] = [];
  const faults: JobFault[] = [];
  jobs.forEach((job, j) => {
    if (!(job?.session instanceof Session))
      throw new InvalidArgumentError(`jobs[${j}].session`, 'expected a Session');
    if (job.psigs?.length !== job.session.size || job.pubnonces?.length !== job.session.size)
      throw new InvalidArgumentError(
        `jobs[${j}]`,
        'expected one partial signature and one public nonce per signer',
      );
    try {
      sigs.push(partialSigAggWithValues(job.psigs, job.session.values));
    } catch (err) {
      if (!(err instanceof InvalidContributionError) || err.signer === null) throw err;
      // Out-of-range partial signatures: blame every one of them.
      const signers = job.psigs.flatMap((p: Uint8Array, i: number) =>
        p.length === 32 && bytesToInt(p) >= n ? [i] : [],
      );
      faults.push({ job: j, signers, contrib: 'psig' });
      sigs.push(undefined);
    }
  });
  const ok = sigs.flatMap((sig, j) => (sig === undefined ? [] : [j]));
  if (
    faults.length === 0 &&
    batchVerifySessions(
      ok.map((j) => [jobs[j] as AggregateJob, sigs[j] as Uint8Array]),
      rng,
    )
  )
    return sigs as Uint8Array[];
  // Slow path: find the failing sessions, then the failing signers.
  for (const j of ok) {
    const job = jobs[j] as AggregateJob;
    if (verifyAggregate(sigs[j] as Uint8Array, job.session.values)) continue;
    sigs[j] = undefined;
    faults.push(faultOf(j, job));
  }
  if (faults.length === 0) return sigs as Uint8Array[];
  faults.sort((a, b) => a.job - b.job);
  throw new BatchAggregationError(faults, sigs);
}

/** Why job `j`'s aggregate failed: every signer's nonce and partial signature checked, one by one. */
function faultOf(j: number, job: AggregateJob): JobFault {
  const nonces: number[] = [];
  const psigs: number[] = [];
  for (let i = 0; i < job.session.size; i++) {
    try {
      if (!job.session.partialSigVerify(job.psigs[i] as Uint8Array, job.pubnonces[i] as Uint8Array, i))
        psigs.push(i);
    } catch (err) {
      if (!(err instanceof InvalidContributionError) || err.signer !== i || err.contrib !== 'pubnonce')
        throw err;
      nonces.push(i);
    }
  }
  if (nonces.length > 0) return { job: j, signers: nonces, contrib: 'pubnonce' };
  if (psigs.length > 0) return { job: j, signers: psigs, contrib: 'psig' };
  return { job: j, signers: [], contrib: job.session.nonceIsInfinite ? 'infinite-nonce' : 'aggnonce' };
}

// BIP340 batch verification over session points: Σ a_i⋅s_i⋅G − Σ a_i⋅R_i − Σ (a_i⋅e_i)⋅Q_i = 0 with
// R_i, Q_i the even-y points (the signature commits to their x coordinates) and a_1 = 1.
function batchVerifySessions(items: [AggregateJob, Uint8Array][], rng: Rng): boolean {
  if (items.length === 0) return true;
  if (items.length === 1) {
    const [job, sig] = items[0] as [AggregateJob, Uint8Array];
    return verifyAggregate(sig, job.session.values);
  }
  const points: Point[] = [];
  const scalars: bigint[] = [];
  let sSum = 0n;
  items.forEach(([job, sig], i) => {
    const { R, Q, e } = job.session.values;
    const a = i === 0 ? 1n : multiplier(rng);
    sSum = modN(sSum + a * bytesToInt(sig.subarray(32, 64)));
    points.push(hasEvenY(R) ? R.negate() : R, hasEvenY(Q) ? Q.negate() : Q);
    scalars.push(a, modN(a * e));
  });
  points.push(G);
  scalars.push(sSum);
  return msm(points, scalars).is0();
}

function multiplier(rng: Rng): bigint {
  for (;;) {
    const b = rng(32);
    if (!(b instanceof Uint8Array) || b.length !== 32)
      throw new InvalidArgumentError('rng', 'must return a Uint8Array of 32 bytes');
    const a = modN(bytesToInt(b));
    if (a !== 0n) return a;
  }
}
