// The chain conformance suite against BitcoindRpc talking to the SimChain server: in this process, and
// as a separate child process spawned through the CLI (the way crash tests use it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BitcoindRpc } from '../src/bitcoind/index.js';
import { spawnSimServer, startSimServer } from '../src/sim-server/index.js';
import { chainConformance } from '../src/testing/index.js';

const rpc = (url: string, cookieFile: string) =>
  new BitcoindRpc({ url, auth: { cookieFile }, network: 'regtest', wallet: 'sim', pollIntervalMs: 20 });

chainConformance('BitcoindRpc → SimChain server (in process)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simserver-'));
  const server = await startSimServer({ datadir: dir });
  return {
    backend: rpc(server.url, server.cookieFile!),
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

chainConformance('BitcoindRpc → SimChain server (child process, via the CLI)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simserver-'));
  const server = await spawnSimServer({ datadir: dir });
  return {
    backend: rpc(server.url, server.cookieFile!),
    close: async () => {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
