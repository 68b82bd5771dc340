/**
 * The leaf channel's state machine (brief §7, §5.4, §8 step 5, §11): BOLT 2's update flow between the
 * LSP and one client, sans-IO. `handle(input)` takes a peer message, a user command, a persistence
 * acknowledgement or a chain height and returns the actions to carry out, in order (`send`, `persist`,
 * `watch`, `emit`). It reads no clock (its clock is the chain height, an input), opens no socket and
 * writes nothing itself.
 *
 * Signing follows brief §7's two-nonce MuSig2 scheme: each holder sends its *verification nonce*
 * ahead (in `channel_ready`, every `revoke_and_ack`, `channel_reestablish`); the signer, always last,
 * signs with BIP327 DeterministicSign (fresh auxiliary randomness every time, so a retransmission is
 * re-signed with a new nonce) and sends its *signing nonce* with the partial signature. The holder
 * verifies the partial, adds its own with the verification secret nonce (consumed by the musig2
 * library at once), aggregates, verifies the BIP340 signature against the channel output key,
 * persists it, and only then sends `revoke_and_ack`. Secret nonces live in memory only.
 *
 * Persistence (LDK's `ChannelMonitorUpdate` pattern, with DESIGN §4's one sequencer per store): every
 * change a signature, revocation or broadcast depends on leaves as a `persist` action carrying an
 * opaque token; messages that depend on it are held until `persisted(token)` comes back, and while a
 * persist is outstanding the channel signs nothing and queues peer messages (processed in order after
 * the acknowledgement). The runtime that owns the store assigns the store's update ids.
 *
 * Rejections (see `channelErrors.ts`): a bad local command throws (`ignore`: nothing changed); a bad
 * peer message yields an `error` event with what to do (`disconnect` or `force-close`).
 *
 * This file is the public face and the two transition tables ({@link ON_INPUT}, {@link ON_MESSAGE});
 * each concern is a file of its own: the update log (`_updates.ts`), signing (`_signing.ts`),
 * revocation (`_revocation.ts`), quiescence and rebinding (`_rebind.ts`), reconnection
 * (`_reestablish.ts`), and the shared state and plumbing (`_core.ts`).
 *
 * @module
 */

import { equalBytes } from '@superscalar/core';
import type { NonceGenResult } from '@superscalar/musig2';
import { ShachainStore } from '@superscalar/shachain';
import {
  ChannelClosedError,
  type ChannelError,
  FeeUpdateRejectedError,
  IllegalStepError,
} from '../channelErrors.js';
import {
  type Commitment,
  type FundingOutpoint,
  type HtlcSpec,
  signedCommitmentBytes,
  validateConfig,
} from '../commitment.js';
import { InvalidArgumentError } from '../errors.js';
import type { ChannelMessage } from '../messages.js';
import { type ChannelState, decodeChannelState, encodeChannelState } from '../state.js';
import { ChannelCore, isBytes, PeerFault } from './_core.js';
import { other, type Side, type Spec } from './_log.js';
import { onStfu, rebindActivate, rebindComplete, rebindPrepare, rebindSign, tryStfu } from './_rebind.js';
import { connect, disconnect, dropUncommitted, onReestablish } from './_reestablish.js';
import { onRevokeAndAck } from './_revocation.js';
import { maybeReady, onChannelReady, onCommitmentSigned, signInitial, trySign } from './_signing.js';
import {
  checkDeadlines,
  checkLocalFee,
  localAdd,
  localFee,
  localRemove,
  onAdd,
  onFee,
  onRemove,
} from './_updates.js';
import type {
  ChannelAction,
  ChannelEvent,
  ChannelInput,
  ChannelOptions,
  ChannelSecrets,
  ChannelSetup,
} from './types.js';

/** The most untrimmed HTLCs per direction any channel accepts (brief §7: TRUC's 10,000 vB). */
export const MAX_ACCEPTED_HTLCS_LIMIT = 114;

