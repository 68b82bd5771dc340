/**
 * Internal: quiescence (BOLT 2 `stfu`) and rebinding to a new channel outpoint (brief §5.4): with
 * nothing pending, each holder's commitment `n` is signed again on the new outpoint with a fresh
 * verification nonce, the new outpoint is tracked before our partial leaves (penalties cover every
 * copy), and it becomes current once the new leaf state is signed.
 *
 * @module
 */

import { IllegalStepError, SignatureRejectedError } from '../channelErrors.js';
import type { FundingOutpoint } from '../commitment.js';
import { InvalidArgumentError } from '../errors.js';
import type { CommitmentRecord, FundingRecord } from '../state.js';
import { type ChannelCore, isBytes, PeerFault } from './_core.js';
import { other } from './_log.js';
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

export function rebindPrepare(ch: ChannelCore, funding: FundingOutpoint) {
  ch.requireNormal();
  requireQuiescent(ch);
  if (
    typeof funding !== 'object' ||
    funding === null ||
    typeof funding.txid !== 'string' ||
    funding.amount !== ch.funding.amount
  )
    throw new InvalidArgumentError('input.funding', 'expected an outpoint holding the channel capacity');
  const outpoint = { txid: funding.txid.toLowerCase(), vout: funding.vout, amount: funding.amount };
  // A retried rebinding to an outpoint we already signed on (and track) is allowed; any other
  // outpoint the channel had is refused.
  const known = ch.s.fundings.find(
    (f) => f.outpoint.txid === outpoint.txid && f.outpoint.vout === outpoint.vout,
  );
  if (known !== undefined && !isPendingRebindRecord(ch, known))
    throw new InvalidArgumentError('input.funding', 'the channel already had this outpoint');
  // Checks the outpoint builds before any nonce leaves.
  const lc = ch.requireLocal();
  ch.build(ch.s.role, lc.number, lc.point, lc.spec, outpoint);
  ch.s.rebind = { outpoint, signature: null };
  ch.rebindNonce = ch.freshNonce();
  ch.peerRebindNonce = undefined;
  ch.emit({ type: 'rebind_nonce', nonce: ch.rebindNonce.pubnonce });
}

export function rebindSign(ch: ChannelCore, peerNonce: Uint8Array) {
  const rb = ch.s.rebind;
  if (rb === null || ch.rebindNonce === undefined)
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
  const rc = ch.s.remoteCommit as CommitmentRecord;
  const c = ch.build(other(ch.s.role), rc.number, rc.point, rc.spec, rb.outpoint);
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
  const lc = ch.requireLocal();
  const c = ch.build(ch.s.role, lc.number, lc.point, lc.spec, rb.outpoint);
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
  ch.s.rebind = { outpoint: rb.outpoint, signature };
  ch.persist([]);
  ch.emitDurable({ type: 'rebound', funding: rb.outpoint });
}

export function rebindActivate(ch: ChannelCore) {
  const rb = ch.s.rebind;
  if (rb === null || rb.signature === null || ch.peerRebindNonce === undefined)
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
  // The pending record of the new outpoint (added by rebind_sign) becomes the current one.
  ch.s.fundings = ch.s.fundings.filter((f) => !isPendingRebindRecord(ch, f));
  const last = ch.s.fundings.length - 1;
  const current = ch.s.fundings[last] as FundingRecord;
  ch.s.fundings[last] = {
    ...current,
    lastRemoteNumber: rc.number,
    holder: { number: lc.number, signature: lc.signature },
  };
  ch.s.fundings.push({
    outpoint: rb.outpoint,
    firstRemoteNumber: rc.number,
    lastRemoteNumber: null,
    holder: null,
  });
  ch.s.localCommit = { ...lc, signature: rb.signature };
  ch.s.rebind = null;
  ch.peerRebindNonce = undefined;
  ch.s.localStfu = false;
  ch.s.remoteStfu = false;
  ch.quiesceWanted = false;
  ch.persist([]);
}
