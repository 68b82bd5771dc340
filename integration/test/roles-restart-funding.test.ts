// The LSP killed between persisting its signed funding (FactoryFunded) and broadcasting it: restored
// from SQLite, it broadcasts the same funding transaction at once — not at the next block, which on a
// chain that mines only when asked (regtest, the demo, the process-level suite) never comes, and which
// elsewhere spends a block of the clients' funding deadline.
import { afterEach, expect, test } from 'vitest';
import { factoryOf, lspFactories, registerAll, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

test('an LSP killed before its funding broadcast re-broadcasts it right after the restart, without a block', async () => {
  const w = await World.create({ seed: 'restart-funding', clients: 2, lspPolicy: { maxClients: 2 } });
  world = w;
  let killed = false;
  w.lsp.crashPoint = (a) => {
    if (a.kind !== 'broadcast' || a.label !== 'funding') return false;
    killed = true;
    return true;
  };
  await registerAll(w);
  expect(killed).toBe(true);
  expect(w.broadcasts).toEqual([]);
  const height = w.chain.height;
  await w.restart(w.lsp);
  const f = factoryOf(w);
  expect(f.phase).toBe('funded');
  expect(w.chain.height).toBe(height);
  expect(w.broadcasts.map((b) => [b.label, b.txid, b.outcome])).toEqual([
    ['funding', f.fundingTxid, 'accepted'],
  ]);
  await w.mine(1);
  expect(lspFactories(w)[0]?.phase).toBe('open');
  expect(w.broadcasts).toHaveLength(1); // the next block does not send it again
});
