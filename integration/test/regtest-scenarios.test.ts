// Issue 23's scenarios on Bitcoin Core (issue 23 "the same scenarios on bitcoind in the integration
// suite when it is present"): the deterministic roles harness (`World`: an Lsp and its Client machines,
// each with its SQLite store and embedded tower) on a throwaway `bitcoind -regtest` instead of the
// SimChain — every broadcast through `sendrawtransaction` / `submitpackage`, every block by
// `generatetodescriptor` (`generateblock` for an empty one), every role and tower following Core through
// the world's BlockFollower, a reorg by `invalidateblock`. Each test starts a node of its own (fresh
// mempool) and checks on Core itself (`getrawtransaction`, `gettxout`) that what the roles journal is so:
//   1. a client's force_close: its path (1P1C packages with CPFP children), commitment and to_local claim;
//   2. the three breach scenes (revoked commitment; superseded leaf state, towers live; towers offline);
//   3. a liquidity sale (capacity change) then a force_close, and then a cooperative close, paying the
//      new allocations;
//   4. the distribution at T_dist (re-bumped) and the LSP's timeout recovery;
//   5. reorgs that remove a trigger: the exit driver and the tower send again;
//   and what only Core can judge: 6. re-bumps replacing packages and claims under empty blocks (package
//   RBF, BIP125); 7. HTLC-timeout and HTLC-success claims (go_on_chain), and the preimage the LSP reads
//   from the payee's success claim on Core to fulfil the payer off-chain (BOLT 5); 8. an exit after an
//   epoch reset.
// Refusals Core gave along the way (races two senders lose, e.g. a second tower's child) are printed.
// Skipped, with the reason printed, when no bitcoind is found (BITCOIND=/path/to/bitcoind or PATH).

import { createHash } from 'node:crypto';
import { TxRejected } from '@superscalar/chain';
import { discoverBitcoind, type RegtestNode, startRegtestNode } from '@superscalar/chain/bitcoind';
import type { ClientEvent, ClientFactoryInfo } from '@superscalar/client';
import type { EmbeddedTower } from '@superscalar/client/runtime';
import { fromHex, toHex } from '@superscalar/core';
import { buildClientPath, decodeClientFactory, signedTxBytes, type TreeTx } from '@superscalar/factory-tree';
import type { LspEvent } from '@superscalar/lsp';
import { decodeTx, displayHex, P2A_SCRIPT, txVsize } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { heldCommitment, publishInOrder, signedPath } from '../harness/breach.js';
import {
  type BroadcastRecord,
  clientOf,
  dropPayeeFulfil,
  factoryOf,
  openFactory,
  payeeGone,
  type RoleNode,
  settledProblems,
  successClaim,
  World,
  type WorldOptions,
} from '../harness/index.js';

const found = discoverBitcoind();
if (found.ok) console.log(`regtest scenarios: running against ${found.versionText} (${found.bin})`);
else console.log(`regtest scenarios skipped: ${found.why}`);

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

const completed = (n: RoleNode) => async () => (await events(n, 'ExitCompleted')).length > 0;
const SHORT = { activeBlocks: 20, dyingBlocks: 10 } as const;
/** A coinbase script of no role (so a block replacing an invalidated one never has its hash). */
const OTHER_COINBASE = fromHex(`0014${'11'.repeat(20)}`);

/** Where Core has `txid` confirmed (throws when it is not). */
async function confirmedOnCore(w: World, txid: string): Promise<number> {
  const info = await w.backend.getTransaction(txid);
  if (info.confirmation === undefined) throw new Error(`${txid} is not confirmed on Core`);
  return info.confirmation.height;
}

function clientFactory(n: RoleNode): ClientFactoryInfo {
  const f = clientOf(n).factories()[0];
  if (f === undefined) throw new Error(`${n.name} has no factory`);
  return f;
}

async function fundTower(w: World, n: RoleNode, amount = 200_000n): Promise<void> {
  const tower = n.tower as EmbeddedTower;
  await w.fund((await tower.feeAddress()).script, amount);
  await w.sync();
  expect(tower.feeBalance().confirmed).toBe(amount);
}

function towerOff(n: RoleNode): void {
  (n.tower as EmbeddedTower).stop();
  n.tower = undefined;
}

/** A client's signed path at its current state (root first), rebuilt from its record. */
async function currentSignedPath(
  w: World,
  n: RoleNode,
): Promise<{ readonly tx: TreeTx; readonly raw: Uint8Array }[]> {
  const f = clientFactory(n);
  const sigs = clientOf(n).signedPath(f.factoryId);
  if (sigs === undefined) throw new Error('no signed path');
  const blob = await n.store.get('blobs', { key: `client/f/${f.factoryId}/r` });
  const txs =
    blob === undefined
      ? buildClientPath(factoryOf(w).proposal, f.clientIndex).txs
      : (() => {
          const o = JSON.parse(new TextDecoder().decode(blob.data)) as { record: string };
          const r = decodeClientFactory(fromHex(o.record));
          return buildClientPath(r.proposal, r.client, { state: r.state }).txs;
        })();
  return txs.map((tx, k) => ({
    tx,
    raw: signedTxBytes(tx, (sigs[k] as { signature: Uint8Array }).signature),
  }));
}

/** Broadcasts `raw` if Core takes it now; Core's reject reason when it does not. */
async function tryBroadcast(w: World, raw: Uint8Array): Promise<string | undefined> {
  try {
    await w.backend.broadcast(raw);
    return undefined;
  } catch (e) {
    if (!TxRejected.isInstance(e)) throw e;
    return e.reason;
  }
}

/** The outpoints a transaction spends, as `txid:vout`. */
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const spends = (raw: Uint8Array) => decodeTx(raw).inputs.map((i) => `${displayHex(i.txidBytes)}:${i.vout}`);

