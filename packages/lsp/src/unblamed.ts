/**
 * Signing failures nobody can be blamed for (brief §5.1, §8 step 4; BIP327), and what the LSP makes
 * of them.
 *
 * **What BIP327 says, and what our musig2 does** (checked against `vectors/bip327`):
 * - `NonceAgg` encodes an infinite sum as 33 zero bytes (`cbytes_ext`; nonce_agg vector "Sum of
 *   second points … point at infinity"), and `Sign` accepts such an aggregate nonce and signs with
 *   `R = G` when `R'_1 + b⋅R'_2` is infinity (sign_verify vector "Both halves of aggregate nonce
 *   correspond to point at infinity"). With `R = G` no aggregate can verify (`s⋅G = e⋅Q ≠ G + e⋅Q`):
 *   musig2's `aggregateBatch` reports `'infinite-nonce'` with every partial valid and nobody blamed.
 * - `DeterministicSign` (how the LSP signs last, so it never holds a secret nonce) decodes
 *   `aggothernonce` with `cpoint`, not `cpoint_ext`: an infinite half **must fail**, blaming nobody
 *   (det_sign vector "aggothernonce is invalid because first half corresponds to point at
 *   infinity"). So nonces the clients choose to cancel are not harmless here: BIP327 forbids the LSP
 *   to sign, and following BIP327 exactly (we do) cannot make the cancellation go away.
 *
 * With the LSP's own nonce derived from the others' (DeterministicSign), the full aggregate is
 * infinite only by chance (≈ 2^-128), so in practice every unblamed failure of our sessions is the
 * `aggothernonce` one: the clients' nonces of one job sum to infinity.
 *
 * **What the LSP can prove** (to itself; BIP327 notes an aggregator's blame is informational to
 * others): it sends no client any other client's nonce before every nonce of the round is in (round
 * 2 sends only aggregates, each including the LSP's own), and nonces are fresh per attempt. An
 * honest client's nonce is then uniform and unknown to the others when they choose theirs, so a
 * job's client nonces cancel only if **every** client signer of that job chose its nonce knowing
 * the others' secrets: one party registered under all of those keys, or colluders. Nobody else can
 * be framed (a cheater cannot cancel an honest nonce it has not seen).
 *
 * @module
 */
import type { FactoryTree, SigningJob } from '@superscalar/factory-tree';
import { SigningError } from '@superscalar/factory-tree';
import { BatchAggregationError, InvalidContributionError } from '@superscalar/musig2';

/**
 * The job index when `e` is `lspSignJobs`' failure on client nonces that sum to infinity (BIP327
 * `DeterministicSign` refusing an infinite `aggothernonce`, nobody blamed), else null.
 */
export function cancellingJob(e: unknown): number | null {
  if (!SigningError.isInstance(e)) return null;
  const err = e as SigningError;
  const cause = (err as { cause?: unknown }).cause;
  if (err.signer !== null || !InvalidContributionError.isInstance(cause)) return null;
  const c = cause as InvalidContributionError;
  return c.signer === null && c.contrib === 'aggothernonce' ? err.tx : null;
}

/**
 * True when `e` is `lspAggregateJobs`' failure in which no failing job blames anyone (musig2's
 * `'infinite-nonce'` or `'aggnonce'`: every partial signature valid, the aggregate not).
 */
export function unblamedAggregate(e: unknown): boolean {
  if (!SigningError.isInstance(e) || (e as SigningError).signer !== null) return false;
  const cause = (e as { cause?: unknown }).cause;
  return (
    BatchAggregationError.isInstance(cause) &&
    (cause as BatchAggregationError).faults.every((f) => f.signers.length === 0)
  );
}

/** The clients (i + 1 = clients[i]) that sign `job` with the LSP, in increasing order. */
export function clientSigners(job: SigningJob): number[] {
  return job.signers.filter((p) => p !== 0).sort((a, b) => a - b);
}

/** The leaf whose kickoff or state tree transaction `tx` is, else null (interior nodes, other jobs). */
export function leafOfTx(tree: FactoryTree, tx: number): number | null {
  const t = tree.txs[tx];
  if (t === undefined) return null;
  const leaf = tree.layout.leafPaths.findIndex((p) => tree.txs[p[p.length - 1] as number]?.node === t.node);
  return leaf < 0 ? null : leaf;
}
