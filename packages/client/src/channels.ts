/**
 * The client's leaf channel (roles memo §3 step 7, brief §8 step 5): after verifying `factory_signed`
 * the client sends its `channel_setup` (basepoints from `keychain.channelKeys(factoryIndex,
 * clientIndex)`); on the LSP's setup it opens its poon-dryja `Channel` on the channel output of its
 * leaf state (from its own path), with its balance and the proposal's channel parameters.
 *
 * **Funding last, client half** (flaw 1): the client holds back its signature of the LSP's commitment
 * 0 until it holds its own commitment 0, verified and persisted. So when the LSP's channel is ready —
 * the condition for signing the funding — the client already holds everything it needs to exit.
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import type { ChannelKeys } from '@superscalar/keys';
import {
  CHANNEL_STATE_VERSION,
  Channel,
  type ChannelAction,
  ChannelError,
  type ChannelEvent,
  type ChannelInput,
  defaultMaxDustExposure,
  defaultReserve,
  encodeChannelState,
  MAX_ACCEPTED_HTLCS_LIMIT,
  perCommitmentPoint,
} from '@superscalar/poon-dryja';
import { commitmentIndex, generateFromSeed } from '@superscalar/shachain';
import type { ChannelMessage, ChannelSetup } from '@superscalar/wire';
import type { ClientCore, ClientFactory } from './_core.js';
import { onAdvanceChannelEvent } from './advance.js';
import { endCeremony } from './ceremony.js';
import { channelKey, deleteBlob, putChannelBlob, putChannelState } from './codec.js';
import {
  InvalidSignatureError,
  NotLspError,
  StaleMessageError,
  UnexpectedMessageError,
  UnknownFactoryError,
} from './errors.js';
import { onChannelGoOnChain } from './exit/clientExit.js';
import { screenFeeUpdate } from './fees.js';
import { onPaymentEvent, toChannelMessage, toWireMessage } from './payments.js';
import { onChannelWatch } from './tower.js';

function keys(core: ClientCore, f: ClientFactory): ChannelKeys {
  return core.keys.channelKeys(f.factoryIndex, f.clientIndex);
}

/** The client's `channel_setup`. */
export function channelSetupMessage(core: ClientCore, f: ClientFactory): ChannelSetup {
  const k = keys(core, f);
  const seed = k.shachainSeed.secret;
  return {
    type: 'channel_setup',
    channelId: f.channelId,
    factoryId: f.id,
    clientIndex: f.clientIndex,
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

/** `channel_setup` from the LSP: opens (or opens again) the client's channel. */
export function onChannelSetup(core: ClientCore, peer: string, m: ChannelSetup): void {
  const idHex = toHex(m.factoryId);
  const f = core.factories.get(idHex);
  if (f === undefined) {
    if (core.finished.has(idHex)) throw new StaleMessageError(peer, 'channel_setup for a factory that ended');
    throw new UnknownFactoryError(peer, idHex);
  }
  if (m.clientIndex !== f.clientIndex || toHex(m.channelId) !== f.channelIdHex)
    throw new UnexpectedMessageError(peer, "channel_setup for another client's channel", {
      factoryId: idHex,
      consequence: 'disconnect',
    });
  if (f.signatures === null)
    throw new UnexpectedMessageError(peer, 'channel_setup before factory_signed', { factoryId: idHex });
  if (f.phase !== 'ceremony' || f.channel?.phase === 'normal')
    throw new StaleMessageError(peer, 'channel_setup for a channel that holds commitment 0', {
      factoryId: idHex,
    });
  if (f.channel !== null) discardChannel(core, f);
  const p = f.proposal;
  const me = p.clients[f.clientIndex] as (typeof p.clients)[number];
  const leafTx = f.path.txs[f.path.txs.length - 1] as (typeof f.path.txs)[number];
  const vout = leafTx.outputRoles.findIndex((r) => r.kind === 'channel' && r.client === f.clientIndex);
  const role = leafTx.outputRoles[vout] as { readonly Tk: number };
  const capacity = (leafTx.tx.outputs[vout] as { value: bigint }).value;
  const k = keys(core, f);
  const own = channelSetupMessage(core, f).basepoints;
  let opened: ReturnType<typeof Channel.open>;
  try {
    opened = Channel.open(
      {
        channelId: f.channelId,
        role: 'client',
        config: {
          lspFundingKey: p.lsp.key,
          clientFundingKey: me.key,
          channelTimeout: role.Tk,
          toSelfDelay: p.toSelfDelay,
          lspBasepoints: m.basepoints,
          clientBasepoints: own,
        },
        funding: { txid: leafTx.txid, vout, amount: capacity },
        policy: {
          reserve: defaultReserve(capacity),
          maxDustExposure: defaultMaxDustExposure(capacity),
          maxAcceptedHtlcs: MAX_ACCEPTED_HTLCS_LIMIT,
          exitDelay: f.path.layout.exitDelay,
          pathTxs: f.path.txs.length,
          exitMargin: p.exitMargin,
          htlcBudget: p.htlcBudget,
          dyingHeight: p.proposalHeight + p.activeBlocks,
        },
        initialClientBalanceMsat: me.balance * 1000n,
        feeRate: p.commitFeeRate,
        height: core.tipHeight ?? p.proposalHeight,
      },
      {
        fundingSecret: core.keys.factoryKey(f.factoryIndex).secretKey,
        shachainSeed: k.shachainSeed.secret,
        revocationBasepointSecret: k.revocation.secretKey,
      },
      {
        sweepScript: core.keys.closeAddress(f.factoryIndex).scriptPubKey,
        ...(core.deps.rng === undefined ? {} : { rng: core.deps.rng }),
        ...(core.deps.nonceObserver === undefined ? {} : { nonceObserver: core.deps.nonceObserver }),
      },
    );
  } catch (cause) {
    throw new InvalidSignatureError(
      peer,
      `the LSP's channel_setup cannot open the channel: ${(cause as Error).message}`,
      {
        factoryId: idHex,
        cause,
      },
    );
  }
  f.channel = opened.channel;
  f.heldCommit = null;
  core.persist([
    putChannelState(f.channelIdHex, CHANNEL_STATE_VERSION, encodeChannelState(opened.channel.state)),
  ]);
  process(core, f, opened.actions);
}

/** Forgets an interrupted opening (before funding both sides open again). */
export function discardChannel(core: ClientCore, f: ClientFactory): void {
  f.channel = null;
  f.heldCommit = null;
  f.readyEmitted = false;
  core.persist([deleteBlob(channelKey(f.channelIdHex))]);
}

/** A channel message from the LSP. */
export function onChannelMessage(core: ClientCore, peer: string, m: ChannelMessage): void {
  if (peer !== core.lsp) throw new NotLspError(peer);
  const idHex = toHex(m.channelId);
  const f = [...core.factories.values()].find((x) => x.channelIdHex === idHex);
  if (f === undefined) throw new UnexpectedMessageError(peer, `${m.type} for an unknown channel ${idHex}`);
  if (f.channel === null)
    throw new UnexpectedMessageError(peer, `${m.type} before the channel is set up`, { factoryId: f.idHex });
  if (!screenFeeUpdate(core, f, m)) return;
  drive(core, f, { type: 'message', message: toChannelMessage(m) as never });
}

/** Feeds one input to the channel and carries out its actions. */
export function drive(core: ClientCore, f: ClientFactory, input: ChannelInput): void {
  const ch = f.channel;
  if (ch === null || core.exits.frozen(f.idHex)) return; // an exit stopped the channel at its commitment
  let actions: ChannelAction[];
  try {
    actions = ch.handle(input);
  } catch (e) {
    if (ChannelError.isInstance(e)) {
      core.log('debug', 'channel input ignored', {
        channelId: f.channelIdHex,
        input: input.type,
        why: (e as Error).message,
      });
      return;
    }
    throw e;
  }
  process(core, f, actions);
}

function process(core: ClientCore, f: ClientFactory, actions: readonly ChannelAction[]): void {
  const tokens: number[] = [];
  // Payment decisions first: they persist in the same store update as the channel state before them.
  const work: ChannelInput[] = [];
  for (const a of actions)
    if (a.kind === 'emit' && isPaymentEvent(a.event)) work.push(...onPaymentEvent(core, f, a.event));
  for (const a of actions) {
    switch (a.kind) {
      case 'send': {
        const ch = f.channel;
        // Commitment 0 for the LSP waits until the client holds its own (flaw 1).
        if (a.message.type === 'commitment_signed' && ch !== null && ch.localCommitmentNumber < 0)
          f.heldCommit = a.message;
        else core.send(toWireMessage(a.message));
        break;
      }
      case 'persist':
        core.persist([
          putChannelState(f.channelIdHex, CHANNEL_STATE_VERSION, a.state),
          ...a.blobs.map((b) => putChannelBlob(f.channelIdHex, b.key, b.bytes)),
        ]);
        tokens.push(a.token);
        break;
      case 'watch':
        onChannelWatch(core, f, a.watch);
        break;
      case 'emit':
        if (!isPaymentEvent(a.event)) onChannelEvent(core, f, a.event);
        break;
    }
  }
  for (const token of tokens) drive(core, f, { type: 'persisted', token });
  for (const input of work) drive(core, f, input);
  if (work.length > 0) drive(core, f, { type: 'commit' });
  const held = f.heldCommit;
  if (held !== null && f.channel !== null && f.channel.localCommitmentNumber >= 0) {
    f.heldCommit = null;
    core.send(held);
  }
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

function onChannelEvent(core: ClientCore, f: ClientFactory, e: ChannelEvent): void {
  if (e.type === 'ready') {
    if (!f.readyEmitted) {
      f.readyEmitted = true;
      core.event({ kind: 'ChannelReady', factoryId: f.idHex, channelId: f.channelIdHex });
    }
    return;
  }
  if (e.type === 'quiescent') {
    f.quiescent = true;
    core.log('debug', 'channel quiescent', { channelId: f.channelIdHex });
    return;
  }
  if (e.type === 'go_on_chain') {
    onChannelGoOnChain(core, f, 'go_on_chain');
    return;
  }
  if (e.type === 'rebind_nonce' || e.type === 'rebind_partial' || e.type === 'rebound') {
    onAdvanceChannelEvent(core, f, e);
    return;
  }
  if (e.type === 'error') {
    const err = e.error;
    core.log('warn', 'channel peer fault', { channelId: f.channelIdHex, action: err.action }, err);
    if (err.action === 'force-close' && f.phase === 'ceremony') {
      endCeremony(core, f, { reason: 'signing_failed', text: `channel: ${err.message}`, byLsp: false });
      return;
    }
    if (err.action === 'force-close') {
      core.event({
        kind: 'ChannelFailed',
        factoryId: f.idHex,
        channelId: f.channelIdHex,
        message: err.message,
      });
      onChannelGoOnChain(core, f, 'channel-failed');
    }
    core.send({ type: 'error', channelId: f.channelId, text: err.message });
    core.disconnectLsp(err.message);
    return;
  }
  core.log('debug', 'channel event', { channelId: f.channelIdHex, event: e.type });
}
