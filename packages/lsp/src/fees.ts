/**
 * Commitment fee updates (brief §7 "Fee", issue 22): the LSP is the funder, so it alone sends
 * `update_fee` (BOLT 2). On every `fee_rates` input (and on every tick, for channels that were busy,
 * disconnected or not yet reestablished) it proposes, per channel, the estimator's `commitment` rate
 * clamped to the policy's `minCommitFeeRate`..`maxCommitFeeRate` (and floored at 1,000), when it is
 * at least `feeUpdateHysteresisPercent` away from the channel's latest rate. The update is committed
 * like any other (it joins the channel's batch).
 *
 * **Affordability** (brief §7): poon-dryja refuses an `update_fee` that would leave the LSP below
 * `reserve + fee + 240` or push the dust exposure over its bound. The LSP then clamps: it looks for
 * the rate nearest the target that the channel accepts (bisection between the current rate and the
 * target); when no such rate is at least the hysteresis away from the current one it skips, with a
 * `FeeUpdateSkipped` event (once per channel and target).
 *
 * **A refusal** (decision, issue 22): a client whose policy refuses the rate answers as BOLT 2 says
 * for an unreasonable `update_fee` — a `warning` naming the channel (`update_fee refused: <rate>
 * sat/kvB …`) and the connection ends (the LSP closes it on the warning; the client, which ignores
 * the channel's messages meanwhile, closes it at its next tick otherwise). The LSP journals
 * `FeeUpdateRefused` and does not
 * propose that rate to that channel again until the estimate yields another one. On reconnection
 * BOLT 2's rules settle the update: if the LSP had not yet sent the `commitment_signed` covering it,
 * both sides forget it (uncommitted updates do not survive a disconnection) and the channel stays at
 * its rate; if it had, BOLT 2 obliges the LSP to retransmit it — the client accepts that one
 * retransmission (refusing it again could only end in a force close: the channel would be stuck) and
 * the LSP, seeing the refused rate in the channel after the reconnection, at once proposes the rate the
 * client last accepted back. Either way the channel keeps paying; no commitment is ever "un-signed".
 * Refusals live in memory: after a restart the LSP may propose a refused rate once more.
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import { type Channel, FeeUpdateRejectedError } from '@superscalar/poon-dryja';
import type { Warning } from '@superscalar/wire';
import type { ChannelSlot, LspCore, LspFactory } from './_core.js';
import type { PeerId } from './io.js';

/** The text a client's refusal `warning` starts with (then the rate, in sat/kvB). */
export const FEE_REFUSAL_PREFIX = 'update_fee refused: ';

interface FeeState {
  /** Channel id → the rate its client refused (not proposed again while the target is the same). */
  readonly refused: Map<string, number>;
  /** Channel id → the rate to restore if the refused one was committed before the refusal arrived. */
  readonly restore: Map<string, { readonly refused: number; readonly to: number }>;
  /** Channel id → the target last reported as skipped (one event per target). */
  readonly skipped: Map<string, number>;
}

const states = new WeakMap<LspCore, FeeState>();

function stateOf(core: LspCore): FeeState {
  let s = states.get(core);
  if (s === undefined) {
    s = { refused: new Map(), restore: new Map(), skipped: new Map() };
    states.set(core, s);
  }
  return s;
}

/** The commitment fee rate the estimate asks for, within the policy's bounds (sat/kvB). */
export function targetFeeRate(core: LspCore, estimate: number): number {
  const p = core.policy;
  return Math.min(p.maxCommitFeeRate, Math.max(p.minCommitFeeRate, 1000, Math.round(estimate)));
}

function farEnough(core: LspCore, from: number, to: number): boolean {
  return Math.abs(to - from) * 100 >= core.policy.feeUpdateHysteresisPercent * from && to !== from;
}

function* openChannels(core: LspCore): Generator<{ f: LspFactory; slot: ChannelSlot; ch: Channel }> {
  for (const f of core.factories.values()) {
    if (f.phase !== 'funded' && f.phase !== 'open') continue;
    for (const slot of f.channels) {
      const ch = slot.channel;
      if (ch === null || ch.phase !== 'normal') continue;
      if (!core.connected.has(f.participants[slot.clientIndex] as string)) continue;
      yield { f, slot, ch };
    }
  }
}

type Drive = (
  core: LspCore,
  f: LspFactory,
  slot: ChannelSlot,
  input: { type: 'update_fee'; feeRate: number },
) => void;

type At = { readonly f: LspFactory; readonly slot: ChannelSlot; readonly ch: Channel };

