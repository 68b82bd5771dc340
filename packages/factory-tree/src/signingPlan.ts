/**
 * The signing plan and the tree-signing ceremony of brief §8 (rounds 1–3 and the aggregation of
 * step 4) for the initial tree, split by role: thin users of the job-signing API of `jobs.ts`, with
 * each tree transaction a {@link SigningJob} named by its transaction index.
 *
 * 1. {@link clientRound1}: a client draws one fresh nonce per transaction on its own root-to-leaf
 *    path and sends the public nonces.
 * 2. {@link lspSign}: the LSP signs last and statelessly with BIP327 `DeterministicSign`, and answers
 *    each client with the aggregate nonces of its path only.
 * 3. {@link clientRound2}: the client signs its path transactions.
 * 4. {@link lspAggregate}: the LSP aggregates and batch-verifies every signature, blaming by proposal
 *    index (0 = LSP, i + 1 = `clients[i]`) on failure.
 *
 * {@link signTreeSimulated} runs the four steps with every party in one process. A client that must
 * stay O(depth) uses `clientPath.ts` (its path's jobs without building the tree) and `jobs.ts`.
 *
 * @module
 */

import type { Rng } from '@superscalar/core';
import { assertBytes, assertInt, assertTree } from './_assert.js';
import { InvalidArgumentError } from './errors.js';
import {
  type ClientSigningState,
  clientJobsRound1,
  clientJobsRound2,
  keyPathJob,
  type LspSigningState,
  lspAggregateJobs,
  lspSignJobs,
  type SigningJob,
  type SigningPhase,
  signJobsSplitSimulated,
} from './jobs.js';
import type { FactoryTree } from './transactions.js';

/** The whole plan. */
export interface SigningPlan {
  /** One job per tree transaction (`id` = `tx <index>`, kind `tree`). */
  readonly txs: readonly SigningJob[];
  /** Per participant (0 = LSP, i + 1 = clients[i]): the transactions it signs, in broadcast order. */
  readonly byParticipant: readonly (readonly number[])[];
}

const plans = new WeakMap<FactoryTree, SigningPlan>();

