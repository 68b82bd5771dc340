/**
 * BIP327 KeySort: sorts individual public keys lexicographically (byte order), so the aggregate key
 * does not depend on the order in which participants are listed. The project aggregates every key set
 * as `keyAgg(keySort(keys))` (protocol brief §1).
 *
 * @see https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#key-sorting
 */
import { compareBytes } from '@superscalar/core';
import { assertBytesArray } from './_assert.js';

/**
 * BIP327 `KeySort(pk_1..u)`: returns copies of the 33-byte public keys sorted lexicographically. The
 * input array is not modified. Keys are not decoded (an invalid key is reported by {@link keyAgg}).
 */
export function keySort(pubkeys: readonly Uint8Array[]): Uint8Array[] {
  assertBytesArray(pubkeys, 'pubkeys', 33);
  return pubkeys.map((pk) => Uint8Array.from(pk)).sort(compareBytes);
}

/**
 * {@link keySort} that also returns where each sorted key came from: `sorted[j]` is
 * `pubkeys[order[j]]`. Use `order` to turn a signer index in the sorted list (as
 * `InvalidContributionError.signer` reports it for a session built on sorted keys) back into the
 * participant's own index. Equal keys keep their input order.
 */
export function keySortWithOrder(pubkeys: readonly Uint8Array[]): { sorted: Uint8Array[]; order: number[] } {
  assertBytesArray(pubkeys, 'pubkeys', 33);
  const order = pubkeys
    .map((_, i) => i)
    .sort((a, b) => compareBytes(pubkeys[a] as Uint8Array, pubkeys[b] as Uint8Array));
  return { sorted: order.map((i) => Uint8Array.from(pubkeys[i] as Uint8Array)), order };
}
