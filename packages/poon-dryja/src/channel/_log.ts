// Internal: the channel's balances and HTLC set (the "spec" of one holder's commitment, in absolute
// terms — LSP and client, never local/remote, so one reduction serves both holders) and BOLT 2's update
// log with the four life stages of an update (proposed → signed → acked → in both commitments).

import { type HtlcSpec, otherSide as other, type Side } from '../commitment.js';
import { InvariantError } from '../errors.js';

export type { Side };
export { other };

/** An HTLC as a commitment holds it (the commitment builder's type). `id` is unique per offerer. */
export type SpecHtlc = HtlcSpec;

/** What one commitment pays: balances (msat, HTLCs excluded), HTLCs in flight, the fee rate. */
export interface Spec {
  readonly lspMsat: bigint;
  readonly clientMsat: bigint;
  readonly feeRate: number;
  readonly htlcs: readonly SpecHtlc[];
}

/** One update, as its proposer sent it. */
export type Update =
  | { readonly kind: 'add'; readonly htlc: SpecHtlc; readonly onion: Uint8Array }
  | { readonly kind: 'fulfill'; readonly id: bigint; readonly preimage: Uint8Array }
  | { readonly kind: 'fail'; readonly id: bigint; readonly reason: Uint8Array }
  | { readonly kind: 'fee'; readonly feeRate: number };

/**
 * The local party's updates: `proposed` (sent, in no commitment_signed yet), `signed` (in the
 * counterparty's next commitment, awaiting its revocation), `acked` (in the counterparty's current
 * commitment; the counterparty's next commitment_signed brings them into ours).
 */
export interface LocalChanges {
  proposed: Update[];
  signed: Update[];
  acked: Update[];
}

/**
 * The counterparty's updates: `proposed` (received, in no commitment_signed yet), `acked` (in our
 * current commitment, revoked the previous one; our next commitment_signed brings them into theirs),
 * `signed` (in their next commitment, awaiting their revocation).
 */
export interface RemoteChanges {
  proposed: Update[];
  acked: Update[];
  signed: Update[];
}

function balanceOf(spec: { lspMsat: bigint; clientMsat: bigint }, side: Side): bigint {
  return side === 'lsp' ? spec.lspMsat : spec.clientMsat;
}

/** Applies updates (each with its proposer) to a spec: adds first, then removals, then the fee rate. */
export function reduce(spec: Spec, updates: readonly { readonly by: Side; readonly u: Update }[]): Spec {
  let lsp = spec.lspMsat;
  let client = spec.clientMsat;
  let feeRate = spec.feeRate;
  const htlcs = new Map<string, SpecHtlc>();
  for (const h of spec.htlcs) htlcs.set(htlcKey(h.offeredBy, h.id), h);
  const credit = (side: Side, msat: bigint) => {
    if (side === 'lsp') lsp += msat;
    else client += msat;
  };
  for (const { by, u } of updates) {
    if (u.kind !== 'add') continue;
    credit(by, -u.htlc.amountMsat);
    htlcs.set(htlcKey(by, u.htlc.id), u.htlc);
  }
  for (const { by, u } of updates) {
    if (u.kind !== 'fulfill' && u.kind !== 'fail') continue;
    const offerer = other(by);
    const key = htlcKey(offerer, u.id);
    const h = htlcs.get(key);
    if (h === undefined) throw new InvariantError('update-log', `removal of unknown HTLC ${key}`);
    htlcs.delete(key);
    // A fulfill pays the HTLC to the party that fulfilled it; a fail returns it to its offerer.
    credit(u.kind === 'fulfill' ? by : offerer, h.amountMsat);
  }
  for (const { u } of updates) if (u.kind === 'fee') feeRate = u.feeRate;
  return { lspMsat: lsp, clientMsat: client, feeRate, htlcs: [...htlcs.values()].sort(compareHtlc) };
}

/** A stable order of HTLCs: LSP-offered first, then by id. */
export function compareHtlc(a: SpecHtlc, b: SpecHtlc): number {
  if (a.offeredBy !== b.offeredBy) return a.offeredBy === 'lsp' ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The map key of an HTLC. */
export function htlcKey(offeredBy: Side, id: bigint): string {
  return `${offeredBy}:${id}`;
}

/** Tags updates with their proposer. */
export function by(side: Side, updates: readonly Update[]): { by: Side; u: Update }[] {
  return updates.map((u) => ({ by: side, u }));
}

/** The balance of `side` in a spec (msat). */
export function balance(spec: Spec, side: Side): bigint {
  return balanceOf(spec, side);
}
