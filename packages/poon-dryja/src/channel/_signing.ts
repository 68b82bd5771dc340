/**
 * Internal: commitment signing (brief §7's two-nonce MuSig2 scheme, §8 step 5). Opening
 * (`channel_ready` both ways, commitment 0 signed both ways, `ready`); the signer side
 * (DeterministicSign with the holder's verification nonce, last to sign); the holder side (verify the
 * partial, add ours, aggregate, verify against the channel output key); `commitment_signed` sent when
 * BOLT 2 and persistence allow, and received.
 *
 * @module
 */

import { equalBytes } from '@superscalar/core';
import {
  deterministicSign,
  type NonceGenResult,
  nonceAgg,
  Session,
  schnorrVerify,
} from '@superscalar/musig2';
import { IllegalStepError, SignatureRejectedError } from '../channelErrors.js';
import type { Commitment } from '../commitment.js';
import { InvariantError, SelfVerificationError } from '../errors.js';
import type { ChannelMessage, CommitmentSigned } from '../messages.js';
import type { CommitmentRecord } from '../state.js';
import { type ChannelCore, isBytes, PeerFault, validPoint } from './_core.js';
import { by, other, reduce } from './_log.js';
import { sendRevocation } from './_revocation.js';

export function onChannelReady(ch: ChannelCore, m: Extract<ChannelMessage, { type: 'channel_ready' }>) {
  if (ch.s.phase !== 'opening' || ch.s.remoteNextPoints.length > 0 || ch.s.remoteCommit !== null)
    ch.peerError((o) => new IllegalStepError('phase', 'disconnect', o, 'unexpected channel_ready'));
  const second = m.secondPerCommitmentPoint;
  const secondNonce = m.secondVerificationNonce;
  if (
    !validPoint(m.nextPerCommitmentPoint) ||
    !isBytes(m.verificationNonce, 66) ||
    !validPoint(second) ||
    !isBytes(secondNonce, 66)
  )
    ch.peerError(
      (o) =>
        new IllegalStepError(
          'malformed',
          'disconnect',
          o,
          'channel_ready needs two points and two verification nonces',
        ),
    );
  ch.s.remoteNextPoints = [Uint8Array.from(m.nextPerCommitmentPoint), Uint8Array.from(second)];
  ch.peerNonces = [Uint8Array.from(m.verificationNonce), Uint8Array.from(secondNonce)];
  signInitial(ch);
}

/** Signs the counterparty's commitment 0 (brief §8 step 5). */
export function signInitial(ch: ChannelCore) {
  if (ch.openingSentCommit || ch.outstanding()) return;
  const point = ch.s.remoteNextPoints.shift() as Uint8Array;
  const spec = ch.s.initialSpec;
  const c = ch.build(other(ch.s.role), 0, point, spec, ch.funding);
  const { psig, pubnonce } = signAsSigner(ch, c);
  ch.openingSentCommit = true;
  ch.s.remoteCommit = { number: 0, spec, point };
  ch.s.lastSent = 'commit';
  ch.persist([]);
  ch.send({
    type: 'commitment_signed',
    channelId: ch.s.channelId,
    partialSig: psig,
    signingNonce: pubnonce,
  });
}

export function maybeReady(ch: ChannelCore) {
  if (ch.s.phase !== 'opening' || ch.s.localCommit === null || ch.s.remoteCommit === null || ch.outstanding())
    return;
  ch.s.phase = 'normal';
  ch.persist([]);
  ch.emitDurable({ type: 'ready' });
}

/** DeterministicSign as the last signer on the counterparty's commitment, with fresh aux randomness. */
export function signAsSigner(
  ch: ChannelCore,
  c: Commitment,
  peerNonce?: Uint8Array,
): { psig: Uint8Array; pubnonce: Uint8Array } {
  const nonce = peerNonce ?? ch.peerNonces.shift();
  if (nonce === undefined) throw new InvariantError('signing', 'no counterparty verification nonce');
  try {
    return deterministicSign({
      sk: ch.secrets.fundingSecret,
      aggothernonce: nonceAgg([nonce]),
      pubkeys: c.signingKeys,
      tweaks: [c.tweak],
      isXonly: [true],
      msg: c.sighash,
      rand: ch.rng(32),
    });
  } catch (cause) {
    throw new PeerFault(
      new SignatureRejectedError(
        'nonce',
        c.commitmentNumber,
        "the counterparty's verification nonce does not decode",
        { cause },
      ),
    );
  }
}

