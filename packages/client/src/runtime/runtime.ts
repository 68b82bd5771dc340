/**
 * `RoleRuntime`: everything around a sans-IO role machine except the transport — the execution
 * contract ({@link ActionExecutor}), peers by node id, the chain (blocks from the follower, fee
 * rates, broadcasts), a one-second tick, the embedder's commands and event queue, fail-stop and a
 * graceful stop. The Node runtimes (`@superscalar/lsp/node`, `@superscalar/client/node`) add TCP and
 * WebSocket transports; a browser runtime can add its own. Browser-safe.
 *
 * **What the machine sees.** Inputs one at a time (`handle` is synchronous), `now` from the runtime's
 * clock: `peer_connected` once a peer's `init` was exchanged (and, for an LSP, its identity proven);
 * `peer_disconnected` when that connection ends for any reason — closed by either side, replaced by a
 * newer connection of the same node id (disconnect, then connect), or after the machine's own
 * `disconnect` action; `message` for each of the peer's messages in order; `block_connected` /
 * `block_disconnected` from the follower (after the wallet saw the block); `broadcast_result` for each
 * `broadcast` action, in the order of the actions; `fee_rates` when an estimate changed; `tick` about
 * every second; and the embedder's commands unchanged.
 *
 * **Fail-stop.** A persist that fails, or a `handle` that throws, stops the machine: nothing queued
 * after it runs, connections are closed, timers and subscriptions end, and `stopped` resolves with
 * the error. Restart from the store.
 *
 * @module
 */

import type { ChainEvent, ChainSource, FollowerRunner, FollowFrom, Subscription } from '@superscalar/chain';
import { type Clock, type Logger, noopLogger, systemClock } from '@superscalar/core';
import type { EventRecord } from '@superscalar/persist';
import { decodeTx, txidOf } from '@superscalar/tx';
import { followWallet, isMissingInputs, resolveRefusal } from '@superscalar/wallet';
import { spendsIn } from '../chainSpends.js';
import type { Action, FeeRates, RuntimeInput } from '../io.js';
import { ActionExecutor } from './executor.js';
import type { FeePurposes, PeerLink, RoleMachine, RoleRuntimeOptions } from './types.js';

/** Default purposes of the fee estimates behind each of the machine's rates. */
export const DEFAULT_FEE_PURPOSES: FeePurposes = {
  funding: 'economical',
  tree: 'presigned',
  commitment: 'presigned',
  close: 'economical',
};

type State = 'created' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Runs one machine. */
export class RoleRuntime<C = never> {
  readonly #o: RoleRuntimeOptions<C>;
  readonly #machine: RoleMachine<C>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #module: string;
  readonly #exec: ActionExecutor;
  readonly #links = new Map<string, PeerLink>();
  #state: State = 'created';
  #failure: Error | undefined;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #subs: Subscription[] = [];
  #runner: FollowerRunner | undefined;
  #broadcasts: Promise<void> = Promise.resolve();
  #rates: FeeRates | undefined;
  #resolveStopped!: (e: Error | undefined) => void;
  /** Resolves when the runtime stopped: `undefined` after `stop()`, the error after a failure. */
  readonly stopped: Promise<Error | undefined>;

