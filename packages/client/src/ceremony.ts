/**
 * The signing ceremony, client side (roles memo §3 steps 3, 5, 7; brief §8): round 1 draws one fresh
 * nonce per job — each transaction of its path and each distribution transaction it signs — kept in
 * memory only (`clientJobsRound1`); round 2 signs with the LSP's aggregate nonces for exactly those
 * jobs (`clientJobsRound2`, consuming the secret nonces); `factory_signed` is verified signature by
 * signature against each transaction's key (path) and with `checkSignedDistribution`, persisted, and
 * answered with the client's `channel_setup`. A fresh attempt (the LSP's `factory_reestablish` with
 * step `proposed`) discards any round in flight and draws new nonces. An abort from the LSP before
 * funding ends the factory; the client registers again (`policy.reRegister`).
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import { checkSignedDistribution, clientJobsRound1, clientJobsRound2 } from '@superscalar/factory-tree';
import { schnorrVerify } from '@superscalar/musig2';
import {
  type FactoryAbort,
  FactoryAbortReason,
  type FactoryAggNonces,
  type FactoryFunded,
  type FactorySigned,
} from '@superscalar/wire';
import type { ClientCore, ClientFactory } from './_core.js';
import { channelSetupMessage, discardChannel } from './channels.js';
import { channelKey, deleteBlob, recordKey } from './codec.js';
import {
  InvalidSignatureError,
  StaleMessageError,
  UnexpectedMessageError,
  UnknownFactoryError,
} from './errors.js';
import { saveRecord } from './proposal.js';
import { register } from './registration.js';
import { guardFactoryPath } from './tower.js';

/** The factory a message names, or the typed refusal. */
export function factoryOf(core: ClientCore, peer: string, factoryId: Uint8Array): ClientFactory {
  const idHex = toHex(factoryId);
  const f = core.factories.get(idHex);
  if (f !== undefined) return f;
  if (core.finished.has(idHex))
    throw new StaleMessageError(peer, 'a message for a factory that ended', { factoryId: idHex });
  throw new UnknownFactoryError(peer, idHex);
}

/** Round 1 for `attempt`: fresh nonces for every job, then `factory_nonces`. */
export function sendNonces(core: ClientCore, f: ClientFactory, attempt: number): void {
  const jobs = [...f.path.jobs, ...f.dist.jobs];
  const r = clientJobsRound1({
    participant: f.clientIndex + 1,
    secretKey: core.keys.factoryKey(f.factoryIndex).secretKey,
    jobs,
    ...(core.deps.rng === undefined ? {} : { rng: core.deps.rng }),
  });
  f.signing = { attempt, state: r.state, connection: core.connection };
  f.signedAttempt = null;
  if (attempt !== f.attempt) {
    f.attempt = attempt;
    core.saveFactory(f);
  }
  const n = f.path.jobs.length;
  core.send({
    type: 'factory_nonces',
    factoryId: f.id,
    attempt,
    nonces: f.path.jobs.map((j, k) => ({
      tx: j.index,
      kind: f.path.txs[k]?.kind ?? 'kickoff',
      pubnonce: r.nonces.pubnonces[k] as Uint8Array,
    })),
    distributionNonces: f.dist.positions.map((index, k) => ({
      index,
      pubnonce: r.nonces.pubnonces[n + k] as Uint8Array,
    })),
  });
}

