/**
 * Internal: quiescence (BOLT 2 `stfu`) and rebinding to a new channel outpoint (brief §5.4): with
 * nothing pending, each holder's commitment `n` is signed again on the new outpoint with a fresh
 * verification nonce, the new outpoint is tracked before our partial leaves (penalties cover every
 * copy), and it becomes current once the new leaf state is signed. With a capacity change (or a
 * liquidity fee) the rebound copies carry the new amounts (`capacityChange.ts`); the outpoints that
 * keep copies of the same numbers at the old amounts record them (`FundingRecord.balances`).
 *
 * @module
 */

import { schnorrVerify } from '@superscalar/secp';
import { IllegalStepError, SignatureRejectedError } from '../channelErrors.js';
import type { FundingOutpoint } from '../commitment.js';
import { InvalidArgumentError } from '../errors.js';
import { defaultMaxDustExposure, defaultReserve } from '../fees.js';
import { rebindCommitment } from '../rebind.js';
import type { ChannelBalances, CommitmentRecord, FundingRecord, RebindRecord } from '../state.js';
import { type ChannelCore, isBytes, PeerFault } from './_core.js';
import { other, type Spec } from './_log.js';
import { completeAsHolder, signAsSigner } from './_signing.js';

export function tryStfu(ch: ChannelCore) {
  if (
    !ch.quiesceWanted ||
    ch.s.localStfu ||
    ch.s.phase !== 'normal' ||
    !ch.connected ||
    ch.awaitingReestablish
  )
    return;
  // BOLT 2: stfu only when none of our updates is pending; we wait for a clean state either way.
  if (!ch.noPendingUpdates() || ch.outstanding()) return;
  ch.s.localStfu = true;
  ch.send({ type: 'stfu', channelId: ch.s.channelId, initiator: !ch.s.remoteStfu });
  maybeQuiescent(ch);
}

export function onStfu(ch: ChannelCore, initiator: boolean) {
  if (ch.s.phase !== 'normal' || ch.s.remoteStfu)
    ch.peerError((o) => new IllegalStepError('phase', 'disconnect', o, 'unexpected stfu'));
  if (ch.s.remoteChanges.proposed.length > 0)
    ch.peerError(
      (o) => new IllegalStepError('quiescent', 'disconnect', o, 'stfu with its own updates pending'),
    );
  void initiator;
  ch.s.remoteStfu = true;
  ch.quiesceWanted = true;
  // Our own stfu, when it goes out now, announces quiescence itself.
  if (ch.s.localStfu) maybeQuiescent(ch);
  else tryStfu(ch);
}

export function maybeQuiescent(ch: ChannelCore) {
  if (ch.s.localStfu && ch.s.remoteStfu && ch.noPendingUpdates()) ch.emit({ type: 'quiescent' });
}

export function requireQuiescent(ch: ChannelCore) {
  if (!(ch.s.localStfu && ch.s.remoteStfu && ch.noPendingUpdates()))
    throw new IllegalStepError(
      'quiescent',
      'ignore',
      'local',
      'rebinding needs a quiescent channel (stfu both ways, nothing pending)',
    );
}

/** What `rebind_prepare` asks for (see `ChannelInput`). */
export interface RebindRequest {
  readonly funding: FundingOutpoint;
  readonly liquidityFeeMsat?: bigint;
  readonly reserve?: bigint;
  readonly maxDustExposure?: bigint;
}

