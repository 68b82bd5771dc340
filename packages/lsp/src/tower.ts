/**
 * What the LSP hands its watchtower (brief §11):
 * - **Revoked client commitments**: when a client's `revoke_and_ack` is accepted, the channel
 *   persists its state with the revoked commitment's pre-signed penalties (every outpoint copy,
 *   brief §5.4) and asks for a watch; {@link onChannelWatch} turns the request into
 *   `@superscalar/watchtower` `penaltyEntries` rows inside that same persist action (the `Out` merges
 *   consecutive persists into one store update), so they are durable before the LSP sends its own
 *   `revoke_and_ack`, forwards or fulfils anything that depends on the revocation.
 * - **Every kickoff of the tree** (brief §5.2, §5.4: a published superseded state costs the LSP its
 *   L-stock whoever publishes it, so staying live within S blocks is the LSP's burden): the newest
 *   signed state spending each kickoff ({@link guardTreeOps}), written with the aggregated
 *   signatures, before `factory_signed` leaves; an advance replaces them ({@link lspAdvanceTowerOps},
 *   which `advance.ts` puts in the update that records the signed advance).
 *
 * The tower runs beside the machine (`LspNode`'s embedded tower, `EmbeddedTower` of
 * `@superscalar/client/runtime`) or standalone over the LSP's store (PostgreSQL across machines);
 * the runtime prunes a factory's entries when it ends.
 *
 * @module
 */
import { type AdvancePlan, signedTxBytes, type TreeTx } from '@superscalar/factory-tree';
import type { Op } from '@superscalar/persist';
import type { WatchRequest } from '@superscalar/poon-dryja';
import { displayHex } from '@superscalar/tx';
import { revokedCommitmentOps, staleStateEntry, uniqueBlobPuts } from '@superscalar/watchtower';
import type { ChannelSlot, LspCore, LspFactory } from './_core.js';
import { built } from './ceremony.js';

/** A channel's `watch` action: a revoked client commitment becomes tower entries in the current persist. */
export function onChannelWatch(core: LspCore, f: LspFactory, slot: ChannelSlot, watch: WatchRequest): void {
  if (watch.type !== 'revoked') {
    core.log('debug', 'channel watch request', { channelId: slot.idHex, watch: watch.type });
    return;
  }
  let ops: Op[];
  try {
    ops = revokedCommitmentOps(f.id, watch.copies);
  } catch (e) {
    // A penalty the tower refuses is a bug (poon-dryja builds them within TRUC's limits): report it,
    // and still let the channel persist the revocation it depends on.
    const message = (e as Error)?.message ?? String(e);
    core.log('error', 'tower entries refused', { channelId: slot.idHex }, e);
    core.event({ kind: 'InvariantViolated', invariant: 'tower: penalty entries', message });
    return;
  }
  core.persist(ops);
  core.log('debug', 'tower entries for a revoked commitment', {
    channelId: slot.idHex,
    commitmentNumber: watch.commitmentNumber,
    entries: ops.length,
  });
}

/**
 * The stale-state entries of a tree: for every state of `txs` whose input is a kickoff of `txs`, that
 * kickoff guarded with the state, signed (`signatureOf`; a state without a signature is skipped).
 */
export function guardTreeOps(o: {
  readonly factoryId: Uint8Array;
  readonly txs: readonly TreeTx[];
  readonly signatureOf: (t: TreeTx) => Uint8Array | undefined;
  /** The factory's DW step `S` (the §5.2 emergency rule). */
  readonly dwStep: number;
}): Op[] {
  const byTxid = new Map(o.txs.map((t) => [t.txid, t]));
  const ops: Op[] = [];
  for (const s of o.txs) {
    if (s.kind !== 'state') continue;
    const input = s.tx.inputs[0];
    const kickoff = input === undefined ? undefined : byTxid.get(displayHex(input.txidBytes));
    const sig = o.signatureOf(s);
    if (kickoff?.kind !== 'kickoff' || sig === undefined) continue;
    ops.push(
      ...staleStateEntry({
        factoryId: o.factoryId,
        kickoffTxid: kickoff.txid,
        state: signedTxBytes(s, sig),
        dwStep: o.dwStep,
      }).ops,
    );
  }
  return uniqueBlobPuts(ops);
}

/** {@link guardTreeOps} of a factory's initial tree, once its signatures are aggregated. */
export function guardFactoryTree(core: LspCore, f: LspFactory): void {
  const sigs = f.signatures;
  if (sigs === null) return;
  core.persist(
    guardTreeOps({
      factoryId: f.id,
      txs: built(f).tree.txs,
      signatureOf: (t) => sigs[t.index],
      dwStep: f.proposal.dw.S,
    }),
  );
}

/**
 * The entries an advance changes for the LSP's tower: each new state of `plan.next` guards its
 * kickoff (the row of an unchanged kickoff is replaced; after a carry, the new kickoffs get rows of
 * their own and the old ones keep theirs). `signatures`: each job's signature by job id (`tx <index>`).
 */
export function lspAdvanceTowerOps(o: {
  readonly factoryId: Uint8Array;
  readonly plan: AdvancePlan;
  readonly signatures: ReadonlyMap<string, Uint8Array>;
}): Op[] {
  const fresh = new Set(o.plan.newTxs.map((t) => t.txid));
  return guardTreeOps({
    factoryId: o.factoryId,
    txs: o.plan.next.txs,
    signatureOf: (t) => (fresh.has(t.txid) ? o.signatures.get(`tx ${t.index}`) : undefined),
    dwStep: o.plan.next.proposal.dw.S,
  });
}