/** Whether the channel would take `update_fee` at `rate` now (its own rules, nothing changes). */
function affordable(at: At, rate: number): boolean {
  try {
    at.ch.checkFeeUpdate(rate);
    return true;
  } catch (e) {
    if (FeeUpdateRejectedError.isInstance(e)) return false;
    throw e;
  }
}

/** Feeds `update_fee` at `rate`: true when the channel took it. */
function propose(core: LspCore, at: At, rate: number, drive: Drive): boolean {
  drive(core, at.f, at.slot, { type: 'update_fee', feeRate: rate });
  if (at.ch.latestFeeRate !== rate) return false;
  if (!core.forwards.dirty.has(at.slot.idHex)) core.forwards.dirty.set(at.slot.idHex, core.now);
  return true;
}

/**
 * Proposes the estimate's rate to every open channel whose rate is far enough from it (after a
 * `fee_rates` input, and on every tick). Restores a refused rate that was committed.
 */
export function proposeFees(core: LspCore, drive: Drive): void {
  const st = stateOf(core);
  const rates = core.feeRates;
  for (const at of openChannels(core)) {
    const { ch } = at;
    const id = at.slot.idHex;
    if (!ch.isReestablished) continue;
    const current = ch.latestFeeRate;
    const back = st.restore.get(id);
    if (back !== undefined) {
      // After the reconnection the refusal caused: the refused rate survived only if it was signed.
      if (current !== back.refused || back.to === back.refused) st.restore.delete(id);
      else if (affordable(at, back.to) && propose(core, at, back.to, drive)) {
        st.restore.delete(id);
        core.log('info', 'refused fee rate restored', { channelId: id, feeRate: back.to });
        core.event({
          kind: 'FeeUpdateProposed',
          channelId: id,
          feeRate: back.to,
          previous: current,
          target: back.to,
        });
      }
      continue;
    }
    if (rates === null) continue;
    const target = targetFeeRate(core, rates.commitment);
    if (!farEnough(core, current, target) || st.refused.get(id) === target) continue;
    st.refused.delete(id);
    let rate = target;
    if (!affordable(at, target)) {
      // Clamp: the rate nearest the target the channel can afford (bisection towards the current one).
      let ok = current;
      let bad = target;
      while (Math.abs(bad - ok) > 1) {
        const mid = Math.round((ok + bad) / 2);
        if (affordable(at, mid)) ok = mid;
        else bad = mid;
      }
      rate = ok;
      if (!farEnough(core, current, rate) || !affordable(at, rate)) {
        if (st.skipped.get(id) !== target) {
          st.skipped.set(id, target);
          core.log('info', 'fee update skipped: unaffordable', { channelId: id, target });
          core.event({ kind: 'FeeUpdateSkipped', channelId: id, feeRate: target, reason: 'affordability' });
        }
        continue;
      }
    }
    if (!propose(core, at, rate, drive)) continue;
    st.skipped.delete(id);
    core.log('info', 'update_fee proposed', { channelId: id, feeRate: rate, previous: current });
    core.event({ kind: 'FeeUpdateProposed', channelId: id, feeRate: rate, previous: current, target });
  }
}

/**
 * A client's `warning`: when it is a fee refusal naming one of the peer's channels, journal
 * `FeeUpdateRefused` and remember the rate (the client closes the connection next).
 */
export function onFeeWarning(core: LspCore, peer: PeerId, m: Warning): boolean {
  if (m.channelId === undefined || !m.text.startsWith(FEE_REFUSAL_PREFIX)) return false;
  const id = toHex(m.channelId);
  const at = core.channelIndex.get(id);
  if (at === undefined || at.f.participants[at.client] !== peer) return false;
  const rate = Number.parseInt(m.text.slice(FEE_REFUSAL_PREFIX.length), 10);
  const ch = (at.f.channels[at.client] as ChannelSlot).channel;
  if (!Number.isInteger(rate) || ch === null) return false;
  const st = stateOf(core);
  st.refused.set(id, rate);
  // Restore the rate the client last signed both ways if the refused one turns out committed.
  st.restore.set(id, { refused: rate, to: ch.localSpec?.feeRate ?? rate });
  core.log('info', 'fee update refused by the client', { channelId: id, feeRate: rate, text: m.text });
  core.event({ kind: 'FeeUpdateRefused', channelId: id, peer, feeRate: rate, text: m.text });
  // End the connection: both sides forget the update if it is still uncommitted (BOLT 2).
  core.disconnectPeer(peer, 'update_fee refused by the client');
  return true;
}
