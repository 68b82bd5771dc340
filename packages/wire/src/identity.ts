/**
 * The client's identity proof (brief §10): after the Noise handshake a client proves its node key in
 * its first message (`init.identity`) by a BIP340 signature over
 * `tagged_hash("superscalar-ts/identity", handshake_hash || node_pubkey)`, `node_pubkey` the 33-byte
 * compressed key. Binding the handshake hash ties the proof to this one connection (no replay);
 * binding the compressed key fixes its parity, which BIP340's x-only verification alone does not.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { curve, encodePoint, n, schnorrSign, schnorrVerify } from '@superscalar/secp';
import { isValidCompressedPoint } from './_curve.js';
import { wireError } from './errors.js';
import type { IdentityProof } from './messages/setup.js';

const TAG = sha256(new TextEncoder().encode('superscalar-ts/identity'));

function bytesArg(v: unknown, len: number, field: string): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== len)
    throw wireError('WIRE_INVALID_ARGUMENT', `expected ${len} bytes`, { field });
}

/** The signed message: `tagged_hash("superscalar-ts/identity", handshakeHash || nodePubkey)`. */
export function identityMessage(handshakeHash: Uint8Array, nodePubkey: Uint8Array): Uint8Array {
  bytesArg(handshakeHash, 32, 'handshakeHash');
  bytesArg(nodePubkey, 33, 'nodePubkey');
  const buf = new Uint8Array(64 + 32 + 33);
  buf.set(TAG, 0);
  buf.set(TAG, 32);
  buf.set(handshakeHash, 64);
  buf.set(nodePubkey, 96);
  return sha256(buf);
}

/**
 * Signs the identity proof of `secretKey`'s node key for the connection whose Noise handshake hash is
 * `handshakeHash`.
 *
 * @param auxRand BIP340 auxiliary randomness (32 bytes). Injected; the default, 32 zero bytes, gives a
 *   deterministic signature, which BIP340 allows (fresh randomness only hardens against side channels).
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` for a malformed or invalid secret key or hash.
 */
export function signIdentity(
  secretKey: Uint8Array,
  handshakeHash: Uint8Array,
  auxRand: Uint8Array = new Uint8Array(32),
): IdentityProof {
  bytesArg(secretKey, 32, 'secretKey');
  bytesArg(handshakeHash, 32, 'handshakeHash');
  bytesArg(auxRand, 32, 'auxRand');
  let d = 0n;
  for (const b of secretKey) d = (d << 8n) | BigInt(b);
  if (d === 0n || d >= n)
    throw wireError('WIRE_INVALID_ARGUMENT', 'not a valid secp256k1 secret key', { field: 'secretKey' });
  const nodePubkey = encodePoint(curve().mulG(d));
  const signature = schnorrSign(identityMessage(handshakeHash, nodePubkey), secretKey, auxRand);
  // Verify our own signature before it leaves (a fault here would otherwise look like a forgery).
  if (!schnorrVerify(signature, identityMessage(handshakeHash, nodePubkey), nodePubkey.subarray(1)))
    throw wireError('WIRE_INVALID_VALUE', 'the identity signature did not verify', { field: 'signature' });
  return { nodePubkey, signature };
}

/**
 * True iff `proof` proves its node key for the connection with `handshakeHash`. A claimed key without
 * a valid proof is never trusted.
 *
 * @returns false for a well-formed proof that does not verify.
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` when a field has the wrong size, `WIRE_INVALID_POINT` when the key
 *   is not a valid compressed point.
 */
export function verifyIdentity(proof: IdentityProof, handshakeHash: Uint8Array): boolean {
  if (typeof proof !== 'object' || proof === null)
    throw wireError('WIRE_INVALID_ARGUMENT', 'expected an identity proof');
  bytesArg(proof.nodePubkey, 33, 'proof.nodePubkey');
  bytesArg(proof.signature, 64, 'proof.signature');
  bytesArg(handshakeHash, 32, 'handshakeHash');
  if (!isValidCompressedPoint(proof.nodePubkey))
    throw wireError('WIRE_INVALID_POINT', 'not a valid compressed secp256k1 point', {
      field: 'proof.nodePubkey',
    });
  // An out-of-range r or s does not verify (false, not a throw); the lengths are checked above.
  return schnorrVerify(
    proof.signature,
    identityMessage(handshakeHash, proof.nodePubkey),
    proof.nodePubkey.subarray(1),
  );
}
