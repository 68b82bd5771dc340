import { vsize as chainVsize, decodeTx, SimChain, txidHex } from '@superscalar/chain';
import { describe, expect, it } from 'vitest';
import { buildCommitment, TransactionTooLargeError } from '../src/index.js';
import {
  broadcastCommitment,
  fundChannel,
  htlc,
  makeConfig,
  rejectReason,
  signCommitment,
  specFor,
} from './_channel.js';

describe('commitments on SimChain', () => {
  it('a signed commitment with HTLCs both ways confirms from a channel output, with a CPFP child through the P2A', async () => {
    const chain = new SimChain();
    const config = makeConfig();
    const funding = await fundChannel(chain, config, 1_000_000n);
    const htlcs = [
      htlc('lsp', 0n, 50_000_000n, 400),
      htlc('client', 0n, 30_000_500n, 410),
      htlc('lsp', 1n, 200_000n, 420), // 200 sats: trimmed
    ];
    const c = buildCommitment(config, funding, specFor('client', 0, 1_000_000n, 400_000_777n, htlcs));
    const signed = signCommitment(c);
    const decoded = decodeTx(signed);
    expect(txidHex(decoded)).toBe(c.txid);
    expect(chainVsize(decoded)).toBe(c.vsize);
    expect(decoded.version).toBe(3);
    expect(c.trimmedHtlcs).toEqual([{ offeredBy: 'lsp', id: 1n }]);
    expect(c.outputs.map((o) => o.role).sort()).toEqual(['anchor', 'htlc', 'htlc', 'to_local', 'to_remote']);
    await broadcastCommitment(chain, c, signed);
    await chain.mine(1);
    expect((await chain.getTransaction(c.txid)).confirmation?.confirmations).toBe(1);
  });

  it('114 untrimmed HTLCs each way: 9,971 vB, accepted by the mempool; 115 + 114: 10,014 vB, refused by the builder and by TRUC', {
    timeout: 120_000,
  }, async () => {
    const chain = new SimChain();
    const config = makeConfig();
    const capacity = 10_000_000n;
    const funding = await fundChannel(chain, config, capacity);
    const many = (offered: number, received: number) => [
      ...Array.from({ length: offered }, (_, i) => htlc('lsp', BigInt(i), 10_000_000n, 500 + i)),
      ...Array.from({ length: received }, (_, i) => htlc('client', BigInt(i), 10_000_000n, 700 + i)),
    ];
    const ok = buildCommitment(config, funding, specFor('lsp', 3, capacity, 1_000_000_000n, many(114, 114)));
    expect(ok.outputs.length).toBe(231);
    expect(ok.vsize).toBe(9_971);
    const okSigned = signCommitment(ok);
    expect(chainVsize(decodeTx(okSigned))).toBe(9_971);
    expect(chain.testAccept(okSigned)).toBe(ok.txid);

    const spec = specFor('lsp', 3, capacity, 1_000_000_000n, many(115, 114));
    let err: unknown;
    try {
      buildCommitment(config, funding, spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransactionTooLargeError);
    expect((err as TransactionTooLargeError).vsize).toBe(10_014);
    const over = buildCommitment(config, funding, spec, { allowOversize: true });
    expect(over.vsize).toBe(10_014);
    expect(await rejectReason(chain.broadcast(signCommitment(over)))).toBe('TRUC-violation');
  });
});
