// A distribution tree through the roles (brief §6, §8; issue 23 "LSP recoveries"): a factory whose
// single distribution would exceed TRUC's 10,000 vB signs a top distribution paying one output per
// sub-distribution plus its anchor, and one sub-distribution per contiguous run of clients. The
// ceremony signs, for every client, the top and its own sub (two distribution nonces, §8 round 1); at
// T_dist the clients broadcast the top and then their sub, each as a package with a CPFP child from
// their wallet, re-bumped each block until it confirms; the LSP sees the top confirm and is done with
// the factory. Every transaction is accepted by the SimChain (Core's policy: TRUC, package relay,
// sibling eviction, nLockTime) and every amount is checked against §6 recomputed here.
//
// The split depends on the transaction size only: no proposal field or policy changes it (brief §6:
// "above 10,000 vB"; factory-tree's `maxVsize` option is not carried by the proposal, so the roles
// cannot use it), so the smallest factory with a distribution tree has 231 clients (80 + 43·N vB >
// 10,000), two runs of 116 and 115. Its cost is the 232 nodes' setup and ceremony (each a SQLite file
// store with synchronous=FULL, a wallet and a tower), fsync-bound: 235 s on the shared 2-core project
// machine at load 5 (152 s of it creating the nodes), 156 s with the stores on tmpfs.
// DIST_TREE_CLIENTS runs a larger one (461 or more: three runs); DIST_TREE_CLIENTS=0 skips it.
import type { ClientEvent } from '@superscalar/client';
import { fromHex } from '@superscalar/core';
import {
  buildDistribution,
  buildTree,
  type DistributionTx,
  signedDistributionBytes,
} from '@superscalar/factory-tree';
import type { LspEvent, LspFactoryInfo } from '@superscalar/lsp';
import { getXonlyPubkey, keyAgg, keySort } from '@superscalar/musig2';
import { decodeTx, type Tx, taprootOutput, txidOf, txVsize } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOf, lspFactories, openFactory, type RoleNode, World } from '../harness/index.js';

const N = Number(process.env.DIST_TREE_CLIENTS ?? 231);
if (N !== 0 && (!Number.isInteger(N) || N < 231))
  throw new Error(`DIST_TREE_CLIENTS = ${N}: a distribution tree needs 231 clients or more (0 skips)`);
console.log(
  N === 0
    ? 'roles-distribution-tree: skipped (DIST_TREE_CLIENTS = 0)'
    : `roles-distribution-tree: N = ${N} clients (DIST_TREE_CLIENTS)`,
);

type Ev = ClientEvent | LspEvent;
type Of<K extends Ev['kind']> = Extract<Ev, { kind: K }>;
async function events<K extends Ev['kind']>(n: RoleNode, kind: K): Promise<Of<K>[]> {
  return (await n.events()).filter((e) => e.kind === kind) as Of<K>[];
}

/** §1: `fee = ceil(rate × vsize / 1000)`, the vsize of the final transaction (one 64-byte key-path witness). */
const feeOf = (rate: number, tx: Tx) =>
  (BigInt(rate) * BigInt(txVsize(tx, [[new Uint8Array(64)]])) + 999n) / 1000n;
