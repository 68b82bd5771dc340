// Property: whatever mix of payments, fundings, abandons and reorgs, the wallet's confirmed view equals
// what a fresh wallet of the same mnemonic finds by rescanning the chain (nothing counted twice, nothing
// lost), and every confirmed coin sits in a block of the best chain.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import { Wallet as W, type Wallet } from '../src/index.js';
import { account, attach, foreignScript, MemoryBlobs, rig } from './_harness.js';

const RUNS = propertyRuns(12, 4);
console.log(`reorg property: ${RUNS} runs (PROPERTY_RUNS)`);

type Action =
  | { k: 'receive'; amount: number }
  | { k: 'mine'; n: number }
  | { k: 'reorg'; depth: number; extra: number; pollBetween: boolean }
  | { k: 'fund'; amount: number; broadcast: boolean }
  | { k: 'abandon' };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ k: fc.constant('receive' as const), amount: fc.integer({ min: 20_000, max: 200_000 }) }),
  fc.record({ k: fc.constant('mine' as const), n: fc.integer({ min: 1, max: 2 }) }),
  fc.record({
    k: fc.constant('reorg' as const),
    depth: fc.integer({ min: 1, max: 3 }),
    extra: fc.integer({ min: 0, max: 1 }),
    pollBetween: fc.boolean(),
  }),
  fc.record({
    k: fc.constant('fund' as const),
    amount: fc.integer({ min: 5_000, max: 100_000 }),
    broadcast: fc.boolean(),
  }),
  fc.constant({ k: 'abandon' as const }),
);

function confirmedView(w: Wallet): string[] {
  return w
    .coins()
    .filter((c) => c.height !== null)
    .map((c) => `${c.txid}:${c.vout}:${c.value}:${c.height}:${c.spentHeight ?? '-'}`)
    .sort();
}

/** Every confirmed coin and confirmed spend sits in a block of the best chain, at the wallet's tip. */
async function checkView(
  w: Wallet,
  chain: { height: number; blockHash(h: number): Promise<string> },
): Promise<void> {
  expect(w.tipHeight).toBe(chain.height);
  for (const c of w.coins()) {
    if (c.height !== null) expect(await chain.blockHash(c.height)).toBe(c.blockHash);
    if (c.spentHeight !== null) expect(await chain.blockHash(c.spentHeight)).toBe(c.spentBlockHash);
  }
}

describe('wallet through random reorgs', () => {
  it('the confirmed view always equals a fresh rescan of the chain', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 12 }), async (actions) => {
        const r = await rig();
        await r.chain.mine(110); // faucet coinbases stay mature through reorgs
        await r.poll();
        const birth = r.wallet.tipHeight + 1;
        for (const a of actions) {
          if (a.k === 'receive') await r.receive(BigInt(a.amount));
          else if (a.k === 'mine') await r.mine(a.n);
          else if (a.k === 'reorg') {
            if (r.chain.height - a.depth + 1 <= birth) continue;
            await r.chain.invalidateBlock(await r.chain.blockHash(r.chain.height - a.depth + 1));
            if (a.pollBetween) {
              await r.poll(); // the wallet sees the shorter chain first
              await checkView(r.wallet, r.chain);
            }
            await r.mine(a.depth + a.extra);
          } else if (a.k === 'fund') {
            try {
              const { funding, ops } = r.wallet.buildFunding({
                outputs: [{ script: foreignScript(), value: BigInt(a.amount) }],
                feeRate: 1_000,
                owner: `f${a.amount}`,
                expiresAtHeight: r.chain.height + 20,
              });
              r.store.apply(ops);
              const s = r.wallet.sign(funding.txid);
              r.store.apply(s.ops);
              if (a.broadcast) await r.chain.broadcast(s.raw);
            } catch (e) {
              if (!(e as { code?: string }).code?.startsWith('WALLET_')) throw e;
            }
          } else {
            const open = r.wallet.txs(['pending']).filter((t) => t.kind === 'funding');
            const t = open[0];
            if (t === undefined) continue;
            try {
              const ab = r.wallet.abandon(t.txid, { feeRate: 1_000 });
              r.store.apply(ab.ops);
              await r.chain.broadcast(ab.doubleSpend!.raw);
            } catch (e) {
              const code = (e as { code?: string; reason?: string }).code ?? '';
              if (!code.startsWith('WALLET_') && !code.includes('TX_REJECTED')) throw e;
            }
          }
          await r.poll();
          await checkView(r.wallet, r.chain);
        }
        await r.mine(1);
        // a fresh wallet from the mnemonic, rescanning from the birth height
        const fresh = W.create({ account: account(0), birthHeight: birth });
        const store = new MemoryBlobs();
        store.apply(fresh.ops);
        const r2 = attach(r.chain, store, fresh.wallet);
        await r2.poll();
        expect(confirmedView(r.wallet)).toEqual(confirmedView(r2.wallet));
        for (const c of r.wallet.coins())
          if (c.height !== null) expect(await r.chain.blockHash(c.height)).toBe(c.blockHash);
        // the stored blobs reload to the same wallet
        const reloaded = W.load(r.store.list(), { account: account(0) });
        expect(reloaded.coins()).toEqual(r.wallet.coins());
        expect(reloaded.reservations()).toEqual(r.wallet.reservations());
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});
