import { discoverBitcoind, type RegtestNode, startRegtestNode } from '@superscalar/chain/bitcoind';
import type { SpawnedSimServer } from '@superscalar/chain/sim-server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { crashKills } from '../../test-utils/index.js';
import { type Line, ProcWorld, processSuite } from '../harness/process/index.js';

/** Which exit step's persist the LSP dies after: the root kickoff, a later tree step, a commitment. */
const POINTS = [1, 3, 6];
const RUNS = crashKills(POINTS.length, 2);
console.log(`process exit kill -9: ${RUNS} runs (CRASH_KILLS) over exit steps ${POINTS.join(', ')}`);

const suite = processSuite('proc-exit-sim-');

/**
 * A factory opens, its clients go away for good, the LSP runs `exit_factory` on `server` (a SimChain
 * server, or a bitcoind -regtest with a wallet named `any`); with `nth`, the LSP is frozen after the
 * persist recording its `nth` exit step as broadcast, SIGKILLed and restarted from its store.
 */
async function runExit(
  server: Pick<SpawnedSimServer, 'url' | 'cookieFile'>,
  seed: string,
  nth: number | null,
): Promise<void> {
  const w = await ProcWorld.create({
    seed,
    bundle: suite.bundle,
    server: server as SpawnedSimServer,
    clients: 4,
    lspPolicy: { activeBlocks: 20, dyingBlocks: 10 },
    timeoutMs: 60_000,
  });
  try {
    let mining: Promise<unknown> = Promise.resolve();
    w.onLine = (l) => {
      if (l.t === 'broadcast' && l.label === 'funding' && l.ok === true)
        mining = mining.then(() => w.rpc.mine(1)).catch((e) => w.fail(e as Error));
      if (
        l.t === 'event' &&
        l.who === 'lsp' &&
        ['InvariantViolated', 'CommandRefused'].includes(l.kind as string)
      )
        w.fail(new Error(`lsp: ${l.kind} ${JSON.stringify(l.event)}`));
      if (l.t === 'command-failed') w.fail(new Error(`${l.who}: ${String(l.error)}`));
    };
    const lsp0 = await w.startLsp();
    await w.startClients('clients', [0, 1, 2, 3]);
    await w.until(
      () =>
        ['lsp', 'c0', 'c1', 'c2', 'c3'].every(
          (who) => w.find({ t: 'handled', who, kind: 'FactoryOpen' }).length > 0,
        ),
      'every role to handle FactoryOpen',
    );
    const factoryId = (
      (w.find({ t: 'event', who: 'lsp', kind: 'FactoryOpen' })[0] as Line).event as { factoryId: string }
    ).factoryId;
    await w.kill('clients'); // the clients are gone for good: the LSP exits the factory alone
    if (nth !== null) {
      lsp0.write(`arm ${JSON.stringify({ on: 'persisted', kind: 'ExitStepBroadcast', nth })}`);
      await w.until(() => w.find({ t: 'armed', proc: 'lsp' }).length > 0, 'the LSP armed');
    }
    lsp0.write(`exit_factory ${factoryId}`);
    const mineUntil = async (pred: () => boolean, what: string) => {
      for (let i = 0; i < 200 && !pred(); i++) {
        await w.rpc.mine(1);
        // Pacing only (the LSP follows by polling): the outcome is read from its journal.
        await new Promise((r) => setTimeout(r, 150));
      }
      await w.until(pred, what);
    };
    if (nth !== null) {
      await mineUntil(
        () => w.find({ t: 'frozen', proc: 'lsp' }).length > 0,
        `the LSP to freeze at step ${nth}`,
      );
      await w.kill('lsp');
      const gen = (await w.startLsp()).config.generation;
      expect(gen).toBe(1);
    }
    const handled = (kind: string) => w.find({ t: 'handled', who: 'lsp', kind });
    await mineUntil(() => handled('ExitCompleted').length > 0, 'ExitCompleted at the LSP');
    await w.stopAll();
    const started = handled('ExitStarted');
    expect(started, 'ExitStarted handled once').toHaveLength(1);
    const done = handled('ExitCompleted');
    expect(done).toHaveLength(1);
    const completed = w
      .find({ t: 'event', who: 'lsp', kind: 'ExitCompleted' })
      .map((l) => l.event as { lost: number });
    expect(completed[0]?.lost).toBe(0);
    // Every step confirmed once (journalled once, across the kill), the tree included.
    const byId = new Map(
      w
        .find({ t: 'event', who: 'lsp', kind: 'ExitStepConfirmed' })
        .map((l) => [l.id as string, (l.event as { step: string }).step]),
    );
    const confirmed = [...byId.values()];
    expect(new Set(confirmed).size).toBe(confirmed.length);
    expect(confirmed.filter((s) => s.startsWith('tx '))).toHaveLength(5);
    expect(w.find({ t: 'event', who: 'lsp', kind: 'ExitStepLost' })).toEqual([]);
  } finally {
    await w.close();
  }
}

describe('kill -9 of the LSP during exit_factory, restarted from SQLite: the exit completes once', () => {
  for (const nth of POINTS.slice(0, RUNS))
    test(
      `killed after persisting exit step ${nth} as broadcast`,
      () => runExit(suite.server, `proc-exit-${nth}`, nth),
      240_000,
    );
});

// The same exit on Bitcoin Core when one is available (BITCOIND=/path/to/bitcoind or bitcoind on
// PATH): packages through submitpackage, the DW and CSV locks and the claims judged by Core's policy.
const found = discoverBitcoind();
if (found.ok) console.log(`process exit on bitcoind: running against ${found.versionText} (${found.bin})`);
else console.log(`process exit on bitcoind skipped: ${found.why}`);

describe.skipIf(!found.ok)('the LSP’s exit_factory on bitcoind -regtest', () => {
  let node: RegtestNode | undefined;
  beforeAll(async () => {
    if (found.ok) node = await startRegtestNode({ bin: found.bin, wallet: 'any' });
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);
  test('the whole factory out, then a kill -9 mid-exit and a restart', async () => {
    const n = node as RegtestNode;
    await runExit({ url: n.url, cookieFile: n.cookieFile }, 'proc-exit-core', null);
    await runExit({ url: n.url, cookieFile: n.cookieFile }, 'proc-exit-core-kill', 3);
  }, 480_000);
});
