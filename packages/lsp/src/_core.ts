/**
 * Internal: the LSP machine's state — what is persisted (meta, registrations, factories, channels)
 * and what lives in memory only (connections, the signing round in flight, timers) — with the helpers
 * every concern shares (persisting a record, journalling an event, logging).
 *
 * @module
 */

import type { TowerPort } from '@superscalar/client';
import { KeyCache, Out } from '@superscalar/client/runtime';
import { type Logger, type Network, type Rng, toHex } from '@superscalar/core';
import type {
  Distribution,
  FactoryTree,
  LspSigningState,
  Proposal,
  SigningJob,
} from '@superscalar/factory-tree';
import type { Keychain } from '@superscalar/keys';
import type { Op } from '@superscalar/persist';
import type { Channel, NonceObserver } from '@superscalar/poon-dryja';
import type { Wallet } from '@superscalar/wallet';
import {
  channelIdOf,
  type FactoryAggNonces,
  type FactoryNonces,
  type FactoryPsigs,
  type Message,
} from '@superscalar/wire';
import type { LspAdvanceState } from './advance.js';
import type { LspCloseSession } from './close.js';
import {
  type LspCeremonyStep,
  type LspFactoryPhase,
  putFactoryState,
  putMeta,
  putRegistration,
  type StoredMeta,
  type StoredRegistration,
} from './codec.js';
import { eventOp, type LspEvent } from './events.js';
import { LspExits } from './exit.js';
import { indexAlias, LspForwards } from './forwarding.js';
import type { FeeRates, PeerId } from './io.js';
import type { ResolvedLspPolicy } from './policy.js';

/** One client's leaf channel, as the LSP holds it. */
export interface ChannelSlot {
  readonly clientIndex: number;
  readonly channelId: Uint8Array;
  readonly idHex: string;
  /** The channel machine once both `channel_setup`s are known; null before (or after a discarded opening). */
  channel: Channel | null;
  /** `ChannelReady` journalled. */
  readyEmitted: boolean;
  /** Memory only: `quiesce` was fed to the channel since its last connection (the close). */
  quiesced: boolean;
  /** Memory only: the channel reported `quiescent` (stfu both ways) since its last connection. */
  quiescent: boolean;
}

/** One attempt of the cooperative close, as persisted (its txid is watched until the factory closes). */
export interface CloseAttempt {
  readonly attempt: number;
  readonly txid: string;
  readonly tipHeight: number;
  readonly closeFeeRate: number;
  /** Each client's balance, sats, by client index (read from the channels when it was proposed). */
  readonly balances: readonly bigint[];
  readonly fee: bigint;
  readonly lspAmount: bigint;
}

