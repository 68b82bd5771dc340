/**
 * Every tree transaction of brief §4: version 3, nLockTime 0, one input, exact bottom-up amounts and
 * fees (from `tree.ts`), P2A anchors, node outputs with the CLTV leaf `T_k`, channel outputs, L-stock
 * outputs with the CSV leaf and the poison leaf, and the BIP86 funding output. Pure and deterministic:
 * every party builds byte-identical transactions from the same proposal.
 *
 * `buildTree(p)` builds the initial tree; `buildTree(p, state)` builds the tree at any later state
 * (§5): each state transaction's nSequence from the dw-counter `DwState`, each leaf's current
 * allocation (channel capacities and L-stock) and the poison hash of its current counter `c`. Amounts
 * of every transaction above the leaf outputs never change across advances (a leaf's total is fixed
 * by its kickoff output), so one layout serves every state.
 *
 * Advances, poison and settlements: `advance.ts`, `poison.ts`, `settlement.ts`.
 *
 * @module
 */

import { concatBytes } from '@superscalar/core';
import { type DwState, initialState, nSequenceForState } from '@superscalar/dw-counter';
import {
  applyTweak,
  getXonlyPubkey,
  hasEvenY,
  type KeyAggContext,
  keyAgg,
  keySort,
} from '@superscalar/musig2';
import {
  ANCHOR_AMOUNT,
  displayHex,
  encodeTx,
  encodeTxNoWitness,
  P2A_SCRIPT,
  P2TR_DUST,
  p2trScript,
  TaprootSighasher,
  type Tx,
  type TxOut,
  tapBranchHash,
  tapLeafHash,
  taprootTweak,
  txidBytes,
  txidBytesOf,
} from '@superscalar/tx';
import { assertBytes, assertInt, assertObject } from './_assert.js';
import {
  OP_CHECKLOCKTIMEVERIFY,
  OP_CHECKSEQUENCEVERIFY,
  OP_CHECKSIG,
  OP_DROP,
  OP_EQUALVERIFY,
  OP_SHA256,
  OP_SIZE,
  pushData,
  pushNum,
} from './_script.js';
import { InvalidAllocationError, InvalidArgumentError } from './errors.js';
import { checkProposal, type Proposal } from './proposal.js';
import { layoutTree, type TreeLayout, type TxLayout } from './tree.js';

/** A taproot output: its internal key, script leaves, tweak and output key. */
export interface TaprootOutput {
  /** The keys aggregated (KeySort order) — empty for a single plain internal key. */
  readonly pubkeys: readonly Uint8Array[];
  /** x-only internal key P. */
  readonly internalKey: Uint8Array;
  /** Leaf scripts (0, 1 or 2). */
  readonly leaves: readonly Uint8Array[];
  /** Merkle root, undefined for a key-path-only (BIP86) output. */
  readonly merkleRoot: Uint8Array | undefined;
  /** The 32-byte BIP341 TapTweak `t` (x-only tweak for MuSig2). */
  readonly tweak: Uint8Array;
  /** x-only output key Q. */
  readonly outputKey: Uint8Array;
  /** Parity of Q (0 even, 1 odd), for control blocks. */
  readonly parity: 0 | 1;
  /** `OP_1 <Q>`. */
  readonly script: Uint8Array;
}

/**
 * Builds a P2TR output whose internal key is `KeyAgg(KeySort(pubkeys))` (§1), with 0, 1 or 2 leaves
 * (two leaves: one TapBranch).
 */
