// Internal: display-hex txids of the persisted encodings, checked with this package's error.
import { fromHex } from '@superscalar/core';
import { InvalidArgumentError } from './errors.js';

/** The 32 bytes of a txid written as 64 lower-case hex characters; anything else names `argument`. */
export function txidHexBytes(hex: string, argument: string): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex))
    throw new InvalidArgumentError(argument, 'expected 64 lowercase hex characters');
  return fromHex(hex);
}
