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
 * Persistence (LDK's `ChannelMonitorUpdate` pattern): every change a signature, revocation or
 * broadcast depends on leaves as a `persist` action with a strictly increasing id; messages that
 * depend on it are held until `persisted(id)` comes back, and while a persist is outstanding the
 * channel signs nothing and queues peer messages (processed in order after the acknowledgement).
 *
 * Rejections (see `channelErrors.ts`): a bad local command throws (`ignore`: nothing changed); a bad
 * peer message yields an `error` event with what to do (`disconnect` or `force-close`).
 *
 * @module
 */

import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { Rng } from '@superscalar/core';
import {
  deterministicSign,
  type NonceGenResult,
  nonceAgg,
  nonceGen,
  Session,
  schnorrVerify,
} from '@superscalar/musig2';
import { commitmentIndex, generateFromSeed, ShachainStore } from '@superscalar/shachain';
import {
  ChannelClosedError,
  type ChannelError,
  type ChannelErrorAction,
  type ChannelErrorOrigin,
  FeeUpdateRejectedError,
  HtlcRejectedError,
  IllegalStepError,
  RevocationRejectedError,
  SignatureRejectedError,
} from '../channelErrors.js';
import {
  buildCommitment,
  type Commitment,
  type FundingOutpoint,
  signedCommitmentBytes,
  validateConfig,
} from '../commitment.js';
import { goToChainHeight, maxCltvExpiry } from '../deadlines.js';
import { InvalidArgumentError } from '../errors.js';
import { dustExposure, lspCanAfford, msatToSat, untrimmedHtlcCount } from '../fees.js';
import { perCommitmentPoint } from '../keys.js';
import type { ChannelMessage, CommitmentSigned, RevokeAndAck, UpdateAddHtlc } from '../messages.js';
import { buildPenaltiesForCopies } from '../penalty.js';
import {
  type ChannelState,
  type CommitmentRecord,
  decodeChannelState,
  encodeChannelState,
  type FundingRecord,
  type HolderCommitmentRecord,
} from '../state.js';
import { encodeWatchtowerRecord } from '../watchtower.js';
import {
  balance,
  by,
  htlcKey,
  other,
  reduce,
  type Side,
  type Spec,
  type SpecHtlc,
  type Update,
} from './_log.js';
import type {
  ChannelAction,
  ChannelEvent,
  ChannelInput,
  ChannelOptions,
  ChannelSecrets,
  ChannelSetup,
  RevokedCopy,
} from './types.js';

/** The most untrimmed HTLCs per direction any channel accepts (brief §7: TRUC's 10,000 vB). */
export const MAX_ACCEPTED_HTLCS_LIMIT = 114;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
interface MutState
  extends Mutable<Omit<ChannelState, 'localChanges' | 'remoteChanges' | 'fundings' | 'remoteNextPoints'>> {
  localChanges: { proposed: Update[]; signed: Update[]; acked: Update[] };
  remoteChanges: { proposed: Update[]; acked: Update[]; signed: Update[] };
  fundings: FundingRecord[];
  remoteNextPoints: Uint8Array[];
}

const ZERO32 = new Uint8Array(32);

function eq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isBytes(v: unknown, len?: number): v is Uint8Array {
  return v instanceof Uint8Array && (len === undefined || v.length === len);
}

/** Thrown inside a step to reject a peer message; turned into an `error` event at the boundary. */
class PeerFault extends Error {
  constructor(readonly error: ChannelError) {
    super(error.message);
  }
}

/**
 * One side of one LSP↔client channel. Create it with {@link Channel.open} (factory ceremony, brief §8
 * step 5) or {@link Channel.restore} (from persisted state bytes); drive it with {@link Channel.handle}.
 */
export class Channel {
  private s: MutState;
  private readonly secrets: ChannelSecrets;
  private readonly rng: Rng;
  private readonly options: ChannelOptions;
  private readonly localFundingKey: Uint8Array;

  // In memory only (brief §7: secret nonces never touch disk; a crash loses them).
  /** Our verification nonces for our next commitments, oldest first. */
  private myNonces: NonceGenResult[] = [];
  /** The counterparty's verification nonces for its next commitments, oldest first. */
  private peerNonces: Uint8Array[] = [];
  private rebindNonce: NonceGenResult | undefined;
  private peerRebindNonce: Uint8Array | undefined;
  private connected = true;
  private reestablishSent = false;
  private awaitingReestablish = false;
  private commitWanted = false;
  private quiesceWanted = false;
  private lastIssued: number;
  private lastAcked: number;
  private inbox: ChannelMessage[] = [];
  private outbox: { after: number; action: ChannelAction }[] = [];
  private onAck: { id: number; events: ChannelEvent[] }[] = [];
  private out: ChannelAction[] = [];
  private openingSentCommit = false;

  private constructor(state: ChannelState, secrets: ChannelSecrets, options: ChannelOptions) {
    this.s = {
      ...state,
      fundings: [...state.fundings],
      remoteNextPoints: [...state.remoteNextPoints],
      localChanges: {
        proposed: [...state.localChanges.proposed],
        signed: [...state.localChanges.signed],
        acked: [...state.localChanges.acked],
      },
      remoteChanges: {
        proposed: [...state.remoteChanges.proposed],
        acked: [...state.remoteChanges.acked],
        signed: [...state.remoteChanges.signed],
      },
      remoteSecrets: ShachainStore.decode(state.remoteSecrets.encode()),
    };
    this.secrets = secrets;
    this.options = options;
    this.rng = options.rng ?? randomBytes;
    const cfg = state.config;
    this.localFundingKey = state.role === 'lsp' ? cfg.lspFundingKey : cfg.clientFundingKey;
    this.lastIssued = state.updateId;
    this.lastAcked = state.updateId;
    const derived = secp256k1.getPublicKey(secrets.fundingSecret, true);
    if (!eq(derived, this.localFundingKey))
      throw new InvalidArgumentError('secrets.fundingSecret', `is not the secret of this side's funding key`);
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
      updateId: 0,
      channelId: Uint8Array.from(setup.channelId),
      role: setup.role,
      config: setup.config,
      policy: setup.policy,
      phase: 'opening',
      height: setup.height,
      fundings: [{ outpoint: funding, firstRemoteNumber: 0n, lastRemoteNumber: null, holder: null }],
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
    const channel = new Channel(state, secrets, options);
    // Building commitment 0 now checks that the LSP can pay its fee and anchor (brief §2 b_i bound).
    channel.build('lsp', 0n, channel.localPoint(0n), initialSpec, funding);
    const actions = channel.run(() => {
      channel.myNonces = [channel.freshNonce(), channel.freshNonce()];
      channel.send({
        type: 'channel_ready',
        channelId: channel.s.channelId,
        nextPerCommitmentPoint: channel.localPoint(0n),
        verificationNonce: (channel.myNonces[0] as NonceGenResult).pubnonce,
        secondPerCommitmentPoint: channel.localPoint(1n),
        secondVerificationNonce: (channel.myNonces[1] as NonceGenResult).pubnonce,
      });
      channel.out.push({ kind: 'watch', watch: { type: 'funding', outpoint: funding } });
    });
    return { channel, actions };
  }

  /**
   * Restores a channel from persisted state bytes (the last acknowledged `persist`). The connection is
   * considered down: send `connected` once the transport is up, which sends `channel_reestablish`
   * with a fresh verification nonce (secret nonces do not survive a restart).
   */
  static restore(stateBytes: Uint8Array, secrets: ChannelSecrets, options: ChannelOptions): Channel {
    const state = decodeChannelState(stateBytes);
    const channel = new Channel(state, secrets, options);
    channel.connected = false;
    channel.dropUncommitted();
    return channel;
  }

  /** A snapshot of the persisted form (what the last `persist` carried, plus in-memory updates since). */
  get state(): ChannelState {
    return decodeChannelState(encodeChannelState(this.snapshot()));
  }

  /** This side. */
  get role(): Side {
    return this.s.role;
  }

  /** The channel's phase. */
  get phase(): ChannelState['phase'] {
    return this.s.phase;
  }

  /** The holder's current commitment number (`-1n` before commitment 0). */
  get localCommitmentNumber(): bigint {
    return this.s.localCommit?.number ?? -1n;
  }

  /** The counterparty's current commitment number (`-1n` before commitment 0). */
  get remoteCommitmentNumber(): bigint {
    return this.s.remoteCommit?.number ?? -1n;
  }

  /** The holder's current commitment's spec (balances, HTLCs, fee rate). */
  get localSpec(): Spec | undefined {
    return this.s.localCommit?.spec;
  }

  /** The counterparty's latest signed commitment's spec. */
  get remoteSpec(): Spec | undefined {
    return (this.s.nextRemoteCommit ?? this.s.remoteCommit)?.spec;
  }

  /** The id the next local `add_htlc` will get. */
  get nextHtlcId(): bigint {
    return this.s.localNextHtlcId;
  }

  /** True when nothing is pending: no update in any stage and no unrevoked counterparty commitment. */
  get isIdle(): boolean {
    return (
      this.noPendingUpdates() &&
      this.outbox.length === 0 &&
      this.lastIssued === this.lastAcked &&
      this.inbox.length === 0
    );
  }

  /** The current channel outpoint. */
  get funding(): FundingOutpoint {
    return (this.s.fundings[this.s.fundings.length - 1] as FundingRecord).outpoint;
  }

  /** The holder's current commitment as built (unsigned; for claims and tests). */
  holderCommitment(): Commitment {
    const lc = this.requireLocal();
    return this.build(this.s.role, lc.number, lc.point, lc.spec, this.funding);
  }

  /** The counterparty's current commitment as built (for claims of our outputs on it). */
  counterpartyCommitment(): Commitment {
    const rc = this.s.remoteCommit;
    if (rc === null) throw new IllegalStepError('phase', 'ignore', 'local', 'no counterparty commitment yet');
    return this.build(other(this.s.role), rc.number, rc.point, rc.spec, this.funding);
  }

  /**
   * The holder's latest commitment, signed and ready to broadcast (with a CPFP child through its
   * anchor): what a `force-close` error asks for.
   */
  forceCloseTransaction(): { readonly commitment: Commitment; readonly bytes: Uint8Array } {
    const lc = this.requireLocal();
    const commitment = this.build(this.s.role, lc.number, lc.point, lc.spec, this.funding);
    return { commitment, bytes: signedCommitmentBytes(commitment, lc.signature) };
  }

  /** Our per-commitment secret of a commitment we have revoked (tests, watchtowers of our own). */
  revealedSecret(number: bigint): Uint8Array | undefined {
    const lc = this.s.localCommit;
    if (lc === null || number >= lc.number) return undefined;
    return this.localSecret(number);
  }

  /**
   * Handles one input and returns the actions to carry out, in order. Throws a {@link ChannelError}
   * (action `ignore`, state unchanged) for a local command that is not allowed now; reports a peer
   * message's fault as an `error` event instead (action `disconnect` or `force-close`).
   */
  handle(input: ChannelInput): ChannelAction[] {
    if (this.s.phase === 'failed')
      throw new ChannelClosedError('the channel has failed: broadcast its latest commitment');
    if (typeof input !== 'object' || input === null)
      throw new InvalidArgumentError('input', 'expected an input object');
    return this.run(() => this.dispatch(input));
  }

  // --- plumbing ---

  private run(step: () => void): ChannelAction[] {
    this.out = [];
    try {
      step();
    } catch (e) {
      if (!(e instanceof PeerFault)) {
        this.out = [];
        throw e;
      }
      this.fault(e.error);
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  private fault(error: ChannelError) {
    if (error.action === 'force-close') {
      this.s.phase = 'failed';
      this.inbox = [];
      this.persist([]);
    } else if (error.action === 'disconnect') {
      this.disconnect();
    }
    this.out.push({ kind: 'emit', event: { type: 'error', error } });
  }

  private dispatch(input: ChannelInput) {
    switch (input.type) {
      case 'message':
        return this.receive(input.message);
      case 'add_htlc':
        return this.localAdd(input);
      case 'fulfill_htlc':
        return this.localRemove('fulfill', input.id, input.preimage);
      case 'fail_htlc':
        return this.localRemove('fail', input.id, input.reason);
      case 'update_fee':
        return this.localFee(input.feeRate);
      case 'commit':
        this.requireNormal();
        this.commitWanted = true;
        return this.trySign();
      case 'quiesce':
        this.requireNormal();
        this.quiesceWanted = true;
        return this.tryStfu();
      case 'resume':
        this.s.localStfu = false;
        this.s.remoteStfu = false;
        this.quiesceWanted = false;
        return;
      case 'persisted':
        return this.persisted(input.updateId);
      case 'block':
        if (!Number.isInteger(input.height) || input.height < 0)
          throw new InvalidArgumentError('input.height', 'expected a height');
        if (input.height > this.s.height) this.s.height = input.height;
        return this.checkDeadlines();
      case 'disconnected':
        return this.disconnect();
      case 'connected':
        return this.connect();
      case 'rebind_prepare':
        return this.rebindPrepare(input.funding);
      case 'rebind_sign':
        return this.rebindSign(input.peerNonce);
      case 'rebind_complete':
        return this.rebindComplete(input.partialSig, input.signingNonce);
      case 'rebind_activate':
        return this.rebindActivate();
      default:
        throw new InvalidArgumentError(
          'input.type',
          `unknown input ${String((input as { type: unknown }).type)}`,
        );
    }
  }

  private outstanding(): boolean {
    return this.lastIssued !== this.lastAcked;
  }

  private send(message: ChannelMessage) {
    const action: ChannelAction = { kind: 'send', message };
    if (this.outbox.length > 0 || this.outstanding()) this.outbox.push({ after: this.lastIssued, action });
    else this.out.push(action);
  }

  private emit(event: ChannelEvent) {
    this.out.push({ kind: 'emit', event });
  }

  /** Emits once the latest persist is acknowledged (events that announce durable state). */
  private emitDurable(event: ChannelEvent) {
    if (!this.outstanding()) this.emit(event);
    else this.onAck.push({ id: this.lastIssued, events: [event] });
  }

  private persist(blobs: { key: string; bytes: Uint8Array }[]) {
    this.s.updateId = this.lastIssued + 1;
    this.lastIssued = this.s.updateId;
    this.out.push({
      kind: 'persist',
      updateId: this.s.updateId,
      state: encodeChannelState(this.snapshot()),
      blobs,
    });
  }

  private persisted(updateId: number) {
    if (!Number.isInteger(updateId) || updateId <= this.lastAcked || updateId > this.lastIssued)
      throw new IllegalStepError(
        'phase',
        'ignore',
        'local',
        `persisted(${updateId}): not an outstanding update id (last issued ${this.lastIssued}, acknowledged ${this.lastAcked})`,
      );
    this.lastAcked = updateId;
    while (this.outbox.length > 0 && (this.outbox[0] as { after: number }).after <= this.lastAcked)
      this.out.push((this.outbox.shift() as { action: ChannelAction }).action);
    while (this.onAck.length > 0 && (this.onAck[0] as { id: number }).id <= this.lastAcked)
      for (const event of (this.onAck.shift() as { events: ChannelEvent[] }).events) this.emit(event);
    if (this.outstanding()) return;
    while (this.inbox.length > 0 && !this.outstanding()) this.process(this.inbox.shift() as ChannelMessage);
    if (!this.outstanding()) {
      if (this.s.phase === 'opening' && this.s.remoteNextPoints.length === 2) this.signInitial();
      this.maybeReady();
      this.trySign();
      this.tryStfu();
    }
  }

  private snapshot(): ChannelState {
    return { ...this.s, fundings: [...this.s.fundings], remoteNextPoints: [...this.s.remoteNextPoints] };
  }

  private requireNormal() {
    if (this.s.phase !== 'normal')
      throw new IllegalStepError('phase', 'ignore', 'local', `the channel is ${this.s.phase}, not open`);
  }

  private requireLocal(): HolderCommitmentRecord {
    const lc = this.s.localCommit;
    if (lc === null) throw new IllegalStepError('phase', 'ignore', 'local', 'no holder commitment yet');
    return lc;
  }

  private peerError(make: (origin: ChannelErrorOrigin) => ChannelError): never {
    throw new PeerFault(make('peer'));
  }

  private build(
    holder: Side,
    number: bigint,
    point: Uint8Array,
    spec: Spec,
    funding: FundingOutpoint,
  ): Commitment {
    return buildCommitment(this.s.config, funding, {
      holder,
      commitmentNumber: number,
      perCommitmentPoint: point,
      lspBalanceMsat: spec.lspMsat,
      clientBalanceMsat: spec.clientMsat,
      htlcs: spec.htlcs,
      feeRate: spec.feeRate,
    });
  }

  private localSecret(number: bigint): Uint8Array {
    return generateFromSeed(this.secrets.shachainSeed, commitmentIndex(Number(number)));
  }

  private localPoint(number: bigint): Uint8Array {
    return perCommitmentPoint(this.localSecret(number));
  }

  private freshNonce(): NonceGenResult {
    return nonceGen({ pk: this.localFundingKey, sk: this.secrets.fundingSecret, rng: this.rng });
  }

  private noPendingUpdates(): boolean {
    const l = this.s.localChanges;
    const r = this.s.remoteChanges;
    return (
      l.proposed.length +
        l.signed.length +
        l.acked.length +
        r.proposed.length +
        r.acked.length +
        r.signed.length ===
        0 && this.s.nextRemoteCommit === null
    );
  }

  // --- peer messages ---

  private receive(message: ChannelMessage) {
    if (typeof message !== 'object' || message === null || typeof message.type !== 'string')
      throw new InvalidArgumentError('input.message', 'expected a channel message');
    if (!isBytes(message.channelId, 32) || !eq(message.channelId, this.s.channelId))
      throw new IllegalStepError('channel-id', 'ignore', 'peer', 'message for another channel');
    if (!this.connected)
      throw new IllegalStepError('phase', 'ignore', 'local', 'a message while disconnected');
    if (this.outstanding() || this.inbox.length > 0) {
      this.inbox.push(message);
      return;
    }
    this.process(message);
  }

  private process(m: ChannelMessage) {
    if (this.awaitingReestablish && m.type !== 'channel_reestablish')
      this.peerError(
        (o) => new IllegalStepError('reestablish', 'disconnect', o, `${m.type} before channel_reestablish`),
      );
    switch (m.type) {
      case 'channel_ready':
        return this.onChannelReady(m);
      case 'update_add_htlc':
        return this.onAdd(m);
      case 'update_fulfill_htlc':
        return this.onRemove('fulfill', m.id, m.paymentPreimage);
      case 'update_fail_htlc':
        return this.onRemove('fail', m.id, m.reason);
      case 'update_fee':
        return this.onFee(m.feeRate);
      case 'commitment_signed':
        return this.onCommitmentSigned(m);
      case 'revoke_and_ack':
        return this.onRevokeAndAck(m);
      case 'stfu':
        return this.onStfu(m.initiator);
      case 'channel_reestablish':
        return this.onReestablish(m);
      default:
        this.peerError(
          (o) =>
            new IllegalStepError(
              'malformed',
              'disconnect',
              o,
              `unknown message ${(m as { type: string }).type}`,
            ),
        );
    }
  }

  private onChannelReady(m: Extract<ChannelMessage, { type: 'channel_ready' }>) {
    if (this.s.phase !== 'opening' || this.s.remoteNextPoints.length > 0 || this.s.remoteCommit !== null)
      this.peerError((o) => new IllegalStepError('phase', 'disconnect', o, 'unexpected channel_ready'));
    const second = m.secondPerCommitmentPoint;
    const secondNonce = m.secondVerificationNonce;
    if (
      !validPoint(m.nextPerCommitmentPoint) ||
      !isBytes(m.verificationNonce, 66) ||
      !validPoint(second) ||
      !isBytes(secondNonce, 66)
    )
      this.peerError(
        (o) =>
          new IllegalStepError(
            'malformed',
            'disconnect',
            o,
            'channel_ready needs two points and two verification nonces',
          ),
      );
    this.s.remoteNextPoints = [Uint8Array.from(m.nextPerCommitmentPoint), Uint8Array.from(second)];
    this.peerNonces = [Uint8Array.from(m.verificationNonce), Uint8Array.from(secondNonce)];
    this.signInitial();
  }

  /** Signs the counterparty's commitment 0 (brief §8 step 5). */
  private signInitial() {
    if (this.openingSentCommit || this.outstanding()) return;
    const point = this.s.remoteNextPoints.shift() as Uint8Array;
    const spec = this.s.initialSpec;
    const c = this.build(other(this.s.role), 0n, point, spec, this.funding);
    const { psig, pubnonce } = this.signAsSigner(c);
    this.openingSentCommit = true;
    this.s.remoteCommit = { number: 0n, spec, point };
    this.s.lastSent = 'commit';
    this.persist([]);
    this.send({
      type: 'commitment_signed',
      channelId: this.s.channelId,
      partialSig: psig,
      signingNonce: pubnonce,
    });
  }

  private maybeReady() {
    if (
      this.s.phase !== 'opening' ||
      this.s.localCommit === null ||
      this.s.remoteCommit === null ||
      this.outstanding()
    )
      return;
    this.s.phase = 'normal';
    this.persist([]);
    this.emitDurable({ type: 'ready' });
  }

  private checkAddable(
    origin: ChannelErrorOrigin,
    action: ChannelErrorAction,
    htlc: SpecHtlc,
    onion: Uint8Array,
  ) {
    const fail = (
      rule: ConstructorParameters<typeof HtlcRejectedError>[0],
      msg: string,
      figure?: bigint | number,
      limit?: bigint | number,
    ): never => {
      const e = new HtlcRejectedError(rule, action, origin, msg, { htlcId: htlc.id, figure, limit });
      if (origin === 'peer') throw new PeerFault(e);
      throw e;
    };
    if (this.s.phase !== 'normal') fail('amount', `the channel is ${this.s.phase}`);
    if (htlc.amountMsat <= 0n) fail('amount', 'the amount must be positive', htlc.amountMsat, 1n);
    if (!isBytes(htlc.paymentHash, 32)) fail('amount', 'paymentHash must be 32 bytes');
    if (!isBytes(onion)) fail('amount', 'onion must be bytes');
    const p = this.s.policy;
    if (this.s.height >= p.dyingHeight)
      fail(
        'dying-period',
        `height ${this.s.height} is in the dying period (from ${p.dyingHeight})`,
        this.s.height,
        p.dyingHeight,
      );
    if (!Number.isInteger(htlc.cltvExpiry) || htlc.cltvExpiry <= this.s.height)
      fail(
        'expiry-past',
        `cltv_expiry ${htlc.cltvExpiry} is not above the height ${this.s.height}`,
        htlc.cltvExpiry,
        this.s.height + 1,
      );
    const deadline = maxCltvExpiry({
      exitDelay: p.exitDelay,
      pathTxs: p.pathTxs,
      exitMargin: p.exitMargin,
      channelTimeout: this.s.config.channelTimeout,
    });
    if (htlc.cltvExpiry > deadline)
      fail(
        'expiry-deadline',
        `cltv_expiry ${htlc.cltvExpiry} is after T_m − exitDelay − pathTxs − exitMargin = ${deadline}`,
        htlc.cltvExpiry,
        deadline,
      );
    const view =
      origin === 'local'
        ? this.senderViews([{ by: htlc.offeredBy, u: { kind: 'add', htlc, onion } }])
        : [this.receiverView({ by: htlc.offeredBy, u: { kind: 'add', htlc, onion } })];
    for (const spec of view) {
      const offererBalance = balance(spec, htlc.offeredBy);
      if (offererBalance < 0n)
        fail(
          'capacity',
          `the ${htlc.offeredBy}'s balance would be ${offererBalance} msat`,
          offererBalance,
          0n,
        );
      if (htlc.offeredBy === 'client' && offererBalance < p.reserve * 1000n)
        fail(
          'reserve',
          `the client's balance would be ${offererBalance} msat, below the ${p.reserve}-sat reserve`,
          offererBalance,
          p.reserve * 1000n,
        );
      const count = untrimmedHtlcCount(
        spec.htlcs.filter((h) => h.offeredBy === htlc.offeredBy),
        spec.feeRate,
      );
      if (count > p.maxAcceptedHtlcs)
        fail(
          'max-accepted',
          `${count} untrimmed HTLCs offered by the ${htlc.offeredBy}`,
          count,
          p.maxAcceptedHtlcs,
        );
      if (
        !lspCanAfford({
          lspBalanceMsat: spec.lspMsat,
          htlcs: spec.htlcs,
          feeRate: spec.feeRate,
          reserve: p.reserve,
        })
      )
        fail(
          'affordability',
          `the LSP's balance ${msatToSat(spec.lspMsat)} sats would not cover reserve + fee + 240 with room for one more HTLC each way`,
        );
      const dust = dustExposure(spec.htlcs, spec.feeRate);
      if (dust > p.maxDustExposure)
        fail(
          'dust-exposure',
          `dust exposure ${dust} sats above ${p.maxDustExposure}`,
          dust,
          p.maxDustExposure,
        );
    }
  }

  /**
   * The worst cases a local update must fit (sender side, the strictest view): our commitment with
   * every pending add and fee update of both sides applied and no pending removal, once per fee rate
   * pending or committed.
   */
  private senderViews(extra: { by: Side; u: Update }[]): Spec[] {
    const lc = this.requireLocal();
    const l = this.s.localChanges;
    const r = this.s.remoteChanges;
    const all = [
      ...by(this.s.role, [...l.proposed, ...l.signed, ...l.acked]),
      ...by(other(this.s.role), r.proposed),
      ...extra,
    ];
    const adds = all.filter((x) => x.u.kind === 'add');
    const rates = new Set<number>([
      lc.spec.feeRate,
      ...all.flatMap((x) => (x.u.kind === 'fee' ? [x.u.feeRate] : [])),
    ]);
    const base = reduce(lc.spec, adds);
    return [...rates].map((feeRate) => ({ ...base, feeRate }));
  }

  /** BOLT 2's receiver view: our commitment with our acked and their proposed updates. */
  private receiverView(extra: { by: Side; u: Update }): Spec {
    const lc = this.requireLocal();
    return reduce(lc.spec, [
      ...by(this.s.role, this.s.localChanges.acked),
      ...by(other(this.s.role), this.s.remoteChanges.proposed),
      extra,
    ]);
  }

  private onAdd(m: UpdateAddHtlc) {
    const remote = other(this.s.role);
    this.checkUpdateAllowed('peer');
    if (typeof m.id !== 'bigint' || m.id !== this.s.remoteNextHtlcId)
      this.peerError(
        (o) =>
          new HtlcRejectedError(
            'duplicate-id',
            'disconnect',
            o,
            `HTLC id ${String(m.id)}, expected ${this.s.remoteNextHtlcId}`,
            { htlcId: typeof m.id === 'bigint' ? m.id : undefined },
          ),
      );
    if (typeof m.amountMsat !== 'bigint' || typeof m.cltvExpiry !== 'number')
      this.peerError((o) => new IllegalStepError('malformed', 'disconnect', o, 'update_add_htlc fields'));
    const htlc: SpecHtlc = {
      offeredBy: remote,
      id: m.id,
      amountMsat: m.amountMsat,
      paymentHash: Uint8Array.from(m.paymentHash),
      cltvExpiry: m.cltvExpiry,
    };
    this.checkAddable('peer', 'disconnect', htlc, m.onion);
    this.s.remoteChanges.proposed.push({ kind: 'add', htlc, onion: Uint8Array.from(m.onion) });
    this.s.remoteNextHtlcId += 1n;
  }

  private localAdd(input: Extract<ChannelInput, { type: 'add_htlc' }>) {
    this.requireNormal();
    this.checkUpdateAllowed('local');
    if (typeof input.amountMsat !== 'bigint')
      throw new InvalidArgumentError('input.amountMsat', 'expected a bigint');
    if (!isBytes(input.paymentHash, 32))
      throw new InvalidArgumentError('input.paymentHash', 'expected 32 bytes');
    const onion = input.onion ?? new Uint8Array(0);
    const htlc: SpecHtlc = {
      offeredBy: this.s.role,
      id: this.s.localNextHtlcId,
      amountMsat: input.amountMsat,
      paymentHash: Uint8Array.from(input.paymentHash),
      cltvExpiry: input.cltvExpiry,
    };
    this.checkAddable('local', 'ignore', htlc, onion);
    this.s.localChanges.proposed.push({ kind: 'add', htlc, onion: Uint8Array.from(onion) });
    this.s.localNextHtlcId += 1n;
    this.send({
      type: 'update_add_htlc',
      channelId: this.s.channelId,
      id: htlc.id,
      amountMsat: htlc.amountMsat,
      paymentHash: htlc.paymentHash,
      cltvExpiry: htlc.cltvExpiry,
      onion: Uint8Array.from(onion),
    });
    this.emit({ type: 'htlc_offered', id: htlc.id, paymentHash: htlc.paymentHash });
  }

  /** Updates are refused after stfu (BOLT 2 quiescence) and outside the normal phase. */
  private checkUpdateAllowed(origin: ChannelErrorOrigin) {
    if (this.s.phase !== 'normal') {
      const e = new IllegalStepError(
        'phase',
        origin === 'peer' ? 'disconnect' : 'ignore',
        origin,
        `an update while the channel is ${this.s.phase}`,
      );
      if (origin === 'peer') throw new PeerFault(e);
      throw e;
    }
    // BOLT 2: after a reconnection, retransmissions come first; no new update before the
    // channel_reestablish exchange is complete (nor while disconnected).
    if (origin === 'local' && (!this.connected || this.awaitingReestablish))
      throw new IllegalStepError(
        'reestablish',
        'ignore',
        'local',
        this.connected ? 'no update before channel_reestablish completes' : 'the peer is disconnected',
      );
    const quiet = origin === 'local' ? this.s.localStfu || this.quiesceWanted : this.s.remoteStfu;
    if (quiet) {
      const e = new IllegalStepError(
        'quiescent',
        origin === 'peer' ? 'disconnect' : 'ignore',
        origin,
        'no updates after stfu',
      );
      if (origin === 'peer') throw new PeerFault(e);
      throw e;
    }
  }

  /** Pending removals of HTLCs offered by `offerer`, in any stage. */
  private removalPending(offerer: Side, id: bigint): boolean {
    const remover = other(offerer);
    const lists =
      remover === this.s.role
        ? [this.s.localChanges.proposed, this.s.localChanges.signed, this.s.localChanges.acked]
        : [this.s.remoteChanges.proposed, this.s.remoteChanges.acked, this.s.remoteChanges.signed];
    return lists.some((l) => l.some((u) => (u.kind === 'fulfill' || u.kind === 'fail') && u.id === id));
  }

  private localRemove(kind: 'fulfill' | 'fail', id: bigint, data: Uint8Array) {
    this.requireNormal();
    this.checkUpdateAllowed('local');
    if (typeof id !== 'bigint') throw new InvalidArgumentError('input.id', 'expected a bigint');
    const remote = other(this.s.role);
    const lc = this.requireLocal();
    const key = htlcKey(remote, id);
    const inLocal = lc.spec.htlcs.find((h) => htlcKey(h.offeredBy, h.id) === key);
    const inRemote = this.s.remoteCommit?.spec.htlcs.some((h) => htlcKey(h.offeredBy, h.id) === key) ?? false;
    if (inLocal === undefined || this.removalPending(remote, id))
      throw new HtlcRejectedError('unknown-htlc', 'ignore', 'local', `no incoming HTLC ${id} to settle`, {
        htlcId: id,
      });
    // BOLT 2: no fulfill or fail until the HTLC is irrevocably committed in both commitments.
    if (!inRemote)
      throw new IllegalStepError(
        'not-committed',
        'ignore',
        'local',
        `HTLC ${id} is not irrevocably committed yet`,
      );
    if (kind === 'fulfill') {
      if (!isBytes(data, 32)) throw new InvalidArgumentError('input.preimage', 'expected 32 bytes');
      if (!eq(sha256(data), inLocal.paymentHash))
        throw new HtlcRejectedError(
          'wrong-preimage',
          'ignore',
          'local',
          `the preimage does not hash to HTLC ${id}'s payment hash`,
          { htlcId: id },
        );
      this.s.localChanges.proposed.push({ kind, id, preimage: Uint8Array.from(data) });
      this.send({
        type: 'update_fulfill_htlc',
        channelId: this.s.channelId,
        id,
        paymentPreimage: Uint8Array.from(data),
      });
    } else {
      if (!isBytes(data)) throw new InvalidArgumentError('input.reason', 'expected bytes');
      this.s.localChanges.proposed.push({ kind, id, reason: Uint8Array.from(data) });
      this.send({ type: 'update_fail_htlc', channelId: this.s.channelId, id, reason: Uint8Array.from(data) });
    }
  }

  private onRemove(kind: 'fulfill' | 'fail', id: bigint, data: Uint8Array) {
    this.checkUpdateAllowed('peer');
    const mine = this.s.role;
    const lc = this.requireLocal();
    const h =
      typeof id === 'bigint' ? lc.spec.htlcs.find((x) => x.offeredBy === mine && x.id === id) : undefined;
    // BOLT 2 receiver rule: the HTLC must be in our current commitment.
    if (h === undefined || this.removalPending(mine, id))
      this.peerError(
        (o) =>
          new HtlcRejectedError(
            'unknown-htlc',
            'disconnect',
            o,
            `no outgoing HTLC ${String(id)} in our current commitment`,
            { htlcId: typeof id === 'bigint' ? id : undefined },
          ),
      );
    if (kind === 'fulfill') {
      if (!isBytes(data, 32) || !eq(sha256(data), h.paymentHash))
        this.peerError(
          (o) =>
            new HtlcRejectedError(
              'wrong-preimage',
              'disconnect',
              o,
              `the preimage does not hash to HTLC ${id}'s payment hash`,
              { htlcId: id },
            ),
        );
      this.s.remoteChanges.proposed.push({ kind, id, preimage: Uint8Array.from(data) });
      this.emit({ type: 'htlc_fulfilled', id, preimage: Uint8Array.from(data) });
    } else {
      if (!isBytes(data))
        this.peerError((o) => new IllegalStepError('malformed', 'disconnect', o, 'update_fail_htlc reason'));
      this.s.remoteChanges.proposed.push({ kind, id, reason: Uint8Array.from(data) });
    }
  }

  private checkFee(origin: ChannelErrorOrigin, feeRate: number, views: Spec[]) {
    const action: ChannelErrorAction = origin === 'peer' ? 'disconnect' : 'ignore';
    const fail = (rule: ConstructorParameters<typeof FeeUpdateRejectedError>[0], msg: string): never => {
      const e = new FeeUpdateRejectedError(rule, action, origin, feeRate, msg);
      if (origin === 'peer') throw new PeerFault(e);
      throw e;
    };
    if (!Number.isInteger(feeRate) || feeRate < 1 || feeRate > 0xffffffff) fail('fee-rate', 'not a fee rate');
    const p = this.s.policy;
    for (const spec of views) {
      if (
        !lspCanAfford({
          lspBalanceMsat: spec.lspMsat,
          htlcs: spec.htlcs,
          feeRate: spec.feeRate,
          reserve: p.reserve,
        })
      )
        fail(
          'affordability',
          `the LSP's balance ${msatToSat(spec.lspMsat)} sats would not cover reserve + fee + 240`,
        );
      const dust = dustExposure(spec.htlcs, spec.feeRate);
      if (dust > p.maxDustExposure)
        fail('dust-exposure', `dust exposure ${dust} sats above ${p.maxDustExposure}`);
      for (const side of ['lsp', 'client'] as const) {
        const count = untrimmedHtlcCount(
          spec.htlcs.filter((h) => h.offeredBy === side),
          spec.feeRate,
        );
        if (count > p.maxAcceptedHtlcs)
          fail('dust-exposure', `${count} untrimmed HTLCs offered by the ${side}`);
      }
    }
  }

  private localFee(feeRate: number) {
    this.requireNormal();
    if (this.s.role !== 'lsp')
      throw new FeeUpdateRejectedError(
        'not-funder',
        'ignore',
        'local',
        feeRate,
        'only the LSP (the funder) sends update_fee',
      );
    this.checkUpdateAllowed('local');
    const views = this.senderViews([]).map((v) => ({ ...v, feeRate }));
    this.checkFee('local', feeRate, views);
    this.s.localChanges.proposed.push({ kind: 'fee', feeRate });
    this.send({ type: 'update_fee', channelId: this.s.channelId, feeRate });
  }

  private onFee(feeRate: number) {
    if (this.s.role === 'lsp')
      this.peerError(
        (o) =>
          new FeeUpdateRejectedError(
            'not-funder',
            'disconnect',
            o,
            feeRate,
            'update_fee from the client (only the LSP, the funder, may send it)',
          ),
      );
    this.checkUpdateAllowed('peer');
    this.checkFee('peer', feeRate, [this.receiverView({ by: 'lsp', u: { kind: 'fee', feeRate } })]);
    this.s.remoteChanges.proposed.push({ kind: 'fee', feeRate });
  }

  // --- signing ---

  /** DeterministicSign as the last signer on the counterparty's commitment, with fresh aux randomness. */
  private signAsSigner(c: Commitment, peerNonce?: Uint8Array): { psig: Uint8Array; pubnonce: Uint8Array } {
    const nonce = peerNonce ?? this.peerNonces.shift();
    if (nonce === undefined) throw new Error('internal: no counterparty verification nonce');
    try {
      return deterministicSign({
        sk: this.secrets.fundingSecret,
        aggothernonce: nonceAgg([nonce]),
        pubkeys: c.signingKeys,
        tweaks: [c.tweak],
        isXonly: [true],
        msg: c.sighash,
        rand: this.rng(32),
      });
    } catch (cause) {
      throw new PeerFault(
        new SignatureRejectedError(
          'nonce',
          c.commitmentNumber,
          "the counterparty's verification nonce does not decode",
          { cause },
        ),
      );
    }
  }

  /**
   * Holder side of brief §7: verify the signer's partial, add ours with the verification secret nonce,
   * aggregate, verify against the channel output key. Returns the 64-byte signature.
   */
  private completeAsHolder(
    c: Commitment,
    mine: NonceGenResult,
    psig: Uint8Array,
    signingNonce: Uint8Array,
  ): Uint8Array {
    const keys = c.signingKeys;
    const myIndex = keys.findIndex((k) => eq(k, this.localFundingKey));
    const peerIndex = 1 - myIndex;
    const pubnonces = myIndex === 0 ? [mine.pubnonce, signingNonce] : [signingNonce, mine.pubnonce];
    let session: Session;
    let ok: boolean;
    try {
      session = new Session({
        aggnonce: nonceAgg(pubnonces),
        pubkeys: keys,
        tweaks: [c.tweak],
        isXonly: [true],
        msg: c.sighash,
      });
      ok = session.partialSigVerify(psig, signingNonce, peerIndex);
    } catch (cause) {
      throw new PeerFault(
        new SignatureRejectedError(
          'nonce',
          c.commitmentNumber,
          "the counterparty's signing nonce or partial signature does not decode",
          { cause },
        ),
      );
    }
    if (!ok)
      throw new PeerFault(
        new SignatureRejectedError(
          'partial',
          c.commitmentNumber,
          "the counterparty's partial signature does not verify",
        ),
      );
    this.options.nonceObserver?.signedWith(mine.secnonce, c.sighash);
    const own = session.sign(mine.secnonce, this.secrets.fundingSecret);
    const sig = session.partialSigAgg(myIndex === 0 ? [own, psig] : [psig, own]);
    if (!schnorrVerify(sig, c.sighash, c.outputKey))
      throw new PeerFault(
        new SignatureRejectedError(
          'aggregate',
          c.commitmentNumber,
          'the aggregate signature does not verify against the channel output key',
        ),
      );
    return sig;
  }

  private hasChangesForRemote(): boolean {
    return this.s.localChanges.proposed.length > 0 || this.s.remoteChanges.acked.length > 0;
  }

  /** Sends `commitment_signed` when BOLT 2 (no unrevoked next commitment) and persistence allow. */
  private trySign() {
    if (this.s.phase !== 'normal' || !this.connected || this.awaitingReestablish) return;
    if (!this.hasChangesForRemote()) {
      this.commitWanted = false;
      return;
    }
    // Our own proposals wait for an explicit commit; the counterparty's acked updates are signed back
    // at once (BOLT 2: they must reach its commitment).
    if (!this.commitWanted && this.s.remoteChanges.acked.length === 0) return;
    if (this.s.nextRemoteCommit !== null || this.outstanding() || this.peerNonces.length === 0) return;
    const rc = this.s.remoteCommit as CommitmentRecord;
    const point = this.s.remoteNextPoints[0];
    if (point === undefined) return;
    const remote = other(this.s.role);
    const spec = reduce(rc.spec, [
      ...by(remote, this.s.remoteChanges.acked),
      ...by(this.s.role, this.s.localChanges.proposed),
    ]);
    const number = rc.number + 1n;
    const c = this.build(remote, number, point, spec, this.funding);
    const { psig, pubnonce } = this.signAsSigner(c);
    this.s.remoteNextPoints.shift();
    this.s.nextRemoteCommit = { number, spec, point };
    this.s.localChanges.signed.push(...this.s.localChanges.proposed);
    this.s.localChanges.proposed = [];
    this.s.remoteChanges.signed.push(...this.s.remoteChanges.acked);
    this.s.remoteChanges.acked = [];
    this.s.lastSent = 'commit';
    this.commitWanted = false;
    this.persist([]);
    this.send({
      type: 'commitment_signed',
      channelId: this.s.channelId,
      partialSig: psig,
      signingNonce: pubnonce,
    });
  }

  private onCommitmentSigned(m: CommitmentSigned) {
    if (!isBytes(m.partialSig, 32) || !isBytes(m.signingNonce, 66))
      this.peerError((o) => new IllegalStepError('malformed', 'disconnect', o, 'commitment_signed fields'));
    const mine = this.myNonces[0];
    if (mine === undefined)
      this.peerError(
        (o) =>
          new IllegalStepError(
            'awaiting-revocation',
            'disconnect',
            o,
            'commitment_signed before we sent a verification nonce for it',
          ),
      );
    if (this.s.phase === 'opening') {
      if (this.s.localCommit !== null)
        this.peerError(
          (o) => new IllegalStepError('phase', 'disconnect', o, 'a second commitment_signed while opening'),
        );
      const point = this.localPoint(0n);
      const c = this.build(this.s.role, 0n, point, this.s.initialSpec, this.funding);
      const signature = this.completeAsHolder(c, mine, m.partialSig, m.signingNonce);
      this.myNonces.shift();
      this.s.localCommit = { number: 0n, spec: this.s.initialSpec, point, signature };
      this.persist([]);
      return;
    }
    if (this.s.phase !== 'normal')
      this.peerError(
        (o) => new IllegalStepError('phase', 'disconnect', o, `commitment_signed while ${this.s.phase}`),
      );
    const lc = this.requireLocal();
    const remote = other(this.s.role);
    const spec = reduce(lc.spec, [
      ...by(this.s.role, this.s.localChanges.acked),
      ...by(remote, this.s.remoteChanges.proposed),
    ]);
    const number = lc.number + 1n;
    const point = this.localPoint(number);
    let c: Commitment;
    try {
      c = this.build(this.s.role, number, point, spec, this.funding);
    } catch (cause) {
      throw new PeerFault(
        new IllegalStepError(
          'malformed',
          'force-close',
          'peer',
          `the commitment the counterparty signed cannot be built: ${(cause as Error).message}`,
        ),
      );
    }
    const signature = this.completeAsHolder(c, mine, m.partialSig, m.signingNonce);
    this.myNonces.shift();
    this.s.localCommit = { number, spec, point, signature };
    this.s.remoteChanges.acked.push(...this.s.remoteChanges.proposed);
    this.s.remoteChanges.proposed = [];
    this.s.localChanges.acked = [];
    this.s.lastSent = 'revoke';
    this.persist([]);
    this.sendRevocation();
    // A quiescence waiting for this, or the counterparty's acked updates, are handled after the ack.
  }

  /** `revoke_and_ack` for our commitment `localCommit.number − 1`, with a fresh verification nonce. */
  private sendRevocation(retransmit = false) {
    const lc = this.requireLocal();
    if (!retransmit) this.myNonces = [this.freshNonce()];
    const nonce = this.myNonces[0] as NonceGenResult;
    this.send({
      type: 'revoke_and_ack',
      channelId: this.s.channelId,
      perCommitmentSecret: this.localSecret(lc.number - 1n),
      nextPerCommitmentPoint: this.localPoint(lc.number + 1n),
      nextVerificationNonce: nonce.pubnonce,
    });
  }

  private onRevokeAndAck(m: RevokeAndAck) {
    const next = this.s.nextRemoteCommit;
    const rc = this.s.remoteCommit;
    if (this.s.phase !== 'normal' || next === null || rc === null)
      throw new PeerFault(
        new RevocationRejectedError(
          'unexpected',
          rc?.number ?? 0n,
          'no counterparty commitment awaits revocation',
        ),
      );
    if (
      !isBytes(m.perCommitmentSecret, 32) ||
      !validPoint(m.nextPerCommitmentPoint) ||
      !isBytes(m.nextVerificationNonce, 66)
    )
      throw new PeerFault(new RevocationRejectedError('wrong-point', rc.number, 'malformed revoke_and_ack'));
    let point: Uint8Array | undefined;
    try {
      point = perCommitmentPoint(m.perCommitmentSecret);
    } catch {
      point = undefined;
    }
    if (point === undefined || !eq(point, rc.point))
      throw new PeerFault(
        new RevocationRejectedError('wrong-point', rc.number, "the secret is not the revoked commitment's"),
      );
    const secrets = ShachainStore.decode(this.s.remoteSecrets.encode());
    try {
      secrets.insertSecret(m.perCommitmentSecret, commitmentIndex(Number(rc.number)));
    } catch (cause) {
      throw new PeerFault(
        new RevocationRejectedError(
          'shachain',
          rc.number,
          'the secret is inconsistent with the secrets received before',
          { cause },
        ),
      );
    }
    const copies = this.penalties(rc, m.perCommitmentSecret);
    this.s.remoteSecrets = secrets;
    this.s.remoteCommit = next;
    this.s.nextRemoteCommit = null;
    this.s.remoteNextPoints = [Uint8Array.from(m.nextPerCommitmentPoint)];
    this.peerNonces = [Uint8Array.from(m.nextVerificationNonce)];
    const irrevocable = this.s.remoteChanges.signed;
    const acked = this.s.localChanges.signed;
    this.s.localChanges.acked.push(...acked);
    this.s.localChanges.signed = [];
    this.s.remoteChanges.signed = [];
    const record = encodeWatchtowerRecord({
      channelId: this.s.channelId,
      commitmentNumber: rc.number,
      copies,
    });
    this.persist([{ key: `revoked/${rc.number}`, bytes: record }]);
    this.out.push({ kind: 'watch', watch: { type: 'revoked', commitmentNumber: rc.number, copies } });
    for (const u of irrevocable) {
      if (u.kind === 'add')
        this.emitDurable({
          type: 'htlc_received',
          id: u.htlc.id,
          amountMsat: u.htlc.amountMsat,
          paymentHash: u.htlc.paymentHash,
          cltvExpiry: u.htlc.cltvExpiry,
          onion: u.onion,
        });
      else if (u.kind === 'fail') this.emitDurable({ type: 'htlc_failed', id: u.id, reason: u.reason });
    }
  }

  /** Pre-signed penalties for every outpoint copy of the revoked counterparty commitment (brief §5.4). */
  private penalties(rc: CommitmentRecord, secret: Uint8Array): RevokedCopy[] {
    const remote = other(this.s.role);
    const copies = this.s.fundings
      .filter(
        (f) =>
          f.firstRemoteNumber <= rc.number &&
          (f.lastRemoteNumber === null || rc.number <= f.lastRemoteNumber),
      )
      .map((f) => this.build(remote, rc.number, rc.point, rc.spec, f.outpoint));
    const sets = buildPenaltiesForCopies(copies, {
      perCommitmentSecret: secret,
      revocationBasepointSecret: this.secrets.revocationBasepointSecret,
      sweepScript: this.options.sweepScript,
      feeRate: this.options.penaltyFeeRate ?? rc.spec.feeRate,
      rng: this.rng,
    });
    return sets.map((set) => ({
      funding: set.funding,
      commitmentTxid: set.commitmentTxid,
      penalties: set.transactions.map((t) => t.bytes),
    }));
  }

  /**
   * Brief §7 deadlines, checked at each block: an incoming HTLC we fulfilled must be on chain by
   * `min(cltv_expiry − (exitDelay + toSelfDelay + htlcBudget), T_m − exitDelay − pathTxs − exitMargin)`
   * unless the fulfill is irrevocably committed; an outgoing HTLC still committed at its expiry must be
   * timed out on chain (BOLT 2). Emitted at every block while it holds (handlers are idempotent).
   */
  private checkDeadlines() {
    const lc = this.s.localCommit;
    if (lc === null || this.s.phase !== 'normal') return;
    const p = this.s.policy;
    const params = {
      exitDelay: p.exitDelay,
      toSelfDelay: this.s.config.toSelfDelay,
      htlcBudget: p.htlcBudget,
      pathTxs: Math.max(1, p.pathTxs),
      exitMargin: p.exitMargin,
      channelTimeout: this.s.config.channelTimeout,
    };
    const h = this.s.height;
    for (const htlc of lc.spec.htlcs) {
      if (htlc.offeredBy === this.s.role) {
        if (h >= htlc.cltvExpiry)
          this.emit({
            type: 'go_on_chain',
            reason: 'outgoing-htlc-expired',
            htlcId: htlc.id,
            deadline: htlc.cltvExpiry,
          });
      } else if (this.removalPending(htlc.offeredBy, htlc.id)) {
        const l = this.s.localChanges;
        const fulfilled = [...l.proposed, ...l.signed, ...l.acked].some(
          (u) => u.kind === 'fulfill' && u.id === htlc.id,
        );
        const deadline = goToChainHeight(htlc.cltvExpiry, params);
        if (fulfilled && h >= deadline)
          this.emit({ type: 'go_on_chain', reason: 'incoming-htlc-deadline', htlcId: htlc.id, deadline });
      }
    }
  }

  // --- quiescence (BOLT 2 stfu) ---

  private tryStfu() {
    if (
      !this.quiesceWanted ||
      this.s.localStfu ||
      this.s.phase !== 'normal' ||
      !this.connected ||
      this.awaitingReestablish
    )
      return;
    // BOLT 2: stfu only when none of our updates is pending; we wait for a clean state either way.
    if (!this.noPendingUpdates() || this.outstanding()) return;
    this.s.localStfu = true;
    this.send({ type: 'stfu', channelId: this.s.channelId, initiator: !this.s.remoteStfu });
    this.maybeQuiescent();
  }

  private onStfu(initiator: boolean) {
    if (this.s.phase !== 'normal' || this.s.remoteStfu)
      this.peerError((o) => new IllegalStepError('phase', 'disconnect', o, 'unexpected stfu'));
    if (this.s.remoteChanges.proposed.length > 0)
      this.peerError(
        (o) => new IllegalStepError('quiescent', 'disconnect', o, 'stfu with its own updates pending'),
      );
    void initiator;
    this.s.remoteStfu = true;
    this.quiesceWanted = true;
    // Our own stfu, when it goes out now, announces quiescence itself.
    if (this.s.localStfu) this.maybeQuiescent();
    else this.tryStfu();
  }

  private maybeQuiescent() {
    if (this.s.localStfu && this.s.remoteStfu && this.noPendingUpdates()) this.emit({ type: 'quiescent' });
  }

  private requireQuiescent() {
    if (!(this.s.localStfu && this.s.remoteStfu && this.noPendingUpdates()))
      throw new IllegalStepError(
        'quiescent',
        'ignore',
        'local',
        'rebinding needs a quiescent channel (stfu both ways, nothing pending)',
      );
  }

  // --- rebinding (brief §5.4) ---

  private rebindPrepare(funding: FundingOutpoint) {
    this.requireNormal();
    this.requireQuiescent();
    if (
      typeof funding !== 'object' ||
      funding === null ||
      typeof funding.txid !== 'string' ||
      funding.amount !== this.funding.amount
    )
      throw new InvalidArgumentError('input.funding', 'expected an outpoint holding the channel capacity');
    const outpoint = { txid: funding.txid.toLowerCase(), vout: funding.vout, amount: funding.amount };
    // A retried rebinding to an outpoint we already signed on (and track) is allowed; any other
    // outpoint the channel had is refused.
    const known = this.s.fundings.find(
      (f) => f.outpoint.txid === outpoint.txid && f.outpoint.vout === outpoint.vout,
    );
    if (known !== undefined && !this.isPendingRebindRecord(known))
      throw new InvalidArgumentError('input.funding', 'the channel already had this outpoint');
    // Checks the outpoint builds before any nonce leaves.
    const lc = this.requireLocal();
    this.build(this.s.role, lc.number, lc.point, lc.spec, outpoint);
    this.s.rebind = { outpoint, signature: null };
    this.rebindNonce = this.freshNonce();
    this.peerRebindNonce = undefined;
    this.emit({ type: 'rebind_nonce', nonce: this.rebindNonce.pubnonce });
  }

  private rebindSign(peerNonce: Uint8Array) {
    const rb = this.s.rebind;
    if (rb === null || this.rebindNonce === undefined)
      throw new IllegalStepError('phase', 'ignore', 'local', 'rebind_sign before rebind_prepare');
    if (!isBytes(peerNonce, 66)) throw new InvalidArgumentError('input.peerNonce', 'expected 66 bytes');
    if (this.outstanding())
      throw new IllegalStepError(
        'phase',
        'ignore',
        'local',
        'a persist is outstanding: acknowledge it first',
      );
    if (this.peerRebindNonce !== undefined)
      throw new IllegalStepError(
        'phase',
        'ignore',
        'local',
        "the counterparty's rebound commitment is already signed",
      );
    const rc = this.s.remoteCommit as CommitmentRecord;
    const c = this.build(other(this.s.role), rc.number, rc.point, rc.spec, rb.outpoint);
    let signed: { psig: Uint8Array; pubnonce: Uint8Array };
    try {
      signed = this.signAsSigner(c, peerNonce);
    } catch (e) {
      if (e instanceof PeerFault)
        throw new InvalidArgumentError('input.peerNonce', 'does not decode', { cause: e.error });
      throw e;
    }
    this.peerRebindNonce = Uint8Array.from(peerNonce);
    // From this signature on, the counterparty's commitment n can exist on the new outpoint even if
    // the advance never completes here: track the outpoint now (penalties cover this copy, brief §5.4)
    // and release the partial only once that is durable.
    const tracked = this.s.fundings.some(
      (f) => f.outpoint.txid === rb.outpoint.txid && f.outpoint.vout === rb.outpoint.vout,
    );
    if (!tracked) {
      this.s.fundings.splice(this.s.fundings.length - 1, 0, {
        outpoint: rb.outpoint,
        firstRemoteNumber: rc.number,
        lastRemoteNumber: rc.number,
        holder: null,
      });
      this.out.push({ kind: 'watch', watch: { type: 'funding', outpoint: rb.outpoint } });
    }
    this.persist([]);
    this.emitDurable({ type: 'rebind_partial', partialSig: signed.psig, signingNonce: signed.pubnonce });
  }

  /** A funding record added by `rebind_sign` that has not become current (it holds commitment n only). */
  private isPendingRebindRecord(f: FundingRecord): boolean {
    const rc = this.s.remoteCommit;
    const current = this.s.fundings[this.s.fundings.length - 1];
    return (
      f !== current &&
      rc !== null &&
      f.firstRemoteNumber === rc.number &&
      f.lastRemoteNumber === rc.number &&
      f.holder === null &&
      this.s.rebind !== null &&
      f.outpoint.txid === this.s.rebind.outpoint.txid &&
      f.outpoint.vout === this.s.rebind.outpoint.vout
    );
  }

  private rebindComplete(psig: Uint8Array, signingNonce: Uint8Array) {
    const rb = this.s.rebind;
    const mine = this.rebindNonce;
    if (rb === null || mine === undefined)
      throw new IllegalStepError('phase', 'ignore', 'local', 'rebind_complete before rebind_prepare');
    if (!isBytes(psig, 32) || !isBytes(signingNonce, 66))
      throw new InvalidArgumentError('input', 'partialSig must be 32 bytes, signingNonce 66');
    if (this.outstanding())
      throw new IllegalStepError(
        'phase',
        'ignore',
        'local',
        'a persist is outstanding: acknowledge it first',
      );
    const lc = this.requireLocal();
    const c = this.build(this.s.role, lc.number, lc.point, lc.spec, rb.outpoint);
    let signature: Uint8Array;
    try {
      signature = this.completeAsHolder(c, mine, psig, signingNonce);
    } catch (e) {
      // A bad rebound signature aborts the advance (brief §5.1), not the channel: nothing changed here
      // (our rebinding nonce signs only after the counterparty's partial verifies).
      if (e instanceof PeerFault && e.error instanceof SignatureRejectedError)
        throw new SignatureRejectedError(e.error.which, lc.number, `rebinding: ${e.error.message}`, {
          action: 'ignore',
          cause: e.error,
        });
      throw e;
    }
    this.rebindNonce = undefined;
    this.s.rebind = { outpoint: rb.outpoint, signature };
    this.persist([]);
    this.emitDurable({ type: 'rebound', funding: rb.outpoint });
  }

  private rebindActivate() {
    const rb = this.s.rebind;
    if (rb === null || rb.signature === null || this.peerRebindNonce === undefined)
      throw new IllegalStepError(
        'phase',
        'ignore',
        'local',
        'rebind_activate before both rebound commitments are signed',
      );
    if (this.outstanding())
      throw new IllegalStepError(
        'phase',
        'ignore',
        'local',
        'a persist is outstanding: acknowledge it first',
      );
    const lc = this.requireLocal();
    const rc = this.s.remoteCommit as CommitmentRecord;
    // The pending record of the new outpoint (added by rebind_sign) becomes the current one.
    this.s.fundings = this.s.fundings.filter((f) => !this.isPendingRebindRecord(f));
    const last = this.s.fundings.length - 1;
    const current = this.s.fundings[last] as FundingRecord;
    this.s.fundings[last] = {
      ...current,
      lastRemoteNumber: rc.number,
      holder: { number: lc.number, signature: lc.signature },
    };
    this.s.fundings.push({
      outpoint: rb.outpoint,
      firstRemoteNumber: rc.number,
      lastRemoteNumber: null,
      holder: null,
    });
    this.s.localCommit = { ...lc, signature: rb.signature };
    this.s.rebind = null;
    this.peerRebindNonce = undefined;
    this.s.localStfu = false;
    this.s.remoteStfu = false;
    this.quiesceWanted = false;
    this.persist([]);
  }

  // --- connection ---

  private dropUncommitted() {
    const l = this.s.localChanges;
    const r = this.s.remoteChanges;
    this.s.localNextHtlcId -= BigInt(l.proposed.filter((u) => u.kind === 'add').length);
    this.s.remoteNextHtlcId -= BigInt(r.proposed.filter((u) => u.kind === 'add').length);
    l.proposed = [];
    r.proposed = [];
    this.s.localStfu = false;
    this.s.remoteStfu = false;
    this.quiesceWanted = false;
    this.commitWanted = false;
  }

  private disconnect() {
    this.connected = false;
    this.reestablishSent = false;
    this.awaitingReestablish = false;
    this.inbox = [];
    this.outbox = this.outbox.filter((o) => o.action.kind !== 'send');
    this.myNonces = [];
    this.peerNonces = [];
    if (this.s.phase === 'normal') this.dropUncommitted();
  }

  private connect() {
    if (this.s.phase !== 'normal')
      throw new IllegalStepError(
        'phase',
        'ignore',
        'local',
        `reconnecting a channel that is ${this.s.phase} (an interrupted opening restarts the ceremony)`,
      );
    this.connected = true;
    this.awaitingReestablish = true;
    const lc = this.requireLocal();
    const rc = this.s.remoteCommit as CommitmentRecord;
    this.myNonces = [this.freshNonce()];
    this.reestablishSent = true;
    this.send({
      type: 'channel_reestablish',
      channelId: this.s.channelId,
      nextCommitmentNumber: lc.number + 1n,
      nextRevocationNumber: rc.number,
      yourLastPerCommitmentSecret:
        rc.number > 0n
          ? (this.s.remoteSecrets.getSecret(commitmentIndex(Number(rc.number - 1n))) ?? ZERO32)
          : ZERO32,
      myCurrentPerCommitmentPoint: lc.point,
      verificationNonce: (this.myNonces[0] as NonceGenResult).pubnonce,
    });
  }

  private onReestablish(m: Extract<ChannelMessage, { type: 'channel_reestablish' }>) {
    if (!this.awaitingReestablish || !this.reestablishSent)
      this.peerError(
        (o) => new IllegalStepError('reestablish', 'disconnect', o, 'unexpected channel_reestablish'),
      );
    if (
      !isBytes(m.verificationNonce, 66) ||
      typeof m.nextCommitmentNumber !== 'bigint' ||
      typeof m.nextRevocationNumber !== 'bigint' ||
      !isBytes(m.yourLastPerCommitmentSecret, 32)
    )
      this.peerError((o) => new IllegalStepError('malformed', 'disconnect', o, 'channel_reestablish fields'));
    const lc = this.requireLocal();
    const rc = this.s.remoteCommit as CommitmentRecord;
    // The peer's view of our commitments: it holds our revocations below nextRevocationNumber.
    const needRevocation = m.nextRevocationNumber === lc.number - 1n;
    if (!needRevocation && m.nextRevocationNumber !== lc.number)
      this.peerError(
        (o) =>
          new IllegalStepError(
            'reestablish',
            'force-close',
            o,
            `the peer expects our revocation of ${m.nextRevocationNumber}; our commitment is ${lc.number}`,
          ),
      );
    if (
      m.nextRevocationNumber > 0n &&
      !eq(m.yourLastPerCommitmentSecret, this.localSecret(m.nextRevocationNumber - 1n))
    )
      this.peerError(
        (o) =>
          new IllegalStepError(
            'reestablish',
            'force-close',
            o,
            'the peer does not hold our last revealed secret',
          ),
      );
    const next = this.s.nextRemoteCommit;
    let resendCommit = false;
    if (next !== null && m.nextCommitmentNumber === next.number) resendCommit = true;
    else if (next !== null && m.nextCommitmentNumber === next.number + 1n) resendCommit = false;
    else if (next === null && m.nextCommitmentNumber === rc.number + 1n) resendCommit = false;
    else
      this.peerError(
        (o) =>
          new IllegalStepError(
            'reestablish',
            'force-close',
            o,
            `the peer's next commitment number ${m.nextCommitmentNumber} does not fit ours (${rc.number}${next ? `, ${next.number} signed` : ''})`,
          ),
      );
    this.awaitingReestablish = false;
    this.peerNonces = [Uint8Array.from(m.verificationNonce)];
    const resendRevoke = () => this.sendRevocation(true);
    const resendCommitSigned = () => {
      const n = next as CommitmentRecord;
      for (const u of this.s.localChanges.signed) this.send(this.updateMessage(u));
      const c = this.build(other(this.s.role), n.number, n.point, n.spec, this.funding);
      const { psig, pubnonce } = this.signAsSigner(c);
      this.send({
        type: 'commitment_signed',
        channelId: this.s.channelId,
        partialSig: psig,
        signingNonce: pubnonce,
      });
    };
    if (needRevocation && resendCommit) {
      if (this.s.lastSent === 'commit') {
        resendRevoke();
        resendCommitSigned();
      } else {
        resendCommitSigned();
        resendRevoke();
      }
    } else if (needRevocation) resendRevoke();
    else if (resendCommit) resendCommitSigned();
    this.trySign();
    this.tryStfu();
  }

  private updateMessage(u: Update): ChannelMessage {
    const channelId = this.s.channelId;
    switch (u.kind) {
      case 'add':
        return {
          type: 'update_add_htlc',
          channelId,
          id: u.htlc.id,
          amountMsat: u.htlc.amountMsat,
          paymentHash: u.htlc.paymentHash,
          cltvExpiry: u.htlc.cltvExpiry,
          onion: u.onion,
        };
      case 'fulfill':
        return { type: 'update_fulfill_htlc', channelId, id: u.id, paymentPreimage: u.preimage };
      case 'fail':
        return { type: 'update_fail_htlc', channelId, id: u.id, reason: u.reason };
      case 'fee':
        return { type: 'update_fee', channelId, feeRate: u.feeRate };
    }
  }
}

function validPoint(p: unknown): p is Uint8Array {
  if (!isBytes(p, 33)) return false;
  try {
    secp256k1.Point.fromBytes(p);
    return true;
  } catch {
    return false;
  }
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
