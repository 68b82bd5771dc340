// (c) A revoked commitment confirms: two poon-dryja Channels driven as the poon-dryja README's example
// does, the LSP's channel hands its tower the pre-signed penalties of each revoked client commitment
// (every outpoint copy), the client publishes its revoked commitment 0, and the tower's penalty goes out
// in the next block with a CPFP child and takes the revoked outputs to the LSP's sweep script.
import { decodeTx } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { penaltyEntries } from '../src/index.js';
import { LSP_SWEEP, openChannelPair, payment } from './_channel.js';
import { towerRig } from './_rig.js';

describe('(c) a revoked commitment confirms', () => {
  it('its penalty confirms in the next block, with a CPFP child from the tower’s wallet', async () => {
    const r = await towerRig();
    const pair = openChannelPair(r.chain);
    await r.poll();
    const old = pair.ch.client.forceCloseTransaction(); // the client's commitment 0, signed
    const p = payment('one');
    pair.run('lsp', {
      type: 'add_htlc',
      amountMsat: 50_000_000n,
      paymentHash: p.hash,
      cltvExpiry: r.chain.height + 500,
    });
    pair.run('lsp', { type: 'commit' });
    pair.run('client', { type: 'fulfill_htlc', id: 0n, preimage: p.preimage });
    pair.run('client', { type: 'commit' });
    expect(pair.ch.client.localCommitmentNumber).toBeGreaterThanOrEqual(2);
    // every revocation's watch goes into the role's update before it acks (here: at once)
    for (const rv of pair.revoked) await r.add(penaltyEntries({ factoryId: null, copies: rv.copies }));
    const rev0 = pair.revoked.find((x) => x.commitmentNumber === 0);
    expect(rev0?.copies).toHaveLength(1);
    expect(rev0?.copies[0]?.commitmentTxid).toBe(old.commitment.txid);
    const penalty = rev0?.copies[0]?.penalties[0] as Uint8Array;

    await r.chain.broadcast(old.bytes); // the client cheats
    await r.mine(1);
    const h = r.chain.height;
    expect(r.eventsOf('triggered')).toMatchObject([
      { triggerTxid: old.commitment.txid, height: h, kinds: ['penalty'] },
    ]);
    const sent = r.eventsOf('response_broadcast');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.childTxid).toBeDefined();
    await r.mine(1);
    const done = r.eventsOf('response_confirmed');
    expect(done).toMatchObject([{ kind: 'penalty', height: h + 1 }]);
    const tx = decodeTx(penalty);
    const u = r.chain.utxo({ txid: done[0]?.txid as string, vout: 0 });
    expect(u?.scriptPubKey).toEqual(LSP_SWEEP);
    expect(u?.value).toBe(tx.outputs[0]?.value);
    // it took the client's whole revoked to_local (its balance, 300,000 sats, less the penalty's fee)
    const toLocal = old.commitment.outputs.find((o) => o.role === 'to_local');
    expect(tx.inputs.map((i) => i.vout)).toContain(toLocal?.vout);
    expect(u?.value).toBeGreaterThan(290_000n);
  });
});
