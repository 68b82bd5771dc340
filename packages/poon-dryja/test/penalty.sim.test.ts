import { vsize as chainVsize, decodeTx, SimChain, txidHex } from '@superscalar/chain';
import { describe, expect, it } from 'vitest';
import {
  buildClaim,
  buildCommitment,
  buildPenalties,
  buildPenaltiesForCopies,
  KeyMismatchError,
  MAX_PENALTY_INPUTS,
  rebindCommitment,
} from '../src/index.js';
import {
  broadcastCommitment,
  CLIENT,
  cpfpChild,
  feeCoin,
  fundChannel,
  htlc,
  LSP,
  makeConfig,
  p2tr,
  pcSecret,
  rejectReason,
  signCommitment,
  specFor,
} from './_channel.js';

describe('penalties of a revoked commitment on SimChain', () => {
  it('the client broadcasts its revoked commitment 0; the LSP’s penalty (pre-signed from the secret) and to_remote claim take everything', async () => {
    const chain = new SimChain();
    const config = makeConfig({ toSelfDelay: 6 });
    const capacity = 1_500_000n;
    const funding = await fundChannel(chain, config, capacity);
    const htlcs = [
      htlc('lsp', 0n, 90_000_000n, 900),
      htlc('client', 0n, 70_000_000n, 905),
      htlc('client', 1n, 3_000_000n, 906),
    ];
    const revoked = buildCommitment(config, funding, specFor('client', 0, capacity, 600_000_000n, htlcs));
    const signed = signCommitment(revoked);
    // The secret of commitment 0 arrives (revoke_and_ack): the LSP signs its penalties at once.
    const sweep = p2tr('lsp penalty sweep');
    const set = buildPenalties({
      commitment: revoked,
      perCommitmentSecret: pcSecret('client', 0),
      revocationBasepointSecret: LSP.revocation,
      sweepScript: sweep,
      feeRate: 1_000,
    });
    expect(set.commitmentTxid).toBe(revoked.txid);
    expect(set.transactions).toHaveLength(1);
    const penalty = set.transactions[0];
    if (penalty === undefined) throw new Error('no penalty');
    const d = decodeTx(penalty.bytes);
    expect(txidHex(d)).toBe(penalty.txid);
    expect(chainVsize(d)).toBe(penalty.vsize);
    expect(d.version).toBe(3);
    expect(d.outputs[1]?.value).toBe(240n);
    expect(d.inputs.every((i) => i.witness.length === 1 && i.witness[0]?.length === 64)).toBe(true);
    // Before the revoked commitment is known to the chain, the penalty has no inputs.
    expect(await rejectReason(chain.broadcast(penalty.bytes))).toBe('missing-inputs');

    await broadcastCommitment(chain, revoked, signed);
    await chain.mine(1);
    // In the next block, with a CPFP child through its own anchor.
    const coin = await feeCoin(chain);
    await chain.broadcastPackage(penalty.bytes, cpfpChild(penalty.txid, 1, coin));
    const toRemote = revoked.outputs.find((o) => o.role === 'to_remote');
    if (toRemote === undefined) throw new Error('no to_remote');
    const own = buildClaim({
      commitment: revoked,
      inputs: [{ vout: toRemote.vout, kind: 'to_remote', basepointSecret: LSP.payment }],
      destinationScript: sweep,
      feeRate: 1_000,
    });
    expect(await rejectReason(chain.broadcast(own.bytes))).toBe('accepted');
    await chain.mine(1);
    expect((await chain.getTransaction(penalty.txid)).confirmation?.confirmations).toBe(1);
    // Every output but the anchor went to the LSP (less fees and the penalty's own anchor).
    const nonAnchor = revoked.outputs.filter((o) => o.role !== 'anchor');
    for (const o of nonAnchor) expect(chain.utxo({ txid: revoked.txid, vout: o.vout })).toBeUndefined();
    const swept = revoked.outputs
      .filter((o) => o.role === 'to_local' || o.role === 'htlc')
      .reduce((s, o) => s + o.amount, 0n);
    expect(penalty.amount + penalty.fee + 240n).toBe(swept);
    expect(penalty.vouts).toEqual(
      revoked.outputs.filter((o) => o.role === 'to_local' || o.role === 'htlc').map((o) => o.vout),
    );
  });

  it('a revoked commitment with 114 HTLCs each way: two penalty transactions (170 + 59 inputs), each ≤ 10,000 vB, both confirm', {
    timeout: 120_000,
  }, async () => {
    const chain = new SimChain();
    const config = makeConfig({ toSelfDelay: 6 });
    const capacity = 10_000_000n;
    const funding = await fundChannel(chain, config, capacity);
    const htlcs = [
      ...Array.from({ length: 114 }, (_, i) => htlc('lsp', BigInt(i), 10_000_000n, 500 + i)),
      ...Array.from({ length: 114 }, (_, i) => htlc('client', BigInt(i), 10_000_000n, 700 + i)),
    ];
    const revoked = buildCommitment(config, funding, specFor('lsp', 2, capacity, 1_000_000_000n, htlcs));
    const set = buildPenalties({
      commitment: revoked,
      perCommitmentSecret: pcSecret('lsp', 2),
      revocationBasepointSecret: CLIENT.revocation,
      sweepScript: p2tr('client penalty sweep'),
      feeRate: 1_000,
    });
    expect(set.transactions.map((t) => t.vouts.length)).toEqual([MAX_PENALTY_INPUTS, 59]);
    expect(set.transactions[0]?.vsize).toBe(9_842);
    await broadcastCommitment(chain, revoked, signCommitment(revoked));
    await chain.mine(1);
    for (const t of set.transactions) expect(await rejectReason(chain.broadcast(t.bytes))).toBe('accepted');
    await chain.mine(1);
    for (const t of set.transactions)
      expect((await chain.getTransaction(t.txid)).confirmation?.confirmations).toBe(1);
  });

  it('after rebinding, penalties exist for every outpoint copy; the copy that confirms is penalised', async () => {
    const chain = new SimChain();
    const config = makeConfig({ toSelfDelay: 6 });
    const capacity = 800_000n;
    const oldFunding = await fundChannel(chain, config, capacity);
    const newFunding = await fundChannel(chain, config, capacity);
    const spec = specFor('client', 4, capacity, 300_000_000n, [htlc('client', 9n, 20_000_000n, 950)]);
    const original = buildCommitment(config, oldFunding, spec);
    const copy = rebindCommitment(original, newFunding);
    const sets = buildPenaltiesForCopies([original, copy], {
      perCommitmentSecret: pcSecret('client', 4),
      revocationBasepointSecret: LSP.revocation,
      sweepScript: p2tr('lsp'),
      feeRate: 1_000,
    });
    expect(sets.map((s) => s.commitmentTxid)).toEqual([original.txid, copy.txid]);
    await broadcastCommitment(chain, copy, signCommitment(copy));
    await chain.mine(1);
    expect(await rejectReason(chain.broadcast(sets[0]?.transactions[0]?.bytes ?? new Uint8Array()))).toBe(
      'missing-inputs',
    );
    expect(await rejectReason(chain.broadcast(sets[1]?.transactions[0]?.bytes ?? new Uint8Array()))).toBe(
      'accepted',
    );
  });

  it('refuses a secret that is not the commitment’s, and a revocation basepoint secret of the wrong party', () => {
    const config = makeConfig();
    const funding = { txid: '22'.repeat(32), vout: 0, amount: 500_000n };
    const c = buildCommitment(config, funding, specFor('client', 5, 500_000n, 100_000_000n));
    const base = { commitment: c, sweepScript: p2tr('x'), feeRate: 1_000 };
    expect(() =>
      buildPenalties({
        ...base,
        perCommitmentSecret: pcSecret('client', 6),
        revocationBasepointSecret: LSP.revocation,
      }),
    ).toThrow(KeyMismatchError);
    expect(() =>
      buildPenalties({
        ...base,
        perCommitmentSecret: pcSecret('client', 5),
        revocationBasepointSecret: CLIENT.revocation,
      }),
    ).toThrow(KeyMismatchError);
  });
});
