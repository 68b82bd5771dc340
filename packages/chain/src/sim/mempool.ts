/**
 * SimChain's mempool: Bitcoin Core's `MemPoolAccept` (validation.cpp) for one transaction and for a
 * 1-parent-1-child package, in Core's order of checks and with Core's reject strings:
 * `PreChecks` (context-free checks, standardness, finality, inputs, BIP68, `CheckTxInputs`, input and
 * witness standardness, ephemeral dust, fees, TRUC with sibling eviction), `ReplacementChecks` (BIP125
 * as Core 30: full-RBF, rules 2–6; with `coreVersion` ≥ 310000 as Core 31: rules 3–5 and the feerate
 * diagram), package feerate and package RBF (`PackageMempoolChecks`,
 * feerate-diagram check for clusters of ≤ 2), ephemeral spends, then the script checks (standard
 * flags; a failure is `mempool-script-verify-flag-failed (<script error>)`).
 *
 * Not modelled: the mempool size limit and `mempool min fee`, expiry, sigop-adjusted vsize,
 * prioritisetransaction, cluster linearisation beyond 2-transaction clusters, the ancestor/descendant
 * size limits (the count limits of 25 are enforced).
 */
import { TxRejected, type TxRejectedInit } from '../errors.js';
import type { Tx, TxOut } from '../tx/index.js';
import { baseSize, checkTransaction, isCoinbase, MAX_MONEY } from '../tx/index.js';
import { COINBASE_MATURITY } from './_block.js';
import { type CoinAge, calculateSequenceLocks, evaluateSequenceLocks, isFinalTx } from './locks.js';
import {
  areInputsStandard,
  dustOutputs,
  feeAtRate,
  feeRateOf,
  isStandardTx,
  isWitnessStandard,
  NON_TRUC_PACKAGE_PARENT_VERSION,
  type SimPolicy,
  TRUC_CHILD_MAX_VSIZE,
  TRUC_MAX_VSIZE,
  TRUC_VERSION,
} from './policy.js';

/** An unspent output as SimChain stores it. */
export interface Coin {
  readonly value: bigint;
  readonly script: Uint8Array;
  /** Height of the creating block; {@link MEMPOOL_HEIGHT} for a mempool output. */
  readonly height: number;
  readonly coinbase: boolean;
}

/** Core's MEMPOOL_HEIGHT marker for coins created by mempool transactions. */
export const MEMPOOL_HEIGHT = 0x7fffffff;
/** From Core 31 the mempool is clustered: RBF by feerate diagram, cluster limits instead of chains. */
export const CLUSTER_MEMPOOL_VERSION = 310000;
/** Core 31's DEFAULT_CLUSTER_LIMIT (transactions per cluster). */
const CLUSTER_LIMIT = 64;
/** Core's DEFAULT_ANCESTOR_LIMIT / DEFAULT_DESCENDANT_LIMIT (counts, including the tx itself). */
const ANCESTOR_LIMIT = 25;
const DESCENDANT_LIMIT = 25;
/** Core's MIN_STANDARD_TX_NONWITNESS_SIZE (CVE-2017-12842). */
const MIN_STANDARD_TX_NONWITNESS_SIZE = 65;
/** Core's MAX_PACKAGE_WEIGHT. */
const MAX_PACKAGE_WEIGHT = 404_000;

/** A decoded transaction with its identifiers. */
export interface TxRecord {
  readonly tx: Tx;
  readonly raw: Uint8Array;
  readonly txid: string;
  readonly wtxid: string;
  readonly vsize: number;
  readonly weight: number;
  /** `txid:vout` of each input. */
  readonly inputKeys: readonly string[];
  /** Display-hex txid of each input's previous transaction. */
  readonly prevTxids: readonly string[];
}

/** A transaction in the mempool. */
export interface MempoolEntry {
  readonly rec: TxRecord;
  readonly fee: bigint;
  readonly spent: readonly TxOut[];
  readonly spendsCoinbase: boolean;
}

/** A script failure reported by the interpreter. */
export interface ScriptFailure {
  readonly inputIndex: number;
  /** Core's `ScriptErrorString`, e.g. `Locktime requirement not satisfied`. */
  readonly error: string;
  /** Whether the input also fails with consensus (mandatory) flags only. */
  readonly consensus: boolean;
}

/** What the mempool needs to know about the chain. */
export interface ChainView {
  readonly tipHeight: number;
  /** Median time past of the active block at `height` (0 ≤ height ≤ tip). */
  mtp(height: number): number;
  /** A coin of the UTXO set. */
  utxo(key: string): Coin | undefined;
  readonly policy: SimPolicy;
  /** Runs every input's scripts; the first failure or null. */
  verifyScripts(tx: Tx, spent: readonly TxOut[]): ScriptFailure | null;
}

/** `txid:vout`. */
export const outpointKey = (txid: string, vout: number): string => `${txid}:${vout}`;

type FailKind = 'consensus' | 'policy' | 'reconsiderable' | 'missing-inputs' | 'conflict' | 'premature';

/** An internal rejection: Core's reason plus how Core classifies it (for package evaluation). */
export class Fail extends Error {
  constructor(
    readonly init: TxRejectedInit,
    readonly kind: FailKind,
  ) {
    super(init.reason);
  }

  toTxRejected(): TxRejected {
    return new TxRejected(this.init);
  }
}

interface AcceptArgs {
  readonly allowReplacement: boolean;
  readonly allowSiblingEviction: boolean;
  readonly packageFeerates: boolean;
  readonly bypassLimits: boolean;
}

const SINGLE: AcceptArgs = {
  allowReplacement: true,
  allowSiblingEviction: true,
  packageFeerates: false,
  bypassLimits: false,
};

