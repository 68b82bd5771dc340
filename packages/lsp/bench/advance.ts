// One per-leaf advance of a 2-client leaf end to end over loopback (issue 23 "Performance", brief
// §5.1): the LSP (`LspNode` over `Lsp`) and two clients (`ClientNode` over `Client`) in this process,
// each with its own SQLite store and Noise connection on 127.0.0.1, the chain a SimChain server.
// After the ceremony (not timed) each run is the `advance_leaf` command → quiescence, `advance_propose`,
// nonces, aggregate nonces, partial signatures, the LSP's `AdvanceCompleted` (every signature verified
// and stored) → `advance_done` and each client's `AdvanceCompleted` (verified, stored, channel
// activated). A 2-client leaf at the root has K − 1 = 3 advances; `--runs` (default 3) of them are
// timed, each in a fresh factory after the third. Prints one Markdown row (median, min, max, CPU).
//
//   npx tsx --conditions=source bench/advance.ts            # in packages/lsp
//   npx tsx --conditions=source bench/advance.ts --runs=9
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockFollower } from '@superscalar/chain';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { startSimServer } from '@superscalar/chain/sim-server';
import { Client, type ClientCommand } from '@superscalar/client';
import { ClientNode } from '@superscalar/client/node';
import { fromHex } from '@superscalar/core';
import { Bip86Account, Keychain } from '@superscalar/keys';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { Wallet } from '@superscalar/wallet';
import { Lsp, type LspCommand } from '../src/index.js';
import { LspNode } from '../src/node/index.js';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);

/** Collects a node's events (the queue is acknowledged as they come). */
class Events {
  readonly seen: { kind: string; at: number }[] = [];
  #waiters: (() => void)[] = [];
  constructor(node: { waitForEvent(): Promise<{ kind: string }>; eventHandled(): Promise<void> }) {
    void (async () => {
      for (;;) {
        const e = await node.waitForEvent().catch(() => undefined);
        if (e === undefined) return;
        await node.eventHandled().catch(() => undefined);
        this.seen.push({ kind: e.kind, at: performance.now() });
        for (const w of this.#waiters.splice(0)) w();
      }
    })();
  }
  async count(kind: string, n: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hits = this.seen.filter((e) => e.kind === kind);
      if (hits.length >= n) return (hits[n - 1] as { at: number }).at;
      const bad = this.seen.find((e) => e.kind === 'AdvanceFailed' || e.kind === 'InvariantViolated');
      if (bad !== undefined) throw new Error(`${bad.kind} during the benchmark`);
      if (Date.now() > deadline) throw new Error(`no ${kind} #${n} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
}

async function factoryRun(advances: number, seedByte: number): Promise<{ ms: number[]; cpuMs: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'lsp-advance-'));
  const server = await startSimServer({ datadir: join(dir, 'chain') });
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const rpc = new BitcoindRpc({
      url: server.url,
      auth: { cookieFile: server.cookieFile as string },
      network: 'regtest',
      wallet: 'any',
    });
    await rpc.mine(1);
    const lspSeed = new Uint8Array(32).fill(seedByte);
    const keychain = Keychain.fromSeed(lspSeed, { network: 'regtest' });
    const store = await openSqliteStore({
      path: join(dir, 'lsp.db'),
      sealingKey: keychain.storeSealingKey(),
    });
    const birthHeight = (await rpc.tip()).height + 1;
    const created = Wallet.create({
      account: Bip86Account.fromSeed(lspSeed, { network: 'regtest' }),
      birthHeight,
    });
    const wallet = created.wallet;
    const addr = wallet.newAddress();
    await store.applyUpdate({ id: 1n, ops: [...created.ops, ...addr.ops] });
    await rpc.fund(addr.script, 1_000_000n);
    await rpc.mine(1);
    // Regtest parameters that route payments (brief §7) and one leaf of two clients at the root.
    const policy = { activeBlocks: 288, dyingBlocks: 24, htlcBudget: 12, minClients: 2, maxClients: 2 };
    const lsp = Lsp.create({ keychain, wallet, network: 'regtest', policy });
    const lspNode = await LspNode.start<LspCommand>({
      machine: lsp,
      nodeSecret: keychain.nodeIdentity().secretKey,
      network: 'regtest',
      store,
      wallet,
      chain: {
        follower: new BlockFollower(rpc),
        from: { height: birthHeight - 1 },
        pollIntervalMs: 100,
        broadcaster: rpc,
        fees: rpc,
      },
    });
    stops.push(() => lspNode.stop());
    const lspEvents = new Events(lspNode);
    while (wallet.balance().confirmed === 0n) await new Promise((r) => setTimeout(r, 20));
    const clients: { node: ClientNode<ClientCommand>; events: Events; machine: Client }[] = [];
    for (let i = 0; i < 2; i++) {
      const seed = new Uint8Array(32).fill(0xc0 + i);
      seed[31] = seedByte;
      const kc = Keychain.fromSeed(seed, { network: 'regtest' });
      const cstore = await openSqliteStore({ path: join(dir, `c${i}.db`), sealingKey: kc.storeSealingKey() });
      const machine = Client.create({ keychain: kc, network: 'regtest', lspNodeId: lsp.nodeId });
      const node = await ClientNode.start<ClientCommand>({
        machine,
        nodeSecret: kc.nodeIdentity().secretKey,
        network: 'regtest',
        store: cstore,
        lsp: lspNode.connectString,
        chain: { follower: new BlockFollower(rpc), from: { height: birthHeight - 1 }, pollIntervalMs: 100 },
      });
      stops.push(() => node.stop());
      await node.whenConnected();
      clients.push({ node, events: new Events(node), machine });
    }
    for (const c of clients) await c.node.command({ type: 'register', capacity: 20_000n, balance: 10_000n });
    await lspEvents.count('RegistrationGranted', 2);
    await lspNode.command({ type: 'form_factory' });
    await lspEvents.count('FactoryFunded', 1, 120_000);
    await rpc.mine(2);
    await lspEvents.count('FactoryOpen', 1, 60_000);
    for (const c of clients) await c.events.count('FactoryOpen', 1, 60_000);
    const factoryId = fromHex(lsp.factories()[0]?.factoryId as string);
    const ms: number[] = [];
    const cpuMs: number[] = [];
    for (let k = 1; k <= advances; k++) {
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      await lspNode.command({ type: 'advance_leaf', factoryId, leaf: 0, purpose: 'rebalance' });
      await lspEvents.count('AdvanceCompleted', k);
      const done = await Promise.all(clients.map((c) => c.events.count('AdvanceCompleted', k)));
      ms.push(Math.max(...done) - t0);
      const used = process.cpuUsage(cpu);
      cpuMs.push((used.user + used.system) / 1000);
    }
    return { ms, cpuMs };
  } finally {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let done = 0, f = 0; done < runs; f++) {
    const r = await factoryRun(Math.min(3, runs - done), 0x20 + f);
    ms.push(...r.ms);
    cpuMs.push(...r.cpuMs);
    done += r.ms.length;
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  const cpuMedian = [...cpuMs].sort((a, b) => a - b)[Math.floor(cpuMs.length / 2)] as number;
  console.log('| clients in the leaf | runs | median | min | max | CPU (all three nodes, median) |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| 2 | ${ms.length} | ${median.toFixed(1)} ms | ${(sorted[0] as number).toFixed(1)} ms | ${(sorted[sorted.length - 1] as number).toFixed(1)} ms | ${cpuMedian.toFixed(1)} ms |`,
  );
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
