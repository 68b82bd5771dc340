// A carry at N = 64 end to end over loopback (issue 23 "Performance", brief §5.2): the LSP (`LspNode`
// over `Lsp`) and 64 clients (`ClientNode` over `Client`) in this process, each with its own SQLite
// file store and Noise connection on 127.0.0.1, the chain a SimChain server. The factory is a binary
// tree with no static level (leaf arity 2, `levelArity` [2], K = 4), so leaf 0's layer is exhausted
// after K − 1 = 3 advances and its 4th advance carries into its parent: the parent's state advances,
// the kickoffs and states below it are rebuilt and signed by the parent's signers only (the LSP and
// the four clients of leaves 0 and 1), with the poison, settlements and rebound commitments of both
// leaves. After the ceremony (not timed), leaf 0 is advanced `--advances` times (default 16: carries
// into the parent at the 4th, 8th and 12th, into the grandparent — eight clients — at the 16th); each
// advance is timed from the `advance_leaf` command until the LSP's `AdvanceCompleted` and every
// re-signing client's `AdvanceCompleted` are durable. Prints one Markdown row per kind (median, min,
// max, process CPU) and the setup's figures. The other 60 (or 56) clients take no part.
//
//   npx tsx --conditions=source bench/carry.ts            # in packages/lsp
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockFollower } from '@superscalar/chain';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { startSimServer } from '@superscalar/chain/sim-server';
import { Client, type ClientCommand } from '@superscalar/client';
import { ClientNode } from '@superscalar/client/node';
import { fromHex } from '@superscalar/core';
import { buildTree } from '@superscalar/factory-tree';
import { Bip86Account, Keychain } from '@superscalar/keys';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { Wallet } from '@superscalar/wallet';
import { decodeLspEvent, Lsp, type LspCommand, type LspEvent } from '../src/index.js';
import { LspNode } from '../src/node/index.js';

const arg = (name: string, dflt: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt);
const N = arg('clients', 64);
const ADVANCES = arg('advances', 16);

interface Seen {
  readonly kind: string;
  readonly at: number;
  readonly event?: LspEvent;
}

