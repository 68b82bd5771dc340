// A role process for the process-level crash suites: either the LSP (`LspNode` over `Lsp`, its wallet
// and store) or a host of clients (`ClientNode` over `Client`, one store and one connection each),
// talking to a SimChain server in another process through `BitcoindRpc`, over real Noise on
// loopback. It reports on stdout, one `@ {json}` line per fact (what it received, sent, persisted,
// broadcast, the events it handled), and obeys `status` and `stop` lines on stdin.
//
// A freeze trigger (`ChildConfig.freeze`) stops the process at a named point — right after a persist
// carrying an event (or a blob under a key prefix) is durable, right before or after a message is
// handled, right after a broadcast was accepted — by blocking its only thread (`Atomics.wait`) after
// printing `frozen`; the parent then SIGKILLs it. Nothing after the point runs, so the kill lands
// exactly there, on whatever the store holds at that moment. `arm {trigger}` on stdin sets a trigger
// later (its counts start from then), e.g. right before a payment.
//
// Payments: `invoice <who> <amountMsat>` has client `who` issue an invoice (its `InvoiceCreated` event
// line carries it), `pay <who> <invoice>` has it pay one.
//
// Bundled by `./index.ts` with esbuild (better-sqlite3 stays external), run with plain `node`.
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { BlockFollower, type Broadcaster } from '@superscalar/chain';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { Client, type ClientCommand, decodeClientEvent } from '@superscalar/client';
import { ClientNode } from '@superscalar/client/node';
import { fromHex, type Logger, toHex } from '@superscalar/core';
import { decodeLspEvent, Lsp, type LspCommand } from '@superscalar/lsp';
import { LspNode } from '@superscalar/lsp/node';
import type { Op, Store, Update } from '@superscalar/persist';
import type { NonceObserver } from '@superscalar/poon-dryja';
import { Wallet } from '@superscalar/wallet';
import type { Message } from '@superscalar/wire';
import {
  type ChildConfig,
  clientKeychain,
  lspAccount,
  lspKeychain,
  openRoleStore,
  publicNoncesOf,
} from './shared.js';

/** The HTLC an update message names (its id, and for an add its payment hash and amount). */
function htlcOf(m: Message): { htlc?: { id: string; paymentHash?: string; amountMsat?: string } } {
  switch (m.type) {
    case 'update_add_htlc':
      return {
        htlc: { id: String(m.id), paymentHash: toHex(m.paymentHash), amountMsat: String(m.amountMsat) },
      };
    case 'update_fulfill_htlc':
    case 'update_fail_htlc':
      return { htlc: { id: String(m.id) } };
    default:
      return {};
  }
}

/** The LSP node's commands (the LSP process only). */
let lspCommand: ((c: LspCommand) => Promise<void>) | undefined;
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));

