// Commitment fee updates through the roles (issue 22, brief §7 "Fee"): the LSP, the funder, proposes
// the estimator's rate within its bounds; the client takes a rate within its own and refuses any
// other (a `warning` and a reconnection); a refusal never leaves a stuck channel.
import { afterEach, describe, expect, it } from 'vitest';
import { clientOf, factoryOf, openFactory, type RoleNode, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const rates = (commitment: number) => ({ funding: 1000, tree: 1000, commitment, close: 1000 });

async function kinds(n: RoleNode, kind: string) {
  return (await n.events()).filter((e) => e.kind === kind) as Record<string, unknown>[];
}

async function pay(w: World, payer: RoleNode, payee: RoleNode, amountMsat: bigint): Promise<void> {
  await w.command(payee, { type: 'create_invoice', amountMsat, description: 'fee test' });
  const list = clientOf(payee).invoices();
  const invoice = (list[list.length - 1] as { invoice: string }).invoice;
  await w.command(payer, { type: 'pay_invoice', invoice });
}

/** The fee rate of each side's current commitment: the LSP's for each channel, then each client's. */
function feeRates(w: World) {
  return {
    lsp: factoryOf(w).channels.map((c) => c.feeRate),
    clients: w.clients.map((c) => clientOf(c).factories()[0]?.channel.feeRate),
  };
}

describe('update_fee through the roles', () => {
  it('accepted: both commitments of every channel move to the new rate, and payments still work', async () => {
    world = await World.create({ seed: 'fee-accept', clients: 2, lspPolicy: { maxCommitFeeRate: 8_000 } });
    const w = world;
    await openFactory(w);
    expect(feeRates(w)).toEqual({ lsp: [1000, 1000], clients: [1000, 1000] });
    await w.command(w.lsp, { type: 'fee_rates', rates: rates(2_500) });
    const proposed = await kinds(w.lsp, 'FeeUpdateProposed');
    expect(proposed).toHaveLength(2);
    expect(proposed[0]).toMatchObject({ feeRate: 2_500, previous: 1000, target: 2_500 });
    expect(feeRates(w)).toEqual({ lsp: [2_500, 2_500], clients: [2_500, 2_500] });
    expect(w.messages('update_fee', w.lsp)).toHaveLength(2);
    // Within the hysteresis (20 %): nothing new.
    await w.command(w.lsp, { type: 'fee_rates', rates: rates(2_800) });
    await w.tick(1000);
    expect(await kinds(w.lsp, 'FeeUpdateProposed')).toHaveLength(2);
    // Clamped to the LSP's maxCommitFeeRate.
    await w.command(w.lsp, { type: 'fee_rates', rates: rates(500_000) });
    expect(feeRates(w)).toEqual({ lsp: [8_000, 8_000], clients: [8_000, 8_000] });
    await w.command(w.lsp, { type: 'fee_rates', rates: rates(3_000) });
    expect(feeRates(w)).toEqual({ lsp: [3_000, 3_000], clients: [3_000, 3_000] });
    const [a, b] = w.clients as [RoleNode, RoleNode];
    await pay(w, a, b, 700_000n);
    expect(await kinds(a, 'PaymentSent')).toHaveLength(1);
    expect(await kinds(b, 'PaymentReceived')).toHaveLength(1);
    expect(clientOf(b).factories()[0]?.channel.balances?.clientMsat).toBe(10_000_000n + 700_000n);
    expect(await kinds(a, 'FeeUpdateRefused')).toHaveLength(0);
  });

  for (const batchWindowMs of [0, 200]) {
    it(`refused (batchWindowMs ${batchWindowMs}): a typed refusal, a warning, a reconnection; the rate is not proposed again and the channel still pays`, async () => {
      world = await World.create({
        seed: `fee-refuse-${batchWindowMs}`,
        clients: 2,
        lspPolicy: { batchWindowMs },
        clientPolicy: { maxCommitFeeRate: 4_000 },
      });
      const w = world;
      await openFactory(w);
      const [a, b] = w.clients as [RoleNode, RoleNode];
      await w.command(w.lsp, { type: 'fee_rates', rates: rates(6_000) });
      await w.tick(batchWindowMs + 1000);
      await w.tick(1000);
      // Each client refused with its typed error's code, told the LSP, and reconnected.
      for (const c of [a, b]) {
        const refused = await kinds(c, 'FeeUpdateRefused');
        expect(refused).toHaveLength(1);
        expect(refused[0]).toMatchObject({
          feeRate: 6_000,
          min: 1000,
          max: 4_000,
          code: 'CLIENT_FEE_RATE_REFUSED',
        });
      }
      const warnings = w.messages('warning').filter((d) => d.to === w.lsp.nodeId);
      expect(warnings).toHaveLength(2);
      expect(String((warnings[0]?.message as { text?: string } | undefined)?.text)).toMatch(
        /^update_fee refused: 6000 sat\/kvB/,
      );
      expect(await kinds(w.lsp, 'FeeUpdateRefused')).toHaveLength(2);
      // Either the update was forgotten uncommitted (batching: the refusal came before the commit) or
      // it was signed first, retransmitted once, and the LSP put the previous rate back: the same end.
      expect(feeRates(w)).toEqual({ lsp: [1000, 1000], clients: [1000, 1000] });
      const restores = (await kinds(w.lsp, 'FeeUpdateProposed')).filter((e) => e.feeRate === 1000);
      if (batchWindowMs > 0) {
        // Uncommitted when the refusal came: forgotten by both sides, nothing to restore.
        expect(w.messages('update_fee', w.lsp)).toHaveLength(2);
        expect(restores).toHaveLength(0);
      } else {
        // Signed at once (no batching): retransmitted after the reconnection, taken once, restored.
        expect(
          w.messages('update_fee', w.lsp).filter((d) => (d.message as { feeRate: number }).feeRate === 6_000),
        ).toHaveLength(4);
        expect(restores).toHaveLength(2);
        expect(restores[0]).toMatchObject({ previous: 6_000, feeRate: 1000 });
      }
      const proposals = (await kinds(w.lsp, 'FeeUpdateProposed')).length;
      // The same estimate again: the refused rate is not proposed again.
      await w.command(w.lsp, { type: 'fee_rates', rates: rates(6_000) });
      await w.tick(batchWindowMs + 1000);
      expect((await kinds(w.lsp, 'FeeUpdateProposed')).length).toBe(proposals);
      expect((await kinds(a, 'FeeUpdateRefused')).length).toBe(1);
      // The channels still pay, both ways.
      await pay(w, a, b, 300_000n);
      await w.tick(batchWindowMs + 1000);
      await pay(w, b, a, 100_000n);
      await w.tick(batchWindowMs + 1000);
      expect(await kinds(a, 'PaymentSent')).toHaveLength(1);
      expect(await kinds(b, 'PaymentSent')).toHaveLength(1);
      // The estimate moves to a rate the clients accept: proposed and taken.
      await w.command(w.lsp, { type: 'fee_rates', rates: rates(3_500) });
      await w.tick(batchWindowMs + 1000);
      expect(feeRates(w)).toEqual({ lsp: [3_500, 3_500], clients: [3_500, 3_500] });
    });
  }

  it('unaffordable: the LSP clamps to the highest rate it can afford, or skips with an event', async () => {
    // The clients hold most of each channel: the LSP's side cannot pay a high commitment fee.
    world = await World.create({
      seed: 'fee-afford',
      clients: 1,
      lspPolicy: { maxCommitFeeRate: 1_000_000 },
    });
    const w = world;
    await openFactory(w, { capacity: 20_000n, balance: 16_000n });
    await w.command(w.lsp, { type: 'fee_rates', rates: rates(1_000_000) });
    const proposed = await kinds(w.lsp, 'FeeUpdateProposed');
    expect(proposed).toHaveLength(1);
    const rate = (proposed[0] as { feeRate: number }).feeRate;
    expect(rate).toBeGreaterThan(1_200);
    expect(rate).toBeLessThan(1_000_000);
    expect(feeRates(w).clients).toEqual([rate]);
    // Nothing more is affordable: skipped, once.
    await w.command(w.lsp, { type: 'fee_rates', rates: rates(900_000) });
    await w.command(w.lsp, { type: 'fee_rates', rates: rates(900_000) });
    const skipped = await kinds(w.lsp, 'FeeUpdateSkipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ feeRate: 900_000, reason: 'affordability' });
    expect(feeRates(w).clients).toEqual([rate]);
  });
});