describe.skipIf(!found.ok)('issue 23 on bitcoind -regtest: exits, breaches, advances, reorgs', () => {
  let node: RegtestNode | undefined;
  let world: World | undefined;
  beforeEach(async () => {
    if (found.ok) node = await startRegtestNode({ bin: found.bin, wallet: 'scenarios' });
  }, 120_000);
  afterEach(async () => {
    // What Core refused of the roles' and towers' broadcasts (early locks, duplicates, lost races).
    const refused = new Map<string, number>();
    for (const b of world?.broadcasts ?? [])
      if (b.outcome === 'rejected') {
        const k = `${b.label.replace(/[0-9a-f]{64}/g, '…')}: ${b.reason}`;
        refused.set(k, (refused.get(k) ?? 0) + 1);
      }
    if (refused.size > 0) console.log(`Core refused: ${JSON.stringify(Object.fromEntries(refused))}`);
    await world?.close();
    world = undefined;
    await node?.stop();
    node = undefined;
  }, 60_000);
  /** A world on this test's node. */
  const onCore = async (o: Omit<WorldOptions, 'backend'>): Promise<World> => {
    world = await World.create({ ...o, backend: (node as RegtestNode).rpc });
    return world;
  };

  it('1. a client force-closes alone: path as 1P1C packages at each lock, commitment, to_local after toSelfDelay into its wallet', async () => {
    const w = await onCore({ seed: 'core-force', clients: 4, clientFeeCoins: 2 });
    await w.connectAll();
    const f = await openFactory(w);
    expect(await confirmedOnCore(w, f.fundingTxid as string)).toBe(f.fundingConfirmedAt);
    const c = w.clients[0] as RoleNode;
    const balanceBefore = (c.wallet as Wallet).balance().confirmed;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, completed(c));
    await mineUntil(w, async () => (await events(w.lsp, 'ExitClaimed')).length >= 2, 60);

    const exit = clientOf(c).exits()[0];
    expect(exit?.completed).toBe(true);
    const path = exit?.steps.filter((s) => s.kind === 'kickoff' || s.kind === 'state') ?? [];
    expect(path.map((s) => s.kind)).toEqual(['kickoff', 'kickoff', 'state']);
    const first = new Map<string, Of<'ExitStepBroadcast'>>();
    for (const e of await events(c, 'ExitStepBroadcast')) if (!first.has(e.step)) first.set(e.step, e);
    let parentAt = f.fundingConfirmedAt as number;
    const waits: number[] = [];
    for (const s of path) {
      const raw = (await w.backend.getTransaction(s.txid)).tx;
      const seq = (decodeTx(raw).inputs[0] as { sequence: number }).sequence;
      const csv = (seq & 0x80000000) !== 0 ? 0 : seq & 0xffff;
      const b = first.get(s.id) as Of<'ExitStepBroadcast'>;
      // Sent at the first tip its relative lock allows, as a package: Core mined parent and child in
      // the next block.
      expect(b.height).toBe(parentAt + Math.max(1, csv) - 1);
      const h = await confirmedOnCore(w, s.txid);
      expect(h).toBe(b.height + 1);
      expect(await confirmedOnCore(w, b.childTxid as string)).toBe(h);
      expect(spends((await w.backend.getTransaction(b.childTxid as string)).tx)).toContain(
        `${s.txid}:${decodeTx(raw).outputs.length - 1}`,
      ); // the child spends the parent's anchor (its last output)
      waits.push(h - parentAt);
      parentAt = h;
    }
    expect(waits).toEqual([1, 1, 30]); // kickoffs one block, the state its DW lock S·(K−1)
    // The commitment in the next block, the to_local claim toSelfDelay blocks later, all on Core.
    const commitment = exit?.steps.find((s) => s.kind === 'commitment');
    const claim = exit?.steps.find((s) => s.id.startsWith('to_local'));
    const hc = await confirmedOnCore(w, commitment?.txid as string);
    expect(hc).toBe(parentAt + 1);
    expect(await confirmedOnCore(w, claim?.txid as string)).toBe(hc + f.proposal.toSelfDelay);
    const claimed = (await events(c, 'ExitClaimed'))[0] as Of<'ExitClaimed'>;
    expect(claimed.txid).toBe(claim?.txid);
    const out = decodeTx((await w.backend.getTransaction(claimed.txid)).tx).outputs[0] as {
      value: bigint;
      script: Uint8Array;
    };
    expect(out.value).toBe(claimed.amount);
    expect(claimed.amount).toBeGreaterThan(9_000n);
    const wallet = c.wallet as Wallet;
    expect(wallet.isMine(out.script)).toBe(true);
    expect(await w.backend.getSpend({ txid: claimed.txid, vout: 0 })).toEqual({ spent: false });
    expect(wallet.coins().some((x) => x.txid === claimed.txid && x.value === claimed.amount)).toBe(true);
    const done = (await events(c, 'ExitCompleted'))[0] as Of<'ExitCompleted'>;
    expect(done.lost).toBe(0);
    const children = wallet.txs(['confirmed']).filter((t) => t.kind === 'cpfp');
    expect(children).toHaveLength(4);
    const delta = wallet.balance().confirmed - balanceBefore - claimed.amount;
    expect(delta).toBeGreaterThan(-4n * 1_000n);
    expect(delta).toBeLessThan(4n * 240n);
    // The LSP's recoveries of the exited leaf: its L-stock after lStockCsv and its to_remote claim.
    const lspClaims = await events(w.lsp, 'ExitClaimed');
    const lstock = lspClaims.find((e) => e.stepKind === 'lstock');
    expect(await confirmedOnCore(w, lstock?.txid as string)).toBe(
      (await confirmedOnCore(w, path[2]?.txid as string)) + f.proposal.lStockCsv,
    );
    const toRemote = lspClaims.find((e) => e.label.includes('to_remote'));
    await confirmedOnCore(w, toRemote?.txid as string);
    for (const x of [lstock, toRemote])
      expect(w.lsp.wallet?.coins().some((y) => y.txid === x?.txid)).toBe(true);
    for (const other of w.clients.slice(1)) expect(await events(other, 'ExitStarted')).toHaveLength(0);
  }, 300_000);

  it('2a. a client broadcasts a revoked commitment: the LSP’s tower penalises it in the next block', async () => {
    const w = await onCore({ seed: 'core-revoked', clients: 2 });
    await openFactory(w);
    const [cheater, payee] = w.clients as [RoleNode, RoleNode];
    const cf = clientFactory(cheater);
    const old = await heldCommitment({
      role: 'client',
      store: cheater.store,
      keychain: cheater.keychain,
      factoryIndex: cf.factoryIndex,
      clientIndex: cf.clientIndex,
      channelId: cf.channel.channelId,
    });
    await w.command(payee, { type: 'create_invoice', amountMsat: 3_000_000n, description: 'core' });
    const invoice = (clientOf(payee).invoices().at(-1) as { invoice: string }).invoice;
    await w.command(cheater, { type: 'pay_invoice', invoice });
    expect(clientOf(cheater).payments().at(-1)?.status).toBe('sent');
    await fundTower(w, w.lsp);
    // The cheater publishes its path (each transaction once Core takes it), then the revoked commitment.
    const sigs = clientOf(cheater).signedPath(cf.factoryId) ?? [];
    const path = signedPath(factoryOf(w).proposal, cf.clientIndex, sigs);
    const at = await publishInOrder(
      w.backend,
      [...path.map((p) => ({ txid: p.tx.txid, raw: p.raw })), old],
      () => w.mine(1),
    );
    const h = at.get(old.txid) as number;
    await w.mine(1);
    const confirmed = w.lsp.towerEventsOf('response_confirmed').filter((e) => e.triggerTxid === old.txid);
    expect(confirmed).toMatchObject([{ kind: 'penalty', height: h + 1 }]);
    const penaltyTxid = (confirmed[0] as { txid: string }).txid;
    expect(await confirmedOnCore(w, penaltyTxid)).toBe(h + 1);
    const sent = w.lsp.towerEventsOf('response_broadcast').find((e) => e.txid === penaltyTxid);
    expect(await confirmedOnCore(w, sent?.childTxid as string)).toBe(h + 1); // its CPFP child, too
    const penalty = decodeTx((await w.backend.getTransaction(penaltyTxid)).tx);
    expect(spends((await w.backend.getTransaction(penaltyTxid)).tx)).toEqual([
      `${old.txid}:${old.toLocal?.vout}`,
    ]);
    const lspClose = w.lsp.keychain.closeAddress(factoryOf(w).factoryIndex).scriptPubKey;
    expect(penalty.outputs[0]?.script).toEqual(lspClose);
    const fee = BigInt(Math.ceil((old.commitment.spec.feeRate * txVsize(penalty)) / 1000));
    expect(penalty.outputs[0]?.value).toBe(10_000n - fee - 240n); // the cheater's whole old balance
    expect(await w.backend.getSpend({ txid: penaltyTxid, vout: 0 })).toEqual({ spent: false });
  }, 300_000);

  it('2b. the LSP broadcasts a superseded leaf state while the clients’ towers are live: the newest state wins', async () => {
    const w = await onCore({ seed: 'core-adv-live', clients: 2 });
    await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    await fundTower(w, a);
    await fundTower(w, b);
    const old = await currentSignedPath(w, a);
    await w.command(w.lsp, {
      type: 'advance_leaf',
      factoryId: fromHex(factoryOf(w).factoryId),
      leaf: 0,
      purpose: 'rebalance',
    });
    const now = await currentSignedPath(w, a);
    const kickoff = old[old.length - 2] as (typeof old)[number];
    const stale = old[old.length - 1] as (typeof old)[number];
    const fresh = now[now.length - 1] as (typeof now)[number];
    expect(fresh.tx.txid).not.toBe(stale.tx.txid);
    towerOff(w.lsp); // the cheating LSP runs no tower
    await publishInOrder(
      w.backend,
      old.slice(0, -1).map((p) => ({ txid: p.tx.txid, raw: p.raw })),
      () => w.mine(1),
    );
    const hk = await confirmedOnCore(w, kickoff.tx.txid);
    for (let i = 0; i < 40; i++) {
      const info = await w.backend.getTransaction(fresh.tx.txid).catch(() => undefined);
      if (info?.confirmation !== undefined) break;
      // Core never takes the superseded state before the newer one: its relative lock is S longer.
      expect(await tryBroadcast(w, stale.raw)).toBe('non-BIP68-final');
      await w.mine(1);
    }
    const lock = (fresh.tx.tx.inputs[0]?.sequence as number) & 0xffff;
    expect(await confirmedOnCore(w, fresh.tx.txid)).toBe(hk + lock);
    for (const c of [a, b]) {
      expect(c.towerEventsOf('triggered').filter((e) => e.triggerTxid === kickoff.tx.txid)).toMatchObject([
        { kinds: ['stale-state'], height: hk },
      ]);
      expect(c.towerEventsOf('response_broadcast').map((e) => e.txid)).toContain(fresh.tx.txid);
    }
    // The superseded state can never confirm now: Core has its input spent by the newest state.
    const S = factoryOf(w).proposal.dw.S;
    await w.mine(S);
    expect(await tryBroadcast(w, stale.raw)).toMatch(/missing|spent/);
    expect(await w.backend.getSpend({ txid: kickoff.tx.txid, vout: 0 })).toMatchObject({
      spent: true,
      txid: fresh.tx.txid,
    });
  }, 300_000);

  it('2c. the LSP broadcasts it while the towers are offline until it confirms: back, they publish the poison and the settlements', async () => {
    const w = await onCore({ seed: 'core-adv-offline', clients: 2 });
    await openFactory(w);
    const [a, b] = w.clients as [RoleNode, RoleNode];
    await fundTower(w, a);
    await fundTower(w, b);
    const old = await currentSignedPath(w, a);
    const ia = clientFactory(a).clientIndex;
    await w.command(w.lsp, {
      type: 'advance_leaf',
      factoryId: fromHex(factoryOf(w).factoryId),
      leaf: 0,
      purpose: 'liquidity',
      allocations: new Map([[ia, 24_000n]]),
    });
    expect((await w.lsp.events()).filter((e) => e.kind === 'AdvanceCompleted')).toHaveLength(1);
    const stale = old[old.length - 1] as (typeof old)[number];
    towerOff(w.lsp);
    towerOff(a);
    towerOff(b);
    const at = await publishInOrder(
      w.backend,
      old.map((p) => ({ txid: p.tx.txid, raw: p.raw })),
      () => w.mine(1),
    );
    const h = at.get(stale.tx.txid) as number;
    expect(await confirmedOnCore(w, stale.tx.txid)).toBe(h);
    await w.mine(2);
    await w.restart(a);
    await w.restart(b);
    await w.mine(2);
    const poisonEv = a.towerEventsOf('response_confirmed').find((e) => e.kind === 'poison');
    expect(poisonEv).toBeDefined();
    const poisonRaw = (await w.backend.getTransaction((poisonEv as { txid: string }).txid)).tx;
    await confirmedOnCore(w, (poisonEv as { txid: string }).txid);
    const lstockVout = stale.tx.outputRoles.findIndex((r) => r.kind === 'lstock');
    expect(spends(poisonRaw)).toEqual([`${stale.tx.txid}:${lstockVout}`]);
    // §5.3: the buyer's lost_a = 4,000 sat first, then equal shares of the rest, then the anchor.
    const poison = decodeTx(poisonRaw);
    const leafClients = stale.tx.outputRoles.flatMap((r) => (r.kind === 'channel' ? [r.client] : []));
    const lstock = stale.tx.tx.outputs[lstockVout]?.value as bigint;
    const lost = leafClients.map((c): bigint => (c === ia ? 4_000n : 0n));
    const fee = BigInt(Math.ceil((factoryOf(w).proposal.treeFeeRate * txVsize(poison)) / 1000));
    const R = lstock - lost.reduce((x, y) => x + y, 0n) - 240n - fee;
    const share = R / BigInt(leafClients.length);
    const nodeOf = (ci: number) => [a, b].find((n) => clientFactory(n).clientIndex === ci) as RoleNode;
    expect(poison.outputs.map((o) => [toHex(o.script), o.value])).toEqual([
      ...leafClients.map((ci, k) => [
        toHex(nodeOf(ci).keychain.closeAddress(clientFactory(nodeOf(ci)).factoryIndex).scriptPubKey),
        (lost[k] as bigint) + share + (k === lost.length - 1 ? R - share * BigInt(lost.length) : 0n),
      ]),
      [toHex(P2A_SCRIPT), 240n],
    ]);
    for (const c of [a, b]) {
      const ci = clientFactory(c).clientIndex;
      const ev = c.towerEventsOf('response_confirmed').find((e) => e.kind === 'settlement');
      const raw = (await w.backend.getTransaction((ev as { txid: string }).txid)).tx;
      expect(await confirmedOnCore(w, (ev as { txid: string }).txid)).toBeGreaterThan(h);
      const vout = stale.tx.outputRoles.findIndex((r) => r.kind === 'channel' && r.client === ci);
      expect(spends(raw)).toEqual([`${stale.tx.txid}:${vout}`]);
      expect(decodeTx(raw).outputs[0]?.script).toEqual(
        c.keychain.closeAddress(clientFactory(c).factoryIndex).scriptPubKey,
      );
    }
  }, 300_000);

  it('3. a liquidity sale (capacity change), then the client force-closes: the new path, the new amounts', async () => {
    const w = await onCore({ seed: 'core-sale-exit', clients: 2, clientFeeCoins: 2 });
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    const pathOf = () =>
      (clientOf(c).signedPath(f.factoryId) ?? []).slice(0, 2).map((t) => t.txid) as [string, string];
    const before = pathOf();
    await w.command(c, {
      type: 'request_advance',
      factoryId: fromHex(f.factoryId),
      capacity: 25_000n,
      maxLiquidityFeeMsat: 2_000_000n,
    });
    expect((await w.lsp.events()).filter((e) => e.kind === 'AdvanceCompleted')).toHaveLength(1);
    const after = pathOf();
    expect(after[1]).not.toBe(before[1]);
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, completed(c));
    await mineUntil(w, async () => (await events(w.lsp, 'ExitClaimed')).length >= 2, 60);
    for (const txid of after) await confirmedOnCore(w, txid);
    await expect(w.backend.getTransaction(before[1])).rejects.toThrow(); // Core never saw the old state
    const steps = clientOf(c).exits()[0]?.steps ?? [];
    const leafState = decodeTx((await w.backend.getTransaction(after[1])).tx);
    // The new state's channel output is the new capacity (25,000 sat).
    const commitment = steps.find((s) => s.kind === 'commitment');
    const commitmentTx = (await w.backend.getTransaction(commitment?.txid as string)).tx;
    const [spent] = spends(commitmentTx);
    expect(spent?.startsWith(after[1])).toBe(true);
    expect(leafState.outputs[Number(spent?.split(':')[1])]?.value).toBe(25_000n);
    // to_local is the buyer's balance after the fee: 10,000,000 − 1,050,000 msat = 8,950 sat.
    const claimed = (await events(c, 'ExitClaimed'))[0] as Of<'ExitClaimed'>;
    const claimTx = (await w.backend.getTransaction(claimed.txid)).tx;
    const [toLocal] = spends(claimTx);
    expect(toLocal?.startsWith(commitment?.txid as string)).toBe(true);
    expect(decodeTx(commitmentTx).outputs[Number(toLocal?.split(':')[1])]?.value).toBe(8_950n);
    expect(claimed.amount).toBeGreaterThan(8_950n - 1_000n);
    expect((c.wallet as Wallet).coins().some((x) => x.txid === claimed.txid)).toBe(true);
    await confirmedOnCore(w, claimed.txid);
    // The LSP's to_remote claim spends 10,000 + 5,000 + 1,050 sat less the commitment fee it pays.
    const toRemote = (await events(w.lsp, 'ExitClaimed')).find((e) => e.label.includes('to_remote'));
    const [remoteOut] = spends((await w.backend.getTransaction(toRemote?.txid as string)).tx);
    const remoteValue = decodeTx(commitmentTx).outputs[Number(remoteOut?.split(':')[1])]?.value as bigint;
    expect(remoteValue).toBeGreaterThan(16_050n - 1_000n);
    expect(remoteValue).toBeLessThanOrEqual(16_050n);
    expect((await events(c, 'ExitCompleted'))[0]?.lost).toBe(0);
  }, 300_000);

  it('3b. a liquidity sale, then the cooperative close: Core confirms the close paying the new allocations', async () => {
    const w = await onCore({ seed: 'core-sale-close', clients: 2 });
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    const ci = clientFactory(c).clientIndex;
    const script = toHex(c.keychain.closeAddress(clientFactory(c).factoryIndex).scriptPubKey);
    await w.command(c, {
      type: 'request_advance',
      factoryId: fromHex(f.factoryId),
      capacity: 25_000n,
      maxLiquidityFeeMsat: 2_000_000n,
    });
    expect((await w.lsp.events()).filter((e) => e.kind === 'AdvanceCompleted')).toHaveLength(1);
    await w.command(w.lsp, { type: 'close_factory', factoryId: fromHex(f.factoryId) });
    await mineUntil(
      w,
      async () => (await w.lsp.events()).some((e) => e.kind === 'FactoryClosed'),
      f.proposal.minimumDepth + 5,
    );
    const closed = (await w.lsp.events()).find((e) => e.kind === 'FactoryClosed') as Of<'FactoryClosed'>;
    expect(await confirmedOnCore(w, closed.txid)).toBeLessThanOrEqual(closed.height);
    const tx = decodeTx((await w.backend.getTransaction(closed.txid)).tx);
    expect(spends((await w.backend.getTransaction(closed.txid)).tx)).toEqual([`${f.fundingTxid}:0`]);
    // The buyer's balance after the sale (10,000 − 1,050 sat) at its close address; the LSP the rest.
    const mine = closed.balances.find((b) => b.clientIndex === ci);
    expect(mine?.balance).toBe(8_950n);
    const own = tx.outputs.filter((o) => toHex(o.script) === script);
    expect(own).toHaveLength(1);
    expect(own[0]?.value).toBeGreaterThanOrEqual(8_950n);
    expect(tx.outputs.reduce((a, o) => a + o.value, 0n) + closed.fee).toBe(f.proposal.funding.amount);
    const lspOut = tx.outputs.find(
      (o) => toHex(o.script) === toHex(w.lsp.keychain.closeAddress(f.factoryIndex).scriptPubKey),
    );
    expect(lspOut?.value).toBe(closed.lspAmount);
    for (const x of w.clients)
      expect((await x.events()).filter((e) => e.kind === 'FactoryClosed')).toMatchObject([
        { txid: closed.txid },
      ]);
  }, 300_000);

  it('4a. clients broadcast the distribution at T_dist, re-bumped every block until it confirms', async () => {
    const w = await onCore({ seed: 'core-dist', clients: 4, clientFeeCoins: 1, lspPolicy: SHORT });
    await w.connectAll();
    const f = await openFactory(w);
    const tDist = f.proposal.proposalHeight + 20 + 10 + 10;
    const indexOf = new Map(w.clients.map((c) => [c, clientFactory(c).factoryIndex]));
    let dropped = 0;
    w.dropBroadcast = (label) => label.startsWith('exit ') && w.height === tDist && ++dropped > 0;
    await mineUntil(w, async () => {
      for (const c of w.clients) if ((await events(c, 'ExitCompleted')).length === 0) return false;
      return true;
    });
    expect(dropped).toBe(4);
    let distTxid: string | undefined;
    for (const c of w.clients) {
      expect((await events(c, 'ExitStarted'))[0]?.reason).toBe('distribution');
      const sent = await events(c, 'ExitStepBroadcast');
      expect(sent[0]?.height).toBe(tDist);
      expect(sent[1]?.bump).toBe(1);
      expect(sent[1]?.feeRate).toBeGreaterThan(sent[0]?.feeRate as number);
      const claimed = (await events(c, 'ExitClaimed'))[0] as Of<'ExitClaimed'>;
      distTxid ??= claimed.txid;
      expect(claimed.txid).toBe(distTxid);
      expect(await confirmedOnCore(w, claimed.txid)).toBe(tDist + 2);
      const tx = decodeTx((await w.backend.getTransaction(claimed.txid)).tx);
      expect(tx.locktime).toBe(tDist);
      const mine = toHex(c.keychain.closeAddress(indexOf.get(c) as number).scriptPubKey);
      expect(tx.outputs.some((o) => o.value === claimed.amount && toHex(o.script) === mine)).toBe(true);
      expect((c.wallet as Wallet).txs().filter((t) => t.kind === 'cpfp' && t.state === 'pending')).toEqual(
        [],
      );
    }
    const won = w.clients.flatMap((c) =>
      (c.wallet as Wallet).txs(['confirmed']).filter((t) => t.kind === 'cpfp'),
    );
    expect(won).toHaveLength(1);
    expect(await confirmedOnCore(w, (won[0] as { txid: string }).txid)).toBe(tDist + 2);
    expect((await events(w.lsp, 'ExitStarted'))[0]?.reason).toBe('distribution');
  }, 300_000);

  it('4b. the LSP recovers the node outputs by their timeout leaves after T_k when the clients disappear', async () => {
    const w = await onCore({
      seed: 'core-timeout',
      clients: 4,
      clientFeeCoins: 1,
      lspPolicy: SHORT,
      towers: false,
    });
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await w.mine(1);
    for (const x of w.clients) await w.crash(x);
    await w.drive();
    await mineUntil(w, completed(w.lsp), f.proposal.T - w.height + 20);
    const recovered = (await events(w.lsp, 'ExitClaimed')).filter((e) => e.stepKind === 'timeout');
    expect(recovered.length).toBeGreaterThanOrEqual(2);
    for (const r of recovered) {
      const tx = decodeTx((await w.backend.getTransaction(r.txid)).tx);
      expect((f.proposal.T - tx.locktime) % f.proposal.timeoutStep).toBe(0);
      // Core takes a timeout recovery from tip T_k (nLockTime): mined in block T_k + 1.
      expect(await confirmedOnCore(w, r.txid)).toBe(tx.locktime + 1);
      expect(w.lsp.wallet?.isMine(tx.outputs[0]?.script as Uint8Array)).toBe(true);
      expect(w.lsp.wallet?.coins().some((x) => x.txid === r.txid)).toBe(true);
    }
    const sum = recovered.reduce((a, e) => a + e.amount, 0n);
    expect(sum).toBeGreaterThan(f.proposal.funding.amount - 3_000n);
    expect((await events(w.lsp, 'ExitCompleted'))[0]?.claimed).toBe(sum);
  }, 300_000);

  it('5a. a reorg removes a confirmed exit step (invalidateblock): the driver sends it again, it confirms in the new branch', async () => {
    const w = await onCore({ seed: 'core-exit-reorg', clients: 4, clientFeeCoins: 2, lspPolicy: SHORT });
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await w.mine(1);
    const kickoff = (await events(c, 'ExitStepConfirmed'))[0] as Of<'ExitStepConfirmed'>;
    expect(kickoff.step).toBe('tx 0');
    const sentBefore = w.broadcasts.filter((b) => b.txid === kickoff.txid).length;
    await w.backend.invalidateBlock(await w.backend.blockHash(kickoff.height));
    await w.sync();
    expect(clientOf(c).exits()[0]?.steps[0]?.status).toBe('broadcast');
    expect(
      w.broadcasts.filter((b) => b.txid === kickoff.txid && b.outcome === 'accepted').length,
    ).toBeGreaterThan(sentBefore);
    await w.backend.mine(1, { scriptPubKey: OTHER_COINBASE });
    await w.sync();
    const again = (await events(c, 'ExitStepConfirmed')).filter((e) => e.step === 'tx 0');
    expect(again).toHaveLength(2);
    expect(again[1]?.height).toBe(kickoff.height);
    expect(await confirmedOnCore(w, kickoff.txid)).toBe(kickoff.height);
    await mineUntil(w, completed(c));
    expect((await events(c, 'ExitCompleted'))[0]?.lost).toBe(0);
  }, 300_000);

  it('5b. a reorg removes a revoked commitment (invalidateblock): the penalty is cancelled, then re-armed when it confirms again', async () => {
    const w = await onCore({ seed: 'core-tower-reorg', clients: 2 });
    await openFactory(w);
    const [cheater, payee] = w.clients as [RoleNode, RoleNode];
    const cf = clientFactory(cheater);
    const old = await heldCommitment({
      role: 'client',
      store: cheater.store,
      keychain: cheater.keychain,
      factoryIndex: cf.factoryIndex,
      clientIndex: cf.clientIndex,
      channelId: cf.channel.channelId,
    });
    await w.command(payee, { type: 'create_invoice', amountMsat: 2_500_000n, description: 'core' });
    const invoice = (clientOf(payee).invoices().at(-1) as { invoice: string }).invoice;
    await w.command(cheater, { type: 'pay_invoice', invoice });
    await fundTower(w, w.lsp);
    const path = signedPath(
      factoryOf(w).proposal,
      cf.clientIndex,
      clientOf(cheater).signedPath(cf.factoryId) ?? [],
    );
    const at = await publishInOrder(
      w.backend,
      [...path.map((p) => ({ txid: p.tx.txid, raw: p.raw })), old],
      () => w.mine(1),
    );
    const h = at.get(old.txid) as number;
    const penalties = () => w.lsp.towerEventsOf('response_broadcast').filter((e) => e.kind === 'penalty');
    expect(penalties()).toHaveLength(1);
    const penaltyTxid = (penalties()[0] as { txid: string }).txid;
    // Core replaces the block holding the revoked commitment by two empty ones.
    await w.backend.invalidateBlock(await w.backend.blockHash(h));
    await w.backend.mine(2, { empty: true, scriptPubKey: OTHER_COINBASE });
    await w.sync();
    expect(w.lsp.towerEventsOf('trigger_cancelled')).toMatchObject([{ triggerTxid: old.txid, height: h }]);
    expect(w.lsp.tower?.tower.responses().filter((r) => r.kind === 'penalty')).toEqual([]);
    // Core put the commitment back in its mempool (a disconnected block's transactions).
    expect((await w.backend.getTransaction(old.txid)).confirmation).toBeUndefined();
    const sentBefore = w.broadcasts.filter((b) => b.txid === penaltyTxid && b.outcome === 'accepted').length;
    // The commitment confirms again in a block of its own (`generateblock` with only that
    // transaction: the penalty stays in the mempool): the tower is triggered anew and sends the
    // penalty again, and Core mines it in the next block.
    await (node as RegtestNode).rpc.rpc('generateblock', [`raw(${toHex(OTHER_COINBASE)})`, [old.txid]]);
    await w.sync();
    const h2 = await confirmedOnCore(w, old.txid);
    expect(h2).toBe(h + 2);
    expect(w.lsp.towerEventsOf('triggered').filter((e) => e.triggerTxid === old.txid)).toMatchObject([
      { height: h },
      { height: h2 },
    ]);
    expect(penalties()).toHaveLength(2);
    expect(
      w.broadcasts.filter((b) => b.txid === penaltyTxid && b.outcome === 'accepted').length,
    ).toBeGreaterThan(sentBefore);
    await w.mine(1);
    const done = w.lsp.towerEventsOf('response_confirmed').filter((e) => e.kind === 'penalty');
    expect(done).toMatchObject([{ triggerTxid: old.txid, txid: penaltyTxid, height: h2 + 1 }]);
    expect(await confirmedOnCore(w, penaltyTxid)).toBe(h2 + 1);
  }, 300_000);
  it('6. re-bumps judged by Core: under empty blocks the root kickoff’s package and the to_local claim are replaced at higher rates (package RBF, BIP125), none refused', async () => {
    const w = await onCore({ seed: 'core-bumps', clients: 2, clientFeeCoins: 2, lspPolicy: SHORT });
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    /** Blocks with nothing of the mempool (`generateblock` with no transaction), each delivered. */
    const emptyBlocks = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await w.backend.mine(1, { empty: true });
        await w.sync();
      }
    };
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await emptyBlocks(2);
    const root = (await events(c, 'ExitStepBroadcast')).filter((e) => e.step === 'tx 0');
    expect(root.map((e) => e.bump)).toEqual([0, 1, 2]);
    for (let i = 1; i < root.length; i++)
      expect(root[i]?.feeRate).toBeGreaterThan(root[i - 1]?.feeRate as number);
    // Core holds the parent once and only the newest child: each re-bump replaced the one before.
    const children = root.map((e) => e.childTxid as string);
    expect(new Set(children).size).toBe(3);
    expect((await w.backend.getTransaction(root[0]?.txid as string)).confirmation).toBeUndefined();
    for (const old of children.slice(0, -1)) await expect(w.backend.getTransaction(old)).rejects.toThrow();
    await w.backend.getTransaction(children[2] as string);
    // Its to_local claim: broadcast once toSelfDelay allows, then replaced twice under empty blocks.
    await mineUntil(w, async () =>
      (await events(c, 'ExitStepBroadcast')).some((e) => e.stepKind === 'claim'),
    );
    await emptyBlocks(2);
    const claims = (await events(c, 'ExitStepBroadcast')).filter((e) => e.stepKind === 'claim');
    expect(claims.map((e) => e.bump)).toEqual([0, 1, 2]);
    for (const old of claims.slice(0, -1).map((e) => e.txid))
      await expect(w.backend.getTransaction(old)).rejects.toThrow();
    await mineUntil(w, completed(c), 5);
    const claimed = (await events(c, 'ExitClaimed'))[0] as Of<'ExitClaimed'>;
    expect(claimed.txid).toBe(claims[2]?.txid);
    expect(await confirmedOnCore(w, claimed.txid)).toBe(claimed.height);
    const mine = w.broadcasts.filter((b) => b.node === c.name);
    expect(mine.filter((b) => b.outcome !== 'accepted')).toEqual([]);
    expect((await events(c, 'ExitCompleted'))[0]?.lost).toBe(0);
  }, 300_000);

  it('7a. go_on_chain: an HTLC the LSP holds past its CLTV takes the payer on chain; its HTLC-timeout claim confirms on Core', async () => {
    const w = await onCore({ seed: 'core-htlc-timeout', clients: 2, clientFeeCoins: 2 });
    await w.connectAll();
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    await w.command(payee, { type: 'create_invoice', amountMsat: 3_000_000n, description: 'stuck' });
    const inv = (clientOf(payee).invoices()[0] as { invoice: string }).invoice;
    w.disconnect(payee.nodeId, w.lsp.nodeId, { keepDown: true });
    await w.drive();
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    await mineUntil(w, async () => (await events(payer, 'ExitStarted')).length > 0, 300);
    expect((await events(payer, 'ExitStarted'))[0]?.reason).toBe('go_on_chain');
    await mineUntil(w, completed(payer), 200);
    const steps = clientOf(payer).exits()[0]?.steps ?? [];
    const timeout = steps.find((s) => s.id.startsWith('htlc_timeout'));
    expect(timeout?.status).toBe('confirmed');
    const tx = decodeTx((await w.backend.getTransaction(timeout?.txid as string)).tx);
    expect(tx.locktime).toBeGreaterThan(0);
    expect(await confirmedOnCore(w, timeout?.txid as string)).toBeGreaterThan(tx.locktime);
    expect(timeout?.amount).toBeGreaterThan(2_000n);
    expect(timeout?.amount).toBeLessThan(3_000n);
    expect((payer.wallet as Wallet).isMine(tx.outputs[0]?.script as Uint8Array)).toBe(true);
    await confirmedOnCore(w, steps.find((s) => s.id.startsWith('to_local'))?.txid as string);
  }, 300_000);

  it('7b. go_on_chain at the payee: the HTLC it fulfilled is claimed on Core with the preimage', async () => {
    const w = await onCore({ seed: 'core-htlc-success', clients: 2, clientFeeCoins: 2 });
    await w.connectAll();
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    await w.command(payee, { type: 'create_invoice', amountMsat: 5_000_000n, description: 'on chain' });
    const inv = (clientOf(payee).invoices()[0] as { invoice: string }).invoice;
    dropPayeeFulfil(w, payee);
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    await mineUntil(w, async () => (await events(payee, 'ExitStarted')).length > 0, 300);
    await mineUntil(w, completed(payee), 120);
    const steps = clientOf(payee).exits()[0]?.steps ?? [];
    const success = steps.find((s) => s.id.startsWith('htlc_success'));
    expect(success?.status).toBe('confirmed');
    const raw = (await w.backend.getTransaction(success?.txid as string)).tx;
    const h = await confirmedOnCore(w, success?.txid as string);
    expect(h).toBe((steps.find((s) => s.kind === 'commitment')?.confirmedAt as number) + 6);
    const witness = (decodeTx(raw).inputs[0] as unknown as { witness: Uint8Array[] }).witness;
    expect(toHex(sha256(witness[1] as Uint8Array))).toBe(clientOf(payee).invoices()[0]?.paymentHash);
    expect(success?.amount).toBeGreaterThan(4_000n);
    expect(success?.amount).toBeLessThan(5_000n);
  }, 300_000);
  it('7c. the payee claims on Core with the preimage, its link down for good: the LSP reads the preimage from the claim’s witness and fulfils the payer off-chain, PaymentSent once', async () => {
    const w = await onCore({ seed: 'core-chain-preimage', clients: 2, clientFeeCoins: 2 });
    const s = await payeeGone(w);
    const { payer, payee } = s;
    expect(w.net.isUp(payee.nodeId, w.lsp.nodeId)).toBe(false);
    expect(clientOf(payer).payments()[0]?.status).toBe('pending');
    await mineUntil(w, async () => (await events(payer, 'PaymentSent')).length > 0, 400);
    expect((await events(payee, 'ExitStarted'))[0]?.reason).toBe('go_on_chain');
    // The claim Core mined carries the preimage; the LSP had it as a spend of a watched outpoint in
    // the block that holds it (Core's block, read back by the follower).
    const claim = successClaim(s) as BroadcastRecord;
    const h = await confirmedOnCore(w, claim.txid);
    const witness = decodeTx((await w.backend.getTransaction(claim.txid)).tx).inputs[0]?.witness ?? [];
    expect(toHex(sha256(witness[1] as Uint8Array))).toBe(s.hash);
    const spend = w.lsp.trace
      .map((t) => t.input)
      .flatMap((i) => (i.type === 'block_connected' && i.height === h ? (i.spends ?? []) : []))
      .find((x) => x.txid === claim.txid);
    expect(spend?.witness.map(toHex)).toEqual(witness.map(toHex));
    expect(w.messages('update_fulfill_htlc', w.lsp).length).toBeGreaterThan(0);
    await w.mine(3);
    await w.tick();
    expect(await settledProblems(s)).toEqual([]);
    // The payer's channel stayed off chain: no exit of its own; what its node sent is its tower's
    // answer to the shared kickoff, the leaf state the payee's exit publishes too.
    expect(await events(payer, 'ExitStarted')).toHaveLength(0);
    const payeeSteps = new Set(
      clientOf(payee)
        .exits()[0]
        ?.steps.map((x) => x.txid),
    );
    const payerSent = w.broadcasts.filter((b) => b.node === payer.name);
    expect(payerSent.filter((b) => !b.label.startsWith('tower ') || !payeeSteps.has(b.txid))).toEqual([]);
  }, 300_000);
  it('8. an epoch reset (N = 4, binary tree: the 4th advance of a leaf carries into the root), then a force-close: the rebuilt path confirms on Core', async () => {
    const w = await onCore({
      seed: 'core-epoch-exit',
      clients: 4,
      clientFeeCoins: 2,
      lspPolicy: { levelArity: [2], staticLevels: 0 },
    });
    await w.connectAll();
    const f = await openFactory(w);
    const K = f.proposal.dw.K;
    for (let i = 0; i < K; i++)
      await w.command(w.lsp, {
        type: 'advance_leaf',
        factoryId: fromHex(f.factoryId),
        leaf: 0,
        purpose: 'rebalance',
      });
    const done = (await w.lsp.events()).filter(
      (e) => e.kind === 'AdvanceCompleted',
    ) as Of<'AdvanceCompleted'>[];
    expect(done.map((d) => d.advanceKind).at(-1)).toBe('epoch-reset');
    const c = w.clients[0] as RoleNode;
    const path = (clientOf(c).signedPath(f.factoryId) ?? []).map((t) => t.txid);
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, completed(c), 400);
    const steps = clientOf(c).exits()[0]?.steps ?? [];
    const tree = steps.filter((s) => s.kind === 'kickoff' || s.kind === 'state');
    expect(tree.map((s) => s.txid)).toEqual(path.slice(0, tree.length));
    for (const s of steps) if (s.status === 'confirmed') await confirmedOnCore(w, s.txid);
    expect((await events(c, 'ExitCompleted'))[0]?.lost).toBe(0);
    const claimed = (await events(c, 'ExitClaimed'))[0] as Of<'ExitClaimed'>;
    expect((c.wallet as Wallet).coins().some((x) => x.txid === claimed.txid)).toBe(true);
  }, 300_000);
});
