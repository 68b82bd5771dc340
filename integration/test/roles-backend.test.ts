// The harness's asynchronous chain path (`World` given a `backend`, as regtest-scenarios runs it on
// bitcoind) exercised everywhere, CI included: a SimChain used only through the `ChainBackend`
// interface (funding by `fund`, blocks by `mine`, every broadcast awaited, the towers on a wrapped
// backend). A client force-closes; its exit completes and everything it journals is on that chain.
import { SimChain } from '@superscalar/chain';
import type { ClientEvent } from '@superscalar/client';
import { fromHex } from '@superscalar/core';
import type { Wallet } from '@superscalar/wallet';
import { afterEach, expect, test } from 'vitest';
import { clientOf, openFactory, type RoleNode, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

test('a World on a ChainBackend: a client’s force-close completes, every step on that chain', async () => {
  const chain = new SimChain();
  world = await World.create({ seed: 'backend-force', clients: 2, clientFeeCoins: 2, backend: chain });
  const w = world;
  expect(() => w.chain).toThrow(/backend/);
  expect(w.sim).toBeUndefined();
  await w.connectAll();
  const f = await openFactory(w);
  expect(f.phase).toBe('open');
  expect(w.height).toBe(chain.height);
  const c = w.clients[0] as RoleNode;
  await w.command(c, { type: 'force_close', factoryId: fromHex(f.factoryId) });
  const done = async () => (await c.events()).some((e) => e.kind === 'ExitCompleted');
  for (let i = 0; i < 100 && !(await done()); i++) await w.mine(1);
  const evs = (await c.events()) as ClientEvent[];
  const completed = evs.find((e) => e.kind === 'ExitCompleted');
  expect(completed).toMatchObject({ lost: 0 });
  for (const e of evs)
    if (e.kind === 'ExitStepConfirmed')
      expect((await chain.getTransaction(e.txid)).confirmation?.height).toBe(e.height);
  const claimed = evs.find((e) => e.kind === 'ExitClaimed') as Extract<ClientEvent, { kind: 'ExitClaimed' }>;
  expect((c.wallet as Wallet).coins().some((x) => x.txid === claimed.txid)).toBe(true);
  expect(clientOf(c).exits()[0]?.completed).toBe(true);
  // Every broadcast was recorded at the height it was sent at; the packages went out accepted.
  const sent = w.broadcasts.filter((b) => b.node === c.name);
  expect(sent.length).toBeGreaterThan(0);
  expect(sent.filter((b) => b.outcome !== 'accepted')).toEqual([]);
  for (const b of sent) expect(b.height).toBeLessThanOrEqual(chain.height);
});
