/**
 * Role-split MuSig2 signing of any list of factory signing jobs (brief §8 rounds 1–4, §5.1, §6): the
 * initial tree, the distribution transaction(s), an advance's new states, poisons and settlements,
 * and the cooperative close all go through the same four steps, each run by the party it belongs to.
 *
 * 1. {@link clientJobsRound1}: a client draws one fresh nonce per job it signs (BIP327 NonceGen hedged
 *    with its secret key, the job's key and its message: never one nonce for two messages). The
 *    secret nonces stay in a {@link ClientSigningState}, in memory only, never serialisable.
 * 2. {@link lspSignJobs}: the LSP signs last and statelessly, per job BIP327 `DeterministicSign` over
 *    the aggregate of the clients' nonces, and answers each client with the aggregate nonces of its
 *    jobs only.
 * 3. {@link clientJobsRound2}: the client signs its jobs (checking the jobs first — its path, the
 *    distribution, the close — is the caller's, before this call).
 * 4. {@link lspAggregateJobs}: the LSP aggregates every job's signature and verifies all of them with
 *    one BIP340 batch verification; on failure it verifies job by job and partial signature by
 *    partial signature to blame a participant **by proposal index** (0 = LSP, i + 1 = `clients[i]`,
 *    never a KeySort position). Blame is informational (BIP327): the caller retries from step 1 with
 *    fresh nonces (every state here is single-use) or aborts.
 *
 * Jobs are named by their **index in the session's job list**, which both sides derive the same way
 * (for the initial tree, the transaction index; for a ceremony that signs the tree and the
 * distribution together, the distribution's jobs after the tree's). A client passes only the jobs it
 * signs, with their indices ({@link IndexedJob}): its work, messages and state are O(its jobs).
 *
 * {@link signJobsSplitSimulated} runs the four steps with every party in one process.
 *
 * @module
 */

import { equalBytes as bytesEqual, type Rng } from '@superscalar/core';
import {
  aggregateBatch,
  BatchAggregationError,
  DeterministicSigner,
  decodePubnonce,
  InvalidContributionError,
  keySortWithOrder,
  MuSig2Error,
  nonceGen,
  type Point,
  type SecretNonce,
  Session,
  Signer,
} from '@superscalar/musig2';
import { curve } from '@superscalar/secp';
import { assertBytes, assertInt, assertObject } from './_assert.js';
import { InvalidArgumentError, SigningError } from './errors.js';
import type { TaprootOutput } from './transactions.js';

// ---------------------------------------------------------------------------------------------
// The job

/** What a job signs (for names, blame and checks). */
export type SigningJobKind = 'tree' | 'distribution' | 'poison' | 'settlement' | 'close';

/**
 * One MuSig2 signing job: one message, its signers in KeySort order and the key the final BIP340
 * signature must verify against. The one job type of the package: tree transactions, distribution
 * transactions, advances (new states, poisons, settlements) and the cooperative close.
 */
export interface SigningJob {
  /**
   * Stable name: `tx <index>` (a tree transaction), `distribution`, `distribution-top`,
   * `distribution-sub[g]`, `poison c=<c>`, `settlement c=<c> client=<i>`, `cooperative-close`.
   */
  readonly id: string;
  /** What is signed. */
  readonly kind: SigningJobKind;
  /** The MuSig2 message: the BIP341 sighash (key path, or script path for a poison). */
  readonly sighash: Uint8Array;
  /** Participants (0 = LSP, i + 1 = clients[i]) in the order of `pubkeys`. */
  readonly signers: readonly number[];
  /** `KeySort` of the signers' keys: the aggregation order. */
  readonly pubkeys: readonly Uint8Array[];
  /** The BIP341 TapTweak applied as an x-only tweak (key-path spends), or undefined (poison). */
  readonly tweak: Uint8Array | undefined;
  /** x-only internal key `KeyAgg(pubkeys)`. */
  readonly internalKey: Uint8Array;
  /** x-only key the final BIP340 signature must verify against. */
  readonly outputKey: Uint8Array;
}

/** What {@link signingJob} needs. */
export interface SigningJobInput {
  readonly id: string;
  readonly kind: SigningJobKind;
  readonly sighash: Uint8Array;
  /** The signers (0 = LSP, i + 1 = clients[i]), any order. */
  readonly participants: readonly number[];
  /** Participant keys indexed by participant ([LSP, clients[0], …]). */
  readonly keys: readonly Uint8Array[];
  /** The x-only tweak, or undefined for an untweaked (script-path) signature. */
  readonly tweak: Uint8Array | undefined;
  readonly internalKey: Uint8Array;
  readonly outputKey: Uint8Array;
}

