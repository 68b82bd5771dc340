/**
 * Building blocks of exit plans, shared by both roles: a tree transaction as an item (its relative
 * lock from its nSequence, its P2A anchor), a channel commitment with the claims its owner makes once
 * it confirms (`to_local` after `toSelfDelay`, HTLC success with the preimage, HTLC timeout after the
 * CLTV; `to_remote` for the other side), and the distribution.
 *
 * @module
 */
import { fromHex, toHex } from '@superscalar/core';
import type { DistributionTx, TreeTx } from '@superscalar/factory-tree';
import type { Op } from '@superscalar/persist';
import {
  buildClaim,
  type ClaimInput,
  type ClaimKind,
  type Commitment,
  claimableOutputs,
  type Side,
} from '@superscalar/poon-dryja';
import { type FeePolicy, nextFeeRate, releasedEntries } from '@superscalar/watchtower';
import type { AwaitingClaim, ExitDriver, ExitItemSpec, ExitRecord } from './driver.js';

/** BIP68 blocks of an nSequence (0 when the disable bit is set). */
export function relativeLock(sequence: number): number {
  return (sequence & 0x80000000) !== 0 ? 0 : sequence & 0xffff;
}

/** Item id of tree transaction `index`. */
export const treeId = (index: number): string => `tx ${index}`;

/**
 * A signed tree transaction as an item: parent the tree transaction it spends (null for the root
 * kickoff, which spends the funding confirmed at `fundingHeight`), its DW lock, its anchor; a state is
 * an emergency `S − 6` blocks after its maturity (§5.2).
 */
export function treeItem(
  t: TreeTx,
  raw: Uint8Array,
  o: {
    readonly parent: number | null;
    readonly fundingHeight: number;
    readonly dwStep: number;
    readonly broadcast?: boolean;
    readonly conflicts?: readonly string[];
  },
): ExitItemSpec {
  const anchorVout = t.tx.outputs.length - 1;
  const input = t.tx.inputs[0] as { readonly sequence: number };
  return {
    id: treeId(t.index),
    kind: t.kind === 'kickoff' ? 'kickoff' : 'state',
    label: `${t.kind} tx ${t.index} (node ${t.node})`,
    txid: t.txid,
    raw,
    anchor: {
      vout: anchorVout,
      value: (t.tx.outputs[anchorVout] as { value: bigint }).value,
      fee: t.fee,
      vsize: t.vsize,
    },
    parent: o.parent === null ? null : treeId(o.parent),
    ...(o.parent === null ? { parentHeight: o.fundingHeight } : {}),
    csv: relativeLock(input.sequence),
    locktime: 0,
    ...(t.kind === 'state' && o.dwStep > 6 ? { emergencyAfter: o.dwStep - 6 } : {}),
    ...(o.broadcast === false ? { broadcast: false } : {}),
    ...(o.conflicts === undefined ? {} : { conflicts: o.conflicts }),
  };
}

/** The signed distribution transactions a client holds, as items (top first, then its own sub). */
export function distributionItems(
  txs: readonly DistributionTx[],
  raws: readonly Uint8Array[],
  o: { readonly fundingHeight: number; readonly amount: bigint; readonly client: number },
): ExitItemSpec[] {
  return txs.map((t, k) => {
    const anchorVout = t.tx.outputs.length - 1;
    const pays = t.role !== 'top';
    return {
      id: `distribution ${k}`,
      kind: 'distribution',
      label: t.role === 'sub' ? `sub-distribution ${t.group}` : `${t.role}`,
      txid: t.txid,
      raw: raws[k] as Uint8Array,
      anchor: {
        vout: anchorVout,
        value: (t.tx.outputs[anchorVout] as { value: bigint }).value,
        fee: t.fee,
        vsize: t.vsize,
      },
      parent: k === 0 ? null : 'distribution 0',
      ...(k === 0 ? { parentHeight: o.fundingHeight } : {}),
      csv: 0,
      locktime: t.tx.locktime,
      ...(pays ? { amount: o.amount } : {}),
    };
  });
}

