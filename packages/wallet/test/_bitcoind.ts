// A throwaway `bitcoind -regtest` for the gated suites: BITCOIND or `bitcoind` on PATH (Core ≥ 28).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';

export const bitcoindPath = process.env.BITCOIND ?? 'bitcoind';
export const haveBitcoind = spawnSync(bitcoindPath, ['-version'], { encoding: 'utf8' }).status === 0;
export const skipReason = `no bitcoind binary (set BITCOIND=/path/to/bitcoind, Core ≥ 28)${process.env.CI === 'true' ? ' [CI]' : ''}`;

export interface Regtest {
  rpc: BitcoindRpc;
  stop(): Promise<void>;
}

export async function startRegtest(wallet = 'w'): Promise<Regtest> {
  const dir = mkdtempSync(join(tmpdir(), 'wallet-core-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const node: ChildProcess = spawn(bitcoindPath, [
    '-regtest',
    `-datadir=${dir}`,
    `-rpcport=${port}`,
    // No P2P at all (Core 31 refuses -port=0); RPC on loopback only.
    '-connect=0',
    '-listen=0',
    '-rpcbind=127.0.0.1',
    '-rpcallowip=127.0.0.1',
    '-dnsseed=0',
    '-fixedseeds=0',
    '-discover=0',
    '-printtoconsole=0',
    '-txindex=1',
    '-fallbackfee=0.0001',
    '-server=1',
  ]);
  const rpc = new BitcoindRpc({
    url: `http://127.0.0.1:${port}`,
    auth: { cookieFile: join(dir, 'regtest', '.cookie') },
    network: 'regtest',
    wallet,
  });
  for (let i = 0; ; i++) {
    try {
      await rpc.rpc('getblockcount');
      break;
    } catch (e) {
      if (i > 150) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await rpc.rpc('createwallet', [wallet]);
  return {
    rpc,
    async stop() {
      try {
        await rpc.rpc('stop');
      } catch {}
      await new Promise((r) => (node.exitCode === null ? node.once('exit', r) : r(undefined)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
