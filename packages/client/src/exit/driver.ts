/**
 * The unilateral exit driver (brief §6, §7, §5.2), shared by both roles: a sans-IO state machine over
 * an exit *plan* — pre-signed transactions, each spending an output of another item of the plan (or
 * of an output already confirmed, such as the funding), each with its relative lock (BIP68 blocks
 * after its parent confirms) and its absolute lock (nLockTime). The role that owns the exit builds the
 * plan (the client from its O(depth) path, its commitment and its claims; the LSP from its whole
 * tree, its commitments, its L-stock spends and its timeout recoveries) and feeds the driver blocks,
 * reorganisations, broadcast results and restarts; the driver answers with what to persist, what to
 * broadcast and which events to journal.
 *
 * - **When**: an item goes out at the first tip its locks allow — its parent confirmed at `h`, its
 *   relative lock `n`: tip `h + max(1, n) − 1` (the mempool judges at tip + 1), and tip ≥ its
 *   nLockTime.
 * - **How**: an item with a P2A anchor goes as a 1-parent-1-child package, the child paid from the
 *   role's wallet (the watchtower's `fundCpfpChild`: a reserved fee coin, factory-tree's
 *   `buildCpfpChild`, signed by the wallet and recorded `pending` before it leaves); without a
 *   wallet, or when the fee coins are exhausted, the parent goes alone. Items without an anchor (claims, the LSP's script-path spends) pay their own fee.
 * - **Re-bump** (§5.2): every new block until it confirms, an anchored item's package is rebuilt at the
 *   watchtower's `nextFeeRate` (the same policy the tower follows: the estimate, at least 25% and
 *   1,000 sat/kvB above the previous child, capped; an emergency budget once a state transaction is
 *   still unconfirmed `S − 6` blocks after its maturity).
 * - **Reorg**: an item whose confirmation is disconnected is broadcast again; an item whose parent lost
 *   its confirmation waits again for its locks against the parent's new height.
 * - **Lost**: a broadcast refused because an input is spent elsewhere (`missing-inputs`,
 *   `bad-txns-inputs-missingorspent`) while its parent is confirmed, or the confirmation of an item it
 *   conflicts with, makes it lost, and its descendants with it.
 * - **Restart**: the driver's record is persisted before every broadcast; restored, it broadcasts again
 *   everything it had in flight with the first input.
 * - **Replay**: blocks below the chain's tip (`ExitContext.replaying`: a restart, a catch-up) update
 *   confirmations and losses only; what is due is broadcast once the role reaches the tip, from its
 *   state (never a package made for a past block, whose anchor a later block may have spent).
 *
 * Events: `ExitStarted`, `ExitStepBroadcast { txid, height }`, `ExitStepConfirmed`, `ExitStepLost`,
 * `ExitClaimed` (a claim into the role's wallet or close address confirmed) and `ExitCompleted`.
 *
 * @module
 */
import type { Op } from '@superscalar/persist';
import type { ClaimKind } from '@superscalar/poon-dryja';
import type { Wallet } from '@superscalar/wallet';
import { type CpfpChild, type FeePolicy, fundCpfpChild, nextFeeRate } from '@superscalar/watchtower';
import { InvalidArgumentError } from '../errors.js';

/** What an item is, for reports. */
export type ExitItemKind =
  | 'kickoff'
  | 'state'
  | 'commitment'
  | 'claim'
  | 'timeout'
  | 'lstock'
  | 'distribution';

