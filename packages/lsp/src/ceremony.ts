/**
 * The signing ceremony, LSP side (roles memo §3 steps 4, 6 and 9; brief §8 rounds 1–4):
 *
 * - round 1: each client's `factory_nonces` must be exactly its jobs for the current attempt — the
 *   transactions of its path by (index, kind) and its distribution transactions by position — or it
 *   is dropped; a duplicate is ignored, another attempt's nonces are stale;
 * - round 2: when every nonce is in, `lspSignJobs` (BIP327 DeterministicSign: the LSP signs last and
 *   holds no secret nonce) answers each client with the aggregate nonces of its own jobs (O(depth));
 * - aggregation: `lspAggregateJobs` verifies every signature; on a failure it blames a participant,
 *   and the LSP retries with fresh nonces (`factory_reestablish` naming the next attempt) up to
 *   `maxSigningAttempts`, then aborts without the blamed client. On success every signature is
 *   persisted before `factory_signed` leaves;
 * - cancelling nonces: when the client nonces of one job sum to infinity, round 2 cannot sign
 *   (BIP327 `DeterministicSign`) and nobody is blamed by the protocol; the LSP aborts at once
 *   (`CancellingNoncesError`, no fresh attempt) and re-forms without every client signer of that job
 *   (`unblamed.ts` says why that is what the LSP can prove);
 * - stalls: a client that owes the current step past `stepTimeoutMs` is dropped; an abort releases the
 *   funding reservation (nothing that spends it was signed), journals `CeremonyAborted`, tells every
 *   client (`factory_abort`), benches the dropped clients and lets the others form again.
 *
 * @module
 */
import { equalBytes, toHex } from '@superscalar/core';
import {
  buildDistribution,
  buildTree,
  ceremonyJobs,
  type JobNonces,
  type JobPartialSigs,
  jobsByParticipant,
  lspAggregateJobs,
  lspSignJobs,
  SigningError,
} from '@superscalar/factory-tree';
import {
  type EncodedMessage,
  type FactoryAbort,
  FactoryAbortReason,
  type FactoryNonces,
  type FactoryPsigs,
  type FactorySigned,
  preEncodeMessage,
} from '@superscalar/wire';
import type { Built, LspCore, LspFactory } from './_core.js';
import { channelSetupMessage, discardChannels } from './channels.js';
import { deleteBlob, proposalKey, putSignatures, sigsKey } from './codec.js';
import {
  CancellingNoncesError,
  ClientAbortedError,
  type InvalidChannelSetupError,
  InvalidNoncesError,
  InvalidPartialError,
  InvariantError,
  NotParticipantError,
  StaleMessageError,
  UnexpectedMessageError,
  UnknownFactoryError,
} from './errors.js';
import type { LspEvent } from './events.js';
import type { PeerId } from './io.js';
import { guardFactoryTree } from './tower.js';
import { cancellingJob, clientSigners, leafOfTx } from './unblamed.js';

type AbortReason = Extract<LspEvent, { kind: 'CeremonyAborted' }>['reason'];

const WIRE_REASON: Readonly<Record<AbortReason, number>> = {
  timeout: FactoryAbortReason.TIMEOUT,
  invalid_proposal: FactoryAbortReason.INVALID_PROPOSAL,
  signing_failed: FactoryAbortReason.SIGNING_FAILED,
  funding_failed: FactoryAbortReason.FUNDING_FAILED,
  client_withdrew: FactoryAbortReason.CLIENT_WITHDREW,
};

/** The tree, distribution and jobs of `f`, built once per process. */
export function built(f: LspFactory): Built {
  if (f.built === null) {
    const tree = buildTree(f.proposal);
    const dist = buildDistribution(tree);
    const jobs = ceremonyJobs(tree, dist);
    f.built = { tree, dist, jobs, byParticipant: jobsByParticipant(jobs) };
  }
  return f.built;
}

/** A message's factory and the sender's client index, or the typed refusal. */
export function participantOf(
  core: LspCore,
  peer: PeerId,
  factoryId: Uint8Array,
): { f: LspFactory; client: number } {
  const idHex = toHex(factoryId);
  const f = core.factories.get(idHex);
  if (f === undefined) {
    if (core.finished.has(idHex))
      throw new StaleMessageError(peer, 'a message for a factory that ended', { factoryId: idHex });
    throw new UnknownFactoryError(peer, idHex);
  }
  const client = f.participants.indexOf(peer);
  if (client < 0) throw new NotParticipantError(peer, idHex);
  return { f, client };
}

