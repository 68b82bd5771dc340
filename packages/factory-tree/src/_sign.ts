// Internal: single-key BIP340 signing for the §6 spends (BIP86 key path of a fee coin, tapscript
// `<key> OP_CHECKSIG` leaves). The BIP341 tweak is @superscalar/tx's.
import { schnorr } from '@noble/curves/secp256k1.js';
import { tweakSecretKey } from '@superscalar/tx';

/** x-only BIP86 output key of a single secret key: `P + TapTweak(xonly(P))·G`. */
export function bip86OutputKey(secretKey: Uint8Array): Uint8Array {
  return schnorr.getPublicKey(tweakSecretKey(secretKey));
}

/** BIP340 signature by the BIP86-tweaked key of `secretKey` (a key-path spend of its BIP86 output). */
export function signBip86(sighash: Uint8Array, secretKey: Uint8Array, auxRand?: Uint8Array): Uint8Array {
  return schnorr.sign(sighash, tweakSecretKey(secretKey), auxRand);
}

/** BIP340 signature by an untweaked key (a tapscript `<key> OP_CHECKSIG`). */
export function signPlain(sighash: Uint8Array, secretKey: Uint8Array, auxRand?: Uint8Array): Uint8Array {
  return schnorr.sign(sighash, secretKey, auxRand);
}
