/**
 * The client's O(depth) view of a factory (brief §3.2, §8, DESIGN §4): its own root-to-leaf path
 * and the distribution, built from the proposal without building anyone else's transactions.
 *
 * What a client computes is bounded as the design accepts: one O(N) key aggregation for the funding
 * key (musig2's `keyAgg` is one multi-scalar multiplication) and one per output on its path (the
 * children of a node on its path partition that node's clients, so the terms sum to about 2·N), the
 * O(N) layout arithmetic (amounts and fees are bottom-up sums), and the distribution, which pays
 * every client and is O(N) bytes by design (§8). Its transactions, nonces, partial signatures,
 * messages and signatures are O(depth): {@link buildClientPath} builds only the transactions of its
 * path, and `jobs.ts` signs only its jobs.
 *
 * - {@link buildClientPath}: its path's transactions and signing jobs, at the initial or any later
 *   state (an O(depth) `ClientPathState`, never a whole `FactoryState`).
 * - {@link checkUnsignedPath}: what a client checks before round 2 — the unsigned funding
 *   transaction (bytes, decoded with `@superscalar/tx`: txid, funding output script and amount), its
 *   own entry in the proposal (key, close address, capacity), its deadline, and any unsigned path the
 *   LSP sent (amounts, scripts, locks, timeouts, field by field).
 *
 * The distribution's client side is `clientDistribution.ts`; the client's stored record and its
 * replay after a restart are `clientRecord.ts`; the O(depth) state a path is built at is
 * `pathState.ts`.
 *
 * Every refusal is a {@link PathVerificationError} (fault and label say what and where).
 *
 * @module
 */
import { equalBytes as bytesEqual, toHex as hex } from '@superscalar/core';
import { nSequenceForState } from '@superscalar/dw-counter';
import { decodeTx, displayHex, type Tx, type TxIn, type TxOut, txidBytesOf } from '@superscalar/tx';
import { assertBytes, assertInt } from './_assert.js';
import { InvalidArgumentError, InvalidProposalError, PathVerificationError } from './errors.js';
import { type IndexedJob, keyPathJob } from './jobs.js';
import {
  type ClientPathState,
  checkPathState,
  initialClientPathState,
  leafOf,
  pathStateNodes,
  pathStateReader,
} from './pathState.js';
import { checkProposal, type Proposal } from './proposal.js';
import { buildTxs, type TaprootOutput, type TreeTx } from './transactions.js';
import { feeFor, layoutTree, type TreeLayout } from './tree.js';

/** A client's path: what it signs, checks, stores and broadcasts of the tree. */
export interface ClientPath {
  readonly proposal: Proposal;
  /** The layout (amounts, fees, signer sets: arithmetic only). */
  readonly layout: TreeLayout;
  /** The O(depth) state the path is built at (its nodes' DW states, its leaf's counter and allocation). */
  readonly state: ClientPathState;
  /** The client (index into `clients[]`); its participant index is `client + 1`. */
  readonly client: number;
  /** Its leaf (placement order). */
  readonly leaf: number;
  /** The funding output (BIP86 over all N+1). */
  readonly funding: TaprootOutput;
  /** Participant keys: [LSP, clients[0], …] (the proposal's, not a copy of anything else). */
  readonly keys: readonly Uint8Array[];
  /** Its path's transactions, root kickoff first (broadcast order). */
  readonly txs: readonly TreeTx[];
  /** One signing job per path transaction; `index` is the transaction index (the session's job index). */
  readonly jobs: readonly IndexedJob[];
}

/** Options of {@link buildClientPath}. */
export interface ClientPathOptions {
  /**
   * The O(depth) state to build at (default: the initial state): from the client's record
   * (`decodeClientFactory`), its own step after an advance (`advanceClientPathState`), or a whole
   * tree's state projected on its path (`clientPathState`).
   */
  readonly state?: ClientPathState;
}

/**
 * Builds client `client`'s root-to-leaf path from the proposal (§4) — byte-identical to the same
 * transactions of `buildTree(proposal, state)` at the whole state `state` is the projection of —
 * without building any other transaction and without any other node's or leaf's state.
 *
 * @throws {PathVerificationError} `funding-mismatch` when the funding amount is not the tree's root
 *   requirement.
 * @throws {InvalidProposalError} any other rejection of §2.
 * @throws {InvalidArgumentError} a client index out of range or a state of another path;
 *   `InvalidAllocationError` for an allocation that breaks its leaf's total or dust.
 */