export function musigTaprootOutput(
  pubkeys: readonly Uint8Array[],
  leaves: readonly Uint8Array[],
): TaprootOutput {
  if (!Array.isArray(pubkeys) || pubkeys.length === 0)
    throw new InvalidArgumentError('pubkeys', 'expected at least one key');
  pubkeys.forEach((k, i) => {
    assertBytes(k, `pubkeys[${i}]`, 33);
  });
  if (leaves.length > 2) throw new InvalidArgumentError('leaves', 'at most two leaves');
  const sorted = keySort(pubkeys);
  const ctx = keyAgg(sorted);
  const internalKey = getXonlyPubkey(ctx);
  const hashes = leaves.map((l) => tapLeafHash(l));
  const merkleRoot =
    hashes.length === 0
      ? undefined
      : hashes.length === 1
        ? hashes[0]
        : tapBranchHash(hashes[0] as Uint8Array, hashes[1] as Uint8Array);
  const tweak = taprootTweak(internalKey, merkleRoot);
  const tweaked: KeyAggContext = applyTweak(ctx, tweak, true);
  const outputKey = getXonlyPubkey(tweaked);
  return Object.freeze({
    pubkeys: Object.freeze(sorted),
    internalKey,
    leaves: Object.freeze(leaves.map((l) => Uint8Array.from(l))),
    merkleRoot,
    tweak,
    outputKey,
    parity: hasEvenY(tweaked.Q) ? 0 : 1,
    script: p2trScript(outputKey),
  });
}

/** x-only form of a 33-byte compressed key. */
export function xonly(pk: Uint8Array): Uint8Array {
  assertBytes(pk, 'pubkey', 33);
  return pk.slice(1);
}

/** §4.3 timeout leaf: `<T_k> OP_CHECKLOCKTIMEVERIFY OP_DROP <LSP x-only> OP_CHECKSIG`. */
export function timeoutLeaf(Tk: number, lspKey: Uint8Array): Uint8Array {
  assertInt(Tk, 'Tk', 1, 499_999_999);
  return concatBytes(
    pushNum(Tk),
    Uint8Array.of(OP_CHECKLOCKTIMEVERIFY, OP_DROP),
    pushData(xonly(lspKey)),
    Uint8Array.of(OP_CHECKSIG),
  );
}

/** §4.3 L-stock CSV leaf: `<lStockCsv> OP_CHECKSEQUENCEVERIFY OP_DROP <LSP x-only> OP_CHECKSIG`. */
export function lStockCsvLeaf(lStockCsv: number, lspKey: Uint8Array): Uint8Array {
  assertInt(lStockCsv, 'lStockCsv', 1, 65_535);
  return concatBytes(
    pushNum(lStockCsv),
    Uint8Array.of(OP_CHECKSEQUENCEVERIFY, OP_DROP),
    pushData(xonly(lspKey)),
    Uint8Array.of(OP_CHECKSIG),
  );
}

/**
 * §5.3 poison leaf: `OP_SIZE 32 OP_EQUALVERIFY OP_SHA256 <sha256(s_c)> OP_EQUALVERIFY
 * <xonly(KeyAgg(leaf signers))> OP_CHECKSIG`.
 */
export function poisonLeaf(poisonHash: Uint8Array, leafAggXonly: Uint8Array): Uint8Array {
  assertBytes(poisonHash, 'poisonHash', 32);
  assertBytes(leafAggXonly, 'leafAggXonly', 32);
  return concatBytes(
    Uint8Array.of(OP_SIZE),
    pushNum(32),
    Uint8Array.of(OP_EQUALVERIFY, OP_SHA256),
    pushData(poisonHash),
    Uint8Array.of(OP_EQUALVERIFY),
    pushData(leafAggXonly),
    Uint8Array.of(OP_CHECKSIG),
  );
}

/** §4.3 funding output: `KeyAgg(all N+1)`, BIP86 tweak, key path only. */
export function fundingOutput(lspKey: Uint8Array, clientKeys: readonly Uint8Array[]): TaprootOutput {
  if (!Array.isArray(clientKeys)) throw new InvalidArgumentError('clientKeys', 'expected an array of keys');
  return musigTaprootOutput([lspKey, ...clientKeys], []);
}

