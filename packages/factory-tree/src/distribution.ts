/**
 * Brief §6, the distribution transaction ("inverted timeout default"): signed at creation with the
 * tree, valid from `T_dist`, it spends the funding output by key path and pays the clients only. Above
 * TRUC's 10,000 vB it becomes a distribution tree: a top transaction paying up to 200
 * sub-distribution outputs, each spent by a sub-distribution that pays a contiguous run of clients.
 * Also the signing jobs (message, signers, keys in KeySort order, tweak, output key) that roles sign.
 *
 * Split rule (the brief is silent on it): the clients, in placement order, are cut into the fewest
 * contiguous runs whose sub-distribution fits the size limit, sizes balanced as in §3.1 (the first
 * `N mod G` runs get `⌈N/G⌉` clients, the rest `⌊N/G⌋`), so no sub-distribution is a near-empty tail
 * that pays its anchor and fee for one client.
 *
 * @module
 */
import {
  ANCHOR_AMOUNT,
  displayHex,
  encodeTx,
  P2A_SCRIPT,
  P2TR_DUST,
  TaprootSighasher,
  TRUC_MAX_VSIZE,
  type Tx,
  type TxOut,
  txidBytes,
  txidBytesOf,
  txVsize,
} from '@superscalar/tx';
import { assertBytes, assertInt, assertObject, assertOutline } from './_assert.js';
import { SpendError } from './exitErrors.js';
import { keyPathJob, type SigningJob } from './jobs.js';
import { MAX_FAN_OUT, tDist as tDistOf } from './proposal.js';
import { type FactoryOutline, musigTaprootOutput, type TaprootOutput } from './transactions.js';
import { feeFor, treeTxVsize } from './tree.js';

/** nSequence of every distribution input: non-final, so nLockTime `T_dist` binds (§6). */
export const DISTRIBUTION_SEQUENCE = 0xfffffffe;

/** One transaction of the distribution. */
export interface DistributionTx {
  /** `distribution` (single transaction), `top` (pays the sub-distributions) or `sub`. */
  readonly role: 'distribution' | 'top' | 'sub';
  /** For a `sub`, its run's index; otherwise -1. */
  readonly group: number;
  /** Version 3, nLockTime `T_dist`, one input with nSequence `0xFFFFFFFE`, P2A anchor last. */
  readonly tx: Tx;
  /** Display-order hex txid. */
  readonly txid: string;
  /** The txid in internal byte order. */
  readonly txidBytes: Uint8Array;
  /** The output it spends. */
  readonly spent: TxOut;
  /** The taproot output it spends (funding output, or a sub-distribution output). */
  readonly spentTaproot: TaprootOutput;
  /** For `top`: the taproot output of each sub-distribution output (anchor excluded). */
  readonly outputTaproot: readonly TaprootOutput[];
  /** The clients it pays or funds (indices into `clients[]`), in placement order. */
  readonly clients: readonly number[];
  /** Its signers: the LSP (0) then its clients (i + 1). */
  readonly signers: readonly number[];
  /** BIP341 key-path sighash. */
  readonly sighash: Uint8Array;
  /** `ceil(treeFeeRate × vsize / 1000)`. */
  readonly fee: bigint;
  /** Exact final vsize (64-byte key-path witness). */
  readonly vsize: number;
}

/** The distribution of a factory. */
export interface Distribution {
  /** nLockTime of every transaction: `proposalHeight + activeBlocks + dyingBlocks + 10`. */
  readonly tDist: number;
  /** True when it is a distribution tree. */
  readonly isTree: boolean;
  /** `[distribution]`, or `[top, sub 0, sub 1, …]`. */
  readonly txs: readonly DistributionTx[];
  /** The clients of each run, placement order (one run for a single distribution). */
  readonly groups: readonly (readonly number[])[];
  /** What each client receives, indexed like `clients[]`: `c_i` plus its share of the rest. */
  readonly payouts: readonly bigint[];
}

/** Options of {@link buildDistribution}. */
export interface DistributionOptions {
  /**
   * Largest vsize of one distribution transaction (default and maximum: TRUC's 10,000 vB). Every party
   * must use the same value; smaller values exist to exercise the split on small factories.
   */
  readonly maxVsize?: number;
}

/** Clients per run: the fewest contiguous runs of at most `maxPer`, sizes balanced. */
function splitRuns(order: readonly number[], maxPer: number): number[][] {
  const G = Math.ceil(order.length / maxPer);
  const small = Math.floor(order.length / G);
  const big = order.length % G;
  const runs: number[][] = [];
  let at = 0;
  for (let g = 0; g < G; g++) {
    const size = g < big ? small + 1 : small;
    runs.push(order.slice(at, at + size));
    at += size;
  }
  return runs;
}

