/**
 * Internal: BOLT 2's update log (brief §7). Local commands and peer messages that add, fulfill or fail
 * an HTLC or change the fee rate, each checked against the channel's rules (reserve, affordability,
 * dust exposure, untrimmed-HTLC count, expiry bounds, the dying period) on the views BOLT 2 names:
 * the sender's worst case for a local update, the receiver's view for a peer's. Also the HTLC
 * deadlines checked at each block (brief §7).
 *
 * @module
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@superscalar/core';
import {
  type ChannelErrorAction,
  type ChannelErrorOrigin,
  FeeUpdateRejectedError,
  HtlcRejectedError,
  IllegalStepError,
} from '../channelErrors.js';
import { goToChainHeight, maxCltvExpiry } from '../deadlines.js';
import { InvalidArgumentError } from '../errors.js';
import { dustExposure, lspCanAfford, msatToSat, untrimmedHtlcCount } from '../fees.js';
import type { ChannelMessage, UpdateAddHtlc } from '../messages.js';
import { type ChannelCore, isBytes, PeerFault } from './_core.js';
import {
  balance,
  by,
  htlcKey,
  other,
  reduce,
  type Side,
  type Spec,
  type SpecHtlc,
  type Update,
} from './_log.js';
import type { ChannelInput } from './types.js';

/** Updates are refused after stfu (BOLT 2 quiescence) and outside the normal phase. */
export function checkUpdateAllowed(ch: ChannelCore, origin: ChannelErrorOrigin) {
  if (ch.s.phase !== 'normal') {
    const e = new IllegalStepError(
      'phase',
      origin === 'peer' ? 'disconnect' : 'ignore',
      origin,
      `an update while the channel is ${ch.s.phase}`,
    );
    if (origin === 'peer') throw new PeerFault(e);
    throw e;
  }
  // BOLT 2: after a reconnection, retransmissions come first; no new update before the
  // channel_reestablish exchange is complete (nor while disconnected).
  if (origin === 'local' && (!ch.connected || ch.awaitingReestablish))
    throw new IllegalStepError(
      'reestablish',
      'ignore',
      'local',
      ch.connected ? 'no update before channel_reestablish completes' : 'the peer is disconnected',
    );
  const quiet = origin === 'local' ? ch.s.localStfu || ch.quiesceWanted : ch.s.remoteStfu;
  if (quiet) {
    const e = new IllegalStepError(
      'quiescent',
      origin === 'peer' ? 'disconnect' : 'ignore',
      origin,
      'no updates after stfu',
    );
    if (origin === 'peer') throw new PeerFault(e);
    throw e;
  }
}

