/**
 * The multi-layer Decker-Wattenhofer odometer of a factory tree (protocol brief §3.3, §5.1, §5.2,
 * and the per-factory leaf-state counter `c` of §5.3).
 *
 * - Each state-node has a DW state `s` in 0..K−1 (nSequence `S·(K−1−s)`) and a kickoff *instance*: the
 *   number of times its kickoff was rebuilt to spend a new parent output. A state transaction is
 *   identified by (node, instance, state).
 * - Per-leaf advance: the leaf's own state advances by one when it has room.
 * - Carry: "When a leaf's layer is exhausted, the nearest ancestor state on its path whose layer has
 *   room advances by one state; every transaction below it — each kickoff, which now spends a new
 *   outpoint, and each state, reset to state 0 — is rebuilt". The carry never leaves the DW subtree it
 *   started in: it stops at a static kickoff (each subtree under the static kickoffs carries on its own)
 *   or at the root. The root case is the epoch reset. When nothing has room: {@link ExhaustedError}
 *   (the factory must rotate). The C code always carries into the root and clamps layers at 8; here
 *   there is no cap on layers.
 * - Every leaf-state instance ever signed takes the next value of one per-factory counter `c`
 *   (the initial tree takes 0..L−1 in placement order; each advance numbers its new leaf states in
 *   placement order).
 *
 * The API is **immutable**: {@link advance} returns a new {@link DwState} and never modifies its input,
 * so a caller persists the new state only once every transaction it names is signed, and otherwise keeps
 * the old one (see {@link abandonAdvance} to retire the attempt's `c` values).
 *
 * Not done here: transactions, amounts, signing (factory-tree and the roles do that).
 *
 * @module
 */
import { CounterExhaustedError, ExhaustedError, InvalidArgumentError } from './errors.js';
import { type DwParams, nSequenceForState, validateDwParams } from './params.js';
import type { TreeShape } from './shape.js';

/** Format version of {@link DwState} (and of its binary encoding). */
export const DW_STATE_VERSION = 1;
/** Exclusive upper bound of the leaf-state counter `c` (its secret sits at shachain index 2^48−1−c). */
export const COUNTER_LIMIT = 2 ** 48;
/** Upper bound of a kickoff instance number (kept within 32 bits for the encoding). */
export const INSTANCE_LIMIT = 2 ** 32;

/** The DW state of a whole factory tree. Immutable (deeply frozen). */
export interface DwState {
  /** {@link DW_STATE_VERSION}. */
  readonly version: number;
  /** K and S. */
  readonly params: DwParams;
  /** The tree shape. */
  readonly shape: TreeShape;
  /** Per node (pre-order id): its DW state, or -1 for a static node. */
  readonly states: readonly number[];
  /** Per node: its kickoff instance (0 at creation; static nodes stay 0). */
  readonly instances: readonly number[];
  /** Per leaf (placement index): the counter `c` of its current leaf-state instance. */
  readonly leafCounters: readonly number[];
  /** The next unused value of `c`. */
  readonly nextCounter: number;
}

/** One step of a root-to-leaf path: a node's kickoff and, unless static, its state transaction. */
export interface PathStep {
  /** Node id (pre-order). */
  readonly node: number;
  /** Kickoff-only node. */
  readonly static: boolean;
  /** DW layer, or -1 for a static node. */
  readonly layer: number;
  /** Kickoff instance. */
  readonly instance: number;
  /** DW state, or -1 for a static node. */
  readonly state: number;
  /** The state transaction's nSequence (BIP68 blocks), or -1 for a static node. */
  readonly nSequence: number;
}

/** A state-node whose state transaction must be (re-)signed after an advance. */
export interface NodeChange {
  /** Node id (pre-order). */
  readonly node: number;
  /** DW layer. */
  readonly layer: number;
  /** Its state before and after. */
  readonly previousState: number;
  readonly state: number;
  /** Its kickoff instance before and after (different when its kickoff spends a new outpoint). */
  readonly previousInstance: number;
  readonly instance: number;
  /** nSequence before and after. */
  readonly previousNSequence: number;
  readonly nSequence: number;
  /** True when the node's kickoff is rebuilt too (every node strictly below the advanced one). */
  readonly kickoffRebuilt: boolean;
  /** Leaf index when the node is a leaf, else -1. */
  readonly leaf: number;
}

/** A leaf-state instance: the leaf, its node, its counter `c`, and its (instance, state). */
export interface LeafStateInstance {
  readonly leaf: number;
  readonly node: number;
  readonly counter: number;
  readonly instance: number;
  readonly state: number;
}

