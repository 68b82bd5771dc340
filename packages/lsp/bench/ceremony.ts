// The ceremony over loopback (issue 21 "Performance", brief §13): the LSP in its own process
// (`bench/_lsp.ts`: `LspNode` over `Lsp`, SQLite, its wallet on a SimChain server) and N clients, each
// with its own keys, SQLite store and Noise connection, hosted `--per-host` to a process
// (`packages/client/bench/clients.ts`). Timed from the moment every client is connected and told to
// register until the LSP's `FactoryFunded` (every channel's commitment 0 exchanged, the funding signed
// and handed to the broadcaster: brief §8 ends there), and until every client handled its own
// `FactoryFunded`. Prints one Markdown row per N with the LSP's CPU and peak RSS, each client's CPU,
// memory, stored records and bytes, and the ratio to the C implementation's wire ceremony (0.31 s,
// 9.08 s, 27.25 s for N = 4, 64, 127).
//
//   npx tsx --conditions=source bench/ceremony.ts 4 64 127      # in packages/lsp
//   npx tsx --conditions=source bench/ceremony.ts 4 64 127 --runs=3  # the median of 3 runs
//   npx tsx --conditions=source bench/ceremony.ts 1024 --per-host=256 --profile
//
// `--profile` runs the LSP with `--cpu-prof` (the .cpuprofile lands in `--profile-dir`, default a new
// temporary directory, printed), `--profile-clients` the first client host too (in `clients/` there).
// `--json` prints each run's raw reports too.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { startSimServer } from '@superscalar/chain/sim-server';
import { fromHex } from '@superscalar/core';

const here = dirname(fileURLToPath(import.meta.url));
const lspDir = join(here, '..');
const clientDir = join(here, '..', '..', 'client');

/** brief §13: the C implementation's wire ceremony, LSP + N client processes on loopback. */
const C_SECONDS: Record<number, number> = { 4: 0.31, 64: 9.08, 127: 27.25 };

type Line = { t: string; [k: string]: unknown };

