/**
 * Internal: the client machine's state — persisted (meta, registrations, factories as O(depth)
 * records, the channel) and in memory (the connection, the signing round in flight) — and the helpers
 * every concern shares.
 *
 * @module
 */

import { type Logger, type Network, type Rng, toHex } from '@superscalar/core';
import type {
  ClientDistribution,
  ClientPath,
  ClientSigningState,
  CooperativeClose,
  Proposal,
} from '@superscalar/factory-tree';
import type { Keychain } from '@superscalar/keys';
import type { Op } from '@superscalar/persist';
import type { Channel, NonceObserver } from '@superscalar/poon-dryja';
import type { Wallet } from '@superscalar/wallet';
import type { ClosePropose, CommitmentSigned, Message } from '@superscalar/wire';
import type { ClientAdvanceState } from './advance.js';
import type { ClientCloseSession } from './close.js';
import {
  type ClientFactoryPhase,
  putFactoryState,
  putMeta,
  putRegistration,
  type StoredMeta,
  type StoredRegistration,
} from './codec.js';
import { type ClientEvent, eventOp } from './events.js';
import { ClientExits } from './exit/clientExit.js';
import type { TowerPort } from './exit/takeOver.js';
import { ClientPayments } from './payments.js';
import type { ResolvedClientPolicy } from './policy.js';
import { KeyCache } from './runtime/keyCache.js';
import { Out } from './runtime/out.js';

/** A close attempt the client agreed to (persisted before its `close_nonce` left). */
export interface AgreedClose {
  readonly attempt: number;
  /** The LSP's `close_propose`, as checked. */
  readonly message: ClosePropose;
  /** The client's own balance (sats) it was checked against. */
  readonly balance: bigint;
  readonly txid: string;
  /** Memory only: the close rebuilt from `message` (lazily after a restart). */
  close: CooperativeClose | null;
}

/** The cooperative close, client side. */
export interface ClientClose {
  /** Every attempt it agreed to, by attempt (their txids are watched). */
  readonly agreed: Map<number, AgreedClose>;
  /** The latest close it holds signed (`close_done` verified). */
  signed: { readonly attempt: number; readonly txid: string; readonly raw: Uint8Array } | null;
  /** The first block holding one of the agreed closes. */
  confirmed: { readonly txid: string; readonly height: number } | null;
  /** Memory only: the attempt in flight (its secret nonce; gone with the connection). */
  session: ClientCloseSession | null;
}

/** A factory the client takes part in. */
export interface ClientFactory {
  readonly id: Uint8Array;
  readonly idHex: string;
  readonly factoryIndex: number;
  readonly clientIndex: number;
  readonly proposal: Proposal;
  readonly fundingTx: Uint8Array;
  /** Its path (at its current state: advances move it) and distribution, rebuilt from the proposal. */
  path: ClientPath;
  readonly dist: ClientDistribution;
  readonly channelId: Uint8Array;
  readonly channelIdHex: string;
  phase: ClientFactoryPhase;
  /** The ceremony attempt last seen. */
  attempt: number;
  /** The path's signatures (path order) and the distribution's (`dist.txs` order), once verified. */
  signatures: { readonly path: readonly Uint8Array[]; readonly dist: readonly Uint8Array[] } | null;
  fundedSeen: boolean;
  fundingConfirmedAt: number | null;
  /**
   * Memory only: round-1 secret state of an attempt (consumed by round 2), and the connection its
   * nonces were sent on.
   */
  signing: {
    readonly attempt: number;
    readonly state: ClientSigningState;
    readonly connection: number;
  } | null;
  /** Memory only: the attempt whose partial signatures were sent. */
  signedAttempt: number | null;
  channel: Channel | null;
  /** Memory only: our commitment-0 signature, held until we hold our own commitment 0. */
  heldCommit: CommitmentSigned | null;
  readyEmitted: boolean;
  /** Memory only: the channel reported `quiescent` (stfu both ways) since its last connection. */
  quiescent: boolean;
  /** Memory only: `request_close` waits for the next connection. */
  closeRequested: boolean;
  /** The cooperative close (phase `closing`, or an attempt refused while open), or null. */
  close: ClientClose | null;
  /** State advances (`advance.ts`): its record, the advance in flight. */
  advance?: ClientAdvanceState;
}

