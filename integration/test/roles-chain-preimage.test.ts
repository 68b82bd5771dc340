// Preimages learned from the chain (BOLT 5, brief §7): the payee settles an HTLC the LSP offered it on
// chain (its success leaf, the preimage in the witness) while its link to the LSP is gone for good;
// the LSP reads the preimage from the spend the runtime hands it with the block (`spends` of the
// outpoints it watches) and fulfils the payer's HTLC off-chain — PaymentSent once, balances conserved —
// also across a restart between the spend and the fulfil (the preimage is durable first); a spend with
// a junk element where the preimage goes is ignored; with both links gone the LSP claims the payer's
// HTLC on chain with the preimage the chain gave it, and the payer learns it from that claim — on the
// deterministic harness.
import type { ClientEvent } from '@superscalar/client';
import type { LspEvent } from '@superscalar/lsp';
import { decodeTx } from '@superscalar/tx';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BroadcastRecord,
  clientOf,
  openFactory,
  PAYEE_GONE_AMOUNT,
  type PayeeGone,
  type RoleNode,
  settledProblems,
  payeeGone as setUpPayeeGone,
  successClaim,
  World,
} from '../harness/index.js';

type Ev = ClientEvent | LspEvent;
type Of<K extends Ev['kind']> = Extract<Ev, { kind: K }>;

async function events<K extends Ev['kind']>(n: RoleNode, kind: K): Promise<Of<K>[]> {
  return (await n.events()).filter((e) => e.kind === kind) as Of<K>[];
}

/** Mines one block at a time until `done` (at most `max` blocks). */
async function mineUntil(w: World, done: () => Promise<boolean> | boolean, max = 400): Promise<number> {
  for (let i = 0; i < max; i++) {
    if (await done()) return i;
    await w.mine(1);
  }
  if (await done()) return max;
  throw new Error(`still not done after ${max} blocks`);
}

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const AMOUNT = PAYEE_GONE_AMOUNT;

/**
 * Two clients; the payee's fulfil never reaches the LSP (its link goes down for good as it sends it),
 * so the payee goes on chain at its HTLC deadline and claims the HTLC with the preimage.
 */
async function payeeGone(seed: string): Promise<PayeeGone> {
  world = await World.create({ seed, clients: 2, clientFeeCoins: 2 });
  const s = await setUpPayeeGone(world);
  expect(s.w.net.isUp(s.payee.nodeId, s.w.lsp.nodeId)).toBe(false);
  expect(clientOf(s.payer).payments()[0]?.status).toBe('pending');
  return s;
}

/** The payer's channel after the LSP fulfilled it: the HTLC gone, the amount and the fee moved to the LSP. */
async function expectSettled(s: PayeeGone): Promise<void> {
  expect(await settledProblems(s)).toEqual([]);
}

describe('a payee settles on chain; the LSP learns the preimage from its spend', () => {
  it('the LSP fulfils the payer off-chain: PaymentSent once, balances conserved', async () => {
    const s = await payeeGone('chain-preimage');
    const { w, payer, payee } = s;
    await mineUntil(w, async () => (await events(payer, 'PaymentSent')).length > 0, 400);
    expect((await events(payee, 'ExitStarted'))[0]?.reason).toBe('go_on_chain');
    // The preimage came with the block that holds the payee's claim, as a spend of a watched outpoint.
    const claim = successClaim(s) as BroadcastRecord;
    const spend = w.lsp.trace
      .map((t) => t.input)
      .flatMap((i) => (i.type === 'block_connected' ? (i.spends ?? []) : []))
      .find((x) => x.txid === claim.txid);
    expect(spend?.witness).toHaveLength(4);
    expect(w.messages('update_fulfill_htlc', w.lsp).length).toBeGreaterThan(0);
    await w.mine(3);
    await w.tick();
    await expectSettled(s);
  });

  it('the LSP restarts between persisting the preimage and the fulfil: it fulfils after the restart', async () => {
    const s = await payeeGone('chain-preimage-restart');
    const { w, payer } = s;
    await mineUntil(w, () => successClaim(s) !== undefined, 400);
    let crashed = false;
    w.lsp.crashPoint = (a) => {
      if (a.kind !== 'send' || a.message.type !== 'update_fulfill_htlc') return false;
      crashed = true;
      return true;
    };
    await w.mine(1); // the claim confirms: the LSP persists the preimage, then dies before the fulfil leaves
    expect(crashed).toBe(true);
    expect(w.lsp.down).toBe(true);
    expect((await events(payer, 'PaymentSent')).length).toBe(0);
    // The forward record with its preimage was durable before the send.
    const durable = w.lsp.persisted
      .flat()
      .some(
        (op) =>
          op.op === 'put' &&
          op.table === 'blobs' &&
          String((op.row as { key: string }).key).startsWith('lsp/fwd/') &&
          new TextDecoder().decode((op.row as { data: Uint8Array }).data).includes('"state":"fulfilled"'),
      );
    expect(durable).toBe(true);
    await w.restart(w.lsp);
    for (let i = 0; i < 5 && (await events(payer, 'PaymentSent')).length === 0; i++) await w.tick();
    await w.mine(3);
    await w.tick();
    await expectSettled(s);
  });

  it('a spend with a junk element where the preimage goes is ignored; the real claim settles it', async () => {
    const s = await payeeGone('chain-preimage-junk');
    const { w, payer } = s;
    await mineUntil(w, () => successClaim(s) !== undefined, 400);
    const claim = successClaim(s) as BroadcastRecord;
    const input = decodeTx(claim.raw).inputs[0];
    const witness = [...(input?.witness ?? [])];
    witness[1] = new Uint8Array(32).fill(0x5a);
    const outpoint = {
      txid: Buffer.from(input?.txidBytes as Uint8Array)
        .reverse()
        .toString('hex'),
      vout: input?.vout as number,
    };
    const watched = (w.lsp.machine as unknown as { watchedOutpoints(): { txid: string; vout: number }[] })
      .watchedOutpoints()
      .map((o) => `${o.txid}:${o.vout}`);
    expect(watched).toContain(`${outpoint.txid}:${outpoint.vout}`);
    const tip = (w.lsp.machine as unknown as { tip: { height: number; hash: string } }).tip;
    const forwardedBefore = (await events(w.lsp, 'PaymentForwarded')).length;
    await w.lsp.input({
      type: 'block_connected',
      height: tip.height,
      hash: tip.hash,
      txids: [],
      spends: [{ outpoint, txid: 'ab'.repeat(32), vin: 0, witness }],
    });
    await w.drive();
    expect(w.lsp.down).toBe(false);
    expect((await events(w.lsp, 'PaymentForwarded')).length).toBe(forwardedBefore);
    expect((await events(payer, 'PaymentSent')).length).toBe(0);
    expect(clientOf(payer).payments()[0]?.status).toBe('pending');
    await mineUntil(w, async () => (await events(payer, 'PaymentSent')).length > 0, 20);
    await w.mine(3);
    await w.tick();
    await expectSettled(s);
  });
});