type Step<I> = (ch: ChannelCore, input: I) => void;
type InputOf<T extends ChannelInput['type']> = Extract<ChannelInput, { type: T }>;
type MessageOf<T extends ChannelMessage['type']> = Extract<ChannelMessage, { type: T }>;

/** What each input does. Peer messages go through {@link ON_MESSAGE} once no persist is outstanding. */
const ON_INPUT: { readonly [T in ChannelInput['type']]: Step<InputOf<T>> } = {
  message: (ch, i) => receive(ch, i.message),
  add_htlc: localAdd,
  fulfill_htlc: (ch, i) => localRemove(ch, 'fulfill', i.id, i.preimage),
  fail_htlc: (ch, i) => localRemove(ch, 'fail', i.id, i.reason),
  update_fee: (ch, i) => localFee(ch, i.feeRate),
  commit: (ch) => {
    ch.requireNormal();
    ch.commitWanted = true;
    trySign(ch);
  },
  quiesce: (ch) => {
    ch.requireNormal();
    ch.quiesceWanted = true;
    tryStfu(ch);
  },
  resume: (ch) => {
    ch.s.localStfu = false;
    ch.s.remoteStfu = false;
    ch.quiesceWanted = false;
  },
  persisted: (ch, i) => persisted(ch, i.token),
  block: (ch, i) => {
    if (!Number.isInteger(i.height) || i.height < 0)
      throw new InvalidArgumentError('input.height', 'expected a height');
    if (i.height > ch.s.height) ch.s.height = i.height;
    checkDeadlines(ch);
  },
  disconnected: (ch) => disconnect(ch),
  connected: (ch) => connect(ch),
  rebind_prepare: (ch, i) => rebindPrepare(ch, i),
  rebind_sign: (ch, i) => rebindSign(ch, i.peerNonce),
  rebind_complete: (ch, i) => rebindComplete(ch, i.partialSig, i.signingNonce),
  rebind_activate: (ch) => rebindActivate(ch),
};

/** What each peer message does (after `channel_reestablish`, when reconnecting). */
const ON_MESSAGE: { readonly [T in ChannelMessage['type']]: Step<MessageOf<T>> } = {
  channel_ready: onChannelReady,
  update_add_htlc: onAdd,
  update_fulfill_htlc: (ch, m) => onRemove(ch, 'fulfill', m.id, m.paymentPreimage),
  update_fail_htlc: (ch, m) => onRemove(ch, 'fail', m.id, m.reason),
  update_fee: (ch, m) => onFee(ch, m.feeRate),
  commitment_signed: onCommitmentSigned,
  revoke_and_ack: onRevokeAndAck,
  stfu: (ch, m) => onStfu(ch, m.initiator),
  channel_reestablish: onReestablish,
};

/** The step for `type` in `table`, or undefined for a type it does not list. */
function stepOf<I>(table: object, type: unknown): Step<I> | undefined {
  return typeof type === 'string' && Object.hasOwn(table, type)
    ? ((table as Record<string, Step<I>>)[type] as Step<I>)
    : undefined;
}

/**
 * One side of one LSP↔client channel. Create it with {@link Channel.open} (factory ceremony, brief §8
 * step 5) or {@link Channel.restore} (from persisted state bytes); drive it with {@link Channel.handle}.
 */
export class Channel {
  private readonly ch: ChannelCore;

  private constructor(core: ChannelCore) {
    this.ch = core;
  }