export function checkAddable(
  ch: ChannelCore,
  origin: ChannelErrorOrigin,
  action: ChannelErrorAction,
  htlc: SpecHtlc,
  onion: Uint8Array,
) {
  const fail = (
    rule: ConstructorParameters<typeof HtlcRejectedError>[0],
    msg: string,
    figure?: bigint | number,
    limit?: bigint | number,
  ): never => {
    const e = new HtlcRejectedError(rule, action, origin, msg, { htlcId: htlc.id, figure, limit });
    if (origin === 'peer') throw new PeerFault(e);
    throw e;
  };
  if (ch.s.phase !== 'normal') fail('amount', `the channel is ${ch.s.phase}`);
  if (htlc.amountMsat <= 0n) fail('amount', 'the amount must be positive', htlc.amountMsat, 1n);
  if (!isBytes(htlc.paymentHash, 32)) fail('amount', 'paymentHash must be 32 bytes');
  if (!isBytes(onion)) fail('amount', 'onion must be bytes');
  const p = ch.s.policy;
  if (ch.s.height >= p.dyingHeight)
    fail(
      'dying-period',
      `height ${ch.s.height} is in the dying period (from ${p.dyingHeight})`,
      ch.s.height,
      p.dyingHeight,
    );
  if (!Number.isInteger(htlc.cltvExpiry) || htlc.cltvExpiry <= ch.s.height)
    fail(
      'expiry-past',
      `cltv_expiry ${htlc.cltvExpiry} is not above the height ${ch.s.height}`,
      htlc.cltvExpiry,
      ch.s.height + 1,
    );
  const deadline = maxCltvExpiry({
    exitDelay: p.exitDelay,
    pathTxs: p.pathTxs,
    exitMargin: p.exitMargin,
    channelTimeout: ch.s.config.channelTimeout,
  });
  if (htlc.cltvExpiry > deadline)
    fail(
      'expiry-deadline',
      `cltv_expiry ${htlc.cltvExpiry} is after T_m − exitDelay − pathTxs − exitMargin = ${deadline}`,
      htlc.cltvExpiry,
      deadline,
    );
  const view =
    origin === 'local'
      ? senderViews(ch, [{ by: htlc.offeredBy, u: { kind: 'add', htlc, onion } }])
      : [receiverView(ch, { by: htlc.offeredBy, u: { kind: 'add', htlc, onion } })];
  for (const spec of view) {
    const offererBalance = balance(spec, htlc.offeredBy);
    if (offererBalance < 0n)
      fail('capacity', `the ${htlc.offeredBy}'s balance would be ${offererBalance} msat`, offererBalance, 0n);
    if (htlc.offeredBy === 'client' && offererBalance < p.reserve * 1000n)
      fail(
        'reserve',
        `the client's balance would be ${offererBalance} msat, below the ${p.reserve}-sat reserve`,
        offererBalance,
        p.reserve * 1000n,
      );
    const count = untrimmedHtlcCount(
      spec.htlcs.filter((h) => h.offeredBy === htlc.offeredBy),
      spec.feeRate,
    );
    if (count > p.maxAcceptedHtlcs)
      fail(
        'max-accepted',
        `${count} untrimmed HTLCs offered by the ${htlc.offeredBy}`,
        count,
        p.maxAcceptedHtlcs,
      );
    if (
      !lspCanAfford({
        lspBalanceMsat: spec.lspMsat,
        htlcs: spec.htlcs,
        feeRate: spec.feeRate,
        reserve: p.reserve,
      })
    )
      fail(
        'affordability',
        `the LSP's balance ${msatToSat(spec.lspMsat)} sats would not cover reserve + fee + 240 with room for one more HTLC each way`,
      );
    const dust = dustExposure(spec.htlcs, spec.feeRate);
    if (dust > p.maxDustExposure)
      fail('dust-exposure', `dust exposure ${dust} sats above ${p.maxDustExposure}`, dust, p.maxDustExposure);
  }
}

/**
 * The worst cases a local update must fit (sender side, the strictest view): our commitment with
 * every pending add and fee update of both sides applied and no pending removal, once per fee rate
 * pending or committed.
 */
export function senderViews(ch: ChannelCore, extra: { by: Side; u: Update }[]): Spec[] {
  const lc = ch.requireLocal();
  const l = ch.s.localChanges;
  const r = ch.s.remoteChanges;
  const all = [
    ...by(ch.s.role, [...l.proposed, ...l.signed, ...l.acked]),
    ...by(other(ch.s.role), r.proposed),
    ...extra,
  ];
  const adds = all.filter((x) => x.u.kind === 'add');
  const rates = new Set<number>([
    lc.spec.feeRate,
    ...all.flatMap((x) => (x.u.kind === 'fee' ? [x.u.feeRate] : [])),
  ]);
  const base = reduce(lc.spec, adds);
  return [...rates].map((feeRate) => ({ ...base, feeRate }));
}

/** BOLT 2's receiver view: our commitment with our acked and their proposed updates. */
export function receiverView(ch: ChannelCore, extra: { by: Side; u: Update }): Spec {
  const lc = ch.requireLocal();
  return reduce(lc.spec, [
    ...by(ch.s.role, ch.s.localChanges.acked),
    ...by(other(ch.s.role), ch.s.remoteChanges.proposed),
    extra,
  ]);
}

