/**
 * A client's O(depth) state (issue 20, DESIGN §4): the part of a factory's state its own root-to-leaf
 * path is built from — the DW state and kickoff instance of each state node on the path (§3.3, §5.2),
 * its leaf's counter `c` and poison hash (§5.3), and its leaf's allocation (§5.1). A whole
 * `FactoryState` holds every node's state and every leaf's allocation (O(N)); a client never needs
 * them: `buildClientPath` reads this, and `ClientFactoryRecord` (`clientRecord.ts`) stores it.
 *
 * - {@link clientPathState}: the projection of a whole tree's state onto one client's path (what a
 *   party holding the whole tree — the LSP — would hand a client, and what tests compare against).
 * - {@link advanceClientPathState}: the client's own O(depth) step after an advance that re-signed
 *   its path (the advanced node's state + 1, everything below it on the path at state 0 on a new
 *   kickoff instance, the leaf's new counter, allocation and poison hash).
 *
 * @module
 */
import { assertBytes, assertInt, assertObject } from './_assert.js';
import { InvalidArgumentError } from './errors.js';
import type { Proposal } from './proposal.js';
import { checkAllocation, type FactoryTree, type LeafAllocation, type StateReader } from './transactions.js';
import type { TreeLayout } from './tree.js';

/** Upper bound (exclusive) of the leaf-state counter `c` (§5.3: shachain index `2^48 − 1 − c`). */
const COUNTER_LIMIT = 2 ** 48;
/** Upper bound (exclusive) of a kickoff instance (dw-counter keeps it within 32 bits). */
const INSTANCE_LIMIT = 2 ** 32;

/**
 * The state a client's path is built at: O(depth), never another leaf's or another path's state.
 * The arrays follow the path's **state nodes**, root first (a static kickoff has no state and no
 * entry); `buildClientPath` rebuilds every transaction of the path from this and the proposal.
 */
export interface ClientPathState {
  /** The DW state (0..K−1) of each state node on the path, root first (§3.3: nSequence `S·(K−1−s)`). */
  readonly states: readonly number[];
  /**
   * The kickoff instance of each of those nodes (how often its kickoff was rebuilt on a new outpoint,
   * §5.2). Informational (`TreeTx.instance`): no byte of the path depends on it.
   */
  readonly instances: readonly number[];
  /** The counter `c` of the leaf's current state (its L-stock's poison opens with `s_c`, §5.3). */
  readonly counter: number;
  /** The leaf's current allocation: its clients' channel capacities (placement order) and its L-stock. */
  readonly allocation: LeafAllocation;
  /** `sha256(s_c)`: the hash in the leaf's L-stock poison leaf. */
  readonly poisonHash: Uint8Array;
}

/** @internal The leaf (placement order) holding `client`. */
export function leafOf(layout: TreeLayout, client: number): number {
  return layout.leafClients.findIndex((cl) => cl.includes(client));
}

/** @internal The state nodes (pre-order ids) on a leaf's root-to-leaf path, root first. */
export function pathStateNodes(layout: TreeLayout, leaf: number): number[] {
  const nodes: number[] = [];
  for (const i of layout.leafPaths[leaf] ?? []) {
    const t = layout.txs[i];
    if (t?.kind === 'state') nodes.push(t.node);
  }
  return nodes;
}

/** @internal The initial path state (§4.4): every state 0, instance 0, `c` = the leaf's index. */
export function initialClientPathState(p: Proposal, layout: TreeLayout, leaf: number): ClientPathState {
  const n = pathStateNodes(layout, leaf).length;
  const cl = layout.leafClients[leaf] as readonly number[];
  return Object.freeze({
    states: Object.freeze(new Array<number>(n).fill(0)),
    instances: Object.freeze(new Array<number>(n).fill(0)),
    counter: leaf,
    allocation: Object.freeze({
      capacities: Object.freeze(cl.map((c) => (p.clients[c] as Proposal['clients'][number]).capacity)),
      lStock: layout.lStock[leaf] as bigint,
    }),
    poisonHash: p.poisonHashes[leaf] as Uint8Array,
  });
}

/**
 * @internal Checks a path state against the proposal's layout: one state and one instance per state
 * node of the leaf's path, states in 0..K−1, the counter below 2^48, the allocation (conservation and
 * dust, `checkAllocation`), a 32-byte poison hash.
 *
 * @throws {InvalidArgumentError} naming `argument`'s field; `InvalidAllocationError` for the allocation.
 */
export function checkPathState(
  p: Proposal,
  layout: TreeLayout,
  leaf: number,
  s: ClientPathState,
  argument = 'state',
): void {
  assertObject(s, argument);
  const n = pathStateNodes(layout, leaf).length;
  for (const f of ['states', 'instances'] as const) {
    const xs = s[f];
    if (!Array.isArray(xs) || xs.length !== n)
      throw new InvalidArgumentError(
        `${argument}.${f}`,
        `expected ${n} entries, one per state node on leaf ${leaf}'s path`,
      );
  }
  s.states.forEach((x, i) => {
    assertInt(x, `${argument}.states[${i}]`, 0, p.dw.K - 1);
  });
  s.instances.forEach((x, i) => {
    assertInt(x, `${argument}.instances[${i}]`, 0, INSTANCE_LIMIT - 1);
  });
  assertInt(s.counter, `${argument}.counter`, 0, COUNTER_LIMIT - 1);
  checkAllocation(layout, leaf, s.allocation, { argument: `${argument}.allocation` });
  assertBytes(s.poisonHash, `${argument}.poisonHash`, 32);
}

/**
 * @internal A `StateReader` over a path state: it answers for the nodes and the leaf of that path
 * only (asking about anything else is a bug in the caller, reported as such).
 */
