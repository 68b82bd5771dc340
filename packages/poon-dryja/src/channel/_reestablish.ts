/**
 * Internal: the connection (BOLT 2 reconnection). A disconnect forgets what no `commitment_signed`
 * covers on both sides; `connected` sends `channel_reestablish` with a fresh verification nonce; the
 * peer's `channel_reestablish` is checked against our commitments and secrets, and the
 * `commitment_signed` and `revoke_and_ack` it lacks are retransmitted in the order first sent.
 *
 * @module
 */

import { equalBytes } from '@superscalar/core';
import type { NonceGenResult } from '@superscalar/musig2';
import { commitmentIndex } from '@superscalar/shachain';
import { IllegalStepError } from '../channelErrors.js';
import type { ChannelMessage } from '../messages.js';
import type { CommitmentRecord } from '../state.js';
import { type ChannelCore, isBytes, ZERO32 } from './_core.js';
import { other } from './_log.js';
import { tryStfu } from './_rebind.js';
import { sendRevocation } from './_revocation.js';
import { signAsSigner, trySign } from './_signing.js';
import { updateMessage } from './_updates.js';

export function dropUncommitted(ch: ChannelCore) {
  const l = ch.s.localChanges;
  const r = ch.s.remoteChanges;
  ch.s.localNextHtlcId -= BigInt(l.proposed.filter((u) => u.kind === 'add').length);
  ch.s.remoteNextHtlcId -= BigInt(r.proposed.filter((u) => u.kind === 'add').length);
  l.proposed = [];
  r.proposed = [];
  ch.s.localStfu = false;
  ch.s.remoteStfu = false;
  ch.quiesceWanted = false;
  ch.commitWanted = false;
}

export function disconnect(ch: ChannelCore) {
  ch.connected = false;
  ch.reestablishSent = false;
  ch.awaitingReestablish = false;
  ch.inbox = [];
  ch.outbox = ch.outbox.filter((o) => o.action.kind !== 'send');
  ch.myNonces = [];
  ch.peerNonces = [];
  if (ch.s.phase === 'normal') dropUncommitted(ch);
}

export function connect(ch: ChannelCore) {
  if (ch.s.phase !== 'normal')
    throw new IllegalStepError(
      'phase',
      'ignore',
      'local',
      `reconnecting a channel that is ${ch.s.phase} (an interrupted opening restarts the ceremony)`,
    );
  ch.connected = true;
  ch.awaitingReestablish = true;
  const lc = ch.requireLocal();
  const rc = ch.s.remoteCommit as CommitmentRecord;
  ch.myNonces = [ch.freshNonce()];
  ch.reestablishSent = true;
  ch.send({
    type: 'channel_reestablish',
    channelId: ch.s.channelId,
    nextCommitmentNumber: lc.number + 1,
    nextRevocationNumber: rc.number,
    yourLastPerCommitmentSecret:
      rc.number > 0 ? (ch.s.remoteSecrets.getSecret(commitmentIndex(rc.number - 1)) ?? ZERO32) : ZERO32,
    myCurrentPerCommitmentPoint: lc.point,
    verificationNonce: (ch.myNonces[0] as NonceGenResult).pubnonce,
  });
}

export function onReestablish(ch: ChannelCore, m: Extract<ChannelMessage, { type: 'channel_reestablish' }>) {
  if (!ch.awaitingReestablish || !ch.reestablishSent)
    ch.peerError(
      (o) => new IllegalStepError('reestablish', 'disconnect', o, 'unexpected channel_reestablish'),
    );
  if (
    !isBytes(m.verificationNonce, 66) ||
    !Number.isInteger(m.nextCommitmentNumber) ||
    !Number.isInteger(m.nextRevocationNumber) ||
    !isBytes(m.yourLastPerCommitmentSecret, 32)
  )
    ch.peerError((o) => new IllegalStepError('malformed', 'disconnect', o, 'channel_reestablish fields'));
  const lc = ch.requireLocal();
  const rc = ch.s.remoteCommit as CommitmentRecord;
  // The peer's view of our commitments: it holds our revocations below nextRevocationNumber.
  const needRevocation = m.nextRevocationNumber === lc.number - 1;
  if (!needRevocation && m.nextRevocationNumber !== lc.number)
    ch.peerError(
      (o) =>
        new IllegalStepError(
          'reestablish',
          'force-close',
          o,
          `the peer expects our revocation of ${m.nextRevocationNumber}; our commitment is ${lc.number}`,
        ),
    );
  if (
    m.nextRevocationNumber > 0 &&
    !equalBytes(m.yourLastPerCommitmentSecret, ch.localSecret(m.nextRevocationNumber - 1))
  )
    ch.peerError(
      (o) =>
        new IllegalStepError(
          'reestablish',
          'force-close',
          o,
          'the peer does not hold our last revealed secret',
        ),
    );
  const next = ch.s.nextRemoteCommit;
  let resendCommit = false;
  if (next !== null && m.nextCommitmentNumber === next.number) resendCommit = true;
  else if (next !== null && m.nextCommitmentNumber === next.number + 1) resendCommit = false;
  else if (next === null && m.nextCommitmentNumber === rc.number + 1) resendCommit = false;
  else
    ch.peerError(
      (o) =>
        new IllegalStepError(
          'reestablish',
          'force-close',
          o,
          `the peer's next commitment number ${m.nextCommitmentNumber} does not fit ours (${rc.number}${next ? `, ${next.number} signed` : ''})`,
        ),
    );
  ch.awaitingReestablish = false;
  ch.peerNonces = [Uint8Array.from(m.verificationNonce)];
  const resendRevoke = () => sendRevocation(ch, true);
  const resendCommitSigned = () => {
    const n = next as CommitmentRecord;
    for (const u of ch.s.localChanges.signed) ch.send(updateMessage(ch, u));
    const c = ch.build(other(ch.s.role), n.number, n.point, n.spec, ch.funding);
    const { psig, pubnonce } = signAsSigner(ch, c);
    ch.send({
      type: 'commitment_signed',
      channelId: ch.s.channelId,
      partialSig: psig,
      signingNonce: pubnonce,
    });
  };
  if (needRevocation && resendCommit) {
    if (ch.s.lastSent === 'commit') {
      resendRevoke();
      resendCommitSigned();
    } else {
      resendCommitSigned();
      resendRevoke();
    }
  } else if (needRevocation) resendRevoke();
  else if (resendCommit) resendCommitSigned();
  trySign(ch);
  tryStfu(ch);
}
