/**
 * The client's sans-IO machine (roles memo §1–§3, DESIGN §4): `handle(input, now)` takes what the
 * runtime observed (its connection to the LSP, decoded messages, blocks, ticks) or an embedder's
 * command, and returns the actions to carry out in order. Browser-safe: no `node:` import, no I/O.
 *
 * This file is the public face and the transition tables; each concern has its own module:
 * registration, the proposal's checks, the ceremony, the channel, the chain, reconnection, the stored
 * records and the events. What a client stores and computes per factory is O(depth) plus the proposal
 * and the distribution. Faults never escape `handle`: the LSP's faults map to their consequence, a
 * bug to an `InvariantViolated` event.
 *
 * Phases of a factory: `ceremony`, `funded`, `open`, `closing` (it agreed to a cooperative close,
 * `closing.ts`), and the ends `aborted`, `abandoned` and `closed`.
 *
 * @module
 */
import { fromHex, type Logger, type Network, noopLogger, type Rng, toHex } from '@superscalar/core';
import { clientDistribution, replayClientFactory } from '@superscalar/factory-tree';
import type { Keychain } from '@superscalar/keys';
import type { BlobRecord } from '@superscalar/persist';
import { Channel, type NonceObserver } from '@superscalar/poon-dryja';
import type { OutPoint } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';
import { channelIdOf, type Message } from '@superscalar/wire';
import { type ClientClose, ClientCore, type ClientFactory, type ClientCore as Core } from './_core.js';
import {
  advanceInfo,
  onAdvanceAggNonces,
  onAdvanceDone,
  onAdvancePropose,
  onLstockSecret,
  onRequestAdvance,
  restoreClientAdvances,
} from './advance.js';
import { endCeremony, onAggNonces, onFunded, onLspAbort, onSigned } from './ceremony.js';
import { onBlockConnected, onBlockDisconnected } from './chain.js';
import { clientWatchedOutpoints, onChainSpends } from './chainPreimages.js';
import { drive, onChannelMessage, onChannelSetup } from './channels.js';
import { onCloseAggNonce, onCloseDone, onClosePropose, onRequestClose } from './closing.js';
import {
  agreedKey,
  type ClientFactoryPhase,
  channelKey,
  closeKey,
  META_KEY,
  type RegistrationStatus,
  readAgreedClose,
  readClose,
  readFactoryState,
  readMeta,
  readRecord,
  readRegistration,
  recordKey,
  type StoredMeta,
} from './codec.js';
import {
  ClientError,
  DecodeError,
  InvalidArgumentError,
  InvariantError,
  NotLspError,
  PeerFaultError,
  UnexpectedMessageError,
} from './errors.js';
import {
  type ClientExitInfo,
  exitInfo,
  exitsOnBroadcastResult,
  exitsOnTick,
  onForceClose,
  restoreExits,
} from './exit/clientExit.js';
import type { TowerPort } from './exit/takeOver.js';
import { feeTick } from './fees.js';
import type { Action, ClientInput } from './io.js';
import { createInvoice, payInvoice, restorePayments, resumePayments } from './payments.js';
import { type ClientPolicy, resolveClientPolicy } from './policy.js';
import { onPropose } from './proposal.js';
import { onFactoryReestablish, onPeerConnected, onPeerDisconnected } from './reestablish.js';
import { onRegisterResponse, register } from './registration.js';
import { Out } from './runtime/out.js';
import { towerBackfillOps } from './towerBackfill.js';

/** What {@link Client.create} needs. */
export interface ClientOptions {
  /** The client's keys: node identity, and by factory index its factory key, close address and channel keys. */
  readonly keychain: Keychain;
  readonly network: Network;
  /** The LSP's node id (lower-case hex of its 33-byte key): the only peer the client talks to. */
  readonly lspNodeId: string;
  readonly policy?: ClientPolicy;
  /** Randomness for nonces (default: the CSPRNG). Inject only in tests. */
  readonly rng?: Rng;
  readonly logger?: Logger;
  /** Test hook: sees every secret nonce the channel signs with. */
  readonly nonceObserver?: NonceObserver;
  /**
   * The client's on-chain wallet (optional): its fee coins pay the CPFP children of a unilateral exit
   * and its claims go to its addresses; without one, exit packages go without a child and claims pay
   * the factory's close address.
   */
  readonly wallet?: Wallet;
}