/** Dependencies the machine is built with. */
export interface ClientDeps {
  readonly keychain: Keychain;
  readonly network: Network;
  readonly lspNodeId: string;
  readonly policy: ResolvedClientPolicy;
  readonly rng: Rng | undefined;
  readonly logger: Logger;
  readonly nonceObserver: NonceObserver | undefined;
  /** The client's on-chain wallet: fee coins for its exits' CPFP children, and where its claims go. */
  readonly wallet?: Wallet | undefined;
}

export class ClientCore {
  readonly deps: ClientDeps;
  readonly nodeId: string;
  /** The keychain's derivations, memoised. */
  readonly keys: KeyCache;
  meta: StoredMeta;
  readonly registrations = new Map<number, StoredRegistration>();
  readonly factories = new Map<string, ClientFactory>();
  /** Ended factories (aborted, refused, abandoned, closed), with how they ended: their late messages are stale. */
  readonly finished = new Map<string, 'aborted' | 'abandoned' | 'closed'>();
  /** Invoices issued and payments made (rebuilt from the store). */
  readonly payments = new ClientPayments();
  /** Unilateral exits under way (`exit/clientExit.ts`). */
  readonly exits = new ClientExits();
  /** The role's embedded watchtower, when the runtime attached one (`Client.attachTower`). */
  tower: TowerPort | undefined = undefined;
  /** Tower entries re-derived at restore (`towerBackfill.ts`): the first `handle` persists them first. */
  towerBackfill: Op[] | undefined = undefined;
  connected = false;
  /** Counts connections to the LSP: what was sent on the current one arrives (FIFO), earlier ones may not have. */
  connection = 0;
  /** Set by the machine: what a lost connection does. */
  onDisconnect: () => void = () => {};
  now = 0;
  out = new Out();

  constructor(deps: ClientDeps, meta: StoredMeta) {
    this.deps = deps;
    this.meta = meta;
    this.keys = new KeyCache(deps.keychain);
    this.nodeId = toHex(this.keys.nodeIdentity().publicKey);
  }

  get lsp(): string {
    return this.deps.lspNodeId;
  }

  get policy(): ResolvedClientPolicy {
    return this.deps.policy;
  }

  get tipHeight(): number | null {
    return this.meta.tip?.height ?? null;
  }

  persist(ops: readonly Op[]): void {
    this.out.persist(ops);
  }

  event(e: Exclude<ClientEvent, { kind: 'Unknown' }>): void {
    this.out.persist([eventOp(e)]);
  }

  send(message: Message): void {
    this.out.send(this.deps.lspNodeId, message);
  }

  saveMeta(): void {
    this.out.persist([putMeta(this.meta)]);
  }

  saveRegistration(r: StoredRegistration): void {
    this.registrations.set(r.factoryIndex, r);
    this.out.persist([putRegistration(r)]);
  }

  saveFactory(f: ClientFactory): void {
    this.out.persist([
      putFactoryState(f.idHex, {
        phase: f.phase,
        attempt: f.attempt,
        fundedSeen: f.fundedSeen,
        fundingConfirmedAt: f.fundingConfirmedAt,
      }),
    ]);
  }

  /** Closes the connection to the LSP (after an `error`) and treats it as lost at once. */
  disconnectLsp(reason: string): void {
    this.out.disconnect(this.deps.lspNodeId, reason);
    if (this.connected) this.onDisconnect();
  }

  /** Moves an ended factory to the tombstones. */
  finish(f: ClientFactory): void {
    this.factories.delete(f.idHex);
    this.finished.set(
      f.idHex,
      f.phase === 'closed' ? 'closed' : f.phase === 'abandoned' ? 'abandoned' : 'aborted',
    );
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
      module: 'client',
      ...(fields === undefined ? {} : { fields }),
      ...(err === undefined ? {} : { err }),
    });
  }
}
