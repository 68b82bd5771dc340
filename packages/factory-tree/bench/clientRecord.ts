// One client building and checking its own path, storing its O(depth) record and replaying it after a
// restart (issue 20), at N = 64, 256, 1,024 in two shapes: binary (leaf arity 2, levelArity [2], the
// deepest path) and suggestShape's (the shallowest valid one). For the client in the middle of the
// placement order it reports CPU milliseconds (process.cpuUsage) of
//   build    buildClientPath: proposal validation, layout arithmetic, the funding key and its path
//   check    checkUnsignedPath against the unsigned funding transaction's bytes and its agreed terms
//   verify   validatePath of its signed path (rebuilds the path, checks every signature)
//   store    clientFactoryRecord + encodeClientFactory (with its path and distribution signatures)
//   restart  decodeClientFactory + replayClientFactory in a fresh process (cold: no key aggregation
//            memoised), from the record's bytes alone: the path rebuilt, checked, every signature
//            verified; the distribution rebuilt and its signatures verified
// the record's bytes (total, the proposal, the rest), and the heap retained (after a forced GC) by the
// built and checked path, by the decoded record, and by the restarted client (record, path,
// distribution). verify and store run warm (musig2 memoises the path's key aggregations). Signatures
// come from signing only the client's jobs beforehand (untimed). Run once; figures only, no assertion.
//
//   cd packages/factory-tree && NODE_OPTIONS=--expose-gc npx tsx --conditions=source bench/clientRecord.ts [N ...]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { displayHex, encodeTx, type Tx, txidBytesOf } from '@superscalar/tx';
import { clientRecordSizes } from '../src/clientRecordCodec.js';
import {
  buildClientPath,
  checkUnsignedPath,
  clientDistribution,
  clientFactoryRecord,
  createProposal,
  decodeClientFactory,
  encodeClientFactory,
  fundingOutput,
  type IndexedJob,
  replayClientFactory,
  signedTxBytes,
  signJobsSplitSimulated,
  suggestShape,
  validatePath,
} from '../src/index.js';
import { fixtureInput, fixtureSecretKeys } from './_fixture.js';

const gc = (globalThis as { gc?: () => void }).gc;
function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}
function cpuMs<T>(f: () => T): [T, number] {
  const c = process.cpuUsage();
  const r = f();
  const d = process.cpuUsage(c);
  return [r, (d.user + d.system) / 1000];
}

function measure(N: number, shapeName: 'binary' | 'suggest') {
  const s = suggestShape(N, { K: 4, S: 10 }, 6);
  if (s === undefined) throw new Error(`no shape for N = ${N}`);
  const shape =
    shapeName === 'binary'
      ? { leafArity: 2 as const, levelArity: [2], staticLevels: 0 }
      : { leafArity: s.leafArity, levelArity: s.levelArity, staticLevels: s.staticLevels };
  const input = fixtureInput(N, shape);
  const sks = fixtureSecretKeys(N);
  const script = fundingOutput(
    input.lsp.key,
    input.clients.map((c) => c.key),
  ).script;
  const fundingTx: Tx = {
    version: 2,
    locktime: 0,
    inputs: [{ txidBytes: new Uint8Array(32).fill(7), vout: 0, sequence: 0xfffffffd }],
    outputs: [{ value: input.funding.amount, script }],
  };
  const fundingBytes = encodeTx(fundingTx);
  const proposal = createProposal({
    ...input,
    funding: { ...input.funding, txid: displayHex(txidBytesOf(fundingTx)) },
  });
  const client = Math.floor(N / 2);
  const me = proposal.clients[client] as (typeof proposal.clients)[number];

  const h0 = heap();
  const [path, tBuild] = cpuMs(() => buildClientPath(proposal, client));
  const [, tCheck] = cpuMs(() =>
    checkUnsignedPath(path, { fundingTx: fundingBytes, self: { key: me.key, capacity: me.capacity } }),
  );
  const pathHeap = heap() - h0;

  // The ceremony's signatures for this client's jobs (untimed: the LSP's and the others' work).
  const cd = clientDistribution(path);
  const own: IndexedJob[] = [...path.jobs, ...cd.jobs];
  const sigs = signJobsSplitSimulated(
    own.map((j) => j.job),
    sks,
  );
  const signedPath = path.txs.map((t, k) => signedTxBytes(t, sigs[k] as Uint8Array));
  const [verified, tVerify] = cpuMs(() => validatePath(proposal, client, signedPath));
  const distribution = cd.positions.map((index, k) => ({
    index,
    signature: sigs[path.txs.length + k] as Uint8Array,
  }));
  const [bytes, tStore] = cpuMs(() =>
    encodeClientFactory(
      clientFactoryRecord(verified.clientPath, { path: verified.signatures, distribution }),
    ),
  );
  const restart = restartCold(bytes);
  const h1 = heap();
  const record = decodeClientFactory(bytes);
  const recordHeap = heap() - h1;
  const sizes = clientRecordSizes(record);
  return {
    N,
    shape: `${shapeName} [${shape.levelArity.join(',')}] static ${shape.staticLevels}`,
    treeTxs: path.layout.txs.length,
    pathTxs: path.txs.length,
    stateNodes: path.state.states.length,
    cpuMs: { build: tBuild, check: tCheck, verify: tVerify, store: tStore, restart: restart.cpuMs },
    bytes: sizes,
    heapKB: {
      path: Math.round(pathHeap / 1024),
      record: Math.round(recordHeap / 1024),
      restarted: Math.round(restart.heap / 1024),
    },
    keep: [path, record],
  };
}

