/**
 * A restored client re-writes its watchtower's entries when they are missing (issue 23: a new or lost
 * entries store, or a factory signed before towers existed — no backfilled kickoff guards for older
 * factories). Entries are re-derived from what the client holds, for every live signed factory whose
 * per-factory tower blob (`watch/f/<factory id>`, written with every kickoff guard and deleted with
 * the entries by `closeFactoryOps`) is absent from the store:
 * - the kickoff guards of its current path with the newest state (`guardPathOps`), and of every
 *   kickoff instance an earlier carry retired (kept at that advance, `towerRetired.ts`), except the
 *   states an exit driver publishes itself (taken over from the tower);
 * - the penalties of every revoked LSP commitment it still holds (its channel's `revoked/<n>`
 *   watchtower records, every outpoint copy);
 * - for every superseded leaf state of its record, the poison and its own settlement, and each
 *   revealed `s_c`.
 * {@link Client.restore} computes them; the machine's first `handle` returns them as its first
 * action, a persist of their own, before anything else it does (idempotent puts: the same rows the
 * original updates wrote).
 *
 * @module
 */
import { supersededResponses } from '@superscalar/factory-tree';
import type { BlobRecord, Op } from '@superscalar/persist';
import { decodeWatchtowerRecord } from '@superscalar/poon-dryja';
import { FACTORY_BLOB_PREFIX, revokedCommitmentOps, uniqueBlobPuts } from '@superscalar/watchtower';
import type { ClientCore, ClientFactory } from './_core.js';
import { channelKey, readRecord, recordKey } from './codec.js';
import { guardPathOps, leafSlot, revealedSecretOps, supersededStateOps } from './tower.js';
import { retiredGuardEntries } from './towerRetired.js';

/** Kickoff txids whose states an exit driver of `f` publishes (the tower must not guard them again). */
function publishedByDriver(core: ClientCore, f: ClientFactory): Set<string> {
  const out = new Set<string>();
  const d = core.exits.drivers.get(f.idHex);
  if (d === undefined) return out;
  for (const it of d.record.items) {
    if (it.kind !== 'state' || it.broadcast === false || it.external === true || it.parent === null) continue;
    const k = d.item(it.parent);
    if (k?.kind === 'kickoff') out.add(k.txid);
  }
  return out;
}

/** The entries of one factory, re-derived (see the module doc). */
export function factoryTowerEntries(
  core: ClientCore,
  f: ClientFactory,
  byKey: ReadonlyMap<string, BlobRecord>,
): Op[] {
  const ops: Op[] = [];
  if (f.signatures !== null) {
    const skip = publishedByDriver(core, f);
    const guards = guardPathOps({
      factoryId: f.id,
      txs: f.path.txs,
      signatures: f.signatures.path,
      dwStep: f.proposal.dw.S,
    });
    ops.push(
      ...guards.filter((o) => !(o.op === 'put' && o.table === 'watchEntries' && skip.has(o.row.triggerTxid))),
    );
    // The kickoff instances earlier carries retired (still spendable if a stale ancestor confirms).
    ops.push(
      ...retiredGuardEntries({ factoryId: f.id, idHex: f.idHex, byKey, dwStep: f.proposal.dw.S, skip }),
    );
  }
  const prefix = `${channelKey(f.channelIdHex)}/revoked/`;
  for (const [key, b] of byKey)
    if (key.startsWith(prefix))
      ops.push(...revokedCommitmentOps(f.id, decodeWatchtowerRecord(b.data).copies));
  const rb = byKey.get(recordKey(f.idHex));
  if (rb !== undefined) {
    const record = readRecord(rb).record;
    const responses = supersededResponses(record);
    record.superseded.forEach((e, i) => {
      const s = responses[i];
      if (s === undefined) return;
      ops.push(
        ...supersededStateOps({
          factoryId: f.id,
          stateTxid: s.stateTx.txid,
          ...(s.poison === undefined || e.poisonSignature === undefined
            ? {}
            : { poison: { tx: s.poison, signature: e.poisonSignature } }),
          ...(s.signedSettlement === undefined
            ? {}
            : { settlement: { slot: leafSlot(f.path), tx: s.signedSettlement } }),
        }),
      );
      const secret = record.secrets.get(e.state.counter);
      if (secret !== undefined && e.poisonSignature !== undefined)
        ops.push(
          ...revealedSecretOps({
            factoryId: f.id,
            counter: e.state.counter,
            secret,
            poison: e.state.poisonHash,
          }),
        );
    });
  }
  return uniqueBlobPuts(ops);
}

/**
 * The entries to re-write at restore: those of every live signed factory whose tower blob is absent
 * from `blobs` (the store's). Undefined when there is nothing to write.
 */
export function towerBackfillOps(
  core: ClientCore,
  blobs: readonly BlobRecord[],
  byKey: ReadonlyMap<string, BlobRecord>,
): Op[] | undefined {
  const present = new Set<string>();
  for (const b of blobs)
    if (typeof b?.key === 'string' && b.key.startsWith(FACTORY_BLOB_PREFIX))
      present.add(b.key.slice(FACTORY_BLOB_PREFIX.length));
  const ops: Op[] = [];
  for (const f of core.factories.values()) {
    if (f.signatures === null || present.has(f.idHex)) continue;
    let rows: Op[];
    try {
      rows = factoryTowerEntries(core, f, byKey);
    } catch (e) {
      // A builder that refuses them is a bug: reported, the factory itself still restores.
      core.log('error', 'tower entries not re-derived', { factoryId: f.idHex }, e);
      continue;
    }
    if (rows.length === 0) continue;
    core.log('info', 'tower entries re-written at restore', {
      factoryId: f.idHex,
      entries: rows.filter((o) => o.op === 'put' && o.table === 'watchEntries').length,
    });
    ops.push(...rows);
  }
  return ops.length === 0 ? undefined : ops;
}