  /**
   * Opens a channel (brief §8 step 5): returns it with its first actions — `channel_ready` with the
   * per-commitment points and verification nonces of commitments 0 and 1, and a watch of the outpoint.
   * Commitment 0 is signed once the peer's `channel_ready` arrives.
   */
  static open(
    setup: ChannelSetup,
    secrets: ChannelSecrets,
    options: ChannelOptions,
  ): { channel: Channel; actions: ChannelAction[] } {
    validateSetup(setup, secrets, options);
    const capacityMsat = setup.funding.amount * 1000n;
    const initialSpec: Spec = {
      lspMsat: capacityMsat - setup.initialClientBalanceMsat,
      clientMsat: setup.initialClientBalanceMsat,
      feeRate: setup.feeRate,
      htlcs: [],
    };
    const funding = { ...setup.funding, txid: setup.funding.txid.toLowerCase() };
    const state: ChannelState = {
      revision: 0,
      channelId: Uint8Array.from(setup.channelId),
      role: setup.role,
      config: setup.config,
      policy: setup.policy,
      phase: 'opening',
      height: setup.height,
      fundings: [
        { outpoint: funding, firstRemoteNumber: 0, lastRemoteNumber: null, holder: null, balances: null },
      ],
      initialSpec,
      localCommit: null,
      remoteCommit: null,
      nextRemoteCommit: null,
      remoteNextPoints: [],
      localChanges: { proposed: [], signed: [], acked: [] },
      remoteChanges: { proposed: [], acked: [], signed: [] },
      localNextHtlcId: 0n,
      remoteNextHtlcId: 0n,
      remoteSecrets: new ShachainStore(),
      localStfu: false,
      remoteStfu: false,
      lastSent: 'none',
      rebind: null,
    };
    const ch = new ChannelCore(state, secrets, options);
    // Building commitment 0 now checks that the LSP can pay its fee and anchor (brief §2 b_i bound).
    ch.build('lsp', 0, ch.localPoint(0), initialSpec, funding);
    const actions = run(ch, () => {
      ch.myNonces = [ch.freshNonce(), ch.freshNonce()];
      ch.send({
        type: 'channel_ready',
        channelId: ch.s.channelId,
        nextPerCommitmentPoint: ch.localPoint(0),
        verificationNonce: (ch.myNonces[0] as NonceGenResult).pubnonce,
        secondPerCommitmentPoint: ch.localPoint(1),
        secondVerificationNonce: (ch.myNonces[1] as NonceGenResult).pubnonce,
      });
      ch.out.push({ kind: 'watch', watch: { type: 'funding', outpoint: funding } });
    });
    const channel = new Channel(ch);
    return { channel, actions };
  }

  /**
   * Restores a channel from persisted state bytes (the last acknowledged `persist`). The connection is
   * considered down: send `connected` once the transport is up, which sends `channel_reestablish`
   * with a fresh verification nonce (secret nonces do not survive a restart).
   */
  static restore(stateBytes: Uint8Array, secrets: ChannelSecrets, options: ChannelOptions): Channel {
    const state = decodeChannelState(stateBytes);
    const ch = new ChannelCore(state, secrets, options);
    ch.connected = false;
    dropUncommitted(ch);
    return new Channel(ch);
  }

  /** A snapshot of the persisted form (what the last `persist` carried, plus in-memory updates since). */
  get state(): ChannelState {
    return decodeChannelState(encodeChannelState(this.ch.snapshot()));
  }

  /** This side. */
  get role(): Side {
    return this.ch.s.role;
  }

  /** The channel's phase. */
  get phase(): ChannelState['phase'] {
    return this.ch.s.phase;
  }

  /** The holder's current commitment number (`-1` before commitment 0). */
  get localCommitmentNumber(): number {
    return this.ch.s.localCommit?.number ?? -1;
  }

  /** The counterparty's current commitment number (`-1` before commitment 0). */
  get remoteCommitmentNumber(): number {
    return this.ch.s.remoteCommit?.number ?? -1;
  }

  /** The holder's current commitment's spec (balances, HTLCs, fee rate). */
  get localSpec(): Spec | undefined {
    return this.ch.s.localCommit?.spec;
  }

  /** The counterparty's latest signed commitment's spec. */
  get remoteSpec(): Spec | undefined {
    return (this.ch.s.nextRemoteCommit ?? this.ch.s.remoteCommit)?.spec;
  }

  /** The id the next local `add_htlc` will get. */
  get nextHtlcId(): bigint {
    return this.ch.s.localNextHtlcId;
  }