/** Starts collecting round-1 nonces for `f.attempt`. */
export function startRound(core: LspCore, f: LspFactory): void {
  f.round = { attempt: f.attempt, nonces: new Map(), lspState: null, agg: new Map(), psigs: new Map() };
  f.step = 'nonces';
  f.deadline = core.now + core.policy.stepTimeoutMs;
}

/**
 * A fresh signing attempt (fresh nonces from every client): after a signing failure (`signing`) or
 * a reconnection or restart that may have lost nonces (`restart`, counted apart and bounded).
 */
export function newAttempt(core: LspCore, f: LspFactory, why: 'signing' | 'restart', cause?: number): void {
  if (why === 'restart') {
    if (cause !== undefined) f.restartsBy.set(cause, (f.restartsBy.get(cause) ?? 0) + 1);
    if (f.restarts >= core.policy.maxReconnectRestarts) {
      // Drop the clients whose reconnections restarted the ceremony most (else those away now).
      const most = Math.max(0, ...f.restartsBy.values());
      const culprits =
        most > 0
          ? [...f.restartsBy].filter(([, n]) => n === most).map(([c]) => c)
          : f.participants.map((_, c) => c).filter((c) => !core.connected.has(f.participants[c] as string));
      abortCeremony(
        core,
        f,
        'timeout',
        culprits.sort((a, b) => a - b),
        'too many interrupted attempts',
      );
      return;
    }
    f.restarts++;
  }
  if (f.attempt >= 255) {
    abortCeremony(core, f, 'timeout', [], 'no attempt number left');
    return;
  }
  f.attempt++;
  core.saveFactory(f);
  startRound(core, f);
  core.log('info', 'fresh signing attempt', { factoryId: f.idHex, attempt: f.attempt, why });
  f.participants.forEach((peer, client) => {
    if (core.connected.has(peer)) sendCeremonyState(core, f, client);
  });
}

/** The LSP's view of client `client`'s ceremony step (what `factory_reestablish` names). */
export function lspStep(f: LspFactory, client: number) {
  if (f.phase === 'funded') return 'funded' as const;
  if (f.step === 'channels')
    return f.channels[client]?.channel?.phase === 'normal' ? ('channels' as const) : ('signed' as const);
  const r = f.round;
  if (r === null || !r.nonces.has(client)) return 'proposed' as const;
  return r.agg.has(client) ? ('agg_nonces' as const) : ('nonces' as const);
}

/**
 * Sends `client` the ceremony's state: `factory_propose` again if it never answered in this process
 * (it may not have stored it), then `factory_reestablish`; step `proposed` asks for fresh nonces.
 */
export function sendCeremonyState(core: LspCore, f: LspFactory, client: number): void {
  const peer = f.participants[client] as string;
  if (!f.heard.has(client) && f.step !== 'channels') sendPropose(core, f, peer);
  core.send(peer, {
    type: 'factory_reestablish',
    factoryId: f.id,
    phase: 'ceremony',
    ceremony: { attempt: f.attempt, step: lspStep(f, client) },
  });
}

// Each factory's `factory_propose`, encoded once (memory only: made again after a restart). The same
// O(N) message goes to each of the N clients; encoding it per client checked every key and close
// script on the curve N times (O(N²): 45 % of the LSP's CPU at N = 1,024).
const proposeMessages = new WeakMap<LspFactory, EncodedMessage>();

/** Sends `peer` the factory's `factory_propose`: the same bytes for every client, encoded once. */
export function sendPropose(core: LspCore, f: LspFactory, peer: PeerId): void {
  let encoded = proposeMessages.get(f);
  if (encoded === undefined) {
    encoded = preEncodeMessage({ type: 'factory_propose', proposal: f.proposal, fundingTx: f.fundingTx });
    proposeMessages.set(f, encoded);
  }
  core.out.sendEncoded(peer, encoded);
}