export function buildClientPath(
  proposal: Proposal,
  client: number,
  options: ClientPathOptions = {},
): ClientPath {
  let layout: TreeLayout;
  try {
    checkProposal(proposal);
    layout = layoutTree(proposal);
  } catch (e) {
    if (InvalidProposalError.isInstance(e) && (e as InvalidProposalError).field === 'funding.amount')
      throw new PathVerificationError(-1, 'funding-mismatch', (e as Error).message, {
        cause: e,
        label: 'funding',
      });
    throw e;
  }
  assertInt(client, 'client', 0, proposal.clients.length - 1);
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected { state? }');
  const leaf = leafOf(layout, client);
  if (options.state !== undefined) checkPathState(proposal, layout, leaf, options.state, 'options.state');
  const state = options.state ?? initialClientPathState(proposal, layout, leaf);
  const indices = layout.leafPaths[leaf] as readonly number[];
  const built = buildTxs(proposal, layout, pathStateReader(layout, leaf, state), { only: indices });
  const txs = indices.map((i) => built.txs[i] as TreeTx);
  const jobs = txs.map((t) =>
    Object.freeze({
      index: t.index,
      job: keyPathJob({
        id: `tx ${t.index}`,
        kind: 'tree',
        sighash: t.sighash,
        participants: t.signers,
        keys: built.keys,
        spent: t.spentTaproot,
      }),
    }),
  );
  return Object.freeze({
    proposal,
    layout,
    state,
    client,
    leaf,
    funding: built.funding,
    keys: Object.freeze(built.keys),
    txs: Object.freeze(txs),
    jobs: Object.freeze(jobs),
  });
}

/** What the client agreed to (its registration): checked against its entry in the proposal. */
export interface AgreedTerms {
  /** Its factory key. */
  readonly key: Uint8Array;
  /** Its close address (scriptPubKey). */
  readonly closeScript?: Uint8Array;
  /** Its channel capacity. */
  readonly capacity?: bigint;
  /** Its balance in the channel. */
  readonly balance?: bigint;
  /** The earliest height by which its exit may have to finish: refuse a path whose smallest `T_k` is earlier. */
  readonly minDeadline?: number;
}

/** Options of {@link checkUnsignedPath}. */
export interface UnsignedPathCheckOptions {
  /** The unsigned funding transaction from `factory_propose` (serialised, witness optional). */
  readonly fundingTx: Uint8Array;
  /** What the client agreed to. */
  readonly self?: AgreedTerms;
  /** Unsigned path transactions the LSP sent (root first), compared field by field when given. */
  readonly unsignedPath?: readonly Uint8Array[];
}

function fail(tx: number, label: string, fault: PathVerificationError['fault'], message: string): never {
  throw new PathVerificationError(tx, fault, message, { label });
}

/** The first field where `got` differs from `exp` (undefined when equal, witness aside). */
function describeTxMismatch(exp: Tx, got: Tx): string | undefined {
  if (got.version !== exp.version) return `version ${got.version}, expected ${exp.version}`;
  if (got.inputs.length !== exp.inputs.length)
    return `${got.inputs.length} inputs, expected ${exp.inputs.length}`;
  const ei = exp.inputs[0] as TxIn;
  const gi = got.inputs[0] as TxIn;
  if (!bytesEqual(gi.txidBytes, ei.txidBytes) || gi.vout !== ei.vout) return 'spends another outpoint';
  if (gi.sequence !== ei.sequence) return `nSequence ${gi.sequence}, expected ${ei.sequence} (relative lock)`;
  if (got.locktime !== exp.locktime) return `nLockTime ${got.locktime}, expected ${exp.locktime}`;
  if (got.outputs.length !== exp.outputs.length)
    return `${got.outputs.length} outputs, expected ${exp.outputs.length}`;
  for (let i = 0; i < exp.outputs.length; i++) {
    const e = exp.outputs[i] as TxOut;
    const g = got.outputs[i] as TxOut;
    if (g.value !== e.value) return `output ${i} amount ${g.value}, expected ${e.value}`;
    if (!bytesEqual(g.script, e.script))
      return `output ${i} script ${hex(g.script)}, expected ${hex(e.script)} (key or timeout leaf differs)`;
  }
  return undefined;
}