/** Builds a job: sorts the signers' keys (`KeySort`) and lists the participants in that order. */
export function signingJob(input: SigningJobInput): SigningJob {
  assertObject(input, 'input');
  if (!Array.isArray(input.participants) || !Array.isArray(input.keys))
    throw new InvalidArgumentError('input', 'expected participants and keys arrays');
  const { sorted, order } = keySortWithOrder(input.participants.map((s) => input.keys[s] as Uint8Array));
  return Object.freeze({
    id: input.id,
    kind: input.kind,
    sighash: input.sighash,
    signers: Object.freeze(order.map((o) => input.participants[o] as number)),
    pubkeys: Object.freeze(sorted),
    tweak: input.tweak,
    internalKey: input.internalKey,
    outputKey: input.outputKey,
  });
}

/** What {@link keyPathJob} takes. */
export interface KeyPathJobOptions {
  readonly id: string;
  readonly kind: SigningJobKind;
  readonly sighash: Uint8Array;
  /** Proposal indices of the signers (0 = the LSP). */
  readonly participants: readonly number[];
  /** Every participant's key, by proposal index. */
  readonly keys: readonly Uint8Array[];
  /** The taproot output the job spends (its tweak and output key). */
  readonly spent: TaprootOutput;
}

/** The job of a key-path spend of the taproot output `options.spent`. */
export function keyPathJob(options: KeyPathJobOptions): SigningJob {
  assertObject(options, 'options');
  assertObject(options.spent, 'options.spent');
  return signingJob({
    id: options.id,
    kind: options.kind,
    sighash: options.sighash,
    participants: options.participants,
    keys: options.keys,
    tweak: options.spent.tweak,
    internalKey: options.spent.internalKey,
    outputKey: options.spent.outputKey,
  });
}

/** A job with its index in the session's job list (what the messages name it by). */
export interface IndexedJob {
  readonly index: number;
  readonly job: SigningJob;
}

// ---------------------------------------------------------------------------------------------
// Messages

/** Round 1, client → LSP: one public nonce per job the client signs. */
export interface JobNonces {
  /** The sender (i + 1 = clients[i]). */
  readonly participant: number;
  /** The indices of its jobs, strictly increasing. */
  readonly jobs: readonly number[];
  /** `pubnonces[j]`: the 66-byte public nonce for `jobs[j]`. */
  readonly pubnonces: readonly Uint8Array[];
}

/** Round 2, LSP → one client: the aggregate nonce of each of its jobs (the LSP's nonce included). */
export interface JobAggNonces {
  readonly participant: number;
  readonly jobs: readonly number[];
  /** `aggnonces[j]`: the 66-byte `NonceAgg` of every signer's nonce for `jobs[j]`. */
  readonly aggnonces: readonly Uint8Array[];
}

/** Round 2, client → LSP: one partial signature per job. */
export interface JobPartialSigs {
  readonly participant: number;
  readonly jobs: readonly number[];
  /** `psigs[j]`: the 32-byte partial signature for `jobs[j]`. */
  readonly psigs: readonly Uint8Array[];
}

// ---------------------------------------------------------------------------------------------
// Client

const CLIENT_TOKEN = Symbol('ClientSigningState');
let takeClient: (s: ClientSigningState) => {
  jobs: readonly SigningJob[];
  signer: Signer;
  secnonces: SecretNonce[];
};

/**
 * A client's secret signing state between round 1 and round 2: its jobs, its key and its secret
 * nonces (in memory only, never serialisable, each usable once). Round 2 consumes it; after a
 * failure or a crash the session restarts from round 1 with fresh nonces.
 */
export class ClientSigningState {
  /** The client (i + 1 = clients[i]). */
  readonly participant: number;
  /** The indices of its jobs. */
  readonly jobs: readonly number[];
  readonly #jobs: readonly SigningJob[];
  readonly #signer: Signer;
  readonly #secnonces: SecretNonce[];
  #consumed = false;

  /** @internal Built by {@link clientJobsRound1}. */
  constructor(
    token: symbol,
    participant: number,
    indices: readonly number[],
    jobs: readonly SigningJob[],
    signer: Signer,
    secnonces: SecretNonce[],
  ) {
    if (token !== CLIENT_TOKEN)
      throw new InvalidArgumentError('ClientSigningState', 'use clientJobsRound1() or clientRound1()');
    this.participant = participant;
    this.jobs = indices;
    this.#jobs = jobs;
    this.#signer = signer;
    this.#secnonces = secnonces;
  }

