// The demo itself: an LSP and N clients (4 per factory), each with its own keychain (a fresh random
// mnemonic) and its own SQLite store, over Noise connections on 127.0.0.1, on one chain every role
// follows through its own BlockFollower. It funds the factories, opens their channels, makes payments
// between the clients through the LSP with BOLT 11 invoices (four in each factory, one across
// factories when there are two or more), closes the factories cooperatively on the final balances,
// and reports every step, txid, payment, balance and the time taken.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ChainBackend, decodeTx } from '@superscalar/chain';
import { Client, type ClientCommand, decodeClientEvent } from '@superscalar/client';
import { ClientNode } from '@superscalar/client/node';
import { fromHex, type LogLevel, toHex } from '@superscalar/core';
import { Bip86Account, generateMnemonic, Keychain, mnemonicToSeed } from '@superscalar/keys';
import { decodeLspEvent, Lsp, type LspCommand } from '@superscalar/lsp';
import { LspNode } from '@superscalar/lsp/node';
import type { Op, Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { scriptToAddress, Wallet } from '@superscalar/wallet';
import { bitcoindChain, type DemoChain, simChain } from './chain.js';
import {
  type ChannelBalances,
  CROSS_FACTORY_SATS,
  channelBalances,
  FACTORY_PAYMENTS,
  type PaymentContext,
  type PaymentReport,
  pay,
} from './payments.js';
import {
  CHANNEL_SATS,
  CLIENT_BALANCE_SATS,
  CLIENTS_PER_FACTORY,
  demoPlan,
  type FactoryPlan,
  ROUTABLE_REGTEST,
} from './plan.js';
import { endRun, fmt, inMempool, pump, rolePorts, type StepRecord, startRun } from './run.js';

/** What the demo is asked to do. */
export interface DemoOptions {
  /** Clients in all (a multiple of 4; 4 per factory). */
  readonly clients: number;
  /** A throwaway bitcoind instead of the embedded SimChain. */
  readonly regtest: boolean;
  /** Keep the stores (and the roles' mnemonics) instead of removing the temp directory. */
  readonly keep: boolean;
  /** Role logs on stderr at this level (default none). */
  readonly logLevel?: LogLevel;
}

/** One channel at open, as both ends see it (sats). */
export interface ChannelReport {
  readonly client: number;
  /** Its position in the factory (c0…c3 of the payments). */
  readonly clientIndex: number;
  readonly nodeId: string;
  readonly channelId: string;
  readonly capacity: number;
  /** The LSP's view (its current commitment). */
  readonly lspView: { readonly lspBalance: number; readonly clientBalance: number };
  /** The client's view (its current commitment). */
  readonly clientView: { readonly lspBalance: number; readonly clientBalance: number };
  /** The client's close address for this factory (P2TR) and its script (hex). */
  readonly closeAddress: string;
  readonly closeScript: string;
}

/** One factory from proposal to open (and close). */
export interface FactoryReport {
  readonly factoryId: string;
  readonly factoryIndex: number;
  readonly amount: number;
  readonly proposalHeight: number;
  readonly treeTxs: number;
  /** The funding transaction as the chain holds it (`raw`: hex, for anyone to check). */
  readonly funding: {
    readonly txid: string;
    readonly vout: number;
    readonly raw: string;
    readonly height: number;
    readonly confirmations: number;
  };
  readonly clients: number[];
  readonly channels: ChannelReport[];
  /** Every channel's balances at both ends after the payments, when the close began (msat). */
  readonly balancesAtClose: ChannelBalances[];
  /** The cooperative close, confirmed. */
  readonly close: CloseReport;
}

/** A factory's cooperative close as the chain holds it (`raw`: hex) and as the LSP reported it. */
export interface CloseReport {
  readonly txid: string;
  readonly raw: string;
  readonly height: number;
  readonly confirmations: number;
  /** The signed attempt that confirmed (a retry or fee bump would be 2, 3…). */
  readonly attempt: number;
  readonly closeFeeRate: number;
  readonly fee: number;
  /** What the LSP's own output got (its balances plus the L-stocks, minus the fee). */
  readonly lspAmount: number;
  /** Each output: whom it pays (`client 3`, `lsp`) and how much. */
  readonly outputs: { readonly owner: string; readonly address: string; readonly value: number }[];
  /**
   * Each client's balance at the close (whole sats of its channel balance after the payments: the
   * close pays whole sats, the LSP's output takes the remainders) and what its own close address
   * received.
   */
  readonly clients: { readonly client: number; readonly balance: number; readonly paid: number }[];
}

/** The demo's result: the `--json` document. */
export interface DemoReport {
  readonly ok: true;
  readonly chain: { readonly kind: 'simchain' | 'bitcoind'; readonly description: string };
  readonly parameters: {
    readonly clients: number;
    readonly factories: number;
    readonly clientsPerFactory: number;
    readonly factoryAmount: number;
    readonly channelCapacity: number;
    readonly clientBalance: number;
    readonly tree: number;
    readonly leaves: number;
    readonly lStockPerLeaf: number;
    readonly treeFeeRate: number;
    readonly shape: FactoryPlan['shape'];
    readonly activeBlocks: number;
    readonly dyingBlocks: number;
    readonly htlcBudget: number;
  };
  readonly lsp: {
    readonly nodeId: string;
    readonly connectString: string;
    readonly walletFunding: { readonly txid: string; readonly vout: number; readonly amount: number }[];
  };
  readonly clients: { readonly client: number; readonly nodeId: string }[];
  readonly factories: FactoryReport[];
  /** The payments between open and close, in the order they completed. */
  readonly payments: PaymentReport[];
  readonly steps: StepRecord[];
  /** Every role's events in the order the demo drained them. */
  readonly events: {
    readonly role: string;
    readonly kind: string;
    readonly factoryId?: string;
    /** Payment events: the payment they are about. */
    readonly paymentHash?: string;
    readonly atMs: number;
  }[];
  readonly timings: { readonly totalMs: number; readonly phasesMs: Record<string, number> };
  readonly dataDir: string;
  readonly kept: boolean;
}

const sats = (msat: bigint): number => Number(msat / 1000n);
/** msat as sats, with the fraction when there is one (`8,998.9`). */
const msatToSats = (msat: number): string =>
  (msat / 1000).toLocaleString('en-US', { maximumFractionDigits: 3 });
const short = (hex: string): string => `${hex.slice(0, 8)}…${hex.slice(-4)}`;

interface ClientRole {
  readonly n: number;
  readonly name: string;
  readonly keychain: Keychain;
  readonly machine: Client;
  node: ClientNode<ClientCommand> | undefined;
}

/**
 * Runs the demo. `print` gets each human line as it happens (nothing is printed when it is undefined).
 *
 * @throws {Error} a step failed or timed out (everything started is stopped first).
 */
export async function runDemo(o: DemoOptions, print?: (line: string) => void): Promise<DemoReport> {
  if (
    !Number.isInteger(o.clients) ||
    o.clients < CLIENTS_PER_FACTORY ||
    o.clients % CLIENTS_PER_FACTORY !== 0
  )
    throw new Error(`--clients must be a positive multiple of ${CLIENTS_PER_FACTORY}, got ${o.clients}`);
  const run = startRun(o, 'demo', print);
  const { now, steps, step, detail, logger, timeout, dir, journal, stops, pumps } = run;
  const phases: Record<string, number> = {};
  let phaseStart = 0;
  const phase = (name: string): void => {
    const t = performance.now() - run.start;
    phases[name] = Math.round(t - phaseStart);
    phaseStart = t;
  };
  const factories = o.clients / CLIENTS_PER_FACTORY;

  let chain: DemoChain | undefined;
  try {
    // 1. The chain.
    chain = o.regtest ? await bitcoindChain() : simChain();
    const control = chain.control;
    const plan = demoPlan(await control.feeRate('presigned'));
    step('chain', `${chain.description} at height ${await chain.height()}`);
    step(
      'plan',
      `${factories} ${factories === 1 ? 'factory' : 'factories'} of ${CLIENTS_PER_FACTORY} clients: ${fmt(plan.amount)} sats = tree ${fmt(plan.tree)} (channels ${CLIENTS_PER_FACTORY} × ${fmt(CHANNEL_SATS)}, ${plan.treeTxs} transactions' anchors and fees at ${fmt(plan.treeFeeRate)} sat/kvB) + L-stock ${plan.leaves} × ${fmt(plan.lStockPerLeaf)}`,
    );
    detail(
      `shape: leaf arity ${plan.shape.leafArity}, level arity [${plan.shape.levelArity.join(', ')}], ${plan.shape.staticLevels} static level(s); activeBlocks ${ROUTABLE_REGTEST.activeBlocks}, dyingBlocks ${ROUTABLE_REGTEST.dyingBlocks}, htlcBudget ${ROUTABLE_REGTEST.htlcBudget}`,
    );
    phase('chain');

    // 2. Keys and stores: a fresh mnemonic per role, a SQLite store per role sealed by its keychain.
    const lspMnemonic = generateMnemonic();
    const lspSeed = mnemonicToSeed(lspMnemonic);
    const lspKeys = Keychain.fromSeed(lspSeed, { network: 'regtest' });
    const account = Bip86Account.fromSeed(lspSeed, { network: 'regtest' });
    const clientMnemonics = Array.from({ length: o.clients }, () => generateMnemonic());
    const clientKeys = clientMnemonics.map((m) => Keychain.fromMnemonic(m, { network: 'regtest' }));
    if (o.keep) {
      mkdirSync(join(dir, 'mnemonics'), { mode: 0o700 });
      writeFileSync(join(dir, 'mnemonics', 'lsp.txt'), `${lspMnemonic}\n`, { mode: 0o600 });
      for (const [i, m] of clientMnemonics.entries())
        writeFileSync(join(dir, 'mnemonics', `client-${i + 1}.txt`), `${m}\n`, { mode: 0o600 });
    }
    const open = (name: string, keys: Keychain): Promise<Store> =>
      openSqliteStore({ path: join(dir, `${name}.db`), sealingKey: keys.storeSealingKey() });
    const lspStore = await open('lsp', lspKeys);
    const clientStores = await Promise.all(clientKeys.map((k, i) => open(`client-${i + 1}`, k)));
    step('keys', `${o.clients + 1} fresh BIP39 mnemonics and SQLite stores in ${dir}`);
    phase('keys');

    // 3. The LSP's wallet: BIP86 coins, one per factory (each funding needs a confirmed coin of its
    // own: the previous funding's change is unconfirmed). Its records go into its store first. The
    // chain's coinbase maturity (101 blocks) is mined before the wallet is born, so that it follows
    // only the blocks that pay it (one store update per block).
    if ((await chain.height()) < 101) await control.mine(101);
    const birth = (await chain.height()) + 1;
    const created = Wallet.create({ account, birthHeight: birth });
    const wallet = created.wallet;
    const walletOps: Op[] = [...created.ops];
    const addresses = Array.from({ length: factories }, () => {
      const a = wallet.newAddress();
      walletOps.push(...a.ops);
      return a;
    });
    await lspStore.applyUpdate({ id: 1n, ops: walletOps });
    const coin = plan.amount + 50_000n;
    const walletFunding: DemoReport['lsp']['walletFunding'] = [];
    for (const a of addresses) {
      const f = await control.fund(a.script, coin);
      walletFunding.push({ txid: f.txid, vout: f.vout, amount: Number(f.amount) });
      step(
        'wallet',
        `LSP wallet funded: ${fmt(f.amount)} sats to ${a.address} in ${f.txid} (block ${f.height})`,
      );
    }
    phase('wallet');

    // 4. The LSP: its machine (policy: forms a factory of 4 as soon as 4 are registered), listening on
    // 127.0.0.1 (an ephemeral port) with the per-IP limits raised, every client being on loopback.
    const tip = await chain.height();
    const ports = rolePorts(tip);
    const lspBackend = chain.backendFor('lsp');
    const lspMachine = Lsp.create({
      keychain: lspKeys,
      wallet,
      network: 'regtest',
      policy: plan.policy,
      logger,
    });
    const lsp = await LspNode.start<LspCommand>({
      machine: lspMachine,
      nodeSecret: lspKeys.nodeIdentity().secretKey,
      network: 'regtest',
      store: lspStore,
      chain: ports(lspBackend, chain.followerFor('lsp')),
      wallet,
      listen: { host: '127.0.0.1', port: 0 },
      limits: {
        perIpPerMinute: Math.max(10, 4 * o.clients),
        maxHandshakesPerIp: Math.max(2, o.clients),
        maxConcurrentHandshakes: Math.max(64, o.clients),
      },
      logger,
      onFailure: (e) => journal.fail(e),
    });
    stops.push(() => lsp.stop());
    void pump('lsp', lsp, decodeLspEvent, journal, pumps.signal);
    step('lsp', `listening on ${lsp.connectString}`);

    // 5. The clients: each dials the LSP, runs Noise NK against its node id and proves its own
    // identity in `init`.
    const clients: ClientRole[] = clientKeys.map((keychain, i) => ({
      n: i + 1,
      name: `client ${i + 1}`,
      keychain,
      machine: Client.create({ keychain, network: 'regtest', lspNodeId: lsp.nodeId, logger }),
      node: undefined,
    }));
    await Promise.all(
      clients.map(async (c, i) => {
        const backend = chain?.backendFor(c.name) as ChainBackend;
        const node = await ClientNode.start<ClientCommand>({
          machine: c.machine,
          nodeSecret: c.keychain.nodeIdentity().secretKey,
          network: 'regtest',
          store: clientStores[i] as Store,
          lsp: lsp.connectString,
          chain: ports(backend, (chain as DemoChain).followerFor(c.name)),
          backoff: { initialDelayMs: 50, maxDelayMs: 1_000 },
          logger,
          onFailure: (e) => journal.fail(e),
        });
        c.node = node;
        stops.push(() => node.stop());
        void pump(c.name, node, decodeClientEvent, journal, pumps.signal);
      }),
    );
    await chain.pollAll(); // every role (and the LSP's wallet) learns the tip
    await withTimeout(
      Promise.all(clients.map((c) => c.node?.whenConnected())),
      timeout,
      'the clients to connect',
    );
    await journal.until(
      () => (lsp.peers().length === o.clients ? true : undefined),
      'the LSP to see every client',
      timeout,
    );
    step('connect', `${o.clients} clients connected over Noise NK on 127.0.0.1, identities proven in init`);
    phase('start');

    // 6. Live lines for the ceremony, from the LSP's events (its view is the factory's story).
    const factoryNo = new Map<string, number>();
    const label = (id: string): string => `factory ${factoryNo.get(id) ?? '?'}`;
    journal.onEntry((entry) => {
      if (entry.side !== 'lsp') return;
      const e = entry.event;
      switch (e.kind) {
        case 'FactoryProposed':
          factoryNo.set(e.factoryId, factoryNo.size + 1);
          step(
            'propose',
            `${label(e.factoryId)} ${short(e.factoryId)}: ${e.clients} registrations granted, ${fmt(e.amount)} sats at height ${e.proposalHeight}; funding ${e.fundingTxid} built, not signed`,
          );
          break;
        case 'FactorySigned':
          step(
            'sign',
            `${label(e.factoryId)}: every tree and distribution signature aggregated and verified`,
          );
          break;
        case 'FactoryFunded':
          step(
            'fund',
            `${label(e.factoryId)}: every channel holds commitment 0; funding signed and broadcast ${e.txid}`,
          );
          break;
        case 'FactoryOpen':
          step('open', `${label(e.factoryId)}: funding confirmed in block ${e.height}; factory open`);
          break;
        case 'CloseProposed':
          step(
            'close',
            `${label(e.factoryId)}: every channel quiescent; close proposed (attempt ${e.attempt}) ${e.txid}, fee ${fmt(e.fee)} sats`,
          );
          break;
        case 'CloseSigned':
          step(
            'close',
            `${label(e.factoryId)}: every client checked its own output and signed; signed by all and broadcast ${e.txid}`,
          );
          break;
        case 'FactoryClosed':
          step(
            'closed',
            `${label(e.factoryId)}: close confirmed in block ${e.height}; factory and channels closed`,
          );
          break;
      }
    });

    // 7. Register: capacity 20,000, balance 10,000 each; the LSP forms a factory per 4.
    await Promise.all(
      clients.map((c) =>
        c.node?.command({ type: 'register', capacity: CHANNEL_SATS, balance: CLIENT_BALANCE_SATS }),
      ),
    );
    step(
      'register',
      `${o.clients} clients sent factory_register: channel ${fmt(CHANNEL_SATS)} sats, client balance ${fmt(CLIENT_BALANCE_SATS)} sats (fresh factory key and close address each)`,
    );

    // 8. The ceremony runs on its own (rounds 1–2, channels, commitment 0, then funding).
    const funded = await journal.until(
      () => {
        const f = journal.lsp('FactoryFunded');
        return f.length === factories ? f : undefined;
      },
      'every factory to be funded',
      timeout,
    );
    for (const p of journal.lsp('FactoryProposed'))
      if (p.amount !== plan.amount)
        throw new Error(`the LSP funded ${p.amount} sats, the plan says ${plan.amount}`);
    phase('ceremony');

    // 9. Confirm: wait for each funding in the mempool, mine one block (minimumDepth 1 on regtest),
    // poll every follower.
    for (const f of funded) await inMempool(control, f.txid, timeout);
    await control.mine(1);
    await chain.pollAll();
    await journal.until(
      () =>
        journal.lsp('FactoryOpen').length === factories && journal.clients('FactoryOpen').length === o.clients
          ? true
          : undefined,
      'every factory and channel to be open',
      timeout,
    );
    phase('open');

    // Balances at open, from both ends of every channel.
    const reports: Omit<FactoryReport, 'close' | 'balancesAtClose'>[] = [];
    for (const e of journal.lsp('FactoryOpen')) {
      const info = lspMachine.factory(e.factoryId);
      if (info === undefined) throw new Error(`the LSP forgot ${e.factoryId}`);
      const channels: ChannelReport[] = info.channels.map((ch) => {
        const c = clients.find((x) => x.machine.nodeId === ch.peer) as ClientRole;
        const mine = c.machine.factory(info.factoryId);
        const lb = ch.balances;
        const cb = mine?.channel.balances;
        if (lb === undefined || cb === undefined || mine === undefined)
          throw new Error(`${c.name}: no balances for ${ch.channelId}`);
        const spec = info.proposal.clients[ch.clientIndex];
        return {
          client: c.n,
          clientIndex: ch.clientIndex,
          nodeId: c.machine.nodeId,
          channelId: ch.channelId,
          capacity: Number(spec?.capacity ?? 0n),
          lspView: { lspBalance: sats(lb.lspMsat), clientBalance: sats(lb.clientMsat) },
          clientView: { lspBalance: sats(cb.lspMsat), clientBalance: sats(cb.clientMsat) },
          closeAddress: scriptToAddress(spec?.closeScript ?? new Uint8Array(0), 'regtest') ?? '',
          closeScript: toHex(spec?.closeScript ?? new Uint8Array(0)),
        };
      });
      const onChain = await control.getTransaction(info.fundingTxid);
      const vout = info.proposal.funding.vout;
      reports.push({
        factoryId: info.factoryId,
        factoryIndex: info.factoryIndex,
        amount: Number(info.proposal.funding.amount),
        proposalHeight: info.proposal.proposalHeight,
        treeTxs: plan.treeTxs,
        funding: {
          txid: onChain.txid,
          vout,
          raw: toHex(onChain.tx),
          height: onChain.confirmation?.height ?? -1,
          confirmations: onChain.confirmation?.confirmations ?? 0,
        },
        clients: channels.map((c) => c.client),
        channels,
      });
    }
    for (const f of reports) {
      detail(
        `${label(f.factoryId)}: funding ${f.funding.txid}:${f.funding.vout} (${fmt(f.amount)} sats), ${f.funding.confirmations} confirmation(s) at height ${f.funding.height}`,
      );
      for (const ch of f.channels)
        detail(
          `  client ${ch.client}, channel ${short(ch.channelId)}: client ${fmt(ch.clientView.clientBalance)} / LSP ${fmt(ch.lspView.lspBalance)} of ${fmt(ch.capacity)} sats (both ends agree: ${ch.lspView.clientBalance === ch.clientView.clientBalance && ch.lspView.lspBalance === ch.clientView.lspBalance ? 'yes' : 'NO'})`,
        );
    }

    // 10. Payments (issue 22): in each factory c0→c1 1,000 sats, c2→c0 1,500, c3→c2 2,000, c1→c3
    // 1,000, each with a BOLT 11 invoice the payee issued, handed to the payer in process; the
    // factories pay at once, each factory's payments one after the other. Then, with two factories or
    // more, factory 1's c0 pays factory 2's c0.
    const payCtx: PaymentContext = {
      lsp: lspMachine,
      journal,
      timeoutMs: timeout,
      now,
      factories: reports.map((f) => ({
        factoryId: f.factoryId,
        clients: [...f.channels]
          .sort((a, b) => a.clientIndex - b.clientIndex)
          .map((ch) => clients[ch.client - 1] as ClientRole),
      })),
    };
    const payments: PaymentReport[] = [];
    const record = (p: PaymentReport): void => {
      payments.push(p);
      const proof = createHash('sha256').update(fromHex(p.preimage)).digest('hex');
      if (proof !== p.paymentHash)
        throw new Error(`${p.label}: the preimage ${p.preimage} does not hash to ${p.paymentHash}`);
      const where =
        p.payer.factory === p.payee.factory
          ? `factory ${p.payer.factory}, ${p.label}`
          : `factory ${p.payer.factory} → factory ${p.payee.factory}`;
      step(
        'pay',
        `${where}: client ${p.payer.client} paid client ${p.payee.client} ${fmt(p.amount)} sats (LSP fee ${msatToSats(p.feeMsat)}) in ${p.ms} ms`,
      );
      detail(
        `payment hash ${p.paymentHash} = SHA-256 of the preimage ${short(p.preimage)} the payer got back`,
      );
      for (const n of new Set([p.payer.factory, p.payee.factory])) {
        const f = reports[n - 1] as (typeof reports)[number];
        const agree = p.balances
          .filter((b) => f.channels.some((c) => c.channelId === b.channelId))
          .map((b) => {
            if (
              b.lspView.clientMsat !== b.clientView.clientMsat ||
              b.lspView.lspMsat !== b.clientView.lspMsat
            )
              throw new Error(`client ${b.client}: the ends of ${b.channelId} disagree after ${p.label}`);
            return `client ${b.client} ${msatToSats(b.clientView.clientMsat)} / ${msatToSats(b.clientView.lspMsat)}`;
          });
        detail(`  factory ${n} (client / LSP sats, both ends agree): ${agree.join(' · ')}`);
      }
    };
    for (const planned of FACTORY_PAYMENTS)
      await Promise.all(
        payCtx.factories.map(async (_, k) =>
          record(
            await pay(payCtx, {
              label: `c${planned.from}→c${planned.to}`,
              payer: { factory: k, index: planned.from },
              payee: { factory: k, index: planned.to },
              amount: planned.amount,
            }),
          ),
        ),
      );
    if (factories >= 2)
      record(
        await pay(payCtx, {
          label: 'f1.c0→f2.c0',
          payer: { factory: 0, index: 0 },
          payee: { factory: 1, index: 0 },
          amount: CROSS_FACTORY_SATS,
        }),
      );
    phase('payments');

    // 11. Close cooperatively (brief §6): the LSP quiesces every channel, proposes the close from
    // their balances, every client checks that its own output pays its own close address at least its
    // balance and signs; the LSP signs last, broadcasts; one block confirms it.
    const atClose = new Map(reports.map((f) => [f.factoryId, channelBalances(payCtx, f.factoryId)]));
    for (const f of reports) await lsp.command({ type: 'close_factory', factoryId: fromHex(f.factoryId) });
    const signed = await journal.until(
      () => {
        const last = new Map(journal.lsp('CloseSigned').map((e) => [e.factoryId, e.txid]));
        return last.size === factories ? last : undefined;
      },
      'every close to be signed',
      timeout,
    );
    for (const txid of signed.values()) await inMempool(control, txid, timeout);
    await control.mine(1);
    await chain.pollAll();
    await journal.until(
      () =>
        journal.lsp('FactoryClosed').length === factories &&
        journal.clients('FactoryClosed').length === o.clients
          ? true
          : undefined,
      'every factory to be closed at the LSP and at every client',
      timeout,
    );
    const closes = new Map<string, CloseReport>();
    for (const e of journal.lsp('FactoryClosed')) {
      const f = reports.find((r) => r.factoryId === e.factoryId) as (typeof reports)[number];
      const onChain = await control.getTransaction(e.txid);
      const tx = decodeTx(onChain.tx);
      const owner = (script: string): string => {
        const ch = f.channels.find((c) => c.closeScript === script);
        return ch === undefined ? 'lsp' : `client ${ch.client}`;
      };
      const outputs = tx.outputs.map((out) => ({
        owner: owner(toHex(out.script)),
        address: scriptToAddress(out.script, 'regtest') ?? toHex(out.script),
        value: Number(out.value),
      }));
      const proposed = journal
        .lsp('CloseProposed')
        .find((p) => p.factoryId === e.factoryId && p.attempt === e.attempt);
      const final = atClose.get(e.factoryId) as ChannelBalances[];
      const paid = f.channels.map((ch) => ({
        client: ch.client,
        balance: sats(
          BigInt((final.find((b) => b.channelId === ch.channelId) as ChannelBalances).clientView.clientMsat),
        ),
        paid: outputs.filter((x) => x.owner === `client ${ch.client}`).reduce((a, x) => a + x.value, 0),
      }));
      for (const p of paid)
        if (p.paid < p.balance)
          throw new Error(`${label(e.factoryId)}: client ${p.client} got ${p.paid} < ${p.balance}`);
      closes.set(e.factoryId, {
        txid: onChain.txid,
        raw: toHex(onChain.tx),
        height: onChain.confirmation?.height ?? -1,
        confirmations: onChain.confirmation?.confirmations ?? 0,
        attempt: e.attempt,
        closeFeeRate: proposed?.closeFeeRate ?? 0,
        fee: Number(e.fee),
        lspAmount: Number(e.lspAmount),
        outputs,
        clients: paid,
      });
      detail(
        `${label(e.factoryId)}: close ${onChain.txid}, ${onChain.confirmation?.confirmations ?? 0} confirmation(s) at height ${onChain.confirmation?.height ?? '?'}, fee ${fmt(e.fee)} sats at ${fmt(proposed?.closeFeeRate ?? 0)} sat/kvB`,
      );
      for (const x of outputs)
        detail(`  ${x.owner.padEnd(9)} ${fmt(x.value).padStart(7)} sats to ${x.address}`);
    }
    phase('close');

    // 12. Stop every role (graceful: queued actions run, connections close, stores close).
    pumps.abort();
    await Promise.all(stops.splice(0).map((s) => s()));
    phase('stop');
    const totalMs = now();
    step(
      'done',
      `${factories === 1 ? 'factory' : `${factories} factories`} funded, opened, ${payments.length} payments made, closed cooperatively in ${(totalMs / 1000).toFixed(2)} s`,
    );
    return {
      ok: true,
      chain: { kind: chain.kind, description: chain.description },
      parameters: {
        clients: o.clients,
        factories,
        clientsPerFactory: CLIENTS_PER_FACTORY,
        factoryAmount: Number(plan.amount),
        channelCapacity: Number(CHANNEL_SATS),
        clientBalance: Number(CLIENT_BALANCE_SATS),
        tree: Number(plan.tree),
        leaves: plan.leaves,
        lStockPerLeaf: Number(plan.lStockPerLeaf),
        treeFeeRate: plan.treeFeeRate,
        shape: plan.shape,
        ...ROUTABLE_REGTEST,
      },
      lsp: { nodeId: lsp.nodeId, connectString: lsp.connectString, walletFunding },
      clients: clients.map((c) => ({ client: c.n, nodeId: c.machine.nodeId })),
      factories: reports.map((f) => ({
        ...f,
        balancesAtClose: atClose.get(f.factoryId) as ChannelBalances[],
        close: closes.get(f.factoryId) as CloseReport,
      })),
      payments,
      steps,
      events: journal.entries.map((e) => ({
        role: e.role,
        kind: e.event.kind,
        ...('factoryId' in e.event ? { factoryId: e.event.factoryId } : {}),
        ...('paymentHash' in e.event ? { paymentHash: e.event.paymentHash } : {}),
        atMs: e.at,
      })),
      timings: { totalMs, phasesMs: phases },
      dataDir: dir,
      kept: o.keep,
    };
  } finally {
    await endRun(run, chain, o.keep);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
