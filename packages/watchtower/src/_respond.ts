/**
 * @internal What the tower does with the responses of its active triggers within one input: record a
 * confirmation or a conflicting spend, fill in a poison's secret, broadcast what is due, re-bump or
 * re-send what is pending, forget what is settled. Everything an input changes is collected in a
 * {@link Step}: the persist operations, the triggers whose record changed, the broadcasts and the
 * events, turned into the input's actions at the end.
 *
 * @module
 */
import type { Op } from '@superscalar/persist';
import { decodeTx } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';
import { completePoison } from './_activate.js';
import { nextChild, ownerOf } from './_cpfp.js';
import { type ActiveTrigger, activeBlob, activeKey, deleteBlob, type ResponseState } from './_records.js';
import { towerEventOp } from './journal.js';
import { type FeePolicy, nextFeeRate } from './policy.js';
import type { FeeRates, ResponseRef, TowerAction, TowerEvent } from './types.js';

/** @internal A trigger and one of its responses. */
export type Pair = readonly [ActiveTrigger, ResponseState];

/** @internal What the tower holds that responses need. */
export interface Context {
  readonly towerId: string;
  /** Add each event's journal record to the persist (`WatchtowerOptions.journal`). */
  readonly journal: boolean;
  /** Responses (`<trigger>:<index>`) released but not durably yet: never sent, their trigger not written. */
  readonly held: ReadonlySet<string>;
  /** Triggers to write at this step (drained by it). */
  readonly dirtyLater: Set<string>;
  readonly wallet: Wallet;
  readonly policy: FeePolicy;
  readonly active: Map<string, ActiveTrigger>;
}

/** @internal */
export function ref(t: ActiveTrigger, r: ResponseState): ResponseRef {
  return { triggerTxid: t.triggerTxid, responseIndex: r.index, kind: r.kind, txid: r.txid };
}

/** @internal The changes of one input. */
export class Step {
  readonly ops: Op[] = [];
  readonly dirty = new Set<string>();
  readonly sends: TowerAction[] = [];
  readonly events: TowerEvent[] = [];

  constructor(readonly ctx: Context) {
    for (const id of ctx.dirtyLater) this.dirty.add(id);
    ctx.dirtyLater.clear();
  }

  /** Whether a response of `t` is held (released, the owner's update not durable yet). */
  holds(t: ActiveTrigger, r?: ResponseState): boolean {
    const h = this.ctx.held;
    if (h.size === 0) return false;
    if (r !== undefined) return h.has(`${t.triggerTxid}:${r.index}`);
    return t.responses.some((x) => h.has(`${t.triggerTxid}:${x.index}`));
  }

  /** Drops an active trigger and its record, releasing its fee-coin reservations. */
  forget(t: ActiveTrigger): void {
    this.ctx.active.delete(t.triggerTxid);
    this.dirty.delete(t.triggerTxid);
    this.ops.push(deleteBlob(activeKey(this.ctx.towerId, t.triggerTxid)));
    for (const r of t.responses) this.ops.push(...this.ctx.wallet.release(ownerOf(t.triggerTxid, r.index)));
  }

  /** The input's actions: one persist (changed records included), the broadcasts, the events. */
  actions(): TowerAction[] {
    for (const id of this.dirty) {
      const t = this.ctx.active.get(id);
      if (t === undefined) continue;
      // A held trigger's record is the owner's to write (with the release); written after it.
      if (this.holds(t)) this.ctx.dirtyLater.add(id);
      else this.ops.push(activeBlob(this.ctx.towerId, t));
    }
    if (this.ctx.journal) for (const event of this.events) this.ops.push(towerEventOp(event));
    const out: TowerAction[] = [];
    if (this.ops.length > 0) out.push({ kind: 'persist', ops: this.ops });
    out.push(...this.sends);
    for (const event of this.events) out.push({ kind: 'emit', event });
    return out;
  }
}

/** @internal Outpoints the open responses spend, and the open responses by txid. */
export function openOutpoints(active: ReadonlyMap<string, ActiveTrigger>): {
  spent: Map<string, Pair>;
  byTxid: Map<string, Pair>;
} {
  const spent = new Map<string, Pair>();
  const byTxid = new Map<string, Pair>();
  for (const t of active.values())
    for (const r of t.responses) {
      if (r.status === 'confirmed' || r.status === 'lost' || r.status === 'invalid') continue;
      if (r.status === 'released') continue;
      byTxid.set(r.txid, [t, r]);
      for (const v of r.vouts) spent.set(`${t.triggerTxid}:${v}`, [t, r]);
    }
  return { spent, byTxid };
}

/** @internal The response confirmed in `block`. */
export function confirm(step: Step, [t, r]: Pair, block: { height: number; hash: string }): void {
  r.before = r.status;
  r.status = 'confirmed';
  r.at = { height: block.height, hash: block.hash };
  step.dirty.add(t.triggerTxid);
  step.events.push({ ...ref(t, r), type: 'response_confirmed', height: block.height });
}

