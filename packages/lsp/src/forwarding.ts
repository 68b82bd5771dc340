/**
 * Forwarding (brief §7, issue 22): an HTLC irrevocably received from a client with a hop payload is
 * forwarded to the channel its `short_channel_id` names (the SCID alias of a channel, in any of the
 * LSP's factories), after checking the fee (the LSP's routing terms), the CLTV delta (the outgoing
 * channel's `minCltvExpiryDelta`), the outgoing channel (open, not dying) and the amount. A fulfil
 * downstream settles upstream with the preimage (`PaymentForwarded { feeMsat }`); a failure
 * downstream — or a forward still not added downstream after `forwardTimeoutMs` — fails upstream with
 * a BOLT 4 reason (flaw 4: the C LSP drops failures).
 *
 * **Crash safety.** The forwarding record (incoming ↔ outgoing) is written in the same store update
 * as the incoming channel's state that makes the HTLC irrevocable (the channel's persist and the
 * record merge: nothing is sent in between); records still `pending` are forwarded on the next tick
 * after a restart. An `offered` record stores the outgoing HTLC's id (`outId`, persisted before the
 * channel state that signs the add), so a restart maps the payee's fulfil or fail back to the right
 * forward even when two payers pay one payment hash; only records written before the id was stored
 * fall back to matching by payment hash. An `offered` record whose HTLC the outgoing channel no longer
 * holds (a disconnection or a restart reverted the add, or the id went to another add) is added
 * again, and a `fulfilled`/`failed` record is re-applied upstream until the incoming HTLC is gone.
 *
 * **Caps** (BOLT 4 codes): an amount below `htlcMinimumMsat` → `amount_below_minimum`; above
 * `htlcMaximumMsat`, or pushing the LSP's HTLCs in flight on the outgoing channel above
 * `maxHtlcValueInFlightMsat`, or refused by the outgoing channel's own rules (114 untrimmed HTLCs per
 * direction, affordability, dust exposure, capacity) → `temporary_channel_failure`, at once.
 *
 * **Batching.** Updates mark their channel; each marked channel gets one `commit` at the end of the
 * `handle` call (or, with `batchWindowMs` > 0, at the first tick that far after the first update), so
 * the updates of one input — or of one window — share one `commitment_signed`.
 *
 * Failure reasons are BOLT 4 `failuremsg`s in the clear: a big-endian u16 `failure_code`, then data.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex } from '@superscalar/core';
import type { BlobRecord, Op } from '@superscalar/persist';
import { type Channel, type ChannelInput, maxCltvExpiry, minCltvExpiryDelta } from '@superscalar/poon-dryja';
import {
  type ChannelMessage,
  decodeHopPayload,
  encodeHopPayload,
  type HopPayload,
  NEXT_HOP_PAYLOAD_TYPE,
  scidAliasOf,
} from '@superscalar/wire';
import type { ChannelSlot, LspCore, LspFactory } from './_core.js';

/** BOLT 4 failure codes the LSP sends. */
export const ForwardFailure = {
  INVALID_ONION_PAYLOAD: 0x4016,
  UNKNOWN_NEXT_PEER: 0x400a,
  TEMPORARY_CHANNEL_FAILURE: 0x1007,
  PERMANENT_CHANNEL_FAILURE: 0x4008,
  FEE_INSUFFICIENT: 0x100c,
  INCORRECT_CLTV_EXPIRY: 0x100d,
  AMOUNT_BELOW_MINIMUM: 0x100b,
} as const;

/**
 * A BOLT 4 `failuremsg`: the code, then its data. Codes with the UPDATE flag end with an empty
 * `channel_update` (`u16` length 0: no gossip here); `amount_below_minimum` and `fee_insufficient` carry
 * the HTLC's amount first, `incorrect_cltv_expiry` its `cltv_expiry`.
 */