/** What {@link Client.restore} needs: the options and the store's `blobs`. */
export interface ClientRestoreOptions extends ClientOptions {
  /** `await store.list('blobs')` (rows of other owners are skipped). */
  readonly blobs: readonly BlobRecord[];
}

/** A factory as {@link Client.factory} reports it. */
export interface ClientFactoryInfo {
  readonly factoryId: string;
  readonly factoryIndex: number;
  readonly clientIndex: number;
  readonly phase: ClientFactoryPhase;
  readonly attempt: number;
  readonly signed: boolean;
  readonly fundingTxid: string;
  readonly fundingConfirmedAt: number | null;
  /** Transactions on the client's path, and the distribution transactions it signed. */
  readonly pathTxs: number;
  readonly distributionTxs: number;
  readonly channel: {
    readonly channelId: string;
    readonly phase: 'none' | 'opening' | 'normal' | 'failed';
    readonly localCommitmentNumber: number;
    readonly remoteCommitmentNumber: number;
    readonly balances?: { readonly lspMsat: bigint; readonly clientMsat: bigint };
    /** The fee rate of the client's current commitment, sat/kvB. */
    readonly feeRate?: number;
    /** The channel is quiescent (stfu both ways) since its last connection. */
    readonly quiescent: boolean;
  };
  /** State advances: the last complete, its leaf's counter and path states, superseded counters, secrets held. */
  readonly advance?: ReturnType<typeof advanceInfo>;
  /** The cooperative close, once the client agreed to an attempt. */
  readonly close?: {
    /** Every attempt it agreed to (any of their txids confirming closes the factory). */
    readonly attempts: readonly { readonly attempt: number; readonly txid: string }[];
    /** The close it holds signed (verified `close_done`), ready to broadcast. */
    readonly signed?: { readonly attempt: number; readonly txid: string; readonly raw: Uint8Array };
    readonly confirmedAt?: number;
  };
}

type Step<I> = (core: Core, input: I) => void;
type InputOf<T extends ClientInput['type']> = Extract<ClientInput, { type: T }>;

const ON_INPUT: { readonly [T in ClientInput['type']]: Step<InputOf<T>> } = {
  peer_connected: (core, i) => onPeerConnected(core, i.peer),
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
    core.log('debug', 'broadcast result', { txid: i.txid, error: i.error?.reason });
    exitsOnBroadcastResult(core, i.txid, i.error);
  },
  fee_rates: (core, i) => {
    core.exits.rates = i.rates;
  },
  tick: (core) => {
    feeTick(core);
    resumePayments(core, (f, input) => drive(core, f, input));
    exitsOnTick(core);
  },
  register: (core, i) => {
    register(core, {
      capacity: i.capacity,
      balance: i.balance,
      ...(i.profile === undefined ? {} : { profile: i.profile }),
    });
  },
  request_close: (core, i) => onRequestClose(core, i.factoryId),
  request_advance: (core, i) => onRequestAdvance(core, i),
  create_invoice: (core, i) => createInvoice(core, i),
  pay_invoice: (core, i) => payInvoice(core, i, (f, input) => drive(core, f, input)),
  force_close: (core, i) => onForceClose(core, i.factoryId),
};

type MessageStep = (core: Core, peer: string, m: never) => void;
const channel: MessageStep = (core, peer, m) => onChannelMessage(core, peer, m);

