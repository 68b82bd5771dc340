/**
 * `ClientNode`: a client machine run in Node, connected to its LSP. It dials the LSP's address
 * (`<node id>@host:port` over TCP, or a WebSocket URL), runs Noise NK against the LSP's node id, sends
 * `init` with the client's identity proof (`MessageLink`), hands the machine `peer_connected` /
 * `peer_disconnected` for the LSP, and redials after any loss with exponential backoff and jitter
 * (capped). Everything else is the shared `RoleRuntime`: the execution contract, the chain, ticks,
 * commands, events, fail-stop and a graceful stop.
 *
 * @module
 */
import { type Clock, cryptoRng, type Logger, type Network, noopLogger, type Rng } from '@superscalar/core';
import { EventQueue, Sequencer, type Store } from '@superscalar/persist';
import type { Wallet } from '@superscalar/wallet';
import { type LinkOptions, MessageLink } from '@superscalar/wire';
import { type LspAddress, parseLspAddress } from '../address.js';
import { InvalidArgumentError, MachineFailedError, StoppedError } from '../errors.js';
import { type BackoffOptions, backoffDelay, validateBackoff } from '../runtime/backoff.js';
import { nodeIdOf } from '../runtime/nodeId.js';
import { RoleRuntime } from '../runtime/runtime.js';
import { type EmbeddedTower, type NodeTowerOptions, openNodeTower } from '../runtime/tower.js';
import type { ChainPorts, RoleMachine } from '../runtime/types.js';
import { dial } from './dial.js';

const STOP = Symbol('stop');

/** The link settings a node passes to each connection's `MessageLink`. */
export type NodeLinkOptions = Omit<
  LinkOptions,
  'role' | 'network' | 'nodeSecret' | 'requireIdentity' | 'timers'
>;

/** Options of {@link ClientNode.start}. */
export interface ClientNodeOptions<C> {
  /** The client machine (its `nodeId` must be `nodeSecret`'s). */
  readonly machine: RoleMachine<C>;
  /** The client's 32-byte node secret: it signs the identity proof of every connection. */
  readonly nodeSecret: Uint8Array;
  readonly network: Network;
  /** The client's store; the node owns its update sequence and closes it last in `stop()`. */
  readonly store: Store;
  /** The LSP: `<node id>@host:port`, `<node id>@ws[s]://…`, or the parsed form. */
  readonly lsp: string | LspAddress;
  readonly chain?: ChainPorts;
  readonly wallet?: Wallet;
  readonly link?: NodeLinkOptions;
  /** Connection and Noise handshake due within this many ms (default 10,000). */
  readonly handshakeTimeoutMs?: number;
  /** Redial delays (default 500 ms doubling to 60 s, up to half taken off at random). */
  readonly backoff?: BackoffOptions;
  /** Randomness for the jitter (default a CSPRNG; inject in tests). */
  readonly rng?: Rng;
  readonly tickMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Called once if the machine stops on a failure. */
  readonly onFailure?: (error: MachineFailedError) => void;
  /**
   * The embedded watchtower (brief §11), on by default when `chain` has a follower, a broadcaster
   * and a fee estimator: it guards the LSP's revoked commitments and the client's path from the
   * client's own store. `false` when a standalone tower (`startStandaloneTower` of
   * `@superscalar/watchtower/node`) reads this store instead.
   */
  readonly tower?: NodeTowerOptions | false;
}

/** A running client. Create with {@link ClientNode.start}. */
export class ClientNode<C = never> {
  readonly #o: ClientNodeOptions<C>;
  readonly #runtime: RoleRuntime<C>;
  readonly #lsp: LspAddress;
  readonly #log: Logger;
  #stopping = false;
  #stopNow: () => void = () => undefined;
  readonly #stopSignal: Promise<typeof STOP>;
  #link: MessageLink | undefined;
  #loop: Promise<void> = Promise.resolve();
  #connections = 0;
  #connectedWaiters: (() => void)[] = [];
  #tower: EmbeddedTower | undefined;

