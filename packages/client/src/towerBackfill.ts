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
import { kickoffsPublishedBy } from './exit/takeOver.js';
import { guardPathOps, leafSlot, revealedSecretOps, supersededStateOps } from './tower.js';
import { retiredGuardEntries } from './towerRetired.js';

/** The entries of one factory, re-derived (see the module doc). */
export function factoryTowerEntries(
  core: ClientCore,
  f: ClientFactory,
  byKey: ReadonlyMap<string, BlobRecord>,
): Op[] {
  const ops: Op[] = [];
  if (f.signatures !== null) {
    const skip = kickoffsPublishedBy(core.exits.drivers.get(f.idHex));
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
 * The entries to re-write at restore, for both roles: those of every live signed factory (`signatures`
 * set) whose tower blob is absent from `blobs` (the store's), each from `entriesOf`; a factory whose
 * entries cannot be built is logged and skipped (it still restores). Undefined when there is nothing
 * to write.
 */
export function missingTowerEntryOps<F extends { readonly idHex: string; readonly signatures: unknown }>(o: {
  readonly factories: Iterable<F>;
  readonly blobs: readonly BlobRecord[];
  readonly entriesOf: (f: F) => Op[];
  readonly log: (
    level: 'info' | 'error',
    msg: string,
    fields: Record<string, unknown>,
    err?: unknown,
  ) => void;
}): Op[] | undefined {
  const present = new Set<string>();
  for (const b of o.blobs)
    if (typeof b?.key === 'string' && b.key.startsWith(FACTORY_BLOB_PREFIX))
      present.add(b.key.slice(FACTORY_BLOB_PREFIX.length));
  const ops: Op[] = [];
  for (const f of o.factories) {
    if (f.signatures === null || present.has(f.idHex)) continue;
    let rows: Op[];
    try {
      rows = o.entriesOf(f);
    } catch (e) {
      // A builder that refuses them is a bug: reported, the factory itself still restores.
      o.log('error', 'tower entries not re-derived', { factoryId: f.idHex }, e);
      continue;
    }
    if (rows.length === 0) continue;
    o.log('info', 'tower entries re-written at restore', {
      factoryId: f.idHex,
      entries: rows.filter((r) => r.op === 'put' && r.table === 'watchEntries').length,
    });
    ops.push(...rows);
  }
  return ops.length === 0 ? undefined : ops;
}

/** The client's entries to re-write at restore ({@link missingTowerEntryOps}). */
export function towerBackfillOps(
  core: ClientCore,
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
