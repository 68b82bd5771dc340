/**
 * The tree's layout (protocol brief §3, §4.4): placement, leaves, the shape from
 * `@superscalar/dw-counter`'s `buildShape`, the transaction list (kickoff then state per logical
 * node, pre-order), each transaction's position k on its path, its signers, exact final vsize and fee,
 * and the amounts computed bottom-up. No keys or scripts here (see `transactions.ts`).
 *
 * @module
 */
import { buildShape, dwExitDelay, nSequenceForState, type TreeShape } from '@superscalar/dw-counter';
import { assertInt, assertObject } from './_assert.js';
import { InvalidProposalError } from './errors.js';
import type { Proposal } from './proposal.js';

/** Kind of a tree transaction. */
export type TreeTxKind = 'kickoff' | 'state';

/** One transaction's layout. */
export interface TxLayout {
  /** Index in the tree's transaction list. */
  readonly index: number;
  /** Logical node (pre-order id of the dw-counter shape). */
  readonly node: number;
  readonly kind: TreeTxKind;
  /** Position on the path: the root kickoff is 0 (§4.3). Its node outputs carry `T_k = T − k·timeoutStep`. */
  readonly k: number;
  /** Index of the transaction whose output this one spends, or -1 for the funding output. */
  readonly parent: number;
  /** Output index spent in the parent. */
  readonly parentVout: number;
  /** Input nSequence: 0xFFFFFFFF for a kickoff, the DW value for a state (§3.3, state 0). */
  readonly sequence: number;
  /** Participants signing it (0 = LSP, i + 1 = clients[i]), LSP first then clients in placement order. */
  readonly signers: readonly number[];
  /** Input amount (the spent output's value). */
  readonly inputAmount: bigint;
  /** Output amounts, anchor last. */
  readonly outputAmounts: readonly bigint[];
  /** Exact final vsize with the 64-byte key-path witness. */
  readonly vsize: number;
  /** `ceil(treeFeeRate × vsize / 1000)`. */
  readonly fee: bigint;
  /** For a leaf state: the leaf index (placement order); otherwise -1. */
  readonly leaf: number;
  /** Children's kickoff transaction indices, in output order (interior states and static kickoffs). */
  readonly childTxs: readonly number[];
}

/** The whole layout. */
export interface TreeLayout {
  readonly shape: TreeShape;
  /** `order[pos]` = index in `clients[]` of the client at placement position `pos`. */
  readonly order: readonly number[];
  /** Clients (indices into `clients[]`) of each leaf, in placement order. */
  readonly leafClients: readonly (readonly number[])[];
  /** L-stock of each leaf. */
  readonly lStock: readonly bigint[];
  /** Every transaction, node by node in pre-order, kickoff before state. */
  readonly txs: readonly TxLayout[];
  /** Per node: its kickoff's and state's transaction index (state −1 for a static node). */
  readonly nodeTxs: readonly { readonly kickoff: number; readonly state: number }[];
  /** Per node: its signers (0 = LSP, i + 1 = clients[i]). */
  readonly nodeSigners: readonly (readonly number[])[];
  /** Per leaf: the transaction indices of its root-to-leaf path, in broadcast order. */
  readonly leafPaths: readonly (readonly number[])[];
  /** §3.4 exit delay. */
  readonly exitDelay: number;
  /** Sum of every tree transaction's fee. */
  readonly totalFees: bigint;
}

/** Transactions on the longest path of a shape (static kickoffs count 1, other nodes 2). */
export function shapeMetrics(shape: TreeShape): { maxPathTxs: number } {
  assertObject(shape, 'shape');
  const txsTo: number[] = [];
  let maxPathTxs = 0;
  for (const n of shape.nodes) {
    const own = n.static ? 1 : 2;
    const total = (n.parent >= 0 ? (txsTo[n.parent] as number) : 0) + own;
    txsTo[n.id] = total;
    if (n.leaf >= 0) maxPathTxs = Math.max(maxPathTxs, total);
  }
  return { maxPathTxs };
}

/** §2's placement rule: a stable sort of client indices (ties keep `clients[]` order). */
export function placementOrder(p: Pick<Proposal, 'clients' | 'placement'>): number[] {
  assertObject(p, 'p');
  const idx = p.clients.map((_, i) => i);
  const prof = (i: number) => p.clients[i]?.profile;
  switch (p.placement) {
    case 'sequential':
      return idx;
    case 'inward':
      return idx.sort((a, b) => {
        const x = prof(a)?.contribution ?? 0n;
        const y = prof(b)?.contribution ?? 0n;
        return x < y ? -1 : x > y ? 1 : 0;
      });
    case 'outward':
      return idx.sort((a, b) => (prof(a)?.uptime ?? 0) - (prof(b)?.uptime ?? 0));
    case 'timezone':
      return idx.sort((a, b) => (prof(a)?.timezone ?? 0) - (prof(b)?.timezone ?? 0));
  }
}