/** `factory_agg_nonces` (round 2). */
export function onAggNonces(core: ClientCore, peer: string, m: FactoryAggNonces): void {
  const f = factoryOf(core, peer, m.factoryId);
  const s = f.signing;
  if (f.phase !== 'ceremony' || f.signatures !== null || s === null || m.attempt < s.attempt)
    throw new StaleMessageError(peer, `factory_agg_nonces of attempt ${m.attempt}`, { factoryId: f.idHex });
  if (m.attempt > s.attempt)
    throw new UnexpectedMessageError(
      peer,
      `factory_agg_nonces for attempt ${m.attempt}, ahead of ${s.attempt}`,
      {
        factoryId: f.idHex,
      },
    );
  const want = f.path.jobs.map((j) => j.index);
  const kinds = f.path.txs.map((t) => t.kind);
  if (
    m.aggNonces.length !== want.length ||
    m.aggNonces.some((a, i) => a.tx !== want[i] || a.kind !== kinds[i]) ||
    m.distributionAggNonces.length !== f.dist.positions.length ||
    m.distributionAggNonces.some((a, i) => a.index !== f.dist.positions[i])
  )
    throw new InvalidSignatureError(peer, "aggregate nonces for other jobs than the client's", {
      factoryId: f.idHex,
    });
  const jobs = [...f.path.jobs, ...f.dist.jobs].map((j) => j.index);
  let psigs: ReturnType<typeof clientJobsRound2>;
  try {
    psigs = clientJobsRound2(s.state, {
      participant: f.clientIndex + 1,
      jobs,
      aggnonces: [...m.aggNonces.map((a) => a.aggnonce), ...m.distributionAggNonces.map((a) => a.aggnonce)],
    });
  } catch (cause) {
    f.signing = null;
    throw new InvalidSignatureError(peer, `round 2 failed: ${(cause as Error).message}`, {
      factoryId: f.idHex,
      cause,
    });
  }
  f.signing = null;
  f.signedAttempt = s.attempt;
  const n = f.path.jobs.length;
  core.send({
    type: 'factory_psigs',
    factoryId: f.id,
    attempt: s.attempt,
    psigs: f.path.jobs.map((j, k) => ({ tx: j.index, psig: psigs.psigs[k] as Uint8Array })),
    distributionPsigs: f.dist.positions.map((index, k) => ({
      index,
      psig: psigs.psigs[n + k] as Uint8Array,
    })),
  });
}

/** `factory_signed`: verify every signature, persist, then `channel_setup`. */
export function onSigned(core: ClientCore, peer: string, m: FactorySigned): void {
  const f = factoryOf(core, peer, m.factoryId);
  if (f.signatures !== null)
    throw new StaleMessageError(peer, 'a repeated factory_signed', { factoryId: f.idHex });
  if (f.phase !== 'ceremony')
    throw new UnexpectedMessageError(peer, `factory_signed in phase ${f.phase}`, { factoryId: f.idHex });
  const bad = (message: string, cause?: unknown) =>
    new InvalidSignatureError(peer, message, {
      factoryId: f.idHex,
      ...(cause === undefined ? {} : { cause }),
    });
  if (m.signatures.length !== f.path.jobs.length)
    throw bad(`${m.signatures.length} path signatures, the path has ${f.path.jobs.length}`);
  const path = f.path.jobs.map((j, k) => {
    const s = m.signatures[k] as (typeof m.signatures)[number];
    if (s.tx !== j.index) throw bad(`a signature for tx ${s.tx} where tx ${j.index} was expected`);
    if (!schnorrVerify(s.signature, j.job.sighash, j.job.outputKey))
      throw bad(`the signature of tx ${j.index} does not verify against its spent output's key`);
    return Uint8Array.from(s.signature);
  });
  let dist: Uint8Array[];
  try {
    dist = checkSignedDistribution(f.dist, m.distributionSignatures).map(
      (_, k) =>
        (m.distributionSignatures.find((d) => d.index === f.dist.positions[k]) as { signature: Uint8Array })
          .signature,
    );
  } catch (cause) {
    throw bad(`the distribution: ${(cause as Error).message}`, cause);
  }
  f.signatures = { path, dist };
  f.signing = null;
  saveRecord(core, f);
  core.saveFactory(f);
  guardFactoryPath(core, f);
  core.event({ kind: 'FactorySigned', factoryId: f.idHex });
  core.log('info', 'factory signatures verified', { factoryId: f.idHex });
  core.send(channelSetupMessage(core, f));
}

