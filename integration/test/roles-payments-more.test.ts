// Payments through the LSP, the rest of issue 22: HTLC caps on forwards with their BOLT 4 codes, the
// outgoing HTLC id in the forward record (two payers of one invoice across an LSP restart), a payee
// restarting with HTLCs it received but did not fulfil, and concurrency with batching.
import { FailureCode } from '@superscalar/client';
import type { Op } from '@superscalar/persist';
import { afterEach, describe, expect, it } from 'vitest';
import { clientOf, openFactory, type RoleNode, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function kinds(n: RoleNode, kind: string) {
  return (await n.events()).filter((e) => e.kind === kind) as Record<string, unknown>[];
}

async function invoiceOf(w: World, payee: RoleNode, amountMsat: bigint): Promise<string> {
  await w.command(payee, { type: 'create_invoice', amountMsat, description: 'test' });
  const list = clientOf(payee).invoices();
  return (list[list.length - 1] as { invoice: string }).invoice;
}

const balance = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat as bigint;

async function failureCodes(n: RoleNode): Promise<number[]> {
  return (await kinds(n, 'PaymentFailed')).map((e) => e.code as number);
}

describe('forwarding caps (BOLT 4 codes)', () => {
  it('below htlc_minimum_msat: amount_below_minimum (0x100b) with the amount; above htlc_maximum_msat: temporary_channel_failure', async () => {
    world = await World.create({
      seed: 'cap-min-max',
      clients: 2,
      lspPolicy: { htlcMinimumMsat: 50_000n, htlcMaximumMsat: 2_000_000n },
    });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    await w.command(payer, { type: 'pay_invoice', invoice: await invoiceOf(w, payee, 40_000n) });
    const failed = await kinds(payer, 'PaymentFailed');
    expect(failed.map((e) => e.code)).toEqual([0x100b]);
    // [u16 code][u64 htlc_msat][u16 len = 0]
    expect(failed[0]?.reason).toBe(`100b${(40_000).toString(16).padStart(16, '0')}0000`);
    await w.command(payer, { type: 'pay_invoice', invoice: await invoiceOf(w, payee, 2_500_000n) });
    expect(await failureCodes(payer)).toEqual([0x100b, 0x1007]);
    await w.command(payer, { type: 'pay_invoice', invoice: await invoiceOf(w, payee, 1_500_000n) });
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(1);
    expect(balance(payee)).toBe(10_000_000n + 1_500_000n);
  });

  it('max HTLC value in flight on the outgoing channel: temporary_channel_failure once it would pass', async () => {
    world = await World.create({
      seed: 'cap-inflight',
      clients: 2,
      lspPolicy: { maxHtlcValueInFlightMsat: 2_500_000n },
    });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    // The payee holds on: everything it sends the LSP is lost, so its HTLCs stay in flight.
    w.net.interceptors.push((from) => (from === payee.nodeId ? null : undefined));
    for (const amount of [1_000_000n, 1_000_000n, 1_000_000n])
      await w.command(payer, { type: 'pay_invoice', invoice: await invoiceOf(w, payee, amount) });
    expect(await failureCodes(payer)).toEqual([0x1007]);
    expect(
      clientOf(payer)
        .payments()
        .map((p) => p.status),
    ).toEqual(['pending', 'pending', 'failed']);
  });

  it('114 untrimmed HTLCs per direction: the 115th forward to one channel fails at once with temporary_channel_failure', async () => {
    world = await World.create({ seed: 'cap-114', clients: 3 });
    const w = world;
    // Capacity 1,000,000: the dust exposure bound (1 %) leaves room for the fee of 114 HTLC outputs.
    await openFactory(w, { capacity: 1_000_000n, balance: 300_000n });
    const [p1, payee, p2] = w.clients as [RoleNode, RoleNode, RoleNode];
    const invoices: string[] = [];
    for (let i = 0; i < 116; i++) invoices.push(await invoiceOf(w, payee, 1_000_000n)); // untrimmed
    w.net.interceptors.push((from) => (from === payee.nodeId ? null : undefined));
    for (const [i, invoice] of invoices.entries())
      await w.command(i % 2 === 0 ? p1 : p2, { type: 'pay_invoice', invoice });
    const codes = [...(await failureCodes(p1)), ...(await failureCodes(p2))];
    expect(codes).toEqual([0x1007, 0x1007]);
    const offered = w.messages('update_add_htlc', w.lsp).filter((d) => d.to === payee.nodeId);
    expect(new Set(offered.map((d) => (d.message as { id: bigint }).id)).size).toBe(114);
  });
});

describe('forward records and restarts', () => {
  it('two payers of one invoice across an LSP restart: the payee’s fulfil settles the payer whose HTLC it took (by HTLC id, not by hash)', async () => {
    world = await World.create({ seed: 'two-payers-restart', clients: 3 });
    const w = world;
    await openFactory(w);
    const [a, payee, b] = w.clients as [RoleNode, RoleNode, RoleNode];
    const chan = (n: RoleNode) => clientOf(n).factories()[0]?.channel.channelId as string;
    // Restored records come back in key order (incoming channel first): P1's before P2's. P2 pays
    // first, so its forward is added first downstream and is the one the payee takes.
    const [p1, p2] = chan(a) < chan(b) ? [a, b] : [b, a];
    const inv = await invoiceOf(w, payee, 500_000n);
    w.disconnect(payee.nodeId, w.lsp.nodeId, { keepDown: true });
    await w.drive();
    await w.command(p2, { type: 'pay_invoice', invoice: inv });
    await w.command(p1, { type: 'pay_invoice', invoice: inv });
    // The LSP dies as the payee's fulfil reaches it (both outgoing HTLCs committed downstream).
    let crashed = 0;
    w.lsp.crashPoint = (_a, _i, node) => {
      const last = node.trace[node.trace.length - 1]?.input as { type: string; message?: { type: string } };
      const hit = last?.type === 'message' && last.message?.type === 'update_fulfill_htlc';
      if (hit) crashed++;
      return hit;
    };
    await w.connect(payee);
    await w.drive(); // channel_reestablish both ways, then the tick forwards both
    await w.tick(1000);
    expect(crashed).toBe(1);
    const adds = w.messages('update_add_htlc', w.lsp).filter((d) => d.to === payee.nodeId);
    expect(new Set(adds.map((d) => (d.message as { id: bigint }).id))).toEqual(new Set([0n, 1n]));
    await w.restart(w.lsp);
    for (let i = 0; i < 3; i++) await w.tick(1000);
    const fwd = await kinds(w.lsp, 'PaymentForwarded');
    expect(fwd).toHaveLength(1);
    expect(fwd[0]?.inChannel).toBe(chan(p2));
    expect(await kinds(p2, 'PaymentSent')).toHaveLength(1);
    expect(await kinds(p1, 'PaymentSent')).toHaveLength(0);
    expect(await failureCodes(p1)).toEqual([FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS]);
    expect(balance(payee)).toBe(10_000_000n + 500_000n);
    expect(balance(p2)).toBe(10_000_000n - 500_000n - 1_050n);
    expect(balance(p1)).toBe(10_000_000n);
  });

  /** Crashes `payee` as it is about to send its `update_fulfill_htlc` for `payer`'s payment. */
  async function payWithPayeeCrash(w: World, payer: RoleNode, payee: RoleNode, amountMsat: bigint) {
    const inv = await invoiceOf(w, payee, amountMsat);
    let crashed = 0;
    payee.crashPoint = (a) => {
      const hit = a.kind === 'send' && a.message.type === 'update_fulfill_htlc';
      if (hit) crashed++;
      return hit;
    };
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    expect(crashed).toBe(1);
    expect(payee.down).toBe(true);
    const list = clientOf(payer).payments();
    return (list[list.length - 1] as { paymentHash: string }).paymentHash;
  }

  it('a payee restarting between receiving and fulfilling still fulfils (its invoices are persisted)', async () => {
    world = await World.create({ seed: 'payee-restart-paid', clients: 2 });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    await payWithPayeeCrash(w, payer, payee, 300_000n);
    await w.restart(payee);
    await w.tick(1000);
    await w.tick(1000);
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(1);
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(1);
    expect(balance(payee)).toBe(10_000_000n + 300_000n);
    expect(balance(payer)).toBe(10_000_000n - 300_000n - 1_030n);
  });

  it('a payee restarting with a held HTLC whose invoice it no longer knows fails it back: incorrect_or_unknown_payment_details', async () => {
    world = await World.create({ seed: 'payee-restart-unknown', clients: 2 });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const hash = await payWithPayeeCrash(w, payer, payee, 300_000n);
    // The invoice is gone from the payee's store (pruned, or an older backup restored).
    await payee.openStore();
    const drop: Op[] = [{ op: 'delete', table: 'blobs', key: { key: `client/inv/${hash}` } }];
    await payee.commit(drop);
    await payee.store.close();
    await w.restart(payee);
    await w.tick(1000);
    await w.tick(1000);
    const failed = await kinds(payer, 'PaymentFailed');
    expect(failed.map((e) => e.code)).toEqual([FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS]);
    // 0x400f, then [u64 htlc_msat][u32 height]
    expect(String(failed[0]?.reason).slice(4, 20)).toBe((300_000).toString(16).padStart(16, '0'));
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(0);
    expect(balance(payer)).toBe(10_000_000n);
    expect(balance(payee)).toBe(10_000_000n);
  });
});

describe('a payee restarting with an undecided, expired invoice', () => {
  it('fails the held HTLC back with incorrect_or_unknown_payment_details', async () => {
    world = await World.create({ seed: 'payee-restart-expired', clients: 2 });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 200_000n);
    const hash = (clientOf(payee).invoices()[0] as { paymentHash: string }).paymentHash;
    payee.crashPoint = (a) => a.kind === 'send' && a.message.type === 'update_fulfill_htlc';
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    expect(payee.down).toBe(true);
    // The store as an older version would have left it: the HTLC held, the invoice never decided —
    // and expired since.
    await payee.openStore();
    const row = (await payee.store.list('blobs')).find((b) => b.key === `client/inv/${hash}`);
    expect(row).toBeDefined();
    const o = JSON.parse(new TextDecoder().decode(row?.data)) as Record<string, unknown>;
    const { paidBy: _paidBy, ...rest } = o;
    const data = new TextEncoder().encode(
      JSON.stringify({ ...rest, status: 'open', timestamp: 1, expiry: 60 }),
    );
    await payee.commit([
      { op: 'put', table: 'blobs', row: { key: `client/inv/${hash}`, version: 1, data, secret: true } },
    ]);
    await payee.store.close();
    await w.restart(payee);
    await w.tick(1000);
    await w.tick(1000);
    expect(await failureCodes(payer)).toEqual([FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS]);
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(0);
    expect(balance(payer)).toBe(10_000_000n);
    expect(balance(payee)).toBe(10_000_000n);
  });
});

