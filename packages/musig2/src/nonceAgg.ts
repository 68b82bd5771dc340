/**
 * BIP327 NonceAgg: sums the signers' public nonces into the 66-byte aggregate nonce, blaming the first
 * signer whose public nonce does not decode.
 *
 * @see https://github.com/bitcoin/bips/blob/master/bip-0327.mediawiki#nonce-aggregation
 */

import { curve } from '@superscalar/secp';
import { assertBytesArray } from './_assert.js';
import { InvalidContributionError } from './errors.js';
import { cbytesExt, type Point, pointFromCompressed } from './point.js';

/** Decodes a 66-byte public nonce into its two points, blaming `signer` (with `contrib`) on failure. */
export function decodePubnonce(
  pubnonce: Uint8Array,
  signer: number | null,
  contrib: 'pubnonce' | 'aggothernonce' = 'pubnonce',
): [Point, Point] {
  try {
    return [pointFromCompressed(pubnonce.subarray(0, 33)), pointFromCompressed(pubnonce.subarray(33, 66))];
  } catch (cause) {
    throw new InvalidContributionError(signer, contrib, { cause });
  }
}

/** Sums decoded public nonces and encodes the aggregate nonce with `cbytes_ext`. */
export function aggregateNoncePoints(nonces: readonly (readonly [Point, Point])[]): Uint8Array {
  return encodeNoncePoints(sumNoncePoints(nonces));
}

/** @internal The two sums `(Σ R_i,1, Σ R_i,2)` of decoded public nonces (either may be infinity). */
export function sumNoncePoints(nonces: readonly (readonly [Point, Point])[]): [Point, Point] {
  const backend = curve();
  return [backend.sum(nonces.map((x) => x[0])), backend.sum(nonces.map((x) => x[1]))];
}

/** @internal `cbytes_ext(R1) || cbytes_ext(R2)`. */
export function encodeNoncePoints([R1, R2]: readonly [Point, Point]): Uint8Array {
  const out = new Uint8Array(66);
  out.set(cbytesExt(R1), 0);
  out.set(cbytesExt(R2), 33);
  return out;
}

/**
 * BIP327 `NonceAgg(pubnonce_1..u)`: `aggnonce = cbytes_ext(Σ R_i,1) || cbytes_ext(Σ R_i,2)`.
 *
 * @throws InvalidContributionError `{ signer: i, contrib: 'pubnonce' }` for the first undecodable nonce.
 */
export function nonceAgg(pubnonces: readonly Uint8Array[]): Uint8Array {
  assertBytesArray(pubnonces, 'pubnonces', 66, 1);
  // "For j = 1 .. 2: For i = 1 .. u: Let R_i,j = cpoint(pubnonce_i[(j-1)*33:j*33]); fail if that
  //  fails and blame signer i" -- all first halves are checked before any second half.
  const halves = [0, 33].map((off) =>
    pubnonces.map((pn, i) => {
      try {
        return pointFromCompressed(pn.subarray(off, off + 33));
      } catch (cause) {
        throw new InvalidContributionError(i, 'pubnonce', { cause });
      }
    }),
  ) as [Point[], Point[]];
  return aggregateNoncePoints(halves[0].map((A, i) => [A, halves[1][i] as Point] as const));
}