/** The basepoint secrets a channel's owner claims with. */
export interface ClaimSecrets {
  /** `delayed_payment_basepoint_secret` (`to_local`). */
  readonly delayed: Uint8Array;
  /** `htlc_basepoint_secret` (either HTLC leaf). */
  readonly htlc: Uint8Array;
  /** `payment_basepoint_secret` (`to_remote`, the static key). */
  readonly payment: Uint8Array;
}

/** Options of {@link claimItems}. */
export interface ClaimItemsOptions {
  /** The commitment's item id (the claims' parent). */
  readonly parent: string;
  /** Who claims. */
  readonly side: Side;
  readonly secrets: ClaimSecrets;
  /** The preimage of an HTLC paid to `side` (undefined: not known, no success claim). */
  readonly preimageOf: (paymentHash: string) => Uint8Array | undefined;
  /** Where the claims pay. */
  readonly destination: Uint8Array;
  /** Fee rate of the claims, sat/kvB. */
  readonly feeRate: number;
  /** Id prefix (e.g. `client 2 ` for the LSP's claims on several channels). */
  readonly prefix?: string;
  /** Skip these claim kinds. */
  readonly skip?: readonly ClaimKind[];
}

/**
 * One claim per output of `c` that `side` can claim once it confirms, each its own transaction
 * (so a dust output or an unknown preimage never blocks the others): `csv` the leaf's relative lock,
 * `locktime` a timeout leaf's CLTV, `amount` what the destination receives.
 */
export function claimItems(c: Commitment, o: ClaimItemsOptions): ExitItemSpec[] {
  const items: ExitItemSpec[] = [];
  for (const { vout, kind } of claimableOutputs(c, o.side)) {
    if (o.skip?.includes(kind)) continue;
    const item = claimItem(c, vout, kind, o);
    if (item !== undefined) items.push(item);
  }
  return items;
}

/** The claim of output `vout` of `c` (undefined: an unknown preimage, or dust after its fee). */
export function claimItem(
  c: Commitment,
  vout: number,
  kind: ClaimKind,
  o: Omit<ClaimItemsOptions, 'skip'>,
): ExitItemSpec | undefined {
  const pre = o.prefix ?? '';
  {
    const out = c.outputs[vout];
    let input: ClaimInput;
    let label: string;
    if (kind === 'to_local') {
      input = { vout, kind, basepointSecret: o.secrets.delayed };
      label = 'to_local claim';
    } else if (kind === 'to_remote') {
      input = { vout, kind, basepointSecret: o.secrets.payment };
      label = 'to_remote claim';
    } else {
      const h = out as Extract<Commitment['outputs'][number], { role: 'htlc' }>;
      if (kind === 'htlc_success') {
        const preimage = o.preimageOf(toHex(h.paymentHash));
        if (preimage === undefined) return undefined;
        input = { vout, kind, basepointSecret: o.secrets.htlc, preimage };
        label = `HTLC ${h.htlcId} success claim`;
      } else {
        input = { vout, kind, basepointSecret: o.secrets.htlc };
        label = `HTLC ${h.htlcId} timeout claim (CLTV ${h.cltvExpiry})`;
      }
    }
    let claim: ReturnType<typeof buildClaim>;
    try {
      claim = buildClaim({
        commitment: c,
        inputs: [input],
        destinationScript: o.destination,
        feeRate: o.feeRate,
      });
    } catch {
      return undefined; // below dust after its fee: nothing to claim
    }
    return {
      id: `${pre}${kind} ${vout}`,
      kind: 'claim',
      label: `${pre}${label}`,
      txid: claim.txid,
      raw: claim.bytes,
      anchor: null,
      parent: o.parent,
      csv: claim.csv,
      locktime: claim.tx.locktime,
      amount: claim.amount,
      claim: { vout, claimKind: kind, feeRate: o.feeRate, destination: Uint8Array.from(o.destination) },
    };
  }
}

