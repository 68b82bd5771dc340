/**
 * The client's checks of a proposal (roles memo §3 step 3) before it signs anything: it names exactly
 * one entry with the client's registered key, close address, capacity and balance; the network is the
 * client's; the parameters are within its policy; `proposalHeight` is near its tip (when it follows
 * the chain); `checkProposal` passes; its path (`buildClientPath`) and the funding transaction
 * (`checkUnsignedPath`: txid, output script `KeyAgg(all N+1)` and amount) check; the distribution pays
 * it at least its capacity (`clientDistribution`). Any failure: `factory_abort { INVALID_PROPOSAL }`
 * and the proposal is forgotten. Else the factory is persisted (O(depth) record) and round 1 runs.
 *
 * @module
 */
import { equalBytes, toHex } from '@superscalar/core';
import {
  buildClientPath,
  type ClientDistribution,
  type ClientPath,
  checkUnsignedPath,
  clientDistribution,
  clientFactoryRecord,
  type Proposal,
  shapeFigures,
} from '@superscalar/factory-tree';
import { channelIdOf, FactoryAbortReason, type FactoryPropose, factoryIdOf } from '@superscalar/wire';
import type { ClientCore, ClientFactory } from './_core.js';
import { sendNonces } from './ceremony.js';
import { putRecord, type StoredRegistration } from './codec.js';
import { InvalidProposalError, StaleMessageError, UnexpectedMessageError } from './errors.js';

/** The registration a proposal is for (its key among the proposal's clients), if any. */
function registrationFor(
  core: ClientCore,
  p: Proposal,
): { r: StoredRegistration; client: number } | undefined {
  for (const r of core.registrations.values()) {
    if (r.status !== 'granted' && r.status !== 'pending') continue;
    const client = p.clients.findIndex((c) => equalBytes(c.key, r.factoryKey));
    if (client >= 0) return { r, client };
  }
  return undefined;
}

/** `factory_propose`. */
export function onPropose(core: ClientCore, peer: string, m: FactoryPropose): void {
  let id: Uint8Array;
  try {
    id = factoryIdOf(m.proposal);
  } catch (cause) {
    throw new InvalidProposalError(peer, 'proposal', 'has no encoding', { cause });
  }
  const idHex = toHex(id);
  if (core.factories.has(idHex) || core.finished.has(idHex))
    throw new StaleMessageError(peer, 'a factory_propose the client already answered', { factoryId: idHex });
  const found = registrationFor(core, m.proposal);
  if (found === undefined)
    throw new UnexpectedMessageError(peer, "a proposal without any of the client's registered keys", {
      factoryId: idHex,
    });
  const { r, client } = found;
  let path: ClientPath;
  let dist: ClientDistribution;
  try {
    ({ path, dist } = check(core, peer, idHex, r, client, m));
  } catch (e) {
    if (!InvalidProposalError.isInstance(e)) throw e;
    refuse(core, id, r, e as InvalidProposalError);
    return;
  }
  const channelId = channelIdOf(id, client);
  const f: ClientFactory = {
    id,
    idHex,
    factoryIndex: r.factoryIndex,
    clientIndex: client,
    proposal: m.proposal,
    fundingTx: Uint8Array.from(m.fundingTx),
    path,
    dist,
    channelId,
    channelIdHex: toHex(channelId),
    phase: 'ceremony',
    attempt: 0,
    signatures: null,
    fundedSeen: false,
    fundingConfirmedAt: null,
    signing: null,
    signedAttempt: null,
    channel: null,
    heldCommit: null,
    readyEmitted: false,
    quiescent: false,
    closeRequested: false,
    close: null,
  };
  core.factories.set(idHex, f);
  core.saveRegistration({ ...r, status: 'used' });
  saveRecord(core, f);
  core.saveFactory(f);
  const me = m.proposal.clients[client] as Proposal['clients'][number];
  core.event({
    kind: 'FactoryProposed',
    factoryId: idHex,
    clientIndex: client,
    clients: m.proposal.clients.length,
    capacity: me.capacity,
    balance: me.balance,
    fundingTxid: m.proposal.funding.txid,
  });
  core.log('info', 'proposal accepted', { factoryId: idHex, clientIndex: client });
  sendNonces(core, f, 0);
}

