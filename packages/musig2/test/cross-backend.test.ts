// Random sessions on each curve backend against the other: the same inputs give byte-identical
// aggregate keys, public nonces, partial signatures and final signatures on libsecp256k1 and on
// @noble/curves, and a session whose signers run on different backends aggregates to a signature valid
// under BIP340 (checked with noble's schnorr, independent of both backends).
import { schnorr } from '@noble/curves/secp256k1.js';
import { type CurveBackend, setCurveBackend } from '@superscalar/secp';
import { backendsUnderTest } from '@superscalar/secp/test';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  applyTweaks,
  cbytes,
  deterministicSign,
  getXonlyPubkey,
  keyAgg,
  keySort,
  mulG,
  n,
  nonceAgg,
  nonceGen,
  partialSigVerify,
  Session,
  scalarToBytes,
} from '../src/index.js';

const backends = backendsUnderTest();
const runs = propertyRuns(30, 10);
console.log(`cross-backend.test.ts: backends ${backends.map((b) => b.id).join(', ')}, PROPERTY_RUNS=${runs}`);
const timeout = 900_000;

interface Case {
  sks: Uint8Array[];
  tweaks: Uint8Array[];
  isXonly: boolean[];
  msg: Uint8Array;
  seeds: Uint8Array[];
}

const caseArb = fc
  .record({
    ds: fc.uniqueArray(fc.bigInt({ min: 1n, max: n - 1n }), { minLength: 1, maxLength: 6 }),
    tweaks: fc.array(fc.tuple(fc.bigInt({ min: 0n, max: n - 1n }), fc.boolean()), { maxLength: 2 }),
    msg: fc.uint8Array({ maxLength: 40 }),
    seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  })
  .map(
    ({ ds, tweaks, msg, seed }): Case => ({
      sks: ds.map(scalarToBytes),
      tweaks: tweaks.map(([t]) => scalarToBytes(t)),
      isXonly: tweaks.map(([, x]) => x),
      msg,
      seeds: ds.map((_, i) => Uint8Array.from(seed, (b) => b ^ i)),
    }),
  );

/** One whole session on the active backend, every step's output in bytes. */
function session(c: Case) {
  const pks = c.sks.map((sk) => cbytes(mulG(BigInt(`0x${Buffer.from(sk).toString('hex')}`))));
  const order = keySort(pks).map((pk) => pks.findIndex((x) => Buffer.compare(x, pk) === 0));
  const sks = order.map((i) => c.sks[i] as Uint8Array);
  const sorted = order.map((i) => pks[i] as Uint8Array);
  const ctx = applyTweaks(keyAgg(sorted, { memo: false }), c.tweaks, c.isXonly, { memo: false });
  const nonces = sorted.map((pk, i) =>
    nonceGen({ pk, sk: sks[i], msg: c.msg, rng: () => Uint8Array.from(c.seeds[i] as Uint8Array) }),
  );
  const pubnonces = nonces.map((x) => x.pubnonce);
  const aggnonce = nonceAgg(pubnonces);
  const s = new Session(
    { aggnonce, pubkeys: sorted, tweaks: c.tweaks, isXonly: c.isXonly, msg: c.msg },
    { cache: false },
  );
  const psigs = nonces.map((x, i) => s.sign(x.secnonce, sks[i] as Uint8Array));
  const sig = s.aggregateVerified(psigs, pubnonces);
  const det =
    sorted.length > 1
      ? deterministicSign({
          sk: sks[0] as Uint8Array,
          aggothernonce: nonceAgg(pubnonces.slice(1)),
          pubkeys: sorted,
          tweaks: c.tweaks,
          isXonly: c.isXonly,
          msg: c.msg,
          cache: false,
        })
      : undefined;
  return {
    aggpk: getXonlyPubkey(ctx),
    pubnonces,
    aggnonce,
    psigs,
    sig,
    det: det === undefined ? undefined : [det.pubnonce, det.psig],
    sorted,
    sks,
  };
}

function on<T>(b: CurveBackend, fn: () => T): T {
  setCurveBackend(b);
  try {
    return fn();
  } finally {
    setCurveBackend('auto');
  }
}

describe.skipIf(backends.length < 2)('libsecp256k1 vs @noble/curves', () => {
  const [noble, native] = backends as [CurveBackend, CurveBackend];
  afterAll(() => void setCurveBackend('auto'));

  it(
    'random sessions give byte-identical results on both backends',
    () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const a = on(noble, () => session(c));
          const b = on(native, () => session(c));
          expect(b.aggpk).toEqual(a.aggpk);
          expect(b.pubnonces).toEqual(a.pubnonces);
          expect(b.aggnonce).toEqual(a.aggnonce);
          expect(b.psigs).toEqual(a.psigs);
          expect(b.sig).toEqual(a.sig);
          expect(b.det).toEqual(a.det);
          expect(schnorr.verify(a.sig, c.msg, a.aggpk)).toBe(true);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    'signers on different backends make one valid signature, verified on each backend',
    () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const ref = on(noble, () => session(c));
          const { sorted, sks } = ref;
          const ctxArgs = { pubkeys: sorted, tweaks: c.tweaks, isXonly: c.isXonly, msg: c.msg };
          // Signer i generates its nonce and signs on backend i mod 2; the aggregator runs on the other.
          const side = (i: number) => (i % 2 === 0 ? native : noble);
          const nonces = sorted.map((pk, i) =>
            on(side(i), () =>
              nonceGen({ pk, sk: sks[i], msg: c.msg, rng: () => Uint8Array.from(c.seeds[i] as Uint8Array) }),
            ),
          );
          const pubnonces = nonces.map((x) => x.pubnonce);
          const aggnonce = on(noble, () => nonceAgg(pubnonces));
          const psigs = nonces.map((x, i) =>
            on(side(i), () =>
              new Session({ aggnonce, ...ctxArgs }, { cache: false }).sign(x.secnonce, sks[i] as Uint8Array),
            ),
          );
          for (const agg of [noble, native]) {
            const sig = on(agg, () =>
              new Session({ aggnonce, ...ctxArgs }, { cache: false }).aggregateVerified(psigs, pubnonces),
            );
            expect(sig).toEqual(ref.sig);
            for (let i = 0; i < psigs.length; i++)
              expect(
                on(agg, () =>
                  partialSigVerify({ psig: psigs[i] as Uint8Array, pubnonces, ...ctxArgs, i, cache: false }),
                ),
              ).toBe(true);
          }
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );
});
