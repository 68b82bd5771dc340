// Codec throughput: encode and decode of typical messages, and a 1,024-client factory_propose through
// encodeFrames and the Reassembler. Short runs (BENCH_TIME ms per task, default 300): on a shared
// machine read the figures as orders of magnitude.
import { cpus } from 'node:os';
import { Bench } from 'tinybench';
import { proposeOf, pubnonce, sampleMessages, sampleProposal } from '../scripts/_samples.js';
import { decodeMessage, encodeFrames, encodeMessage, type Message, Reassembler } from '../src/index.js';

const time = Number(process.env.BENCH_TIME ?? 300);
const samples = sampleMessages();
const pick = (t: string) => samples.find((m) => m.type === t) as Message;
const nonces: Message = {
  type: 'factory_nonces',
  factoryId: new Uint8Array(32),
  attempt: 0,
  nonces: Array.from({ length: 24 }, (_, i) => ({
    tx: i,
    kind: i % 2 ? 'state' : 'kickoff',
    pubnonce: pubnonce(`b${i}`),
  })),
  distributionNonces: [{ index: 0, pubnonce: pubnonce('d') }],
};
const proposal: Message = proposeOf(sampleProposal(1024, 'mainnet'));
const frames = encodeFrames(proposal);

const bench = new Bench({ time });
for (const m of [pick('update_add_htlc'), pick('commitment_signed'), nonces]) {
  const bytes = encodeMessage(m);
  bench.add(`encode ${m.type} (${bytes.length} B)`, () => encodeMessage(m));
  bench.add(`decode ${m.type} (${bytes.length} B)`, () => decodeMessage(bytes));
}
bench.add(`encodeFrames factory_propose N=1024 (${frames.length} frames)`, () => encodeFrames(proposal));
bench.add('reassemble + decode factory_propose N=1024', () => {
  const r = new Reassembler();
  for (const f of frames) r.receive(f);
});
await bench.run();
console.log(
  `wire bench, ${new Date().toISOString()}, ${cpus()[0]?.model ?? 'CPU'} ×${cpus().length}, Node ${process.version}`,
);
const meanMs = (r: unknown): number =>
  (r as { latency?: { mean?: number } } | undefined)?.latency?.mean ?? Number.NaN;
console.table(
  bench.tasks.map((t) => ({
    task: t.name,
    'mean µs': Number((meanMs(t.result) * 1000).toFixed(1)),
    'ops/s (1 / mean)': Math.round(1000 / meanMs(t.result)),
  })),
);