/**
 * Builds the distribution of a tree's factory (§6): clients paid in placement order at their close
 * addresses, each `c_i` plus an equal share of `rest = funding − Σ c_i − anchors − fees` (the
 * remainder to the last client), then one P2A anchor; a distribution tree when one transaction would
 * exceed `maxVsize`.
 *
 * @throws {SpendError} `too-many-clients` (more than 200 runs needed), `rest-negative`.
 */
export function buildDistribution(tree: FactoryOutline, options: DistributionOptions = {}): Distribution {
  assertOutline(tree);
  const p = tree.proposal;
  const maxVsize = options.maxVsize ?? TRUC_MAX_VSIZE;
  assertInt(maxVsize, 'options.maxVsize', treeTxVsize(1), TRUC_MAX_VSIZE);
  const order = tree.layout.order;
  const N = order.length;
  const tDist = tDistOf(p);
  const rate = p.treeFeeRate;
  const isTree = treeTxVsize(N) > maxVsize;
  let groups: number[][];
  if (!isTree) groups = [[...order]];
  else {
    let maxPer = 1;
    while (treeTxVsize(maxPer + 1) <= maxVsize) maxPer++;
    groups = splitRuns(order, maxPer);
    if (groups.length > MAX_FAN_OUT || treeTxVsize(groups.length) > maxVsize)
      throw new SpendError(
        'too-many-clients',
        'clients',
        `${N} clients need ${groups.length} sub-distributions; one top transaction pays at most ${Math.min(MAX_FAN_OUT, maxPer)}`,
      );
  }
  const leafFees = groups.map((g) => feeFor(rate, treeTxVsize(g.length)));
  const topFee = isTree ? feeFor(rate, treeTxVsize(groups.length)) : 0n;
  const anchors = ANCHOR_AMOUNT * BigInt(groups.length + (isTree ? 1 : 0));
  const capacities = p.clients.reduce((a, c) => a + c.capacity, 0n);
  const rest = p.funding.amount - capacities - anchors - topFee - leafFees.reduce((a, b) => a + b, 0n);
  if (rest < 0n)
    throw new SpendError(
      'rest-negative',
      'funding.amount',
      `${p.funding.amount} sats do not cover Σ c_i + anchors + fees (short by ${-rest})`,
    );
  const share = rest / BigInt(N);
  const payouts: bigint[] = p.clients.map((c) => c.capacity + share);
  const last = order[N - 1] as number;
  payouts[last] = (payouts[last] as bigint) + (rest - share * BigInt(N));

  const keys = tree.keys;
  const fundingSpent: TxOut = { value: p.funding.amount, script: tree.funding.script };
  const fundingPrev = txidBytes(p.funding.txid, 'tree.proposal.funding.txid');
  const payTx = (
    role: 'distribution' | 'sub',
    group: number,
    prevTxid: Uint8Array,
    vout: number,
    spent: TxOut,
    spentTaproot: TaprootOutput,
    clients: readonly number[],
    fee: bigint,
  ): DistributionTx => {
    const outputs: TxOut[] = clients.map((c) => ({
      value: payouts[c] as bigint,
      script: (p.clients[c] as (typeof p.clients)[number]).closeScript,
    }));
    outputs.push({ value: ANCHOR_AMOUNT, script: P2A_SCRIPT });
    const tx: Tx = {
      version: 3,
      locktime: tDist,
      inputs: [{ txidBytes: prevTxid, vout, sequence: DISTRIBUTION_SEQUENCE }],
      outputs,
    };
    const id = txidBytesOf(tx);
    return Object.freeze({
      role,
      group,
      tx,
      txid: displayHex(id),
      txidBytes: id,
      spent,
      spentTaproot,
      outputTaproot: Object.freeze([]),
      clients: Object.freeze([...clients]),
      signers: Object.freeze([0, ...clients.map((c) => c + 1)]),
      sighash: new TaprootSighasher(tx, [spent]).sighash(0),
      fee,
      vsize: treeTxVsize(clients.length),
    });
  };
  let txs: DistributionTx[];
  if (!isTree) {
    txs = [
      payTx(
        'distribution',
        -1,
        fundingPrev,
        p.funding.vout,
        fundingSpent,
        tree.funding,
        order,
        leafFees[0] as bigint,
      ),
    ];
  } else {
    const subOutputs = groups.map((g) =>
      musigTaprootOutput([p.lsp.key, ...g.map((c) => keys[c + 1] as Uint8Array)], []),
    );
    const subAmounts = groups.map(
      (g, i) => g.reduce((a, c) => a + (payouts[c] as bigint), 0n) + ANCHOR_AMOUNT + (leafFees[i] as bigint),
    );
    const outputs: TxOut[] = subOutputs.map((o, i) => ({ value: subAmounts[i] as bigint, script: o.script }));
    outputs.push({ value: ANCHOR_AMOUNT, script: P2A_SCRIPT });
    const topTx: Tx = {
      version: 3,
      locktime: tDist,
      inputs: [{ txidBytes: fundingPrev, vout: p.funding.vout, sequence: DISTRIBUTION_SEQUENCE }],
      outputs,
    };
    const topId = txidBytesOf(topTx);
    const top: DistributionTx = Object.freeze({
      role: 'top',
      group: -1,
      tx: topTx,
      txid: displayHex(topId),
      txidBytes: topId,
      spent: fundingSpent,
      spentTaproot: tree.funding,
      outputTaproot: Object.freeze(subOutputs),
      clients: Object.freeze([...order]),
      signers: Object.freeze([0, ...order.map((c) => c + 1)]),
      sighash: new TaprootSighasher(topTx, [fundingSpent]).sighash(0),
      fee: topFee,
      vsize: treeTxVsize(groups.length),
    });
    txs = [
      top,
      ...groups.map((g, i) =>
        payTx(
          'sub',
          i,
          top.txidBytes,
          i,
          outputs[i] as TxOut,
          subOutputs[i] as TaprootOutput,
          g,
          leafFees[i] as bigint,
        ),
      ),
    ];
  }
  for (const t of txs) {
    // Fees were computed from treeTxVsize, which assumes 34-byte P2TR close scripts (the proposal
    // enforces them); a mismatch would make every fee wrong, so refuse rather than sign it.
    if (txVsize(t.tx, [[new Uint8Array(64)]]) !== t.vsize)
      throw new SpendError(
        'too-large',
        `distribution ${t.role}`,
        'its size differs from the P2TR-output estimate',
      );
    for (const o of t.tx.outputs)
      if (o.script !== P2A_SCRIPT && o.value < P2TR_DUST)
        throw new SpendError(
          'below-dust',
          `distribution ${t.role}`,
          `an output of ${o.value} sats is below dust`,
        );
  }
  return Object.freeze({
    tDist,
    isTree,
    txs: Object.freeze(txs),
    groups: Object.freeze(groups.map((g) => Object.freeze(g))),
    payouts: Object.freeze(payouts),
  });
}