/** Decodes and replays a record in a fresh process (this script with `--restart <file>`). */
function restartCold(bytes: Uint8Array): { cpuMs: number; heap: number } {
  const dir = mkdtempSync(join(tmpdir(), 'client-record-'));
  try {
    const file = join(dir, 'record.bin');
    writeFileSync(file, bytes);
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), '--restart', file],
      { encoding: 'utf8' },
    );
    return JSON.parse(out.trim().split('\n').at(-1) as string);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--restart') {
  const bytes = new Uint8Array(readFileSync(process.argv[3] as string));
  // Warm the curve backend's lazily built tables on unrelated keys (G and 2G), so the heap retained
  // below is the client's, not the library's.
  const G = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
  const G2 = '02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5';
  const key = (h: string) => Uint8Array.from(h.match(/../g) as string[], (b) => Number.parseInt(b, 16));
  fundingOutput(key(G), [key(G2)]);
  const h0 = heap();
  const [restarted, ms] = cpuMs(() => {
    const record = decodeClientFactory(bytes);
    return { record, replayed: replayClientFactory(record) };
  });
  const retained = heap() - h0;
  if (restarted.replayed.signedPath === undefined) throw new Error('no signed path');
  console.log(JSON.stringify({ cpuMs: ms, heap: retained }));
  process.exit(0);
}

const Ns = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
console.log(
  `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model}), load ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}, gc ${gc ? 'exposed' : 'NOT exposed (heap figures include garbage)'}`,
);
console.log(
  '| N | shape | tree txs | path txs | state nodes | build ms | check ms | verify ms | store ms | restart ms | record B | proposal B | rest B | path heap KB | record heap KB | restarted heap KB |',
);
console.log(
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
);
for (const N of Ns.length > 0 ? Ns : [64, 256, 1024])
  for (const shapeName of ['binary', 'suggest'] as const) {
    const r = measure(N, shapeName);
    const c = r.cpuMs;
    const f = (x: number) => x.toFixed(0);
    console.log(
      `| ${N} | ${r.shape} | ${r.treeTxs} | ${r.pathTxs} | ${r.stateNodes} | ${f(c.build)} | ${f(c.check)} | ${f(c.verify)} | ${f(c.store)} | ${f(c.restart)} | ${r.bytes.total} | ${r.bytes.proposal} | ${r.bytes.path} | ${r.heapKB.path} | ${r.heapKB.record} | ${r.heapKB.restarted} |`,
    );
  }