export function rebindPrepare(ch: ChannelCore, input: RebindRequest) {
  ch.requireNormal();
  requireQuiescent(ch);
  const funding = input.funding;
  if (
    typeof funding !== 'object' ||
    funding === null ||
    typeof funding.txid !== 'string' ||
    !/^[0-9a-fA-F]{64}$/.test(funding.txid) ||
    !Number.isInteger(funding.vout) ||
    funding.vout < 0 ||
    funding.vout > 0xffffffff ||
    typeof funding.amount !== 'bigint' ||
    funding.amount <= 0n
  )
    throw new InvalidArgumentError('input.funding', 'expected an outpoint { txid, vout, amount }');
  const fee = input.liquidityFeeMsat ?? 0n;
  if (typeof fee !== 'bigint' || fee < 0n)
    throw new InvalidArgumentError('input.liquidityFeeMsat', 'expected msat (a bigint ≥ 0)');
  for (const k of ['reserve', 'maxDustExposure'] as const) {
    const v = input[k];
    if (v !== undefined && (typeof v !== 'bigint' || v < 0n))
      throw new InvalidArgumentError(`input.${k}`, 'expected sats (a bigint ≥ 0)');
  }
  const outpoint = { txid: funding.txid.toLowerCase(), vout: funding.vout, amount: funding.amount };
  // Brief §5.4: the limits are those of the new capacity (the policy's own when it does not change).
  const resized = outpoint.amount !== ch.funding.amount;
  const reserve = input.reserve ?? (resized ? defaultReserve(outpoint.amount) : ch.s.policy.reserve);
  const maxDustExposure =
    input.maxDustExposure ??
    (resized ? defaultMaxDustExposure(outpoint.amount) : ch.s.policy.maxDustExposure);
  const record: RebindRecord = { outpoint, signature: null, liquidityFeeMsat: fee, reserve, maxDustExposure };
  // Both holders' rebound commitments must build and meet §5.4's checks before any nonce leaves.
  const lc = ch.requireLocal();
  const rc = ch.s.remoteCommit as CommitmentRecord;
  const options = { liquidityFeeMsat: fee, reserve, maxDustExposure };
  rebindCommitment(ch.build(ch.s.role, lc.number, lc.point, lc.spec, ch.funding), outpoint, options);
  rebindCommitment(ch.build(other(ch.s.role), rc.number, rc.point, rc.spec, ch.funding), outpoint, options);
  // A retried rebinding to an outpoint we already signed on (and track) is allowed with the same
  // balances; any other outpoint the channel had is refused.
  const known = ch.s.fundings.find(
    (f) => f.outpoint.txid === outpoint.txid && f.outpoint.vout === outpoint.vout,
  );
  if (known !== undefined && !isPendingRebindRecord(ch, known))
    throw new InvalidArgumentError('input.funding', 'the channel already had this outpoint');
  if (known !== undefined && !sameBalances(known.balances, reboundBalances(ch, rc.spec, record)))
    throw new InvalidArgumentError(
      'input.liquidityFeeMsat',
      "the counterparty's commitment is already signed on this outpoint with other balances",
    );
  ch.s.rebind = record;
  ch.rebindNonce = ch.freshNonce();
  ch.peerRebindNonce = undefined;
  ch.emit({ type: 'rebind_nonce', nonce: ch.rebindNonce.pubnonce });
}

/** The spec of a commitment rebound by `rb` (brief §5.4 capacity change; the same spec without one). */
function reboundOf(ch: ChannelCore, spec: Spec, rb: RebindRecord): Spec {
  const delta = (rb.outpoint.amount - ch.funding.amount) * 1000n;
  return {
    ...spec,
    lspMsat: spec.lspMsat + delta + rb.liquidityFeeMsat,
    clientMsat: spec.clientMsat - rb.liquidityFeeMsat,
  };
}

/** What a funding record of `rb`'s outpoint keeps as its balances: null when they do not change. */
function reboundBalances(ch: ChannelCore, spec: Spec, rb: RebindRecord): ChannelBalances | null {
  if (rb.outpoint.amount === ch.funding.amount && rb.liquidityFeeMsat === 0n) return null;
  const r = reboundOf(ch, spec, rb);
  return { lspMsat: r.lspMsat, clientMsat: r.clientMsat };
}

function sameBalances(a: ChannelBalances | null, b: ChannelBalances | null): boolean {
  return a === null || b === null ? a === b : a.lspMsat === b.lspMsat && a.clientMsat === b.clientMsat;
}