/** What {@link rebumpClaims} needs of the role. */
export interface RebumpClaimsOptions {
  readonly policy: FeePolicy;
  /** The current estimate, sat/kvB. */
  readonly estimate: number;
  /** The block being handled. */
  readonly tip: number;
  readonly txids: ReadonlySet<string>;
  /** The commitment a claim's parent item is (undefined: not the role's to rebuild). */
  commitmentOf(parent: string): Commitment | undefined;
  /**
   * Everything {@link claimItem} needs for a claim on commitment item `parent` but its parent, where and
   * at which rate (the same as {@link LearnClaimsOptions.optionsOf}).
   */
  optionsOf(
    parent: string,
  ): Omit<ClaimItemsOptions, 'skip' | 'destination' | 'feeRate' | 'parent'> | undefined;
}

/**
 * Brief §7: a claim has no anchor; it is bumped by re-signing it. Every claim out since an earlier
 * block and not confirmed in this one is re-signed at the watchtower's `nextFeeRate` over its rate
 * (the same input and output, a larger fee: a valid replacement), before the driver sends it again.
 */
export function rebumpClaims(d: ExitDriver, o: RebumpClaimsOptions): void {
  for (const it of d.record.items) {
    const cl = it.claim;
    if (cl === undefined || it.status !== 'broadcast' || it.lastTip === null || o.tip <= it.lastTip) continue;
    if (o.txids.has(it.txid) || it.replaced?.some((t) => o.txids.has(t))) continue;
    if (it.parent === null) continue;
    const c = o.commitmentOf(it.parent);
    const base = o.optionsOf(it.parent);
    if (c === undefined || base === undefined) continue;
    const feeRate = nextFeeRate(o.policy, { estimate: o.estimate, previous: cl.feeRate, emergency: false });
    if (feeRate <= cl.feeRate) continue;
    const next = claimItem(c, cl.vout, cl.claimKind, {
      parent: it.parent,
      ...base,
      destination: cl.destination,
      feeRate,
    });
    if (next === undefined) continue;
    d.replaceClaim(it.id, next);
  }
}

/** What {@link learnClaims} needs of the role. */
export interface LearnClaimsOptions {
  /** The block or tick being handled. */
  readonly tip: number;
  /** Fee rate of a new claim, sat/kvB. */
  readonly feeRate: number;
  /** The commitment a commitment item is (undefined: not the role's to claim on). */
  commitmentOf(parent: string): Commitment | undefined;
  /** Everything {@link claimItem} needs for a claim on commitment item `parent` but where and at which rate. */
  optionsOf(
    parent: string,
  ): Omit<ClaimItemsOptions, 'skip' | 'destination' | 'feeRate' | 'parent'> | undefined;
  /** Whether the preimage of `paymentHash` (hex) may still be learned (e.g. a forward still open downstream). */
  mayLearn(paymentHash: string): boolean;
  /** Where a claim pays when none of the plan's claims names a destination yet. */
  destination(): Uint8Array;
}

/**
 * Brief §7: a preimage learned after the exit started still claims its HTLC on chain. The first call
 * over a record lists the HTLC outputs of its commitment items that the role could claim by preimage
 * but has no claim for (`record.awaiting`, persisted with it); every call then turns each one whose
 * preimage is now known into a claim item (its success leaf, after its lock like any claim), and drops
 * those whose commitment is lost, whose CLTV expiry has come or whose preimage can no longer come.
 * While one waits the exit does not complete. Returns the ids of the claims added; true `changed`:
 * the record changed (persist it).
 */