/** Client `client`'s job indices, split into tree transactions and distribution positions. */
function jobsOf(b: Built, client: number): { tree: number[]; dist: number[] } {
  const all = b.byParticipant.get(client + 1) ?? [];
  const n = b.tree.txs.length;
  return { tree: all.filter((j) => j < n), dist: all.filter((j) => j >= n).map((j) => j - n) };
}

function checkAttempt(f: LspFactory, peer: PeerId, client: number, attempt: number, what: string): void {
  const r = f.round;
  if (f.phase !== 'ceremony' || f.step === 'channels' || r === null || attempt < r.attempt)
    throw new StaleMessageError(
      peer,
      `${what} of attempt ${attempt} (the LSP is at ${f.attempt}, ${f.step})`,
      {
        factoryId: f.idHex,
      },
    );
  if (attempt > r.attempt)
    throw new InvalidNoncesError(
      peer,
      client + 1,
      `${what} for attempt ${attempt}, ahead of the LSP's ${r.attempt}`,
      {
        factoryId: f.idHex,
      },
    );
}

/** `factory_nonces` (round 1). */
export function onNonces(core: LspCore, peer: PeerId, m: FactoryNonces): void {
  const { f, client } = participantOf(core, peer, m.factoryId);
  checkAttempt(f, peer, client, m.attempt, 'factory_nonces');
  const r = f.round as NonNullable<LspFactory['round']>;
  const had = r.nonces.get(client);
  if (had !== undefined) {
    if (sameNonces(had, m))
      throw new StaleMessageError(peer, 'a repeated factory_nonces', { factoryId: f.idHex });
    throw new InvalidNoncesError(
      peer,
      client + 1,
      'a second, different factory_nonces for the same attempt',
      {
        factoryId: f.idHex,
      },
    );
  }
  if (f.step !== 'nonces')
    throw new UnexpectedMessageError(peer, 'factory_nonces after round 2 started', { factoryId: f.idHex });
  const b = built(f);
  const want = jobsOf(b, client);
  const got = m.nonces.map((n) => n.tx);
  if (got.length !== want.tree.length || got.some((t, i) => t !== want.tree[i]))
    throw new InvalidNoncesError(
      peer,
      client + 1,
      `nonces for transactions [${got.join(',')}], its path is [${want.tree.join(',')}]`,
      { factoryId: f.idHex },
    );
  for (const n of m.nonces)
    if (n.kind !== b.tree.txs[n.tx]?.kind)
      throw new InvalidNoncesError(
        peer,
        client + 1,
        `tx ${n.tx} is a ${b.tree.txs[n.tx]?.kind}, not a ${n.kind}`,
        {
          factoryId: f.idHex,
        },
      );
  const gotDist = m.distributionNonces.map((n) => n.index);
  if (gotDist.length !== want.dist.length || gotDist.some((t, i) => t !== want.dist[i]))
    throw new InvalidNoncesError(
      peer,
      client + 1,
      `distribution nonces [${gotDist.join(',')}], it signs [${want.dist.join(',')}]`,
      { factoryId: f.idHex },
    );
  r.nonces.set(client, m);
  f.heard.add(client);
  if (r.nonces.size === f.participants.length) signRound(core, f);
}

function sameNonces(a: FactoryNonces, b: FactoryNonces): boolean {
  return (
    a.nonces.length === b.nonces.length &&
    a.nonces.every((n, i) => equalBytes(n.pubnonce, (b.nonces[i] as (typeof b.nonces)[number]).pubnonce)) &&
    a.distributionNonces.length === b.distributionNonces.length &&
    a.distributionNonces.every((n, i) =>
      equalBytes(n.pubnonce, (b.distributionNonces[i] as (typeof b.distributionNonces)[number]).pubnonce),
    )
  );
}

