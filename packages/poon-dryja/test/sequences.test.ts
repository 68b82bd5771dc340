// Property: random update sequences between two in-process peers that exchange only serialised
// messages, with random interleaving of deliveries and persistence acknowledgements. Both sides always
// agree on balances and commitment numbers, no honest step is ever rejected by the peer, and after each
// sequence either side's latest commitment confirms on SimChain with a CPFP child and every output is
// claimed by the party it belongs to.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  buildClaim,
  ChannelError,
  type ClaimInput,
  type Commitment,
  HtlcRejectedError,
  type Side,
} from '../src/index.js';
import { CLIENT, cpfpChild, feeCoin, fundChannel, LSP, makeConfig, p2tr, SimChain } from './_channel.js';
import { agreement, CAPACITY, encodeMessage, Pair, payment, testPolicy } from './channel-harness.js';

const runs = propertyRuns(1000, 50);

type Cmd =
  | { op: 'add'; side: Side; sats: number; expiry: number }
  | { op: 'fulfill'; side: Side; pick: number }
  | { op: 'fail'; side: Side; pick: number }
  | { op: 'fee'; rate: number }
  | { op: 'commit'; side: Side }
  | { op: 'deliver'; side: Side }
  | { op: 'ack'; side: Side }
  | { op: 'settle' }
  | { op: 'resolve'; side: Side; fail: boolean }
  | { op: 'disconnect' }
  | { op: 'crash'; side: Side };