function failure(code: number, detail?: { amountMsat?: bigint; cltvExpiry?: number }): Uint8Array {
  const head = Uint8Array.of(code >> 8, code & 0xff);
  if ((code & 0x1000) === 0) return head;
  const body =
    code === ForwardFailure.AMOUNT_BELOW_MINIMUM || code === ForwardFailure.FEE_INSUFFICIENT
      ? new Uint8Array(8)
      : code === ForwardFailure.INCORRECT_CLTV_EXPIRY
        ? new Uint8Array(4)
        : new Uint8Array(0);
  const v = new DataView(body.buffer);
  if (body.length === 8) v.setBigUint64(0, detail?.amountMsat ?? 0n);
  if (body.length === 4) v.setUint32(0, detail?.cltvExpiry ?? 0);
  const out = new Uint8Array(2 + body.length + 2);
  out.set(head, 0);
  out.set(body, 2);
  return out; // the trailing u16 channel_update length stays 0
}

type State = 'pending' | 'offered' | 'fulfilled' | 'failed';

/** One forward: the incoming HTLC and what became of it downstream. */
interface Forward {
  readonly key: string;
  readonly inChannel: string;
  readonly inId: bigint;
  readonly inAmount: bigint;
  readonly paymentHash: string;
  readonly outChannel: string;
  readonly outAmount: bigint;
  readonly outCltv: number;
  readonly hop: Uint8Array;
  readonly createdAt: number;
  state: State;
  /** The outgoing HTLC's id once added (absent in records written before ids were stored). */
  outId?: bigint;
  preimage?: string;
  reason?: string;
}

const PREFIX = 'lsp/fwd/';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** The LSP's forwarding state (memory; records in the store). */
export class LspForwards {
  readonly byKey = new Map<string, Forward>();
  /** SCID alias (hex) → channel id (hex); `null` when two channels share one (never forwarded to). */
  readonly aliases = new Map<string, string | null>();
  /** Outgoing channel → our HTLC id → forward key. */
  readonly outIds = new Map<string, Map<bigint, string>>();
  /** Channels with updates to commit, and since when (ms). */
  readonly dirty = new Map<string, number>();
  /** The forward whose outgoing add is being driven (maps the `htlc_offered` id). */
  offering: string | null = null;
  /** @internal The last error a channel refused a local input with (set by the channel driver). */
  lastRefusal: unknown = null;
}

