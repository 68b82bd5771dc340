import { nonceGen } from '@superscalar/musig2';
import { FIRST_INDEX, ShachainStore } from '@superscalar/shachain';
import { describe, expect, it } from 'vitest';
import {
  Channel,
  type ChannelAction,
  ChannelClosedError,
  type ChannelError,
  type ChannelMessage,
  decodeChannelState,
  encodeChannelState,
  FeeUpdateRejectedError,
  HtlcRejectedError,
  IllegalStepError,
  RevocationRejectedError,
  type Side,
  SignatureRejectedError,
} from '../src/index.js';
import { CLIENT, OFFCHAIN_FUNDING, pcPoint, pcSecret, pub } from './_channel.js';
import {
  agreement,
  CHANNEL_ID,
  decodeMessage,
  encodeMessage,
  Pair,
  type PairOptions,
  payment,
  SWEEP,
  secretsOf,
} from './channel-harness.js';

function opened(options: Partial<PairOptions> = {}): Pair {
  const pair = new Pair({ funding: OFFCHAIN_FUNDING, ...options });
  pair.drive();
  expect(pair.errors).toEqual([]);
  return pair;
}

/** Adds an HTLC from `from` and drives both commitment rounds, so it is irrevocably committed. */
function committedHtlc(pair: Pair, from: Side, label: string, amountMsat = 20_000_000n, cltvExpiry = 1_000) {
  const p = payment(label);
  const id = pair.peers[from].channel.nextHtlcId;
  pair.do(from, { type: 'add_htlc', amountMsat, paymentHash: p.hash, cltvExpiry });
  pair.do(from, { type: 'commit' });
  pair.drive();
  expect(pair.errors).toEqual([]);
  return { ...p, id };
}

function thrown(f: () => unknown): ChannelError {
  try {
    f();
  } catch (e) {
    return e as ChannelError;
  }
  throw new Error('expected a throw');
}

/** Delivers a crafted message to `to` and returns the error event's error. */
function peerFault(pair: Pair, to: Side, message: ChannelMessage): ChannelError {
  pair.peers[to].inbox.unshift(encodeMessage(message));
  const before = pair.errors.length;
  pair.deliver(to);
  const e = pair.errors[before];
  if (e === undefined) throw new Error('expected an error event');
  return e.event.error;
}

/** Intercepts the next message queued for `to`, lets `edit` change it, and delivers it. */
function tamper(pair: Pair, to: Side, edit: (m: ChannelMessage) => ChannelMessage): void {
  const raw = pair.peers[to].inbox.shift();
  if (raw === undefined) throw new Error('nothing to tamper with');
  pair.peers[to].inbox.unshift(encodeMessage(edit(decodeMessage(raw))));
  pair.deliver(to);
}