const P2A = '51024e73';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe.skipIf(N === 0)(`a distribution tree through the roles, N = ${N} (brief §6, §8)`, () => {
  let w: World;
  let f: LspFactoryInfo;
  let tDist: number;
  /** Placement order, and the runs of 230 at most, balanced (distribution.ts's split rule). */
  let runs: number[][];
  const indexOf = new Map<RoleNode, number>();
  const nodeOf = (i: number) => [...indexOf].find(([, k]) => k === i)?.[0] as RoleNode;
  /** The clients of the last run go down before T_dist and come back after the LSP is done. */
  let away: RoleNode[];
  const started = Date.now();

  beforeAll(async () => {
    w = await World.create({
      seed: 'dist-tree',
      clients: N,
      clientFeeCoins: 1,
      lspFunds: BigInt(N) * 40_000n,
      // T_dist = proposal height + 40; one factory of every client.
      lspPolicy: { activeBlocks: 20, dyingBlocks: 10, minClients: N, maxClients: N },
    });
    const created = Date.now();
    await w.connectAll();
    const connected = Date.now();
    f = await openFactory(w);
    console.log(
      `N = ${N}: world ${created - started} ms, connect ${connected - created} ms, open ${Date.now() - connected} ms`,
    );
    for (const c of w.clients) indexOf.set(c, clientOf(c).factories()[0]?.clientIndex as number);
    tDist = f.proposal.proposalHeight + 40;
    const order = buildTree(f.proposal).layout.order;
    const G = Math.ceil(N / 230);
    runs = [];
    for (let g = 0, at = 0; g < G; g++) {
      const size = Math.floor(N / G) + (g < N % G ? 1 : 0);
      runs.push(order.slice(at, at + size));
      at += size;
    }
    away = (runs[G - 1] as number[]).map(nodeOf);
    console.log(`N = ${N}: factory open in ${Date.now() - started} ms`);
  }, 900_000);
  afterAll(() => w?.close());

  it('the ceremony signs the top and each client’s own sub-distribution (two nonces per client, §8)', async () => {
    expect(f.phase).toBe('open');
    for (const c of w.clients) expect(clientOf(c).factories()[0]?.distributionTxs).toBe(2);
    const nonces = w.messages('factory_nonces');
    expect(nonces).toHaveLength(N);
    for (const d of nonces) {
      const i = indexOf.get(w.clients.find((c) => c.nodeId === d.from) as RoleNode) as number;
      const g = runs.findIndex((r) => r.includes(i));
      const m = d.message as unknown as { distributionNonces: { index: number }[] };
      expect(m.distributionNonces.map((x) => x.index)).toEqual([0, 1 + g]);
    }
    const signedMessages = w.messages('factory_signed');
    expect(signedMessages).toHaveLength(N);
    for (const d of signedMessages) {
      const i = indexOf.get(w.clients.find((c) => c.nodeId === d.to) as RoleNode) as number;
      const g = runs.findIndex((r) => r.includes(i));
      const m = d.message as unknown as { distributionSignatures: { index: number }[] };
      expect(m.distributionSignatures.map((x) => x.index)).toEqual([0, 1 + g]);
    }
    // A client of each run holds the top and its sub signed, and neither is final before T_dist
    // (brief §6 testing note: nobody can take the factory early).
    const dist = buildDistribution(buildTree(f.proposal));
    expect(dist.isTree).toBe(true);
    expect(dist.groups.map((g) => [...g])).toEqual(runs);
    for (const c of runs.map((r) => nodeOf(r[0] as number))) {
      const signed = clientOf(c).signedPath(f.factoryId) ?? [];
      const g = runs.findIndex((r) => r.includes(indexOf.get(c) as number));
      const mine = [dist.txs[0], dist.txs[1 + g]] as DistributionTx[];
      const raws = mine.map((t) =>
        signedDistributionBytes(t, signed.find((x) => x.txid === t.txid)?.signature as Uint8Array),
      );
      expect(() => w.chain.testAccept(raws[0] as Uint8Array)).toThrow(/non-final/);
      expect(() => w.chain.testAccept(raws[1] as Uint8Array)).toThrow(/non-final/);
    }
  });

  it('at T_dist the clients broadcast the top, then their sub-distribution, as CPFP packages re-bumped each block', async () => {
    // The last run's clients are away from before T_dist until long after the LSP is done.
    for (const c of away) await w.crash(c);
    while (w.chain.height < tDist - 1) await w.mine(1);
    expect(w.broadcasts.filter((b) => b.label.startsWith('exit '))).toEqual([]);
    // The first packages of each transaction are lost on their way: every one is re-bumped next block.
    const droppedAt = new Map<string, number>();
    w.dropBroadcast = (label) => {
      if (!label.startsWith('exit ')) return false;
      const at = droppedAt.get(label) ?? w.chain.height;
      droppedAt.set(label, at);
      return w.chain.height === at;
    };
    const here = w.clients.filter((c) => !away.includes(c));
    for (let i = 0; i < 10; i++) {
      await w.mine(1);
      let all = true;
      for (const c of here) if ((await events(c, 'ExitCompleted')).length === 0) all = false;
      if (all) break;
    }
    w.dropBroadcast = undefined;
    for (const c of here) {
      const s = await events(c, 'ExitStarted');
      expect(s.map((e) => [e.reason, e.height])).toEqual([['distribution', tDist]]);
      const sent = await events(c, 'ExitStepBroadcast');
      const top = sent.filter((e) => e.label === 'top');
      const g = runs.findIndex((r) => r.includes(indexOf.get(c) as number));
      const sub = sent.filter((e) => e.label === `sub-distribution ${g}`);
      const at = new Map((await events(c, 'ExitStepConfirmed')).map((e) => [e.label, e.height]));
      expect(top[0]?.height).toBe(tDist); // accepted from tip T_dist (nLockTime)
      expect(top.map((e) => e.bump)).toEqual([0, 1]);
      expect(top[1]?.feeRate).toBeGreaterThan(top[0]?.feeRate as number); // §5.2 re-bump
      expect(at.get('top')).toBe(tDist + 2);
      expect(sub.map((e) => e.bump)).toEqual([0, 1]);
      expect(sub[0]?.height).toBe(tDist + 2); // at the block that confirmed the top
      expect(sub[1]?.feeRate).toBeGreaterThan(sub[0]?.feeRate as number);
      expect(at.get(`sub-distribution ${g}`)).toBe(tDist + 4);
      const done = (await events(c, 'ExitCompleted'))[0];
      expect(done?.height).toBe(tDist + 4);
      expect(done?.lost).toBe(0);
    }
  });

  it('every distribution transaction is §6’s, and each client gets its capacity plus its share exactly', async () => {
    const p = f.proposal;
    const confirmed = new Map<string, Tx>();
    for (const b of w.broadcasts)
      if (b.label.startsWith('exit ') && b.outcome === 'accepted') confirmed.set(b.label, decodeTx(b.raw));
    const top = confirmed.get('exit top') as Tx;
    expect(top).toBeDefined();
    const subs = runs.map((_, g) => confirmed.get(`exit sub-distribution ${g}`));
    // Version 3, nLockTime T_dist, one input with nSequence 0xFFFFFFFE, the P2A anchor last.
    for (const t of [top, ...subs.filter((s): s is Tx => s !== undefined)]) {
      expect(t.version).toBe(3);
      expect(t.locktime).toBe(tDist);
      expect(t.inputs).toHaveLength(1);
      expect(t.inputs[0]?.sequence).toBe(0xfffffffe);
      expect(hex(t.outputs[t.outputs.length - 1]?.script as Uint8Array)).toBe(P2A);
      expect(t.outputs[t.outputs.length - 1]?.value).toBe(240n);
      expect(txVsize(t, [[new Uint8Array(64)]])).toBeLessThanOrEqual(10_000);
    }
    // The top spends the funding output and pays one output per run: KeyAgg(LSP + the run's clients).
    expect(top.inputs[0]?.vout).toBe(p.funding.vout);
    expect(top.outputs).toHaveLength(runs.length + 1);
    runs.forEach((r, g) => {
      const key = getXonlyPubkey(
        keyAgg(keySort([p.lsp.key, ...r.map((i) => p.clients[i]?.key as Uint8Array)])),
      );
      expect(hex(top.outputs[g]?.script as Uint8Array)).toBe(hex(taprootOutput(key).script));
    });
    // §6: Σ c_i + anchors + fees + N·share + remainder = funding.
    const subTxOf = (g: number): Tx => {
      // A run that never published its sub: rebuild its size from the run (the same outputs).
      const s = subs[g];
      if (s !== undefined) return s;
      const r = runs[g] as number[];
      return {
        version: 3,
        locktime: tDist,
        inputs: [{ txidBytes: new Uint8Array(32), vout: g, sequence: 0xfffffffe }],
        outputs: [
          ...r.map((i) => ({ value: 0n, script: p.clients[i]?.closeScript as Uint8Array })),
          { value: 240n, script: fromHex(P2A) },
        ],
      } as Tx;
    };
    const subFees = runs.map((_, g) => feeOf(p.treeFeeRate, subTxOf(g)));
    const topFee = feeOf(p.treeFeeRate, top);
    const capacities = p.clients.reduce((a, c) => a + c.capacity, 0n);
    const anchors = 240n * BigInt(runs.length + 1);
    const rest = p.funding.amount - capacities - anchors - topFee - subFees.reduce((a, b) => a + b, 0n);
    const share = rest / BigInt(N);
    const order = runs.flat();
    const payout = (i: number) =>
      (p.clients[i]?.capacity as bigint) + share + (i === order[N - 1] ? rest - share * BigInt(N) : 0n);
    // The top's outputs carry each sub-distribution's payouts, its anchor and its fee; the fee the top
    // pays is exactly its own.
    runs.forEach((r, g) => {
      expect(top.outputs[g]?.value).toBe(
        r.reduce((a, i) => a + payout(i), 0n) + 240n + (subFees[g] as bigint),
      );
    });
    expect(p.funding.amount - top.outputs.reduce((a, o) => a + o.value, 0n)).toBe(topFee);
    // Each published sub spends its top output and pays its run in placement order, then the anchor.
    subs.forEach((s, g) => {
      if (s === undefined) return;
      expect(txidOf(top)).toBe(
        Buffer.from(s.inputs[0]?.txidBytes as Uint8Array)
          .reverse()
          .toString('hex'),
      );
      expect(s.inputs[0]?.vout).toBe(g);
      const r = runs[g] as number[];
      expect(s.outputs).toHaveLength(r.length + 1);
      r.forEach((i, k) => {
        expect(hex(s.outputs[k]?.script as Uint8Array)).toBe(hex(p.clients[i]?.closeScript as Uint8Array));
        expect(s.outputs[k]?.value).toBe(payout(i));
      });
      expect((top.outputs[g]?.value as bigint) - s.outputs.reduce((a, o) => a + o.value, 0n)).toBe(
        subFees[g],
      );
    });
    // Each client present journalled exactly its payout, and holds no pending CPFP child.
    for (const c of w.clients.filter((x) => !away.includes(x))) {
      const claimed = await events(c, 'ExitClaimed');
      expect(claimed.map((e) => e.amount)).toEqual([payout(indexOf.get(c) as number)]);
      const children = (c.wallet as Wallet).txs().filter((t) => t.kind === 'cpfp');
      expect(children.filter((t) => t.state === 'pending')).toEqual([]);
    }
    // One child won each anchor that confirmed: the top's and each published sub's.
    const won = w.clients.flatMap((c) =>
      c.wallet === undefined ? [] : (c.wallet as Wallet).txs(['confirmed']).filter((t) => t.kind === 'cpfp'),
    );
    expect(won).toHaveLength(1 + subs.filter((s) => s !== undefined).length);
  });

  it('the LSP sees the top confirm and is done with the factory, the last run still away', async () => {
    const s = await events(w.lsp, 'ExitStarted');
    expect(s.map((e) => [e.reason, e.height])).toEqual([['distribution', tDist + 2]]);
    expect((await events(w.lsp, 'ExitCompleted')).map((e) => e.claimed)).toEqual([0n]);
    expect(lspFactories(w)).toHaveLength(0);
  });

  it('the last run comes back after a few blocks and collects its sub-distribution', async () => {
    await w.mine(3);
    for (const c of away) await w.restart(c);
    for (let i = 0; i < 6; i++) {
      let all = true;
      for (const c of away) if ((await events(c, 'ExitCompleted')).length === 0) all = false;
      if (all) break;
      await w.mine(1);
    }
    const g = runs.length - 1;
    const p = f.proposal;
    const sub = w.broadcasts.find(
      (b) => b.label === `exit sub-distribution ${g}` && b.outcome === 'accepted',
    );
    expect(sub).toBeDefined();
    const tx = decodeTx(sub?.raw as Uint8Array);
    const rates: number[][] = [];
    for (const c of away) {
      const i = indexOf.get(c) as number;
      const claimed = await events(c, 'ExitClaimed');
      expect(claimed).toHaveLength(1);
      const k = (runs[g] as number[]).indexOf(i);
      expect(claimed[0]?.amount).toBe(tx.outputs[k]?.value);
      expect(claimed[0]?.amount).toBeGreaterThan(p.clients[i]?.capacity as bigint);
      const sent = (await events(c, 'ExitStepBroadcast')).filter((e) => e.label === `sub-distribution ${g}`);
      expect(sent.length).toBeGreaterThan(0);
      rates.push(sent.map((e) => e.feeRate));
    }
    // Back after the top confirmed, a client replays the blocks it missed below the follower's tip:
    // nothing goes out from them (the top, already confirmed, is never sent with a child on its spent
    // anchor); at the tip it sends its sub-distribution only, and no CPFP child is left pending.
    const names = new Set(away.map((c) => c.name));
    const fromAway = w.broadcasts.filter((b) => names.has(b.node) && b.label.startsWith('exit '));
    expect(fromAway.filter((b) => b.label !== `exit sub-distribution ${g}`)).toEqual([]);
    for (const c of away) {
      const wallet = c.wallet as Wallet;
      expect(wallet.txs().filter((t) => t.kind === 'cpfp' && t.state === 'pending')).toEqual([]);
      expect(wallet.balance().unconfirmed).toBe(0n);
    }
    console.log(
      `sub-distribution ${g} packages of a returning client, sat/kvB: ${(rates[0] ?? []).join(', ')}`,
    );
    console.log(`N = ${N}: whole scenario ${Date.now() - started} ms`);
  });
});
