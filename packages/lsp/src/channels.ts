/**
 * The leaf channels, LSP side (roles memo §3 steps 7–8, brief §8 steps 5–6): after `factory_signed`
 * each side sends `channel_setup` (basepoints from `keychain.channelKeys(factoryIndex, clientIndex)`,
 * the first two per-commitment points); on the client's setup the LSP opens its poon-dryja `Channel`
 * on the channel output of the client's leaf state, which exchanges `channel_ready` and commitment 0
 * both ways. Each channel persist goes into the LSP's own persist action, and the channel is told
 * `persisted` right away (the execution contract makes that safe).
 *
 * **Funding last** (flaw 1): only when every channel of the factory is `normal` — the LSP holds its
 * commitment 0 signed by the client, and (the client sends its signature only once it holds its own
 * commitment 0) the client holds its — does the LSP sign the funding with the wallet, persist, then
 * broadcast it and send `factory_funded`.
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import type { Proposal } from '@superscalar/factory-tree';
import type { ChannelKeys } from '@superscalar/keys';
import {
  CHANNEL_STATE_VERSION,
  Channel,
  type ChannelAction,
  ChannelError,
  type ChannelEvent,
  type ChannelInput,
  type ChannelSetup as ChannelOpenSetup,
  defaultMaxDustExposure,
  defaultReserve,
  encodeChannelState,
  MAX_ACCEPTED_HTLCS_LIMIT,
  perCommitmentPoint,
} from '@superscalar/poon-dryja';
import { commitmentIndex, generateFromSeed } from '@superscalar/shachain';
import type { ChannelMessage, ChannelSetup } from '@superscalar/wire';
import type { Built, ChannelSlot, LspCore, LspFactory } from './_core.js';
import { advanceAfterChannel, onAdvanceChannelEvent } from './advance.js';
import { abortCeremony, built, participantOf } from './ceremony.js';
import { afterChannel } from './closing.js';
import { channelKey, deleteBlob, putChannelBlob, putChannelState } from './codec.js';
import {
  InvalidChannelSetupError,
  NotParticipantError,
  StaleMessageError,
  UnexpectedMessageError,
} from './errors.js';
import { exitChannel } from './exit.js';
import { onForwardEvent, setForwardDriver, toChannelMessage, toWireMessage } from './forwarding.js';
import type { PeerId } from './io.js';
import { onChannelWatch } from './tower.js';

/** The LSP's keys of client `client`'s channel (derived once per process). */
function channelKeys(core: LspCore, f: LspFactory, client: number): ChannelKeys {
  return core.keys.channelKeys(f.index, client);
}

/** The LSP's `channel_setup` for client `client`'s channel. */
export function channelSetupMessage(core: LspCore, f: LspFactory, client: number): ChannelSetup {
  const k = channelKeys(core, f, client);
  const seed = k.shachainSeed.secret;
  return {
    type: 'channel_setup',
    channelId: (f.channels[client] as ChannelSlot).channelId,
    factoryId: f.id,
    clientIndex: client,
    basepoints: {
      revocation: k.revocation.publicKey,
      payment: k.payment.publicKey,
      delayedPayment: k.delayedPayment.publicKey,
      htlc: k.htlc.publicKey,
    },
    firstPerCommitmentPoint: perCommitmentPoint(generateFromSeed(seed, commitmentIndex(0))),
    secondPerCommitmentPoint: perCommitmentPoint(generateFromSeed(seed, commitmentIndex(1))),
  };
}

/** Where client `client`'s channel lives: its leaf state's channel output, `T_m` and path length. */
export function channelGeometry(b: Built, client: number) {
  const layout = b.tree.layout;
  const leaf = layout.leafClients.findIndex((cl) => cl.includes(client));
  const path = layout.leafPaths[leaf] as readonly number[];
  const leafTx = b.tree.txs[path[path.length - 1] as number] as Built['tree']['txs'][number];
  const vout = leafTx.outputRoles.findIndex((r) => r.kind === 'channel' && r.client === client);
  const role = leafTx.outputRoles[vout] as { readonly Tk: number };
  return {
    funding: { txid: leafTx.txid, vout, amount: (leafTx.tx.outputs[vout] as { value: bigint }).value },
    Tm: role.Tk,
    pathTxs: path.length,
    exitDelay: layout.exitDelay,
  };
}

/** The channel policy of brief §2/§7 for a capacity (both sides derive the same one). */
export function channelPolicy(p: Proposal, capacity: bigint, g: { exitDelay: number; pathTxs: number }) {
  return {
    reserve: defaultReserve(capacity),
    maxDustExposure: defaultMaxDustExposure(capacity),
    maxAcceptedHtlcs: MAX_ACCEPTED_HTLCS_LIMIT,
    exitDelay: g.exitDelay,
    pathTxs: g.pathTxs,
    exitMargin: p.exitMargin,
    htlcBudget: p.htlcBudget,
    dyingHeight: p.proposalHeight + p.activeBlocks,
  };
}

