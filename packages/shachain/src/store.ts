/**
 * The BOLT 3 compact receiver store ("Efficient Per-commitment Secret Storage",
 * lightning/bolts 03-transactions.md). A receiver of per-commitment secrets keeps at most 49 of them
 * (one per count of trailing zero bits of the index, 0..48) and can still derive every secret it has
 * received. Each new secret must derive every stored secret with fewer trailing zeros; one that
 * does not cannot come from the sender's seed and is rejected.
 *
 * Stricter than the spec text: secrets must arrive in order, exactly 2^48 − 1, 2^48 − 2, …, 0 (the
 * only order in which BOLT 2 reveals them); a gap or repeat is an {@link UnexpectedIndexError}. A
 * rejected insert leaves the store unchanged.
 *
 * Encoding (version 1), written by {@link ShachainStore.encode} and stored by the channel state:
 * ```
 * 0x01                          version
 * received   7 bytes, big-endian number of secrets received, 0 ..= 2^48
 * secrets    32 bytes each, one per occupied position, ascending position
 * ```
 * The occupied positions and their indices follow from `received`, so the encoding is canonical: one
 * byte string per store state.
 */
import { equalBytesConstantTime } from '@superscalar/core';
import { assertBytes, assertIndex, MAX_INDEX } from './_assert.js';
import { deriveSecret, INDEX_BITS, samePrefix, trailingZeros } from './_derive.js';
import {
  DecodeError,
  InconsistentSecretError,
  InvalidArgumentError,
  UnexpectedIndexError,
} from './errors.js';

/** Number of positions (and so the most secrets) the compact store holds: 49. */
export const MAX_STORED_SECRETS = INDEX_BITS + 1;

/** Version byte of the encoding written by {@link ShachainStore.encode}. */
export const STORE_ENCODING_VERSION = 1;

const TOTAL = 2 ** 48; // number of indices, so the largest possible `received`
const HEADER = 8;

/**
 * Index held at `position` when the secrets from 2^48 − 1 down to `lowest` have been received, or
 * `undefined` if none of them has exactly `position` trailing zeros. It is the most recently received
 * such index, i.e. the smallest one ≥ `lowest`.
 */
function indexAt(position: number, lowest: number): number | undefined {
  if (position === INDEX_BITS) return lowest === 0 ? 0 : undefined;
  const step = 2 ** position; // indices with exactly `position` trailing zeros are odd multiples of step
  let k = Math.ceil(lowest / step);
  if (k % 2 === 0) k += 1;
  const index = k * step;
  return index <= MAX_INDEX ? index : undefined;
}

/**
 * A receiver's compact store of per-commitment secrets (≤ 49 entries), with lookup of every secret
 * received so far and a canonical, versioned byte encoding.
 *
 * Mutable: {@link insertSecret} updates the store in place when it succeeds, and not at all when it
 * throws. Persist {@link ShachainStore.encode}'s output before acting on a new secret.
 */
export class ShachainStore {
  /** `secrets[p]`: the secret whose index has exactly p trailing zeros, if any. */
  readonly #secrets: (Uint8Array | undefined)[];
  /** `indices[p]`: the index of `secrets[p]`. */
  readonly #indices: number[];
  #received: number;

  /** An empty store, ready for index 2^48 − 1. */
  constructor() {
    this.#secrets = new Array<Uint8Array | undefined>(MAX_STORED_SECRETS).fill(undefined);
    this.#indices = new Array<number>(MAX_STORED_SECRETS).fill(0);
    this.#received = 0;
  }

  /** Number of secrets received so far (0 ..= 2^48). */
  get received(): number {
    return this.#received;
  }

  /** The index the store accepts next, or `undefined` once index 0 has been received. */
  get nextIndex(): number | undefined {
    return this.#received === TOTAL ? undefined : MAX_INDEX - this.#received;
  }

  /** Number of secrets physically held (≤ 49). */
  get storedCount(): number {
    return this.#secrets.reduce((n, s) => (s === undefined ? n : n + 1), 0);
  }

