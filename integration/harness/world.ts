// The deterministic roles harness (roles memo §4; LDK's functional tests): one LSP and N clients, each
// with its own keychain and its own SQLite store (a temp file) behind an in-order executor (update ids
// from lastUpdateId() + 1; the runtime's Sequencer replaces it later), an in-process SimChain followed
// by one BlockFollower (a subscription per role, and the LSP's wallet through followWallet), the
// simulated network, a virtual clock, crashes at any action and restarts from the store.
//
// Execution contract (io.ts): inputs one at a time; a handle call's actions in order; a persist is
// durable (applyUpdate resolved) before the next action runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BlockFollower,
  type ChainBackend,
  type ChainEvent,
  SimChain,
  type Subscription,
  TxRejected,
} from '@superscalar/chain';
import {
  Client,
  type ClientEvent,
  type ClientPolicy,
  decodeClientEvent,
  spendsIn,
} from '@superscalar/client';
import { attachTowerTo, EmbeddedTower } from '@superscalar/client/runtime';
import {
  consoleLogger,
  type Logger,
  type ManualClock,
  manualClock,
  noopLogger,
  type Rng,
} from '@superscalar/core';
import { Bip86Account, Keychain } from '@superscalar/keys';
import { decodeLspEvent, Lsp, type LspEvent, type LspPolicy } from '@superscalar/lsp';
import type { BlobRecord, Op, Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import type { NonceObserver } from '@superscalar/poon-dryja';
import { decodeTx, type OutPoint, txidOf } from '@superscalar/tx';
import { followWallet, Wallet } from '@superscalar/wallet';
import type { TowerEvent } from '@superscalar/watchtower';
import { type Delivery, SimNetwork } from './network.js';
import { chance, pick, seededRng, seedOf } from './rng.js';

type Action = ReturnType<Lsp['handle']>[number];
type Input = Parameters<Lsp['handle']>[0] | Parameters<Client['handle']>[0];
type Machine = { readonly nodeId: string; handle(input: never, now: number): Action[] };

/** Where a crash happens: before the action at `index` of a handle call's actions runs. */
export type CrashPoint = (action: Action, index: number, node: RoleNode) => boolean;

/** A broadcast as the chain saw it. */
export interface BroadcastRecord {
  readonly node: string;
  readonly label: string;
  readonly txid: string;
  readonly raw: Uint8Array;
  readonly outcome: 'accepted' | 'rejected' | 'dropped';
  readonly reason?: string;
  readonly height: number;
  /** The CPFP child submitted with it as a package, if any. */
  readonly child?: Uint8Array;
}

/** One role: its machine, store and executor. */
export class RoleNode {
  readonly name: string;
  readonly role: 'lsp' | 'client';
  readonly keychain: Keychain;
  readonly dir: string;
  store!: Store;
  machine!: Machine;
  nodeId!: string;
  /** The LSP's wallet, and a client's when the world gives clients fee coins. */
  wallet: Wallet | undefined;
  readonly account: Bip86Account | undefined;
  /** Local inputs (blocks, broadcast results) waiting for the scheduler. */
  inbox: Input[] = [];
  down = false;
  generation = 0;
  crashPoint: CrashPoint | undefined;
  /** Every persist's ops, in order (across restarts). */
  readonly persisted: (readonly Op[])[] = [];
  /** Inputs handled and the actions they returned (for flaw tests). */
  readonly trace: { input: Input; actions: Action[] }[] = [];
  nextId = 1n;
  sub: Subscription | undefined;
  walletSub: Subscription | undefined;
  /** The embedded watchtower (unless the world runs without towers), over this node's store. */
  tower: EmbeddedTower | undefined;
  /** The fee wallet's account of the tower (its own). */
  readonly towerAccount: Bip86Account;
  /** Every tower event, in order (across restarts). */
  readonly towerEvents: TowerEvent[] = [];
  #serial: Promise<unknown> = Promise.resolve();
  private readonly world: World;

  constructor(world: World, name: string, role: 'lsp' | 'client') {
    this.world = world;
    this.name = name;
    this.role = role;
    this.keychain = Keychain.fromSeed(seedOf(`${world.seed}/${name}`), { network: 'regtest' });
    this.account =
      role === 'lsp' || (world.options.clientFeeCoins ?? 0) > 0
        ? Bip86Account.fromSeed(seedOf(`${world.seed}/${name}/wallet`), { network: 'regtest' })
        : undefined;
    this.towerAccount = Bip86Account.fromSeed(seedOf(`${world.seed}/${name}/tower`), { network: 'regtest' });
    this.dir = mkdtempSync(join(tmpdir(), `roles-${name}-`));
  }

  get path(): string {
    return join(this.dir, 'store.db');
  }

  /** Applies `ops` as the next update (the in-order executor). */
  async commit(ops: readonly Op[]): Promise<void> {
    if (ops.length === 0) return;
    await this.apply(ops);
    this.persisted.push(ops);
  }

  /** The tower's updates: the same sequence as the role's (not recorded in `persisted`). */
  async towerCommit(ops: readonly Op[]): Promise<void> {
    if (ops.length > 0) await this.apply(ops);
  }

  /** Applies `ops` as the next update, one at a time, then shows them to the tower. */
  private apply(ops: readonly Op[]): Promise<void> {
    const run = this.#serial.then(async () => {
      await this.store.applyUpdate({ id: this.nextId, ops });
      this.nextId++;
      this.tower?.committed(ops);
    });
    this.#serial = run.catch(() => undefined);
    return run;
  }

  /** Tower events of `type`. */
  towerEventsOf<T extends TowerEvent['type']>(type: T): Extract<TowerEvent, { type: T }>[] {
    return this.towerEvents.filter((e): e is Extract<TowerEvent, { type: T }> => e.type === type);
  }

  async openStore(): Promise<void> {
    this.store =
      (await this.world.options.openStore?.(this)) ??
      (await openSqliteStore({ path: this.path, sealingKey: this.keychain.storeSealingKey() }));
    this.nextId = (await this.store.lastUpdateId()) + 1n;
  }

  /** Handles one input and executes its actions in order. */
  async input(input: Input): Promise<void> {
    if (this.down) return;
    const actions = (this.machine.handle as (i: Input, now: number) => Action[])(
      input,
      this.world.clock.now(),
    );
    this.trace.push({ input, actions });
    await this.execute(actions);
  }

  async execute(actions: readonly Action[]): Promise<void> {
    for (const [index, a] of actions.entries()) {
      if (this.down) return;
      if (this.crashPoint?.(a, index, this)) {
        this.crashPoint = undefined;
        await this.world.crash(this);
        return;
      }
      switch (a.kind) {
        case 'persist':
          await this.commit(a.ops);
          break;
        case 'send':
          this.world.net.send(this.nodeId, a.peer, a.message);
          break;
        case 'disconnect':
          this.world.disconnect(this.nodeId, a.peer);
          break;
        case 'broadcast': {
          // Synchronous on a SimChain (as it always was); awaited on a node that answers over RPC.
          const sent = this.world.broadcast(this, a.raw, a.txid, a.label, a.child);
          if (sent instanceof Promise) await sent;
          break;
        }
      }
    }
  }

  /** The journal's events, decoded. */
  async events(): Promise<(LspEvent | ClientEvent)[]> {
    const records = await this.store.events();
    return records.map((r) => (this.role === 'lsp' ? decodeLspEvent(r) : decodeClientEvent(r)));
  }

  async blobs(): Promise<BlobRecord[]> {
    return this.store.list('blobs');
  }
}