describe('channel state machine: flow', () => {
  it('opens: both sides hold a signed commitment 0 and emit ready', () => {
    const pair = opened();
    expect(pair.lsp.phase).toBe('normal');
    expect(pair.client.phase).toBe('normal');
    expect(pair.eventsOf('lsp', 'ready')).toHaveLength(1);
    expect(pair.eventsOf('client', 'ready')).toHaveLength(1);
    expect(agreement(pair)).toEqual({ lsp: 700_000_000n, client: 300_000_000n });
    // Both hold a fully signed commitment 0 (the signature verifies: the builder checks it).
    expect(pair.lsp.forceCloseTransaction().bytes.length).toBeGreaterThan(100);
    expect(pair.client.forceCloseTransaction().bytes.length).toBeGreaterThan(100);
  });

  it('add → commit → revoke → fulfill → commit → revoke moves the amount; numbers agree', () => {
    const pair = opened();
    const h = committedHtlc(pair, 'lsp', 'a', 50_000_000n);
    const received = pair.eventsOf('client', 'htlc_received');
    expect(received).toEqual([
      {
        type: 'htlc_received',
        id: 0n,
        amountMsat: 50_000_000n,
        paymentHash: h.hash,
        cltvExpiry: 1_000,
        onion: new Uint8Array(0),
      },
    ]);
    pair.do('client', { type: 'fulfill_htlc', id: h.id, preimage: h.preimage });
    pair.do('client', { type: 'commit' });
    pair.drive();
    expect(pair.errors).toEqual([]);
    expect(pair.eventsOf('lsp', 'htlc_fulfilled')).toEqual([
      { type: 'htlc_fulfilled', id: 0n, preimage: h.preimage },
    ]);
    expect(agreement(pair)).toEqual({ lsp: 650_000_000n, client: 350_000_000n });
    expect(pair.lsp.localCommitmentNumber).toBe(2);
    expect(pair.client.localCommitmentNumber).toBe(2);
  });

  it('both directions with several HTLCs in flight and crossing commitment_signed', () => {
    const pair = opened();
    const a = payment('x1');
    const b = payment('x2');
    const c = payment('x3');
    pair.do('lsp', { type: 'add_htlc', amountMsat: 10_000_000n, paymentHash: a.hash, cltvExpiry: 900 });
    pair.do('lsp', { type: 'add_htlc', amountMsat: 11_000_000n, paymentHash: b.hash, cltvExpiry: 901 });
    pair.do('client', { type: 'add_htlc', amountMsat: 12_000_000n, paymentHash: c.hash, cltvExpiry: 902 });
    // Both sign before seeing the other's commitment_signed.
    pair.do('lsp', { type: 'commit' });
    pair.do('client', { type: 'commit' });
    pair.drive();
    pair.do('lsp', { type: 'commit' });
    pair.do('client', { type: 'commit' });
    pair.drive();
    expect(pair.errors).toEqual([]);
    agreement(pair);
    expect(pair.lsp.localSpec?.htlcs).toHaveLength(3);
    pair.do('client', { type: 'fulfill_htlc', id: 0n, preimage: a.preimage });
    pair.do('client', { type: 'fail_htlc', id: 1n, reason: Uint8Array.of(9) });
    pair.do('lsp', { type: 'fulfill_htlc', id: 0n, preimage: c.preimage });
    pair.do('lsp', { type: 'commit' });
    pair.do('client', { type: 'commit' });
    pair.drive();
    pair.do('lsp', { type: 'commit' });
    pair.do('client', { type: 'commit' });
    pair.drive();
    expect(pair.errors).toEqual([]);
    // LSP paid 10 to the client, got 11 back, and received 12 from the client.
    expect(agreement(pair)).toEqual({ lsp: 702_000_000n, client: 298_000_000n });
    expect(pair.eventsOf('lsp', 'htlc_failed')).toEqual([
      { type: 'htlc_failed', id: 1n, reason: Uint8Array.of(9) },
    ]);
    expect(pair.lsp.isIdle && pair.client.isIdle).toBe(true);
  });
});

describe('persist before progress', () => {
  it('commitment_signed and revoke_and_ack leave only after their persist is acknowledged; ids strictly increase', () => {
    const pair = opened();
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 5_000_000n,
      paymentHash: payment('p').hash,
      cltvExpiry: 800,
    });
    const commit = pair.do('lsp', { type: 'commit' });
    expect(commit.map((a) => a.kind)).toEqual(['persist']);
    const inbox = pair.peers.client.inbox.length;
    pair.ack('lsp');
    expect(pair.peers.client.inbox.length).toBe(inbox + 1);
    expect(decodeMessage(pair.peers.client.inbox.at(-1) as string).type).toBe('commitment_signed');
    pair.deliver('client'); // the add
    const onCommit = pair.client.handle({
      type: 'message',
      message: decodeMessage(pair.peers.client.inbox.shift() as string),
    });
    expect(onCommit.map((a) => a.kind)).toEqual(['persist']);
    const persist = onCommit[0] as Extract<ChannelAction, { kind: 'persist' }>;
    pair.peers.client.states.set(persist.token, persist.state);
    const released = pair.client.handle({ type: 'persisted', token: persist.token });
    // The revocation leaves; the client's own commitment_signed (for the LSP's acked add) changes
    // state again, so it is persisted first and leaves only after that acknowledgement.
    expect(released.map((a) => (a.kind === 'send' ? a.message.type : a.kind))).toEqual([
      'revoke_and_ack',
      'persist',
    ]);
    pair.apply('client', released);
    pair.drive();
    expect(pair.errors).toEqual([]);
    for (const side of ['lsp', 'client'] as const) {
      const ids = [...pair.peers[side].states.keys()];
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.every((id, i) => i === 0 || id === (ids[i - 1] as number) + 1)).toBe(true);
    }
  });

  it('signs nothing new while a persist is outstanding; peer messages wait in order', () => {
    const pair = opened();
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 5_000_000n,
      paymentHash: payment('q1').hash,
      cltvExpiry: 800,
    });
    expect(pair.do('lsp', { type: 'commit' }).map((a) => a.kind)).toEqual(['persist']);
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 6_000_000n,
      paymentHash: payment('q2').hash,
      cltvExpiry: 800,
    });
    // A second commit with the first persist unacknowledged produces nothing (and no second signature).
    expect(pair.do('lsp', { type: 'commit' })).toEqual([]);
    // A persist acknowledgement that was never issued is refused.
    expect(thrown(() => pair.lsp.handle({ type: 'persisted', token: 99 }))).toBeInstanceOf(IllegalStepError);
    pair.drive();
    expect(pair.errors).toEqual([]);
    agreement(pair);
    expect(pair.client.localSpec?.htlcs).toHaveLength(2);
  });
});

