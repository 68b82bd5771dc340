// Payments per second through one LSP (issue 22 "Performance"): 16 factories of 4 clients (64 channels,
// a shape inside brief §7's routable window), every role with its own SQLite file store, end to end —
// every payee creates its invoice, every payer pays it, until the last `PaymentSent` is durable. All
// roles run in this one process (sans-IO machines, messages encoded and decoded by @superscalar/wire
// in memory, each persist awaited before the role's next action, the execution contract of io.ts), so
// the wall figure shares one core between the LSP and 64 clients; the LSP's own figure is its busy
// time — its `handle` calls and its store updates — the rate one LSP on a core of its own would reach.
// The target (issue 22) is 200 forwarded payments/s.
//
// `--commit=serial` runs every role as above: each persist its own durable SQLite transaction, awaited
// before the role's next action. `--commit=group` (the default) runs the LSP, during the payments, on
// the runtime's `ActionExecutor` (`@superscalar/client/runtime`, what `LspNode` runs) over a
// `Sequencer`: the bench delivers messages until none is left (the clients answering at once, serially),
// and the LSP's persists of that stretch go to its store together at its end (the executor's group
// commit: one transaction), then its sends, which start the next stretch. That is a saturated LSP: what
// arrives while it is busy is handled in one event-loop turn and committed at its end.
//
//   npx tsx --conditions=source bench/payments.ts                       # in packages/lsp
//   npx tsx --conditions=source bench/payments.ts --payments=320 --batch=0,5
//   SUPERSCALAR_SECP_BACKEND=noble npx tsx --conditions=source bench/payments.ts   # pure-JS curve
//   node --cpu-prof --conditions=source --import tsx bench/payments.ts --payments=320
//   npx tsx --conditions=source bench/payments.ts --commit=serial,group   # both commit modes
//
// Options: `--payments=N` (default 640, spread over the 64 payers, each paying a client of another
// factory), `--batch=a,b` the LSP's `batchWindowMs` values to run (default 0 and 5; with a window the
// LSP also ticks when idle), `--amount=sats` (default 5,000), `--profile=<dir>` (a .cpuprofile of the
// payments only, per run, through node:inspector).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlockFollower, SimChain } from '@superscalar/chain';
import { Client, type ClientInput } from '@superscalar/client';
import { ActionExecutor, type PeerLink } from '@superscalar/client/runtime';
import { Bip86Account, Keychain } from '@superscalar/keys';
import { type Op, Sequencer, type Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { followWallet, Wallet } from '@superscalar/wallet';
import { decodeMessage, encodeMessage } from '@superscalar/wire';
import { Lsp, type LspInput } from '../src/index.js';

type Action = ReturnType<Lsp['handle']>[number];
type Machine = { readonly nodeId: string; handle(input: never, now: number): Action[] };

/** One role: its machine, its store and its sequencer (update ids). */
class Role {
  busyMs = 0;
  cpuUs = 0;
  storeMs = 0;
  /** Persist actions (updates). */
  commits = 0;
  /** Store transactions (group mode: counted in the store). */
  transactions = 0;
  /** Group mode (the LSP during the payments): the runtime's executor. */
  exec: ActionExecutor | undefined;
  constructor(
    readonly name: string,
    readonly machine: Machine,
    readonly store: Store,
    readonly sequencer: Sequencer,
  ) {}
  static async open(name: string, machine: Machine, store: Store): Promise<Role> {
    return new Role(name, machine, store, await Sequencer.open(store));
  }
  get nodeId(): string {
    return this.machine.nodeId;
  }
  async commit(ops: readonly Op[]): Promise<void> {
    if (ops.length === 0) return;
    await this.sequencer.commit(ops);
  }
}

/**
 * Times and counts the store's transactions (group mode): `SqlStore`'s internal `commitBatch` is one
 * transaction. A bench-only hook on an internal method; the figures need it, the API does not.
 */
function timeTransactions(role: Role): void {
  const store = role.store as unknown as { commitBatch(batch: unknown[]): Promise<void> };
  const inner = store.commitBatch.bind(store);
  store.commitBatch = async (batch) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    try {
      await inner(batch);
    } finally {
      const cpu = process.cpuUsage(c0);
      const dt = performance.now() - t0;
      role.cpuUs += cpu.user + cpu.system;
      role.busyMs += dt;
      role.storeMs += dt;
      role.transactions++;
    }
  };
}

