// The measurement that chose the Node backend (issue 18): every candidate library side by side with
// @noble/curves on the hot operations, in one run, with the crossing cost (bytes ↔ points) counted.
//   cd packages/secp && npx tsx bench/candidates.ts [--quick]
// Each figure is the median over rounds (the order of the libraries flips every round, so load drift on
// the shared machine hits every library alike) of the mean µs per call on fresh random inputs. The
// ratio column is noble's time over the candidate's (higher is faster). Runs in well under a minute.
import { createRequire } from 'node:module';
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { secp256k1 as nobleSecp, schnorr } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import zkpModule from '@vulpemventures/secp256k1-zkp';
import * as tiny from 'tiny-secp256k1';

const require = createRequire(import.meta.url);
// The raw addon (`secp256k1/bindings`), not the package entry that silently falls back to elliptic.js.
const native = require('secp256k1/bindings') as {
  publicKeyCreate(sk: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyConvert(pk: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyCombine(pks: Uint8Array[], compressed?: boolean): Uint8Array;
  publicKeyTweakAdd(pk: Uint8Array, t: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyTweakMul(pk: Uint8Array, t: Uint8Array, compressed?: boolean): Uint8Array;
};
// A CommonJS module whose default export is the async initialiser.
const zkpInit = ((zkpModule as unknown as { default?: unknown }).default ?? zkpModule) as () => Promise<
  Awaited<ReturnType<typeof zkpModule.default>>
>;
const zkp = await zkpInit();

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 5;
const N = quick ? 40 : 100; // inputs per round
const MSM = 64; // terms of the multi-scalar sum

const Point = nobleSecp.Point;
const n = Point.Fn.ORDER;
const rnd = () => nobleSecp.utils.randomSecretKey();
const inputs = Array.from({ length: N }, () => {
  const k = rnd();
  const sk = rnd();
  const P = Point.BASE.multiply(bytesToNumberBE(sk));
  const Q = Point.BASE.multiply(bytesToNumberBE(rnd()));
  const msg = rnd();
  const sig = schnorr.sign(msg, sk);
  return {
    k,
    kn: bytesToNumberBE(k),
    sk,
    P,
    Q,
    Pc: P.toBytes(true),
    Pu: P.toBytes(false),
    Qc: Q.toBytes(true),
    Qu: Q.toBytes(false),
    Px: P.toBytes(true).subarray(1),
    msg,
    sig,
    xpk: schnorr.getPublicKey(sk),
  };
});
const msmPoints = Array.from({ length: MSM }, () => Point.BASE.multiply(bytesToNumberBE(rnd())));
const msmScalars = Array.from({ length: MSM }, () => bytesToNumberBE(rnd()) % n);
const msmBytes = msmPoints.map((P) => P.toBytes(false));
const msmScalarBytes = msmScalars.map((s) => numberToBytesBE(s, 32));
const msmCompressed = msmPoints.map((P) => P.toBytes(true));

type Op = Record<string, ((i: (typeof inputs)[number]) => unknown) | undefined>;
// Rows: operation → { library → one call }.
const rows: [string, Op][] = [
  [
    'k·G (secret k)',
    {
      noble: (i) => Point.BASE.multiply(i.kn),
      'secp256k1@5': (i) => native.publicKeyCreate(i.k, false),
      'tiny-secp256k1': (i) => tiny.pointFromScalar(i.k, false),
      'secp256k1-zkp': (i) => zkp.ecc.pointFromScalar(i.k, false),
    },
  ],
  [
    'k·P (public, variable time where offered)',
    {
      noble: (i) => i.P.multiplyUnsafe(i.kn),
      'secp256k1@5': (i) => native.publicKeyTweakMul(i.Pu, i.k, false),
      'tiny-secp256k1': (i) => tiny.pointMultiply(i.Pu, i.k, false),
    },
  ],
  [
    'k·P (secret k, constant time)',
    {
      noble: (i) => i.P.multiply(i.kn),
      'secp256k1@5': (i) => native.publicKeyTweakMul(i.Pu, i.k, false),
      'tiny-secp256k1': (i) => tiny.pointMultiply(i.Pu, i.k, false),
    },
  ],
  [
    'P + Q',
    {
      noble: (i) => i.P.add(i.Q).toAffine(),
      'secp256k1@5': (i) => native.publicKeyCombine([i.Pu, i.Qu], false),
      'tiny-secp256k1': (i) => tiny.pointAdd(i.Pu, i.Qu, false),
    },
  ],
  [
    `Σ a_i·P_i, ${MSM} terms (per call)`,
    {
      noble: () => mulAddUnsafe(Point, msmPoints, msmScalars).toAffine(),
      'secp256k1@5': () =>
        native.publicKeyCombine(
          msmBytes.map((P, j) => native.publicKeyTweakMul(P, msmScalarBytes[j] as Uint8Array, false)),
          false,
        ),
      'tiny-secp256k1': () => {
        let acc = tiny.pointMultiply(msmBytes[0] as Uint8Array, msmScalarBytes[0] as Uint8Array, false);
        for (let j = 1; j < MSM; j++)
          acc = tiny.pointAdd(
            acc as Uint8Array,
            tiny.pointMultiply(
              msmBytes[j] as Uint8Array,
              msmScalarBytes[j] as Uint8Array,
              false,
            ) as Uint8Array,
            false,
          );
        return acc;
      },
      // Not an arbitrary MSM: BIP-style key aggregation (its coefficients), the closest it exposes.
      'secp256k1-zkp': () => zkp.musig.pubkeyAgg(msmCompressed),
    },
  ],
  [
    'lift_x (32 bytes → point)',
    {
      noble: (i) => Point.fromBytes(Uint8Array.of(2, ...i.Px)),
      'secp256k1@5': (i) => native.publicKeyConvert(Uint8Array.of(2, ...i.Px), false),
      'tiny-secp256k1': (i) => tiny.pointCompress(Uint8Array.of(2, ...i.Px), false),
    },
  ],
  [
    'tweak P + t·G',
    {
      noble: (i) => i.P.add(Point.BASE.multiplyUnsafe(i.kn)).toAffine(),
      'secp256k1@5': (i) => native.publicKeyTweakAdd(i.Pu, i.k, false),
      'tiny-secp256k1': (i) => tiny.pointAddScalar(i.Pu, i.k, false),
      'secp256k1-zkp': (i) => zkp.ecc.pointAddScalar(i.Pc, i.k, false),
    },
  ],
  [
    'BIP340 sign',
    {
      noble: (i) => schnorr.sign(i.msg, i.sk, i.k),
      'tiny-secp256k1': (i) => tiny.signSchnorr(i.msg, i.sk, i.k),
      'secp256k1-zkp': (i) => zkp.ecc.signSchnorr(i.msg, i.sk, i.k),
    },
  ],
  [
    'BIP340 verify',
    {
      noble: (i) => schnorr.verify(i.sig, i.msg, i.xpk),
      'tiny-secp256k1': (i) => tiny.verifySchnorr(i.msg, i.xpk, i.sig),
      'secp256k1-zkp': (i) => zkp.ecc.verifySchnorr(i.msg, i.xpk, i.sig),
    },
  ],
  // Crossing costs of a bytes-based backend under a noble-point API.
  ['crossing: noble point → 65 bytes (affine)', { noble: (i) => i.P.toBytes(false) }],
  ['crossing: 65 bytes → noble point (curve check)', { noble: (i) => Point.fromBytes(i.Pu) }],
  ['crossing: 33 bytes → noble point (square root)', { noble: (i) => Point.fromBytes(i.Pc) }],
  ['crossing: noble projective → affine (inversion)', { noble: (i) => i.P.add(i.Q).toAffine() }],
];

const libs = ['noble', 'secp256k1@5', 'tiny-secp256k1', 'secp256k1-zkp'];

function time(fn: (i: (typeof inputs)[number]) => unknown, reps: number): number {
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) for (const i of inputs) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1000 / (reps * inputs.length);
}

const results: Record<string, Record<string, number>> = {};
for (const [name, op] of rows) {
  const msmRow = name.startsWith('Σ');
  const samples: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? libs : [...libs].reverse();
    for (const lib of order) {
      const fn = op[lib];
      if (fn === undefined) continue;
      if (r === 0) time(fn, 1); // warm-up
      const xs = samples[lib] ?? [];
      xs.push(time(fn, msmRow ? 1 : 2));
      samples[lib] = xs;
    }
  }
  results[name] = Object.fromEntries(
    Object.entries(samples).map(([lib, xs]) => [
      lib,
      [...xs].sort((a, b) => a - b)[xs.length >> 1] as number,
    ]),
  );
}

const fmt = (us: number | undefined) =>
  us === undefined ? '—' : us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;
console.log(`node ${process.version}, ${ROUNDS} rounds × ${N} inputs, µs per call (median of rounds)`);
console.log(`| operation | ${libs.join(' | ')} |`);
console.log(`|---|${libs.map(() => '---').join('|')}|`);
for (const [name] of rows) {
  const r = results[name] as Record<string, number>;
  const noble = r.noble as number;
  const cells = libs.map((lib) => {
    const v = r[lib];
    if (v === undefined) return '—';
    return lib === 'noble' ? fmt(v) : `${fmt(v)} (${(noble / v).toFixed(1)}×)`;
  });
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}