/**
 * §4.3 channel output: internal key `KeyAgg({LSP, client})` and the CLTV leaf with `T_m` (m = the
 * leaf state's index on the path). This is the channel's funding output; poon-dryja reuses it.
 */
export function channelOutput(lspKey: Uint8Array, clientKey: Uint8Array, Tm: number): TaprootOutput {
  return musigTaprootOutput([lspKey, clientKey], [timeoutLeaf(Tm, lspKey)]);
}

/** What {@link lStockOutput} builds from. */
export interface LStockOutputOptions {
  /** The leaf's signers' factory keys (LSP first), as in the leaf state's signer list. */
  readonly leafKeys: readonly Uint8Array[];
  /** The LSP's factory key (the CSV leaf's key). */
  readonly lspKey: Uint8Array;
  /** The CSV leaf's relative delay, blocks. */
  readonly lStockCsv: number;
  /** `sha256(s_c)` of the leaf state's poison leaf. */
  readonly poisonHash: Uint8Array;
}

/** §4.3 L-stock output: internal key `KeyAgg(leaf signers)`, leaves [CSV leaf, poison leaf]. */
export function lStockOutput(options: LStockOutputOptions): TaprootOutput {
  assertObject(options, 'options');
  const { leafKeys, lspKey, lStockCsv, poisonHash } = options;
  const agg = getXonlyPubkey(keyAgg(keySort(leafKeys)));
  return musigTaprootOutput(leafKeys, [lStockCsvLeaf(lStockCsv, lspKey), poisonLeaf(poisonHash, agg)]);
}

/** What an output of a tree transaction is. */
export type OutputRole =
  | { readonly kind: 'node'; readonly childTx: number; readonly Tk: number }
  | { readonly kind: 'channel'; readonly client: number; readonly Tk: number }
  | { readonly kind: 'lstock'; readonly leaf: number; readonly counter: number }
  | { readonly kind: 'anchor' };

/** A built tree transaction (unsigned). `sequence` and `outputAmounts` are those of the state built. */
export interface TreeTx extends TxLayout {
  /** The DW state of a state transaction (0..K−1), or -1 for a kickoff. */
  readonly dwState: number;
  /** The node's kickoff instance (dw-counter: how often its kickoff was rebuilt on a new outpoint). */
  readonly instance: number;
  /** The unsigned transaction (one input). */
  readonly tx: Tx;
  /** Display-order hex txid (the witness does not change it). */
  readonly txid: string;
  /** The txid in internal byte order (what a spending input references). */
  readonly txidBytes: Uint8Array;
  /** The output this transaction spends. */
  readonly spent: TxOut;
  /** The taproot output it spends (for the signing key and tweak). */
  readonly spentTaproot: TaprootOutput;
  /** Taproot details of each P2TR output (undefined for the anchor), in output order. */
  readonly outputTaproot: readonly (TaprootOutput | undefined)[];
  /** What each output is. */
  readonly outputRoles: readonly OutputRole[];
  /** BIP341 key-path sighash (`SIGHASH_DEFAULT`) — the MuSig2 message. */
  readonly sighash: Uint8Array;
}

/**
 * What the distribution and the cooperative close are built from: a {@link FactoryTree} or a client's
 * `ClientPath` (both carry the proposal, the layout, the participant keys and the funding output; no
 * tree transaction is read), so a client builds them without the whole tree.
 */
export type FactoryOutline = Pick<FactoryTree, 'proposal' | 'layout' | 'keys' | 'funding'>;

/** A factory's full unsigned tree. */
export interface FactoryTree {
  readonly proposal: Proposal;
  readonly layout: TreeLayout;
  /** The funding output (BIP86 over all N+1). */
  readonly funding: TaprootOutput;
  /** Every transaction, in layout order. */
  readonly txs: readonly TreeTx[];
  /** Participant keys: [LSP, clients[0], …]. */
  readonly keys: readonly Uint8Array[];
  /** The state this tree was built at (the initial state for `buildTree(p)`). */
  readonly state: FactoryState;
}

