#!/usr/bin/env node
/**
 * `superscalar-sim-server`: serves one SimChain over Bitcoin Core's JSON-RPC (see `server.ts`).
 *
 *   superscalar-sim-server --datadir DIR [--port 18443] [--host 127.0.0.1]
 *                          [--rpcuser U --rpcpassword P] [--no-persist]
 *                          [--core-version 300000] [--minrelaytxfee SAT_PER_KVB]
 *
 * Prints one JSON line on stdout once listening — `{"url","host","port","cookieFile","datadir","pid"}`
 * — and runs until SIGINT/SIGTERM or the `stop` RPC. `--port 0` picks a free port.
 */
import { startSimServer } from './server.js';

const USAGE =
  'usage: superscalar-sim-server --datadir DIR [--port N] [--host H] [--rpcuser U --rpcpassword P] ' +
  '[--no-persist] [--core-version N] [--minrelaytxfee SAT_PER_KVB]';

function fail(message: string): never {
  process.stderr.write(`superscalar-sim-server: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const opts: Record<string, string | true> = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (!a.startsWith('--')) fail(`unexpected argument ${a}`);
  const eq = a.indexOf('=');
  const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
  if (name === 'no-persist' || name === 'help') opts[name] = true;
  else if (eq >= 0) opts[name] = a.slice(eq + 1);
  else if (i + 1 < args.length) opts[name] = args[++i]!;
  else fail(`--${name} needs a value`);
}
if (opts.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const known = [
  'datadir',
  'port',
  'host',
  'rpcuser',
  'rpcpassword',
  'no-persist',
  'core-version',
  'minrelaytxfee',
];
for (const k of Object.keys(opts)) if (!known.includes(k)) fail(`unknown option --${k}`);
const str = (k: string): string | undefined =>
  typeof opts[k] === 'string' ? (opts[k] as string) : undefined;
const num = (k: string): number | undefined => {
  const v = str(k);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) fail(`--${k} expects a non-negative integer`);
  return Number(v);
};
const user = str('rpcuser');
const password = str('rpcpassword');
if ((user === undefined) !== (password === undefined))
  fail('give both --rpcuser and --rpcpassword, or neither');
const datadir = str('datadir');
if (datadir === undefined && user === undefined)
  fail('--datadir is required (for the cookie and the journal)');
const coreVersion = num('core-version');
const minRelayFeeRate = num('minrelaytxfee');

try {
  const server = await startSimServer({
    ...(datadir === undefined ? {} : { datadir }),
    port: num('port') ?? 18443,
    ...(str('host') === undefined ? {} : { host: str('host')! }),
    ...(user === undefined ? {} : { auth: { user, password: password! } }),
    persist: opts['no-persist'] !== true && datadir !== undefined,
    chain: {
      policy: {
        ...(coreVersion === undefined ? {} : { coreVersion }),
        ...(minRelayFeeRate === undefined
          ? {}
          : { minRelayFeeRate, incrementalRelayFeeRate: minRelayFeeRate }),
      },
    },
  });
  process.stdout.write(
    `${JSON.stringify({
      url: server.url,
      host: server.host,
      port: server.port,
      cookieFile: server.cookieFile ?? null,
      datadir: datadir ?? null,
      pid: process.pid,
    })}\n`,
  );
  const shutdown = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  await server.closed;
  process.exit(0);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
