// SuperScalar demo: an LSP and 4 clients, each with its own keys and SQLite store, over Noise on
// 127.0.0.1, on the embedded SimChain: fund a 100,000-sat factory, open its 4 channels (20,000 sats,
// client balances 10,000), make four payments between the clients through the LSP with BOLT 11
// invoices, close it cooperatively on the final balances; every step, txid, payment, balance and the
// time taken.
//
//   npx -y pnpm@10 demo [options]                                 (from the repository root)
//   node --import tsx --conditions=source index.ts [--clients N] [--json] [--regtest] [--keep] [--verbose]
import { argv, exit, stderr, stdout } from 'node:process';
import type { LogLevel } from '@superscalar/core';
import { runBreach } from './src/breach.js';
import { runAdvanceBreach } from './src/breachAdvance.js';
import { regtestUnavailable } from './src/chain.js';
import { runDemo } from './src/demo.js';
import { bigintJson } from './src/journal.js';
import { CLIENTS_PER_FACTORY } from './src/plan.js';
import { runScene, type SceneName } from './src/scenes.js';

const USAGE = `usage: npx -y pnpm@10 demo [options]   (from the repository root)
  --clients N   clients in all, a multiple of ${CLIENTS_PER_FACTORY} (default 4): N/4 factories of 100,000 sats,
                four payments in each, one from factory 1 to factory 2
  --json        print one JSON document on stdout instead of text
  --regtest     run on a throwaway bitcoind -regtest (BITCOIND, else bitcoind on PATH) instead of SimChain
  --keep        keep the temp directory (stores and mnemonics) and print where it is
  --verbose     the roles' logs on stderr (--verbose=debug for more)
  --breach      the breach demo's three scenes in order (--breach=1|2|3 for one): 1. a client
                broadcasts a revoked commitment, the LSP's watchtower penalises it; 2. the LSP
                publishes a superseded leaf state while the clients' towers are live, the newest
                state wins; 3. it does while they are offline until it confirms, the towers, back,
                publish the poison and the settlements (every txid, height and amount)
  --force-close one client exits alone: its path, commitment and claim, each step's txid and height
  --timeout     the clients vanish after the root kickoff: the LSP's timeout recovery after T_k
  --distribution the LSP neither closes nor rotates: the clients broadcast the distribution at T_dist
  --help        this text`;

interface Args {
  clients: number;
  json: boolean;
  regtest: boolean;
  keep: boolean;
  logLevel: LogLevel | undefined;
  breach?: readonly (1 | 2 | 3)[];
  scene: SceneName | undefined;
}

function parse(args: readonly string[]): Args | string {
  const a: Args = {
    clients: CLIENTS_PER_FACTORY,
    json: false,
    regtest: false,
    keep: false,
    logLevel: undefined,
    scene: undefined,
  };
  for (let i = 0; i < args.length; i++) {
    const x = args[i] as string;
    if (x === '--') continue;
    const [flag, inline] = x.includes('=')
      ? [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]
      : [x, undefined];
    switch (flag) {
      case '--clients': {
        const v = inline ?? args[++i];
        const n = Number(v);
        if (
          v === undefined ||
          !Number.isInteger(n) ||
          n < CLIENTS_PER_FACTORY ||
          n % CLIENTS_PER_FACTORY !== 0
        )
          return `--clients takes a positive multiple of ${CLIENTS_PER_FACTORY}, got ${v ?? 'nothing'}`;
        a.clients = n;
        break;
      }
      case '--json':
        a.json = true;
        break;
      case '--regtest':
        a.regtest = true;
        break;
      case '--keep':
        a.keep = true;
        break;
      case '--verbose':
        if (inline !== undefined && !['debug', 'info', 'warn', 'error'].includes(inline))
          return `--verbose takes debug, info, warn or error, got ${inline}`;
        a.logLevel = (inline ?? 'info') as LogLevel;
        break;
      case '--breach':
        if (inline !== undefined && !['1', '2', '3'].includes(inline))
          return `--breach takes 1, 2 or 3 (one scene), got ${inline}`;
        a.breach = inline === undefined ? [1, 2, 3] : [Number(inline) as 1 | 2 | 3];
        break;
      case '--force-close':
      case '--timeout':
      case '--distribution':
        if (a.scene !== undefined) return `choose one scene, not --${a.scene} and ${flag}`;
        a.scene = flag.slice(2) as SceneName;
        break;
      case '--help':
      case '-h':
        return '';
      default:
        return `unknown option ${x}`;
    }
  }
  return a;
}