/** Messages an LSP sends a client; anything else is answered with a `warning`. */
const ON_MESSAGE: Partial<Record<Message['type'], MessageStep>> = {
  factory_register_response: onRegisterResponse as MessageStep,
  factory_propose: onPropose as MessageStep,
  factory_agg_nonces: onAggNonces as MessageStep,
  factory_signed: onSigned as MessageStep,
  factory_funded: onFunded as MessageStep,
  factory_abort: onLspAbort as MessageStep,
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
  // The cooperative close (close_nonce and close_psig are the client's own: never received).
  close_propose: onClosePropose as MessageStep,
  close_agg_nonce: onCloseAggNonce as MessageStep,
  close_done: onCloseDone as MessageStep,
  // State advances (advance.ts).
  advance_propose: onAdvancePropose as MessageStep,
  advance_agg_nonces: onAdvanceAggNonces as MessageStep,
  advance_done: onAdvanceDone as MessageStep,
  lstock_secret: onLstockSecret as MessageStep,
  error: (core, peer, m: { text: string }) => core.log('warn', 'peer error', { peer, text: m.text }),
  warning: (core, peer, m: { text: string }) => core.log('info', 'peer warning', { peer, text: m.text }),
  ping: () => {},
  pong: () => {},
};

function onMessage(core: Core, peer: string, m: Message): void {
  if (peer !== core.lsp) throw new NotLspError(peer);
  if (typeof m !== 'object' || m === null || typeof m.type !== 'string')
    throw new UnexpectedMessageError(peer, 'not a message', { consequence: 'disconnect' });
  if (!core.connected)
    throw new UnexpectedMessageError(peer, `${m.type} while not connected`, { consequence: 'ignore' });
  const step = Object.hasOwn(ON_MESSAGE, m.type) ? ON_MESSAGE[m.type] : undefined;
  if (step === undefined)
    throw new UnexpectedMessageError(peer, `${m.type} is not a message a client receives`);
  step(core, peer, m as never);
}

/** The client role. Build it with {@link Client.create} or {@link Client.restore}; drive it with {@link Client.handle}. */
export class Client {
  readonly #core: ClientCore;

  private constructor(core: ClientCore) {
    this.#core = core;
    core.onDisconnect = () => onPeerDisconnected(core, core.lsp);
  }

  /** A new client (an empty store). */
  static create(options: ClientOptions): Client {
    return Client.restore({ ...options, blobs: [] });
  }

