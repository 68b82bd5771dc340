// Payments through the LSP (issue 22): BOLT 11 invoices, forwarding by SCID alias, failures back
// along the route, timeouts, the routable window, batching and restarts — on the deterministic harness.
import { createHash } from 'node:crypto';
import { FailureCode } from '@superscalar/client';
import { afterEach, describe, expect, it } from 'vitest';
import { clientOf, openFactory, type RoleNode, World } from '../harness/index.js';

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
});
