// BlockFollower on SimChain: linear growth, reorgs of 3 and more blocks, a fork below the stored
// history, restarts from stored cursors on a reorged chain, subscribers that throw, a chain that moves
// during a poll, and a property over random mine/reorg sequences: the reported events, applied to a
// view, always rebuild the backend's best chain.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BlockFollower,
  type ChainEvent,
  type ChainSource,
  FAUCET_SCRIPT,
  type FollowFrom,
  ReorgBeyondHistory,
  SimChain,
  SubscriberFailed,
} from '../src/index.js';

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI === 'true' ? 40 : 100));
console.log(`follower property runs: ${runs} (PROPERTY_RUNS)`);

const ZERO = '0'.repeat(64);
/** A coinbase script other than the faucet's, so a re-mined block never equals an invalidated one. */
const OTHER = Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(7));

/** A subscriber that applies events to a view (hash by height) and records every order violation. */
function recorder(initial: string[] = [], failWhen?: (e: ChainEvent) => boolean) {
  const view = [...initial];
  const log: string[] = [];
  const violations: string[] = [];
  const onEvent = (e: ChainEvent): void => {
    if (failWhen?.(e) === true) throw new Error(`refused ${e.type} ${e.block.height}`);
    if (e.type === 'connected') {
      const b = e.block;
      const prev = view.length === 0 ? ZERO : view[view.length - 1];
      if (b.height !== view.length || b.prevHash !== prev)
        violations.push(`connected ${b.height} on a view of ${view.length} blocks`);
      else view.push(b.hash);
    } else {
      if (e.block.height !== view.length - 1 || e.block.hash !== view[view.length - 1])
        violations.push(`disconnected ${e.block.height} from a view of ${view.length} blocks`);
      else view.pop();
    }
    log.push(`${e.type === 'connected' ? '+' : '-'}${e.block.height}`);
  };
  return { view, log, violations, onEvent };
}

async function chainHashes(chain: ChainSource): Promise<string[]> {
  const tip = await chain.tip();
  const out: string[] = [];
  for (let h = 0; h <= tip.height; h++) out.push(await chain.blockHash(h));
  return out;
}

/** Invalidates the last `depth` blocks and mines `length` on a new branch. */
async function reorg(chain: SimChain, depth: number, length: number): Promise<void> {
  const tip = await chain.tip();
  await chain.invalidateBlock(await chain.blockHash(tip.height - depth + 1));
  await chain.mine(length, { scriptPubKey: OTHER });
}

function follow(
  f: BlockFollower,
  from: FollowFrom,
  initial: string[] = [],
  failWhen?: (e: ChainEvent) => boolean,
) {
  const r = recorder(initial, failWhen);
  const sub = f.subscribe({ name: 'r', from, onEvent: r.onEvent });
  return { ...r, sub };
}

