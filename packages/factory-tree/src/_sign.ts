// Internal: single-key BIP340 signing for the §6 spends (BIP86 key path of a fee coin, tapscript
// `<key> OP_CHECKSIG` leaves), on the active `@superscalar/secp` curve backend. The BIP341 tweak is
// @superscalar/tx's.
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { curve, encodePoint, n, schnorrSign } from '@superscalar/secp';
import { tweakSecretKey } from '@superscalar/tx';
import { InvalidArgumentError } from './errors.js';

/** The 33-byte compressed public key of a 32-byte secret key; `argument` names it in the error. */
export function publicKeyOf(secretKey: Uint8Array, argument: string): Uint8Array {
  const d = bytesToNumberBE(secretKey);
  if (secretKey.length !== 32 || d === 0n || d >= n)
    throw new InvalidArgumentError(argument, 'not a valid secp256k1 secret key');
  return encodePoint(curve().mulG(d));
}

/** x-only BIP86 output key of a single secret key: `P + TapTweak(xonly(P))·G`. */
export function bip86OutputKey(secretKey: Uint8Array): Uint8Array {
  const tweaked = tweakSecretKey(secretKey);
  try {
    return encodePoint(curve().mulG(bytesToNumberBE(tweaked))).subarray(1);
  } finally {
    tweaked.fill(0);
  }
}

// noble's schnorr.sign drew fresh auxiliary randomness when none was given; so does this.
const freshAux = (): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(32));

/** BIP340 signature by the BIP86-tweaked key of `secretKey` (a key-path spend of its BIP86 output). */
export function signBip86(sighash: Uint8Array, secretKey: Uint8Array, auxRand?: Uint8Array): Uint8Array {
  const tweaked = tweakSecretKey(secretKey);
  try {
    return schnorrSign(sighash, tweaked, auxRand ?? freshAux());
  } finally {
    tweaked.fill(0);
  }
}

/** BIP340 signature by an untweaked key (a tapscript `<key> OP_CHECKSIG`). */
export function signPlain(sighash: Uint8Array, secretKey: Uint8Array, auxRand?: Uint8Array): Uint8Array {
  return schnorrSign(sighash, secretKey, auxRand ?? freshAux());
}
