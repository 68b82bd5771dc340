/**
 * The LSP's side of BOLT 5's preimage extraction: a payee that claims an HTLC the LSP offered it on
 * chain (the success leaf of that HTLC's output on either side's commitment) reveals the preimage, and
 * the LSP settles the forward's incoming HTLC with it: off-chain when that channel is up, on chain by
 * its exit's claims otherwise (the forward record holds the preimage, persisted first).
 *
 * @module
 */
import { type ChainSpend, HtlcWatch } from '@superscalar/client';
import type { Channel } from '@superscalar/poon-dryja';
import type { OutPoint } from '@superscalar/tx';
import type { LspCore } from './_core.js';
import { fulfilFromChain } from './forwarding.js';

const watches = new WeakMap<LspCore, HtlcWatch>();

function watchOf(core: LspCore): HtlcWatch {
  let w = watches.get(core);
  if (w === undefined) {
    w = new HtlcWatch();
    watches.set(core, w);
  }
  return w;
}

function channelsOf(core: LspCore): [string, Channel][] {
  const out: [string, Channel][] = [];
  for (const f of core.factories.values())
    for (const slot of f.channels) if (slot.channel !== null) out.push([slot.idHex, slot.channel]);
  return out;
}

/** `Lsp.watchedOutpoints`. */
export function lspWatchedOutpoints(core: LspCore): OutPoint[] {
  return watchOf(core).outpoints(channelsOf(core));
}

/** The spends of `block_connected`: a preimage of an HTLC the LSP forwarded settles the forward upstream. */
export function onChainSpends(core: LspCore, spends: readonly ChainSpend[] | undefined): void {
  const learned = watchOf(core).learn(channelsOf(core), spends, (s, reason) =>
    core.log('info', 'a spend of a watched HTLC output ignored', { txid: s.txid, vin: s.vin, reason }),
  );
  for (const l of learned) {
    const settled = fulfilFromChain(core, l.channelIdHex, l.htlcId, l.preimage);
    core.log('info', 'a preimage learned on chain', {
      channelId: l.channelIdHex,
      htlcId: l.htlcId.toString(),
      paymentHash: l.paymentHash,
      txid: l.txid,
      settled,
    });
  }
}
