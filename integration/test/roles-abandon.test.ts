// Abandon (roles memo §3 step 8): funding that has not confirmed by proposalHeight + fundingTimeout is
// abandoned by every client, and the LSP double-spends the funding's inputs (confirmed on SimChain).
import { decodeTx, displayHex } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';
import { afterEach, expect, test } from 'vitest';
import { clientOf, factoryOf, registerAll, World } from '../harness/index.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

test('a funding that never confirms is abandoned at proposalHeight + fundingTimeout and its inputs double-spent', async () => {
  const w = await World.create({ seed: 'abandon', clients: 3, lspPolicy: { maxClients: 3 } });
  world = w;
  w.dropBroadcast = (label) => label === 'funding'; // the funding never reaches a mempool
  await registerAll(w);
  const f = factoryOf(w);
  expect(f.phase).toBe('funded');
  const deadline = f.proposal.proposalHeight + f.proposal.fundingTimeout;
  const funding = decodeTx((w.lsp.wallet as Wallet).tx(f.fundingTxid)?.raw as Uint8Array);
  const inputs = funding.inputs.map((i) => `${displayHex(i.txidBytes)}:${i.vout}`);
  while (w.chain.height < deadline - 1) await w.mine(1);
  // One block before the deadline nothing is abandoned yet.
  expect(factoryOf(w).phase).toBe('funded');
  for (const c of w.clients) expect(clientOf(c).factory(f.factoryId)?.phase).toBe('funded');
  await w.mine(1);
  expect(w.chain.height).toBe(deadline);
  for (const c of w.clients) {
    expect(clientOf(c).factory(f.factoryId)).toBeUndefined();
    expect((await c.events()).find((e) => e.kind === 'FactoryAbandoned')).toMatchObject({
      factoryId: f.factoryId,
      fundingTxid: f.fundingTxid,
      height: deadline,
    });
  }
  const abandoned = (await w.lsp.events()).find((e) => e.kind === 'FactoryAbandoned');
  expect(abandoned).toMatchObject({ factoryId: f.factoryId, fundingTxid: f.fundingTxid });
  const dsTxid = (abandoned as { doubleSpendTxid?: string }).doubleSpendTxid as string;
  const ds = w.broadcasts.find((b) => b.txid === dsTxid);
  expect(ds).toMatchObject({ label: 'abandon', outcome: 'accepted' });
  const spent = decodeTx(ds?.raw as Uint8Array).inputs.map((i) => `${displayHex(i.txidBytes)}:${i.vout}`);
  expect(spent.sort()).toEqual([...inputs].sort());
  await w.mine(1);
  expect((await w.chain.getTransaction(dsTxid)).confirmation?.confirmations).toBe(1);
  // The funding can no longer confirm: its inputs are spent.
  w.dropBroadcast = undefined;
  expect(() =>
    w.chain.broadcastSync(w.broadcasts.find((b) => b.label === 'funding')?.raw as Uint8Array),
  ).toThrow();
  expect((w.lsp.wallet as Wallet).tx(f.fundingTxid)?.state).toBe('conflicted');
});
