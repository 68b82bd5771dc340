/**
 * `LspNode`: an LSP machine run in Node. It listens for clients over TCP (and WebSocket if asked),
 * runs the Noise NK responder with brief §10's limits, exchanges `init` on each connection and
 * verifies the client's identity proof (`MessageLink`), then keys the peer by its proven node id: a
 * new connection of the same node id replaces the old one (the machine sees `peer_disconnected`, then
 * `peer_connected`). Everything else is `@superscalar/client/runtime`'s `RoleRuntime`: the execution
 * contract, the chain, ticks, commands, events, fail-stop and a graceful stop.
 *
 * @module
 */

import {
  type ChainPorts,
  type EmbeddedTower,
  type NodeTowerOptions,
  nodeIdOf,
  openNodeTower,
  type RoleMachine,
  RoleRuntime,
} from '@superscalar/client/runtime';
import type { Clock, Logger, Network } from '@superscalar/core';
import { noopLogger } from '@superscalar/core';
import { EventQueue, Sequencer, type Store } from '@superscalar/persist';
import type { Wallet } from '@superscalar/wallet';
import { type LinkOptions, MessageLink } from '@superscalar/wire';
import { InvalidArgumentError, MachineFailedError, StoppedError } from '../errors.js';
import type { Action, RuntimeInput } from '../io.js';
import { type ListenAddress, type ListenerLimits, type Servers, startServers } from './server.js';

/**
 * What `LspNode` runs: the LSP machine, or any machine of the same shape. `handle` gets
 * {@link RuntimeInput}s and the embedder's commands `C` unchanged, with `now` from the node's clock.
 */
export interface LspMachine<C = never> {
  /** Hex of the LSP's node key: the public key of `nodeSecret` (clients authenticate it by Noise). */
  readonly nodeId: string;
  /** Its last block as restored from the store: the node follows the chain from there (see `RoleMachine`). */
  readonly tip?: { readonly height: number; readonly hash: string } | null;
  handle(input: RuntimeInput | C, now: number): readonly Action[];
}

/** The link settings applied to every client connection (`init` due within `initTimeoutMs`, …). */
export type LspLinkOptions = Omit<
  LinkOptions,
  'role' | 'network' | 'nodeSecret' | 'requireIdentity' | 'timers'
>;

/** Options of {@link LspNode.start}. */
export interface LspNodeOptions<C> {
  readonly machine: LspMachine<C>;
  /** The LSP's 32-byte node secret: its Noise static key. */
  readonly nodeSecret: Uint8Array;
  readonly network: Network;
  /** The LSP's store; the node owns its update sequence and closes it last in `stop()`. */
  readonly store: Store;
  readonly chain?: ChainPorts;
  /** The LSP's wallet, kept in step with the chain in the same update sequence. */
  readonly wallet?: Wallet;
  /** TCP listener (default 127.0.0.1, an ephemeral port). */
  readonly listen?: ListenAddress;
  /** A WebSocket listener as well (default none). */
  readonly webSocket?: ListenAddress & { readonly path?: string };
  /** brief §10's admission limits (noise-nk's defaults: 10 connections per IP a minute, …). */
  readonly limits?: ListenerLimits;
  /** Per-connection link settings: size bounds, `initTimeoutMs` (default 10 s), pings, … */
  readonly link?: LspLinkOptions;
  readonly tickMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Called once if the machine stops on a failure. */
  readonly onFailure?: (error: MachineFailedError) => void;
  /**
   * The embedded watchtower (brief §11), on by default when `chain` has a follower, a broadcaster
   * and a fee estimator: it guards every client's revoked commitments from the LSP's own store.
   * `false` when a standalone tower (`startStandaloneTower` of `@superscalar/watchtower/node`) reads
   * this store instead (its PostgreSQL when the tower runs on another machine).
   */
  readonly tower?: NodeTowerOptions | false;
}

/** A running LSP. Create with {@link LspNode.start}. */
export class LspNode<C = never> {
  readonly #o: LspNodeOptions<C>;
  readonly #runtime: RoleRuntime<C>;
  readonly #log: Logger;
  #servers: Servers | undefined;
  #stopping: Promise<Error | undefined> | undefined;
  #tower: EmbeddedTower | undefined;

  private constructor(o: LspNodeOptions<C>, runtime: RoleRuntime<C>) {
    this.#o = o;
    this.#runtime = runtime;
    this.#log = o.logger ?? noopLogger;
  }

