// The world every `--breach` scene starts from: an LSP and 4 clients, each with its own keys and
// SQLite store, over Noise on 127.0.0.1 (as in the main demo), with their embedded watchtowers
// (each a fee wallet of its own), and one factory open. Scenes 2 and 3 run a cheating LSP without a
// tower and stop and restore clients (nodes and towers) from their stores.
import { join } from 'node:path';
import { Client, type ClientCommand, decodeClientEvent } from '@superscalar/client';
import { ClientNode } from '@superscalar/client/node';
import { Bip86Account, generateMnemonic, Keychain, mnemonicToSeed } from '@superscalar/keys';
import { decodeLspEvent, Lsp, type LspCommand } from '@superscalar/lsp';
import { LspNode } from '@superscalar/lsp/node';
import type { Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { Wallet } from '@superscalar/wallet';
import type { TowerEvent } from '@superscalar/watchtower';
import type { DemoChain } from './chain.js';
import {
  CHANNEL_SATS,
  CLIENT_BALANCE_SATS,
  CLIENTS_PER_FACTORY,
  demoPlan,
  type FactoryPlan,
} from './plan.js';
import { fmt, inMempool, pump, type Run, rolePorts } from './run.js';

/** A client of a breach scene (its node restarts over the same store path). */
export interface BreachClient {
  readonly n: number;
  readonly name: string;
  readonly keychain: Keychain;
  readonly dbPath: string;
  store: Store;
  machine: Client;
  node: ClientNode<ClientCommand> | undefined;
}

/** Options of {@link openBreachWorld}. */
export interface BreachWorldOptions {
  readonly chain: DemoChain;
  /** The scene's run: its directory, logger, journal, stoppers (run at its end), pumps and steps. */
  readonly run: Run;
  /** Every tower event, with the role whose tower sent it (`lsp`, `client 1`, …). */
  readonly onTowerEvent: (role: string, e: TowerEvent) => void;
  /** The LSP's tower: its fee coin (sats), or false for none (a cheating LSP). */
  readonly lspTower: bigint | false;
  /** One fee coin (sats) for each client's tower, or 0 for none. */
  readonly clientTowerFee: bigint;
}

/** What {@link openBreachWorld} started. */
export interface BreachWorld {
  readonly plan: FactoryPlan;
  readonly mine: (n?: number) => Promise<void>;
  readonly lsp: LspNode<LspCommand>;
  readonly lspMachine: Lsp;
  readonly lspKeys: Keychain;
  readonly lspStore: Store;
  readonly clients: BreachClient[];
  /** (Re)starts a client's node over its store and machine. */
  readonly startClient: (r: BreachClient) => Promise<ClientNode<ClientCommand>>;
  /** Stops a client's node (and its tower); its store is closed. */
  readonly stopClient: (r: BreachClient) => Promise<void>;
  /** Restores a stopped client from its store and starts it again. */
  readonly restoreClient: (r: BreachClient) => Promise<void>;
  readonly funded: { readonly factoryId: string; readonly txid: string };
}

/** Starts the LSP and its 4 clients and opens their factory (see the module doc). */
export async function openBreachWorld(o: BreachWorldOptions): Promise<BreachWorld> {
  const c = o.chain;
  const control = c.control;
  const { journal, logger, step, timeout } = o.run;
  const { dir, stops } = o.run;
  const pumps = o.run.pumps.signal;
  const mine = async (n = 1): Promise<void> => {
    await control.mine(n);
    await c.pollAll();
  };
  const plan = demoPlan(await control.feeRate('presigned'));
  step('chain', `${c.description} at height ${await c.height()}`);

  // Keys, stores and the LSP's wallet, as in the main demo (one factory of 4 clients).
  const lspSeed = mnemonicToSeed(generateMnemonic());
  const lspKeys = Keychain.fromSeed(lspSeed, { network: 'regtest' });
  const lspStore = await openSqliteStore({
    path: join(dir, 'lsp.db'),
    sealingKey: lspKeys.storeSealingKey(),
  });
  if ((await c.height()) < 101) await control.mine(101);
  const created = Wallet.create({
    account: Bip86Account.fromSeed(lspSeed, { network: 'regtest' }),
    birthHeight: (await c.height()) + 1,
  });
  const wallet = created.wallet;
  const address = wallet.newAddress();
  await lspStore.applyUpdate({ id: 1n, ops: [...created.ops, ...address.ops] });
  await control.fund(address.script, plan.amount + 50_000n);

  const tip = await c.height();
  const ports = rolePorts(tip);
  const lspMachine = Lsp.create({
    keychain: lspKeys,
    wallet,
    network: 'regtest',
    policy: plan.policy,
    logger,
  });
  // The LSP's embedded tower (the default) has a fee wallet on a BIP86 account of its own, here
  // account 1 of the LSP's seed; a cheating LSP runs none.
  const lsp = await LspNode.start<LspCommand>({
    machine: lspMachine,
    nodeSecret: lspKeys.nodeIdentity().secretKey,
    network: 'regtest',
    store: lspStore,
    chain: ports(c.backendFor('lsp'), c.followerFor('lsp')),
    wallet,
    listen: { host: '127.0.0.1', port: 0 },
    limits: { perIpPerMinute: 40, maxHandshakesPerIp: 8, maxConcurrentHandshakes: 64 },
    tower:
      o.lspTower === false
        ? false
        : {
            account: Bip86Account.fromSeed(lspSeed, { network: 'regtest', account: 1 }),
            onEvent: (e) => o.onTowerEvent('lsp', e),
          },
    logger,
    onFailure: (e) => journal.fail(e),
  });
  stops.push(() => lsp.stop());
  void pump('lsp', lsp, decodeLspEvent, journal, pumps);
  const funding: string[] = [];
  if (o.lspTower !== false) {
    const t = lsp.tower;
    if (t === undefined) throw new Error('the LSP runs no tower');
    const a = await t.feeAddress();
    await control.fund(a.script, o.lspTower);
    funding.push(`the LSP's ${fmt(o.lspTower)} sats at ${a.address}`);
  }
  step(
    'lsp',
    `listening on ${lsp.connectString}; ${o.lspTower === false ? 'it runs NO watchtower (it is about to cheat)' : "its watchtower runs embedded (the LSP's store and follower)"}`,
  );

  const clients: BreachClient[] = [];
  for (let i = 0; i < CLIENTS_PER_FACTORY; i++) {
    const keychain = Keychain.fromMnemonic(generateMnemonic(), { network: 'regtest' });
    const dbPath = join(dir, `client-${i + 1}.db`);
    const store = await openSqliteStore({ path: dbPath, sealingKey: keychain.storeSealingKey() });
    const machine = Client.create({ keychain, network: 'regtest', lspNodeId: lsp.nodeId, logger });
    clients.push({ n: i + 1, name: `client ${i + 1}`, keychain, dbPath, store, machine, node: undefined });
  }
  const startClient = async (r: BreachClient): Promise<ClientNode<ClientCommand>> => {
    const node = await ClientNode.start<ClientCommand>({
      machine: r.machine,
      nodeSecret: r.keychain.nodeIdentity().secretKey,
      network: 'regtest',
      store: r.store,
      lsp: lsp.connectString,
      chain: ports(c.backendFor(r.name), c.followerFor(r.name)),
      backoff: { initialDelayMs: 50, maxDelayMs: 1_000 },
      tower: { onEvent: (e) => o.onTowerEvent(r.name, e) },
      logger,
      onFailure: (e) => journal.fail(e),
    });
    r.node = node;
    void pump(r.name, node, decodeClientEvent, journal, pumps);
    return node;
  };
  const stopClient = async (r: BreachClient): Promise<void> => {
    const node = r.node;
    r.node = undefined;
    await node?.stop();
  };
  const restoreClient = async (r: BreachClient): Promise<void> => {
    r.store = await openSqliteStore({ path: r.dbPath, sealingKey: r.keychain.storeSealingKey() });
    r.machine = Client.restore({
      blobs: await r.store.list('blobs'),
      keychain: r.keychain,
      network: 'regtest',
      lspNodeId: lsp.nodeId,
      logger,
    });
    await startClient(r);
  };
  stops.push(async () => {
    for (const r of clients) await stopClient(r);
  });
  for (const r of clients) await startClient(r);
  if (o.clientTowerFee > 0n) {
    for (const r of clients) {
      const t = r.node?.tower;
      if (t === undefined) throw new Error(`${r.name} runs no tower`);
      await control.fund((await t.feeAddress()).script, o.clientTowerFee);
    }
    funding.push(`each client's ${fmt(o.clientTowerFee)} sats`);
  }
  await c.pollAll();
  await mine(1); // the towers' fee coins confirm (CPFP children spend confirmed coins only)
  step('towers', `every role's tower has a fee wallet of its own; funded: ${funding.join(', ') || 'none'}`);

  // The factory: register, ceremony (funding last), one block.
  await Promise.all(clients.map((r) => r.node?.whenConnected()));
  await Promise.all(
    clients.map((r) =>
      r.node?.command({ type: 'register', capacity: CHANNEL_SATS, balance: CLIENT_BALANCE_SATS }),
    ),
  );
  const funded = await journal.until(
    () => journal.lsp('FactoryFunded')[0],
    'the factory to be funded',
    timeout,
  );
  await inMempool(control, funded.txid, timeout);
  await mine(1);
  await journal.until(
    () => (journal.clients('FactoryOpen').length === CLIENTS_PER_FACTORY ? true : undefined),
    'the factory to be open',
    timeout,
  );
  step(
    'open',
    `factory ${funded.factoryId.slice(0, 8)}… funded (${funded.txid}) and open: 4 channels of ${fmt(CHANNEL_SATS)} sats, each client holding ${fmt(CLIENT_BALANCE_SATS)}`,
  );
  return {
    plan,
    mine,
    lsp,
    lspMachine,
    lspKeys,
    lspStore,
    clients,
    startClient,
    stopClient,
    restoreClient,
    funded: { factoryId: funded.factoryId, txid: funded.txid },
  };
}
