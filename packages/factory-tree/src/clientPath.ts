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
 * - {@link buildClientPath}: its path's transactions and signing jobs, at the initial or any state.
 * - {@link checkUnsignedPath}: what a client checks before round 2 — the unsigned funding
 *   transaction (bytes, decoded with `@superscalar/tx`: txid, funding output script and amount), its
 *   own entry in the proposal (key, close address, capacity), its deadline, and any unsigned path the
 *   LSP sent (amounts, scripts, locks, timeouts, field by field).
 * - {@link clientDistribution} and {@link checkSignedDistribution}: the distribution jobs a client
 *   signs (the top or single distribution and its own sub-distribution) and its verifier.
 *
 * Every refusal is a {@link PathVerificationError} (fault and label say what and where).
 *
 * @module
 */
import { equalBytes as bytesEqual, toHex as hex } from '@superscalar/core';
import { abandonAdvance, advance as dwAdvance, nSequenceForState } from '@superscalar/dw-counter';
import { schnorrVerify } from '@superscalar/musig2';
import { decodeTx, displayHex, encodeTx, type Tx, type TxIn, type TxOut, txidBytesOf } from '@superscalar/tx';
import { assertBytes, assertInt, assertObject, assertTree } from './_assert.js';
import {
  buildDistribution,
  DISTRIBUTION_SEQUENCE,
  type Distribution,
  type DistributionOptions,
  type DistributionTx,
  distributionSigningPlan,
} from './distribution.js';
import { InvalidArgumentError, InvalidProposalError, PathVerificationError } from './errors.js';
import { type IndexedJob, keyPathJob } from './jobs.js';
import { checkProposal, type Proposal } from './proposal.js';
import type { StoredFactory } from './serialize.js';
import { signingPlan } from './signingPlan.js';
import {
  buildTreeWith,
  checkAllocation,
  checkState,
  type FactoryState,
  type FactoryTree,
  initialFactoryState,
  type TaprootOutput,
  type TreeTx,
} from './transactions.js';
import { feeFor, layoutTree, type TreeLayout } from './tree.js';

/** A client's path: what it signs, checks, stores and broadcasts of the tree. */
export interface ClientPath {
  readonly proposal: Proposal;
  /** The layout (amounts, fees, signer sets: arithmetic only). */
  readonly layout: TreeLayout;
  /** The state the path is built at. */
  readonly state: FactoryState;
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
  /** The state to build at (default: the initial state). */
  readonly state?: FactoryState;
}

/**
 * Builds client `client`'s root-to-leaf path from the proposal (§4) — byte-identical to the same
 * transactions of `buildTree(proposal, state)` — without building any other transaction.
 *
 * @throws {PathVerificationError} `funding-mismatch` when the funding amount is not the tree's root
 *   requirement.
 * @throws {InvalidProposalError} any other rejection of §2.
 * @throws {InvalidArgumentError} a client index out of range or a state of another shape.
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
  if (options.state !== undefined) checkState(proposal, layout, options.state);
  const state = options.state ?? initialFactoryState(proposal, layout);
  const leaf = layout.leafClients.findIndex((cl) => cl.includes(client));
  const indices = layout.leafPaths[leaf] as readonly number[];
  const partial = buildTreeWith(proposal, layout, state, undefined, indices);
  const txs = indices.map((i) => partial.txs[i] as TreeTx);
  const jobs = txs.map((t) =>
    Object.freeze({
      index: t.index,
      job: keyPathJob({
        id: `tx ${t.index}`,
        kind: 'tree',
        sighash: t.sighash,
        participants: t.signers,
        keys: partial.keys,
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
    funding: partial.funding,
    keys: partial.keys,
    txs: Object.freeze(txs),
    jobs: Object.freeze(jobs),
  });
}

/**
 * A client's replay after a restart: the state a factory record's advance history leads to (the
 * dw-counter odometer, allocations and poison hashes: arithmetic, no transaction), then the client's
 * path at that state — never the whole tree (`replayFactory` is the LSP's, which needs every
 * transaction). The same checks as `planAdvance` apply to each recorded advance.
 *
 * @throws as {@link buildClientPath}; {@link InvalidArgumentError} or `InvalidAllocationError` for
 *   a record whose history `planAdvance` would refuse.
 */