/** Builds (once per tree object) the signing plan of a tree. */
export function signingPlan(tree: FactoryTree): SigningPlan {
  assertTree(tree);
  const cached = plans.get(tree);
  if (cached !== undefined) return cached;
  const txs = tree.txs.map((t) =>
    keyPathJob({
      id: `tx ${t.index}`,
      kind: 'tree',
      sighash: t.sighash,
      participants: t.signers,
      keys: tree.keys,
      spent: t.spentTaproot,
    }),
  );
  const byParticipant: number[][] = tree.keys.map(() => []);
  byParticipant[0] = tree.txs.map((t) => t.index);
  tree.layout.leafPaths.forEach((path, j) => {
    for (const c of tree.layout.leafClients[j] as readonly number[]) byParticipant[c + 1] = [...path];
  });
  const plan: SigningPlan = Object.freeze({
    txs: Object.freeze(txs),
    byParticipant: Object.freeze(byParticipant.map((x) => Object.freeze(x))),
  });
  plans.set(tree, plan);
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Messages (the job messages with the tree's field name `txs`)

/** Round 1, client → LSP: one public nonce per transaction of the client's path. */
export interface ClientNonces {
  /** The sender (i + 1 = clients[i]). */
  readonly participant: number;
  /** The transactions of its path, in broadcast order (`signingPlan(tree).byParticipant[participant]`). */
  readonly txs: readonly number[];
  /** `pubnonces[j]`: the 66-byte public nonce for `txs[j]`. */
  readonly pubnonces: readonly Uint8Array[];
}

/** Round 2, LSP → one client: the aggregate nonce of every transaction of that client's path. */
export interface ClientAggNonces {
  readonly participant: number;
  readonly txs: readonly number[];
  /** `aggnonces[j]`: the 66-byte `NonceAgg` of every signer's nonce for `txs[j]` (the LSP's included). */
  readonly aggnonces: readonly Uint8Array[];
}

/** Round 2, client → LSP: one partial signature per transaction of the client's path. */
export interface ClientPartialSigs {
  readonly participant: number;
  readonly txs: readonly number[];
  /** `psigs[j]`: the 32-byte partial signature for `txs[j]`. */
  readonly psigs: readonly Uint8Array[];
}

function txsOf(m: unknown, name: string): unknown {
  if (typeof m !== 'object' || m === null) throw new InvalidArgumentError(name, 'expected an object');
  return (m as { txs?: unknown }).txs;
}

// ---------------------------------------------------------------------------------------------
// Client

/** Options of {@link clientRound1}. */
export interface ClientRound1Options {
  /** Randomness for the nonces (default: the CSPRNG). Inject only in tests. */
  readonly rng?: Rng;
}

/**
 * Round 1 for client `participant` (i + 1 = clients[i]): one fresh nonce per transaction of its path
 * ({@link clientJobsRound1} over its path's jobs).
 *
 * @throws {InvalidArgumentError} a participant that is not a client, or a key that is not its proposal key.
 */
export function clientRound1(
  tree: FactoryTree,
  participant: number,
  secretKey: Uint8Array,
  options: ClientRound1Options = {},
): { nonces: ClientNonces; state: ClientSigningState } {
  assertTree(tree);
  assertInt(participant, 'participant', 1, tree.keys.length - 1);
  assertBytes(secretKey, 'secretKey', 32);
  const plan = signingPlan(tree);
  const txs = plan.byParticipant[participant] as readonly number[];
  const r = clientJobsRound1({
    participant,
    secretKey,
    jobs: txs.map((tx) => ({ index: tx, job: plan.txs[tx] as SigningJob })),
    ...(options.rng ? { rng: options.rng } : {}),
  });
  return {
    nonces: Object.freeze({ participant, txs: r.nonces.jobs, pubnonces: r.nonces.pubnonces }),
    state: r.state,
  };
}

/** Options of {@link clientRound2}. */
export interface ClientRound2Options {
  /**
   * BIP327's optional self-verification of each partial signature before it is returned. Default
   * `true`: a real client keeps it.
   */
  readonly selfVerify?: boolean;
}

/**
 * Round 2 for a client: signs every transaction of its path with the aggregate nonces the LSP sent
 * ({@link clientJobsRound2}). Consumes the state. Checking the path first is the caller's job.
 *
 * @throws {InvalidArgumentError} a message for another client or path, or a consumed state.
 * @throws {SigningError} an undecodable aggregate nonce (blamed on the LSP, participant 0).
 */
export function clientRound2(
  state: ClientSigningState,
  aggNonces: ClientAggNonces,
  options: ClientRound2Options = {},
): ClientPartialSigs {
  const m = aggNonces as ClientAggNonces | undefined;
  const r = clientJobsRound2(
    state,
    {
      participant: m?.participant as number,
      jobs: txsOf(m, 'aggNonces') as number[],
      aggnonces: m?.aggnonces as Uint8Array[],
    },
    options,
  );
  return Object.freeze({ participant: r.participant, txs: r.jobs, psigs: r.psigs });
}

// ---------------------------------------------------------------------------------------------
// LSP

/** Options of {@link lspSign}. */
export interface LspSignOptions {
  /** BIP327's self-verification of the LSP's own partial signatures (default `false`, see `lspSignJobs`). */
  readonly selfVerify?: boolean;
}

/**
 * §8 round 2, the LSP's part ({@link lspSignJobs} over every tree transaction).
 *
 * @param nonces one {@link ClientNonces} per client (any order), each covering exactly its path.
 * @throws {InvalidArgumentError} a missing, duplicated or malformed message, or a wrong LSP key.
 * @throws {SigningError} a client nonce that does not decode, naming that client.
 */
export function lspSign(
  tree: FactoryTree,
  lspSecretKey: Uint8Array,
  nonces: readonly ClientNonces[],
  options: LspSignOptions = {},
): { aggNonces: ClientAggNonces[]; state: LspSigningState } {
  assertBytes(lspSecretKey, 'lspSecretKey', 32);
  if (!Array.isArray(nonces)) throw new InvalidArgumentError('nonces', 'expected an array');
  const plan = signingPlan(tree);
  const r = lspSignJobs({
    jobs: plan.txs,
    lspSecretKey,
    nonces: nonces.map((m, i) => ({ ...m, jobs: txsOf(m, `nonces[${i}]`) as number[] })),
    ...(options.selfVerify !== undefined ? { selfVerify: options.selfVerify } : {}),
  });
  return {
    aggNonces: r.aggNonces.map((a) =>
      Object.freeze({ participant: a.participant, txs: a.jobs, aggnonces: a.aggnonces }),
    ),
    state: r.state,
  };
}

/** Options of {@link lspAggregate}. */
export interface LspAggregateOptions {
  /** Randomness for the batch verification's multipliers (default: the CSPRNG). */
  readonly rng?: Rng;
}

/**
 * §8 step 4 ({@link lspAggregateJobs}): one 64-byte signature per tree transaction.
 *
 * @throws {SigningError} naming the first failing transaction and its faulty participant.
 * @throws {InvalidArgumentError} a missing, duplicated or malformed message.
 */
export function lspAggregate(
  state: LspSigningState,
  partials: readonly ClientPartialSigs[],
  options: LspAggregateOptions = {},
): Uint8Array[] {
  if (!Array.isArray(partials)) throw new InvalidArgumentError('partials', 'expected an array');
  return lspAggregateJobs(
    state,
    partials.map((m, i) => ({ ...m, jobs: txsOf(m, `partials[${i}]`) as number[] })),
    options,
  );
}

// ---------------------------------------------------------------------------------------------
// Simulation

/** Options of {@link signTreeSimulated}. */
export interface SimulatedSigningOptions {
  /** Randomness for the clients' nonces and the batch verification (default: the CSPRNG). Tests only. */
  readonly rng?: Rng;
  /** Test hook: may replace a participant's partial signature before aggregation. Never in production. */
  readonly tamper?: (tx: number, participant: number, psig: Uint8Array) => Uint8Array;
  /** Measurement hook: called as each step starts (`'done'` after the last). No clock is read here. */
  readonly onPhase?: (phase: SigningPhase) => void;
}

/**
 * Signs every transaction of `tree` with all parties simulated in one process
 * ({@link signJobsSplitSimulated} over the signing plan).
 *
 * @param secretKeys 32-byte secret keys indexed by participant (0 = LSP, i + 1 = clients[i]).
 * @returns one 64-byte BIP340 signature per transaction.
 * @throws {SigningError} naming the transaction and the blamed participant.
 */
export function signTreeSimulated(
  tree: FactoryTree,
  secretKeys: readonly Uint8Array[],
  options: SimulatedSigningOptions = {},
): Uint8Array[] {
  assertTree(tree);
  if (!Array.isArray(secretKeys) || secretKeys.length !== tree.keys.length)
    throw new InvalidArgumentError('secretKeys', `expected ${tree.keys.length} keys (LSP first)`);
  secretKeys.forEach((sk, i) => {
    assertBytes(sk, `secretKeys[${i}]`, 32);
  });
  return signJobsSplitSimulated(signingPlan(tree).txs, secretKeys, options);
}
