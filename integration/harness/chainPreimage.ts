// The on-chain preimage scene (BOLT 5) shared by the SimChain and Core suites: a payee whose fulfil
// never reaches the LSP (its link goes down for good as it sends it) goes on chain at its HTLC deadline
// and claims the HTLC with the preimage; the LSP learns it from the spend and fulfils the payer.
import { createHash } from 'node:crypto';
import type { ClientEvent } from '@superscalar/client';
import type { LspEvent, LspFactoryInfo } from '@superscalar/lsp';
import { decodeTx } from '@superscalar/tx';
import { clientOf, openFactory } from './scenario.js';
import type { BroadcastRecord, RoleNode, World } from './world.js';

/** The payment's amount. */
export const PAYEE_GONE_AMOUNT = 5_000_000n;

export interface PayeeGone {
  readonly w: World;
  readonly f: LspFactoryInfo;
  readonly payer: RoleNode;
  readonly payee: RoleNode;
  readonly hash: string;
  readonly before: { readonly lspMsat: bigint; readonly clientMsat: bigint };
}

/** Drops `payee`'s first `update_fulfill_htlc` and takes its link to the LSP down for good instead. */
export function dropPayeeFulfil(w: World, payee: RoleNode): void {
  const send = w.net.send.bind(w.net);
  w.net.send = (from, to, message) => {
    if (from === payee.nodeId && message.type === 'update_fulfill_htlc') {
      w.disconnect(payee.nodeId, w.lsp.nodeId, { keepDown: true });
      return;
    }
    send(from, to, message);
  };
}

/**
 * On a world of two clients: opens the factory, and the first pays the second an invoice whose fulfil
 * never reaches the LSP (the payer's payment stays pending).
 */
export async function payeeGone(w: World): Promise<PayeeGone> {
  await w.connectAll();
  const f = await openFactory(w);
  const [payer, payee] = w.clients as [RoleNode, RoleNode];
  const before = clientOf(payer).factory(f.factoryId)?.channel.balances as PayeeGone['before'];
  await w.command(payee, {
    type: 'create_invoice',
    amountMsat: PAYEE_GONE_AMOUNT,
    description: 'settled on chain',
  });
  const inv = clientOf(payee).invoices()[0] as { invoice: string; paymentHash: string };
  dropPayeeFulfil(w, payee);
  await w.command(payer, { type: 'pay_invoice', invoice: inv.invoice });
  return { w, f, payer, payee, hash: inv.paymentHash, before };
}

/** The payee's success claim (witness `[sig, preimage, script, control]`) once it is broadcast. */
export function successClaim(s: PayeeGone): BroadcastRecord | undefined {
  return s.w.broadcasts.find((b) => {
    if (b.node !== s.payee.name || b.outcome !== 'accepted') return false;
    const wit = decodeTx(b.raw).inputs[0]?.witness ?? [];
    return (
      wit.length === 4 &&
      createHash('sha256')
        .update(wit[1] as Uint8Array)
        .digest('hex') === s.hash
    );
  });
}

type Ev = ClientEvent | LspEvent;
async function events<K extends Ev['kind']>(n: RoleNode, kind: K): Promise<Extract<Ev, { kind: K }>[]> {
  return (await n.events()).filter((e) => e.kind === kind) as Extract<Ev, { kind: K }>[];
}

/**
 * What is not so of a settled payment (empty when it is): the payer's PaymentSent once and its payment
 * sent, the LSP's one forward of the amount, the payer's channel with the HTLC gone (amount and fee
 * moved to the LSP), and the payee's on-chain claim paying the HTLC's sats less its fee.
 */
export async function settledProblems(s: PayeeGone): Promise<string[]> {
  const problems: string[] = [];
  const is = (what: string, got: unknown, want: unknown) => {
    if (got !== want) problems.push(`${what}: ${String(got)}, expected ${String(want)}`);
  };
  const sent = (await events(s.payer, 'PaymentSent')).map((e) => e.paymentHash);
  is('PaymentSent', sent.join(','), s.hash);
  is('payment status', clientOf(s.payer).payments()[0]?.status, 'sent');
  const fwd = (await events(s.w.lsp, 'PaymentForwarded')).filter((e) => e.paymentHash === s.hash);
  is('PaymentForwarded count', fwd.length, 1);
  const fee = fwd[0]?.feeMsat ?? 0n;
  is('forwarded amount', fwd[0]?.amountMsat, PAYEE_GONE_AMOUNT);
  const after = clientOf(s.payer).factory(s.f.factoryId)?.channel.balances;
  is('payer clientMsat', after?.clientMsat, s.before.clientMsat - PAYEE_GONE_AMOUNT - fee);
  is('payer lspMsat', after?.lspMsat, s.before.lspMsat + PAYEE_GONE_AMOUNT + fee);
  const claim = successClaim(s);
  if (claim === undefined) problems.push('no success claim broadcast by the payee');
  else {
    const paid = decodeTx(claim.raw).outputs.reduce((a, o) => a + o.value, 0n);
    if (paid <= 4_000n || paid >= 5_000n) problems.push(`the claim pays ${paid} sats, not in (4000, 5000)`);
  }
  return problems;
}