/** One leaf's split of its fixed total (§5.1): channel capacities (placement order) and L-stock. */
export interface LeafAllocation {
  /** Channel output of each client of the leaf, in placement order. */
  readonly capacities: readonly bigint[];
  /** The leaf's L-stock output. */
  readonly lStock: bigint;
}

/**
 * The state a tree is built at: the DW odometer (per node its state and kickoff instance, per leaf
 * its counter `c`), each leaf's current allocation, and the poison hash `sha256(s_c)` of each leaf's
 * current counter.
 */
export interface FactoryState {
  /** The dw-counter state (its shape must be the proposal's). */
  readonly dw: DwState;
  /** Per leaf (placement order). */
  readonly allocations: readonly LeafAllocation[];
  /** Per leaf: `sha256(s_c)` for its current counter `c = dw.leafCounters[leaf]`. */
  readonly poisonHashes: readonly Uint8Array[];
}

/**
 * The initial state of a proposal (§4.4): the DW initial state (every state 0, c = leaf index),
 * capacities `c_i`, the L-stocks of §4.4 and the proposal's poison hashes.
 */
export function initialFactoryState(p: Proposal, layout: TreeLayout = layoutTree(p)): FactoryState {
  const dw = initialState(layout.shape, p.dw);
  const allocations = layout.leafClients.map((cl, j) =>
    Object.freeze({
      capacities: Object.freeze(cl.map((c) => (p.clients[c] as Proposal['clients'][number]).capacity)),
      lStock: layout.lStock[j] as bigint,
    }),
  );
  return Object.freeze({
    dw,
    allocations: Object.freeze(allocations),
    poisonHashes: Object.freeze([...p.poisonHashes]),
  });
}

function leafTotal(layout: TreeLayout, j: number): bigint {
  const n = (layout.leafClients[j] as readonly number[]).length;
  const st = layout.txs[(layout.nodeTxs[layout.shape.leaves[j] as number] as { state: number }).state];
  return (st as TxLayout).outputAmounts.slice(0, n + 1).reduce((a, b) => a + b, 0n);
}

/** The fixed total (Σ channel outputs + L-stock) of each leaf, from the layout. */
export function leafTotals(layout: TreeLayout): bigint[] {
  assertObject(layout, 'layout');
  return layout.leafClients.map((_, j) => leafTotal(layout, j));
}

/**
 * Checks a leaf allocation against the layout: one capacity per client of the leaf, the sum equal to
 * the leaf's fixed total (its kickoff output fixes the leaf state's input), no output below dust.
 *
 * @param options.argument the allocation's path in errors (default `allocations[leaf]`).
 * @throws {InvalidAllocationError} naming the leaf and the figure.
 */
export function checkAllocation(
  layout: TreeLayout,
  leaf: number,
  a: LeafAllocation,
  options: { readonly argument?: string } = {},
): void {
  assertObject(layout, 'layout');
  const name = options.argument ?? `allocations[${leaf}]`;
  const cl = layout.leafClients[leaf];
  if (cl === undefined) throw new InvalidArgumentError(name, `no leaf ${leaf}`);
  if (typeof a !== 'object' || a === null || !Array.isArray(a.capacities))
    throw new InvalidArgumentError(name, 'expected { capacities, lStock }');
  if (a.capacities.length !== cl.length)
    throw new InvalidArgumentError(
      `${name}.capacities`,
      `expected ${cl.length} capacities (one per client of leaf ${leaf})`,
    );
  a.capacities.forEach((c, i) => {
    if (typeof c !== 'bigint')
      throw new InvalidArgumentError(`${name}.capacities[${i}]`, 'expected a bigint');
    if (c < P2TR_DUST)
      throw new InvalidAllocationError(
        leaf,
        `${name}.capacities[${i}]`,
        c,
        'channel output below dust (330 sats)',
      );
  });
  if (typeof a.lStock !== 'bigint') throw new InvalidArgumentError(`${name}.lStock`, 'expected a bigint');
  if (a.lStock < P2TR_DUST)
    throw new InvalidAllocationError(
      leaf,
      `${name}.lStock`,
      a.lStock,
      'L-stock output below dust (330 sats)',
    );
  const total = leafTotal(layout, leaf);
  const sum = a.capacities.reduce((x, y) => x + y, 0n) + a.lStock;
  if (sum !== total)
    throw new InvalidAllocationError(
      leaf,
      `${name}`,
      sum,
      `capacities + L-stock must equal the leaf's fixed total ${total} (its kickoff output)`,
    );
}

