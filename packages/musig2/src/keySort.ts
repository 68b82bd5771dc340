/**
 * BIP327 KeySort: sorts individual public keys lexicographically (byte order), so the aggregate key
 * does not depend on the order in which participants are listed. The project aggregates every key set
 * as `keyAgg(keySort(keys))` (protocol brief §1).
 *
 * @see https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#key-sorting
 */
import { assertBytesArray } from './_assert.js';

/** Compares two byte strings lexicographically (like `memcmp`, shorter first on a common prefix). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

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
