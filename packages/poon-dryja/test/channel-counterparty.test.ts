// Channel.counterpartyCommitments: the counterparty may broadcast its current commitment and, until it
// revokes that one, the next one we signed — both are listed (the roles watch their HTLC outputs).
import { describe, expect, it } from 'vitest';
import { OFFCHAIN_FUNDING } from './_channel.js';
import { Pair, payment } from './channel-harness.js';

describe('Channel.counterpartyCommitments', () => {
  it('the current one, plus the next one signed while its revocation is awaited', () => {
    const pair = new Pair({ funding: OFFCHAIN_FUNDING });
    pair.drive();
    expect(pair.errors).toEqual([]);
    const lsp = pair.peers.lsp.channel;
    const current = lsp.counterpartyCommitments();
    expect(current.map((c) => c.txid)).toEqual([lsp.counterpartyCommitment().txid]);
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 20_000_000n,
      paymentHash: payment('w').hash,
      cltvExpiry: 900,
    });
    pair.do('lsp', { type: 'commit' });
    while (pair.ack('lsp'));
    const both = lsp.counterpartyCommitments();
    expect(both).toHaveLength(2);
    expect(both[0]?.txid).toBe(current[0]?.txid);
    expect(both[1]?.outputs.some((o) => o.role === 'htlc')).toBe(true);
    expect(both[0]?.outputs.some((o) => o.role === 'htlc')).toBe(false);
    pair.drive();
    expect(pair.errors).toEqual([]);
    const after = lsp.counterpartyCommitments();
    expect(after).toHaveLength(1);
    expect(after[0]?.outputs.some((o) => o.role === 'htlc')).toBe(true);
  });
});
