// Unilateral exits by the roles (brief §6, §7, §5.2; issue 23 "Exits"): a client's force-close end to
// end (its path root → leaf, each state when its lock allows as a package with a CPFP child from its
// wallet, its commitment, its to_local claim into its wallet), the LSP's recoveries (L-stock spend,
// timeout recovery, to_remote claim), the distribution at T_dist re-bumped each block, go_on_chain
// from an HTLC deadline, the embedder's policies, a reorganisation that removes a confirmed step, a
// restart mid-exit, and the LSP exiting a factory whose client is offline — on the deterministic harness.
import { createHash } from 'node:crypto';
import type { ClientEvent } from '@superscalar/client';
import { fromHex } from '@superscalar/core';
import type { LspEvent, LspFactoryInfo } from '@superscalar/lsp';
import { decodeTx } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientOf, openFactory, type RoleNode, World } from '../harness/index.js';

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

/** Regtest parameters with short timeouts (T_dist = proposal height + 40). */
const SHORT = { activeBlocks: 20, dyingBlocks: 10 } as const;

/** Confirmation height of every step of an exit, by step id. */
async function confirmedAt(n: RoleNode): Promise<Map<string, number>> {
  return new Map((await events(n, 'ExitStepConfirmed')).map((e) => [e.step, e.height]));
}

