/**
 * The chain as the LSP sees it (roles memo §3 step 8): blocks from the runtime's follower move the
 * tip (persisted: proposals take it as `proposalHeight`), reach every channel (`block`), confirm
 * fundings (`FactoryOpen` after `minimumDepth`), and enforce the funding deadline: a factory whose
 * funding has not confirmed by `proposalHeight + fundingTimeout` is abandoned — a ceremony still
 * signing is aborted (its inputs released), a signed funding is double-spent with `wallet.abandon`
 * and the double-spend broadcast (`FactoryAbandoned`), as every client abandons it at that height too.
 *
 * @module
 */
import { FactoryAbortReason } from '@superscalar/wire';
import type { LspCore, LspFactory } from './_core.js';
import { advanceOnBlock } from './advance.js';
import { abortCeremony } from './ceremony.js';
import { drive } from './channels.js';
import { closeOnBlock, closeOnBlockDisconnected } from './closing.js';
import { lspExitsOnBlock, lspExitsOnBlockDisconnected } from './exit.js';

/** `block_connected`. */
export function onBlockConnected(
  core: LspCore,
  height: number,
  hash: string,
  txids: readonly string[],
): void {
  const tip = core.meta.tip;
  if (tip !== null && tip.height === height && tip.hash === hash) return; // at-least-once delivery
  core.meta = { ...core.meta, tip: { height, hash } };
  core.saveMeta();
  const inBlock = new Set(txids);
  for (const f of [...core.factories.values()]) {
    for (const slot of f.channels) if (slot.channel !== null) drive(core, f, slot, { type: 'block', height });
    advanceOnBlock(core, f, inBlock);
    if (f.phase === 'closing') {
      closeOnBlock(core, f, height, inBlock);
      continue;
    }
    const txid = f.proposal.funding.txid;
    if (f.phase === 'funded' && f.fundingConfirmedAt === null && inBlock.has(txid)) {
      f.fundingConfirmedAt = height;
      core.saveFactory(f);
      core.log('info', 'funding confirmed', { factoryId: f.idHex, height });
    }
    if (
      f.phase === 'funded' &&
      f.fundingConfirmedAt !== null &&
      height - f.fundingConfirmedAt + 1 >= f.proposal.minimumDepth
    ) {
      f.phase = 'open';
      core.saveFactory(f);
      core.event({ kind: 'FactoryOpen', factoryId: f.idHex, txid, height });
      core.log('info', 'factory open', { factoryId: f.idHex, height });
      continue;
    }
    const deadline = f.proposal.proposalHeight + f.proposal.fundingTimeout;
    if (height >= deadline && f.phase === 'ceremony') {
      abortCeremony(
        core,
        f,
        'funding_failed',
        [],
        `the funding deadline ${deadline} passed before every channel was ready`,
      );
      continue;
    }
    // Not from a replayed block (a restart's catch-up): the funding may confirm in a later one.
    if (
      height >= deadline &&
      f.phase === 'funded' &&
      f.fundingConfirmedAt === null &&
      !core.exits.replaying(height)
    ) {
      abandon(core, f, deadline);
    }
  }
  lspExitsOnBlock(core, height, hash, inBlock);
}

/**
 * After a restore, a signed funding not yet confirmed goes out again with the first input handled —
 * the process may have died between persisting it and broadcasting it. Not at the next block: on a
 * chain that mines only when asked it never comes, and elsewhere it spends a block of the clients'
 * funding deadline. Rebroadcasting a transaction the chain already holds is harmless.
 */
export function rebroadcastRestored(core: LspCore): void {
  for (const f of core.factories.values()) {
    if (!f.rebroadcast) continue;
    f.rebroadcast = false;
    if (f.phase !== 'funded' || f.fundingConfirmedAt !== null) continue;
    const txid = f.proposal.funding.txid;
    const t = core.deps.wallet.tx(txid);
    if (t !== undefined && t.state === 'pending') core.out.broadcast(t.raw, txid, 'funding');
  }
}

/** `block_disconnected`: un-confirms a funding the block held. */
export function onBlockDisconnected(core: LspCore, height: number): void {
  core.meta = { ...core.meta, tip: { height: height - 1, hash: '' } };
  core.saveMeta();
  for (const f of core.factories.values()) {
    closeOnBlockDisconnected(core, f, height);
    if (f.fundingConfirmedAt !== null && f.fundingConfirmedAt >= height) {
      core.log('warn', 'funding un-confirmed by a reorganisation', {
        factoryId: f.idHex,
        height,
        phase: f.phase,
      });
      f.fundingConfirmedAt = null;
      if (f.phase === 'open') f.phase = 'funded';
      core.saveFactory(f);
    }
  }
  lspExitsOnBlockDisconnected(core, height);
}

/** Double-spends a signed funding that missed its deadline. */
function abandon(core: LspCore, f: LspFactory, deadline: number): void {
  const txid = f.proposal.funding.txid;
  const feeRate = Math.max(core.policy.fundingFeeRate, core.feeRates?.funding ?? 0) * 2;
  let doubleSpend: ReturnType<LspCore['deps']['wallet']['abandon']>['doubleSpend'];
  try {
    const r = core.deps.wallet.abandon(txid, { feeRate });
    doubleSpend = r.doubleSpend;
    core.persist(r.ops);
  } catch (cause) {
    core.log('error', 'the wallet cannot abandon the funding', { factoryId: f.idHex, txid }, cause);
    doubleSpend = undefined;
  }
  f.phase = 'abandoned';
  f.abandonTxid = doubleSpend?.txid ?? null;
  // The proposal, signatures and channels stay on disk: should the funding confirm after all (it
  // raced the double-spend), they are what the LSP needs to exit.
  core.saveFactory(f);
  core.event({
    kind: 'FactoryAbandoned',
    factoryId: f.idHex,
    fundingTxid: txid,
    ...(doubleSpend === undefined ? {} : { doubleSpendTxid: doubleSpend.txid }),
  });
  core.log('warn', 'funding abandoned', { factoryId: f.idHex, deadline, doubleSpend: doubleSpend?.txid });
  if (doubleSpend !== undefined) core.out.broadcast(doubleSpend.raw, doubleSpend.txid, 'abandon');
  for (const peer of f.participants)
    if (core.connected.has(peer))
      core.send(peer, {
        type: 'factory_abort',
        factoryId: f.id,
        reason: FactoryAbortReason.FUNDING_FAILED,
        text: `funding did not confirm by height ${deadline}`,
      });
  core.finish(f);
}