describe('illegal steps are rejected with what to do', () => {
  it('fulfill or fail before the HTLC is irrevocably committed (BOLT 2)', () => {
    const pair = opened();
    const p = payment('early');
    pair.do('lsp', { type: 'add_htlc', amountMsat: 5_000_000n, paymentHash: p.hash, cltvExpiry: 800 });
    pair.do('lsp', { type: 'commit' });
    pair.ack('lsp');
    pair.deliver('client');
    pair.deliver('client');
    pair.ack('client'); // the client holds commitment 1 with the HTLC, the LSP has not revoked yet
    const e = thrown(() => pair.client.handle({ type: 'fulfill_htlc', id: 0n, preimage: p.preimage }));
    expect(e).toBeInstanceOf(IllegalStepError);
    expect((e as IllegalStepError).step).toBe('not-committed');
    expect(e.action).toBe('ignore');
    pair.drive();
    expect(pair.errors).toEqual([]);
    // A peer fulfilling an HTLC that is not in our commitment: disconnect.
    const f = peerFault(pair, 'lsp', {
      type: 'update_fulfill_htlc',
      channelId: CHANNEL_ID,
      id: 7n,
      paymentPreimage: p.preimage,
    });
    expect(f).toBeInstanceOf(HtlcRejectedError);
    expect((f as HtlcRejectedError).rule).toBe('unknown-htlc');
    expect(f.action).toBe('disconnect');
  });

  it('capacity, reserve, amount', () => {
    const pair = opened();
    const add = (side: Side, msat: bigint) =>
      thrown(() =>
        pair.peers[side].channel.handle({
          type: 'add_htlc',
          amountMsat: msat,
          paymentHash: payment('c').hash,
          cltvExpiry: 800,
        }),
      ) as HtlcRejectedError;
    expect(add('client', 400_000_000n).rule).toBe('capacity');
    expect(add('client', 295_000_000n).rule).toBe('reserve');
    expect(add('client', 0n).rule).toBe('amount');
    expect(add('lsp', 800_000_000n).rule).toBe('capacity');
    // The peer's side of the same rule: the LSP refuses a client add over the client's balance.
    const e = peerFault(pair, 'lsp', {
      type: 'update_add_htlc',
      channelId: CHANNEL_ID,
      id: 0n,
      amountMsat: 400_000_000n,
      paymentHash: payment('c').hash,
      cltvExpiry: 800,
      onion: new Uint8Array(0),
    });
    expect((e as HtlcRejectedError).rule).toBe('capacity');
    expect(e.action).toBe('disconnect');
  });

  it('a duplicate or out-of-order HTLC id from the peer', () => {
    const pair = opened();
    const e = peerFault(pair, 'client', {
      type: 'update_add_htlc',
      channelId: CHANNEL_ID,
      id: 3n,
      amountMsat: 1_000_000n,
      paymentHash: payment('d').hash,
      cltvExpiry: 800,
      onion: new Uint8Array(0),
    });
    expect((e as HtlcRejectedError).rule).toBe('duplicate-id');
    expect(e.action).toBe('disconnect');
  });

  it('a wrong preimage, locally and from the peer', () => {
    const pair = opened();
    const h = committedHtlc(pair, 'lsp', 'w');
    const e = thrown(() =>
      pair.client.handle({ type: 'fulfill_htlc', id: h.id, preimage: new Uint8Array(32).fill(1) }),
    );
    expect((e as HtlcRejectedError).rule).toBe('wrong-preimage');
    expect(e.action).toBe('ignore');
    const f = peerFault(pair, 'lsp', {
      type: 'update_fulfill_htlc',
      channelId: CHANNEL_ID,
      id: h.id,
      paymentPreimage: new Uint8Array(32).fill(1),
    });
    expect((f as HtlcRejectedError).rule).toBe('wrong-preimage');
    expect(f.action).toBe('disconnect');
  });

  it('expiry rules: not in the past, not after T_m − exitDelay − pathTxs − exitMargin', () => {
    const pair = opened({ height: 500 });
    const add = (expiry: number) =>
      thrown(() =>
        pair.lsp.handle({
          type: 'add_htlc',
          amountMsat: 1_000_000n,
          paymentHash: payment('e').hash,
          cltvExpiry: expiry,
        }),
      ) as HtlcRejectedError;
    expect(add(500).rule).toBe('expiry-past');
    // T_m 5,000 − exitDelay 100 − pathTxs 4 − exitMargin 10 = 4,886.
    expect(add(4_887).rule).toBe('expiry-deadline');
    expect(add(4_887).limit).toBe(4_886);
    expect(() =>
      pair.do('lsp', {
        type: 'add_htlc',
        amountMsat: 1_000_000n,
        paymentHash: payment('e').hash,
        cltvExpiry: 4_886,
      }),
    ).not.toThrow();
    const e = peerFault(pair, 'lsp', {
      type: 'update_add_htlc',
      channelId: CHANNEL_ID,
      id: 0n,
      amountMsat: 1_000_000n,
      paymentHash: payment('e').hash,
      cltvExpiry: 4_887,
      onion: new Uint8Array(0),
    });
    expect((e as HtlcRejectedError).rule).toBe('expiry-deadline');
  });

  it('no add in the dying period', () => {
    const pair = opened();
    pair.do('lsp', { type: 'block', height: 4_000 });
    pair.do('client', { type: 'block', height: 4_000 });
    const e = thrown(() =>
      pair.lsp.handle({
        type: 'add_htlc',
        amountMsat: 1_000_000n,
        paymentHash: payment('y').hash,
        cltvExpiry: 4_500,
      }),
    ) as HtlcRejectedError;
    expect(e.rule).toBe('dying-period');
    const f = peerFault(pair, 'lsp', {
      type: 'update_add_htlc',
      channelId: CHANNEL_ID,
      id: 0n,
      amountMsat: 1_000_000n,
      paymentHash: payment('y').hash,
      cltvExpiry: 4_500,
      onion: new Uint8Array(0),
    });
    expect((f as HtlcRejectedError).rule).toBe('dying-period');
  });

  it('affordability: the LSP keeps reserve + fee + 240 with room for one more HTLC each way', () => {
    const pair = opened();
    // LSP: 700,000 sats; reserve 10,000; fee with 1 HTLC + 2 spare ≈ 0.4k; the anchor 240.
    const e = thrown(() =>
      pair.lsp.handle({
        type: 'add_htlc',
        amountMsat: 689_500_000n,
        paymentHash: payment('f').hash,
        cltvExpiry: 800,
      }),
    ) as HtlcRejectedError;
    expect(e.rule).toBe('affordability');
    expect(() =>
      pair.do('lsp', {
        type: 'add_htlc',
        amountMsat: 689_000_000n,
        paymentHash: payment('f').hash,
        cltvExpiry: 800,
      }),
    ).not.toThrow();
    const fee = thrown(() =>
      pair.lsp.handle({ type: 'update_fee', feeRate: 10_000 }),
    ) as FeeUpdateRejectedError;
    expect(fee).toBeInstanceOf(FeeUpdateRejectedError);
    expect(fee.rule).toBe('affordability');
    // checkFeeUpdate answers the same without changing anything (the funder clamps with it).
    const before = pair.lsp.latestFeeRate;
    expect((thrown(() => pair.lsp.checkFeeUpdate(10_000)) as FeeUpdateRejectedError).rule).toBe(
      'affordability',
    );
    expect(() => pair.lsp.checkFeeUpdate(before)).not.toThrow();
    expect(pair.lsp.latestFeeRate).toBe(before);
    expect((thrown(() => pair.client.checkFeeUpdate(before)) as FeeUpdateRejectedError).rule).toBe(
      'not-funder',
    );
  });

  it('dust exposure: trimmed HTLCs plus the fee above maxDustExposure', () => {
    const pair = opened();
    // 400-sat HTLCs are trimmed at 1,000 sat/kvB (threshold 486); 10,000 sats of exposure allowed.
    let n = 0;
    let e: ChannelError | undefined;
    for (; n < 40 && e === undefined; n++) {
      try {
        pair.do('lsp', {
          type: 'add_htlc',
          amountMsat: 400_000n,
          paymentHash: payment(`dust ${n}`).hash,
          cltvExpiry: 800,
        });
      } catch (x) {
        e = x as ChannelError;
      }
    }
    expect((e as HtlcRejectedError).rule).toBe('dust-exposure');
    expect(n).toBeGreaterThan(20);
    expect((e as HtlcRejectedError).limit).toBe(10_000n);
  });

  it('update_fee from the client is refused (only the LSP, the funder, sends it)', () => {
    const pair = opened();
    const e = thrown(() =>
      pair.client.handle({ type: 'update_fee', feeRate: 2_000 }),
    ) as FeeUpdateRejectedError;
    expect(e.rule).toBe('not-funder');
    const f = peerFault(pair, 'lsp', { type: 'update_fee', channelId: CHANNEL_ID, feeRate: 2_000 });
    expect((f as FeeUpdateRejectedError).rule).toBe('not-funder');
    expect(f.action).toBe('disconnect');
    // The LSP's update_fee goes through and both sides agree on the new rate.
    const ok = opened();
    expect(ok.lsp.isReestablished).toBe(true);
    ok.do('lsp', { type: 'update_fee', feeRate: 2_500 });
    expect(ok.lsp.latestFeeRate).toBe(2_500); // in flight: the rate the channel is heading to
    expect(ok.lsp.localSpec?.feeRate).not.toBe(2_500);
    ok.do('lsp', {
      type: 'add_htlc',
      amountMsat: 2_000_000n,
      paymentHash: payment('h').hash,
      cltvExpiry: 800,
    });
    // Held from the proposed add on, by id, on the offerer's side and (once received) the other's.
    expect(ok.lsp.htlcs('lsp').map((h) => h.id)).toEqual([0n]);
    expect(ok.lsp.htlcs('client')).toEqual([]);
    ok.do('lsp', { type: 'commit' });
    ok.drive();
    expect(ok.errors).toEqual([]);
    agreement(ok);
    expect(ok.client.localSpec?.feeRate).toBe(2_500);
    expect(ok.lsp.localSpec?.feeRate).toBe(2_500);
    expect(ok.client.htlcs('lsp').map((h) => h.id)).toEqual([0n]);
  });

  it('an invalid partial signature: force-close; the latest commitment is still broadcastable', () => {
    const pair = opened();
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 5_000_000n,
      paymentHash: payment('s').hash,
      cltvExpiry: 800,
    });
    pair.do('lsp', { type: 'commit' });
    pair.ack('lsp');
    pair.deliver('client');
    tamper(pair, 'client', (m) => {
      const cs = m as Extract<ChannelMessage, { type: 'commitment_signed' }>;
      const psig = Uint8Array.from(cs.partialSig);
      psig[31] = (psig[31] as number) ^ 1;
      return { ...cs, partialSig: psig };
    });
    const err = pair.errors.at(-1)?.event.error as SignatureRejectedError;
    expect(err).toBeInstanceOf(SignatureRejectedError);
    expect(err.which).toBe('partial');
    expect(err.action).toBe('force-close');
    expect(pair.client.phase).toBe('failed');
    expect(pair.client.forceCloseTransaction().commitment.commitmentNumber).toBe(0);
    expect(thrown(() => pair.client.handle({ type: 'commit' }))).toBeInstanceOf(ChannelClosedError);
  });

  it('a partial signature out of range (≥ n): it does not verify, force-close', () => {
    const pair = opened();
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 5_000_000n,
      paymentHash: payment('n').hash,
      cltvExpiry: 800,
    });
    pair.do('lsp', { type: 'commit' });
    pair.ack('lsp');
    pair.deliver('client');
    tamper(pair, 'client', (m) => ({ ...m, partialSig: new Uint8Array(32).fill(0xff) }) as ChannelMessage);
    const err = pair.errors.at(-1)?.event.error as SignatureRejectedError;
    expect(err).toBeInstanceOf(SignatureRejectedError);
    expect(err.which).toBe('partial');
    expect(err.action).toBe('force-close');
    expect(pair.client.phase).toBe('failed');
  });

  it('a revocation secret that is not the commitment’s: force-close', () => {
    const pair = opened();
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 5_000_000n,
      paymentHash: payment('r').hash,
      cltvExpiry: 800,
    });
    pair.do('lsp', { type: 'commit' });
    pair.ack('lsp');
    pair.deliver('client');
    pair.deliver('client');
    pair.ack('client');
    tamper(pair, 'lsp', (m) => ({
      ...(m as Extract<ChannelMessage, { type: 'revoke_and_ack' }>),
      perCommitmentSecret: new Uint8Array(32).fill(5),
    }));
    const err = pair.errors.at(-1)?.event.error as RevocationRejectedError;
    expect(err).toBeInstanceOf(RevocationRejectedError);
    expect(err.rule).toBe('wrong-point');
    expect(err.action).toBe('force-close');
    // An unexpected revoke_and_ack (nothing awaits revocation).
    const other = opened();
    const e = peerFault(other, 'lsp', {
      type: 'revoke_and_ack',
      channelId: CHANNEL_ID,
      perCommitmentSecret: pcSecret('client', 0),
      nextPerCommitmentPoint: pcPoint('client', 2),
      nextVerificationNonce: nonceGen({ pk: pub(CLIENT.funding) }).pubnonce,
    });
    expect((e as RevocationRejectedError).rule).toBe('unexpected');
  });

  it('a secret inconsistent with shachain: force-close', () => {
    const pair = opened();
    committedHtlc(pair, 'lsp', 'sc1');
    // The LSP now holds the client's secret of commitment 0. Sign commitment 2 for the client and
    // stop before its revocation of 1 arrives.
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 5_000_000n,
      paymentHash: payment('sc2').hash,
      cltvExpiry: 800,
    });
    pair.do('lsp', { type: 'commit' });
    pair.ack('lsp');
    // Swap the LSP's store for one holding a different secret at index 2^48 − 1, as if the client
    // had revealed that one for commitment 0; the honest secret of commitment 1 cannot derive it.
    const state = decodeChannelState(pair.peers.lsp.durable as Uint8Array);
    const forged = new ShachainStore();
    forged.insertSecret(new Uint8Array(32).fill(7), FIRST_INDEX);
    const lsp = Channel.restore(encodeChannelState({ ...state, remoteSecrets: forged }), secretsOf('lsp'), {
      sweepScript: SWEEP.lsp,
    });
    lsp.handle({ type: 'connected' });
    const restored = Channel.restore(pair.peers.client.durable as Uint8Array, secretsOf('client'), {
      sweepScript: SWEEP.client,
    });
    const reest = restored.handle({ type: 'connected' });
    const reestablish = reest.find((a) => a.kind === 'send') as Extract<ChannelAction, { kind: 'send' }>;
    lsp.handle({ type: 'message', message: decodeMessage(encodeMessage(reestablish.message)) });
    const out = lsp.handle({
      type: 'message',
      message: {
        type: 'revoke_and_ack',
        channelId: CHANNEL_ID,
        perCommitmentSecret: pcSecret('client', 1),
        nextPerCommitmentPoint: pcPoint('client', 3),
        nextVerificationNonce: nonceGen({ pk: pub(CLIENT.funding) }).pubnonce,
      },
    });
    const err = out.flatMap((a) =>
      a.kind === 'emit' && a.event.type === 'error' ? [a.event.error] : [],
    )[0] as RevocationRejectedError;
    expect(err).toBeInstanceOf(RevocationRejectedError);
    expect(err.rule).toBe('shachain');
    expect(err.action).toBe('force-close');
    expect(lsp.phase).toBe('failed');
  });

  it('updates after stfu; a message for another channel; commands before the channel is open', () => {
    const pair = opened();
    pair.do('lsp', { type: 'quiesce' });
    pair.drive();
    expect(pair.eventsOf('lsp', 'quiescent')).toHaveLength(1);
    expect(pair.eventsOf('client', 'quiescent')).toHaveLength(1);
    const e = thrown(() =>
      pair.lsp.handle({
        type: 'add_htlc',
        amountMsat: 1_000_000n,
        paymentHash: payment('z').hash,
        cltvExpiry: 800,
      }),
    );
    expect((e as IllegalStepError).step).toBe('quiescent');
    const f = peerFault(pair, 'client', {
      type: 'update_add_htlc',
      channelId: CHANNEL_ID,
      id: 0n,
      amountMsat: 1_000_000n,
      paymentHash: payment('z').hash,
      cltvExpiry: 800,
      onion: new Uint8Array(0),
    });
    expect((f as IllegalStepError).step).toBe('quiescent');
    expect(f.action).toBe('disconnect');
    const g = thrown(() =>
      pair.lsp.handle({
        type: 'message',
        message: { type: 'stfu', channelId: new Uint8Array(32), initiator: true },
      }),
    );
    expect((g as IllegalStepError).step).toBe('channel-id');
    expect(g.action).toBe('ignore');
    const fresh = new Pair({ funding: OFFCHAIN_FUNDING });
    expect(
      (
        thrown(() =>
          fresh.lsp.handle({
            type: 'add_htlc',
            amountMsat: 1n,
            paymentHash: new Uint8Array(32),
            cltvExpiry: 800,
          }),
        ) as IllegalStepError
      ).step,
    ).toBe('phase');
  });
});