/** One transaction of an exit plan, as the role builds it. */
export interface ExitItemSpec {
  /** Unique within the plan (e.g. `tx 3`, `commitment 1`, `to_local 1`). */
  readonly id: string;
  readonly kind: ExitItemKind;
  /** Human label for logs and reports. */
  readonly label: string;
  /** Display-order txid. */
  readonly txid: string;
  /** The signed transaction. */
  readonly raw: Uint8Array;
  /** Its P2A anchor (CPFP): output index, amount, the fee it pays itself and its vsize. Null: no anchor. */
  readonly anchor: {
    readonly vout: number;
    readonly value: bigint;
    readonly fee: bigint;
    readonly vsize: number;
  } | null;
  /** The item whose output it spends, or null when that output is already confirmed (`parentHeight`). */
  readonly parent: string | null;
  /** With `parent` null: the height at which the spent output confirmed. */
  readonly parentHeight?: number;
  /** BIP68 relative lock in blocks (0: none; a confirmed parent is always one block back). */
  readonly csv: number;
  /** nLockTime when it binds (0: none): accepted from tip ≥ locktime. */
  readonly locktime: number;
  /** False: watched only (the role does not broadcast it, for now; someone else may). Default true. */
  readonly broadcast?: boolean;
  /** Someone else's transaction (e.g. the counterparty's commitment): watched only, never broadcast. */
  readonly external?: boolean;
  /** Items spending the same output: the confirmation of any of them makes this one lost. */
  readonly conflicts?: readonly string[];
  /** What the role receives when it confirms (a claim, a recovery): journalled as `ExitClaimed`. */
  readonly amount?: bigint;
  /** Blocks after it became due at which it is an emergency (§5.2: `S − 6` for a state). */
  readonly emergencyAfter?: number;
  /**
   * A claim (no anchor: bumped by re-signing it at a higher rate, brief §7): the output it claims, how,
   * at which rate it was signed and where it pays.
   */
  readonly claim?: {
    readonly vout: number;
    readonly claimKind: ClaimKind;
    readonly feeRate: number;
    readonly destination: Uint8Array;
  };
}

/** Where an item is. */
export type ExitItemStatus = 'waiting' | 'broadcast' | 'confirmed' | 'lost';

/** The CPFP child of an item's current package (the watchtower's `fundCpfpChild` makes it). */
export type ExitChild = CpfpChild;

/** An item and its progress (persisted). */
export interface ExitItem extends ExitItemSpec {
  status: ExitItemStatus;
  /** The confirmation, while confirmed. */
  confirmedAt: { readonly height: number; readonly hash: string } | null;
  /** Tip of the last package sent (a re-bump needs a newer block). */
  lastTip: number | null;
  /** Height at which it was first broadcast. */
  firstTip: number | null;
  bumps: number;
  emergency: boolean;
  child: ExitChild | null;
  /** Earlier versions of a re-signed claim (any of them confirming confirms the item). */
  replaced?: string[];
  /** Height at which it was found lost (a reorganisation below it revives it). */
  lostAt?: number | null;
  /** Height at which its re-broadcast was refused (input spent): lost unless confirmed within the grace. */
  refusedAt?: number | null;
}

/** Why an exit started. */
export type ExitReason =
  /** The user's `force_close` command. */
  | 'command'
  /** An HTLC deadline of brief §7 (the channel's `go_on_chain`). */
  | 'go_on_chain'
  /** The embedder's policy: the LSP neither closed nor rotated by the configured height. */
  | 'policy-deadline'
  /** The embedder's policy: the LSP has been unreachable for the configured time. */
  | 'policy-unreachable'
  /**
   * A transaction of the path confirmed that this role did not broadcast: it follows the path out in
   * time to finish before its smallest `T_k` (at `T_k − exitDelay − pathTxs − exitMargin`, at once
   * after `T_dist`).
   */
  | 'path-published'
  /** The path is being published by someone else: watched (nothing broadcast) until it must leave. */
  | 'path-watch'
  /** `T_dist` came with the funding output unspent: the distribution (clients). */
  | 'distribution'
  /** The LSP's `exit_factory` command (e.g. a client is offline and blocks a close). */
  | 'exit-factory'
  /** The LSP follows a tree someone published: L-stock spends and timeout recoveries. */
  | 'recovery'
  /** The peer broke a channel rule in committed state: broadcast the latest commitment. */
  | 'channel-failed';

/**
 * An HTLC output of a commitment item the role could claim with a preimage it does not know yet (the
 * LSP's incoming HTLC whose outgoing side is still open): claimed as soon as the preimage is learned
 * (`learnClaims`); the exit does not complete while one waits, until its CLTV expiry.
 */
export interface AwaitingClaim {
  /** The commitment item. */
  readonly parent: string;
  readonly vout: number;
  /** Hex. */
  readonly paymentHash: string;
  readonly cltvExpiry: number;
  /** The claim's id prefix (as `claimItems`'s). */
  readonly prefix: string;
}

