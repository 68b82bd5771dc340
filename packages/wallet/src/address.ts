/**
 * Segwit addresses (BIP173 bech32 for version 0, BIP350 bech32m for versions 1–16) of one network.
 * The wallet only pays and receives segwit outputs; a legacy address, or one of another network, is
 * refused.
 *
 * @module
 */

import { bech32, bech32m } from '@scure/base';
import { type Network, segwitHrp } from '@superscalar/core';
import { InvalidArgumentError, WrongNetworkError } from './errors.js';

/** The scriptPubKey of a segwit `address` of `network`. */
export function addressToScript(address: string, network: Network): Uint8Array {
  if (typeof address !== 'string') throw new InvalidArgumentError('address', 'expected a string');
  const lower = address.toLowerCase();
  if (lower !== address && address.toUpperCase() !== address)
    throw new InvalidArgumentError('address', 'mixed case');
  const sep = lower.lastIndexOf('1');
  const hrp = sep > 0 ? lower.slice(0, sep) : '';
  if (hrp === 'bc' || hrp === 'tb' || hrp === 'bcrt') {
    if (hrp !== segwitHrp(network)) throw new WrongNetworkError(address, network);
  } else if (/^[123mn]/.test(address) && !address.includes('1', 1)) {
    throw new InvalidArgumentError(
      'address',
      'legacy (base58) addresses are not supported: use a segwit address',
    );
  } else {
    throw new WrongNetworkError(address, network);
  }
  let version: number;
  let program: Uint8Array;
  try {
    const d = bech32.decodeUnsafe(lower, 90) ?? bech32m.decode(lower as `${string}1${string}`, 90);
    version = d.words[0] as number;
    const isM = bech32.decodeUnsafe(lower, 90) === undefined;
    if ((version === 0) === isM) throw new Error(version === 0 ? 'v0 must be bech32' : 'v1+ must be bech32m');
    program = (isM ? bech32m : bech32).fromWords(d.words.slice(1));
  } catch (cause) {
    throw new InvalidArgumentError('address', 'not a valid segwit address', { cause });
  }
  if (
    version > 16 ||
    program.length < 2 ||
    program.length > 40 ||
    (version === 0 && program.length !== 20 && program.length !== 32)
  )
    throw new InvalidArgumentError('address', 'invalid witness program');
  const script = new Uint8Array(2 + program.length);
  script[0] = version === 0 ? 0 : 0x50 + version;
  script[1] = program.length;
  script.set(program, 2);
  return script;
}

/** The segwit address of `script` on `network`, or undefined for a non-segwit script. */
export function scriptToAddress(script: Uint8Array, network: Network): string | undefined {
  if (script.length < 4 || script.length > 42 || script[1] !== script.length - 2) return undefined;
  const op = script[0] as number;
  const version = op === 0 ? 0 : op >= 0x51 && op <= 0x60 ? op - 0x50 : -1;
  if (version < 0) return undefined;
  const words = [version, ...bech32.toWords(script.subarray(2))];
  return (version === 0 ? bech32 : bech32m).encode(segwitHrp(network), words, 90);
}
