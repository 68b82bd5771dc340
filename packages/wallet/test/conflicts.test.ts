// Conflicted and abandoned pending transactions (Bitcoin Core's wallet: conflicted transactions,
// `abandontransaction`): a CPFP child whose anchor — an input that is not the wallet's — a confirmed
// transaction of another party already spent is conflicted, whether it was recorded before the block
// (the spender index), after it (the recent blocks' spends), or after a restart (a refused broadcast
// resolved with `getSpend`); its fee coin is spendable again, durably; a reorg that removes the
// conflicting spend makes it pending again. A crash between a block and its persist replays the
// block. A pending transaction the backend does not hold can be abandoned.
import { BlockFollower, type SimChain } from '@superscalar/chain';
import { buildCpfpChild, signedCpfpChildBytes } from '@superscalar/factory-tree';
import { type Tx, txidOf, txVsize } from '@superscalar/tx';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  abandonIfAbsent,
  broadcastPending,
  CoinSpentError,
  followWallet,
  isMissingInputs,
  resolveRefusal,
  Wallet,
  WrongStateError,
} from '../src/index.js';
import { account, attach, type Rig, rig, zeroFeeParent } from './_harness.js';

/** A CPFP child of `parent`'s P2A anchor (vout 1) paid by a fee coin of `r`'s wallet, recorded pending. */
function child(r: Rig, parent: { parent: Tx; sig: Uint8Array }, owner: string, feeRate = 2_000) {
  const taken = r.wallet.takeFeeCoin({ owner, minValue: 10_000n, expiresAtHeight: r.chain.height + 50 });
  if (taken === undefined) throw new Error('no fee coin');
  r.store.apply(taken.ops);
  const change = r.wallet.changeScript();
  r.store.apply(change.ops);
  const c = buildCpfpChild({
    parent: {
      txid: txidOf(parent.parent),
      anchorVout: 1,
      anchorValue: 240n,
      fee: 0n,
      vsize: txVsize(parent.parent, [[parent.sig]]),
    },
    feeCoin: taken.coin,
    changeScript: change.script,
    feeRate,
  });
  const raw = signedCpfpChildBytes(c, r.wallet.signInput(taken.coin, c.sighash));
  const rec = r.wallet.recordBroadcast(raw, { kind: 'cpfp', owner });
  r.store.apply(rec.ops);
  return { rec, coin: taken.coin };
}

/** Two wallets on one chain: `us` (account 0) and `them` (account 1), each with a 200,000-sat coin. */
async function twoWallets() {
  const us = await rig();
  const them = await rig({ chain: us.chain, accountIndex: 1 });
  await us.receive(200_000n);
  await them.receive(200_000n);
  await us.poll();
  const p = await zeroFeeParent((s, a) => us.chain.fund(s, a));
  await us.poll();
  await them.poll();
  return { us, them, p, chain: us.chain };
}

/** The wallet reloaded from its store, following the chain from its stored checkpoint. */
function reload(r: Rig): Rig {
  return attach(r.chain, r.store, Wallet.load(r.store.list(), { account: account(0) }));
}

async function mineBoth(us: Rig, them: Rig): Promise<void> {
  await us.mine(1);
  await them.poll();
}