/** What {@link advance} returns. */
export interface AdvanceResult {
  /** The state after the advance (persist it once everything below is signed). */
  readonly next: DwState;
  /** `leaf`: the leaf's own state advanced; `carry`: an ancestor advanced. */
  readonly kind: 'leaf' | 'carry';
  /** True when the advanced node is the top state-node of its DW subtree and has state-nodes below. */
  readonly epochReset: boolean;
  /** The node that advanced by one state (its signers sign everything in `changed`). */
  readonly advancedNode: number;
  /** Every state-node whose state transaction changes, in pre-order (the advanced node first). */
  readonly changed: readonly NodeChange[];
  /** Leaf-state instances superseded (need poison and settlements), in placement order. */
  readonly superseded: readonly LeafStateInstance[];
  /** The new leaf-state instances, each with its fresh counter `c`, in placement order. */
  readonly created: readonly LeafStateInstance[];
}

function freeze<T extends object>(x: T): Readonly<T> {
  return Object.freeze(x);
}

function makeState(
  params: DwParams,
  shape: TreeShape,
  states: number[],
  instances: number[],
  leafCounters: number[],
  nextCounter: number,
): DwState {
  return freeze({
    version: DW_STATE_VERSION,
    params,
    shape,
    states: freeze(states),
    instances: freeze(instances),
    leafCounters: freeze(leafCounters),
    nextCounter,
  });
}

/** @internal Builds a state from parts already validated (used by the codec). */
export function _stateFromParts(
  params: DwParams,
  shape: TreeShape,
  states: number[],
  instances: number[],
  leafCounters: number[],
  nextCounter: number,
): DwState {
  return makeState(params, shape, states, instances, leafCounters, nextCounter);
}

function assertState(state: DwState): void {
  if (
    typeof state !== 'object' ||
    state === null ||
    state.version !== DW_STATE_VERSION ||
    !Array.isArray(state.states) ||
    state.states.length !== state.shape?.nodes?.length
  )
    throw new InvalidArgumentError('state', 'expected a DwState from initialState, advance or decodeState');
}

function assertLeaf(state: DwState, leaf: number): number {
  const n = state.shape.leaves.length;
  if (!Number.isInteger(leaf) || leaf < 0 || leaf >= n)
    throw new InvalidArgumentError('leaf', `expected a leaf index in 0..${n - 1}, got ${leaf}`);
  return state.shape.leaves[leaf] as number;
}

/**
 * The state of a freshly signed factory: every state-node at state 0, instance 0; leaves take
 * counters c = 0..L−1 in placement order.
 *
 * @throws {InvalidDwParamsError} bad K or S.
 */
export function initialState(shape: TreeShape, params: DwParams): DwState {
  const p = validateDwParams(params);
  if (typeof shape !== 'object' || shape === null || !Array.isArray(shape.nodes) || shape.nodes.length === 0)
    throw new InvalidArgumentError('shape', 'expected a TreeShape from shapeFromSpec or buildShape');
  const states = shape.nodes.map((n) => (n.static ? -1 : 0));
  const instances = shape.nodes.map(() => 0);
  const leafCounters = shape.leaves.map((_, i) => i);
  return makeState(p, shape, states, instances, leafCounters, shape.leaves.length);
}

function nseq(state: DwState, node: number): number {
  const s = state.states[node] as number;
  return s < 0 ? -1 : nSequenceForState(state.params, s);
}

/** The (instance, state, nSequence) of one node; `state` and `nSequence` are -1 for a static node. */
export function nodeState(
  state: DwState,
  node: number,
): { readonly instance: number; readonly state: number; readonly nSequence: number } {
  assertState(state);
  if (!Number.isInteger(node) || node < 0 || node >= state.states.length)
    throw new InvalidArgumentError(
      'node',
      `expected a node id in 0..${state.states.length - 1}, got ${node}`,
    );
  return {
    instance: state.instances[node] as number,
    state: state.states[node] as number,
    nSequence: nseq(state, node),
  };
}

/** The current root-to-leaf path of a leaf: each node's kickoff instance, DW state and nSequence. */
export function pathOf(state: DwState, leaf: number): PathStep[] {
  assertState(state);
  const ids: number[] = [];
  for (let n = assertLeaf(state, leaf); n >= 0; n = (state.shape.nodes[n] as { parent: number }).parent)
    ids.push(n);
  return ids.reverse().map((id) => {
    const node = state.shape.nodes[id] as TreeShape['nodes'][number];
    return freeze({
      node: id,
      static: node.static,
      layer: node.layer,
      instance: state.instances[id] as number,
      state: state.states[id] as number,
      nSequence: nseq(state, id),
    });
  });
}

/** The node that would advance for `leaf`, or the top node of its DW subtree when none has room. */
function findAdvancing(state: DwState, leafNode: number): { node: number; room: boolean } {
  const { nodes } = state.shape;
  const last = state.params.K - 1;
  let n = leafNode;
  for (;;) {
    if ((state.states[n] as number) < last) return { node: n, room: true };
    const parent = (nodes[n] as { parent: number }).parent;
    if (parent < 0 || (nodes[parent] as { static: boolean }).static) return { node: n, room: false };
    n = parent;
  }
}

