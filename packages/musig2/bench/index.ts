// Benchmarks, ours vs @scure/btc-signer/musig2.js in the same run:
//   cd packages/musig2 && npx tsx --conditions=source bench/index.ts [n...]
// For n signers: KeyAgg alone, and one full signing session simulated in one process (every signer's
// NonceGen, NonceAgg, the session values, every partial signature with its self-check, verification,
// aggregation). Ours verifies the aggregate only (Session.aggregateVerified); scure's API verifies every
// partial signature (PartialSigVerify), as an aggregator must to blame a signer. No key-context cache for
// ours (`cache: false`) unless the row says "cached".
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import * as scure from '@scure/btc-signer/musig2.js';
import { Bench } from 'tinybench';
import { KeyAggCache, keyAgg, nonceAgg, nonceGen, Session } from '../src/index.js';

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
const ns = sizes.length > 0 ? sizes : [2, 16, 64, 256];
const msg = new Uint8Array(32).fill(7);

function signers(n: number) {
  const sks = Array.from({ length: n }, () => secp256k1.utils.randomSecretKey());
  const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));
  const order = pks
    .map((_, i) => i)
    .sort((a, b) => Buffer.compare(pks[a] as Uint8Array, pks[b] as Uint8Array));
  return { sks: order.map((i) => sks[i] as Uint8Array), pks: order.map((i) => pks[i] as Uint8Array) };
}

function oursSession(sks: Uint8Array[], pks: Uint8Array[], cache: KeyAggCache | false): Uint8Array {
  const nonces = pks.map((pk, i) => nonceGen({ pk, sk: sks[i], msg }));
  const pubnonces = nonces.map((x) => x.pubnonce);
  const session = new Session({ aggnonce: nonceAgg(pubnonces), pubkeys: pks, msg }, { cache });
  const psigs = nonces.map((x, i) => session.sign(x.secnonce, sks[i] as Uint8Array));
  return session.aggregateVerified(psigs, pubnonces);
}

function scureSession(sks: Uint8Array[], pks: Uint8Array[]): Uint8Array {
  const nonces = pks.map((pk, i) => scure.nonceGen(pk, sks[i], undefined, msg));
  const pubnonces = nonces.map((x) => x.public);
  const session = new scure.Session(scure.nonceAggregate(pubnonces), pks, msg);
  const psigs = nonces.map((x, i) => session.sign(x.secret, sks[i] as Uint8Array));
  for (let i = 0; i < psigs.length; i++)
    if (!session.partialSigVerify(psigs[i] as Uint8Array, pubnonces, i)) throw new Error('bad psig');
  return session.partialSigAgg(psigs);
}

const rows: Record<string, string | number>[] = [];
for (const n of ns) {
  const { sks, pks } = signers(n);
  // Sanity: both produce valid signatures under the same aggregate key.
  const aggpk = scure.keyAggExport(scure.keyAggregate(pks));
  if (!schnorr.verify(oursSession(sks, pks, false), msg, aggpk)) throw new Error('ours: invalid signature');
  if (!schnorr.verify(scureSession(sks, pks), msg, aggpk)) throw new Error('scure: invalid signature');
  const cache = new KeyAggCache();
  cache.get(pks);
  const slow = n >= 64;
  const bench = new Bench(
    slow ? { time: 0, iterations: n >= 256 ? 1 : 3, warmupIterations: 0, warmupTime: 0 } : { time: 1500 },
  );
  bench
    .add(`keyAgg n=${n} ours`, () => void keyAgg(pks))
    .add(`keyAgg n=${n} scure`, () => void scure.keyAggregate(pks))
    .add(`session n=${n} ours`, () => void oursSession(sks, pks, false))
    .add(`session n=${n} ours (cached key context)`, () => void oursSession(sks, pks, cache))
    .add(`session n=${n} scure`, () => void scureSession(sks, pks));
  await bench.run();
  const hz = (name: string) => {
    const t = bench.tasks.find((x) => x.name === name);
    const r = t?.result as { throughput?: { mean: number } } | undefined;
    return r?.throughput?.mean ?? Number.NaN;
  };
  for (const what of ['keyAgg', 'session'] as const) {
    const ours = hz(`${what} n=${n} ours`);
    const theirs = hz(`${what} n=${n} scure`);
    rows.push({
      what,
      n,
      'ours ops/s': ours.toPrecision(4),
      'scure ops/s': theirs.toPrecision(4),
      ratio: `${(ours / theirs).toFixed(1)}x`,
    });
    if (what === 'session') {
      const cached = hz(`session n=${n} ours (cached key context)`);
      rows.push({
        what: 'session (cached ctx)',
        n,
        'ours ops/s': cached.toPrecision(4),
        'scure ops/s': theirs.toPrecision(4),
        ratio: `${(cached / theirs).toFixed(1)}x`,
      });
    }
  }
  console.table(rows.slice(-3));
}
console.log(
  `machine: ${(await import('node:os')).cpus().length}-core, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
console.table(rows);