/** `channel_setup` from a client: opens (or opens again) the LSP's side of its channel. */
export function onChannelSetup(core: LspCore, peer: PeerId, m: ChannelSetup): void {
  const { f, client } = participantOf(core, peer, m.factoryId);
  const slot = f.channels[client] as ChannelSlot;
  if (m.clientIndex !== client || toHex(m.channelId) !== slot.idHex)
    throw new NotParticipantError(peer, f.idHex);
  if (f.phase !== 'ceremony' || f.step !== 'channels') {
    if (f.phase === 'ceremony')
      throw new UnexpectedMessageError(peer, 'channel_setup before the factory is signed', {
        factoryId: f.idHex,
      });
    throw new StaleMessageError(peer, `channel_setup in phase ${f.phase}`, { factoryId: f.idHex });
  }
  if (slot.channel?.phase === 'normal')
    throw new StaleMessageError(peer, 'channel_setup for a channel that holds commitment 0', {
      factoryId: f.idHex,
    });
  if (slot.channel !== null) discardChannel(core, slot);
  openChannel(core, f, client, m);
}

function openChannel(core: LspCore, f: LspFactory, client: number, m: ChannelSetup): void {
  const p = f.proposal;
  const slot = f.channels[client] as ChannelSlot;
  const me = p.clients[client] as Proposal['clients'][number];
  const g = channelGeometry(built(f), client);
  const k = channelKeys(core, f, client);
  const own = channelSetupMessage(core, f, client).basepoints;
  const setup: ChannelOpenSetup = {
    channelId: slot.channelId,
    role: 'lsp',
    config: {
      lspFundingKey: p.lsp.key,
      clientFundingKey: me.key,
      channelTimeout: g.Tm,
      toSelfDelay: p.toSelfDelay,
      lspBasepoints: own,
      clientBasepoints: m.basepoints,
    },
    funding: g.funding,
    policy: channelPolicy(p, g.funding.amount, g),
    initialClientBalanceMsat: me.balance * 1000n,
    feeRate: p.commitFeeRate,
    height: core.tipHeight ?? p.proposalHeight,
  };
  let opened: ReturnType<typeof Channel.open>;
  try {
    opened = Channel.open(
      setup,
      {
        fundingSecret: core.keys.factoryKey(f.index).secretKey,
        shachainSeed: k.shachainSeed.secret,
        revocationBasepointSecret: k.revocation.secretKey,
      },
      {
        sweepScript: core.keys.closeAddress(f.index).scriptPubKey,
        ...(core.deps.rng === undefined ? {} : { rng: core.deps.rng }),
        ...(core.deps.nonceObserver === undefined ? {} : { nonceObserver: core.deps.nonceObserver }),
      },
    );
  } catch (cause) {
    throw new InvalidChannelSetupError(
      f.participants[client] as string,
      client + 1,
      (cause as Error).message,
      {
        factoryId: f.idHex,
        cause,
      },
    );
  }
  slot.channel = opened.channel;
  core.persist([
    putChannelState(slot.idHex, CHANNEL_STATE_VERSION, encodeChannelState(opened.channel.state)),
  ]);
  process(core, f, slot, opened.actions);
}

/** Forgets a channel whose opening was interrupted (before funding both sides open it again). */
export function discardChannel(core: LspCore, slot: ChannelSlot): void {
  slot.channel = null;
  slot.readyEmitted = false;
  core.persist([deleteBlob(channelKey(slot.idHex))]);
}

/** Forgets every channel of an aborted factory. */
export function discardChannels(core: LspCore, f: LspFactory): void {
  for (const slot of f.channels) {
    if (slot.channel !== null) core.persist([deleteBlob(channelKey(slot.idHex))]);
    slot.channel = null;
    core.channelIndex.delete(slot.idHex);
  }
}

/** A channel message (`channel_ready`, `commitment_signed`, …) from `peer`. */
export function onChannelMessage(core: LspCore, peer: PeerId, m: ChannelMessage): void {
  const idHex = toHex(m.channelId);
  const at = core.channelIndex.get(idHex);
  if (at === undefined) throw new UnexpectedMessageError(peer, `${m.type} for an unknown channel ${idHex}`);
  const { f, client } = at;
  if (f.participants[client] !== peer) throw new NotParticipantError(peer, f.idHex);
  const slot = f.channels[client] as ChannelSlot;
  if (slot.channel === null)
    throw new UnexpectedMessageError(peer, `${m.type} before the channel is set up`, { factoryId: f.idHex });
  drive(core, f, slot, { type: 'message', message: toChannelMessage(m) as never });
}

/** Feeds one input to a channel and carries out its actions. */
export function drive(core: LspCore, f: LspFactory, slot: ChannelSlot, input: ChannelInput): void {
  const ch = slot.channel;
  // The LSP's exit (of the factory, or of this channel) stopped it at its commitment.
  if (ch === null || core.exits.frozenChannel(f.idHex, slot.clientIndex)) return;
  let actions: ChannelAction[];
  try {
    actions = ch.handle(input);
  } catch (e) {
    if (ChannelError.isInstance(e)) {
      core.forwards.lastRefusal = e;
      core.log('debug', 'channel input ignored', {
        channelId: slot.idHex,
        input: input.type,
        why: (e as Error).message,
      });
      return;
    }
    throw e;
  }
  process(core, f, slot, actions);
}

