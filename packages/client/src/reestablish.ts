/**
 * Connections and reconnection, client side (roles memo §3 step 10). On `peer_connected` (its LSP)
 * the client resends unanswered registrations and, per live factory, a `factory_reestablish` naming
 * its step: `proposed` (no round state), `nonces` (it holds its secret nonces for the attempt named),
 * `psigs` (it signed that attempt), `signed` (it holds the signatures, its channel has not commitment
 * 0), `channels` (it has), `funded`. On the LSP's `factory_reestablish`:
 *
 * - step `proposed`: a fresh attempt (or the current one, if the LSP lacks its nonces): new nonces;
 * - after the signatures, before funding: unless both sides report `channels`, the client forgets an
 *   interrupted opening and sends `channel_setup` again (the LSP does the same); else its channel
 *   gets `connected` (`channel_reestablish`);
 * - funded or open: the channel reconnects; `aborted`: the factory ends.
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import type { FactoryReestablish } from '@superscalar/wire';
import type { ClientCore, ClientFactory } from './_core.js';
import { advanceOnDisconnect, advanceOnReestablish, reestablishOnConnect } from './advance.js';
import { endCeremony, sendNonces } from './ceremony.js';
import { channelSetupMessage, discardChannel, drive } from './channels.js';
import { closeOnDisconnect, closeReestablishRecord, sendCloseRequest } from './closing.js';
import { NotLspError, StaleMessageError, UnknownFactoryError } from './errors.js';
import { resendPending } from './registration.js';

/** The client's step in a factory's ceremony (what its `factory_reestablish` names). */
export function clientStep(f: ClientFactory) {
  if (f.phase === 'funded' || f.fundedSeen) return 'funded' as const;
  if (f.signatures !== null)
    return f.channel?.phase === 'normal' ? ('channels' as const) : ('signed' as const);
  if (f.signing !== null) return 'nonces' as const;
  if (f.signedAttempt !== null) return 'psigs' as const;
  return 'proposed' as const;
}

/** `peer_connected`. */
export function onPeerConnected(core: ClientCore, peer: string): void {
  if (peer !== core.lsp) {
    core.log('warn', 'a connection from a peer that is not the LSP', { peer });
    core.out.disconnect(peer, "not this client's LSP");
    return;
  }
  if (core.connected) onPeerDisconnected(core, peer);
  core.connected = true;
  core.connection++;
  resendPending(core);
  for (const f of core.factories.values()) {
    if (f.phase === 'ceremony' || f.phase === 'funded')
      core.send({
        type: 'factory_reestablish',
        factoryId: f.id,
        phase: 'ceremony',
        ceremony: { attempt: f.attempt, step: clientStep(f) },
      });
    else if (f.phase === 'open') {
      core.send(reestablishOnConnect(core, f));
      if (f.closeRequested) sendCloseRequest(core, f);
    } else if (f.phase === 'closing')
      core.send({
        type: 'factory_reestablish',
        factoryId: f.id,
        phase: 'close',
        close: closeReestablishRecord(f),
      });
  }
}

/** `peer_disconnected` (or a disconnection the client asked for). */
export function onPeerDisconnected(core: ClientCore, peer: string): void {
  if (peer !== core.lsp || !core.connected) return;
  core.connected = false;
  for (const f of core.factories.values()) {
    f.heldCommit = null;
    if (f.channel !== null) drive(core, f, { type: 'disconnected' });
    closeOnDisconnect(f);
    advanceOnDisconnect(core, f);
  }
}

/** `factory_reestablish` from the LSP. */
export function onFactoryReestablish(core: ClientCore, peer: string, m: FactoryReestablish): void {
  if (peer !== core.lsp) throw new NotLspError(peer);
  const idHex = toHex(m.factoryId);
  const f = core.factories.get(idHex);
  if (f === undefined) {
    const ended = core.finished.get(idHex);
    const phase = ended === 'closed' ? 'closed' : 'aborted';
    if (ended !== undefined && m.phase !== phase) {
      // Answered, not thrown: a fault's actions are discarded, and this answer must leave.
      core.log('debug', `factory_reestablish for a factory that ended: answered ${phase}`, {
        factoryId: idHex,
      });
      core.send({ type: 'factory_reestablish', factoryId: m.factoryId, phase });
      return;
    }
    if (core.finished.has(idHex)) throw new StaleMessageError(peer, 'an ended factory', { factoryId: idHex });
    throw new UnknownFactoryError(peer, idHex);
  }
  if (m.phase === 'aborted' || m.phase === 'closed') {
    if (f.phase === 'ceremony')
      endCeremony(core, f, { reason: 'aborted', text: 'the LSP holds the factory as aborted', byLsp: true });
    else if (m.phase === 'closed' && f.phase === 'closing')
      core.log('info', 'the LSP holds the factory as closed: waiting for the close in a block', {
        factoryId: idHex,
      });
    else
      core.log('error', `the LSP holds a funded factory as ${m.phase}`, { factoryId: idHex, phase: f.phase });
    return;
  }
  const step = m.ceremony?.step;
  if (f.signatures === null) {
    if (f.phase !== 'ceremony') return;
    const attempt = m.ceremony?.attempt ?? f.attempt;
    // The LSP lacks our nonces for `attempt` — unless we sent them on this connection after its
    // message left (they will arrive: one connection is FIFO).
    const sentHere = f.signing?.attempt === attempt && f.signing.connection === core.connection;
    if (step === 'proposed' && attempt >= f.attempt && !sentHere) sendNonces(core, f, attempt);
    // Otherwise the LSP holds this client's nonces, or is past the rounds: it answers our step.
    return;
  }
  if (m.phase === 'ceremony' && step !== 'funded' && f.phase === 'ceremony' && !f.fundedSeen) {
    if (step === 'channels' && f.channel?.phase === 'normal') {
      drive(core, f, { type: 'connected' });
      return;
    }
    if (step === 'signed' || step === 'channels') {
      if (f.channel !== null) discardChannel(core, f);
      core.send(channelSetupMessage(core, f));
    }
    return;
  }
  if (f.phase === 'open' && advanceOnReestablish(core, f, m)) return;
  if (f.channel?.phase === 'normal') drive(core, f, { type: 'connected' });
  else core.log('error', 'a funded factory without commitment 0', { factoryId: idHex });
}