export function localAdd(ch: ChannelCore, input: Extract<ChannelInput, { type: 'add_htlc' }>) {
  ch.requireNormal();
  checkUpdateAllowed(ch, 'local');
  if (typeof input.amountMsat !== 'bigint')
    throw new InvalidArgumentError('input.amountMsat', 'expected a bigint');
  if (!isBytes(input.paymentHash, 32))
    throw new InvalidArgumentError('input.paymentHash', 'expected 32 bytes');
  const onion = input.onion ?? new Uint8Array(0);
  const htlc: SpecHtlc = {
    offeredBy: ch.s.role,
    id: ch.s.localNextHtlcId,
    amountMsat: input.amountMsat,
    paymentHash: Uint8Array.from(input.paymentHash),
    cltvExpiry: input.cltvExpiry,
  };
  checkAddable(ch, 'local', 'ignore', htlc, onion);
  ch.s.localChanges.proposed.push({ kind: 'add', htlc, onion: Uint8Array.from(onion) });
  ch.s.localNextHtlcId += 1n;
  ch.send({
    type: 'update_add_htlc',
    channelId: ch.s.channelId,
    id: htlc.id,
    amountMsat: htlc.amountMsat,
    paymentHash: htlc.paymentHash,
    cltvExpiry: htlc.cltvExpiry,
    onion: Uint8Array.from(onion),
  });
  ch.emit({ type: 'htlc_offered', id: htlc.id, paymentHash: htlc.paymentHash });
}

export function onAdd(ch: ChannelCore, m: UpdateAddHtlc) {
  const remote = other(ch.s.role);
  checkUpdateAllowed(ch, 'peer');
  if (typeof m.id !== 'bigint' || m.id !== ch.s.remoteNextHtlcId)
    ch.peerError(
      (o) =>
        new HtlcRejectedError(
          'duplicate-id',
          'disconnect',
          o,
          `HTLC id ${String(m.id)}, expected ${ch.s.remoteNextHtlcId}`,
          { htlcId: typeof m.id === 'bigint' ? m.id : undefined },
        ),
    );
  if (typeof m.amountMsat !== 'bigint' || typeof m.cltvExpiry !== 'number')
    ch.peerError((o) => new IllegalStepError('malformed', 'disconnect', o, 'update_add_htlc fields'));
  const htlc: SpecHtlc = {
    offeredBy: remote,
    id: m.id,
    amountMsat: m.amountMsat,
    paymentHash: Uint8Array.from(m.paymentHash),
    cltvExpiry: m.cltvExpiry,
  };
  checkAddable(ch, 'peer', 'disconnect', htlc, m.onion);
  ch.s.remoteChanges.proposed.push({ kind: 'add', htlc, onion: Uint8Array.from(m.onion) });
  ch.s.remoteNextHtlcId += 1n;
}

/** Pending removals of HTLCs offered by `offerer`, in any stage. */
export function removalPending(ch: ChannelCore, offerer: Side, id: bigint): boolean {
  const remover = other(offerer);
  const lists =
    remover === ch.s.role
      ? [ch.s.localChanges.proposed, ch.s.localChanges.signed, ch.s.localChanges.acked]
      : [ch.s.remoteChanges.proposed, ch.s.remoteChanges.acked, ch.s.remoteChanges.signed];
  return lists.some((l) => l.some((u) => (u.kind === 'fulfill' || u.kind === 'fail') && u.id === id));
}

export function localRemove(ch: ChannelCore, kind: 'fulfill' | 'fail', id: bigint, data: Uint8Array) {
  ch.requireNormal();
  checkUpdateAllowed(ch, 'local');
  if (typeof id !== 'bigint') throw new InvalidArgumentError('input.id', 'expected a bigint');
  const remote = other(ch.s.role);
  const lc = ch.requireLocal();
  const key = htlcKey(remote, id);
  const inLocal = lc.spec.htlcs.find((h) => htlcKey(h.offeredBy, h.id) === key);
  const inRemote = ch.s.remoteCommit?.spec.htlcs.some((h) => htlcKey(h.offeredBy, h.id) === key) ?? false;
  if (inLocal === undefined || removalPending(ch, remote, id))
    throw new HtlcRejectedError('unknown-htlc', 'ignore', 'local', `no incoming HTLC ${id} to settle`, {
      htlcId: id,
    });
  // BOLT 2: no fulfill or fail until the HTLC is irrevocably committed in both commitments.
  if (!inRemote)
    throw new IllegalStepError(
      'not-committed',
      'ignore',
      'local',
      `HTLC ${id} is not irrevocably committed yet`,
    );
  if (kind === 'fulfill') {
    if (!isBytes(data, 32)) throw new InvalidArgumentError('input.preimage', 'expected 32 bytes');
    if (!equalBytes(sha256(data), inLocal.paymentHash))
      throw new HtlcRejectedError(
        'wrong-preimage',
        'ignore',
        'local',
        `the preimage does not hash to HTLC ${id}'s payment hash`,
        { htlcId: id },
      );
    ch.s.localChanges.proposed.push({ kind, id, preimage: Uint8Array.from(data) });
    ch.send({
      type: 'update_fulfill_htlc',
      channelId: ch.s.channelId,
      id,
      paymentPreimage: Uint8Array.from(data),
    });
  } else {
    if (!isBytes(data)) throw new InvalidArgumentError('input.reason', 'expected bytes');
    ch.s.localChanges.proposed.push({ kind, id, reason: Uint8Array.from(data) });
    ch.send({ type: 'update_fail_htlc', channelId: ch.s.channelId, id, reason: Uint8Array.from(data) });
  }
}

