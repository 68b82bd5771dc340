/**
 * A CPFP child paid from a wallet's fee coins, as the tower pays its responses' packages and both roles'
 * exit drivers pay theirs (brief §5.2, §6): factory-tree's `buildCpfpChild` (version 3, the parent's
 * P2A anchor plus one confirmed P2TR fee coin, the change back to the wallet), signed by the wallet and
 * recorded `pending` before it leaves. A re-bump reuses the previous child's fee coin when it still
 * covers the new fee (`recordBroadcast`'s `replaces`), else takes a larger coin reserved under `owner`
 * (the new child then replaces the old one through the shared anchor).
 *
 * @module
 */
import { buildCpfpChild, signedCpfpChildBytes } from '@superscalar/factory-tree';
import type { Op } from '@superscalar/persist';
import { P2TR_DUST } from '@superscalar/tx';
import type { Wallet } from '@superscalar/wallet';

/** Large enough for any fee: the probe that sizes the fee coin a child needs. */
const PROBE_VALUE = 2_100_000_000_000_000n;
/** A reservation of a fee coin outlives any package (it lapses only if never spent). */
const RESERVATION_BLOCKS = 2_016;

/** The parent of a package: its P2A anchor and what it pays itself. */
export interface CpfpParent {
  /** Display-order txid. */
  readonly txid: string;
  readonly anchorVout: number;
  readonly anchorValue: bigint;
  /** The fee the parent pays itself (inputs − outputs). */
  readonly fee: bigint;
  readonly vsize: number;
}

/** A signed CPFP child and the fee coin it spends. */
export interface CpfpChild {
  /** Display-order txid. */
  readonly txid: string;
  readonly raw: Uint8Array;
  /** The package rate it aims at, sat/kvB. */
  readonly feeRate: number;
  readonly fee: bigint;
  readonly coin: {
    readonly txid: string;
    readonly vout: number;
    readonly value: bigint;
    readonly script: Uint8Array;
  };
}

/** Options of {@link fundCpfpChild}. */
export interface FundCpfpChildOptions {
  /** The wallet that pays (its fee coins, its signature, its record of the child). */
  readonly wallet: Wallet;
  readonly parent: CpfpParent;
  /** The change script of this parent's children; null: a new one from the wallet (returned). */
  readonly changeScript: Uint8Array | null;
  /** The parent's current child (a re-bump), or null. */
  readonly previous: CpfpChild | null;
  /** Who a newly taken fee coin is reserved for (the wallet's `takeFeeCoin` owner). */
  readonly owner: string;
  /** The package rate to aim at, sat/kvB. */
  readonly feeRate: number;
  /** The current tip (the reservation lapses 2,016 blocks later if the coin is never spent). */
  readonly tip: number;
}

/**
 * What {@link fundCpfpChild} did: the child (or, with no fee coin large enough, the value `needed`),
 * the change script to keep for the next re-bump, and the wallet's operations to persist before the
 * child leaves (also when no child was made: a new change script's).
 */
export type FundCpfpChildResult =
  | {
      readonly ok: true;
      readonly child: CpfpChild;
      readonly changeScript: Uint8Array;
      readonly ops: readonly Op[];
    }
  | {
      readonly ok: false;
      readonly needed: bigint;
      readonly changeScript: Uint8Array;
      readonly ops: readonly Op[];
    }
  | {
      /**
       * The child was conflicted at creation (`SignedTx.conflictedBy`: a block the wallet holds spent
       * the parent's anchor, or another input, by `conflictedBy`): recorded so, never to be broadcast;
       * its fee coin is free again. Persist `ops`; keep the current child and pick again next block.
       */
      readonly ok: false;
      readonly conflictedBy: string;
      readonly changeScript: Uint8Array;
      readonly ops: readonly Op[];
    };

/** Builds, signs and records the next CPFP child of `o.parent` at `o.feeRate`. */
export function fundCpfpChild(o: FundCpfpChildOptions): FundCpfpChildResult {
  const { wallet, parent: p, feeRate } = o;
  const ops: Op[] = [];
  let changeScript = o.changeScript;
  if (changeScript === null) {
    const c = wallet.changeScript();
    ops.push(...c.ops);
    changeScript = c.script;
  }
  const parent = {
    txid: p.txid,
    anchorVout: p.anchorVout,
    anchorValue: p.anchorValue,
    fee: p.fee,
    vsize: p.vsize,
  };
  const probe = buildCpfpChild({
    parent,
    feeCoin: { txid: '00'.repeat(32), vout: 0, value: PROBE_VALUE, script: changeScript },
    changeScript,
    feeRate,
  });
  const needed = probe.fee + P2TR_DUST - p.anchorValue;
  let coin: CpfpChild['coin'] | undefined;
  let replaces: string | undefined;
  const prev = o.previous;
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
    if (taken === undefined) return { ok: false, needed, changeScript, ops };
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
  if (rec.conflictedBy !== undefined) return { ok: false, conflictedBy: rec.conflictedBy, changeScript, ops };
  return {
    ok: true,
    child: { txid: child.txid, raw, feeRate, fee: child.fee, coin },
    changeScript,
    ops,
  };
}
