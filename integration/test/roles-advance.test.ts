// State advances run by the roles over the wire (brief §5, issue 23 "Advances"): a per-leaf advance
// of a 2-client leaf end to end (counters moved, channels still pay, the close pays the right
// balances), a liquidity sale (fee paid, capacities changed), a carry (§5.2) and an exhausted factory,
// an advance interrupted at each step on either side (disconnect and restart), the refusal while a
// path transaction is in a mempool or on chain (§5.1), and a client's refusal of a fee it did not agree to.
import type { ClientEvent } from '@superscalar/client';
import { fromHex, toHex } from '@superscalar/core';
import type { Lsp, LspEvent, LspFactoryInfo } from '@superscalar/lsp';
import { decodeTx } from '@superscalar/tx';
import { afterEach, describe, expect, it } from 'vitest';
import { clientOf, factoryOf, openFactory, type RoleNode, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

type Ev<K extends string> = Extract<LspEvent | ClientEvent, { kind: K }>;

async function eventsOf<K extends string>(n: RoleNode, kind: K): Promise<Ev<K>[]> {
  return (await n.events()).filter((e) => e.kind === kind) as Ev<K>[];
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

const balanceOf = (c: RoleNode) => clientOf(c).factories()[0]?.channel.balances?.clientMsat as bigint;

describe('per-leaf advance over the wire (brief §5.1)', () => {
  it('advances a 2-client leaf: counters move, both channels rebind, payments and the close still work', async () => {
    world = await World.create({ seed: 'adv-leaf', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    const before = clientOf(a).signedPath(f.factoryId);
    await advanceLeaf(w, f, 0);
    const done = await eventsOf(w.lsp, 'AdvanceCompleted');
    expect(done).toHaveLength(1);
    const d = done[0] as Ev<'AdvanceCompleted'>;
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
    // The tower's entries: the superseded state's poison and settlement, and its secret.
    const tower = clientOf(a).advanceTowerEntries(f.factoryId);
    expect(tower?.superseded).toHaveLength(1);
    expect(tower?.superseded[0]?.stateTxid).toBe(before?.[1]?.txid);
    expect(tower?.superseded[0]?.poison).toBeDefined();
    expect(tower?.superseded[0]?.settlements).toHaveLength(1);
    expect(tower?.secrets.map((s) => s.c)).toEqual([0]);
    expect(tower?.staleStates[0]?.kickoffTxid).toBe(after?.[0]?.txid);

    // Payments on the rebound channels.
    const inv = await invoiceOf(w, b, 2_000_000n);
    await w.command(a, { type: 'pay_invoice', invoice: inv });
    expect(await eventsOf(a, 'PaymentSent')).toHaveLength(1);
    expect(await eventsOf(b, 'PaymentReceived')).toHaveLength(1);
    const balances = [balanceOf(a) / 1000n, balanceOf(b) / 1000n];
    expect(balances[1]).toBe(12_000n);

    // Close: each client paid its balance at its own close address.
    await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
    for (let i = 0; i < 4 && (await eventsOf(w.lsp, 'FactoryClosed')).length === 0; i++) await w.mine(1);
    const closed = await eventsOf(w.lsp, 'FactoryClosed');
    expect(closed).toHaveLength(1);
    const ev = closed[0] as Ev<'FactoryClosed'>;
    expect(ev.balances.map((x) => x.balance)).toEqual(balances);
    const tx = decodeTx((await w.chain.getTransaction(ev.txid)).tx);
    for (const [i, c] of [a, b].entries()) {
      const script = toHex(
        c.keychain.closeAddress(clientOf(c).factories()[0]?.factoryIndex ?? 0).scriptPubKey,
      );
      expect(tx.outputs.find((o) => toHex(o.script) === script)?.value).toBe(balances[i]);
    }
  });
});
