/**
 * The tower's runtime: wires a {@link Watchtower} to the chain's `BlockFollower` (its only source of
 * chain news: no txid is ever polled), a `Broadcaster` and `FeeEstimator`, the store where its entries
 * live ({@link EntrySource}) and the update sequence that makes its own state durable (`commit`).
 * Every input runs one at a time; its actions are carried out in order — `persist` is committed
 * before any broadcast that depends on it, and a broadcast's outcome goes back to the tower. A failed
 * persist leaves the tower's memory ahead of its store: the runner reopens it (`reopen`) before the
 * next input, and the follower delivers the failed block again.
 *
 * Embedded: the role passes its own `commit` (the tower's operations join the role's update
 * sequence) and `storeEntrySource(roleStore)`. Standalone: see {@link startStandaloneTower}.
 *
 * @module
 */
import {
  type BlockFollower,
  type Broadcaster,
  type ChainEvent,
  type FeeEstimator,
  type Subscription,
  TxRejected,
} from '@superscalar/chain';
import type { Logger } from '@superscalar/core';
import { StaleMemoryError } from '../errors.js';
import type { Commit, EntrySource } from '../io.js';
import type { Watchtower } from '../tower.js';
import type { FeeRates, TowerAction, TowerEvent } from '../types.js';

/** Options of {@link TowerRunner}. */
export interface TowerRunnerOptions {
  readonly tower: Watchtower;
  readonly follower: BlockFollower;
  readonly chain: Broadcaster & FeeEstimator;
  /** Where the entries live (`storeEntrySource(store)`). */
  readonly entries: EntrySource;
  /** Makes the tower's operations durable; resolves once they are. */
  readonly commit: Commit;
  /** Receives every tower event, in order (after the persist that recorded it). */
  readonly onEvent?: (event: TowerEvent) => void | Promise<void>;
  readonly logger?: Logger;
  /** The follower subscription's name (default `tower/<towerId>`). */
  readonly name?: string;
  /**
   * Reopens the tower from its store (`openTower` with the same options). After a failed persist the
   * runner calls it before the next input (the follower delivers the failed block again); without
   * it, every later input fails with {@link StaleMemoryError} until the process restarts.
   */
  readonly reopen?: () => Promise<Watchtower>;
  /**
   * Re-read the entry rows of the tower's answering triggers before every input that may broadcast
   * (a block at the tip, a tick), so an owner's durable release (`releasedEntries`, a `released` row
   * in the entries' store) stands the response down before the tower sends or re-bumps it again.
   * Default: true for a tower without an index (a standalone tower over a role's store); an
   * embedded tower learns of releases through `Watchtower.release` and `ingest` instead.
   */
  readonly recheck?: boolean;
}

/** Runs a tower (see the module doc). */
export class TowerRunner {
  #tower: Watchtower;
  #stale: unknown;
  readonly #o: TowerRunnerOptions;
  #queue: Promise<unknown> = Promise.resolve();
  #sub: Subscription | undefined;

  constructor(options: TowerRunnerOptions) {
    this.#o = options;
    this.#tower = options.tower;
  }

  /** The tower (a new instance after a reopen). */
  get tower(): Watchtower {
    return this.#tower;
  }

  /**
   * Subscribes to the follower from the tower's checkpoint and runs a first tick (what was due before
   * a restart goes out now). Poll the follower as usual (`poll()` or `run()`).
   */
  async start(): Promise<Subscription> {
    if (this.#sub !== undefined) return this.#sub;
    this.#sub = this.#o.follower.subscribe({
      name: this.#o.name ?? `tower/${this.tower.towerId}`,
      from: this.tower.followFrom(),
      onEvent: (e) => this.#serial(() => this.#onChain(e)),
    });
    await this.tick();
    return this.#sub;
  }

  /** Stops following the chain (after the event being handled). */
  stop(): void {
    this.#sub?.unsubscribe();
  }

  /**
   * Goes over what is due at the current tip without a new block: after a restart, and after the
   * role added entries or a secret a waiting poison needs.
   */
  tick(): Promise<void> {
    return this.#serial(async () => {
      const waiting = this.tower.waitingFactories();
      const answering = this.#recheck() ? this.tower.answeringTriggers() : [];
      const rows =
        waiting.length > 0 || answering.length > 0
          ? await this.#o.entries.rows(answering, waiting)
          : undefined;
      const feeRates = await this.#rates();
      await this.#execute(this.tower.handle({ type: 'tick', feeRates, ...(rows ? { rows } : {}) }));
    });
  }

  #serial<T>(f: () => Promise<T>): Promise<T> {
    const guarded = async () => {
      if (this.#stale !== undefined) {
        if (this.#o.reopen === undefined) throw new StaleMemoryError({ cause: this.#stale });
        this.#tower = await this.#o.reopen();
        this.#stale = undefined;
      }
      return f();
    };
    const run = this.#queue.then(guarded, guarded);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #recheck(): boolean {
    return this.#o.recheck ?? this.tower.indexedEntries === undefined;
  }

  async #rates(): Promise<FeeRates> {
    const [cpfp, urgent] = await Promise.all([
      this.#o.chain.feeRate('cpfp'),
      this.#o.chain.feeRate('urgent'),
    ]);
    return { cpfp, urgent };
  }

  async #onChain(e: ChainEvent): Promise<void> {
    if (e.type === 'disconnected') {
      await this.#execute(this.tower.handle({ type: 'disconnected', block: e.block }));
      return;
    }
    const asked = this.tower.triggersIn(e.block);
    // At the tip (where the tower may broadcast), the rows of its answering triggers too: an owner's
    // release stands a response down before it is sent again.
    const atTip = e.tip === undefined || e.block.height >= e.tip.height;
    if (atTip && this.#recheck()) {
      const seen = new Set(asked);
      for (const t of this.tower.answeringTriggers()) if (!seen.has(t)) asked.push(t);
    }
    const rows = await this.#o.entries.rows(asked, this.tower.waitingFactories());
    const feeRates = await this.#rates();
    await this.#execute(
      this.tower.handle({
        type: 'connected',
        block: e.block,
        rows,
        feeRates,
        ...(e.tip === undefined ? {} : { tipHeight: e.tip.height }),
      }),
    );
  }

  async #execute(actions: readonly TowerAction[]): Promise<void> {
    for (const a of actions) {
      if (a.kind === 'persist') {
        try {
          await this.#o.commit(a.ops);
        } catch (e) {
          this.#stale = e;
          throw e;
        }
      } else if (a.kind === 'emit') await this.#o.onEvent?.(a.event);
      else {
        let accepted = true;
        let reason: string | undefined;
        try {
          if (a.child === undefined) await this.#o.chain.broadcast(a.parent);
          else await this.#o.chain.broadcastPackage(a.parent, a.child);
        } catch (e) {
          accepted = false;
          reason = TxRejected.isInstance(e) ? e.reason : String((e as Error)?.message ?? e);
          this.#o.logger?.log({
            level: 'warn',
            msg: 'tower broadcast refused',
            module: 'watchtower',
            fields: { id: a.id, reason },
          });
        }
        await this.#execute(
          this.tower.handle({
            type: 'broadcast_result',
            id: a.id,
            accepted,
            ...(reason === undefined ? {} : { reason }),
          }),
        );
      }
    }
  }
}