export function rebindSign(ch: ChannelCore, peerNonce: Uint8Array) {
  const rb = ch.s.rebind;
  // Either order: sign the counterparty's commitment first (the LSP), or complete our own first (a
  // client must hold its rebound commitment before it signs anything of the new tree, brief §5.1).
  if (rb === null || (rb.signature === null && ch.rebindNonce === undefined))
    throw new IllegalStepError('phase', 'ignore', 'local', 'rebind_sign before rebind_prepare');
  if (!isBytes(peerNonce, 66)) throw new InvalidArgumentError('input.peerNonce', 'expected 66 bytes');
  if (ch.outstanding())
    throw new IllegalStepError('phase', 'ignore', 'local', 'a persist is outstanding: acknowledge it first');
  if (ch.peerRebindNonce !== undefined)
    throw new IllegalStepError(
      'phase',
      'ignore',
      'local',
      "the counterparty's rebound commitment is already signed",
    );
  requireQuiescent(ch);
  const rc = ch.s.remoteCommit as CommitmentRecord;
  const c = ch.build(other(ch.s.role), rc.number, rc.point, reboundOf(ch, rc.spec, rb), rb.outpoint);
  let signed: { psig: Uint8Array; pubnonce: Uint8Array };
  try {
    signed = signAsSigner(ch, c, peerNonce);
  } catch (e) {
    if (e instanceof PeerFault)
      throw new InvalidArgumentError('input.peerNonce', 'does not decode', { cause: e.error });
    throw e;
  }
  ch.peerRebindNonce = Uint8Array.from(peerNonce);
  // From this signature on, the counterparty's commitment n can exist on the new outpoint even if
  // the advance never completes here: track the outpoint now (penalties cover this copy, brief §5.4)
  // and release the partial only once that is durable.
  const tracked = ch.s.fundings.some(
    (f) => f.outpoint.txid === rb.outpoint.txid && f.outpoint.vout === rb.outpoint.vout,
  );
  if (!tracked) {
    ch.s.fundings.splice(ch.s.fundings.length - 1, 0, {
      outpoint: rb.outpoint,
      firstRemoteNumber: rc.number,
      lastRemoteNumber: rc.number,
      holder: null,
      balances: reboundBalances(ch, rc.spec, rb),
    });
    ch.out.push({ kind: 'watch', watch: { type: 'funding', outpoint: rb.outpoint } });
  }
  ch.persist([]);
  ch.emitDurable({ type: 'rebind_partial', partialSig: signed.psig, signingNonce: signed.pubnonce });
}

/** A funding record added by `rebind_sign` that has not become current (it holds commitment n only). */
export function isPendingRebindRecord(ch: ChannelCore, f: FundingRecord): boolean {
  const rc = ch.s.remoteCommit;
  const current = ch.s.fundings[ch.s.fundings.length - 1];
  return (
    f !== current &&
    rc !== null &&
    f.firstRemoteNumber === rc.number &&
    f.lastRemoteNumber === rc.number &&
    f.holder === null &&
    ch.s.rebind !== null &&
    f.outpoint.txid === ch.s.rebind.outpoint.txid &&
    f.outpoint.vout === ch.s.rebind.outpoint.vout
  );
}

export function rebindComplete(ch: ChannelCore, psig: Uint8Array, signingNonce: Uint8Array) {
  const rb = ch.s.rebind;
  const mine = ch.rebindNonce;
  if (rb === null || mine === undefined)
    throw new IllegalStepError('phase', 'ignore', 'local', 'rebind_complete before rebind_prepare');
  if (!isBytes(psig, 32) || !isBytes(signingNonce, 66))
    throw new InvalidArgumentError('input', 'partialSig must be 32 bytes, signingNonce 66');
  if (ch.outstanding())
    throw new IllegalStepError('phase', 'ignore', 'local', 'a persist is outstanding: acknowledge it first');
  requireQuiescent(ch);
  const lc = ch.requireLocal();
  const c = ch.build(ch.s.role, lc.number, lc.point, reboundOf(ch, lc.spec, rb), rb.outpoint);
  let signature: Uint8Array;
  try {
    signature = completeAsHolder(ch, c, mine, psig, signingNonce);
  } catch (e) {
    // A bad rebound signature aborts the advance (brief §5.1), not the channel: nothing changed here
    // (our rebinding nonce signs only after the counterparty's partial verifies).
    if (e instanceof PeerFault && e.error instanceof SignatureRejectedError)
      throw new SignatureRejectedError(e.error.which, lc.number, `rebinding: ${e.error.message}`, {
        action: 'ignore',
        cause: e.error,
      });
    throw e;
  }
  ch.rebindNonce = undefined;
  ch.s.rebind = { ...rb, signature };
  ch.persist([]);
  ch.emitDurable({ type: 'rebound', funding: rb.outpoint });
}

