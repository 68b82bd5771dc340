// Build + full signing of a factory tree with every party simulated in one process (brief §8, §13),
// against the C implementation's figures. Each (N, shape) runs in a fresh child process so its peak
// memory (max RSS) is its own; within a child the figure is the median of several runs for small N.
//
//   cd packages/factory-tree && npx tsx --conditions=source bench/index.ts [N ...] [--shapes=c,suggest,default] [--runs=R]
//
// Default N: 4 64 256 1024. Shapes: `c` = the C implementation's (leaf arity 1, binary), `suggest` =
// suggestShape(N) (leaf arity 2), `default` = §2's (leaf arity 2, binary). Regtest values throughout
// (S = 10, toSelfDelay 6): mainnet's would fail §2's exit-delay check for the binary shapes.
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { type CurveBackend, curve } from '@superscalar/secp';
import {
  buildTree,
  createProposal,
  type SigningPhase,
  signTreeSimulated,
  suggestShape,
} from '../src/index.js';
import { C_SHAPE, DEFAULT_SHAPE, fixtureInput, fixtureSecretKeys, type Shape } from './_fixture.js';

/** The C implementation's in-process figures (brief §13), seconds. */
const C_FIGURES: Record<number, number> = { 64: 0.15, 256: 0.7, 1024: 3.79 };

interface Result {
  N: number;
  shapeName: string;
  shape: Shape;
  txs: number;
  partialSigs: number;
  runs: number;
  buildMs: number;
  clientsMs: number;
  lspMs: number;
  totalMs: number;
  maxRssMb: number;
  heapUsedMb: number;
}

function shapeFor(name: string, N: number): Shape {
  if (name === 'c') return C_SHAPE;
  if (name === 'default') return DEFAULT_SHAPE;
  const s = suggestShape(N, { K: 4, S: 10 }, 6);
  if (s === undefined) throw new Error(`no suggested shape for N = ${N}`);
  return { leafArity: s.leafArity, levelArity: s.levelArity, staticLevels: s.staticLevels };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

// One (N, shape) measurement, in this process (the child).
function measure(N: number, shapeName: string, runs: number): Result {
  const shape = shapeFor(shapeName, N);
  const sks = fixtureSecretKeys(N);
  const input = fixtureInput(N, shape);
  const samples: { build: number; clients: number; lsp: number; total: number }[] = [];
  let txs = 0;
  let partialSigs = 0;
  let heapUsed = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const tree = buildTree(createProposal(input));
    const t1 = performance.now();
    const at: Partial<Record<SigningPhase, number>> = {};
    const sigs = signTreeSimulated(tree, sks, {
      onPhase: (p) => {
        at[p] = performance.now();
      },
    });
    const t2 = performance.now();
    heapUsed = Math.max(heapUsed, process.memoryUsage().heapUsed);
    const span = (a: SigningPhase, b: SigningPhase) => (at[b] as number) - (at[a] as number);
    samples.push({
      build: t1 - t0,
      clients: span('clientRound1', 'lspSign') + span('clientRound2', 'lspAggregate'),
      lsp: span('lspSign', 'clientRound2') + span('lspAggregate', 'done'),
      total: t2 - t0,
    });
    txs = tree.txs.length;
    partialSigs = tree.txs.reduce((a, t) => a + t.signers.length, 0);
    if (sigs.length !== txs) throw new Error('missing signatures');
  }
  return {
    N,
    shapeName,
    shape,
    txs,
    partialSigs,
    runs,
    buildMs: median(samples.map((s) => s.build)),
    clientsMs: median(samples.map((s) => s.clients)),
    lspMs: median(samples.map((s) => s.lsp)),
    totalMs: median(samples.map((s) => s.total)),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: heapUsed / 2 ** 20,
  };
}

function runChild(N: number, shapeName: string, runs: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', String(N), shapeName, String(runs)], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve(m as Result));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`child for N = ${N} (${shapeName}) exited with ${code}`));
    });
  });
}

