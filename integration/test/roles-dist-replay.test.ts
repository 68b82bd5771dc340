// A client that comes back after missing blocks replays them below the chain's tip (the follower's
// `tip` on each block): its exit driver defers every broadcast until it reaches the tip and acts once,
// from the tip's state. Here: 4 clients, one distribution; one client is down before T_dist, the
// others publish the distribution and it confirms; back a few blocks later, the client replays T_dist
// without sending the already-confirmed distribution (whose anchor a later block spent), claims its
// output from the chain, and its fee coin stays confirmed and spendable (no CPFP child left pending).
import type { ClientEvent } from '@superscalar/client';
import type { LspFactoryInfo } from '@superscalar/lsp';
import type { Wallet } from '@superscalar/wallet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFactory, type RoleNode, World } from '../harness/index.js';

type Of<K extends ClientEvent['kind']> = Extract<ClientEvent, { kind: K }>;
async function events<K extends ClientEvent['kind']>(n: RoleNode, kind: K): Promise<Of<K>[]> {
  return (await n.events()).filter((e) => e.kind === kind) as Of<K>[];
}

describe('a client back after T_dist replays the missed blocks without broadcasting from them', () => {
  let w: World;
  let f: LspFactoryInfo;
  let away: RoleNode;
  let tDist: number;
  let feeBefore: bigint;
  let back: number;

  beforeAll(async () => {
    w = await World.create({
      seed: 'dist-replay',
      clients: 4,
      clientFeeCoins: 1,
      lspPolicy: { activeBlocks: 20, dyingBlocks: 10 },
    });
    await w.connectAll();
    f = await openFactory(w);
    tDist = f.proposal.proposalHeight + 20 + 10 + 10;
    away = w.clients[3] as RoleNode;
    while (w.chain.height < tDist - 2) await w.mine(1);
    feeBefore = (away.wallet as Wallet).balance().confirmed;
    await w.crash(away);
    const others = w.clients.filter((c) => c !== away);
    for (let i = 0; i < 20; i++) {
      let done = true;
      for (const c of others) if ((await events(c, 'ExitCompleted')).length === 0) done = false;
      if (done) break;
      await w.mine(1);
    }
    await w.mine(3);
    back = w.chain.height;
    await w.restart(away);
    await w.mine(1);
  });
  afterAll(() => w.close());

  it('the others published the distribution while it was away', async () => {
    const dist = w.broadcasts.find((b) => b.label === 'exit distribution' && b.outcome === 'accepted');
    expect(dist).toBeDefined();
    expect(dist?.node).not.toBe(away.name);
    expect(back).toBeGreaterThan(tDist + 3);
  });

  it('the returning client broadcast nothing from replayed history (nothing refused), and claimed its output', async () => {
    const mine = w.broadcasts.filter((b) => b.node === away.name && b.label.startsWith('exit '));
    expect(mine.filter((b) => b.outcome === 'rejected')).toEqual([]);
    expect(mine).toEqual([]); // the distribution had confirmed: nothing to send at the tip either
    expect(await events(away, 'ExitStepBroadcast')).toEqual([]);
    const started = await events(away, 'ExitStarted');
    expect(started.map((e) => e.reason)).toEqual(['distribution']);
    const claimed = await events(away, 'ExitClaimed');
    expect(claimed).toHaveLength(1);
    expect(await events(away, 'ExitCompleted')).toHaveLength(1);
  });

  it("its wallet's fee coin is confirmed and spendable: no CPFP child pending, nothing unconfirmed", () => {
    const wallet = away.wallet as Wallet;
    expect(wallet.txs().filter((t) => t.kind === 'cpfp' && t.state === 'pending')).toEqual([]);
    expect(wallet.pendingBroadcasts()).toEqual([]);
    expect(wallet.balance()).toMatchObject({ confirmed: feeBefore, unconfirmed: 0n });
    expect(wallet.feeCoins({ minValue: 1n }).reduce((a, c) => a + c.value, 0n)).toBe(feeBefore);
  });
});