class Proc {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = '';
  private waiters: (() => void)[] = [];
  constructor(args: string[], cwd: string) {
    this.child = spawn(process.execPath, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      if (!text.startsWith('{')) return;
      this.lines.push(JSON.parse(text) as Line);
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.once('exit', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }
  async wait(t: string, timeoutMs: number): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const l = this.lines.find((x) => x.t === t);
      if (l !== undefined) return l;
      const crashed = this.lines.find((x) => x.t === 'crashed');
      if (crashed !== undefined) throw new Error(`a process crashed: ${String(crashed.error)}`);
      if (this.child.exitCode !== null)
        throw new Error(`a process exited (${this.child.exitCode}): ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${t} within ${timeoutMs} ms; stderr: ${this.stderr}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 1_000);
      });
    }
  }
  write(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }
  exited(): Promise<void> {
    return this.child.exitCode !== null
      ? Promise.resolve()
      : new Promise((r) => this.child.once('exit', () => r()));
  }
}

/** What one run measured. */
export interface CeremonyResult {
  readonly n: number;
  readonly hosts: number;
  readonly connectS: number;
  readonly lspFundedS: number;
  readonly clientsFundedS: number;
  readonly lspCpuS: number;
  readonly lspPeakRssMb: number;
  readonly clientCpuMs: number;
  readonly clientHeapKb: number;
  readonly clientRssKb: number;
  readonly clientStoredKb: number;
  readonly clientStoredMaxKb: number;
  readonly tcpSentKb: number;
  readonly tcpReceivedKb: number;
  readonly tcpSentMaxKb: number;
  /** Connections each client made on average (1 when none was ever dropped). */
  readonly connectionsPerClient: number;
  readonly tcpReceivedMaxKb: number;
  readonly shape: unknown;
  readonly raw: unknown;
}

/** Runs the ceremony once with `n` clients. */
export async function runCeremony(
  n: number,
  o: { perHost?: number; profileDir?: string; profileClients?: boolean; timeoutMs?: number } = {},
): Promise<CeremonyResult> {
  const dir = mkdtempSync(join(tmpdir(), `lsp-ceremony-${n}-`));
  const server = await startSimServer({ datadir: join(dir, 'chain') });
  const procs: Proc[] = [];
  const timeoutMs = o.timeoutMs ?? 30 * 60_000;
  try {
    const rpc = new BitcoindRpc({
      url: server.url,
      auth: { cookieFile: server.cookieFile as string },
      network: 'regtest',
      wallet: 'any',
    });
    await rpc.mine(1);
    const tsx = ['--conditions=source', '--import', 'tsx'];
    const lsp = new Proc(
      [
        ...tsx,
        ...(o.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`]),
        join(here, '_lsp.ts'),
        JSON.stringify({
          rpc: { url: server.url, cookieFile: server.cookieFile },
          dir,
          birthHeight: (await rpc.tip()).height + 1,
          policy: {
            maxClients: n,
            minClients: n,
            formAfterMs: 3_600_000,
            // A benchmark must not drop the slowest clients: the LSP's own queue is part of their delay.
            stepTimeoutMs: timeoutMs,
          },
        }),
      ],
      lspDir,
    );
    procs.push(lsp);
    const fund = await lsp.wait('fund', 60_000);
    const perCoin = BigInt(n) * 40_000n + 1_000_000n;
    for (const s of fund.scripts as string[]) await rpc.fund(fromHex(s), perCoin);
    await rpc.mine(1);
    const ready = await lsp.wait('ready', 60_000);
    const perHost = o.perHost ?? 256;
    const hostCount = Math.ceil(n / perHost);
    const hosts: Proc[] = [];
    for (let h = 0; h < hostCount; h++) {
      const first = h * perHost;
      const host = new Proc(
        [
          '--expose-gc',
          ...tsx,
          ...(o.profileClients === true && o.profileDir !== undefined && h === 0
            ? ['--cpu-prof', `--cpu-prof-dir=${join(o.profileDir, 'clients')}`]
            : []),
          join(clientDir, 'bench', 'clients.ts'),
          JSON.stringify({
            rpc: { url: server.url, cookieFile: server.cookieFile },
            lsp: ready.connect,
            first,
            count: Math.min(perHost, n - first),
            dir,
            capacity: '20000',
            balance: '10000',
          }),
        ],
        clientDir,
      );
      hosts.push(host);
      procs.push(host);
    }
    const readies = await Promise.all(hosts.map((h) => h.wait('ready', 10 * 60_000)));
    const connectS = Math.max(...readies.map((r) => r.connectMs as number)) / 1000;
    const t0 = performance.now();
    lsp.write('go');
    for (const h of hosts) h.write('go');
    const lspFunded = await lsp.wait('funded', timeoutMs);
    const lspFundedS = (performance.now() - t0) / 1000;
    const hostFunded = await Promise.all(hosts.map((h) => h.wait('funded', timeoutMs)));
    const clientsFundedS = (performance.now() - t0) / 1000;
    for (const h of hosts) h.write('report');
    const reports = await Promise.all(hosts.map((h) => h.wait('report', 10 * 60_000)));
    for (const p of procs) p.write('stop');
    await Promise.all(procs.map((p) => p.exited()));
    const mean = (f: (r: Line) => number) =>
      reports.reduce((a, r) => a + f(r) * (r.clients as number), 0) / n;
    const max = (f: (r: Line) => number) => Math.max(...reports.map(f));
    type Report = {
      heapPerClient: number;
      rssPerClient: number;
      storedPerClient: { mean: number; max: number };
      tcpPerClient: { sent: number; received: number; sentMax: number; receivedMax: number };
    };
    const r = (x: Line) => x as unknown as Report;
    return {
      n,
      hosts: hostCount,
      connectS,
      lspFundedS,
      clientsFundedS,
      lspCpuS: (lspFunded.cpuMs as number) / 1000,
      lspPeakRssMb: (lspFunded.peakRss as number) / 2 ** 20,
      clientCpuMs: hostFunded.reduce((a, h) => a + (h.cpuMs as number), 0) / n,
      clientHeapKb: mean((x) => r(x).heapPerClient) / 1024,
      clientRssKb: mean((x) => r(x).rssPerClient) / 1024,
      clientStoredKb: mean((x) => r(x).storedPerClient.mean) / 1024,
      clientStoredMaxKb: max((x) => r(x).storedPerClient.max) / 1024,
      tcpSentKb: mean((x) => r(x).tcpPerClient.sent) / 1024,
      tcpReceivedKb: mean((x) => r(x).tcpPerClient.received) / 1024,
      tcpSentMaxKb: max((x) => r(x).tcpPerClient.sentMax) / 1024,
      connectionsPerClient: reports.reduce((a, x) => a + (x.sockets as number), 0) / n,
      tcpReceivedMaxKb: max((x) => r(x).tcpPerClient.receivedMax) / 1024,
      shape: (lspFunded.factory as { shape?: unknown } | undefined)?.shape,
      raw: { lsp: lspFunded, hosts: hostFunded, reports },
    };
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await server.close();
    if (o.profileDir !== dir) rmSync(dir, { recursive: true, force: true });
  }
}

