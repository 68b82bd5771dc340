// The process-level harness: a SimChain server in its own process, the LSP in its own Node process
// and the clients in others (`./child.ts`, bundled once by esbuild), real Noise over loopback. The
// parent reads every child's `@ {json}` lines into one log (`ProcWorld.lines`), waits on them
// (`until`), SIGKILLs a frozen child and restarts it from its store, and mines when the LSP reports
// the funding broadcast.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { type SpawnedSimServer, spawnSimServer } from '@superscalar/chain/sim-server';
import type { LspPolicy } from '@superscalar/lsp';
import type { Store } from '@superscalar/persist';
import { afterAll, beforeAll } from 'vitest';
import { bundleForNode, repoRoot } from '../../../test-utils/index.js';
import {
  type ChildConfig,
  lspAccount,
  lspKeychain,
  openRoleStore,
  type StoreConfig,
  type Trigger,
} from './shared.js';

export {
  type ChildConfig,
  clientKeychain,
  lspAccount,
  lspKeychain,
  openRoleStore,
  publicNoncesOf,
  type StoreConfig,
  type Trigger,
} from './shared.js';

/** One reported fact: `t` what, `who` which role (`lsp`, `c0`…), `gen` which process generation. */
export interface Line {
  readonly t: string;
  readonly who: string;
  readonly gen: number;
  /** The process (its name in the world) that printed it. */
  readonly proc: string;
  readonly [field: string]: unknown;
}

const integrationDir = join(repoRoot, 'integration');

/** Bundles `child.ts` (once per test file); returns its path and a cleanup. */
export function bundleChild(): { path: string; cleanup(): void } {
  const dir = join(
    integrationDir,
    'node_modules',
    '.cache',
    `proc-${process.pid}-${Date.now().toString(36)}`,
  );
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'child.mjs');
  bundleForNode({
    entry: join(integrationDir, 'harness', 'process', 'child.ts'),
    outfile: path,
    cwd: integrationDir,
    name: 'the role child',
    // ws and pg are CommonJS: bundled in, with a `require` for their Node built-ins.
    bundleCommonJs: true,
  });
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What {@link processSuite} made for a test file (or a describe block). */
export interface ProcessSuite {
  /** The SimChain server, in a process of its own (datadir `<name>…` in the temporary folder). */
  readonly server: SpawnedSimServer;
  /** The role child's bundle ({@link bundleChild}). */
  readonly bundle: string;
}

/**
 * Bundles the role child and spawns a SimChain server before the tests of the current file (or
 * describe block), and kills and removes them after. Read its fields inside the tests.
 */
export function processSuite(name: string): ProcessSuite {
  let server: SpawnedSimServer | undefined;
  let bundle: { path: string; cleanup(): void } | undefined;
  let datadir: string | undefined;
  beforeAll(async () => {
    bundle = bundleChild();
    datadir = mkdtempSync(join(tmpdir(), name));
    server = await spawnSimServer({ datadir });
  });
  afterAll(async () => {
    await server?.kill('SIGKILL');
    bundle?.cleanup();
    if (datadir !== undefined) rmSync(datadir, { recursive: true, force: true });
  });
  return {
    get server() {
      if (server === undefined) throw new Error('the SimChain server is not running (read it in a test)');
      return server;
    },
    get bundle() {
      if (bundle === undefined) throw new Error('the role child is not bundled (read it in a test)');
      return bundle.path;
    },
  };
}

/** Opens the LSP's store of `w` (after its process died, or while none runs): the caller closes it. */
export function openLspStore(w: ProcWorld): Promise<Store> {
  return openRoleStore({
    dir: w.dir,
    store: w.lspStore,
    name: 'lsp',
    sealingKey: lspKeychain(w.o.seed).storeSealingKey(),
  });
}

