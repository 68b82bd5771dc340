// The watchtowers embedded in the roles (issue 23, brief §7 "Penalty", §11): every revocation a role
// accepts becomes tower entries in the same store update as the channel state, each role's tower
// penalises the other's revoked commitment when it confirms, entries survive a crash right after the
// revocation, are pruned when the factory closes, and a reorg that takes the trigger away cancels the
// response. On the deterministic harness (SimChain, one follower for roles and towers).

import { TxRejected } from '@superscalar/chain';
import type { ClientFactoryInfo } from '@superscalar/client';
import type { EmbeddedTower } from '@superscalar/client/runtime';
import { fromHex, toHex } from '@superscalar/core';
import {
  buildClientPath,
  buildTree,
  decodeClientFactory,
  signedTxBytes,
  type TreeTx,
} from '@superscalar/factory-tree';
import { decodeLspEvent, type Lsp, type LspEvent } from '@superscalar/lsp';
import { EventQueue, type Op, Sequencer } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { decodeTx, displayHex, P2A_SCRIPT, txidOf, txVsize } from '@superscalar/tx';
import { closeFactoryOps } from '@superscalar/watchtower';
import { afterEach, describe, expect, it } from 'vitest';
import { type HeldCommitment, heldCommitment, publishInOrder, signedPath } from '../harness/breach.js';
import {
  clientOf,
  factoryOf,
  openFactory,
  ROUTABLE_REGTEST,
  type RoleNode,
  World,
} from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

function clientFactory(n: RoleNode): ClientFactoryInfo {
  const f = clientOf(n).factories()[0];
  if (f === undefined) throw new Error(`${n.name} has no factory`);
  return f;
}

/** The client's current commitment (read from its store). */
function clientCommitment(n: RoleNode): Promise<HeldCommitment> {
  const f = clientFactory(n);
  return heldCommitment({
    role: 'client',
    store: n.store,
    keychain: n.keychain,
    factoryIndex: f.factoryIndex,
    clientIndex: f.clientIndex,
    channelId: f.channel.channelId,
  });
}

/** The LSP's current commitment on `client`'s channel. */
function lspCommitment(w: World, client: RoleNode): Promise<HeldCommitment> {
  const c = clientFactory(client);
  return heldCommitment({
    role: 'lsp',
    store: w.lsp.store,
    keychain: w.lsp.keychain,
    factoryIndex: factoryOf(w).factoryIndex,
    clientIndex: c.clientIndex,
    channelId: c.channel.channelId,
  });
}

async function pay(w: World, payer: RoleNode, payee: RoleNode, amountMsat: bigint): Promise<void> {
  await w.command(payee, { type: 'create_invoice', amountMsat, description: 'tower test' });
  const list = clientOf(payee).invoices();
  const invoice = (list[list.length - 1] as { invoice: string }).invoice;
  await w.command(payer, { type: 'pay_invoice', invoice });
  expect(clientOf(payer).payments().at(-1)?.status).toBe('sent');
}

/** `client`'s path and then `commitment`, each confirmed in turn (one block at a time). */
async function breach(w: World, client: RoleNode, commitment: HeldCommitment): Promise<number> {
  const f = clientFactory(client);
  const sigs = clientOf(client).signedPath(f.factoryId);
  if (sigs === undefined) throw new Error('no signed path');
  const path = signedPath(factoryOf(w).proposal, f.clientIndex, sigs);
  const at = await publishInOrder(
    w.chain,
    [...path.map((p) => ({ txid: p.tx.txid, raw: p.raw })), commitment],
    () => w.mine(1),
  );
  return at.get(commitment.txid) as number;
}

async function fundTower(w: World, n: RoleNode, amount = 200_000n): Promise<void> {
  const tower = n.tower;
  if (tower === undefined) throw new Error(`${n.name} runs no tower`);
  const a = await tower.feeAddress();
  w.chain.fundSync(a.script, amount);
  await w.mine(1);
  expect(tower.feeBalance().confirmed).toBe(amount);
}

/** Every update of `n` (in order) whose operations include a `watchEntries` row of `trigger`. */
function updatesWithEntry(n: RoleNode, trigger: string): (readonly Op[])[] {
  return n.persisted.filter((ops) =>
    ops.some((o) => o.op === 'put' && o.table === 'watchEntries' && o.row.triggerTxid === trigger),
  );
}

async function checkPenalty(
  w: World,
  n: RoleNode,
  revoked: HeldCommitment,
  h: number,
  sweepScript: Uint8Array,
): Promise<{ txid: string; paid: bigint; fee: bigint }> {
  const confirmed = n.towerEventsOf('response_confirmed').filter((e) => e.triggerTxid === revoked.txid);
  expect(confirmed).toMatchObject([{ kind: 'penalty', height: h + 1 }]);
  const sent = n.towerEventsOf('response_broadcast').filter((e) => e.triggerTxid === revoked.txid);
  expect(sent[0]?.childTxid).toBeDefined(); // with a CPFP child paid by the tower's own fee wallet
  const txid = (confirmed[0] as { txid: string }).txid;
  const penalty = decodeTx((await w.chain.getTransaction(txid)).tx);
  const toLocal = revoked.toLocal;
  if (toLocal === undefined) throw new Error('the revoked commitment has no to_local');
  // It spends the revoked to_local (no HTLC was left on it) and pays the penaliser's close address.
  expect(penalty.inputs.map((i) => `${displayHex(i.txidBytes)}:${i.vout}`)).toEqual([
    `${revoked.txid}:${toLocal.vout}`,
  ]);
  const payout = penalty.outputs[0] as { value: bigint; script: Uint8Array };
  expect(payout.script).toEqual(sweepScript);
  expect(penalty.outputs.at(-1)?.value).toBe(240n); // its anchor
  // The pre-signed fee: the revoked commitment's rate over the penalty's exact size.
  const fee = toLocal.amount - payout.value - 240n;
  expect(fee).toBe(BigInt(Math.ceil((revoked.commitment.spec.feeRate * txVsize(penalty)) / 1000)));
  expect(w.chain.utxo({ txid, vout: 0 })?.value).toBe(payout.value);
  return { txid, paid: payout.value, fee };
}