  constructor(options: RoleRuntimeOptions<C>) {
    this.#o = options;
    this.#machine = options.machine;
    this.#clock = options.clock ?? systemClock();
    this.#log = options.logger ?? noopLogger;
    this.#module = options.module ?? 'runtime';
    this.stopped = new Promise((r) => {
      this.#resolveStopped = r;
    });
    this.#exec = new ActionExecutor({
      sequencer: options.sequencer,
      linkOf: (peer) => this.#links.get(peer),
      disconnect: (peer, link, reason) => {
        this.#info('disconnecting a peer', { peer, reason });
        this.#detach(peer, link);
        void link.close();
      },
      broadcast: (a) => this.#broadcast(a),
      fail: (cause) => this.#fail(cause),
      dropped: (a) =>
        this.#debug('send dropped: the connection is gone', { peer: a.peer, type: a.message.type }),
    });
  }

  /** The machine's node id. */
  get nodeId(): string {
    return this.#machine.nodeId;
  }

  /** The error that stopped the machine, if it failed. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** True between `start()` and `stop()` (or a failure). */
  get running(): boolean {
    return this.#state === 'running';
  }

  /** Node ids of the peers with a connection the machine knows of. */
  peers(): string[] {
    return [...this.#links.keys()];
  }

  /** Starts the tick, the chain subscriptions and the fee polling. */
  start(): void {
    if (this.#state !== 'created') return;
    this.#state = 'running';
    const chain = this.#o.chain ?? {};
    const follower = chain.follower;
    if (follower !== undefined) {
      if (this.#o.wallet !== undefined)
        this.#subs.push(
          followWallet({
            wallet: this.#o.wallet,
            follower,
            commit: (ops) => this.#exec.enqueue([{ kind: 'persist', ops }]),
          }),
        );
      this.#subs.push(
        follower.subscribe({
          name: `${this.#module}/machine`,
          from: chain.from ?? followFromTip(this.#machine.tip),
          onEvent: (e) => this.input(blockInput(e, this.#machine)),
        }),
      );
      const poll = chain.pollIntervalMs ?? 5_000;
      if (poll > 0)
        this.#runner = follower.run({
          intervalMs: poll,
          onError: (err) => this.#warn('the block follower failed', err),
        });
    }
    if (chain.fees !== undefined) this.#every(chain.feeIntervalMs ?? 60_000, () => this.#pollFees(), true);
    this.#every(this.#o.tickMs ?? 1_000, () => this.#feed({ type: 'tick' }), false);
  }

  /**
   * Hands `input` (or a command) to the machine now and queues its actions. Resolves once they have
   * run (persists durable, messages handed to their connections); rejects with the runtime's
   * `stopped()` error when not running, or its `failed()` error on a failure.
   */
  input(input: RuntimeInput | C): Promise<void> {
    if (this.#state !== 'running')
      return Promise.reject(this.#state === 'failed' ? this.#failure : this.#o.errors.stopped());
    let actions: readonly Action[];
    try {
      actions = this.#machine.handle(input, this.#clock.now());
    } catch (e) {
      this.#fail(e);
      return Promise.reject(this.#failure);
    }
    return this.#exec.enqueue(actions);
  }

  /**
   * A connection to `peer` is ready (its `init` exchanged, its identity proven): it replaces any
   * connection the peer had (the machine sees `peer_disconnected`, then `peer_connected`), then its
   * messages start flowing to the machine. Closed at once when the runtime is not running.
   */
  attach(peer: string, link: PeerLink): void {
    if (this.#state !== 'running') {
      void link.close();
      return;
    }
    const old = this.#links.get(peer);
    if (old !== undefined) {
      this.#info('a new connection replaces the old one', { peer });
      this.#detach(peer, old);
      void old.close();
    }
    this.#links.set(peer, link);
    this.#info('peer connected', { peer });
    this.#feed({ type: 'peer_connected', peer });
    void link.closed.then(() => this.#detach(peer, link));
    link.start((message) => this.#feed({ type: 'message', peer, message }));
  }

  /** The first unacknowledged event (see `EventQueue.nextEvent`). */
  nextEvent(): Promise<EventRecord | undefined> {
    return this.#o.events.nextEvent();
  }

  /** Acknowledges the event `nextEvent` returned (see `EventQueue.eventHandled`). */
  eventHandled(): Promise<void> {
    return this.#o.events.eventHandled();
  }

  /** Waits for the next unacknowledged event (see `EventQueue.waitForEvent`). */
  waitForEvent(signal?: AbortSignal): Promise<EventRecord> {
    return this.#o.events.waitForEvent(signal);
  }

  /**
   * Stops gracefully: no more inputs (commands are refused, peers' messages dropped), timers and
   * subscriptions end, the queued actions run to the end (persists durable, sends handed over),
   * broadcasts in flight settle, then every connection is closed. Resolves to the failure, if the
   * machine had failed.
   */
  async stop(): Promise<Error | undefined> {
    if (this.#state === 'created') this.#state = 'stopped';
    if (this.#state === 'running') {
      this.#state = 'stopping';
      this.#quiet();
      await this.#runner?.stop();
      await this.#exec.idle().catch(() => undefined);
      await this.#broadcasts;
      await Promise.all([...this.#links.values()].map((l) => l.close()));
      this.#links.clear();
      if (this.#state === 'stopping') {
        this.#state = 'stopped';
        this.#resolveStopped(undefined);
      }
    }
    if (this.#state === 'stopped' && this.#failure === undefined) this.#resolveStopped(undefined);
    return this.#failure;
  }

  #detach(peer: string, link: PeerLink): void {
    if (this.#links.get(peer) !== link) return;
    this.#links.delete(peer);
    this.#info('peer disconnected', { peer });
    this.#feed({ type: 'peer_disconnected', peer });
  }

  /** Feeds an input whose outcome nobody awaits (a failure stops the runtime on its own). */
  #feed(input: RuntimeInput): void {
    if (this.#state !== 'running') return;
    this.input(input).catch(() => undefined);
  }

  #broadcast(a: Extract<Action, { kind: 'broadcast' }>): void {
    const b = this.#o.chain?.broadcaster;
    this.#broadcasts = this.#broadcasts.then(async () => {
      let error: { code: string; reason: string } | undefined;
      if (b === undefined) error = { code: 'NO_BROADCASTER', reason: 'the runtime has no broadcaster' };
      else
        try {
          if (a.child === undefined) await b.broadcast(a.raw);
          else await b.broadcastPackage(a.raw, a.child);
        } catch (e) {
          const x = e as { code?: unknown; reason?: unknown; message?: unknown };
          error = {
            code: typeof x?.code === 'string' ? x.code : 'BROADCAST_FAILED',
            reason: typeof x?.reason === 'string' ? x.reason : String(x?.message ?? e),
          };
        }
      if (error === undefined) this.#info('broadcast', { txid: a.txid, label: a.label });
      else
        this.#log.log({
          level: 'warn',
          msg: 'broadcast refused',
          module: this.#module,
          fields: { txid: a.txid, label: a.label, ...error },
        });
      // A package refused for a missing or spent input, or for its parent already confirmed (the child
      // is then never evaluated: Core's submitpackage quits early), leaves its child unsent.
      if (
        error !== undefined &&
        a.child !== undefined &&
        (isMissingInputs(error.reason) || error.reason === 'txn-already-known')
      )
        await this.#resolveChild(a.child);
      this.#feed(
        error === undefined
          ? { type: 'broadcast_result', txid: a.txid }
          : { type: 'broadcast_result', txid: a.txid, error },
      );
    });
  }

  /**
   * A package refused for a missing or spent input (or its parent already confirmed, the child not
   * looked at): its CPFP child, when it is a pending transaction
   * of the wallet, is resolved against the chain (`resolveRefusal`: conflicted by the spend of one of
   * its inputs, or abandoned when the backend holds it nowhere), committed like every wallet update,
   * so its fee coin is spendable again without waiting for a block to reveal the conflict.
   */
  async #resolveChild(child: Uint8Array): Promise<void> {
    const wallet = this.#o.wallet;
    const source = this.#o.chain?.broadcaster as Partial<ChainSource> | undefined;
    if (wallet === undefined || typeof source?.getSpend !== 'function') return;
    if (typeof source.getTransaction !== 'function') return;
    try {
      const txid = txidOf(decodeTx(child));
      if (wallet.tx(txid)?.state !== 'pending') return;
      const r = await resolveRefusal({
        wallet,
        chain: source as ChainSource,
        txid,
        commit: (ops) => this.#exec.enqueue([{ kind: 'persist', ops }]),
      });
      if (r.state !== 'unchanged') this.#info("a refused package's child resolved", { txid, ...r });
    } catch (e) {
      this.#warn("resolving a refused package's child failed", e);
    }
  }

  async #pollFees(): Promise<void> {
    const fees = this.#o.chain?.fees;
    if (fees === undefined) return;
    const purposes = this.#o.chain?.feePurposes ?? DEFAULT_FEE_PURPOSES;
    try {
      const wanted = [...new Set(Object.values(purposes))];
      const got = new Map(await Promise.all(wanted.map(async (p) => [p, await fees.feeRate(p)] as const)));
      const rates: FeeRates = {
        funding: got.get(purposes.funding) as number,
        tree: got.get(purposes.tree) as number,
        commitment: got.get(purposes.commitment) as number,
        close: got.get(purposes.close) as number,
      };
      const r = this.#rates;
      if (r !== undefined && (Object.keys(rates) as (keyof FeeRates)[]).every((k) => r[k] === rates[k]))
        return;
      this.#rates = rates;
      this.#feed({ type: 'fee_rates', rates });
    } catch (e) {
      this.#warn('the fee estimator failed', e);
    }
  }

  /** Runs `f` every `ms` (first at once when `now`) until the runtime stops running. */
  #every(ms: number, f: () => void | Promise<void>, now: boolean): void {
    const arm = () => {
      if (this.#state !== 'running') return;
      const t = setTimeout(async () => {
        this.#timers.delete(t);
        await f();
        arm();
      }, ms);
      this.#timers.add(t);
    };
    if (now) void Promise.resolve(f()).then(arm);
    else arm();
  }

  /** Ends timers and subscriptions. */
  #quiet(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of this.#subs) s.unsubscribe();
    this.#subs = [];
  }

  #fail(cause: unknown): void {
    if (this.#state === 'failed' || this.#state === 'stopped') return;
    const error = this.#o.errors.failed(cause);
    this.#failure = error;
    this.#state = 'failed';
    this.#log.log({
      level: 'error',
      msg: 'the machine stopped (fail-stop)',
      module: this.#module,
      err: cause,
    });
    this.#exec.fail(error);
    this.#quiet();
    void this.#runner?.stop();
    for (const l of this.#links.values()) void l.close();
    this.#links.clear();
    this.#resolveStopped(error);
    try {
      this.#o.onFailure?.(error);
    } catch {
      // the embedder's callback must not hide the failure
    }
  }

  #info(msg: string, fields: Record<string, unknown>): void {
    this.#log.log({ level: 'info', msg, module: this.#module, fields });
  }
  #debug(msg: string, fields: Record<string, unknown>): void {
    this.#log.log({ level: 'debug', msg, module: this.#module, fields });
  }
  #warn(msg: string, err: unknown): void {
    this.#log.log({ level: 'warn', msg, module: this.#module, err });
  }
}