function put(f: Forward): Op {
  const json = JSON.stringify({ ...f, hop: toHex(f.hop) }, (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
  return {
    op: 'put',
    table: 'blobs',
    row: { key: PREFIX + f.key, version: 1, data: enc.encode(json), secret: false },
  };
}

function del(f: Forward): Op {
  return { op: 'delete', table: 'blobs', key: { key: PREFIX + f.key } };
}

/** Adds a channel's SCID alias to the index (aliases must be distinct: a clash disables both). */
export function indexAlias(core: LspCore, channelIdHex: string): void {
  const a = toHex(scidAliasOf(fromHex(channelIdHex)));
  const had = core.forwards.aliases.get(a);
  if (had === undefined) core.forwards.aliases.set(a, channelIdHex);
  else if (had !== channelIdHex) {
    core.forwards.aliases.set(a, null);
    core.log('error', 'SCID alias clash: neither channel is forwarded to', { alias: a });
  }
}

/** Rebuilds forwards from the store's blobs. */
export function restoreForwards(core: LspCore, blobs: Iterable<BlobRecord>): void {
  for (const b of blobs) {
    if (!b.key.startsWith(PREFIX)) continue;
    const o = JSON.parse(dec.decode(b.data));
    const f: Forward = {
      ...o,
      inId: BigInt(o.inId),
      inAmount: BigInt(o.inAmount),
      outAmount: BigInt(o.outAmount),
      hop: fromHex(o.hop),
      ...(o.outId === undefined ? {} : { outId: BigInt(o.outId) }),
    };
    core.forwards.byKey.set(f.key, f);
    // Map the outgoing id back now: the payee's fulfil may come before the first tick.
    if (f.state === 'offered' && f.outId !== undefined) claimOutId(core, f);
  }
}

/**
 * Maps `f.outId` to `f` when the outgoing channel holds an HTLC of ours with that id and `f`'s payment
 * hash and no other forward has it; false when it does not (the add was reverted, or the id reused).
 */
function claimOutId(core: LspCore, f: Forward): boolean {
  const fw = core.forwards;
  if (f.outId === undefined) return false;
  const m = fw.outIds.get(f.outChannel) ?? new Map<bigint, string>();
  fw.outIds.set(f.outChannel, m);
  const owner = m.get(f.outId);
  if (owner !== undefined && owner !== f.key) return false;
  const ch = slotOf(core, f.outChannel)?.slot.channel;
  const held = ch?.htlcs(ch.role).some((h) => h.id === f.outId && toHex(h.paymentHash) === f.paymentHash);
  if (held !== true) {
    if (owner === f.key) m.delete(f.outId);
    return false;
  }
  m.set(f.outId, f.key);
  return true;
}

function slotOf(core: LspCore, idHex: string): { f: LspFactory; slot: ChannelSlot } | undefined {
  const at = core.channelIndex.get(idHex);
  if (at === undefined) return undefined;
  return { f: at.f, slot: at.f.channels[at.client] as ChannelSlot };
}

function deadlines(ch: Channel) {
  const s = ch.state;
  return {
    delta: minCltvExpiryDelta({
      exitDelay: s.policy.exitDelay,
      toSelfDelay: s.config.toSelfDelay,
      htlcBudget: s.policy.htlcBudget,
    }),
    max: maxCltvExpiry({
      exitDelay: s.policy.exitDelay,
      pathTxs: s.policy.pathTxs,
      exitMargin: s.policy.exitMargin,
      channelTimeout: s.config.channelTimeout,
    }),
    dyingHeight: s.policy.dyingHeight,
  };
}

type Drive = (core: LspCore, f: LspFactory, slot: ChannelSlot, input: ChannelInput) => void;

type PaymentEvent =
  | { type: 'htlc_offered'; id: bigint; paymentHash: Uint8Array }
  | {
      type: 'htlc_received';
      id: bigint;
      amountMsat: bigint;
      paymentHash: Uint8Array;
      cltvExpiry: number;
      onion: Uint8Array;
    }
  | { type: 'htlc_fulfilled'; id: bigint; preimage: Uint8Array }
  | { type: 'htlc_failed'; id: bigint; reason: Uint8Array };

/**
 * A payment event of channel `slot`: persists the decision (no channel work here) and returns the
 * work to do after the channel's batch: inputs for channels, by channel id.
 */
export function onForwardEvent(core: LspCore, slot: ChannelSlot, e: PaymentEvent): (() => void)[] {
  const fw = core.forwards;
  switch (e.type) {
    case 'htlc_offered': {
      if (fw.offering === null) return [];
      const m = fw.outIds.get(slot.idHex) ?? new Map<bigint, string>();
      fw.outIds.set(slot.idHex, m);
      m.set(e.id, fw.offering);
      const f = fw.byKey.get(fw.offering);
      if (f !== undefined) f.outId = e.id; // persisted by tryForward, before the commit signs the add
      return [];
    }
    case 'htlc_fulfilled': {
      const hash = toHex(sha256(e.preimage));
      const out: (() => void)[] = [];
      // The forward of this outgoing HTLC id (two forwards may share a payment hash: only the one the
      // payee fulfilled is settled upstream); by hash only for records written before ids were stored.
      const key = fw.outIds.get(slot.idHex)?.get(e.id);
      const matches =
        key !== undefined
          ? [fw.byKey.get(key)]
          : [...fw.byKey.values()]
              .filter(
                (f) =>
                  f.outChannel === slot.idHex &&
                  f.paymentHash === hash &&
                  f.state === 'offered' &&
                  f.outId === undefined,
              )
              .slice(0, 1);
      for (const f of matches) {
        if (f === undefined || f.paymentHash !== hash || f.state !== 'offered') continue;
        f.state = 'fulfilled';
        f.preimage = toHex(e.preimage);
        core.persist([put(f)]);
        core.event({
          kind: 'PaymentForwarded',
          paymentHash: hash,
          inChannel: f.inChannel,
          outChannel: f.outChannel,
          amountMsat: f.outAmount,
          feeMsat: f.inAmount - f.outAmount,
        });
        out.push(() => settleUpstream(core, f));
      }
      return out;
    }
    case 'htlc_failed': {
      const key = fw.outIds.get(slot.idHex)?.get(e.id);
      const f = key === undefined ? undefined : fw.byKey.get(key);
      if (f === undefined || f.state !== 'offered') return [];
      f.state = 'failed';
      f.reason = toHex(e.reason);
      core.persist([put(f)]);
      return [() => settleUpstream(core, f)];
    }
    case 'htlc_received':
      return receive(core, slot, e);
  }
}

function receive(
  core: LspCore,
  slot: ChannelSlot,
  e: { id: bigint; amountMsat: bigint; paymentHash: Uint8Array; cltvExpiry: number; onion: Uint8Array },
): (() => void)[] {
  const failIn = (code: number, why: string, detail?: { amountMsat?: bigint; cltvExpiry?: number }) => {
    core.log('info', 'forward refused', { channelId: slot.idHex, htlcId: e.id.toString(), code, why });
    return [() => act(core, slot.idHex, { type: 'fail_htlc', id: e.id, reason: failure(code, detail) })];
  };
  let hop: HopPayload;
  try {
    hop = decodeHopPayload(e.onion);
  } catch {
    return failIn(ForwardFailure.INVALID_ONION_PAYLOAD, 'no hop payload');
  }
  const next = hop.unknownRecords?.find((r) => r.type === NEXT_HOP_PAYLOAD_TYPE)?.value;
  if (hop.shortChannelId === undefined || next === undefined)
    return failIn(ForwardFailure.INVALID_ONION_PAYLOAD, 'not a forward');
  let payee: HopPayload;
  try {
    payee = decodeHopPayload(next);
  } catch {
    return failIn(ForwardFailure.INVALID_ONION_PAYLOAD, 'bad next-hop payload');
  }
  const outId = core.forwards.aliases.get(toHex(hop.shortChannelId));
  const out = outId == null ? undefined : slotOf(core, outId);
  const ch = out?.slot.channel;
  if (out === undefined || ch == null || outId === slot.idHex)
    return failIn(ForwardFailure.UNKNOWN_NEXT_PEER, 'unknown SCID alias');
  const p = core.policy;
  if (hop.amtToForward < 1n || hop.amtToForward < p.htlcMinimumMsat)
    return failIn(ForwardFailure.AMOUNT_BELOW_MINIMUM, 'below htlc_minimum_msat', {
      amountMsat: hop.amtToForward,
    });
  const fee = BigInt(p.feeBaseMsat) + (hop.amtToForward * BigInt(p.feeProportionalMillionths)) / 1_000_000n;
  if (e.amountMsat - fee < hop.amtToForward)
    return failIn(ForwardFailure.FEE_INSUFFICIENT, 'fee', { amountMsat: e.amountMsat });
  const d = deadlines(ch);
  if (e.cltvExpiry - hop.outgoingCltvValue < d.delta)
    return failIn(ForwardFailure.INCORRECT_CLTV_EXPIRY, 'cltv delta', { cltvExpiry: e.cltvExpiry });
  const tip = core.tipHeight ?? 0;
  if (ch.phase !== 'normal' || tip >= d.dyingHeight || hop.outgoingCltvValue > d.max)
    return failIn(
      ForwardFailure.PERMANENT_CHANNEL_FAILURE,
      'outgoing channel closed, dying or past its window',
    );
  if (p.htlcMaximumMsat !== undefined && hop.amtToForward > p.htlcMaximumMsat)
    return failIn(ForwardFailure.TEMPORARY_CHANNEL_FAILURE, 'above htlc_maximum_msat');
  if (p.maxHtlcValueInFlightMsat !== undefined) {
    // Ours in flight on the outgoing channel, with the forwards to it not added yet.
    let inFlight = hop.amtToForward;
    for (const h of ch.htlcs(ch.role)) inFlight += h.amountMsat;
    for (const g of core.forwards.byKey.values())
      if (g.outChannel === outId && g.state === 'pending') inFlight += g.outAmount;
    if (inFlight > p.maxHtlcValueInFlightMsat)
      return failIn(ForwardFailure.TEMPORARY_CHANNEL_FAILURE, 'above max_htlc_value_in_flight_msat');
  }
  const f: Forward = {
    key: `${slot.idHex}/${e.id}`,
    inChannel: slot.idHex,
    inId: e.id,
    inAmount: e.amountMsat,
    paymentHash: toHex(e.paymentHash),
    outChannel: outId as string,
    outAmount: hop.amtToForward,
    outCltv: hop.outgoingCltvValue,
    hop: encodeHopPayload(payee),
    createdAt: core.now,
    state: 'pending',
  };
  core.forwards.byKey.set(f.key, f);
  core.persist([put(f)]);
  return [() => tryForward(core, f)];
}

let driveFn: Drive = () => {};

/** @internal Wires the channel driver (set once by `channels.ts`). */
export function setForwardDriver(d: Drive): void {
  driveFn = d;
}

function act(core: LspCore, channelIdHex: string, input: ChannelInput): void {
  const at = slotOf(core, channelIdHex);
  if (at === undefined) return;
  driveFn(core, at.f, at.slot, input);
  if (!core.forwards.dirty.has(channelIdHex)) core.forwards.dirty.set(channelIdHex, core.now);
}

/** Outgoing-channel refusals that fail the forward upstream at once (BOLT 4 `temporary_channel_failure`). */
const REFUSED_NOW = new Set(['max-accepted', 'capacity', 'affordability', 'dust-exposure', 'reserve']);

function tryForward(core: LspCore, f: Forward): void {
  const at = slotOf(core, f.outChannel);
  const ch = at?.slot.channel;
  if (at === undefined || ch == null) return;
  const peer = at.f.participants[at.slot.clientIndex] as string;
  if (!core.connected.has(peer)) return;
  const fw = core.forwards;
  const before = f.outId;
  fw.offering = f.key;
  fw.lastRefusal = null;
  try {
    act(core, f.outChannel, {
      type: 'add_htlc',
      amountMsat: f.outAmount,
      paymentHash: fromHex(f.paymentHash),
      cltvExpiry: f.outCltv,
      onion: f.hop,
    });
  } finally {
    fw.offering = null;
  }
  const added =
    f.outId !== undefined && f.outId !== before ? true : f.outId !== undefined && claimOutId(core, f);
  if (f.state === 'pending' && added) {
    f.state = 'offered';
    core.persist([put(f)]);
    return;
  }
  const e = fw.lastRefusal as { code?: string; rule?: string } | null;
  fw.lastRefusal = null;
  if (f.state === 'pending' && e?.code === 'CHANNEL_HTLC_REJECTED' && REFUSED_NOW.has(e.rule ?? '')) {
    f.state = 'failed';
    f.reason = toHex(failure(ForwardFailure.TEMPORARY_CHANNEL_FAILURE));
    core.persist([put(f)]);
    core.log('info', 'forward refused by the outgoing channel', { key: f.key, rule: e.rule });
    settleUpstream(core, f);
  }
}

function settleUpstream(core: LspCore, f: Forward): void {
  if (f.state === 'fulfilled' && f.preimage !== undefined)
    act(core, f.inChannel, { type: 'fulfill_htlc', id: f.inId, preimage: fromHex(f.preimage) });
  else if (f.state === 'failed')
    act(core, f.inChannel, {
      type: 'fail_htlc',
      id: f.inId,
      reason: f.reason === undefined ? failure(ForwardFailure.TEMPORARY_CHANNEL_FAILURE) : fromHex(f.reason),
    });
}

/** Commits the channels with updates (at once, or once `batchWindowMs` has passed since the first). */
export function commitDirty(core: LspCore): void {
  const fw = core.forwards;
  if (fw.dirty.size === 0) return;
  const window = core.policy.batchWindowMs;
  for (const [id, since] of [...fw.dirty]) {
    if (window > 0 && core.now < since + window) continue;
    fw.dirty.delete(id);
    const at = slotOf(core, id);
    if (at !== undefined) driveFn(core, at.f, at.slot, { type: 'commit' });
  }
}

/**
 * On every tick: forwards still pending (a restart, a payee that was offline) are forwarded or, past
 * `forwardTimeoutMs`, failed upstream; offered ones whose add was reverted are added again; settled
 * ones are re-applied upstream until the incoming HTLC is gone, then their record is deleted.
 */
export function resumeForwards(core: LspCore): void {
  const fw = core.forwards;
  for (const f of [...fw.byKey.values()]) {
    const inAt = slotOf(core, f.inChannel);
    const inCh = inAt?.slot.channel;
    if (inAt === undefined || inCh == null) continue;
    const remote = inCh.role === 'lsp' ? 'client' : 'lsp';
    if (!inCh.htlcs(remote).some((h) => h.id === f.inId)) {
      fw.byKey.delete(f.key);
      if (f.outId !== undefined && fw.outIds.get(f.outChannel)?.get(f.outId) === f.key)
        fw.outIds.get(f.outChannel)?.delete(f.outId);
      core.persist([del(f)]);
      continue;
    }
    if (f.state === 'pending') {
      if (core.now >= f.createdAt + core.policy.forwardTimeoutMs) {
        f.state = 'failed';
        f.reason = toHex(failure(ForwardFailure.TEMPORARY_CHANNEL_FAILURE));
        core.persist([put(f)]);
        core.log('info', 'forward timed out', { key: f.key });
        settleUpstream(core, f);
      } else tryForward(core, f);
    } else if (f.state === 'offered') {
      const out = slotOf(core, f.outChannel)?.slot.channel;
      if (out == null) continue;
      if (f.outId !== undefined) {
        // Still held under its id: nothing to do. Else the add was reverted (or its id reused): add again.
        if (!claimOutId(core, f)) {
          f.state = 'pending';
          tryForward(core, f);
        }
        continue;
      }
      // A record written before ids were stored: match by payment hash.
      const mine = out.htlcs(out.role).filter((h) => toHex(h.paymentHash) === f.paymentHash);
      if (mine.length === 0) {
        f.state = 'pending';
        tryForward(core, f);
        continue;
      }
      const m = fw.outIds.get(f.outChannel) ?? new Map<bigint, string>();
      fw.outIds.set(f.outChannel, m);
      if (![...m.values()].includes(f.key))
        for (const h of mine)
          if (!m.has(h.id)) {
            m.set(h.id, f.key);
            break;
          }
    } else settleUpstream(core, f);
  }
}

/** `update_add_htlc` from the wire → the channel's value (hop payload as the HTLC's onion bytes). */
export function toChannelMessage(m: ChannelMessage): ChannelMessage {
  if (m.type !== 'update_add_htlc' || m.hopPayload === undefined) return m;
  const { hopPayload, ...rest } = m;
  return { ...rest, onion: encodeHopPayload(hopPayload) };
}

/** The channel's `update_add_htlc` → the wire's (onion bytes that are a hop payload go to TLV 12). */
export function toWireMessage<M extends { type: string }>(m: M): M {
  if (m.type !== 'update_add_htlc') return m;
  const u = m as unknown as { onion: Uint8Array };
  if (u.onion.length === 0 || u.onion.length === 1366) return m;
  return { ...m, onion: new Uint8Array(0), hopPayload: decodeHopPayload(u.onion) };
}

/**
 * BOLT 5: the payee settled our outgoing HTLC `outId` of `outChannel` on chain and its witness gave
 * `preimage`. The forward is fulfilled as if the payee had sent `update_fulfill_htlc` — persisted with
 * its preimage before anything else, `PaymentForwarded`, then settled upstream (and re-applied by
 * every tick until the incoming HTLC is gone; an exit of the incoming channel claims it on chain with
 * the persisted preimage). False when no open forward matches (already settled, or none).
 */
export function fulfilFromChain(
  core: LspCore,
  outChannel: string,
  outId: bigint,
  preimage: Uint8Array,
): boolean {
  const fw = core.forwards;
  const hash = toHex(sha256(preimage));
  const open = (f: Forward) =>
    f.outChannel === outChannel && f.paymentHash === hash && (f.state === 'offered' || f.state === 'pending');
  const all = [...fw.byKey.values()];
  const f =
    all.find((g) => open(g) && g.outId === outId) ?? all.find((g) => open(g) && g.outId === undefined);
  if (f === undefined) return false;
  f.state = 'fulfilled';
  f.preimage = toHex(preimage);
  core.persist([put(f)]);
  core.event({
    kind: 'PaymentForwarded',
    paymentHash: hash,
    inChannel: f.inChannel,
    outChannel: f.outChannel,
    amountMsat: f.outAmount,
    feeMsat: f.inAmount - f.outAmount,
  });
  settleUpstream(core, f);
  return true;
}