async function main(cfg: ChildConfig): Promise<void> {
  const gen = cfg.generation;
  const say = (who: string, t: string, fields: Record<string, unknown> = {}) =>
    writeSync(1, `@ ${json({ t, who, gen, ...fields })}\n`);
  const counts = new Map<string, number>();
  const hit = (key: string) => {
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return n;
  };
  const freeze = (who: string, why: string): never => {
    say(who, 'frozen', { why });
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (;;) Atomics.wait(cell, 0, 0);
  };
  let trigger = cfg.freeze;
  let describe = trigger === undefined ? '' : json(trigger);

  // The secret nonce objects each channel signs with: one signature each, in this process.
  const uses = new WeakMap<object, number>();
  const nonceObserver = (who: string): NonceObserver => ({
    signedWith(nonce) {
      const n = (uses.get(nonce) ?? 0) + 1;
      uses.set(nonce, n);
      if (n > 1) say(who, 'nonce-reused', { uses: n });
    },
  });

  /** The store, reporting each durable persist's events (and freezing after the trigger's). */
  const watched = (who: string, inner: Store): Store =>
    new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'applyUpdate')
          return async (u: Update) => {
            const ack = await target.applyUpdate(u);
            const kinds = u.ops.flatMap((o: Op) => (o.op === 'event' ? [o.kind] : []));
            if (kinds.length > 0) say(who, 'persisted', { id: String(u.id), kinds });
            if (trigger?.on === 'persisted')
              for (const k of kinds)
                if (k === trigger.kind && hit(`p:${k}`) === trigger.nth) freeze(who, describe);
            if (trigger?.on === 'put') {
              const { prefix, nth } = trigger;
              for (const o of u.ops)
                if (o.op === 'put' && o.table === 'blobs' && o.row.key.startsWith(prefix))
                  if (hit(`put:${prefix}`) === nth) freeze(who, describe);
            }
            return ack;
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });

  /** The machine, reporting what it receives and sends (and freezing at message triggers). */
  function watchMachine<I extends { type: string }, A extends { kind: string }>(
    who: string,
    m: {
      nodeId: string;
      readonly tip: { readonly height: number; readonly hash: string } | null;
      handle(i: I, now: number): A[];
    },
  ) {
    return {
      nodeId: m.nodeId,
      // The runtime follows the chain from the machine's restored tip.
      get tip() {
        return m.tip;
      },
      handle(input: I, now: number): A[] {
        const msg =
          input.type === 'message' ? (input as unknown as { message: Message; peer: string }) : undefined;
        let nth = 0;
        if (msg !== undefined) {
          nth = hit(`m:${msg.message.type}`);
          say(who, 'recv', { type: msg.message.type, peer: msg.peer.slice(0, 16) });
          if (trigger?.on === 'receive' && trigger.type === msg.message.type && trigger.nth === nth)
            freeze(who, describe);
        }
        const actions = m.handle(input, now);
        for (const a of actions as unknown as {
          kind: string;
          message?: Message;
          peer?: string;
          txid?: string;
          label?: string;
        }[]) {
          if (a.kind === 'send' && a.message !== undefined)
            say(who, 'send', {
              type: a.message.type,
              peer: a.peer?.slice(0, 16),
              nonces: publicNoncesOf(a.message),
              ...htlcOf(a.message),
            });
          if (a.kind === 'broadcast') labels.set(a.txid as string, a.label as string);
        }
        if (
          msg !== undefined &&
          trigger?.on === 'handled' &&
          trigger.type === msg.message.type &&
          trigger.nth === nth
        )
          freeze(who, describe);
        return actions;
      },
    };
  }

  const rpc = new BitcoindRpc({
    url: cfg.rpc.url,
    auth: { cookieFile: cfg.rpc.cookieFile },
    network: 'regtest',
    wallet: 'any',
  });
  const labels = new Map<string, string>();
  const logger: Logger = {
    log(r) {
      if (r.level === 'warn' || r.level === 'error')
        say('log', 'log', {
          level: r.level,
          module: r.module,
          msg: r.msg,
          fields: r.fields,
          err: String(r.err ?? ''),
        });
    },
  };

  /** Drains a node's event queue, reporting each event and its acknowledgement. */
  const drain = (
    who: string,
    node: LspNode<LspCommand> | ClientNode<ClientCommand>,
    decode: (r: never) => unknown,
  ) => {
    void (async () => {
      for (;;) {
        let r: Awaited<ReturnType<typeof node.waitForEvent>>;
        try {
          r = await node.waitForEvent();
        } catch {
          return;
        }
        const id = `${r.updateId}:${r.index}`;
        say(who, 'event', { id, kind: r.kind, event: decode(r as never) });
        try {
          await node.eventHandled();
        } catch {
          return;
        }
        say(who, 'handled', { id, kind: r.kind });
      }
    })();
  };

  const stops: (() => Promise<unknown>)[] = [];
  const statuses: (() => unknown)[] = [];
  const clientNodes = new Map<string, ClientNode<ClientCommand>>();

  if (cfg.role === 'lsp') {
    const o = cfg.lsp as NonNullable<ChildConfig['lsp']>;
    const keychain = lspKeychain(cfg.seed);
    const account = lspAccount(cfg.seed);
    const store = watched(
      'lsp',
      await openRoleStore({
        dir: cfg.dir,
        store: o.store,
        name: 'lsp',
        sealingKey: keychain.storeSealingKey(),
      }),
    );
    let wallet: Wallet;
    let blobs = await store.list('blobs');
    if (gen === 0) {
      const created = Wallet.create({ account, birthHeight: o.birthHeight });
      await store.applyUpdate({ id: (await store.lastUpdateId()) + 1n, ops: created.ops });
      wallet = created.wallet;
      blobs = [];
    } else wallet = Wallet.load(blobs, { account });
    const options = {
      keychain,
      wallet,
      network: 'regtest' as const,
      policy: o.policy,
      logger,
      nonceObserver: nonceObserver('lsp'),
    };
    const lsp = gen === 0 ? Lsp.create(options) : Lsp.restore({ ...options, blobs });
    const broadcaster: Broadcaster = {
      async broadcast(raw) {
        try {
          const txid = await rpc.broadcast(raw);
          const label = labels.get(txid) ?? '?';
          say('lsp', 'broadcast', { txid, label, ok: true });
          if (trigger?.on === 'broadcast' && trigger.label === label) freeze('lsp', describe);
          return txid;
        } catch (e) {
          say('lsp', 'broadcast', { ok: false, reason: (e as { reason?: string }).reason ?? String(e) });
          throw e;
        }
      },
      broadcastPackage: (p, c) => rpc.broadcastPackage(p, c),
    };
    const tip = lsp.tip;
    const node = await LspNode.start<LspCommand>({
      machine: watchMachine('lsp', lsp) as never,
      nodeSecret: keychain.nodeIdentity().secretKey,
      network: 'regtest',
      store,
      wallet,
      chain: {
        follower: new BlockFollower(rpc),
        // A new LSP follows from its wallet's birth, so it knows the tip before its first proposal; a
        // restored one from its own tip (the runtime's default: blocks mined while it was down).
        ...(tip === null ? { from: { height: o.birthHeight - 1 } } : {}),
        pollIntervalMs: 100,
        broadcaster,
        fees: rpc,
      },
      listen: { port: o.port },
      limits: { perIpPerMinute: 10_000, maxHandshakesPerIp: 64 },
      logger,
    });
    drain('lsp', node, decodeLspEvent as never);
    lspCommand = (c) => node.command(c);
    // Ready once the wallet and the machine follow the chain's tip (the wallet's coins confirmed).
    const target = (await rpc.tip()).height;
    while (wallet.tipHeight < target || (lsp.tip?.height ?? 0) < target)
      await new Promise((r) => setTimeout(r, 20));
    stops.push(() => node.stop());
    statuses.push(() => ({
      who: 'lsp',
      factories: lsp.factories().map((f) => ({
        factoryId: f.factoryId,
        phase: f.phase,
        step: f.step,
        attempt: f.attempt,
        restarts: f.restarts,
        fundingTxid: f.fundingTxid,
        participants: f.participants.length,
        channels: f.channels.map((c) => [c.phase, c.localCommitmentNumber, c.remoteCommitmentNumber]),
        balances: f.channels.map((c) => ({
          peer: c.peer,
          busy: c.busy,
          lspMsat: String(c.balances?.lspMsat ?? ''),
          clientMsat: String(c.balances?.clientMsat ?? ''),
        })),
      })),
      reservations: wallet.reservations().map((r) => ({ ...r })),
      peers: node.peers().length,
    }));
    say('lsp', 'ready', { nodeId: node.nodeId, connect: node.connectString, port: node.address.port });
  } else {
    const o = cfg.clients as NonNullable<ChildConfig['clients']>;
    const follower = new BlockFollower(rpc);
    const start = (await rpc.tip()).height - 1;
    for (const i of o.indexes) {
      const who = `c${i}`;
      const keychain = clientKeychain(cfg.seed, i);
      const store = watched(
        who,
        await openRoleStore({
          dir: cfg.dir,
          store: { kind: 'sqlite' },
          name: who,
          sealingKey: keychain.storeSealingKey(),
        }),
      );
      const lspNodeId = o.lsp.split('@')[0] as string;
      const options = {
        keychain,
        network: 'regtest' as const,
        lspNodeId,
        logger,
        nonceObserver: nonceObserver(who),
      };
      const client =
        gen === 0 ? Client.create(options) : Client.restore({ ...options, blobs: await store.list('blobs') });
      const tip = client.tip;
      const node = await ClientNode.start<ClientCommand>({
        machine: watchMachine(who, client) as never,
        nodeSecret: keychain.nodeIdentity().secretKey,
        network: 'regtest',
        store,
        lsp: o.lsp,
        // A new client knows the tip at once (a proposal's height is checked against it); a restored
        // one follows from its own tip (the runtime's default).
        chain: { follower, ...(tip === null ? { from: { height: start } } : {}), pollIntervalMs: 0 },
        backoff: { initialDelayMs: 50, maxDelayMs: 400 },
        logger,
      });
      drain(who, node, decodeClientEvent as never);
      clientNodes.set(who, node);
      if (gen === 0)
        await node.command({ type: 'register', capacity: BigInt(o.capacity), balance: BigInt(o.balance) });
      stops.push(() => node.stop());
      statuses.push(() => ({
        who,
        connected: node.connected,
        factories: client.factories().map((f) => ({
          factoryId: f.factoryId,
          phase: f.phase,
          attempt: f.attempt,
          signed: f.signed,
          channel: [f.channel.phase, f.channel.localCommitmentNumber, f.channel.remoteCommitmentNumber],
          balances: {
            lspMsat: String(f.channel.balances?.lspMsat ?? ''),
            clientMsat: String(f.channel.balances?.clientMsat ?? ''),
          },
        })),
        payments: client.payments(),
        invoices: client.invoices().map((i) => ({ paymentHash: i.paymentHash, status: i.status })),
      }));
      say(who, 'ready', { nodeId: node.nodeId });
    }
    const poll = setInterval(() => void follower.poll().catch(() => undefined), 100);
    stops.push(async () => clearInterval(poll));
  }

  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'status') say('all', 'status', { roles: statuses.map((s) => s()) });
    if (line.startsWith('arm ')) {
      trigger = JSON.parse(line.slice(4));
      describe = line.slice(4);
      counts.clear();
      say('all', 'armed', { trigger });
    }
    const [verb, who, arg] = line.split(' ');
    if ((verb === 'invoice' || verb === 'pay') && who !== undefined && arg !== undefined) {
      const node = clientNodes.get(who);
      const command: ClientCommand =
        verb === 'invoice'
          ? { type: 'create_invoice', amountMsat: BigInt(arg), description: 'process test' }
          : { type: 'pay_invoice', invoice: arg };
      void (node === undefined ? Promise.reject(new Error(`no client ${who} here`)) : node.command(command))
        .then(() => say(who, 'commanded', { verb }))
        .catch((e) => say(who, 'command-failed', { verb, error: String(e) }));
    }
    // `exit_factory <factoryIdHex>`: the LSP publishes the rest of the factory (its unilateral exit).
    if (verb === 'exit_factory' && who !== undefined)
      void (
        lspCommand === undefined
          ? Promise.reject(new Error('no LSP here'))
          : lspCommand({ type: 'exit_factory', factoryId: fromHex(who) })
      )
        .then(() => say('lsp', 'commanded', { verb }))
        .catch((e) => say('lsp', 'command-failed', { verb, error: String(e) }));
    if (line === 'stop')
      void (async () => {
        for (const s of stops) await s();
        say('all', 'stopped');
        process.exit(0);
      })();
  });
}

main(JSON.parse(process.argv[2] as string) as ChildConfig).catch((e) => {
  writeSync(1, `@ ${json({ t: 'crashed', who: 'all', error: String((e as Error)?.stack ?? e) })}\n`);
  process.exit(1);
});