interface Workspace {
  readonly rec: TxRecord;
  readonly conflicts: Set<string>;
  readonly fee: bigint;
  readonly spent: TxOut[];
  readonly spendsCoinbase: boolean;
  readonly parents: string[];
  siblingEviction: boolean;
}

/** Outcome of a successful acceptance. */
export interface Accepted {
  readonly txids: string[];
  readonly replaced: string[];
}

const suffix = (ws: Workspace): string => (ws.siblingEviction ? ' (including sibling eviction)' : '');

/** SimChain's mempool. */
export class Mempool {
  readonly entries = new Map<string, MempoolEntry>();
  private readonly byWtxid = new Map<string, string>();
  private readonly spentBy = new Map<string, string>();

  // ---- queries -------------------------------------------------------------------------------

  /** The mempool transaction spending `key`, if any. */
  spender(key: string): string | undefined {
    return this.spentBy.get(key);
  }

  /** A coin created by a mempool transaction. */
  coin(key: string): Coin | undefined {
    const at = key.lastIndexOf(':');
    const e = this.entries.get(key.slice(0, at));
    const out = e?.rec.tx.outputs[Number(key.slice(at + 1))];
    if (out === undefined) return undefined;
    return { value: out.value, script: out.script, height: MEMPOOL_HEIGHT, coinbase: false };
  }

  parentsOf(txid: string): string[] {
    const e = this.entries.get(txid);
    if (e === undefined) return [];
    return [...new Set(e.rec.prevTxids.filter((p) => this.entries.has(p)))];
  }

  childrenOf(txid: string): string[] {
    const e = this.entries.get(txid);
    if (e === undefined) return [];
    const out = new Set<string>();
    for (let v = 0; v < e.rec.tx.outputs.length; v++) {
      const c = this.spentBy.get(outpointKey(txid, v));
      if (c !== undefined) out.add(c);
    }
    return [...out];
  }