/** Refuses a proposal: `factory_abort { INVALID_PROPOSAL }`, and the key is never registered again. */
function refuse(core: ClientCore, id: Uint8Array, r: StoredRegistration, e: InvalidProposalError): void {
  const idHex = toHex(id);
  core.log('warn', 'proposal refused', { factoryId: idHex, field: e.field }, e);
  core.saveRegistration({ ...r, status: 'used' });
  core.finished.set(idHex, 'aborted');
  core.event({
    kind: 'CeremonyAborted',
    factoryId: idHex,
    reason: 'invalid_proposal',
    text: e.message,
    byLsp: false,
    self: false,
  });
  core.send({
    type: 'factory_abort',
    factoryId: id,
    reason: FactoryAbortReason.INVALID_PROPOSAL,
    text: e.message,
  });
}

/** Writes the factory's O(depth) record: the proposal, its path's state and the signatures held. */
export function saveRecord(core: ClientCore, f: ClientFactory): void {
  const signatures =
    f.signatures === null
      ? {}
      : {
          path: f.signatures.path,
          // Keyed by position in the whole distribution (the top's 0, sub-distribution g's 1 + g).
          distribution: f.signatures.dist.map((signature, k) => ({
            index: f.dist.positions[k] as number,
            signature,
          })),
        };
  core.persist([
    putRecord(f.idHex, {
      factoryIndex: f.factoryIndex,
      clientIndex: f.clientIndex,
      fundingTx: f.fundingTx,
      record: clientFactoryRecord(f.path, signatures),
    }),
  ]);
}

function check(
  core: ClientCore,
  peer: string,
  idHex: string,
  r: StoredRegistration,
  client: number,
  m: FactoryPropose,
): { path: ClientPath; dist: ClientDistribution } {
  const p = m.proposal;
  const bad = (field: string, message: string, cause?: unknown) =>
    new InvalidProposalError(peer, field, message, {
      factoryId: idHex,
      ...(cause === undefined ? {} : { cause }),
    });
  if (p.network !== core.deps.network)
    throw bad('network', `${p.network}, the client is on ${core.deps.network}`);
  const pol = core.policy;
  if (p.toSelfDelay > pol.maxToSelfDelay)
    throw bad('toSelfDelay', `${p.toSelfDelay} above the client's ${pol.maxToSelfDelay}`);
  if (p.fundingTimeout < pol.minFundingTimeout || p.fundingTimeout > pol.maxFundingTimeout)
    throw bad(
      'fundingTimeout',
      `${p.fundingTimeout} outside ${pol.minFundingTimeout}..${pol.maxFundingTimeout}`,
    );
  if (p.commitFeeRate > pol.maxCommitFeeRate)
    throw bad('commitFeeRate', `${p.commitFeeRate} above the client's ${pol.maxCommitFeeRate}`);
  const tip = core.tipHeight;
  if (
    tip !== null &&
    (p.proposalHeight > tip + pol.maxProposalAhead || p.proposalHeight < tip - pol.maxProposalBehind)
  )
    throw bad('proposalHeight', `${p.proposalHeight} too far from the client's tip ${tip}`);
  let path: ClientPath;
  try {
    const exitDelay = shapeFigures(p).exitDelay;
    if (exitDelay > pol.maxExitDelay)
      throw bad('exitDelay', `${exitDelay} above the client's ${pol.maxExitDelay}`);
    path = buildClientPath(p, client);
  } catch (e) {
    if (InvalidProposalError.isInstance(e)) throw e;
    throw bad('proposal', (e as Error).message, e);
  }
  const agreed = r.granted ?? { capacity: r.capacity, balance: r.balance };
  try {
    checkUnsignedPath(path, {
      fundingTx: m.fundingTx,
      self: {
        key: r.factoryKey,
        closeScript: core.keys.closeAddress(r.factoryIndex).scriptPubKey,
        capacity: agreed.capacity,
        balance: agreed.balance,
      },
    });
  } catch (e) {
    const label = (e as { label?: string }).label ?? 'path';
    throw bad(label, (e as Error).message, e);
  }
  try {
    return { path, dist: clientDistribution(path) };
  } catch (e) {
    throw bad('distribution', (e as Error).message, e);
  }
}