/** A signed close, as persisted. */
export interface SignedClose {
  readonly attempt: number;
  readonly txid: string;
  readonly raw: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Where the LSP's close is: waiting for every channel to be quiescent (`quiescing`), collecting nonces
 * or partial signatures of an attempt, `signed` (a signed close is broadcast; a bump may be in
 * flight only through `quiescing`…`psigs` again), or `stalled` (the deadline passed with nothing
 * signed: `close_factory` starts it again).
 */
export type LspCloseStep = 'quiescing' | 'nonces' | 'psigs' | 'signed' | 'stalled';

/** The cooperative close of a factory (phase `closing`). */
export interface LspClose {
  /** The client that asked for it (node id), or null for the `close_factory` command. */
  requestedBy: PeerId | null;
  /** ms: when this close (or bump) started, and when it stalls if nothing new is signed. */
  startedAt: number;
  deadline: number;
  /** The highest attempt number used (persisted before its `close_propose` leaves: never reused). */
  lastAttempt: number;
  /** The fee rate a bump asked for (sat/kvB), or null. */
  feeRate: number | null;
  step: LspCloseStep;
  /** Signing failures (blame) of this close or bump. */
  failures: number;
  /** The participant the last failed aggregation blamed (0 = LSP, i + 1 = clients[i]). */
  lastBlamed: number | null;
  readonly attempts: CloseAttempt[];
  readonly signed: SignedClose[];
  /** The first block holding one of the attempts. */
  confirmed: { readonly txid: string; readonly height: number } | null;
  /** Memory only: the attempt in flight. */
  session: LspCloseSession | null;
  /** Memory only: restored with a signed close: broadcast it again at the next block. */
  rebroadcast: boolean;
}

/** A signing round in flight (memory only: a restart or a reconnection starts a fresh attempt). */
export interface Round {
  readonly attempt: number;
  readonly nonces: Map<number, FactoryNonces>;
  lspState: LspSigningState | null;
  /** What each client was sent in round 2 (resent to a client that reconnects still holding its nonces). */
  readonly agg: Map<number, FactoryAggNonces>;
  readonly psigs: Map<number, FactoryPsigs>;
}

/** The tree, distribution and job list of a factory, built once per process. */
export interface Built {
  readonly tree: FactoryTree;
  readonly dist: Distribution;
  readonly jobs: readonly SigningJob[];
  /** Jobs per participant (job indices). */
  readonly byParticipant: ReadonlyMap<number, readonly number[]>;
}

/** A factory the LSP takes part in. */
export interface LspFactory {
  readonly id: Uint8Array;
  readonly idHex: string;
  readonly index: number;
  readonly owner: string;
  readonly proposal: Proposal;
  readonly fundingTx: Uint8Array;
  readonly participants: readonly PeerId[];
  phase: LspFactoryPhase;
  step: LspCeremonyStep;
  attempt: number;
  signingFailures: number;
  restarts: number;
  /** Memory only: how many fresh attempts each client's reconnection caused. */
  readonly restartsBy: Map<number, number>;
  /** Memory only: the participant blamed by the last failed aggregation (0 = LSP, i + 1 = clients[i]). */
  lastBlamed: number | null;
  fundingConfirmedAt: number | null;
  abandonTxid: string | null;
  /** Memory only. */
  built: Built | null;
  round: Round | null;
  signatures: Uint8Array[] | null;
  channels: ChannelSlot[];
  /** ms: clients still owing the current step are dropped after it. */
  deadline: number | null;
  /** Clients that sent nonces at least once in this process (others get `factory_propose` again). */
  readonly heard: Set<number>;
  /** Restored from the store: the funding is re-broadcast with the next input if still unconfirmed. */
  rebroadcast: boolean;
  /** The cooperative close (phase `closing`), or null. */
  close: LspClose | null;
  /** State advances (`advance.ts`): the history, completed advances, the one in flight. */
  advance?: LspAdvanceState;
}

/** Dependencies the machine is built with. */
export interface LspDeps {
  readonly keychain: Keychain;
  readonly wallet: Wallet;
  readonly network: Network;
  readonly policy: ResolvedLspPolicy;
  readonly rng: Rng | undefined;
  readonly logger: Logger;
  readonly nonceObserver: NonceObserver | undefined;
}

export class LspCore {
  readonly deps: LspDeps;
  readonly nodeId: string;
  /** The keychain's derivations, memoised. */
  readonly keys: KeyCache;
  meta: StoredMeta;
  readonly registrations = new Map<string, StoredRegistration>();
  readonly factories = new Map<string, LspFactory>();
  readonly connected = new Set<PeerId>();
  /** Peers left out of formations until the given ms. */
  readonly benched = new Map<PeerId, number>();
  /** After an abort: the remaining clients; the next factory forms as soon as all of them registered again. */
  reform: { readonly peers: ReadonlySet<PeerId>; readonly since: number } | null = null;
  feeRates: FeeRates | null = null;
  /** No automatic formation before this ms (after a formation failed). */
  formBackoffUntil = 0;
  /** Factories that ended, stored as tombstones only, with how they ended. */
  readonly finished = new Map<string, 'aborted' | 'abandoned' | 'closed'>();
  /** Channel id (hex) → its factory and client. */
  readonly channelIndex = new Map<string, { readonly f: LspFactory; readonly client: number }>();
  /** Forwards, the SCID alias index and the channels with updates to commit. */
  readonly forwards = new LspForwards();
  /** Unilateral exits and recoveries under way (`exit.ts`). */
  readonly exits = new LspExits();
  /** The role's embedded watchtower, when the runtime attached one (`Lsp.attachTower`). */
  tower: TowerPort | undefined = undefined;
  /** Tower entries re-derived at restore (`towerBackfill.ts`): the first `handle` persists them first. */
  towerBackfill: Op[] | undefined = undefined;
  /** Set by the machine: what a lost connection does (channels, ceremony timers). */
  onDisconnect: (peer: PeerId) => void = () => {};
  now = 0;
  out = new Out();