  /**
   * The client from its store's blobs: registrations, factories (rebuilt from their O(depth) records
   * with `replayClientFactory`) and the channel. Secret nonces and a round in flight are gone: the LSP
   * starts a fresh attempt when the client reconnects.
   *
   * @throws {DecodeError} a damaged record. {@link InvalidArgumentError} missing options.
   */
  static restore(options: ClientRestoreOptions): Client {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'expected an object');
    for (const k of ['keychain', 'network', 'lspNodeId'] as const)
      if (options[k] === undefined || options[k] === null)
        throw new InvalidArgumentError(`options.${k}`, 'required');
    if (typeof options.lspNodeId !== 'string' || !/^0[23][0-9a-f]{64}$/.test(options.lspNodeId))
      throw new InvalidArgumentError(
        'options.lspNodeId',
        'expected 66 lower-case hex characters (a compressed key)',
      );
    if (!Array.isArray(options.blobs))
      throw new InvalidArgumentError('options.blobs', "expected the store's blobs");
    const byKey = new Map<string, BlobRecord>();
    for (const b of options.blobs)
      if (typeof b?.key === 'string' && b.key.startsWith('client/')) byKey.set(b.key, b);
    const metaBlob = byKey.get(META_KEY);
    const meta: StoredMeta = metaBlob === undefined ? { nextFactoryIndex: 0, tip: null } : readMeta(metaBlob);
    const core = new ClientCore(
      {
        keychain: options.keychain,
        network: options.network,
        lspNodeId: options.lspNodeId,
        policy: resolveClientPolicy(options.policy),
        rng: options.rng,
        logger: options.logger ?? noopLogger,
        nonceObserver: options.nonceObserver,
        wallet: options.wallet,
      },
      meta,
    );
    for (const [key, b] of byKey)
      if (key.startsWith('client/reg/')) {
        const r = readRegistration(b);
        core.registrations.set(r.factoryIndex, r);
      }
    for (const [key, b] of byKey) {
      const m = /^client\/f\/([0-9a-f]{64})$/.exec(key);
      if (m !== null) restoreFactory(core, m[1] as string, b, byKey);
    }
    restorePayments(core, byKey.values());
    restoreExits(core, byKey.values());
    restoreClientAdvances(core, byKey);
    core.towerBackfill = towerBackfillOps(core, options.blobs, byKey);
    return new Client(core);
  }

  /**
   * Attaches the role's embedded watchtower (the runtime does, once it opened it): an exit then takes
   * the states it publishes over from the tower (`Watchtower.release`) and adopts what the tower
   * already broadcast, so one party answers each state. Undefined detaches it.
   */
  attachTower(tower: TowerPort | undefined): void {
    this.#core.tower = tower;
  }

  /** Lower-case hex of the client's node public key (the key its `init` proves). */
  get nodeId(): string {
    return this.#core.nodeId;
  }

  /** Handles one input; returns the actions to carry out, in order. Never throws. */
  handle(input: ClientInput, now: number): Action[] {
    const core = this.#core;
    core.now = Number.isFinite(now) ? Math.max(core.now, now) : core.now;
    core.out = new Out();
    try {
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
      (ON_INPUT[input.type] as Step<ClientInput>)(core, input);
    } catch (e) {
      core.out = new Out();
      fault(core, input, e);
    }
    const actions = core.out.take();
    // Tower entries re-derived at restore go first, before anything else this client does.
    const backfill = core.towerBackfill;
    if (backfill === undefined) return actions;
    core.towerBackfill = undefined;
    return [{ kind: 'persist', ops: backfill }, ...actions];
  }

  /** Every live factory (ended ones excepted). */
  factories(): ClientFactoryInfo[] {
    return [...this.#core.factories.values()].map(info);
  }

  /** One factory, by id. */
  factory(factoryId: Uint8Array | string): ClientFactoryInfo | undefined {
    const f = this.#core.factories.get(typeof factoryId === 'string' ? factoryId : toHex(factoryId));
    return f === undefined ? undefined : info(f);
  }

  /** The client's registrations and their status. */
  registrations(): {
    factoryIndex: number;
    factoryKey: string;
    capacity: bigint;
    balance: bigint;
    status: RegistrationStatus;
  }[] {
    return [...this.#core.registrations.values()].map((r) => ({
      factoryIndex: r.factoryIndex,
      factoryKey: toHex(r.factoryKey),
      capacity: r.capacity,
      balance: r.balance,
      status: r.status,
    }));
  }

  /**
   * The client's signed path and distribution transactions of a factory (what it broadcasts to
   * exit), or undefined before `factory_signed`: `{ txid, sighash, signature, outputKey }` per transaction.
   */
  signedPath(factoryId: Uint8Array | string):
    | {
        readonly txid: string;
        readonly sighash: Uint8Array;
        readonly signature: Uint8Array;
        readonly outputKey: Uint8Array;
      }[]
    | undefined {
    const f = this.#core.factories.get(typeof factoryId === 'string' ? factoryId : toHex(factoryId));
    const s = f?.signatures;
    if (f === undefined || s === null || s === undefined) return undefined;
    return [
      ...f.path.jobs.map((j, k) => ({
        txid: (f.path.txs[k] as { txid: string }).txid,
        sighash: j.job.sighash,
        signature: s.path[k] as Uint8Array,
        outputKey: j.job.outputKey,
      })),
      ...f.dist.jobs.map((j, k) => ({
        txid: (f.dist.txs[k] as { txid: string }).txid,
        sighash: j.job.sighash,
        signature: s.dist[k] as Uint8Array,
        outputKey: j.job.outputKey,
      })),
    ];
  }

  /** Invoices this client issued: payment hash, the BOLT 11 text, amount and whether paid (no preimage). */
  invoices(): { paymentHash: string; invoice: string; amountMsat: bigint; status: 'open' | 'paid' }[] {
    return [...this.#core.payments.invoices.values()].map((i) => ({
      paymentHash: i.paymentHash,
      invoice: i.invoice,
      amountMsat: i.amountMsat,
      status: i.status,
    }));
  }

  /** Payments this client made: hash, amount paid (fee included), fee and status. */
  payments(): {
    paymentHash: string;
    amountMsat: bigint;
    feeMsat: bigint;
    status: 'pending' | 'sent' | 'failed';
  }[] {
    return [...this.#core.payments.payments.values()].map((p) => ({
      paymentHash: p.paymentHash,
      amountMsat: p.amountMsat,
      feeMsat: p.feeMsat,
      status: p.status,
    }));
  }

  /** The client's unilateral exits (under way or completed), with every step's txid, status and height. */
  exits(): ClientExitInfo[] {
    return [...this.#core.exits.drivers.values()].map(exitInfo);
  }

  /** The chain tip the client last saw. */
  get tip(): { readonly height: number; readonly hash: string } | null {
    return this.#core.meta.tip;
  }

  /**
   * The outpoints whose spends the runtime hands in `block_connected`'s `spends`: the outputs of the
   * HTLCs this client offered on both current commitments of its channels (memory; cheap to call per block).
   */
  watchedOutpoints(): OutPoint[] {
    return clientWatchedOutpoints(this.#core);
  }
}

function info(f: ClientFactory): ClientFactoryInfo {
  const ch = f.channel;
  const spec = ch?.localSpec;
  return {
    factoryId: f.idHex,
    factoryIndex: f.factoryIndex,
    clientIndex: f.clientIndex,
    phase: f.phase,
    attempt: f.attempt,
    signed: f.signatures !== null,
    fundingTxid: f.proposal.funding.txid,
    fundingConfirmedAt: f.fundingConfirmedAt,
    pathTxs: f.path.txs.length,
    distributionTxs: f.dist.txs.length,
    ...(f.advance === undefined ? {} : { advance: advanceInfo(f) }),
    channel: {
      channelId: f.channelIdHex,
      phase: ch === null ? 'none' : ch.phase,
      localCommitmentNumber: ch?.localCommitmentNumber ?? -1,
      remoteCommitmentNumber: ch?.remoteCommitmentNumber ?? -1,
      ...(spec === undefined ? {} : { balances: { lspMsat: spec.lspMsat, clientMsat: spec.clientMsat } }),
      ...(spec === undefined ? {} : { feeRate: spec.feeRate }),
      quiescent: f.quiescent,
    },
    ...(f.close === null || f.close.agreed.size === 0
      ? {}
      : {
          close: {
            attempts: [...f.close.agreed.values()]
              .map((a) => ({ attempt: a.attempt, txid: a.txid }))
              .sort((a, b) => a.attempt - b.attempt),
            ...(f.close.signed === null
              ? {}
              : { signed: { ...f.close.signed, raw: Uint8Array.from(f.close.signed.raw) } }),
            ...(f.close.confirmed === null ? {} : { confirmedAt: f.close.confirmed.height }),
          },
        }),
  };
}

function fault(core: Core, input: ClientInput, e: unknown): void {
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
      const toLsp = err.peer === core.lsp && core.connected;
      switch (err.consequence) {
        case 'ignore':
          return;
        case 'warning':
          if (toLsp) core.send({ type: 'warning', ...factoryId, text: err.message });
          return;
        case 'disconnect':
          if (err.peer === core.lsp) {
            if (toLsp) core.send({ type: 'error', ...factoryId, text: err.message });
            core.disconnectLsp(err.message);
          } else core.out.disconnect(err.peer, err.message);
          return;
        case 'abort': {
          const f = err.factoryId === undefined ? undefined : core.factories.get(err.factoryId);
          if (f !== undefined && f.phase === 'ceremony')
            endCeremony(core, f, { reason: 'signing_failed', text: err.message, byLsp: false });
          return;
        }
      }
    }
    if (
      ClientError.isInstance(e) &&
      type !== 'message' &&
      !InvariantError.isInstance(e) &&
      !DecodeError.isInstance(e)
    ) {
      const err = e as ClientError;
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
  core: ClientCore,
  idHex: string,
  b: BlobRecord,
  byKey: ReadonlyMap<string, BlobRecord>,
): void {
  const s = readFactoryState(b);
  if (s.phase === 'aborted' || s.phase === 'abandoned' || s.phase === 'closed') {
    core.finished.set(idHex, s.phase);
    return;
  }
  const rb = byKey.get(recordKey(idHex));
  if (rb === undefined) throw new DecodeError(recordKey(idHex), 'missing for a live factory');
  const r = readRecord(rb);
  let path: ClientFactory['path'];
  let dist: ClientFactory['dist'];
  try {
    const replayed = replayClientFactory(r.record); // verifies every signature it holds
    path = replayed.path;
    dist = replayed.distribution ?? clientDistribution(path);
  } catch (cause) {
    throw new DecodeError(recordKey(idHex), 'the stored factory does not rebuild', { cause });
  }
  const id = fromHex(idHex);
  const channelId = channelIdOf(id, r.clientIndex);
  const pathSigs = r.record.pathSignatures;
  const distSigs = [...r.record.distributionSignatures].sort((a, b) => a.index - b.index);
  const signed = pathSigs.length === path.txs.length && distSigs.length === dist.txs.length;
  const f: ClientFactory = {
    id,
    idHex,
    factoryIndex: r.factoryIndex,
    clientIndex: r.clientIndex,
    proposal: r.record.proposal,
    fundingTx: r.fundingTx,
    path,
    dist,
    channelId,
    channelIdHex: toHex(channelId),
    phase: s.phase,
    attempt: s.attempt,
    signatures: signed ? { path: [...pathSigs], dist: distSigs.map((e) => e.signature) } : null,
    fundedSeen: s.fundedSeen,
    fundingConfirmedAt: s.fundingConfirmedAt,
    signing: null,
    signedAttempt: null,
    channel: null,
    heldCommit: null,
    readyEmitted: false,
    quiescent: false,
    closeRequested: false,
    close: null,
  };
  const kb = byKey.get(closeKey(idHex));
  const agreed = new Map<number, ClientClose['agreed'] extends Map<number, infer A> ? A : never>();
  const prefix = `${closeKey(idHex)}/`;
  for (const [key, ab] of byKey) {
    if (!key.startsWith(prefix)) continue;
    const a = readAgreedClose(ab);
    if (key !== agreedKey(idHex, a.attempt)) throw new DecodeError(key, 'attempt mismatch');
    agreed.set(a.attempt, { ...a, close: null });
  }
  if (kb !== undefined || agreed.size > 0) {
    const k = kb === undefined ? { signed: null, confirmed: null } : readClose(kb);
    f.close = { agreed, signed: k.signed, confirmed: k.confirmed, session: null };
  }
  const cb = byKey.get(channelKey(f.channelIdHex));
  if (cb !== undefined) {
    const k = core.keys.channelKeys(f.factoryIndex, f.clientIndex);
    let ch: Channel;
    try {
      ch = Channel.restore(
        cb.data,
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
      throw new DecodeError(channelKey(f.channelIdHex), 'the channel state does not decode', { cause });
    }
    // An interrupted opening is opened again with both setups (before funding nothing is at stake).
    if (ch.phase === 'normal' || ch.phase === 'failed') {
      f.channel = ch;
      f.readyEmitted = true;
    }
  }
  core.factories.set(idHex, f);
}
