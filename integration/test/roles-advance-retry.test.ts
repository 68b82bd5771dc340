// An advance's aggregation that fails with nobody to blame **after** the clients' partial signatures
// (musig2's 'infinite-nonce' / 'aggnonce'): unreachable with honest code (the LSP's DeterministicSign
// nonce depends on the clients'), so the LSP's `lspAggregateJobs` is made to fail once here. The retry
// then runs from step `psigs` on both sides: each channel is prepared again on the outpoint it already
// signed on (both rebound commitments redone with fresh nonces), every job nonce is fresh, and the same
// advance completes on attempt 1; the channels pay on the new outpoint.
import type { ClientEvent } from '@superscalar/client';
import { fromHex } from '@superscalar/core';
import type { LspEvent } from '@superscalar/lsp';
import { afterEach, expect, it, vi } from 'vitest';
import { clientOf, openFactory, type RoleNode, World } from '../harness/index.js';

const force = vi.hoisted(() => ({ failNext: false, failed: 0 }));

vi.mock('@superscalar/factory-tree', async (importOriginal) => {
  const mod = await importOriginal<typeof import('@superscalar/factory-tree')>();
  const { BatchAggregationError } = await import('@superscalar/musig2');
  return {
    ...mod,
    lspAggregateJobs: (...args: Parameters<typeof mod.lspAggregateJobs>) => {
      const sigs = mod.lspAggregateJobs(...args);
      if (!force.failNext) return sigs;
      force.failNext = false;
      force.failed++;
      // What aggregateBatch reports for R'_1 + b⋅R'_2 at infinity: every partial valid, nobody blamed.
      const cause = new BatchAggregationError(
        [{ job: 0, signers: [], contrib: 'infinite-nonce' }],
        sigs.map((s, j) => (j === 0 ? undefined : s)),
      );
      throw new mod.SigningError(0, null, `1 job(s) failed to aggregate: tx 0 (infinite-nonce)`, { cause });
    },
  };
});

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

it('an unblamed aggregate after the partial signatures: retried from step psigs on both sides, completes on attempt 1', async () => {
  world = await World.create({ seed: 'adv-retry-psigs', clients: 2 });
  const w = world;
  const f = await openFactory(w);
  const [a, b] = w.clients as [RoleNode, RoleNode];
  force.failNext = true;
  await w.command(w.lsp, {
    type: 'advance_leaf',
    factoryId: fromHex(f.factoryId),
    leaf: 0,
    purpose: 'rebalance',
  });
  expect(force.failed).toBe(1);
  const lspEvents = await w.lsp.events();
  const retried = lspEvents.filter((e) => e.kind === 'AdvanceRetried') as Extract<
    LspEvent,
    { kind: 'AdvanceRetried' }
  >[];
  expect(retried).toHaveLength(1);
  expect(retried[0]).toMatchObject({ advanceId: 1, attempt: 1 });
  expect(retried[0]?.cancelling).toBeUndefined(); // not the clients' doing the LSP could prove
  expect(lspEvents.filter((e) => e.kind === 'AdvanceFailed')).toHaveLength(0);
  const done = lspEvents.filter((e) => e.kind === 'AdvanceCompleted');
  expect(done).toHaveLength(1);
  expect(done[0]).toMatchObject({ advanceId: 1, attempt: 1 });
  // Both attempts reached the partial signatures; only attempt 1's were aggregated into advance_done.
  expect(w.messages('advance_psigs').map((d) => (d.message as { attempt?: number }).attempt ?? 0)).toEqual([
    0, 0, 1, 1,
  ]);
  expect(w.messages('advance_done')).toHaveLength(2);
  for (const c of [a, b]) {
    const evs = (await c.events()) as ClientEvent[];
    expect(evs.filter((e) => e.kind === 'AdvanceCompleted')).toHaveLength(1);
    expect(evs.filter((e) => e.kind === 'AdvanceFailed')).toHaveLength(0);
    expect(clientOf(c).factories()[0]?.advance?.counter).toBe(1);
  }
  // The channels moved to the new outpoint with the rebound commitments of attempt 1: they pay.
  await w.command(b, { type: 'create_invoice', amountMsat: 1_000_000n, description: 'after a retry' });
  const list = clientOf(b).invoices();
  const invoice = (list[list.length - 1] as { invoice: string }).invoice;
  await w.command(a, { type: 'pay_invoice', invoice });
  expect(((await b.events()) as ClientEvent[]).filter((e) => e.kind === 'PaymentReceived')).toHaveLength(1);
}, 60_000);
