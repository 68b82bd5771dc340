/**
 * Internal: revocation (BOLT 2 `revoke_and_ack`, BOLT 3 shachain). Sending ours with the next point
 * and a fresh verification nonce; receiving the counterparty's: its secret must be the revoked
 * commitment's and consistent with shachain, and the revoked commitment's penalties are pre-signed for
 * every outpoint copy (brief §5.4) and persisted with it as a watchtower record.
 *
 * @module
 */

import { equalBytes } from '@superscalar/core';
import type { NonceGenResult } from '@superscalar/musig2';
import { commitmentIndex, ShachainStore } from '@superscalar/shachain';
import { RevocationRejectedError } from '../channelErrors.js';
import { perCommitmentPoint } from '../keys.js';
import type { RevokeAndAck } from '../messages.js';
import { buildPenaltiesForCopies } from '../penalty.js';
import type { CommitmentRecord } from '../state.js';
import { encodeWatchtowerRecord } from '../watchtower.js';
import { type ChannelCore, isBytes, PeerFault, validPoint } from './_core.js';
import { other } from './_log.js';
import type { RevokedCopy } from './types.js';

/** `revoke_and_ack` for our commitment `localCommit.number − 1`, with a fresh verification nonce. */
export function sendRevocation(ch: ChannelCore, retransmit = false) {
  const lc = ch.requireLocal();
  if (!retransmit) ch.myNonces = [ch.freshNonce()];
  const nonce = ch.myNonces[0] as NonceGenResult;
  ch.send({
    type: 'revoke_and_ack',
    channelId: ch.s.channelId,
    perCommitmentSecret: ch.localSecret(lc.number - 1),
    nextPerCommitmentPoint: ch.localPoint(lc.number + 1),
    nextVerificationNonce: nonce.pubnonce,
  });
}

export function onRevokeAndAck(ch: ChannelCore, m: RevokeAndAck) {
  const next = ch.s.nextRemoteCommit;
  const rc = ch.s.remoteCommit;
  if (ch.s.phase !== 'normal' || next === null || rc === null)
    throw new PeerFault(
      new RevocationRejectedError(
        'unexpected',
        rc?.number ?? 0,
        'no counterparty commitment awaits revocation',
      ),
    );
  if (
    !isBytes(m.perCommitmentSecret, 32) ||
    !validPoint(m.nextPerCommitmentPoint) ||
    !isBytes(m.nextVerificationNonce, 66)
  )
    throw new PeerFault(new RevocationRejectedError('wrong-point', rc.number, 'malformed revoke_and_ack'));
  let point: Uint8Array | undefined;
  try {
    point = perCommitmentPoint(m.perCommitmentSecret);
  } catch {
    point = undefined;
  }
  if (point === undefined || !equalBytes(point, rc.point))
    throw new PeerFault(
      new RevocationRejectedError('wrong-point', rc.number, "the secret is not the revoked commitment's"),
    );
  const secrets = ShachainStore.decode(ch.s.remoteSecrets.encode());
  try {
    secrets.insertSecret(m.perCommitmentSecret, commitmentIndex(rc.number));
  } catch (cause) {
    throw new PeerFault(
      new RevocationRejectedError(
        'shachain',
        rc.number,
        'the secret is inconsistent with the secrets received before',
        { cause },
      ),
    );
  }
  const copies = penalties(ch, rc, m.perCommitmentSecret);
  ch.s.remoteSecrets = secrets;
  ch.s.remoteCommit = next;
  ch.s.nextRemoteCommit = null;
  ch.s.remoteNextPoints = [Uint8Array.from(m.nextPerCommitmentPoint)];
  ch.peerNonces = [Uint8Array.from(m.nextVerificationNonce)];
  const irrevocable = ch.s.remoteChanges.signed;
  const acked = ch.s.localChanges.signed;
  ch.s.localChanges.acked.push(...acked);
  ch.s.localChanges.signed = [];
  ch.s.remoteChanges.signed = [];
  const record = encodeWatchtowerRecord({
    channelId: ch.s.channelId,
    commitmentNumber: rc.number,
    copies,
  });
  ch.persist([{ key: `revoked/${rc.number}`, bytes: record }]);
  ch.out.push({ kind: 'watch', watch: { type: 'revoked', commitmentNumber: rc.number, copies } });
  for (const u of irrevocable) {
    if (u.kind === 'add')
      ch.emitDurable({
        type: 'htlc_received',
        id: u.htlc.id,
        amountMsat: u.htlc.amountMsat,
        paymentHash: u.htlc.paymentHash,
        cltvExpiry: u.htlc.cltvExpiry,
        onion: u.onion,
      });
    else if (u.kind === 'fail') ch.emitDurable({ type: 'htlc_failed', id: u.id, reason: u.reason });
  }
}

/** Pre-signed penalties for every outpoint copy of the revoked counterparty commitment (brief §5.4). */
export function penalties(ch: ChannelCore, rc: CommitmentRecord, secret: Uint8Array): RevokedCopy[] {
  const remote = other(ch.s.role);
  const copies = ch.s.fundings
    .filter(
      (f) =>
        f.firstRemoteNumber <= rc.number && (f.lastRemoteNumber === null || rc.number <= f.lastRemoteNumber),
    )
    // Each copy with its own amounts (brief §5.4: a capacity change gives commitment n other amounts
    // on the new outpoint than on the old one).
    .map((f) => {
      const own = f.balances !== null && f.lastRemoteNumber === rc.number ? f.balances : null;
      const spec = own === null ? rc.spec : { ...rc.spec, lspMsat: own.lspMsat, clientMsat: own.clientMsat };
      return ch.build(remote, rc.number, rc.point, spec, f.outpoint);
    });
  const sets = buildPenaltiesForCopies(copies, {
    perCommitmentSecret: secret,
    revocationBasepointSecret: ch.secrets.revocationBasepointSecret,
    sweepScript: ch.options.sweepScript,
    feeRate: ch.options.penaltyFeeRate ?? rc.spec.feeRate,
    rng: ch.rng,
  });
  return sets.map((set) => ({
    funding: set.funding,
    commitmentTxid: set.commitmentTxid,
    penalties: set.transactions.map((t) => t.bytes),
  }));
}