function blockInput(e: ChainEvent, machine: Pick<RoleMachine, 'watchedOutpoints'>): RuntimeInput {
  const tip = e.tip === undefined ? {} : { tip: e.tip.height };
  if (e.type !== 'connected')
    return { type: 'block_disconnected', height: e.block.height, hash: e.block.hash, ...tip };
  const input = {
    type: 'block_connected',
    height: e.block.height,
    hash: e.block.hash,
    txids: e.block.txids,
    ...tip,
  } as const;
  // The spends of the HTLC outputs the machine watches: their witnesses may carry preimages (BOLT 5).
  const spends = machine.watchedOutpoints === undefined ? [] : spendsIn(e.block, machine.watchedOutpoints());
  return spends.length === 0 ? input : { ...input, spends };
}

/**
 * Where a machine restored at `tip` resumes: after that block (its hash checked, so a reorganisation
 * while the node was down is reported), or after its height when the machine does not know the hash
 * (it saw a block disconnected); the chain's tip for a new machine.
 */
function followFromTip(tip: RoleMachine['tip']): FollowFrom {
  if (typeof tip !== 'object' || tip === null || !Number.isSafeInteger(tip.height) || tip.height < 0)
    return 'tip';
  return typeof tip.hash === 'string' && /^[0-9a-f]{64}$/.test(tip.hash)
    ? { height: tip.height, hash: tip.hash }
    : { height: tip.height };
}
