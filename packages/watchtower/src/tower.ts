/**
 * The watchtower (brief §11): a sans-IO state machine, `handle(input) → actions`, that watches for the
 * confirmation of triggers — a guarded kickoff, a superseded leaf state, a revoked commitment on any
 * outpoint copy — and answers each with its pre-signed responses, every one in a 1-parent-1-child
 * package whose CPFP child it pays from a fee wallet of its own, re-bumped every block until it
 * confirms. It holds no participant's key: only the responses, the revealed `s_c` a poison needs,
 * and its own fee coins.
 *
 * **Order.** Chain events come from the `BlockFollower` (`connected` lowest first, `disconnected`
 * highest first), each `connected` block with the stored entries of the triggers it confirms
 * ({@link Watchtower.triggersIn}). Delivery is at-least-once: a block at or below the tower's tip,
 * or a disconnection above it, is a no-op. Actions are carried out in order: `persist` (one update,
 * durable before anything after it), then `broadcast`s, then `emit`s.
 *
 * **Reorg.** A disconnected block that held a trigger cancels that trigger's pending responses; one
 * that held a response (or the spend that made it lost) puts it back to pending and re-broadcasts it.
 *
 * It never polls a txid (flaw 11): everything it learns comes from blocks.
 *
 * @module
 */
import type { BlockRef, ChainBlock } from '@superscalar/chain';
import { fromHex, toHex } from '@superscalar/core';
import type { BlobRecord, Op, WatchEntryRecord } from '@superscalar/persist';
import { decodeTx, displayHex } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';
import { responseOf, secretsByHash } from './_activate.js';
import { TriggerIndex } from './_index.js';
import {
  type ActiveTrigger,
  activeBlob,
  type CheckpointRef,
  decodeRecord,
  metaBlob,
  type ResponseState,
  type ResponseStatus,
  type TowerMeta,
  towerPrefix,
} from './_records.js';
import { cleanup, confirm, due, fillSecrets, lose, openOutpoints, ref, resend, Step } from './_respond.js';
import {
  type EntryChange,
  FACTORY_BLOB_PREFIX,
  type LStockSecretEntryOptions,
  lstockSecretEntry,
  type PenaltyEntryOptions,
  penaltyEntries,
  RELEASED_KIND,
  type StaleStateEntryOptions,
  type SupersededStateEntryOptions,
  secretHashHex,
  staleStateEntry,
  supersededStateEntries,
} from './entries.js';
import {
  DecodeError,
  InvalidArgumentError,
  MissingEntriesError,
  OutOfOrderError,
  UnknownPoisonError,
} from './errors.js';
import { towerEventOp } from './journal.js';
import { type FeePolicy, feePolicy } from './policy.js';
import type { EntryRows, FeeRates, ResponseRef, TowerAction, TowerEvent, TowerInput } from './types.js';

/** Blocks of the tower's checkpoint (its resume point for the follower). */
const CHECKPOINT_DEPTH = 12;
const dec = new TextDecoder();

/** Options of {@link Watchtower.create} and {@link Watchtower.load}. */
export interface WatchtowerOptions {
  /** The tower's own fee wallet (its own BIP86 account and coins): it pays every CPFP child. */
  readonly wallet: Wallet;
  /** Names the tower's blobs (`tower/<towerId>/…`); several towers may share a store. Default `main`. */
  readonly towerId?: string;
  /**
   * Keep an in-memory trigger index (default true: an embedded tower fed by its role). False: the
   * runtime looks every block transaction up in the entries' store (a standalone tower over a role's
   * store it does not write).
   */
  readonly index?: boolean;
  readonly policy?: Partial<FeePolicy>;
  /**
   * Journal every event (default false): each input's persist (and each {@link Watchtower.release}'s
   * ops) also carries the journal record of its events (`towerEventOp`), so a tower embedded in a
   * role puts them in the role's event queue exactly once. `emit` actions are unchanged.
   */
  readonly journal?: boolean;
}

/** Options of {@link Watchtower.create}. */
export interface CreateWatchtowerOptions extends WatchtowerOptions {
  /** The tower follows the chain from the block after `birthHeight − 1`. */
  readonly birthHeight: number;
}