const f = (x: number, d = 2) => x.toFixed(d);

/** The table's header. */
export const HEADER = [
  '|     N | hosts | shape (leaf/levels/static) | connect s | ceremony s (LSP funded) | all clients funded s | C s | ratio | LSP CPU s | LSP peak RSS MB | client CPU ms | client heap KB | client stored KB (max) | client TCP sent / recv KB: mean (max) | connections per client |',
  '| ----: | ----: | ------------------------- | --------: | ----------------------: | -------------------: | --: | ----: | --------: | --------------: | ------------: | -------------: | ---------------------: | -----------------------------------: | ---------------------: |',
].join('\n');

/** One result as a table row. */
export function row(r: CeremonyResult): string {
  const shape = r.shape as { leafArity: number; levelArity: number[]; staticLevels: number } | undefined;
  const c = C_SECONDS[r.n];
  return `| ${r.n} | ${r.hosts} | ${shape === undefined ? '?' : `${shape.leafArity}/[${shape.levelArity.join(',')}]/${shape.staticLevels}`} | ${f(r.connectS)} | ${f(r.lspFundedS)} | ${f(r.clientsFundedS)} | ${c ?? ''} | ${c === undefined ? '' : `${f(r.lspFundedS / c)}×`} | ${f(r.lspCpuS)} | ${f(r.lspPeakRssMb, 0)} | ${f(r.clientCpuMs, 0)} | ${f(r.clientHeapKb, 0)} | ${f(r.clientStoredKb, 1)} (${f(r.clientStoredMaxKb, 1)}) | ${f(r.tcpSentKb, 1)} (${f(r.tcpSentMaxKb, 1)}) / ${f(r.tcpReceivedKb, 1)} (${f(r.tcpReceivedMaxKb, 1)}) | ${f(r.connectionsPerClient, 2)} |`;
}

async function cli(): Promise<void> {
  const args = process.argv.slice(2);
  const ns = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const perHost = opt('per-host') === undefined ? undefined : Number(opt('per-host'));
  const profile = args.includes('--profile');
  const json = args.includes('--json');
  console.log(
    `ceremony over loopback — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  );
  console.log(HEADER);
  const runs = Number(opt('runs') ?? 1);
  for (const n of ns.length > 0 ? ns : [4, 64, 127]) {
    const results: CeremonyResult[] = [];
    for (let k = 0; k < runs; k++) {
      const profileDir = profile
        ? (opt('profile-dir') ?? mkdtempSync(join(tmpdir(), `lsp-prof-${n}-`)))
        : undefined;
      const r = await runCeremony(n, {
        ...(perHost === undefined ? {} : { perHost }),
        ...(profileDir === undefined
          ? {}
          : { profileDir, profileClients: args.includes('--profile-clients') }),
      });
      results.push(r);
      if (runs > 1) console.log(`  run ${k + 1}: ${row(r)} (load ${loadavg()[0]?.toFixed(1)})`);
      if (json) console.log(JSON.stringify(r.raw));
      if (profileDir !== undefined) console.log(`LSP profile: ${profileDir}`);
    }
    // The median run by ceremony time.
    console.log(
      row([...results].sort((a, b) => a.lspFundedS - b.lspFundedS)[Math.floor(runs / 2)] as CeremonyResult),
    );
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await cli();
