/**
 * The chain as the client sees it (roles memo §3 step 8): blocks move its tip (persisted: it bounds a
 * proposal's height), reach the channel (`block`), confirm the funding — whose txid the client knows
 * from the proposal, so it needs no word from the LSP — and enforce the deadline: a factory whose
 * funding has not confirmed by `proposalHeight + fundingTimeout` is abandoned (`FactoryAbandoned`;
 * the LSP double-spends its inputs at the same height).
 *
 * @module
 */

import { FactoryAbortReason } from '@superscalar/wire';
import type { ClientCore, ClientFactory } from './_core.js';
import { advanceOnBlock } from './advance.js';
import { markFunded } from './ceremony.js';
import { drive } from './channels.js';
import { closeOnBlock, closeOnBlockDisconnected } from './closing.js';
import { exitsOnBlock, exitsOnBlockDisconnected } from './exit/clientExit.js';

/** `block_connected`. */
export function onBlockConnected(
  core: ClientCore,
  height: number,
  hash: string,
  txids: readonly string[],
): void {
  const tip = core.meta.tip;
  if (tip !== null && tip.height === height && tip.hash === hash) return;
  core.meta = { ...core.meta, tip: { height, hash } };
  core.saveMeta();
  const inBlock = new Set(txids);
  for (const f of [...core.factories.values()]) {
    if (f.channel !== null) drive(core, f, { type: 'block', height });
    advanceOnBlock(f, inBlock);
    if (f.phase === 'closing') {
      closeOnBlock(core, f, height, inBlock);
      continue;
    }
    const txid = f.proposal.funding.txid;
    if (
      f.fundingConfirmedAt === null &&
      inBlock.has(txid) &&
      (f.phase === 'ceremony' || f.phase === 'funded')
    ) {
      f.fundingConfirmedAt = height;
      markFunded(core, f);
      core.saveFactory(f);
    }
    if (
      f.phase === 'funded' &&
      f.fundingConfirmedAt !== null &&
      height - f.fundingConfirmedAt + 1 >= f.proposal.minimumDepth
    ) {
      f.phase = 'open';
      core.saveFactory(f);
      const channelReady = f.channel?.phase === 'normal';
      core.event({ kind: 'FactoryOpen', factoryId: f.idHex, txid, height, channelReady });
      core.log(channelReady ? 'info' : 'error', 'factory open', { factoryId: f.idHex, height, channelReady });
      continue;
    }
    const deadline = f.proposal.proposalHeight + f.proposal.fundingTimeout;
    if (
      height >= deadline &&
      f.fundingConfirmedAt === null &&
      (f.phase === 'ceremony' || f.phase === 'funded')
    )
      abandon(core, f, height, deadline);
  }
  exitsOnBlock(core, height, hash, inBlock);
}

/** `block_disconnected`: un-confirms a funding the block held. */
export function onBlockDisconnected(core: ClientCore, height: number): void {
  core.meta = { ...core.meta, tip: { height: height - 1, hash: '' } };
  core.saveMeta();
  for (const f of core.factories.values()) {
    closeOnBlockDisconnected(core, f, height);
    if (f.fundingConfirmedAt !== null && f.fundingConfirmedAt >= height) {
      core.log('warn', 'funding un-confirmed by a reorganisation', { factoryId: f.idHex, height });
      f.fundingConfirmedAt = null;
      if (f.phase === 'open') f.phase = 'funded';
      core.saveFactory(f);
    }
  }
  exitsOnBlockDisconnected(core, height);
}

function abandon(core: ClientCore, f: ClientFactory, height: number, deadline: number): void {
  // The record and the channel stay on disk: should the funding confirm after all (it raced the
  // LSP's double-spend), the signed path and commitment 0 are what recovers the client's balance.
  f.phase = 'abandoned';
  f.signing = null;
  core.saveFactory(f);
  core.event({ kind: 'FactoryAbandoned', factoryId: f.idHex, fundingTxid: f.proposal.funding.txid, height });
  core.log('warn', 'factory abandoned: funding not confirmed', { factoryId: f.idHex, deadline });
  core.finish(f);
  if (core.connected)
    core.send({
      type: 'factory_abort',
      factoryId: f.id,
      reason: FactoryAbortReason.FUNDING_FAILED,
      text: `funding did not confirm by height ${deadline}`,
    });
}
