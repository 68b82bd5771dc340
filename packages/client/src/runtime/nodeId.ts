/**
 * A node's id from its secret: lower-case hex of the 33-byte compressed public key (what `PeerId`s,
 * identity proofs and LSP addresses carry).
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import { curve, encodePoint, n } from '@superscalar/secp';
import { InvalidArgumentError } from '../errors.js';

/**
 * The node id of `secret` (32 bytes, a valid secp256k1 scalar).
 *
 * @throws {InvalidArgumentError} `argument` for anything else.
 */
export function nodeIdOf(secret: Uint8Array, argument = 'nodeSecret'): string {
  if (!(secret instanceof Uint8Array) || secret.length !== 32)
    throw new InvalidArgumentError(argument, 'expected 32 bytes');
  let d = 0n;
  for (const b of secret) d = (d << 8n) | BigInt(b);
  if (d === 0n || d >= n) throw new InvalidArgumentError(argument, 'not a valid secp256k1 secret key');
  return toHex(encodePoint(curve().mulG(d)));
}