describe('concurrency and batching', () => {
  const PAIRS: readonly (readonly [number, number])[] = [
    [0, 1],
    [1, 0],
    [2, 3],
    [3, 2],
    [0, 2],
    [2, 1],
    [1, 3],
    [3, 0],
    [0, 3],
    [2, 0],
  ];

  /** 50 payments at once in both directions on 4 channels (one factory); returns the LSP's counts. */
  async function fifty(batchWindowMs: number) {
    world = await World.create({ seed: `fifty-${batchWindowMs}`, clients: 4, lspPolicy: { batchWindowMs } });
    const w = world;
    await openFactory(w, { capacity: 400_000n, balance: 200_000n });
    const cs = w.clients;
    const before = cs.map(balance);
    const lspBefore = cs.map((c) => clientOf(c).factories()[0]?.channel.balances?.lspMsat as bigint);
    const plan = Array.from({ length: 50 }, (_, i) => {
      const [from, to] = PAIRS[i % PAIRS.length] as readonly [number, number];
      return { from, to, amountMsat: 1_000_000n + BigInt(i) * 37_000n };
    });
    const invoices: string[] = [];
    for (const p of plan) invoices.push(await invoiceOf(w, cs[p.to] as RoleNode, p.amountMsat));
    const sentAt = w.net.delivered.length;
    // All 50 at once: every pay command is handled before any message moves.
    for (const [i, p] of plan.entries())
      await (cs[p.from] as RoleNode).input({ type: 'pay_invoice', invoice: invoices[i] as string });
    await w.drive();
    for (let i = 0; i < 40; i++) await w.tick(Math.max(batchWindowMs, 1000));
    // Every payment settled exactly once.
    const sent = (await Promise.all(cs.map((c) => kinds(c, 'PaymentSent')))).flat();
    const received = (await Promise.all(cs.map((c) => kinds(c, 'PaymentReceived')))).flat();
    const hashes = (list: Record<string, unknown>[]) => list.map((e) => e.paymentHash as string);
    expect(new Set(hashes(sent)).size).toBe(50);
    expect(sent).toHaveLength(50);
    expect(new Set(hashes(received)).size).toBe(50);
    expect(received).toHaveLength(50);
    expect((await Promise.all(cs.map((c) => kinds(c, 'PaymentFailed')))).flat()).toHaveLength(0);
    const forwarded = await kinds(w.lsp, 'PaymentForwarded');
    expect(forwarded).toHaveLength(50);
    // Balances conserved: each client moved by what it received minus what it paid (fees included);
    // the LSP gained exactly the fees.
    const fee = (a: bigint) => 1_000n + (a * 100n) / 1_000_000n;
    for (const [i, c] of cs.entries()) {
      let expected = before[i] as bigint;
      for (const p of plan) {
        if (p.from === i) expected -= p.amountMsat + fee(p.amountMsat);
        if (p.to === i) expected += p.amountMsat;
      }
      expect(balance(c)).toBe(expected);
    }
    const lspAfter = cs.map((c) => clientOf(c).factories()[0]?.channel.balances?.lspMsat as bigint);
    const fees = plan.reduce((s, p) => s + fee(p.amountMsat), 0n);
    expect(lspAfter.reduce((s, x) => s + x, 0n) - lspBefore.reduce((s, x) => s + x, 0n)).toBe(fees);
    expect(forwarded.reduce((s, e) => s + (e.feeMsat as bigint), 0n)).toBe(fees);
    // What the LSP sent after the 50 commands: updates and commitment_signed.
    const mine = w.net.delivered.slice(sentAt).filter((d) => d.from === w.lsp.nodeId);
    const updates = mine.filter((d) =>
      ['update_add_htlc', 'update_fulfill_htlc', 'update_fail_htlc', 'update_fee'].includes(d.message.type),
    ).length;
    const commits = mine.filter((d) => d.message.type === 'commitment_signed').length;
    return { updates, commits };
  }

  it('50 concurrent payments both ways on 4 channels with batching: each settled once, balances conserved, fewer commitment_signed than updates', async () => {
    const { updates, commits } = await fifty(100);
    console.log(`batching on (100 ms): the LSP sent ${updates} updates in ${commits} commitment_signed`);
    expect(updates).toBe(100); // 50 adds downstream, 50 fulfils upstream
    expect(commits).toBeLessThan(updates);
  });

  it('the same without batching, for comparison (counts only)', async () => {
    const { updates, commits } = await fifty(0);
    console.log(`batching off: the LSP sent ${updates} updates in ${commits} commitment_signed`);
    expect(updates).toBe(100);
  });
});