/** A running child. */
export class RoleProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(
    readonly name: string,
    readonly config: ChildConfig,
    bundle: string,
    onLine: (line: Line) => void,
  ) {
    this.child = spawn(process.execPath, [bundle, JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: integrationDir,
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-8000);
    });
    this.child.stdin?.on('error', () => undefined);
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      if (!text.startsWith('@ ')) return;
      onLine({ ...(JSON.parse(text.slice(2)) as Line), proc: name });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** A line on the child's stdin: `status`, `stop`, `arm {trigger}`, `invoice who msat`, `pay who invoice`. */
  write(command: string): void {
    this.child.stdin?.write(`${command}\n`);
  }

  /** kill -9, resolved once the process is gone. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Options of {@link ProcWorld.create}. */
export interface ProcWorldOptions {
  readonly seed: string;
  readonly bundle: string;
  readonly server: SpawnedSimServer;
  readonly clients: number;
  readonly lspStore?: StoreConfig;
  readonly lspPolicy?: LspPolicy;
  /** Sats paid to the LSP's wallet, in two coins (default 4,000,000). */
  readonly lspFunds?: bigint;
  readonly capacity?: bigint;
  readonly balance?: bigint;
  /** Fails `until` after this long without the condition (default 90 s): a hang, reported. */
  readonly timeoutMs?: number;
}

type Waiter = { pred: () => boolean; resolve: () => void };

/** One scenario's processes and their log. */
export class ProcWorld {
  readonly lines: Line[] = [];
  readonly procs = new Map<string, RoleProcess>();
  readonly generations = new Map<string, number>();
  readonly rpc: BitcoindRpc;
  readonly dir: string;
  lspPort = 0;
  lspConnect = '';
  birthHeight = 0;
  /** Called for every line (after it was logged). */
  onLine: ((line: Line) => void) | undefined;
  private waiters: Waiter[] = [];
  private failure: Error | undefined;