/** Options of {@link World.create}. */
export interface WorldOptions {
  readonly seed: string;
  readonly clients: number;
  readonly lspPolicy?: LspPolicy;
  readonly clientPolicy?: ClientPolicy;
  /** Sats paid into the LSP's wallet (default 10,000,000), in `lspCoins` coins (default 4). */
  readonly lspFunds?: bigint;
  readonly lspCoins?: number;
  /** Seeded fault injection: probability that a delivery breaks its connection instead. */
  readonly disconnectRate?: number;
  /** Seeded fault injection: probability that a link's next message waits another step. */
  readonly delayRate?: number;
  /** Reconnect wanted links whenever the network is quiet (default true). */
  readonly autoReconnect?: boolean;
  /** Sees every channel's secret nonce uses (counted per nonce object). */
  readonly nonceObserver?: NonceObserver;
  readonly logger?: Logger;
  /** Run every role's embedded watchtower (default true). */
  readonly towers?: boolean;
  /** The chain (default a new in-process SimChain; e.g. a SimChain server's, for other processes). */
  readonly chain?: SimChain;
  /** A node's store instead of its SQLite file (undefined: the file), e.g. the LSP's on PostgreSQL. */
  readonly openStore?: (node: RoleNode) => Promise<Store> | undefined;
  /** Each client gets a wallet with this many confirmed fee coins (default 0: no client wallet). */
  readonly clientFeeCoins?: number;
  /** Sats per client fee coin (default 200,000). */
  readonly clientFeeCoinValue?: bigint;
  /**
   * A chain that answers asynchronously instead of a SimChain, e.g. a `BitcoindRpc` on a throwaway
   * `bitcoind -regtest` bound to a funded wallet: funding by `fund`, blocks by `mine`, broadcasts
   * awaited (`sendrawtransaction`, `submitpackage`), every role and tower following it through the
   * world's one {@link BlockFollower}. {@link World.chain} is then unavailable; use {@link World.backend}.
   */
  readonly backend?: ChainBackend;
}

