// Loose ends of unilateral exits (issue 23, brief §6, §7): a preimage the LSP learns after its exit
// began still claims its incoming HTLC on chain before the CLTV; the client's unreachable-LSP deadline
// survives a restart; finished exit records are pruned once buried — on the deterministic harness.
import { createHash } from 'node:crypto';
import type { ClientEvent } from '@superscalar/client';
import { fromHex } from '@superscalar/core';
import type { LspEvent } from '@superscalar/lsp';
import { decodeTx } from '@superscalar/tx';
import { afterEach, describe, expect, it } from 'vitest';
import { clientOf, lspFactories, openFactory, type RoleNode, registerAll, World } from '../harness/index.js';

type Ev = ClientEvent | LspEvent;
type Of<K extends Ev['kind']> = Extract<Ev, { kind: K }>;

async function events<K extends Ev['kind']>(n: RoleNode, kind: K): Promise<Of<K>[]> {
  return (await n.events()).filter((e) => e.kind === kind) as Of<K>[];
}

/** Mines one block at a time until `done` (at most `max` blocks); returns the blocks mined. */
async function mineUntil(w: World, done: () => Promise<boolean> | boolean, max = 400): Promise<number> {
  for (let i = 0; i < max; i++) {
    if (await done()) return i;
    await w.mine(1);
  }
  if (await done()) return max;
  throw new Error(`still not done after ${max} blocks`);
}

/** Opens one factory per group of clients (registered, formed and confirmed one after the other). */
async function openFactories(w: World, groups: readonly (readonly RoleNode[])[]): Promise<void> {
  for (const [i, g] of groups.entries()) {
    await registerAll(w, undefined, g);
    await w.command(w.lsp, { type: 'form_factory' });
    for (let k = 0; k < 12 && lspFactories(w)[i]?.phase !== 'open'; k++) await w.mine(1);
    expect(lspFactories(w)[i]?.phase).toBe('open');
  }
}

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('a preimage learned after the exit began', () => {
  it('the LSP exits the payer’s factory, the payee (another factory, offline until then) is paid afterwards: the incoming HTLC is claimed on chain with the preimage before its CLTV, across a restart', async () => {
    world = await World.create({ seed: 'exit-late-preimage', clients: 4, clientFeeCoins: 2 });
    const w = world;
    const [a0, a1, b0, b1] = w.clients as [RoleNode, RoleNode, RoleNode, RoleNode];
    await openFactories(w, [
      [a0, a1],
      [b0, b1],
    ]);
    const payerFactory = clientOf(a0).factories()[0]?.factoryId as string;
    expect(clientOf(b1).factories()[0]?.factoryId).not.toBe(payerFactory);
    await w.command(b1, { type: 'create_invoice', amountMsat: 4_000_000n, description: 'paid late' });
    const invoice = clientOf(b1).invoices()[0] as { invoice: string; paymentHash: string };
    // The payee is offline when the payer pays: the LSP holds the HTLC, its forward pending.
    w.disconnect(b1.nodeId, w.lsp.nodeId, { keepDown: true });
    await w.drive();
    await w.command(a0, { type: 'pay_invoice', invoice: invoice.invoice });
    expect(clientOf(b1).invoices()[0]?.status).toBe('open');
    const add = w.messages('update_add_htlc', a0)[0]?.message as { cltvExpiry: number };
    // The LSP exits the payer's factory: the HTLC from the payer is committed, its preimage unknown.
    await w.command(w.lsp, { type: 'exit_factory', factoryId: fromHex(payerFactory) });
    expect((await events(w.lsp, 'ExitStarted'))[0]?.reason).toBe('exit-factory');
    await w.mine(1);
    // The payee comes back: the LSP forwards, the payee fulfils, the LSP learns the preimage (its
    // forward's record, persisted) while its exit of the payer's factory is under way.
    await w.connect(b1);
    await w.tick(1_000);
    expect(clientOf(b1).invoices()[0]?.status).toBe('paid');
    expect(await events(w.lsp, 'PaymentForwarded')).toHaveLength(1);
    await w.restart(w.lsp);
    const success = async () =>
      (await events(w.lsp, 'ExitClaimed')).find(
        (e) => e.label.includes('success') && e.factoryId === payerFactory,
      );
    await mineUntil(w, async () => (await success()) !== undefined, 200);
    const claim = (await success()) as Of<'ExitClaimed'>;
    // Before the HTLC's CLTV: the payer's timeout leaf never opened.
    expect(claim.height).toBeLessThan(add.cltvExpiry);
    expect(claim.amount).toBeGreaterThan(3_000n);
    expect(claim.amount).toBeLessThan(4_000n);
    // Its witness is [sig, preimage, script, control], the preimage the invoice's.
    const raw = w.broadcasts.find((b) => b.txid === claim.txid)?.raw as Uint8Array;
    const witness = (decodeTx(raw).inputs[0] as unknown as { witness: Uint8Array[] }).witness;
    expect(witness).toHaveLength(4);
    expect(
      createHash('sha256')
        .update(witness[1] as Uint8Array)
        .digest('hex'),
    ).toBe(invoice.paymentHash);
    // The payer's timeout claim of the same output (if it tried) never confirmed.
    const payerClaims = (await events(a0, 'ExitClaimed')).map((e) => e.label);
    expect(payerClaims.some((l) => l.includes('timeout'))).toBe(false);
  });
});

