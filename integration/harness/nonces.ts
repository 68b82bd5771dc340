// Nonce hygiene checks the suites share: the public nonces a message carries, and a counter of the
// signatures made with each secret nonce object (a reuse would sign twice with one).
import { toHex } from '@superscalar/core';
import type { NonceObserver } from '@superscalar/poon-dryja';
import type { Message } from '@superscalar/wire';

/** Public nonces a message carries (ceremony round 1 and the channel's). */
export function publicNoncesOf(m: Message): string[] {
  switch (m.type) {
    case 'factory_nonces':
      return [
        ...m.nonces.map((n) => toHex(n.pubnonce)),
        ...m.distributionNonces.map((n) => toHex(n.pubnonce)),
      ];
    case 'channel_ready':
      return [
        toHex(m.verificationNonce),
        ...(m.secondVerificationNonce === undefined ? [] : [toHex(m.secondVerificationNonce)]),
      ];
    case 'channel_reestablish':
      return [toHex(m.verificationNonce)];
    case 'commitment_signed':
      return [toHex(m.signingNonce)];
    case 'revoke_and_ack':
      return [toHex(m.nextVerificationNonce)];
    default:
      return [];
  }
}

/** Counts each secret nonce object's signatures (a reuse would sign twice with one object). */
export function nonceCounter(): NonceObserver & { max(): number } {
  const uses = new WeakMap<object, number>();
  let max = 0;
  return {
    signedWith(nonce) {
      const n = (uses.get(nonce) ?? 0) + 1;
      uses.set(nonce, n);
      max = Math.max(max, n);
    },
    max: () => max,
  };
}