export function learnClaims(d: ExitDriver, o: LearnClaimsOptions): { added: string[]; changed: boolean } {
  const r = d.record;
  const added: string[] = [];
  if (r.completed) return { added, changed: false };
  let changed = false;
  if (r.awaiting === undefined) {
    const awaiting: AwaitingClaim[] = [];
    for (const it of r.items) {
      if (it.kind !== 'commitment' || it.status === 'lost') continue;
      const c = o.commitmentOf(it.id);
      const base = o.optionsOf(it.id);
      if (c === undefined || base === undefined || c.txid !== it.txid) continue;
      const prefix = base.prefix ?? '';
      for (const { vout, kind } of claimableOutputs(c, base.side)) {
        if (kind !== 'htlc_success' || d.item(`${prefix}${kind} ${vout}`) !== undefined) continue;
        const h = c.outputs[vout] as Extract<Commitment['outputs'][number], { role: 'htlc' }>;
        awaiting.push({
          parent: it.id,
          vout,
          paymentHash: toHex(h.paymentHash),
          cltvExpiry: h.cltvExpiry,
          prefix,
        });
      }
    }
    r.awaiting = awaiting;
    changed = awaiting.length > 0;
  }
  const keep: AwaitingClaim[] = [];
  for (const a of r.awaiting) {
    const parent = d.item(a.parent);
    const id = `${a.prefix}htlc_success ${a.vout}`;
    if (parent === undefined || parent.status === 'lost' || d.item(id) !== undefined) continue;
    const base = o.optionsOf(a.parent);
    const preimage = base?.preimageOf(a.paymentHash);
    const c = preimage === undefined ? undefined : o.commitmentOf(a.parent);
    if (base !== undefined && c !== undefined && c.txid === parent.txid) {
      const destination = r.items.find((i) => i.claim !== undefined)?.claim?.destination ?? o.destination();
      const claim = claimItem(c, a.vout, 'htlc_success', {
        ...base,
        parent: a.parent,
        destination,
        feeRate: o.feeRate,
      });
      if (claim !== undefined) {
        d.add(claim);
        added.push(claim.id);
      }
      continue; // claimed (or dust after its fee: nothing to wait for)
    }
    if (o.tip >= a.cltvExpiry || !o.mayLearn(a.paymentHash)) continue;
    keep.push(a);
  }
  if (keep.length !== r.awaiting.length) {
    r.awaiting = keep;
    changed = true;
  }
  return { added, changed };
}

/** A signed commitment as an item (spends the channel output of its leaf state `parent`). */
export function commitmentItem(
  c: Commitment,
  raw: Uint8Array,
  o: {
    readonly id: string;
    readonly label: string;
    readonly parent: string;
    readonly broadcast?: boolean;
    readonly external?: boolean;
    readonly conflicts?: readonly string[];
  },
): ExitItemSpec {
  const anchor = c.outputs.find((x) => x.role === 'anchor');
  return {
    id: o.id,
    kind: 'commitment',
    label: o.label,
    txid: c.txid,
    raw,
    anchor:
      anchor === undefined ? null : { vout: anchor.vout, value: anchor.amount, fee: c.fee, vsize: c.vsize },
    parent: o.parent,
    csv: 0,
    locktime: 0,
    ...(o.broadcast === false ? { broadcast: false } : {}),
    ...(o.external === true ? { external: true } : {}),
    ...(o.conflicts === undefined ? {} : { conflicts: o.conflicts }),
  };
}

/**
 * The hand-over of a role's guarded kickoffs from a watchtower it cannot call (a standalone tower
 * reading the role's store, or none) to its own exit driver: for every state the driver publishes
 * (not watched, not external, not settled), that kickoff's stale-state entry (`watchEntries` row
 * `(kickoffTxid, 0)`) is replaced by the owner's release marker (`releasedEntries` of
 * `@superscalar/watchtower`, kind `released`). Persisted with the driver's record, before its first
 * broadcast: a tower that has not seen the kickoff confirm never arms it, and a standalone tower
 * already answering it (the kickoff confirmed) re-reads its active triggers' rows before each
 * broadcast and re-bump and stands down, so only the driver answers that kickoff from then on (two
 * senders spending one anchor outbid each other every block). The driver does the tower's job for
 * it: the newest state at its lock, re-bumped every block, the §5.2 emergency budget, durable across
 * restarts. A role with an embedded tower uses `towerTakeOverOps` with its port instead.
 */
export function towerHandOverOps(record: Pick<ExitRecord, 'items' | 'factoryId'>): Op[] {
  const byId = new Map(record.items.map((i) => [i.id, i]));
  const refs: { triggerTxid: string; responseIndex: number }[] = [];
  for (const it of record.items) {
    if (it.kind !== 'state' || it.broadcast === false || it.external === true) continue;
    if (it.status === 'confirmed' || it.status === 'lost' || it.parent === null) continue;
    const k = byId.get(it.parent);
    if (k === undefined || k.kind !== 'kickoff') continue;
    refs.push({ triggerTxid: k.txid, responseIndex: 0 });
  }
  if (refs.length === 0) return [];
  return [...releasedEntries({ factoryId: fromHex(record.factoryId), refs }).ops];
}