export function pathStateReader(layout: TreeLayout, leaf: number, s: ClientPathState): StateReader {
  const index = new Map(pathStateNodes(layout, leaf).map((node, i) => [node, i]));
  const at = (node: number): number => {
    const i = index.get(node);
    if (i === undefined)
      throw new InvalidArgumentError('state', `node ${node} is not on leaf ${leaf}'s path`);
    return i;
  };
  const own = (l: number): void => {
    if (l !== leaf) throw new InvalidArgumentError('state', `leaf ${l} is not the path's leaf ${leaf}`);
  };
  return {
    dwState: (node) => s.states[at(node)] as number,
    // Static nodes have no entry: their kickoff is never rebuilt (instance 0), as in dw-counter.
    instance: (node) => (index.has(node) ? (s.instances[at(node)] as number) : 0),
    counter: (l) => {
      own(l);
      return s.counter;
    },
    allocation: (l) => {
      own(l);
      return s.allocation;
    },
    poisonHash: (l) => {
      own(l);
      return s.poisonHash;
    },
  };
}

/**
 * The projection of a whole tree's state onto client `client`'s path: what `buildClientPath` needs
 * to rebuild that path at the tree's state (for a party that holds the whole tree, such as the LSP,
 * or to check a client's own state against it). O(depth) copies; the tree is trusted as built.
 *
 * @throws {InvalidArgumentError} a client index out of range, or not a `FactoryTree`.
 */
export function clientPathState(
  tree: Pick<FactoryTree, 'proposal' | 'layout' | 'state'>,
  client: number,
): ClientPathState {
  assertObject(tree, 'tree');
  if (typeof tree.state !== 'object' || tree.state === null || typeof tree.layout !== 'object')
    throw new InvalidArgumentError('tree', 'expected a FactoryTree (buildTree or an advance plan)');
  assertInt(client, 'client', 0, tree.proposal.clients.length - 1);
  const leaf = leafOf(tree.layout, client);
  const nodes = pathStateNodes(tree.layout, leaf);
  const { dw, allocations, poisonHashes } = tree.state;
  const a = allocations[leaf] as LeafAllocation;
  return Object.freeze({
    states: Object.freeze(nodes.map((n) => dw.states[n] as number)),
    instances: Object.freeze(nodes.map((n) => dw.instances[n] as number)),
    counter: dw.leafCounters[leaf] as number,
    allocation: Object.freeze({ capacities: Object.freeze([...a.capacities]), lStock: a.lStock }),
    poisonHash: Uint8Array.from(poisonHashes[leaf] as Uint8Array),
  });
}

/** An advance as it reaches one client whose path it re-signs (§5.1, §5.2). */
export interface PathAdvance {
  /** The node (pre-order id) that advanced by one state: a state node on the client's path. */
  readonly node: number;
  /** The counter `c` of the leaf's new state (above its current one: counters never repeat, §5.3). */
  readonly counter: number;
  /** `sha256(s_c)` for that counter. */
  readonly poisonHash: Uint8Array;
  /** The leaf's new allocation (default: unchanged). */
  readonly allocation?: LeafAllocation;
}

/**
 * The client's own O(depth) state step for an advance that re-signs its path: the advanced node
 * moves to its next state; every state node below it on the path is reset to state 0 on a new kickoff
 * instance (its kickoff spends a new outpoint, §5.2); the leaf takes the new counter, poison hash and
 * allocation. The same state `planAdvance` reaches over the whole tree, projected on this path (the
 * property test checks it). The advanced node must have room (state < K−1): which node advances for
 * another leaf's carry is the LSP's claim, checked here only that far; the path it leads to is then
 * signed and checked like any other.
 *
 * @param path what the state belongs to: `buildClientPath`'s result (or its proposal, layout, leaf
 *   and state).
 * @throws {InvalidArgumentError} a node not on the path or without room, a counter not above the
 *   current one, a malformed hash; `InvalidAllocationError` for the allocation.
 */
export function advanceClientPathState(
  path: {
    readonly proposal: Proposal;
    readonly layout: TreeLayout;
    readonly leaf: number;
    readonly state: ClientPathState;
  },
  advance: PathAdvance,
): ClientPathState {
  assertObject(path, 'path');
  assertObject(advance, 'advance');
  const { proposal: p, layout, leaf, state: s } = path;
  const nodes = pathStateNodes(layout, leaf);
  const at = nodes.indexOf(advance.node);
  if (at < 0)
    throw new InvalidArgumentError(
      'advance.node',
      `node ${advance.node} is not a state node on leaf ${leaf}'s path`,
    );
  const current = s.states[at] as number;
  if (current >= p.dw.K - 1)
    throw new InvalidArgumentError(
      'advance.node',
      `node ${advance.node} is at its last state ${current}: no room`,
    );
  assertInt(advance.counter, 'advance.counter', s.counter + 1, COUNTER_LIMIT - 1);
  assertBytes(advance.poisonHash, 'advance.poisonHash', 32);
  const a = advance.allocation ?? s.allocation;
  checkAllocation(layout, leaf, a, { argument: 'advance.allocation' });
  const next = s.states.map((x, i) => (i < at ? x : i === at ? x + 1 : 0));
  const instances = s.instances.map((x, i) => (i <= at ? x : x + 1));
  if (instances.some((x) => x >= INSTANCE_LIMIT))
    throw new InvalidArgumentError('advance.node', 'a kickoff instance would reach 2^32');
  return Object.freeze({
    states: Object.freeze(next),
    instances: Object.freeze(instances),
    counter: advance.counter,
    allocation: Object.freeze({ capacities: Object.freeze([...a.capacities]), lStock: a.lStock }),
    poisonHash: Uint8Array.from(advance.poisonHash),
  });
}
