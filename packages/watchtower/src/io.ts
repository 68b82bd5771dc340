/**
 * The tower's store glue, still without Node built-ins: where a runtime reads the entries a block's
 * triggers need ({@link storeEntrySource}, over any persist `Store`: the role's own store when the
 * tower is embedded, a read connection to the role's PostgreSQL when it runs standalone), opening a
 * tower and its fee wallet from a store ({@link openTower}), and pruning a closed factory's entries
 * ({@link closeFactoryOps}).
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import type { Bip86Account } from '@superscalar/keys';
import type { BlobRecord, LStockSecretRecord, Op, Store, WatchEntryRecord } from '@superscalar/persist';
import { Wallet } from '@superscalar/wallet';
import { factoryBlobKey } from './entries.js';
import { InvalidArgumentError } from './errors.js';
import type { FeePolicy } from './policy.js';
import { Watchtower } from './tower.js';
import type { EntryRows } from './types.js';

/** Makes operations durable in the runtime's update sequence; resolves once they are. */
export type Commit = (ops: readonly Op[]) => Promise<void>;

/** Reads the rows a tower input needs. */
export interface EntrySource {
  /**
   * The entries of `triggerTxids`, the secrets of their poisons' factories and of `waiting`
   * factories, and the per-factory blobs of their factories.
   */
  rows(triggerTxids: readonly string[], waiting?: readonly Uint8Array[]): Promise<EntryRows>;
}

/**
 * An {@link EntrySource} over a persist `Store`: one primary-key lookup per trigger txid asked
 * (`watchEntries` is keyed by trigger txid first), one per factory for secrets and blobs.
 */
export function storeEntrySource(store: Pick<Store, 'list' | 'get'>): EntrySource {
  if (typeof store?.list !== 'function') throw new InvalidArgumentError('store', 'expected a persist Store');
  return {
    async rows(triggerTxids, waiting = []) {
      const entries: WatchEntryRecord[] = [];
      for (const triggerTxid of triggerTxids)
        entries.push(...(await store.list('watchEntries', { triggerTxid })));
      const factories = new Map<string, Uint8Array>();
      const secretOf = new Map<string, Uint8Array>();
      for (const e of entries) {
        if (e.factoryId === null) continue;
        factories.set(toHex(e.factoryId), e.factoryId);
        if (e.kind === 'poison') secretOf.set(toHex(e.factoryId), e.factoryId);
      }
      for (const f of waiting) secretOf.set(toHex(f), f);
      const secrets: LStockSecretRecord[] = [];
      for (const factoryId of secretOf.values())
        secrets.push(...(await store.list('lstockSecrets', { factoryId })));
      const blobs: BlobRecord[] = [];
      for (const f of factories.values()) {
        const b = await store.get('blobs', { key: factoryBlobKey(f) });
        if (b !== undefined) blobs.push(b);
      }
      return { entries, secrets, factories: blobs };
    },
  };
}

/**
 * The operations that prune a closed factory (brief §11): every `watchEntries` and `lstockSecrets`
 * row of `factoryId` and its factory blob. Put them in the role's update; an embedded tower also
 * `ingest`s them. A trigger that already confirmed keeps its responses until they settle.
 */
export async function closeFactoryOps(store: Pick<Store, 'list'>, factoryId: Uint8Array): Promise<Op[]> {
  if (!(factoryId instanceof Uint8Array)) throw new InvalidArgumentError('factoryId', 'expected bytes');
  const ops: Op[] = [];
  for (const e of await store.list('watchEntries', { factoryId }))
    ops.push({
      op: 'delete',
      table: 'watchEntries',
      key: { triggerTxid: e.triggerTxid, responseIndex: e.responseIndex },
    });
  for (const s of await store.list('lstockSecrets', { factoryId }))
    ops.push({ op: 'delete', table: 'lstockSecrets', key: { factoryId: s.factoryId, c: s.c } });
  ops.push({ op: 'delete', table: 'blobs', key: { key: factoryBlobKey(factoryId) } });
  return ops;
}

/** Options of {@link openTower}. */
export interface OpenTowerOptions {
  /** The tower's writable store (its blobs and its fee wallet's). */
  readonly store: Pick<Store, 'list'>;
  /** Where the entries live (default `store`): the role's store, read only. */
  readonly entries?: Pick<Store, 'list'>;
  /** Commits the creation operations of a new tower in the writable store's sequence. */
  readonly commit: Commit;
  /** The fee wallet's BIP86 account (its own: never a participant's key). */
  readonly account: Bip86Account;
  /** First block a new tower (and its wallet) follows. */
  readonly birthHeight: number;
  readonly towerId?: string;
  /** The fee wallet's id in the store (default `tower-<towerId>`). */
  readonly walletId?: string;
  /** Keep an in-memory trigger index (default true); see `WatchtowerOptions.index`. */
  readonly index?: boolean;
  readonly policy?: Partial<FeePolicy>;
  /** Journal the tower's events in its persists (see `WatchtowerOptions.journal`). Default false. */
  readonly journal?: boolean;
}

/**
 * Loads the tower and its fee wallet from the store, or creates both (committing their creation
 * operations) when the store has none. An indexed tower reads every `watchEntries` row once.
 */
export async function openTower(o: OpenTowerOptions): Promise<Watchtower> {
  const towerId = o.towerId ?? 'main';
  const walletId = o.walletId ?? `tower-${towerId}`;
  const blobs = await o.store.list('blobs');
  const base = {
    towerId,
    ...(o.index === undefined ? {} : { index: o.index }),
    ...(o.policy === undefined ? {} : { policy: o.policy }),
    ...(o.journal === undefined ? {} : { journal: o.journal }),
  };
  if (!blobs.some((b) => b.key === `tower/${towerId}/meta`)) {
    const w = Wallet.create({ account: o.account, birthHeight: o.birthHeight, walletId });
    const t = Watchtower.create({ ...base, wallet: w.wallet, birthHeight: o.birthHeight });
    await o.commit([...w.ops, ...t.ops]);
    if (o.index !== false) t.tower.ingest(await entryPuts(o.entries ?? o.store));
    return t.tower;
  }
  const wallet = Wallet.load(blobs, { account: o.account, walletId });
  const entries = o.index === false ? [] : await (o.entries ?? o.store).list('watchEntries');
  return Watchtower.load({ blobs, entries }, { ...base, wallet });
}

async function entryPuts(store: Pick<Store, 'list'>): Promise<Op[]> {
  return (await store.list('watchEntries')).map((row) => ({ op: 'put', table: 'watchEntries', row }));
}
