/**
 * Kickoff instances a carry retires (brief §5.2): a carry rebuilds every kickoff below the advanced
 * node on a new outpoint, so the client's new path has new kickoff txids. The old instances stay
 * spendable on chain — a stale ancestor state that confirms brings their outputs back — and each is
 * guarded with the newest state ever signed spending it: the state below it on the path just before
 * the carry. The client's record keeps only its current path's signatures, so at the advance that
 * retires them the client keeps each retired guard in a blob of its own
 * (`client/f/<factory id>/g/<kickoff txid>`: the signed state) and re-puts its tower entry, both in
 * the update that records the advance; the restore backfill (`towerBackfill.ts`) re-writes those
 * entries from the blobs when the tower's entries are missing.
 *
 * A factory carried before these blobs existed has no record of its retired instances' signed
 * states: its backfill covers the current path only.
 *
 * @module
 */
import { signedTxBytes, type TreeTx } from '@superscalar/factory-tree';
import type { BlobRecord, Op } from '@superscalar/persist';
import { staleStateEntry, uniqueBlobPuts } from '@superscalar/watchtower';

/** Blob key prefix of a factory's retired kickoff guards. */
export const retiredGuardPrefix = (idHex: string) => `client/f/${idHex}/g/`;

/** The kickoffs of a path, each with the signed state spending it (when the path has one). */
function guards(
  txs: readonly TreeTx[],
  signatures: readonly Uint8Array[],
): Map<string, { readonly kickoff: TreeTx; readonly state: Uint8Array }> {
  const out = new Map<string, { kickoff: TreeTx; state: Uint8Array }>();
  txs.forEach((k, i) => {
    const s = txs[i + 1];
    const sig = signatures[i + 1];
    if (k.kind !== 'kickoff' || s?.kind !== 'state' || sig === undefined) return;
    out.set(k.txid, { kickoff: k, state: signedTxBytes(s, sig) });
  });
  return out;
}

/**
 * The operations of an advance that retires kickoff instances: for each kickoff of the `previous`
 * path (with its signatures) that the `next` path no longer has, its guard kept in a blob and its
 * tower entry put again (idempotent: the same row an earlier update wrote). None for a per-leaf
 * advance without a carry (every kickoff of the path keeps its txid).
 */
export function retiredGuardOps(o: {
  readonly factoryId: Uint8Array;
  readonly idHex: string;
  readonly previous: { readonly txs: readonly TreeTx[]; readonly signatures: readonly Uint8Array[] };
  readonly next: readonly TreeTx[];
  readonly dwStep: number;
}): Op[] {
  const kept = new Set(o.next.map((t) => t.txid));
  const ops: Op[] = [];
  for (const [txid, g] of guards(o.previous.txs, o.previous.signatures)) {
    if (kept.has(txid)) continue;
    ops.push({
      op: 'put',
      table: 'blobs',
      row: { key: `${retiredGuardPrefix(o.idHex)}${txid}`, version: 1, data: g.state, secret: false },
    });
    ops.push(
      ...staleStateEntry({ factoryId: o.factoryId, kickoffTxid: txid, state: g.state, dwStep: o.dwStep }).ops,
    );
  }
  return uniqueBlobPuts(ops);
}

/**
 * The tower entries of a factory's retired kickoff instances, from their blobs among `byKey` (the
 * restore backfill), except the kickoffs in `skip`.
 */
export function retiredGuardEntries(o: {
  readonly factoryId: Uint8Array;
  readonly idHex: string;
  readonly byKey: ReadonlyMap<string, BlobRecord>;
  readonly dwStep: number;
  readonly skip: ReadonlySet<string>;
}): Op[] {
  const prefix = retiredGuardPrefix(o.idHex);
  const ops: Op[] = [];
  for (const [key, b] of o.byKey) {
    if (!key.startsWith(prefix)) continue;
    const kickoffTxid = key.slice(prefix.length);
    if (o.skip.has(kickoffTxid)) continue;
    ops.push(
      ...staleStateEntry({ factoryId: o.factoryId, kickoffTxid, state: b.data, dwStep: o.dwStep }).ops,
    );
  }
  return ops;
}
