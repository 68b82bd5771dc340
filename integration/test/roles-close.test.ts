// The cooperative close as the roles run it (brief §6, roles memo §3 step 11, issue 21 item 2): the
// LSP quiesces every channel, reads the balances from them, proposes (attempt persisted first), signs
// with N + 1 and broadcasts; FactoryClosed on both sides after minimumDepth. Each client checks the
// close with its own balance and close script (flaw 6), refuses an underpaying close, and a bad
// partial, a fee bump, an offline client and pending HTLCs each take their path.
import type { ClientEvent } from '@superscalar/client';
import { fromHex, toHex } from '@superscalar/core';
import type { Lsp, LspEvent, LspFactoryInfo } from '@superscalar/lsp';
import { decodeTx } from '@superscalar/tx';
import { encodeMessage } from '@superscalar/wire';
import { afterEach, describe, expect, test } from 'vitest';
import {
  chance,
  clientOf,
  factoryOf,
  openFactory,
  type RoleNode,
  registerAll,
  seededRng,
  World,
} from '../harness/index.js';
import { nonceCounter, publicNoncesOf } from '../harness/nonces.js';

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

/** The LSP's close info of its one factory (throws when it is not closing). */
function closeInfo(w: World) {
  const f = factoryOf(w);
  if (f.close === undefined) throw new Error(`factory ${f.factoryId} is ${f.phase}, not closing`);
  return f.close;
}

describe('a client requests the close; the LSP decides', () => {
  test('a request (close_propose, attempt 0, no outputs) is granted by the default policy and the factory closes', async () => {
    const w = await World.create({ seed: 'close-request', clients: 3, lspPolicy: { maxClients: 3 } });
    world = w;
    const f = await openFactory(w);
    const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
    const asker = w.clients[1] as RoleNode;
    await w.command(asker, { type: 'request_close', factoryId: fromHex(f.factoryId) });
    const requests = w.messages('close_propose', asker);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.message).toMatchObject({ attempt: 0, outputs: [] });
    expect((await lspEvents(w)).find((e) => e.kind === 'CloseRequested')).toMatchObject({
      peer: asker.nodeId,
      accepted: true,
    });
    await mineUntilClosed(w);
    await checkClosed(w, f, [10_000n, 10_000n, 10_000n], scripts);
  });

  test('a request while disconnected leaves at the next connection', async () => {
    const w = await World.create({ seed: 'close-request-later', clients: 2, lspPolicy: { maxClients: 2 } });
    world = w;
    const f = await openFactory(w);
    const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
    const asker = w.clients[0] as RoleNode;
    w.disconnect(asker.nodeId, w.lsp.nodeId, { keepDown: true });
    await w.drive(); // both learn of it
    await w.command(asker, { type: 'request_close', factoryId: fromHex(f.factoryId) });
    expect(w.messages('close_propose', asker)).toHaveLength(0);
    await w.connect(asker);
    await w.drive();
    expect(w.messages('close_propose', asker)).toHaveLength(1);
    await mineUntilClosed(w);
    await checkClosed(w, f, [10_000n, 10_000n], scripts);
  });

  test('a policy that refuses: CloseRequested { accepted: false }, a warning to the client, the factory stays open', async () => {
    const w = await World.create({
      seed: 'close-request-refused',
      clients: 2,
      lspPolicy: { maxClients: 2, acceptCloseRequest: () => false },
    });
    world = w;
    const f = await openFactory(w);
    const asker = w.clients[0] as RoleNode;
    await w.command(asker, { type: 'request_close', factoryId: fromHex(f.factoryId) });
    expect((await lspEvents(w)).find((e) => e.kind === 'CloseRequested')).toMatchObject({ accepted: false });
    const warnings = w.messages('warning', w.lsp).filter((d) => d.to === asker.nodeId);
    expect(warnings.map((d) => (d.message as { text: string }).text)).toEqual([
      "close request refused by the LSP's policy",
    ]);
    expect(factoryOf(w).phase).toBe('open');
    expect(w.messages('stfu')).toHaveLength(0);
    expect(w.messages('close_propose', w.lsp)).toHaveLength(0);
    // The LSP itself may still close it.
    await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
    expect(w.broadcasts.filter((b) => b.label === 'close')).toHaveLength(1);
  });
});

