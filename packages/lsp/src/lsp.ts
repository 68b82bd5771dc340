/**
 * The LSP's sans-IO machine (roles memo §1–§3, DESIGN §4): `handle(input, now)` takes what the
 * runtime observed (connections, decoded peer messages, blocks, broadcast results, fee rates, timer
 * ticks) or an embedder's command, and returns the actions to carry out in order (`persist`, `send`,
 * `disconnect`, `broadcast`). It never awaits, reads no clock and touches no socket, store or chain.
 *
 * This file is the public face and the transition tables ({@link ON_INPUT}, {@link ON_MESSAGE}); each
 * concern has its own module: registration, forming, the ceremony, channels, the chain, reconnection,
 * the stored records (`codec.ts`) and the events. Faults never escape `handle`: a peer's fault is
 * mapped to its consequence (ignore, `warning`, `error` + disconnect, abort the ceremony), a bug to
 * an `InvariantViolated` event.
 *
 * Phases of a factory: `ceremony` (steps `nonces`, `psigs`, `channels`), `funded`, `open`,
 * `closing` (the cooperative close, `closing.ts`), and the ends `aborted`, `abandoned` and `closed`.
 *
 * @module
 */

import type { TowerPort } from '@superscalar/client';
import { Out } from '@superscalar/client/runtime';
import { fromHex, type Logger, type Network, noopLogger, type Rng, toHex } from '@superscalar/core';
import type { Keychain } from '@superscalar/keys';
import type { BlobRecord } from '@superscalar/persist';
import { Channel, type NonceObserver } from '@superscalar/poon-dryja';
import type { OutPoint } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';
import { channelIdOf, type Message, type Warning } from '@superscalar/wire';
import { type LspCore as Core, type LspCloseStep, LspCore, type LspFactory } from './_core.js';
import {
  advanceInfo,
  advanceTick,
  onAdvanceLeaf,
  onAdvanceNonces,
  onAdvancePsigs,
  onAdvanceRequest,
  onMempoolTxids,
  restoreAdvances,
  resumeAdvancesAfterRestore,
} from './advance.js';
import { abortFor, checkDeadline, onClientAbort, onNonces, onPsigs } from './ceremony.js';
import { onBlockConnected, onBlockDisconnected, rebroadcastRestored } from './chain.js';
import { lspWatchedOutpoints, onChainSpends } from './chainPreimages.js';
import { drive, onChannelMessage, onChannelSetup } from './channels.js';
import {
  busy,
  type CloseWait,
  closeTick,
  onBumpClose,
  onCloseFactory,
  onCloseNonce,
  onClosePropose,
  onClosePsig,
  waiting,
} from './closing.js';
import {
  channelKey,
  closeKey,
  type LspCeremonyStep,
  type LspFactoryPhase,
  META_KEY,
  proposalKey,
  readClose,
  readFactoryState,
  readMeta,
  readProposal,
  readRegistration,
  readSignatures,
  type StoredMeta,
  sigsKey,
} from './codec.js';
import {
  ClientAbortedError,
  DecodeError,
  FundingError,
  InvalidArgumentError,
  InvalidChannelSetupError,
  InvalidNoncesError,
  InvalidPartialError,
  InvariantError,
  LspError,
  PeerFaultError,
  UnexpectedMessageError,
} from './errors.js';
import { lspExitsOnBroadcastResult, lspExitsOnTick, onExitFactory, restoreLspExits } from './exit.js';
import { onFeeWarning, proposeFees } from './fees.js';
import { formNow, maybeForm } from './forming.js';
import { commitDirty, restoreForwards, resumeForwards } from './forwarding.js';
import type { Action, LspInput, PeerId } from './io.js';
import { type LspPolicy, resolveLspPolicy } from './policy.js';
import { onFactoryReestablish, onPeerConnected, onPeerDisconnected } from './reestablish.js';
import { onRegister } from './registration.js';
import { towerBackfillOps } from './towerBackfill.js';

/** What {@link Lsp.create} needs. */
export interface LspOptions {
  /** The LSP's keys: node identity, and by factory index its factory keys, close addresses, L-stock seeds and channel keys. */
  readonly keychain: Keychain;
  /** The LSP's on-chain wallet (funding, its double-spend); called synchronously, its operations persisted by the machine. */
  readonly wallet: Wallet;
  readonly network: Network;
  readonly policy?: LspPolicy;
  /** Randomness for nonces and signatures (default: the CSPRNG). Inject only in tests. */
  readonly rng?: Rng;
  readonly logger?: Logger;
  /** Test hook: sees every secret nonce a channel signs with. */
  readonly nonceObserver?: NonceObserver;
}