describe('conflicted pending transactions', () => {
  it('a child recorded after another party’s child confirmed on the same anchor is conflicted at once: its fee coin spendable, durably; a reorg removing the spend makes it pending again', async () => {
    const { us, them, p, chain } = await twoWallets();
    const theirs = child(them, p, 'their-exit');
    await chain.broadcastPackage(p.parentRaw, theirs.rec.raw);
    await mineBoth(us, them);
    await us.mine(2); // the client replays from below: the wallet is already at the tip
    const ours = child(us, p, 'our-exit');
    expect(ours.rec.conflictedBy).toBe(theirs.rec.txid);
    const t = us.wallet.tx(ours.rec.txid)!;
    expect(t.state).toBe('conflicted');
    expect(t.conflictedBy).toBe(theirs.rec.txid);
    expect(us.wallet.coin(ours.coin)?.spentBy).toBeNull();
    expect(us.wallet.coin({ txid: ours.rec.txid, vout: 0 })).toBeUndefined();
    expect(us.wallet.balance()).toMatchObject({ confirmed: 200_000n, unconfirmed: 0n });
    expect(us.wallet.spendableCoins().map((c) => c.txid)).toContain(ours.coin.txid);
    expect(us.wallet.reservations().filter((x) => x.owner === 'our-exit')).toEqual([]);
    expect(us.wallet.pendingBroadcasts()).toEqual([]);

    // durable: the store holds the same verdict
    const back = reload(us);
    expect(back.wallet.tx(ours.rec.txid)?.state).toBe('conflicted');
    expect(back.wallet.balance()).toMatchObject({ confirmed: 200_000n, unconfirmed: 0n });

    // a reorg removing the block of their child: ours is pending again (its fee coin spent by it)
    const spendHeight = chain.height - 2;
    await chain.invalidateBlock(await chain.blockHash(spendHeight));
    await back.poll();
    expect(back.wallet.tipHeight).toBe(spendHeight - 1);
    expect(back.wallet.tx(ours.rec.txid)?.state).toBe('pending');
    expect(back.wallet.coin(ours.coin)?.spentBy).toBe(ours.rec.txid);
    expect(back.wallet.pendingBroadcasts().map((x) => x.txid)).toEqual([ours.rec.txid]);
  });

  it('recorded before the block (spender index), with a crash between the block and its persist: the replayed block conflicts it', async () => {
    const { us, them, p, chain } = await twoWallets();
    const ours = child(us, p, 'our-exit');
    expect(ours.rec.conflictedBy).toBeUndefined();
    expect(us.wallet.tx(ours.rec.txid)?.state).toBe('pending');
    const theirs = child(them, p, 'their-exit', 5_000);
    await chain.broadcastPackage(p.parentRaw, theirs.rec.raw);
    // the wallet's process dies after applying the block in memory, before the store has it
    const crashing = new BlockFollower(chain);
    const dying = Wallet.load(us.store.list(), { account: account(0) });
    followWallet({
      wallet: dying,
      follower: crashing,
      commit: async () => {
        throw new Error('kill -9 before the update is durable');
      },
    });
    await chain.mine(1);
    await crashing.poll();
    expect(dying.tx(ours.rec.txid)?.state).toBe('conflicted'); // in memory only
    const stored = Wallet.load(us.store.list(), { account: account(0) });
    expect(stored.tx(ours.rec.txid)?.state).toBe('pending');
    // restart: the block comes again from the stored checkpoint
    const back = reload(us);
    await back.poll();
    expect(back.wallet.tx(ours.rec.txid)?.state).toBe('conflicted');
    expect(back.wallet.coin(ours.coin)?.spentBy).toBeNull();
    expect(back.wallet.balance()).toMatchObject({ confirmed: 200_000n, unconfirmed: 0n });
    expect(reload(back).wallet.tx(ours.rec.txid)?.state).toBe('conflicted');
  });

  it('recorded after a restart (the recent spends are memory only): the refused broadcast resolves it with getSpend, and a reorg undoes it', async () => {
    const { us, them, p, chain } = await twoWallets();
    const theirs = child(them, p, 'their-exit');
    await chain.broadcastPackage(p.parentRaw, theirs.rec.raw);
    await mineBoth(us, them);
    const back = reload(us);
    const ours = child(back, p, 'our-exit');
    expect(ours.rec.conflictedBy).toBeUndefined(); // nothing in memory tells it
    await expect(
      broadcastPending({ wallet: back.wallet, chain, txid: ours.rec.txid, commit: back.store.commit }),
    ).rejects.toBeInstanceOf(CoinSpentError);
    expect(back.wallet.tx(ours.rec.txid)).toMatchObject({
      state: 'conflicted',
      conflictedBy: theirs.rec.txid,
    });
    expect(back.wallet.coin(ours.coin)?.spentBy).toBeNull();
    expect(reload(back).wallet.balance()).toMatchObject({ confirmed: 200_000n, unconfirmed: 0n });
    await chain.invalidateBlock(await chain.blockHash(chain.height));
    await back.poll();
    expect(back.wallet.tx(ours.rec.txid)?.state).toBe('pending');
  });
});

