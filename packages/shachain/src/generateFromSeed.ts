/**
 * BOLT 3 per-commitment secret generation ("Per-commitment Secret Requirements",
 * lightning/bolts 03-transactions.md). The sender derives secret I from a 32-byte seed by walking the
 * bits of the 48-bit index from bit 47 down to 0, flipping that bit of the running value and hashing
 * with SHA256 whenever the index has the bit set.
 *
 * Indices are plain `number`s: every 48-bit value is a safe integer, and the sender uses index
 * 2^48 − 1 − n for commitment number n.
 */
import { assertBytes, assertIndex, MAX_INDEX } from './_assert.js';
import { deriveSecret, INDEX_BITS } from './_derive.js';

/** The first index a sender uses (2^48 − 1); commitment number n uses `FIRST_INDEX − n`. */
export const FIRST_INDEX: number = MAX_INDEX;

/**
 * `generate_from_seed(seed, I)`: the per-commitment secret for index `index`.
 *
 * @param seed - 32-byte secret seed (copied, never modified).
 * @param index - integer in [0, 2^48 − 1]; use `FIRST_INDEX − commitmentNumber`.
 * @returns the 32-byte secret (a new array).
 * @throws {InvalidArgumentError} when `seed` is not 32 bytes or `index` is out of range.
 */
export function generateFromSeed(seed: Uint8Array, index: number): Uint8Array {
  assertBytes(seed, 32, 'seed');
  assertIndex(index, 'index');
  return deriveSecret(seed, INDEX_BITS, index);
}

/**
 * The index of commitment number `commitmentNumber` (0, 1, 2, …): `2^48 − 1 − commitmentNumber`.
 *
 * @throws {InvalidArgumentError} when `commitmentNumber` is not an integer in [0, 2^48 − 1].
 */
export function commitmentIndex(commitmentNumber: number): number {
  assertIndex(commitmentNumber, 'commitmentNumber');
  return MAX_INDEX - commitmentNumber;
}