/** `factory_funded`: the LSP broadcast the funding (after every channel's commitment 0). */
export function onFunded(core: ClientCore, peer: string, m: FactoryFunded): void {
  const f = factoryOf(core, peer, m.factoryId);
  if (m.txid !== f.proposal.funding.txid || m.vout !== f.proposal.funding.vout)
    throw new UnexpectedMessageError(
      peer,
      `factory_funded names ${m.txid}:${m.vout}, not the proposal's funding`,
      {
        factoryId: f.idHex,
        consequence: 'disconnect',
      },
    );
  if (f.fundedSeen) throw new StaleMessageError(peer, 'a repeated factory_funded', { factoryId: f.idHex });
  markFunded(core, f);
}

/** Records that the funding was broadcast (announced, or seen in a block). */
export function markFunded(core: ClientCore, f: ClientFactory): void {
  if (f.fundedSeen) return;
  f.fundedSeen = true;
  if (f.phase === 'ceremony') f.phase = 'funded';
  if (f.channel?.phase !== 'normal')
    core.log('error', 'the funding was broadcast before this client held commitment 0', {
      factoryId: f.idHex,
    });
  core.saveFactory(f);
  core.event({ kind: 'FactoryFunded', factoryId: f.idHex, txid: f.proposal.funding.txid });
}

/** `factory_abort` from the LSP. */
export function onLspAbort(core: ClientCore, peer: string, m: FactoryAbort): void {
  const f = factoryOf(core, peer, m.factoryId);
  if (f.phase !== 'ceremony')
    throw new UnexpectedMessageError(
      peer,
      `factory_abort (${m.reason}) in phase ${f.phase}: the funding deadline decides`,
      { factoryId: f.idHex, consequence: 'ignore' },
    );
  endCeremony(core, f, {
    reason: reasonName(m.reason),
    text: m.text,
    byLsp: true,
    ...(m.blamed === undefined ? {} : { blamed: m.blamed }),
  });
}

const REASONS: Readonly<Record<number, string>> = {
  [FactoryAbortReason.TIMEOUT]: 'timeout',
  [FactoryAbortReason.INVALID_PROPOSAL]: 'invalid_proposal',
  [FactoryAbortReason.SIGNING_FAILED]: 'signing_failed',
  [FactoryAbortReason.FUNDING_FAILED]: 'funding_failed',
  [FactoryAbortReason.CLIENT_WITHDREW]: 'client_withdrew',
  [FactoryAbortReason.CANCELLED]: 'cancelled',
};

function reasonName(code: number): string {
  return REASONS[code] ?? `other (${code})`;
}

/**
 * Ends a factory before funding: tombstone, forget its record and channel, journal the event; tell
 * the LSP when the client is the one ending it; register again after an abort by the LSP.
 */
export function endCeremony(
  core: ClientCore,
  f: ClientFactory,
  e: { reason: string; text: string; byLsp: boolean; blamed?: number; wire?: number },
): void {
  f.phase = 'aborted';
  f.signing = null;
  if (f.channel !== null) discardChannel(core, f);
  core.saveFactory(f);
  core.persist([deleteBlob(recordKey(f.idHex)), deleteBlob(channelKey(f.channelIdHex))]);
  const self = e.blamed === f.clientIndex + 1;
  core.event({
    kind: 'CeremonyAborted',
    factoryId: f.idHex,
    reason: e.reason,
    text: e.text,
    byLsp: e.byLsp,
    ...(e.blamed === undefined ? {} : { blamed: e.blamed }),
    self,
  });
  core.log('warn', 'ceremony ended', { factoryId: f.idHex, reason: e.reason, byLsp: e.byLsp, self });
  core.finish(f);
  if (!e.byLsp && core.connected)
    core.send({
      type: 'factory_abort',
      factoryId: f.id,
      reason: e.wire ?? FactoryAbortReason.SIGNING_FAILED,
      text: e.text,
    });
  if (e.byLsp && core.policy.reRegister) {
    const me = f.proposal.clients[f.clientIndex] as (typeof f.proposal.clients)[number];
    const r = [...core.registrations.values()].find((x) => x.factoryIndex === f.factoryIndex);
    register(core, {
      capacity: r?.capacity ?? me.capacity,
      balance: r?.balance ?? me.balance,
      ...(r?.profile === undefined ? {} : { profile: r.profile }),
    });
  }
}