/** True when {@link advance} would succeed for this leaf (some state on its DW path has room). */
export function canAdvance(state: DwState, leaf: number): boolean {
  assertState(state);
  return findAdvancing(state, assertLeaf(state, leaf)).room;
}

/**
 * How many more times this leaf could advance if no other leaf advanced: `K^m − 1 − v`, where `m` is
 * the number of state-nodes on its path and `v` the odometer reading of their states (top = most
 * significant digit).
 */
export function advancesLeft(state: DwState, leaf: number): bigint {
  const K = BigInt(state.params.K);
  let v = 0n;
  let max = 1n;
  for (const step of pathOf(state, leaf)) {
    if (step.static) continue;
    v = v * K + BigInt(step.state);
    max *= K;
  }
  return max - 1n - v;
}

/**
 * Advances `leaf` by one DW state: its own state when it has room, else the nearest ancestor state
 * with room inside its DW subtree (resetting every state below it to 0 and rebuilding every kickoff
 * below it). Pure: the input state is not modified.
 *
 * @throws {ExhaustedError} no state on the leaf's DW path has room: rotate the factory.
 * @throws {CounterExhaustedError} the leaf-state counter would reach 2^48.
 * @throws {InvalidArgumentError} an unknown leaf or a malformed state.
 */
export function advance(state: DwState, leaf: number): AdvanceResult {
  assertState(state);
  const leafNode = assertLeaf(state, leaf);
  const { node: advanced, room } = findAdvancing(state, leafNode);
  if (!room) throw new ExhaustedError(leaf, advanced);
  const { nodes } = state.shape;
  const top = nodes[advanced] as TreeShape['nodes'][number];
  const end = top.end;
  const states = [...state.states];
  const instances = [...state.instances];
  const leafCounters = [...state.leafCounters];
  let nextCounter = state.nextCounter;
  states[advanced] = (states[advanced] as number) + 1;
  for (let id = advanced + 1; id < end; id++) {
    states[id] = 0;
    const inst = (instances[id] as number) + 1;
    if (inst >= INSTANCE_LIMIT) throw new InvalidArgumentError('state', 'kickoff instance overflow');
    instances[id] = inst;
  }
  const superseded: LeafStateInstance[] = [];
  const created: LeafStateInstance[] = [];
  const changed: NodeChange[] = [];
  for (let id = advanced; id < end; id++) {
    const n = nodes[id] as TreeShape['nodes'][number];
    changed.push(
      freeze({
        node: id,
        layer: n.layer,
        previousState: state.states[id] as number,
        state: states[id] as number,
        previousInstance: state.instances[id] as number,
        instance: instances[id] as number,
        previousNSequence: nSequenceForState(state.params, state.states[id] as number),
        nSequence: nSequenceForState(state.params, states[id] as number),
        kickoffRebuilt: id !== advanced,
        leaf: n.leaf,
      }),
    );
    if (n.leaf < 0) continue;
    if (nextCounter >= COUNTER_LIMIT) throw new CounterExhaustedError();
    superseded.push(
      freeze({
        leaf: n.leaf,
        node: id,
        counter: state.leafCounters[n.leaf] as number,
        instance: state.instances[id] as number,
        state: state.states[id] as number,
      }),
    );
    leafCounters[n.leaf] = nextCounter;
    created.push(
      freeze({
        leaf: n.leaf,
        node: id,
        counter: nextCounter,
        instance: instances[id] as number,
        state: states[id] as number,
      }),
    );
    nextCounter++;
  }
  const parent = top.parent;
  const isTop = parent < 0 || (nodes[parent] as { static: boolean }).static;
  return freeze({
    next: makeState(state.params, state.shape, states, instances, leafCounters, nextCounter),
    kind: advanced === leafNode ? 'leaf' : 'carry',
    epochReset: isTop && end - advanced > 1,
    advancedNode: advanced,
    changed: freeze(changed),
    superseded: freeze(superseded),
    created: freeze(created),
  });
}

/**
 * Retires the counters `c` an abandoned advance attempt handed out, so they are never reused for
 * another leaf state (brief §5.3: no two L-stock outputs may share `c`). Returns `previous` with its
 * `nextCounter` moved past the attempt's. Persist the result.
 *
 * @throws {InvalidArgumentError} the attempt was not computed from a state of this tree.
 */
export function abandonAdvance(previous: DwState, attempt: AdvanceResult): DwState {
  assertState(previous);
  const next = attempt?.next;
  if (
    typeof next !== 'object' ||
    next === null ||
    !Array.isArray(next.states) ||
    next.states.length !== previous.states.length ||
    next.leafCounters.length !== previous.leafCounters.length ||
    !Number.isInteger(next.nextCounter)
  )
    throw new InvalidArgumentError('attempt', 'was not computed from a state of this tree');
  const nextCounter = Math.max(previous.nextCounter, next.nextCounter);
  return makeState(
    previous.params,
    previous.shape,
    [...previous.states],
    [...previous.instances],
    [...previous.leafCounters],
    nextCounter,
  );
}