describe('resolveRefusal (someone else broadcast the transaction, refused: a role’s exit package)', () => {
  it('after a restart: conflicted against the block of the anchor’s confirmed spend; then unchanged; a parent never sent: abandoned', async () => {
    const { us, them, p, chain } = await twoWallets();
    const theirs = child(them, p, 'their-exit');
    await chain.broadcastPackage(p.parentRaw, theirs.rec.raw);
    await mineBoth(us, them);
    const back = reload(us);
    const ours = child(back, p, 'our-exit');
    expect(ours.rec.conflictedBy).toBeUndefined();
    const o = { wallet: back.wallet, chain, txid: ours.rec.txid, commit: back.store.commit };
    expect(await resolveRefusal(o)).toEqual({ state: 'conflicted', conflictedBy: theirs.rec.txid });
    expect(back.wallet.tx(ours.rec.txid)).toMatchObject({
      state: 'conflicted',
      conflictBlockHash: await chain.blockHash(chain.height),
    });
    expect(reload(back).wallet.coin(ours.coin)?.spentBy).toBeNull();
    expect(await resolveRefusal(o)).toEqual({ state: 'unchanged' });

    const ghost = await zeroFeeParent(async () => ({ txid: 'ab'.repeat(32), vout: 0 }));
    const lost = child(back, ghost, 'ghost-exit');
    const g = { ...o, txid: lost.rec.txid };
    expect(await resolveRefusal(g)).toEqual({ state: 'abandoned' });
    expect(reload(back).wallet.coin(lost.coin)?.spentBy).toBeNull();
    expect(isMissingInputs('missing-inputs')).toBe(true);
    expect(isMissingInputs('bad-txns-inputs-missingorspent')).toBe(true);
    expect(isMissingInputs('txn-already-known')).toBe(false);
  });
});

describe('abandoning a pending transaction the backend does not hold', () => {
  it('abandonIfAbsent: refused (never in a mempool) → abandoned, its fee coin spendable, its change gone, durably; held by the mempool → kept', async () => {
    const { us, p, chain } = await twoWallets();
    const ours = child(us, p, 'our-exit');
    // never broadcast: the backend does not know it
    expect(
      await abandonIfAbsent({ wallet: us.wallet, chain, txid: ours.rec.txid, commit: us.store.commit }),
    ).toBe(true);
    expect(us.wallet.tx(ours.rec.txid)?.state).toBe('abandoned');
    expect(us.wallet.coin(ours.coin)?.spentBy).toBeNull();
    expect(us.wallet.coin({ txid: ours.rec.txid, vout: 0 })).toBeUndefined();
    expect(reload(us).wallet.balance()).toMatchObject({ confirmed: 200_000n, unconfirmed: 0n });
    expect(() => us.wallet.abandonTransaction(ours.rec.txid)).toThrow(WrongStateError);

    // one in the mempool stays pending, and confirms
    const again = child(us, p, 'our-exit-2');
    await chain.broadcastPackage(p.parentRaw, again.rec.raw);
    expect(
      await abandonIfAbsent({ wallet: us.wallet, chain, txid: again.rec.txid, commit: us.store.commit }),
    ).toBe(false);
    await us.mine(1);
    expect(us.wallet.tx(again.rec.txid)?.state).toBe('confirmed');
  });

  it('an abandoned transaction that confirms after all is recorded confirmed', async () => {
    const { us, p, chain } = await twoWallets();
    const ours = child(us, p, 'our-exit');
    us.store.apply(us.wallet.abandonTransaction(ours.rec.txid));
    await chain.broadcastPackage(p.parentRaw, ours.rec.raw);
    await us.mine(1);
    expect(us.wallet.tx(ours.rec.txid)?.state).toBe('confirmed');
    expect(us.wallet.coin(ours.coin)?.spentBy).toBe(ours.rec.txid);
    expect(us.wallet.coin({ txid: ours.rec.txid, vout: 0 })?.height).toBe(chain.height);
  });
});