/**
 * The client's check before round 2 (§8 steps 1 and 3): refuses to sign unless
 *
 * - the funding transaction decodes, its txid is the proposal's funding txid, and output
 *   `funding.vout` pays exactly `funding.amount` to `KeyAgg(all N+1)` with the BIP86 tweak;
 * - its entry in the proposal is what it agreed to (key, close address, capacity, balance) and its
 *   channel output on the path pays it that capacity with its key;
 * - its path is sound against the proposal: each transaction spends its parent (the root kickoff the
 *   funding outpoint), version 3, nLockTime 0, kickoffs final and states at their DW lock, every
 *   fee `ceil(treeFeeRate × vsize / 1000)` with amounts conserved, node and channel outputs with
 *   `T_k = T − k·timeoutStep`, and its deadline (the smallest `T_k`) not before `self.minDeadline`;
 * - any unsigned path the LSP sent is byte-identical to its own (the first differing field named).
 *
 * @throws {PathVerificationError} `undecodable`, `funding-mismatch`, `client-mismatch` or
 *   `tx-mismatch`, naming the transaction (-1 funding, -2 the client's entry).
 */
export function checkUnsignedPath(path: ClientPath, options: UnsignedPathCheckOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected { fundingTx, self?, unsignedPath? }');
  const p = path.proposal;
  checkFundingTx(p, path.funding, options.fundingTx);
  if (options.self !== undefined) checkSelf(path, options.self);
  checkPathSoundness(path, options.self?.minDeadline);
  if (options.unsignedPath !== undefined) {
    if (!Array.isArray(options.unsignedPath))
      throw new InvalidArgumentError('options.unsignedPath', 'expected an array of transactions');
    if (options.unsignedPath.length !== path.txs.length)
      fail(
        -2,
        'path',
        'tx-mismatch',
        `${options.unsignedPath.length} transactions, the path has ${path.txs.length}`,
      );
    path.txs.forEach((t, k) => {
      const label = `tx ${t.index} (node ${t.node} ${t.kind})`;
      const bytes = options.unsignedPath?.[k];
      let got: Tx;
      try {
        got = decodeTx(bytes as Uint8Array);
      } catch (e) {
        throw new PathVerificationError(t.index, 'undecodable', 'not a transaction', { label, cause: e });
      }
      const m = describeTxMismatch(t.tx, got);
      if (m !== undefined) fail(t.index, label, 'tx-mismatch', m);
    });
  }
}

/** Checks the unsigned funding transaction's bytes against the proposal and the funding key. */
function checkFundingTx(p: Proposal, funding: TaprootOutput, fundingTx: Uint8Array): void {
  assertBytes(fundingTx, 'options.fundingTx');
  let tx: Tx;
  try {
    tx = decodeTx(fundingTx);
  } catch (e) {
    throw new PathVerificationError(-1, 'undecodable', 'the funding transaction does not decode', {
      label: 'funding',
      cause: e,
    });
  }
  const txid = displayHex(txidBytesOf(tx));
  if (txid !== p.funding.txid)
    fail(
      -1,
      'funding',
      'funding-mismatch',
      `the funding transaction's txid is ${txid}, the proposal says ${p.funding.txid}`,
    );
  const out = tx.outputs[p.funding.vout];
  if (out === undefined)
    fail(-1, 'funding', 'funding-mismatch', `the funding transaction has no output ${p.funding.vout}`);
  if (out.value !== p.funding.amount)
    fail(
      -1,
      'funding',
      'funding-mismatch',
      `the funding output pays ${out.value}, the proposal says ${p.funding.amount}`,
    );
  if (!bytesEqual(out.script, funding.script))
    fail(-1, 'funding', 'funding-mismatch', 'the funding output is not KeyAgg(all N+1) with the BIP86 tweak');
}

