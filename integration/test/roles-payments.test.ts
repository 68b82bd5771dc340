// Payments through the LSP (issue 22): BOLT 11 invoices, forwarding by SCID alias, failures back
// along the route, timeouts, the routable window, batching and restarts — on the deterministic harness.
import { createHash } from 'node:crypto';
import { FailureCode } from '@superscalar/client';
import { afterEach, describe, expect, it } from 'vitest';
import { clientOf, lspFactories, openFactory, type RoleNode, registerAll, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function invoiceOf(w: World, payee: RoleNode, amountMsat: bigint): Promise<string> {
  await w.command(payee, { type: 'create_invoice', amountMsat, description: 'test' });
  const list = clientOf(payee).invoices();
  return (list[list.length - 1] as { invoice: string }).invoice;
}

/** Opens one factory per group of clients (registered, formed and confirmed one after the other). */
async function openFactories(w: World, groups: readonly (readonly RoleNode[])[]): Promise<void> {
  for (const [i, g] of groups.entries()) {
    await registerAll(w, undefined, g);
    await w.command(w.lsp, { type: 'form_factory' });
    expect(lspFactories(w)).toHaveLength(i + 1);
    for (let k = 0; k < 12 && lspFactories(w)[i]?.phase !== 'open'; k++) await w.mine(1);
    expect(lspFactories(w)[i]?.phase).toBe('open');
  }
}

async function kinds(n: RoleNode, kind: string) {
  return (await n.events()).filter((e) => e.kind === kind) as Record<string, unknown>[];
}

describe('payments through the LSP', () => {
  it('client → LSP → client in one factory: the payee is paid, the payer gets the preimage, the LSP its fee', async () => {
    world = await World.create({ seed: 'pay-one', clients: 2 });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 1_000_000n);
    expect(inv.startsWith('lnbcrt')).toBe(true);
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    const sent = await kinds(payer, 'PaymentSent');
    expect(sent).toHaveLength(1);
    const s0 = sent[0] as { preimage: string; paymentHash: string; feeMsat: bigint };
    expect(createHash('sha256').update(Buffer.from(s0.preimage, 'hex')).digest('hex')).toBe(s0.paymentHash);
    expect(s0.feeMsat).toBe(1_100n); // 1,000 msat base + 100 ppm of 1,000,000
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(1);
    const fwd = await kinds(w.lsp, 'PaymentForwarded');
    expect(fwd).toHaveLength(1);
    expect((fwd[0] as { feeMsat: bigint }).feeMsat).toBe(1_100n);
    expect(clientOf(payer).payments()[0]?.status).toBe('sent');
    // Balances: the payee +1,000 sat, the payer −1,001.1 sat (both commitments settled).
    const ch = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat;
    expect(ch(payee)).toBe(10_000_000n + 1_000_000n);
    expect(ch(payer)).toBe(10_000_000n - 1_001_100n);
  });

  it('a failure at the payee (an invoice already paid) reaches the payer with its BOLT 4 reason', async () => {
    world = await World.create({ seed: 'pay-fail', clients: 3 });
    const w = world;
    await openFactory(w);
    const [a, payee, b] = w.clients as [RoleNode, RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 500_000n);
    await w.command(a, { type: 'pay_invoice', invoice: inv });
    expect(await kinds(a, 'PaymentSent')).toHaveLength(1);
    await w.command(b, { type: 'pay_invoice', invoice: inv });
    const failed = await kinds(b, 'PaymentFailed');
    expect(failed).toHaveLength(1);
    expect((failed[0] as { code: number }).code).toBe(FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS);
    expect(clientOf(b).payments()[0]?.status).toBe('failed');
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(1);
  });

  it('an invoice past the routable window is refused with a typed error (nothing added)', async () => {
    world = await World.create({ seed: 'pay-window', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 100_000n);
    // Mine until tip + 1 + 2·delta passes T_m − exitDelay − pathTxs − exitMargin (brief §7).
    const info = clientOf(payer).factories()[0];
    expect(info).toBeDefined();
    const dying = f.proposal.proposalHeight + f.proposal.activeBlocks;
    const target = dying - 2; // inside the active period, past the window for two hops
    await w.mine(Math.max(0, target - w.chain.height));
    const before = (await kinds(payer, 'CommandRefused')).length;
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    const refused = await kinds(payer, 'CommandRefused');
    expect(refused.length).toBe(before + 1);
    expect(refused[refused.length - 1]).toMatchObject({
      command: 'pay_invoice',
      code: 'CLIENT_PAYMENT_REFUSED',
    });
    expect(String((refused[refused.length - 1] as { message: string }).message)).toMatch(/window|dying/);
    expect(clientOf(payer).payments()).toHaveLength(0);
  });

  it('across two factories of the same LSP: the payer in one, the payee in the other', async () => {
    world = await World.create({ seed: 'pay-two', clients: 4 });
    const w = world;
    const [a0, a1, b0, b1] = w.clients as [RoleNode, RoleNode, RoleNode, RoleNode];
    await openFactories(w, [
      [a0, a1],
      [b0, b1],
    ]);
    const fs = lspFactories(w);
    expect(fs[0]?.factoryId).not.toBe(fs[1]?.factoryId);
    expect(clientOf(a0).factories()[0]?.factoryId).not.toBe(clientOf(b1).factories()[0]?.factoryId);
    const inv = await invoiceOf(w, b1, 700_000n);
    await w.command(a0, { type: 'pay_invoice', invoice: inv });
    expect(await kinds(a0, 'PaymentSent')).toHaveLength(1);
    expect(await kinds(b1, 'PaymentReceived')).toHaveLength(1);
    const fwd = await kinds(w.lsp, 'PaymentForwarded');
    expect(fwd).toHaveLength(1);
    const f0 = fwd[0] as { inChannel: string; outChannel: string };
    expect(f0.inChannel).toBe(clientOf(a0).factories()[0]?.channel.channelId);
    expect(f0.outChannel).toBe(clientOf(b1).factories()[0]?.channel.channelId);
    const ch = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat;
    expect(ch(b1)).toBe(10_000_000n + 700_000n);
    expect(ch(a0)).toBe(10_000_000n - 700_000n - 1_070n);
    // The others are untouched.
    expect(ch(a1)).toBe(10_000_000n);
    expect(ch(b0)).toBe(10_000_000n);
  });

  it('a wrong payment secret is refused at the payee; its BOLT 4 reason reaches the payer, nothing paid', async () => {
    world = await World.create({ seed: 'pay-secret', clients: 2 });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 300_000n);
    // The LSP's add to the payee carries a payment secret other than the invoice's.
    let tampered = 0;
    w.net.interceptors.push((from, to, m) => {
      if (from !== w.lsp.nodeId || to !== payee.nodeId || m.type !== 'update_add_htlc') return undefined;
      const hp = m.hopPayload;
      if (hp?.paymentData === undefined) return undefined;
      tampered++;
      const secret = Uint8Array.from(hp.paymentData.paymentSecret);
      secret[0] = (secret[0] as number) ^ 1;
      return { ...m, hopPayload: { ...hp, paymentData: { ...hp.paymentData, paymentSecret: secret } } };
    });
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    expect(tampered).toBe(1);
    const failed = await kinds(payer, 'PaymentFailed');
    expect(failed).toHaveLength(1);
    expect((failed[0] as { code: number }).code).toBe(FailureCode.INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS);
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(0);
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(0);
    expect(await kinds(w.lsp, 'PaymentForwarded')).toHaveLength(0);
    expect(clientOf(payer).payments()[0]?.status).toBe('failed');
    const ch = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat;
    expect(ch(payer)).toBe(10_000_000n);
    expect(ch(payee)).toBe(10_000_000n);
  });

  /** The ids of the `update_add_htlc`s the LSP delivered to `payee` for `hash` (hex). */
  function addsTo(w: World, payee: RoleNode, hash: string): bigint[] {
    return w
      .messages('update_add_htlc', w.lsp)
      .filter((d) => d.to === payee.nodeId)
      .map((d) => d.message as { id: bigint; paymentHash: Uint8Array })
      .filter((m) => Buffer.from(m.paymentHash).toString('hex') === hash)
      .map((m) => m.id);
  }

  /** The payment hash (hex) of the payee's last invoice. */
  function lastHash(payee: RoleNode): string {
    const list = clientOf(payee).invoices();
    return (list[list.length - 1] as { paymentHash: string }).paymentHash;
  }

  it('a restart of the LSP between receiving the HTLC and forwarding it: paid once, no duplicate downstream', async () => {
    world = await World.create({ seed: 'pay-crash-fwd', clients: 2 });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 400_000n);
    const hash = lastHash(payee);
    let crashed = 0;
    w.lsp.crashPoint = (a) => {
      const hit = a.kind === 'send' && a.peer === payee.nodeId && a.message.type === 'update_add_htlc';
      if (hit) crashed++;
      return hit;
    };
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    expect(crashed).toBe(1);
    expect(w.lsp.down).toBe(true);
    expect(addsTo(w, payee, hash)).toHaveLength(0);
    await w.restart(w.lsp);
    await w.tick(1000); // pending forwards resume on a tick
    await w.tick(1000);
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(1);
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(1);
    expect(await kinds(w.lsp, 'PaymentForwarded')).toHaveLength(1);
    const ids = addsTo(w, payee, hash);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(1); // retransmissions of one HTLC at most, never a second one
    const ch = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat;
    expect(ch(payee)).toBe(10_000_000n + 400_000n);
    expect(ch(payer)).toBe(10_000_000n - 400_000n - 1_040n);
  });

  it('a restart of the LSP between the payee’s fulfil and the upstream settle: PaymentSent exactly once', async () => {
    world = await World.create({ seed: 'pay-crash-settle', clients: 2 });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 600_000n);
    const hash = lastHash(payee);
    let crashed = 0;
    w.lsp.crashPoint = (a) => {
      const hit = a.kind === 'send' && a.peer === payer.nodeId && a.message.type === 'update_fulfill_htlc';
      if (hit) crashed++;
      return hit;
    };
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    expect(crashed).toBe(1);
    expect(w.lsp.down).toBe(true);
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(1);
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(0);
    await w.restart(w.lsp);
    await w.tick(1000);
    await w.tick(1000);
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(1);
    expect(clientOf(payer).payments()[0]?.status).toBe('sent');
    await w.tick(1000); // nothing more to settle
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(1);
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(1);
    const ch = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat;
    expect(ch(payee)).toBe(10_000_000n + 600_000n);
    expect(ch(payer)).toBe(10_000_000n - 600_000n - 1_060n);
    expect(new Set(addsTo(w, payee, hash)).size).toBe(1);
  });

  it('the payee offline: the LSP fails the HTLC upstream after forwardTimeoutMs with a reason', async () => {
    world = await World.create({ seed: 'pay-timeout', clients: 2, lspPolicy: { forwardTimeoutMs: 10_000 } });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 200_000n);
    w.disconnect(payee.nodeId, w.lsp.nodeId, { keepDown: true });
    await w.drive();
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    await w.tick(5_000); // before the timeout: still held
    expect(await kinds(payer, 'PaymentFailed')).toHaveLength(0);
    expect(clientOf(payer).payments()[0]?.status).toBe('pending');
    await w.tick(6_000); // past it
    const failed = await kinds(payer, 'PaymentFailed');
    expect(failed).toHaveLength(1);
    expect((failed[0] as { code: number }).code).toBe(0x1007); // temporary_channel_failure
    expect(clientOf(payer).payments()[0]?.status).toBe('failed');
    expect(addsTo(w, payee, lastHash(payee))).toHaveLength(0);
    const ch = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat;
    expect(ch(payer)).toBe(10_000_000n);
    // The payee coming back later gets nothing.
    await w.connect(payee);
    await w.tick(1000);
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(0);
  });

  it('reconnections with HTLCs in flight on both links: paid once', async () => {
    world = await World.create({ seed: 'pay-reconnect', clients: 2 });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 800_000n);
    const hash = lastHash(payee);
    const broken: string[] = [];
    const cut = (from: RoleNode, to: RoleNode, type: string) =>
      w.net.interceptors.push((f, t, m) => {
        const tag = `${type}@${to.name}`;
        if (f !== from.nodeId || t !== to.nodeId || m.type !== type || broken.includes(tag)) return undefined;
        broken.push(tag);
        w.disconnect(f, t); // the connection breaks with the message (reconnected when quiet)
        return null;
      });
    cut(w.lsp, payee, 'commitment_signed'); // the add signed but not received
    cut(w.lsp, payer, 'update_fulfill_htlc'); // the settle lost upstream
    cut(payer, w.lsp, 'revoke_and_ack'); // and one revocation from the payer
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    await w.tick(1000);
    await w.tick(1000);
    expect(broken).toContain('commitment_signed@client1');
    expect(broken).toContain('update_fulfill_htlc@client0');
    expect(broken).toContain('revoke_and_ack@lsp');
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(1);
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(1);
    expect(await kinds(w.lsp, 'PaymentForwarded')).toHaveLength(1);
    expect(new Set(addsTo(w, payee, hash)).size).toBe(1);
    const ch = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat;
    expect(ch(payee)).toBe(10_000_000n + 800_000n);
    expect(ch(payer)).toBe(10_000_000n - 800_000n - 1_080n);
  });

  it('a restart of the LSP after the downstream fulfil is committed but before the upstream settle: PaymentSent once', async () => {
    world = await World.create({ seed: 'pay-crash-settle-late', clients: 2 });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 600_000n);
    const hash = lastHash(payee);
    // The upstream fulfil is lost with the payer's connection, which stays down: only the LSP's
    // records can settle the payer later.
    let lost = 0;
    w.net.interceptors.push((f, t, m) => {
      if (f !== w.lsp.nodeId || t !== payer.nodeId || m.type !== 'update_fulfill_htlc' || lost > 0)
        return undefined;
      lost++;
      w.disconnect(f, t, { keepDown: true });
      return null;
    });
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    expect(lost).toBe(1);
    const ch = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat;
    expect(ch(payee)).toBe(10_000_000n + 600_000n); // settled downstream, in both commitments
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(0);
    await w.restart(w.lsp);
    await w.connect(payer);
    await w.tick(1000);
    await w.tick(1000);
    await w.tick(1000);
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(1);
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(1);
    expect(await kinds(w.lsp, 'PaymentForwarded')).toHaveLength(1);
    expect(ch(payer)).toBe(10_000_000n - 600_000n - 1_060n);
    expect(await kinds(payer, 'PaymentFailed')).toHaveLength(0);
    expect(new Set(addsTo(w, payee, hash)).size).toBe(1); // the payee is never offered it again
  });

  it('two payers pay one invoice at once: the payee takes one, the other payer fails and keeps its money', async () => {
    world = await World.create({ seed: 'pay-same-hash', clients: 3 });
    const w = world;
    await openFactory(w);
    const [a, payee, b] = w.clients as [RoleNode, RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 500_000n);
    await a.input({ type: 'pay_invoice', invoice: inv });
    await b.input({ type: 'pay_invoice', invoice: inv });
    await w.drive();
    await w.tick(1000);
    const sent = [...(await kinds(a, 'PaymentSent')), ...(await kinds(b, 'PaymentSent'))];
    const failed = [...(await kinds(a, 'PaymentFailed')), ...(await kinds(b, 'PaymentFailed'))];
    const received = await kinds(payee, 'PaymentReceived');
    const ch = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat;
    const paid = (ch(payee) as bigint) - 10_000_000n;
    // Every PaymentSent is matched by the payee's money: nobody pays for what the payee did not take.
    expect(paid).toBe(500_000n * BigInt(received.length));
    expect(sent.length).toBe(received.length);
    expect(sent.length + failed.length).toBe(2);
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect((await kinds(w.lsp, 'PaymentForwarded')).length).toBe(sent.length);
    const spent = 20_000_000n - (ch(a) as bigint) - (ch(b) as bigint);
    expect(spent).toBe((500_000n + 1_050n) * BigInt(sent.length));
  });

  it('a restart of the payer while the settle is in flight: PaymentSent exactly once', async () => {
    world = await World.create({ seed: 'pay-crash-payer', clients: 2 });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 250_000n);
    let sawFulfil = false;
    w.net.observers.push((d) => {
      if (d.to === payer.nodeId && d.message.type === 'update_fulfill_htlc') sawFulfil = true;
    });
    let crashed = 0;
    payer.crashPoint = (a) => {
      const hit = sawFulfil && a.kind === 'send' && a.message.type === 'revoke_and_ack';
      if (hit) crashed++;
      return hit;
    };
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    expect(crashed).toBe(1);
    await w.restart(payer);
    await w.tick(1000);
    await w.tick(1000);
    expect(await kinds(payer, 'PaymentSent')).toHaveLength(1);
    expect(clientOf(payer).payments()[0]?.status).toBe('sent');
    expect(await kinds(payee, 'PaymentReceived')).toHaveLength(1);
    const ch = (n: RoleNode) => clientOf(n).factories()[0]?.channel.balances?.clientMsat;
    expect(ch(payer)).toBe(10_000_000n - 250_000n - 1_025n);
    expect(ch(payee)).toBe(10_000_000n + 250_000n);
  });

  it('the forward timeout survives an LSP restart: a pending forward is still failed upstream once', async () => {
    world = await World.create({
      seed: 'pay-timeout-restart',
      clients: 2,
      lspPolicy: { forwardTimeoutMs: 10_000 },
    });
    const w = world;
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    const inv = await invoiceOf(w, payee, 200_000n);
    w.disconnect(payee.nodeId, w.lsp.nodeId, { keepDown: true });
    await w.drive();
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    await w.tick(4_000);
    await w.restart(w.lsp);
    await w.tick(4_000); // 8 s since the HTLC arrived: still held
    expect(await kinds(payer, 'PaymentFailed')).toHaveLength(0);
    await w.tick(4_000);
    await w.tick(1_000);
    const failed = await kinds(payer, 'PaymentFailed');
    expect(failed).toHaveLength(1);
    expect((failed[0] as { code: number }).code).toBe(0x1007);
    expect(addsTo(w, payee, lastHash(payee))).toHaveLength(0);
    expect(clientOf(payer).factories()[0]?.channel.balances?.clientMsat).toBe(10_000_000n);
  });
});
