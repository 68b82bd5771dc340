import { join } from 'node:path';
import type { ChainBackend } from '@superscalar/chain';
import { Client, type ClientCommand, decodeClientEvent, type ExitEvent } from '@superscalar/client';
import { ClientNode } from '@superscalar/client/node';
import { fromHex, type LogLevel, toHex } from '@superscalar/core';
import { tDist as tDistOf } from '@superscalar/factory-tree';
import { Bip86Account, generateMnemonic, Keychain, mnemonicToSeed } from '@superscalar/keys';
import { decodeLspEvent, Lsp, type LspCommand } from '@superscalar/lsp';
import { LspNode } from '@superscalar/lsp/node';
import type { Op, Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { Wallet } from '@superscalar/wallet';
import { bitcoindChain, type DemoChain, simChain } from './chain.js';
import type { Journal } from './journal.js';
import { CHANNEL_SATS, CLIENT_BALANCE_SATS, CLIENTS_PER_FACTORY, demoPlan } from './plan.js';
import { endRun, fmt, inMempool, pump, rolePorts, startRun } from './run.js';

/** The unilateral scenes. */
export type SceneName = 'force-close' | 'timeout' | 'distribution';

/** Short regtest timeouts for the scenes (T_dist = proposal height + 40). */
export const SCENE_TIMEOUTS = { activeBlocks: 20, dyingBlocks: 10 } as const;

/** One exit step as the scene reports it. */
export interface SceneStep {
  /** `lsp` or `client N`. */
  readonly role: string;
  readonly step: string;
  readonly kind: string;
  readonly label: string;
  readonly txid: string;
  /** The transaction as the chain holds it (hex). */
  readonly raw: string;
  /** Tip at its first broadcast, and the block that confirmed it. */
  readonly broadcastAt: number;
  readonly confirmedAt: number;
  /** Re-bumps before it confirmed (a new CPFP child each block). */
  readonly bumps: number;
  readonly childTxid?: string;
  /** What its owner received, for a claim or recovery. */
  readonly amount?: number;
}

/** The `--json` document of a scene. */
export interface SceneReport {
  readonly ok: true;
  readonly scene: SceneName;
  readonly chain: { readonly kind: 'simchain' | 'bitcoind'; readonly description: string };
  readonly factory: {
    readonly factoryId: string;
    readonly proposalHeight: number;
    readonly fundingTxid: string;
    readonly fundingHeight: number;
    readonly amount: number;
    readonly T: number;
    readonly tDist: number;
    readonly toSelfDelay: number;
    readonly lStockCsv: number;
    readonly dw: { readonly K: number; readonly S: number };
    /** Client index (1-based, as printed) → its index in the proposal's `clients`. */
    readonly clients: { readonly client: number; readonly clientIndex: number; readonly capacity: number }[];
  };
  /** Every exit step that confirmed, in confirmation order. */
  readonly steps: SceneStep[];
  /** Each role's `ExitCompleted`. */
  readonly completed: { readonly role: string; readonly height: number; readonly claimed: number }[];
  readonly totalMs: number;
}

interface Role {
  readonly name: string;
  readonly keychain: Keychain;
  readonly wallet: Wallet;
  readonly store: Store;
  machine: Client | undefined;
  node: ClientNode<ClientCommand> | undefined;
}

/**
 * Runs one scene end to end; `print` gets each human line (none when undefined).
 *
 * @throws {Error} a step failed or timed out (everything started is stopped first).
 */
export async function runScene(
  scene: SceneName,
  o: { readonly regtest: boolean; readonly logLevel?: LogLevel },
  print?: (line: string) => void,
): Promise<SceneReport> {
  const run = startRun(o, scene, print);
  const { now, step: say, logger, timeout, dir, journal, stops, pumps } = run;
  let chain: DemoChain | undefined;
  try {
    chain = o.regtest ? await bitcoindChain() : simChain();
    const control = chain.control;
    const plan = demoPlan(await control.feeRate('presigned'));
    say('chain', `${chain.description} at height ${await chain.height()}; scene --${scene}`);
    if ((await chain.height()) < 101) await control.mine(101);
    const birth = (await chain.height()) + 1;
    const open = (name: string, keys: Keychain): Promise<Store> =>
      openSqliteStore({ path: join(dir, `${name}.db`), sealingKey: keys.storeSealingKey() });
    // Every role: a fresh mnemonic, a store, and a BIP86 wallet (the LSP's funds the factory; each
    // client's holds two fee coins for its exits' CPFP children and receives its claims).
    const makeRole = async (name: string, coins: bigint[]): Promise<Role> => {
      const seed = mnemonicToSeed(generateMnemonic());
      const keychain = Keychain.fromSeed(seed, { network: 'regtest' });
      const store = await open(name, keychain);
      const created = Wallet.create({
        account: Bip86Account.fromSeed(seed, { network: 'regtest' }),
        birthHeight: birth,
      });
      const ops: Op[] = [...created.ops];
      const addresses = coins.map(() => {
        const a = created.wallet.newAddress();
        ops.push(...a.ops);
        return a;
      });
      await store.applyUpdate({ id: 1n, ops });
      for (const [i, a] of addresses.entries()) await control.fund(a.script, coins[i] as bigint);
      return { name, keychain, wallet: created.wallet, store, machine: undefined, node: undefined };
    };
    const lspRole = await makeRole('lsp', [plan.amount + 50_000n]);
    const clients: Role[] = [];
    for (let i = 1; i <= CLIENTS_PER_FACTORY; i++)
      clients.push(await makeRole(`client ${i}`, [100_000n, 100_000n]));
    say(
      'wallets',
      `the LSP's wallet holds ${fmt(plan.amount + 50_000n)} sats; each client's two fee coins of 100,000 sats`,
    );

    const tip = await chain.height();
    const ports = rolePorts(tip);
    const lspMachine = Lsp.create({
      keychain: lspRole.keychain,
      wallet: lspRole.wallet,
      network: 'regtest',
      // --force-close keeps the demo's long timeouts (the other clients stay in); the others shorten them.
      policy: scene === 'force-close' ? plan.policy : { ...plan.policy, ...SCENE_TIMEOUTS },
      logger,
    });
    const lsp = await LspNode.start<LspCommand>({
      machine: lspMachine,
      nodeSecret: lspRole.keychain.nodeIdentity().secretKey,
      network: 'regtest',
      store: lspRole.store,
      chain: ports(chain.backendFor('lsp'), chain.followerFor('lsp')),
      wallet: lspRole.wallet,
      listen: { host: '127.0.0.1', port: 0 },
      limits: { perIpPerMinute: 40, maxHandshakesPerIp: 8, maxConcurrentHandshakes: 64 },
      logger,
      onFailure: (e) => journal.fail(e),
    });
    stops.push(() => lsp.stop());
    void pump('lsp', lsp, decodeLspEvent, journal, pumps.signal);
    for (const c of clients) {
      c.machine = Client.create({
        keychain: c.keychain,
        network: 'regtest',
        lspNodeId: lsp.nodeId,
        wallet: c.wallet,
        logger,
      });
      const node = await ClientNode.start<ClientCommand>({
        machine: c.machine,
        nodeSecret: c.keychain.nodeIdentity().secretKey,
        network: 'regtest',
        store: c.store,
        lsp: lsp.connectString,
        chain: ports((chain as DemoChain).backendFor(c.name), (chain as DemoChain).followerFor(c.name)),
        wallet: c.wallet,
        backoff: { initialDelayMs: 50, maxDelayMs: 1_000 },
        logger,
        onFailure: (e) => journal.fail(e),
      });
      c.node = node;
      stops.push(() => node.stop());
      void pump(c.name, node, decodeClientEvent, journal, pumps.signal);
    }
    await chain.pollAll();
    await Promise.all(clients.map((c) => c.node?.whenConnected()));

    // The factory: registered, signed, funded, open (as in the default demo).
    await Promise.all(
      clients.map((c) =>
        c.node?.command({ type: 'register', capacity: CHANNEL_SATS, balance: CLIENT_BALANCE_SATS }),
      ),
    );
    const funded = await journal.until(
      () => journal.lsp('FactoryFunded')[0],
      'the factory to be funded',
      timeout,
    );
    await inMempool(control, funded.txid, timeout);
    await control.mine(1);
    await chain.pollAll();
    await journal.until(
      () => (journal.clients('FactoryOpen').length === CLIENTS_PER_FACTORY ? true : undefined),
      'every channel to be open',
      timeout,
    );
    const info = lspMachine.factory(funded.factoryId);
    if (info === undefined) throw new Error('the LSP forgot its factory');
    const p = info.proposal;
    const tDist = tDistOf(p);
    const roleOf = new Map<string, number>(); // node id → client number
    for (const [i, c] of clients.entries()) roleOf.set((c.machine as Client).nodeId, i + 1);
    const clientIndexOf = (c: Role): number => info.participants.indexOf((c.machine as Client).nodeId);
    say(
      'open',
      `factory ${funded.factoryId.slice(0, 8)}…: funding ${funded.txid} confirmed at ${info.fundingConfirmedAt}; ${info.channels.length} channels of ${fmt(CHANNEL_SATS)} sats, each client ${fmt(CLIENT_BALANCE_SATS)}`,
    );
    say(
      'timeouts',
      `T_dist ${tDist}, T ${p.T} (T_k = T − ${p.timeoutStep}·k), DW K ${p.dw.K} S ${p.dw.S}, toSelfDelay ${p.toSelfDelay}, lStockCsv ${p.lStockCsv}`,
    );

    // Live lines: every exit event of every role.
    journal.onEntry((entry) => {
      const e = entry.event as ExitEvent | { kind: string };
      if (!e.kind.startsWith('Exit')) return;
      const x = e as ExitEvent;
      const who = entry.role;
      switch (x.kind) {
        case 'ExitStarted':
          say(
            'exit',
            `${who}: exit started at height ${x.height} (${x.reason}), ${x.steps} transactions planned`,
          );
          break;
        case 'ExitStepBroadcast':
          say(
            x.bump === 0 ? 'broadcast' : 're-bump',
            `${who}: ${x.label} ${x.txid} at tip ${x.height}${x.childTxid === undefined ? '' : ` + CPFP child ${x.childTxid.slice(0, 12)}… at ${fmt(x.feeRate)} sat/kvB`}${x.bump > 0 ? ` (bump ${x.bump})` : ''}`,
          );
          break;
        case 'ExitStepConfirmed':
          say('confirm', `${who}: ${x.label} ${x.txid} confirmed in block ${x.height}`);
          break;
        case 'ExitStepLost':
          say('lost', `${who}: ${x.label} ${x.txid}: ${x.reason}`);
          break;
        case 'ExitClaimed':
          say('claimed', `${who}: ${fmt(x.amount)} sats by ${x.label} (block ${x.height})`);
          break;
        case 'ExitCompleted':
          say(
            'done',
            `${who}: exit complete at height ${x.height}: ${fmt(x.claimed)} sats claimed, ${x.confirmed} transactions confirmed`,
          );
          break;
      }
    });

    // The scene.
    const first = clients[0] as Role;
    const waitFor: string[] = [];
    if (scene === 'force-close') {
      await first.node?.command({ type: 'force_close', factoryId: fromHex(funded.factoryId) });
      waitFor.push(first.name);
    } else if (scene === 'timeout') {
      await first.node?.command({ type: 'force_close', factoryId: fromHex(funded.factoryId) });
      await settle(journal, control);
      await control.mine(1);
      await chain.pollAll();
      await settle(journal, control);
      for (const c of clients) {
        await c.node?.stop();
        c.node = undefined;
      }
      say('vanish', 'every client goes offline for good after the root kickoff confirmed');
      waitFor.push('lsp');
    } else {
      for (const c of clients) waitFor.push(c.name);
    }
    const done = (): boolean =>
      waitFor.every((r) => journal.entries.some((e) => e.role === r && e.event.kind === 'ExitCompleted'));
    // The LSP's recoveries of a force-close end with its L-stock and to_remote claims.
    const lspDone = (): boolean =>
      scene !== 'force-close' ||
      journal.entries.filter((e) => e.role === 'lsp' && e.event.kind === 'ExitClaimed').length >= 2;
    for (let i = 0; i < 400 && !(done() && lspDone()); i++) {
      await settle(journal, control);
      await control.mine(1);
      await chain.pollAll();
    }
    await settle(journal, control);
    if (!done()) throw new Error(`the ${scene} scene did not complete`);

    // The report: every confirmed step with its raw transaction read back from the chain.
    const steps: SceneStep[] = [];
    for (const e of journal.entries) {
      const x = e.event as ExitEvent;
      if (x.kind !== 'ExitStepConfirmed') continue;
      const sent = journal.entries
        .map((y) => y.event as ExitEvent)
        .filter(
          (y): y is Extract<ExitEvent, { kind: 'ExitStepBroadcast' }> =>
            y.kind === 'ExitStepBroadcast' && y.txid === x.txid,
        );
      const claimed = journal.entries
        .map((y) => y.event as ExitEvent)
        .find(
          (y): y is Extract<ExitEvent, { kind: 'ExitClaimed' }> =>
            y.kind === 'ExitClaimed' && y.txid === x.txid,
        );
      if (steps.some((s) => s.txid === x.txid)) continue; // every role watching it saw it confirm
      // The step is its broadcaster's (the first role that sent it), not a watcher's.
      const by = journal.entries.find(
        (y) => y.event.kind === 'ExitStepBroadcast' && (y.event as { txid: string }).txid === x.txid,
      );
      const claimant = journal.entries.find(
        (y) => y.event.kind === 'ExitClaimed' && (y.event as { txid: string }).txid === x.txid,
      );
      const onChain = await control.getTransaction(x.txid);
      const last = sent[sent.length - 1];
      steps.push({
        role: by?.role ?? claimant?.role ?? e.role,
        step: x.step,
        kind: x.stepKind,
        label: x.label,
        txid: x.txid,
        raw: toHex(onChain.tx),
        broadcastAt: sent[0]?.height ?? -1,
        confirmedAt: onChain.confirmation?.height ?? x.height,
        bumps: last?.bump ?? 0,
        ...(last?.childTxid === undefined ? {} : { childTxid: last.childTxid }),
        ...(claimed === undefined ? {} : { amount: Number(claimed.amount) }),
      });
    }
    const completed = journal.entries
      .filter((e) => e.event.kind === 'ExitCompleted')
      .map((e) => {
        const x = e.event as Extract<ExitEvent, { kind: 'ExitCompleted' }>;
        return { role: e.role, height: x.height, claimed: Number(x.claimed) };
      });
    pumps.abort();
    await Promise.all(stops.splice(0).map((s) => s()));
    const totalMs = now();
    say('end', `--${scene}: ${steps.length} transactions confirmed in ${(totalMs / 1000).toFixed(2)} s`);
    return {
      ok: true,
      scene,
      chain: { kind: chain.kind, description: chain.description },
      factory: {
        factoryId: funded.factoryId,
        proposalHeight: p.proposalHeight,
        fundingTxid: funded.txid,
        fundingHeight: info.fundingConfirmedAt ?? -1,
        amount: Number(p.funding.amount),
        T: p.T,
        tDist,
        toSelfDelay: p.toSelfDelay,
        lStockCsv: p.lStockCsv,
        dw: { K: p.dw.K, S: p.dw.S },
        clients: clients.map((c, i) => ({
          client: i + 1,
          clientIndex: clientIndexOf(c),
          capacity: Number(p.clients[clientIndexOf(c)]?.capacity ?? 0n),
        })),
      },
      steps,
      completed,
      totalMs,
    };
  } finally {
    await endRun(run, chain);
  }
}

/** Waits until the journal is quiet and every package broadcast so far reached the chain. */
async function settle(journal: Journal, chain: ChainBackend): Promise<void> {
  let seen = -1;
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const sent = journal.entries
      .map((e) => e.event as ExitEvent)
      .filter((e): e is Extract<ExitEvent, { kind: 'ExitStepBroadcast' }> => e.kind === 'ExitStepBroadcast');
    let pending = false;
    for (const s of sent.slice(-8)) if (!(await hasTx(chain, s.txid))) pending = true;
    if (!pending && journal.entries.length === seen) return;
    seen = journal.entries.length;
  }
}

async function hasTx(chain: ChainBackend, txid: string): Promise<boolean> {
  try {
    await chain.getTransaction(txid);
    return true;
  } catch {
    return false;
  }
}