  private constructor(readonly o: ProcWorldOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `proc-${o.seed.replace(/[^a-z0-9]/gi, '-')}-`));
    this.rpc = new BitcoindRpc({
      url: o.server.url,
      auth: { cookieFile: o.server.cookieFile as string },
      network: 'regtest',
      wallet: 'any',
    });
  }

  /** A world whose LSP wallet holds two confirmed coins; nothing started yet. */
  static async create(o: ProcWorldOptions): Promise<ProcWorld> {
    const w = new ProcWorld(o);
    const account = lspAccount(o.seed);
    w.birthHeight = (await w.rpc.tip()).height + 1;
    const funds = o.lspFunds ?? 4_000_000n;
    for (let i = 0; i < 2; i++) await w.rpc.fund(account.deriveKey(0, i).scriptPubKey, funds / 2n);
    await w.rpc.mine(1);
    return w;
  }

  get lspStore(): StoreConfig {
    return this.o.lspStore ?? { kind: 'sqlite' };
  }

  private record(line: Line): void {
    this.lines.push(line);
    if (line.t === 'crashed') this.fail(new Error(`${line.proc} crashed: ${String(line.error)}`));
    this.onLine?.(line);
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters])
      if (w.pred()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
  }

  /** Makes every `until` fail (a child crashed, an unexpected exit). */
  fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** Resolves once `pred` holds (checked on every line); throws after the timeout or on a failure. */
  async until(pred: () => boolean, what: string, timeoutMs = this.o.timeoutMs ?? 90_000): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (pred()) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      const w: Waiter = { pred, resolve };
      this.waiters.push(w);
      timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        this.failure ??= new Error(`timed out waiting for ${what}\n${this.tail()}`);
        resolve();
      }, timeoutMs);
    });
    clearTimeout(timer);
    if (this.failure !== undefined) throw this.failure;
  }

  /** The last lines and each live child's stderr, for a failure message. */
  tail(n = 40): string {
    const err = [...this.procs.values()].map((p) => `--- ${p.name} stderr:\n${p.stderr.slice(-1500)}`);
    return [...this.lines.slice(-n).map((l) => JSON.stringify(l)), ...err].join('\n');
  }

  /** Lines matching `fields` (shallow equality). */
  find(fields: Partial<Line>): Line[] {
    return this.lines.filter((l) => Object.entries(fields).every(([k, v]) => l[k] === v));
  }

  private spawn(name: string, config: Omit<ChildConfig, 'generation' | 'seed' | 'dir' | 'rpc'>): RoleProcess {
    const generation = this.generations.get(name) ?? 0;
    this.generations.set(name, generation + 1);
    const p = new RoleProcess(
      name,
      {
        ...config,
        seed: this.o.seed,
        dir: this.dir,
        generation,
        rpc: { url: this.o.server.url, cookieFile: this.o.server.cookieFile as string },
      },
      this.o.bundle,
      (l) => this.record(l),
    );
    this.procs.set(name, p);
    void p.exited.then(({ code, signal }) => {
      if (signal !== 'SIGKILL' && code !== 0 && this.procs.get(name) === p)
        this.fail(new Error(`${name} exited with ${code ?? signal}\n${p.stderr}`));
    });
    return p;
  }

  /** Starts (or restarts, from its store) the LSP process and waits until it listens. */
  async startLsp(freeze?: Trigger): Promise<RoleProcess> {
    const p = this.spawn('lsp', {
      role: 'lsp',
      ...(freeze === undefined ? {} : { freeze }),
      lsp: {
        port: this.lspPort,
        store: this.lspStore,
        policy: { maxClients: this.o.clients, ...this.o.lspPolicy },
        birthHeight: this.birthHeight,
      },
    });
    const gen = p.config.generation;
    await this.until(
      () => this.find({ t: 'ready', who: 'lsp', gen }).length > 0,
      `the LSP (gen ${gen}) ready`,
    );
    const ready = this.find({ t: 'ready', who: 'lsp', gen })[0] as Line;
    this.lspPort = ready.port as number;
    this.lspConnect = ready.connect as string;
    return p;
  }

  /** Starts (or restarts) a process hosting the clients `indexes`. */
  async startClients(name: string, indexes: readonly number[], freeze?: Trigger): Promise<RoleProcess> {
    const p = this.spawn(name, {
      role: 'clients',
      ...(freeze === undefined ? {} : { freeze }),
      clients: {
        indexes,
        lsp: this.lspConnect,
        capacity: String(this.o.capacity ?? 20_000n),
        balance: String(this.o.balance ?? 10_000n),
      },
    });
    const gen = p.config.generation;
    await this.until(
      () => indexes.every((i) => this.find({ t: 'ready', who: `c${i}`, gen, proc: name }).length > 0),
      `${name} (gen ${gen}) ready`,
    );
    return p;
  }

  /** kill -9 of a process. */
  async kill(name: string): Promise<void> {
    await this.procs.get(name)?.kill();
  }

  /** Asks every live child for its status; resolves with the roles' reports. */
  async status(): Promise<Record<string, Record<string, unknown>>> {
    const from = this.lines.length;
    const live = [...this.procs.values()].filter((p) => p.alive);
    for (const p of live) p.write('status');
    await this.until(
      () => live.every((p) => this.lines.slice(from).some((l) => l.t === 'status' && l.proc === p.name)),
      'status reports',
    );
    const out: Record<string, Record<string, unknown>> = {};
    for (const l of this.lines.slice(from))
      if (l.t === 'status') for (const r of l.roles as Record<string, unknown>[]) out[r.who as string] = r;
    return out;
  }

  /** Stops every live child gracefully (`stop()` of each node), then waits for the exits. */
  async stopAll(): Promise<void> {
    const live = [...this.procs.values()].filter((p) => p.alive);
    for (const p of live) p.write('stop');
    await Promise.all(live.map((p) => p.exited));
  }

  /** Kills whatever still runs and removes the files. */
  async close(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
