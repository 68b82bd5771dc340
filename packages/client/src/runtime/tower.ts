/**
 * `EmbeddedTower`: a role's watchtower run beside its machine, over the role's own store and update
 * sequence (DESIGN §4: one sequencer per store), fed by the role's one `BlockFollower` (flaw 11: it
 * learns from blocks, never polls a txid). Browser-safe: `@superscalar/watchtower`'s core and runner
 * need no Node built-in, so the browser client runs the same loop.
 *
 * - **Entries** are written by the machine into its own persist actions (`penaltyEntries`,
 *   `staleStateEntry`, …: see `tower.ts` of each role); the runtime hands every durable update to
 *   {@link EmbeddedTower.committed}, which indexes its `watchEntries` rows (the tower keeps an index
 *   of trigger txids in memory, never the responses).
 * - **Pruning**: an update journaling the end of a factory (`FactoryClosed`, `FactoryAbandoned`,
 *   `CeremonyAborted`) makes the tower delete that factory's entries (`closeFactoryOps`) in an update
 *   of its own; {@link EmbeddedTower.start} sweeps the entries of factories the machine no longer
 *   has (a crash between the two updates).
 * - **Fee wallet**: a `@superscalar/wallet` `Wallet` of its own on a BIP86 account of its own (never
 *   the role's wallet: the tower applies every block to its wallet itself, and its children must not
 *   compete with the role's reservations). Fund it at {@link EmbeddedTower.feeAddress}; without a
 *   confirmed coin a response goes out alone, paying its own pre-signed fee (`fee_coins_exhausted`).
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { BlockFollower, Broadcaster, ChainSource, FeeEstimator } from '@superscalar/chain';
import { concatBytes, fromHex, type Logger, type Network, noopLogger, toHex } from '@superscalar/core';
import { Bip86Account } from '@superscalar/keys';
import type { Op, Sequencer, Store } from '@superscalar/persist';
import {
  type Commit,
  closeFactoryOps,
  type FeePolicy,
  openTower,
  storeEntrySource,
  type TowerEvent,
  type Watchtower,
} from '@superscalar/watchtower';
import { TowerRunner } from '@superscalar/watchtower/node';
import type { ChainPorts, RoleMachine } from './types.js';

/** Journal events that end a factory: its entries are pruned. */
export const FACTORY_END_EVENTS: ReadonlySet<string> = new Set([
  'FactoryClosed',
  'FactoryAbandoned',
  'CeremonyAborted',
]);

const dec = new TextDecoder();

/** Options of {@link EmbeddedTower.open}. */
export interface EmbeddedTowerOptions {
  /** The role's store: the tower's records and its fee wallet's live in it, and it reads entries from it. */
  readonly store: Pick<Store, 'list' | 'get'>;
  /** The role's update sequence (resolves once durable). */
  readonly commit: Commit;
  /** The fee wallet's own BIP86 account. */
  readonly account: Bip86Account;
  /** First block a new tower follows (ignored when the store holds one). */
  readonly birthHeight: number;
  /** The role's block follower (the tower subscribes to it). */
  readonly follower: BlockFollower;
  readonly chain: Broadcaster & FeeEstimator;
  /** Names the tower's records (default `main`). */
  readonly towerId?: string;
  readonly policy?: Partial<FeePolicy>;
  /**
   * Journal the tower's events in the role's event queue (default true): each event's record
   * (`Tower*`, decoded by the role's `decodeClientEvent`/`decodeLspEvent`) is committed in the
   * tower's own update that recorded it, so an embedder reading the queue sees it exactly once.
   */
  readonly journal?: boolean;
  /** Every tower event, in order, after the persist that recorded it. */
  readonly onEvent?: (event: TowerEvent) => void | Promise<void>;
  /**
   * Whether the machine still has the factory (hex id). {@link EmbeddedTower.start} prunes the
   * entries of the others. Default: every factory is live (no sweep).
   */
  readonly isLive?: (factoryIdHex: string) => boolean;
  readonly logger?: Logger;
}

/** A role's embedded watchtower (see the module doc). */
export class EmbeddedTower {
  readonly #o: EmbeddedTowerOptions;
  readonly #runner: TowerRunner;
  readonly #log: Logger;
  #queue: Promise<void> = Promise.resolve();
  #started = false;
  #stopped = false;

  private constructor(o: EmbeddedTowerOptions, runner: TowerRunner) {
    this.#o = o;
    this.#runner = runner;
    this.#log = o.logger ?? noopLogger;
  }