export function onRemove(ch: ChannelCore, kind: 'fulfill' | 'fail', id: bigint, data: Uint8Array) {
  checkUpdateAllowed(ch, 'peer');
  const mine = ch.s.role;
  const lc = ch.requireLocal();
  const h =
    typeof id === 'bigint' ? lc.spec.htlcs.find((x) => x.offeredBy === mine && x.id === id) : undefined;
  // BOLT 2 receiver rule: the HTLC must be in our current commitment.
  if (h === undefined || removalPending(ch, mine, id))
    ch.peerError(
      (o) =>
        new HtlcRejectedError(
          'unknown-htlc',
          'disconnect',
          o,
          `no outgoing HTLC ${String(id)} in our current commitment`,
          { htlcId: typeof id === 'bigint' ? id : undefined },
        ),
    );
  if (kind === 'fulfill') {
    if (!isBytes(data, 32) || !equalBytes(sha256(data), h.paymentHash))
      ch.peerError(
        (o) =>
          new HtlcRejectedError(
            'wrong-preimage',
            'disconnect',
            o,
            `the preimage does not hash to HTLC ${id}'s payment hash`,
            { htlcId: id },
          ),
      );
    ch.s.remoteChanges.proposed.push({ kind, id, preimage: Uint8Array.from(data) });
    ch.emit({ type: 'htlc_fulfilled', id, preimage: Uint8Array.from(data) });
  } else {
    if (!isBytes(data))
      ch.peerError((o) => new IllegalStepError('malformed', 'disconnect', o, 'update_fail_htlc reason'));
    ch.s.remoteChanges.proposed.push({ kind, id, reason: Uint8Array.from(data) });
  }
}

export function checkFee(ch: ChannelCore, origin: ChannelErrorOrigin, feeRate: number, views: Spec[]) {
  const action: ChannelErrorAction = origin === 'peer' ? 'disconnect' : 'ignore';
  const fail = (rule: ConstructorParameters<typeof FeeUpdateRejectedError>[0], msg: string): never => {
    const e = new FeeUpdateRejectedError(rule, action, origin, feeRate, msg);
    if (origin === 'peer') throw new PeerFault(e);
    throw e;
  };
  if (!Number.isInteger(feeRate) || feeRate < 1 || feeRate > 0xffffffff) fail('fee-rate', 'not a fee rate');
  const p = ch.s.policy;
  for (const spec of views) {
    if (
      !lspCanAfford({
        lspBalanceMsat: spec.lspMsat,
        htlcs: spec.htlcs,
        feeRate: spec.feeRate,
        reserve: p.reserve,
      })
    )
      fail(
        'affordability',
        `the LSP's balance ${msatToSat(spec.lspMsat)} sats would not cover reserve + fee + 240`,
      );
    const dust = dustExposure(spec.htlcs, spec.feeRate);
    if (dust > p.maxDustExposure)
      fail('dust-exposure', `dust exposure ${dust} sats above ${p.maxDustExposure}`);
    for (const side of ['lsp', 'client'] as const) {
      const count = untrimmedHtlcCount(
        spec.htlcs.filter((h) => h.offeredBy === side),
        spec.feeRate,
      );
      if (count > p.maxAcceptedHtlcs)
        fail('dust-exposure', `${count} untrimmed HTLCs offered by the ${side}`);
    }
  }
}