const SHAPE = { activeBlocks: 288, dyingBlocks: 24, htlcBudget: 12 }; // brief §7: a regtest factory that routes

/** The world of one run: chain, LSP, clients, and one FIFO of inputs. */
class Bench {
  readonly chain = new SimChain();
  readonly follower = new BlockFollower(this.chain);
  readonly queue: [Role, unknown][] = [];
  readonly roles = new Map<string, Role>();
  lsp!: Role;
  clients: Role[] = [];
  /** Counters of what the LSP sent, and of the clients' payment events. */
  readonly sent = new Map<string, number>();
  sentPayments = 0;
  failedPayments = 0;

  async run(): Promise<void> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        await this.input(next[0], next[1]);
        continue;
      }
      // The round ends: the LSP's queued persists go to its store as one group, then its sends.
      const exec = this.lsp?.exec;
      if (exec === undefined) return;
      await exec.idle();
      if (this.failure !== undefined) throw this.failure;
      if (this.queue.length === 0) return;
    }
  }

  failure: unknown;

  /** Puts the LSP on the runtime's executor (group commit) from now on. */
  group(): void {
    const lsp = this.lsp;
    timeTransactions(lsp);
    const links = new Map<string, PeerLink>();
    const linkOf = (peer: string): PeerLink | undefined => {
      const to = this.roles.get(peer);
      if (to === undefined) return undefined;
      let link = links.get(peer);
      if (link === undefined) {
        link = {
          start: () => undefined,
          send: (message) => {
            this.sent.set(message.type, (this.sent.get(message.type) ?? 0) + 1);
            this.queue.push([
              to,
              { type: 'message', peer: lsp.nodeId, message: decodeMessage(encodeMessage(message)) },
            ]);
            return true;
          },
          close: async () => undefined,
          closed: new Promise(() => undefined),
        };
        links.set(peer, link);
      }
      return link;
    };
    lsp.exec = new ActionExecutor({
      sequencer: lsp.sequencer,
      linkOf,
      disconnect: (peer, _link, reason) => {
        this.failure ??= new Error(`lsp disconnected ${peer.slice(0, 8)}: ${reason}`);
      },
      broadcast: (a) => {
        this.chain.broadcastSync(a.raw);
        this.queue.push([lsp, { type: 'broadcast_result', txid: a.txid }]);
      },
      fail: (cause) => {
        this.failure ??= cause;
        lsp.exec?.fail(cause);
      },
      dropped: () => undefined,
    });
  }

  async input(role: Role, input: unknown): Promise<void> {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const actions = role.machine.handle(input as never, Date.now());
    let busy = performance.now() - t0;
    let cpu = process.cpuUsage(c0);
    role.cpuUs += cpu.user + cpu.system;
    if (role.exec !== undefined) {
      // Group mode: the executor runs them; the store's time is counted per transaction.
      role.busyMs += busy;
      role.commits += actions.filter((a) => a.kind === 'persist').length;
      void role.exec.enqueue(actions).catch((e: unknown) => {
        this.failure ??= e;
      });
      return;
    }
    for (const a of actions) {
      switch (a.kind) {
        case 'persist': {
          const t = performance.now();
          const c1 = process.cpuUsage();
          await role.commit(a.ops);
          cpu = process.cpuUsage(c1);
          role.cpuUs += cpu.user + cpu.system;
          const dt = performance.now() - t;
          busy += dt;
          role.storeMs += dt;
          role.commits++;
          role.transactions++;
          if (role !== this.lsp)
            for (const op of a.ops)
              if (op.op === 'event') {
                if (op.kind === 'PaymentSent') this.sentPayments++;
                if (op.kind === 'PaymentFailed') this.failedPayments++;
              }
          break;
        }
        case 'send': {
          const to = this.roles.get(a.peer);
          if (to === undefined) break;
          if (role === this.lsp) this.sent.set(a.message.type, (this.sent.get(a.message.type) ?? 0) + 1);
          const message = decodeMessage(encodeMessage(a.message));
          this.queue.push([to, { type: 'message', peer: role.nodeId, message }]);
          break;
        }
        case 'broadcast':
          this.chain.broadcastSync(a.raw);
          this.queue.push([role, { type: 'broadcast_result', txid: a.txid }]);
          break;
        case 'disconnect':
          throw new Error(`${role.name} disconnected ${a.peer.slice(0, 8)}: ${a.reason}`);
      }
    }
    role.busyMs += busy;
  }

  subscribe(role: Role): void {
    this.follower.subscribe({
      name: role.name,
      from: { height: this.chain.height },
      onEvent: (e) => {
        if (e.type === 'connected')
          this.queue.push([
            role,
            { type: 'block_connected', height: e.block.height, hash: e.block.hash, txids: e.block.txids },
          ]);
      },
    });
  }

  async mine(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      this.chain.mineSync(1);
      await this.follower.poll();
      await this.run();
    }
  }
}