  /** Ancestors (excluding the tx itself). */
  ancestors(txid: string): Set<string> {
    const seen = new Set<string>();
    const stack = this.parentsOf(txid);
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      stack.push(...this.parentsOf(t));
    }
    return seen;
  }

  /** Descendants (excluding the tx itself). */
  descendants(txid: string): Set<string> {
    const seen = new Set<string>();
    const stack = this.childrenOf(txid);
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      stack.push(...this.childrenOf(t));
    }
    return seen;
  }

  /** Mempool txids in an order where parents precede children. */
  topological(): string[] {
    const out: string[] = [];
    const done = new Set<string>();
    const visit = (t: string): void => {
      if (done.has(t)) return;
      done.add(t);
      for (const p of this.parentsOf(t)) visit(p);
      out.push(t);
    };
    for (const t of this.entries.keys()) visit(t);
    return out;
  }

  // ---- mutation ------------------------------------------------------------------------------

  add(entry: MempoolEntry): void {
    this.entries.set(entry.rec.txid, entry);
    this.byWtxid.set(entry.rec.wtxid, entry.rec.txid);
    for (const k of entry.rec.inputKeys) this.spentBy.set(k, entry.rec.txid);
  }

  /** Removes one transaction (not its descendants). */
  remove(txid: string): void {
    const e = this.entries.get(txid);
    if (e === undefined) return;
    this.entries.delete(txid);
    this.byWtxid.delete(e.rec.wtxid);
    for (const k of e.rec.inputKeys) if (this.spentBy.get(k) === txid) this.spentBy.delete(k);
  }

  /** Removes a transaction and all its descendants; returns the removed txids. */
  removeRecursive(txid: string): string[] {
    if (!this.entries.has(txid)) return [];
    const all = [txid, ...this.descendants(txid)];
    for (const t of all) this.remove(t);
    return all;
  }

  /** Removes mempool transactions that conflict with `tx` (spend one of its inputs), with descendants. */
  removeConflicts(rec: TxRecord): string[] {
    const removed: string[] = [];
    for (const k of rec.inputKeys) {
      const c = this.spentBy.get(k);
      if (c !== undefined && c !== rec.txid) removed.push(...this.removeRecursive(c));
    }
    return removed;
  }

  // ---- acceptance ----------------------------------------------------------------------------

  private view(chain: ChainView, temp: Map<string, Coin> | undefined, key: string): Coin | undefined {
    return temp?.get(key) ?? this.coin(key) ?? chain.utxo(key);
  }

  /** Core's `PreChecks`. Throws {@link Fail}. */
  private preChecks(chain: ChainView, rec: TxRecord, args: AcceptArgs, temp?: Map<string, Coin>): Workspace {
    const { tx, txid } = rec;
    const policy = chain.policy;
    const fail = (init: Omit<TxRejectedInit, 'txid'>, kind: FailKind): never => {
      throw new Fail({ ...init, txid }, kind);
    };
    const bad = checkTransaction(tx);
    if (bad !== null) fail({ reason: bad, rule: 'CheckTransaction' }, 'consensus');
    if (isCoinbase(tx)) fail({ reason: 'coinbase', rule: 'coinbase only valid in a block' }, 'consensus');
    if (policy.requireStandard) {
      const ns = isStandardTx(tx, policy);
      if (ns !== null) fail({ ...ns, rule: 'IsStandardTx' }, 'policy');
    }
    if (baseSize(tx) < MIN_STANDARD_TX_NONWITNESS_SIZE)
      fail(
        { reason: 'tx-size-small', detail: `${baseSize(tx)} non-witness bytes < 65`, rule: 'CVE-2017-12842' },
        'policy',
      );
    const nextHeight = chain.tipHeight + 1;
    const tipMtp = chain.mtp(chain.tipHeight);
    if (!isFinalTx(tx, nextHeight, tipMtp)) {
      const what = tx.locktime < 500_000_000 ? `height ${nextHeight}` : `median time past ${tipMtp}`;
      fail(
        {
          reason: 'non-final',
          detail: `nLockTime ${tx.locktime} is not below the next block's ${what}`,
          rule: 'nLockTime (BIP113)',
        },
        'premature',
      );
    }
    if (this.byWtxid.has(rec.wtxid)) fail({ reason: 'txn-already-in-mempool' }, 'conflict');
    if (this.entries.has(txid)) fail({ reason: 'txn-same-nonwitness-data-in-mempool' }, 'conflict');

    const conflicts = new Set<string>();
    for (const k of rec.inputKeys) {
      const c = this.spentBy.get(k);
      if (c !== undefined) {
        if (!args.allowReplacement) fail({ reason: 'bip125-replacement-disallowed' }, 'policy');
        conflicts.add(c);
      }
    }

    const coins: Coin[] = [];
    for (let i = 0; i < rec.inputKeys.length; i++) {
      const coin = this.view(chain, temp, rec.inputKeys[i]!);
      if (coin === undefined) {
        for (let v = 0; v < tx.outputs.length; v++)
          if (chain.utxo(outpointKey(txid, v)) !== undefined)
            fail({ reason: 'txn-already-known' }, 'conflict');
        fail(
          {
            reason: 'bad-txns-inputs-missingorspent',
            inputIndex: i,
            detail: `input ${i} spends ${rec.inputKeys[i]}, which is unknown or already spent`,
            rule: 'inputs exist',
          },
          'missing-inputs',
        );
      }
      coins.push(coin as Coin);
    }

    // BIP68, judged for the next block: height tip + 1, MTP(tip).
    const ages: CoinAge[] = coins.map((c) =>
      c.height === MEMPOOL_HEIGHT
        ? { height: nextHeight, prevMtp: tipMtp }
        : { height: c.height, prevMtp: chain.mtp(Math.max(c.height - 1, 0)) },
    );
    const locks = calculateSequenceLocks(tx, ages);
    if (!evaluateSequenceLocks(locks, nextHeight, tipMtp)) {
      // Name the binding input for the reader (Core does not).
      let binding: number | undefined;
      tx.inputs.forEach((_, i) => {
        const one = calculateSequenceLocks(
          { ...tx, inputs: tx.inputs.map((x, j) => (j === i ? x : { ...x, sequence: 0xffffffff })) },
          ages,
        );
        if (binding === undefined && !evaluateSequenceLocks(one, nextHeight, tipMtp)) binding = i;
      });
      fail(
        {
          reason: 'non-BIP68-final',
          ...(binding === undefined ? {} : { inputIndex: binding }),
          detail:
            locks.minHeight >= nextHeight
              ? `relative lock holds until height ${locks.minHeight + 1}; next block is ${nextHeight}`
              : `relative lock holds until median time past > ${locks.minTime}; it is ${tipMtp}`,
          rule: 'BIP68',
        },
        'premature',
      );
    }

    // Consensus::CheckTxInputs at the next height.
    let valueIn = 0n;
    let spendsCoinbase = false;
    for (let i = 0; i < coins.length; i++) {
      const c = coins[i]!;
      if (c.coinbase) {
        spendsCoinbase = true;
        const depth = nextHeight - c.height;
        if (depth < COINBASE_MATURITY)
          fail(
            {
              reason: 'bad-txns-premature-spend-of-coinbase',
              inputIndex: i,
              detail: `tried to spend coinbase at depth ${depth}`,
              rule: 'coinbase maturity (100)',
            },
            'consensus',
          );
      }
      valueIn += c.value;
      if (c.value < 0n || c.value > MAX_MONEY || valueIn > MAX_MONEY)
        fail({ reason: 'bad-txns-inputvalues-outofrange', inputIndex: i }, 'consensus');
    }
    const valueOut = tx.outputs.reduce((s, o) => s + o.value, 0n);
    if (valueIn < valueOut)
      fail(
        {
          reason: 'bad-txns-in-belowout',
          detail: `value in (${valueIn} sat) < value out (${valueOut} sat)`,
          rule: 'value conservation',
        },
        'consensus',
      );
    const fee = valueIn - valueOut;
    const spent: TxOut[] = coins.map((c) => ({ value: c.value, script: c.script }));

    if (policy.requireStandard) {
      const ni = areInputsStandard(tx, spent);
      if (ni !== null) fail({ ...ni, rule: 'AreInputsStandard' }, 'policy');
      if (tx.inputs.some((i) => i.witness.length > 0)) {
        const nw = isWitnessStandard(tx, spent);
        if (nw !== null) fail({ ...nw, rule: 'IsWitnessStandard' }, 'policy');
      }
    }

    const vsize = rec.vsize;
    if (policy.requireStandard && dustOutputs(tx, policy.dustRelayFeeRate).length > 0 && fee !== 0n)
      fail({ reason: 'dust', detail: 'tx with dust output must be 0-fee', rule: 'ephemeral dust' }, 'policy');
    const minFee = feeAtRate(policy.minRelayFeeRate, vsize);
    // Core 28–30 only (removed by PR #33892 in Core 31): below the minimum relay fee only a TRUC tx
    // may be paid for by its package; any other is refused outright, alone or in a package.
    if (
      !args.bypassLimits &&
      policy.coreVersion < NON_TRUC_PACKAGE_PARENT_VERSION &&
      tx.version !== TRUC_VERSION &&
      fee < minFee
    )
      fail(
        { reason: 'min relay fee not met', detail: `${fee} < ${minFee}`, rule: 'minrelaytxfee' },
        'policy',
      );
    if (!args.bypassLimits && !args.packageFeerates && fee < minFee)
      fail(
        { reason: 'min relay fee not met', detail: `${fee} < ${minFee}`, rule: 'minrelaytxfee' },
        'reconsiderable',
      );

    const parents = [...new Set(rec.prevTxids.filter((p) => this.entries.has(p)))];
    const ws: Workspace = { rec, conflicts, fee, spent, spendsCoinbase, parents, siblingEviction: false };
    if (!args.bypassLimits) {
      const truc = this.singleTrucChecks(rec, parents, conflicts);
      if (truc !== null) {
        if (args.allowSiblingEviction && truc.sibling !== undefined) {
          conflicts.add(truc.sibling);
          ws.siblingEviction = true;
        } else {
          fail({ reason: 'TRUC-violation', detail: truc.error, rule: 'BIP431' }, 'policy');
        }
      }
    }
    return ws;
  }

  private idOf(txid: string): string {
    const e = this.entries.get(txid);
    return `${txid} (wtxid=${e?.rec.wtxid ?? txid})`;
  }

  /** Core's `SingleTRUCChecks`. */
  private singleTrucChecks(
    rec: TxRecord,
    parents: readonly string[],
    directConflicts: ReadonlySet<string>,
  ): { error: string; sibling?: string } | null {
    const self = `${rec.txid} (wtxid=${rec.wtxid})`;
    for (const p of parents) {
      const pv = this.entries.get(p)!.rec.tx.version;
      if (rec.tx.version !== TRUC_VERSION && pv === TRUC_VERSION)
        return { error: `non-version=3 tx ${self} cannot spend from version=3 tx ${this.idOf(p)}` };
      if (rec.tx.version === TRUC_VERSION && pv !== TRUC_VERSION)
        return { error: `version=3 tx ${self} cannot spend from non-version=3 tx ${this.idOf(p)}` };
    }
    if (rec.tx.version !== TRUC_VERSION) return null;
    if (rec.vsize > TRUC_MAX_VSIZE)
      return { error: `version=3 tx ${self} is too big: ${rec.vsize} > ${TRUC_MAX_VSIZE} virtual bytes` };
    if (parents.length + 1 > 2) return { error: `tx ${self} would have too many ancestors` };
    if (parents.length > 0) {
      const parent = parents[0]!;
      if (this.ancestors(parent).size + 1 + 1 > 2)
        return { error: `tx ${self} would have too many ancestors` };
      if (rec.vsize > TRUC_CHILD_MAX_VSIZE)
        return {
          error: `version=3 child tx ${self} is too big: ${rec.vsize} > ${TRUC_CHILD_MAX_VSIZE} virtual bytes`,
        };
      const desc = [...this.descendants(parent)];
      const childWillBeReplaced = desc.some((d) => directConflicts.has(d));
      if (desc.length + 1 + 1 > 2 && !childWillBeReplaced) {
        const considerSibling = desc.length === 1 && this.ancestors(desc[0]!).size + 1 === 2;
        return {
          error: `tx ${this.idOf(parent)} would exceed descendant count limit`,
          ...(considerSibling ? { sibling: desc[0]! } : {}),
        };
      }
    }
    return null;
  }

  /** Direct conflicts plus their descendants. */
  private allConflicts(direct: Iterable<string>): Set<string> {
    const all = new Set<string>();
    for (const c of direct) {
      all.add(c);
      for (const d of this.descendants(c)) all.add(d);
    }
    return all;
  }

  /**
   * Core 31's `ReplacementChecks` (cluster mempool): rule 5, rules 3–4 (`PaysForRBF`), then the
   * feerate-diagram check (`replacement-failed`) — here for clusters of at most 2 transactions, the
   * TRUC shapes; larger clusters skip the diagram check (not modelled).
   */
  private replacementChecksCluster(chain: ChainView, ws: Workspace): Set<string> {
    const { rec } = ws;
    const all = this.allConflicts(ws.conflicts);
    if (all.size > chain.policy.maxReplacementCandidates)
      throw new Fail(
        {
          reason: `too many potential replacements${suffix(ws)}`,
          txid: rec.txid,
          detail: `rejecting replacement ${rec.txid}; too many potential replacements (${all.size} > ${chain.policy.maxReplacementCandidates})`,
          rule: 'RBF rule 5',
        },
        'policy',
      );
    this.paysForRbf(
      chain,
      ws.fee,
      rec.vsize,
      all,
      rec.txid,
      `insufficient fee${suffix(ws)}`,
      'reconsiderable',
    );
    const parents = ws.parents.filter((p) => !all.has(p));
    const small =
      parents.length <= 1 &&
      [...ws.conflicts, ...parents].every((t) => this.cluster(t).size <= 2) &&
      (parents.length === 0 || this.ancestors(parents[0]!).size === 0);
    if (small) {
      const info = (t: string): { fee: bigint; vsize: number } => {
        const e = this.entries.get(t)!;
        return { fee: e.fee, vsize: e.rec.vsize };
      };
      const mine = { fee: ws.fee, vsize: rec.vsize };
      const pkg = parents.length === 1 ? [info(parents[0]!), mine] : [mine];
      if (!this.improvesDiagram(ws.conflicts, all, pkg, parents))
        throw new Fail(
          {
            reason: 'replacement-failed',
            txid: rec.txid,
            detail: 'insufficient feerate: does not improve feerate diagram',
            rule: 'RBF feerate diagram',
          },
          'reconsiderable',
        );
    }
    return all;
  }

  /** Core 30's `ReplacementChecks` (BIP125 rules 6, 5, 2, 3, 4 under full-RBF). */
  private replacementChecks(chain: ChainView, ws: Workspace): Set<string> {
    if (chain.policy.coreVersion >= CLUSTER_MEMPOOL_VERSION) return this.replacementChecksCluster(chain, ws);
    const { rec } = ws;
    const fail = (init: Omit<TxRejectedInit, 'txid'>, kind: FailKind): never => {
      throw new Fail({ ...init, txid: rec.txid }, kind);
    };
    const newRate = feeRateOf(ws.fee, rec.vsize);
    for (const c of ws.conflicts) {
      const e = this.entries.get(c)!;
      const oldRate = feeRateOf(e.fee, e.rec.vsize);
      if (newRate <= oldRate)
        fail(
          {
            reason: `insufficient fee${suffix(ws)}`,
            detail: `rejecting replacement ${rec.txid}; new feerate ${newRate} sat/kvB <= old feerate ${oldRate} sat/kvB`,
            rule: 'RBF rule 6',
          },
          'reconsiderable',
        );
    }
    const all = this.allConflicts(ws.conflicts);
    if (all.size > chain.policy.maxReplacementCandidates)
      fail(
        {
          reason: `too many potential replacements${suffix(ws)}`,
          detail: `rejecting replacement ${rec.txid}; too many potential replacements (${all.size} > ${chain.policy.maxReplacementCandidates})`,
          rule: 'RBF rule 5',
        },
        'policy',
      );
    const conflictParents = new Set<string>();
    for (const c of all) for (const p of this.entries.get(c)!.rec.prevTxids) conflictParents.add(p);
    rec.prevTxids.forEach((p, j) => {
      if (!conflictParents.has(p) && this.entries.has(p))
        fail(
          {
            reason: `replacement-adds-unconfirmed${suffix(ws)}`,
            inputIndex: j,
            detail: `replacement ${rec.txid} adds unconfirmed input, idx ${j}`,
            rule: 'RBF rule 2',
          },
          'policy',
        );
    });
    this.paysForRbf(
      chain,
      ws.fee,
      rec.vsize,
      all,
      rec.txid,
      `insufficient fee${suffix(ws)}`,
      'reconsiderable',
    );
    return all;
  }

  /** Core's `PaysForRBF` (rules 3 and 4). */
  private paysForRbf(
    chain: ChainView,
    fee: bigint,
    vsize: number,
    all: ReadonlySet<string>,
    txid: string,
    reason: string,
    kind: FailKind,
  ): void {
    let original = 0n;
    for (const c of all) original += this.entries.get(c)!.fee;
    if (fee < original)
      throw new Fail(
        {
          reason,
          txid,
          detail: `rejecting replacement ${txid}, less fees than conflicting txs; ${fee} < ${original}`,
          rule: 'RBF rule 3',
        },
        kind,
      );
    const relay = feeAtRate(chain.policy.incrementalRelayFeeRate, vsize);
    if (fee - original < relay)
      throw new Fail(
        {
          reason,
          txid,
          detail: `rejecting replacement ${txid}, not enough additional fees to relay; ${fee - original} < ${relay}`,
          rule: 'RBF rule 4',
        },
        kind,
      );
  }

  /** Ancestor/descendant count limits (Core's 25/25) and spends-conflicting check. */
  private limitChecks(
    chain: ChainView,
    ws: Workspace,
    extraAncestors: readonly string[] = [],
    removed: ReadonlySet<string> = new Set(),
  ): void {
    const ancestors = new Set<string>(extraAncestors);
    for (const p of ws.parents) {
      ancestors.add(p);
      for (const a of this.ancestors(p)) ancestors.add(a);
    }
    for (const a of ancestors)
      if (ws.conflicts.has(a))
        throw new Fail(
          {
            reason: 'bad-txns-spends-conflicting-tx',
            txid: ws.rec.txid,
            detail: `${ws.rec.txid} spends conflicting transaction ${a}`,
          },
          'consensus',
        );
    if (chain.policy.coreVersion >= CLUSTER_MEMPOOL_VERSION) {
      // Core 31: the cluster the transaction joins (its parents' clusters, minus what it replaces).
      const joined = new Set<string>(extraAncestors);
      for (const p of ws.parents) for (const t of this.cluster(p)) if (!removed.has(t)) joined.add(t);
      if (joined.size + 1 > CLUSTER_LIMIT)
        throw new Fail(
          {
            reason: 'too-large-cluster',
            txid: ws.rec.txid,
            detail: `cluster of ${joined.size + 1} > ${CLUSTER_LIMIT}`,
          },
          'policy',
        );
      return;
    }
    if (ancestors.size + 1 > ANCESTOR_LIMIT)
      throw new Fail(
        {
          reason: 'too-long-mempool-chain',
          txid: ws.rec.txid,
          detail: `too many unconfirmed ancestors [limit: ${ANCESTOR_LIMIT}]`,
        },
        'policy',
      );
    for (const a of ancestors)
      if (this.entries.has(a) && this.descendants(a).size + 2 > DESCENDANT_LIMIT)
        throw new Fail(
          {
            reason: 'too-long-mempool-chain',
            txid: ws.rec.txid,
            detail: `exceeds descendant limit for ${a} [limit: ${DESCENDANT_LIMIT}]`,
          },
          'policy',
        );
  }

  /** Core's `CheckEphemeralSpends`: a child must spend every dust output of its unconfirmed parents. */
  private ephemeralSpends(chain: ChainView, txs: readonly TxRecord[]): void {
    if (!chain.policy.requireStandard) return;
    const inPackage = new Map(txs.map((r) => [r.txid, r.tx] as const));
    for (const r of txs) {
      const parentTxids = new Set(r.prevTxids);
      const spends = new Set(r.inputKeys);
      for (const p of parentTxids) {
        const ptx = inPackage.get(p) ?? this.entries.get(p)?.rec.tx;
        if (ptx === undefined) continue;
        for (const d of dustOutputs(ptx, chain.policy.dustRelayFeeRate))
          if (!spends.has(outpointKey(p, d)))
            throw new Fail(
              {
                reason: 'missing-ephemeral-spends',
                txid: r.txid,
                detail: `tx ${r.txid} (wtxid=${r.wtxid}) did not spend parent's ephemeral dust`,
                rule: 'ephemeral dust',
              },
              'policy',
            );
      }
    }
  }

  private scriptChecks(chain: ChainView, ws: Workspace): void {
    const f = chain.verifyScripts(ws.rec.tx, ws.spent);
    if (f !== null)
      throw new Fail(
        {
          reason: `mempool-script-verify-flag-failed (${f.error})`,
          txid: ws.rec.txid,
          inputIndex: f.inputIndex,
          detail: `input ${f.inputIndex}${f.consensus ? '' : ' (standardness only; valid by consensus)'}`,
          rule: f.consensus ? 'script (consensus)' : 'script (policy)',
        },
        f.consensus ? 'consensus' : 'policy',
      );
  }

  private commit(ws: Workspace): void {
    this.add({ rec: ws.rec, fee: ws.fee, spent: ws.spent, spendsCoinbase: ws.spendsCoinbase });
  }

  /**
   * Core's `AcceptSingleTransaction`. With `test`, nothing changes. With `bypassLimits` (reorg
   * re-acceptance) fee and TRUC limits are skipped, as Core does for disconnected-block txs.
   */
  acceptSingle(
    chain: ChainView,
    rec: TxRecord,
    opts: { test?: boolean; bypassLimits?: boolean; maxFee?: 'single' | 'package' } = {},
  ): Accepted {
    const args: AcceptArgs = { ...SINGLE, bypassLimits: opts.bypassLimits === true };
    const ws = this.preChecks(chain, rec, args);
    let replaced: Set<string> = new Set();
    if (ws.conflicts.size > 0) replaced = this.replacementChecks(chain, ws);
    this.limitChecks(chain, ws, [], replaced);
    if (opts.maxFee === 'package') Mempool.packageMaxFeeRate(chain, ws);
    this.ephemeralSpends(chain, [rec]);
    this.scriptChecks(chain, ws);
    // sendrawtransaction/testmempoolaccept: after a successful test acceptance, the fee against
    // `maxfeerate.GetFee(vsize)` (node/transaction.cpp BroadcastTransaction, rpc/mempool.cpp).
    const max = chain.policy.maxFeeRate;
    if (opts.maxFee === 'single' && max > 0 && ws.fee > feeAtRate(max, rec.vsize))
      throw new Fail(
        {
          reason: 'max-fee-exceeded',
          txid: rec.txid,
          detail: `${ws.fee} > ${feeAtRate(max, rec.vsize)} (maxfeerate ${max} sat/kvB)`,
          rule: 'maxfeerate',
        },
        'policy',
      );
    if (opts.test === true) return { txids: [rec.txid], replaced: [...replaced] };
    for (const r of replaced) this.remove(r);
    this.commit(ws);
    return { txids: [rec.txid], replaced: [...replaced] };
  }

  /**
   * `submitpackage`'s `maxfeerate` (validation.cpp, `m_client_maxfeerate`): a transaction's own feerate
   * above it is `max feerate exceeded`, checked before the ephemeral-spend and script checks.
   */
  private static packageMaxFeeRate(chain: ChainView, ws: Workspace): void {
    const max = chain.policy.maxFeeRate;
    if (max > 0 && ws.fee * 1000n > BigInt(max) * BigInt(ws.rec.vsize))
      throw new Fail(
        {
          reason: 'max feerate exceeded',
          txid: ws.rec.txid,
          detail: `maxfeerate ${max} sat/kvB`,
          rule: 'maxfeerate',
        },
        'policy',
      );
  }

  /**
   * Core's `AcceptPackage` for one parent and one child (`submitpackage`): each transaction alone
   * first; those that failed only for fees (or for the missing parent) are retried together with
   * package feerate, TRUC package rules, package RBF and ephemeral-spend checks. A parent accepted
   * alone stays even if the child then fails (as in Core). Throws {@link Fail} for the first failure,
   * with the package-level reason when no transaction has its own.
   */
  acceptPackage(
    chain: ChainView,
    parent: TxRecord,
    child: TxRecord,
  ): Accepted & { results: Map<string, Fail | null> } {
    const pkgFail = (reason: string, detail?: string): never => {
      throw new Fail({ reason, ...(detail === undefined ? {} : { detail }), rule: 'package' }, 'policy');
    };
    if (parent.weight + child.weight > MAX_PACKAGE_WEIGHT) pkgFail('package-too-large');
    if (!child.prevTxids.includes(parent.txid) || parent.prevTxids.includes(child.txid))
      pkgFail('package-not-child-with-parents', 'the child must spend an output of the parent');
    const parentKeys = new Set(parent.inputKeys);
    if (child.inputKeys.some((k) => parentKeys.has(k))) pkgFail('conflict-in-package');

    const results = new Map<string, Fail | null>();
    const accepted: string[] = [];
    const replaced: string[] = [];
    const evalQueue: TxRecord[] = [];
    let quitEarly: Fail | undefined;
    for (const rec of [parent, child]) {
      if (this.byWtxid.has(rec.wtxid) || this.entries.has(rec.txid)) {
        results.set(rec.txid, null);
        accepted.push(rec.txid);
        continue;
      }
      try {
        const r = this.acceptSingle(chain, rec, { maxFee: 'package' });
        results.set(rec.txid, null);
        accepted.push(rec.txid);
        replaced.push(...r.replaced);
      } catch (e) {
        if (!(e instanceof Fail)) throw e;
        results.set(rec.txid, e);
        if (e.kind === 'reconsiderable' || e.kind === 'missing-inputs') evalQueue.push(rec);
        else quitEarly ??= e;
      }
    }
    if (quitEarly !== undefined) throw quitEarly;
    if (evalQueue.length === 1) {
      // Core's AcceptSubPackage of one transaction is the single acceptance again: same result.
      throw results.get(evalQueue[0]!.txid)!;
    }
    if (evalQueue.length === 2) {
      const r = this.acceptMultiple(chain, parent, child);
      accepted.push(...r.txids);
      replaced.push(...r.replaced);
      results.set(parent.txid, null);
      results.set(child.txid, null);
    }
    return { txids: accepted, replaced, results };
  }

  /** Core's `AcceptMultipleTransactions` with package feerates, for [parent, child]. */
  private acceptMultiple(chain: ChainView, parent: TxRecord, child: TxRecord): Accepted {
    const args: AcceptArgs = {
      allowReplacement: true,
      allowSiblingEviction: false,
      packageFeerates: true,
      bypassLimits: false,
    };
    const temp = new Map<string, Coin>();
    const pws = this.preChecks(chain, parent, args, temp);
    Mempool.packageMaxFeeRate(chain, pws);
    parent.tx.outputs.forEach((o, v) => {
      temp.set(outpointKey(parent.txid, v), {
        value: o.value,
        script: o.script,
        height: MEMPOOL_HEIGHT,
        coinbase: false,
      });
    });
    const cws = this.preChecks(chain, child, args, temp);
    Mempool.packageMaxFeeRate(chain, cws);
    // Core's PackageTRUCChecks: the child's parent is in the package.
    this.packageTrucChecks(pws, cws);
    const totalFee = pws.fee + cws.fee;
    const totalVsize = parent.vsize + child.vsize;
    const minFee = feeAtRate(chain.policy.minRelayFeeRate, totalVsize);
    if (totalFee < minFee)
      throw new Fail(
        {
          reason: 'min relay fee not met',
          txid: child.txid,
          detail: `${totalFee} < ${minFee}`,
          rule: 'package feerate',
        },
        'reconsiderable',
      );
    let all = new Set<string>();
    if (pws.conflicts.size > 0 || cws.conflicts.size > 0)
      all = this.packageRbfChecks(chain, pws, cws, totalFee, totalVsize);
    this.limitChecks(chain, pws, [], all);
    this.limitChecks(chain, cws, [parent.txid], all);
    this.ephemeralSpends(chain, [parent, child]);
    this.scriptChecks(chain, pws);
    this.scriptChecks(chain, cws);
    for (const r of all) this.remove(r);
    this.commit(pws);
    this.commit(cws);
    return { txids: [parent.txid, child.txid], replaced: [...all] };
  }

  /** Core's `PackageTRUCChecks` for a child whose parent is the package's parent. */
  private packageTrucChecks(pws: Workspace, cws: Workspace): void {
    const p = pws.rec;
    const c = cws.rec;
    const cid = `${c.txid} (wtxid=${c.wtxid})`;
    const pid = `${p.txid} (wtxid=${p.wtxid})`;
    const fail = (txid: string, detail: string): never => {
      throw new Fail({ reason: 'TRUC-violation', detail, rule: 'BIP431 (package)', txid }, 'policy');
    };
    // The parent: version=3 with any mempool parent would give the child two ancestors.
    if (p.tx.version === TRUC_VERSION && pws.parents.length > 0)
      fail(c.txid, `tx ${cid} would have too many ancestors`);
    if (c.tx.version === TRUC_VERSION) {
      if (cws.parents.length + 1 + 1 > 2) fail(c.txid, `tx ${cid} would have too many ancestors`);
      if (c.vsize > TRUC_CHILD_MAX_VSIZE)
        fail(
          c.txid,
          `version=3 child tx ${cid} is too big: ${c.vsize} > ${TRUC_CHILD_MAX_VSIZE} virtual bytes`,
        );
      if (p.tx.version !== TRUC_VERSION)
        fail(c.txid, `version=3 tx ${cid} cannot spend from non-version=3 tx ${pid}`);
    } else if (p.tx.version === TRUC_VERSION) {
      fail(c.txid, `non-version=3 tx ${cid} cannot spend from version=3 tx ${pid}`);
    }
  }

  /** Core's `PackageMempoolChecks` for package RBF (Core 28–30 rules, clusters of ≤ 2). */
  private packageRbfChecks(
    chain: ChainView,
    pws: Workspace,
    cws: Workspace,
    totalFee: bigint,
    totalVsize: number,
  ): Set<string> {
    const fail = (reason: string, detail: string): never => {
      throw new Fail(
        { reason: `package RBF failed: ${reason}`, detail, txid: cws.rec.txid, rule: 'package RBF' },
        'policy',
      );
    };
    if (pws.parents.length > 0 || cws.parents.length > 0)
      fail(
        'new transaction cannot have mempool ancestors',
        'a package RBF must not have unconfirmed ancestors in the mempool',
      );
    const direct = new Set([...pws.conflicts, ...cws.conflicts]);
    const all = this.allConflicts(direct);
    if (all.size > chain.policy.maxReplacementCandidates)
      fail('too many potential replacements', `${all.size} > ${chain.policy.maxReplacementCandidates}`);
    // Core 28–30 CheckConflictTopology: every directly conflicting tx is in a cluster of at most 2.
    // Core 31 linearises any cluster; SimChain then skips the diagram check for clusters above 2.
    const cluster31 = chain.policy.coreVersion >= CLUSTER_MEMPOOL_VERSION;
    let smallClusters = true;
    for (const c of direct) {
      const cluster = this.cluster(c);
      if (cluster.size > 2) {
        smallClusters = false;
        if (!cluster31)
          fail('conflicting tx cluster too large', `${c} is in a cluster of ${cluster.size} > 2`);
      }
    }
    try {
      this.paysForRbf(
        chain,
        totalFee,
        totalVsize,
        all,
        cws.rec.txid,
        'package RBF failed: insufficient anti-DoS fees',
        'policy',
      );
    } catch (e) {
      if (e instanceof Fail) throw new Fail({ ...e.init, rule: 'package RBF' }, 'policy');
      throw e;
    }
    const parentRate = feeRateOf(pws.fee, pws.rec.vsize);
    const packageRate = feeRateOf(totalFee, totalVsize);
    if (packageRate <= parentRate)
      fail(
        'package feerate is less than or equal to parent feerate',
        `package feerate ${packageRate} sat/kvB <= parent feerate is ${parentRate} sat/kvB`,
      );
    if (
      smallClusters &&
      !this.improvesDiagram(direct, all, [
        { fee: pws.fee, vsize: pws.rec.vsize },
        { fee: cws.fee, vsize: cws.rec.vsize },
      ])
    )
      fail(
        'insufficient feerate: does not improve feerate diagram',
        'the replacement does not improve the feerate diagram',
      );
    return all;
  }

  /** The connected mempool component of `txid`. */
  private cluster(txid: string): Set<string> {
    const seen = new Set<string>();
    const stack = [txid];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      stack.push(...this.parentsOf(t), ...this.childrenOf(t));
    }
    return seen;
  }

  /** Chunks of a cluster of ≤ 2 transactions given as [parent, child?]. */
  private static chunks(txs: readonly { fee: bigint; vsize: number }[]): { fee: bigint; vsize: number }[] {
    if (txs.length === 1) return [txs[0]!];
    const [p, c] = txs as [{ fee: bigint; vsize: number }, { fee: bigint; vsize: number }];
    // The child joins the parent's chunk when it raises the parent's feerate.
    if (c.fee * BigInt(p.vsize) > p.fee * BigInt(c.vsize))
      return [{ fee: p.fee + c.fee, vsize: p.vsize + c.vsize }];
    return [p, c];
  }

  /**
   * Core's `ImprovesFeerateDiagram` restricted to clusters of ≤ 2: the diagram of the affected
   * clusters after the replacement must be nowhere below and somewhere above the one before.
   */
  private improvesDiagram(
    direct: ReadonlySet<string>,
    all: ReadonlySet<string>,
    pkg: { fee: bigint; vsize: number }[],
    alsoAffected: readonly string[] = [],
  ): boolean {
    const clusters = new Map<string, string[]>();
    for (const c of [...direct, ...alsoAffected]) {
      const cl = this.topoOf(this.cluster(c));
      clusters.set(cl.join(','), cl);
    }
    const info = (t: string): { fee: bigint; vsize: number } => {
      const e = this.entries.get(t)!;
      return { fee: e.fee, vsize: e.rec.vsize };
    };
    const oldChunks: { fee: bigint; vsize: number }[] = [];
    const newChunks: { fee: bigint; vsize: number }[] = [...Mempool.chunks(pkg)];
    for (const cl of clusters.values()) {
      oldChunks.push(...Mempool.chunks(cl.map(info)));
      const kept = cl.filter((t) => !all.has(t) && !alsoAffected.includes(t));
      if (kept.length > 0) newChunks.push(...Mempool.chunks(kept.map(info)));
    }
    const diagram = (chunks: { fee: bigint; vsize: number }[]): [bigint, bigint][] => {
      const sorted = [...chunks].sort((a, b) => {
        const l = a.fee * BigInt(b.vsize);
        const r = b.fee * BigInt(a.vsize);
        return l > r ? -1 : l < r ? 1 : 0;
      });
      const pts: [bigint, bigint][] = [[0n, 0n]];
      let s = 0n;
      let f = 0n;
      for (const c of sorted) {
        s += BigInt(c.vsize);
        f += c.fee;
        pts.push([s, f]);
      }
      return pts;
    };
    const oldD = diagram(oldChunks);
    const newD = diagram(newChunks);
    // Compare fee at every vertex of either diagram: value as a fraction num/den.
    const at = (d: [bigint, bigint][], x: bigint): [bigint, bigint] => {
      for (let i = 1; i < d.length; i++) {
        const [x0, f0] = d[i - 1]!;
        const [x1, f1] = d[i]!;
        if (x <= x1) return [f0 * (x1 - x0) + (f1 - f0) * (x - x0), x1 - x0];
      }
      return [d[d.length - 1]![1], 1n];
    };
    let better = false;
    for (const [x] of [...oldD, ...newD]) {
      const [on, od] = at(oldD, x);
      const [nn, nd] = at(newD, x);
      const l = nn * od;
      const r = on * nd;
      if (l < r) return false;
      if (l > r) better = true;
    }
    return better;
  }

  private topoOf(set: ReadonlySet<string>): string[] {
    return this.topological().filter((t) => set.has(t));
  }
}
