// fundCpfpChild on an anchor a block the wallet holds already spent (another party's child
// confirmed on it): the child is conflicted at creation (`SignedTx.conflictedBy`), reported as such
// (never to be broadcast), its fee coin spendable again; the same parent's child before that block is
// an ordinary one. Real SimChain, real wallets.
import { txidOf, txVsize } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { rig, zeroFeeParent } from '../../wallet/test/_harness.js';
import { fundCpfpChild } from '../src/index.js';

describe('fundCpfpChild: a child conflicted at creation', () => {
  it('is reported conflictedBy the confirmed spend of its anchor, not as a child; its fee coin is free again', async () => {
    const us = await rig();
    const them = await rig({ chain: us.chain, accountIndex: 1 });
    await us.receive(200_000n);
    await them.receive(200_000n);
    const p = await zeroFeeParent((s, a) => us.chain.fund(s, a));
    await us.poll();
    await them.poll();
    const parent = {
      txid: txidOf(p.parent),
      anchorVout: 1,
      anchorValue: 240n,
      fee: 0n,
      vsize: txVsize(p.parent, [[p.sig]]),
    };
    const opts = { parent, changeScript: null, previous: null, feeRate: 2_000, tip: us.chain.height };
    const theirs = fundCpfpChild({ ...opts, wallet: them.wallet, owner: 'their-exit' });
    if (!theirs.ok) throw new Error('their child');
    them.store.apply(theirs.ops);
    await us.chain.broadcastPackage(p.parentRaw, theirs.child.raw);
    await us.mine(1);

    const ours = fundCpfpChild({ ...opts, wallet: us.wallet, owner: 'our-exit', tip: us.chain.height });
    expect(ours).toMatchObject({ ok: false, conflictedBy: theirs.child.txid });
    expect('child' in ours).toBe(false);
    us.store.apply(ours.ops);
    expect(us.wallet.pendingBroadcasts()).toEqual([]);
    expect(us.wallet.balance()).toMatchObject({ confirmed: 200_000n, unconfirmed: 0n });
    expect(us.wallet.reservations().filter((r) => r.owner === 'our-exit')).toEqual([]);
    // the next pick (the next block) finds the same coin free
    expect(us.wallet.spendableCoins().some((c) => c.value === 200_000n)).toBe(true);
  });
});