export function replayClientPath(record: StoredFactory, client: number): ClientPath {
  if (typeof record !== 'object' || record === null || !Array.isArray(record.history))
    throw new InvalidArgumentError('record', 'expected a StoredFactory');
  const p = record.proposal;
  const first = buildClientPath(p, client);
  if (record.history.length === 0) return first;
  const layout = first.layout;
  let state: FactoryState = first.state;
  record.history.forEach((h, k) => {
    const result = dwAdvance(state.dw, h.leaf);
    if (h.abandoned) {
      state = Object.freeze({ ...state, dw: abandonAdvance(state.dw, result) });
      return;
    }
    const created = new Map(result.created.map((c) => [c.leaf, c.counter]));
    const allocations = [...state.allocations];
    for (const [leaf, a] of h.allocations) {
      if (!created.has(leaf))
        throw new InvalidArgumentError(
          `record.history[${k}].allocations[${leaf}]`,
          'a leaf not re-signed by that advance',
        );
      checkAllocation(layout, leaf, a, { argument: `record.history[${k}].allocations[${leaf}]` });
      allocations[leaf] = Object.freeze({ capacities: Object.freeze([...a.capacities]), lStock: a.lStock });
    }
    const poisonHashes = [...state.poisonHashes];
    for (const [leaf, c] of created) {
      const hash = h.poisonHashes.get(c);
      assertBytes(hash, `record.history[${k}].poisonHashes[${c}]`, 32);
      poisonHashes[leaf] = Uint8Array.from(hash);
    }
    state = Object.freeze({
      dw: result.next,
      allocations: Object.freeze(allocations),
      poisonHashes: Object.freeze(poisonHashes),
    });
  });
  return buildClientPath(p, client, { state });
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

/** The path's locks, amounts, fees and timeouts against the proposal (and the client's channel output). */
function checkPathSoundness(path: ClientPath, minDeadline: number | undefined): void {
  const p = path.proposal;
  const me = p.clients[path.client] as Proposal['clients'][number];
  let deadline = Number.POSITIVE_INFINITY;
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
      t.kind === 'kickoff' ? 0xffffffff : nSequenceForState(p.dw, path.state.dw.states[t.node] as number);
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
        const alloc = path.state.allocations[path.leaf];
        const pos = (path.layout.leafClients[path.leaf] as readonly number[]).indexOf(path.client);
        if ((t.tx.outputs[i] as TxOut).value !== alloc?.capacities[pos])
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

// ---------------------------------------------------------------------------------------------
// Distribution

/** The distribution as one client sees it. */
export interface ClientDistribution {
  readonly distribution: Distribution;
  /** The client (index into `clients[]`). */
  readonly client: number;
  /** The distribution transactions it signs: the top (or single) one and its own sub-distribution. */
  readonly txs: readonly DistributionTx[];
  /** Their positions in `distribution.txs` (the wire's distribution index). */
  readonly positions: readonly number[];
  /** Their signing jobs; `index` = `firstIndex + position` (the session's job index). */
  readonly jobs: readonly IndexedJob[];
}

/** Options of {@link clientDistribution}. */
export interface ClientDistributionOptions extends DistributionOptions {
  /**
   * The session index of the first distribution job (default: the number of tree transactions, the
   * distribution's jobs coming right after the tree's, as `ceremonyJobs` lists them).
   */
  readonly firstIndex?: number;
}

/**
 * Builds the distribution (§6) from the client's path (no tree transaction needed) and the jobs the
 * client signs in it. Refuses a distribution that does not pay the client at least its capacity at
 * its close address, or whose lock time or nSequence is not §6's.
 *
 * @throws {PathVerificationError} `client-mismatch` or `tx-mismatch` (tx -2, labelled by role).
 */
export function clientDistribution(
  path: ClientPath,
  options: ClientDistributionOptions = {},
): ClientDistribution {
  assertObject(path, 'path');
  const shell = treeShell(path);
  const dist = buildDistribution(shell, options.maxVsize === undefined ? {} : { maxVsize: options.maxVsize });
  const first = options.firstIndex ?? path.layout.txs.length;
  assertInt(first, 'options.firstIndex', 0, 2 ** 31 - 1);
  const plan = distributionSigningPlan(shell, dist);
  const positions = plan.byParticipant[path.client + 1] as readonly number[];
  const me = path.proposal.clients[path.client] as Proposal['clients'][number];
  for (const t of dist.txs) {
    const label = `distribution ${t.role}${t.role === 'sub' ? `[${t.group}]` : ''}`;
    const input = t.tx.inputs[0] as TxIn;
    if (t.tx.locktime !== dist.tDist || input.sequence !== DISTRIBUTION_SEQUENCE)
      fail(-2, label, 'tx-mismatch', 'not nLockTime T_dist with nSequence 0xFFFFFFFE');
  }
  const mine = dist.txs.find((t) => t.role !== 'top' && t.clients.includes(path.client)) as DistributionTx;
  const out = mine.tx.outputs[mine.clients.indexOf(path.client)] as TxOut;
  if (!bytesEqual(out.script, me.closeScript) || out.value < me.capacity)
    fail(
      -2,
      'distribution',
      'client-mismatch',
      "does not pay the client's close address at least its capacity",
    );
  return Object.freeze({
    distribution: dist,
    client: path.client,
    txs: Object.freeze(positions.map((j) => dist.txs[j] as DistributionTx)),
    positions,
    jobs: Object.freeze(
      positions.map((j) => Object.freeze({ index: first + j, job: plan.jobs[j] as IndexedJob['job'] })),
    ),
  });
}

/** A final signature for a distribution transaction, by its position in `distribution.txs`. */
export interface DistributionSignatureEntry {
  readonly index: number;
  readonly signature: Uint8Array;
}

/**
 * The client's distribution verifier (§8 step 4): each distribution transaction it signed must come
 * back with a 64-byte BIP340 signature that verifies against the spent output's tweaked key. Returns
 * the signed transactions, in `cd.txs` order, ready to store and broadcast from `T_dist`.
 *
 * @throws {PathVerificationError} `missing-tx` or `signature-invalid`, labelled by role.
 */
export function checkSignedDistribution(
  cd: ClientDistribution,
  signatures: readonly DistributionSignatureEntry[],
): Uint8Array[] {
  if (!Array.isArray(signatures))
    throw new InvalidArgumentError('signatures', 'expected an array of { index, signature }');
  return cd.txs.map((t, k) => {
    const pos = cd.positions[k] as number;
    const label = `distribution ${t.role}${t.role === 'sub' ? `[${t.group}]` : ''}`;
    const entry = signatures.find((s) => s?.index === pos);
    if (entry === undefined || !(entry.signature instanceof Uint8Array) || entry.signature.length !== 64)
      fail(-2, label, 'missing-tx', 'no 64-byte signature');
    if (!schnorrVerify(entry.signature, t.sighash, t.spentTaproot.outputKey))
      fail(-2, label, 'signature-invalid', "the signature does not verify against the spent output's key");
    return encodeTx(t.tx, [[entry.signature]]);
  });
}

/** The LSP's session jobs for the ceremony: every tree transaction, then the distribution's (§8 round 1). */
export function ceremonyJobs(tree: FactoryTree, dist: Distribution): IndexedJob['job'][] {
  assertTree(tree);
  assertObject(dist, 'dist');
  return [...signingPlan(tree).txs, ...distributionSigningPlan(tree, dist).jobs];
}

// A FactoryTree without transactions: what buildDistribution and its signing plan read (proposal,
// layout order, keys, funding output).
function treeShell(path: ClientPath): FactoryTree {
  return Object.freeze({
    proposal: path.proposal,
    layout: path.layout,
    funding: path.funding,
    txs: Object.freeze([]),
    keys: path.keys,
    state: path.state,
  });
}
