// The demo's payments (issue 22): between open and close, clients pay each other through the LSP with
// real BOLT 11 invoices. The payee's client issues the invoice (`create_invoice`: its own preimage and
// payment secret, signed with its node key, a route hint through the LSP); the demo takes it from the
// payee's `InvoiceCreated` event and hands it to the payer in process (out of band, as a QR code
// would); the payer's client checks it and adds the HTLC (`pay_invoice`); the LSP forwards it by the
// hint's SCID alias; the payee fulfils; the preimage travels back. A payment is done when the payer
// reported `PaymentSent`, the payee `PaymentReceived`, the LSP `PaymentForwarded`, and both channels
// are settled: no HTLC or update in flight at the LSP, and both ends hold the same balances.
import type { Client, ClientCommand } from '@superscalar/client';
import type { ClientNode } from '@superscalar/client/node';
import { fromHex } from '@superscalar/core';
import type { Lsp } from '@superscalar/lsp';
import type { Journal } from './journal.js';

/** One payment inside each factory: `from` pays `to` (the factory's clients c0…c3, by client index). */
export interface FactoryPayment {
  readonly from: number;
  readonly to: number;
  /** sats */
  readonly amount: bigint;
}

/** The four payments inside every factory (issue 22): c0→c1, c2→c0, c3→c2, c1→c3. */
export const FACTORY_PAYMENTS: readonly FactoryPayment[] = [
  { from: 0, to: 1, amount: 1_000n },
  { from: 2, to: 0, amount: 1_500n },
  { from: 3, to: 2, amount: 2_000n },
  { from: 1, to: 3, amount: 1_000n },
];

/** With two factories or more: factory 1's c0 pays factory 2's c0 this much (sats). */
export const CROSS_FACTORY_SATS = 1_000n;

/** A channel's balances at both ends after a payment (msat). */
export interface ChannelBalances {
  readonly client: number;
  readonly channelId: string;
  readonly lspView: { readonly lspMsat: number; readonly clientMsat: number };
  readonly clientView: { readonly lspMsat: number; readonly clientMsat: number };
}

/** One payment as the demo saw it. */
export interface PaymentReport {
  /** `c0→c1` inside a factory, `f1.c0→f2.c0` across factories. */
  readonly label: string;
  readonly payer: { readonly client: number; readonly factory: number; readonly nodeId: string };
  readonly payee: { readonly client: number; readonly factory: number; readonly nodeId: string };
  /** What the payee asked for (sats) and got. */
  readonly amount: number;
  readonly amountMsat: number;
  /** The LSP's routing fee, paid by the payer on top (msat). */
  readonly feeMsat: number;
  /** The BOLT 11 invoice the payee issued. */
  readonly invoice: string;
  readonly paymentHash: string;
  /** The payer's proof of payment (its SHA-256 is `paymentHash`). */
  readonly preimage: string;
  /** ms since the demo started, when the invoice was asked for. */
  readonly atMs: number;
  /** Invoice to settled at both channels (ms). */
  readonly ms: number;
  /** Every channel of the factories involved, after the payment. */
  readonly balances: ChannelBalances[];
}

/** A client as the payments need it. */
export interface PayingClient {
  readonly n: number;
  readonly name: string;
  readonly machine: Client;
  readonly node: ClientNode<ClientCommand> | undefined;
}

/** What the payments need from the demo. */
export interface PaymentContext {
  readonly lsp: Lsp;
  readonly journal: Journal;
  readonly timeoutMs: number;
  /** Each factory in demo order: its id and its clients by client index (c0…c3). */
  readonly factories: readonly { readonly factoryId: string; readonly clients: readonly PayingClient[] }[];
  /** ms since the demo started. */
  now(): number;
}