/** What {@link Lsp.restore} needs: the options and the store's `blobs`. */
export interface LspRestoreOptions extends LspOptions {
  /** `await store.list('blobs')` (rows of other owners are skipped). */
  readonly blobs: readonly BlobRecord[];
}

/** A channel as {@link Lsp.factory} reports it. */
export interface LspChannelInfo {
  readonly clientIndex: number;
  readonly channelId: string;
  readonly peer: string;
  /** `none` before the client's `channel_setup`; then poon-dryja's phase. */
  readonly phase: 'none' | 'opening' | 'normal' | 'failed';
  readonly localCommitmentNumber: number;
  readonly remoteCommitmentNumber: number;
  /** The LSP's and the client's balances in the LSP's current commitment, msat. */
  readonly balances?: { readonly lspMsat: bigint; readonly clientMsat: bigint };
  /** The fee rate of the LSP's current commitment, sat/kvB. */
  readonly feeRate?: number;
  /** HTLCs or updates in flight (a close waits for them to be gone). */
  readonly busy: boolean;
  /** The channel is quiescent (stfu both ways) since its last connection. */
  readonly quiescent: boolean;
}

/** The cooperative close of a factory as {@link Lsp.factory} reports it (phase `closing`). */
export interface LspCloseInfo {
  readonly step: LspCloseStep;
  /** The last attempt number used (0 before the first proposal). */
  readonly attempt: number;
  /** The client that asked for it, or null (`close_factory`). */
  readonly requestedBy: string | null;
  /** ms: when a close or bump in progress stalls. */
  readonly deadline: number;
  /** Every attempt's txid (any of them confirming closes the factory). */
  readonly txids: readonly string[];
  /** The last signed close's txid. */
  readonly signedTxid?: string;
  readonly confirmedAt?: number;
  /** The participant the last failed aggregation blamed (0 = LSP, i + 1 = clients[i]). */
  readonly lastBlamed: number | null;
  /** Who holds the close up, and why (an HTLC delays it: reason `htlcs`). */
  readonly waiting: readonly {
    readonly clientIndex: number;
    readonly peer: string;
    readonly reason: CloseWait;
  }[];
}

/** A factory as {@link Lsp.factory} reports it. */
export interface LspFactoryInfo {
  readonly factoryId: string;
  readonly factoryIndex: number;
  readonly phase: LspFactoryPhase;
  readonly step: LspCeremonyStep;
  readonly attempt: number;
  readonly signingFailures: number;
  readonly restarts: number;
  /** The participant the last failed aggregation blamed (0 = LSP, i + 1 = clients[i]), in this process. */
  readonly lastBlamed: number | null;
  readonly participants: readonly string[];
  readonly fundingTxid: string;
  readonly fundingConfirmedAt: number | null;
  readonly proposal: LspFactory['proposal'];
  readonly channels: readonly LspChannelInfo[];
  /** The cooperative close, while `closing`. */
  readonly close?: LspCloseInfo;
  /** State advances: the one in progress (if any) and those completed. */
  readonly advance?: NonNullable<ReturnType<typeof advanceInfo>>;
}

type Step<I> = (core: Core, input: I) => void;
type InputOf<T extends LspInput['type']> = Extract<LspInput, { type: T }>;

