/**
 * @internal A response's CPFP child, paid from the tower's fee wallet by {@link fundCpfpChild} (the
 * same function the roles' exit drivers pay their packages with), its change script kept on the
 * response for the next re-bump.
 *
 * @module
 */
import type { Op } from '@superscalar/persist';
import type { Wallet } from '@superscalar/wallet';
import type { ChildState, ResponseState } from './_records.js';
import { fundCpfpChild } from './cpfp.js';

/** @internal The owner a response reserves its fee coins under. */
export function ownerOf(triggerTxid: string, index: number): string {
  return `tower:${triggerTxid}:${index}`;
}

/** @internal */
export type ChildResult =
  | { readonly ok: true; readonly child: ChildState; readonly ops: readonly Op[] }
  | { readonly ok: false; readonly needed: bigint; readonly ops: readonly Op[] }
  | { readonly ok: false; readonly conflictedBy: string; readonly ops: readonly Op[] };

/** @internal Builds, signs and records the next child of `r` at `feeRate`. */
export function nextChild(o: {
  readonly wallet: Wallet;
  readonly r: ResponseState;
  readonly owner: string;
  readonly feeRate: number;
  readonly tip: number;
}): ChildResult {
  const { r } = o;
  const made = fundCpfpChild({
    wallet: o.wallet,
    parent: {
      txid: r.txid,
      anchorVout: r.anchorVout,
      anchorValue: r.anchorValue,
      fee: r.parentFee,
      vsize: r.vsize,
    },
    changeScript: r.changeScript,
    previous: r.child,
    owner: o.owner,
    feeRate: o.feeRate,
    tip: o.tip,
  });
  r.changeScript = made.changeScript;
  if (made.ok) return { ok: true, child: made.child, ops: made.ops };
  return 'conflictedBy' in made
    ? { ok: false, conflictedBy: made.conflictedBy, ops: made.ops }
    : { ok: false, needed: made.needed, ops: made.ops };
}