/** The driver's persisted record. */
export interface ExitRecord {
  readonly factoryId: string;
  reason: ExitReason;
  readonly startedAt: number;
  items: ExitItem[];
  /** The wallet script the CPFP children pay their change to. */
  changeScript: Uint8Array | null;
  completed: boolean;
  /** HTLC outputs waiting for their preimage (absent: not looked for yet). */
  awaiting?: AwaitingClaim[];
}

/** The events of an exit (each role journals them as its own event kinds). */
export type ExitEvent =
  | {
      readonly kind: 'ExitStarted';
      readonly factoryId: string;
      readonly reason: ExitReason;
      readonly height: number;
      readonly steps: number;
    }
  | {
      readonly kind: 'ExitStepBroadcast';
      readonly factoryId: string;
      readonly step: string;
      readonly stepKind: ExitItemKind;
      readonly label: string;
      readonly txid: string;
      readonly height: number;
      /** The CPFP child of the package, when one was attached. */
      readonly childTxid?: string;
      readonly feeRate: number;
      /** 0 for the first broadcast, then one per re-bump. */
      readonly bump: number;
      readonly emergency: boolean;
    }
  | {
      readonly kind: 'ExitStepConfirmed';
      readonly factoryId: string;
      readonly step: string;
      readonly stepKind: ExitItemKind;
      readonly label: string;
      readonly txid: string;
      readonly height: number;
    }
  | {
      readonly kind: 'ExitStepLost';
      readonly factoryId: string;
      readonly step: string;
      readonly stepKind: ExitItemKind;
      readonly label: string;
      readonly txid: string;
      readonly height: number;
      readonly reason: string;
    }
  | {
      readonly kind: 'ExitClaimed';
      readonly factoryId: string;
      readonly step: string;
      readonly stepKind: ExitItemKind;
      readonly label: string;
      readonly txid: string;
      readonly height: number;
      readonly amount: bigint;
    }
  | {
      readonly kind: 'ExitCompleted';
      readonly factoryId: string;
      readonly height: number;
      /** Σ of the confirmed claims' amounts. */
      readonly claimed: bigint;
      readonly confirmed: number;
      /** Items that went out and were lost (an input spent elsewhere). */
      readonly lost: number;
    };

/** A package (or a lone transaction) to broadcast. */
export interface ExitBroadcast {
  readonly raw: Uint8Array;
  readonly txid: string;
  readonly label: string;
  readonly child?: Uint8Array;
}

/** What one driver input produced, in order: persist `ops` (with the events), then the broadcasts. */
export interface ExitOutput {
  readonly ops: Op[];
  readonly events: ExitEvent[];
  readonly broadcasts: ExitBroadcast[];
  /** The record changed (persist it with `ops`). */
  dirty: boolean;
}

/** What the driver needs of its role. */
export interface ExitContext {
  /** The role's wallet (fee coins); absent: packages go without a child. */
  readonly wallet: Wallet | undefined;
  readonly policy: FeePolicy;
  /** The current CPFP estimate, sat/kvB. */
  readonly estimate: number;
  /** The current urgent estimate (emergencies), sat/kvB. */
  readonly urgent: number;
  /**
   * The role is replaying blocks below the chain's tip (a restart, a catch-up): nothing is broadcast
   * (a package made from a past block's state may spend what a later block already spent); what is
   * due goes out once, from the tip's state. Default false.
   */
  readonly replaying?: boolean;
}

/** Reasons a backend gives when an input is spent or unknown. */
const SPENT = /missing-inputs|missingorspent|bad-txns-inputs/;
/**
 * Blocks a refused re-broadcast waits for the confirmation of what went out before (the chain may be
 * ahead of the blocks the role has handled) before it counts as lost.
 */
const REFUSAL_GRACE = 6;

function newOutput(): ExitOutput {
  return { ops: [], events: [], broadcasts: [], dirty: false };
}