  /**
   * Loads the tower and its fee wallet from the store, or creates both (committing their records
   * through `commit`). Open it before the machine's first update is submitted, so its index holds
   * every entry (later ones arrive through {@link committed}).
   */
  static async open(o: EmbeddedTowerOptions): Promise<EmbeddedTower> {
    const towerId = o.towerId ?? 'main';
    const open = () =>
      openTower({
        store: o.store,
        commit: o.commit,
        account: o.account,
        birthHeight: o.birthHeight,
        towerId,
        journal: o.journal ?? true,
        ...(o.policy === undefined ? {} : { policy: o.policy }),
      });
    const tower = await open();
    const runner = new TowerRunner({
      tower,
      follower: o.follower,
      chain: o.chain,
      entries: storeEntrySource(o.store),
      commit: o.commit,
      reopen: open,
      ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
      ...(o.logger === undefined ? {} : { logger: o.logger }),
    });
    return new EmbeddedTower(o, runner);
  }

  /** The tower (a new instance after the runner reopened it). */
  get tower(): Watchtower {
    return this.#runner.tower;
  }

  get runner(): TowerRunner {
    return this.#runner;
  }

  /**
   * Subscribes the tower to the follower (from its checkpoint), goes over what is due, and prunes the
   * entries of factories the machine no longer has.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#runner.start();
    const isLive = this.#o.isLive;
    if (isLive !== undefined) {
      const ended = new Map<string, Uint8Array>();
      for (const e of await this.#o.store.list('watchEntries')) {
        if (e.factoryId === null) continue;
        const hex = toHex(e.factoryId);
        if (!ended.has(hex) && !isLive(hex)) ended.set(hex, e.factoryId);
      }
      for (const hex of ended.keys()) this.prune(hex);
      await this.idle();
    }
  }

  /** Stops following the chain; pruning queued so far still runs (await {@link idle}). */
  stop(): void {
    this.#stopped = true;
    this.#runner.stop();
  }

  /**
   * A durable update of the role's store: its `watchEntries` rows go into the tower's index, and a
   * factory's end in its journal events prunes that factory's entries (queued; see {@link idle}).
   * Call it for every update, in commit order (the sequencer's `onCommit`).
   */
  committed(ops: readonly Op[]): void {
    this.tower.ingest(ops);
    for (const op of ops) {
      if (op.op !== 'event' || !FACTORY_END_EVENTS.has(op.kind)) continue;
      const id = factoryIdOf(op.payload);
      if (id !== undefined) this.prune(id);
    }
  }

  /** Deletes a factory's entries (hex id) in an update of their own, after those queued before. */
  prune(factoryIdHex: string): Promise<void> {
    const run = this.#queue.then(async () => {
      const ops = await closeFactoryOps(this.#o.store, fromHex(factoryIdHex));
      await this.#o.commit(ops);
      this.tower.ingest(ops);
      this.#log.log({
        level: 'info',
        msg: 'tower entries pruned',
        module: 'tower',
        fields: { factoryId: factoryIdHex, rows: ops.length - 1 },
      });
    });
    this.#queue = run.catch((err: unknown) =>
      this.#log.log({ level: 'warn', msg: 'tower pruning failed', module: 'tower', err }),
    );
    return run;
  }

  /** Resolves once the pruning queued so far has run. */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** Goes over what is due without a new block (after new entries or a revealed secret). */
  tick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return this.#runner.tick();
  }

  /** A new receive address of the tower's fee wallet (its record committed first). */
  async feeAddress(): Promise<{ readonly script: Uint8Array; readonly address: string }> {
    const a = this.tower.wallet.newAddress();
    await this.#o.commit(a.ops);
    return { script: a.script, address: a.address };
  }

  /** The fee wallet's balance (confirmed coins pay CPFP children). */
  feeBalance(): ReturnType<Watchtower['wallet']['balance']> {
    return this.tower.wallet.balance();
  }
}