describe('flaw 6: a client refuses an underpaying close and signs nothing', () => {
  for (const variant of ['its amount paid to the LSP', 'its own output one sat short'] as const)
    test(`a malicious LSP (close_propose rewritten for one client): ${variant} → CloseRefused, no signature, CloseStalled at the deadline, the factory stays open`, async () => {
      const w = await World.create({
        seed: `close-underpay-${variant.length}`,
        clients: 3,
        lspPolicy: { maxClients: 3, closeDeadlineMs: 60_000 },
      });
      world = w;
      const f = await openFactory(w);
      const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
      const victim = w.clients[1] as RoleNode;
      const victimScript = scripts[1] as string;
      const lspScript = toHex(w.lsp.keychain.closeAddress(f.factoryIndex).scriptPubKey);
      // The malicious LSP: the victim's copy of close_propose pays it less (the others' are honest).
      w.net.interceptors.push((from, to, m) => {
        if (m.type !== 'close_propose' || to !== victim.nodeId || from !== w.lsp.nodeId) return undefined;
        const own = m.outputs.find((o) => toHex(o.script) === victimScript);
        if (own === undefined) return undefined;
        const outputs =
          variant === 'its amount paid to the LSP'
            ? m.outputs
                .filter((o) => o !== own)
                .map((o) => (toHex(o.script) === lspScript ? { ...o, amount: o.amount + own.amount } : o))
            : m.outputs.map((o) =>
                o === own
                  ? { ...o, amount: o.amount - 1n }
                  : toHex(o.script) === lspScript
                    ? { ...o, amount: o.amount + 1n }
                    : o,
              );
        if (variant === 'its amount paid to the LSP')
          // The C client's check — some output of at least its balance — would accept this one.
          expect(outputs.some((o) => o.amount >= own.amount)).toBe(true);
        return { ...m, outputs };
      });
      await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
      const refused = (await clientEvents(victim)).filter((e) => e.kind === 'CloseRefused');
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({
        attempt: 1,
        fault: variant === 'its amount paid to the LSP' ? 'no-own-output' : 'underpaid',
      });
      // Nothing signed: no nonce from the victim, no aggregate nonce, no partial signature, no close.
      expect(w.messages('close_nonce', victim)).toHaveLength(0);
      expect(w.messages('close_agg_nonce')).toHaveLength(0);
      expect(w.messages('close_psig')).toHaveLength(0);
      expect(w.messages('close_done')).toHaveLength(0);
      expect(w.broadcasts.filter((b) => b.label === 'close')).toHaveLength(0);
      const warned = w.messages('warning', victim).map((d) => (d.message as { text: string }).text);
      expect(warned.some((t) => t.includes('refused'))).toBe(true);
      expect(clientOf(victim).factory(f.factoryId)?.phase).toBe('open');
      expect(closeInfo(w).waiting).toEqual([
        { clientIndex: f.participants.indexOf(victim.nodeId), peer: victim.nodeId, reason: 'nonce' },
      ]);
      await w.tick(61_000);
      const stalled = (await lspEvents(w)).filter((e) => e.kind === 'CloseStalled');
      expect(stalled).toEqual([expect.objectContaining({ missing: [victim.nodeId], htlcs: [] })]);
      expect(closeInfo(w).step).toBe('stalled');
      await w.mine(2);
      expect((await lspEvents(w)).some((e) => e.kind === 'FactoryClosed')).toBe(false);
      // An honest close afterwards (the interceptor gone) pays everyone.
      w.net.interceptors.length = 0;
      await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
      expect(closeInfo(w).attempt).toBe(2);
      await mineUntilClosed(w);
      await checkClosed(w, f, [10_000n, 10_000n, 10_000n], scripts);
    });
});