/** @internal Checks a state against the proposal's layout (shape, allocations, poison hashes). */
export function checkState(p: Proposal, layout: TreeLayout, s: FactoryState): void {
  if (typeof s !== 'object' || s === null) throw new InvalidArgumentError('state', 'expected a FactoryState');
  const dw = s.dw;
  const nodes = layout.shape.nodes;
  if (
    typeof dw !== 'object' ||
    dw === null ||
    !Array.isArray(dw.states) ||
    dw.shape?.nodes?.length !== nodes.length ||
    dw.params?.K !== p.dw.K ||
    dw.params?.S !== p.dw.S
  )
    throw new InvalidArgumentError(
      'state.dw',
      "expected a DwState of the proposal's shape and DW parameters",
    );
  nodes.forEach((n, i) => {
    const m = dw.shape.nodes[i];
    if (m === undefined || m.static !== n.static || m.children.length !== n.children.length)
      throw new InvalidArgumentError('state.dw', `node ${i} differs from the proposal's shape`);
  });
  if (!Array.isArray(s.allocations) || s.allocations.length !== layout.leafClients.length)
    throw new InvalidArgumentError(
      'state.allocations',
      `expected one allocation per leaf (${layout.leafClients.length})`,
    );
  s.allocations.forEach((a, j) => {
    checkAllocation(layout, j, a, { argument: `state.allocations[${j}]` });
  });
  if (!Array.isArray(s.poisonHashes) || s.poisonHashes.length !== layout.leafClients.length)
    throw new InvalidArgumentError(
      'state.poisonHashes',
      `expected one hash per leaf (${layout.leafClients.length})`,
    );
  s.poisonHashes.forEach((h, j) => {
    assertBytes(h, `state.poisonHashes[${j}]`, 32);
  });
}

/**
 * Builds every tree transaction of a validated proposal (§4), at the initial state or at `state`
 * (§5). Validates the proposal and the state first.
 *
 * @throws {InvalidProposalError} as {@link checkProposal}.
 * @throws {InvalidAllocationError} an allocation that does not sum to its leaf's total or has dust.
 * @throws {InvalidArgumentError} a state of another shape.
 */
export function buildTree(p: Proposal, state?: FactoryState): FactoryTree {
  checkProposal(p);
  const layout = layoutTree(p);
  if (state !== undefined) checkState(p, layout, state);
  return buildTreeWith(p, layout, state ?? initialFactoryState(p, layout));
}

/**
 * @internal What the transaction builder reads of a state, node by node and leaf by leaf: a whole
 * {@link FactoryState} ({@link fullStateReader}) or a client's O(depth) path state (`pathState.ts`),
 * which answers only for the nodes and the leaf of its path.
 */
export interface StateReader {
  /** The DW state of a state node (0..K−1). */
  readonly dwState: (node: number) => number;
  /** The kickoff instance of a node. */
  readonly instance: (node: number) => number;
  /** The current counter `c` of a leaf. */
  readonly counter: (leaf: number) => number;
  /** The current allocation of a leaf. */
  readonly allocation: (leaf: number) => LeafAllocation;
  /** `sha256(s_c)` of a leaf's current counter. */
  readonly poisonHash: (leaf: number) => Uint8Array;
}

