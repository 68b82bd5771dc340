/**
 * A client's O(depth) check of an advance (protocol brief §5.1, §5.2, §5.3, §5.4; DESIGN §4): from
 * its own path alone (`ClientPath`, rebuilt from its `ClientFactoryRecord`), never the whole tree, it
 * works out what an advance that re-signs its path must produce — its new path transactions, its
 * leaf's poison and settlements, the new L-stock counter and poison hash — and checks what it
 * receives against them. The same transactions, jobs and verdicts as `planAdvance` + `validateAdvance`
 * over the whole tree (a differential property test holds it to that).
 *
 * Which node advanced is the client's own computation, not the LSP's word: the odometer (dw-counter's
 * `advance`) walks up from the triggering leaf to the nearest state node with room. The client knows
 * the states of its own path, so for its own leaf it finds that node exactly; for another leaf's carry
 * the node must be a common ancestor (else its path is not re-signed), and it is the deepest common
 * state node with room — the nodes below it on the other leaf's side are exhausted by the LSP's claim,
 * which the client cannot see and does not need: its own path is newer either way (§5.2's rule on
 * its path).
 *
 * - {@link planClientAdvance}: the plan (new path, new transactions, its leaf's superseded state with
 *   poison and settlements, the jobs it signs).
 * - {@link validateClientAdvance}: what it received (new transactions, poison signature, settlement).
 *
 * @module
 */
import { ExhaustedError } from '@superscalar/dw-counter';
import { assertBytes, assertInt, assertObject } from './_assert.js';
import {
  poisonJobFor,
  type SupersededLeafState,
  settlementJobFor,
  supersededLeafState,
  treeJobFor,
} from './advance.js';
import { buildClientPath, type ClientPath } from './clientPath.js';
import { InvalidArgumentError } from './errors.js';
import type { SigningJob } from './jobs.js';
import { advanceClientPathState, pathStateNodes } from './pathState.js';
import type { LeafAllocation, TreeTx } from './transactions.js';
import { checkReceivedAdvance, type ReceivedAdvance, type VerifiedAdvance } from './verify.js';

/** An advance as it reaches one client (the parts of `advance_propose` about its path). */
export interface ClientAdvanceRequest {
  /** The leaf whose advance triggers it (placement order): the client's own, or another (a carry). */
  readonly leaf: number;
  /** The counter `c` of the client's leaf's new state (above its current one, §5.3). */
  readonly counter: number;
  /** `sha256(s_c)`: the new L-stock's poison hash. */
  readonly poisonHash: Uint8Array;
  /** The client's leaf's new allocation (its channels' capacities and its L-stock); default unchanged. */
  readonly allocation?: LeafAllocation;
}

/** What {@link planClientAdvance} returns: the client's side of an `AdvancePlan`, O(depth). */
export interface ClientAdvancePlan {
  /** `leaf` (its own leaf node advanced) or `carry` (an ancestor did), as dw-counter names them. */
  readonly kind: 'leaf' | 'carry';
  /** A carry from the top of a DW subtree (the root, or a node under the static kickoffs). */
  readonly epochReset: boolean;
  /** The node (pre-order id) that advanced by one state. */
  readonly node: number;
  /** The client's path before the advance. */
  readonly previous: ClientPath;
  /** Its path after the advance (record it once every check passes). */
  readonly next: ClientPath;
  /** The new transactions on its path (the advanced node's state, then every transaction below), root first. */
  readonly newTxs: readonly TreeTx[];
  /** Its leaf's superseded state: the old leaf state transaction, its poison and its settlements. */
  readonly superseded: SupersededLeafState;
  /**
   * The jobs the client signs, in release order (§5.1): its new path transactions, its leaf's poison,
   * its own settlement — each equal to the job of the same id in the LSP's `planAdvance`.
   */
  readonly jobs: readonly SigningJob[];
}

