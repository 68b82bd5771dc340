/**
 * The client's side of BOLT 5's preimage extraction: a payment it sent through the LSP whose HTLC the
 * LSP (or whoever holds the other side) claimed on chain with the preimage is sent — `PaymentSent`
 * once, as for an off-chain fulfil (the payment's status guards the second).
 *
 * @module
 */
import type { Channel } from '@superscalar/poon-dryja';
import type { OutPoint } from '@superscalar/tx';
import type { ClientCore } from './_core.js';
import { type ChainSpend, HtlcWatch } from './chainSpends.js';
import { onPaymentEvent } from './payments.js';

const watches = new WeakMap<ClientCore, HtlcWatch>();

function watchOf(core: ClientCore): HtlcWatch {
  let w = watches.get(core);
  if (w === undefined) {
    w = new HtlcWatch();
    watches.set(core, w);
  }
  return w;
}

function channelsOf(core: ClientCore): [string, Channel][] {
  const out: [string, Channel][] = [];
  for (const f of core.factories.values()) if (f.channel !== null) out.push([f.channelIdHex, f.channel]);
  return out;
}

/** `Client.watchedOutpoints`. */
export function clientWatchedOutpoints(core: ClientCore): OutPoint[] {
  return watchOf(core).outpoints(channelsOf(core));
}

/** The spends of `block_connected`: a preimage of a payment of ours settles it. */
export function onChainSpends(core: ClientCore, spends: readonly ChainSpend[] | undefined): void {
  const learned = watchOf(core).learn(channelsOf(core), spends, (s, reason) =>
    core.log('info', 'a spend of a watched HTLC output ignored', { txid: s.txid, vin: s.vin, reason }),
  );
  for (const l of learned) {
    const f = [...core.factories.values()].find((x) => x.channelIdHex === l.channelIdHex);
    if (f === undefined) continue;
    core.log('info', 'a preimage learned on chain', {
      channelId: l.channelIdHex,
      paymentHash: l.paymentHash,
      txid: l.txid,
    });
    onPaymentEvent(core, f, { type: 'htlc_fulfilled', id: l.htlcId, preimage: l.preimage });
  }
}
