// Property tests (fast-check, propertyRuns()): framing round trips under any chunking, any bit flip is
// caught, both AEAD backends agree byte for byte, nonces encode as Noise requires at any counter value,
// and random-key NK/XK handshakes agree on keys and handshake hash.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import { nobleAead } from '../src/aead.js';
import { CipherState } from '../src/cipherState.js';
import { BadMacError } from '../src/errors.js';
import { Handshake } from '../src/handshake.js';
import { nodeAead } from '../src/node/aead.js';
import { TransportCipher } from '../src/transportCipher.js';
import { key, same } from './_helpers.js';

const runs = propertyRuns();
const slowRuns = propertyRuns(100, 10);
console.log(`properties: ${runs} runs (${slowRuns} for handshakes)`);

const pairOfCiphers = (interval: number) => {
  const k = key(5);
  const rot = { chainingKey: key(6), interval };
  const tx = new TransportCipher(new CipherState(nodeAead, k, rot), new CipherState(nodeAead, k, rot));
  const rx = new TransportCipher(new CipherState(nobleAead, k, rot), new CipherState(nobleAead, k, rot));
  return { tx, rx };
};

const concat = (parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

describe('framing properties', () => {
  it('any messages, split into any chunks, are received intact and in order (rotation included)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 2, max: 9 }),
        (msgs, cuts, interval) => {
          const { tx, rx } = pairOfCiphers(interval);
          const wire = concat(msgs.map((m) => tx.encrypt(m)));
          const got: Uint8Array[] = [];
          for (let at = 0, i = 0; at < wire.length; i++) {
            const step = cuts[i % cuts.length]!;
            got.push(...rx.push(wire.subarray(at, at + step)));
            at += step;
          }
          expect(got.length).toBe(msgs.length);
          for (const [i, m] of got.entries()) expect(same(m, msgs[i]!)).toBe(true);
          expect(rx.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: runs },
    );
  });

  it('flipping any bit of a frame stream raises BadMacError and never yields an altered message', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (msgs, pos, bit) => {
          const { tx, rx } = pairOfCiphers(1000);
          const wire = concat(msgs.map((m) => tx.encrypt(m)));
          const at = pos % wire.length;
          wire[at]! ^= 1 << bit;
          const got: Uint8Array[] = [];
          let err: unknown;
          try {
            got.push(...rx.push(wire));
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(BadMacError);
          for (const [i, m] of got.entries()) expect(same(m, msgs[i]!)).toBe(true);
        },
      ),
      { numRuns: runs },
    );
  });
});

describe('AEAD backends', () => {
  it('node:crypto and @noble/ciphers seal (and sealInto) identically and open each other; a tampered tag fails both', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 3000 }),
        (k, n, ad, pt) => {
          const a = nodeAead.key(k).seal(n, ad, pt);
          const b = nobleAead.key(k).seal(n, ad, pt);
          expect(same(a, b)).toBe(true);
          expect(same(nobleAead.key(k).open(n, ad, a), pt)).toBe(true);
          expect(same(nodeAead.key(k).open(n, ad, b), pt)).toBe(true);
          for (const backend of [nodeAead, nobleAead]) {
            const into = new Uint8Array(pt.length + 16);
            backend.key(k).sealInto!(n, ad, pt, into);
            expect(same(into, a)).toBe(true);
          }
          const bad = Uint8Array.from(a);
          bad[bad.length - 1]! ^= 0x80;
          expect(nodeAead.key(k).open(n, ad, bad)).toBeUndefined();
          expect(nobleAead.key(k).open(n, ad, bad)).toBeUndefined();
          expect(nodeAead.key(k).open(n, ad, a.subarray(0, 15))).toBeUndefined();
          expect(nobleAead.key(k).open(n, ad, a.subarray(0, 15))).toBeUndefined();
        },
      ),
      { numRuns: runs },
    );
  });

  it('CipherState nonces are 32 zero bits then the 64-bit counter little-endian, at any counter value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 }),
        fc.uint8Array({ maxLength: 40 }),
        (n, pt) => {
          const k = key(8);
          const cs = new CipherState(nodeAead, k);
          cs.setNonce(n);
          const nonce = Buffer.alloc(12);
          nonce.writeBigUInt64LE(BigInt(n), 4);
          const want = chacha20poly1305(k, nonce, Uint8Array.of(1)).encrypt(pt);
          expect(same(cs.encryptWithAd(Uint8Array.of(1), pt), want)).toBe(true);
          expect(cs.nonce).toBe(n + 1);
        },
      ),
      { numRuns: runs },
    );
  });
});

describe('handshake properties', () => {
  const sk = fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .filter((k) => secp256k1.utils.isValidSecretKey(k));
  it('NK and XK with random keys: both sides agree on the handshake hash and keys; the peer key is learned', () => {
    fc.assert(
      fc.property(sk, sk, sk, sk, fc.boolean(), (s, c, ei, er, xk) => {
        const pattern = xk ? 'XK' : 'NK';
        const i = Handshake.initiator({
          pattern,
          remoteStatic: secp256k1.getPublicKey(s, true),
          localStatic: c,
          rng: () => ei,
        });
        const r = Handshake.responder({ pattern, localStatic: s, rng: () => er });
        while (!i.isComplete || !r.isComplete) {
          const [w, rd] = i.isMyTurn ? [i, r] : [r, i];
          rd.readAct(w.writeAct());
        }
        expect(same(i.outcome.handshakeHash, r.outcome.handshakeHash)).toBe(true);
        const m = Uint8Array.of(1, 2, 3);
        expect(r.outcome.transport.push(i.outcome.transport.encrypt(m))).toEqual([m]);
        expect(i.outcome.transport.push(r.outcome.transport.encrypt(m))).toEqual([m]);
        if (xk) expect(same(r.outcome.remoteStatic!, secp256k1.getPublicKey(c, true))).toBe(true);
        else expect(r.outcome.remoteStatic).toBeUndefined();
      }),
      { numRuns: slowRuns },
    );
  }, 600_000);
});
