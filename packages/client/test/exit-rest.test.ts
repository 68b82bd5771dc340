// Exit loose ends on their own (no role, no chain): a preimage learned after the exit began turns into
// a success claim (`learnClaims`), the exit waits for it until the HTLC's CLTV, and the `ExitBook`
// that both roles keep their exit records in (put, restore, one re-send, pruning once buried).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '@superscalar/core';
import {
  buildCommitment,
  type ChannelConfig,
  claimableOutputs,
  perCommitmentPoint,
} from '@superscalar/poon-dryja';
import { feePolicy } from '@superscalar/watchtower';
import { describe, expect, it } from 'vitest';
import {
  buriedAt,
  commitmentItem,
  DecodeError,
  ExitBook,
  type ExitContext,
  ExitDriver,
  type ExitItemSpec,
  learnClaims,
  newExitRecord,
} from '../src/index.js';

const ctx: ExitContext = { wallet: undefined, policy: feePolicy(), estimate: 1_000, urgent: 1_000 };
const secret = (label: string) => sha256(new TextEncoder().encode(`exit-rest ${label}`));
const pub = (sk: Uint8Array) => secp256k1.getPublicKey(sk, true);
const party = (name: string) => ({
  revocation: secret(`${name} revocation`),
  payment: secret(`${name} payment`),
  delayed: secret(`${name} delayed`),
  htlc: secret(`${name} htlc`),
});
const LSP = party('lsp');
const CLIENT = party('client');
const basepoints = (p: typeof LSP) => ({
  revocation: pub(p.revocation),
  payment: pub(p.payment),
  delayedPayment: pub(p.delayed),
  htlc: pub(p.htlc),
});
const config: ChannelConfig = {
  lspFundingKey: pub(secret('lsp funding')),
  clientFundingKey: pub(secret('client funding')),
  channelTimeout: 5_000,
  toSelfDelay: 6,
  lspBasepoints: basepoints(LSP),
  clientBasepoints: basepoints(CLIENT),
};
const PREIMAGE = secret('preimage');
const HASH = toHex(sha256(PREIMAGE));
const CLTV = 200;

/** The LSP's commitment with one HTLC the client offered it (the LSP claims it by preimage). */
const commitment = buildCommitment(
  config,
  { txid: 'ab'.repeat(32), vout: 0, amount: 100_000n },
  {
    holder: 'lsp',
    commitmentNumber: 3,
    perCommitmentPoint: perCommitmentPoint(secret('pc')),
    lspBalanceMsat: 50_000_000n,
    clientBalanceMsat: 40_000_000n,
    htlcs: [
      {
        id: 0n,
        offeredBy: 'client',
        amountMsat: 10_000_000n,
        paymentHash: sha256(PREIMAGE),
        cltvExpiry: CLTV,
      },
    ],
    feeRate: 1_000,
  },
);
const htlcVout = claimableOutputs(commitment, 'lsp').find((o) => o.kind === 'htlc_success')?.vout as number;

const leaf: ExitItemSpec = {
  id: 'leaf',
  kind: 'state',
  label: 'leaf',
  txid: 'cd'.repeat(32),
  raw: Uint8Array.of(1),
  anchor: null,
  parent: null,
  parentHeight: 100,
  csv: 0,
  locktime: 0,
};

function plan(): ExitDriver {
  const items = [
    leaf,
    commitmentItem(commitment, commitment.unsignedBytes, {
      id: 'commitment 0',
      label: 'commitment',
      parent: 'leaf',
    }),
  ];
  return new ExitDriver(newExitRecord({ factoryId: 'f', reason: 'exit-factory', height: 100, items }));
}

const block = (height: number, ...txids: string[]) => ({
  height,
  hash: 'h'.repeat(64),
  txids: new Set(txids),
});

function learner(known: () => boolean, mayLearn: () => boolean, tip: number) {
  return {
    tip,
    feeRate: 1_000,
    commitmentOf: (parent: string) => (parent === 'commitment 0' ? commitment : undefined),
    optionsOf: (parent: string) =>
      parent === 'commitment 0'
        ? {
            side: 'lsp' as const,
            secrets: { delayed: LSP.delayed, htlc: LSP.htlc, payment: LSP.payment },
            preimageOf: (h: string) => (known() && h === HASH ? PREIMAGE : undefined),
            prefix: 'client 0 ',
          }
        : undefined,
    mayLearn: () => mayLearn(),
    destination: () => Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(7)),
  };
}