/** A new record from a plan (items in broadcast order: parents before children). */
export function newExitRecord(o: {
  readonly factoryId: string;
  readonly reason: ExitReason;
  readonly height: number;
  readonly items: readonly ExitItemSpec[];
}): ExitRecord {
  const seen = new Set<string>();
  for (const s of o.items) {
    if (seen.has(s.id)) throw new InvalidArgumentError('items', `duplicate item ${s.id}`);
    if (s.parent !== null && !seen.has(s.parent))
      throw new InvalidArgumentError('items', `${s.id} comes before its parent ${s.parent}`);
    seen.add(s.id);
  }
  return {
    factoryId: o.factoryId,
    reason: o.reason,
    startedAt: o.height,
    items: o.items.map(fresh),
    changeScript: null,
    completed: false,
  };
}

/** @internal An item as it starts. */
export function fresh(s: ExitItemSpec): ExitItem {
  return {
    ...s,
    status: 'waiting',
    confirmedAt: null,
    lastTip: null,
    firstTip: null,
    bumps: 0,
    emergency: false,
    child: null,
  };
}

/** The owner a fee coin of `item` is reserved under. */
export function feeOwner(r: ExitRecord, item: ExitItem): string {
  return `exit:${r.factoryId}:${item.id}`;
}

/**
 * The exit driver over one record. Stateless itself: every method mutates the record and returns
 * what to persist and broadcast.
 */
export class ExitDriver {
  readonly record: ExitRecord;
  readonly #byId = new Map<string, ExitItem>();

  constructor(record: ExitRecord) {
    this.record = record;
    for (const i of record.items) this.#byId.set(i.id, i);
  }

  item(id: string): ExitItem | undefined {
    return this.#byId.get(id);
  }

  /** The `ExitStarted` event of a new record. */
  started(height: number): ExitOutput {
    const out = newOutput();
    out.dirty = true;
    out.events.push({
      kind: 'ExitStarted',
      factoryId: this.record.factoryId,
      reason: this.record.reason,
      height,
      steps: this.record.items.filter((i) => i.broadcast !== false && i.external !== true).length,
    });
    return out;
  }

  /**
   * Turns the watched items `ids` (all of them when undefined; never an external one) into broadcast
   * ones: the LSP's `exit_factory`, or its exit of one channel, over a recovery under way.
   */
  publish(reason: ExitReason, ids?: ReadonlySet<string>): void {
    this.record.reason = reason;
    for (const [k, i] of this.record.items.entries())
      if (i.broadcast === false && i.external !== true && (ids === undefined || ids.has(i.id))) {
        const it: ExitItem = { ...i, broadcast: true };
        this.record.items[k] = it;
        this.#byId.set(it.id, it);
      }
    this.record.completed = false;
  }

  /** A block: confirmations, conflicts, then what became due (and re-bumps). */
  onBlock(
    ctx: ExitContext,
    block: { readonly height: number; readonly hash: string; readonly txids: ReadonlySet<string> },
  ): ExitOutput {
    const out = newOutput();
    for (const it of this.record.items) {
      if (it.status === 'confirmed') continue;
      const earlier = it.replaced?.find((t) => block.txids.has(t));
      if (!block.txids.has(it.txid) && earlier === undefined) continue;
      // An earlier version of a re-signed claim won: the item is that transaction.
      if (!block.txids.has(it.txid) && earlier !== undefined)
        (it as { -readonly [K in keyof ExitItem]: ExitItem[K] }).txid = earlier;
      it.status = 'confirmed';
      it.confirmedAt = { height: block.height, hash: block.hash };
      out.dirty = true;
      const base = this.#base(it);
      out.events.push({ kind: 'ExitStepConfirmed', ...base, height: block.height });
      if (it.amount !== undefined)
        out.events.push({ kind: 'ExitClaimed', ...base, height: block.height, amount: it.amount });
      for (const c of it.conflicts ?? []) {
        const other = this.#byId.get(c);
        if (other !== undefined && other.status !== 'confirmed')
          this.#lose(out, other, block.height, `${it.label} confirmed`);
      }
    }
    for (const it of this.record.items)
      if (it.refusedAt != null && block.height >= it.refusedAt + REFUSAL_GRACE) {
        if (it.status === 'broadcast') {
          const why = 'its re-broadcast was refused: an input is spent elsewhere';
          this.#lose(out, it, block.height, why);
          for (const c of it.conflicts ?? []) {
            const other = this.#byId.get(c);
            if (other !== undefined && other.status !== 'confirmed')
              this.#lose(out, other, block.height, why);
          }
        }
        it.refusedAt = null;
        out.dirty = true;
      }
    this.#due(ctx, out, block.height, true);
    this.#complete(out, block.height);
    return out;
  }