/**
 * Holder side of brief §7: add our partial (verification secret nonce) to the signer's, aggregate,
 * verify the aggregate against the channel output key. Returns the 64-byte signature.
 *
 * Neither partial is verified on its own on the way (BIP327's partial verification identifies a
 * disruptive signer; the aggregate check is what makes the signature ours to rely on): a valid
 * aggregate implies both partials were right, and ours never leaves this side. Only when the
 * aggregation or its check fails are the partials verified, to say whose fault it is: the
 * counterparty's (`nonce`: does not decode, `partial`: does not verify) or ours
 * (`SelfVerificationError`).
 */
export function completeAsHolder(
  ch: ChannelCore,
  c: Commitment,
  mine: NonceGenResult,
  psig: Uint8Array,
  signingNonce: Uint8Array,
): Uint8Array {
  const keys = c.signingKeys;
  const myIndex = keys.findIndex((k) => equalBytes(k, ch.localFundingKey));
  const peerIndex = 1 - myIndex;
  const pubnonces = myIndex === 0 ? [mine.pubnonce, signingNonce] : [signingNonce, mine.pubnonce];
  const undecodable = (cause: unknown) =>
    new PeerFault(
      new SignatureRejectedError(
        'nonce',
        c.commitmentNumber,
        "the counterparty's signing nonce or partial signature does not decode",
        { cause },
      ),
    );
  let session: Session;
  try {
    session = new Session({
      aggnonce: nonceAgg(pubnonces),
      pubkeys: keys,
      tweaks: [c.tweak],
      isXonly: [true],
      msg: c.sighash,
    });
  } catch (cause) {
    throw undecodable(cause);
  }
  ch.options.nonceObserver?.signedWith(mine.secnonce, c.sighash);
  const own = session.sign(mine.secnonce, ch.secrets.fundingSecret, { verify: false });
  let sig: Uint8Array | undefined;
  try {
    sig = session.partialSigAgg(myIndex === 0 ? [own, psig] : [psig, own]);
  } catch {
    sig = undefined;
  }
  if (sig !== undefined && schnorrVerify(sig, c.sighash, c.outputKey)) return sig;
  // Whose fault: theirs first, as before this check was deferred.
  let theirsOk: boolean;
  try {
    theirsOk = session.partialSigVerify(psig, signingNonce, peerIndex);
  } catch (cause) {
    throw undecodable(cause);
  }
  if (!theirsOk)
    throw new PeerFault(
      new SignatureRejectedError(
        'partial',
        c.commitmentNumber,
        "the counterparty's partial signature does not verify",
      ),
    );
  if (!session.partialSigVerify(own, mine.pubnonce, myIndex)) throw new SelfVerificationError('commitment');
  throw new PeerFault(
    new SignatureRejectedError(
      'aggregate',
      c.commitmentNumber,
      'the aggregate signature does not verify against the channel output key',
    ),
  );
}

export function hasChangesForRemote(ch: ChannelCore): boolean {
  return ch.s.localChanges.proposed.length > 0 || ch.s.remoteChanges.acked.length > 0;
}

