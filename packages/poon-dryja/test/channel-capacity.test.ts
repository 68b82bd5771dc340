// Brief §5.4 "Capacity change" through the state machine, on SimChain: a quiescent channel with an
// HTLC in flight is rebound onto a larger channel output with a liquidity fee. Both holders' rebound
// commitments carry the new amounts (LSP + Δ + fee, client − fee, the HTLC unchanged), the policy takes
// the new capacity's reserve and dust limit, the persisted state keeps the old outpoint's amounts, and
// when commitment n is revoked the LSP's penalties for each copy are built with that copy's amounts:
// both copies confirm (one per outpoint) and each copy's penalty confirms.

import { decodeTx } from '@superscalar/chain';
import { describe, expect, it } from 'vitest';
import {
  CapacityChangeRejectedError,
  type Commitment,
  decodeChannelState,
  decodeWatchtowerRecord,
  defaultMaxDustExposure,
  defaultReserve,
} from '../src/index.js';
import { cpfpChild, feeCoin, fundChannel, makeConfig, SimChain } from './_channel.js';
import { agreement, CAPACITY, Pair, payment, rebindPair, SWEEP } from './channel-harness.js';

const NEW_CAPACITY = 1_400_000n;
const FEE_MSAT = 2_000_000n;

const amountOf = (c: Commitment, role: 'to_local' | 'to_remote' | 'htlc') =>
  c.outputs.find((o) => o.role === role)?.amount;