/** Regtest parameters that can route payments (brief §7 "Routable window"). */
export const ROUTABLE_REGTEST: LspPolicy = { activeBlocks: 288, dyingBlocks: 24, htlcBudget: 12 };

export class World {
  readonly seed: string;
  /** The chain every role follows: the SimChain, or {@link WorldOptions.backend}. */
  readonly backend: ChainBackend;
  /** The SimChain, undefined when the world runs on {@link WorldOptions.backend}. */
  readonly sim: SimChain | undefined;
  /** The tip height on a backend, as of the last {@link sync}. */
  #height = 0;
  readonly follower: BlockFollower;
  readonly clock: ManualClock = manualClock(1_700_000_000_000);
  readonly net = new SimNetwork();
  readonly rng: Rng;
  readonly nodes = new Map<string, RoleNode>();
  lsp!: RoleNode;
  readonly clients: RoleNode[] = [];
  readonly options: WorldOptions;
  readonly broadcasts: BroadcastRecord[] = [];
  /** Return true to lose a broadcast before it reaches the chain (a node's mempool never saw it). */
  dropBroadcast: ((label: string, txid: string) => boolean) | undefined;
  disconnectRate: number;
  delayRate: number;
  autoReconnect: boolean;
  readonly logger: Logger;

  private constructor(options: WorldOptions) {
    this.options = options;
    this.sim = options.backend === undefined ? (options.chain ?? new SimChain()) : undefined;
    this.backend = this.sim ?? (options.backend as ChainBackend);
    this.seed = options.seed;
    this.rng = seededRng(`${options.seed}/scheduler`);
    this.follower = new BlockFollower(this.backend);
    this.disconnectRate = options.disconnectRate ?? 0;
    this.delayRate = options.delayRate ?? 0;
    this.autoReconnect = options.autoReconnect ?? true;
    this.logger = options.logger ?? (process.env.ROLES_DEBUG ? consoleLogger('debug') : noopLogger);
  }

