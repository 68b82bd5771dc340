// A host of benchmark clients for @superscalar/lsp's ceremony benchmark (`packages/lsp/bench/ceremony.ts`
// spawns it; not run on its own): `count` clients in this one process, each with its own keychain,
// its own SQLite store and its own Noise connection to the LSP (`ClientNode` over `Client`), sharing
// one block follower (the chain source is not a client's cost). It reports JSON lines on stdout and
// obeys `go`, `report` and `stop` on stdin:
//
// - `ready`: every client connected (init exchanged), with the time it took;
// - on `go`: every client registers; `funded` once each has handled `FactoryFunded` (its CPU since
//   `go`, and when its first and last client got there);
// - on `report`: memory after a full GC against the baseline taken before the first client was created,
//   each client's stored records, and the TCP bytes each client's socket wrote and read (handshake,
//   init, pings and the ceremony; a client that had to redial counts its sockets' sum in the mean).
//
// Run with `node --expose-gc --conditions=source --import tsx clients.ts '<json>'`.
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BlockFollower } from '@superscalar/chain';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import type { Logger } from '@superscalar/core';
import { Keychain } from '@superscalar/keys';
import type { Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { Client, type ClientCommand } from '../src/index.js';
import { ClientNode } from '../src/node/index.js';

/** What the host is told (argv[2], JSON). */
interface HostConfig {
  readonly rpc: { readonly url: string; readonly cookieFile: string };
  readonly lsp: string;
  readonly first: number;
  readonly count: number;
  readonly dir: string;
  readonly capacity: string;
  readonly balance: string;
  /** Clients dialling at once (default 32). */
  readonly batch?: number;
}

/** Benchmark client `i`'s keychain (the same in every run). */
function benchClientKeychain(i: number): Keychain {
  const seed = new Uint8Array(32).fill(0xc1);
  new DataView(seed.buffer).setUint32(0, i);
  return Keychain.fromSeed(seed, { network: 'regtest' });
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const say = (t: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(
    `${JSON.stringify({ t, ...fields }, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`,
  );

async function main(cfg: HostConfig): Promise<void> {
  // The sockets to the LSP (not the RPC connections to the chain).
  const lspPort = Number(cfg.lsp.slice(cfg.lsp.lastIndexOf(':') + 1));
  const sockets: Socket[] = [];
  diagnostics.subscribe('net.client.socket', (m) => {
    const socket = (m as { socket: Socket }).socket;
    socket.once('connect', () => {
      if (socket.remotePort === lspPort) sockets.push(socket);
    });
  });
  gc();
  const baseline = process.memoryUsage();
  const rpc = new BitcoindRpc({
    url: cfg.rpc.url,
    auth: { cookieFile: cfg.rpc.cookieFile },
    network: 'regtest',
    wallet: 'any',
  });
  const follower = new BlockFollower(rpc);
  const from = { height: (await rpc.tip()).height - 1 };
  interface Entry {
    node: ClientNode<ClientCommand>;
    client: Client;
    store: Store;
    funded: number | undefined;
  }
  const entries: Entry[] = [];
  // Why connections ended or failed, by phase (before `go`, during the ceremony) and error code.
  const drops: Record<string, number> = {};
  let phase = 'connect';
  const logger: Logger = {
    log(r) {
      if (r.msg !== 'connection to the LSP closed' && r.msg !== 'could not connect to the LSP') return;
      const code = (r.err as { code?: string } | undefined)?.code ?? String(r.err);
      const key = `${phase}: ${r.msg === 'could not connect to the LSP' ? 'dial failed' : 'closed'} ${code}`;
      drops[key] = (drops[key] ?? 0) + 1;
    },
  };
  let fundedCount = 0;
  let goAt = 0;
  let cpuAtGo = process.cpuUsage();
  const started = performance.now();
  const batch = cfg.batch ?? 32;
  for (let b = 0; b < cfg.count; b += batch) {
    const starting: Promise<void>[] = [];
    for (let k = b; k < Math.min(cfg.count, b + batch); k++) {
      const i = cfg.first + k;
      const keychain = benchClientKeychain(i);
      const store = await openSqliteStore({
        path: join(cfg.dir, `c${i}.db`),
        sealingKey: keychain.storeSealingKey(),
      });
      const client = Client.create({
        keychain,
        network: 'regtest',
        lspNodeId: cfg.lsp.split('@')[0] as string,
      });
      const entry = { client, store, funded: undefined } as unknown as Entry;
      entry.node = await ClientNode.start<ClientCommand>({
        machine: client,
        nodeSecret: keychain.nodeIdentity().secretKey,
        network: 'regtest',
        store,
        lsp: cfg.lsp,
        chain: { follower, from, pollIntervalMs: 0 },
        backoff: { initialDelayMs: 100, maxDelayMs: 2_000 },
        logger,
      });
      entries.push(entry);
      void (async () => {
        for (;;) {
          const e = await entry.node.waitForEvent().catch(() => undefined);
          if (e === undefined) return;
          await entry.node.eventHandled().catch(() => undefined);
          if (e.kind === 'FactoryFunded' && entry.funded === undefined) {
            entry.funded = performance.now() - goAt;
            if (++fundedCount === cfg.count) {
              const cpu = process.cpuUsage(cpuAtGo);
              const times = entries.map((x) => x.funded as number);
              say('funded', {
                cpuMs: (cpu.user + cpu.system) / 1000,
                firstMs: Math.min(...times),
                lastMs: Math.max(...times),
              });
            }
          }
        }
      })();
      starting.push(entry.node.whenConnected());
    }
    await Promise.all(starting);
  }
  const poll = setInterval(() => void follower.poll().catch(() => undefined), 500);
  say('ready', { connectMs: performance.now() - started });

  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'go') {
      phase = 'ceremony';
      goAt = performance.now();
      cpuAtGo = process.cpuUsage();
      for (const e of entries)
        void e.node.command({
          type: 'register',
          capacity: BigInt(cfg.capacity),
          balance: BigInt(cfg.balance),
        });
    }
    if (line === 'report')
      void (async () => {
        gc();
        const mem = process.memoryUsage();
        const stored: number[] = [];
        for (const e of entries) {
          const blobs = await e.store.list('blobs');
          stored.push(blobs.reduce((a, r) => a + r.key.length + r.data.length, 0));
        }
        const tcp = sockets.reduce(
          (a, s) => ({ written: a.written + s.bytesWritten, read: a.read + s.bytesRead }),
          { written: 0, read: 0 },
        );
        const maxOf = (f: (s: Socket) => number) => Math.max(...sockets.map(f));
        say('report', {
          clients: entries.length,
          heapPerClient: (mem.heapUsed - baseline.heapUsed) / entries.length,
          rssPerClient: (mem.rss - baseline.rss) / entries.length,
          externalPerClient:
            (mem.external + mem.arrayBuffers - baseline.external - baseline.arrayBuffers) / entries.length,
          rss: mem.rss,
          storedPerClient: {
            mean: stored.reduce((a, b) => a + b, 0) / stored.length,
            max: Math.max(...stored),
          },
          sockets: sockets.length,
          drops,
          tcpPerClient: {
            sent: tcp.written / entries.length,
            received: tcp.read / entries.length,
            sentMax: maxOf((x) => x.bytesWritten),
            receivedMax: maxOf((x) => x.bytesRead),
          },
          factory: entries[0]?.client.factories()[0],
        });
      })();
    if (line === 'stop')
      void (async () => {
        clearInterval(poll);
        await Promise.all(entries.map((e) => e.node.stop()));
        process.exit(0);
      })();
  });
}

main(JSON.parse(process.argv[2] as string) as HostConfig).catch((e) => {
  say('crashed', { error: String((e as Error)?.stack ?? e) });
  process.exit(1);
});