/** Round 2: DeterministicSign over every client's nonces, then each client its aggregate nonces. */
function signRound(core: LspCore, f: LspFactory): void {
  const b = built(f);
  const r = f.round as NonNullable<LspFactory['round']>;
  const n = b.tree.txs.length;
  const nonces: JobNonces[] = [...r.nonces].map(([client, m]) => ({
    participant: client + 1,
    jobs: [...m.nonces.map((x) => x.tx), ...m.distributionNonces.map((x) => x.index + n)],
    pubnonces: [...m.nonces.map((x) => x.pubnonce), ...m.distributionNonces.map((x) => x.pubnonce)],
  }));
  let signed: ReturnType<typeof lspSignJobs>;
  try {
    signed = lspSignJobs({
      jobs: b.jobs,
      lspSecretKey: core.keys.factoryKey(f.index).secretKey,
      nonces,
    });
  } catch (e) {
    const cancelled = cancellingJob(e);
    if (cancelled !== null) {
      cancellingNonces(core, f, cancelled, e);
      return;
    }
    if (SigningError.isInstance(e) && e.signer !== null && e.signer > 0) {
      const client = e.signer - 1;
      throw new InvalidNoncesError(
        f.participants[client] as string,
        e.signer,
        `a nonce does not decode: ${e.message}`,
        {
          factoryId: f.idHex,
          cause: e,
        },
      );
    }
    throw e;
  }
  r.lspState = signed.state;
  f.step = 'psigs';
  f.deadline = core.now + core.policy.stepTimeoutMs;
  for (const a of signed.aggNonces) {
    const client = a.participant - 1;
    const msg = {
      type: 'factory_agg_nonces' as const,
      factoryId: f.id,
      attempt: r.attempt,
      aggNonces: a.jobs
        .map((j, k) => ({ j, k }))
        .filter(({ j }) => j < n)
        .map(({ j, k }) => ({
          tx: j,
          kind: b.tree.txs[j]?.kind ?? 'kickoff',
          aggnonce: a.aggnonces[k] as Uint8Array,
        })),
      distributionAggNonces: a.jobs
        .map((j, k) => ({ j, k }))
        .filter(({ j }) => j >= n)
        .map(({ j, k }) => ({ index: j - n, aggnonce: a.aggnonces[k] as Uint8Array })),
    };
    r.agg.set(client, msg);
    const peer = f.participants[client] as string;
    if (core.connected.has(peer)) core.send(peer, msg);
  }
}

/**
 * The client nonces of job `job` sum to infinity (round 2 cannot sign, BIP327): the ceremony is
 * aborted at once, without a fresh attempt, and re-forms without **every** client signer of that job
 * (`CancellingNoncesError`; see `unblamed.ts`). Why this rule: the LSP knows those clients chose
 * their nonces together (an honest nonce is unseen and uniform, so it cannot be cancelled), and
 * nobody else is affected by the drop; a fresh attempt would only let the same party cancel again
 * (brief §8 step 4's retries, meant for a partial signature that fails, would multiply the stall by
 * `maxSigningAttempts` for every formation). Nothing was signed: no client received an aggregate
 * nonce of this attempt.
 */
function cancellingNonces(core: LspCore, f: LspFactory, job: number, cause: unknown): void {
  const b = built(f);
  const j = b.jobs[job] as (typeof b.jobs)[number];
  const participants = clientSigners(j);
  const leaf = leafOfTx(b.tree, job);
  const err = new CancellingNoncesError(
    { factoryId: f.idHex, tx: job, job: j.id, leaf, participants, cause },
    `${j.id}${leaf === null ? '' : ` (leaf ${leaf})`}: the nonces of its client signers [${participants.join(', ')}] sum to infinity; ` +
      'only signers that know each other’s nonces can do that: all of them are left out',
  );
  core.log('warn', 'client nonces cancel', { factoryId: f.idHex, job: j.id, leaf, participants }, err);
  abortCeremony(
    core,
    f,
    'signing_failed',
    participants.map((p) => p - 1),
    err.message,
    err.code,
  );
}

/** Resends round 2 to a client that reconnected still holding its nonces. */
export function resendAggNonces(core: LspCore, f: LspFactory, client: number): boolean {
  const m = f.round?.agg.get(client);
  if (m === undefined) return false;
  core.send(f.participants[client] as string, m);
  return true;
}