  /**
   * Opens the store's sequence and event queue, starts the runtime, then the listeners.
   *
   * @throws {InvalidArgumentError} bad options. {@link ListenError} a listener could not bind.
   */
  static async start<C = never>(options: LspNodeOptions<C>): Promise<LspNode<C>> {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'expected an object');
    let nodeId: string;
    try {
      nodeId = nodeIdOf(options.nodeSecret);
    } catch (cause) {
      throw new InvalidArgumentError('options.nodeSecret', 'expected a 32-byte secp256k1 secret key', {
        cause,
      });
    }
    if (options.machine?.nodeId !== nodeId)
      throw new InvalidArgumentError('options.machine.nodeId', `expected ${nodeId}, the node secret's id`);
    const sequencer = await Sequencer.open(options.store);
    const events = await EventQueue.open(sequencer);
    const tower = await openNodeTower({
      tower: options.tower,
      sequencer,
      chain: options.chain,
      machine: options.machine as RoleMachine<unknown>,
      nodeSecret: options.nodeSecret,
      network: options.network,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    let node: LspNode<C> | undefined;
    const runtime = new RoleRuntime<C>({
      machine: options.machine as RoleMachine<C>,
      sequencer,
      events,
      ...(options.chain === undefined ? {} : { chain: options.chain }),
      ...(options.wallet === undefined ? {} : { wallet: options.wallet }),
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      module: 'lsp/node',
      errors: { stopped: () => new StoppedError(), failed: (cause) => new MachineFailedError(cause) },
      onFailure: (e) => {
        if (node !== undefined) node.#failed(e as MachineFailedError);
      },
    });
    node = new LspNode(options, runtime);
    node.#tower = tower;
    runtime.start();
    await tower?.start();
    try {
      node.#servers = await startServers({
        localStatic: options.nodeSecret,
        tcp: options.listen ?? {},
        ...(options.webSocket === undefined ? {} : { webSocket: options.webSocket }),
        ...(options.limits === undefined ? {} : { limits: options.limits }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        onSession: (session) => (node as LspNode<C>).#accepted(session),
        onError: (error, peer) =>
          (options.logger ?? noopLogger).log({
            level: 'debug',
            msg: 'a connection was refused or failed',
            module: 'lsp/node',
            fields: { address: peer.address, code: error.code },
          }),
      });
    } catch (e) {
      await runtime.stop();
      tower?.stop();
      throw e;
    }
    return node;
  }

  /** The LSP's node id. */
  get nodeId(): string {
    return this.#runtime.nodeId;
  }

  /** The embedded watchtower, unless disabled (`tower: false`) or the chain ports cannot run one. */
  get tower(): EmbeddedTower | undefined {
    return this.#tower;
  }

  /** The TCP listener's address. */
  get address(): { readonly host: string; readonly port: number } {
    return this.#servers?.tcp ?? { host: '', port: 0 };
  }

  /** The WebSocket listener's address and URL, when there is one. */
  get webSocket(): { readonly host: string; readonly port: number; readonly url: string } | undefined {
    return this.#servers?.webSocket;
  }

  /** `<node id>@<host>:<port>`: what a client dials. */
  get connectString(): string {
    const { host, port } = this.address;
    return `${this.nodeId}@${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Node ids of the clients connected now (after `init`). */
  peers(): string[] {
    return this.#runtime.peers();
  }

  /** The error that stopped the machine, if it failed. */
  get failure(): Error | undefined {
    return this.#runtime.failure;
  }

  /** Resolves when the runtime stopped: `undefined` after `stop()`, the error after a failure. */
  get stopped(): Promise<Error | undefined> {
    return this.#runtime.stopped;
  }

  /**
   * Hands a command to the machine; resolves once its actions have run (see `RoleRuntime.input`).
   *
   * @throws {StoppedError} the node is stopping or stopped. {@link MachineFailedError} on a failure.
   */
  command(command: C): Promise<void> {
    return this.#runtime.input(command);
  }

  /** See `EventQueue.nextEvent`. */
  nextEvent() {
    return this.#runtime.nextEvent();
  }

  /** See `EventQueue.eventHandled`. */
  eventHandled(): Promise<void> {
    return this.#runtime.eventHandled();
  }

  /** See `EventQueue.waitForEvent`. */
  waitForEvent(signal?: AbortSignal) {
    return this.#runtime.waitForEvent(signal);
  }

  /**
   * Stops gracefully: stop accepting connections, run the queued actions to the end, close every
   * connection, then close the store. Resolves to the machine's failure, if it had failed.
   */
  stop(): Promise<Error | undefined> {
    this.#stopping ??= (async () => {
      this.#servers?.stopAccepting();
      const failure = await this.#runtime.stop();
      this.#tower?.stop();
      await this.#tower?.idle();
      await this.#servers?.closeSessions();
      await this.#servers?.closed();
      await this.#o.store.close().catch(() => undefined);
      return failure;
    })();
    return this.#stopping;
  }

  #accepted(session: Parameters<typeof MessageLink.open>[0]): void {
    MessageLink.open(session, {
      ...this.#o.link,
      role: 'responder',
      network: this.#o.network,
      requireIdentity: true,
    }).then(
      (link) => {
        const peer = link.remoteNodeId;
        if (peer === undefined) void link.close();
        else this.#runtime.attach(peer, link);
      },
      (error: unknown) =>
        this.#log.log({
          level: 'info',
          msg: 'a connection was refused at init',
          module: 'lsp/node',
          err: error,
        }),
    );
  }

  #failed(e: MachineFailedError): void {
    this.#servers?.stopAccepting();
    void this.#servers?.closeSessions();
    try {
      this.#o.onFailure?.(e);
    } catch {
      // the embedder's callback must not hide the failure
    }
  }
}