  /** The SimChain (throws on a world that runs on a {@link WorldOptions.backend}). */
  get chain(): SimChain {
    if (this.sim === undefined)
      throw new Error('this world runs on a backend, not a SimChain: use world.backend');
    return this.sim;
  }

  /** The tip height (a backend's as of the last {@link sync}). */
  get height(): number {
    return this.sim === undefined ? this.#height : this.sim.height;
  }

  /** Pays `amount` to `script` in a confirmed output (a backend mines the block; not delivered yet). */
  async fund(script: Uint8Array, amount: bigint): Promise<void> {
    if (this.sim !== undefined) this.sim.fundSync(script, amount);
    else {
      await this.backend.fund(script, amount);
      this.#height = (await this.backend.tip()).height;
    }
  }

  /** A world: the chain funded, the LSP's wallet holding `lspFunds`, N clients, nobody connected yet. */
  static async create(options: WorldOptions): Promise<World> {
    const w = new World(options);
    if (w.sim !== undefined) w.sim.mineSync(1);
    else {
      await w.backend.mine(1);
      w.#height = (await w.backend.tip()).height;
    }
    const lsp = new RoleNode(w, 'lsp', 'lsp');
    w.lsp = lsp;
    await lsp.openStore();
    const created = Wallet.create({ account: lsp.account as Bip86Account, birthHeight: 1 });
    lsp.wallet = created.wallet;
    await lsp.commit(created.ops);
    w.startLsp(lsp, []);
    await w.startTower(lsp);
    for (let i = 0; i < options.clients; i++) await w.addClient();
    const coins = options.lspCoins ?? 4;
    for (let i = 0; i < coins; i++) {
      const addr = (lsp.wallet as Wallet).newAddress();
      await lsp.commit(addr.ops);
      await w.fund(addr.script, (options.lspFunds ?? 10_000_000n) / BigInt(coins));
    }
    await w.sync();
    return w;
  }

  /** Adds a client node (not connected). */
  async addClient(name = `client${this.clients.length}`): Promise<RoleNode> {
    const c = new RoleNode(this, name, 'client');
    await c.openStore();
    const coins = this.options.clientFeeCoins ?? 0;
    if (coins > 0) {
      const created = Wallet.create({ account: c.account as Bip86Account, birthHeight: 1 });
      c.wallet = created.wallet;
      await c.commit(created.ops);
    }
    this.clients.push(c);
    this.startClient(c, []);
    await this.startTower(c);
    for (let i = 0; i < coins; i++) {
      const addr = (c.wallet as Wallet).newAddress();
      await c.commit(addr.ops);
      await this.fund(addr.script, this.options.clientFeeCoinValue ?? 200_000n);
    }
    return c;
  }

  private lspOptions(node: RoleNode) {
    return {
      keychain: node.keychain,
      wallet: node.wallet as Wallet,
      network: 'regtest' as const,
      policy: { ...ROUTABLE_REGTEST, ...this.options.lspPolicy },
      rng: seededRng(`${this.seed}/${node.name}/rng/${node.generation}`),
      logger: this.logger,
      ...(this.options.nonceObserver === undefined ? {} : { nonceObserver: this.options.nonceObserver }),
    };
  }

  private startLsp(node: RoleNode, blobs: BlobRecord[]): void {
    const m =
      blobs.length === 0
        ? Lsp.create(this.lspOptions(node))
        : Lsp.restore({ ...this.lspOptions(node), blobs });
    node.machine = m as unknown as Machine;
    node.nodeId = m.nodeId;
    this.nodes.set(m.nodeId, node);
    node.walletSub = followWallet({
      wallet: node.wallet as Wallet,
      follower: this.follower,
      commit: (ops) => node.commit(ops),
    });
    this.subscribe(node, m.tip);
  }