/**
 * The client's plan of an advance that re-signs its path, from its path alone.
 *
 * @param path the client's path at its current state (`buildClientPath` at its record's state).
 * @throws {InvalidArgumentError} a leaf whose advance cannot reach this path, a counter not above
 *   the current one, a malformed hash; `InvalidAllocationError` for the allocation.
 * @throws {ExhaustedError} (dw-counter) no common state node has room: the factory must rotate.
 */
export function planClientAdvance(path: ClientPath, request: ClientAdvanceRequest): ClientAdvancePlan {
  assertObject(path, 'path');
  assertObject(request, 'request');
  if (!Array.isArray(path.txs) || typeof path.layout !== 'object')
    throw new InvalidArgumentError('path', 'expected a ClientPath (buildClientPath)');
  const { proposal: p, layout, leaf, state } = path;
  assertInt(request.leaf, 'request.leaf', 0, layout.leafClients.length - 1);
  assertBytes(request.poisonHash, 'request.poisonHash', 32);
  const mine = pathStateNodes(layout, leaf);
  const theirs = pathStateNodes(layout, request.leaf);
  let common = 0;
  while (common < mine.length && mine[common] === theirs[common]) common++;
  if (common === 0)
    throw new InvalidArgumentError(
      'request.leaf',
      `an advance of leaf ${request.leaf} never re-signs leaf ${leaf}'s path (no common state node)`,
    );
  let at = common - 1;
  while (at >= 0 && (state.states[at] as number) >= p.dw.K - 1) at--;
  if (at < 0) throw new ExhaustedError(request.leaf, mine[0] as number);
  const node = mine[at] as number;
  const nextState = advanceClientPathState(path, {
    node,
    counter: request.counter,
    poisonHash: request.poisonHash,
    ...(request.allocation === undefined ? {} : { allocation: request.allocation }),
  });
  const next = buildClientPath(p, path.client, { state: nextState });
  // The advanced node keeps its kickoff; its state and everything below it on the path are new.
  const from = next.txs.findIndex((t) => t.node === node && t.kind === 'state');
  const newTxs = next.txs.slice(from);
  const leafNode = mine[mine.length - 1] as number;
  const superseded = supersededLeafState(p, layout, {
    leaf,
    node: leafNode,
    counter: state.counter,
    stateTx: path.txs[path.txs.length - 1] as TreeTx,
    oldAllocation: state.allocation,
    newAllocation: nextState.allocation,
  });
  const jobs: SigningJob[] = newTxs.map((t) => treeJobFor(next.keys, t));
  const pj = poisonJobFor(path.keys, superseded);
  if (pj) jobs.push(pj);
  const own = superseded.settlements.find((e) => e.client === path.client);
  const sj = own === undefined ? undefined : settlementJobFor(path.keys, superseded.counter, own);
  if (sj) jobs.push(sj);
  const shapeNode = layout.shape.nodes[node] as { parent: number; end: number };
  const parent = layout.shape.nodes[shapeNode.parent] as { static: boolean } | undefined;
  return Object.freeze({
    kind: request.leaf === leaf && node === leafNode ? 'leaf' : 'carry',
    epochReset: (parent === undefined || parent.static) && shapeNode.end - node > 1,
    node,
    previous: path,
    next,
    newTxs: Object.freeze(newTxs),
    superseded,
    jobs: Object.freeze(jobs),
  });
}

/**
 * A client's check of what it receives at the end of an advance (§5.1), against its own
 * {@link planClientAdvance}: the new transactions on its path (byte-for-byte, each signature against
 * the spent output's key), its leaf's poison signature (script path, untweaked `KeyAgg(leaf
 * signers)`) and its own settlement — exactly `validateAdvance`'s checks, without the whole tree.
 *
 * @throws {PathVerificationError} naming the transaction and the fault.
 */
export function validateClientAdvance(plan: ClientAdvancePlan, received: ReceivedAdvance): VerifiedAdvance {
  assertObject(plan, 'plan');
  if (!Array.isArray(plan.newTxs) || typeof plan.next !== 'object')
    throw new InvalidArgumentError('plan', 'expected a ClientAdvancePlan (planClientAdvance)');
  return checkReceivedAdvance(plan.newTxs, plan.superseded, plan.next.client, received);
}