/** `factory_psigs` (round 2). */
export function onPsigs(core: LspCore, peer: PeerId, m: FactoryPsigs): void {
  const { f, client } = participantOf(core, peer, m.factoryId);
  checkAttempt(f, peer, client, m.attempt, 'factory_psigs');
  const r = f.round as NonNullable<LspFactory['round']>;
  if (f.step !== 'psigs' || !r.agg.has(client))
    throw new UnexpectedMessageError(peer, 'factory_psigs before its aggregate nonces', {
      factoryId: f.idHex,
    });
  if (r.psigs.has(client))
    throw new StaleMessageError(peer, 'a repeated factory_psigs', { factoryId: f.idHex });
  const want = jobsOf(built(f), client);
  const got = m.psigs.map((x) => x.tx);
  const gotDist = m.distributionPsigs.map((x) => x.index);
  if (
    got.length !== want.tree.length ||
    got.some((t, i) => t !== want.tree[i]) ||
    gotDist.length !== want.dist.length ||
    gotDist.some((t, i) => t !== want.dist[i])
  )
    throw new InvalidPartialError(peer, client + 1, 'partial signatures for other jobs than its own', {
      factoryId: f.idHex,
    });
  r.psigs.set(client, m);
  if (r.psigs.size === f.participants.length) aggregate(core, f);
}

function aggregate(core: LspCore, f: LspFactory): void {
  const b = built(f);
  const r = f.round as NonNullable<LspFactory['round']>;
  const n = b.tree.txs.length;
  const partials: JobPartialSigs[] = [...r.psigs].map(([client, m]) => ({
    participant: client + 1,
    jobs: [...m.psigs.map((x) => x.tx), ...m.distributionPsigs.map((x) => x.index + n)],
    psigs: [...m.psigs.map((x) => x.psig), ...m.distributionPsigs.map((x) => x.psig)],
  }));
  let sigs: Uint8Array[];
  try {
    sigs = lspAggregateJobs(
      r.lspState as NonNullable<typeof r.lspState>,
      partials,
      core.deps.rng ? { rng: core.deps.rng } : {},
    );
  } catch (e) {
    if (!SigningError.isInstance(e)) throw e;
    signingFailed(core, f, e.signer, e.message);
    return;
  }
  f.signatures = sigs;
  f.round = null;
  f.step = 'channels';
  f.deadline = core.now + core.policy.stepTimeoutMs;
  core.persist([putSignatures(f.idHex, sigs)]);
  guardFactoryTree(core, f);
  core.saveFactory(f);
  core.event({ kind: 'FactorySigned', factoryId: f.idHex, attempt: f.attempt });
  core.log('info', 'factory signed', { factoryId: f.idHex, attempt: f.attempt });
  f.participants.forEach((peer, client) => {
    if (core.connected.has(peer)) sendSigned(core, f, client);
  });
}

/** A failed aggregate: retry with fresh nonces, or abort without the blamed client. */
function signingFailed(core: LspCore, f: LspFactory, signer: number | null, why: string): void {
  f.signingFailures++;
  f.lastBlamed = signer;
  core.log('warn', 'signing attempt failed', { factoryId: f.idHex, attempt: f.attempt, blamed: signer, why });
  if (signer === 0) {
    // Our own partial: a bug, not the clients' fault. Retry (bounded) without blaming anyone.
    core.event({ kind: 'InvariantViolated', invariant: 'ceremony: the LSP partial', message: why });
  }
  if (f.signingFailures < core.policy.maxSigningAttempts) {
    newAttempt(core, f, 'signing');
    return;
  }
  const blamed = signer !== null && signer > 0 ? [signer - 1] : [];
  abortCeremony(core, f, 'signing_failed', blamed, `signing failed ${f.signingFailures} times: ${why}`);
}

/** `factory_signed` (the client's path and distribution signatures) and the LSP's `channel_setup`. */
export function sendSigned(core: LspCore, f: LspFactory, client: number): void {
  const sigs = f.signatures;
  if (sigs === null) throw new InvariantError('ceremony', 'factory_signed without signatures');
  const b = built(f);
  const want = jobsOf(b, client);
  const n = b.tree.txs.length;
  const msg: FactorySigned = {
    type: 'factory_signed',
    factoryId: f.id,
    signatures: want.tree.map((tx) => ({ tx, signature: sigs[tx] as Uint8Array })),
    distributionSignatures: want.dist.map((index) => ({ index, signature: sigs[index + n] as Uint8Array })),
  };
  const peer = f.participants[client] as string;
  core.send(peer, msg);
  core.send(peer, channelSetupMessage(core, f, client));
}