describe('deadlines (brief §7)', () => {
  it('go on chain for an expired outgoing HTLC and for an incoming one fulfilled but not committed by its deadline', () => {
    const pair = opened();
    const h = committedHtlc(pair, 'lsp', 'deadline', 20_000_000n, 1_000);
    pair.do('client', { type: 'fulfill_htlc', id: h.id, preimage: h.preimage });
    // min(1,000 − (exitDelay 100 + toSelfDelay 6 + htlcBudget 72), 4,886) = 822.
    expect(pair.do('client', { type: 'block', height: 821 })).toEqual([]);
    expect(pair.do('client', { type: 'block', height: 822 })).toEqual([
      {
        kind: 'emit',
        event: { type: 'go_on_chain', reason: 'incoming-htlc-deadline', htlcId: h.id, deadline: 822 },
      },
    ]);
    expect(pair.do('lsp', { type: 'block', height: 999 })).toEqual([]);
    expect(pair.do('lsp', { type: 'block', height: 1_000 })).toEqual([
      {
        kind: 'emit',
        event: { type: 'go_on_chain', reason: 'outgoing-htlc-expired', htlcId: h.id, deadline: 1_000 },
      },
    ]);
  });
});

describe('nonces', () => {
  it('no secret nonce signs twice; every nonce on the wire is fresh', () => {
    const uses = new Map<object, number>();
    const observer = { signedWith: (n: object) => uses.set(n, (uses.get(n) ?? 0) + 1) };
    const pair = new Pair({
      funding: OFFCHAIN_FUNDING,
      options: { lsp: { nonceObserver: observer }, client: { nonceObserver: observer } },
    });
    pair.drive();
    for (let i = 0; i < 4; i++) {
      const h = committedHtlc(pair, i % 2 === 0 ? 'lsp' : 'client', `n${i}`);
      const payee: Side = i % 2 === 0 ? 'client' : 'lsp';
      pair.do(payee, { type: 'fulfill_htlc', id: h.id, preimage: h.preimage });
      pair.do(payee, { type: 'commit' });
      pair.drive();
    }
    // A disconnect with a commitment_signed in flight: it is re-signed with a fresh nonce.
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 1_000_000n,
      paymentHash: payment('rt').hash,
      cltvExpiry: 800,
    });
    pair.do('lsp', { type: 'commit' });
    pair.ack('lsp');
    const first = pair.peers.client.inbox
      .map(decodeMessage)
      .find((m) => m.type === 'commitment_signed') as Extract<ChannelMessage, { type: 'commitment_signed' }>;
    pair.peers.client.inbox.length = 0;
    pair.do('lsp', { type: 'disconnected' });
    pair.do('client', { type: 'disconnected' });
    pair.reconnect();
    pair.deliver('lsp');
    pair.deliver('client');
    const again = pair.peers.client.inbox
      .map(decodeMessage)
      .find((m) => m.type === 'commitment_signed') as Extract<ChannelMessage, { type: 'commitment_signed' }>;
    expect(again).toBeDefined();
    expect(Buffer.from(again.signingNonce).equals(Buffer.from(first.signingNonce))).toBe(false);
    pair.drive();
    expect(pair.errors).toEqual([]);
    agreement(pair);
    expect(uses.size).toBeGreaterThan(10);
    expect([...uses.values()].every((n) => n === 1)).toBe(true);
    // Public nonces on the wire never repeat (verification nonces, signing nonces, both sides).
    const nonces: string[] = [];
    for (const peer of Object.values(pair.peers))
      for (const m of peer.sent) {
        const r = m as unknown as Record<string, unknown>;
        for (const k of [
          'verificationNonce',
          'secondVerificationNonce',
          'nextVerificationNonce',
          'signingNonce',
        ])
          if (r[k] instanceof Uint8Array) nonces.push(Buffer.from(r[k] as Uint8Array).toString('hex'));
      }
    expect(nonces.length).toBeGreaterThan(20);
    expect(new Set(nonces).size).toBe(nonces.length);
  });
});