/** The client's entry in the proposal against what it agreed to. */
function checkSelf(path: Pick<ClientPath, 'proposal' | 'client' | 'txs'>, want: AgreedTerms): void {
  const me = path.proposal.clients[path.client] as Proposal['clients'][number];
  const label = `clients[${path.client}]`;
  if (!(want.key instanceof Uint8Array) || !bytesEqual(want.key, me.key))
    fail(-2, label, 'client-mismatch', 'the proposal holds another factory key for this client');
  if (want.closeScript !== undefined && !bytesEqual(want.closeScript, me.closeScript))
    fail(-2, label, 'client-mismatch', "the proposal pays another close address than the client's");
  if (want.capacity !== undefined && want.capacity !== me.capacity)
    fail(-2, label, 'client-mismatch', `capacity ${me.capacity} in the proposal, ${want.capacity} agreed`);
  if (want.balance !== undefined && want.balance !== me.balance)
    fail(-2, label, 'client-mismatch', `balance ${me.balance} in the proposal, ${want.balance} agreed`);
}

/**
 * @internal The path's locks, amounts, fees and timeouts against the proposal (and the client's
 * channel output against its allocation); see {@link checkUnsignedPath}.
 */
export function checkPathSoundness(path: ClientPath, minDeadline: number | undefined): void {
  const p = path.proposal;
  const me = p.clients[path.client] as Proposal['clients'][number];
  let deadline = Number.POSITIVE_INFINITY;
  const stateNodes = pathStateNodes(path.layout, path.leaf);
  path.txs.forEach((t, k) => {
    const label = `tx ${t.index} (node ${t.node} ${t.kind})`;
    const input = t.tx.inputs[0] as TxIn;
    const parent = k === 0 ? undefined : (path.txs[k - 1] as TreeTx);
    const prevOk =
      parent === undefined
        ? displayHex(input.txidBytes) === p.funding.txid &&
          input.vout === p.funding.vout &&
          t.spent.value === p.funding.amount
        : bytesEqual(input.txidBytes, parent.txidBytes) &&
          (parent.tx.outputs[input.vout] as TxOut | undefined)?.value === t.spent.value &&
          bytesEqual((parent.tx.outputs[input.vout] as TxOut).script, t.spent.script);
    if (!prevOk)
      fail(t.index, label, 'tx-mismatch', 'does not spend its parent on the path (or the funding outpoint)');
    if (t.tx.version !== 3 || t.tx.locktime !== 0 || t.tx.inputs.length !== 1)
      fail(t.index, label, 'tx-mismatch', 'not version 3, nLockTime 0, one input');
    const seq =
      t.kind === 'kickoff'
        ? 0xffffffff
        : nSequenceForState(p.dw, path.state.states[stateNodes.indexOf(t.node)] as number);
    if (input.sequence !== seq)
      fail(t.index, label, 'tx-mismatch', `nSequence ${input.sequence}, expected ${seq}`);
    const out = t.tx.outputs.reduce((a, o) => a + o.value, 0n);
    if (out + feeFor(p.treeFeeRate, t.vsize) !== t.spent.value)
      fail(t.index, label, 'tx-mismatch', 'outputs plus the fee do not equal the spent amount');
    const Tk = p.T - t.k * p.timeoutStep;
    t.outputRoles.forEach((r, i) => {
      if ((r.kind === 'node' || r.kind === 'channel') && r.Tk !== Tk)
        fail(t.index, label, 'tx-mismatch', `output ${i} times out at ${r.Tk}, expected T_${t.k} = ${Tk}`);
      if (r.kind === 'channel' && r.client === path.client) {
        const tap = t.outputTaproot[i] as TaprootOutput;
        if (!tap.pubkeys.some((k2) => bytesEqual(k2, me.key)))
          fail(t.index, label, 'client-mismatch', 'the channel output is not keyed to the client');
        const alloc = path.state.allocation;
        const pos = (path.layout.leafClients[path.leaf] as readonly number[]).indexOf(path.client);
        if ((t.tx.outputs[i] as TxOut).value !== alloc.capacities[pos])
          fail(t.index, label, 'client-mismatch', 'the channel output is not the allocated capacity');
      }
    });
    if (t.outputRoles.some((r) => r.kind === 'node' || r.kind === 'channel'))
      deadline = Math.min(deadline, Tk);
  });
  if (minDeadline !== undefined && deadline < minDeadline)
    fail(
      -2,
      `clients[${path.client}]`,
      'client-mismatch',
      `the path times out at ${deadline}, before the agreed ${minDeadline}`,
    );
}
