/**
 * A throwaway `bitcoind -regtest` for tests, examples and demos: its own temporary datadir, a free
 * loopback RPC port, cookie auth, no P2P at all, `-txindex`, a fallback fee and one wallet. It never
 * touches another node or datadir, and `stop()` removes the datadir.
 *
 * {@link discoverBitcoind} finds the binary (`BITCOIND`, else `bitcoind` on `PATH`) and checks that it
 * is Bitcoin Core ≥ 28 (TRUC, P2A, `submitpackage`); callers skip with its `why` when it is absent.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { InvalidArgumentError, Unavailable } from '../errors.js';
import { BitcoindRpc } from './bitcoindRpc.js';

/** Core ≥ 28: TRUC, P2A and `submitpackage` with package RBF. */
export const MIN_CORE_VERSION = 280000;

/** Where the `bitcoind` binary is, or why there is none. */
export type BitcoindDiscovery =
  | {
      readonly ok: true;
      readonly bin: string;
      /** `major·10000 + minor·100 + patch` (31.99.0 → 319900). */
      readonly version: number;
      /** The first line of `bitcoind -version`. */
      readonly versionText: string;
    }
  | { readonly ok: false; readonly why: string };

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir !== '' && existsSync(p)) return p;
  }
  return undefined;
}

/** Finds `bitcoind` from the `BITCOIND` environment variable, else on `PATH`, and checks its version. */
export function discoverBitcoind(): BitcoindDiscovery {
  const fromEnv = process.env.BITCOIND;
  const bin = fromEnv !== undefined && fromEnv !== '' ? fromEnv : onPath('bitcoind');
  if (bin === undefined) return { ok: false, why: 'no bitcoind on PATH and BITCOIND is not set' };
  if (!existsSync(bin)) return { ok: false, why: `BITCOIND=${bin} does not exist` };
  let text: string;
  try {
    text = execFileSync(bin, ['-version'], { encoding: 'utf8', timeout: 20_000 });
  } catch (e) {
    return { ok: false, why: `${bin} -version failed: ${(e as Error).message}` };
  }
  const m = /version v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (m === null) return { ok: false, why: `cannot read the version of ${bin}` };
  const version = Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3] ?? 0);
  const versionText = text.split('\n')[0]?.trim() ?? '';
  if (version < MIN_CORE_VERSION)
    return { ok: false, why: `${versionText} is older than Core 28 (TRUC, P2A, packages)` };
  return { ok: true, bin, version, versionText };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Options of {@link startRegtestNode}. */
export interface RegtestNodeOptions {
  /** The `bitcoind` binary (from {@link discoverBitcoind}). */
  readonly bin: string;
  /** Name of the wallet created and used by `rpc` (default `regtest`); `null` creates none. */
  readonly wallet?: string | null;
  /** Extra `bitcoind` arguments (policy switches such as `-minrelaytxfee=…`). */
  readonly args?: readonly string[];
  /** How long to wait for RPC after the start, ms (default 90,000). */
  readonly startTimeoutMs?: number;
}

/** A running throwaway node. */
export interface RegtestNode {
  /** RPC to the node, bound to its wallet when one was created. */
  readonly rpc: BitcoindRpc;
  /** The temporary datadir (removed by `stop`). */
  readonly datadir: string;
  /** The RPC URL (`http://127.0.0.1:<port>`), for a second client. */
  readonly url: string;
  /** The cookie file the RPC authenticates with. */
  readonly cookieFile: string;
  /** Stops the node (RPC `stop`, then SIGTERM, then SIGKILL after 30 s) and removes its datadir. */
  stop(): Promise<void>;
}

/**
 * Starts `bitcoind -regtest` in a fresh temporary datadir and resolves once it answers RPC (and its
 * wallet exists).
 *
 * @throws {Unavailable} the node exited or did not answer within `startTimeoutMs` (stderr included).
 */
export async function startRegtestNode(options: RegtestNodeOptions): Promise<RegtestNode> {
  if (typeof options?.bin !== 'string' || options.bin === '')
    throw new InvalidArgumentError('options.bin', 'must name the bitcoind binary');
  const wallet = options.wallet === undefined ? 'regtest' : options.wallet;
  const datadir = mkdtempSync(join(tmpdir(), 'superscalar-regtest-'));
  const rpcport = await freePort();
  const child: ChildProcess = spawn(
    options.bin,
    [
      '-regtest',
      `-datadir=${datadir}`,
      `-rpcport=${rpcport}`,
      // No P2P at all (Core refuses -bind together with -listen=0); RPC on a random loopback port.
      '-connect=0',
      '-rpcbind=127.0.0.1',
      '-rpcallowip=127.0.0.1',
      '-listen=0',
      '-dnsseed=0',
      '-fixedseeds=0',
      '-discover=0',
      '-server=1',
      '-txindex=1',
      '-fallbackfee=0.0002',
      '-printtoconsole=0',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${rpcport}`;
  const cookieFile = join(datadir, 'regtest', '.cookie');
  const rpc = new BitcoindRpc({
    url,
    auth: { cookieFile },
    network: 'regtest',
    ...(wallet === null ? {} : { wallet }),
    timeoutMs: 60_000,
  });
  const cleanup = (): void => rmSync(datadir, { recursive: true, force: true });
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) {
      cleanup();
      throw new Unavailable(`bitcoind exited with ${child.exitCode}: ${stderr.slice(0, 2000)}`);
    }
    try {
      await rpc.tip();
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        cleanup();
        throw new Unavailable(`bitcoind did not answer RPC in time: ${(e as Error).message}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  if (wallet !== null) await rpc.rpc('createwallet', [wallet]);
  return {
    rpc,
    datadir,
    url,
    cookieFile,
    stop: async () => {
      if (child.exitCode === null) {
        try {
          await rpc.rpc('stop');
        } catch {
          child.kill('SIGTERM');
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}