describe('blame and fee bump', () => {
  test('a bad partial signature is blamed (CloseAttemptFailed) and the close re-signed as attempt 2', async () => {
    const w = await World.create({ seed: 'close-blame', clients: 4, lspPolicy: { maxClients: 4 } });
    world = w;
    const f = await openFactory(w);
    const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
    const bad = w.clients[2] as RoleNode;
    w.net.interceptors.push((from, _to, m) => {
      if (m.type !== 'close_psig' || from !== bad.nodeId || m.attempt !== 1) return undefined;
      return { ...m, psig: Uint8Array.from(m.psig, (b, k) => (k === 31 ? b ^ 1 : b)) };
    });
    await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
    const events = await lspEvents(w);
    expect(events.find((e) => e.kind === 'CloseAttemptFailed')).toMatchObject({
      attempt: 1,
      reason: 'blame',
      blamed: f.participants.indexOf(bad.nodeId) + 1,
    });
    expect(events.filter((e) => e.kind === 'CloseSigned')).toEqual([expect.objectContaining({ attempt: 2 })]);
    expect(w.messages('close_propose', w.lsp).map((d) => (d.message as { attempt: number }).attempt)).toEqual(
      [...Array(4).fill(1), ...Array(4).fill(2)],
    );
    await mineUntilClosed(w);
    const ev = await checkClosed(w, f, [10_000n, 10_000n, 10_000n, 10_000n], scripts);
    expect(ev.attempt).toBe(2);
  });

  test('bump_close re-signs at a higher rate as attempt 2, which replaces attempt 1 in the mempool and confirms', async () => {
    const w = await World.create({ seed: 'close-bump', clients: 4, lspPolicy: { maxClients: 4 } });
    world = w;
    const f = await openFactory(w);
    const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
    await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
    const first = w.broadcasts.filter((b) => b.label === 'close');
    expect(first.map((b) => b.outcome)).toEqual(['accepted']);
    const txid1 = first[0]?.txid as string;
    expect(w.chain.mempool()).toContain(txid1);
    // Not above the signed rate: refused.
    await w.command(w.lsp, { type: 'bump_close', factoryId: fromHex(f.factoryId), feeRate: 1_000 });
    expect((await lspEvents(w)).filter((e) => e.kind === 'CommandRefused')).toEqual([
      expect.objectContaining({ command: 'bump_close', code: 'LSP_INVALID_ARGUMENT' }),
    ]);
    await w.command(w.lsp, { type: 'bump_close', factoryId: fromHex(f.factoryId), feeRate: 3_000 });
    const both = w.broadcasts.filter((b) => b.label === 'close');
    expect(both.map((b) => b.outcome)).toEqual(['accepted', 'accepted']);
    const txid2 = both[1]?.txid as string;
    expect(txid2).not.toBe(txid1);
    expect(w.chain.mempool()).toContain(txid2);
    expect(w.chain.mempool()).not.toContain(txid1);
    const proposed = (await lspEvents(w)).filter(
      (e): e is Extract<LspEvent, { kind: 'CloseProposed' }> => e.kind === 'CloseProposed',
    );
    expect(proposed.map((e) => [e.attempt, e.closeFeeRate])).toEqual([
      [1, 1_000],
      [2, 3_000],
    ]);
    expect((proposed[1] as { fee: bigint }).fee).toBeGreaterThan((proposed[0] as { fee: bigint }).fee);
    // Every client checked and signed attempt 2 from scratch, with its own balance.
    for (const c of w.clients)
      expect((await clientEvents(c)).filter((e) => e.kind === 'CloseSigned').map((e) => e.attempt)).toEqual([
        1, 2,
      ]);
    await mineUntilClosed(w);
    const ev = await checkClosed(w, f, [10_000n, 10_000n, 10_000n, 10_000n], scripts);
    expect([ev.txid, ev.attempt, ev.fee]).toEqual([txid2, 2, proposed[1]?.fee]);
  });
});