  /** True when nothing is pending: no update in any stage and no unrevoked counterparty commitment. */
  get isIdle(): boolean {
    return (
      this.ch.noPendingUpdates() &&
      this.ch.outbox.length === 0 &&
      this.ch.lastIssued === this.ch.lastAcked &&
      this.ch.inbox.length === 0
    );
  }

  /**
   * The fee rate of the newest `update_fee` this side sent that is still in flight (any stage), else
   * the holder's current commitment's (sat/kvB): the rate the channel is heading to.
   */
  get latestFeeRate(): number {
    const l = this.ch.s.localChanges;
    let rate = this.ch.s.localCommit?.spec.feeRate ?? this.ch.s.initialSpec.feeRate;
    for (const list of [l.acked, l.signed, l.proposed])
      for (const u of list) if (u.kind === 'fee') rate = u.feeRate;
    return rate;
  }

  /**
   * The HTLCs `offeredBy` offered that the channel still holds in some stage — a proposed or signed
   * add, or a current or signed commitment of either side — each once, by id. Cheap (no state copy):
   * what a forwarding table matches its records against.
   */
  htlcs(offeredBy: Side): HtlcSpec[] {
    const s = this.ch.s;
    const out = new Map<bigint, HtlcSpec>();
    for (const spec of [s.localCommit?.spec, s.remoteCommit?.spec, s.nextRemoteCommit?.spec])
      for (const h of spec?.htlcs ?? []) if (h.offeredBy === offeredBy) out.set(h.id, h);
    const c = offeredBy === s.role ? s.localChanges : s.remoteChanges;
    for (const list of [c.proposed, c.signed, c.acked])
      for (const u of list) if (u.kind === 'add') out.set(u.htlc.id, u.htlc);
    return [...out.values()];
  }

  /** Connected with `channel_reestablish` complete: local updates are allowed (quiescence aside). */
  get isReestablished(): boolean {
    return this.ch.connected && !this.ch.awaitingReestablish;
  }

  /**
   * Checks an `update_fee` at `feeRate` against brief §7's rules (affordability, dust exposure, the
   * untrimmed-HTLC count) on the sender's worst-case views, as `update_fee` would, without changing
   * anything: the funder finds the highest rate it can afford before proposing one.
   *
   * @throws {FeeUpdateRejectedError} the rule the rate breaks (or `not-funder` on the client's side).
   */
  checkFeeUpdate(feeRate: number): void {
    this.ch.requireNormal();
    if (this.ch.s.role !== 'lsp')
      throw new FeeUpdateRejectedError(
        'not-funder',
        'ignore',
        'local',
        feeRate,
        'only the LSP sends update_fee',
      );
    checkLocalFee(this.ch, feeRate);
  }

  /** The current channel outpoint. */
  get funding(): FundingOutpoint {
    return this.ch.funding;
  }

  /** The holder's current commitment as built (unsigned; for claims and tests). */
  holderCommitment(): Commitment {
    const lc = this.ch.requireLocal();
    return this.ch.build(this.ch.s.role, lc.number, lc.point, lc.spec, this.ch.funding);
  }

  /** The counterparty's current commitment as built (for claims of our outputs on it). */
  counterpartyCommitment(): Commitment {
    const rc = this.ch.s.remoteCommit;
    if (rc === null) throw new IllegalStepError('phase', 'ignore', 'local', 'no counterparty commitment yet');
    return this.ch.build(other(this.ch.s.role), rc.number, rc.point, rc.spec, this.ch.funding);
  }

  /**
   * Every counterparty commitment it may broadcast: its current one and, while its revocation of that
   * one is awaited, the next one we signed (for watching both, e.g. their HTLC outputs' spends).
   */
  counterpartyCommitments(): Commitment[] {
    const out: Commitment[] = [];
    for (const rc of [this.ch.s.remoteCommit, this.ch.s.nextRemoteCommit])
      if (rc !== null)
        out.push(this.ch.build(other(this.ch.s.role), rc.number, rc.point, rc.spec, this.ch.funding));
    return out;
  }