describe('learnClaims: a preimage learned after the exit began', () => {
  it('waits for it, then claims the HTLC by its success leaf after toSelfDelay; the exit completes with it', () => {
    const d = plan();
    let known = false;
    let r = learnClaims(
      d,
      learner(
        () => known,
        () => true,
        100,
      ),
    );
    expect(r).toEqual({ added: [], changed: true });
    expect(d.record.awaiting).toEqual([
      { parent: 'commitment 0', vout: htlcVout, paymentHash: HASH, cltvExpiry: CLTV, prefix: 'client 0 ' },
    ]);
    d.onBlock(ctx, block(100));
    d.onBlock(ctx, block(101, leaf.txid));
    const out = d.onBlock(ctx, block(102, commitment.txid));
    // Everything in the plan confirmed, but the HTLC may still be claimed: not complete.
    expect(out.events.map((e) => e.kind)).not.toContain('ExitCompleted');
    expect(d.record.completed).toBe(false);
    known = true; // the forward downstream is fulfilled
    r = learnClaims(
      d,
      learner(
        () => known,
        () => true,
        102,
      ),
    );
    expect(r.added).toEqual([`client 0 htlc_success ${htlcVout}`]);
    expect(d.record.awaiting).toEqual([]);
    const claim = d.item(r.added[0] as string);
    expect(claim?.csv).toBe(6);
    expect(claim?.amount).toBeGreaterThan(9_000n);
    expect(d.onTick(ctx, 102).broadcasts).toHaveLength(0); // its lock: 102 + 6 − 1
    for (let h = 103; h < 107; h++) expect(d.onBlock(ctx, block(h)).broadcasts).toHaveLength(0);
    expect(d.onBlock(ctx, block(107)).broadcasts.map((b) => b.txid)).toEqual([claim?.txid]);
    const done = d.onBlock(ctx, block(108, claim?.txid as string));
    expect(done.events.map((e) => e.kind)).toEqual(['ExitStepConfirmed', 'ExitClaimed', 'ExitCompleted']);
    // A later call changes nothing.
    expect(
      learnClaims(
        d,
        learner(
          () => known,
          () => true,
          108,
        ),
      ),
    ).toEqual({ added: [], changed: false });
  });

  it('an added claim already due goes out on the tick it is learned', () => {
    const d = plan();
    let known = false;
    learnClaims(
      d,
      learner(
        () => known,
        () => true,
        100,
      ),
    );
    d.onBlock(ctx, block(101, leaf.txid));
    d.onBlock(ctx, block(102, commitment.txid));
    for (let h = 103; h <= 110; h++) d.onBlock(ctx, block(h));
    known = true;
    const { added } = learnClaims(
      d,
      learner(
        () => known,
        () => true,
        110,
      ),
    );
    expect(d.onTick(ctx, 110).broadcasts.map((b) => b.txid)).toEqual([d.item(added[0] as string)?.txid]);
  });

  it('stops waiting at the CLTV expiry, or when the preimage can no longer come', () => {
    const d = plan();
    learnClaims(
      d,
      learner(
        () => false,
        () => true,
        100,
      ),
    );
    d.onBlock(ctx, block(101, leaf.txid));
    d.onBlock(ctx, block(102, commitment.txid));
    for (let h = 103; h < CLTV; h++) expect(d.onBlock(ctx, block(h)).events).toEqual([]);
    expect(d.onBlock(ctx, block(CLTV)).events.map((e) => e.kind)).toEqual(['ExitCompleted']);

    const e = plan();
    learnClaims(
      e,
      learner(
        () => false,
        () => true,
        100,
      ),
    );
    e.onBlock(ctx, block(101, leaf.txid));
    e.onBlock(ctx, block(102, commitment.txid));
    expect(
      learnClaims(
        e,
        learner(
          () => false,
          () => false,
          103,
        ),
      ),
    ).toEqual({ added: [], changed: true });
    expect(e.record.awaiting).toEqual([]);
    expect(e.onBlock(ctx, block(103)).events.map((x) => x.kind)).toEqual(['ExitCompleted']);
  });

  it('a preimage already known when the plan was made is not waited for twice (its claim exists)', () => {
    const d = plan();
    const claim = learnClaims(
      d,
      learner(
        () => true,
        () => true,
        100,
      ),
    ).added;
    expect(claim).toHaveLength(1);
    expect(
      learnClaims(
        d,
        learner(
          () => true,
          () => true,
          101,
        ),
      ),
    ).toEqual({ added: [], changed: false });
    expect(() => d.add(d.item(claim[0] as string) as ExitItemSpec)).toThrow(/duplicate/);
  });
});

