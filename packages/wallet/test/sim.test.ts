import { decodeTx as chainDecodeTx, vsize as chainVsize, SimChain, TxRejected } from '@superscalar/chain';
import { describe, expect, it } from 'vitest';
import {
  broadcastPending,
  CoinSpentError,
  FeeRateTooLowError,
  InputUnconfirmedError,
  InsufficientFundsError,
  Wallet,
  WrongNetworkError,
  WrongStateError,
} from '../src/index.js';
import { account, foreignScript, MemoryBlobs, rig } from './_harness.js';

describe('wallet on SimChain', () => {
  it('receives coins through the block follower, with confirmations', async () => {
    const r = await rig();
    await r.receive(100_000n);
    await r.receive(50_000n);
    expect(r.wallet.balance()).toEqual({ confirmed: 150_000n, unconfirmed: 0n, reserved: 0n });
    await r.mine(2);
    const c = r.wallet.coins()[0]!;
    expect(r.wallet.confirmations(c.height)).toBeGreaterThanOrEqual(3);
  });

  it('funds a factory output at an exact fee, with change, txid fixed before signing; SimChain accepts it', async () => {
    const r = await rig();
    await r.receive(80_000n);
    await r.receive(60_000n);
    const { funding, ops } = r.wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 100_000n }],
      feeRate: 2_000,
      owner: 'factory-1',
      expiresAtHeight: r.chain.height + 10,
    });
    r.store.apply(ops);
    expect(funding.fundingVout).toBe(0);
    expect(funding.changeVout).toBe(1);
    expect(r.wallet.reservations()).toHaveLength(funding.inputs.length);
    const signed = r.wallet.sign(funding.txid);
    r.store.apply(signed.ops);
    expect(signed.txid).toBe(funding.txid);
    // the oracle: chain's own codec
    const tx = chainDecodeTx(signed.raw);
    const vsize = chainVsize(tx);
    const inSum = funding.inputs.reduce((s, c) => s + c.value, 0n);
    const outSum = funding.tx.outputs.reduce((s, o) => s + o.value, 0n);
    expect(inSum - outSum).toBe(funding.fee);
    expect(funding.fee).toBe(BigInt(Math.ceil((2_000 * vsize) / 1000)));
    expect(vsize).toBe(funding.vsize);
    expect(await r.chain.broadcast(signed.raw)).toBe(funding.txid);
    await r.mine(1);
    expect(r.wallet.tx(funding.txid)?.state).toBe('confirmed');
    expect(r.wallet.reservations()).toHaveLength(0);
    expect(r.wallet.balance().confirmed).toBe(140_000n - 100_000n - funding.fee);
  });

  it('abandons a signed, broadcast funding by double-spending its inputs back to the wallet', async () => {
    const r = await rig();
    await r.receive(200_000n);
    const { funding, ops } = r.wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 150_000n }],
      feeRate: 1_000,
      owner: 'factory-2',
      expiresAtHeight: r.chain.height + 10,
    });
    r.store.apply(ops);
    const s = r.wallet.sign(funding.txid);
    r.store.apply(s.ops);
    await r.chain.broadcast(s.raw);
    const a = r.wallet.abandon(funding.txid, { feeRate: 1_000 });
    r.store.apply(a.ops);
    const ds = a.doubleSpend!;
    expect(await r.chain.broadcast(ds.raw)).toBe(ds.txid); // replaces the funding (BIP125 rules 3, 4)
    await r.mine(1);
    expect(r.wallet.tx(funding.txid)?.state).toBe('conflicted');
    expect(r.wallet.tx(ds.txid)?.state).toBe('confirmed');
    const fee = r.wallet.tx(ds.txid)!.fee!;
    expect(fee).toBeGreaterThan(funding.fee);
    expect(r.wallet.balance()).toEqual({ confirmed: 200_000n - fee, unconfirmed: 0n, reserved: 0n });
    expect(r.wallet.reservations()).toHaveLength(0);
  });

  it('abandons an unsigned funding by releasing its reservation', async () => {
    const r = await rig();
    await r.receive(200_000n);
    const { funding, ops } = r.wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 150_000n }],
      feeRate: 1_000,
      owner: 'f',
      expiresAtHeight: r.chain.height + 10,
    });
    r.store.apply(ops);
    expect(r.wallet.spendableCoins()).toHaveLength(0);
    const a = r.wallet.abandon(funding.txid, { feeRate: 1_000 });
    expect(a.doubleSpend).toBeUndefined();
    expect(r.wallet.tx(funding.txid)?.state).toBe('abandoned');
    expect(r.wallet.spendableCoins()).toHaveLength(1);
  });

  it('a reorg un-confirms a coin (not spendable by funding), which confirms again on the new branch', async () => {
    const r = await rig();
    const got = await r.receive(100_000n);
    const hash = await r.chain.blockHash(got.height);
    await r.chain.invalidateBlock(hash);
    await r.poll();
    expect(r.wallet.balance()).toEqual({ confirmed: 0n, unconfirmed: 100_000n, reserved: 0n });
    expect(() =>
      r.wallet.buildFunding({
        outputs: [{ script: foreignScript(), value: 10_000n }],
        feeRate: 1_000,
        owner: 'f',
        expiresAtHeight: r.chain.height + 10,
      }),
    ).toThrow(InsufficientFundsError);
    await r.mine(1); // the funding tx went back to the mempool and is mined again
    expect(r.wallet.balance()).toEqual({ confirmed: 100_000n, unconfirmed: 0n, reserved: 0n });
    expect(r.wallet.coins()).toHaveLength(1);
  });

  it('a reorg during funding: signing refuses with InputUnconfirmedError, the reservation holds, and signing works once it confirms again', async () => {
    const r = await rig();
    const got = await r.receive(100_000n);
    const { funding, ops } = r.wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 50_000n }],
      feeRate: 1_000,
      owner: 'f',
      expiresAtHeight: r.chain.height + 10,
    });
    r.store.apply(ops);
    await r.chain.invalidateBlock(await r.chain.blockHash(got.height));
    await r.poll();
    expect(() => r.wallet.sign(funding.txid)).toThrow(InputUnconfirmedError);
    expect(r.wallet.tx(funding.txid)?.state).toBe('built');
    expect(r.wallet.reservations()).toHaveLength(1);
    await r.mine(1);
    const s = r.wallet.sign(funding.txid);
    expect(await r.chain.broadcast(s.raw)).toBe(funding.txid);
  });

  it('follows a 3-block reorg: coins move to the new branch, nothing counted twice', async () => {
    const r = await rig();
    await r.chain.mine(110); // the faucet's coinbases stay mature across the reorg
    await r.poll();
    const a = await r.receive(10_000n);
    await r.receive(20_000n);
    await r.receive(30_000n);
    const before = r.wallet.balance();
    await r.chain.invalidateBlock(await r.chain.blockHash(a.height));
    await r.mine(4); // the new branch re-mines the three payments in its first block
    expect(r.wallet.balance()).toEqual(before);
    expect(r.wallet.coins()).toHaveLength(3);
    for (const c of r.wallet.coins()) expect(await r.chain.blockHash(c.height!)).toBe(c.blockHash);
    expect(r.wallet.tipHeight).toBe(r.chain.height);
  });

  it('recovers from the mnemonic alone by a rescan from the birth height (receive and change chains, gap limit)', async () => {
    const r = await rig();
    const birth = r.chain.height + 1;
    for (let i = 0; i < 3; i++) await r.receive(BigInt(40_000 + i));
    // skip addresses within the gap limit
    for (let i = 0; i < 10; i++) r.store.apply(r.wallet.newAddress().ops);
    await r.receive(77_000n);
    const { funding, ops } = r.wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 30_000n }],
      feeRate: 1_000,
      owner: 'f',
      expiresAtHeight: r.chain.height + 10,
    });
    r.store.apply(ops);
    const s = r.wallet.sign(funding.txid);
    await r.chain.broadcast(s.raw);
    await r.mine(3);
    const fresh = Wallet.create({ account: account(0), birthHeight: birth });
    const store = new MemoryBlobs();
    store.apply(fresh.ops);
    const { attach } = await import('./_harness.js');
    const r2 = attach(r.chain, store, fresh.wallet);
    await r2.poll();
    expect(r2.wallet.balance()).toEqual(r.wallet.balance());
    const key = (w: Wallet) =>
      w
        .coins()
        .filter((c) => c.spentBy === null)
        .map((c) => `${c.txid}:${c.vout}:${c.value}`)
        .sort();
    expect(key(r2.wallet)).toEqual(key(r.wallet));
  });

  it('a coin spent behind its back (another wallet of the same seed): CoinSpentError on broadcast, state consistent after the block', async () => {
    const r = await rig();
    await r.receive(100_000n);
    // a second wallet of the same seed, on its own store
    const other = Wallet.create({ account: account(0), birthHeight: r.wallet.tipHeight - 1 });
    const s2 = new MemoryBlobs();
    s2.apply(other.ops);
    const { attach } = await import('./_harness.js');
    const r2 = attach(r.chain, s2, other.wallet);
    await r2.poll();
    const opts = (owner: string) => ({
      outputs: [{ script: foreignScript(), value: owner === 'a' ? 45_000n : 40_000n }],
      feeRate: 1_000,
      owner,
      expiresAtHeight: r.chain.height + 10,
    });
    const mine = r.wallet.buildFunding(opts('a'));
    r.store.apply(mine.ops);
    r.store.apply(r.wallet.sign(mine.funding.txid).ops);
    const theirs = r2.wallet.buildFunding(opts('b'));
    const t = r2.wallet.sign(theirs.funding.txid);
    await r.chain.broadcast(t.raw);
    await r.chain.mine(1); // not polled yet by the first wallet
    await expect(
      broadcastPending({ wallet: r.wallet, chain: r.chain, txid: mine.funding.txid, commit: r.store.commit }),
    ).rejects.toBeInstanceOf(CoinSpentError);
    expect(r.wallet.tx(mine.funding.txid)?.state).toBe('conflicted');
    await r.poll();
    await r2.poll();
    expect(r.wallet.balance()).toEqual(r2.wallet.balance());
    expect(r.wallet.balance().confirmed).toBe(100_000n - 40_000n - theirs.funding.fee);
  });

  it('typed errors for bad input: insufficient funds, a rate below the relay floor, an address of another network', async () => {
    const r = await rig();
    await r.receive(10_000n);
    const base = { owner: 'x', expiresAtHeight: r.chain.height + 5 };
    expect(() =>
      r.wallet.buildFunding({
        ...base,
        outputs: [{ script: foreignScript(), value: 9_900n }],
        feeRate: 1_000,
      }),
    ).toThrow(InsufficientFundsError);
    expect(() =>
      r.wallet.buildFunding({ ...base, outputs: [{ script: foreignScript(), value: 1_000n }], feeRate: 999 }),
    ).toThrow(FeeRateTooLowError);
    expect(() =>
      r.wallet.buildFunding({
        ...base,
        outputs: [
          { address: 'bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr', value: 1_000n },
        ],
        feeRate: 1_000,
      }),
    ).toThrow(WrongNetworkError);
    // nothing was reserved or recorded by the failures
    expect(r.wallet.reservations()).toHaveLength(0);
    expect(r.wallet.txs(['built'])).toHaveLength(0);
    expect(TxRejected).toBeDefined();
  });

  it('resumes from its stored checkpoint after a restart, across a reorg that happened while it was down', async () => {
    const r = await rig();
    await r.chain.mine(110);
    await r.poll();
    const a = await r.receive(10_000n);
    await r.receive(20_000n);
    await r.mine(1);
    // "crash": only the stored blobs survive; meanwhile the last 3 blocks are replaced
    await r.chain.invalidateBlock(await r.chain.blockHash(a.height + 1));
    await r.chain.mine(4);
    const { attach } = await import('./_harness.js');
    const w2 = Wallet.load(r.store.list(), { account: account(0) });
    const r2 = attach(r.chain, r.store, w2);
    await r2.poll();
    expect(w2.tipHeight).toBe(r.chain.height);
    expect(w2.balance()).toEqual({ confirmed: 30_000n, unconfirmed: 0n, reserved: 0n });
    for (const c of w2.coins()) expect(await r.chain.blockHash(c.height!)).toBe(c.blockHash);
  });

  it('an unsigned funding conflicted by a block stays dead when that block is disconnected; signing after the reservation expired is refused', async () => {
    const r = await rig();
    await r.chain.mine(110);
    await r.poll();
    await r.receive(100_000n);
    await r.receive(90_000n);
    const other = Wallet.create({ account: account(0), birthHeight: r.wallet.tipHeight - 1 });
    const s2 = new MemoryBlobs();
    s2.apply(other.ops);
    const { attach } = await import('./_harness.js');
    const r2 = attach(r.chain, s2, other.wallet);
    await r2.poll();
    const built = r.wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 150_000n }],
      feeRate: 1_000,
      owner: 'a',
      expiresAtHeight: r.chain.height + 3,
    });
    r.store.apply(built.ops);
    const theirs = r2.wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 20_000n }],
      feeRate: 1_000,
      owner: 'b',
      expiresAtHeight: r.chain.height + 3,
    });
    const sig = r2.wallet.sign(theirs.funding.txid);
    await r.chain.broadcast(sig.raw);
    const [spendBlock] = await r.mine(1);
    expect(r.wallet.tx(built.funding.txid)?.state).toBe('conflicted');
    await r.chain.invalidateBlock(spendBlock!);
    await r.chain.mine(2, { empty: true }); // the conflicting spend is not mined again
    await r.poll();
    expect(r.wallet.tx(built.funding.txid)?.state).toBe('abandoned');
    expect(r.wallet.spendableCoins()).toHaveLength(2); // free again, and reserved by nobody
    // a fresh build whose reservation lapses cannot be signed afterwards
    const again = r.wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 30_000n }],
      feeRate: 1_000,
      owner: 'c',
      expiresAtHeight: r.chain.height + 1,
    });
    r.store.apply(again.ops);
    await r.mine(1);
    expect(() => r.wallet.sign(again.funding.txid)).toThrow(WrongStateError);
  });

  it('prunes spent coins and settled transactions pruneDepth blocks deep, in memory and in the store', async () => {
    const chain = new SimChain();
    const store = new MemoryBlobs();
    const created = Wallet.create({ account: account(0), birthHeight: 1, pruneDepth: 100 });
    store.apply(created.ops);
    const { attach } = await import('./_harness.js');
    const r = attach(chain, store, created.wallet);
    const got = await r.receive(100_000n);
    const { funding, ops } = r.wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 30_000n }],
      feeRate: 1_000,
      owner: 'f',
      expiresAtHeight: chain.height + 10,
    });
    r.store.apply(ops);
    const s = r.wallet.sign(funding.txid);
    r.store.apply(s.ops);
    await chain.broadcast(s.raw);
    await r.mine(1);
    const balance = r.wallet.balance();
    await r.mine(99);
    expect(r.wallet.coin(got)).toBeDefined(); // 99 deep: kept
    await r.mine(17); // past 100 deep and a pruning height
    expect(r.wallet.coin(got)).toBeUndefined();
    expect(r.wallet.tx(got.txid)).toBeUndefined();
    expect(r.wallet.tx(funding.txid)?.state).toBe('confirmed'); // its change is still a coin
    expect(r.wallet.balance()).toEqual(balance);
    expect([...store.rows.keys()].some((k) => k.includes(got.txid))).toBe(false);
    const reloaded = Wallet.load(store.list(), { account: account(0), pruneDepth: 100 });
    expect(reloaded.coins()).toEqual(r.wallet.coins());
    expect(() => Wallet.load(store.list(), { account: account(0), pruneDepth: 5 })).toThrow(/pruneDepth/);
  });

  it('restores the same state from the stored blobs', async () => {
    const r = await rig();
    await r.receive(100_000n);
    const { funding, ops } = r.wallet.buildFunding({
      outputs: [{ script: foreignScript(), value: 30_000n }],
      feeRate: 1_000,
      owner: 'f',
      expiresAtHeight: r.chain.height + 10,
    });
    r.store.apply(ops);
    const w2 = Wallet.load(r.store.list(), { account: account(0) });
    expect(w2.coins()).toEqual(r.wallet.coins());
    expect(w2.reservations()).toEqual(r.wallet.reservations());
    expect(w2.tx(funding.txid)).toEqual(r.wallet.tx(funding.txid));
    expect(w2.followFrom()).toEqual(r.wallet.followFrom());
    expect(new SimChain()).toBeDefined();
  });
});
