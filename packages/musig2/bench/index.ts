// Benchmarks, ours vs @scure/btc-signer/musig2.js in the same run:
//   cd packages/musig2 && npx tsx --conditions=source bench/index.ts [n...]
// For n signers: KeyAgg alone, and one full signing session simulated in one process (every signer's
// NonceGen, NonceAgg, the session values, every partial signature with its self-check, verification,
// aggregation). Ours verifies the aggregate only (Session.aggregateVerified); scure's API verifies every
// partial signature (PartialSigVerify), as an aggregator must to blame a signer. No key-context cache for
// ours (`cache: false`) unless the row says "cached".
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import * as scure from '@scure/btc-signer/musig2.js';
import { curve, setCurveBackend } from '@superscalar/secp';
import { Bench } from 'tinybench';
import { aggregateBatch, KeyAggCache, keyAgg, nonceAgg, nonceGen, Session } from '../src/index.js';

// Arguments: signer counts (default 2 16 64 256, then the tree rows), or `tree` for the tree rows only.
const args = process.argv.slice(2);
const sizes = args.map(Number).filter((x) => x > 0);
const treeOnly = args.includes('tree');
const ns = treeOnly ? [] : sizes.length > 0 ? sizes : [2, 16, 64, 256];
const msg = new Uint8Array(32).fill(7);
// The curve backend of the "ours" rows (libsecp256k1 in Node where it loads); the "ours on noble" rows
// switch to @noble/curves for the call, so both backends are measured against scure in the same run.
const backendName = curve().name;
console.log(`curve backend: ${backendName}`);
function onNoble<T>(fn: () => T): T {
  setCurveBackend('noble');
  try {
    return fn();
  } finally {
    setCurveBackend('auto');
  }
}

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

// The machine is shared (other work competes for its 2 cores), so the two libraries are measured in
// alternating rounds: each round is one tinybench run of every task with a fixed iteration count, the
// task order flips every round, and a task's figure is the median of its per-round mean latencies.
// Load drift then hits both sides alike and the ratio stays meaningful.
async function paired(
  tasks: Record<string, () => void>,
  rounds: number,
  iterations: number,
  warmup = true,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  const names = Object.keys(tasks);
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({
      time: 0,
      iterations,
      warmup: warmup && r === 0,
      warmupIterations: 1,
      warmupTime: 0,
    });
    for (const name of r % 2 === 0 ? names : [...names].reverse()) bench.add(name, tasks[name] as () => void);
    await bench.run();
    for (const t of bench.tasks) {
      const res = t.result as { latency?: { mean: number } } | undefined;
      if (res?.latency === undefined) throw new Error(`${t.name}: no result`);
      const xs = samples[t.name] ?? [];
      xs.push(res.latency.mean);
      samples[t.name] = xs;
    }
  }
  const hz: Record<string, number> = {};
  for (const [name, xs] of Object.entries(samples)) {
    const sorted = [...xs].sort((a, b) => a - b);
    hz[name] = 1000 / (sorted[Math.floor(sorted.length / 2)] as number);
  }
  return hz;
}

const rows: Record<string, string | number>[] = [];
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));
for (const n of ns) {
  const { sks, pks } = signers(n);
  // Sanity: both produce valid signatures under the same aggregate key.
  const aggpk = scure.keyAggExport(scure.keyAggregate(pks));
  if (!schnorr.verify(oursSession(sks, pks, false), msg, aggpk)) throw new Error('ours: invalid signature');
  if (!schnorr.verify(scureSession(sks, pks), msg, aggpk)) throw new Error('scure: invalid signature');
  const cache = new KeyAggCache();
  cache.get(pks);
  const keyHz = await paired(
    { ours: () => void keyAgg(pks, { memo: false }), scure: () => void scure.keyAggregate(pks) },
    n >= 256 ? 3 : 7,
    n >= 64 ? 2 : 10,
  );
  const sessionHz = await paired(
    {
      ours: () => void oursSession(sks, pks, false),
      noble: () => void onNoble(() => oursSession(sks, pks, false)),
      cached: () => void oursSession(sks, pks, cache),
      scure: () => void scureSession(sks, pks),
    },
    n >= 256 ? 2 : n >= 64 ? 5 : 7,
    n >= 16 ? 1 : 5,
    n < 256,
  );
  const row = (what: string, ours: number, theirs: number) =>
    rows.push({
      what,
      n,
      'ours ops/s': fmt(ours),
      'scure ops/s': fmt(theirs),
      ratio: `${(ours / theirs).toFixed(1)}x`,
    });
  row('keyAgg', keyHz.ours as number, keyHz.scure as number);
  row('session', sessionHz.ours as number, sessionHz.scure as number);
  row('session, ours on @noble/curves', sessionHz.noble as number, sessionHz.scure as number);
  row('session (cached key ctx)', sessionHz.cached as number, sessionHz.scure as number);
  console.table(rows.slice(-4));
}
// Tree signing, the aggregator's verification only: 64 sessions of 4 signers each (like 64 tree
// transactions), already signed. Ours: one BIP340 batch verification over all 64 (aggregateBatch), or
// one verification per session (aggregateVerified). scure: PartialSigVerify of every partial signature.
if (treeOnly || sizes.length === 0) {
  const jobs = Array.from({ length: 64 }, (_, j) => {
    const { sks, pks } = signers(4);
    const m = Uint8Array.of(j, ...msg.subarray(1));
    const nonces = pks.map((pk, i) => nonceGen({ pk, sk: sks[i], msg: m }));
    const pubnonces = nonces.map((x) => x.pubnonce);
    const session = new Session({ aggnonce: nonceAgg(pubnonces), pubkeys: pks, msg: m });
    const psigs = nonces.map((x, i) => session.sign(x.secnonce, sks[i] as Uint8Array));
    return { session, psigs, pubnonces, scureSession: new scure.Session(nonceAgg(pubnonces), pks, m) };
  });
  const hz = await paired(
    {
      batch: () => void aggregateBatch(jobs),
      each: () => {
        for (const j of jobs) j.session.aggregateVerified(j.psigs, j.pubnonces);
      },
      scure: () => {
        for (const j of jobs) {
          j.psigs.forEach((p, i) => {
            if (!j.scureSession.partialSigVerify(p, j.pubnonces, i)) throw new Error('bad psig');
          });
          j.scureSession.partialSigAgg(j.psigs);
        }
      },
    },
    5,
    1,
  );
  const vs = (x: number) => `${(x / (hz.scure as number)).toFixed(1)}x`;
  console.log('tree verification: 64 sessions x 4 signers, aggregator side');
  console.table([
    {
      what: 'aggregateBatch (one batch verification)',
      'ops/s': fmt(hz.batch as number),
      'vs scure': vs(hz.batch as number),
    },
    {
      what: 'aggregateVerified per session',
      'ops/s': fmt(hz.each as number),
      'vs scure': vs(hz.each as number),
    },
    { what: 'scure: PartialSigVerify each + agg', 'ops/s': fmt(hz.scure as number), 'vs scure': '1.0x' },
  ]);
}
const os = await import('node:os');
const load = os
  .loadavg()
  .map((x) => x.toFixed(1))
  .join(' ');
console.log(
  `machine: ${os.cpus().length}-core, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, backend: ${backendName}, load average ${load}`,
);
console.table(rows);