  /**
   * The holder's latest commitment, signed and ready to broadcast (with a CPFP child through its
   * anchor): what a `force-close` error asks for.
   */
  forceCloseTransaction(): { readonly commitment: Commitment; readonly bytes: Uint8Array } {
    const lc = this.ch.requireLocal();
    const commitment = this.ch.build(this.ch.s.role, lc.number, lc.point, lc.spec, this.ch.funding);
    return { commitment, bytes: signedCommitmentBytes(commitment, lc.signature) };
  }

  /** Our per-commitment secret of a commitment we have revoked (tests, watchtowers of our own). */
  revealedSecret(number: number): Uint8Array | undefined {
    const lc = this.ch.s.localCommit;
    if (lc === null || number >= lc.number) return undefined;
    return this.ch.localSecret(number);
  }

  /**
   * Handles one input and returns the actions to carry out, in order. Throws a {@link ChannelError}
   * (action `ignore`, state unchanged) for a local command that is not allowed now; reports a peer
   * message's fault as an `error` event instead (action `disconnect` or `force-close`).
   */
  handle(input: ChannelInput): ChannelAction[] {
    if (this.ch.s.phase === 'failed')
      throw new ChannelClosedError('the channel has failed: broadcast its latest commitment');
    if (typeof input !== 'object' || input === null)
      throw new InvalidArgumentError('input', 'expected an input object');
    return run(this.ch, () => dispatch(this.ch, input));
  }
}

function dispatch(ch: ChannelCore, input: ChannelInput) {
  const step = stepOf<ChannelInput>(ON_INPUT, input.type);
  if (step === undefined)
    throw new InvalidArgumentError(
      'input.type',
      `unknown input ${String((input as { type: unknown }).type)}`,
    );
  step(ch, input);
}

/** A `persist` is durable: release what waited for it (in order), then resume. Tokens come back in order. */
function persisted(ch: ChannelCore, token: number) {
  if (!Number.isInteger(token) || token <= ch.lastAcked || token > ch.lastIssued)
    throw new IllegalStepError(
      'phase',
      'ignore',
      'local',
      `persisted(${token}): not the token of an outstanding persist (last issued ${ch.lastIssued}, acknowledged ${ch.lastAcked})`,
    );
  ch.lastAcked = token;
  while (ch.outbox.length > 0 && (ch.outbox[0] as { after: number }).after <= ch.lastAcked)
    ch.out.push((ch.outbox.shift() as { action: ChannelAction }).action);
  while (ch.onAck.length > 0 && (ch.onAck[0] as { id: number }).id <= ch.lastAcked)
    for (const event of (ch.onAck.shift() as { events: ChannelEvent[] }).events) ch.emit(event);
  if (ch.outstanding()) return;
  while (ch.inbox.length > 0 && !ch.outstanding()) processMessage(ch, ch.inbox.shift() as ChannelMessage);
  if (!ch.outstanding()) {
    if (ch.s.phase === 'opening' && ch.s.remoteNextPoints.length === 2) signInitial(ch);
    maybeReady(ch);
    trySign(ch);
    tryStfu(ch);
  }
}

function receive(ch: ChannelCore, message: ChannelMessage) {
  if (typeof message !== 'object' || message === null || typeof message.type !== 'string')
    throw new InvalidArgumentError('input.message', 'expected a channel message');
  if (!isBytes(message.channelId, 32) || !equalBytes(message.channelId, ch.s.channelId))
    throw new IllegalStepError('channel-id', 'ignore', 'peer', 'message for another channel');
  if (!ch.connected) throw new IllegalStepError('phase', 'ignore', 'local', 'a message while disconnected');
  if (ch.outstanding() || ch.inbox.length > 0) {
    ch.inbox.push(message);
    return;
  }
  processMessage(ch, message);
}

