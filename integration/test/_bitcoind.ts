// Starts and stops a throwaway `bitcoind -regtest`: its own temporary datadir, random loopback ports,
// cookie auth, -txindex, a fallback fee and one wallet. Used by the regtest suites; never touches any
// other node or datadir.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';

/** Core ≥ 28: TRUC, P2A and submitpackage with package RBF. */
export const MIN_CORE_VERSION = 280000;

/** Where the bitcoind binary is, or why there is none. */
export type Discovery =
  | { ok: true; bin: string; version: number; versionText: string }
  | { ok: false; why: string };

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir !== '' && existsSync(p)) return p;
  }
  return undefined;
}

/** Finds `bitcoind` from `BITCOIND` or PATH and checks its version. */
export function discoverBitcoind(): Discovery {
  const bin =
    process.env.BITCOIND !== undefined && process.env.BITCOIND !== ''
      ? process.env.BITCOIND
      : onPath('bitcoind');
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

async function freePort(): Promise<number> {
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

/** A running throwaway node. */
export interface RegtestNode {
  readonly rpc: BitcoindRpc;
  readonly datadir: string;
  stop(): Promise<void>;
}

/** Starts bitcoind, waits for RPC, creates wallet `conformance`. */
export async function startRegtestNode(bin: string): Promise<RegtestNode> {
  const datadir = mkdtempSync(join(tmpdir(), 'superscalar-regtest-'));
  const rpcport = await freePort();
  const child: ChildProcess = spawn(
    bin,
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
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${rpcport}`;
  const cookieFile = join(datadir, 'regtest', '.cookie');
  const rpc = new BitcoindRpc({
    url,
    auth: { cookieFile },
    network: 'regtest',
    wallet: 'conformance',
    timeoutMs: 60_000,
  });
  const cleanup = (): void => rmSync(datadir, { recursive: true, force: true });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) {
      cleanup();
      throw new Error(`bitcoind exited with ${child.exitCode}: ${stderr.slice(0, 2000)}`);
    }
    try {
      await rpc.tip();
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        cleanup();
        throw new Error(`bitcoind did not answer RPC within 90 s: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await rpc.rpc('createwallet', ['conformance']);
  return {
    rpc,
    datadir,
    stop: async () => {
      try {
        await rpc.rpc('stop');
      } catch {
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      cleanup();
    },
  };
}