describe('the client’s unreachable-LSP deadline', () => {
  it('survives a restart: the count runs from the last time the LSP was seen, not from the restart', async () => {
    world = await World.create({
      seed: 'exit-unreachable-restart',
      clients: 2,
      clientFeeCoins: 1,
      clientPolicy: { exitIfUnreachableMs: 60_000 },
    });
    const w = world;
    await w.connectAll();
    await openFactory(w);
    await w.tick(1_000); // the LSP seen (and the sighting stored)
    const c = w.clients[0] as RoleNode;
    await w.crash(w.lsp);
    await w.drive();
    await w.tick(30_000);
    expect(await events(c, 'ExitStarted')).toHaveLength(0);
    await w.restart(c); // the LSP is still down: no reconnection
    await w.tick(20_000); // 50 s unreachable
    expect(await events(c, 'ExitStarted')).toHaveLength(0);
    await w.tick(11_000); // 61 s unreachable, the restart in the middle
    expect((await events(c, 'ExitStarted'))[0]?.reason).toBe('policy-unreachable');
  });
});

describe('finished exit records are pruned once buried', () => {
  /** Regtest parameters with short timeouts (T_dist = proposal height + 40). */
  const SHORT = { activeBlocks: 20, dyingBlocks: 10 } as const;

  it('the client’s: kept until its last step has 6 confirmations, then deleted (its events stay journalled), also after a restart', async () => {
    world = await World.create({
      seed: 'exit-prune-client',
      clients: 2,
      clientFeeCoins: 2,
      lspPolicy: SHORT,
    });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, async () => (await events(c, 'ExitCompleted')).length > 0, 200);
    const key = `client/x/${f.factoryId}`;
    const stored = async () => (await c.blobs()).some((b) => b.key === key);
    const steps = clientOf(c).exits()[0]?.steps ?? [];
    const last = Math.max(...steps.map((s) => s.confirmedAt ?? 0));
    expect((await events(c, 'ExitCompleted'))[0]?.height).toBe(last);
    expect(w.chain.height).toBe(last);
    await w.mine(4); // 5 confirmations
    expect(clientOf(c).exits()).toHaveLength(1);
    expect(await stored()).toBe(true);
    await w.mine(1); // 6
    expect(clientOf(c).exits()).toHaveLength(0);
    expect(await stored()).toBe(false);
    // What the embedder needs is journalled.
    expect(await events(c, 'ExitCompleted')).toHaveLength(1);
    expect((await events(c, 'ExitClaimed')).length).toBeGreaterThan(0);
    await w.restart(c);
    expect(clientOf(c).exits()).toHaveLength(0);
    expect(clientOf(c).factory(f.factoryId)).toBeUndefined();
  });

  it('the LSP’s: its exit of a factory is deleted 6 blocks after its last step confirmed', async () => {
    world = await World.create({ seed: 'exit-prune-lsp', clients: 2, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    for (const x of w.clients) await w.crash(x);
    await w.drive();
    await w.command(w.lsp, { type: 'exit_factory', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, async () => (await events(w.lsp, 'ExitCompleted')).length > 0, 200);
    const done = (await events(w.lsp, 'ExitCompleted'))[0] as Of<'ExitCompleted'>;
    const key = `lsp/x/${f.factoryId}`;
    const stored = async () => (await w.lsp.blobs()).some((b) => b.key === key);
    expect(await stored()).toBe(true);
    await mineUntil(w, () => w.chain.height >= done.height + 4, 10);
    expect(await stored()).toBe(true);
    await w.mine(1);
    expect(await stored()).toBe(false);
    expect(await events(w.lsp, 'ExitCompleted')).toHaveLength(1);
  });
});