describe('BlockFollower', () => {
  it('linear growth: every block from genesis, once, in order; a poll with nothing new reports nothing', async () => {
    const chain = new SimChain();
    await chain.mine(5);
    const f = new BlockFollower(chain);
    const r = follow(f, { height: -1 });
    const rep = await f.poll();
    expect(rep).toMatchObject({ connected: 6, disconnected: 0, failures: [], settled: true });
    expect(r.log).toEqual(['+0', '+1', '+2', '+3', '+4', '+5']);
    await chain.mine(3);
    await f.poll();
    expect((await f.poll()).connected).toBe(0);
    expect(r.view).toEqual(await chainHashes(chain));
    expect(r.violations).toEqual([]);
    expect(r.sub.cursor()).toEqual(await chain.tip());
  });

  it('connected blocks say the tip the poll delivers up to (tip.height): a catch-up tells replayed blocks from the tip', async () => {
    const chain = new SimChain();
    await chain.mine(3);
    const f = new BlockFollower(chain, { batchSize: 2 });
    const seen: [number, number | undefined][] = [];
    f.subscribe({
      name: 'tip',
      from: { height: 0 },
      onEvent: (e) => {
        if (e.type === 'connected') seen.push([e.block.height, e.tip?.height]);
      },
    });
    await f.poll();
    expect(seen).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    await chain.mine(1);
    await f.poll();
    expect(seen[3]).toEqual([4, 4]);
  });

  it('connected blocks carry their transactions as ChainSource gives them', async () => {
    const chain = new SimChain();
    const f = new BlockFollower(chain);
    const seen: ChainEvent[] = [];
    f.subscribe({ name: 'tx', from: 'tip', onEvent: (e) => void seen.push(e) });
    await f.poll();
    const funded = await chain.fund(FAUCET_SCRIPT, 10_000n);
    await f.poll();
    const last = seen[seen.length - 1]!;
    expect(last.type === 'connected' && last.block.txids).toContain(funded.txid);
    expect(last.type === 'connected' && last.block.txs.length).toBe(2);
  });

  it('every event carries the tip its poll leads to: replayed blocks are below it, the last one is it', async () => {
    const chain = new SimChain();
    await chain.mine(5);
    const f = new BlockFollower(chain);
    const seen: string[] = [];
    f.subscribe({
      name: 'tip',
      from: { height: 1 },
      onEvent: (e) =>
        void seen.push(`${e.type === 'connected' ? '+' : '-'}${e.block.height}@${e.tip?.height}`),
    });
    await f.poll();
    expect(seen).toEqual(['+2@5', '+3@5', '+4@5', '+5@5']);
    seen.length = 0;
    await reorg(chain, 2, 3);
    await f.poll();
    expect(seen).toEqual(['-5@6', '-4@6', '+4@6', '+5@6', '+6@6']);
  });

  it('a 3-block reorg: three disconnections from the old tip down, then the new branch upwards', async () => {
    const chain = new SimChain();
    await chain.mine(10);
    const f = new BlockFollower(chain);
    const r = follow(f, { height: -1 });
    await f.poll();
    r.log.length = 0;
    await reorg(chain, 3, 4);
    const rep = await f.poll();
    expect(r.log).toEqual(['-10', '-9', '-8', '+8', '+9', '+10', '+11']);
    expect(rep).toMatchObject({ connected: 4, disconnected: 3, settled: true });
    expect(r.view).toEqual(await chainHashes(chain));
    expect(r.violations).toEqual([]);
  });

  it('a deeper reorg (40 blocks, to a shorter branch) and a reorg with no new block yet', async () => {
    const chain = new SimChain();
    await chain.mine(60);
    const f = new BlockFollower(chain, { batchSize: 7 });
    const r = follow(f, { height: -1 });
    await f.poll();
    await reorg(chain, 40, 30);
    await f.poll();
    expect(r.view).toEqual(await chainHashes(chain));
    const tip = await chain.tip();
    await chain.invalidateBlock(tip.hash);
    r.log.length = 0;
    await f.poll();
    expect(r.log).toEqual([`-${tip.height}`]);
    expect(r.view).toEqual(await chainHashes(chain));
    expect(r.violations).toEqual([]);
  });

  it('a fork below the stored history is ReorgBeyondHistory, with nothing delivered, on every poll', async () => {
    const chain = new SimChain();
    await chain.mine(30);
    const f = new BlockFollower(chain, { historyDepth: 5 });
    const r = follow(f, { height: -1 });
    await f.poll();
    const before = [...r.view];
    r.log.length = 0;
    await reorg(chain, 10, 11);
    for (let i = 0; i < 2; i++) {
      const rep = await f.poll();
      expect(rep.failures).toHaveLength(1);
      expect(ReorgBeyondHistory.isInstance(rep.failures[0])).toBe(true);
      expect(rep.failures[0]!.code).toBe('CHAIN_FOLLOWER_REORG_BEYOND_HISTORY');
    }
    expect(r.log).toEqual([]);
    expect(r.view).toEqual(before);
    // The way out: re-subscribe from below the fork.
    r.sub.unsubscribe();
    const again = follow(f, { height: 15 }, (await chainHashes(chain)).slice(0, 16));
    await f.poll();
    expect(again.view).toEqual(await chainHashes(chain));
  });

  it('restart from a stored checkpoint on a reorged chain: the stale blocks are disconnected first', async () => {
    const chain = new SimChain();
    await chain.mine(20);
    const first = new BlockFollower(chain);
    const r = follow(first, { height: -1 });
    await first.poll();
    const stored = r.sub.checkpoint(6);
    expect(stored.map((x) => x.height)).toEqual([15, 16, 17, 18, 19, 20]);
    const storedView = [...r.view];
    // The process dies; meanwhile a 4-block reorg happens.
    await reorg(chain, 4, 6);
    const restarted = new BlockFollower(chain);
    const r2 = follow(restarted, stored, storedView);
    await restarted.poll();
    expect(r2.log).toEqual(['-20', '-19', '-18', '-17', '+17', '+18', '+19', '+20', '+21', '+22']);
    expect(r2.view).toEqual(await chainHashes(chain));
    expect(r2.violations).toEqual([]);
  });

  it('restart from a single stored (height, hash): resumes if still on the chain; if stale, ReorgBeyondHistory (its parent is unknown) with nothing delivered; two refs infer a 1-block reorg', async () => {
    const chain = new SimChain();
    await chain.mine(10);
    const tip = await chain.tip();
    const storedView = await chainHashes(chain);
    await chain.mine(2);
    const f = new BlockFollower(chain);
    const r = follow(f, tip, storedView);
    await f.poll();
    expect(r.log).toEqual(['+11', '+12']);

    const t2 = await chain.tip();
    const view2 = await chainHashes(chain);
    await reorg(chain, 1, 2);
    const g = new BlockFollower(chain);
    const r2 = follow(g, t2, view2);
    const rep = await g.poll();
    expect(r2.log).toEqual([]);
    expect(ReorgBeyondHistory.isInstance(rep.failures[0])).toBe(true);
    expect(rep.failures[0]).toMatchObject({ subscriber: 'r', lowestKnown: t2 });

    const h = new BlockFollower(chain);
    const r3 = follow(h, [{ height: t2.height - 1, hash: view2[t2.height - 1]! }, t2], view2);
    await h.poll();
    expect(r3.log).toEqual(['-12', '+12', '+13']);
    expect(r3.view).toEqual(await chainHashes(chain));
  });

  it("a 'tip' start delivers no past block and follows a shallow reorg right after it", async () => {
    const chain = new SimChain();
    await chain.mine(12);
    const f = new BlockFollower(chain);
    const initial = await chainHashes(chain);
    const r = follow(f, 'tip', initial);
    await f.poll();
    expect(r.log).toEqual([]);
    expect(r.sub.cursor()).toEqual(await chain.tip());
    await reorg(chain, 3, 3);
    await f.poll();
    expect(r.log).toEqual(['-12', '-11', '-10', '+10', '+11', '+12']);
    expect(r.violations).toEqual([]);
  });

  it('a subscriber that throws is not advanced past the block, others are unaffected, the next poll delivers it again', async () => {
    const chain = new SimChain();
    await chain.mine(5);
    const f = new BlockFollower(chain);
    let refuse = true;
    const good = follow(f, { height: -1 });
    const flaky = follow(
      f,
      { height: -1 },
      [],
      (e) => refuse && e.type === 'connected' && e.block.height === 3,
    );
    const rep = await f.poll();
    expect(rep.failures).toHaveLength(1);
    const err = rep.failures[0]!;
    expect(SubscriberFailed.isInstance(err)).toBe(true);
    expect(err).toMatchObject({
      code: 'CHAIN_FOLLOWER_SUBSCRIBER_FAILED',
      event: 'connected',
      block: { height: 3 },
    });
    expect((err.cause as Error).message).toBe('refused connected 3');
    expect(flaky.sub.cursor()?.height).toBe(2);
    expect(good.view).toEqual(await chainHashes(chain));
    // Still refusing: same block, same place.
    expect((await f.poll()).failures[0]).toMatchObject({ block: { height: 3 } });
    refuse = false;
    await reorg(chain, 1, 1);
    const rep2 = await f.poll();
    expect(rep2.failures).toEqual([]);
    expect(flaky.view).toEqual(await chainHashes(chain));
    expect(good.view).toEqual(await chainHashes(chain));
    expect([...flaky.violations, ...good.violations]).toEqual([]);
  });

  it('a subscriber that refuses a disconnection keeps its view (and its stale tip) until it accepts', async () => {
    const chain = new SimChain();
    await chain.mine(8);
    const f = new BlockFollower(chain);
    let refuse = true;
    const r = follow(
      f,
      { height: -1 },
      [],
      (e) => refuse && e.type === 'disconnected' && e.block.height === 7,
    );
    await f.poll();
    await reorg(chain, 2, 2);
    const rep = await f.poll();
    expect(rep.failures[0]).toMatchObject({ event: 'disconnected', block: { height: 7 } });
    expect(r.log.slice(-1)).toEqual(['-8']);
    refuse = false;
    await f.poll();
    expect(r.view).toEqual(await chainHashes(chain));
    expect(r.violations).toEqual([]);
  });

  it('an async subscriber is awaited: events never overlap', async () => {
    const chain = new SimChain();
    await chain.mine(4);
    const f = new BlockFollower(chain);
    let inFlight = 0;
    let overlap = false;
    f.subscribe({
      name: 'slow',
      from: { height: -1 },
      onEvent: async () => {
        inFlight++;
        if (inFlight > 1) overlap = true;
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
      },
    });
    await Promise.all([f.poll(), f.poll()]);
    expect(overlap).toBe(false);
  });

  it('a chain that reorganises during a poll: the poll starts over and still ends on the best chain', async () => {
    const chain = new SimChain();
    await chain.mine(10);
    let trigger = 2;
    const moving: ChainSource = Object.assign(Object.create(chain) as SimChain, {
      blocksSince: async (h: number, limit?: number) => {
        const out = await chain.blocksSince(h, limit);
        if (--trigger === 0) await reorg(chain, 2, 3);
        return out;
      },
    });
    const f = new BlockFollower(moving, { batchSize: 4 });
    const r = follow(f, { height: -1 });
    const rep = await f.poll();
    expect(rep.settled).toBe(true);
    expect(r.view).toEqual(await chainHashes(chain));
    expect(r.violations).toEqual([]);
  });

  it('a chain that reorganises between the fork-point check and the first fetch: the poll starts over', async () => {
    const chain = new SimChain();
    await chain.mine(10);
    let armed = false;
    const moving: ChainSource = Object.assign(Object.create(chain) as SimChain, {
      blockHash: async (h: number) => {
        const out = await chain.blockHash(h);
        if (armed) {
          armed = false;
          await reorg(chain, 2, 3);
        }
        return out;
      },
    });
    const f = new BlockFollower(moving);
    const r = follow(f, { height: -1 });
    await f.poll();
    await chain.mine(1);
    armed = true;
    const rep = await f.poll();
    expect(rep.settled).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.view).toEqual(await chainHashes(chain));
  });

  it('run(): polls on an interval and on wake(), reports failures through onError, stops', async () => {
    const chain = new SimChain();
    const f = new BlockFollower(chain);
    const r = follow(f, { height: -1 });
    const errors: unknown[] = [];
    let reports = 0;
    let next: (() => void) | undefined;
    const reported = () => new Promise<void>((res) => (next = res));
    let p = reported();
    const runner = f.run({
      intervalMs: 60_000,
      onReport: () => {
        reports++;
        next?.();
      },
      onError: (e) => errors.push(e),
    });
    await p;
    await chain.mine(2);
    p = reported();
    runner.wake();
    await p;
    await runner.stop();
    expect(reports).toBe(2);
    expect(r.view).toEqual(await chainHashes(chain));
    expect(errors).toEqual([]);
  });

  it('property: random mine/reorg sequences with polls in between rebuild the best chain from an empty view', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('mine' as const), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({
        kind: fc.constant('reorg' as const),
        depth: fc.integer({ min: 1, max: 8 }),
        extra: fc.integer({ min: -2, max: 3 }),
      }),
      fc.record({ kind: fc.constant('poll' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 25 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        async (ops, batchSize, flakes) => {
          const chain = new SimChain();
          const f = new BlockFollower(chain, { batchSize });
          const steady = follow(f, { height: -1 });
          let i = 0;
          const flaky = follow(
            f,
            { height: -1 },
            [],
            () => flakes[i++ % Math.max(flakes.length, 1)] === true,
          );
          for (const o of ops) {
            if (o.kind === 'mine') await chain.mine(o.n);
            else if (o.kind === 'poll') await f.poll();
            else {
              const tip = (await chain.tip()).height;
              const depth = Math.min(o.depth, tip);
              if (depth < 1) continue;
              await reorg(chain, depth, Math.max(0, depth + o.extra));
            }
          }
          flakes.length = 0; // the flaky subscriber recovers
          const rep = await f.poll();
          expect(rep.failures).toEqual([]);
          const best = await chainHashes(chain);
          expect(steady.violations).toEqual([]);
          expect(flaky.violations).toEqual([]);
          expect(steady.view).toEqual(best);
          expect(flaky.view).toEqual(best);
        },
      ),
      { numRuns: runs },
    );
  });

  it('bad arguments are InvalidArgumentError naming the field', () => {
    const f = new BlockFollower(new SimChain());
    const onEvent = () => {};
    expect(() => f.subscribe({ name: '', from: 'tip', onEvent })).toThrow(/options.name/);
    expect(() => f.subscribe({ name: 'x', from: { height: -2 }, onEvent })).toThrow(/options.from.height/);
    expect(() =>
      f.subscribe({
        name: 'x',
        from: [
          { height: 1, hash: 'aa'.repeat(32) },
          { height: 3, hash: 'bb'.repeat(32) },
        ],
        onEvent,
      }),
    ).toThrow(/options.from\[1\].height/);
    expect(() => new BlockFollower(new SimChain(), { historyDepth: 0 })).toThrow(/historyDepth/);
  });
});