describe('a client force-closes alone', () => {
  let w: World;
  let f: LspFactoryInfo;
  let c: RoleNode;
  let balanceBefore: bigint;
  beforeAll(async () => {
    w = await World.create({ seed: 'exit-force', clients: 4, clientFeeCoins: 2 });
    await w.connectAll();
    f = await openFactory(w);
    c = w.clients[0] as RoleNode;
    balanceBefore = (c.wallet as Wallet).balance().confirmed;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, completed(c));
    // The LSP's recoveries of the exited leaf (its L-stock after lStockCsv, its to_remote claim).
    await mineUntil(w, async () => (await events(w.lsp, 'ExitClaimed')).length >= 2, 60);
  });
  afterAll(() => w.close());

  it('broadcasts every path step when its lock allows, as a package with a CPFP child, and each confirms', async () => {
    const started = await events(c, 'ExitStarted');
    expect(started).toHaveLength(1);
    expect(started[0]?.reason).toBe('command');
    const exit = clientOf(c).exits()[0];
    expect(exit?.completed).toBe(true);
    const path = exit?.steps.filter((s) => s.kind === 'kickoff' || s.kind === 'state') ?? [];
    // N = 4 in leaves of 2 on regtest: a static root kickoff, the leaf's kickoff and its state.
    expect(path.map((s) => s.kind)).toEqual(['kickoff', 'kickoff', 'state']);
    const at = await confirmedAt(c);
    const first = new Map<string, Of<'ExitStepBroadcast'>>();
    for (const e of await events(c, 'ExitStepBroadcast')) if (!first.has(e.step)) first.set(e.step, e);
    let parentAt = f.fundingConfirmedAt as number;
    for (const s of path) {
      const tx = decodeTx((w.broadcasts.find((b) => b.txid === s.txid) as { raw: Uint8Array }).raw);
      const seq = (tx.inputs[0] as { sequence: number }).sequence;
      const csv = (seq & 0x80000000) !== 0 ? 0 : seq & 0xffff;
      const b = first.get(s.id) as Of<'ExitStepBroadcast'>;
      // Broadcast at the first tip its relative lock allows (judged at tip + 1), never earlier.
      expect(b.height).toBe(parentAt + Math.max(1, csv) - 1);
      expect(b.childTxid).toMatch(/^[0-9a-f]{64}$/); // a 1-parent-1-child package
      const h = at.get(s.id) as number;
      expect(h).toBe(b.height + 1); // SimChain mines the package in the next block
      expect(s.confirmedAt).toBe(h);
      parentAt = h;
    }
    // The state waited its DW lock: S·(K−1) = 30 blocks on regtest for state 0; kickoffs one block.
    const waits = path.map(
      (s, k) =>
        (at.get(s.id) as number) -
        (k === 0 ? (f.fundingConfirmedAt as number) : (at.get(path[k - 1]?.id as string) as number)),
    );
    expect(waits).toEqual([1, 1, 30]);
  });

  it('then its commitment and its to_local claim, after toSelfDelay, into its wallet', async () => {
    const exit = clientOf(c).exits()[0];
    const steps = exit?.steps ?? [];
    const at = await confirmedAt(c);
    const leaf = steps.filter((s) => s.kind === 'state').pop();
    const commitment = steps.find((s) => s.kind === 'commitment');
    const claim = steps.find((s) => s.id.startsWith('to_local'));
    expect(commitment?.status).toBe('confirmed');
    expect(at.get('commitment')).toBe((at.get(leaf?.id as string) as number) + 1);
    expect(claim?.status).toBe('confirmed');
    // to_local waits toSelfDelay (6 on regtest) after the commitment: mined in block h + 6.
    expect(at.get(claim?.id as string)).toBe((at.get('commitment') as number) + f.proposal.toSelfDelay);
    // Amounts: the to_local output is the client's balance (10,000; the LSP pays the commitment fee),
    // the claim pays it minus its own fee to an address of the client's wallet.
    const claimed = (await events(c, 'ExitClaimed'))[0] as Of<'ExitClaimed'>;
    const raw = w.broadcasts.find((b) => b.txid === claimed.txid)?.raw as Uint8Array;
    const tx = decodeTx(raw);
    const out = tx.outputs[0] as { value: bigint; script: Uint8Array };
    expect(out.value).toBe(claimed.amount);
    expect(claimed.amount).toBeGreaterThan(10_000n - 1_000n);
    expect(claimed.amount).toBeLessThan(10_000n);
    const wallet = c.wallet as Wallet;
    expect(wallet.isMine(out.script)).toBe(true);
    expect(wallet.coins().some((x) => x.txid === claimed.txid && x.value === claimed.amount)).toBe(true);
    // The wallet received the claim, paid the CPFP children's fees and took back their anchors.
    const done = (await events(c, 'ExitCompleted'))[0] as Of<'ExitCompleted'>;
    expect(done.claimed).toBe(claimed.amount);
    expect(done.lost).toBe(0);
    const after = wallet.balance().confirmed;
    const children = wallet.txs(['confirmed']).filter((t) => t.kind === 'cpfp');
    expect(children).toHaveLength(4); // 3 path transactions and the commitment, one package each
    const delta = after - balanceBefore - claimed.amount; // Σ (anchor − child fee)
    expect(delta).toBeGreaterThan(-4n * 1_000n);
    expect(delta).toBeLessThan(4n * 240n);
    // The factory is over for the client.
    expect(clientOf(c).factory(f.factoryId)).toBeUndefined();
  });

  it('the LSP spends the exited leaf’s L-stock by its CSV leaf after lStockCsv', async () => {
    const started = await events(w.lsp, 'ExitStarted');
    expect(started[0]?.reason).toBe('recovery');
    const at = await confirmedAt(w.lsp);
    const cAt = await confirmedAt(c);
    const leafState = clientOf(c)
      .exits()[0]
      ?.steps.filter((s) => s.kind === 'state')
      .pop();
    const claims = await events(w.lsp, 'ExitClaimed');
    const lstock = claims.find((e) => e.stepKind === 'lstock');
    expect(lstock).toBeDefined();
    expect(at.get(lstock?.step as string)).toBe(
      (cAt.get(leafState?.id as string) as number) + f.proposal.lStockCsv,
    );
    // The L-stock (minus its fee) goes to the LSP's wallet.
    expect(lstock?.amount).toBeGreaterThan(f.proposal.lStockCsv > 0 ? 5_000n : 0n);
    expect(w.lsp.wallet?.coins().some((x) => x.txid === lstock?.txid)).toBe(true);
  });

  it('the LSP claims its to_remote output of the client’s commitment', async () => {
    const claims = await events(w.lsp, 'ExitClaimed');
    const toRemote = claims.find((e) => e.label.includes('to_remote'));
    expect(toRemote).toBeDefined();
    expect(toRemote?.amount).toBeGreaterThan(5_000n);
    expect(toRemote?.amount).toBeLessThan(10_000n);
    // The other clients stayed in: they watch the published path, and leave only in time for their
    // smallest T_k (none has yet), their channels still open.
    for (const other of w.clients.slice(1)) {
      expect(await events(other, 'ExitStarted')).toHaveLength(0);
      expect(clientOf(other).factory(f.factoryId)?.phase).toBe('open');
    }
  });
});

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('exits, one test per trigger and step', () => {
  it('the LSP recovers a node output by its timeout leaf after T_k when the clients disappear (no towers)', async () => {
    world = await World.create({
      seed: 'exit-timeout',
      clients: 4,
      clientFeeCoins: 1,
      lspPolicy: SHORT,
      towers: false,
    });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await w.mine(1); // the root kickoff confirms…
    for (const x of w.clients) await w.crash(x); // …and every client vanishes
    await w.drive();
    const T0 = f.proposal.T; // the root kickoff's node output times out at T_0 = T
    await mineUntil(w, completed(w.lsp), T0 - w.chain.height + 20);
    const claims = await events(w.lsp, 'ExitClaimed');
    const timeout = claims.find((e) => e.stepKind === 'timeout');
    expect(timeout?.step).toMatch(/^timeout \d+:\d+$/);
    const at = await confirmedAt(w.lsp);
    const tx = decodeTx(w.broadcasts.find((b) => b.txid === timeout?.txid)?.raw as Uint8Array);
    // nLockTime T_k = T − k·timeoutStep: accepted from tip T_k, mined in block T_k + 1.
    expect((T0 - tx.locktime) % f.proposal.timeoutStep).toBe(0);
    expect(tx.locktime).toBeLessThanOrEqual(T0);
    expect(at.get(timeout?.step as string)).toBe(tx.locktime + 1);
    expect((tx.inputs[0] as { sequence: number }).sequence).toBe(0xfffffffe);
    // Every output of the published part of the tree that nobody spent is the LSP's: the whole factory
    // less the tree's and the recoveries' fees; its wallet holds the recoveries.
    const recovered = claims.filter((e) => e.stepKind === 'timeout');
    expect(recovered.length).toBeGreaterThanOrEqual(2);
    const sum = recovered.reduce((a, e) => a + e.amount, 0n);
    expect(sum).toBeGreaterThan(f.proposal.funding.amount - 3_000n);
    for (const r of recovered) expect(w.lsp.wallet?.coins().some((x) => x.txid === r.txid)).toBe(true);
    const done = (await events(w.lsp, 'ExitCompleted'))[0];
    expect(done?.claimed).toBe(sum);
    expect((w.lsp.machine as unknown as { factories(): unknown[] }).factories()).toHaveLength(0);
  });

  it('clients disappear after their leaf kickoff: the LSP’s tower publishes the newest state, its recovery follows it', async () => {
    world = await World.create({ seed: 'exit-timeout', clients: 4, clientFeeCoins: 1, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await w.mine(1); // the root kickoff confirms, the client sends its leaf kickoff…
    for (const x of w.clients) await w.crash(x); // …and every client vanishes
    await w.drive();
    await mineUntil(w, completed(w.lsp), f.proposal.T - w.chain.height + 20);
    // A guarded kickoff confirmed: the LSP's tower publishes the newest state as soon as its lock
    // allows (brief §5.2: staying live within S blocks is the LSP's burden, whoever started the exit);
    // the LSP's recovery never broadcasts a tree transaction, it follows what confirms.
    const leafKickoff = (await events(w.lsp, 'ExitStepConfirmed')).find((e) => e.step === 'tx 1');
    expect(leafKickoff).toBeDefined();
    const triggered = w.lsp.towerEventsOf('triggered').find((e) => e.triggerTxid === leafKickoff?.txid);
    expect(triggered?.kinds).toEqual(['stale-state']);
    const state = (await events(w.lsp, 'ExitStepConfirmed')).find((e) => e.stepKind === 'state');
    expect(w.broadcasts.filter((b) => b.txid === state?.txid).map((b) => b.label)).toEqual([
      `tower ${w.lsp.name}`,
    ]);
    expect(
      w.broadcasts.some(
        (b) => b.node === w.lsp.name && b.label.startsWith('exit ') && b.txid === state?.txid,
      ),
    ).toBe(false);
    // Then the L-stock after lStockCsv, the channel outputs by their timeout leaf at T_2, the root
    // kickoff's other node output at T_0: the whole factory is the LSP's, less the fees.
    const claims = await events(w.lsp, 'ExitClaimed');
    expect(claims.map((e) => e.stepKind).sort()).toEqual(['lstock', 'timeout', 'timeout', 'timeout']);
    const sum = claims.reduce((a, e) => a + e.amount, 0n);
    expect(sum).toBeGreaterThan(f.proposal.funding.amount - 4_000n);
    const done = (await events(w.lsp, 'ExitCompleted'))[0];
    expect(done?.claimed).toBe(sum);
    expect(done?.lost).toBe(0);
    expect((w.lsp.machine as unknown as { factories(): unknown[] }).factories()).toHaveLength(0);
  });

  it('path published by another client: the others watch it and leave in time for their smallest T_k', async () => {
    world = await World.create({ seed: 'exit-follow', clients: 4, clientFeeCoins: 2, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const [first, ...others] = w.clients as [RoleNode, ...RoleNode[]];
    await w.command(first, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, async () => {
      for (const c of w.clients) if ((await events(c, 'ExitCompleted')).length === 0) return false;
      return true;
    });
    // Each path: static root kickoff (k = 0), leaf kickoff (k = 1), leaf state (k = 2): the smallest
    // T_k is the channel output's, T − 2·timeoutStep; exitDelay is one DW layer, S·(K − 1) = 30.
    const p = f.proposal;
    const latest = p.T - 2 * p.timeoutStep - 30 - 3 - p.exitMargin;
    for (const c of others) {
      const s = (await events(c, 'ExitStarted'))[0];
      expect(s?.reason).toBe('path-published');
      expect(s?.height).toBe(latest);
      const done = (await events(c, 'ExitCompleted'))[0];
      expect(done?.lost).toBe(0);
      // Its claim confirmed before the LSP could take its channel output (T_2).
      const claimAt = (await events(c, 'ExitClaimed'))[0]?.height as number;
      expect(claimAt).toBeLessThanOrEqual(p.T - 2 * p.timeoutStep + p.toSelfDelay);
      const commitmentAt = (await confirmedAt(c)).get('commitment') as number;
      expect(commitmentAt).toBeLessThanOrEqual(p.T - 2 * p.timeoutStep);
    }
    // Nothing of the path was broadcast twice by its owners beyond re-bumps: every step confirmed once.
    for (const c of w.clients) expect((await events(c, 'ExitStepLost')).length).toBe(0);
  });

  it('clients broadcast the distribution at T_dist, re-bumped every block until it confirms', async () => {
    world = await World.create({ seed: 'exit-dist', clients: 4, clientFeeCoins: 1, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const tDist = f.proposal.proposalHeight + 20 + 10 + 10;
    // The first packages are lost on their way (a node that never relayed them): re-bumped next block.
    let dropped = 0;
    w.dropBroadcast = (label) => label.startsWith('exit ') && w.chain.height === tDist && ++dropped > 0;
    await mineUntil(w, async () => {
      for (const c of w.clients) if ((await events(c, 'ExitCompleted')).length === 0) return false;
      return true;
    });
    expect(dropped).toBe(4);
    for (const c of w.clients) {
      const started = await events(c, 'ExitStarted');
      expect(started[0]?.reason).toBe('distribution');
      expect(started[0]?.height).toBe(tDist);
      const sent = await events(c, 'ExitStepBroadcast');
      expect(sent[0]?.height).toBe(tDist); // accepted from tip T_dist (nLockTime)
      expect(sent.length).toBeGreaterThanOrEqual(2);
      expect(sent[1]?.bump).toBe(1);
      expect(sent[1]?.feeRate).toBeGreaterThan(sent[0]?.feeRate as number); // §5.2 re-bump
      const claimed = (await events(c, 'ExitClaimed'))[0] as Of<'ExitClaimed'>;
      expect(claimed.height).toBe(tDist + 2);
      // The distribution pays each client its capacity plus an equal share of the rest.
      const tx = decodeTx(w.broadcasts.find((b) => b.txid === claimed.txid)?.raw as Uint8Array);
      const out = tx.outputs.find((o) => o.value === claimed.amount);
      const me = f.proposal.clients.find((x) =>
        Buffer.from(x.closeScript).equals(Buffer.from(out?.script ?? [])),
      );
      expect(me).toBeDefined();
      expect(claimed.amount).toBeGreaterThan(me?.capacity as bigint);
      expect(tx.locktime).toBe(tDist);
      // One client's child won the anchor; the others' children lost it, and their wallets know it (the
      // fee coin is theirs again): no CPFP child is left pending.
      const children = (c.wallet as Wallet).txs().filter((t) => t.kind === 'cpfp');
      expect(children.filter((t) => t.state === 'pending')).toEqual([]);
    }
    const won = w.clients.flatMap((c) =>
      (c.wallet as Wallet).txs(['confirmed']).filter((t) => t.kind === 'cpfp'),
    );
    expect(won).toHaveLength(1);
    // The LSP saw the distribution confirm: the factory is over for it too, with nothing to claim.
    expect((await events(w.lsp, 'ExitStarted'))[0]?.reason).toBe('distribution');
    expect((await events(w.lsp, 'ExitCompleted'))[0]?.claimed).toBe(0n);
    expect((w.lsp.machine as unknown as { factories(): unknown[] }).factories()).toHaveLength(0);
  });

  it('the LSP pre-empts the distribution (exitBeforeDistribution): its root kickoff confirms before T_dist, the clients follow out', async () => {
    world = await World.create({
      seed: 'exit-preempt',
      clients: 4,
      clientFeeCoins: 2,
      lspPolicy: { ...SHORT, exitBeforeDistribution: 10 },
    });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const tDist = f.proposal.proposalHeight + 40;
    await mineUntil(w, async () => {
      for (const n of w.all()) if ((await events(n, 'ExitCompleted')).length === 0) return false;
      return true;
    });
    const started = (await events(w.lsp, 'ExitStarted'))[0];
    expect(started?.reason).toBe('exit-factory');
    expect(started?.height).toBe(tDist - 10);
    const root = (await events(w.lsp, 'ExitStepConfirmed')).find((e) => e.step === 'tx 0');
    expect(root?.height).toBeLessThan(tDist);
    for (const c of w.clients) {
      const s = (await events(c, 'ExitStarted')).map((e) => e.reason);
      expect(s).not.toContain('distribution');
      expect(s).toEqual(['path-published']);
      // Each client got its balance: by its own commitment's to_local, or by its to_remote output of
      // the LSP's commitment when that one confirmed first.
      const claimed = (await events(c, 'ExitClaimed')).reduce((a, e) => a + e.amount, 0n);
      expect(claimed).toBeGreaterThan(9_000n);
      expect(claimed).toBeLessThan(10_000n);
    }
    // No distribution transaction ever reached the chain.
    expect(w.broadcasts.some((b) => b.label.includes('distribution'))).toBe(false);
  });

  it('go_on_chain: an HTLC the LSP neither settles nor fails before its CLTV takes the client on chain', async () => {
    world = await World.create({ seed: 'exit-htlc', clients: 2, clientFeeCoins: 2 });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    await w.command(payee, { type: 'create_invoice', amountMsat: 3_000_000n, description: 'stuck' });
    const inv = (clientOf(payee).invoices()[0] as { invoice: string }).invoice;
    w.disconnect(payee.nodeId, w.lsp.nodeId, { keepDown: true }); // the payee is gone: the LSP holds the HTLC
    await w.drive();
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    const htlcs = clientOf(payer).factory(f.factoryId)?.channel.balances;
    expect(htlcs?.clientMsat).toBeLessThan(10_000_000n); // 3,000 sats in the HTLC
    await mineUntil(w, async () => (await events(payer, 'ExitStarted')).length > 0, 300);
    const started = (await events(payer, 'ExitStarted'))[0];
    expect(started?.reason).toBe('go_on_chain');
    await mineUntil(w, completed(payer), 200);
    const steps = clientOf(payer).exits()[0]?.steps ?? [];
    const timeout = steps.find((s) => s.id.startsWith('htlc_timeout'));
    expect(timeout?.status).toBe('confirmed');
    const tx = decodeTx(w.broadcasts.find((b) => b.txid === timeout?.txid)?.raw as Uint8Array);
    expect(tx.locktime).toBeGreaterThan(0); // the HTLC's CLTV
    expect(started?.height).toBeGreaterThanOrEqual(tx.locktime);
    expect(timeout?.amount).toBeGreaterThan(2_000n);
    expect(timeout?.amount).toBeLessThan(3_000n);
    const toLocal = steps.find((s) => s.id.startsWith('to_local'));
    expect(toLocal?.status).toBe('confirmed');
  });

  it('go_on_chain at the payee: an HTLC it fulfilled that the LSP never took is claimed on chain with the preimage', async () => {
    world = await World.create({ seed: 'exit-payee-htlc', clients: 2, clientFeeCoins: 2 });
    const w = world;
    await w.connectAll();
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    await w.command(payee, {
      type: 'create_invoice',
      amountMsat: 5_000_000n,
      description: 'claimed on chain',
    });
    const inv = (clientOf(payee).invoices()[0] as { invoice: string }).invoice;
    // The payee's fulfil never reaches the LSP: the link goes down for good as it leaves.
    const send = w.net.send.bind(w.net);
    w.net.send = (from, to, message) => {
      if (from === payee.nodeId && message.type === 'update_fulfill_htlc') {
        w.disconnect(payee.nodeId, w.lsp.nodeId, { keepDown: true });
        return;
      }
      send(from, to, message);
    };
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    expect(w.net.isUp(payee.nodeId, w.lsp.nodeId)).toBe(false);
    await mineUntil(w, async () => (await events(payee, 'ExitStarted')).length > 0, 300);
    expect((await events(payee, 'ExitStarted'))[0]?.reason).toBe('go_on_chain');
    await mineUntil(w, completed(payee), 120);
    const steps = clientOf(payee).exits()[0]?.steps ?? [];
    const success = steps.find((s) => s.id.startsWith('htlc_success'));
    expect(success?.status).toBe('confirmed');
    expect(success?.amount).toBeGreaterThan(4_000n);
    expect(success?.amount).toBeLessThan(5_000n);
    // Its witness carries the preimage: [sig, preimage, script, control]; the preimage hashes to the invoice's.
    const raw = w.broadcasts.find((b) => b.txid === success?.txid)?.raw as Uint8Array;
    const witness = (decodeTx(raw).inputs[0] as unknown as { witness: Uint8Array[] }).witness;
    expect(witness).toHaveLength(4);
    const hash = createHash('sha256')
      .update(witness[1] as Uint8Array)
      .digest('hex');
    expect(hash).toBe(clientOf(payee).invoices()[0]?.paymentHash);
    const at = new Map(steps.map((s) => [s.id, s.confirmedAt]));
    expect(success?.confirmedAt).toBe((at.get('commitment') as number) + 6); // toSelfDelay in the leaf
  });

  it('go_on_chain at the LSP: an incoming HTLC it knows the preimage of, unsettled by its payer, is claimed on chain', async () => {
    world = await World.create({ seed: 'exit-lsp-htlc', clients: 2, clientFeeCoins: 2 });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    await w.command(payee, { type: 'create_invoice', amountMsat: 4_000_000n, description: 'settled late' });
    const inv = (clientOf(payee).invoices()[0] as { invoice: string }).invoice;
    // The payee is paid (the LSP learns the preimage), but the payer vanishes before the LSP's fulfil
    // reaches it: the LSP's incoming HTLC stays committed.
    const send = w.net.send.bind(w.net);
    w.net.send = (from, to, message) => {
      if (to === payer.nodeId && message.type === 'update_fulfill_htlc') {
        w.disconnect(payer.nodeId, w.lsp.nodeId, { keepDown: true });
        return;
      }
      send(from, to, message);
    };
    await w.command(payer, { type: 'pay_invoice', invoice: inv });
    expect(clientOf(payee).invoices()[0]?.status).toBe('paid');
    expect(w.net.isUp(payer.nodeId, w.lsp.nodeId)).toBe(false);
    await mineUntil(w, async () => (await events(w.lsp, 'ExitStarted')).length > 0, 300);
    const started = (await events(w.lsp, 'ExitStarted'))[0];
    expect(started?.reason).toBe('go_on_chain');
    await mineUntil(
      w,
      async () => (await events(w.lsp, 'ExitClaimed')).some((e) => e.label.includes('success')),
      120,
    );
    const success = (await events(w.lsp, 'ExitClaimed')).find((e) => e.label.includes('success'));
    // The HTLC (4,000 sats) less the claim's fee, by its preimage leaf after toSelfDelay.
    expect(success?.amount).toBeGreaterThan(3_000n);
    expect(success?.amount).toBeLessThan(4_000n);
    const at = await confirmedAt(w.lsp);
    const commitmentId = [...at.keys()].find((k) => /^commitment \d+$/.test(k)) as string;
    expect(success?.height).toBe((at.get(commitmentId) as number) + f.proposal.toSelfDelay);
    const tx = decodeTx(w.broadcasts.find((b) => b.txid === success?.txid)?.raw as Uint8Array);
    expect(tx.locktime).toBe(0);
    // The payer, still online, saw the LSP's commitment confirm and claimed its own output of it.
    await mineUntil(w, completed(payer), 20);
    const mine = (await events(payer, 'ExitClaimed')).map((e) => e.label);
    expect(mine).toEqual(['remote to_remote claim']);
    const started2 = (await events(payer, 'ExitStarted'))[0];
    expect(started2?.reason).toBe('path-published');
  });

  it('policy: a client exits when the LSP has neither closed nor rotated by the configured height', async () => {
    world = await World.create({
      seed: 'exit-policy',
      clients: 2,
      clientFeeCoins: 1,
      clientPolicy: { exitAfterBlocks: 8 },
    });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    await mineUntil(w, async () => (await events(w.clients[0] as RoleNode, 'ExitStarted')).length > 0, 20);
    for (const c of w.clients) {
      const s = (await events(c, 'ExitStarted'))[0];
      expect(s?.reason).toBe('policy-deadline');
      expect(s?.height).toBe(f.proposal.proposalHeight + 8);
      expect((await events(c, 'ExitStepBroadcast'))[0]?.step).toBe('tx 0');
    }
  });

  it('policy: a client exits when the LSP has been unreachable for the configured time', async () => {
    world = await World.create({
      seed: 'exit-unreachable',
      clients: 2,
      clientFeeCoins: 1,
      clientPolicy: { exitIfUnreachableMs: 60_000 },
    });
    const w = world;
    await w.connectAll();
    await openFactory(w);
    await w.tick(1_000);
    const c = w.clients[0] as RoleNode;
    await w.crash(w.lsp);
    await w.drive();
    await w.tick(30_000);
    expect(await events(c, 'ExitStarted')).toHaveLength(0);
    await w.tick(31_000);
    expect((await events(c, 'ExitStarted'))[0]?.reason).toBe('policy-unreachable');
  });

  it('a claim that does not confirm is re-signed at a higher rate each block (brief §7), and the new version confirms', async () => {
    world = await World.create({ seed: 'exit-claim-bump', clients: 2, clientFeeCoins: 1, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    // The first to_local claim never reaches a mempool.
    let dropped: string | undefined;
    w.dropBroadcast = (label, txid) => {
      if (dropped !== undefined || !label.includes('to_local')) return false;
      dropped = txid;
      return true;
    };
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, completed(c), 120);
    const sent = (await events(c, 'ExitStepBroadcast')).filter((e) => e.stepKind === 'claim');
    expect(sent.map((e) => e.bump)).toEqual([0, 1]);
    expect(sent[0]?.txid).toBe(dropped);
    expect(sent[1]?.txid).not.toBe(dropped); // re-signed: a new transaction
    expect(sent[1]?.height).toBe((sent[0]?.height as number) + 1);
    const claimed = (await events(c, 'ExitClaimed'))[0] as Of<'ExitClaimed'>;
    expect(claimed.txid).toBe(sent[1]?.txid);
    const first = decodeTx(w.broadcasts.find((b) => b.txid === dropped)?.raw as Uint8Array);
    const second = decodeTx(w.broadcasts.find((b) => b.txid === claimed.txid)?.raw as Uint8Array);
    // Same input, same destination, a larger fee (≥ 25% more): a valid replacement.
    expect(second.inputs[0]?.txidBytes).toEqual(first.inputs[0]?.txidBytes);
    expect(second.outputs[0]?.script).toEqual(first.outputs[0]?.script);
    const fee1 = 10_000n - (first.outputs[0]?.value as bigint);
    const fee2 = 10_000n - (second.outputs[0]?.value as bigint);
    expect(fee2 * 100n).toBeGreaterThanOrEqual(fee1 * 125n);
    expect(claimed.amount).toBe(second.outputs[0]?.value);
  });

  it('§5.2 emergency: a state still unconfirmed S − 6 blocks after its maturity goes out at the emergency budget', async () => {
    world = await World.create({
      seed: 'exit-emergency',
      clients: 2,
      clientFeeCoins: 1,
      clientFeeCoinValue: 1_000_000n,
      lspPolicy: SHORT,
    });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    // Nothing of the state reaches a mempool for a while (a congested network, a censoring node),
    // whoever sends it: the client's exit driver, or the LSP's tower guarding the leaf kickoff. (The
    // client's own tower stood down for the kickoffs its driver publishes.)
    const stateTxid = clientOf(c)
      .exits()[0]
      ?.steps.find((s) => s.kind === 'state')?.txid;
    w.dropBroadcast = (_label, txid) => txid === stateTxid && w.chain.height < f.proposal.proposalHeight + 60;
    await mineUntil(w, completed(c), 120);
    const state = (await events(c, 'ExitStepBroadcast')).filter((e) => e.stepKind === 'state');
    const due = state[0]?.height as number;
    const S = f.proposal.dw.S;
    // Re-bumped every block: the rate climbs (+25 %, at least +1,000 sat/kvB) until S − 6 blocks
    // after it became due, then the emergency budget (500,000 sat/kvB).
    for (const e of state) expect(e.emergency).toBe(e.height >= due + S - 6);
    const normal = state.filter((e) => !e.emergency).map((e) => e.feeRate);
    for (let i = 1; i < normal.length; i++) expect(normal[i]).toBeGreaterThan(normal[i - 1] as number);
    expect(state.find((e) => e.emergency)?.feeRate).toBe(500_000);
    expect((await events(c, 'ExitCompleted'))[0]?.lost).toBe(0);
    // One role, one publisher: the client's tower never answered the kickoffs its driver published.
    expect(c.towerEventsOf('triggered')).toEqual([]);
    expect(w.broadcasts.filter((b) => b.node === c.name && b.label.startsWith('tower'))).toEqual([]);
  });

  it('a reorganisation that removes a confirmed step: it is broadcast again and confirms in the new branch', async () => {
    world = await World.create({ seed: 'exit-reorg', clients: 4, clientFeeCoins: 2, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await w.mine(1);
    const kickoff = (await events(c, 'ExitStepConfirmed'))[0] as Of<'ExitStepConfirmed'>;
    expect(kickoff.step).toBe('tx 0');
    const sentBefore = w.broadcasts.filter((b) => b.txid === kickoff.txid).length;
    // The block holding the root kickoff is replaced by one without it.
    w.chain.invalidateBlockSync(await w.chain.blockHash(kickoff.height));
    await w.sync();
    expect(clientOf(c).exits()[0]?.steps[0]?.status).toBe('broadcast');
    expect(w.broadcasts.filter((b) => b.txid === kickoff.txid).length).toBeGreaterThan(sentBefore);
    await w.mine(1);
    const again = (await events(c, 'ExitStepConfirmed')).filter((e) => e.step === 'tx 0');
    expect(again).toHaveLength(2);
    expect(again[1]?.height).toBe(kickoff.height); // the new branch's block at that height
    await mineUntil(w, completed(c));
    expect((await events(c, 'ExitCompleted'))[0]?.lost).toBe(0);
  });

  it('a restart mid-exit (between persisting a step and broadcasting it) resumes from the store', async () => {
    world = await World.create({ seed: 'exit-restart', clients: 4, clientFeeCoins: 2, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await w.mine(1);
    // Crash right before the root state's package leaves (its record, with the child, is durable).
    let crashed = false;
    c.crashPoint = (a) => {
      if (a.kind !== 'broadcast' || !a.label.includes('state tx')) return false;
      crashed = true;
      return true;
    };
    await mineUntil(w, () => crashed, 40);
    expect(c.down).toBe(true);
    const before = w.broadcasts.filter((b) => b.label.includes('state tx')).length;
    expect(before).toBe(0);
    await w.restart(c);
    await w.tick(1_000); // the restored driver re-sends what it had in flight
    expect(w.broadcasts.filter((b) => b.label.includes('state tx') && b.outcome === 'accepted').length).toBe(
      1,
    );
    await mineUntil(w, completed(c));
    const done = (await events(c, 'ExitCompleted'))[0];
    expect(done?.lost).toBe(0);
    expect(done?.claimed).toBeGreaterThan(9_000n);
    // One ExitStarted: the restart resumed the exit, it did not start another.
    expect(await events(c, 'ExitStarted')).toHaveLength(1);
  });

  it('the LSP restarts mid-recovery: its restored driver still spends the L-stock and claims its to_remote output', async () => {
    world = await World.create({ seed: 'exit-lsp-restart', clients: 2, clientFeeCoins: 1, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, async () => (await events(w.lsp, 'ExitStarted')).length > 0, 5);
    await w.mine(2);
    await w.restart(w.lsp);
    await mineUntil(
      w,
      async () => (await events(w.lsp, 'ExitClaimed')).some((e) => e.stepKind === 'lstock'),
      80,
    );
    const claims = await events(w.lsp, 'ExitClaimed');
    expect(claims.some((e) => e.stepKind === 'lstock')).toBe(true);
    expect(claims.some((e) => e.label.includes('to_remote'))).toBe(true);
    expect(await events(w.lsp, 'ExitStarted')).toHaveLength(1); // resumed, not started again
  });

  it('the LSP exits a factory whose clients are offline: tree, its commitments, its claims', async () => {
    world = await World.create({ seed: 'exit-lsp', clients: 4, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    for (const x of w.clients) await w.crash(x);
    await w.drive();
    await w.command(w.lsp, { type: 'exit_factory', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, completed(w.lsp), 200);
    const at = await confirmedAt(w.lsp);
    const lsp = await events(w.lsp, 'ExitStepConfirmed');
    expect(lsp.filter((e) => e.stepKind === 'kickoff' || e.stepKind === 'state')).toHaveLength(5); // the whole tree
    expect(lsp.filter((e) => e.stepKind === 'commitment')).toHaveLength(4);
    const claims = await events(w.lsp, 'ExitClaimed');
    expect(claims.filter((e) => e.label.includes('to_local'))).toHaveLength(4);
    expect(claims.filter((e) => e.stepKind === 'lstock')).toHaveLength(2);
    for (let i = 0; i < 4; i++)
      expect([...at.keys()].some((k) => k.startsWith(`client ${i} to_local`))).toBe(true);
    expect((w.lsp.machine as unknown as { factories(): unknown[] }).factories()).toHaveLength(0);
  });
});

describe('exits after advances (the current tree, its signatures, the §5.1 refusal)', () => {
  type Sale = { capacity: bigint; fee: bigint };
  const SALE: Sale = { capacity: 25_000n, fee: 1_050_000n }; // 1,000 sat base + 1 % of 5,000 sat
  /** A liquidity sale client `c` asks for (5,000 sat more), checked complete on both sides. */
  async function buyLiquidity(w: World, f: LspFactoryInfo, c: RoleNode): Promise<void> {
    await w.command(c, {
      type: 'request_advance',
      factoryId: fromHex(f.factoryId),
      capacity: SALE.capacity,
      maxLiquidityFeeMsat: 2_000_000n,
    });
    const lspDone = (await w.lsp.events()).filter((e) => e.kind === 'AdvanceCompleted');
    expect(lspDone).toHaveLength(1);
    expect((await events(c, 'AdvanceCompleted' as never)).length).toBe(1);
  }
  /** The client's signed path (root kickoff … leaf state): N = 2 is one leaf (2 txs), N = 4 two (3). */
  const pathTxids = (c: RoleNode, f: LspFactoryInfo) =>
    (clientOf(c).signedPath(f.factoryId) ?? [])
      .slice(0, f.proposal.clients.length === 2 ? 2 : 3)
      .map((t) => t.txid);
  const last = (txids: readonly string[]) => txids[txids.length - 1] as string;
  const valueSpent = (w: World, claimTxid: string): bigint => {
    const claim = decodeTx(w.broadcasts.find((b) => b.txid === claimTxid)?.raw as Uint8Array);
    const input = claim.inputs[0] as { txidBytes: Uint8Array; vout: number };
    const parent = w.broadcasts.find(
      (b) => b.txid === Buffer.from(input.txidBytes).reverse().toString('hex'),
    );
    return (decodeTx(parent?.raw as Uint8Array).outputs[input.vout] as { value: bigint }).value;
  };

  it('a liquidity sale, then the client force-closes: its current path, the amounts of the sale', async () => {
    world = await World.create({ seed: 'exit-after-sale', clients: 2, clientFeeCoins: 2 });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    const before = pathTxids(c, f);
    await buyLiquidity(w, f, c);
    const after = pathTxids(c, f);
    expect(last(after)).not.toBe(last(before)); // the leaf state was re-signed
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, completed(c));
    await mineUntil(w, async () => (await events(w.lsp, 'ExitClaimed')).length >= 2, 60);
    // The client published its path after the advance (the new state), never the superseded one.
    const steps = clientOf(c).exits()[0]?.steps ?? [];
    expect(steps.filter((s) => s.kind === 'kickoff' || s.kind === 'state').map((s) => s.txid)).toEqual(after);
    expect(w.broadcasts.some((b) => b.txid === last(before))).toBe(false);
    expect((await events(c, 'ExitCompleted'))[0]?.lost).toBe(0);
    // to_local is its balance after the sale: 10,000,000 − 1,050,000 msat; its claim pays that less a fee.
    const claimed = (await events(c, 'ExitClaimed'))[0] as Of<'ExitClaimed'>;
    expect(valueSpent(w, claimed.txid)).toBe((10_000_000n - SALE.fee) / 1000n);
    expect(claimed.amount).toBeGreaterThan(8_950n - 1_000n);
    expect(claimed.amount).toBeLessThan(8_950n);
    // The LSP follows the new tree: the new state's L-stock (5,000 sat smaller) and its to_remote
    // (10,000 + 5,000 + 1,050 sat, less the commitment fee it pays).
    const lspClaims = await events(w.lsp, 'ExitClaimed');
    const lstock = lspClaims.find((e) => e.stepKind === 'lstock');
    expect(w.broadcasts.find((b) => b.txid === lstock?.txid)).toBeDefined();
    const toRemote = lspClaims.find((e) => e.label.includes('to_remote'));
    expect(valueSpent(w, toRemote?.txid as string)).toBeGreaterThan(16_050n - 1_000n);
    expect(valueSpent(w, toRemote?.txid as string)).toBeLessThanOrEqual(16_050n);
    expect(await events(w.lsp, 'ExitStepLost')).toEqual([]);
  });

  it('an advance, then the LSP’s exit_factory: the current tree with the advance’s signatures', async () => {
    world = await World.create({ seed: 'exit-after-adv-lsp', clients: 2, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    const before = pathTxids(c, f);
    await buyLiquidity(w, f, c);
    const after = pathTxids(c, f);
    for (const x of w.clients) await w.crash(x);
    await w.drive();
    await w.command(w.lsp, { type: 'exit_factory', factoryId: fromHex(f.factoryId) });
    await mineUntil(w, completed(w.lsp), 200);
    const confirmed = await events(w.lsp, 'ExitStepConfirmed');
    const tree = confirmed
      .filter((e) => e.stepKind === 'kickoff' || e.stepKind === 'state')
      .map((e) => e.txid);
    expect(tree).toContain(last(after)); // the re-signed state, not the superseded one
    expect(tree).not.toContain(last(before));
    expect(confirmed.filter((e) => e.stepKind === 'commitment')).toHaveLength(2);
    const claims = await events(w.lsp, 'ExitClaimed');
    expect(claims.filter((e) => e.label.includes('to_local'))).toHaveLength(2);
    // The sold channel's to_local is the LSP's balance after the sale, less the commitment fee.
    const sold = claims.find(
      (e) =>
        e.label.includes('to_local') &&
        e.step.startsWith(`client ${clientOf(c).factories()[0]?.clientIndex ?? 0} `),
    );
    expect(sold).toBeDefined();
    expect(valueSpent(w, sold?.txid as string)).toBeGreaterThan(16_050n - 1_000n);
    expect(await events(w.lsp, 'ExitStepLost')).toEqual([]);
    expect((w.lsp.machine as unknown as { factories(): unknown[] }).factories()).toHaveLength(0);
  });

  it('an advance, then a timeout recovery: the LSP recovers the new tree’s outputs after T_k', async () => {
    world = await World.create({
      seed: 'exit-after-adv-timeout',
      clients: 4,
      clientFeeCoins: 1,
      lspPolicy: SHORT,
      towers: false,
    });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await buyLiquidity(w, f, c);
    const after = pathTxids(c, f);
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    await w.mine(1);
    for (const x of w.clients) await w.crash(x);
    await w.drive();
    await mineUntil(w, completed(w.lsp), f.proposal.T - w.chain.height + 20);
    const confirmed = await events(w.lsp, 'ExitStepConfirmed');
    expect(confirmed.map((e) => e.txid)).toContain(after[1]); // the path's kickoffs, as the LSP knows them
    const recovered = (await events(w.lsp, 'ExitClaimed')).filter((e) => e.stepKind === 'timeout');
    expect(recovered.length).toBeGreaterThanOrEqual(2);
    const sum = recovered.reduce((a, e) => a + e.amount, 0n);
    expect(sum).toBeGreaterThan(f.proposal.funding.amount - 3_000n);
    expect(await events(w.lsp, 'ExitStepLost')).toEqual([]);
    expect((w.lsp.machine as unknown as { factories(): unknown[] }).factories()).toHaveLength(0);
  });

  it('§5.1: what the exit code broadcasts of a tree makes an advance of that path refused', async () => {
    world = await World.create({ seed: 'exit-refuses-advance', clients: 2, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    for (const x of w.clients) await w.crash(x);
    await w.drive();
    await w.command(w.lsp, { type: 'exit_factory', factoryId: fromHex(f.factoryId) });
    // The root kickoff is in a mempool (the LSP's own broadcast), nothing confirmed yet.
    expect(w.broadcasts.some((b) => b.node === w.lsp.name && b.label.includes('kickoff tx 0'))).toBe(true);
    await w.command(w.lsp, {
      type: 'advance_leaf',
      factoryId: fromHex(f.factoryId),
      leaf: 0,
      purpose: 'rebalance',
    });
    const refused = (await w.lsp.events()).filter((e) => e.kind === 'CommandRefused');
    expect(refused.map((e) => (e as { code: string }).code)).toEqual(['LSP_ADVANCE_PATH_PUBLISHED']);
    expect((await w.lsp.events()).some((e) => e.kind === 'AdvanceCompleted')).toBe(false);
  });

  it('§5.1: a client whose own exit is in a mempool never joins an advance of its leaf', async () => {
    world = await World.create({ seed: 'client-exit-refuses-advance', clients: 2, lspPolicy: SHORT });
    const w = world;
    await w.connectAll();
    const f = await openFactory(w);
    const c = w.clients[0] as RoleNode;
    await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
    // Broadcast, not mined: only the client knows its path is being published.
    expect(w.broadcasts.some((b) => b.node === c.name)).toBe(true);
    await w.command(w.lsp, {
      type: 'advance_leaf',
      factoryId: fromHex(f.factoryId),
      leaf: 0,
      purpose: 'rebalance',
    });
    await w.drive();
    // Its channel is frozen at the published commitment: it never quiesces, so the advance times out.
    await w.tick(61_000);
    await w.drive();
    const failed = (await w.lsp.events()).filter((e) => e.kind === 'AdvanceFailed');
    expect(failed.map((e) => (e as { reason: string }).reason)).toEqual(['timeout']);
    expect((await w.lsp.events()).some((e) => e.kind === 'AdvanceCompleted')).toBe(false);
    expect((await c.events()).some((e) => e.kind.startsWith('Advance'))).toBe(false);
  });
});