  private startClient(node: RoleNode, blobs: BlobRecord[]): void {
    const opts = {
      keychain: node.keychain,
      network: 'regtest' as const,
      lspNodeId: this.lsp.nodeId,
      ...(this.options.clientPolicy === undefined ? {} : { policy: this.options.clientPolicy }),
      rng: seededRng(`${this.seed}/${node.name}/rng/${node.generation}`),
      logger: this.logger,
      ...(this.options.nonceObserver === undefined ? {} : { nonceObserver: this.options.nonceObserver }),
      ...(node.wallet === undefined ? {} : { wallet: node.wallet }),
    };
    const m = blobs.length === 0 ? Client.create(opts) : Client.restore({ ...opts, blobs });
    if (node.wallet !== undefined)
      node.walletSub = followWallet({
        wallet: node.wallet,
        follower: this.follower,
        commit: (ops) => node.commit(ops),
      });
    node.machine = m as unknown as Machine;
    node.nodeId = m.nodeId;
    this.nodes.set(m.nodeId, node);
    this.subscribe(node, m.tip);
  }

  /** Opens and starts a node's embedded tower over its store (a new one is born at the next block). */
  private async startTower(node: RoleNode): Promise<void> {
    if (this.options.towers === false) return;
    const machine = node.machine as unknown as { factory(id: string): unknown };
    const tower = await EmbeddedTower.open({
      store: node.store,
      commit: (ops) => node.towerCommit(ops),
      account: node.towerAccount,
      birthHeight: this.height + 1,
      follower: this.follower,
      chain: this.towerChain(node),
      towerId: 'main',
      onEvent: (e) => {
        node.towerEvents.push(e);
      },
      isLive: (id) => machine.factory(id) !== undefined,
      logger: this.logger,
    });
    node.tower = tower;
    attachTowerTo(node.machine, tower);
    await tower.start();
  }

  /**
   * The chain as a node's tower sees it: its broadcasts go through {@link dropBroadcast} (label
   * `tower <node>`) and into {@link broadcasts}, like the roles' own, so a test's network drops a
   * transaction whoever sends it. A dropped broadcast looks accepted to the tower.
   */
  private towerChain(node: RoleNode): SimChain | ChainBackend {
    if (this.sim === undefined) return this.towerBackend(node);
    const chain = this.sim;
    const wrapped = Object.create(chain) as SimChain;
    Object.assign(wrapped, {
      feeRate: (p: Parameters<SimChain['feeRate']>[0]) => chain.feeRate(p),
      ...this.towerSends(node, chain, () => chain.height),
    });
    return wrapped;
  }

  /** {@link towerChain} on a backend: the same records and drops, every call awaited. */
  private towerBackend(node: RoleNode): ChainBackend {
    const chain = this.backend;
    return {
      tip: () => chain.tip(),
      blockHash: (h) => chain.blockHash(h),
      blocksSince: (h, limit) => chain.blocksSince(h, limit),
      getTransaction: (txid) => chain.getTransaction(txid),
      getSpend: (o) => chain.getSpend(o),
      waitForHeight: (h, o) => chain.waitForHeight(h, o),
      waitForConfirmation: (txid, n, o) => chain.waitForConfirmation(txid, n, o),
      feeRate: (p) => chain.feeRate(p),
      policyInfo: () => chain.policyInfo(),
      mine: (n, o) => chain.mine(n, o),
      fund: (s, a) => chain.fund(s, a),
      invalidateBlock: (h) => chain.invalidateBlock(h),
      setMockTime: (t) => chain.setMockTime(t),
      ...this.towerSends(node, chain, () => this.height),
    };
  }

