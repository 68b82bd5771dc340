// State advances run by the roles over the wire (brief §5, issue 23 "Advances"): a per-leaf advance
// of a 2-client leaf end to end (counters moved, channels still pay, the close pays the right
// balances), a liquidity sale (fee paid, capacities changed), a carry (§5.2) and an exhausted factory,
// an advance interrupted at each step on either side (disconnect and restart), the refusal while a
// path transaction is in a mempool or on chain (§5.1), and a client's refusal of a fee it did not agree to.

import { decodeTx as decodeChainTx, txidHex } from '@superscalar/chain';
import type { ClientEvent } from '@superscalar/client';
import { fromHex, toHex } from '@superscalar/core';
import {
  buildClientPath,
  buildTree,
  type ClientPath,
  decodeClientFactory,
  signedTxBytes,
} from '@superscalar/factory-tree';
import type { Lsp, LspEvent, LspFactoryInfo } from '@superscalar/lsp';
import { decodeTx } from '@superscalar/tx';
import type { Message } from '@superscalar/wire';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { clientOf, openFactory, ROUTABLE_REGTEST, type RoleNode, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

type LEv<K extends LspEvent['kind']> = Extract<LspEvent, { kind: K }>;
type CEv<K extends ClientEvent['kind']> = Extract<ClientEvent, { kind: K }>;

async function lspEventsOf<K extends LspEvent['kind']>(w: World, kind: K): Promise<LEv<K>[]> {
  return (await w.lsp.events()).filter((e) => e.kind === kind) as LEv<K>[];
}

async function eventsOf<K extends ClientEvent['kind']>(n: RoleNode, kind: K): Promise<CEv<K>[]> {
  return (await n.events()).filter((e) => e.kind === kind) as CEv<K>[];
}

function lsp(w: World): Lsp {
  return w.lsp.machine as unknown as Lsp;
}

async function advanceLeaf(
  w: World,
  f: LspFactoryInfo,
  leaf: number,
  extra: { allocations?: Map<number, bigint>; liquidityFeesMsat?: Map<number, bigint> } = {},
): Promise<void> {
  await w.command(w.lsp, {
    type: 'advance_leaf',
    factoryId: fromHex(f.factoryId),
    leaf,
    purpose: extra.allocations === undefined ? 'rebalance' : 'liquidity',
    ...extra,
  });
}

async function invoiceOf(w: World, payee: RoleNode, amountMsat: bigint): Promise<string> {
  await w.command(payee, { type: 'create_invoice', amountMsat, description: 'after the advance' });
  const list = clientOf(payee).invoices();
  return (list[list.length - 1] as { invoice: string }).invoice;
}

const indexOf = (c: RoleNode) => clientOf(c).factories()[0]?.clientIndex as number;
const balanceOf = (c: RoleNode) => clientOf(c).factories()[0]?.channel.balances?.clientMsat as bigint;

describe('per-leaf advance over the wire (brief §5.1)', () => {
  it('advances a 2-client leaf: counters move, both channels rebind, payments and the close still work', async () => {
    world = await World.create({ seed: 'adv-leaf', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    const before = clientOf(a).signedPath(f.factoryId);
    await advanceLeaf(w, f, 0);
    const done = await lspEventsOf(w, 'AdvanceCompleted');
    expect(done).toHaveLength(1);
    const d = done[0] as LEv<'AdvanceCompleted'>;
    expect(d.advanceKind).toBe('leaf');
    expect(d.counters.superseded).toEqual([0]);
    expect(d.counters.created).toEqual([1]);
    expect(d.feesMsat).toBe(0n);
    for (const c of [a, b]) {
      const ce = await eventsOf(c, 'AdvanceCompleted');
      expect(ce).toHaveLength(1);
      const info = clientOf(c).factories()[0];
      expect(info?.advance?.counter).toBe(1);
      expect(info?.advance?.superseded).toEqual([0]);
      expect(info?.advance?.secrets).toEqual([0]);
      expect(info?.advance?.lastComplete).toBe(1);
    }
    // The leaf state changed (new txid), the kickoff did not.
    const after = clientOf(a).signedPath(f.factoryId);
    expect(after?.[0]?.txid).toBe(before?.[0]?.txid);
    expect(after?.[1]?.txid).not.toBe(before?.[1]?.txid);
    // The tower's entries, in the client's store: the superseded state's poison and settlement, its
    // secret, and the kickoff guarded with the new state.
    const id = fromHex(f.factoryId);
    const rows = await a.store.list('watchEntries', { factoryId: id });
    const old = rows.filter((r) => r.triggerTxid === before?.[1]?.txid);
    expect(old.map((r) => r.kind).sort()).toEqual(['poison', 'settlement']);
    expect((await a.store.list('lstockSecrets', { factoryId: id })).map((s) => s.c)).toEqual([0]);
    const guard = rows.find((r) => r.triggerTxid === after?.[0]?.txid);
    expect(guard?.kind).toBe('stale-state');
    expect(txidHex(decodeChainTx(guard?.responseTx as Uint8Array))).toBe(after?.[1]?.txid);

    // Payments on the rebound channels.
    const inv = await invoiceOf(w, b, 2_000_000n);
    await w.command(a, { type: 'pay_invoice', invoice: inv });
    expect(await eventsOf(a, 'PaymentSent')).toHaveLength(1);
    expect(await eventsOf(b, 'PaymentReceived')).toHaveLength(1);
    const balances = [balanceOf(a) / 1000n, balanceOf(b) / 1000n];
    expect(balances[1]).toBe(12_000n);

    // Close: each client paid its balance at its own close address.
    await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
    for (let i = 0; i < 4 && (await lspEventsOf(w, 'FactoryClosed')).length === 0; i++) await w.mine(1);
    const closed = await lspEventsOf(w, 'FactoryClosed');
    expect(closed).toHaveLength(1);
    const ev = closed[0] as LEv<'FactoryClosed'>;
    expect(ev.balances.map((x) => x.balance)).toEqual(balances);
    const tx = decodeTx((await w.chain.getTransaction(ev.txid)).tx);
    for (const [i, c] of [a, b].entries()) {
      const script = toHex(
        c.keychain.closeAddress(clientOf(c).factories()[0]?.factoryIndex ?? 0).scriptPubKey,
      );
      expect(tx.outputs.find((o) => toHex(o.script) === script)?.value).toBe(balances[i]);
    }
  });

  it('a liquidity sale a client asks for: capacity up by the L-stock, the fee moves to the LSP, payments flow', async () => {
    world = await World.create({ seed: 'adv-sale', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    const lspBefore = lsp(w).factory(f.factoryId)?.channels[indexOf(a)]?.balances?.lspMsat as bigint;
    // A fee above what it offers is refused by the LSP's policy: nothing happens.
    await w.command(a, { type: 'request_advance', factoryId: fromHex(f.factoryId), capacity: 25_000n });
    expect((await lspEventsOf(w, 'AdvanceRequested'))[0]?.accepted).toBe(false);
    expect(await lspEventsOf(w, 'AdvanceCompleted')).toHaveLength(0);
    // 5,000 sats more: 1,000 sat base + 1 % of 5,000 sat = 1,050,000 msat.
    await w.command(a, {
      type: 'request_advance',
      factoryId: fromHex(f.factoryId),
      capacity: 25_000n,
      maxLiquidityFeeMsat: 2_000_000n,
    });
    const done = await lspEventsOf(w, 'AdvanceCompleted');
    expect(done).toHaveLength(1);
    const d = done[0] as LEv<'AdvanceCompleted'>;
    expect(d.purpose).toBe('client_request');
    expect(d.feesMsat).toBe(1_050_000n);
    const ia = indexOf(a);
    expect(d.channels).toContainEqual({ clientIndex: ia, capacity: 25_000n, liquidityFeeMsat: 1_050_000n });
    expect(d.channels).toContainEqual({ clientIndex: 1 - ia, capacity: 20_000n, liquidityFeeMsat: 0n });
    const ce = (await eventsOf(a, 'AdvanceCompleted'))[0] as CEv<'AdvanceCompleted'>;
    expect(ce.capacity).toBe(25_000n);
    expect(ce.liquidityFeeMsat).toBe(1_050_000n);
    expect(balanceOf(a)).toBe(10_000_000n - 1_050_000n);
    expect(lsp(w).factory(f.factoryId)?.channels[ia]?.balances?.lspMsat).toBe(
      lspBefore + 5_000_000n + 1_050_000n,
    );
    expect(((await eventsOf(b, 'AdvanceCompleted'))[0] as CEv<'AdvanceCompleted'>).liquidityFeeMsat).toBe(0n);
    // Payments flow on the resized channel.
    const inv = await invoiceOf(w, a, 9_000_000n);
    await w.command(b, { type: 'pay_invoice', invoice: inv });
    expect(await eventsOf(a, 'PaymentReceived')).toHaveLength(1);
    expect(balanceOf(a)).toBe(10_000_000n - 1_050_000n + 9_000_000n);
    // The close pays each client its balance after the sale (the LSP the rest of the funding).
    const balances = [balanceOf(a) / 1000n, balanceOf(b) / 1000n];
    await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
    for (let i = 0; i < 4 && (await lspEventsOf(w, 'FactoryClosed')).length === 0; i++) await w.mine(1);
    const closed = (await lspEventsOf(w, 'FactoryClosed'))[0] as LEv<'FactoryClosed'>;
    const tx = decodeTx((await w.chain.getTransaction(closed.txid)).tx);
    for (const [i, c] of [a, b].entries()) {
      const script = toHex(
        c.keychain.closeAddress(clientOf(c).factories()[0]?.factoryIndex ?? 0).scriptPubKey,
      );
      expect(tx.outputs.find((o) => toHex(o.script) === script)?.value).toBe(balances[i]);
    }
  });

  it("the LSP's liquidity sale with a fee the client did not agree to is refused (typed), nothing changes", async () => {
    world = await World.create({ seed: 'adv-refuse', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    const ia = indexOf(a);
    await advanceLeaf(w, f, 0, {
      allocations: new Map([[ia, 24_000n]]),
      liquidityFeesMsat: new Map([[ia, 500_000n]]),
    });
    expect(await lspEventsOf(w, 'AdvanceCompleted')).toHaveLength(0);
    const failed = await lspEventsOf(w, 'AdvanceFailed');
    expect(failed.map((e) => e.reason)).toEqual(['refused']);
    const refused = await eventsOf(a, 'AdvanceFailed');
    expect(refused.map((e) => [e.reason, e.code])).toEqual([['refused', 'CLIENT_ADVANCE_REFUSED']]);
    expect(clientOf(a).factories()[0]?.advance?.counter ?? 0).toBe(0);
    // Nothing changed: the channels pay as before, and the next advance (no fee) goes through.
    const inv = await invoiceOf(w, b, 1_000_000n);
    await w.command(a, { type: 'pay_invoice', invoice: inv });
    expect(await eventsOf(b, 'PaymentReceived')).toHaveLength(1);
    await advanceLeaf(w, f, 0, { allocations: new Map([[ia, 24_000n]]) });
    const d = (await lspEventsOf(w, 'AdvanceCompleted'))[0] as LEv<'AdvanceCompleted'>;
    // The abandoned attempt's counter (1) is retired: the new state takes c = 2 (brief §5.3).
    expect(d.counters).toEqual({ superseded: [0], created: [2] });
    expect(d.channels.find((c) => c.clientIndex === ia)?.capacity).toBe(24_000n);
  });

  it('an exhausted leaf at the root raises FactoryExhausted (rotate); the refusal is typed', async () => {
    world = await World.create({ seed: 'adv-exhaust', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const K = f.proposal.dw.K;
    for (let i = 0; i < K - 1; i++) await advanceLeaf(w, f, 0);
    expect(await lspEventsOf(w, 'AdvanceCompleted')).toHaveLength(K - 1);
    await advanceLeaf(w, f, 0);
    expect(await lspEventsOf(w, 'FactoryExhausted')).toHaveLength(1);
    const refused = (await lspEventsOf(w, 'CommandRefused')).map((e) => e.code);
    expect(refused).toEqual(['LSP_ADVANCE_REFUSED']);
  });

  it('refuses to advance while a path transaction is in a mempool or on chain (brief §5.1)', async () => {
    world = await World.create({ seed: 'adv-published', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a] = w.clients as [RoleNode];
    const path = clientOf(a).signedPath(f.factoryId) ?? [];
    const kickoff = path[0] as { txid: string };
    await w.command(w.lsp, { type: 'mempool_txids', txids: [kickoff.txid] });
    await advanceLeaf(w, f, 0);
    let refused = await lspEventsOf(w, 'CommandRefused');
    expect(refused.map((e) => e.code)).toEqual(['LSP_ADVANCE_PATH_PUBLISHED']);
    // On chain: the root kickoff confirmed (broadcast by a client, say).
    world = await World.create({ seed: 'adv-published-2', clients: 2 });
    const w2 = world;
    await w.close();
    const f2 = await openFactory(w2);
    const [a2] = w2.clients as [RoleNode];
    const kickoff2 = (clientOf(a2).signedPath(f2.factoryId) ?? [])[0] as { txid: string };
    w2.chain.broadcastSync(signedKickoff(a2, f2));
    await w2.mine(1);
    expect((await w2.chain.getTransaction(kickoff2.txid)).confirmation).toBeDefined();
    await advanceLeaf(w2, f2, 0);
    refused = await lspEventsOf(w2, 'CommandRefused');
    expect(refused.map((e) => e.code)).toEqual(['LSP_ADVANCE_PATH_PUBLISHED']);
    expect(await lspEventsOf(w2, 'AdvanceCompleted')).toHaveLength(0);
  });
});

const CARRY_N = Number(process.env.ADVANCE_CARRY_N ?? 64);
/** A binary tree with no static level (the suggested shape may make each leaf its own DW subtree). */
const BINARY = { ...ROUTABLE_REGTEST, levelArity: [2], staticLevels: 0 };

describe('quiescence (brief §5.4)', () => {
  it('an HTLC in flight delays the advance; past quiesceTimeoutMs it fails (AdvanceFailed timeout), later it goes through', async () => {
    world = await World.create({
      seed: 'adv-htlc',
      clients: 4,
      lspPolicy: { ...BINARY, forwardTimeoutMs: 30_000, advance: { quiesceTimeoutMs: 10_000 } },
    });
    const w = world;
    const f = await openFactory(w);
    const tree = buildTree(f.proposal);
    const nodeOf = (i: number) => w.clients.find((c) => indexOf(c) === i) as RoleNode;
    const payer = nodeOf(tree.layout.leafClients[0]?.[0] as number);
    const payee = nodeOf(tree.layout.leafClients[1]?.[0] as number);
    const inv = await invoiceOf(w, payee, 500_000n);
    w.disconnect(payee.nodeId, w.lsp.nodeId, { keepDown: true });
    await w.drive();
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    expect(clientOf(payer).payments()[0]?.status).toBe('pending');
    await advanceLeaf(w, f, 0);
    await w.tick(5_000);
    expect(lsp(w).factory(f.factoryId)?.advance?.inProgress?.step).toBe('quiescing');
    expect(w.messages('advance_propose')).toHaveLength(0);
    await w.tick(6_000);
    const failed = await lspEventsOf(w, 'AdvanceFailed');
    expect(failed.map((e) => e.reason)).toEqual(['timeout']);
    expect(failed[0]?.advanceId).toBeUndefined(); // nothing was proposed: no counter used
    // The forward times out (payee still away), the channel is clean again: the advance goes through.
    await w.tick(20_000);
    expect(clientOf(payer).payments()[0]?.status).toBe('failed');
    await advanceLeaf(w, f, 0);
    const done = await lspEventsOf(w, 'AdvanceCompleted');
    expect(done).toHaveLength(1);
    expect((done[0] as LEv<'AdvanceCompleted'>).counters.created).toEqual([2]);
  });

  it('payments never trigger an advance (flaw 8)', async () => {
    world = await World.create({ seed: 'adv-flaw8', clients: 2 });
    const w = world;
    await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    for (let i = 0; i < 3; i++) {
      const inv = await invoiceOf(w, i % 2 === 0 ? b : a, 100_000n);
      await w.command(i % 2 === 0 ? a : b, { type: 'pay_invoice', invoice: inv });
    }
    expect(await eventsOf(b, 'PaymentReceived')).toHaveLength(2);
    expect(w.messages('advance_propose')).toHaveLength(0);
    expect(lsp(w).factories()[0]?.advance).toBeUndefined();
  });
});

describe('carry and epoch reset (brief §5.2)', () => {
  it(`N = ${CARRY_N}: the 4th advance of a leaf carries into its parent; only that subtree's clients re-sign`, async () => {
    world = await World.create({
      seed: 'adv-carry',
      clients: CARRY_N,
      lspFunds: 40_000_000n,
      lspPolicy: BINARY,
    });
    const w = world;
    const started = Date.now();
    const f = await openFactory(w);
    const opened = Date.now();
    const K = f.proposal.dw.K;
    const tree = buildTree(f.proposal);
    const leaf0 = tree.layout.leafClients[0] as readonly number[];
    const leaf1 = tree.layout.leafClients[1] as readonly number[];
    const nodeOf = (i: number) => w.clients.find((c) => indexOf(c) === i) as RoleNode;
    for (let i = 0; i < K - 1; i++) await advanceLeaf(w, f, 0);
    const proposes = w.messages('advance_propose').length;
    expect(proposes).toBe((K - 1) * leaf0.length);
    await advanceLeaf(w, f, 0);
    const done = await lspEventsOf(w, 'AdvanceCompleted');
    expect(done).toHaveLength(K);
    const carry = done[K - 1] as LEv<'AdvanceCompleted'>;
    expect(carry.advanceKind).toBe(CARRY_N > 4 ? 'carry' : 'epoch-reset');
    // Leaves 0 and 1 re-signed (new counters for both), nobody else.
    expect(carry.channels.map((c) => c.clientIndex).sort((x, y) => x - y)).toEqual(
      [...leaf0, ...leaf1].sort((x, y) => x - y),
    );
    expect(carry.counters.created).toHaveLength(2);
    const carried = w.messages('advance_propose').slice(proposes);
    expect(carried).toHaveLength(leaf0.length + leaf1.length);
    for (const c of w.clients) {
      const i = indexOf(c);
      const got = (await eventsOf(c, 'AdvanceCompleted')).length;
      expect(got, `client ${i}`).toBe(leaf0.includes(i) ? K : leaf1.includes(i) ? 1 : 0);
    }
    // Leaf 0's states reset to 0 below the advanced node; its counter is the carry's.
    const info0 = clientOf(nodeOf(leaf0[0] as number)).factories()[0]?.advance;
    expect(info0?.states[info0.states.length - 1]).toBe(0);
    expect(info0?.superseded).toHaveLength(K);
    // Every carried channel is open again on its new outpoint (a binary tree this deep routes no
    // payment in regtest's window, brief §7: the N = 4 case below pays after its carry).
    for (const i of [...leaf0, ...leaf1]) {
      const ch = clientOf(nodeOf(i)).factories()[0]?.channel;
      expect(ch?.phase).toBe('normal');
      expect(ch?.quiescent).toBe(false);
    }
    console.log(
      `carry at N = ${CARRY_N}: factory open in ${opened - started} ms, ${K} advances in ${Date.now() - opened} ms`,
    );
  }, 600_000);

  it('policy.advance.minAdvancesPerLeaf shapes the factory for that many advances per leaf', async () => {
    world = await World.create({
      seed: 'adv-min',
      clients: 4,
      lspPolicy: { advance: { minAdvancesPerLeaf: 15 } },
    });
    const w = world;
    const f = await openFactory(w);
    // Two DW layers on every path (K² − 1 = 15 advances of one leaf before the factory must rotate):
    // the default shape at N = 4 makes each leaf its own DW subtree and exhausts it after K − 1.
    expect(f.proposal.staticLevels).toBe(0);
    const K = f.proposal.dw.K;
    for (let i = 0; i < K; i++) await advanceLeaf(w, f, 0);
    const done = await lspEventsOf(w, 'AdvanceCompleted');
    expect(done).toHaveLength(K);
    expect(done[K - 1]?.advanceKind).not.toBe('leaf');
    expect(await lspEventsOf(w, 'FactoryExhausted')).toHaveLength(0);
  });

  it('N = 4: the carry into the root is an epoch reset; both leaves re-sign and keep paying', async () => {
    world = await World.create({ seed: 'adv-epoch', clients: 4, lspPolicy: BINARY });
    const w = world;
    const f = await openFactory(w);
    const K = f.proposal.dw.K;
    for (let i = 0; i < K; i++) await advanceLeaf(w, f, 0);
    const done = await lspEventsOf(w, 'AdvanceCompleted');
    expect(done.map((d) => d.advanceKind)).toEqual([...new Array(K - 1).fill('leaf'), 'epoch-reset']);
    expect((done[K - 1] as LEv<'AdvanceCompleted'>).channels).toHaveLength(4);
    // Leaf 1 advances on its own now (its layer was reset to state 0 by the carry), and a payment
    // crosses the two re-signed leaves.
    await advanceLeaf(w, f, 1);
    expect(((await lspEventsOf(w, 'AdvanceCompleted'))[K] as LEv<'AdvanceCompleted'>).advanceKind).toBe(
      'leaf',
    );
    const tree = buildTree(f.proposal);
    const nodeOf = (i: number) => w.clients.find((c) => indexOf(c) === i) as RoleNode;
    const payee = nodeOf(tree.layout.leafClients[1]?.[0] as number);
    const inv = await invoiceOf(w, payee, 1_000_000n);
    await w.command(nodeOf(tree.layout.leafClients[0]?.[0] as number), { type: 'pay_invoice', invoice: inv });
    expect(await eventsOf(payee, 'PaymentReceived')).toHaveLength(1);
  });
});

type Cut = 'disconnect' | 'crash-sender' | 'restart-receiver';
const STEPS = [
  ['advance_propose', 'lsp'],
  ['advance_nonces', 'client'],
  ['advance_agg_nonces', 'lsp'],
  ['advance_psigs', 'client'],
  ['advance_done', 'lsp'],
  ['lstock_secret', 'lsp'],
] as const;
const CUTS: readonly Cut[] = ['disconnect', 'crash-sender', 'restart-receiver'];

describe('an advance interrupted at each step resumes or aborts the same way on both sides', () => {
  for (const [type, sender] of STEPS)
    for (const cut of CUTS)
      it(`${cut} at ${type} (${sender} → ${sender === 'lsp' ? 'client' : 'lsp'})`, async () => {
        world = await World.create({ seed: `adv-cut-${type}-${cut}`, clients: 2 });
        const w = world;
        const f = await openFactory(w);
        const [a, b] = w.clients as [RoleNode, RoleNode];
        // The first message of that type to or from client a is cut.
        let hit = false;
        let restartNode: RoleNode | undefined;
        const lspId = w.lsp.nodeId;
        if (cut === 'crash-sender') {
          const node = sender === 'lsp' ? w.lsp : a;
          node.crashPoint = (action) => {
            if (hit || action.kind !== 'send' || action.message.type !== type) return false;
            if (sender === 'lsp' && action.peer !== a.nodeId) return false;
            hit = true;
            return true;
          };
        } else
          w.net.interceptors.push((from, to, m) => {
            if (hit || m.type !== type) return undefined;
            const fromA = from === a.nodeId && to === lspId;
            const toA = from === lspId && to === a.nodeId;
            if (!(sender === 'lsp' ? toA : fromA)) return undefined;
            hit = true;
            if (cut === 'disconnect') w.disconnect(from, to);
            else restartNode = sender === 'lsp' ? a : w.lsp;
            return null;
          });
        await advanceLeaf(w, f, 0);
        expect(hit, 'the cut happened').toBe(true);
        if (cut === 'crash-sender') await w.restart(sender === 'lsp' ? w.lsp : a);
        else if (restartNode !== undefined) await w.restart(restartNode);
        await w.drive();
        await w.tick(1_000);

        // One verdict on both sides: completed everywhere, or nowhere.
        const lspDone = (await lspEventsOf(w, 'AdvanceCompleted')).length;
        const clientDone = [
          (await eventsOf(a, 'AdvanceCompleted')).length,
          (await eventsOf(b, 'AdvanceCompleted')).length,
        ];
        expect(clientDone).toEqual([lspDone, lspDone]);
        const counter = lspDone === 1 ? 1 : 0;
        for (const c of [a, b]) {
          const adv = clientOf(c).factories()[0]?.advance;
          expect(adv?.counter ?? 0).toBe(counter);
          expect(adv?.inProgress).toBeUndefined();
          expect(adv?.secrets ?? []).toEqual(counter === 1 ? [0] : []);
          // Its tower's entries follow the same verdict: the old state's poison and settlement and
          // s_c once it completed, nothing of an abandoned one.
          const id = fromHex(f.factoryId);
          const kinds = (await c.store.list('watchEntries', { factoryId: id })).map((r) => r.kind);
          expect(kinds.filter((k) => k === 'poison' || k === 'settlement').sort()).toEqual(
            counter === 1 ? ['poison', 'settlement'] : [],
          );
          expect((await c.store.list('lstockSecrets', { factoryId: id })).map((x) => x.c)).toEqual(
            counter === 1 ? [0] : [],
          );
        }
        // Stopped early → abandoned with its counter retired; after the signatures → completed.
        const after = ['advance_done', 'lstock_secret'].includes(type);
        if (after) expect(lspDone).toBe(1);
        if (type === 'advance_propose' || type === 'advance_nonces') expect(lspDone).toBe(0);

        // Both sides go on: the channels pay (both ends on the same outpoint), the next advance
        // completes with the next counter, and they pay again.
        const inv = await invoiceOf(w, b, 1_000_000n);
        await w.command(a, { type: 'pay_invoice', invoice: inv });
        expect(await eventsOf(b, 'PaymentReceived')).toHaveLength(1);
        await advanceLeaf(w, f, 0);
        const done = await lspEventsOf(w, 'AdvanceCompleted');
        expect(done).toHaveLength(lspDone + 1);
        for (const c of [a, b]) expect(await eventsOf(c, 'AdvanceCompleted')).toHaveLength(lspDone + 1);
        const inv2 = await invoiceOf(w, a, 500_000n);
        await w.command(b, { type: 'pay_invoice', invoice: inv2 });
        expect(await eventsOf(a, 'PaymentReceived')).toHaveLength(1);
      }, 60_000);
});

const RUNS = Number(process.env.PROPERTY_RUNS ?? (process.env.CI === 'true' ? 3 : 8));
console.log(`roles-advance: PROPERTY_RUNS = ${RUNS}`);

/** Every path a client holds or held signed: its current path state and each superseded one. */
async function heldPaths(c: RoleNode, f: LspFactoryInfo): Promise<ClientPath[]> {
  const blob = (await c.blobs()).find((b) => b.key === `client/f/${f.factoryId}/r`);
  if (blob === undefined) throw new Error('no client record');
  const o = JSON.parse(new TextDecoder().decode(blob.data)) as { record: string };
  const record = decodeClientFactory(fromHex(o.record));
  return [record.state, ...record.superseded.map((e) => e.state)].map((state) =>
    buildClientPath(record.proposal, record.client, { state }),
  );
}

/**
 * Brief §5.2's safety rule: for two signed root-to-leaf paths, at the top-most node where they use
 * different state transactions, both spend the same kickoff output and their nSequences differ by
 * at least S (the newer one waits less).
 */
function checkSafety(p: ClientPath, q: ClientPath, S: number): void {
  for (let k = 0; k < Math.min(p.txs.length, q.txs.length); k++) {
    const x = p.txs[k] as ClientPath['txs'][number];
    const y = q.txs[k] as ClientPath['txs'][number];
    if (x.node !== y.node || x.kind !== y.kind) return; // the paths part: no common node below
    if (x.txid === y.txid) continue;
    expect(x.kind, `node ${x.node}: kickoffs differ above any differing state`).toBe('state');
    const ix = x.tx.inputs[0] as { txidBytes: Uint8Array; vout: number; sequence: number };
    const iy = y.tx.inputs[0] as { txidBytes: Uint8Array; vout: number; sequence: number };
    expect(toHex(ix.txidBytes), `node ${x.node}: both spend the same kickoff output`).toBe(
      toHex(iy.txidBytes),
    );
    expect(ix.vout).toBe(iy.vout);
    expect(
      Math.abs(ix.sequence - iy.sequence),
      `node ${x.node}: nSequences ${ix.sequence}, ${iy.sequence}`,
    ).toBeGreaterThanOrEqual(S);
    return;
  }
}

describe('a client away across other advances', () => {
  it('gets the advance_done it missed after another leaf advanced in between (per-client reestablish)', async () => {
    world = await World.create({ seed: 'adv-away', clients: 4, lspPolicy: BINARY });
    const w = world;
    const f = await openFactory(w);
    const tree = buildTree(f.proposal);
    const nodeOf = (i: number) => w.clients.find((c) => indexOf(c) === i) as RoleNode;
    const a = nodeOf(tree.layout.leafClients[0]?.[0] as number);
    const a2 = nodeOf(tree.layout.leafClients[0]?.[1] as number);
    const c = nodeOf(tree.layout.leafClients[1]?.[0] as number);
    // Leaf 0 advances; client a loses its link as its advance_done arrives, and stays away.
    let cut = false;
    w.net.interceptors.push((from, to, m) => {
      if (cut || m.type !== 'advance_done' || to !== a.nodeId) return undefined;
      cut = true;
      w.disconnect(from, to, { keepDown: true });
      return null;
    });
    await advanceLeaf(w, f, 0);
    expect(cut).toBe(true);
    expect(await lspEventsOf(w, 'AdvanceCompleted')).toHaveLength(1);
    expect(await eventsOf(a, 'AdvanceCompleted')).toHaveLength(0);
    // Leaf 1 advances meanwhile (a is not in it).
    await advanceLeaf(w, f, 1);
    expect(await lspEventsOf(w, 'AdvanceCompleted')).toHaveLength(2);
    // a comes back: the LSP names advance 1 (a's last), resends it; a's channel moves, then reconnects.
    await w.connect(a);
    await w.drive();
    expect(await eventsOf(a, 'AdvanceCompleted')).toHaveLength(1);
    expect(clientOf(a).factories()[0]?.advance?.secrets).toEqual([0]);
    const inv = await invoiceOf(w, c, 1_000_000n);
    await w.command(a, { type: 'pay_invoice', invoice: inv });
    expect(await eventsOf(c, 'PaymentReceived')).toHaveLength(1);
    const inv2 = await invoiceOf(w, a, 500_000n);
    await w.command(a2, { type: 'pay_invoice', invoice: inv2 });
    expect(await eventsOf(a, 'PaymentReceived')).toHaveLength(1);
  });
});

describe('persist before send (brief §11, §5.1 release order)', () => {
  it('each side makes each step durable, in one update, before the message that depends on it', async () => {
    world = await World.create({ seed: 'adv-persist', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a] = w.clients as [RoleNode];
    await advanceLeaf(w, f, 0);
    expect(await lspEventsOf(w, 'AdvanceCompleted')).toHaveLength(1);
    type Act = (typeof w.lsp.trace)[number]['actions'][number];
    const keys = (x: Act) =>
      x.kind === 'persist' ? x.ops.map((o) => (o.op === 'put' ? (o.row as { key?: string }).key : o.op)) : [];
    const sendIndex = (acts: readonly Act[], type: string) =>
      acts.findIndex((x) => x.kind === 'send' && x.message.type === type);
    // LSP: the attempt (abandoned until signed) is stored before advance_propose leaves.
    const lspCalls = w.lsp.trace.map((t) => t.actions);
    const proposeCall = lspCalls.find((acts) => sendIndex(acts, 'advance_propose') >= 0) as Act[];
    const advKey = `lsp/f/${f.factoryId}/a`;
    expect(
      proposeCall.slice(0, sendIndex(proposeCall, 'advance_propose')).some((x) => keys(x).includes(advKey)),
    ).toBe(true);
    // LSP: one update holds the signed record, the event and both channels on their new outpoints,
    // and precedes every advance_done and lstock_secret.
    const doneCall = lspCalls.find((acts) => sendIndex(acts, 'advance_done') >= 0) as Act[];
    const signed = doneCall.findIndex(
      (x) => x.kind === 'persist' && x.ops.some((o) => o.op === 'event' && o.kind === 'AdvanceCompleted'),
    );
    expect(signed).toBeGreaterThanOrEqual(0);
    const signedKeys = keys(doneCall[signed] as Act);
    expect(signedKeys).toContain(advKey);
    expect(new Set(signedKeys.filter((k) => /^lsp\/c\/[0-9a-f]{64}$/.test(k ?? '')))).toHaveProperty(
      'size',
      2,
    );
    expect(signed).toBeLessThan(sendIndex(doneCall, 'advance_done'));
    expect(signed).toBeLessThan(sendIndex(doneCall, 'lstock_secret'));
    // Client: step psigs (and the LSP's rebound commitment's new outpoint, in its channel state) is
    // durable before advance_psigs leaves; the verified record with the superseded state (the tower's
    // entries) and its channel on the new outpoint are one update.
    const cCalls = a.trace.map((t) => t.actions);
    const psigsCall = cCalls.find((acts) => sendIndex(acts, 'advance_psigs') >= 0) as Act[];
    const before = psigsCall.slice(0, sendIndex(psigsCall, 'advance_psigs')).flatMap(keys);
    expect(before).toContain(`client/f/${f.factoryId}/a`);
    expect(before.some((k) => k?.startsWith('client/c/'))).toBe(true);
    const doneC = cCalls.find((acts) =>
      acts.some(
        (x) => x.kind === 'persist' && x.ops.some((o) => o.op === 'event' && o.kind === 'AdvanceCompleted'),
      ),
    ) as Act[];
    const update = doneC.find(
      (x) => x.kind === 'persist' && x.ops.some((o) => o.op === 'event' && o.kind === 'AdvanceCompleted'),
    ) as Act;
    const ks = keys(update);
    expect(ks).toContain(`client/f/${f.factoryId}/r`);
    expect(ks).toContain(`client/f/${f.factoryId}/a`);
    expect(ks.some((k) => k?.startsWith('client/c/'))).toBe(true);
  });
});

describe('§5.2 safety over random advance sequences (property)', () => {
  it(`every pair of signed paths the clients hold obeys the rule; both sides agree on every counter (${RUNS} runs)`, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ leaf: fc.integer({ min: 0, max: 1 }), cut: fc.integer({ min: -4, max: 5 }) }), {
          minLength: 1,
          maxLength: 7,
        }),
        async (steps) => {
          world = await World.create({ seed: `adv-prop-${run++}`, clients: 4, lspPolicy: BINARY });
          const w = world;
          try {
            const f = await openFactory(w);
            const S = f.proposal.dw.S;
            const paths = new Map<string, ClientPath>();
            for (const { leaf, cut } of steps) {
              // cut ≥ 0: the first message of that step to or from one client is lost with its link.
              const type = cut >= 0 ? (STEPS[cut] as (typeof STEPS)[number])[0] : undefined;
              let hit = false;
              w.net.interceptors.length = 0;
              if (type !== undefined)
                w.net.interceptors.push((from, to, m) => {
                  if (hit || m.type !== type) return undefined;
                  hit = true;
                  w.disconnect(from, to);
                  return null;
                });
              await advanceLeaf(w, f, leaf);
              w.net.interceptors.length = 0;
              await w.drive();
              for (const c of w.clients)
                for (const p of await heldPaths(c, f)) paths.set(p.txs.map((t) => t.txid).join(','), p);
            }
            const all = [...paths.values()];
            for (const p of all) for (const q of all) if (p !== q) checkSafety(p, q, S);
            // The LSP's tree and every client's current path agree on each leaf's counter.
            const tree = lsp(w).factory(f.factoryId)?.advance?.completed ?? [];
            const lspCompleted = tree.length;
            for (const c of w.clients) {
              const info = clientOf(c).factories()[0];
              expect(info?.advance?.inProgress).toBeUndefined();
              const mine = (await eventsOf(c, 'AdvanceCompleted')).map((e) => e.advanceId);
              const theirs = tree.filter((x) =>
                x.channels.some((ch) => ch.clientIndex === info?.clientIndex),
              );
              expect(mine).toEqual(theirs.map((x) => x.advanceId));
              expect(lspCompleted).toBeGreaterThanOrEqual(mine.length);
            }
          } finally {
            await w.close();
            world = undefined;
          }
        },
      ),
      { numRuns: RUNS, seed: 42, endOnFailure: true },
    );
  }, 600_000);
});

/** The signed root kickoff of a factory (rebuilt from the proposal, with a client's stored signature). */
function signedKickoff(c: RoleNode, f: LspFactoryInfo): Uint8Array {
  const k = (clientOf(c).signedPath(f.factoryId) ?? [])[0] as { txid: string; signature: Uint8Array };
  const tree = buildTree(f.proposal);
  const t = tree.txs.find((x) => x.txid === k.txid);
  if (t === undefined) throw new Error(`no tree transaction ${k.txid}`);
  return signedTxBytes(t, k.signature);
}

/** The public nonce `pn` negated: both halves' points (flip the parity byte of each compressed point). */
function negatedNonce(pn: Uint8Array): Uint8Array {
  const out = Uint8Array.from(pn);
  out[0] = (out[0] as number) ^ 1;
  out[33] = (out[33] as number) ^ 1;
  return out;
}

/**
 * The two clients of a 2-client leaf act as one party: of the attempts `cancel(attempt)` selects, the
 * second `advance_nonces` to reach the LSP carries the negation of the first's nonce for the new leaf
 * state, so the clients' nonces of that job sum to infinity (BIP327 DeterministicSign cannot sign,
 * nobody can be blamed).
 */
function cancelStateNonces(w: World, cancel: (attempt: number) => boolean): { hits: number[] } {
  const first = new Map<string, Uint8Array>();
  const out = { hits: [] as number[] };
  w.net.interceptors.push((_from, _to, m) => {
    if (m.type !== 'advance_nonces') return undefined;
    const attempt = m.attempt ?? 0;
    if (!cancel(attempt)) return undefined;
    const key = `${m.advanceId}/${attempt}`;
    const mine = m.nonces.find((n) => n.kind === 'state');
    if (mine === undefined) return undefined;
    const other = first.get(key);
    if (other === undefined) {
      first.set(key, mine.pubnonce);
      return undefined;
    }
    out.hits.push(attempt);
    return {
      ...m,
      nonces: m.nonces.map((n) => (n === mine ? { ...n, pubnonce: negatedNonce(other) } : n)),
    };
  });
  return out;
}

describe('an aggregation nobody can be blamed for is retried with fresh nonces (brief §5.1, BIP327)', () => {
  it('client nonces that cancel in attempt 0, then honest ones: the same advance completes on attempt 1', async () => {
    world = await World.create({ seed: 'adv-retry-once', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    const cut = cancelStateNonces(w, (attempt) => attempt === 0);
    await advanceLeaf(w, f, 0);
    expect(cut.hits).toEqual([0]);
    const retried = await lspEventsOf(w, 'AdvanceRetried');
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ advanceId: 1, attempt: 1, cancelling: [1, 2] });
    expect(retried[0]?.text).toContain('sum to infinity');
    expect(await lspEventsOf(w, 'AdvanceFailed')).toHaveLength(0);
    const done = await lspEventsOf(w, 'AdvanceCompleted');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ advanceId: 1, attempt: 1, counters: { superseded: [0], created: [1] } });
    for (const c of [a, b]) {
      expect(await eventsOf(c, 'AdvanceCompleted')).toHaveLength(1);
      expect(await eventsOf(c, 'AdvanceFailed')).toHaveLength(0);
      expect(clientOf(c).factories()[0]?.advance?.counter).toBe(1);
    }
    // Each attempt drew fresh nonces: no public nonce (job or rebinding) of attempt 0 is used again.
    const sent = w
      .messages('advance_nonces')
      .map((d) => d.message as Extract<Message, { type: 'advance_nonces' }>);
    expect(sent.map((m) => m.attempt ?? 0).sort()).toEqual([0, 0, 1, 1]);
    const nonceHex = (m: (typeof sent)[number]) => [
      ...m.nonces.map((n) => toHex(n.pubnonce)),
      ...m.rebindingNonces.map((n) => toHex(n.verificationNonce)),
    ];
    const all = sent.flatMap(nonceHex);
    expect(new Set(all).size).toBe(all.length);
    // Only attempt 1 reached round 2 (attempt 0 failed before any aggregate nonce left).
    expect(w.messages('advance_agg_nonces').map((d) => (d.message as { attempt?: number }).attempt)).toEqual([
      1, 1,
    ]);
    // The channels pay on the new outpoint.
    const inv = await invoiceOf(w, b, 1_000_000n);
    await w.command(a, { type: 'pay_invoice', invoice: inv });
    expect(await eventsOf(b, 'PaymentReceived')).toHaveLength(1);
  }, 60_000);

  it('nonces that always cancel: abandoned after maxSigningAttempts with an event saying why; the next advance works', async () => {
    world = await World.create({ seed: 'adv-retry-always', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    let on = true;
    const cut = cancelStateNonces(w, () => on);
    await advanceLeaf(w, f, 0);
    expect(cut.hits).toEqual([0, 1, 2]); // the default limit: 3 attempts
    expect((await lspEventsOf(w, 'AdvanceRetried')).map((e) => e.attempt)).toEqual([1, 2]);
    const failed = await lspEventsOf(w, 'AdvanceFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      advanceId: 1,
      reason: 'signing_failed',
      attempts: 3,
      cancelling: [1, 2],
    });
    expect(failed[0]?.blamed).toBeUndefined();
    expect(failed[0]?.text).toMatch(/sum to infinity.*nobody to blame after 3 attempt\(s\)/);
    // Nothing of it was released; both clients abandoned it and stay on the old state.
    expect(w.messages('advance_done')).toHaveLength(0);
    expect(w.messages('lstock_secret')).toHaveLength(0);
    for (const c of [a, b]) {
      const adv = clientOf(c).factories()[0]?.advance;
      expect(adv?.inProgress).toBeUndefined();
      expect(adv?.counter ?? 0).toBe(0);
      expect(await eventsOf(c, 'AdvanceCompleted')).toHaveLength(0);
    }
    // The next advance (honest nonces) completes with the next counter (counter 1 stays retired).
    on = false;
    await advanceLeaf(w, f, 0);
    const done = await lspEventsOf(w, 'AdvanceCompleted');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ advanceId: 2, counters: { superseded: [0], created: [2] } });
    expect(done[0]?.attempt).toBeUndefined();
  }, 60_000);

  it('a retry naming other terms under the same advance is refused by the clients; nothing completes', async () => {
    world = await World.create({ seed: 'adv-retry-terms', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    cancelStateNonces(w, (attempt) => attempt === 0);
    // The retry's proposal is altered on its way (another poison hash for the created state).
    w.net.interceptors.push((_from, _to, m) => {
      if (m.type !== 'advance_propose' || (m.attempt ?? 0) === 0) return undefined;
      const c = m.created[0] as (typeof m.created)[number];
      const poisonHash = Uint8Array.from(c.poisonHash);
      poisonHash[0] = (poisonHash[0] as number) ^ 1;
      return { ...m, created: [{ ...c, poisonHash }, ...m.created.slice(1)] };
    });
    await advanceLeaf(w, f, 0);
    await w.tick(1_000);
    expect(await lspEventsOf(w, 'AdvanceCompleted')).toHaveLength(0);
    const failed = await lspEventsOf(w, 'AdvanceFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ advanceId: 1, reason: 'refused', attempts: 2 });
    for (const c of [a, b]) {
      const ended = await eventsOf(c, 'AdvanceFailed');
      expect(ended.map((e) => e.reason)).toContain('invalid');
      expect(ended.find((e) => e.reason === 'invalid')?.text).toContain('changes its terms');
      expect(clientOf(c).factories()[0]?.advance?.inProgress).toBeUndefined();
      expect(w.messages('advance_nonces', c).map((d) => (d.message as { attempt?: number }).attempt)).toEqual(
        [undefined],
      );
    }
  }, 60_000);

  it("a client's connection lost as the retry reaches it: both sides abandon the advance (one verdict), then go on", async () => {
    world = await World.create({ seed: 'adv-retry-cut', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    cancelStateNonces(w, (attempt) => attempt === 0);
    let hit = false;
    w.net.interceptors.push((from, to, m) => {
      if (hit || m.type !== 'advance_propose' || (m.attempt ?? 0) !== 1 || to !== a.nodeId) return undefined;
      hit = true;
      w.disconnect(from, to);
      return null;
    });
    await advanceLeaf(w, f, 0);
    expect(hit).toBe(true);
    await w.drive();
    await w.tick(1_000);
    const failed = await lspEventsOf(w, 'AdvanceFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ advanceId: 1, reason: 'disconnected', attempts: 2 });
    expect(await lspEventsOf(w, 'AdvanceCompleted')).toHaveLength(0);
    for (const c of [a, b]) {
      expect(clientOf(c).factories()[0]?.advance?.inProgress).toBeUndefined();
      expect(await eventsOf(c, 'AdvanceCompleted')).toHaveLength(0);
    }
    await advanceLeaf(w, f, 0);
    const done = await lspEventsOf(w, 'AdvanceCompleted');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ advanceId: 2, counters: { superseded: [0], created: [2] } });
    for (const c of [a, b]) expect(await eventsOf(c, 'AdvanceCompleted')).toHaveLength(1);
  }, 60_000);

  it('the LSP crashes between attempts: the durable attempt counter survives; both sides abandon it and go on', async () => {
    world = await World.create({ seed: 'adv-retry-crash', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    let on = true;
    cancelStateNonces(w, () => on);
    let hit = false;
    // Crash as attempt 1's proposal is about to leave (its attempt is already durable).
    w.lsp.crashPoint = (action) => {
      if (hit || action.kind !== 'send' || action.message.type !== 'advance_propose') return false;
      if ((action.message.attempt ?? 0) !== 1) return false;
      hit = true;
      return true;
    };
    await advanceLeaf(w, f, 0);
    expect(hit).toBe(true);
    on = false;
    await w.restart(w.lsp);
    await w.drive();
    await w.tick(1_000);
    const failed = await lspEventsOf(w, 'AdvanceFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ advanceId: 1, reason: 'restart', attempts: 2 });
    expect((await lspEventsOf(w, 'AdvanceRetried')).map((e) => e.attempt)).toEqual([1]);
    expect(lsp(w).factory(f.factoryId)?.advance?.inProgress).toBeUndefined();
    for (const c of [a, b]) {
      const adv = clientOf(c).factories()[0]?.advance;
      expect(adv?.inProgress).toBeUndefined();
      expect(adv?.counter ?? 0).toBe(0);
    }
    // A second restart does not report it again (no longer in flight once journalled).
    await w.restart(w.lsp);
    await w.drive();
    expect(await lspEventsOf(w, 'AdvanceFailed')).toHaveLength(1);
    // The next advance starts at attempt 0 under a new id and completes; the channels pay.
    await advanceLeaf(w, f, 0);
    const done = await lspEventsOf(w, 'AdvanceCompleted');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ advanceId: 2, counters: { superseded: [0], created: [2] } });
    for (const c of [a, b]) expect(await eventsOf(c, 'AdvanceCompleted')).toHaveLength(1);
    const inv = await invoiceOf(w, a, 700_000n);
    await w.command(b, { type: 'pay_invoice', invoice: inv });
    expect(await eventsOf(a, 'PaymentReceived')).toHaveLength(1);
  }, 60_000);
});
