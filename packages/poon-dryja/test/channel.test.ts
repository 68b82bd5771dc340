import { describe, expect, it } from 'vitest';
import { OFFCHAIN_FUNDING } from './_channel.js';
import { agreement, Pair, payment } from './channel-harness.js';

describe('channel state machine: basic flow', () => {
  it('opens: both sides hold a signed commitment 0 and emit ready', () => {
    const pair = new Pair({ funding: OFFCHAIN_FUNDING });
    pair.drive();
    expect(pair.errors).toEqual([]);
    expect(pair.lsp.phase).toBe('normal');
    expect(pair.client.phase).toBe('normal');
    expect(pair.eventsOf('lsp', 'ready')).toHaveLength(1);
    expect(pair.eventsOf('client', 'ready')).toHaveLength(1);
    expect(agreement(pair)).toEqual({ lsp: 700_000_000n, client: 300_000_000n });
  });

  it('add → commit → revoke → fulfill → commit → revoke moves the amount, numbers agree', () => {
    const pair = new Pair({ funding: OFFCHAIN_FUNDING });
    pair.drive();
    const p = payment('a');
    pair.do('lsp', { type: 'add_htlc', amountMsat: 50_000_000n, paymentHash: p.hash, cltvExpiry: 1_000 });
    pair.do('lsp', { type: 'commit' });
    pair.drive();
    expect(pair.errors).toEqual([]);
    const received = pair.eventsOf('client', 'htlc_received');
    expect(received).toHaveLength(1);
    pair.do('client', { type: 'fulfill_htlc', id: 0n, preimage: p.preimage });
    pair.do('client', { type: 'commit' });
    pair.drive();
    expect(pair.errors).toEqual([]);
    expect(pair.eventsOf('lsp', 'htlc_fulfilled')).toHaveLength(1);
    expect(agreement(pair)).toEqual({ lsp: 650_000_000n, client: 350_000_000n });
    expect(pair.lsp.localCommitmentNumber).toBe(pair.client.localCommitmentNumber);
    expect(pair.lsp.localCommitmentNumber).toBe(2n);
  });
});