describe('rebinding with a capacity change through the channel (brief §5.4)', () => {
  it('refuses a request §5.4 forbids before any nonce leaves, and changes nothing', () => {
    const pair = new Pair({ funding: { txid: 'a1'.repeat(32), vout: 0, amount: CAPACITY } });
    pair.drive();
    pair.do('lsp', { type: 'quiesce' });
    pair.drive();
    const before = pair.lsp.state;
    const funding = { txid: 'b2'.repeat(32), vout: 0, amount: NEW_CAPACITY };
    let error: unknown;
    try {
      pair.client.handle({ type: 'rebind_prepare', funding, liquidityFeeMsat: 300_000_001n });
    } catch (e) {
      error = e;
    }
    expect(CapacityChangeRejectedError.isInstance(error)).toBe(true);
    expect((error as CapacityChangeRejectedError).rule).toBe('fee-above-balance');
    // The LSP's balance (700,000 sats) cannot lose 720,000.
    expect(() =>
      pair.lsp.handle({ type: 'rebind_prepare', funding: { ...funding, amount: 280_000n } }),
    ).toThrow(CapacityChangeRejectedError);
    expect(pair.lsp.state.rebind).toBeNull();
    expect(pair.lsp.state).toEqual(before);
    expect(pair.eventsOf('lsp', 'rebind_nonce')).toHaveLength(0);
  });

  it('rebinds onto a larger outpoint with a fee; each copy of a revoked commitment is penalised with its own amounts', async () => {
    const chain = new SimChain();
    await chain.mine(101);
    const config = makeConfig();
    const fundA = await fundChannel(chain, config, CAPACITY);
    const fundB = await fundChannel(chain, config, NEW_CAPACITY);
    const pair = new Pair({ funding: fundA });
    pair.drive();
    const p = payment('capacity change');
    pair.do('lsp', { type: 'add_htlc', amountMsat: 40_000_000n, paymentHash: p.hash, cltvExpiry: 1_200 });
    pair.do('lsp', { type: 'commit' });
    pair.drive();
    expect(pair.errors).toEqual([]);
    const n = pair.client.localCommitmentNumber;
    const oldClient = pair.client.forceCloseTransaction();
    const oldLsp = pair.lsp.forceCloseTransaction();

    pair.do('lsp', { type: 'quiesce' });
    pair.drive();
    // In the advance messages' order: the client completes its rebound commitment before it signs.
    rebindPair(pair, fundB, { liquidityFeeMsat: FEE_MSAT }, 'advance');
    expect(pair.errors).toEqual([]);
    expect(pair.client.localCommitmentNumber).toBe(n);
    expect(pair.client.funding).toEqual(fundB);
    expect(agreement(pair)).toEqual({
      lsp: 660_000_000n + 400_000_000n + FEE_MSAT,
      client: 300_000_000n - FEE_MSAT,
    });

    // Both holders' rebound commitments: same HTLC, locks and point; the new amounts.
    const newClient = pair.client.forceCloseTransaction();
    const newLsp = pair.lsp.forceCloseTransaction();
    for (const [o, c] of [
      [oldClient, newClient],
      [oldLsp, newLsp],
    ] as const) {
      expect(c.commitment.funding).toEqual(fundB);
      expect(c.commitment.tx.locktime).toBe(o.commitment.tx.locktime);
      expect(c.commitment.perCommitmentPoint).toEqual(o.commitment.perCommitmentPoint);
      expect(amountOf(c.commitment, 'htlc')).toBe(40_000n);
      expect(c.commitment.vsize).toBe(o.commitment.vsize);
    }
    expect(amountOf(newClient.commitment, 'to_local')).toBe(
      (amountOf(oldClient.commitment, 'to_local') as bigint) - 2_000n,
    );
    expect(amountOf(newClient.commitment, 'to_remote')).toBe(
      (amountOf(oldClient.commitment, 'to_remote') as bigint) + 402_000n,
    );
    expect(amountOf(newLsp.commitment, 'to_local')).toBe(
      (amountOf(oldLsp.commitment, 'to_local') as bigint) + 402_000n,
    );
    expect(amountOf(newLsp.commitment, 'to_remote')).toBe(
      (amountOf(oldLsp.commitment, 'to_remote') as bigint) - 2_000n,
    );

    // The policy takes the new capacity's limits; the persisted state keeps the old copies' amounts.
    for (const side of ['lsp', 'client'] as const) {
      const s = decodeChannelState(pair.peers[side].durable as Uint8Array);
      expect(s.policy.reserve).toBe(defaultReserve(NEW_CAPACITY));
      expect(s.policy.maxDustExposure).toBe(defaultMaxDustExposure(NEW_CAPACITY));
      expect(s.fundings.map((f) => f.outpoint.amount)).toEqual([CAPACITY, NEW_CAPACITY]);
      expect(s.fundings[0]?.balances).toEqual({ lspMsat: 660_000_000n, clientMsat: 300_000_000n });
      expect(s.fundings[1]?.balances).toBeNull();
    }

    // Ordinary updates continue on the new outpoint; the client revokes n.
    pair.do('client', { type: 'fulfill_htlc', id: 0n, preimage: p.preimage });
    pair.do('client', { type: 'commit' });
    pair.drive();
    expect(pair.errors).toEqual([]);
    expect(agreement(pair)).toEqual({ lsp: 1_062_000_000n, client: 338_000_000n });
    const record = decodeWatchtowerRecord(pair.peers.lsp.blobs.get(`revoked/${n}`) as Uint8Array);
    expect(record.copies.map((c) => c.commitmentTxid).sort()).toEqual(
      [oldClient.commitment.txid, newClient.commitment.txid].sort(),
    );

    // Both revoked copies confirm (they spend different outpoints); the new one pays the new amounts.
    for (const copy of [oldClient, newClient]) {
      const anchor = copy.commitment.outputs.find((o) => o.role === 'anchor');
      await chain.broadcastPackage(
        copy.bytes,
        cpfpChild(copy.commitment.txid, anchor?.vout as number, await feeCoin(chain)),
      );
    }
    await chain.mine(1);
    for (const copy of [oldClient, newClient]) {
      const info = await chain.getTransaction(copy.commitment.txid);
      // (funding the second CPFP coin mined a block over the first copy)
      expect(info.confirmation?.confirmations).toBeGreaterThanOrEqual(1);
    }
    const onChain = decodeTx((await chain.getTransaction(newClient.commitment.txid)).tx);
    expect(onChain.inputs[0]?.vout).toBe(fundB.vout);
    expect(onChain.outputs.map((o) => o.value).sort()).toEqual(
      newClient.commitment.outputs.map((o) => o.amount).sort(),
    );

    // Each copy's penalty sweeps that copy's to_local and HTLC to the LSP, and confirms.
    const swept: bigint[] = [];
    const txids: string[] = [];
    for (const copy of record.copies) {
      expect(copy.penalties).toHaveLength(1);
      const tx = decodeTx(copy.penalties[0] as Uint8Array);
      expect(tx.inputs).toHaveLength(2);
      expect(Buffer.from(tx.outputs[0]?.script as Uint8Array).equals(Buffer.from(SWEEP.lsp))).toBe(true);
      swept.push(tx.outputs[0]?.value as bigint);
      txids.push(await chain.broadcast(copy.penalties[0] as Uint8Array));
    }
    await chain.mine(1);
    for (const t of txids) expect((await chain.getTransaction(t)).confirmation?.confirmations).toBe(1);
    // The two penalties spend inputs that differ by the fee the client paid (same penalty size).
    const [a, b] = record.copies[0]?.funding.txid === fundA.txid ? swept : [...swept].reverse();
    expect((a as bigint) - (b as bigint)).toBe(2_000n);
  }, 120_000);

  it('a plain rebinding then a capacity change at the same number: the first outpoints keep the old amounts', () => {
    const out = (c: string, amount: bigint) => ({ txid: c.repeat(32), vout: 0, amount });
    const [fundA, fundB, fundC] = [out('a1', CAPACITY), out('b2', CAPACITY), out('c3', 800_000n)];
    const pair = new Pair({ funding: fundA });
    pair.drive();
    const n = pair.client.localCommitmentNumber;
    const copies = [pair.client.forceCloseTransaction().commitment.txid];
    for (const [funding, extra] of [
      [fundB, {}],
      [fundC, { liquidityFeeMsat: 1_000_000n }],
    ] as const) {
      pair.do('lsp', { type: 'quiesce' });
      pair.drive();
      rebindPair(pair, funding, extra);
      copies.push(pair.client.forceCloseTransaction().commitment.txid);
    }
    expect(pair.errors).toEqual([]);
    expect(agreement(pair)).toEqual({ lsp: 501_000_000n, client: 299_000_000n });
    const s = decodeChannelState(pair.peers.lsp.durable as Uint8Array);
    const old = { lspMsat: 700_000_000n, clientMsat: 300_000_000n };
    expect(s.fundings.map((f) => f.balances)).toEqual([old, old, null]);
    const p = payment('three copies');
    pair.do('lsp', { type: 'add_htlc', amountMsat: 10_000_000n, paymentHash: p.hash, cltvExpiry: 1_200 });
    pair.do('lsp', { type: 'commit' });
    pair.drive();
    expect(pair.errors).toEqual([]);
    const record = decodeWatchtowerRecord(pair.peers.lsp.blobs.get(`revoked/${n}`) as Uint8Array);
    expect(record.copies.map((c) => c.funding.txid)).toEqual([fundA.txid, fundB.txid, fundC.txid]);
    expect(record.copies.map((c) => c.commitmentTxid)).toEqual(copies);
  });
});