/** Balances of every channel of `factoryId`, from both ends (msat). */
export function channelBalances(ctx: PaymentContext, factoryId: string): ChannelBalances[] {
  const info = ctx.lsp.factory(factoryId);
  const f = ctx.factories.find((x) => x.factoryId === factoryId);
  if (info === undefined || f === undefined) throw new Error(`the LSP forgot ${factoryId}`);
  return info.channels.map((ch) => {
    const c = f.clients[ch.clientIndex] as PayingClient;
    const lb = ch.balances;
    const cb = c.machine.factory(factoryId)?.channel.balances;
    if (lb === undefined || cb === undefined) throw new Error(`${c.name}: no balances for ${ch.channelId}`);
    return {
      client: c.n,
      channelId: ch.channelId,
      lspView: { lspMsat: Number(lb.lspMsat), clientMsat: Number(lb.clientMsat) },
      clientView: { lspMsat: Number(cb.lspMsat), clientMsat: Number(cb.clientMsat) },
    };
  });
}

/** True when `client`'s channel in `factoryId` holds nothing in flight and both ends agree. */
function settled(ctx: PaymentContext, factoryId: string, client: PayingClient): boolean {
  const ch = ctx.lsp.factory(factoryId)?.channels.find((c) => c.peer === client.machine.nodeId);
  const mine = client.machine.factory(factoryId)?.channel.balances;
  if (ch === undefined || ch.busy || ch.balances === undefined || mine === undefined) return false;
  return ch.balances.clientMsat === mine.clientMsat && ch.balances.lspMsat === mine.lspMsat;
}

/**
 * One payment: the payee issues an invoice, the payer pays it; resolves once it is settled at both
 * channels.
 *
 * @throws {Error} a role refused or failed it (the journal's failure), or it timed out.
 */
export async function pay(
  ctx: PaymentContext,
  o: {
    readonly label: string;
    readonly payer: { readonly factory: number; readonly index: number };
    readonly payee: { readonly factory: number; readonly index: number };
    readonly amount: bigint;
  },
): Promise<PaymentReport> {
  const pf = ctx.factories[o.payer.factory] as PaymentContext['factories'][number];
  const qf = ctx.factories[o.payee.factory] as PaymentContext['factories'][number];
  const payer = pf.clients[o.payer.index] as PayingClient;
  const payee = qf.clients[o.payee.index] as PayingClient;
  const { journal, timeoutMs } = ctx;
  const atMs = ctx.now();
  const start = performance.now();

  // The payee's invoice, from its event queue (the demo's out-of-band channel).
  const issued = journal.clients('InvoiceCreated').filter((e) => e.role === payee.name).length;
  await payee.node?.command({
    type: 'create_invoice',
    amountMsat: o.amount * 1000n,
    description: `SuperScalar demo ${o.label}`,
    factoryId: fromHex(qf.factoryId),
  });
  const invoice = await journal.until(
    () => journal.clients('InvoiceCreated').filter((e) => e.role === payee.name)[issued]?.event,
    `${payee.name}'s invoice`,
    timeoutMs,
  );
  const hash = invoice.paymentHash;

  await payer.node?.command({
    type: 'pay_invoice',
    invoice: invoice.invoice,
    factoryId: fromHex(pf.factoryId),
  });
  const sent = await journal.until(
    () => {
      const s = journal
        .clients('PaymentSent')
        .find((e) => e.role === payer.name && e.event.paymentHash === hash);
      if (s === undefined) return undefined;
      if (
        !journal.clients('PaymentReceived').some((e) => e.role === payee.name && e.event.paymentHash === hash)
      )
        return undefined;
      if (!journal.lsp('PaymentForwarded').some((e) => e.paymentHash === hash)) return undefined;
      if (!settled(ctx, pf.factoryId, payer) || !settled(ctx, qf.factoryId, payee)) return undefined;
      return s.event;
    },
    `payment ${o.label} (${hash}) to settle`,
    timeoutMs,
  );
  const ms = Math.round(performance.now() - start);
  const factoryIds = [...new Set([pf.factoryId, qf.factoryId])];
  return {
    label: o.label,
    payer: { client: payer.n, factory: o.payer.factory + 1, nodeId: payer.machine.nodeId },
    payee: { client: payee.n, factory: o.payee.factory + 1, nodeId: payee.machine.nodeId },
    amount: Number(o.amount),
    amountMsat: Number(sent.amountMsat),
    feeMsat: Number(sent.feeMsat),
    invoice: invoice.invoice,
    paymentHash: hash,
    preimage: sent.preimage,
    atMs,
    ms,
    balances: factoryIds.flatMap((id) => channelBalances(ctx, id)),
  };
}
