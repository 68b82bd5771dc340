/**
 * Connections and reconnection, LSP side (roles memo §3 step 10). On `peer_connected` the LSP sends,
 * per factory shared with the peer, a `factory_reestablish` naming its phase and step for that
 * client; on the client's own `factory_reestablish` it resends what the client lacks or restarts
 * what a lost connection may have broken:
 *
 * - rounds 1–2: a client that still holds its secret nonces for the current attempt (step `nonces`
 *   of that attempt) continues (the LSP resends its aggregate nonces if round 2 began); otherwise a
 *   fresh attempt starts for every client (counted apart from signing failures, bounded by
 *   `maxReconnectRestarts`); after a restart of the LSP the first participant to connect starts it;
 * - channels (after `factory_signed`): a client lacking the signatures gets `factory_signed` again;
 *   unless both sides hold commitment 0 (step `channels` each), both forget the interrupted opening
 *   and exchange `channel_setup` again (nothing is at stake before funding); otherwise the channel
 *   gets `connected` and sends `channel_reestablish`;
 * - funded or open: `factory_funded` again if the client has not seen it; channels reconnect.
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import type { FactoryReestablish } from '@superscalar/wire';
import type { LspCore, LspFactory } from './_core.js';
import { advanceOnDisconnect, advanceOnReestablish, reestablishOnConnect } from './advance.js';
import {
  abortCeremony,
  newAttempt,
  participantOf,
  resendAggNonces,
  sendCeremonyState,
  sendSigned,
} from './ceremony.js';
import { channelSetupMessage, discardChannel, drive } from './channels.js';
import { closeOnDisconnect, closeReestablish, closeReestablishRecord } from './closing.js';
import { UnexpectedMessageError, UnknownFactoryError } from './errors.js';
import type { PeerId } from './io.js';

/** `peer_connected`: the runtime proved the peer's identity. */
export function onPeerConnected(core: LspCore, peer: PeerId): void {
  if (core.connected.has(peer)) onPeerDisconnected(core, peer);
  core.connected.add(peer);
  for (const { f, client } of [...core.factoriesOf(peer)]) {
    if (f.phase === 'ceremony' && f.step !== 'channels' && f.round === null) {
      newAttempt(core, f, 'restart'); // restored: the first participant back starts a fresh attempt
      continue;
    }
    sendState(core, f, client);
  }
}

/** The LSP's `factory_reestablish` (and what must precede it) for client `client`. */
function sendState(core: LspCore, f: LspFactory, client: number): void {
  const peer = f.participants[client] as string;
  if (f.phase === 'ceremony' || f.phase === 'funded') {
    sendCeremonyState(core, f, client);
    return;
  }
  if (f.phase === 'open') core.send(peer, reestablishOnConnect(f, client));
  if (f.phase === 'closing')
    core.send(peer, {
      type: 'factory_reestablish',
      factoryId: f.id,
      phase: 'close',
      close: closeReestablishRecord(f),
    });
}

/** `peer_disconnected` (or a disconnection the LSP asked for). */
export function onPeerDisconnected(core: LspCore, peer: PeerId): void {
  if (!core.connected.delete(peer)) return;
  for (const { f, client } of [...core.factoriesOf(peer)]) {
    const slot = f.channels[client];
    if (slot?.channel !== null && slot !== undefined) drive(core, f, slot, { type: 'disconnected' });
    if (slot !== undefined) {
      slot.quiesced = false;
      slot.quiescent = false;
    }
    if (f.phase === 'closing') closeOnDisconnect(core, f, client);
    if (f.phase === 'open') advanceOnDisconnect(core, f, client);
    if (f.phase === 'ceremony' && f.deadline === null) f.deadline = core.now + core.policy.stepTimeoutMs;
  }
}

/** `factory_reestablish` from a client. */
export function onFactoryReestablish(core: LspCore, peer: PeerId, m: FactoryReestablish): void {
  const idHex = toHex(m.factoryId);
  const ended = core.finished.get(idHex);
  if (!core.factories.has(idHex) && ended !== undefined) {
    const phase = ended === 'closed' ? 'closed' : 'aborted';
    if (m.phase === phase) return;
    // Answered, not thrown: a fault's actions are discarded, and this answer must leave.
    core.log('debug', `factory_reestablish for a factory that ended: answered ${phase}`, {
      peer,
      factoryId: idHex,
    });
    core.send(peer, { type: 'factory_reestablish', factoryId: m.factoryId, phase });
    return;
  }
  if (!core.factories.has(idHex)) throw new UnknownFactoryError(peer, idHex);
  const { f, client } = participantOf(core, peer, m.factoryId);
  if (f.phase === 'closing') {
    closeReestablish(core, f, client, m);
    return;
  }
  if (m.phase === 'aborted' || m.phase === 'closed') {
    if (f.phase === 'ceremony') {
      abortCeremony(core, f, 'client_withdrew', [client], 'the client holds the factory as aborted');
      return;
    }
    throw new UnexpectedMessageError(peer, `the client holds a ${f.phase} factory as ${m.phase}`, {
      factoryId: f.idHex,
    });
  }
  const step = m.ceremony?.step;
  const clientSigned =
    m.phase !== 'ceremony' || step === 'signed' || step === 'channels' || step === 'funded';
  if (f.phase === 'ceremony' && f.step !== 'channels') {
    const r = f.round;
    if (r === null) {
      newAttempt(core, f, 'restart', client);
      return;
    }
    if (!r.nonces.has(client)) return; // the LSP asked for nonces (step `proposed`): they will come
    const holds = m.ceremony?.attempt === r.attempt && step === 'nonces';
    if (holds && f.step === 'nonces') return;
    if (holds && f.step === 'psigs' && !r.psigs.has(client) && resendAggNonces(core, f, client)) return;
    if (f.step === 'psigs' && r.psigs.has(client)) return; // its part of this attempt is done
    newAttempt(core, f, 'restart', client);
    return;
  }
  const slot = f.channels[client];
  if (slot === undefined) return;
  if (f.phase === 'ceremony') {
    if (!clientSigned) {
      if (slot.channel !== null) discardChannel(core, slot);
      sendSigned(core, f, client);
      return;
    }
    if (step !== 'channels' || slot.channel?.phase !== 'normal') {
      if (slot.channel !== null) discardChannel(core, slot);
      core.send(peer, channelSetupMessage(core, f, client));
      return;
    }
    drive(core, f, slot, { type: 'connected' });
    return;
  }
  // Funded or open: every channel holds commitment 0 on both sides (the funding came after).
  if (!clientSigned) sendSigned(core, f, client);
  if (f.phase === 'open' && advanceOnReestablish(core, f, client, m)) return;
  if (m.phase === 'ceremony' && step !== 'funded')
    core.send(peer, {
      type: 'factory_funded',
      factoryId: f.id,
      txid: f.proposal.funding.txid,
      vout: f.proposal.funding.vout,
    });
  if (slot.channel?.phase === 'normal') drive(core, f, slot, { type: 'connected' });
}