  /**
   * `insert_secret(secret, I)`: accepts the secret for the next index after checking that it derives
   * every stored secret it should.
   *
   * @param secret - 32 bytes (copied).
   * @param index - must equal {@link nextIndex}.
   * @throws {UnexpectedIndexError} when `index` is not {@link nextIndex}.
   * @throws {InconsistentSecretError} when `secret` does not derive an earlier secret.
   * @throws {InvalidArgumentError} when `secret` is not 32 bytes or `index` is out of range.
   */
  insertSecret(secret: Uint8Array, index: number): void {
    assertBytes(secret, 32, 'secret');
    assertIndex(index, 'index');
    const expected = this.nextIndex;
    if (index !== expected) throw new UnexpectedIndexError(index, expected);
    const position = trailingZeros(index);
    // spec: "for b in 0 to B-1: if derive_secret(secret, B, known[b].index) != known[b].secret: error"
    for (let b = 0; b < position; b++) {
      const known = this.#secrets[b];
      const knownIndex = this.#indices[b] as number;
      if (known !== undefined && !equalBytesConstantTime(deriveSecret(secret, position, knownIndex), known))
        throw new InconsistentSecretError(index, knownIndex);
    }
    this.#secrets[position] = Uint8Array.from(secret);
    this.#indices[position] = index;
    this.#received += 1;
  }

  /**
   * The secret for `index`, derived from the stored entries, or `undefined` when it has not been
   * received yet (`index` < the lowest index received).
   *
   * @throws {InvalidArgumentError} when `index` is not an integer in [0, 2^48 − 1].
   */
  getSecret(index: number): Uint8Array | undefined {
    assertIndex(index, 'index');
    if (this.#received === 0 || index < TOTAL - this.#received) return undefined;
    for (let p = 0; p < MAX_STORED_SECRETS; p++) {
      const known = this.#secrets[p];
      if (known !== undefined && samePrefix(index, this.#indices[p] as number, p))
        return deriveSecret(known, p, index);
    }
    // Unreachable: every received index shares its prefix with some stored entry.
    return undefined;
  }

  /** The canonical version-1 encoding (see the module comment). */
  encode(): Uint8Array {
    const count = this.storedCount;
    const out = new Uint8Array(HEADER + 32 * count);
    out[0] = STORE_ENCODING_VERSION;
    let r = this.#received;
    for (let i = 7; i >= 1; i--) {
      out[i] = r % 256;
      r = Math.floor(r / 256);
    }
    let at = HEADER;
    for (const s of this.#secrets) {
      if (s === undefined) continue;
      out.set(s, at);
      at += 32;
    }
    return out;
  }

  /**
   * Decodes {@link ShachainStore.encode}'s output strictly: known version, `received` ≤ 2^48, exactly the secrets
   * that count implies, and every consistency check between the stored secrets that insertion made
   * and that still applies (a newer entry with more trailing zeros must derive the older ones under it).
   *
   * @throws {DecodeError} on any deviation (code `SHACHAIN_DECODE`).
   * @throws {InvalidArgumentError} when `bytes` is not a Uint8Array.
   */
  static decode(bytes: Uint8Array): ShachainStore {
    if (!(bytes instanceof Uint8Array))
      throw new InvalidArgumentError('bytes', `expected a Uint8Array, got ${typeof bytes}`);
    if (bytes.length < HEADER) throw new DecodeError(`${bytes.length} bytes, need at least 8`);
    if (bytes[0] !== STORE_ENCODING_VERSION)
      throw new DecodeError(`unsupported version ${bytes[0]}, this code reads version 1`);
    let received = 0;
    for (let i = 1; i < HEADER; i++) received = received * 256 + (bytes[i] as number);
    if (received > TOTAL) throw new DecodeError(`received count ${received} exceeds 2^48`);
    const store = new ShachainStore();
    const lowest = TOTAL - received;
    let at = HEADER;
    if (received > 0) {
      for (let p = 0; p < MAX_STORED_SECRETS; p++) {
        const index = indexAt(p, lowest);
        if (index === undefined) continue;
        if (at + 32 > bytes.length)
          throw new DecodeError(`truncated: ${bytes.length} bytes, secret at position ${p} missing`);
        store.#secrets[p] = bytes.slice(at, at + 32);
        store.#indices[p] = index;
        at += 32;
      }
    }
    if (at !== bytes.length)
      throw new DecodeError(`${bytes.length - at} trailing bytes after ${received} secrets' entries`);
    store.#received = received;
    for (let p = 1; p < MAX_STORED_SECRETS; p++) {
      const high = store.#secrets[p];
      if (high === undefined) continue;
      const highIndex = store.#indices[p] as number;
      for (let b = 0; b < p; b++) {
        const low = store.#secrets[b];
        const lowIndex = store.#indices[b] as number;
        if (low === undefined || !samePrefix(lowIndex, highIndex, p)) continue;
        if (!equalBytesConstantTime(deriveSecret(high, p, lowIndex), low))
          throw new DecodeError(
            `stored secret for index ${highIndex} does not derive the stored secret for index ${lowIndex}`,
            { cause: new InconsistentSecretError(highIndex, lowIndex) },
          );
      }
    }
    return store;
  }
}