export function localFee(ch: ChannelCore, feeRate: number) {
  ch.requireNormal();
  if (ch.s.role !== 'lsp')
    throw new FeeUpdateRejectedError(
      'not-funder',
      'ignore',
      'local',
      feeRate,
      'only the LSP (the funder) sends update_fee',
    );
  checkUpdateAllowed(ch, 'local');
  checkLocalFee(ch, feeRate);
  ch.s.localChanges.proposed.push({ kind: 'fee', feeRate });
  ch.send({ type: 'update_fee', channelId: ch.s.channelId, feeRate });
}

/** The rules a local `update_fee` at `feeRate` must pass on the sender's views (nothing changes). */
export function checkLocalFee(ch: ChannelCore, feeRate: number) {
  const views = senderViews(ch, []).map((v) => ({ ...v, feeRate }));
  checkFee(ch, 'local', feeRate, views);
}

export function onFee(ch: ChannelCore, feeRate: number) {
  if (ch.s.role === 'lsp')
    ch.peerError(
      (o) =>
        new FeeUpdateRejectedError(
          'not-funder',
          'disconnect',
          o,
          feeRate,
          'update_fee from the client (only the LSP, the funder, may send it)',
        ),
    );
  checkUpdateAllowed(ch, 'peer');
  checkFee(ch, 'peer', feeRate, [receiverView(ch, { by: 'lsp', u: { kind: 'fee', feeRate } })]);
  ch.s.remoteChanges.proposed.push({ kind: 'fee', feeRate });
}

export function updateMessage(ch: ChannelCore, u: Update): ChannelMessage {
  const channelId = ch.s.channelId;
  switch (u.kind) {
    case 'add':
      return {
        type: 'update_add_htlc',
        channelId,
        id: u.htlc.id,
        amountMsat: u.htlc.amountMsat,
        paymentHash: u.htlc.paymentHash,
        cltvExpiry: u.htlc.cltvExpiry,
        onion: u.onion,
      };
    case 'fulfill':
      return { type: 'update_fulfill_htlc', channelId, id: u.id, paymentPreimage: u.preimage };
    case 'fail':
      return { type: 'update_fail_htlc', channelId, id: u.id, reason: u.reason };
    case 'fee':
      return { type: 'update_fee', channelId, feeRate: u.feeRate };
  }
}

/**
 * Brief §7 deadlines, checked at each block: an incoming HTLC we fulfilled must be on chain by
 * `min(cltv_expiry − (exitDelay + toSelfDelay + htlcBudget), T_m − exitDelay − pathTxs − exitMargin)`
 * unless the fulfill is irrevocably committed; an outgoing HTLC still committed at its expiry must be
 * timed out on chain (BOLT 2). Emitted at every block while it holds (handlers are idempotent).
 */
export function checkDeadlines(ch: ChannelCore) {
  const lc = ch.s.localCommit;
  if (lc === null || ch.s.phase !== 'normal') return;
  const p = ch.s.policy;
  const params = {
    exitDelay: p.exitDelay,
    toSelfDelay: ch.s.config.toSelfDelay,
    htlcBudget: p.htlcBudget,
    pathTxs: Math.max(1, p.pathTxs),
    exitMargin: p.exitMargin,
    channelTimeout: ch.s.config.channelTimeout,
  };
  const h = ch.s.height;
  for (const htlc of lc.spec.htlcs) {
    if (htlc.offeredBy === ch.s.role) {
      if (h >= htlc.cltvExpiry)
        ch.emit({
          type: 'go_on_chain',
          reason: 'outgoing-htlc-expired',
          htlcId: htlc.id,
          deadline: htlc.cltvExpiry,
        });
    } else if (removalPending(ch, htlc.offeredBy, htlc.id)) {
      const l = ch.s.localChanges;
      const fulfilled = [...l.proposed, ...l.signed, ...l.acked].some(
        (u) => u.kind === 'fulfill' && u.id === htlc.id,
      );
      const deadline = goToChainHeight(htlc.cltvExpiry, params);
      if (fulfilled && h >= deadline)
        ch.emit({ type: 'go_on_chain', reason: 'incoming-htlc-deadline', htlcId: htlc.id, deadline });
    }
  }
}