const ON_INPUT: { readonly [T in LspInput['type']]: Step<InputOf<T>> } = {
  peer_connected: (core, i) => {
    onPeerConnected(core, i.peer);
    tryForm(core);
  },
  peer_disconnected: (core, i) => onPeerDisconnected(core, i.peer),
  message: (core, i) => onMessage(core, i.peer, i.message),
  block_connected: (core, i) => {
    core.exits.noteTip(i.height, i.tip);
    onChainSpends(core, i.spends);
    onBlockConnected(core, i.height, i.hash, i.txids);
  },
  block_disconnected: (core, i) => {
    core.exits.noteTip(i.height - 1, i.tip);
    onBlockDisconnected(core, i.height);
  },
  broadcast_result: (core, i) => {
    if (i.error === undefined) core.log('debug', 'broadcast accepted', { txid: i.txid });
    else core.log('warn', 'broadcast refused', { txid: i.txid, code: i.error.code, reason: i.error.reason });
    lspExitsOnBroadcastResult(core, i.txid, i.error);
  },
  fee_rates: (core, i) => {
    core.feeRates = i.rates;
    proposeFees(core, drive);
  },
  tick: (core) => {
    resumeForwards(core);
    proposeFees(core, drive);
    for (const [peer, until] of core.benched) if (until <= core.now) core.benched.delete(peer);
    for (const f of [...core.factories.values()]) {
      checkDeadline(core, f);
      closeTick(core, f);
      advanceTick(core, f);
    }
    tryForm(core);
    lspExitsOnTick(core);
  },
  mempool_txids: (core, i) => onMempoolTxids(core, i.txids),
  advance_leaf: (core, i) => onAdvanceLeaf(core, i),
  form_factory: (core) => formNow(core),
  close_factory: (core, i) => onCloseFactory(core, i.factoryId),
  bump_close: (core, i) => onBumpClose(core, i.factoryId, i.feeRate),
  exit_factory: (core, i) => onExitFactory(core, i.factoryId),
};

type MessageStep = (core: Core, peer: PeerId, m: never) => void;

const channel: MessageStep = (core, peer, m) => onChannelMessage(core, peer, m);

/** Messages a client sends the LSP; everything else is answered with a `warning`. */
const ON_MESSAGE: Partial<Record<Message['type'], MessageStep>> = {
  factory_register: onRegister as MessageStep,
  factory_nonces: onNonces as MessageStep,
  factory_psigs: onPsigs as MessageStep,
  factory_abort: onClientAbort as MessageStep,
  factory_reestablish: onFactoryReestablish as MessageStep,
  channel_setup: onChannelSetup as MessageStep,
  channel_ready: channel,
  commitment_signed: channel,
  revoke_and_ack: channel,
  channel_reestablish: channel,
  update_add_htlc: channel,
  update_fulfill_htlc: channel,
  update_fail_htlc: channel,
  update_fee: channel,
  stfu: channel,
  // The cooperative close (close_agg_nonce and close_done are the LSP's own: never received).
  close_propose: onClosePropose as MessageStep,
  close_nonce: onCloseNonce as MessageStep,
  close_psig: onClosePsig as MessageStep,
  // State advances (advance.ts).
  advance_request: onAdvanceRequest as MessageStep,
  advance_nonces: onAdvanceNonces as MessageStep,
  advance_psigs: onAdvancePsigs as MessageStep,
  error: (core, peer, m: { text: string }) => core.log('warn', 'peer error', { peer, text: m.text }),
  warning: (core, peer, m: Warning) => {
    if (!onFeeWarning(core, peer, m)) core.log('info', 'peer warning', { peer, text: m.text });
  },
  ping: () => {},
  pong: () => {},
};

function onMessage(core: Core, peer: PeerId, m: Message): void {
  if (typeof m !== 'object' || m === null || typeof m.type !== 'string')
    throw new UnexpectedMessageError(peer, 'not a message', { consequence: 'disconnect' });
  if (!core.connected.has(peer))
    throw new UnexpectedMessageError(peer, `${m.type} from a peer that is not connected`, {
      consequence: 'ignore',
    });
  const step = Object.hasOwn(ON_MESSAGE, m.type) ? ON_MESSAGE[m.type] : undefined;
  if (step === undefined)
    throw new UnexpectedMessageError(peer, `${m.type} is not a message an LSP receives`);
  step(core, peer, m as never);
  if (m.type === 'factory_register') tryForm(core);
}

function tryForm(core: Core): void {
  try {
    maybeForm(core);
  } catch (e) {
    if (!FundingError.isInstance(e)) throw e;
    core.log('warn', 'forming a factory failed', {}, e);
    core.event({ kind: 'CommandRefused', command: 'form (policy)', code: e.code, message: e.message });
  }
}

/** The LSP role. Build it with {@link Lsp.create} or {@link Lsp.restore}; drive it with {@link Lsp.handle}. */
export class Lsp {
  readonly #core: LspCore;
  #restored: boolean;

  private constructor(core: LspCore, restored: boolean) {
    this.#core = core;
    this.#restored = restored;
    core.onDisconnect = (peer) => onPeerDisconnected(core, peer);
  }

  /** A new LSP (an empty store). */
  static create(options: LspOptions): Lsp {
    return Lsp.restore({ ...options, blobs: [] });
  }

