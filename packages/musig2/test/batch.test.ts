// Tree-signing helpers: the key-context cache and batch aggregation over many sessions with overlapping
// signer sets, blaming exactly the faulty signers.
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  aggregateBatch,
  BatchAggregationError,
  getXonlyPubkey,
  KeyAggCache,
  keyAgg,
  keySort,
  MuSig2Error,
  n,
  nonceAgg,
  nonceGen,
  Session,
  scalarToBytes,
  taggedHash,
} from '../src/index.js';

const sks = Array.from({ length: 6 }, (_, i) => scalarToBytes(BigInt(1000 + i * 7919)));
const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));
// Subsets like a tree's nodes: the root (everyone), two halves, and leaves of two.
const subsets = [
  [0, 1, 2, 3, 4, 5],
  [0, 1, 2],
  [3, 4, 5],
  [0, 1],
  [2, 3],
  [4, 5],
];

function ceremony(cache: KeyAggCache, msgSeed: number) {
  return subsets.map((members, j) => {
    const order = keySort(members.map((i) => pks[i] as Uint8Array));
    const signerOf = order.map((pk) => pks.findIndex((p) => p.every((v, k) => v === pk[k])));
    const internal = getXonlyPubkey(cache.get(order));
    const tweak = taggedHash('TapTweak', internal);
    const msg = taggedHash('demo', Uint8Array.of(msgSeed, j));
    const nonces = signerOf.map((s) => nonceGen({ pk: pks[s] as Uint8Array, sk: sks[s], msg }));
    const pubnonces = nonces.map((x) => x.pubnonce);
    const session = new Session(
      { aggnonce: nonceAgg(pubnonces), pubkeys: order, tweaks: [tweak], isXonly: [true], msg },
      { cache },
    );
    const psigs = nonces.map((x, i) => session.sign(x.secnonce, sks[signerOf[i] as number] as Uint8Array));
    return { session, psigs, pubnonces, msg };
  });
}

describe('KeyAggCache', () => {
  it('aggregates each signer set once and returns the same context as keyAgg', () => {
    const cache = new KeyAggCache();
    ceremony(cache, 1);
    const afterFirst = cache.stats;
    ceremony(cache, 2);
    // The second ceremony over the same sets computes nothing new.
    expect(cache.stats.misses).toBe(afterFirst.misses);
    expect(cache.stats.hits).toBeGreaterThan(afterFirst.hits);
    const keys = keySort(pks);
    expect(cache.get(keys).Q.equals(keyAgg(keys).Q)).toBe(true);
  });

  it('evicts the least recently used context beyond its size', () => {
    const cache = new KeyAggCache(2);
    const a = [pks[0] as Uint8Array];
    const b = [pks[1] as Uint8Array];
    const c = [pks[2] as Uint8Array];
    cache.get(a);
    cache.get(b);
    cache.get(a); // a is now most recent
    cache.get(c); // evicts b
    expect(cache.size).toBe(2);
    const misses = cache.stats.misses;
    cache.get(a);
    expect(cache.stats.misses).toBe(misses);
    cache.get(b);
    expect(cache.stats.misses).toBe(misses + 1);
  });

  it('distinguishes key order and tweaks', () => {
    const cache = new KeyAggCache();
    const ab = [pks[0] as Uint8Array, pks[1] as Uint8Array];
    const ba = [pks[1] as Uint8Array, pks[0] as Uint8Array];
    expect(cache.get(ab).Q.equals(cache.get(ba).Q)).toBe(false);
    const t = new Uint8Array(32).fill(3);
    expect(cache.get(ab, [t], [true]).Q.equals(cache.get(ab, [t], [false]).Q)).toBe(
      cache.get(ab).Q.toAffine().y % 2n === 0n,
    );
  });
});

describe('aggregateBatch', () => {
  it('returns every signature of a valid ceremony, each valid under noble', () => {
    const jobs = ceremony(new KeyAggCache(), 3);
    const sigs = aggregateBatch(jobs);
    expect(sigs).toHaveLength(jobs.length);
    sigs.forEach((sig, j) => {
      const job = jobs[j] as (typeof jobs)[number];
      expect(schnorr.verify(sig, job.msg, job.session.xonlyPubkey)).toBe(true);
    });
  });

  it('blames exactly the corrupted signers of the corrupted sessions, and returns the others', () => {
    const runs = propertyRuns(20, 4);
    const cache = new KeyAggCache();
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.nat(subsets.length - 1), fc.nat(5)), {
          minLength: 1,
          maxLength: 3,
          selector: ([j]) => j,
        }),
        fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        (corrupt, junk) => {
          const jobs = ceremony(cache, 4);
          const expected = corrupt
            .map(([j, s]) => ({ job: j, signer: s % (subsets[j] as number[]).length }))
            .sort((a, b) => a.job - b.job);
          for (const { job, signer } of expected) {
            const psigs = (jobs[job] as (typeof jobs)[number]).psigs;
            // Either an out-of-range value or a wrong in-range one.
            const bad = junk >= n ? scalarToBytes(junk) : scalarToBytes((junk + 1n) % n);
            psigs[signer] = bad;
          }
          let thrown: unknown;
          try {
            aggregateBatch(jobs);
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(BatchAggregationError);
          const err = thrown as BatchAggregationError;
          expect(MuSig2Error.isInstance(err)).toBe(true);
          expect(err.faults.map((f) => ({ job: f.job, signer: f.signers }))).toEqual(
            expected.map((e) => ({ job: e.job, signer: [e.signer] })),
          );
          err.sigs.forEach((sig, j) => {
            const job = jobs[j] as (typeof jobs)[number];
            if (expected.some((e) => e.job === j)) expect(sig).toBeUndefined();
            else expect(schnorr.verify(sig as Uint8Array, job.msg, job.session.xonlyPubkey)).toBe(true);
          });
        },
      ),
      { numRuns: runs },
    );
  }, 600_000);
});