  /** A disconnected block: what it confirmed goes out again; children wait for their parents again. */
  onBlockDisconnected(ctx: ExitContext, height: number): ExitOutput {
    const out = newOutput();
    for (const it of this.record.items) {
      if (it.status === 'confirmed' && it.confirmedAt !== null && it.confirmedAt.height >= height) {
        it.status = it.broadcast === false || it.external === true ? 'waiting' : 'broadcast';
        it.confirmedAt = null;
        out.dirty = true;
      }
      // Lost to a spend the disconnected block held: it may go out again (if not, it is refused again).
      if (it.status === 'lost' && (it.lostAt ?? -1) >= height) {
        it.status = 'waiting';
        it.lostAt = null;
        out.dirty = true;
      }
    }
    if (out.dirty) this.record.completed = false;
    this.#due(ctx, out, height - 1, false);
    if (ctx.replaying !== true) this.resendAll(out);
    return out;
  }

  /** Everything in flight, again (after a restart or a reorganisation). */
  resendAll(out: ExitOutput = newOutput()): ExitOutput {
    for (const it of this.record.items)
      if (it.status === 'broadcast' && this.#parentHeight(it) !== null && !this.#queued(out, it))
        out.broadcasts.push(this.#package(it));
    return out;
  }

  /** A broadcast's result: an input spent elsewhere makes the item lost. */
  onBroadcastResult(
    txid: string,
    error: { readonly code: string; readonly reason: string } | undefined,
    height: number,
  ): ExitOutput {
    const out = newOutput();
    if (error === undefined) return out;
    const it = this.record.items.find((i) => i.txid === txid);
    if (it === undefined || it.status !== 'broadcast') return out;
    if (SPENT.test(error.reason) && this.#parentHeight(it) !== null) {
      // A re-broadcast refused: what went out before (or an earlier version of a claim) may be in a
      // block the role has not seen yet. Lost only if no block confirms it within the grace (it is
      // not sent again meanwhile).
      if (it.firstTip !== null && it.firstTip < height && it.refusedAt == null) {
        it.refusedAt = height;
        out.dirty = true;
        return out;
      }
      this.#lose(out, it, height, error.reason);
      for (const c of it.conflicts ?? []) {
        const other = this.#byId.get(c);
        if (other !== undefined && other.status !== 'confirmed') this.#lose(out, other, height, error.reason);
      }
      this.#complete(out, height);
    }
    return out;
  }

  /**
   * Replaces a claim by its re-signed version at a higher rate (same input, same output, a larger fee):
   * it goes out at the next block; the earlier versions still count if one of them confirms.
   */
  replaceClaim(id: string, next: Pick<ExitItemSpec, 'txid' | 'raw' | 'amount' | 'claim'>): void {
    const it = this.#byId.get(id);
    if (it === undefined || it.status === 'confirmed' || it.status === 'lost') return;
    it.replaced = [...(it.replaced ?? []), it.txid];
    const m = it as { -readonly [K in keyof ExitItem]: ExitItem[K] };
    m.txid = next.txid;
    m.raw = next.raw;
    if (next.amount !== undefined) m.amount = next.amount;
    if (next.claim !== undefined) m.claim = next.claim;
  }

  /**
   * Takes over what the role's watchtower already did for item `id` (`Watchtower.release`, see
   * `exit/takeOver.ts`): its parent confirmed at `parentAt` (the tower's trigger), the item itself
   * confirmed at `confirmedAt`, or its package in flight with the tower's CPFP `child` made at tip
   * `lastTip`. The item is then `broadcast` with that child as its previous one, so the driver's
   * next package (at the next block) outbids it through the shared anchor — one party per state.
   * The adopted child spends no coin of the role's wallet (recorded with a zero-value coin, never
   * reused). Returns whether the record changed.
   */
  adopt(
    id: string,
    o: {
      readonly parentAt?: { readonly height: number; readonly hash: string } | null;
      readonly confirmedAt?: { readonly height: number; readonly hash: string } | null;
      readonly child?: Omit<ExitChild, 'coin'> | null;
      readonly lastTip?: number | null;
    },
  ): boolean {
    const it = this.#byId.get(id);
    if (it === undefined || it.status === 'confirmed' || it.status === 'lost') return false;
    let changed = false;
    const parent = it.parent === null ? undefined : this.#byId.get(it.parent);
    if (parent !== undefined && parent.status !== 'confirmed' && o.parentAt != null) {
      parent.status = 'confirmed';
      parent.confirmedAt = { height: o.parentAt.height, hash: o.parentAt.hash };
      changed = true;
    }
    if (o.confirmedAt != null) {
      it.status = 'confirmed';
      it.confirmedAt = { height: o.confirmedAt.height, hash: o.confirmedAt.hash };
      return true;
    }
    if (o.child != null && o.lastTip != null) {
      it.child = { ...o.child, coin: { txid: o.child.txid, vout: 0, value: 0n, script: new Uint8Array() } };
      it.status = 'broadcast';
      it.lastTip = o.lastTip;
      it.firstTip ??= o.lastTip;
      changed = true;
    }
    return changed;
  }

  /**
   * Adds an item to the plan (a claim whose preimage was learned after the exit started): its parent
   * must be in the plan, its id new.
   */
  add(spec: ExitItemSpec): void {
    if (this.#byId.has(spec.id)) throw new InvalidArgumentError('spec.id', `duplicate item ${spec.id}`);
    if (spec.parent !== null && !this.#byId.has(spec.parent))
      throw new InvalidArgumentError('spec.parent', `no item ${spec.parent}`);
    const it = fresh(spec);
    this.record.items.push(it);
    this.#byId.set(it.id, it);
  }

  /** Between blocks: what is due at `tip` and not sent yet (an item added since the block) goes out. */
  onTick(ctx: ExitContext, tip: number): ExitOutput {
    const out = newOutput();
    this.#due(ctx, out, tip, false);
    return out;
  }

  /** Releases the fee coins of a finished exit. */
  release(wallet: Wallet | undefined): Op[] {
    if (wallet === undefined) return [];
    const ops: Op[] = [];
    for (const it of this.record.items)
      if (it.anchor !== null) ops.push(...wallet.release(feeOwner(this.record, it)));
    return ops;
  }

  // ---- internals ------------------------------------------------------------------------------

  #base(it: ExitItem) {
    return {
      factoryId: this.record.factoryId,
      step: it.id,
      stepKind: it.kind,
      label: it.label,
      txid: it.txid,
    };
  }

  #queued(out: ExitOutput, it: ExitItem): boolean {
    return out.broadcasts.some((b) => b.txid === it.txid);
  }

  /** Height at which the output the item spends confirmed, or null. */
  #parentHeight(it: ExitItem): number | null {
    if (it.parent === null) return it.parentHeight ?? null;
    const p = this.#byId.get(it.parent);
    return p !== undefined && p.status === 'confirmed' && p.confirmedAt !== null
      ? p.confirmedAt.height
      : null;
  }

  /** The first tip at which `it` is accepted, or null while its parent is unconfirmed. */
  dueTip(it: ExitItem): number | null {
    const h = this.#parentHeight(it);
    if (h === null) return null;
    return Math.max(h + Math.max(1, it.csv) - 1, it.locktime);
  }

  #lose(out: ExitOutput, it: ExitItem, height: number, reason: string): void {
    if (it.status === 'lost' || it.status === 'confirmed') return;
    it.status = 'lost';
    it.lostAt = height;
    out.dirty = true;
    // Journalled for what went out; an alternative that never did (the other side's commitment, a
    // claim on it) is just moot.
    if (it.firstTip !== null) out.events.push({ kind: 'ExitStepLost', ...this.#base(it), height, reason });
    for (const c of this.record.items)
      if (c.parent === it.id) this.#lose(out, c, height, `its parent ${it.label} is lost`);
  }

  #due(ctx: ExitContext, out: ExitOutput, tip: number, newBlock: boolean): void {
    for (const it of this.record.items) {
      if (it.status === 'confirmed' || it.status === 'lost') continue;
      if (it.broadcast === false || it.external === true || it.refusedAt != null) continue;
      const due = this.dueTip(it);
      if (due === null) {
        if (it.status === 'broadcast') {
          it.status = 'waiting'; // its parent lost its confirmation: wait for its locks again
          out.dirty = true;
        }
        continue;
      }
      if (it.emergencyAfter !== undefined && !it.emergency && tip >= due + it.emergencyAfter) {
        it.emergency = true;
        out.dirty = true;
      }
      if (tip < due || ctx.replaying === true) continue;
      if (it.status === 'waiting') this.#send(ctx, out, it, tip);
      else if (newBlock && (it.lastTip === null || tip > it.lastTip)) this.#send(ctx, out, it, tip);
    }
  }

  #send(ctx: ExitContext, out: ExitOutput, it: ExitItem, tip: number): void {
    const bump = it.status === 'broadcast';
    let feeRate = 0;
    if (it.anchor !== null && ctx.wallet !== undefined) {
      const previous = it.child?.feeRate;
      feeRate = nextFeeRate(ctx.policy, {
        estimate: it.emergency ? ctx.urgent : ctx.estimate,
        previous,
        emergency: it.emergency,
      });
      if (it.child === null || feeRate !== previous) {
        const made = this.#child(ctx, out, it, feeRate, tip);
        if (made !== null) it.child = made;
      }
      feeRate = it.child?.feeRate ?? 0;
    }
    if (bump) it.bumps++;
    it.status = 'broadcast';
    it.lastTip = tip;
    it.firstTip ??= tip;
    out.dirty = true;
    if (!this.#queued(out, it)) out.broadcasts.push(this.#package(it));
    out.events.push({
      kind: 'ExitStepBroadcast',
      ...this.#base(it),
      height: tip,
      ...(it.child === null ? {} : { childTxid: it.child.txid }),
      feeRate,
      bump: it.bumps,
      emergency: it.emergency,
    });
  }

  #package(it: ExitItem): ExitBroadcast {
    return it.child === null
      ? { raw: it.raw, txid: it.txid, label: `exit ${it.label}` }
      : { raw: it.raw, txid: it.txid, label: `exit ${it.label}`, child: it.child.raw };
  }