  constructor(deps: LspDeps, meta: StoredMeta) {
    this.deps = deps;
    this.meta = meta;
    this.keys = new KeyCache(deps.keychain);
    this.nodeId = toHex(this.keys.nodeIdentity().publicKey);
  }

  get policy(): ResolvedLspPolicy {
    return this.deps.policy;
  }

  get tipHeight(): number | null {
    return this.meta.tip?.height ?? null;
  }

  persist(ops: readonly Op[]): void {
    this.out.persist(ops);
  }

  event(e: Exclude<LspEvent, { kind: 'Unknown' }>): void {
    this.out.persist([eventOp(e)]);
  }

  send(peer: PeerId, message: Message): void {
    this.out.send(peer, message);
  }

  saveMeta(): void {
    this.out.persist([putMeta(this.meta)]);
  }

  saveRegistration(r: StoredRegistration): void {
    this.out.persist([putRegistration(r)]);
  }

  saveFactory(f: LspFactory): void {
    this.out.persist([
      putFactoryState(f.idHex, {
        phase: f.phase,
        step: f.step,
        attempt: f.attempt,
        signingFailures: f.signingFailures,
        restarts: f.restarts,
        fundingConfirmedAt: f.fundingConfirmedAt,
        abandonTxid: f.abandonTxid,
      }),
    ]);
  }

  log(
    level: 'debug' | 'info' | 'warn' | 'error',
    msg: string,
    fields?: Record<string, unknown>,
    err?: unknown,
  ): void {
    this.deps.logger.log({
      level,
      msg,
      module: 'lsp',
      ...(fields === undefined ? {} : { fields }),
      ...(err === undefined ? {} : { err }),
    });
  }

  /** Closes the connection to `peer` (after an `error`) and treats it as lost at once. */
  disconnectPeer(peer: PeerId, reason: string): void {
    this.out.disconnect(peer, reason);
    if (this.connected.has(peer)) this.onDisconnect(peer);
  }

  /** Moves an ended factory to the tombstones (its late messages are stale, not unknown). */
  finish(f: LspFactory): void {
    this.factories.delete(f.idHex);
    this.finished.set(
      f.idHex,
      f.phase === 'closed' ? 'closed' : f.phase === 'abandoned' ? 'abandoned' : 'aborted',
    );
    for (const s of f.channels) this.channelIndex.delete(s.idHex);
  }

  /** Registers a factory in memory with one channel slot per client. */
  addFactory(f: LspFactory): void {
    this.factories.set(f.idHex, f);
    f.channels = f.participants.map((_, client) => {
      const channelId = channelIdOf(f.id, client);
      const idHex = toHex(channelId);
      this.channelIndex.set(idHex, { f, client });
      indexAlias(this, idHex);
      return {
        clientIndex: client,
        channelId,
        idHex,
        channel: null,
        readyEmitted: false,
        quiesced: false,
        quiescent: false,
      };
    });
  }

  /** The factory `id` names, if the LSP knows it. */
  factory(id: Uint8Array): LspFactory | undefined {
    return this.factories.get(toHex(id));
  }

  /** Factories (not finished) `peer` takes part in, with its client index. */
  *factoriesOf(peer: PeerId): Generator<{ f: LspFactory; client: number }> {
    for (const f of this.factories.values()) {
      if (f.phase === 'aborted' || f.phase === 'abandoned' || f.phase === 'closed') continue;
      const client = f.participants.indexOf(peer);
      if (client >= 0) yield { f, client };
    }
  }
}