/** The signing plan of a distribution: one job per transaction, and each participant's jobs. */
export interface DistributionSigningPlan {
  /** One job per `distribution.txs` entry, same order. */
  readonly jobs: readonly SigningJob[];
  /**
   * Per participant (0 = LSP, i + 1 = clients[i]): the indices into `jobs` it signs — the LSP all,
   * a client the top (or single) distribution and its own sub-distribution (two nonces, §8).
   */
  readonly byParticipant: readonly (readonly number[])[];
}

/** The signing plan of a distribution (§6, §8 round 1). */
export function distributionSigningPlan(tree: FactoryOutline, dist: Distribution): DistributionSigningPlan {
  assertOutline(tree);
  assertObject(dist, 'dist');
  const jobs = dist.txs.map((t) =>
    keyPathJob({
      id:
        t.role === 'sub'
          ? `distribution-sub[${t.group}]`
          : t.role === 'top'
            ? 'distribution-top'
            : 'distribution',
      kind: 'distribution',
      sighash: t.sighash,
      participants: t.signers,
      keys: tree.keys,
      spent: t.spentTaproot,
    }),
  );
  const byParticipant: number[][] = tree.keys.map(() => []);
  dist.txs.forEach((t, j) => {
    for (const s of t.signers) (byParticipant[s] as number[]).push(j);
  });
  return Object.freeze({
    jobs: Object.freeze(jobs),
    byParticipant: Object.freeze(byParticipant.map((b) => Object.freeze(b))),
  });
}

/** Serialises a distribution transaction with its 64-byte key-path signature. */
export function signedDistributionBytes(t: DistributionTx, signature: Uint8Array): Uint8Array {
  assertBytes(signature, 'signature', 64);
  return encodeTx(t.tx, [[signature]]);
}