  /** The indices of its jobs (for the initial tree: its path's transaction indices). */
  get txs(): readonly number[] {
    return this.jobs;
  }

  /** True once round 2 ran (successfully or not): the nonces are spent. */
  get consumed(): boolean {
    return this.#consumed;
  }

  /** Never serialised (it holds secret nonces). */
  toJSON(): never {
    throw new InvalidArgumentError('ClientSigningState', 'holds secret nonces and is never serialised');
  }

  static {
    takeClient = (s) => {
      if (s.#consumed)
        throw new InvalidArgumentError(
          'state',
          'round 2 already ran with these nonces; restart from round 1 with fresh nonces',
        );
      s.#consumed = true;
      return { jobs: s.#jobs, signer: s.#signer, secnonces: s.#secnonces };
    };
  }
}

/** Options of {@link clientJobsRound1}. */
export interface ClientJobsRound1Options {
  /** The client (i + 1 = clients[i]). */
  readonly participant: number;
  /** Its 32-byte secret key (its factory key). */
  readonly secretKey: Uint8Array;
  /** The jobs it signs, by strictly increasing index; it must be a signer of each. */
  readonly jobs: readonly IndexedJob[];
  /** Randomness for the nonces (default: the CSPRNG). Inject only in tests. */
  readonly rng?: Rng;
}

/**
 * Round 1 for a client: one fresh nonce per job (BIP327 NonceGen with every optional input: its
 * secret key, the job's output key and message), so even a repeated random draw never gives two jobs
 * one nonce.
 *
 * @throws {InvalidArgumentError} a participant that is not a client, a job it does not sign, indices
 *   out of order, or a secret key that is not its key in the jobs.
 */
export function clientJobsRound1(options: ClientJobsRound1Options): {
  nonces: JobNonces;
  state: ClientSigningState;
} {
  assertObject(options, 'options');
  const { participant, secretKey, jobs, rng } = options;
  assertInt(participant, 'options.participant', 1, 2 ** 31 - 1);
  assertBytes(secretKey, 'options.secretKey', 32);
  const signer = signerFor(secretKey, 'options.secretKey');
  const indices = checkIndexedJobs(jobs, 'options.jobs', participant, signer.publicKey);
  return round1Unchecked(
    participant,
    signer,
    Uint8Array.from(secretKey),
    indices,
    jobs.map((j) => j.job),
    rng,
  );
}

/** @internal Round 1 once the arguments are checked (the tree wrapper and the simulation use it). */
export function round1Unchecked(
  participant: number,
  signer: Signer,
  sk: Uint8Array,
  indices: readonly number[],
  jobs: readonly SigningJob[],
  rng: Rng | undefined,
): { nonces: JobNonces; state: ClientSigningState } {
  const pk = signer.publicKey;
  const secnonces: SecretNonce[] = [];
  const pubnonces: Uint8Array[] = [];
  for (const job of jobs) {
    const r = nonceGen({ pk, sk, aggpk: job.outputKey, msg: job.sighash, ...(rng ? { rng } : {}) });
    secnonces.push(r.secnonce);
    pubnonces.push(r.pubnonce);
  }
  const frozen = Object.freeze([...indices]);
  return {
    nonces: Object.freeze({ participant, jobs: frozen, pubnonces: Object.freeze(pubnonces) }),
    state: new ClientSigningState(
      CLIENT_TOKEN,
      participant,
      frozen,
      Object.freeze([...jobs]),
      signer,
      secnonces,
    ),
  };
}

function checkIndexedJobs(jobs: unknown, name: string, participant: number, publicKey: Uint8Array): number[] {
  if (!Array.isArray(jobs) || jobs.length === 0)
    throw new InvalidArgumentError(name, 'expected a non-empty array of { index, job }');
  let last = -1;
  return jobs.map((e: IndexedJob, i) => {
    assertObject(e, `${name}[${i}]`);
    assertInt(e.index, `${name}[${i}].index`, last + 1, 2 ** 31 - 1);
    last = e.index;
    checkJob(e.job, `${name}[${i}].job`);
    const pos = e.job.signers.indexOf(participant);
    if (pos < 0)
      throw new InvalidArgumentError(
        `${name}[${i}].job`,
        `participant ${participant} does not sign ${e.job.id}`,
      );
    if (!bytesEqual(e.job.pubkeys[pos] as Uint8Array, publicKey))
      throw new InvalidArgumentError(
        'secretKey',
        `does not match the key of participant ${participant} in ${e.job.id}`,
      );
    return e.index;
  });
}

function checkJob(job: unknown, name: string): asserts job is SigningJob {
  assertObject(job, name);
  const j = job as unknown as SigningJob;
  assertBytes(j.sighash, `${name}.sighash`, 32);
  assertBytes(j.outputKey, `${name}.outputKey`, 32);
  if (j.tweak !== undefined) assertBytes(j.tweak, `${name}.tweak`, 32);
  if (
    !Array.isArray(j.signers) ||
    !Array.isArray(j.pubkeys) ||
    j.signers.length !== j.pubkeys.length ||
    j.signers.length < 2
  )
    throw new InvalidArgumentError(name, 'expected at least two signers, one key each');
}

function signerFor(sk: Uint8Array, name: string): Signer {
  try {
    return new Signer(sk);
  } catch (e) {
    throw new InvalidArgumentError(name, 'not a valid secret key', { cause: e });
  }
}

/** Options of {@link clientJobsRound2}. */
export interface ClientJobsRound2Options {
  /**
   * BIP327's self-verification of each partial signature before it is returned (guards against
   * computation faults that would leak the key). Default `true`: a real client keeps it.
   */
  readonly selfVerify?: boolean;
}

/**
 * Round 2 for a client: signs each of its jobs with the aggregate nonces the LSP sent. Consumes the
 * state (each secret nonce signs once). Check what the jobs sign (path, distribution, close) first.
 *
 * @throws {InvalidArgumentError} a message for another client or other jobs, or a consumed state.
 * @throws {SigningError} an undecodable aggregate nonce (blamed on the LSP, participant 0).
 */
export function clientJobsRound2(
  state: ClientSigningState,
  aggNonces: JobAggNonces,
  options: ClientJobsRound2Options = {},
): JobPartialSigs {
  if (!(state instanceof ClientSigningState))
    throw new InvalidArgumentError('state', 'expected a ClientSigningState from round 1');
  assertObject(aggNonces, 'aggNonces');
  if (aggNonces.participant !== state.participant)
    throw new InvalidArgumentError(
      'aggNonces.participant',
      `is ${String(aggNonces.participant)}, expected ${state.participant}`,
    );
  assertSameIndices(aggNonces.jobs, state.jobs, 'aggNonces.jobs');
  assertBytesList(aggNonces.aggnonces, 'aggNonces.aggnonces', state.jobs.length, 66);
  const { jobs, signer, secnonces } = takeClient(state);
  const verify = options.selfVerify !== false;
  const psigs = jobs.map((job, j) => {
    const index = state.jobs[j] as number;
    let session: Session;
    try {
      session = sessionFor(job, aggNonces.aggnonces[j] as Uint8Array);
    } catch (e) {
      if (e instanceof InvalidContributionError && e.contrib === 'aggnonce')
        throw new SigningError(index, 0, `${job.id}: the LSP's aggregate nonce does not decode`, {
          cause: e,
        });
      throw wrap(e, index, job, () => null);
    }
    return signWith(session, index, job, secnonces[j] as SecretNonce, signer, verify);
  });
  return Object.freeze({ participant: state.participant, jobs: state.jobs, psigs: Object.freeze(psigs) });
}

function sessionFor(job: SigningJob, aggnonce: Uint8Array): Session {
  return new Session({
    aggnonce,
    pubkeys: job.pubkeys,
    tweaks: job.tweak === undefined ? [] : [job.tweak],
    isXonly: job.tweak === undefined ? [] : [true],
    msg: job.sighash,
  });
}

function signWith(
  session: Session,
  index: number,
  job: SigningJob,
  secnonce: SecretNonce,
  signer: Signer,
  verify: boolean,
): Uint8Array {
  if (!bytesEqual(session.xonlyPubkey, job.outputKey))
    throw new SigningError(index, null, `${job.id}: the session key is not the key the job verifies against`);
  try {
    return signer.sign(secnonce, session, { verify });
  } catch (e) {
    throw wrap(e, index, job, () => null);
  }
}

// ---------------------------------------------------------------------------------------------
// LSP

interface LspJobState {
  readonly session: Session;
  /** Public nonces in KeySort position order (for blame). */
  readonly pubnonces: readonly Uint8Array[];
  readonly lspPsig: Uint8Array;
  readonly lspPos: number;
  readonly aggnonce: Uint8Array;
}

interface LspInner {
  readonly jobs: readonly SigningJob[];
  readonly byParticipant: ReadonlyMap<number, readonly number[]>;
  readonly states: readonly LspJobState[];
}

const LSP_TOKEN = Symbol('LspSigningState');
let readLsp: (s: LspSigningState) => LspInner;

/**
 * The LSP's state between {@link lspSignJobs} and {@link lspAggregateJobs}: one session per job, its
 * own partial signatures (which never leave it: only verified aggregate signatures are released) and
 * every client's public nonce (to blame a faulty partial signature). It holds no secret nonce.
 */
export class LspSigningState {
  readonly #inner: LspInner;

  /** @internal Built by {@link lspSignJobs}. */
  constructor(token: symbol, inner: LspInner) {
    if (token !== LSP_TOKEN)
      throw new InvalidArgumentError('LspSigningState', 'use lspSignJobs() or lspSign()');
    this.#inner = inner;
  }

  /** Number of jobs signed. */
  get size(): number {
    return this.#inner.jobs.length;
  }

  /** Not serialised (it holds the LSP's unreleased partial signatures). */
  toJSON(): never {
    throw new InvalidArgumentError('LspSigningState', 'holds unreleased partial signatures');
  }

  static {
    readLsp = (s) => s.#inner;
  }
}

/** Per client (i + 1 = clients[i]): the indices of the jobs it signs, ascending. */
export function jobsByParticipant(jobs: readonly SigningJob[]): Map<number, number[]> {
  if (!Array.isArray(jobs)) throw new InvalidArgumentError('jobs', 'expected an array of SigningJob');
  const by = new Map<number, number[]>();
  jobs.forEach((j, idx) => {
    for (const s of j.signers) {
      if (s === 0) continue;
      const l = by.get(s);
      if (l === undefined) by.set(s, [idx]);
      else l.push(idx);
    }
  });
  return new Map([...by.entries()].sort((a, b) => a[0] - b[0]));
}

/** Options of {@link lspSignJobs}. */
export interface LspSignJobsOptions {
  /** The session's whole job list (the LSP signs every job; each has at least one client). */
  readonly jobs: readonly SigningJob[];
  /** The LSP's 32-byte secret key. */
  readonly lspSecretKey: Uint8Array;
  /** One {@link JobNonces} per client that signs any job (any order), each covering exactly its jobs. */
  readonly nonces: readonly JobNonces[];
  /**
   * BIP327's self-verification of the LSP's own partial signatures. Default `false`: they never
   * leave the state and {@link lspAggregateJobs} verifies every aggregate before anything is released.
   */
  readonly selfVerify?: boolean;
}

/**
 * The LSP's round 2: for each job, `DeterministicSign(sk, NonceAgg(client nonces), KeySort(keys),
 * [tweak], [x-only], msg)` — it signs last, never holds a secret nonce, and refuses to sign a job
 * without every other signer's nonce. Returns each client's aggregate nonces for its jobs only.
 *
 * @throws {InvalidArgumentError} a missing, duplicated or malformed message, a job the LSP does not
 *   sign, or a key that is not the jobs' LSP key.
 * @throws {SigningError} a client nonce that does not decode, naming that client and the job index.
 */
export function lspSignJobs(options: LspSignJobsOptions): {
  aggNonces: JobAggNonces[];
  state: LspSigningState;
} {
  assertObject(options, 'options');
  const { jobs, lspSecretKey, nonces } = options;
  if (!Array.isArray(jobs) || jobs.length === 0)
    throw new InvalidArgumentError('options.jobs', 'expected a non-empty array of signing jobs');
  assertBytes(lspSecretKey, 'options.lspSecretKey', 32);
  let signer: DeterministicSigner;
  try {
    signer = new DeterministicSigner(lspSecretKey);
  } catch (e) {
    throw new InvalidArgumentError('options.lspSecretKey', 'not a valid secret key', { cause: e });
  }
  jobs.forEach((j, idx) => {
    checkJob(j, `options.jobs[${idx}]`);
    const lspPos = j.signers.indexOf(0);
    if (lspPos < 0) throw new InvalidArgumentError(`options.jobs[${idx}]`, `the LSP does not sign ${j.id}`);
    if (!bytesEqual(j.pubkeys[lspPos] as Uint8Array, signer.publicKey))
      throw new InvalidArgumentError('options.lspSecretKey', `does not match the LSP key of ${j.id}`);
  });
  const byParticipant = jobsByParticipant(jobs);
  const byClient = collect(byParticipant, nonces, 'options.nonces', (m) => m.pubnonces, 'pubnonces', 66);
  const decoded: ([Point, Point] | undefined)[][] = jobs.map((j) => new Array(j.signers.length));
  const encoded: Uint8Array[][] = jobs.map((j) => new Array(j.signers.length));
  for (const [p, m] of byClient) {
    m.jobs.forEach((idx, k) => {
      const job = jobs[idx] as SigningJob;
      const pn = m.pubnonces[k] as Uint8Array;
      let pts: [Point, Point];
      try {
        pts = decodePubnonce(pn, p);
      } catch (e) {
        throw new SigningError(idx, p, `${job.id}: the public nonce of participant ${p} does not decode`, {
          cause: e,
        });
      }
      const pos = job.signers.indexOf(p);
      (decoded[idx] as ([Point, Point] | undefined)[])[pos] = pts;
      (encoded[idx] as Uint8Array[])[pos] = Uint8Array.from(pn);
    });
  }
  const verify = options.selfVerify === true;
  const states: LspJobState[] = jobs.map((job, idx) => {
    const lspPos = job.signers.indexOf(0);
    const R1s: Point[] = [];
    const R2s: Point[] = [];
    const row = decoded[idx] as ([Point, Point] | undefined)[];
    for (let pos = 0; pos < job.signers.length; pos++) {
      if (pos === lspPos) continue;
      const pts = row[pos];
      // DeterministicSign is safe only once every other signer's nonce is fixed.
      if (pts === undefined)
        throw new SigningError(
          idx,
          job.signers[pos] as number,
          `${job.id}: no nonce from participant ${job.signers[pos]}`,
        );
      R1s.push(pts[0]);
      R2s.push(pts[1]);
    }
    if (R1s.length === 0)
      throw new SigningError(idx, null, `${job.id}: no client nonce (a job the LSP would sign alone)`);
    // One sum per nonce half on the curve backend (affine results, no per-term inversion).
    const R1 = curve().sum(R1s);
    const R2 = curve().sum(R2s);
    let r: ReturnType<DeterministicSigner['sign']>;
    try {
      r = signer.sign({
        aggothernonce: [R1, R2],
        pubkeys: job.pubkeys,
        tweaks: job.tweak === undefined ? [] : [job.tweak],
        isXonly: job.tweak === undefined ? [] : [true],
        msg: job.sighash,
        verify,
      });
    } catch (e) {
      // The sum of the clients' nonces is infinity in one half: nobody can be blamed alone (BIP327).
      throw wrap(e, idx, job, () => null);
    }
    if (!bytesEqual(r.session.xonlyPubkey, job.outputKey))
      throw new SigningError(idx, null, `${job.id}: the session key is not the key the job verifies against`);
    const pubnonces = encoded[idx] as Uint8Array[];
    pubnonces[lspPos] = r.pubnonce;
    return { session: r.session, pubnonces, lspPsig: r.psig, lspPos, aggnonce: r.aggnonce };
  });
  const aggNonces: JobAggNonces[] = [];
  for (const [p, idxs] of byParticipant)
    aggNonces.push(
      Object.freeze({
        participant: p,
        jobs: idxs,
        aggnonces: Object.freeze(idxs.map((i) => Uint8Array.from((states[i] as LspJobState).aggnonce))),
      }),
    );
  return {
    aggNonces,
    state: new LspSigningState(LSP_TOKEN, { jobs: Object.freeze([...jobs]), byParticipant, states }),
  };
}

/** Options of {@link lspAggregateJobs}. */
export interface LspAggregateJobsOptions {
  /** Randomness for the batch verification's multipliers (default: the CSPRNG). */
  readonly rng?: Rng;
}

/**
 * Aggregates every job's signature and verifies all of them (BIP340 batch verification against each
 * job's `outputKey`; on failure job by job, then partial signature by partial signature). Returns one
 * 64-byte signature per job, in job order.
 *
 * @param partials one {@link JobPartialSigs} per client that signs any job (any order).
 * @throws {SigningError} `tx` = the index of the first failing job, `signer` = the blamed participant
 *   (0 = LSP, i + 1 = clients[i]) or null; informational (BIP327): retry with fresh nonces.
 * @throws {InvalidArgumentError} a missing, duplicated or malformed message.
 */
export function lspAggregateJobs(
  state: LspSigningState,
  partials: readonly JobPartialSigs[],
  options: LspAggregateJobsOptions = {},
): Uint8Array[] {
  if (!(state instanceof LspSigningState))
    throw new InvalidArgumentError('state', 'expected an LspSigningState from lspSignJobs()');
  const inner = readLsp(state);
  const byClient = collect(inner.byParticipant, partials, 'partials', (m) => m.psigs, 'psigs', 32);
  const psigs: Uint8Array[][] = inner.states.map((t) => {
    const row = new Array<Uint8Array>(t.pubnonces.length);
    row[t.lspPos] = t.lspPsig;
    return row;
  });
  for (const [p, m] of byClient)
    m.jobs.forEach((idx, k) => {
      (psigs[idx] as Uint8Array[])[(inner.jobs[idx] as SigningJob).signers.indexOf(p)] = m.psigs[
        k
      ] as Uint8Array;
    });
  return aggregateAll(inner, psigs, options.rng);
}

function aggregateAll(
  inner: LspInner,
  psigs: readonly (readonly Uint8Array[])[],
  rng: Rng | undefined,
): Uint8Array[] {
  const batch = inner.states.map((t, i) => ({
    session: t.session,
    psigs: psigs[i] as readonly Uint8Array[],
    pubnonces: t.pubnonces,
  }));
  try {
    return rng === undefined ? aggregateBatch(batch) : aggregateBatch(batch, rng);
  } catch (e) {
    if (e instanceof BatchAggregationError) {
      const first = e.faults[0];
      if (first === undefined) throw new SigningError(-1, null, e.message, { cause: e });
      const job = inner.jobs[first.job] as SigningJob;
      const who = first.signers.length > 0 ? (job.signers[first.signers[0] as number] as number) : null;
      const all = e.faults
        .slice(0, 8)
        .map((f) => {
          const jb = inner.jobs[f.job] as SigningJob;
          return `${jb.id}: participant(s) ${f.signers.map((s) => jb.signers[s]).join(', ') || 'none'} (${f.contrib})`;
        })
        .join('; ');
      throw new SigningError(
        first.job,
        who,
        `${e.faults.length} job(s) failed to aggregate: ${all}${e.faults.length > 8 ? '; …' : ''}`,
        { cause: e },
      );
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Simulation

/** The steps {@link signJobsSplitSimulated} reports through `onPhase`. */
export type SigningPhase = 'clientRound1' | 'lspSign' | 'clientRound2' | 'lspAggregate' | 'done';

/** Options of {@link signJobsSplitSimulated}. */
export interface SplitSimulationOptions {
  /** Randomness for the clients' nonces and the batch verification (default: the CSPRNG). Tests only. */
  readonly rng?: Rng;
  /** Test hook: may replace a participant's partial signature for job `index` before aggregation. */
  readonly tamper?: (index: number, participant: number, psig: Uint8Array) => Uint8Array;
  /** Measurement hook: called as each step starts (`'done'` after the last). No clock is read here. */
  readonly onPhase?: (phase: SigningPhase) => void;
}

/**
 * Runs {@link clientJobsRound1} for every client, {@link lspSignJobs}, round 2 for every client and
 * {@link lspAggregateJobs} in one process. In-process the clients of a job share the LSP's session
 * for it (the values each would compute from the same aggregate nonce) and skip BIP327's self-check,
 * since every aggregate is verified right after.
 *
 * @param secretKeys indexed by participant (0 = LSP, i + 1 = clients[i]); only the signers' are read.
 * @returns one 64-byte signature per job.
 * @throws {SigningError} naming the job index and the blamed participant.
 */
export function signJobsSplitSimulated(
  jobs: readonly SigningJob[],
  secretKeys: readonly Uint8Array[],
  options: SplitSimulationOptions = {},
): Uint8Array[] {
  if (!Array.isArray(secretKeys))
    throw new InvalidArgumentError('secretKeys', 'expected an array (LSP first)');
  const phase = options.onPhase ?? (() => {});
  phase('clientRound1');
  const byParticipant = jobsByParticipant(Array.isArray(jobs) ? jobs : []);
  const round1 = [...byParticipant].map(([p, idxs]) => {
    const sk = secretKeys[p];
    assertBytes(sk, `secretKeys[${p}]`, 32);
    const signer = signerFor(sk, `secretKeys[${p}]`);
    return round1Unchecked(
      p,
      signer,
      Uint8Array.from(sk),
      idxs,
      idxs.map((i) => {
        const job = jobs[i] as SigningJob;
        if (!bytesEqual(job.pubkeys[job.signers.indexOf(p)] as Uint8Array, signer.publicKey))
          throw new InvalidArgumentError(
            `secretKeys[${p}]`,
            `does not match the key of participant ${p} in ${job.id}`,
          );
        return job;
      }),
      options.rng,
    );
  });
  phase('lspSign');
  assertBytes(secretKeys[0], 'secretKeys[0]', 32);
  const lsp = lspSignJobs({ jobs, lspSecretKey: secretKeys[0], nonces: round1.map((r) => r.nonces) });
  phase('clientRound2');
  const inner = readLsp(lsp.state);
  const partials = round1.map(({ state }) => {
    const { jobs: own, signer, secnonces } = takeClient(state);
    const psigs = own.map((job, k) => {
      const idx = state.jobs[k] as number;
      const psig = signWith(
        (inner.states[idx] as LspJobState).session,
        idx,
        job,
        secnonces[k] as SecretNonce,
        signer,
        false,
      );
      return options.tamper ? options.tamper(idx, state.participant, psig) : psig;
    });
    return { participant: state.participant, jobs: state.jobs, psigs };
  });
  phase('lspAggregate');
  let state = lsp.state;
  if (options.tamper) {
    const tamper = options.tamper;
    state = new LspSigningState(LSP_TOKEN, {
      ...inner,
      states: inner.states.map((t, i) => ({ ...t, lspPsig: tamper(i, 0, t.lspPsig) })),
    });
  }
  const sigs = lspAggregateJobs(state, partials, options.rng ? { rng: options.rng } : {});
  phase('done');
  return sigs;
}

// ---------------------------------------------------------------------------------------------
// helpers

function collect<M extends { participant: number; jobs: readonly number[] }>(
  byParticipant: ReadonlyMap<number, readonly number[]>,
  messages: readonly M[],
  name: string,
  list: (m: M) => readonly Uint8Array[],
  listName: string,
  len: number,
): Map<number, M> {
  if (!Array.isArray(messages)) throw new InvalidArgumentError(name, 'expected an array');
  if (messages.length !== byParticipant.size)
    throw new InvalidArgumentError(
      name,
      `expected one message per signing client (${byParticipant.size}), got ${messages.length}`,
    );
  const by = new Map<number, M>();
  messages.forEach((m, i) => {
    assertObject(m as unknown, `${name}[${i}]`);
    const expected = byParticipant.get(m.participant);
    if (expected === undefined)
      throw new InvalidArgumentError(
        `${name}[${i}].participant`,
        `${String(m.participant)} signs none of the jobs`,
      );
    if (by.has(m.participant))
      throw new InvalidArgumentError(`${name}[${i}].participant`, `participant ${m.participant} sent twice`);
    assertSameIndices(m.jobs, expected, `${name}[${i}].jobs`);
    assertBytesList(list(m), `${name}[${i}].${listName}`, m.jobs.length, len);
    by.set(m.participant, m);
  });
  return by;
}

function assertSameIndices(v: unknown, expected: readonly number[], name: string): void {
  if (!Array.isArray(v) || v.length !== expected.length || v.some((t, i) => t !== expected[i]))
    throw new InvalidArgumentError(
      name,
      `expected exactly the participant's jobs [${expected.join(', ')}] (one entry per job)`,
    );
}

function assertBytesList(v: unknown, name: string, count: number, len: number): void {
  if (!Array.isArray(v) || v.length !== count)
    throw new InvalidArgumentError(name, `expected ${count} item(s), one per job`);
  v.forEach((b, i) => {
    assertBytes(b, `${name}[${i}]`, len);
  });
}

// Maps a musig2 error to a SigningError for job `index`.
function wrap(e: unknown, index: number, job: SigningJob, blame: (pos: number) => number | null): unknown {
  if (e instanceof SigningError || e instanceof InvalidArgumentError) return e;
  if (e instanceof InvalidContributionError) {
    const who = e.signer === null ? null : blame(e.signer);
    return new SigningError(
      index,
      who,
      `${job.id}: invalid ${e.contrib}${who === null ? '' : ` from participant ${who}`}`,
      { cause: e },
    );
  }
  if (MuSig2Error.isInstance(e))
    return new SigningError(index, null, `${job.id}: ${e.message}`, { cause: e });
  return e;
}