describe('an offline client, and HTLCs, delay the close', () => {
  test('an offline client: no proposal, CloseStalled { missing } at closeDeadlineMs; back, it asks again and the factory closes', async () => {
    const w = await World.create({
      seed: 'close-offline',
      clients: 3,
      lspPolicy: { maxClients: 3, closeDeadlineMs: 120_000 },
    });
    world = w;
    const f = await openFactory(w);
    const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
    const away = w.clients[2] as RoleNode;
    w.disconnect(away.nodeId, w.lsp.nodeId, { keepDown: true });
    await w.drive();
    await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
    expect(w.messages('close_propose')).toHaveLength(0);
    expect(closeInfo(w).waiting).toEqual([
      { clientIndex: f.participants.indexOf(away.nodeId), peer: away.nodeId, reason: 'offline' },
    ]);
    await w.tick(119_000);
    expect((await lspEvents(w)).some((e) => e.kind === 'CloseStalled')).toBe(false);
    await w.tick(1_000);
    expect((await lspEvents(w)).filter((e) => e.kind === 'CloseStalled')).toEqual([
      expect.objectContaining({ attempt: 0, missing: [away.nodeId], htlcs: [] }),
    ]);
    expect(factoryOf(w).phase).toBe('closing');
    expect(closeInfo(w).step).toBe('stalled');
    for (const c of w.clients) expect(clientOf(c).factory(f.factoryId)?.phase).toBe('open');
    await w.connect(away);
    await w.drive();
    expect(w.messages('close_propose')).toHaveLength(0); // a stalled close waits to be asked again
    // The client that was away asks for it (the LSP's policy grants it): the close starts again.
    await w.command(away, { type: 'request_close', factoryId: fromHex(f.factoryId) });
    expect((await lspEvents(w)).filter((e) => e.kind === 'CloseRequested')).toEqual([
      expect.objectContaining({ peer: away.nodeId, accepted: true }),
    ]);
    await mineUntilClosed(w);
    await checkClosed(w, f, [10_000n, 10_000n, 10_000n], scripts);
  });

  test("an HTLC pending on a channel delays the close (reason 'htlcs', CloseStalled { htlcs }); gone, the close proceeds", async () => {
    // The machines add no HTLC before the payments release: the client's update_add_htlc is put on
    // the wire directly. Uncommitted, it keeps the LSP's channel from quiescence as a committed HTLC would.
    const w = await World.create({
      seed: 'close-htlc',
      clients: 2,
      lspPolicy: { maxClients: 2, closeDeadlineMs: 60_000 },
    });
    world = w;
    const f = await openFactory(w);
    const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
    const payer = w.clients[0] as RoleNode;
    const k = f.participants.indexOf(payer.nodeId);
    w.net.send(payer.nodeId, w.lsp.nodeId, {
      type: 'update_add_htlc',
      channelId: fromHex(f.channels[k]?.channelId as string),
      id: 0n,
      amountMsat: 1_000_000n,
      paymentHash: new Uint8Array(32).fill(7),
      cltvExpiry: w.chain.height + 20,
      onion: new Uint8Array(0),
    });
    await w.drive();
    expect(factoryOf(w).channels[k]?.busy).toBe(true);
    await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
    expect(w.messages('close_propose')).toHaveLength(0);
    expect(closeInfo(w).waiting).toEqual([{ clientIndex: k, peer: payer.nodeId, reason: 'htlcs' }]);
    expect(factoryOf(w).channels.map((ch) => ch.quiescent)).toEqual(k === 0 ? [false, true] : [true, false]);
    await w.tick(60_000);
    expect((await lspEvents(w)).filter((e) => e.kind === 'CloseStalled')).toEqual([
      expect.objectContaining({ missing: [], htlcs: [payer.nodeId] }),
    ]);
    // The update never committed: a reconnection drops it (BOLT 2), and the close goes through.
    w.disconnect(payer.nodeId, w.lsp.nodeId);
    await w.drive();
    expect(factoryOf(w).channels[k]?.busy).toBe(false);
    await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
    await mineUntilClosed(w);
    await checkClosed(w, f, [10_000n, 10_000n], scripts);
  });
});

/**
 * No nonce twice, no attempt number twice: every public nonce on the wire (the close's and the
 * channels') is distinct, and every `close_propose` of one attempt number is the same proposal.
 */
function checkNonces(w: World, counter: ReturnType<typeof nonceCounter>): void {
  const nonces: string[] = [];
  const proposals = new Map<number, string>();
  for (const d of w.net.delivered) {
    const m = d.message;
    if (m.type === 'close_nonce') nonces.push(toHex(m.pubnonce));
    // the channels' (the ceremony's are another test's)
    if (m.type !== 'factory_nonces') nonces.push(...publicNoncesOf(m));
    if (m.type === 'close_propose' && m.attempt > 0) {
      const body = toHex(encodeMessage(m));
      const had = proposals.get(m.attempt);
      if (had !== undefined) expect(body, `attempt ${m.attempt} proposed twice, differently`).toBe(had);
      proposals.set(m.attempt, body);
    }
  }
  expect(new Set(nonces).size).toBe(nonces.length);
  expect(counter.max()).toBeLessThanOrEqual(1);
}