describe('the LSP settles on chain; the payer learns the preimage from its spend', () => {
  it('the payer, cut off before the LSP’s fulfil, sees the LSP’s success claim: PaymentSent once', async () => {
    world = await World.create({ seed: 'chain-preimage-payer', clients: 2, clientFeeCoins: 2 });
    const w = world;
    await w.connectAll();
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    await w.command(payee, { type: 'create_invoice', amountMsat: 4_000_000n, description: 'settled late' });
    const inv = clientOf(payee).invoices()[0] as { invoice: string; paymentHash: string };
    // The payee is paid (the LSP learns the preimage), the payer vanishes before the LSP's fulfil
    // reaches it: the LSP goes on chain for its incoming HTLC and claims it with the preimage.
    const send = w.net.send.bind(w.net);
    w.net.send = (from, to, message) => {
      if (to === payer.nodeId && message.type === 'update_fulfill_htlc') {
        w.disconnect(payer.nodeId, w.lsp.nodeId, { keepDown: true });
        return;
      }
      send(from, to, message);
    };
    await w.command(payer, { type: 'pay_invoice', invoice: inv.invoice });
    expect(clientOf(payee).invoices()[0]?.status).toBe('paid');
    expect(clientOf(payer).payments()[0]?.status).toBe('pending');
    await mineUntil(
      w,
      async () => (await events(w.lsp, 'ExitClaimed')).some((e) => e.label.includes('success')),
      400,
    );
    const success = (await events(w.lsp, 'ExitClaimed')).find((e) => e.label.includes('success'));
    const sent = await events(payer, 'PaymentSent');
    expect(sent.map((e) => e.paymentHash)).toEqual([inv.paymentHash]);
    expect(sent[0]?.preimage).toHaveLength(64);
    expect(clientOf(payer).payments()[0]?.status).toBe('sent');
    // It came from the LSP's claim, handed to the payer as a spend of an outpoint it watches.
    const spend = payer.trace
      .map((t) => t.input)
      .flatMap((i) => (i.type === 'block_connected' ? (i.spends ?? []) : []))
      .find((x) => x.txid === success?.txid);
    expect(spend?.witness).toHaveLength(4);
    await w.mine(10);
    expect((await events(payer, 'PaymentSent')).length).toBe(1);
  });
});

describe('both links gone: the preimage goes from chain to chain', () => {
  it('the payee claims on chain, the LSP learns it and claims the payer’s HTLC on chain by its exit; the payer learns it from that', async () => {
    world = await World.create({ seed: 'chain-preimage-both', clients: 2, clientFeeCoins: 2 });
    const w = world;
    await w.connectAll();
    await openFactory(w);
    const [payer, payee] = w.clients as [RoleNode, RoleNode];
    await w.command(payee, { type: 'create_invoice', amountMsat: AMOUNT, description: 'chain to chain' });
    const inv = clientOf(payee).invoices()[0] as { invoice: string; paymentHash: string };
    const send = w.net.send.bind(w.net);
    w.net.send = (from, to, message) => {
      if (message.type === 'update_fulfill_htlc' && (from === payee.nodeId || to === payer.nodeId)) {
        w.disconnect(from === payee.nodeId ? payee.nodeId : payer.nodeId, w.lsp.nodeId, { keepDown: true });
        return;
      }
      send(from, to, message);
    };
    await w.command(payer, { type: 'pay_invoice', invoice: inv.invoice });
    await mineUntil(
      w,
      async () => (await events(w.lsp, 'ExitClaimed')).some((e) => e.label.includes('success')),
      500,
    );
    // The LSP learned the preimage from the payee's claim (its forward fulfilled), then claimed its own.
    expect((await events(w.lsp, 'PaymentForwarded')).map((e) => e.paymentHash)).toEqual([inv.paymentHash]);
    // Its success claim is of the payer's channel (client 0), by the exit's preimage from the forward.
    const mine = (await events(w.lsp, 'ExitClaimed')).filter((e) => e.label.includes('success'));
    expect(mine.map((e) => e.label)).toEqual(['client 0 HTLC 0 success claim']);
    expect((await events(payee, 'ExitClaimed')).some((e) => e.label.includes('success'))).toBe(true);
    const sent = await events(payer, 'PaymentSent');
    expect(sent.map((e) => e.paymentHash)).toEqual([inv.paymentHash]);
    expect(clientOf(payer).payments()[0]?.status).toBe('sent');
  });
});