/** @internal A {@link StateReader} over a whole factory state. */
export function fullStateReader(state: FactoryState): StateReader {
  const dw = state.dw;
  return {
    dwState: (node) => dw.states[node] as number,
    instance: (node) => dw.instances[node] as number,
    counter: (leaf) => dw.leafCounters[leaf] as number,
    allocation: (leaf) => state.allocations[leaf] as LeafAllocation,
    poisonHash: (leaf) => state.poisonHashes[leaf] as Uint8Array,
  };
}

/**
 * @internal Builds a tree from a layout and a state already checked. With `reuse`, only the
 * transactions `reuse.from .. reuse.to − 1` (one subtree, contiguous in pre-order) are rebuilt and
 * every other transaction is taken from `reuse.tree`, which must be the same proposal's tree at a
 * state that differs only inside that range (an advance: the advanced node's state and everything
 * below it).
 */
export function buildTreeWith(
  p: Proposal,
  layout: TreeLayout,
  state: FactoryState,
  reuse?: { readonly tree: FactoryTree; readonly from: number; readonly to: number },
): FactoryTree {
  const built = buildTxs(p, layout, fullStateReader(state), reuse === undefined ? {} : { reuse });
  return Object.freeze({
    proposal: p,
    layout,
    funding: built.funding,
    txs: Object.freeze(built.txs),
    keys: Object.freeze(built.keys),
    state,
  });
}

/** @internal What {@link buildTxs} returns: the transactions built (holes for those not built). */
export interface BuiltTxs {
  readonly funding: TaprootOutput;
  readonly keys: readonly Uint8Array[];
  readonly txs: TreeTx[];
}

/**
 * @internal The transaction builder. `options.reuse` as in {@link buildTreeWith}; with
 * `options.only` (no `reuse`), only the transactions listed are built, in the order given, each
 * after its parent (a client's root-to-leaf path): the others stay holes in `txs`, and `state` is
 * asked only about the nodes and the leaf of those transactions.
 */