describe('the embedded towers of the roles', () => {
  it('a client broadcasts a revoked commitment: the LSP’s tower penalises it in the next block', async () => {
    world = await World.create({ seed: 'tower-client-cheats', clients: 2 });
    const w = world;
    await openFactory(w);
    const [cheater, payee] = w.clients as [RoleNode, RoleNode];
    const old = await clientCommitment(cheater);
    expect(old.toLocal?.amount).toBe(10_000n);
    await pay(w, cheater, payee, 3_000_000n);
    expect((await clientCommitment(cheater)).txid).not.toBe(old.txid);

    // The LSP wrote the penalty entry in the update that recorded the revocation (its channel state).
    const rows = await w.lsp.store.list('watchEntries', { triggerTxid: old.txid });
    expect(rows.map((r) => r.kind)).toEqual(['penalty']);
    const [update] = updatesWithEntry(w.lsp, old.txid);
    expect(update?.some((o) => o.op === 'put' && o.table === 'blobs' && o.row.key.startsWith('lsp/c/'))).toBe(
      true,
    );
    // The client watches the LSP's revoked commitments likewise.
    expect((await cheater.store.list('watchEntries')).some((r) => r.kind === 'penalty')).toBe(true);

    await fundTower(w, w.lsp);
    const h = await breach(w, cheater, old);
    expect(w.lsp.towerEventsOf('triggered').filter((e) => e.kinds.includes('penalty'))).toMatchObject([
      { triggerTxid: old.txid, height: h, kinds: ['penalty'] },
    ]);
    // the LSP's tower also guards every kickoff of the tree: the cheater's own kickoffs triggered it
    // (it sent the newest states, the same the cheater published)
    expect(w.lsp.towerEventsOf('triggered').some((e) => e.kinds.includes('stale-state'))).toBe(true);
    await w.mine(1);
    const lspClose = w.lsp.keychain.closeAddress(factoryOf(w).factoryIndex).scriptPubKey;
    const p = await checkPenalty(w, w.lsp, old, h, lspClose);
    // the cheater's whole old balance (10,000 sat) went to the LSP, less the penalty's fee and anchor
    expect(p.paid).toBe(10_000n - p.fee - 240n);
  });

  it('the LSP broadcasts a revoked commitment: the client’s tower penalises it in the next block', async () => {
    world = await World.create({ seed: 'tower-lsp-cheats', clients: 2 });
    const w = world;
    await openFactory(w);
    const [victim, payee] = w.clients as [RoleNode, RoleNode];
    const old = await lspCommitment(w, victim);
    // the LSP's balance on its commitment: the 20,000-sat channel less the client's 10,000, the
    // commitment fee and the anchor (the LSP, the funder, pays both)
    expect(old.toLocal?.amount).toBe(20_000n - 10_000n - old.commitment.fee - 240n);
    await pay(w, victim, payee, 2_000_000n);
    expect((await lspCommitment(w, victim)).txid).not.toBe(old.txid);
    const rows = await victim.store.list('watchEntries', { triggerTxid: old.txid });
    expect(rows.map((r) => r.kind)).toEqual(['penalty']);
    const [update] = updatesWithEntry(victim, old.txid);
    expect(
      update?.some((o) => o.op === 'put' && o.table === 'blobs' && o.row.key.startsWith('client/c/')),
    ).toBe(true);

    await fundTower(w, victim);
    const h = await breach(w, victim, old);
    await w.mine(1);
    const f = clientFactory(victim);
    const close = victim.keychain.closeAddress(f.factoryIndex).scriptPubKey;
    const p = await checkPenalty(w, victim, old, h, close);
    // the LSP's whole old to_local went to the client, less the penalty's fee and anchor
    expect(p.paid).toBe((old.toLocal as { amount: bigint }).amount - p.fee - 240n);
    expect(w.lsp.towerEventsOf('triggered').filter((e) => e.kinds.includes('penalty'))).toHaveLength(0);
  });

  for (const who of ['lsp', 'client'] as const)
    it(`entries are durable before release: the ${who} killed right after it accepted a revocation still guards it`, async () => {
      world = await World.create({ seed: `tower-crash-${who}`, clients: 2 });
      const w = world;
      await openFactory(w);
      const [a, b] = w.clients as [RoleNode, RoleNode];
      // the LSP guards the client's commitment; the client the LSP's
      const revoked = who === 'lsp' ? await clientCommitment(a) : await lspCommitment(w, a);
      const node = who === 'lsp' ? w.lsp : a;
      const holdsEntry = (ops: readonly Op[]) =>
        ops.some((o) => o.op === 'put' && o.table === 'watchEntries' && o.row.triggerTxid === revoked.txid);
      let durable = false;
      let killedAt: string | undefined;
      node.crashPoint = (action) => {
        if (durable) {
          killedAt = action.kind === 'send' ? action.message.type : action.kind;
          return true; // kill -9 before anything after that update leaves
        }
        if (action.kind === 'persist' && holdsEntry(action.ops)) durable = true;
        return false;
      };
      await w.command(b, { type: 'create_invoice', amountMsat: 1_500_000n, description: 'crash' });
      const invoice = (clientOf(b).invoices()[0] as { invoice: string }).invoice;
      await w.command(a, { type: 'pay_invoice', invoice });
      expect(durable).toBe(true);
      expect(node.down).toBe(true);
      expect(killedAt).toBeDefined();
      // Nothing the role did after accepting the revocation left: its update was the last action run.
      const last = node.trace.at(-1)?.actions ?? [];
      const at = last.findIndex((x) => x.kind === 'persist' && holdsEntry(x.ops));
      expect(
        at === -1 || last.slice(0, at).every((x) => x.kind !== 'send' || x.message.type !== 'revoke_and_ack'),
      ).toBe(true);

      await w.restart(node);
      // the restarted tower holds it (its index loaded from the store)
      expect(node.tower?.tower.triggersIn({ txids: ['coinbase', revoked.txid] })).toEqual([revoked.txid]);
      expect(
        (await node.store.list('watchEntries', { triggerTxid: revoked.txid })).map((r) => r.kind),
      ).toEqual(['penalty']);
      // the payment completes after the restart (retransmissions on the one-second ticks)
      for (let i = 0; i < 5 && clientOf(a).payments()[0]?.status === 'pending'; i++) await w.tick(1_000);
      expect(clientOf(a).payments()[0]?.status).toBe('sent');

      await fundTower(w, node);
      const h = await breach(w, a, revoked);
      await w.mine(1);
      const sweep =
        who === 'lsp'
          ? w.lsp.keychain.closeAddress(factoryOf(w).factoryIndex).scriptPubKey
          : a.keychain.closeAddress(clientFactory(a).factoryIndex).scriptPubKey;
      await checkPenalty(w, node, revoked, h, sweep);
    });

  it('entries are pruned when the factory closes (both roles), and the towers forget them', async () => {
    world = await World.create({ seed: 'tower-prune', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    await pay(w, a, b, 1_000_000n);
    await pay(w, b, a, 400_000n);
    const id = fromHex(f.factoryId);
    const kinds = async (n: RoleNode) =>
      [...new Set((await n.store.list('watchEntries', { factoryId: id })).map((r) => r.kind))].sort();
    // each role guards the kickoffs (the LSP the whole tree's, a client its path's) with the newest
    // state, written with the signatures
    expect(await kinds(w.lsp)).toEqual(['penalty', 'stale-state']);
    expect(await kinds(a)).toEqual(['penalty', 'stale-state']);
    expect(a.tower?.tower.indexedEntries).toBeGreaterThan(0);
    expect((await a.store.list('blobs')).some((r) => r.key === `watch/f/${f.factoryId}`)).toBe(true);

    await w.command(w.lsp, { type: 'close_factory', factoryId: id });
    for (let i = 0; i < 8 && lspOf(w).factory(f.factoryId) !== undefined; i++) await w.mine(1);
    expect(lspOf(w).factory(f.factoryId)).toBeUndefined();
    await w.drive();
    await w.towersIdle();
    for (const n of w.all()) {
      expect(await n.store.list('watchEntries', { factoryId: id })).toEqual([]);
      expect(n.tower?.tower.indexedEntries).toBe(0);
      expect((await n.store.list('blobs')).some((r) => r.key === `watch/f/${f.factoryId}`)).toBe(false);
    }
  });

  it('entries of a factory that ended while the pruning had not run are swept when the role restarts', async () => {
    world = await World.create({ seed: 'tower-sweep', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    await pay(w, a, b, 1_000_000n);
    const id = fromHex(f.factoryId);
    // The client's tower is gone before the close ends (a crash between the two updates: the close's
    // update is durable, the pruning's never ran).
    (a.tower as EmbeddedTower).stop();
    a.tower = undefined;
    await w.command(w.lsp, { type: 'close_factory', factoryId: id });
    for (let i = 0; i < 8 && clientOf(a).factory(f.factoryId) !== undefined; i++) await w.mine(1);
    expect(clientOf(a).factory(f.factoryId)).toBeUndefined();
    expect((await a.store.list('watchEntries', { factoryId: id })).length).toBeGreaterThan(0);
    await w.restart(a);
    await w.towersIdle();
    expect(await a.store.list('watchEntries', { factoryId: id })).toEqual([]);
    expect((a.tower as EmbeddedTower | undefined)?.tower.indexedEntries).toBe(0);
  });

  it('a reorg that removes the revoked commitment cancels the penalty; confirming again re-arms it', async () => {
    world = await World.create({ seed: 'tower-reorg', clients: 2 });
    const w = world;
    await openFactory(w);
    const [cheater, payee] = w.clients as [RoleNode, RoleNode];
    const old = await clientCommitment(cheater);
    await pay(w, cheater, payee, 2_500_000n);
    await fundTower(w, w.lsp);
    const h = await breach(w, cheater, old);
    const penalties = () => w.lsp.towerEventsOf('response_broadcast').filter((e) => e.kind === 'penalty');
    expect(penalties()).toMatchObject([{ triggerTxid: old.txid, kind: 'penalty' }]);
    const penaltyTxid = (penalties()[0] as { txid: string }).txid;
    // the block holding the revoked commitment is replaced by empty ones: trigger and response gone
    await w.chain.invalidateBlock(w.chain.blockAt(h)?.hash as string);
    w.chain.mineSync(2, { empty: true });
    await w.sync();
    expect(w.lsp.towerEventsOf('trigger_cancelled')).toMatchObject([{ triggerTxid: old.txid, height: h }]);
    expect(w.lsp.tower?.tower.responses().filter((r) => r.kind === 'penalty')).toEqual([]);
    expect(w.lsp.towerEventsOf('response_confirmed').filter((e) => e.kind === 'penalty')).toEqual([]);
    // both went back to the mempool (as on Core), unconfirmed
    expect(w.chain.mempool()).toEqual(expect.arrayContaining([old.txid, penaltyTxid]));
    expect(w.chain.utxo({ txid: penaltyTxid, vout: 0 })).toBeUndefined();
    // the commitment confirms again, with the penalty still behind it: the tower is triggered anew
    // and sees its response confirmed in that block
    await w.mine(1);
    const h2 = (await w.chain.getTransaction(old.txid)).confirmation?.height as number;
    expect(h2).toBe(h + 2);
    expect(w.lsp.towerEventsOf('triggered').filter((e) => e.triggerTxid === old.txid)).toMatchObject([
      { triggerTxid: old.txid, height: h },
      { triggerTxid: old.txid, height: h2 },
    ]);
    expect(w.lsp.towerEventsOf('response_confirmed').filter((e) => e.kind === 'penalty')).toMatchObject([
      { triggerTxid: old.txid, kind: 'penalty', txid: penaltyTxid, height: h2 },
    ]);
  });
});

function lspOf(w: World): Lsp {
  return w.lsp.machine as unknown as Lsp;
}

// ---------------------------------------------------------------------------------------------
// Advances (brief §5.1–§5.4, §11): the clients' towers hold the superseded leaf state's poison and
// settlements and the new state of every kickoff of their path, written with the verified advance.

/** A client's signed path at its current state (root first), rebuilt from its record. */
async function currentSignedPath(n: RoleNode): Promise<{ readonly tx: TreeTx; readonly raw: Uint8Array }[]> {
  const f = clientFactory(n);
  const sigs = clientOf(n).signedPath(f.factoryId);
  if (sigs === undefined) throw new Error('no signed path');
  const blob = await n.store.get('blobs', { key: `client/f/${f.factoryId}/r` });
  const txs =
    blob === undefined
      ? buildClientPath(factoryOfClient(n), f.clientIndex).txs
      : (() => {
          const o = JSON.parse(new TextDecoder().decode(blob.data)) as { record: string };
          const r = decodeClientFactory(fromHex(o.record));
          return buildClientPath(r.proposal, r.client, { state: r.state }).txs;
        })();
  // (signedPath lists the path, then the distribution)
  expect(txs.map((t) => t.txid)).toEqual(sigs.slice(0, txs.length).map((s) => s.txid));
  return txs.map((tx, k) => ({
    tx,
    raw: signedTxBytes(tx, (sigs[k] as { signature: Uint8Array }).signature),
  }));
}

/** Takes a node's tower away (offline, or a cheating LSP that runs none). */
function towerOff(n: RoleNode): void {
  (n.tower as EmbeddedTower).stop();
  n.tower = undefined;
}

async function advance(w: World, leaf: number, allocations?: Map<number, bigint>): Promise<void> {
  await w.command(w.lsp, {
    type: 'advance_leaf',
    factoryId: fromHex(factoryOf(w).factoryId),
    leaf,
    purpose: allocations === undefined ? 'rebalance' : 'liquidity',
    ...(allocations === undefined ? {} : { allocations }),
  });
}

/** Broadcasts `raw` if the chain takes it now; the reason when it does not. */
function tryBroadcast(w: World, raw: Uint8Array): string | undefined {
  try {
    w.chain.broadcastSync(raw);
    return undefined;
  } catch (e) {
    if (!TxRejected.isInstance(e)) throw e;
    return e.reason;
  }
}

describe('the towers after an advance', () => {
  it('the LSP broadcasts the superseded leaf state while the clients’ towers are live: the newest state wins', async () => {
    world = await World.create({ seed: 'tower-adv-live', clients: 2 });
    const w = world;
    await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    await fundTower(w, a);
    await fundTower(w, b);
    const old = await currentSignedPath(a);
    await advance(w, 0);
    const now = await currentSignedPath(a);
    const kickoff = old[old.length - 2] as (typeof old)[number];
    const stale = old[old.length - 1] as (typeof old)[number];
    const fresh = now[now.length - 1] as (typeof now)[number];
    expect(kickoff.tx.kind).toBe('kickoff');
    expect(fresh.tx.txid).not.toBe(stale.tx.txid);
    // The newer state waits S blocks less on the same kickoff output (§5.2).
    expect(stale.tx.tx.inputs[0]?.sequence).toBe(
      (fresh.tx.tx.inputs[0]?.sequence as number) + factoryOf(w).proposal.dw.S,
    );
    // An honest LSP's tower guards the kickoff with the new state too (written with the signed advance,
    // in the update that journals it).
    const lspGuard = await w.lsp.store.list('watchEntries', { triggerTxid: kickoff.tx.txid });
    expect(lspGuard.map((r) => toHex(r.responseTx))).toEqual([toHex(fresh.raw)]);
    const lspUpdate = updatesWithEntry(w.lsp, kickoff.tx.txid).at(-1);
    expect(lspUpdate?.some((o) => o.op === 'event' && o.kind === 'AdvanceCompleted')).toBe(true);
    // The cheating LSP runs no tower; it publishes the path down to the kickoff, then tries the
    // superseded state every block.
    towerOff(w.lsp);
    await publishInOrder(
      w.chain,
      old.slice(0, -1).map((p) => ({ txid: p.tx.txid, raw: p.raw })),
      () => w.mine(1),
    );
    const hk = (await w.chain.getTransaction(kickoff.tx.txid)).confirmation?.height as number;
    let lastRefusal: string | undefined;
    for (let i = 0; i < 40; i++) {
      const info = await w.chain.getTransaction(fresh.tx.txid).catch(() => undefined);
      if (info?.confirmation !== undefined) break;
      lastRefusal = tryBroadcast(w, stale.raw);
      expect(lastRefusal, 'the superseded state is never final before the newer one').toBe('non-BIP68-final');
      await w.mine(1);
    }
    const confirmed = (await w.chain.getTransaction(fresh.tx.txid)).confirmation?.height as number;
    // The clients' towers, triggered by the kickoff, sent the newest state the moment its lock allowed.
    const S = factoryOf(w).proposal.dw.S;
    const lock = (fresh.tx.tx.inputs[0]?.sequence as number) & 0xffff;
    expect(confirmed).toBe(hk + lock);
    for (const c of [a, b]) {
      expect(c.towerEventsOf('triggered').filter((e) => e.triggerTxid === kickoff.tx.txid)).toMatchObject([
        { kinds: ['stale-state'], height: hk },
      ]);
      const sent = c.towerEventsOf('response_broadcast').filter((e) => e.kind === 'stale-state');
      expect(sent.map((e) => e.txid)).toContain(fresh.tx.txid);
    }
    expect(lock + S).toBe((stale.tx.tx.inputs[0]?.sequence as number) & 0xffff);
    // The superseded state can never confirm now: its input is spent by the newest state.
    for (let i = 0; i < S; i++) await w.mine(1);
    expect(tryBroadcast(w, stale.raw)).toBeDefined();
    expect(
      (await w.chain.getTransaction(stale.tx.txid).catch(() => undefined))?.confirmation,
    ).toBeUndefined();
    // Nothing of the superseded state's entries fired.
    for (const c of [a, b])
      expect(c.towerEventsOf('triggered').filter((e) => e.triggerTxid === stale.tx.txid)).toEqual([]);
  });

  it('the LSP broadcasts it while the towers are offline until it confirms: back, they publish the poison and the settlements', async () => {
    world = await World.create({ seed: 'tower-adv-offline', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    await fundTower(w, a);
    await fundTower(w, b);
    const old = await currentSignedPath(a);
    const ia = clientFactory(a).clientIndex;
    // A liquidity sale: client a's capacity 20,000 → 24,000 sats from the L-stock (so lost_a = 4,000).
    await advance(w, 0, new Map([[ia, 24_000n]]));
    const stale = old[old.length - 1] as (typeof old)[number];
    // Every client's tower holds the poison and its own settlement, and the secret.
    const id = fromHex(f.factoryId);
    for (const c of [a, b]) {
      const rows = await c.store.list('watchEntries', { triggerTxid: stale.tx.txid });
      expect(rows.map((r) => [r.kind, r.responseIndex])).toEqual([
        ['poison', 0],
        ['settlement', 1 + leafSlotOf(w, c)],
      ]);
      expect((await c.store.list('lstockSecrets', { factoryId: id })).map((s) => s.c)).toEqual([0]);
    }
    towerOff(w.lsp);
    towerOff(a);
    towerOff(b);
    // The LSP publishes the old path; nobody answers the kickoff; the superseded state confirms.
    const at = await publishInOrder(
      w.chain,
      old.map((p) => ({ txid: p.tx.txid, raw: p.raw })),
      () => w.mine(1),
    );
    const h = at.get(stale.tx.txid) as number;
    await w.mine(2);
    // The clients come back (restarted from their stores): their towers catch up from their
    // checkpoints and publish the poison (with s_c) and each its settlement.
    await w.restart(a);
    await w.restart(b);
    await w.mine(1);
    await w.mine(1);
    const poisonEv = a.towerEventsOf('response_confirmed').find((e) => e.kind === 'poison');
    expect(poisonEv).toBeDefined();
    const poison = decodeTx((await w.chain.getTransaction((poisonEv as { txid: string }).txid)).tx);
    const lstockVout = stale.tx.outputRoles.findIndex((r) => r.kind === 'lstock');
    const lstock = stale.tx.tx.outputs[lstockVout]?.value as bigint;
    expect(poison.inputs.map((i) => `${displayHex(i.txidBytes)}:${i.vout}`)).toEqual([
      `${stale.tx.txid}:${lstockVout}`,
    ]);
    // §5.3: lost_i = max(0, c_i(new) − c_i(old)), plus an equal share of R = L-stock − Σ lost − 240 − fee
    // (the remainder to the last), in placement order, then the anchor.
    const leafClients = stale.tx.outputRoles.flatMap((r) => (r.kind === 'channel' ? [r.client] : []));
    const lost = leafClients.map((c): bigint => (c === ia ? 4_000n : 0n));
    const fee = BigInt(Math.ceil((factoryOf(w).proposal.treeFeeRate * txVsize(poison)) / 1000));
    const R = lstock - lost.reduce((x, y) => x + y, 0n) - 240n - fee;
    const share = R / BigInt(leafClients.length);
    const expected = lost.map(
      (l, k) => l + share + (k === lost.length - 1 ? R - share * BigInt(lost.length) : 0n),
    );
    const nodeOf = (ci: number) => [a, b].find((n) => clientFactory(n).clientIndex === ci) as RoleNode;
    expect(poison.outputs.map((o) => [toHex(o.script), o.value])).toEqual([
      ...leafClients.map((ci, k) => [
        toHex(nodeOf(ci).keychain.closeAddress(clientFactory(nodeOf(ci)).factoryIndex).scriptPubKey),
        expected[k],
      ]),
      [toHex(P2A_SCRIPT), 240n],
    ]);
    // Each client's settlement: its old channel output − 240 − fee to its close address.
    for (const c of [a, b]) {
      const ci = clientFactory(c).clientIndex;
      const ev = c.towerEventsOf('response_confirmed').find((e) => e.kind === 'settlement');
      expect(ev?.height).toBeGreaterThan(h);
      const s = decodeTx((await w.chain.getTransaction((ev as { txid: string }).txid)).tx);
      const vout = stale.tx.outputRoles.findIndex((r) => r.kind === 'channel' && r.client === ci);
      const amount = stale.tx.tx.outputs[vout]?.value as bigint;
      expect(s.inputs.map((i) => `${displayHex(i.txidBytes)}:${i.vout}`)).toEqual([
        `${stale.tx.txid}:${vout}`,
      ]);
      const sfee = BigInt(Math.ceil((factoryOf(w).proposal.treeFeeRate * txVsize(s)) / 1000));
      expect(s.outputs.map((o) => [toHex(o.script), o.value])).toEqual([
        [toHex(c.keychain.closeAddress(clientFactory(c).factoryIndex).scriptPubKey), amount - 240n - sfee],
        [toHex(P2A_SCRIPT), 240n],
      ]);
      expect(c.towerEventsOf('triggered').filter((e) => e.triggerTxid === stale.tx.txid)).toMatchObject([
        { height: h },
      ]);
    }
  });

  it('a client killed right after the advance’s update holds the entries after its restart', async () => {
    world = await World.create({ seed: 'tower-adv-crash', clients: 2 });
    const w = world;
    const f = await openFactory(w);
    const [a] = w.clients as [RoleNode];
    const old = await currentSignedPath(a);
    const stale = old[old.length - 1] as (typeof old)[number];
    let durable: readonly Op[] | undefined;
    let killedAt: string | undefined;
    a.crashPoint = (action) => {
      if (durable !== undefined) {
        killedAt = action.kind === 'send' ? action.message.type : action.kind;
        return true;
      }
      if (
        action.kind === 'persist' &&
        action.ops.some((o) => o.op === 'event' && o.kind === 'AdvanceCompleted')
      )
        durable = action.ops;
      return false;
    };
    await advance(w, 0);
    expect(a.down).toBe(true);
    expect(killedAt).toBeDefined();
    // The update that recorded the verified advance held its entries (nothing left before it).
    const kinds = (durable ?? [])
      .filter((o) => o.op === 'put' && o.table === 'watchEntries')
      .map((o) => (o as { row: { kind: string; triggerTxid: string } }).row);
    expect(kinds.filter((r) => r.triggerTxid === stale.tx.txid).map((r) => r.kind)).toEqual([
      'poison',
      'settlement',
    ]);
    expect(kinds.filter((r) => r.kind === 'stale-state').map((r) => r.triggerTxid)).toContain(
      old[old.length - 2]?.tx.txid,
    );
    await w.restart(a);
    await w.drive();
    expect(a.tower?.tower.triggersIn({ txids: ['coinbase', stale.tx.txid] })).toEqual([stale.tx.txid]);
    expect((await a.store.list('watchEntries', { triggerTxid: stale.tx.txid })).map((r) => r.kind)).toEqual([
      'poison',
      'settlement',
    ]);
    // The secret arrives again after the reconnection, stored with the record in one update.
    expect(
      (await a.store.list('lstockSecrets', { factoryId: fromHex(f.factoryId) })).map((s) => s.c),
    ).toEqual([0]);
    const secretUpdate = a.persisted.find((ops) =>
      ops.some((o) => o.op === 'put' && o.table === 'lstockSecrets'),
    );
    expect(
      secretUpdate?.some(
        (o) => o.op === 'put' && o.table === 'blobs' && o.row.key === `client/f/${f.factoryId}/r`,
      ),
    ).toBe(true);
    // Its guarded kickoff now holds the new state.
    const now = await currentSignedPath(a);
    const guard = await a.store.list('watchEntries', { triggerTxid: old[old.length - 2]?.tx.txid as string });
    expect(guard.map((r) => toHex(r.responseTx))).toEqual([toHex(now[now.length - 1]?.raw as Uint8Array)]);
  });

  it('a carry (epoch reset at N = 4): every kickoff of the rebuilt paths guarded anew, each leaf’s old state covered', async () => {
    world = await World.create({
      seed: 'tower-adv-carry',
      clients: 4,
      lspPolicy: { ...ROUTABLE_REGTEST, levelArity: [2], staticLevels: 0 },
    });
    const w = world;
    const f = await openFactory(w);
    const K = f.proposal.dw.K;
    const id = fromHex(f.factoryId);
    const c1 = w.clients.find((c) => leafOf(w, c) === 1) as RoleNode;
    const before = await currentSignedPath(c1);
    for (let i = 0; i < K; i++) await advance(w, 0);
    const kinds = (await lspEventsOfKind(w, 'AdvanceCompleted')).map((e) => e.advanceKind);
    expect(kinds.at(-1)).toBe('epoch-reset');
    for (const c of w.clients) {
      const path = await currentSignedPath(c);
      const rows = await c.store.list('watchEntries', { factoryId: id });
      // every kickoff of its new path → the new state spending it
      path.forEach((t, k) => {
        const next = path[k + 1];
        if (t.tx.kind !== 'kickoff' || next?.tx.kind !== 'state') return;
        const r = rows.filter((x) => x.triggerTxid === t.tx.txid);
        expect(r.map((x) => [x.kind, toHex(x.responseTx)])).toEqual([['stale-state', toHex(next.raw)]]);
      });
      // one poison per superseded leaf state (leaf 0: K of them; leaf 1: the carry's one)
      const superseded = rows.filter((x) => x.kind === 'poison').length;
      expect(superseded).toBe(leafOf(w, c) === 0 ? K : 1);
      expect(rows.filter((x) => x.kind === 'settlement')).toHaveLength(superseded);
      const secrets = await c.store.list('lstockSecrets', { factoryId: id });
      expect(secrets).toHaveLength(superseded);
    }
    // Leaf 1's superseded state is its state before the carry; its old kickoffs keep their rows.
    const stale = before[before.length - 1] as (typeof before)[number];
    expect((await c1.store.list('watchEntries', { triggerTxid: stale.tx.txid })).map((r) => r.kind)).toEqual([
      'poison',
      'settlement',
    ]);
    const now = await currentSignedPath(c1);
    expect(now.filter((t) => t.tx.kind === 'kickoff').map((t) => t.tx.txid)).not.toEqual(
      before.filter((t) => t.tx.kind === 'kickoff').map((t) => t.tx.txid),
    );
    // The entries go with the factory at its close.
    await w.command(w.lsp, { type: 'close_factory', factoryId: id });
    for (let i = 0; i < 8 && lspOf(w).factory(f.factoryId) !== undefined; i++) await w.mine(1);
    await w.drive();
    await w.towersIdle();
    for (const n of w.all()) {
      expect(await n.store.list('watchEntries', { factoryId: id })).toEqual([]);
      expect(await n.store.list('lstockSecrets', { factoryId: id })).toEqual([]);
    }
  });
});

function leafOf(w: World, n: RoleNode): number {
  const ci = clientFactory(n).clientIndex;
  return buildTree(factoryOf(w).proposal).layout.leafClients.findIndex((l) => l.includes(ci));
}

function leafSlotOf(w: World, n: RoleNode): number {
  const ci = clientFactory(n).clientIndex;
  return (buildTree(factoryOf(w).proposal).layout.leafClients[leafOf(w, n)] as number[]).indexOf(ci);
}

async function lspEventsOfKind(w: World, kind: 'AdvanceCompleted') {
  return (await w.lsp.events()).filter((e) => e.kind === kind) as Extract<
    LspEvent,
    { kind: 'AdvanceCompleted' }
  >[];
}

function factoryOfClient(_n: RoleNode) {
  return factoryOf(world as World).proposal;
}

// ---------------------------------------------------------------------------------------------
// An exit over a kickoff its own tower already answers (issue 23, brief §6, §11): the driver takes
// the state over (`Watchtower.release`) and adopts the tower's package in flight; from then on only
// the driver's children are sent, each replacing the previous one through the anchor.

/** The kickoff of `a`'s leaf confirmed with only `a`'s tower live, which sent the state and re-bumped it. */
async function towerAnswering(seed: string) {
  world = await World.create({ seed, clients: 2, clientFeeCoins: 2 });
  const w = world;
  await openFactory(w);
  const [a, b] = w.clients as [RoleNode, RoleNode];
  await fundTower(w, a);
  towerOff(w.lsp);
  towerOff(b);
  const path = await currentSignedPath(a);
  const state = path[path.length - 1] as (typeof path)[number];
  expect(path[path.length - 2]?.tx.kind).toBe('kickoff');
  await publishInOrder(
    w.chain,
    path.slice(0, -1).map((p) => ({ txid: p.tx.txid, raw: p.raw })),
    () => w.mine(1),
  );
  const sent = () => a.towerEventsOf('response_broadcast').filter((e) => e.txid === state.tx.txid);
  for (let i = 0; i < 400 && sent().length < 2; i++) {
    w.chain.mineSync(1, { empty: true }); // nobody mines it: the tower re-bumps
    await w.sync();
  }
  expect(sent().map((e) => e.bump)).toEqual([0, 1]);
  return { w, a, state, towerRate: (sent()[1] as { feeRate: number }).feeRate };
}

/** Every package of `txid` sent (by anyone), as (height, child txid, whose fee coin paid it). */
function packagesOf(w: World, a: RoleNode, txid: string) {
  return w.broadcasts
    .filter((x) => x.txid === txid && x.child !== undefined && x.outcome === 'accepted')
    .map((x) => {
      const child = decodeTx(x.child as Uint8Array);
      const coin = child.inputs[1] as (typeof child.inputs)[number];
      const outpoint = { txid: displayHex(coin.txidBytes), vout: coin.vout };
      const payer =
        a.wallet?.coin(outpoint) !== undefined
          ? 'driver'
          : a.tower?.tower.wallet.coin(outpoint) !== undefined
            ? 'tower'
            : 'other';
      return { height: x.height, child: txidOfRaw(x.child as Uint8Array), payer, node: x.node };
    });
}

function txidOfRaw(raw: Uint8Array): string {
  return txidOf(decodeTx(raw));
}

/** One new child per block at most, the tower's up to the take-over, the driver's after it. */
function expectOneParty(rows: ReturnType<typeof packagesOf>, takeover: number): void {
  const firstSeen = new Map<string, number>();
  for (const r of rows) if (!firstSeen.has(r.child)) firstSeen.set(r.child, r.height);
  // a child is new at one height only (re-sends of the same child are not a second response)
  const newAt = new Map<number, number>();
  for (const h of firstSeen.values()) newAt.set(h, (newAt.get(h) ?? 0) + 1);
  for (const [h, n] of newAt) expect(n, `new children at height ${h}`).toBe(1);
  for (const r of rows) {
    const h = firstSeen.get(r.child) as number;
    expect(r.payer, `child ${r.child} first sent at ${h}`).toBe(h <= takeover ? 'tower' : 'driver');
  }
}

describe('an exit takes its states over from its own tower', () => {
  it('the kickoff confirmed before the exit: the driver adopts the tower’s package and alone re-bumps it; one party per state', async () => {
    const { w, a, state, towerRate } = await towerAnswering('tower-takeover');
    const takeover = w.chain.height;
    await w.command(a, { type: 'force_close', factoryId: fromHex(clientFactory(a).factoryId) });
    const released = (a.tower as EmbeddedTower).tower.responses().filter((r) => r.txid === state.tx.txid);
    for (let i = 0; i < 3; i++) {
      w.chain.mineSync(1, { empty: true });
      await w.sync();
    }
    await w.mine(1);
    expect((await w.chain.getTransaction(state.tx.txid)).confirmation).toBeDefined();
    const rows = packagesOf(w, a, state.tx.txid);
    expectOneParty(rows, takeover);
    expect(rows.filter((r) => r.payer === 'driver').length).toBeGreaterThanOrEqual(3);
    // the driver's first package is a re-bump over the tower's last rate
    const mine = (await a.events()).filter(
      (e) => e.kind === 'ExitStepBroadcast' && e.txid === state.tx.txid,
    ) as { feeRate: number; bump: number }[];
    expect(mine[0]?.bump).toBe(1);
    expect(mine[0]?.feeRate).toBeGreaterThan(towerRate);
    // the tower never answered again
    expect(a.towerEventsOf('response_broadcast').filter((e) => e.txid === state.tx.txid)).toHaveLength(2);
    expect(released).toMatchObject([{ status: 'released' }]);
    const kinds = (await a.events()).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'TowerResponseReleased')).toHaveLength(1);
  });

  it('the LSP’s exit_factory over a kickoff its tower already answers: adopted, one party per state', async () => {
    world = await World.create({ seed: 'tower-takeover-lsp', clients: 2 });
    const w = world;
    await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    await fundTower(w, w.lsp);
    towerOff(a);
    towerOff(b);
    const path = await currentSignedPath(a);
    const state = path[path.length - 1] as (typeof path)[number];
    await publishInOrder(
      w.chain,
      path.slice(0, -1).map((p) => ({ txid: p.tx.txid, raw: p.raw })),
      () => w.mine(1),
    );
    const sent = () => w.lsp.towerEventsOf('response_broadcast').filter((e) => e.txid === state.tx.txid);
    for (let i = 0; i < 400 && sent().length < 2; i++) {
      w.chain.mineSync(1, { empty: true });
      await w.sync();
    }
    expect(sent().map((e) => e.bump)).toEqual([0, 1]);
    const takeover = w.chain.height;
    await w.command(w.lsp, { type: 'exit_factory', factoryId: fromHex(factoryOf(w).factoryId) });
    for (let i = 0; i < 3; i++) {
      w.chain.mineSync(1, { empty: true });
      await w.sync();
    }
    await w.mine(1);
    expect((await w.chain.getTransaction(state.tx.txid)).confirmation).toBeDefined();
    const rows = packagesOf(w, w.lsp, state.tx.txid);
    expectOneParty(rows, takeover);
    expect(rows.filter((r) => r.payer === 'driver').length).toBeGreaterThanOrEqual(3);
    expect(sent()).toHaveLength(2);
  });

  it('a crash before the stand-down is durable leaves the tower in charge: it keeps answering and the state gets out', async () => {
    const { w, a, state } = await towerAnswering('tower-takeover-early-crash');
    let crashed = false;
    a.crashPoint = (action) => {
      const release =
        action.kind === 'persist' &&
        action.ops.some((o) => o.op === 'delete' && o.table === 'watchEntries' && o.key.responseIndex === 0);
      if (release) crashed = true;
      return release; // killed before that update
    };
    await w.command(a, { type: 'force_close', factoryId: fromHex(clientFactory(a).factoryId) });
    expect(crashed).toBe(true);
    await w.restart(a);
    // the exit never became durable: the client still only watches its path
    expect(
      clientOf(a)
        .exits()
        .map((x) => x.reason),
    ).toEqual(['path-watch']);
    w.chain.mineSync(1, { empty: true });
    await w.sync();
    await w.mine(1);
    expect((await w.chain.getTransaction(state.tx.txid)).confirmation).toBeDefined();
    const bumps = a.towerEventsOf('response_broadcast').filter((e) => e.txid === state.tx.txid);
    expect(bumps.map((e) => e.bump)).toEqual([0, 1, 2]); // its re-bump after the restart, then it confirms
  });

  it('a crash between the stand-down and the driver’s first broadcast loses nothing: the state still gets out', async () => {
    const { w, a, state } = await towerAnswering('tower-takeover-crash');
    const takeover = w.chain.height;
    await w.command(a, { type: 'force_close', factoryId: fromHex(clientFactory(a).factoryId) });
    // the release and the driver's record are durable; nothing of the driver's left yet
    expect(
      w.broadcasts.filter(
        (x) =>
          x.txid === state.tx.txid &&
          x.height > takeover - 1 &&
          x.node === a.name &&
          !x.label.startsWith('tower'),
      ),
    ).toEqual([]);
    await w.restart(a);
    const tower = a.tower as EmbeddedTower;
    expect(tower.tower.responses().filter((r) => r.txid === state.tx.txid)).toMatchObject([
      { status: 'released' },
    ]);
    for (let i = 0; i < 2; i++) {
      w.chain.mineSync(1, { empty: true });
      await w.sync();
    }
    await w.mine(1);
    expect((await w.chain.getTransaction(state.tx.txid)).confirmation).toBeDefined();
    expectOneParty(packagesOf(w, a, state.tx.txid), takeover);
    expect(a.towerEventsOf('response_broadcast').filter((e) => e.txid === state.tx.txid)).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Tower events in the role's event queue: journalled in the tower's own updates of the role's store.

/** Reads (and acknowledges) every event of `n`'s queue after its cursor, from its store on disk. */
async function drainQueue(n: RoleNode): Promise<{ kind: string; payload: Uint8Array }[]> {
  const store = await openSqliteStore({ path: n.path, sealingKey: n.keychain.storeSealingKey() });
  const seq = await Sequencer.open(store);
  const queue = await EventQueue.open(seq);
  const out: { kind: string; payload: Uint8Array }[] = [];
  for (let e = await queue.nextEvent(); e !== undefined; e = await queue.nextEvent()) {
    out.push({ kind: e.kind, payload: e.payload });
    await queue.eventHandled();
  }
  await store.close();
  return out;
}

describe('tower events in the role’s event queue', () => {
  it('an embedder reading the LSP’s queue before and after a restart sees each penalty event once', async () => {
    world = await World.create({ seed: 'tower-queue', clients: 2 });
    const w = world;
    await openFactory(w);
    const [cheater, payee] = w.clients as [RoleNode, RoleNode];
    const old = await clientCommitment(cheater);
    await pay(w, cheater, payee, 3_000_000n);
    await fundTower(w, w.lsp);
    const h = await breach(w, cheater, old); // the penalty goes out at h, unconfirmed
    await w.crash(w.lsp);
    const before = await drainQueue(w.lsp);
    await w.restart(w.lsp); // its tower re-sends the penalty (no event), then it confirms
    await w.mine(2);
    await w.crash(w.lsp);
    const after = await drainQueue(w.lsp);
    const ofTrigger = (records: { kind: string; payload: Uint8Array }[]) =>
      records
        .map((r) => decodeLspEvent(r))
        .filter(
          (e): e is Extract<LspEvent, { triggerTxid: string }> =>
            e.kind.startsWith('Tower') && 'triggerTxid' in e && e.triggerTxid === old.txid,
        );
    expect(ofTrigger(before).map((e) => e.kind)).toEqual(['TowerTriggered', 'TowerResponseBroadcast']);
    expect(ofTrigger(after).map((e) => e.kind)).toEqual(['TowerResponseConfirmed']);
    expect(ofTrigger(before)[1]).toMatchObject({ entryKind: 'penalty', bump: 0, responseIndex: 0 });
    expect(ofTrigger(after)[0]).toMatchObject({ entryKind: 'penalty', height: h + 1 });
    // the queue holds every tower event the tower emitted, in its order, once
    const emitted = w.lsp.towerEvents.filter((e) => 'triggerTxid' in e && e.triggerTxid === old.txid);
    expect([...ofTrigger(before), ...ofTrigger(after)].map((e) => e.kind)).toEqual(
      emitted.map((e) => `Tower${e.type.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase())}`),
    );
    // and the role's own events are still there, untouched
    expect(before.some((r) => r.kind === 'FactoryOpen')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// A role restored with its tower entries missing (a lost or new entries store, a factory signed
// before towers existed) re-derives and writes them before anything else it does.

describe('tower entries re-written at restore', () => {
  for (const who of ['lsp', 'client'] as const)
    it(`the ${who} restarted with its entries deleted writes them back first (once), and a breach is penalised`, async () => {
      world = await World.create({ seed: `tower-backfill-${who}`, clients: 2 });
      const w = world;
      await openFactory(w);
      const [a, b] = w.clients as [RoleNode, RoleNode];
      const revoked = who === 'lsp' ? await clientCommitment(a) : await lspCommitment(w, a);
      const node = who === 'lsp' ? w.lsp : a;
      const factoryId = who === 'lsp' ? factoryOf(w).factoryId : clientFactory(a).factoryId;
      await pay(w, a, b, 1_500_000n);
      const rowsOf = async () =>
        (await node.store.list('watchEntries'))
          .map((r) => `${r.triggerTxid}:${r.responseIndex}:${r.kind}:${toHex(r.responseTx)}`)
          .sort();
      const before = await rowsOf();
      expect(before.filter((r) => r.startsWith(`${revoked.txid}:`))).toHaveLength(1);
      expect(before.some((r) => r.includes(':stale-state:'))).toBe(true);

      // Offline, every entry of the factory and its tower blob go (what `closeFactoryOps` deletes).
      await w.crash(node);
      const store = await openSqliteStore({ path: node.path, sealingKey: node.keychain.storeSealingKey() });
      const ops = await closeFactoryOps(store, fromHex(factoryId));
      await store.applyUpdate({ id: (await store.lastUpdateId()) + 1n, ops });
      expect(await store.list('watchEntries')).toEqual([]);
      await store.close();

      const t0 = node.trace.length;
      await w.restart(node);
      // the machine's very first action after the restart writes them back, all of them
      const first = node.trace[t0]?.actions[0];
      expect(first?.kind).toBe('persist');
      expect(
        (first as { ops: readonly Op[] }).ops.filter((o) => o.op === 'put' && o.table === 'watchEntries'),
      ).toHaveLength(before.length);
      expect(await rowsOf()).toEqual(before);
      expect(node.tower?.tower.triggersIn({ txids: ['coinbase', revoked.txid] })).toEqual([revoked.txid]);
      // idempotent: with the entries there, a second restart writes none
      const t1 = node.trace.length;
      await w.restart(node);
      const rewrites = node.trace
        .slice(t1)
        .flatMap((t) => t.actions)
        .filter(
          (x) => x.kind === 'persist' && x.ops.some((o) => o.op === 'put' && o.table === 'watchEntries'),
        );
      expect(rewrites).toEqual([]);
      expect(await rowsOf()).toEqual(before);

      await fundTower(w, node);
      const h = await breach(w, a, revoked);
      await w.mine(1);
      const sweep =
        who === 'lsp'
          ? w.lsp.keychain.closeAddress(factoryOf(w).factoryIndex).scriptPubKey
          : a.keychain.closeAddress(clientFactory(a).factoryIndex).scriptPubKey;
      await checkPenalty(w, node, revoked, h, sweep);
    });

  it('after a carry: every kickoff instance still spendable, the old ones too, guarded with its newest state, and written back at restore (LSP and clients)', async () => {
    world = await World.create({
      seed: 'tower-backfill-carry',
      clients: 4,
      lspPolicy: { ...ROUTABLE_REGTEST, levelArity: [2], staticLevels: 0 },
    });
    const w = world;
    const f = await openFactory(w);
    const K = f.proposal.dw.K;
    const id = fromHex(f.factoryId);
    const c0 = w.clients.find((c) => leafOf(w, c) === 0) as RoleNode;
    const c1 = w.clients.find((c) => leafOf(w, c) === 1) as RoleNode;
    // Each client's path just before the carry: its kickoffs are the instances the carry retires.
    for (let i = 0; i < K - 1; i++) await advance(w, 0);
    const preCarry = new Map<RoleNode, Awaited<ReturnType<typeof currentSignedPath>>>();
    for (const c of [c0, c1]) preCarry.set(c, await currentSignedPath(c));
    await advance(w, 0);
    expect((await lspEventsOfKind(w, 'AdvanceCompleted')).at(-1)?.advanceKind).toBe('epoch-reset');
    const guardsOf = async (n: RoleNode) =>
      new Map(
        (await n.store.list('watchEntries', { factoryId: id }))
          .filter((r) => r.kind === 'stale-state')
          .map((r) => [r.triggerTxid, toHex(r.responseTx)]),
      );
    // Normal path: each retired instance keeps its row, holding the newest state that spends it.
    const lspGuards = await guardsOf(w.lsp);
    for (const c of [c0, c1]) {
      const old = preCarry.get(c) as Awaited<ReturnType<typeof currentSignedPath>>;
      const now = new Set((await currentSignedPath(c)).map((t) => t.tx.txid));
      const retired = old.flatMap((t, k) => {
        const next = old[k + 1];
        return t.tx.kind === 'kickoff' && next?.tx.kind === 'state' && !now.has(t.tx.txid)
          ? [[t.tx.txid, toHex(next.raw)] as const]
          : [];
      });
      expect(retired.length).toBeGreaterThan(0);
      const mine = await guardsOf(c);
      for (const [k, state] of retired) {
        expect(mine.get(k)).toBe(state);
        expect(lspGuards.get(k)).toBe(state);
      }
    }
    // Restore with the entries gone: each node writes every one of them back, the old instances too.
    const rowsOf = async (n: RoleNode) =>
      (await n.store.list('watchEntries', { factoryId: id }))
        .map((r) => `${r.triggerTxid}:${r.responseIndex}:${r.kind}:${toHex(r.responseTx)}`)
        .sort();
    for (const node of [w.lsp, c0, c1]) {
      const before = await rowsOf(node);
      await w.crash(node);
      const store = await openSqliteStore({ path: node.path, sealingKey: node.keychain.storeSealingKey() });
      await store.applyUpdate({
        id: (await store.lastUpdateId()) + 1n,
        ops: await closeFactoryOps(store, id),
      });
      expect(await store.list('watchEntries', { factoryId: id })).toEqual([]);
      await store.close();
      await w.restart(node);
      expect(await rowsOf(node)).toEqual(before);
    }
  });

  it('a client after an advance: its poison, settlement and s_c come back too, and answer the superseded state', async () => {
    world = await World.create({ seed: 'tower-backfill-advance', clients: 2 });
    const w = world;
    await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    await fundTower(w, a);
    const old = await currentSignedPath(a);
    const ia = clientFactory(a).clientIndex;
    await advance(w, 0, new Map([[ia, 24_000n]]));
    const stale = old[old.length - 1] as (typeof old)[number];
    const id = fromHex(clientFactory(a).factoryId);
    const rowsOf = async () => [
      ...(await a.store.list('watchEntries'))
        .map((r) => `${r.triggerTxid}:${r.responseIndex}:${r.kind}:${toHex(r.responseTx)}`)
        .sort(),
      ...(await a.store.list('lstockSecrets', { factoryId: id })).map((x) => `${x.c}:${toHex(x.secret)}`),
    ];
    const before = await rowsOf();
    expect(before.filter((r) => r.startsWith(`${stale.tx.txid}:`)).map((r) => r.split(':')[2])).toEqual([
      'poison',
      'settlement',
    ]);
    await w.crash(a);
    const store = await openSqliteStore({ path: a.path, sealingKey: a.keychain.storeSealingKey() });
    await store.applyUpdate({ id: (await store.lastUpdateId()) + 1n, ops: await closeFactoryOps(store, id) });
    await store.close();
    await w.restart(a);
    expect(await rowsOf()).toEqual(before);
    // The LSP publishes the old path while a's tower is away; the superseded state confirms.
    towerOff(w.lsp);
    towerOff(a);
    towerOff(b);
    const at = await publishInOrder(
      w.chain,
      old.map((p) => ({ txid: p.tx.txid, raw: p.raw })),
      () => w.mine(1),
    );
    const h = at.get(stale.tx.txid) as number;
    await w.restart(a); // back: the tower catches up and answers with the re-written entries
    await w.mine(2);
    const confirmed = a.towerEventsOf('response_confirmed').filter((e) => e.triggerTxid === stale.tx.txid);
    expect(confirmed.map((e) => e.kind).sort()).toEqual(['poison', 'settlement']);
    for (const e of confirmed) expect(e.height).toBeGreaterThan(h);
  });
});