/**
 * Aborts `f` before funding (roles memo §3 step 9): releases the funding's inputs, tombstones the
 * factory, journals `CeremonyAborted`, sends `factory_abort` to every connected client, benches
 * `dropped` (client indices) and lets the others form again.
 */
export function abortCeremony(
  core: LspCore,
  f: LspFactory,
  reason: AbortReason,
  dropped: readonly number[],
  text: string,
  code?: string,
): void {
  if (f.phase !== 'ceremony') throw new InvariantError('ceremony', `abort of a factory in phase ${f.phase}`);
  core.persist(core.deps.wallet.release(f.owner));
  discardChannels(core, f);
  f.phase = 'aborted';
  f.round = null;
  f.deadline = null;
  core.saveFactory(f);
  core.persist([deleteBlob(proposalKey(f.idHex)), deleteBlob(sigsKey(f.idHex))]);
  const blamed = dropped[0] === undefined ? undefined : dropped[0] + 1;
  const droppedPeers = dropped.map((c) => f.participants[c] as string);
  core.event({
    kind: 'CeremonyAborted',
    factoryId: f.idHex,
    reason,
    text,
    ...(blamed === undefined ? {} : { blamed }),
    dropped: droppedPeers,
    ...(code === undefined ? {} : { code }),
  });
  core.log('warn', 'ceremony aborted', { factoryId: f.idHex, reason, text, dropped: droppedPeers });
  const msg: FactoryAbort = {
    type: 'factory_abort',
    factoryId: f.id,
    reason: WIRE_REASON[reason],
    text,
    ...(blamed === undefined ? {} : { blamed }),
  };
  for (const peer of f.participants) if (core.connected.has(peer)) core.send(peer, msg);
  for (const p of droppedPeers) core.benched.set(p, core.now + core.policy.benchMs);
  const others = f.participants.filter((p) => !droppedPeers.includes(p));
  core.reform = others.length > 0 ? { peers: new Set(others), since: core.now } : null;
  core.finish(f);
}

/** `factory_abort` from a client: it refused the proposal or withdrew; before funding it is dropped. */
export function onClientAbort(core: LspCore, peer: PeerId, m: FactoryAbort): void {
  const { f, client } = participantOf(core, peer, m.factoryId);
  if (f.phase !== 'ceremony')
    throw new UnexpectedMessageError(peer, `factory_abort in phase ${f.phase}: ignored`, {
      factoryId: f.idHex,
    });
  throw new ClientAbortedError(peer, client + 1, m.reason, m.text, { factoryId: f.idHex });
}

/** The abort a client's fault (consequence `abort`) leads to. */
export function abortFor(
  core: LspCore,
  e: InvalidNoncesError | InvalidPartialError | ClientAbortedError | InvalidChannelSetupError,
): void {
  const f = e.factoryId === undefined ? undefined : core.factories.get(e.factoryId);
  if (f === undefined || f.phase !== 'ceremony') return;
  const client = e.participant - 1;
  if (ClientAbortedError.isInstance(e)) {
    const reason = e.reason === FactoryAbortReason.INVALID_PROPOSAL ? 'invalid_proposal' : 'client_withdrew';
    abortCeremony(core, f, reason, [client], e.message);
    return;
  }
  abortCeremony(core, f, 'signing_failed', [client], e.message);
}

/** Timers: clients owing the current step past the deadline are dropped. */
export function checkDeadline(core: LspCore, f: LspFactory): void {
  if (f.phase !== 'ceremony' || f.deadline === null || core.now < f.deadline) return;
  const owing = f.participants
    .map((_, c) => c)
    .filter((c) => {
      const peer = f.participants[c] as string;
      if (!core.connected.has(peer)) return true;
      if (f.step === 'channels') return f.channels[c]?.channel?.phase !== 'normal';
      const r = f.round;
      if (r === null) return true;
      return f.step === 'nonces' ? !r.nonces.has(c) : !r.psigs.has(c);
    });
  if (owing.length === 0) {
    f.deadline = null;
    return;
  }
  abortCeremony(
    core,
    f,
    'timeout',
    owing,
    `no answer to step ${f.step} within ${core.policy.stepTimeoutMs} ms`,
  );
}
