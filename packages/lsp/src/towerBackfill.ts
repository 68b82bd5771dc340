/**
 * A restored LSP re-writes its watchtower's entries when they are missing (issue 23: a new or lost
 * entries store, or a factory signed before towers existed). For every live signed factory whose
 * per-factory tower blob (`watch/f/<factory id>`, written with every kickoff guard, deleted with the
 * entries by `closeFactoryOps`) is absent from the store, the entries are re-derived from what the LSP
 * holds:
 * - every kickoff instance of the factory's history guarded with the newest state spending it
 *   (`guardTreeOps` over the initial tree and the tree after each advance, replayed from the stored
 *   history; a later tree's state replaces an earlier one's for the same kickoff): the current
 *   tree's kickoffs, and after a carry the older instances below the advanced node too — their
 *   outputs can still be published if a stale ancestor state confirms — except the states an exit
 *   driver publishes itself;
 * - the penalties of every revoked client commitment it still holds (each channel's `revoked/<n>`
 *   watchtower records, every outpoint copy).
 * `Lsp.restore` computes them; the first `handle` returns them as its first action, a persist of
 * their own, before anything else (idempotent puts).
 *
 * @module
 */

import { kickoffsPublishedBy, missingTowerEntryOps } from '@superscalar/client';
import { buildTree, replayFactory, type TreeTx } from '@superscalar/factory-tree';
import type { BlobRecord, Op } from '@superscalar/persist';
import { decodeWatchtowerRecord } from '@superscalar/poon-dryja';
import { revokedCommitmentOps, uniqueBlobPuts } from '@superscalar/watchtower';
import type { LspCore, LspFactory } from './_core.js';
import { advanceSignatures, currentTree } from './advance.js';
import { guardTreeOps } from './tower.js';

/** The signature of a transaction of the current tree: an advance's (by txid), else the ceremony's. */
function signatureOf(f: LspFactory, sigs: readonly Uint8Array[]): (t: TreeTx) => Uint8Array | undefined {
  const advanced = advanceSignatures(f);
  let initial: readonly TreeTx[] | undefined;
  return (t) => {
    const a = advanced.get(t.txid);
    if (a !== undefined) return a;
    initial ??= advanced.size === 0 ? currentTree(f).txs : buildTree(f.proposal).txs;
    return initial[t.index]?.txid === t.txid ? sigs[t.index] : undefined;
  };
}

/**
 * The transactions of every tree the factory has had: the initial one, then the tree after each
 * completed advance (replayed from the stored history), the current tree last.
 */
function historyTrees(f: LspFactory): (readonly TreeTx[])[] {
  const stored = f.advance?.stored;
  if (stored === undefined || stored.history.length === 0) return [currentTree(f).txs];
  const { plans } = replayFactory(stored);
  return [buildTree(f.proposal).txs, ...plans.map((p) => p.next.txs), currentTree(f).txs];
}

/** The entries of one factory, re-derived (see the module doc). */
export function factoryTowerEntries(
  core: LspCore,
  f: LspFactory,
  byKey: ReadonlyMap<string, BlobRecord>,
): Op[] {
  const ops: Op[] = [];
  const sigs = f.signatures;
  if (sigs !== null) {
    const skip = kickoffsPublishedBy(core.exits.drivers.get(f.idHex));
    const signed = signatureOf(f, sigs);
    // Oldest tree first: a kickoff's row from a later tree (its newer state) replaces the earlier one.
    const byKickoff = new Map<string, Op>();
    const blobs: Op[] = [];
    for (const txs of historyTrees(f)) {
      for (const o of guardTreeOps({ factoryId: f.id, txs, signatureOf: signed, dwStep: f.proposal.dw.S }))
        if (o.op === 'put' && o.table === 'watchEntries') byKickoff.set(o.row.triggerTxid, o);
        else blobs.push(o);
    }
    for (const [kickoff, o] of byKickoff) if (!skip.has(kickoff)) ops.push(o);
    ops.push(...blobs);
  }
  for (const [key, b] of byKey) {
    const m = /^lsp\/c\/([0-9a-f]{64})\/revoked\/\d+$/.exec(key);
    if (m === null || core.channelIndex.get(m[1] as string)?.f !== f) continue;
    ops.push(...revokedCommitmentOps(f.id, decodeWatchtowerRecord(b.data).copies));
  }
  return uniqueBlobPuts(ops);
}

/** The LSP's entries to re-write at restore (the client's `missingTowerEntryOps`). */
export function towerBackfillOps(
  core: LspCore,
  blobs: readonly BlobRecord[],
  byKey: ReadonlyMap<string, BlobRecord>,
): Op[] | undefined {
  return missingTowerEntryOps({
    factories: core.factories.values(),
    blobs,
    entriesOf: (f) => factoryTowerEntries(core, f, byKey),
    log: (level, msg, fields, err) => core.log(level, msg, fields, err),
  });
}
