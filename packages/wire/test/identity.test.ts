// The identity proof (brief §10): a BIP340 signature over tagged_hash("superscalar-ts/identity",
// handshake_hash || node_pubkey), checked against an independent computation of the message and
// @noble/curves' verifier; claimed keys without a valid proof are refused.
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  decodeMessage,
  encodeMessage,
  identityMessage,
  signIdentity,
  verifyIdentity,
  WireError,
} from '../src/index.js';

const RUNS = propertyRuns(100, 20);
console.log(`identity: ${RUNS} runs per property`);
const sk = (i: number) => {
  const k = new Uint8Array(32);
  k[31] = i;
  k[0] = 0x11;
  return k;
};
const hh = (i: number) => new Uint8Array(32).fill(i);

describe('identity proof', () => {
  it('signs the tagged hash of handshake_hash || compressed node key (independent computation)', () => {
    const proof = signIdentity(sk(1), hh(2));
    const tag = sha256(new TextEncoder().encode('superscalar-ts/identity'));
    const msg = sha256(Uint8Array.from([...tag, ...tag, ...hh(2), ...proof.nodePubkey]));
    expect(identityMessage(hh(2), proof.nodePubkey)).toEqual(msg);
    expect(proof.nodePubkey).toEqual(secp256k1.getPublicKey(sk(1), true));
    expect(schnorr.verify(proof.signature, msg, proof.nodePubkey.subarray(1))).toBe(true);
  });

  it('verifies for its own handshake only, and for the right key only', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (i, h) => {
          const proof = signIdentity(sk(i), h);
          expect(verifyIdentity(proof, h)).toBe(true);
          const other = Uint8Array.from(h);
          other[0] = (other[0] as number) ^ 1;
          expect(verifyIdentity(proof, other)).toBe(false);
          // A claimed identity (another key with this signature) is refused.
          expect(verifyIdentity({ ...proof, nodePubkey: secp256k1.getPublicKey(sk(i + 1), true) }, h)).toBe(
            false,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('binds the key parity: the same x with the other prefix does not verify', () => {
    const proof = signIdentity(sk(3), hh(4));
    const flipped = Uint8Array.from(proof.nodePubkey);
    flipped[0] = flipped[0] === 2 ? 3 : 2;
    expect(verifyIdentity({ ...proof, nodePubkey: flipped }, hh(4))).toBe(false);
  });

  it('a tampered signature does not verify; r ≥ p does not verify (no exception)', () => {
    const proof = signIdentity(sk(5), hh(6));
    const bad = Uint8Array.from(proof.signature);
    bad[63] = (bad[63] as number) ^ 1;
    expect(verifyIdentity({ ...proof, signature: bad }, hh(6))).toBe(false);
    expect(verifyIdentity({ ...proof, signature: new Uint8Array(64).fill(0xff) }, hh(6))).toBe(false);
  });

  it('malformed inputs are typed errors', () => {
    const proof = signIdentity(sk(7), hh(8));
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return WireError.isInstance(e) ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => verifyIdentity({ ...proof, nodePubkey: new Uint8Array(32) }, hh(8)))).toBe(
      'WIRE_INVALID_ARGUMENT',
    );
    expect(code(() => verifyIdentity({ ...proof, nodePubkey: new Uint8Array(33) }, hh(8)))).toBe(
      'WIRE_INVALID_POINT',
    );
    expect(code(() => verifyIdentity(proof, new Uint8Array(31)))).toBe('WIRE_INVALID_ARGUMENT');
    expect(code(() => signIdentity(new Uint8Array(32), hh(1)))).toBe('WIRE_INVALID_ARGUMENT');
    expect(code(() => signIdentity(sk(1), hh(1), new Uint8Array(8)))).toBe('WIRE_INVALID_ARGUMENT');
  });

  it('travels in init and verifies after decoding; aux randomness changes the signature, not its validity', () => {
    const proof = signIdentity(sk(9), hh(10), new Uint8Array(32).fill(0x42));
    expect(proof.signature).not.toEqual(signIdentity(sk(9), hh(10)).signature);
    const m = decodeMessage(
      encodeMessage({
        type: 'init',
        versions: [1],
        features: new Uint8Array(0),
        network: 'signet',
        identity: proof,
      }),
    );
    if (m.type !== 'init' || !m.identity) throw new Error('no identity');
    expect(verifyIdentity(m.identity, hh(10))).toBe(true);
  });
});