  private constructor(o: ClientNodeOptions<C>, lsp: LspAddress, runtime: RoleRuntime<C>) {
    this.#o = o;
    this.#lsp = lsp;
    this.#runtime = runtime;
    this.#log = o.logger ?? noopLogger;
    this.#stopSignal = new Promise((r) => {
      this.#stopNow = () => r(STOP);
    });
  }

  /**
   * Opens the store's sequence and event queue, starts the runtime, and starts dialling the LSP (it
   * resolves without waiting for the connection: see {@link whenConnected}).
   *
   * @throws {InvalidArgumentError} bad options (a node id that is not the secret's, a bad address…).
   */
  static async start<C = never>(options: ClientNodeOptions<C>): Promise<ClientNode<C>> {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'expected an object');
    const nodeId = nodeIdOf(options.nodeSecret, 'options.nodeSecret');
    if (options.machine?.nodeId !== nodeId)
      throw new InvalidArgumentError('options.machine.nodeId', `expected ${nodeId}, the node secret's id`);
    const lsp = typeof options.lsp === 'string' ? parseLspAddress(options.lsp) : options.lsp;
    if (typeof lsp !== 'object' || lsp === null)
      throw new InvalidArgumentError('options.lsp', 'expected an address');
    validateBackoff(options.backoff);
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
    let node: ClientNode<C> | undefined;
    const runtime = new RoleRuntime<C>({
      machine: options.machine,
      sequencer,
      events,
      ...(options.chain === undefined ? {} : { chain: options.chain }),
      ...(options.wallet === undefined ? {} : { wallet: options.wallet }),
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      module: 'client/node',
      errors: { stopped: () => new StoppedError(), failed: (cause) => new MachineFailedError(cause) },
      onFailure: (e) => {
        if (node !== undefined) node.#failed(e as MachineFailedError);
      },
    });
    node = new ClientNode(options, lsp, runtime);
    node.#tower = tower;
    runtime.start();
    await tower?.start();
    node.#loop = node.#dialLoop();
    return node;
  }

  /** The client's node id. */
  get nodeId(): string {
    return this.#runtime.nodeId;
  }

  /** The embedded watchtower, unless disabled (`tower: false`) or the chain ports cannot run one. */
  get tower(): EmbeddedTower | undefined {
    return this.#tower;
  }

  /** The LSP's node id (the machine's only peer). */
  get lspNodeId(): string {
    return this.#lsp.nodeId;
  }

  /** True while a connection to the LSP is up (after `init`). */
  get connected(): boolean {
    return this.#link?.isOpen === true;
  }

  /** Connections established so far. */
  get connections(): number {
    return this.#connections;
  }

  /** The error that stopped the machine, if it failed. */
  get failure(): Error | undefined {
    return this.#runtime.failure;
  }

  /** Resolves when the runtime stopped: `undefined` after `stop()`, the error after a failure. */
  get stopped(): Promise<Error | undefined> {
    return this.#runtime.stopped;
  }

  /** Resolves when a connection to the LSP is up (at once if it is). */
  whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((r) => this.#connectedWaiters.push(r));
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
   * Stops gracefully: no more dialling, the queued actions run to the end, the connection closes, then
   * the store. Resolves to the machine's failure, if it had failed.
   */
  async stop(): Promise<Error | undefined> {
    this.#stopping = true;
    this.#stopNow();
    const failure = await this.#runtime.stop();
    this.#tower?.stop();
    await this.#tower?.idle();
    await this.#link?.close();
    await this.#loop;
    await this.#o.store.close().catch(() => undefined);
    return failure;
  }

  #failed(e: MachineFailedError): void {
    this.#stopping = true;
    this.#stopNow();
    try {
      this.#o.onFailure?.(e);
    } catch {
      // the embedder's callback must not hide the failure
    }
  }

  async #dialLoop(): Promise<void> {
    const rng = this.#o.rng ?? cryptoRng;
    let attempt = 0;
    while (!this.#stopping) {
      try {
        const session = await this.#unlessStopped(
          dial(this.#lsp, {
            ...(this.#o.handshakeTimeoutMs === undefined
              ? {}
              : { handshakeTimeoutMs: this.#o.handshakeTimeoutMs }),
          }),
          (s) => s.destroy(),
        );
        if (session === STOP) break;
        const link = await this.#unlessStopped(
          MessageLink.open(session, {
            ...this.#o.link,
            role: 'initiator',
            network: this.#o.network,
            nodeSecret: this.#o.nodeSecret,
          }),
          (l) => void l.close(),
        );
        if (link === STOP) {
          session.destroy();
          break;
        }
        attempt = 0;
        this.#link = link;
        this.#connections++;
        this.#runtime.attach(this.#lsp.nodeId, link);
        for (const w of this.#connectedWaiters.splice(0)) w();
        const reason = await link.closed;
        this.#log.log({
          level: 'info',
          msg: 'connection to the LSP closed',
          module: 'client/node',
          err: reason,
        });
      } catch (e) {
        this.#log.log({ level: 'warn', msg: 'could not connect to the LSP', module: 'client/node', err: e });
      }
      if (this.#stopping) break;
      const delay = backoffDelay(attempt++, this.#o.backoff ?? {}, rng);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await this.#unlessStopped(
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, delay);
        }),
        () => undefined,
      );
      clearTimeout(timer);
    }
  }

  /** `p`, or {@link STOP} as soon as the node stops (then `dispose` gets `p`'s value when it comes). */
  async #unlessStopped<T>(p: Promise<T>, dispose: (v: T) => void): Promise<T | typeof STOP> {
    const r = await Promise.race([p, this.#stopSignal]);
    if (r === STOP) p.then(dispose, () => undefined);
    return r;
  }
}
