// RoleRuntime and the wallet on a refused exit package: a package whose CPFP child is a pending
// transaction of the runtime's wallet, refused for a missing or spent input, has that child resolved
// through the runtime's store (conflicted by the confirmed spend of its anchor, or abandoned when the
// backend holds it nowhere) — also after a restart, when the wallet's recent spends are empty — so its
// fee coin is spendable again, durably. Real SimChain, real wallet, real SQLite store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockFollower, SimChain } from '@superscalar/chain';
import { buildCpfpChild, signedCpfpChildBytes } from '@superscalar/factory-tree';
import { EventQueue, type Op, Sequencer, type Store } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { type Tx, txidOf, txVsize } from '@superscalar/tx';
import { Wallet } from '@superscalar/wallet';
import { afterAll, describe, expect, it } from 'vitest';
import { account, type Rig, rig, zeroFeeParent } from '../../wallet/test/_harness.js';
import type { Action, RuntimeInput } from '../src/index.js';
import { MachineFailedError, StoppedError } from '../src/index.js';
import { RoleRuntime } from '../src/runtime/index.js';

const dir = mkdtempSync(join(tmpdir(), 'client-refusal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;

type Cmd = { type: 'do'; actions: Action[] };
class Scripted {
  readonly inputs: RuntimeInput[] = [];
  readonly nodeId = '02'.padEnd(66, '1');
  handle(input: RuntimeInput | Cmd): readonly Action[] {
    if (input.type === 'do') return input.actions;
    if (input.type !== 'tick') this.inputs.push(input);
    return [];
  }
}

type Parent = { parent: Tx; sig: Uint8Array; parentRaw: Uint8Array };

/** A CPFP child of `p`'s P2A anchor (vout 1) paid by a fee coin of `wallet`, recorded pending. */
function cpfpChild(wallet: Wallet, p: Parent, owner: string, tip: number, feeRate = 2_000) {
  const ops: Op[] = [];
  const taken = wallet.takeFeeCoin({ owner, minValue: 10_000n, expiresAtHeight: tip + 50 });
  if (taken === undefined) throw new Error('no fee coin');
  ops.push(...taken.ops);
  const change = wallet.changeScript();
  ops.push(...change.ops);
  const c = buildCpfpChild({
    parent: {
      txid: txidOf(p.parent),
      anchorVout: 1,
      anchorValue: 240n,
      fee: 0n,
      vsize: txVsize(p.parent, [[p.sig]]),
    },
    feeCoin: taken.coin,
    changeScript: change.script,
    feeRate,
  });
  const raw = signedCpfpChildBytes(c, wallet.signInput(taken.coin, c.sighash));
  const rec = wallet.recordBroadcast(raw, { kind: 'cpfp', owner });
  ops.push(...rec.ops);
  return { rec, coin: taken.coin, ops };
}

/** A node: its SQLite store (reopened on restart), its wallet (reloaded) and a runtime over both. */
class Node {
  readonly path = join(dir, `n${k++}.db`);
  store!: Store;
  wallet!: Wallet;
  rt!: RoleRuntime<Cmd>;
  machine!: Scripted;
  follower!: BlockFollower;
  constructor(readonly chain: SimChain) {}

  async open(): Promise<void> {
    this.store = await openSqliteStore({ path: this.path, sealingKey: new Uint8Array(32).fill(3) });
    const blobs = await this.store.list('blobs');
    const fresh = blobs.length === 0;
    const created = fresh ? Wallet.create({ account: account(0), birthHeight: 1 }) : undefined;
    this.wallet = created?.wallet ?? Wallet.load(blobs, { account: account(0) });
    const sequencer = await Sequencer.open(this.store);
    if (created !== undefined) await sequencer.commit(created.ops);
    this.machine = new Scripted();
    this.follower = new BlockFollower(this.chain);
    this.rt = new RoleRuntime<Cmd>({
      machine: this.machine,
      sequencer,
      events: await EventQueue.open(sequencer),
      wallet: this.wallet,
      chain: { follower: this.follower, pollIntervalMs: 0, broadcaster: this.chain },
      errors: { stopped: () => new StoppedError(), failed: (c) => new MachineFailedError(c) },
    });
    this.rt.start();
  }

  async poll(): Promise<void> {
    const r = await this.follower.poll();
    if (r.failures.length > 0) throw r.failures[0];
  }

  persist(ops: readonly Op[]): Promise<void> {
    return this.rt.input({ type: 'do', actions: [{ kind: 'persist', ops }] });
  }

  async close(): Promise<void> {
    expect(await this.rt.stop()).toBeUndefined();
    await this.store.close();
  }

  /** The wallet as its store holds it. */
  async stored(): Promise<Wallet> {
    const store = await openSqliteStore({ path: this.path, sealingKey: new Uint8Array(32).fill(3) });
    try {
      return Wallet.load(await store.list('blobs'), { account: account(0) });
    } finally {
      await store.close();
    }
  }

  /** Broadcasts `parent` with `child` through the runtime; resolves with the machine's result. */
  async broadcast(p: Parent, child: Uint8Array) {
    const txid = txidOf(p.parent);
    await this.rt.input({
      type: 'do',
      actions: [{ kind: 'broadcast', txid, raw: p.parentRaw, child, label: 'exit test' }],
    });
    for (;;) {
      const r = this.machine.inputs.find((i) => i.type === 'broadcast_result' && i.txid === txid);
      if (r !== undefined) {
        await this.rt.input({ type: 'do', actions: [] }); // the resolution's persists are durable
        return r;
      }
      await new Promise((res) => setTimeout(res, 5));
    }
  }
}

/** Our node with a confirmed 200,000-sat coin, and another party (`them`) on the same chain. */
async function setup(): Promise<{ chain: SimChain; us: Node; them: Rig; p: Parent }> {
  const chain = new SimChain();
  const us = new Node(chain);
  await us.open();
  const a = us.wallet.newAddress();
  await us.persist(a.ops);
  await chain.fund(a.script, 200_000n);
  const them = await rig({ chain, accountIndex: 1 });
  await them.receive(200_000n);
  const p = await zeroFeeParent((s, v) => chain.fund(s, v));
  await us.poll();
  await them.poll();
  expect(us.wallet.balance().confirmed).toBe(200_000n);
  return { chain, us, them, p };
}

describe('RoleRuntime: a refused package resolves its CPFP child in the wallet', () => {
  it('the anchor spent in a block before a restart: the refusal conflicts the child against that block, its fee coin spendable again, durably', async () => {
    const { chain, us, them, p } = await setup();
    // their child takes the anchor, confirmed while our node is up; then our node restarts
    const theirs = cpfpChild(them.wallet, p, 'their-exit', chain.height);
    them.store.apply(theirs.ops);
    await chain.broadcastPackage(p.parentRaw, theirs.rec.raw);
    await chain.mine(1);
    await us.poll();
    const spendBlock = await chain.blockHash(chain.height);
    await us.close();
    await us.open();
    await us.poll();

    // the recent spends are memory only: nothing tells the wallet at recording
    const ours = cpfpChild(us.wallet, p, 'our-exit', chain.height);
    expect(ours.rec.conflictedBy).toBeUndefined();
    await us.persist(ours.ops);
    expect(us.wallet.tx(ours.rec.txid)?.state).toBe('pending');
    expect(us.wallet.coin(ours.coin)?.spentBy).toBe(ours.rec.txid);

    const result = await us.broadcast(p, ours.rec.raw);
    expect(result).toMatchObject({ type: 'broadcast_result', error: { code: 'CHAIN_TX_REJECTED' } });
    // the parent is confirmed: Core (and SimChain) quit at it, the child is never looked at
    expect(result).toMatchObject({ error: { reason: 'txn-already-known' } });
    expect(us.wallet.tx(ours.rec.txid)).toMatchObject({
      state: 'conflicted',
      conflictedBy: theirs.rec.txid,
      conflictBlockHash: spendBlock,
    });
    expect(us.wallet.coin(ours.coin)?.spentBy).toBeNull();
    expect(us.wallet.spendableCoins().map((c) => `${c.txid}:${c.vout}`)).toContain(
      `${ours.coin.txid}:${ours.coin.vout}`,
    );
    expect(us.wallet.pendingBroadcasts()).toEqual([]);
    await us.close();

    // durable: the store holds the verdict, and a reopened node spends the coin again
    const back = await us.stored();
    expect(back.tx(ours.rec.txid)?.state).toBe('conflicted');
    expect(back.coin(ours.coin)?.spentBy).toBeNull();
    expect(back.balance()).toMatchObject({ confirmed: 200_000n, unconfirmed: 0n });
    await us.open();
    const again = cpfpChild(us.wallet, p, 'another-exit', chain.height);
    expect(again.coin).toEqual(ours.coin);
    await us.close();
  });

  it('the parent refused (its input does not exist), the child unknown to the backend: abandoned, its fee coin spendable again, durably', async () => {
    const { chain, us } = await setup();
    // a parent spending an output the chain never had (a state whose kickoff output is gone)
    const ghost = await zeroFeeParent(async () => ({ txid: 'ab'.repeat(32), vout: 0 }));
    const ours = cpfpChild(us.wallet, ghost, 'our-exit', chain.height);
    await us.persist(ours.ops);
    const result = await us.broadcast(ghost, ours.rec.raw);
    expect(result).toMatchObject({ type: 'broadcast_result', error: { code: 'CHAIN_TX_REJECTED' } });
    expect(us.wallet.tx(ours.rec.txid)?.state).toBe('abandoned');
    expect(us.wallet.coin(ours.coin)?.spentBy).toBeNull();
    expect(us.wallet.reservations().filter((r) => r.owner === 'our-exit')).toEqual([]);
    await us.close();
    const back = await us.stored();
    expect(back.tx(ours.rec.txid)?.state).toBe('abandoned');
    expect(back.balance()).toMatchObject({ confirmed: 200_000n, unconfirmed: 0n });
  });

  it('a refused package whose child the wallet does not hold leaves the wallet alone', async () => {
    const { chain, us, them, p } = await setup();
    // their child (not our wallet's) refused for its spent anchor: nothing of ours changes
    const theirs = cpfpChild(them.wallet, p, 'their-exit', chain.height);
    them.store.apply(theirs.ops);
    await chain.broadcastPackage(p.parentRaw, theirs.rec.raw);
    await chain.mine(1);
    await us.poll();
    await them.receive(200_000n);
    const stray = cpfpChild(them.wallet, p, 'their-second', chain.height);
    const before = await us.store.lastUpdateId();
    const result = await us.broadcast(p, stray.rec.raw);
    expect(result).toMatchObject({ type: 'broadcast_result', error: { code: 'CHAIN_TX_REJECTED' } });
    expect(await us.store.lastUpdateId()).toBe(before);
    await us.close();
  });
});
