import { buildCpfpChild, signedCpfpChildBytes } from '@superscalar/factory-tree';
import { txidOf, txVsize } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { CoinSpentError, UnknownTxError } from '../src/index.js';
import { rig, zeroFeeParent } from './_harness.js';

describe('fee coins and CPFP', () => {
  it('CPFPs a zero-fee v3 parent through broadcastPackage with a fee coin from the pool; the change comes back', async () => {
    const r = await rig();
    // the parent: a v3 transaction with a 240-sat P2A anchor and no fee, spending some other key's coin
    const { parent, sig, parentRaw } = await zeroFeeParent((s, a) => r.chain.fund(s, a));
    await expect(r.chain.broadcast(parentRaw)).rejects.toThrow(/min relay fee not met|fee/);

    // the pool: one large coin split into fee coins
    await r.receive(500_000n);
    const split = r.wallet.splitFeeCoins({ count: 3, value: 20_000n, feeRate: 1_000 })!;
    r.store.apply(split.ops);
    await r.chain.broadcast(split.raw);
    await r.mine(1);
    expect(r.wallet.feeCoins({ minValue: 20_000n, maxValue: 20_000n })).toHaveLength(3);
    expect(r.wallet.splitFeeCoins({ count: 3, value: 20_000n, feeRate: 1_000 })).toBeUndefined();

    const taken = r.wallet.takeFeeCoin({
      owner: 'exit-1',
      minValue: 10_000n,
      expiresAtHeight: r.chain.height + 6,
    })!;
    r.store.apply(taken.ops);
    expect(taken.coin.value).toBe(20_000n);
    const change = r.wallet.changeScript();
    r.store.apply(change.ops);
    // factory-tree's builder takes the wallet coin as its FeeCoin unchanged
    const child = buildCpfpChild({
      parent: {
        txid: txidOf(parent),
        anchorVout: 1,
        anchorValue: 240n,
        fee: 0n,
        vsize: txVsize(parent, [[sig]]),
      },
      feeCoin: taken.coin,
      changeScript: change.script,
      feeRate: 2_000,
    });
    const childRaw = signedCpfpChildBytes(child, r.wallet.signInput(taken.coin, child.sighash));
    const rec = r.wallet.recordBroadcast(childRaw, { kind: 'cpfp', owner: 'exit-1' });
    r.store.apply(rec.ops);
    const accepted = await r.chain.broadcastPackage(parentRaw, childRaw);
    expect(accepted.parentTxid).toBe(txidOf(parent));
    expect(accepted.childTxid).toBe(rec.txid);
    await r.mine(1);
    expect(r.wallet.tx(rec.txid)?.state).toBe('confirmed');
    const back = r.wallet.coin({ txid: rec.txid, vout: 0 })!;
    expect(back.height).toBe(r.chain.height);
    expect(back.value).toBe(20_000n + 240n - child.fee);
    expect(r.wallet.coin(taken.coin)?.spentBy).toBe(rec.txid);
    expect(r.wallet.reservations().filter((x) => x.owner === 'exit-1')).toHaveLength(0);
  });

  it('never hands out a fee coin twice', async () => {
    const r = await rig();
    await r.receive(30_000n);
    const a = r.wallet.takeFeeCoin({ owner: 'a', minValue: 1_000n, expiresAtHeight: r.chain.height + 3 });
    expect(a).toBeDefined();
    expect(
      r.wallet.takeFeeCoin({ owner: 'b', minValue: 1_000n, expiresAtHeight: r.chain.height + 3 }),
    ).toBeUndefined();
    r.store.apply(r.wallet.release('a'));
    expect(
      r.wallet.takeFeeCoin({ owner: 'b', minValue: 1_000n, expiresAtHeight: r.chain.height + 3 }),
    ).toBeDefined();
    // expiry: after the height, the reservation lapses
    await r.mine(3);
    expect(r.wallet.reservations()).toHaveLength(0);
    expect(r.wallet.spendableCoins()).toHaveLength(1);
  });

  it('re-bumps a child on the same fee coin (recordBroadcast replaces): the new one wins, the old is conflicted', async () => {
    const r = await rig();
    const { parent, sig, parentRaw } = await zeroFeeParent((s, a) => r.chain.fund(s, a));
    await r.receive(30_000n);
    const taken = r.wallet.takeFeeCoin({
      owner: 'tower',
      minValue: 10_000n,
      expiresAtHeight: r.chain.height + 6,
    })!;
    const change = r.wallet.changeScript();
    const anchored = {
      txid: txidOf(parent),
      anchorVout: 1,
      anchorValue: 240n,
      fee: 0n,
      vsize: txVsize(parent, [[sig]]),
    };
    const childAt = (feeRate: number) => {
      const c = buildCpfpChild({
        parent: anchored,
        feeCoin: taken.coin,
        changeScript: change.script,
        feeRate,
      });
      return signedCpfpChildBytes(c, r.wallet.signInput(taken.coin, c.sighash));
    };
    const first = r.wallet.recordBroadcast(childAt(2_000), { kind: 'cpfp', owner: 'tower' });
    await r.chain.broadcastPackage(parentRaw, first.raw);
    const second = childAt(5_000);
    // without `replaces` the coin is already spent by the first child
    expect(() => r.wallet.recordBroadcast(second, { kind: 'cpfp', owner: 'tower' })).toThrow(CoinSpentError);
    expect(() => r.wallet.recordBroadcast(second, { kind: 'cpfp', replaces: '00'.repeat(32) })).toThrow(
      UnknownTxError,
    );
    const bumped = r.wallet.recordBroadcast(second, { kind: 'cpfp', owner: 'tower', replaces: first.txid });
    expect(r.wallet.coin(taken.coin)?.spentBy).toBe(bumped.txid);
    expect(r.wallet.tx(bumped.txid)?.replaces).toBe(first.txid);
    const accepted = await r.chain.broadcastPackage(parentRaw, bumped.raw);
    expect(accepted.replacedTxids).toContain(first.txid);
    await r.mine(1);
    expect(r.wallet.tx(bumped.txid)?.state).toBe('confirmed');
    expect(r.wallet.tx(first.txid)?.state).toBe('conflicted');
    expect(r.wallet.coin({ txid: first.txid, vout: 0 })).toBeUndefined();
    expect(r.wallet.coin({ txid: bumped.txid, vout: 0 })?.height).toBe(r.chain.height);
  });
});