describe('reconnect in each close step', () => {
  for (const after of ['stfu', 'close_propose', 'close_nonce', 'close_agg_nonce', 'close_psig', 'close_done'])
    test(`a client's link drops right after its first ${after}: the close still confirms, no nonce reused`, async () => {
      const counter = nonceCounter();
      const w = await World.create({
        seed: `close-reconnect-${after}`,
        clients: 3,
        lspPolicy: { maxClients: 3 },
        nonceObserver: counter,
      });
      world = w;
      const f = await openFactory(w);
      const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
      const victim = w.clients[1] as RoleNode;
      let dropped = false;
      w.net.observers.push((d) => {
        if (dropped || d.message.type !== after) return;
        if (d.from !== victim.nodeId && d.to !== victim.nodeId) return;
        dropped = true;
        w.disconnect(d.from, d.to);
      });
      await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
      expect(dropped).toBe(true);
      await mineUntilClosed(w);
      await checkClosed(w, f, [10_000n, 10_000n, 10_000n], scripts);
      checkNonces(w, counter);
      const kinds = (await lspEvents(w)).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'FactoryClosed')).toHaveLength(1);
      expect(kinds).not.toContain('CloseStalled');
      expect(kinds).not.toContain('InvariantViolated');
    });
});

/** Kill points: right after a role handled an input (a message type or the command), or before an action. */
const RESTARTS: readonly {
  readonly role: 'lsp' | 'client';
  readonly name: string;
  readonly after?: string;
  readonly before?: (a: { kind: string; label?: string; message?: { type: string } }) => boolean;
  /** Lose the victim's close_done, then kill it once the network is quiet. */
  readonly loseDone?: boolean;
  /** The attempt that ends up signed. */
  readonly attempt: number;
}[] = [
  { role: 'lsp', name: 'after close_factory', after: 'close_factory', attempt: 1 },
  { role: 'lsp', name: 'after a stfu', after: 'stfu', attempt: 1 },
  {
    role: 'lsp',
    name: 'between persisting attempt 1 and sending its close_propose',
    before: (a) => a.kind === 'send' && a.message?.type === 'close_propose',
    attempt: 2,
  },
  { role: 'lsp', name: 'after a close_nonce', after: 'close_nonce', attempt: 2 },
  { role: 'lsp', name: 'after a close_psig', after: 'close_psig', attempt: 2 },
  {
    role: 'lsp',
    name: 'between persisting the signed close and broadcasting it (broadcast again at the next block)',
    before: (a) => a.kind === 'broadcast' && a.label === 'close',
    attempt: 1,
  },
  { role: 'client', name: 'after stfu', after: 'stfu', attempt: 1 },
  { role: 'client', name: 'after close_propose', after: 'close_propose', attempt: 2 },
  {
    role: 'client',
    name: 'between persisting its agreement and sending close_nonce',
    before: (a) => a.kind === 'send' && a.message?.type === 'close_nonce',
    attempt: 2,
  },
  {
    role: 'client',
    name: 'after close_agg_nonce (its psig lost with it)',
    after: 'close_agg_nonce',
    attempt: 2,
  },
  {
    role: 'client',
    name: 'after its psig was in, before close_done (sent again, checked from its stored agreement)',
    loseDone: true,
    attempt: 1,
  },
  { role: 'client', name: 'after close_done', after: 'close_done', attempt: 1 },
];