/** @internal `spentBy`, confirmed in `block`, spends an input of the response: it can never confirm. */
export function lose(
  step: Step,
  [t, r]: Pair,
  spentBy: string,
  block: { height: number; hash: string },
): void {
  if (r.status === 'lost' || r.status === 'confirmed' || r.txid === spentBy) return;
  r.before = r.status;
  r.status = 'lost';
  r.at = { height: block.height, hash: block.hash };
  r.spentBy = spentBy;
  step.dirty.add(t.triggerTxid);
  step.events.push({ ...ref(t, r), type: 'response_lost', spentBy, height: block.height });
}

/** @internal Completes the poisons waiting for a secret among `secrets` (by hash). */
export function fillSecrets(step: Step, secrets: ReadonlyMap<string, Uint8Array>): void {
  if (secrets.size === 0) return;
  for (const t of step.ctx.active.values())
    for (const r of t.responses) {
      if (r.status !== 'no-secret' || r.poisonHash === null) continue;
      const s = secrets.get(r.poisonHash);
      if (s === undefined) continue;
      r.raw = completePoison(decodeTx(r.raw), s);
      r.status = 'waiting';
      step.dirty.add(t.triggerTxid);
    }
}

/** @internal Broadcasts what is due at `tip`, re-bumps what is pending (on a new block) or re-sends it. */
export function due(step: Step, tip: number, rates: FeeRates, newBlock: boolean): void {
  const { policy } = step.ctx;
  for (const t of step.ctx.active.values())
    for (const r of t.responses) {
      if (r.status !== 'waiting' && r.status !== 'broadcast') continue;
      if (step.holds(t, r)) continue;
      if (r.kind === 'stale-state' && t.dwStep !== null && !r.emergency) {
        if (tip >= r.dueTip + t.dwStep - policy.emergencyMargin) {
          r.emergency = true;
          step.dirty.add(t.triggerTxid);
          step.events.push({ ...ref(t, r), type: 'emergency', deadline: r.dueTip + t.dwStep });
        }
      }
      if (r.status === 'waiting') {
        if (tip >= r.dueTip) send(step, t, r, tip, rates);
      } else if (newBlock && (r.lastTip === null || tip > r.lastTip)) send(step, t, r, tip, rates);
      else if (!newBlock) resend(step, t, r);
    }
}

/** @internal A new package for `r`: its first, or a re-bump (a child at a higher rate). */
function send(step: Step, t: ActiveTrigger, r: ResponseState, tip: number, rates: FeeRates): void {
  const { wallet, policy } = step.ctx;
  const previous = r.child?.feeRate;
  const feeRate = nextFeeRate(policy, {
    estimate: r.emergency ? rates.urgent : rates.cpfp,
    previous,
    emergency: r.emergency,
  });
  const bump = r.status === 'broadcast';
  if (r.child === null || feeRate !== previous) {
    const made = nextChild({ wallet, r, owner: ownerOf(t.triggerTxid, r.index), feeRate, tip });
    step.ops.push(...made.ops);
    if (made.ok) r.child = made.child;
    // A child conflicted at creation (its anchor spent in a block) is not sent; the next block picks again.
    else if ('conflictedBy' in made) {
      step.dirty.add(t.triggerTxid);
      return;
    } else step.events.push({ ...ref(t, r), type: 'fee_coins_exhausted', needed: made.needed });
  }
  if (bump) r.bumps++;
  r.status = 'broadcast';
  r.lastTip = tip;
  step.dirty.add(t.triggerTxid);
  resend(step, t, r);
  step.events.push({
    ...ref(t, r),
    type: 'response_broadcast',
    childTxid: r.child?.txid,
    feeRate: r.child?.feeRate ?? 0,
    bump: r.bumps,
    emergency: r.emergency,
  });
}

/** @internal Submits `r`'s current package again (no state change). */
export function resend(step: Step, t: ActiveTrigger, r: ResponseState): void {
  const id = `${t.triggerTxid}:${r.index}`;
  step.sends.push(
    r.child === null
      ? { kind: 'broadcast', id, parent: r.raw }
      : { kind: 'broadcast', id, parent: r.raw, child: r.child.raw },
  );
}

/** @internal Forgets triggers whose every response is settled `finalityDepth` blocks deep. */
export function cleanup(step: Step, tip: number): void {
  const depth = step.ctx.policy.finalityDepth;
  for (const t of [...step.ctx.active.values()]) {
    if (step.holds(t)) continue;
    const settled = t.responses.every(
      (r) =>
        r.status === 'released' ||
        ((r.status === 'confirmed' || r.status === 'lost') &&
          r.at !== null &&
          r.at.height <= tip - depth + 1),
    );
    if (settled) step.forget(t);
  }
}