// Unit costs of the primitives the ceremony is made of, on this machine now (so figures taken under
// different load can be compared): constant-time k⋅G (nonces), variable-time k⋅P (session nonce R),
// point decompression (every received nonce).
function unitCosts(backend?: CurveBackend): { mulG: number; mulP: number; decompress: number } {
  const { Point } = secp256k1;
  const ks = Array.from(
    { length: 64 },
    (_, i) => (BigInt(i + 3) * 0x9e3779b97f4a7c15f39cc0605cedc834n) % Point.Fn.ORDER,
  );
  const P = Point.BASE.multiply(12345n);
  const enc = ks.map((k) => Point.BASE.multiply(k).toBytes(true));
  const time = (f: (i: number) => void) => {
    for (let i = 0; i < 48; i++) f(i % ks.length);
    const t = performance.now();
    for (let i = 0; i < ks.length; i++) f(i);
    return ((performance.now() - t) / ks.length) * 1000;
  };
  if (backend !== undefined)
    return {
      mulG: time((i) => backend.mulG(ks[i] as bigint)),
      mulP: time((i) => backend.mul(P, ks[i] as bigint)),
      decompress: time((i) => backend.decompress(enc[i] as Uint8Array)),
    };
  return {
    mulG: time((i) => Point.BASE.multiply(ks[i] as bigint)),
    mulP: time((i) => P.multiplyUnsafe(ks[i] as bigint)),
    decompress: time((i) => Point.fromBytes(enc[i] as Uint8Array)),
  };
}

const shapeLabel = (s: Shape) => `${s.leafArity}/[${s.levelArity.join(',')}]/${s.staticLevels}`;
const sec = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const r = measure(Number(args[1]), args[2] as string, Number(args[3]));
    (process.send as (m: unknown) => void)(r);
    return;
  }
  const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const Ns = sizes.length > 0 ? sizes : [4, 64, 256, 1024];
  const shapes = (args.find((a) => a.startsWith('--shapes='))?.slice(9) ?? 'c,suggest,default').split(',');
  const runsArg = args.find((a) => a.startsWith('--runs='));
  const load0 = loadavg()[0] as number;
  const u = unitCosts();
  console.log(
    `@superscalar/factory-tree bench — ${new Date().toISOString()} — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average ${load0.toFixed(1)} at start`,
  );
  console.log(
    `unit costs now (@noble/curves): k⋅G (constant-time) ${u.mulG.toFixed(0)} µs, k⋅P (variable-time) ${u.mulP.toFixed(0)} µs, point decompression ${u.decompress.toFixed(0)} µs`,
  );
  const b = curve();
  if (b.id !== 'noble') {
    const v = unitCosts(b);
    console.log(
      `unit costs now (${b.name}, the backend in use): k⋅G ${v.mulG.toFixed(1)} µs, k⋅P ${v.mulP.toFixed(1)} µs, point decompression ${v.decompress.toFixed(1)} µs`,
    );
  } else console.log('curve backend in use: @noble/curves');
  console.log('build + full signing, every party simulated in one process; regtest (S = 10, toSelfDelay 6)');
  const header = [
    'N',
    'shape (leaf/levels/static)',
    'txs',
    'psigs',
    'runs',
    'build s',
    'clients s',
    'LSP s',
    'total s',
    'C s',
    'total/C',
    'max RSS MB',
  ];
  const rows: string[][] = [];
  for (const N of Ns)
    for (const name of shapes) {
      const runs = runsArg ? Number(runsArg.slice(7)) : N <= 4 ? 9 : N <= 64 ? 5 : 1;
      const r = await runChild(N, name, runs);
      const c = name === 'c' ? C_FIGURES[N] : undefined;
      const row = [
        String(N),
        `${name} ${shapeLabel(r.shape)}`,
        String(r.txs),
        String(r.partialSigs),
        String(r.runs),
        sec(r.buildMs),
        sec(r.clientsMs),
        sec(r.lspMs),
        sec(r.totalMs),
        c === undefined ? '' : c.toFixed(2),
        c === undefined ? '' : `${(r.totalMs / 1000 / c).toFixed(1)}×`,
        r.maxRssMb.toFixed(0),
      ];
      rows.push(row);
      console.log(row.join(' | '));
    }
  console.log(`load average ${(loadavg()[0] as number).toFixed(1)} at end\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map((_, i) => (i === 1 ? '---' : '---:')).join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

await main();
