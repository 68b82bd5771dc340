// The LSP process of the ceremony benchmark (`ceremony.ts` spawns it): `LspNode` over `Lsp`, a SQLite
// file store, its wallet funded on the SimChain server (BitcoindRpc), listening on 127.0.0.1 with the
// per-IP limits raised (every client dials from 127.0.0.1). Reports JSON lines on stdout: `ready`
// (its connect string, once its wallet follows the tip), `funded` when its `FactoryFunded` is durable
// (the funding signed and handed to the broadcaster; CPU and memory since `go`), and obeys `go`,
// `report` and `stop` on stdin.
//
// Run with `node --conditions=source --import tsx _lsp.ts '<json>'` (plus `--cpu-prof` to profile).
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BlockFollower } from '@superscalar/chain';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { toHex } from '@superscalar/core';
import { Bip86Account, Keychain } from '@superscalar/keys';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { Wallet } from '@superscalar/wallet';
import { Lsp, type LspCommand, type LspPolicy } from '../src/index.js';
import { LspNode } from '../src/node/index.js';

/** What the LSP process is told (argv[2], JSON). */
interface LspBenchConfig {
  readonly rpc: { readonly url: string; readonly cookieFile: string };
  readonly dir: string;
  readonly birthHeight: number;
  readonly policy: LspPolicy;
}

/** The benchmark LSP's keys (the same in every run). */
const SEED = new Uint8Array(32).fill(0x15);

const say = (t: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(
    `${JSON.stringify({ t, ...fields }, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`,
  );

async function main(cfg: LspBenchConfig): Promise<void> {
  const keychain = Keychain.fromSeed(SEED, { network: 'regtest' });
  const store = await openSqliteStore({
    path: join(cfg.dir, 'lsp.db'),
    sealingKey: keychain.storeSealingKey(),
  });
  const account = Bip86Account.fromSeed(SEED, { network: 'regtest' });
  const created = Wallet.create({ account, birthHeight: cfg.birthHeight });
  const wallet = created.wallet;
  const addresses = [wallet.newAddress(), wallet.newAddress()];
  await store.applyUpdate({ id: 1n, ops: [...created.ops, ...addresses.flatMap((a) => a.ops)] });
  say('fund', { scripts: addresses.map((a) => toHex(a.script)) });
  const lsp = Lsp.create({ keychain, wallet, network: 'regtest', policy: cfg.policy });
  const rpc = new BitcoindRpc({
    url: cfg.rpc.url,
    auth: { cookieFile: cfg.rpc.cookieFile },
    network: 'regtest',
    wallet: 'any',
  });
  let goAt = 0;
  let cpuAtGo = process.cpuUsage();
  let peakRss = 0;
  const sample = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  const node = await LspNode.start<LspCommand>({
    machine: lsp,
    nodeSecret: keychain.nodeIdentity().secretKey,
    network: 'regtest',
    store,
    wallet,
    chain: {
      follower: new BlockFollower(rpc),
      from: { height: cfg.birthHeight - 1 },
      pollIntervalMs: 200,
      broadcaster: rpc,
      fees: rpc,
    },
    // Every client dials from 127.0.0.1: brief §10's per-IP limits would admit 10 a minute.
    limits: { perIpPerMinute: 1_000_000, maxHandshakesPerIp: 256, maxConcurrentHandshakes: 256 },
  });
  // Ready once the wallet holds its confirmed coins (the parent funds the addresses of `fund`).
  while (wallet.balance().confirmed === 0n || (lsp.tip?.height ?? 0) < wallet.tipHeight)
    await new Promise((r) => setTimeout(r, 20));
  const steps: Record<string, number> = {};
  void (async () => {
    for (;;) {
      const e = await node.waitForEvent().catch(() => undefined);
      if (e === undefined) return;
      await node.eventHandled().catch(() => undefined);
      const at = performance.now() - goAt;
      if (e.kind === 'FactoryProposed' || e.kind === 'FactorySigned') steps[e.kind] ??= at;
      if (e.kind === 'CeremonyAborted' || e.kind === 'CommandRefused' || e.kind === 'InvariantViolated')
        say('problem', { kind: e.kind, payload: new TextDecoder().decode(e.payload) });
      if (e.kind === 'FactoryFunded') {
        const cpu = process.cpuUsage(cpuAtGo);
        const f = lsp.factories()[0];
        say('funded', {
          ms: at,
          cpuMs: (cpu.user + cpu.system) / 1000,
          steps,
          peakRss,
          factory: f && {
            participants: f.participants.length,
            attempt: f.attempt,
            restarts: f.restarts,
            shape: {
              leafArity: f.proposal.leafArity,
              levelArity: f.proposal.levelArity,
              staticLevels: f.proposal.staticLevels,
            },
            fundingTxid: f.fundingTxid,
          },
        });
      }
    }
  })();
  say('ready', { connect: node.connectString });
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'go') {
      goAt = performance.now();
      cpuAtGo = process.cpuUsage();
      peakRss = process.memoryUsage().rss;
    }
    if (line === 'stop')
      void (async () => {
        clearInterval(sample);
        await node.stop();
        process.exit(0);
      })();
  });
}

main(JSON.parse(process.argv[2] as string) as LspBenchConfig).catch((e) => {
  say('crashed', { error: String((e as Error)?.stack ?? e) });
  process.exit(1);
});
