// Tree-signing helpers: the key-context cache and batch aggregation over many sessions with overlapping
// signer sets, blaming exactly the faulty signers; BIP327's points at infinity in aggregate nonces.
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns, vectorJson } from '../../../test-utils/index.js';
import { secretNonceFromBytes } from '../src/_internal.js';
import {
  aggregateBatch,
  BatchAggregationError,
  cbytes,
  deterministicSign,
  G,
  getXonlyPubkey,
  InvalidContributionError,
  KeyAggCache,
  keyAgg,
  keySort,
  MuSig2Error,
  mulG,
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

describe('aggregateBatch: points at infinity (BIP327) and blame by index', () => {
  // Two signers with chosen nonces (k1, k2): signer 1's halves can negate signer 0's.
  const k = [0x1234_5678n, 0x9abc_def0n] as const;
  const pubnonceOf = (ks: readonly bigint[]) =>
    Uint8Array.from([...cbytes(mulG(ks[0] as bigint)), ...cbytes(mulG(ks[1] as bigint))]);
  const secnonceOf = (ks: readonly bigint[], pk: Uint8Array) =>
    secretNonceFromBytes(
      Uint8Array.from([...scalarToBytes(ks[0] as bigint), ...scalarToBytes(ks[1] as bigint), ...pk]),
    );
  const pair = [pks[0], pks[1]] as Uint8Array[];
  const msg = taggedHash('demo', Uint8Array.of(9));
  /** A session of signers 0 and 1 with nonces `a` and `b`, both partial signatures, and its nonces. */
  function job(a: readonly bigint[], b: readonly bigint[], aggnonce?: Uint8Array) {
    const pubnonces = [pubnonceOf(a), pubnonceOf(b)];
    const session = new Session({ aggnonce: aggnonce ?? nonceAgg(pubnonces), pubkeys: pair, msg });
    const psigs = [
      session.sign(secnonceOf(a, pair[0] as Uint8Array), sks[0] as Uint8Array),
      session.sign(secnonceOf(b, pair[1] as Uint8Array), sks[1] as Uint8Array),
    ];
    return { session, psigs, pubnonces };
  }
  const batchError = (f: () => unknown): BatchAggregationError => {
    try {
      f();
    } catch (e) {
      if (e instanceof BatchAggregationError) return e;
      throw e;
    }
    throw new Error('expected a BatchAggregationError');
  };

  it('an aggregate nonce with one infinite half (33 zero bytes) signs and aggregates normally', () => {
    const second = job(k, [k[0] + 5n, n - k[1]]); // Σ R_2 = infinity
    const first = job(k, [n - k[0], k[1] + 5n]); // Σ R_1 = infinity
    expect(nonceAgg(second.pubnonces).subarray(33)).toEqual(new Uint8Array(33));
    expect(nonceAgg(first.pubnonces).subarray(0, 33)).toEqual(new Uint8Array(33));
    for (const j of [second, first]) expect(j.session.nonceIsInfinite).toBe(false);
    const sigs = aggregateBatch([second, first, ...ceremony(new KeyAggCache(), 7)]);
    for (const [i, j] of [second, first].entries())
      expect(schnorr.verify(sigs[i] as Uint8Array, msg, j.session.xonlyPubkey)).toBe(true);
  });

  it('a last signer with DeterministicSign refuses other nonces that cancel in one half, blaming nobody (det_sign vector)', () => {
    // Signers 0 and 1 are one party: their nonces cancel in the first half. With a third signer
    // signing last by DeterministicSign (as the LSP does), BIP327 decodes aggothernonce with cpoint,
    // so the infinite half fails: the cancellation is not harmless for a deterministic last signer.
    const trio = [pks[0], pks[1], pks[2]] as Uint8Array[];
    const aggothernonce = nonceAgg([pubnonceOf(k), pubnonceOf([n - k[0], k[1] + 5n])]);
    expect(aggothernonce.subarray(0, 33)).toEqual(new Uint8Array(33));
    let caught: unknown;
    try {
      deterministicSign({ sk: sks[2] as Uint8Array, aggothernonce, pubkeys: trio, msg });
    } catch (e) {
      caught = e;
    }
    expect(InvalidContributionError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({ signer: null, contrib: 'aggothernonce' });
    // The same nonces as the whole session's aggregate (no deterministic last signer) sign normally.
    const j = job(k, [n - k[0], k[1] + 5n]);
    expect(schnorr.verify(aggregateBatch([j])[0] as Uint8Array, msg, j.session.xonlyPubkey)).toBe(true);
  });

  it("R'_1 + b⋅R'_2 at infinity: BIP327 signs with R = G, nobody is blamed ('infinite-nonce'), the other jobs are signed", () => {
    const others = ceremony(new KeyAggCache(), 8);
    const inf = job(k, [n - k[0], n - k[1]]);
    expect(nonceAgg(inf.pubnonces)).toEqual(new Uint8Array(66));
    expect(inf.session.nonceIsInfinite).toBe(true);
    expect(inf.session.values.R.equals(G)).toBe(true);
    expect(inf.session.blame(inf.psigs, inf.pubnonces)).toEqual([]); // every partial signature verifies
    const e = batchError(() => aggregateBatch([others[0], inf, others[1]] as never));
    expect(e.code).toBe('MUSIG2_BATCH_FAULTS');
    expect(e.faults).toEqual([{ job: 1, signers: [], contrib: 'infinite-nonce' }]);
    expect(e.sigs[1]).toBeUndefined();
    for (const i of [0, 2]) {
      const o = others[i === 0 ? 0 : 1] as (typeof others)[number];
      expect(schnorr.verify(e.sigs[i] as Uint8Array, o.msg, o.session.xonlyPubkey)).toBe(true);
    }
  });

  it("valid partial signatures over nonces that are not the session's: 'aggnonce', nobody blamed", () => {
    const other = pubnonceOf([k[0] + 1n, k[1] + 1n]);
    const j = job(k, [k[0] + 2n, k[1] + 2n], nonceAgg([pubnonceOf(k), other]));
    expect(j.session.blame(j.psigs, j.pubnonces)).toEqual([]);
    expect(batchError(() => aggregateBatch([j])).faults).toEqual([
      { job: 0, signers: [], contrib: 'aggnonce' },
    ]);
  });

  it('blames by index every signer whose public nonce does not decode (the BIP327 nonce_agg vectors), else every bad partial signature', () => {
    const v = vectorJson<{ pnonces: string[] }>('bip327/nonce_agg_vectors.json');
    const invalid = [4, 5, 6].map((i) => Uint8Array.from(Buffer.from(v.pnonces[i] as string, 'hex')));
    for (const bad of invalid) {
      const jobs = ceremony(new KeyAggCache(), 10);
      const root = jobs[0] as (typeof jobs)[number]; // six signers
      // Unchecked while the aggregate verifies: the aggregator needs only the partial signatures.
      root.pubnonces[4] = bad;
      expect(aggregateBatch(jobs)).toHaveLength(jobs.length);
      // Once it fails, the undecodable nonces are blamed, all of them, before any partial signature.
      root.pubnonces[1] = bad;
      root.psigs[3] = scalarToBytes(7n);
      root.psigs[4] = scalarToBytes(8n);
      const e = batchError(() => aggregateBatch(jobs));
      expect(MuSig2Error.isInstance(e)).toBe(true);
      expect(e.faults).toEqual([{ job: 0, signers: [1, 4], contrib: 'pubnonce' }]);
    }
    const jobs = ceremony(new KeyAggCache(), 11);
    const root = jobs[0] as (typeof jobs)[number];
    root.psigs[2] = scalarToBytes(7n);
    root.psigs[5] = scalarToBytes(n - 1n);
    expect(batchError(() => aggregateBatch(jobs)).faults).toEqual([
      { job: 0, signers: [2, 5], contrib: 'psig' },
    ]);
  });
});
