// Rebinding (brief §5.4) through the state machine, on SimChain: a quiescent channel signs each
// holder's commitment n again on a new outpoint with fresh verification nonces, the number does not
// advance, the nonce from the last revoke_and_ack still signs the next ordinary commitment, and when
// commitment n is revoked the LSP holds penalties for both copies — each confirms on chain, from the
// secret-free watchtower export alone.

import { decodeTx } from '@superscalar/chain';
import { describe, expect, it } from 'vitest';
import {
  type ChannelEvent,
  decodeWatchtowerExport,
  decodeWatchtowerRecord,
  encodeWatchtowerExport,
  type FundingOutpoint,
  IllegalStepError,
  SignatureRejectedError,
  watchtowerExport,
} from '../src/index.js';
import { CLIENT, cpfpChild, feeCoin, fundChannel, LSP, makeConfig, SimChain } from './_channel.js';
import { agreement, CAPACITY, event, Pair, payment, rebindPair, SWEEP } from './channel-harness.js';

describe('rebinding (brief §5.4)', () => {
  it('an aborted rebinding still leaves the new outpoint tracked: the revoked commitment is penalised there too', () => {
    const fundA = { txid: 'a1'.repeat(32), vout: 0, amount: CAPACITY };
    const fundB = { txid: 'b2'.repeat(32), vout: 1, amount: CAPACITY };
    const pair = new Pair({ funding: fundA });
    pair.drive();
    pair.do('lsp', { type: 'quiesce' });
    pair.drive();
    const n = pair.client.localCommitmentNumber;
    const nc = event(pair.do('client', { type: 'rebind_prepare', funding: fundB }), 'rebind_nonce').nonce;
    event(pair.do('lsp', { type: 'rebind_prepare', funding: fundB }), 'rebind_nonce');
    // The LSP signs the client's commitment n on fundB, then the advance is abandoned.
    pair.do('lsp', { type: 'rebind_sign', peerNonce: nc });
    pair.ack('lsp');
    expect(pair.eventsOf('lsp', 'rebind_partial')).toHaveLength(1);
    pair.do('lsp', { type: 'resume' });
    pair.do('client', { type: 'resume' });
    expect(pair.lsp.funding.txid).toBe(fundA.txid);
    const p = payment('after abort');
    for (let i = 0; i < 2; i++) {
      pair.do('lsp', { type: 'add_htlc', amountMsat: 1_000_000n, paymentHash: p.hash, cltvExpiry: 900 });
      pair.do('lsp', { type: 'commit' });
      pair.drive();
    }
    expect(pair.errors).toEqual([]);
    const record = decodeWatchtowerRecord(pair.peers.lsp.blobs.get(`revoked/${n}`) as Uint8Array);
    expect(record.copies.map((c) => c.funding.txid).sort()).toEqual([fundA.txid, fundB.txid].sort());
    // The next revoked number was signed on fundA only.
    const next = decodeWatchtowerRecord(pair.peers.lsp.blobs.get(`revoked/${n + 1}`) as Uint8Array);
    expect(next.copies.map((c) => c.funding.txid)).toEqual([fundA.txid]);
  });

  it('rebinds a quiescent channel, keeps the number, and penalises both copies of a revoked commitment', async () => {
    const chain = new SimChain();
    await chain.mine(101);
    const config = makeConfig();
    const fundA = await fundChannel(chain, config, CAPACITY);
    const fundB = await fundChannel(chain, config, CAPACITY);
    const uses = new Map<object, number>();
    const observer = { signedWith: (n: object) => uses.set(n, (uses.get(n) ?? 0) + 1) };
    const pair = new Pair({
      funding: fundA,
      options: { lsp: { nonceObserver: observer }, client: { nonceObserver: observer } },
    });
    pair.drive();
    const p = payment('rebind');
    pair.do('lsp', { type: 'add_htlc', amountMsat: 40_000_000n, paymentHash: p.hash, cltvExpiry: 1_200 });
    pair.do('lsp', { type: 'commit' });
    pair.drive();
    expect(pair.errors).toEqual([]);
    const n = pair.client.localCommitmentNumber;
    const oldCopy = pair.client.forceCloseTransaction();

    // Rebinding needs quiescence.
    expect(() => pair.lsp.handle({ type: 'rebind_prepare', funding: fundB })).toThrow(IllegalStepError);
    pair.do('lsp', { type: 'quiesce' });
    pair.drive();
    expect(pair.eventsOf('client', 'quiescent')).toHaveLength(1);

    // A bad rebound partial signature aborts the rebinding, not the channel.
    const nl = event(pair.lsp.handle({ type: 'rebind_prepare', funding: fundB }), 'rebind_nonce').nonce;
    pair.client.handle({ type: 'rebind_prepare', funding: fundB });
    pair.do('client', { type: 'rebind_sign', peerNonce: nl });
    pair.ack('client');
    const bad = pair.eventsOf('client', 'rebind_partial')[0] as Extract<
      ChannelEvent,
      { type: 'rebind_partial' }
    >;
    const flipped = Uint8Array.from(bad.partialSig);
    flipped[0] = (flipped[0] as number) ^ 1;
    const e = (() => {
      try {
        pair.lsp.handle({ type: 'rebind_complete', partialSig: flipped, signingNonce: bad.signingNonce });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(SignatureRejectedError);
    expect((e as SignatureRejectedError).action).toBe('ignore');
    expect(pair.lsp.phase).toBe('normal');

    // The real rebinding: fresh nonces again from the start.
    rebindPair(pair, fundB);
    expect(pair.errors).toEqual([]);
    expect(pair.client.localCommitmentNumber).toBe(n);
    expect(pair.lsp.funding.txid).toBe(fundB.txid);
    expect(pair.client.funding.txid).toBe(fundB.txid);
    expect(
      pair.peers.lsp.watches
        .filter((w) => w.type === 'funding')
        .map((w) => (w as { outpoint: FundingOutpoint }).outpoint.txid),
    ).toEqual([fundA.txid, fundB.txid]);
    const newCopy = pair.client.forceCloseTransaction();
    expect(newCopy.commitment.txid).not.toBe(oldCopy.commitment.txid);
    expect(newCopy.commitment.tx.locktime).toBe(oldCopy.commitment.tx.locktime);
    expect(newCopy.commitment.tx.outputs).toEqual(oldCopy.commitment.tx.outputs);

    // Ordinary updates continue on the new outpoint with the nonces reserved by the last revocation.
    pair.do('client', { type: 'fulfill_htlc', id: 0n, preimage: p.preimage });
    pair.do('client', { type: 'commit' });
    pair.drive();
    expect(pair.errors).toEqual([]);
    expect(agreement(pair)).toEqual({ lsp: 660_000_000n, client: 340_000_000n });
    expect([...uses.values()].every((k) => k === 1)).toBe(true);

    // The client revoked n: the LSP pre-signed penalties for both copies.
    const revoked = pair.peers.lsp.watches.find((w) => w.type === 'revoked' && w.commitmentNumber === n);
    expect(revoked).toBeDefined();
    const blob = pair.peers.lsp.blobs.get(`revoked/${n}`) as Uint8Array;
    const record = decodeWatchtowerRecord(blob);
    expect(record.copies.map((c) => c.funding.txid).sort()).toEqual([fundA.txid, fundB.txid].sort());
    expect(record.copies.map((c) => c.commitmentTxid).sort()).toEqual(
      [oldCopy.commitment.txid, newCopy.commitment.txid].sort(),
    );

    // A watchtower gets the export: every outpoint and every revoked record, and no secret.
    const records = [...pair.peers.lsp.blobs.entries()]
      .filter(([k]) => k.startsWith('revoked/'))
      .map(([, b]) => decodeWatchtowerRecord(b));
    const exported = encodeWatchtowerExport(watchtowerExport(pair.lsp.state, records));
    const hex = Buffer.from(exported).toString('hex');
    const secrets = [LSP, CLIENT].flatMap((k) => [
      k.funding,
      k.revocation,
      k.payment,
      k.delayedPayment,
      k.htlc,
      k.shachainSeed,
    ]);
    for (const side of ['lsp', 'client'] as const)
      for (let i = 0; i < pair.peers[side].channel.localCommitmentNumber; i++)
        secrets.push(pair.peers[side].channel.revealedSecret(i) as Uint8Array);
    for (const s of secrets) expect(hex.includes(Buffer.from(s).toString('hex'))).toBe(false);
    const tower = decodeWatchtowerExport(exported);
    expect(tower.outpoints.map((o) => o.txid)).toEqual([fundA.txid, fundB.txid]);

    // Both copies of the revoked commitment confirm (they spend different outpoints); the tower's
    // penalties for each confirm in turn.
    for (const copy of [oldCopy, newCopy]) {
      const anchor = copy.commitment.outputs.find((o) => o.role === 'anchor');
      await chain.broadcastPackage(
        copy.bytes,
        cpfpChild(copy.commitment.txid, anchor?.vout as number, await feeCoin(chain)),
      );
    }
    await chain.mine(1);
    const towerRecord = tower.records.find((r) => r.commitmentNumber === n);
    expect(towerRecord?.copies).toHaveLength(2);
    const penaltyTxids: string[] = [];
    for (const copy of towerRecord?.copies ?? []) {
      expect(copy.penalties.length).toBeGreaterThan(0);
      for (const penalty of copy.penalties) {
        // Each penalty sweeps the revoked to_local and the HTLC output to the LSP's sweep script.
        const tx = decodeTx(penalty);
        expect(tx.inputs).toHaveLength(2);
        expect(Buffer.from(tx.outputs[0]?.script as Uint8Array).equals(Buffer.from(SWEEP.lsp))).toBe(true);
        penaltyTxids.push(await chain.broadcast(penalty));
      }
    }
    await chain.mine(1);
    for (const t of penaltyTxids) {
      const info = await chain.getTransaction(t);
      expect(info.confirmation?.confirmations).toBe(1);
    }
    expect(penaltyTxids).toHaveLength(2);
  }, 120_000);

  it.each(['crash', 'disconnect'] as const)(
    'activates after a %s ended quiescence (from the durable rebinding)',
    (mode) => {
      const fundA = { txid: 'a1'.repeat(32), vout: 0, amount: CAPACITY };
      const fundB = { txid: 'b2'.repeat(32), vout: 1, amount: CAPACITY + 10_000n };
      const pair = new Pair({ funding: fundA });
      pair.drive();
      pair.do('lsp', { type: 'quiesce' });
      pair.drive();
      const nonce = {
        lsp: event(pair.do('lsp', { type: 'rebind_prepare', funding: fundB }), 'rebind_nonce').nonce,
        client: event(pair.do('client', { type: 'rebind_prepare', funding: fundB }), 'rebind_nonce').nonce,
      };
      pair.do('lsp', { type: 'rebind_sign', peerNonce: nonce.client });
      pair.ack('lsp');
      const lspHalf = pair.eventsOf('lsp', 'rebind_partial')[0] as Extract<
        ChannelEvent,
        { type: 'rebind_partial' }
      >;
      pair.do('client', {
        type: 'rebind_complete',
        partialSig: lspHalf.partialSig,
        signingNonce: lspHalf.signingNonce,
      });
      pair.ack('client');
      pair.do('client', { type: 'rebind_sign', peerNonce: nonce.lsp });
      pair.ack('client');
      const clientHalf = pair.eventsOf('client', 'rebind_partial')[0] as Extract<
        ChannelEvent,
        { type: 'rebind_partial' }
      >;
      pair.do('lsp', {
        type: 'rebind_complete',
        partialSig: clientHalf.partialSig,
        signingNonce: clientHalf.signingNonce,
      });
      pair.ack('lsp');
      pair.do('lsp', { type: 'rebind_activate' });
      pair.ack('lsp');
      // The client loses its connection (quiescence ends, its nonce marker stays in memory), or
      // crashes (both gone), before it activates.
      if (mode === 'disconnect') {
        pair.do('client', { type: 'disconnected' });
        pair.do('lsp', { type: 'disconnected' });
      } else pair.crash('client');
      pair.reconnect();
      expect(pair.client.funding.txid).toBe(fundA.txid);
      pair.do('client', { type: 'rebind_activate' });
      pair.ack('client');
      expect(pair.client.funding).toEqual(fundB);
      pair.drive();
      const p = payment('after a late activation');
      pair.do('lsp', { type: 'add_htlc', amountMsat: 1_000_000n, paymentHash: p.hash, cltvExpiry: 900 });
      pair.do('lsp', { type: 'commit' });
      pair.drive();
      expect(pair.errors).toEqual([]);
      expect(agreement(pair)).toBeDefined();
    },
  );
});