  /**
   * A node's tower's `broadcast` and `broadcastPackage` over `chain`: each goes through
   * {@link dropBroadcast} (label `tower <node>`; a dropped one looks accepted) and into
   * {@link broadcasts} at `heightOf()`.
   */
  private towerSends(
    node: RoleNode,
    chain: Pick<ChainBackend, 'broadcast' | 'broadcastPackage'>,
    heightOf: () => number,
  ): Pick<ChainBackend, 'broadcast' | 'broadcastPackage'> {
    const label = `tower ${node.name}`;
    const record = (
      raw: Uint8Array,
      outcome: 'accepted' | 'dropped' | 'rejected',
      reason?: string,
      child?: Uint8Array,
    ) => {
      const txid = txidOf(decodeTx(raw));
      this.broadcasts.push({
        node: node.name,
        label,
        txid,
        raw,
        outcome,
        ...(reason === undefined ? {} : { reason }),
        height: heightOf(),
        ...(child === undefined ? {} : { child }),
      });
      return txid;
    };
    const dropped = (raw: Uint8Array) => this.dropBroadcast?.(label, txidOf(decodeTx(raw))) === true;
    const run = async <T>(raw: Uint8Array, send: () => Promise<T>, child?: Uint8Array): Promise<T> => {
      try {
        const r = await send();
        record(raw, 'accepted', undefined, child);
        return r;
      } catch (e) {
        record(raw, 'rejected', TxRejected.isInstance(e) ? e.reason : String(e), child);
        throw e;
      }
    };
    return {
      broadcast: async (raw) => {
        if (dropped(raw)) return record(raw, 'dropped');
        return run(raw, () => chain.broadcast(raw));
      },
      broadcastPackage: async (parent, child) => {
        if (dropped(parent)) {
          const parentTxid = record(parent, 'dropped', undefined, child);
          return { parentTxid, childTxid: txidOf(decodeTx(child)), replacedTxids: [] };
        }
        return run(parent, () => chain.broadcastPackage(parent, child), child);
      },
    };
  }

  /** Waits until every tower's queued pruning has run. */
  async towersIdle(): Promise<void> {
    for (const n of this.all()) await n.tower?.idle();
  }

  private subscribe(node: RoleNode, tip: { height: number; hash: string } | null): void {
    node.sub = this.follower.subscribe({
      name: `${node.name}/${node.generation}`,
      from:
        tip === null || tip.hash === ''
          ? { height: tip?.height ?? this.height }
          : { height: tip.height, hash: tip.hash },
      onEvent: (e: ChainEvent) => {
        if (node.down) throw new Error(`${node.name} is down`);
        if (e.type === 'connected') {
          // The spends of the HTLC outputs the machine watches, as the runtimes hand them (BOLT 5).
          const watched = (node.machine as { watchedOutpoints?(): readonly OutPoint[] }).watchedOutpoints?.();
          const spends = watched === undefined ? [] : spendsIn(e.block, watched);
          node.inbox.push({
            type: 'block_connected',
            height: e.block.height,
            hash: e.block.hash,
            txids: e.block.txids,
            ...(spends.length === 0 ? {} : { spends }),
            ...(e.tip === undefined ? {} : { tip: e.tip.height }),
          });
        } else
          node.inbox.push({
            type: 'block_disconnected',
            height: e.block.height,
            hash: e.block.hash,
            ...(e.tip === undefined ? {} : { tip: e.tip.height }),
          });
      },
    });
  }

  /** Every node (LSP first). */
  all(): RoleNode[] {
    return [this.lsp, ...this.clients];
  }

  /** Polls the follower (blocks to every role and the LSP's wallet), then runs the network until quiet. */
  async sync(): Promise<void> {
    if (this.sim === undefined) this.#height = (await this.backend.tip()).height;
    await this.follower.poll();
    await this.drive();
  }