/** Collects a node's events (the queue is acknowledged as they come). */
class Events {
  readonly seen: Seen[] = [];
  #waiters: (() => void)[] = [];
  constructor(
    node: {
      waitForEvent(): Promise<{ kind: string; payload: Uint8Array }>;
      eventHandled(): Promise<void>;
    },
    decode = false,
  ) {
    void (async () => {
      for (;;) {
        const e = await node.waitForEvent().catch(() => undefined);
        if (e === undefined) return;
        await node.eventHandled().catch(() => undefined);
        this.seen.push({
          kind: e.kind,
          at: performance.now(),
          ...(decode && (e.kind === 'AdvanceCompleted' || e.kind === 'CommandRefused')
            ? { event: decodeLspEvent(e) }
            : {}),
        });
        for (const w of this.#waiters.splice(0)) w();
      }
    })();
  }
  count(kind: string): number {
    return this.seen.filter((e) => e.kind === kind).length;
  }
  async nth(kind: string, n: number, timeoutMs = 60_000): Promise<Seen> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hits = this.seen.filter((e) => e.kind === kind);
      if (hits.length >= n) return hits[n - 1] as Seen;
      const bad = this.seen.find(
        (e) => e.kind === 'AdvanceFailed' || e.kind === 'InvariantViolated' || e.kind === 'CommandRefused',
      );
      if (bad !== undefined)
        throw new Error(
          `${bad.kind} during the benchmark: ${JSON.stringify(bad.event, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
      if (Date.now() > deadline) throw new Error(`no ${kind} #${n} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
}

const cpuMsSince = (c: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1000;
};

async function main(): Promise<void> {
  const wallStart = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'lsp-carry-'));
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
    const lspSeed = new Uint8Array(32).fill(0x64);
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
    await rpc.fund(addr.script, 10_000_000n);
    await rpc.mine(1);
    // Regtest parameters that route payments (brief §7); a binary tree with no static level, so that
    // a leaf's exhausted layer carries into its parent (brief §5.2).
    const policy = {
      activeBlocks: 288,
      dyingBlocks: 24,
      htlcBudget: 12,
      minClients: N,
      maxClients: N,
      levelArity: [2],
      staticLevels: 0,
    };
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
      // Every client dials from 127.0.0.1: brief §10's per-IP limits would admit 10 a minute.
      limits: { perIpPerMinute: 1_000_000, maxHandshakesPerIp: 256, maxConcurrentHandshakes: 256 },
    });
    stops.push(() => lspNode.stop());
    const lspEvents = new Events(lspNode, true);
    while (wallet.balance().confirmed === 0n) await new Promise((r) => setTimeout(r, 20));
    const clients: { node: ClientNode<ClientCommand>; events: Events; machine: Client }[] = [];
    for (let i = 0; i < N; i++) {
      const seed = new Uint8Array(32).fill(0x40);
      seed[30] = i;
      const kc = Keychain.fromSeed(seed, { network: 'regtest' });
      const cstore = await openSqliteStore({ path: join(dir, `c${i}.db`), sealingKey: kc.storeSealingKey() });
      const machine = Client.create({ keychain: kc, network: 'regtest', lspNodeId: lsp.nodeId });
      const node = await ClientNode.start<ClientCommand>({
        machine,
        nodeSecret: kc.nodeIdentity().secretKey,
        network: 'regtest',
        store: cstore,
        lsp: lspNode.connectString,
        chain: { follower: new BlockFollower(rpc), from: { height: birthHeight - 1 }, pollIntervalMs: 1000 },
      });
      stops.push(() => node.stop());
      clients.push({ node, events: new Events(node), machine });
    }
    await Promise.all(clients.map((c) => c.node.whenConnected()));
    const setupCpu = process.cpuUsage();
    const ceremonyStart = performance.now();
    for (const c of clients) await c.node.command({ type: 'register', capacity: 20_000n, balance: 10_000n });
    await lspEvents.nth('RegistrationGranted', N);
    // The LSP forms on its own once `maxClients` are registered; the command is for a slower start.
    if (lsp.factories().length === 0) await lspNode.command({ type: 'form_factory' });
    await lspEvents.nth('FactoryFunded', 1, 120_000);
    const ceremonyMs = performance.now() - ceremonyStart;
    await rpc.mine(2);
    await lspEvents.nth('FactoryOpen', 1);
    await Promise.all(clients.map((c) => c.events.nth('FactoryOpen', 1)));
    const setupCpuMs = cpuMsSince(setupCpu);
    const info = lsp.factories()[0];
    if (info === undefined) throw new Error('no factory');
    const factoryId = fromHex(info.factoryId);
    const tree = buildTree(info.proposal);
    const clientIndex = clients.map((c) => c.machine.factories()[0]?.clientIndex as number);

    const rows = new Map<string, { ms: number[]; cpuMs: number[]; signers: number }>();
    for (let k = 1; k <= ADVANCES; k++) {
      const done = clients.map((c) => c.events.count('AdvanceCompleted'));
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      await lspNode.command({ type: 'advance_leaf', factoryId, leaf: 0, purpose: 'rebalance' });
      const lspDone = await lspEvents.nth('AdvanceCompleted', k);
      const ev = lspDone.event as Extract<LspEvent, { kind: 'AdvanceCompleted' }>;
      const signers = new Set(ev.channels.map((ch) => ch.clientIndex));
      const at = await Promise.all(
        clients.map((c, j) =>
          signers.has(clientIndex[j] as number)
            ? c.events.nth('AdvanceCompleted', (done[j] as number) + 1)
            : Promise.resolve({ at: 0 }),
        ),
      );
      const ms = Math.max(lspDone.at, ...at.map((x) => x.at)) - t0;
      const cpuMs = cpuMsSince(cpu);
      const key = `${ev.advanceKind} (${signers.size} clients re-sign)`;
      const row = rows.get(key) ?? { ms: [], cpuMs: [], signers: signers.size };
      row.ms.push(ms);
      row.cpuMs.push(cpuMs);
      rows.set(key, row);
      // The other clients took no part.
      const others = clients.filter(
        (c, j) => !signers.has(clientIndex[j] as number) && c.events.count('AdvanceCompleted') !== done[j],
      );
      if (others.length > 0) throw new Error(`advance ${k}: a client outside the subtree re-signed`);
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    console.log(
      `N = ${N}, binary tree (${tree.layout.leafClients.length} leaves, K = ${info.proposal.dw.K}), ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}, load ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      `setup: ceremony (registration → FactoryFunded) ${(ceremonyMs / 1000).toFixed(2)} s, CPU to FactoryOpen ${(setupCpuMs / 1000).toFixed(2)} s`,
    );
    console.log('| advance of leaf 0 | runs | median | min | max | CPU (every node, median) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [key, r] of rows)
      console.log(
        `| ${key} | ${r.ms.length} | ${med(r.ms).toFixed(1)} ms | ${Math.min(...r.ms).toFixed(1)} ms | ${Math.max(...r.ms).toFixed(1)} ms | ${med(r.cpuMs).toFixed(1)} ms |`,
      );
    console.log(`wall ${((performance.now() - wallStart) / 1000).toFixed(1)} s`);
  } finally {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