/** What one run measured. */
export interface PaymentsResult {
  readonly batchWindowMs: number;
  readonly channels: number;
  readonly payments: number;
  readonly wallS: number;
  readonly lspBusyS: number;
  /** The CPU of the same (process CPU measured around each call: what the LSP would use of a core). */
  readonly lspCpuS: number;
  /** Of which its store updates (each one durable SQLite transaction). */
  readonly lspStoreS: number;
  readonly lspStoreUpdates: number;
  /** Its store transactions (serial: one per update; group: one per group). */
  readonly lspStoreTransactions: number;
  readonly commitMode: 'serial' | 'group';
  readonly cpuS: number;
  readonly updates: number;
  readonly commits: number;
  readonly failed: number;
  readonly load: number;
}

/** Sets up 16 factories × 4 clients and runs `payments` payments end to end. */
export async function runPayments(o: {
  batchWindowMs: number;
  /** `group` (default): the LSP on the runtime's executor during the payments; `serial`: awaited one by one. */
  commit?: 'serial' | 'group';
  payments: number;
  amountSats?: bigint;
  factories?: number;
  /** Write a .cpuprofile of the timed part (payments only, not the setup) here. */
  profile?: string;
}): Promise<PaymentsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lsp-payments-'));
  const factories = o.factories ?? 16;
  const n = factories * 4;
  const b = new Bench();
  try {
    b.chain.mineSync(1);
    const seed = (tag: string) => {
      const s = new Uint8Array(32);
      s.set(new TextEncoder().encode(tag).slice(0, 32));
      return s;
    };
    const lspKeys = Keychain.fromSeed(seed('bench-lsp'), { network: 'regtest' });
    const lspStore = await openSqliteStore({
      path: join(dir, 'lsp.db'),
      sealingKey: lspKeys.storeSealingKey(),
    });
    const account = Bip86Account.fromSeed(seed('bench-lsp-wallet'), { network: 'regtest' });
    const created = Wallet.create({ account, birthHeight: 1 });
    const wallet = created.wallet;
    const lsp = await Role.open(
      'lsp',
      Lsp.create({
        keychain: lspKeys,
        wallet,
        network: 'regtest',
        policy: {
          ...SHAPE,
          minClients: 4,
          maxClients: 4,
          formAfterMs: 3_600_000,
          batchWindowMs: o.batchWindowMs,
          maxCapacity: 1_000_000n,
        },
      }) as unknown as Machine,
      lspStore,
    );
    b.lsp = lsp;
    b.roles.set(lsp.nodeId, lsp);
    await lsp.commit(created.ops);
    followWallet({ wallet, follower: b.follower, commit: (ops) => lsp.commit(ops) });
    b.subscribe(lsp);
    // One confirmed coin per factory (a funding spends confirmed inputs; its change confirms later).
    for (let i = 0; i < factories; i++) {
      const addr = wallet.newAddress();
      await lsp.commit(addr.ops);
      b.chain.fundSync(addr.script, 2_000_000n);
    }
    await b.mine(1);
    for (let i = 0; i < n; i++) {
      const keys = Keychain.fromSeed(seed(`bench-client-${i}`), { network: 'regtest' });
      const store = await openSqliteStore({
        path: join(dir, `c${i}.db`),
        sealingKey: keys.storeSealingKey(),
      });
      const c = await Role.open(
        `c${i}`,
        Client.create({ keychain: keys, network: 'regtest', lspNodeId: lsp.nodeId }) as unknown as Machine,
        store,
      );
      b.clients.push(c);
      b.roles.set(c.nodeId, c);
      b.subscribe(c);
      b.queue.push([c, { type: 'peer_connected', peer: lsp.nodeId }]);
      b.queue.push([lsp, { type: 'peer_connected', peer: c.nodeId }]);
    }
    await b.follower.poll();
    await b.run();
    // 16 factories of 4, one after the other.
    for (let f = 0; f < factories; f++) {
      for (const c of b.clients.slice(f * 4, f * 4 + 4))
        b.queue.push([c, { type: 'register', capacity: 200_000n, balance: 100_000n } satisfies ClientInput]);
      await b.run();
      b.queue.push([lsp, { type: 'form_factory' } satisfies LspInput]);
      await b.run();
    }
    await b.mine(3);
    const open = (lsp.machine as unknown as Lsp).factories().filter((f) => f.phase === 'open').length;
    if (open !== factories) throw new Error(`${open} of ${factories} factories open`);
    // The payments: payer i pays a client of the next factory (its channel and the payee's differ).
    const amountMsat = (o.amountSats ?? 5_000n) * 1000n;
    const plan = Array.from({ length: o.payments }, (_, k) => {
      const payer = k % n;
      const payee = (payer + 4 + (Math.floor(k / n) % 4)) % n;
      return { payer: b.clients[payer] as Role, payee: b.clients[payee] as Role };
    });
    for (const r of b.roles.values()) {
      r.busyMs = 0;
      r.cpuUs = 0;
      r.storeMs = 0;
      r.commits = 0;
      r.transactions = 0;
    }
    const commitMode = o.commit ?? 'group';
    if (commitMode === 'group') b.group();
    b.sent.clear();
    const session = o.profile === undefined ? undefined : new Session();
    if (session !== undefined) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const p of plan)
      b.queue.push([
        p.payee,
        { type: 'create_invoice', amountMsat, description: 'bench' } satisfies ClientInput,
      ]);
    await b.run();
    const taken = new Map<Role, number>();
    for (const p of plan) {
      const list = (p.payee.machine as unknown as Client).invoices();
      const k = taken.get(p.payee) ?? 0;
      taken.set(p.payee, k + 1);
      b.queue.push([p.payer, { type: 'pay_invoice', invoice: (list[k] as { invoice: string }).invoice }]);
    }
    for (;;) {
      await b.run();
      if (b.sentPayments + b.failedPayments >= o.payments) break;
      // Idle with updates waiting for the batch window (or a forward to resume): let time pass, tick.
      await new Promise((r) => setTimeout(r, Math.max(1, o.batchWindowMs)));
      b.queue.push([lsp, { type: 'tick' }]);
      if (performance.now() - t0 > 600_000) throw new Error('payments did not settle within 10 min');
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (session !== undefined && o.profile !== undefined) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(o.profile, JSON.stringify(profile));
      session.disconnect();
    }
    const count = (...types: string[]) => types.reduce((s, t) => s + (b.sent.get(t) ?? 0), 0);
    return {
      batchWindowMs: o.batchWindowMs,
      channels: n,
      payments: o.payments,
      wallS,
      lspBusyS: lsp.busyMs / 1000,
      lspCpuS: lsp.cpuUs / 1e6,
      lspStoreS: lsp.storeMs / 1000,
      lspStoreUpdates: lsp.commits,
      lspStoreTransactions: lsp.transactions,
      commitMode,
      cpuS: (cpu.user + cpu.system) / 1e6,
      updates: count('update_add_htlc', 'update_fulfill_htlc', 'update_fail_htlc', 'update_fee'),
      commits: count('commitment_signed'),
      failed: b.failedPayments,
      load: loadavg()[0] ?? 0,
    };
  } finally {
    for (const r of b.roles.values()) await r.store.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

const TARGET = 200;
const f = (x: number, d = 1) => x.toFixed(d);

/** The table's header. */
export const HEADER = [
  '| curve | commit | batchWindowMs | channels | payments | wall s | payments/s (one process) | LSP busy s (store s, transactions / updates) | LSP CPU s | payments/s per LSP core (busy; CPU) | vs 200/s (busy; CPU) | LSP commitment_signed / updates | process CPU s | load |',
  '| ----- | ------ | ------------: | -------: | -------: | -----: | -----------------------: | -------------------------------------------: | --------: | ----------------------------------: | -------------------: | ------------------------------: | ------------: | ---: |',
].join('\n');

/** One result as a table row. */
export function row(r: PaymentsResult, curve: string): string {
  const perCore = r.payments / r.lspBusyS;
  const perCpu = r.payments / r.lspCpuS;
  return `| ${curve} | ${r.commitMode} | ${r.batchWindowMs} | ${r.channels} | ${r.payments}${r.failed > 0 ? ` (${r.failed} failed)` : ''} | ${f(r.wallS, 2)} | ${f(r.payments / r.wallS)} | ${f(r.lspBusyS, 2)} (${f(r.lspStoreS, 2)}, ${r.lspStoreTransactions} / ${r.lspStoreUpdates}) | ${f(r.lspCpuS, 2)} | ${f(perCore)}; ${f(perCpu)} | ${f(perCore / TARGET, 2)}×; ${f(perCpu / TARGET, 2)}× | ${r.commits} / ${r.updates} | ${f(r.cpuS, 2)} | ${f(r.load)} |`;
}

async function cli(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const payments = Number(opt('payments') ?? 640);
  const windows = (opt('batch') ?? '0,5').split(',').map(Number);
  const modes = (opt('commit') ?? 'group').split(',') as ('serial' | 'group')[];
  for (const m of modes)
    if (m !== 'serial' && m !== 'group') throw new Error(`--commit: serial or group, not ${m}`);
  const amountSats = BigInt(opt('amount') ?? 5_000);
  const curve = process.env.SUPERSCALAR_SECP_BACKEND === 'noble' ? 'noble (pure JS)' : 'default';
  console.log(
    `payments through one LSP — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  );
  console.log(HEADER);
  const profile = opt('profile');
  for (const commit of modes)
    for (const batchWindowMs of windows) {
      const file =
        profile === undefined ? undefined : join(profile, `payments-${commit}-${batchWindowMs}.cpuprofile`);
      const r = await runPayments({
        batchWindowMs,
        commit,
        payments,
        amountSats,
        ...(file === undefined ? {} : { profile: file }),
      });
      console.log(row(r, curve));
      if (file !== undefined) console.log(`profile of the payments: ${file}`);
    }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await cli();