const P2TR_OUT = 43; // 8 value + 1 length + 34 script
const P2A_OUT = 13; // 8 value + 1 length + 4 script

/**
 * Exact vsize of a one-input transaction with `p2tr` P2TR outputs, one P2A anchor and a single
 * 64-byte witness item: base = 4 + 1 + 41 + varint + outputs + 4; witness = 2 (marker, flag) + 1 + 1 + 64
 * = 68 weight units = 17 vB.
 */
export function treeTxVsize(p2tr: number): number {
  const nOut = p2tr + 1;
  const varint = nOut < 0xfd ? 1 : 3;
  return 4 + 1 + 41 + varint + p2tr * P2TR_OUT + P2A_OUT + 4 + 17;
}

/** `ceil(rate × vsize / 1000)` (§1). */
export function feeFor(rate: number, vsize: number): bigint {
  assertInt(rate, 'rate', 0, Number.MAX_SAFE_INTEGER);
  assertInt(vsize, 'vsize', 0, Number.MAX_SAFE_INTEGER);
  return (BigInt(rate) * BigInt(vsize) + 999n) / 1000n;
}

/**
 * Lays out the tree of a proposal and checks §2's amount, dust, size, funding and timeout rules.
 *
 * @throws {InvalidProposalError}
 */
export function layoutTree(p: Proposal): TreeLayout {
  assertObject(p, 'p');
  const N = p.clients.length;
  const order = placementOrder(p);
  const leafClients: number[][] = [];
  for (let i = 0; i < N; i += p.leafArity) leafClients.push(order.slice(i, i + p.leafArity));
  const L = leafClients.length;
  const shape = buildShape({ leaves: L, levelArity: p.levelArity, staticLevels: p.staticLevels });
  const exitDelay = dwExitDelay(shape.layerCount, p.dw);
  const state0 = nSequenceForState(p.dw, 0);

  // Signers per node: LSP then the clients below in placement order.
  const nodeSigners: number[][] = shape.nodes.map(() => []);
  for (let i = shape.nodes.length - 1; i >= 0; i--) {
    const n = shape.nodes[i] as TreeShape['nodes'][number];
    const s =
      n.leaf >= 0
        ? (leafClients[n.leaf] as number[]).map((c) => c + 1)
        : n.children.flatMap((c) => (nodeSigners[c] as number[]).slice(1));
    nodeSigners[i] = [0, ...s];
  }

  // Transactions in pre-order (kickoff, then state), with k and parents.
  interface MutTx {
    index: number;
    node: number;
    kind: 'kickoff' | 'state';
    k: number;
    parent: number;
    parentVout: number;
    sequence: number;
    signers: readonly number[];
    inputAmount: bigint;
    outputAmounts: bigint[];
    vsize: number;
    fee: bigint;
    leaf: number;
    childTxs: number[];
  }
  const txs: MutTx[] = [];
  const nodeTxs: { kickoff: number; state: number }[] = [];
  for (const n of shape.nodes) {
    let parent = -1;
    let parentVout = 0;
    let k = 0;
    if (n.parent >= 0) {
      const pt = nodeTxs[n.parent] as { kickoff: number; state: number };
      parent = pt.state >= 0 ? pt.state : pt.kickoff;
      const ptx = txs[parent] as MutTx;
      parentVout = ptx.childTxs.length;
      k = ptx.k + 1;
    }
    const signers = nodeSigners[n.id] as number[];
    const ko: MutTx = {
      index: txs.length,
      node: n.id,
      kind: 'kickoff',
      k,
      parent,
      parentVout,
      sequence: 0xffffffff,
      signers,
      inputAmount: 0n,
      outputAmounts: [],
      vsize: 0,
      fee: 0n,
      leaf: -1,
      childTxs: [],
    };
    if (parent >= 0) (txs[parent] as MutTx).childTxs.push(ko.index);
    txs.push(ko);
    let st = -1;
    if (!n.static) {
      const s: MutTx = {
        ...ko,
        index: txs.length,
        kind: 'state',
        k: k + 1,
        parent: ko.index,
        parentVout: 0,
        sequence: state0,
        outputAmounts: [],
        leaf: n.leaf,
        childTxs: [],
      };
      txs.push(s);
      st = s.index;
    }
    nodeTxs.push({ kickoff: ko.index, state: st });
  }

  // Bottom-up amounts with L-stocks at zero, then add the L-stocks along their paths.
  const leafOf = (t: MutTx) => t.leaf;
  for (let i = txs.length - 1; i >= 0; i--) {
    const t = txs[i] as MutTx;
    let p2tr: number;
    if (t.kind === 'state' && leafOf(t) >= 0) {
      const cl = leafClients[t.leaf] as number[];
      t.outputAmounts = [...cl.map((c) => (p.clients[c] as Proposal['clients'][number]).capacity), 0n, 240n];
      p2tr = cl.length + 1;
    } else if (t.kind === 'kickoff' && !(shape.nodes[t.node] as TreeShape['nodes'][number]).static) {
      const st = txs[(nodeTxs[t.node] as { state: number }).state] as MutTx;
      t.outputAmounts = [st.inputAmount, 240n];
      p2tr = 1;
    } else {
      t.outputAmounts = [...t.childTxs.map((c) => (txs[c] as MutTx).inputAmount), 240n];
      p2tr = t.childTxs.length;
    }
    t.vsize = treeTxVsize(p2tr);
    t.fee = feeFor(p.treeFeeRate, t.vsize);
    t.inputAmount = t.outputAmounts.reduce((a, b) => a + b, 0n) + t.fee;
    if (t.vsize > 10_000)
      throw new InvalidProposalError(
        `tx[${t.index}].vsize`,
        t.vsize,
        "a pre-signed v3 transaction above TRUC's 10,000 vB",
        10_000,
      );
  }
  const root = txs[0] as MutTx;
  const base = root.inputAmount;
  const totalFees = txs.reduce((a, t) => a + t.fee, 0n);
  let lStock: bigint[];
  if (p.lStock === undefined) {
    const left = p.funding.amount - base;
    if (left < 0n)
      throw new InvalidProposalError(
        'funding.amount',
        p.funding.amount,
        `below the tree's requirement without L-stock (${base})`,
        base,
      );
    const each = left / BigInt(L);
    lStock = leafClients.map((_, j) => (j === L - 1 ? each + (left - each * BigInt(L)) : each));
  } else {
    lStock = [...p.lStock];
    const need = base + lStock.reduce((a, b) => a + b, 0n);
    if (need !== p.funding.amount)
      throw new InvalidProposalError(
        'funding.amount',
        p.funding.amount,
        `must equal the tree's root requirement ${need} exactly`,
        need,
      );
  }
  lStock.forEach((a, j) => {
    if (a < 330n)
      throw new InvalidProposalError(`lStock[${j}]`, a, 'L-stock output below dust after fees', 330n);
  });
  // Add each leaf's L-stock to its leaf state's output and every input on its path.
  const leafPaths: number[][] = [];
  for (let j = 0; j < L; j++) {
    const leafNode = shape.leaves[j] as number;
    const st = txs[(nodeTxs[leafNode] as { state: number }).state] as MutTx;
    const nc = (leafClients[j] as number[]).length;
    st.outputAmounts[nc] = lStock[j] as bigint;
    const path: number[] = [];
    for (let t: MutTx | undefined = st; t !== undefined; t = t.parent >= 0 ? txs[t.parent] : undefined) {
      path.push(t.index);
      t.inputAmount += lStock[j] as bigint;
      const child = path.length >= 2 ? (txs[path[path.length - 2] as number] as MutTx) : undefined;
      if (child !== undefined)
        t.outputAmounts[child.parentVout] =
          (t.outputAmounts[child.parentVout] as bigint) + (lStock[j] as bigint);
    }
    leafPaths.push(path.reverse());
    // §2: the smallest T_k on the path must leave the whole exit window after proposalHeight.
    const pathTxs = path.length;
    const smallestT = p.T - (pathTxs - 1) * p.timeoutStep;
    const need = p.proposalHeight + exitDelay + pathTxs + p.exitMargin;
    if (smallestT < need)
      throw new InvalidProposalError(
        `T_k (leaf ${j})`,
        smallestT,
        `the smallest timeout on leaf ${j}'s path is below proposalHeight + exitDelay + pathTxs + exitMargin`,
        need,
      );
  }
  if (root.inputAmount !== p.funding.amount)
    throw new InvalidProposalError(
      'funding.amount',
      p.funding.amount,
      `does not match the tree's root requirement ${root.inputAmount}`,
      root.inputAmount,
    );
  const freeze = <T>(x: T) => Object.freeze(x);
  return freeze({
    shape,
    order: freeze(order),
    leafClients: freeze(leafClients.map(freeze)),
    lStock: freeze(lStock),
    txs: freeze(
      txs.map((t) => freeze({ ...t, outputAmounts: freeze(t.outputAmounts), childTxs: freeze(t.childTxs) })),
    ),
    nodeTxs: freeze(nodeTxs.map(freeze)),
    nodeSigners: freeze(nodeSigners.map(freeze)),
    leafPaths: freeze(leafPaths.map(freeze)),
    exitDelay,
    totalFees,
  });
}