describe('restart from SQLite in each close step', () => {
  for (const r of RESTARTS)
    test(`${r.role} killed ${r.name}, restored from its store: the close still confirms, no nonce reused`, async () => {
      const counter = nonceCounter();
      const w = await World.create({
        seed: `close-restart-${r.role}-${r.name}`,
        clients: 3,
        lspPolicy: { maxClients: 3 },
        nonceObserver: counter,
      });
      world = w;
      const f = await openFactory(w);
      const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
      const victim: RoleNode = r.role === 'lsp' ? w.lsp : (w.clients[1] as RoleNode);
      let killed = false;
      if (r.before !== undefined) {
        const before = r.before;
        victim.crashPoint = (a) => {
          if (killed || !before(a as never)) return false;
          killed = true;
          return true;
        };
      }
      if (r.after !== undefined) {
        const input = victim.input.bind(victim);
        victim.input = async (i) => {
          await input(i);
          const hit = i.type === r.after || (i.type === 'message' && i.message.type === r.after);
          if (!killed && hit) {
            killed = true;
            await w.crash(victim);
          }
        };
      }
      if (r.loseDone === true)
        w.net.interceptors.push((_from, to, m) => {
          if (killed || m.type !== 'close_done' || to !== victim.nodeId) return undefined;
          killed = true;
          return null;
        });
      await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
      if (r.loseDone === true) await w.crash(victim);
      expect(killed).toBe(true);
      for (let round = 0; round < 3; round++) {
        if (victim.down) await w.restart(victim);
        await mineUntilClosed(w, 3);
      }
      await checkClosed(w, f, [10_000n, 10_000n, 10_000n], scripts);
      checkNonces(w, counter);
      const kinds = (await lspEvents(w)).map((e) => e.kind);
      for (const once of ['CloseSigned', 'FactoryClosed'])
        expect(
          kinds.filter((k) => k === once),
          once,
        ).toHaveLength(1);
      const signed = (await lspEvents(w)).find((e) => e.kind === 'CloseSigned') as { attempt: number };
      // A lost attempt is never resumed: a fresh one (attempt + 1) follows the restart.
      expect(signed.attempt).toBe(r.attempt);
      expect(w.broadcasts.filter((b) => b.label === 'close').map((b) => b.outcome)).toEqual(['accepted']);
      expect(kinds).not.toContain('CloseStalled');
      expect(kinds).not.toContain('InvariantViolated');
      for (const c of w.clients) {
        const ck = (await clientEvents(c)).map((e) => e.kind);
        expect(ck.filter((k) => k === 'FactoryClosed')).toHaveLength(1);
        expect(ck.filter((k) => k === 'CloseSigned')).toHaveLength(1);
        expect(ck).not.toContain('InvariantViolated');
      }
    });
});