describe('a refused re-broadcast', () => {
  const spent = { code: 'CHAIN_TX_REJECTED', reason: 'missing-inputs' };

  it('is not lost while the block confirming what went out before may not have arrived yet', () => {
    const d = new ExitDriver(
      newExitRecord({ factoryId: 'f', reason: 'command', height: 100, items: [leaf] }),
    );
    d.onBlock(ctx, block(100)); // out at tip 100
    d.onBlock(ctx, block(101)); // re-sent at 101 …
    const out = d.onBroadcastResult(leaf.txid, spent, 101); // … refused: the chain is ahead
    expect(out.events).toEqual([]);
    expect(d.item('leaf')?.status).toBe('broadcast');
    expect(d.onBlock(ctx, block(102))).toMatchObject({ events: [], broadcasts: [] }); // not sent again
    const next = d.onBlock(ctx, block(103, leaf.txid));
    expect(next.events.map((e) => e.kind)).toEqual(['ExitStepConfirmed', 'ExitCompleted']);
    expect(next.events[1]).toMatchObject({ lost: 0 });
  });

  it('is lost when no block confirms it within 6 blocks (not sent again meanwhile)', () => {
    const d = new ExitDriver(
      newExitRecord({ factoryId: 'f', reason: 'command', height: 100, items: [leaf] }),
    );
    d.onBlock(ctx, block(100));
    d.onBlock(ctx, block(101));
    d.onBroadcastResult(leaf.txid, spent, 101);
    for (let h = 102; h < 107; h++)
      expect(d.onBlock(ctx, block(h))).toMatchObject({ events: [], broadcasts: [] });
    const next = d.onBlock(ctx, block(107));
    expect(next.events.map((e) => e.kind)).toEqual(['ExitStepLost', 'ExitCompleted']);
    expect(d.item('leaf')?.status).toBe('lost');
  });
});

describe('ExitBook', () => {
  const book = () =>
    new ExitBook({ prefix: 'role/x/', newerError: (key, message) => new DecodeError(key, message) });
  const id = 'ef'.repeat(32);

  it('puts, restores and re-sends once; refuses a newer version', () => {
    const a = book();
    const d = new ExitDriver(newExitRecord({ factoryId: id, reason: 'command', height: 100, items: [leaf] }));
    a.drivers.set(id, d);
    const op = a.recordOp(d);
    expect(op).toMatchObject({ op: 'put', table: 'blobs', row: { key: `role/x/${id}`, version: 1 } });
    const row = (op as { row: { key: string; version: number; data: Uint8Array; secret: boolean } }).row;
    const b = book();
    b.restore([row, { ...row, key: 'role/x/other' }, { ...row, key: `other/x/${id}` }]);
    expect([...b.drivers.keys()]).toEqual([id]);
    expect(b.drivers.get(id)?.record).toEqual(d.record);
    expect(b.takeResend()).toHaveLength(1);
    expect(b.takeResend()).toHaveLength(0);
    expect(() => book().restore([{ ...row, version: 2 }])).toThrow(/newer/);
  });

  it('prunes a completed exit of a finished factory once its last step has `depth` confirmations', () => {
    const a = book();
    const d = new ExitDriver(newExitRecord({ factoryId: id, reason: 'command', height: 100, items: [leaf] }));
    a.drivers.set(id, d);
    expect(buriedAt(d.record, 6)).toBeNull();
    d.onBlock(ctx, block(101, leaf.txid));
    expect(d.record.completed).toBe(true);
    expect(buriedAt(d.record, 6)).toBe(106);
    expect(a.prune({ tip: 105, depth: 6, live: () => false })).toEqual([]);
    expect(a.prune({ tip: 106, depth: 6, live: () => true })).toEqual([]); // its factory still live
    expect(a.prune({ tip: 106, depth: 6, live: () => false })).toEqual([
      { op: 'delete', table: 'blobs', key: { key: `role/x/${id}` } },
    ]);
    expect(a.drivers.size).toBe(0);
  });
});