  /**
   * Builds, signs and records the next CPFP child of `it` (null: no fee coin large enough, or the child
   * was conflicted at creation — its anchor spent in a block: the current child stays, the next block
   * picks again).
   */
  #child(ctx: ExitContext, out: ExitOutput, it: ExitItem, feeRate: number, tip: number): ExitChild | null {
    const anchor = it.anchor as NonNullable<ExitItem['anchor']>;
    const made = fundCpfpChild({
      wallet: ctx.wallet as Wallet,
      parent: {
        txid: it.txid,
        anchorVout: anchor.vout,
        anchorValue: anchor.value,
        fee: anchor.fee,
        vsize: anchor.vsize,
      },
      changeScript: this.record.changeScript,
      previous: it.child,
      owner: feeOwner(this.record, it),
      feeRate,
      tip,
    });
    out.ops.push(...made.ops);
    if (this.record.changeScript === null) {
      this.record.changeScript = made.changeScript;
      out.dirty = true;
    }
    return made.ok ? made.child : null;
  }

  #complete(out: ExitOutput, height: number): void {
    if (this.record.completed) return;
    if (!this.record.items.every((i) => i.status === 'confirmed' || i.status === 'lost')) return;
    // An HTLC output its preimage may still claim, on a commitment not lost, before its expiry.
    if (
      this.record.awaiting?.some((a) => this.#byId.get(a.parent)?.status !== 'lost' && height < a.cltvExpiry)
    )
      return;
    this.record.completed = true;
    out.dirty = true;
    const claimed = this.record.items.reduce(
      (a, i) => (i.status === 'confirmed' && i.amount !== undefined ? a + i.amount : a),
      0n,
    );
    out.events.push({
      kind: 'ExitCompleted',
      factoryId: this.record.factoryId,
      height,
      claimed,
      confirmed: this.record.items.filter((i) => i.status === 'confirmed').length,
      lost: this.record.items.filter((i) => i.status === 'lost' && i.firstTip !== null).length,
    });
  }
}