async function main(): Promise<number> {
  const args = parse(argv.slice(2));
  if (typeof args === 'string') {
    if (args !== '') stderr.write(`${args}\n`);
    stderr.write(`${USAGE}\n`);
    return args === '' ? 0 : 2;
  }
  if (args.regtest) {
    const why = regtestUnavailable();
    if (why !== undefined) {
      const text = `--regtest needs Bitcoin Core ≥ 28: ${why}. Set BITCOIND=/path/to/bitcoind or put bitcoind on PATH; without --regtest the demo runs on the embedded SimChain.`;
      if (args.json) stdout.write(`${JSON.stringify({ ok: false, error: text }, null, 2)}\n`);
      stderr.write(`${text}\n`);
      return 2;
    }
  }
  const print = args.json ? undefined : (line: string) => stdout.write(`${line}\n`);
  if (args.breach) return breach(args, print);
  print?.(
    `SuperScalar demo: an LSP and ${args.clients} clients over Noise on 127.0.0.1, on ${args.regtest ? 'bitcoind -regtest' : 'the embedded SimChain'}`,
  );
  if (args.scene !== undefined) {
    try {
      const report = await runScene(
        args.scene,
        { regtest: args.regtest, ...(args.logLevel === undefined ? {} : { logLevel: args.logLevel }) },
        print,
      );
      if (args.json) stdout.write(`${JSON.stringify(report, bigintJson, 2)}\n`);
      return 0;
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      if (args.json) stdout.write(`${JSON.stringify({ ok: false, error: text }, null, 2)}\n`);
      stderr.write(`demo failed: ${text}\n`);
      return 1;
    }
  }
  try {
    const report = await runDemo(
      {
        clients: args.clients,
        regtest: args.regtest,
        keep: args.keep,
        ...(args.logLevel === undefined ? {} : { logLevel: args.logLevel }),
      },
      print,
    );
    const processMs = Math.round(performance.now());
    if (args.json)
      stdout.write(
        `${JSON.stringify({ ...report, timings: { ...report.timings, processMs } }, bigintJson, 2)}\n`,
      );
    else {
      const p = report.timings.phasesMs;
      print?.(
        `time: ${report.timings.totalMs} ms in the demo (${Object.entries(p)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}), ${processMs} ms since the process started`,
      );
      if (report.kept) print?.(`kept: ${report.dataDir} (SQLite stores, mnemonics in mnemonics/)`);
    }
    return 0;
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    if (args.json) stdout.write(`${JSON.stringify({ ok: false, error: text }, null, 2)}\n`);
    stderr.write(`demo failed: ${text}\n`);
    return 1;
  }
}

const code = await main();
process.exitCode = code;
// Everything was stopped; should a handle linger anyway, do not hang.
setTimeout(() => exit(code), 2_000).unref();

/** `--breach`: its scenes in order (src/breach.ts, src/breachAdvance.ts). */
async function breach(args: Args, print: ((line: string) => void) | undefined): Promise<number> {
  const titles = {
    1: 'a client broadcasts a revoked commitment and is penalised',
    2: "the LSP publishes a superseded leaf state while the clients' towers are live: the newest state wins",
    3: 'the LSP publishes it while the towers are offline until it confirms: back, they publish the poison and the settlements',
  } as const;
  const o = {
    regtest: args.regtest,
    keep: args.keep,
    ...(args.logLevel === undefined ? {} : { logLevel: args.logLevel }),
  };
  const scenes: unknown[] = [];
  try {
    for (const n of args.breach ?? [1, 2, 3]) {
      print?.(`SuperScalar breach demo, scene ${n}: ${titles[n]}`);
      scenes.push(n === 1 ? await runBreach(o, print) : await runAdvanceBreach(n, o, print));
    }
    if (args.json) stdout.write(`${JSON.stringify({ ok: true, scenes }, bigintJson, 2)}\n`);
    return 0;
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    if (args.json) stdout.write(`${JSON.stringify({ ok: false, error: text }, null, 2)}\n`);
    stderr.write(`breach demo failed: ${text}\n`);
    return 1;
  }
}