  /**
   * The LSP from its store's blobs: registrations, factories and their channels. What the store does
   * not hold (connections, a signing round in flight, secret nonces) is gone: a ceremony before
   * `factory_signed` restarts with fresh nonces when its clients reconnect.
   *
   * @throws {DecodeError} a damaged record. {@link InvalidArgumentError} missing options.
   */
  static restore(options: LspRestoreOptions): Lsp {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'expected an object');
    for (const k of ['keychain', 'wallet', 'network'] as const)
      if (options[k] === undefined || options[k] === null)
        throw new InvalidArgumentError(`options.${k}`, 'required');
    if (!Array.isArray(options.blobs))
      throw new InvalidArgumentError('options.blobs', "expected the store's blobs");
    const policy = resolveLspPolicy(options.network, options.policy);
    const byKey = new Map<string, BlobRecord>();
    for (const b of options.blobs)
      if (typeof b?.key === 'string' && b.key.startsWith('lsp/')) byKey.set(b.key, b);
    const metaBlob = byKey.get(META_KEY);
    const meta: StoredMeta = metaBlob === undefined ? { nextFactoryIndex: 0, tip: null } : readMeta(metaBlob);
    const core = new LspCore(
      {
        keychain: options.keychain,
        wallet: options.wallet,
        network: options.network,
        policy,
        rng: options.rng,
        logger: options.logger ?? noopLogger,
        nonceObserver: options.nonceObserver,
      },
      meta,
    );
    for (const [key, b] of byKey) {
      if (key.startsWith('lsp/reg/')) {
        const r = readRegistration(b);
        core.registrations.set(toHex(r.key), r);
      }
    }
    for (const [key, b] of byKey) {
      const m = /^lsp\/f\/([0-9a-f]{64})$/.exec(key);
      if (m === null) continue;
      restoreFactory(core, m[1] as string, b, byKey);
    }
    restoreForwards(core, byKey.values());
    restoreLspExits(core, byKey.values());
    restoreAdvances(core, byKey);
    core.towerBackfill = towerBackfillOps(core, options.blobs, byKey);
    return new Lsp(core, options.blobs.length > 0);
  }

  /**
   * Attaches the role's embedded watchtower (the runtime does, once it opened it): an exit then takes
   * the states it publishes over from the tower (`Watchtower.release`) and adopts what the tower
   * already broadcast, so one party answers each state. Undefined detaches it.
   */
  attachTower(tower: TowerPort | undefined): void {
    this.#core.tower = tower;
  }

  /** Lower-case hex of the LSP's node public key (its Noise static key). */
  get nodeId(): string {
    return this.#core.nodeId;
  }

  /**
   * Handles one input and returns the actions to carry out, in order (the execution contract of
   * `io.ts`). Never throws.
   */
  handle(input: LspInput, now: number): Action[] {
    const core = this.#core;
    core.now = Number.isFinite(now) ? Math.max(core.now, now) : core.now;
    core.out = new Out();
    try {
      if (this.#restored) {
        this.#restored = false;
        for (const f of core.factories.values())
          if (f.phase === 'ceremony') f.deadline = core.now + core.policy.stepTimeoutMs;
        resumeAdvancesAfterRestore(core);
      }
      if (
        typeof input !== 'object' ||
        input === null ||
        typeof input.type !== 'string' ||
        !Object.hasOwn(ON_INPUT, input.type)
      )
        throw new InvalidArgumentError(
          'input.type',
          `unknown input ${String((input as { type?: unknown })?.type)}`,
        );
      (ON_INPUT[input.type] as Step<LspInput>)(core, input);
      rebroadcastRestored(core);
      commitDirty(core);
    } catch (e) {
      core.out = new Out();
      fault(core, input, e);
    }
    const actions = core.out.take();
    // Tower entries re-derived at restore go first, before anything else the LSP does.
    const backfill = core.towerBackfill;
    if (backfill === undefined) return actions;
    core.towerBackfill = undefined;
    return [{ kind: 'persist', ops: backfill }, ...actions];
  }

  /** Every factory the LSP holds (ended ones excepted). */
  factories(): LspFactoryInfo[] {
    return [...this.#core.factories.values()].map((f) => info(this.#core, f));
  }

  /** One factory, by id. */
  factory(factoryId: Uint8Array | string): LspFactoryInfo | undefined {
    const f = this.#core.factories.get(typeof factoryId === 'string' ? factoryId : toHex(factoryId));
    return f === undefined ? undefined : info(this.#core, f);
  }

  /** Waiting registrations (not yet in a factory). */
  registrations(): { peer: string; factoryKey: string; capacity: bigint; balance: bigint }[] {
    return [...this.#core.registrations.values()]
      .filter((r) => r.status === 'waiting')
      .map((r) => ({ peer: r.peer, factoryKey: toHex(r.key), capacity: r.capacity, balance: r.balance }));
  }

  /** The chain tip the LSP last saw. */
  get tip(): { readonly height: number; readonly hash: string } | null {
    return this.#core.meta.tip;
  }

  /**
   * The outpoints whose spends the runtime hands in `block_connected`'s `spends`: the outputs of the
   * HTLCs the LSP offered on both current commitments of its channels (memory; cheap to call per block).
   */
  watchedOutpoints(): OutPoint[] {
    return lspWatchedOutpoints(this.#core);
  }
}

function info(core: LspCore, f: LspFactory): LspFactoryInfo {
  const c = f.close;
  const lastSigned = c?.signed[c.signed.length - 1];
  return {
    factoryId: f.idHex,
    factoryIndex: f.index,
    phase: f.phase,
    step: f.step,
    attempt: f.attempt,
    signingFailures: f.signingFailures,
    restarts: f.restarts,
    lastBlamed: f.lastBlamed,
    participants: [...f.participants],
    fundingTxid: f.proposal.funding.txid,
    fundingConfirmedAt: f.fundingConfirmedAt,
    proposal: f.proposal,
    ...(f.advance === undefined ? {} : { advance: advanceInfo(f) }),
    channels: f.channels.map((s) => {
      const ch = s.channel;
      const spec = ch?.localSpec;
      return {
        clientIndex: s.clientIndex,
        channelId: s.idHex,
        peer: f.participants[s.clientIndex] as string,
        phase: ch === null ? 'none' : ch.phase,
        localCommitmentNumber: ch?.localCommitmentNumber ?? -1,
        remoteCommitmentNumber: ch?.remoteCommitmentNumber ?? -1,
        ...(spec === undefined ? {} : { balances: { lspMsat: spec.lspMsat, clientMsat: spec.clientMsat } }),
        ...(spec === undefined ? {} : { feeRate: spec.feeRate }),
        busy: busy(s),
        quiescent: s.quiescent,
      };
    }),
    ...(c === null
      ? {}
      : {
          close: {
            step: c.step,
            attempt: c.lastAttempt,
            requestedBy: c.requestedBy,
            deadline: c.deadline,
            txids: c.attempts.map((a) => a.txid),
            ...(lastSigned === undefined ? {} : { signedTxid: lastSigned.txid }),
            ...(c.confirmed === null ? {} : { confirmedAt: c.confirmed.height }),
            lastBlamed: c.lastBlamed,
            waiting: waiting(core, f),
          },
        }),
  };
}

/** Maps a fault to its consequence; never throws. */
function fault(core: Core, input: LspInput, e: unknown): void {
  const type =
    typeof (input as { type?: unknown } | null)?.type === 'string'
      ? (input as { type: string }).type
      : 'unknown';
  try {
    if (PeerFaultError.isInstance(e)) {
      const err = e as PeerFaultError;
      core.log(
        err.consequence === 'ignore' ? 'debug' : 'warn',
        'peer fault',
        { peer: err.peer, code: err.code },
        err,
      );
      const factoryId = err.factoryId === undefined ? {} : { factoryId: fromHex(err.factoryId) };
      switch (err.consequence) {
        case 'ignore':
          return;
        case 'warning':
          if (core.connected.has(err.peer))
            core.send(err.peer, { type: 'warning', ...factoryId, text: err.message });
          return;
        case 'disconnect':
          if (core.connected.has(err.peer))
            core.send(err.peer, { type: 'error', ...factoryId, text: err.message });
          core.disconnectPeer(err.peer, err.message);
          return;
        case 'abort':
          if (
            InvalidNoncesError.isInstance(err) ||
            InvalidPartialError.isInstance(err) ||
            ClientAbortedError.isInstance(err) ||
            InvalidChannelSetupError.isInstance(err)
          )
            abortFor(core, err as InvalidNoncesError);
          return;
      }
    }
    if (
      LspError.isInstance(e) &&
      type !== 'message' &&
      !InvariantError.isInstance(e) &&
      !DecodeError.isInstance(e)
    ) {
      const err = e as LspError;
      core.log('warn', 'command refused', { command: type, code: err.code }, err);
      core.event({ kind: 'CommandRefused', command: type, code: err.code, message: err.message });
      return;
    }
    const err = InvariantError.isInstance(e)
      ? (e as InvariantError)
      : new InvariantError(`handle(${type})`, (e as Error)?.message ?? String(e), { cause: e });
    core.log('error', 'invariant violated', { input: type }, err);
    core.event({ kind: 'InvariantViolated', invariant: err.invariant, message: err.message });
  } catch (inner) {
    core.out = new Out();
    core.log('error', 'fault handling failed', { input: type }, inner);
  }
}

function restoreFactory(
  core: LspCore,
  idHex: string,
  b: BlobRecord,
  byKey: ReadonlyMap<string, BlobRecord>,
): void {
  const s = readFactoryState(b);
  if (s.phase === 'aborted' || s.phase === 'abandoned' || s.phase === 'closed') {
    core.finished.set(idHex, s.phase);
    return;
  }
  const pb = byKey.get(proposalKey(idHex));
  if (pb === undefined) throw new DecodeError(proposalKey(idHex), 'missing for a live factory');
  const p = readProposal(pb);
  const f: LspFactory = {
    id: fromHex(idHex),
    idHex,
    index: p.factoryIndex,
    owner: p.owner,
    proposal: p.proposal,
    fundingTx: p.fundingTx,
    participants: p.participants,
    phase: s.phase,
    step: s.step,
    attempt: s.attempt,
    signingFailures: s.signingFailures,
    restarts: s.restarts,
    lastBlamed: null,
    restartsBy: new Map(),
    fundingConfirmedAt: s.fundingConfirmedAt,
    abandonTxid: s.abandonTxid,
    built: null,
    round: null,
    signatures: null,
    channels: [],
    deadline: null,
    heard: new Set(),
    rebroadcast: s.phase === 'funded' && s.fundingConfirmedAt === null,
    close: null,
  };
  if (s.phase === 'closing') {
    const kb = byKey.get(closeKey(idHex));
    if (kb === undefined) throw new DecodeError(closeKey(idHex), 'missing for a closing factory');
    const k = readClose(kb);
    // The attempt in flight is gone with the process (its nonces): a fresh one follows quiescence.
    f.close = {
      requestedBy: k.requestedBy,
      startedAt: k.startedAt,
      deadline: k.deadline,
      lastAttempt: k.lastAttempt,
      feeRate: k.feeRate,
      step: k.signed.length > 0 ? 'signed' : k.stalled ? 'stalled' : 'quiescing',
      failures: k.failures,
      lastBlamed: null,
      attempts: [...k.attempts],
      signed: [...k.signed],
      confirmed: k.confirmed,
      session: null,
      rebroadcast: k.signed.length > 0 && k.confirmed === null,
    };
  }
  core.addFactory(f);
  const sb = byKey.get(sigsKey(idHex));
  if (sb !== undefined) f.signatures = readSignatures(sb, sb.data.length / 64);
  if (f.step === 'channels' && f.signatures === null)
    throw new DecodeError(sigsKey(idHex), 'missing after signing');
  for (const slot of f.channels) {
    const cb = byKey.get(channelKey(slot.idHex));
    if (cb === undefined) continue;
    const keys = core.keys.channelKeys(f.index, slot.clientIndex);
    let ch: Channel;
    try {
      ch = Channel.restore(
        cb.data,
        {
          fundingSecret: core.keys.factoryKey(f.index).secretKey,
          shachainSeed: keys.shachainSeed.secret,
          revocationBasepointSecret: keys.revocation.secretKey,
        },
        {
          sweepScript: core.keys.closeAddress(f.index).scriptPubKey,
          ...(core.deps.rng === undefined ? {} : { rng: core.deps.rng }),
          ...(core.deps.nonceObserver === undefined ? {} : { nonceObserver: core.deps.nonceObserver }),
        },
      );
    } catch (cause) {
      throw new DecodeError(channelKey(slot.idHex), 'the channel state does not decode', { cause });
    }
    if (toHex(channelIdOf(f.id, slot.clientIndex)) !== slot.idHex)
      throw new DecodeError(channelKey(slot.idHex), 'channel id mismatch');
    // An interrupted opening is opened again with both setups (before funding nothing is at stake).
    if (ch.phase === 'normal' || ch.phase === 'failed') {
      slot.channel = ch;
      slot.readyEmitted = true;
    }
  }
}