  /** Mines `n` blocks and delivers them. */
  async mine(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      if (this.sim !== undefined) this.sim.mineSync(1);
      else await this.backend.mine(1);
      await this.sync();
    }
  }

  /** Moves the clock by `ms`, ticks every machine, runs until quiet. */
  async tick(ms = 1000): Promise<void> {
    this.clock.advance(ms);
    for (const n of this.all()) if (!n.down) n.inbox.push({ type: 'tick' });
    await this.drive();
  }

  /** Connects `client` to the LSP (both get `peer_connected`). */
  async connect(client: RoleNode): Promise<void> {
    if (client.down || this.lsp.down) return;
    this.net.connect(client.nodeId, this.lsp.nodeId);
    await client.input({ type: 'peer_connected', peer: this.lsp.nodeId });
    await this.lsp.input({ type: 'peer_connected', peer: client.nodeId });
  }

  /** Connects every client. */
  async connectAll(): Promise<void> {
    for (const c of this.clients) await this.connect(c);
    await this.drive();
  }

  /** Takes a link down; both ends get `peer_disconnected`. `keepDown`: no automatic reconnection. */
  disconnect(a: string, b: string, options: { keepDown?: boolean } = {}): void {
    if (!this.net.disconnect(a, b, options.keepDown ? { wanted: false } : {})) return;
    for (const [n, peer] of [
      [this.nodes.get(a), b],
      [this.nodes.get(b), a],
    ] as const)
      if (n !== undefined && !n.down) n.inbox.push({ type: 'peer_disconnected', peer });
  }

  /** A command to a node. */
  async command(node: RoleNode, input: Input): Promise<void> {
    await node.input(input);
    await this.drive();
  }

  /** Hands a role's broadcast to the chain: synchronously on a SimChain, else the returned promise. */
  broadcast(
    node: RoleNode,
    raw: Uint8Array,
    txid: string,
    label: string,
    child?: Uint8Array,
  ): void | Promise<void> {
    if (this.sim === undefined) return this.broadcastToBackend(node, raw, txid, label, child);
    const height = this.sim.height;
    const c = child === undefined ? {} : { child };
    if (this.dropBroadcast?.(label, txid)) {
      this.broadcasts.push({ node: node.name, label, txid, raw, outcome: 'dropped', height, ...c });
      node.inbox.push({ type: 'broadcast_result', txid });
      return;
    }
    try {
      if (child === undefined) this.sim.broadcastSync(raw);
      else this.sim.broadcastPackageSync(raw, child);
      this.broadcasts.push({ node: node.name, label, txid, raw, outcome: 'accepted', height, ...c });
      node.inbox.push({ type: 'broadcast_result', txid });
    } catch (e) {
      const reason = TxRejected.isInstance(e) ? e.reason : String(e);
      this.broadcasts.push({ node: node.name, label, txid, raw, outcome: 'rejected', reason, height, ...c });
      node.inbox.push({ type: 'broadcast_result', txid, error: { code: 'CHAIN_TX_REJECTED', reason } });
    }
  }

  /** {@link broadcast} on a backend (awaited); an unreachable backend is reported like a rejection. */
  private async broadcastToBackend(
    node: RoleNode,
    raw: Uint8Array,
    txid: string,
    label: string,
    child?: Uint8Array,
  ): Promise<void> {
    const height = this.height;
    const c = child === undefined ? {} : { child };
    if (this.dropBroadcast?.(label, txid)) {
      this.broadcasts.push({ node: node.name, label, txid, raw, outcome: 'dropped', height, ...c });
      node.inbox.push({ type: 'broadcast_result', txid });
      return;
    }
    try {
      if (child === undefined) await this.backend.broadcast(raw);
      else await this.backend.broadcastPackage(raw, child);
      this.broadcasts.push({ node: node.name, label, txid, raw, outcome: 'accepted', height, ...c });
      node.inbox.push({ type: 'broadcast_result', txid });
    } catch (e) {
      const reason = TxRejected.isInstance(e) ? e.reason : String(e);
      this.broadcasts.push({ node: node.name, label, txid, raw, outcome: 'rejected', reason, height, ...c });
      node.inbox.push({ type: 'broadcast_result', txid, error: { code: 'CHAIN_TX_REJECTED', reason } });
    }
  }

  /** Runs until no input or message is left (reconnecting wanted links when quiet). */
  async drive(limit = 500_000): Promise<number> {
    for (let steps = 0; steps < limit; steps++) {
      const choices: (() => Promise<void>)[] = [];
      for (const n of this.all())
        if (!n.down && n.inbox.length > 0) choices.push(() => n.input(n.inbox.shift() as Input));
      for (const [from, to] of this.net.pending()) choices.push(() => this.deliver(from, to));
      if (choices.length === 0) {
        if (this.autoReconnect && (await this.reconnectWanted())) continue;
        return steps;
      }
      await (choices[pick(this.rng, choices.length)] as () => Promise<void>)();
    }
    throw new Error(`drive: still busy after ${limit} steps`);
  }

  private async deliver(from: string, to: string): Promise<void> {
    if (this.delayRate > 0 && chance(this.rng, this.delayRate)) return; // the link waits a step
    if (this.disconnectRate > 0 && chance(this.rng, this.disconnectRate)) {
      this.disconnect(from, to);
      return;
    }
    const d: Delivery | undefined = this.net.take(from, to);
    if (d === undefined) return;
    await this.nodes.get(to)?.input({ type: 'message', peer: from, message: d.message });
  }

  private async reconnectWanted(): Promise<boolean> {
    let any = false;
    for (const [a, b] of this.net.down()) {
      const na = this.nodes.get(a);
      const nb = this.nodes.get(b);
      if (na === undefined || nb === undefined || na.down || nb.down) continue;
      const client = na.role === 'client' ? na : nb;
      await this.connect(client);
      any = true;
    }
    return any;
  }

  /** Kills a node (kill -9): its links drop, its memory is gone; the store keeps what was durable. */
  async crash(node: RoleNode): Promise<void> {
    if (node.down) return;
    node.down = true;
    node.inbox = [];
    node.sub?.unsubscribe();
    node.walletSub?.unsubscribe();
    node.tower?.stop();
    await node.tower?.idle().catch(() => undefined);
    node.tower = undefined;
    for (const other of this.nodes.values())
      if (other !== node && this.net.isUp(node.nodeId, other.nodeId))
        this.disconnect(node.nodeId, other.nodeId);
    await node.store.close();
  }

  /** Restarts a node from its store (crashing it first if it is up), then reconnects it. */
  async restart(node: RoleNode, options: { reconnect?: boolean } = {}): Promise<void> {
    await this.crash(node);
    // Its peers see the disconnection before it comes back (else their queued `peer_disconnected`
    // would follow the new `peer_connected` and leave them disconnected on a link that is up).
    await this.drive();
    node.generation++;
    node.inbox = [];
    await node.openStore();
    const blobs = await node.store.list('blobs');
    node.down = false;
    if (node.role === 'lsp') {
      node.wallet = Wallet.load(blobs, { account: node.account as Bip86Account });
      this.startLsp(node, blobs);
    } else {
      if (node.wallet !== undefined)
        node.wallet = Wallet.load(blobs, { account: node.account as Bip86Account });
      this.startClient(node, blobs);
    }
    await this.startTower(node);
    await this.follower.poll();
    if (options.reconnect ?? true) {
      if (node.role === 'lsp')
        for (const c of this.clients)
          if (this.net.wanted.has(SimNetwork.pair(c.nodeId, node.nodeId))) await this.connect(c);
      if (node.role === 'client' && this.net.wanted.has(SimNetwork.pair(node.nodeId, this.lsp.nodeId)))
        await this.connect(node);
    }
    await this.drive();
  }

  /** Every message delivered from `from` (or anyone) of `type`. */
  messages(type: string, from?: RoleNode): Delivery[] {
    return this.net.delivered.filter(
      (d) => d.message.type === type && (from === undefined || d.from === from.nodeId),
    );
  }

  async close(): Promise<void> {
    for (const n of this.all()) {
      if (!n.down) await n.store.close().catch(() => {});
      rmSync(n.dir, { recursive: true, force: true });
    }
  }
}