const RUNS = propertyRuns(12, 4);
console.log(`conflicts property: ${RUNS} runs (PROPERTY_RUNS)`);

/** The anchor's spend; not spent while the parent is unknown to the chain. */
async function spendOf(chain: SimChain, o: { txid: string; vout: number }) {
  try {
    return await chain.getSpend(o);
  } catch {
    return { spent: false } as const;
  }
}

type Step = 'ours' | 'theirs' | 'mine' | 'restart' | 'reorg' | 'resolve';

describe('property: conflicts over random orders of our child, their confirmed child, restarts and reorgs', () => {
  it(`our child ends conflicted exactly when theirs holds the anchor in the chain; memory always equals the store (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Step>('ours', 'theirs', 'mine', 'restart', 'reorg', 'resolve'), {
          minLength: 2,
          maxLength: 10,
        }),
        async (steps) => {
          const w = await twoWallets();
          const { them, p, chain } = w;
          let us = w.us;
          let ours: ReturnType<typeof child> | undefined;
          let theirs: ReturnType<typeof child> | undefined;
          const anchor = { txid: txidOf(p.parent), vout: 1 };
          const settle = async () => {
            await us.poll();
            await them.poll();
          };
          for (const s of [...steps, 'resolve' as const]) {
            if (s === 'ours' && ours === undefined) ours = child(us, p, 'our-exit');
            else if (s === 'theirs' && theirs === undefined) {
              theirs = child(them, p, 'their-exit', 5_000);
              try {
                await chain.broadcastPackage(p.parentRaw, theirs.rec.raw);
              } catch {
                // ours holds the anchor already: theirs stays out
              }
              await chain.mine(1);
            } else if (s === 'mine') await chain.mine(1);
            else if (s === 'restart') us = reload(us);
            else if (s === 'reorg') {
              const spend = await spendOf(chain, anchor);
              if (spend.spent && spend.confirmation !== undefined) {
                await chain.invalidateBlock(spend.confirmation.blockHash);
                // a block without them (the mempool may bring the spend back: then it confirms again)
              }
            } else if (
              s === 'resolve' &&
              ours !== undefined &&
              us.wallet.tx(ours.rec.txid)?.state === 'pending'
            )
              await broadcastPending({
                wallet: us.wallet,
                chain,
                txid: ours.rec.txid,
                commit: us.store.commit,
              }).catch(() => undefined);
            await settle();
            // memory equals the store
            const stored = Wallet.load(us.store.list(), { account: account(0) });
            expect(stored.balance()).toEqual(us.wallet.balance());
            if (ours !== undefined)
              expect(stored.tx(ours.rec.txid)?.state).toBe(us.wallet.tx(ours.rec.txid)?.state);
          }
          if (ours === undefined) return;
          const spend = await spendOf(chain, anchor);
          const t = us.wallet.tx(ours.rec.txid)!;
          const held = spend.spent && spend.confirmation !== undefined ? spend.txid : undefined;
          if (held === ours.rec.txid) expect(t.state).toBe('confirmed');
          else if (held !== undefined) {
            expect(t).toMatchObject({ state: 'conflicted', conflictedBy: held });
            expect(us.wallet.coin(ours.coin)?.spentBy).toBeNull();
            expect(us.wallet.balance().unconfirmed).toBe(0n);
          } else {
            expect(t.state).toBe('pending');
            expect(us.wallet.coin(ours.coin)?.spentBy).toBe(ours.rec.txid);
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 600_000);
});