/** Where a released response stood when its owner took it over ({@link Watchtower.release}). */
export interface ReleasedResponse {
  readonly triggerTxid: string;
  readonly responseIndex: number;
  /** The response's txid (absent when `inactive`). */
  readonly txid?: string;
  /** Its status then; `inactive`: its trigger had not confirmed (or the tower does not know it). */
  readonly status: ResponseStatus | 'inactive';
  /** The trigger's block, when it had confirmed. */
  readonly trigger: { readonly height: number; readonly hash: string } | null;
  /** The response's own block, when it had confirmed. */
  readonly confirmedAt: { readonly height: number; readonly hash: string } | null;
  /** The tower's CPFP child of its last package (in flight while `status` is `broadcast`). */
  readonly child: {
    readonly txid: string;
    readonly raw: Uint8Array;
    readonly feeRate: number;
    readonly fee: bigint;
  } | null;
  /** The tip at which that package was made. */
  readonly lastTip: number | null;
}

/** What the tower holds for one response (a view; see `TowerEvent` for changes). */
export interface ResponseView extends ResponseRef {
  readonly status: ResponseStatus;
  readonly triggerHeight: number;
  /** First tip at which it may be broadcast. */
  readonly dueTip: number;
  readonly childTxid: string | undefined;
  readonly feeRate: number | undefined;
  readonly bumps: number;
  readonly emergency: boolean;
}

function checkTowerId(v: unknown): string {
  const id = v ?? 'main';
  if (typeof id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(id))
    throw new InvalidArgumentError('options.towerId', 'expected 1 to 64 characters of [A-Za-z0-9._-]');
  return id;
}

/** The watchtower state machine (see the module doc). */
export class Watchtower {
  readonly towerId: string;
  readonly wallet: Wallet;
  readonly policy: FeePolicy;
  #meta: TowerMeta;
  readonly #active = new Map<string, ActiveTrigger>();
  readonly #index: TriggerIndex | undefined;
  readonly #journal: boolean;
  /** Responses released this session (`<trigger>:<index>`): never activated, even from rows read before. */
  readonly #released = new Set<string>();
  /**
   * Active responses released whose owner's update is not durable yet: never sent, and their
   * trigger's record not written by the tower (it would race the owner's), until `ingest` sees it.
   */
  readonly #held = new Set<string>();
  /** Triggers to write again at the next input (a release became durable). */
  readonly #dirtyLater = new Set<string>();

  private constructor(options: WatchtowerOptions, meta: TowerMeta) {
    if (typeof options?.wallet?.applyEvent !== 'function')
      throw new InvalidArgumentError('options.wallet', 'expected a @superscalar/wallet Wallet');
    this.wallet = options.wallet;
    this.towerId = checkTowerId(options.towerId);
    this.policy = feePolicy(options.policy);
    this.#index = options.index === false ? undefined : new TriggerIndex();
    this.#journal = options.journal === true;
    this.#meta = meta;
  }