/** Sends `commitment_signed` when BOLT 2 (no unrevoked next commitment) and persistence allow. */
export function trySign(ch: ChannelCore) {
  if (ch.s.phase !== 'normal' || !ch.connected || ch.awaitingReestablish) return;
  if (!hasChangesForRemote(ch)) {
    ch.commitWanted = false;
    return;
  }
  // Our own proposals wait for an explicit commit; the counterparty's acked updates are signed back
  // at once (BOLT 2: they must reach its commitment).
  if (!ch.commitWanted && ch.s.remoteChanges.acked.length === 0) return;
  if (ch.s.nextRemoteCommit !== null || ch.outstanding() || ch.peerNonces.length === 0) return;
  const rc = ch.s.remoteCommit as CommitmentRecord;
  const point = ch.s.remoteNextPoints[0];
  if (point === undefined) return;
  const remote = other(ch.s.role);
  const spec = reduce(rc.spec, [
    ...by(remote, ch.s.remoteChanges.acked),
    ...by(ch.s.role, ch.s.localChanges.proposed),
  ]);
  const number = rc.number + 1;
  const c = ch.build(remote, number, point, spec, ch.funding);
  const { psig, pubnonce } = signAsSigner(ch, c);
  ch.s.remoteNextPoints.shift();
  ch.s.nextRemoteCommit = { number, spec, point };
  ch.s.localChanges.signed.push(...ch.s.localChanges.proposed);
  ch.s.localChanges.proposed = [];
  ch.s.remoteChanges.signed.push(...ch.s.remoteChanges.acked);
  ch.s.remoteChanges.acked = [];
  ch.s.lastSent = 'commit';
  ch.commitWanted = false;
  ch.persist([]);
  ch.send({
    type: 'commitment_signed',
    channelId: ch.s.channelId,
    partialSig: psig,
    signingNonce: pubnonce,
  });
}

export function onCommitmentSigned(ch: ChannelCore, m: CommitmentSigned) {
  if (!isBytes(m.partialSig, 32) || !isBytes(m.signingNonce, 66))
    ch.peerError((o) => new IllegalStepError('malformed', 'disconnect', o, 'commitment_signed fields'));
  const mine = ch.myNonces[0];
  if (mine === undefined)
    ch.peerError(
      (o) =>
        new IllegalStepError(
          'awaiting-revocation',
          'disconnect',
          o,
          'commitment_signed before we sent a verification nonce for it',
        ),
    );
  if (ch.s.phase === 'opening') {
    if (ch.s.localCommit !== null)
      ch.peerError(
        (o) => new IllegalStepError('phase', 'disconnect', o, 'a second commitment_signed while opening'),
      );
    const point = ch.localPoint(0);
    const c = ch.build(ch.s.role, 0, point, ch.s.initialSpec, ch.funding);
    const signature = completeAsHolder(ch, c, mine, m.partialSig, m.signingNonce);
    ch.myNonces.shift();
    ch.s.localCommit = { number: 0, spec: ch.s.initialSpec, point, signature };
    ch.persist([]);
    return;
  }
  if (ch.s.phase !== 'normal')
    ch.peerError(
      (o) => new IllegalStepError('phase', 'disconnect', o, `commitment_signed while ${ch.s.phase}`),
    );
  const lc = ch.requireLocal();
  const remote = other(ch.s.role);
  const spec = reduce(lc.spec, [
    ...by(ch.s.role, ch.s.localChanges.acked),
    ...by(remote, ch.s.remoteChanges.proposed),
  ]);
  const number = lc.number + 1;
  const point = ch.localPoint(number);
  let c: Commitment;
  try {
    c = ch.build(ch.s.role, number, point, spec, ch.funding);
  } catch (cause) {
    throw new PeerFault(
      new IllegalStepError(
        'malformed',
        'force-close',
        'peer',
        `the commitment the counterparty signed cannot be built: ${(cause as Error).message}`,
      ),
    );
  }
  const signature = completeAsHolder(ch, c, mine, m.partialSig, m.signingNonce);
  ch.myNonces.shift();
  ch.s.localCommit = { number, spec, point, signature };
  ch.s.remoteChanges.acked.push(...ch.s.remoteChanges.proposed);
  ch.s.remoteChanges.proposed = [];
  ch.s.localChanges.acked = [];
  ch.s.lastSent = 'revoke';
  ch.persist([]);
  sendRevocation(ch);
  // A quiescence waiting for this, or the counterparty's acked updates, are handled after the ack.
}