describe('crash and reestablish', () => {
  it('a holder that crashes after persisting a commitment retransmits its revocation with a fresh nonce', () => {
    const pair = opened();
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 7_000_000n,
      paymentHash: payment('crash').hash,
      cltvExpiry: 800,
    });
    pair.do('lsp', { type: 'commit' });
    pair.ack('lsp');
    pair.deliver('client');
    pair.deliver('client');
    pair.ack('client'); // persisted commitment 1; its revoke_and_ack is in flight
    pair.crash('client');
    pair.reconnect();
    pair.drive();
    expect(pair.errors).toEqual([]);
    agreement(pair);
    expect(pair.client.localSpec?.htlcs).toHaveLength(1);
    // Received exactly once: the crashed instance never saw the LSP's revocation.
    expect(pair.eventsOf('client', 'htlc_received')).toHaveLength(1);
    expect(pair.lsp.isIdle && pair.client.isIdle).toBe(true);
  });

  it('uncommitted updates are reverted on both sides at reconnection; ids are reused', () => {
    const pair = opened();
    pair.do('lsp', {
      type: 'add_htlc',
      amountMsat: 7_000_000n,
      paymentHash: payment('lost').hash,
      cltvExpiry: 800,
    });
    pair.deliver('client');
    pair.do('lsp', { type: 'disconnected' });
    pair.do('client', { type: 'disconnected' });
    pair.reconnect();
    pair.drive();
    expect(pair.lsp.nextHtlcId).toBe(0n);
    const h = committedHtlc(pair, 'lsp', 'kept');
    expect(h.id).toBe(0n);
    agreement(pair);
  });
});