export function rebindActivate(ch: ChannelCore) {
  const rb = ch.s.rebind;
  // Both rebound commitments signed: ours completed (its signature is in the state), and the
  // counterparty's signed by us — in this process (`peerRebindNonce`), or before a restart, which
  // the durable pending record of the new outpoint (written before our partial left) proves.
  const signedPeer =
    ch.peerRebindNonce !== undefined || ch.s.fundings.some((f) => isPendingRebindRecord(ch, f));
  if (rb === null || rb.signature === null || !signedPeer)
    throw new IllegalStepError(
      'phase',
      'ignore',
      'local',
      'rebind_activate before both rebound commitments are signed',
    );
  if (ch.outstanding())
    throw new IllegalStepError('phase', 'ignore', 'local', 'a persist is outstanding: acknowledge it first');
  const lc = ch.requireLocal();
  const rc = ch.s.remoteCommit as CommitmentRecord;
  const quiescent = ch.s.localStfu && ch.s.remoteStfu && ch.noPendingUpdates();
  if (!quiescent) {
    // After a reconnection or a restart quiescence is gone; what matters is that the channel has not
    // moved since the rebound commitments were signed: nothing pending, the counterparty's number is
    // the one we signed on the new outpoint, and our stored rebound signature still verifies on our
    // current commitment rebuilt there.
    if (!ch.noPendingUpdates())
      throw new IllegalStepError('quiescent', 'ignore', 'local', 'rebind_activate with updates pending');
    const mine = ch.build(ch.s.role, lc.number, lc.point, reboundOf(ch, lc.spec, rb), rb.outpoint);
    if (!schnorrVerify(rb.signature, mine.sighash, mine.outputKey))
      throw new IllegalStepError(
        'phase',
        'ignore',
        'local',
        'the rebound commitment was signed for another commitment number: the rebinding is stale',
      );
  }
  const changed = reboundBalances(ch, rc.spec, rb) !== null;
  const kept: ChannelBalances = { lspMsat: rc.spec.lspMsat, clientMsat: rc.spec.clientMsat };
  // Brief §5.4 capacity change: commitment n now has other amounts on the new outpoint, so every
  // outpoint holding copies of the current numbers at the current amounts keeps them explicitly (its
  // penalties are built with its own amounts).
  const holds = (f: FundingRecord) => f.balances === null && f.lastRemoteNumber === rc.number;
  // The pending record of the new outpoint (added by rebind_sign) becomes the current one.
  ch.s.fundings = ch.s.fundings
    .filter((f) => !isPendingRebindRecord(ch, f))
    .map((f) => (changed && holds(f) ? { ...f, balances: kept } : f));
  const last = ch.s.fundings.length - 1;
  const current = ch.s.fundings[last] as FundingRecord;
  ch.s.fundings[last] = {
    ...current,
    lastRemoteNumber: rc.number,
    holder: { number: lc.number, signature: lc.signature },
    balances: changed ? kept : null,
  };
  const localSpec = reboundOf(ch, lc.spec, rb);
  const remoteSpec = reboundOf(ch, rc.spec, rb);
  ch.s.fundings.push({
    outpoint: rb.outpoint,
    firstRemoteNumber: rc.number,
    lastRemoteNumber: null,
    holder: null,
    balances: null,
  });
  ch.s.localCommit = { ...lc, spec: localSpec, signature: rb.signature };
  ch.s.remoteCommit = { ...rc, spec: remoteSpec };
  ch.s.policy = { ...ch.s.policy, reserve: rb.reserve, maxDustExposure: rb.maxDustExposure };
  ch.s.rebind = null;
  ch.peerRebindNonce = undefined;
  ch.s.localStfu = false;
  ch.s.remoteStfu = false;
  ch.quiesceWanted = false;
  ch.persist([]);
}