export function buildTxs(
  p: Proposal,
  layout: TreeLayout,
  state: StateReader,
  options: {
    readonly reuse?: { readonly tree: FactoryTree; readonly from: number; readonly to: number };
    readonly only?: readonly number[];
  },
): BuiltTxs {
  const { reuse, only } = options;
  const keys = reuse?.tree.keys ?? [p.lsp.key, ...p.clients.map((c) => c.key)];
  const lspKey = p.lsp.key;
  const funding =
    reuse?.tree.funding ??
    fundingOutput(
      lspKey,
      p.clients.map((c) => c.key),
    );
  const Tk = (k: number) => p.T - k * p.timeoutStep;
  // Taproot output for the spend of each tx's input, created when building the parent's outputs.
  const inputTaproot: TaprootOutput[] = [];
  inputTaproot[0] = funding;
  const from = reuse?.from ?? 0;
  const to = reuse?.to ?? layout.txs.length;
  if (reuse !== undefined) inputTaproot[from] = (reuse.tree.txs[from] as TreeTx).spentTaproot;
  const nodeOutputFor = new Map<string, TaprootOutput>();
  const nodeOutput = (signers: readonly number[], T: number): TaprootOutput => {
    const key = `${signers.join(',')}@${T}`;
    let out = nodeOutputFor.get(key);
    if (out === undefined) {
      out = musigTaprootOutput(
        signers.map((s) => keys[s] as Uint8Array),
        [timeoutLeaf(T, lspKey)],
      );
      nodeOutputFor.set(key, out);
    }
    return out;
  };
  const built: TreeTx[] = reuse === undefined ? [] : [...reuse.tree.txs];
  const indices = only ?? Array.from({ length: to - from }, (_, i) => from + i);
  for (const ti of indices) {
    const t = layout.txs[ti] as TxLayout;
    const spentTaproot = inputTaproot[t.index] as TaprootOutput;
    const prevTxid =
      t.parent < 0 ? txidBytes(p.funding.txid, 'funding.txid') : (built[t.parent] as TreeTx).txidBytes;
    const vout = t.parent < 0 ? p.funding.vout : t.parentVout;
    const spent: TxOut = { value: t.inputAmount, script: spentTaproot.script };
    const outputs: TxOut[] = [];
    const outputTaproot: (TaprootOutput | undefined)[] = [];
    const roles: OutputRole[] = [];
    const T = Tk(t.k);
    let outputAmounts = t.outputAmounts;
    let sequence = t.sequence;
    const dwState = t.kind === 'state' ? state.dwState(t.node) : -1;
    if (t.kind === 'state') sequence = nSequenceForState(p.dw, dwState);
    if (t.kind === 'state' && t.leaf >= 0) {
      const cl = layout.leafClients[t.leaf] as readonly number[];
      const alloc = state.allocation(t.leaf);
      outputAmounts = Object.freeze([...alloc.capacities, alloc.lStock, ANCHOR_AMOUNT]);
      cl.forEach((c, i) => {
        const o = channelOutput(lspKey, keys[c + 1] as Uint8Array, T);
        outputs.push({ value: outputAmounts[i] as bigint, script: o.script });
        outputTaproot.push(o);
        roles.push({ kind: 'channel', client: c, Tk: T });
      });
      const o = lStockOutput({
        leafKeys: t.signers.map((s) => keys[s] as Uint8Array),
        lspKey,
        lStockCsv: p.lStockCsv,
        poisonHash: state.poisonHash(t.leaf),
      });
      outputs.push({ value: outputAmounts[cl.length] as bigint, script: o.script });
      outputTaproot.push(o);
      roles.push({ kind: 'lstock', leaf: t.leaf, counter: state.counter(t.leaf) });
    } else {
      const children =
        t.kind === 'kickoff' && t.childTxs.length === 0
          ? [(layout.nodeTxs[t.node] as { state: number }).state]
          : t.childTxs;
      children.forEach((c, i) => {
        const child = layout.txs[c] as TxLayout;
        const o = nodeOutput(child.signers, T);
        outputs.push({ value: t.outputAmounts[i] as bigint, script: o.script });
        outputTaproot.push(o);
        roles.push({ kind: 'node', childTx: c, Tk: T });
        inputTaproot[c] = o;
      });
    }
    outputs.push({ value: ANCHOR_AMOUNT, script: P2A_SCRIPT });
    outputTaproot.push(undefined);
    roles.push({ kind: 'anchor' });
    const tx: Tx = { version: 3, locktime: 0, inputs: [{ txidBytes: prevTxid, vout, sequence }], outputs };
    const txidB = txidBytesOf(tx);
    built[t.index] = Object.freeze({
      ...t,
      sequence,
      outputAmounts,
      dwState,
      instance: state.instance(t.node),
      tx,
      txid: displayHex(txidB),
      txidBytes: txidB,
      spent,
      spentTaproot,
      outputTaproot: Object.freeze(outputTaproot),
      outputRoles: Object.freeze(roles),
      sighash: new TaprootSighasher(tx, [spent]).sighash(0),
    });
  }
  return { funding, keys, txs: built };
}

/** Serialises a tree transaction with its 64-byte key-path signature as the witness. */
export function signedTxBytes(t: TreeTx, signature: Uint8Array): Uint8Array {
  assertObject(t, 't');
  assertBytes(signature, 'signature', 64);
  return encodeTx(t.tx, [[signature]]);
}

/** Serialises without witness (the txid preimage). */
export function unsignedTxBytes(t: TreeTx): Uint8Array {
  assertObject(t, 't');
  return encodeTxNoWitness(t.tx);
}