const side = fc.constantFrom<Side>('lsp', 'client');
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      side,
      sats: fc.oneof(fc.integer({ min: 100, max: 2_000 }), fc.integer({ min: 2_000, max: 60_000 })),
      expiry: fc.integer({ min: 300, max: 4_886 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('fulfill' as const), side, pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fail' as const), side, pick: fc.nat(20) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('fee' as const), rate: fc.integer({ min: 1_000, max: 5_000 }) }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('commit' as const), side }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('deliver' as const), side }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('ack' as const), side }) },
  { weight: 2, arbitrary: fc.constant({ op: 'settle' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('resolve' as const), side, fail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'disconnect' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('crash' as const), side }) },
);

/** Every payment hash used, by hash hex, so the payee can claim with the preimage. */
const preimages = new Map<string, Uint8Array>();
let counter = 0;
/** What the runs did, printed at the end so a reader sees the property is not vacuous. */
const stats = {
  accepted: 0,
  refused: 0,
  htlcOutputsClaimed: 0,
  fulfilled: 0,
  failed: 0,
  commitments: 0,
  reconnects: 0,
  crashes: 0,
  timeouts: 0,
};

function run(pair: Pair, c: Cmd): void {
  const ignore = (f: () => void) => {
    try {
      f();
      stats.accepted++;
    } catch (e) {
      stats.refused++;
      // A local command the rules refuse: nothing happened, the channel says so.
      if (!(e instanceof ChannelError) || e.action !== 'ignore') throw e;
    }
  };
  switch (c.op) {
    case 'add': {
      const p = payment(`seq ${counter++}`);
      preimages.set(Buffer.from(p.hash).toString('hex'), p.preimage);
      ignore(() =>
        pair.do(c.side, {
          type: 'add_htlc',
          amountMsat: BigInt(c.sats) * 1000n + 123n,
          paymentHash: p.hash,
          cltvExpiry: c.expiry,
        }),
      );
      return;
    }
    case 'fulfill':
    case 'fail': {
      const ch = pair.peers[c.side].channel;
      const incoming = (ch.localSpec?.htlcs ?? []).filter((h) => h.offeredBy !== c.side);
      const h = incoming[c.pick % Math.max(1, incoming.length)];
      if (h === undefined) return;
      const preimage = preimages.get(Buffer.from(h.paymentHash).toString('hex')) as Uint8Array;
      ignore(() =>
        pair.do(
          c.side,
          c.op === 'fulfill'
            ? { type: 'fulfill_htlc', id: h.id, preimage }
            : { type: 'fail_htlc', id: h.id, reason: Uint8Array.of(1, 2, 3) },
        ),
      );
      return;
    }
    case 'fee':
      ignore(() => pair.do('lsp', { type: 'update_fee', feeRate: c.rate }));
      return;
    case 'commit':
      ignore(() => pair.do(c.side, { type: 'commit' }));
      return;
    case 'deliver':
      pair.deliver(c.side);
      return;
    case 'ack':
      pair.ack(c.side);
      return;
    case 'settle':
      settle(pair);
      agreement(pair);
      // Both hold a fully signed commitment (forceCloseTransaction verifies the aggregate signature).
      pair.lsp.forceCloseTransaction();
      pair.client.forceCloseTransaction();
      return;
    case 'resolve': {
      // Settle, then settle every incoming HTLC of one side (each is irrevocably committed now).
      settle(pair);
      const ch = pair.peers[c.side].channel;
      for (const h of (ch.localSpec?.htlcs ?? []).filter((x) => x.offeredBy !== c.side)) {
        const preimage = preimages.get(Buffer.from(h.paymentHash).toString('hex')) as Uint8Array;
        pair.do(
          c.side,
          c.fail
            ? { type: 'fail_htlc', id: h.id, reason: Uint8Array.of(4) }
            : { type: 'fulfill_htlc', id: h.id, preimage },
        );
        stats.accepted++;
      }
      return;
    }
    case 'disconnect':
      pair.do('lsp', { type: 'disconnected' });
      pair.do('client', { type: 'disconnected' });
      pair.reconnect();
      stats.reconnects++;
      return;
    case 'crash':
      // Restart from the last acknowledged state: secret nonces and unacknowledged work are gone.
      pair.crash(c.side);
      pair.reconnect();
      stats.crashes++;
      return;
  }
}

/** Drives to quiet, then commits both ways until nothing is pending. */
function settle(pair: Pair): void {
  for (let i = 0; i < 20; i++) {
    pair.drive();
    if (pair.lsp.isIdle && pair.client.isIdle) return;
    pair.do('lsp', { type: 'commit' });
    pair.do('client', { type: 'commit' });
  }
  throw new Error('the channel did not settle');
}

const keysOf = (s: Side) => (s === 'lsp' ? LSP : CLIENT);

/** Broadcasts `c` (signed) with a CPFP child, then every output's claim by its owner; all confirm. */
async function confirmAndClaim(
  chain: SimChain,
  c: Commitment,
  signed: Uint8Array,
  timeoutMask: number,
): Promise<void> {
  const anchor = c.outputs.find((o) => o.role === 'anchor');
  if (anchor === undefined) throw new Error('no anchor');
  const coin = await feeCoin(chain);
  await chain.broadcastPackage(signed, cpfpChild(c.txid, anchor.vout, coin));
  await chain.mine(1);
  expect((await chain.getTransaction(c.txid)).confirmation?.confirmations).toBe(1);
  // Each output's claim by the party it belongs to: the holder's to_local after toSelfDelay, the
  // remote's to_remote after 1 block, each HTLC by its payee with the preimage or (bit i of
  // timeoutMask) by its offerer after its expiry.
  const claims: { claimant: Side; input: ClaimInput; csv: number; locktime: number }[] = [];
  const holder = c.holder;
  const remote: Side = holder === 'lsp' ? 'client' : 'lsp';
  let i = 0;
  for (const o of c.outputs) {
    if (o.role === 'to_local')
      claims.push({
        claimant: holder,
        csv: c.config.toSelfDelay,
        locktime: 0,
        input: { vout: o.vout, kind: 'to_local', basepointSecret: keysOf(holder).delayedPayment },
      });
    else if (o.role === 'to_remote')
      claims.push({
        claimant: remote,
        csv: 1,
        locktime: 0,
        input: { vout: o.vout, kind: 'to_remote', basepointSecret: keysOf(remote).payment },
      });
    else if (o.role === 'htlc') {
      if ((timeoutMask >> i++) & 1) {
        claims.push({
          claimant: o.timeoutBy,
          csv: o.timeoutCsv,
          locktime: o.cltvExpiry,
          input: { vout: o.vout, kind: 'htlc_timeout', basepointSecret: keysOf(o.timeoutBy).htlc },
        });
        stats.timeouts++;
      } else {
        const preimage = preimages.get(Buffer.from(o.paymentHash).toString('hex')) as Uint8Array;
        claims.push({
          claimant: o.successBy,
          csv: o.successCsv,
          locktime: 0,
          input: { vout: o.vout, kind: 'htlc_success', basepointSecret: keysOf(o.successBy).htlc, preimage },
        });
      }
    }
  }
  const txids: string[] = [];
  const broadcast = async (cl: (typeof claims)[number]) => {
    const claim = buildClaim({
      commitment: c,
      inputs: [cl.input],
      destinationScript: p2tr(`${cl.claimant} claims`),
      feeRate: 1_000,
    });
    expect(claim.claimant).toBe(cl.claimant);
    txids.push(await chain.broadcast(claim.bytes));
  };
  for (const cl of claims.filter((x) => x.csv === 1 && x.locktime === 0)) await broadcast(cl);
  await chain.mine(c.config.toSelfDelay - 1);
  for (const cl of claims.filter((x) => x.csv > 1 && x.locktime === 0)) await broadcast(cl);
  const latest = Math.max(0, ...claims.map((x) => x.locktime));
  if (chain.height < latest) await chain.mine(latest - chain.height);
  for (const cl of claims.filter((x) => x.locktime > 0)) await broadcast(cl);
  await chain.mine(1);
  for (const t of txids) expect((await chain.getTransaction(t)).confirmation).toBeDefined();
  stats.htlcOutputsClaimed += c.outputs.filter((o) => o.role === 'htlc').length;
  // Every non-anchor output was claimed.
  expect(txids.length).toBe(c.outputs.filter((o) => o.role !== 'anchor').length);
}

describe('random update sequences between two peers', () => {
  let chain: SimChain;
  beforeAll(async () => {
    chain = new SimChain();
    await chain.mine(101);
  });

  it(`agree at every step and settle on SimChain with every output claimed by its owner (${runs} runs)`, async () => {
    console.log(`sequences property: ${runs} runs`);
    const config = makeConfig();
    await fc.assert(
      fc.asyncProperty(
        fc.array(cmd, { minLength: 8, maxLength: 30 }),
        side,
        fc.nat(),
        async (cmds, broadcaster, timeoutMask) => {
          const funding = await fundChannel(chain, config, CAPACITY);
          const pair = new Pair({ funding });
          pair.drive();
          for (const c of cmds) {
            run(pair, c);
            expect(pair.errors).toEqual([]);
          }
          settle(pair);
          expect(pair.errors).toEqual([]);
          const balances = agreement(pair);
          const htlcSum = (pair.lsp.localSpec?.htlcs ?? []).reduce((s, h) => s + h.amountMsat, 0n);
          expect(balances.lsp + balances.client + htlcSum).toBe(CAPACITY * 1000n);
          const { commitment, bytes } = pair.peers[broadcaster].channel.forceCloseTransaction();
          // The commitment pays what the spec says (the client's output exactly, the LSP's minus fee and anchor).
          const clientOut = commitment.outputs.find(
            (o) =>
              (o.role === 'to_local' && broadcaster === 'client') ||
              (o.role === 'to_remote' && broadcaster === 'lsp'),
          );
          if (balances.client / 1000n >= 330n) expect(clientOut?.amount).toBe(balances.client / 1000n);
          stats.fulfilled +=
            pair.eventsOf('lsp', 'htlc_fulfilled').length + pair.eventsOf('client', 'htlc_fulfilled').length;
          stats.failed +=
            pair.eventsOf('lsp', 'htlc_failed').length + pair.eventsOf('client', 'htlc_failed').length;
          stats.commitments += pair.lsp.localCommitmentNumber + pair.client.localCommitmentNumber;
          await confirmAndClaim(chain, commitment, bytes, timeoutMask);
        },
      ),
      { numRuns: runs },
    );
    console.log('sequences property stats', stats);
    expect(stats.accepted).toBeGreaterThan(0);
  }, 600_000);
});

describe('max_accepted_htlcs (brief §7: 114 untrimmed per direction)', () => {
  it('a commitment with 114 HTLCs each way is accepted; the 115th is refused locally and from the peer', () => {
    const funding = { txid: '22'.repeat(32), vout: 0, amount: 10_000_000n };
    const pair = new Pair({
      funding,
      clientBalanceMsat: 5_000_000_000n,
      policy: testPolicy({ reserve: 100_000n, maxDustExposure: 20_000n }),
    });
    pair.drive();
    for (const s of ['lsp', 'client'] as const)
      for (let i = 0; i < 114; i++)
        pair.do(s, {
          type: 'add_htlc',
          amountMsat: 1_000_000n,
          paymentHash: payment(`${s} many ${i}`).hash,
          cltvExpiry: 1_000,
        });
    pair.do('lsp', { type: 'commit' });
    pair.do('client', { type: 'commit' });
    settle(pair);
    expect(pair.errors).toEqual([]);
    agreement(pair);
    const c = pair.lsp.holderCommitment();
    expect(c.outputs.filter((o) => o.role === 'htlc')).toHaveLength(228);
    expect(c.vsize).toBeLessThanOrEqual(10_000);
    let refused: unknown;
    try {
      pair.do('lsp', {
        type: 'add_htlc',
        amountMsat: 1_000_000n,
        paymentHash: payment('one too many').hash,
        cltvExpiry: 1_000,
      });
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(HtlcRejectedError);
    expect((refused as HtlcRejectedError).rule).toBe('max-accepted');
    expect((refused as HtlcRejectedError).action).toBe('ignore');
    // A peer offering a 115th: the client refuses it (disconnect: the uncommitted add is reverted).
    pair.peers.client.inbox.push(
      encodeMessage({
        type: 'update_add_htlc',
        channelId: pair.setup.funding && pair.peers.lsp.channel.state.channelId,
        id: 114n,
        amountMsat: 1_000_000n,
        paymentHash: payment('peer 115').hash,
        cltvExpiry: 1_000,
        onion: new Uint8Array(0),
      }),
    );
    pair.deliver('client');
    const err = pair.errors.at(-1)?.event.error;
    expect(err).toBeInstanceOf(HtlcRejectedError);
    expect((err as HtlcRejectedError).rule).toBe('max-accepted');
    expect(err?.action).toBe('disconnect');
  }, 120_000);

  it('a channel asking more than 114 is refused at open', () => {
    expect(
      () =>
        new Pair({
          funding: { txid: '33'.repeat(32), vout: 0, amount: CAPACITY },
          policy: testPolicy({ maxAcceptedHtlcs: 115 }),
        }),
    ).toThrow(/maxAcceptedHtlcs/);
  });
});