function processMessage(ch: ChannelCore, m: ChannelMessage) {
  if (ch.awaitingReestablish && m.type !== 'channel_reestablish')
    ch.peerError(
      (o) => new IllegalStepError('reestablish', 'disconnect', o, `${m.type} before channel_reestablish`),
    );
  const step = stepOf<ChannelMessage>(ON_MESSAGE, m.type);
  if (step === undefined)
    ch.peerError(
      (o) =>
        new IllegalStepError('malformed', 'disconnect', o, `unknown message ${(m as { type: string }).type}`),
    );
  step(ch, m);
}

function run(ch: ChannelCore, step: () => void): ChannelAction[] {
  ch.out = [];
  try {
    step();
  } catch (e) {
    if (!(e instanceof PeerFault)) {
      ch.out = [];
      throw e;
    }
    fault(ch, e.error);
  }
  const out = ch.out;
  ch.out = [];
  return out;
}

function fault(ch: ChannelCore, error: ChannelError) {
  if (error.action === 'force-close') {
    ch.s.phase = 'failed';
    ch.inbox = [];
    ch.persist([]);
  } else if (error.action === 'disconnect') {
    disconnect(ch);
  }
  ch.out.push({ kind: 'emit', event: { type: 'error', error } });
}

function validateSetup(setup: ChannelSetup, secrets: ChannelSecrets, options: ChannelOptions) {
  if (typeof setup !== 'object' || setup === null)
    throw new InvalidArgumentError('setup', 'expected an object');
  if (!isBytes(setup.channelId, 32)) throw new InvalidArgumentError('setup.channelId', 'expected 32 bytes');
  if (setup.role !== 'lsp' && setup.role !== 'client')
    throw new InvalidArgumentError('setup.role', "expected 'lsp' or 'client'");
  validateConfig(setup.config);
  const p = setup.policy;
  if (typeof p !== 'object' || p === null)
    throw new InvalidArgumentError('setup.policy', 'expected an object');
  if (
    !Number.isInteger(p.maxAcceptedHtlcs) ||
    p.maxAcceptedHtlcs < 1 ||
    p.maxAcceptedHtlcs > MAX_ACCEPTED_HTLCS_LIMIT
  )
    throw new InvalidArgumentError(
      'setup.policy.maxAcceptedHtlcs',
      `must be 1..${MAX_ACCEPTED_HTLCS_LIMIT} (brief §7: a peer asking more is refused), got ${String(p.maxAcceptedHtlcs)}`,
    );
  for (const k of ['reserve', 'maxDustExposure'] as const)
    if (typeof p[k] !== 'bigint' || p[k] < 0n)
      throw new InvalidArgumentError(`setup.policy.${k}`, 'expected sats');
  for (const k of ['exitDelay', 'pathTxs', 'exitMargin', 'htlcBudget', 'dyingHeight'] as const)
    if (!Number.isInteger(p[k]) || p[k] < 0)
      throw new InvalidArgumentError(`setup.policy.${k}`, 'expected a non-negative integer');
  const cap = setup.funding?.amount;
  if (typeof cap !== 'bigint' || cap <= 0n)
    throw new InvalidArgumentError('setup.funding.amount', 'expected sats');
  if (
    typeof setup.initialClientBalanceMsat !== 'bigint' ||
    setup.initialClientBalanceMsat < 0n ||
    setup.initialClientBalanceMsat > cap * 1000n
  )
    throw new InvalidArgumentError('setup.initialClientBalanceMsat', 'expected msat within the capacity');
  if (!Number.isInteger(setup.feeRate) || setup.feeRate < 1)
    throw new InvalidArgumentError('setup.feeRate', 'expected sat/kvB');
  if (!Number.isInteger(setup.height) || setup.height < 0)
    throw new InvalidArgumentError('setup.height', 'expected a height');
  for (const k of ['fundingSecret', 'shachainSeed', 'revocationBasepointSecret'] as const)
    if (!isBytes(secrets?.[k], 32)) throw new InvalidArgumentError(`secrets.${k}`, 'expected 32 bytes');
  if (!isBytes(options?.sweepScript))
    throw new InvalidArgumentError('options.sweepScript', 'expected a scriptPubKey');
}
