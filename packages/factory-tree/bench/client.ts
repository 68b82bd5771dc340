// One client's CPU and memory in the §8 ceremony (O(depth) client, issue 20), at N = 64, 256, 1,024
// in two shapes: binary (leaf arity 2, levelArity [2], no static level: the deepest path) and
// suggestShape's (the shallowest valid one). For each N it times, for the client in the middle of the
// placement order:
//   path     buildClientPath: proposal validation, layout arithmetic, the funding key and its path
//   check    checkUnsignedPath against the unsigned funding transaction's bytes and its agreed terms
//   dist     clientDistribution (the distribution pays every client: O(N) bytes by design, §8)
//   round1   clientJobsRound1 over its path and distribution jobs
//   round2   clientJobsRound2 (the aggregate nonces are stand-ins: NonceAgg(own, another nonce))
//   replay   after a restart: buildClientPath + validatePath of its signed path + checkSignedDistribution
// and reports the heap the client retains (its path, distribution, signing state) next to the whole
// tree's (`buildTree`, what a client no longer builds). Valid signatures for the replay come from
// signing only the client's jobs beforehand (not timed).
//
//   cd packages/factory-tree && NODE_OPTIONS=--expose-gc npx tsx --conditions=source bench/client.ts [N ...]
import { cpus, loadavg } from 'node:os';
import { nonceAgg, nonceGen } from '@superscalar/musig2';
import { displayHex, encodeTx, type Tx, txidBytesOf } from '@superscalar/tx';
import {
  buildClientPath,
  buildTree,
  checkSignedDistribution,
  checkUnsignedPath,
  clientDistribution,
  clientJobsRound1,
  clientJobsRound2,
  createProposal,
  fundingOutput,
  type IndexedJob,
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

function measure(N: number, shapeName: 'suggest' | 'binary') {
  const s = suggestShape(N, { K: 4, S: 10 }, 6);
  if (s === undefined) throw new Error(`no shape for N = ${N}`);
  const shape =
    shapeName === 'binary'
      ? { leafArity: 2 as const, levelArity: [2], staticLevels: 0 }
      : { leafArity: s.leafArity, levelArity: s.levelArity, staticLevels: s.staticLevels };
  const input = fixtureInput(N, shape);
  const sks = fixtureSecretKeys(N);
  // The LSP's unsigned funding transaction (untimed).
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
  const [path, tPath] = cpuMs(() => buildClientPath(proposal, client));
  const [, tCheck] = cpuMs(() =>
    checkUnsignedPath(path, { fundingTx: fundingBytes, self: { key: me.key, capacity: me.capacity } }),
  );
  const [cd, tDist] = cpuMs(() => clientDistribution(path));
  const own: IndexedJob[] = [...path.jobs, ...cd.jobs];
  const [r1, tR1] = cpuMs(() =>
    clientJobsRound1({ participant: client + 1, secretKey: sks[client + 1] as Uint8Array, jobs: own }),
  );
  const retained = heap() - h0;
  const other = own.map(
    ({ job }) =>
      nonceGen({ pk: job.pubkeys[0] as Uint8Array, aggpk: job.outputKey, msg: job.sighash }).pubnonce,
  );
  const aggnonces = r1.nonces.pubnonces.map((pn, k) => nonceAgg([pn, other[k] as Uint8Array]));
  const [psigs, tR2] = cpuMs(() =>
    clientJobsRound2(r1.state, { participant: client + 1, jobs: r1.nonces.jobs, aggnonces }),
  );

  // Real signatures for the replay: sign only this client's jobs (untimed; the LSP's and the others' work).
  const sigs = signJobsSplitSimulated(
    own.map((j) => j.job),
    sks,
  );
  const signedPath = path.txs.map((t, k) => signedTxBytes(t, sigs[k] as Uint8Array));
  const distSigs = cd.positions.map((pos, k) => ({
    index: pos,
    signature: sigs[path.txs.length + k] as Uint8Array,
  }));
  const [, tReplay] = cpuMs(() => {
    const again = buildClientPath(proposal, client);
    validatePath(proposal, client, signedPath);
    checkSignedDistribution(clientDistribution(again), distSigs);
  });

  const h1 = heap();
  const [tree, tTree] = cpuMs(() => buildTree(proposal));
  const treeHeap = heap() - h1;
  const jobs = own.length;
  return {
    N,
    shape: `${shapeName} [${shape.levelArity.join(',')}] static ${shape.staticLevels}`,
    treeTxs: tree.txs.length,
    pathTxs: path.txs.length,
    jobs,
    bytes: { nonces: 66 * jobs, psigs: 32 * psigs.psigs.length, signatures: 64 * jobs },
    cpuMs: {
      path: tPath,
      check: tCheck,
      dist: tDist,
      round1: tR1,
      round2: tR2,
      replay: tReplay,
      total: tPath + tCheck + tDist + tR1 + tR2,
      wholeTree: tTree,
    },
    heapKB: { client: Math.round(retained / 1024), wholeTree: Math.round(treeHeap / 1024) },
    keep: [path, cd, r1],
  };
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
  '|     N | shape | tree txs | path txs | jobs | nonces B | psigs B | path ms | check ms | dist ms | round1 ms | round2 ms | client total ms | replay ms | buildTree ms | client heap KB | tree heap KB |',
);
console.log(
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
);
for (const N of Ns.length > 0 ? Ns : [64, 256, 1024])
  for (const shapeName of ['binary', 'suggest'] as const) {
    const r = measure(N, shapeName);
    const c = r.cpuMs;
    const f = (x: number) => x.toFixed(0);
    console.log(
      `| ${N} | ${r.shape} | ${r.treeTxs} | ${r.pathTxs} | ${r.jobs} | ${r.bytes.nonces} | ${r.bytes.psigs} | ${f(c.path)} | ${f(c.check)} | ${f(c.dist)} | ${f(c.round1)} | ${f(c.round2)} | ${f(c.total)} | ${f(c.replay)} | ${f(c.wholeTree)} | ${r.heapKB.client} | ${r.heapKB.wholeTree} |`,
    );
  }