describe('commands and bad close messages', () => {
  test('close_factory / bump_close / request_close refused by phase (FactoryStateError), close messages out of place answered by their consequence', async () => {
    const w = await World.create({ seed: 'close-refusals', clients: 2, lspPolicy: { maxClients: 2 } });
    world = w;
    const [a, b] = w.clients as [RoleNode, RoleNode];
    await registerAll(w); // maxClients registered: formed, funded, not open before a block
    const f0 = factoryOf(w);
    expect(f0.phase).toBe('funded');
    const id = fromHex(f0.factoryId);
    // Funded, not open yet: nothing to close.
    await w.command(w.lsp, { type: 'close_factory', factoryId: id });
    await w.command(a, { type: 'request_close', factoryId: id });
    const refusedEarly = (await lspEvents(w)).filter((e) => e.kind === 'CommandRefused');
    expect(refusedEarly).toEqual([
      expect.objectContaining({ command: 'close_factory', code: 'LSP_FACTORY_STATE' }),
    ]);
    expect((await clientEvents(a)).filter((e) => e.kind === 'CommandRefused')).toEqual([
      expect.objectContaining({ command: 'request_close', code: 'CLIENT_FACTORY_STATE' }),
    ]);
    for (let i = 0; i < 3 && factoryOf(w).phase !== 'open'; i++) await w.mine(1);
    const f = factoryOf(w);
    const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
    // A close_propose from the LSP before the client's channel is quiescent: refused, nothing signed.
    w.net.send(w.lsp.nodeId, a.nodeId, {
      type: 'close_propose',
      factoryId: id,
      attempt: 9,
      tipHeight: w.chain.height,
      closeFeeRate: 1_000,
      outputs: [{ script: fromHex(scripts[0] as string), amount: 10_000n }],
    });
    await w.drive();
    const disturbed = (await clientEvents(a)).filter((e) => e.kind === 'CloseRefused');
    expect(disturbed.map((e) => (e as { fault: string }).fault)).toEqual(['channel-busy']);
    // Nothing signed yet: no bump. Keep b away so that the close waits.
    w.disconnect(b.nodeId, w.lsp.nodeId, { keepDown: true });
    await w.drive();
    await w.command(w.lsp, { type: 'close_factory', factoryId: id });
    await w.command(w.lsp, { type: 'close_factory', factoryId: id });
    await w.command(w.lsp, { type: 'bump_close', factoryId: id, feeRate: 5_000 });
    const refused = (await lspEvents(w)).filter((e) => e.kind === 'CommandRefused').slice(1);
    expect(closeInfo(w).step).toBe('quiescing');
    expect(refused.map((e) => [(e as { command: string }).command, (e as { code: string }).code])).toEqual([
      ['close_factory', 'LSP_FACTORY_STATE'],
      ['bump_close', 'LSP_FACTORY_STATE'],
    ]);
    // A client's close messages for an attempt that is not in flight are stale (ignored: no answer).
    const before = w.net.delivered.length;
    w.net.send(a.nodeId, w.lsp.nodeId, {
      type: 'close_nonce',
      factoryId: id,
      attempt: 7,
      pubnonce: Uint8Array.from({ length: 66 }, (_, k) => (k === 0 || k === 33 ? 2 : 1)),
    });
    await w.drive();
    expect(w.net.delivered.slice(before + 1).filter((d) => d.from === w.lsp.nodeId)).toHaveLength(0);
    // close_done is the LSP's to send: from a client it earns a warning.
    w.net.send(a.nodeId, w.lsp.nodeId, {
      type: 'close_done',
      factoryId: id,
      attempt: 1,
      signature: new Uint8Array(64),
    });
    await w.drive();
    expect(w.messages('warning', w.lsp).at(-1)?.message).toMatchObject({
      text: expect.stringContaining('not a message an LSP receives'),
    });
    // b back: the close completes with attempt 1 (the stray messages changed nothing).
    await w.connect(b);
    await w.drive();
    await mineUntilClosed(w);
    const ev = await checkClosed(w, f, [10_000n, 10_000n], scripts);
    expect(ev.attempt).toBe(1);
  });
});

const RUNS = Number(process.env.PROPERTY_RUNS ?? (process.env.CI === 'true' ? 3 : 8));
console.log(`roles-close chaos: PROPERTY_RUNS = ${RUNS} seeds`);

describe('seeded chaos over the close', () => {
  for (let run = 0; run < RUNS; run++)
    test(`seed ${run}: random disconnections, delays and kills of any role during the close — it still confirms, everyone paid, no nonce twice`, async () => {
      const counter = nonceCounter();
      const w = await World.create({
        seed: `close-chaos-${run}`,
        clients: 3,
        lspPolicy: { maxClients: 3 },
        nonceObserver: counter,
      });
      world = w;
      const f = await openFactory(w);
      const scripts = w.clients.map((c) => closeScriptOf(c, f.factoryId));
      const rng = seededRng(`close-chaos-${run}/kills`);
      let kills = 0;
      const arm = (n: RoleNode) => {
        n.crashPoint = () => kills < 3 && chance(rng, 0.05) && ++kills > 0;
      };
      for (const n of w.all()) arm(n);
      w.disconnectRate = 0.05;
      w.delayRate = 0.3;
      for (let i = 0; i < 30; i++) {
        for (const n of w.all())
          if (n.down) {
            await w.restart(n);
            arm(n);
          }
        if (!w.lsp.down && (await lspEvents(w)).some((e) => e.kind === 'FactoryClosed')) break;
        const live = (w.lsp.machine as unknown as Lsp).factory(f.factoryId);
        if (!w.lsp.down && live?.phase === 'open')
          await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
        await w.tick(11_000);
        await w.mine(1);
      }
      for (const n of w.all()) n.crashPoint = undefined;
      w.disconnectRate = 0;
      w.delayRate = 0;
      for (const n of w.all()) if (n.down) await w.restart(n);
      await mineUntilClosed(w, 3);
      await checkClosed(w, f, [10_000n, 10_000n, 10_000n], scripts);
      checkNonces(w, counter);
      for (const n of w.all())
        expect((await n.events()).map((e) => e.kind)).not.toContain('InvariantViolated');
    }, 120_000);
});
