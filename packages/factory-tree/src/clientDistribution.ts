/**
 * The distribution as one client sees it (brief §6, §8 rounds 1 and 4): built from its path (the
 * proposal, layout, keys and funding output; no tree transaction), the jobs it signs — the top or
 * single distribution and its own sub-distribution — and its verifier of the signed transactions.
 * The distribution pays every client, so it is O(N) bytes by design (§8).
 *
 * @module
 */
import { equalBytes as bytesEqual } from '@superscalar/core';
import { schnorrVerify } from '@superscalar/musig2';
import { encodeTx, type TxIn, type TxOut } from '@superscalar/tx';
import { assertInt, assertObject, assertTree } from './_assert.js';
import type { ClientPath } from './clientPath.js';
import {
  buildDistribution,
  DISTRIBUTION_SEQUENCE,
  type Distribution,
  type DistributionOptions,
  type DistributionTx,
  distributionSigningPlan,
} from './distribution.js';
import { InvalidArgumentError, PathVerificationError } from './errors.js';
import type { IndexedJob } from './jobs.js';
import type { Proposal } from './proposal.js';
import { signingPlan } from './signingPlan.js';
import type { FactoryTree } from './transactions.js';

function fail(tx: number, label: string, fault: PathVerificationError['fault'], message: string): never {
  throw new PathVerificationError(tx, fault, message, { label });
}

/** The distribution as one client sees it. */
export interface ClientDistribution {
  readonly distribution: Distribution;
  /** The client (index into `clients[]`). */
  readonly client: number;
  /** The distribution transactions it signs: the top (or single) one and its own sub-distribution. */
  readonly txs: readonly DistributionTx[];
  /** Their positions in `distribution.txs` (the wire's distribution index). */
  readonly positions: readonly number[];
  /** Their signing jobs; `index` = `firstIndex + position` (the session's job index). */
  readonly jobs: readonly IndexedJob[];
}

/** Options of {@link clientDistribution}. */
export interface ClientDistributionOptions extends DistributionOptions {
  /**
   * The session index of the first distribution job (default: the number of tree transactions, the
   * distribution's jobs coming right after the tree's, as `ceremonyJobs` lists them).
   */
  readonly firstIndex?: number;
}

/**
 * Builds the distribution (§6) from the client's path (no tree transaction needed) and the jobs the
 * client signs in it. Refuses a distribution that does not pay the client at least its capacity at
 * its close address, or whose lock time or nSequence is not §6's.
 *
 * @throws {PathVerificationError} `client-mismatch` or `tx-mismatch` (tx -2, labelled by role).
 */
export function clientDistribution(
  path: ClientPath,
  options: ClientDistributionOptions = {},
): ClientDistribution {
  assertObject(path, 'path');
  const dist = buildDistribution(path, options.maxVsize === undefined ? {} : { maxVsize: options.maxVsize });
  const first = options.firstIndex ?? path.layout.txs.length;
  assertInt(first, 'options.firstIndex', 0, 2 ** 31 - 1);
  const plan = distributionSigningPlan(path, dist);
  const positions = plan.byParticipant[path.client + 1] as readonly number[];
  const me = path.proposal.clients[path.client] as Proposal['clients'][number];
  for (const t of dist.txs) {
    const label = `distribution ${t.role}${t.role === 'sub' ? `[${t.group}]` : ''}`;
    const input = t.tx.inputs[0] as TxIn;
    if (t.tx.locktime !== dist.tDist || input.sequence !== DISTRIBUTION_SEQUENCE)
      fail(-2, label, 'tx-mismatch', 'not nLockTime T_dist with nSequence 0xFFFFFFFE');
  }
  const mine = dist.txs.find((t) => t.role !== 'top' && t.clients.includes(path.client)) as DistributionTx;
  const out = mine.tx.outputs[mine.clients.indexOf(path.client)] as TxOut;
  if (!bytesEqual(out.script, me.closeScript) || out.value < me.capacity)
    fail(
      -2,
      'distribution',
      'client-mismatch',
      "does not pay the client's close address at least its capacity",
    );
  return Object.freeze({
    distribution: dist,
    client: path.client,
    txs: Object.freeze(positions.map((j) => dist.txs[j] as DistributionTx)),
    positions,
    jobs: Object.freeze(
      positions.map((j) => Object.freeze({ index: first + j, job: plan.jobs[j] as IndexedJob['job'] })),
    ),
  });
}

/** A final signature for a distribution transaction, by its position in `distribution.txs`. */
export interface DistributionSignatureEntry {
  readonly index: number;
  readonly signature: Uint8Array;
}

/**
 * The client's distribution verifier (§8 step 4): each distribution transaction it signed must come
 * back with a 64-byte BIP340 signature that verifies against the spent output's tweaked key. Returns
 * the signed transactions, in `cd.txs` order, ready to store and broadcast from `T_dist`.
 *
 * @throws {PathVerificationError} `missing-tx` or `signature-invalid`, labelled by role.
 */
export function checkSignedDistribution(
  cd: ClientDistribution,
  signatures: readonly DistributionSignatureEntry[],
): Uint8Array[] {
  if (!Array.isArray(signatures))
    throw new InvalidArgumentError('signatures', 'expected an array of { index, signature }');
  return cd.txs.map((t, k) => {
    const pos = cd.positions[k] as number;
    const label = `distribution ${t.role}${t.role === 'sub' ? `[${t.group}]` : ''}`;
    const entry = signatures.find((s) => s?.index === pos);
    if (entry === undefined || !(entry.signature instanceof Uint8Array) || entry.signature.length !== 64)
      fail(-2, label, 'missing-tx', 'no 64-byte signature');
    if (!schnorrVerify(entry.signature, t.sighash, t.spentTaproot.outputKey))
      fail(-2, label, 'signature-invalid', "the signature does not verify against the spent output's key");
    return encodeTx(t.tx, [[entry.signature]]);
  });
}

/** The LSP's session jobs for the ceremony: every tree transaction, then the distribution's (§8 round 1). */
export function ceremonyJobs(tree: FactoryTree, dist: Distribution): IndexedJob['job'][] {
  assertTree(tree);
  assertObject(dist, 'dist');
  return [...signingPlan(tree).txs, ...distributionSigningPlan(tree, dist).jobs];
}