/** The `factoryId` (64 hex characters) of an event's JSON payload, if it names one. */
function factoryIdOf(payload: Uint8Array): string | undefined {
  try {
    const v = JSON.parse(dec.decode(payload)) as { factoryId?: unknown };
    return typeof v?.factoryId === 'string' &&
      /^[0-9a-f]{2,128}$/.test(v.factoryId) &&
      v.factoryId.length % 2 === 0
      ? v.factoryId
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Attaches `tower` to the role's machine (`Client.attachTower`, `Lsp.attachTower`), when it has the
 * hook: its exits then take their states over from the tower (`Watchtower.release`, always the
 * tower's current instance, after a reopen too).
 */
export function attachTowerTo(machine: unknown, tower: EmbeddedTower): void {
  const m = machine as { attachTower?: (port: Pick<Watchtower, 'release'> | undefined) => void };
  if (typeof m?.attachTower === 'function') m.attachTower({ release: (refs) => tower.tower.release(refs) });
}

/** The embedded tower of a Node role (`ClientNode`, `LspNode`): what the embedder may set. */
export interface NodeTowerOptions {
  /**
   * The fee wallet's BIP86 account. Default: account 0 of a seed derived from the node secret
   * (`sha256("superscalar/embedded-tower-fee-wallet/v1" ‖ nodeSecret)`), so it comes back from the
   * same secret after a restart; pass your own (e.g. account 1 of the role's seed) to hold its
   * coins elsewhere.
   */
  readonly account?: Bip86Account;
  /**
   * First block a new tower follows. Default: the block after the machine's restored tip, else after
   * the chain's tip when the broadcaster is also a chain source (`SimChain`, `BitcoindRpc`), else 0.
   */
  readonly birthHeight?: number;
  readonly towerId?: string;
  readonly policy?: Partial<FeePolicy>;
  readonly onEvent?: (event: TowerEvent) => void | Promise<void>;
}

const FEE_SEED_TAG = new TextEncoder().encode('superscalar/embedded-tower-fee-wallet/v1');

/** The default fee account of a node's embedded tower (see {@link NodeTowerOptions.account}). */
export function defaultTowerAccount(nodeSecret: Uint8Array, network: Network): Bip86Account {
  const seed = sha256(concatBytes(FEE_SEED_TAG, nodeSecret));
  return Bip86Account.fromSeed(seed, { network });
}

/**
 * Opens a Node role's embedded tower over its store and sequencer (the tower sees every durable
 * update through `sequencer.onCommit`), or returns undefined when it is disabled (`tower: false`) or
 * the chain ports lack a follower, a broadcaster or a fee estimator. Call before the runtime starts;
 * `start()` it after.
 */
export async function openNodeTower(o: {
  readonly tower: NodeTowerOptions | false | undefined;
  readonly sequencer: Sequencer;
  readonly chain: ChainPorts | undefined;
  readonly machine: RoleMachine<unknown>;
  readonly nodeSecret: Uint8Array;
  readonly network: Network;
  readonly logger?: Logger;
}): Promise<EmbeddedTower | undefined> {
  if (o.tower === false) return undefined;
  const t = o.tower ?? {};
  const follower = o.chain?.follower;
  const broadcaster = o.chain?.broadcaster;
  const fees = o.chain?.fees;
  if (follower === undefined || broadcaster === undefined || fees === undefined) {
    (o.logger ?? noopLogger).log({
      level: 'info',
      msg: 'no embedded tower: the chain ports lack a follower, a broadcaster or a fee estimator',
      module: 'tower',
    });
    return undefined;
  }
  let birthHeight = t.birthHeight;
  if (birthHeight === undefined) {
    const tip = o.machine.tip;
    const source = broadcaster as Partial<ChainSource>;
    if (tip !== null && tip !== undefined) birthHeight = tip.height + 1;
    else if (typeof source.tip === 'function') birthHeight = (await source.tip()).height + 1;
    else birthHeight = 0;
  }
  const machine = o.machine as { factory?: (id: string) => unknown };
  const store = o.sequencer.store;
  const tower = await EmbeddedTower.open({
    store,
    commit: async (ops) => {
      await o.sequencer.commit(ops);
    },
    account: t.account ?? defaultTowerAccount(o.nodeSecret, o.network),
    birthHeight,
    follower,
    chain: {
      broadcast: (raw) => broadcaster.broadcast(raw),
      broadcastPackage: (p, c) => broadcaster.broadcastPackage(p, c),
      feeRate: (p) => fees.feeRate(p),
    },
    ...(t.towerId === undefined ? {} : { towerId: t.towerId }),
    ...(t.policy === undefined ? {} : { policy: t.policy }),
    ...(t.onEvent === undefined ? {} : { onEvent: t.onEvent }),
    ...(o.logger === undefined ? {} : { logger: o.logger }),
    ...(typeof machine.factory === 'function'
      ? { isLive: (id: string) => (machine.factory as (id: string) => unknown)(id) !== undefined }
      : {}),
  });
  o.sequencer.onCommit((_ack, ops) => tower.committed(ops));
  attachTowerTo(o.machine, tower);
  return tower;
}