  /** A new tower; store `ops` (with the fee wallet's creation ops) before using it. */
  static create(options: CreateWatchtowerOptions): { tower: Watchtower; ops: readonly Op[] } {
    const birth = options?.birthHeight;
    if (typeof birth !== 'number' || !Number.isInteger(birth) || birth < 0)
      throw new InvalidArgumentError('options.birthHeight', 'expected a non-negative integer');
    const tower = new Watchtower(options, { birthHeight: birth, checkpoint: [] });
    return { tower, ops: [metaBlob(tower.towerId, tower.#meta)] };
  }

  /**
   * The tower from its stored rows after a restart: `blobs` (its own, under `tower/<id>/`; others are
   * skipped) and, for an indexed tower, every `watchEntries` row of the entries' store.
   *
   * @throws {DecodeError} no tower of this id in `blobs`, or a damaged record.
   */
  static load(
    rows: { readonly blobs: readonly BlobRecord[]; readonly entries?: readonly WatchEntryRecord[] },
    options: WatchtowerOptions,
  ): Watchtower {
    const id = checkTowerId(options?.towerId);
    const prefix = towerPrefix(id);
    const metaRow = rows?.blobs?.find((b) => b.key === `${prefix}meta`);
    if (metaRow === undefined) throw new DecodeError(`${prefix}meta`, 'no tower of this id in the store');
    const tower = new Watchtower(options, decodeRecord<TowerMeta>(metaRow));
    for (const b of rows.blobs)
      if (b.key.startsWith(`${prefix}a/`)) {
        const t = decodeRecord<ActiveTrigger>(b);
        tower.#active.set(t.triggerTxid, t);
      }
    if (tower.#index !== undefined) for (const e of rows.entries ?? []) tower.#index.put(e);
    return tower;
  }

  // ---------------------------------------------------------------- view

  /** Height of the last block applied (`birthHeight − 1` before any). */
  get tipHeight(): number {
    const c = this.#meta.checkpoint;
    return c.length === 0 ? this.#meta.birthHeight - 1 : (c[c.length - 1] as CheckpointRef).height;
  }

  /** Where the follower resumes: the stored checkpoint, or the block before the birth height. */
  followFrom(): readonly BlockRef[] | { readonly height: number } {
    const c = this.#meta.checkpoint;
    if (c.length === 0) return { height: this.#meta.birthHeight - 1 };
    return c.filter((r) => r.hash !== '').map((r) => ({ height: r.height, hash: r.hash }));
  }

  /** Entries (trigger, response) in the index; undefined for a tower without one. */
  get indexedEntries(): number | undefined {
    return this.#index?.entries;
  }

  /** Distinct triggers in the index; undefined for a tower without one. */
  get indexedTriggers(): number | undefined {
    return this.#index?.triggers;
  }

  /**
   * The txids of `block` whose entries the tower needs in the `connected` input: those in the index,
   * or, without one, every non-coinbase transaction (the runtime looks each up in the entries' store).
   */
  triggersIn(block: Pick<ChainBlock, 'txids'>): string[] {
    const ids = block.txids.slice(1);
    const index = this.#index;
    return index === undefined ? ids : ids.filter((t) => index.has(t) && !this.#active.has(t));
  }

  /** Factories of poisons waiting for their `s_c`: hand their `lstockSecrets` rows in with the next input. */
  waitingFactories(): Uint8Array[] {
    const out = new Map<string, Uint8Array>();
    for (const t of this.#active.values())
      if (t.factory !== null && t.responses.some((r) => r.status === 'no-secret'))
        out.set(t.factory, fromHex(t.factory));
    return [...out.values()];
  }

  /**
   * Active triggers with a response the tower may still send or re-bump (waiting, broadcast, or a
   * poison waiting for its secret). A runner that re-checks its owner's releases (a standalone tower,
   * `TowerRunner`'s `recheck`) reads their entry rows with each input that may broadcast: a
   * {@link RELEASED_KIND} row among them stands that response down before anything is sent.
   */
  answeringTriggers(): string[] {
    const out: string[] = [];
    for (const t of this.#active.values())
      if (
        t.responses.some(
          (r) =>
            (r.status === 'waiting' || r.status === 'broadcast' || r.status === 'no-secret') &&
            !this.#held.has(`${t.triggerTxid}:${r.index}`),
        )
      )
        out.push(t.triggerTxid);
    return out;
  }

  /** Every response of every active trigger. */
  responses(): ResponseView[] {
    const out: ResponseView[] = [];
    for (const t of this.#active.values())
      for (const r of t.responses)
        out.push({
          ...ref(t, r),
          status: r.status,
          triggerHeight: t.height,
          dueTip: r.dueTip,
          childTxid: r.child?.txid,
          feeRate: r.child?.feeRate,
          bumps: r.bumps,
          emergency: r.emergency,
        });
    return out;
  }

  // ---------------------------------------------------------------- entries

  /**
   * Takes committed entry operations into the index (an embedded tower: call it with the operations
   * of `add*` or the pure builders once the role's update is durable; other operations are ignored).
   */
  ingest(ops: readonly Op[]): void {
    if (!Array.isArray(ops)) throw new InvalidArgumentError('ops', 'expected persist operations');
    this.#index?.apply(ops);
    if (this.#held.size === 0) return;
    // A release became durable (its update deletes the entry): the response is released for good.
    for (const op of ops) {
      if (op.table !== 'watchEntries') continue;
      const gone =
        op.op === 'delete' ? op.key : op.op === 'put' && op.row.kind === RELEASED_KIND ? op.row : undefined;
      if (gone === undefined) continue;
      const key = `${gone.triggerTxid}:${gone.responseIndex}`;
      if (!this.#held.delete(key)) continue;
      const t = this.#active.get(gone.triggerTxid);
      const r = t?.responses.find((y) => y.index === gone.responseIndex);
      if (t === undefined || r === undefined) continue;
      r.status = 'released';
      this.#dirtyLater.add(t.triggerTxid); // its other responses may have moved meanwhile
    }
  }

  /** {@link staleStateEntry}, indexed. */
  addStaleState(o: StaleStateEntryOptions): EntryChange {
    return this.#indexed(staleStateEntry(o));
  }

  /** {@link supersededStateEntries}, indexed. */
  addSupersededState(o: SupersededStateEntryOptions): EntryChange {
    return this.#indexed(supersededStateEntries(o));
  }

  /** {@link penaltyEntries}, indexed. */
  addPenalties(o: PenaltyEntryOptions): EntryChange {
    return this.#indexed(penaltyEntries(o));
  }

  /**
   * {@link lstockSecretEntry}; without `poison`, the secret is checked against the poisons this
   * tower holds for the factory.
   *
   * @throws {UnknownPoisonError} no poison of the factory is opened by it (indexed tower, no `poison`).
   */
  addLStockSecret(
    o: Omit<LStockSecretEntryOptions, 'poison'> & { poison?: LStockSecretEntryOptions['poison'] },
  ): EntryChange {
    if (o?.poison !== undefined) return lstockSecretEntry(o as LStockSecretEntryOptions);
    if (!(o?.secret instanceof Uint8Array) || o.secret.length !== 32)
      throw new InvalidArgumentError('options.secret', 'expected 32 bytes');
    if (!(o.factoryId instanceof Uint8Array))
      throw new InvalidArgumentError('options.factoryId', 'expected bytes');
    const hash = secretHashHex(o.secret);
    if (this.#index === undefined || !this.#index.hasPoison(hash, toHex(o.factoryId)))
      throw new UnknownPoisonError(o.c);
    return lstockSecretEntry({ ...o, poison: fromHex(hash) });
  }

  #indexed(change: EntryChange): EntryChange {
    this.#index?.apply(change.ops);
    return change;
  }

  // ---------------------------------------------------------------- hand-over to the owner

  /**
   * The owner of some entries takes their responses over (an exit driver that publishes those states
   * itself, brief §6): from now on the tower never sends nor re-bumps them, and their entries are
   * deleted (a reorg that brings the trigger back does not re-arm them). Put `ops` in the owner's
   * update — the one that records the owner's own plan, before its first broadcast — so both are
   * durable together: a crash before it leaves everything with the tower, a crash after leaves
   * everything with the owner. Until that update is durable (the tower sees it in {@link ingest})
   * the response is *held*: never sent nor re-bumped, and its trigger's record never written by
   * the tower (it would race the owner's); then it is `released` in memory too. A package the tower
   * computed before may still leave once; `released` tells the owner what it is, to outbid it.
   *
   * `released` says, per ref, where the tower stood: `inactive` (its trigger had not confirmed),
   * or the response's status, trigger height and CPFP child in flight — which the owner may adopt:
   * the state is in the mempool already, and the owner's next child, at a rate above `child.feeRate`,
   * replaces the tower's through the shared anchor (plain RBF: a higher rate and a higher absolute
   * fee than the child it evicts). Refs the tower does not know are reported `inactive` too.
   */
  release(refs: readonly { readonly triggerTxid: string; readonly responseIndex: number }[]): {
    readonly ops: readonly Op[];
    readonly released: readonly ReleasedResponse[];
  } {
    if (!Array.isArray(refs)) throw new InvalidArgumentError('refs', 'expected an array');
    const ops: Op[] = [];
    const events: TowerEvent[] = [];
    const released: ReleasedResponse[] = [];
    const touched = new Set<string>();
    for (const [i, x] of refs.entries()) {
      if (typeof x?.triggerTxid !== 'string' || !Number.isInteger(x.responseIndex) || x.responseIndex < 0)
        throw new InvalidArgumentError(`refs[${i}]`, 'expected { triggerTxid, responseIndex }');
      const key = `${x.triggerTxid}:${x.responseIndex}`;
      this.#released.add(key);
      const del: Op = {
        op: 'delete',
        table: 'watchEntries',
        key: { triggerTxid: x.triggerTxid, responseIndex: x.responseIndex },
      };
      ops.push(del);
      this.#index?.apply([del]);
      const t = this.#active.get(x.triggerTxid);
      const r = t?.responses.find((y) => y.index === x.responseIndex);
      if (t === undefined || r === undefined) {
        released.push({
          ...x,
          status: 'inactive',
          trigger: null,
          confirmedAt: null,
          child: null,
          lastTip: null,
        });
        continue;
      }
      released.push({
        ...x,
        txid: r.txid,
        status: r.status,
        trigger: { height: t.height, hash: t.hash },
        confirmedAt: r.status === 'confirmed' ? r.at : null,
        child:
          r.child === null
            ? null
            : { txid: r.child.txid, raw: r.child.raw, feeRate: r.child.feeRate, fee: r.child.fee },
        lastTip: r.lastTip,
      });
      if (r.status === 'released' || this.#held.has(key)) continue;
      this.#held.add(key);
      touched.add(t.triggerTxid);
      events.push({
        ...ref(t, r),
        type: 'response_released',
        was: r.status,
        childTxid: r.child?.txid,
        feeRate: r.child?.feeRate,
      });
    }
    // Each touched trigger's record as it stands once the owner's update is durable: its held
    // responses released (the tower's memory follows in `ingest`, when that update is durable).
    for (const txid of touched) {
      const t = this.#active.get(txid) as ActiveTrigger;
      ops.push(
        activeBlob(this.towerId, {
          ...t,
          responses: t.responses.map((r) =>
            this.#held.has(`${txid}:${r.index}`) ? { ...r, status: 'released' as const } : r,
          ),
        }),
      );
    }
    if (this.#journal) for (const e of events) ops.push(towerEventOp(e));
    return { ops, released };
  }

  // ---------------------------------------------------------------- inputs

  /** Handles one input and returns the actions to carry out, in order (see the module doc). */
  handle(input: TowerInput): TowerAction[] {
    switch (input?.type) {
      case 'connected':
        return this.#connected(input.block, input.rows, input.feeRates, input.tipHeight);
      case 'disconnected':
        return this.#disconnected(input.block);
      case 'tick':
        return this.#tick(input.feeRates, input.rows);
      case 'broadcast_result': {
        if (input.accepted) return [];
        const step = this.#step();
        step.events.push({ type: 'broadcast_failed', id: input.id, reason: input.reason ?? '' });
        return step.actions();
      }
      default:
        throw new InvalidArgumentError(
          'input.type',
          'expected connected, disconnected, tick or broadcast_result',
        );
    }
  }

  #step(): Step {
    return new Step({
      towerId: this.towerId,
      wallet: this.wallet,
      policy: this.policy,
      active: this.#active,
      journal: this.#journal,
      held: this.#held,
      dirtyLater: this.#dirtyLater,
    });
  }

  #connected(
    block: ChainBlock,
    rows: EntryRows,
    feeRates: FeeRates,
    tipHeight: number | undefined,
  ): TowerAction[] {
    if (typeof block !== 'object' || block === null)
      throw new InvalidArgumentError('input.block', 'expected a ChainBlock');
    checkRates(feeRates);
    if (tipHeight !== undefined && (!Number.isInteger(tipHeight) || tipHeight < 0))
      throw new InvalidArgumentError('input.tipHeight', 'expected a non-negative integer');
    const cp = this.#meta.checkpoint;
    const last = cp[cp.length - 1];
    if (last !== undefined) {
      if (block.height <= last.height) return [];
      if (block.height !== last.height + 1 || block.prevHash !== last.hash)
        throw new OutOfOrderError(
          block.height,
          `does not extend the tower's tip ${last.height}:${last.hash}`,
        );
    } else if (block.height < this.#meta.birthHeight) return [];
    const step = this.#step();
    step.ops.push(...this.wallet.applyEvent({ type: 'connected', block }));
    const byTrigger = new Map<string, WatchEntryRecord[]>();
    for (const e of rows?.entries ?? []) {
      if (e.kind === RELEASED_KIND) continue; // an owner's release marker: see #standDown
      const list = byTrigger.get(e.triggerTxid) ?? [];
      list.push(e);
      byTrigger.set(e.triggerTxid, list);
    }
    const secrets = secretsByHash(rows?.secrets ?? []);
    const steps = dwSteps(rows?.factories ?? []);
    const { spent, byTxid } = openOutpoints(this.#active);
    for (let i = 1; i < block.txs.length; i++) {
      const txid = block.txids[i] as string;
      const mine = byTxid.get(txid);
      if (mine !== undefined) confirm(step, mine, block);
      else if (spent.size > 0) {
        for (const input of decodeTx(block.txs[i] as Uint8Array).inputs) {
          const hit = spent.get(`${displayHex(input.txidBytes)}:${input.vout}`);
          if (hit !== undefined) lose(step, hit, txid, block);
        }
      }
      const isTrigger = this.#index === undefined ? byTrigger.has(txid) : this.#index.has(txid);
      if (isTrigger && !this.#active.has(txid)) {
        const list = byTrigger.get(txid);
        if (list === undefined) throw new MissingEntriesError(txid);
        const t = this.#activate(step, txid, block.txs[i] as Uint8Array, list, block, secrets, steps);
        for (const r of t.responses) {
          byTxid.set(r.txid, [t, r]);
          for (const v of r.vouts) spent.set(`${txid}:${v}`, [t, r]);
        }
      }
    }
    this.#standDown(step, rows?.entries ?? []);
    fillSecrets(step, secrets);
    // A catch-up block (below the chain's tip): the responses' states follow the chain, but nothing
    // is sent before the tip, where `due` answers once from the state every missed block left.
    if (tipHeight === undefined || block.height >= tipHeight) due(step, block.height, feeRates, true);
    cleanup(step, block.height);
    const next: CheckpointRef = { height: block.height, hash: block.hash, prevHash: block.prevHash };
    this.#meta = { ...this.#meta, checkpoint: [...cp, next].slice(-CHECKPOINT_DEPTH) };
    step.ops.push(metaBlob(this.towerId, this.#meta));
    return step.actions();
  }

  #disconnected(block: BlockRef): TowerAction[] {
    const cp = this.#meta.checkpoint;
    const last = cp[cp.length - 1];
    if (last === undefined || block?.height > last.height) return [];
    if (block.height !== last.height || block.hash !== last.hash)
      throw new OutOfOrderError(block.height, `is not the tower's tip ${last.height}:${last.hash}`);
    const step = this.#step();
    step.ops.push(...this.wallet.applyEvent({ type: 'disconnected', block }));
    for (const t of [...this.#active.values()]) {
      if (t.responses.some((r) => this.#held.has(`${t.triggerTxid}:${r.index}`))) continue;
      if (t.hash === block.hash) {
        step.forget(t);
        step.events.push({ type: 'trigger_cancelled', triggerTxid: t.triggerTxid, height: block.height });
        continue;
      }
      for (const r of t.responses) {
        if (r.status === 'released' || r.at?.hash !== block.hash) continue;
        const was = r.status;
        r.status = r.before ?? 'waiting';
        r.before = null;
        r.at = null;
        r.spentBy = null;
        step.dirty.add(t.triggerTxid);
        if (was === 'confirmed')
          step.events.push({ ...ref(t, r), type: 'response_unconfirmed', height: block.height });
        if (r.status === 'broadcast') resend(step, t, r);
      }
    }
    const next = cp.slice(0, -1);
    if (next.length === 0 && last.prevHash !== '')
      next.push({ height: last.height - 1, hash: last.prevHash, prevHash: '' });
    this.#meta = { ...this.#meta, checkpoint: next };
    step.ops.push(metaBlob(this.towerId, this.#meta));
    return step.actions();
  }

  #tick(feeRates: FeeRates, rows: EntryRows | undefined): TowerAction[] {
    checkRates(feeRates);
    const step = this.#step();
    this.#standDown(step, rows?.entries ?? []);
    fillSecrets(step, secretsByHash(rows?.secrets ?? []));
    due(step, this.tipHeight, feeRates, false);
    return step.actions();
  }

  // ---------------------------------------------------------------- responses

  /**
   * The owner's durable releases among `rows` ({@link RELEASED_KIND} rows, written by
   * `releasedEntries` in the owner's update): each active response they name that the tower could
   * still send stops for good (`released`, its record written in this input's persist).
   */
  #standDown(step: Step, rows: readonly WatchEntryRecord[]): void {
    for (const row of rows) {
      if (row.kind !== RELEASED_KIND) continue;
      const key = `${row.triggerTxid}:${row.responseIndex}`;
      this.#released.add(key);
      const t = this.#active.get(row.triggerTxid);
      const r = t?.responses.find((y) => y.index === row.responseIndex);
      if (t === undefined || r === undefined || this.#held.has(key)) continue;
      if (r.status !== 'waiting' && r.status !== 'broadcast' && r.status !== 'no-secret') continue;
      step.events.push({
        ...ref(t, r),
        type: 'response_released',
        was: r.status,
        childTxid: r.child?.txid,
        feeRate: r.child?.feeRate,
      });
      r.status = 'released';
      step.dirty.add(t.triggerTxid);
    }
  }

  #activate(
    step: Step,
    txid: string,
    raw: Uint8Array,
    rows: readonly WatchEntryRecord[],
    block: ChainBlock,
    secrets: ReadonlyMap<string, Uint8Array>,
    steps: ReadonlyMap<string, number>,
  ): ActiveTrigger {
    const trigger = decodeTx(raw);
    const sorted = [...rows]
      .filter((row) => row.kind !== RELEASED_KIND && !this.#released.has(`${txid}:${row.responseIndex}`))
      .sort((a, b) => a.responseIndex - b.responseIndex);
    const responses: ResponseState[] = [];
    for (const row of sorted) {
      const r = responseOf(row, trigger, block.height, secrets);
      if ('reason' in r)
        step.events.push({
          type: 'response_invalid',
          triggerTxid: txid,
          responseIndex: r.index,
          kind: r.kind,
          txid: '',
          reason: r.reason,
        });
      else responses.push(r);
    }
    const first = sorted[0];
    const factory = first?.factoryId ? toHex(first.factoryId) : null;
    const stale = responses.some((r) => r.kind === 'stale-state');
    const dwStep =
      factory !== null && steps.has(factory)
        ? (steps.get(factory) as number)
        : stale
          ? this.policy.defaultDwStep
          : null;
    const t: ActiveTrigger = {
      triggerTxid: txid,
      factory,
      height: block.height,
      hash: block.hash,
      dwStep,
      responses,
    };
    this.#active.set(txid, t);
    step.dirty.add(txid);
    step.events.push({
      type: 'triggered',
      triggerTxid: txid,
      height: block.height,
      kinds: [...new Set(responses.map((r) => r.kind))],
      responses: responses.length,
    });
    for (const r of responses)
      if (r.status === 'no-secret') step.events.push({ ...ref(t, r), type: 'secret_missing' });
    return t;
  }
}

function checkRates(r: FeeRates): void {
  for (const k of ['cpfp', 'urgent'] as const) {
    const v = r?.[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100_000_000)
      throw new InvalidArgumentError(`input.feeRates.${k}`, 'expected an integer sat/kvB rate');
  }
}

/**
 * DW steps by factory id hex, from the per-factory blobs.
 *
 * @throws {DecodeError} a damaged factory blob (a wrong step would move the §5.2 emergency).
 */
function dwSteps(blobs: readonly BlobRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const b of blobs) {
    if (!b.key.startsWith(FACTORY_BLOB_PREFIX)) continue;
    let v: { dwStep?: unknown } | undefined;
    try {
      v = JSON.parse(dec.decode(b.data)) as { dwStep?: unknown };
    } catch (cause) {
      throw new DecodeError(b.key, 'not a factory record', { cause });
    }
    if (typeof v?.dwStep !== 'number' || !Number.isInteger(v.dwStep) || v.dwStep < 1)
      throw new DecodeError(b.key, 'no valid dwStep');
    m.set(b.key.slice(FACTORY_BLOB_PREFIX.length), v.dwStep);
  }
  return m;
}