function process(core: LspCore, f: LspFactory, slot: ChannelSlot, actions: readonly ChannelAction[]): void {
  const tokens: number[] = [];
  const peer = f.participants[slot.clientIndex] as string;
  // Payment decisions first: they persist in the same store update as the channel state before them.
  const work: (() => void)[] = [];
  for (const a of actions)
    if (a.kind === 'emit' && isPaymentEvent(a.event)) work.push(...onForwardEvent(core, slot, a.event));
  for (const a of actions) {
    switch (a.kind) {
      case 'send':
        core.send(peer, toWireMessage(a.message));
        break;
      case 'persist':
        core.persist([
          putChannelState(slot.idHex, CHANNEL_STATE_VERSION, a.state),
          ...a.blobs.map((b) => putChannelBlob(slot.idHex, b.key, b.bytes)),
        ]);
        tokens.push(a.token);
        break;
      case 'watch':
        onChannelWatch(core, f, slot, a.watch);
        break;
      case 'emit':
        if (!isPaymentEvent(a.event)) onChannelEvent(core, f, slot, a.event);
        break;
    }
  }
  for (const token of tokens) drive(core, f, slot, { type: 'persisted', token });
  for (const w of work) w();
  if (f.phase === 'closing') afterChannel(core, f, slot);
  if (f.advance?.session != null) advanceAfterChannel(core, f, slot);
}

type PaymentEvent = Extract<
  ChannelEvent,
  { type: 'htlc_offered' | 'htlc_received' | 'htlc_fulfilled' | 'htlc_failed' }
>;

function isPaymentEvent(e: ChannelEvent): e is PaymentEvent {
  return (
    e.type === 'htlc_offered' ||
    e.type === 'htlc_received' ||
    e.type === 'htlc_fulfilled' ||
    e.type === 'htlc_failed'
  );
}

function onChannelEvent(core: LspCore, f: LspFactory, slot: ChannelSlot, e: ChannelEvent): void {
  const peer = f.participants[slot.clientIndex] as string;
  if (e.type === 'ready') {
    if (!slot.readyEmitted) {
      slot.readyEmitted = true;
      core.event({
        kind: 'ChannelReady',
        factoryId: f.idHex,
        channelId: slot.idHex,
        clientIndex: slot.clientIndex,
        peer,
      });
    }
    maybeFund(core, f);
    return;
  }
  if (e.type === 'quiescent') {
    slot.quiescent = true;
    core.log('debug', 'channel quiescent', { channelId: slot.idHex });
    return;
  }
  if (e.type === 'rebind_nonce' || e.type === 'rebind_partial' || e.type === 'rebound') {
    onAdvanceChannelEvent(core, f, slot, e);
    return;
  }
  if (e.type === 'error') {
    const err = e.error;
    core.log('warn', 'channel peer fault', { channelId: slot.idHex, action: err.action }, err);
    if (err.action === 'force-close' && f.phase === 'ceremony') {
      abortCeremony(core, f, 'signing_failed', [slot.clientIndex], `channel: ${err.message}`);
      return;
    }
    if (err.action === 'force-close') {
      core.event({ kind: 'ChannelFailed', factoryId: f.idHex, channelId: slot.idHex, message: err.message });
      exitChannel(core, f, slot.clientIndex, 'channel-failed');
    }
    core.send(peer, { type: 'error', channelId: slot.channelId, text: err.message });
    core.disconnectPeer(peer, err.message);
    return;
  }
  if (e.type === 'go_on_chain') {
    exitChannel(core, f, slot.clientIndex, 'go_on_chain');
    return;
  }
  core.log('debug', 'channel event', { channelId: slot.idHex, event: e.type });
}

setForwardDriver(drive);

/** Funding last (flaw 1): sign, persist, broadcast and announce once every channel holds commitment 0. */
export function maybeFund(core: LspCore, f: LspFactory): void {
  if (f.phase !== 'ceremony' || f.step !== 'channels') return;
  if (!f.channels.every((s) => s.channel?.phase === 'normal')) return;
  const txid = f.proposal.funding.txid;
  let signed: ReturnType<LspCore['deps']['wallet']['sign']>;
  try {
    signed = core.deps.wallet.sign(txid);
  } catch (cause) {
    abortCeremony(
      core,
      f,
      'funding_failed',
      [],
      `the wallet cannot sign the funding: ${(cause as Error).message}`,
    );
    return;
  }
  f.phase = 'funded';
  f.deadline = null;
  core.persist(signed.ops);
  core.saveFactory(f);
  core.event({ kind: 'FactoryFunded', factoryId: f.idHex, txid });
  core.out.broadcast(signed.raw, txid, 'funding');
  core.log('info', 'funding broadcast', { factoryId: f.idHex, txid });
  for (const peer of f.participants)
    if (core.connected.has(peer))
      core.send(peer, { type: 'factory_funded', factoryId: f.id, txid, vout: f.proposal.funding.vout });
}
