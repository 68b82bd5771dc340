/**
 * A standalone tower: a process of its own with a writable store of its own (its fee wallet, active
 * triggers and checkpoint) that reads a role's entries from the role's store — PostgreSQL when the
 * tower runs on another machine (SQLite cannot be shared across machines). The role writes its
 * entries with the pure builders (`staleStateEntry`, `supersededStateEntries`, `penaltyEntries`,
 * `lstockSecretEntry`) into its own updates, exactly as with an embedded tower; this tower looks each
 * block transaction up in that store (`index: false`), so it never misses an entry written after it
 * started and holds nothing of them in memory.
 *
 * @module
 */
import {
  BlockFollower,
  type Broadcaster,
  type ChainSource,
  type FeeEstimator,
  type FollowerRunner,
} from '@superscalar/chain';
import type { Logger } from '@superscalar/core';
import type { Bip86Account } from '@superscalar/keys';
import type { Store } from '@superscalar/persist';
import { type Commit, openTower, storeEntrySource } from '../io.js';
import type { FeePolicy } from '../policy.js';
import type { Watchtower } from '../tower.js';
import type { TowerEvent } from '../types.js';
import { TowerRunner } from './runner.js';

/** Options of {@link startStandaloneTower}. */
export interface StandaloneTowerOptions {
  /** The tower's own writable store. */
  readonly store: Store;
  /** The role's store holding the entries (read only; default `store`). */
  readonly entries?: Pick<Store, 'list' | 'get'>;
  readonly chain: ChainSource & Broadcaster & FeeEstimator;
  /** The fee wallet's own BIP86 account. */
  readonly account: Bip86Account;
  /** First block a new tower follows. */
  readonly birthHeight: number;
  readonly towerId?: string;
  /** Keep an in-memory trigger index (default false: every block transaction is looked up). */
  readonly index?: boolean;
  readonly policy?: Partial<FeePolicy>;
  /** Follower poll interval, ms (default 5,000). */
  readonly intervalMs?: number;
  readonly onEvent?: (event: TowerEvent) => void | Promise<void>;
  readonly logger?: Logger;
}

/** A running standalone tower. */
export interface StandaloneTower {
  readonly tower: Watchtower;
  readonly runner: TowerRunner;
  readonly follower: BlockFollower;
  /** The tower store's update sequence. */
  readonly commit: Commit;
  /** Stops polling (after the poll in flight); the stores stay open (close them yourself). */
  stop(): Promise<void>;
}

/**
 * A sequencer over `store`: update ids continue from its last one, assigned in call order. A refused
 * update leaves its id unused, so the sequence re-reads the store's last id before the next one
 * (the runner commits one update at a time).
 */
export async function storeCommit(store: Pick<Store, 'applyUpdate' | 'lastUpdateId'>): Promise<Commit> {
  let next = (await store.lastUpdateId()) + 1n;
  return async (ops) => {
    const id = next++;
    try {
      await store.applyUpdate({ id, ops });
    } catch (e) {
      next = (await store.lastUpdateId()) + 1n;
      throw e;
    }
  };
}

/** Opens (or creates) the tower in `store`, starts following the chain, and returns it running. */
export async function startStandaloneTower(o: StandaloneTowerOptions): Promise<StandaloneTower> {
  const commit = await storeCommit(o.store);
  const open = () =>
    openTower({
      store: o.store,
      ...(o.entries === undefined ? {} : { entries: o.entries }),
      commit,
      account: o.account,
      birthHeight: o.birthHeight,
      index: o.index ?? false,
      ...(o.towerId === undefined ? {} : { towerId: o.towerId }),
      ...(o.policy === undefined ? {} : { policy: o.policy }),
    });
  const tower = await open();
  const follower = new BlockFollower(o.chain);
  const runner = new TowerRunner({
    tower,
    follower,
    chain: o.chain,
    entries: storeEntrySource(o.entries ?? o.store),
    commit,
    reopen: open,
    ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
    ...(o.logger === undefined ? {} : { logger: o.logger }),
  });
  await runner.start();
  const loop: FollowerRunner = follower.run({
    intervalMs: o.intervalMs ?? 5_000,
    onError: (err) => o.logger?.log({ level: 'warn', msg: 'tower poll failed', module: 'watchtower', err }),
  });
  return {
    get tower() {
      return runner.tower;
    },
    runner,
    follower,
    commit,
    async stop() {
      runner.stop();
      await loop.stop();
    },
  };
}
