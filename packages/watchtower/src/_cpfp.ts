/**
 * @internal A response's CPFP child, paid from the tower's fee wallet: factory-tree's
 * `buildCpfpChild` (version 3, the parent's P2A anchor plus one confirmed P2TR fee coin, the change
 * back to the wallet), signed by the wallet and recorded `pending` before it leaves. A re-bump reuses
 * the previous child's fee coin when it still covers the new fee (`recordBroadcast`'s `replaces`),
 * else takes a larger coin (the new child then replaces the old one through the shared anchor).
 *
 * @module
 */
import { buildCpfpChild, signedCpfpChildBytes } from '@superscalar/factory-tree';
import type { Op } from '@superscalar/persist';
import { P2TR_DUST } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';
import type { ChildState, ResponseState } from './_records.js';

/** Large enough for any fee: the probe that sizes the fee coin a child needs. */
const PROBE_VALUE = 2_100_000_000_000_000n;
/** A reservation of a fee coin outlives any response (it lapses only if never spent). */
const RESERVATION_BLOCKS = 2_016;

/** @internal The owner a response reserves its fee coins under. */
export function ownerOf(triggerTxid: string, index: number): string {
  return `tower:${triggerTxid}:${index}`;
}

/** @internal */
export type ChildResult =
  | { readonly ok: true; readonly child: ChildState; readonly ops: readonly Op[] }
  | { readonly ok: false; readonly needed: bigint; readonly ops: readonly Op[] };

/** @internal Builds, signs and records the next child of `r` at `feeRate`. */
export function nextChild(o: {
  readonly wallet: Wallet;
  readonly r: ResponseState;
  readonly owner: string;
  readonly feeRate: number;
  readonly tip: number;
}): ChildResult {
  const { wallet, r, feeRate } = o;
  const ops: Op[] = [];
  if (r.changeScript === null) {
    const c = wallet.changeScript();
    ops.push(...c.ops);
    r.changeScript = c.script;
  }
  const changeScript = r.changeScript;
  const parent = {
    txid: r.txid,
    anchorVout: r.anchorVout,
    anchorValue: r.anchorValue,
    fee: r.parentFee,
    vsize: r.vsize,
  };
  const probe = buildCpfpChild({
    parent,
    feeCoin: { txid: '00'.repeat(32), vout: 0, value: PROBE_VALUE, script: changeScript },
    changeScript,
    feeRate,
  });
  const needed = probe.fee + P2TR_DUST - r.anchorValue;
  let coin = undefined as ChildState['coin'] | undefined;
  let replaces: string | undefined;
  const prev = r.child;
  if (prev !== null && prev.coin.value >= needed && wallet.tx(prev.txid)?.state === 'pending') {
    const held = wallet.coin(prev.coin);
    if (held !== undefined && held.spentBy === prev.txid) {
      coin = prev.coin;
      replaces = prev.txid;
    }
  }
  if (coin === undefined) {
    const taken = wallet.takeFeeCoin({
      owner: o.owner,
      minValue: needed,
      expiresAtHeight: o.tip + RESERVATION_BLOCKS,
    });
    if (taken === undefined) return { ok: false, needed, ops };
    ops.push(...taken.ops);
    coin = {
      txid: taken.coin.txid,
      vout: taken.coin.vout,
      value: taken.coin.value,
      script: taken.coin.script,
    };
  }
  const child = buildCpfpChild({ parent, feeCoin: coin, changeScript, feeRate });
  const raw = signedCpfpChildBytes(child, wallet.signInput(coin, child.sighash));
  const rec = wallet.recordBroadcast(raw, {
    kind: 'cpfp',
    owner: o.owner,
    ...(replaces === undefined ? {} : { replaces }),
  });
  ops.push(...rec.ops);
  return { ok: true, child: { txid: child.txid, raw, feeRate, fee: child.fee, coin }, ops };
}
