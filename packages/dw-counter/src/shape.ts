/**
 * The shape of a factory tree as the DW counter sees it (protocol brief §3.1, §3.3): logical nodes with
 * children, which nodes are static (kickoff-only), which are leaves, and each state-node's DW layer.
 * No placement and no amounts here (that is `@superscalar/factory-tree`'s job).
 *
 * Rules enforced: at least one node; a leaf is never static ("if `staticLevels` reaches a leaf, that
 * leaf still has its kickoff and state"); static nodes form a top region (a static node's parent is
 * static), since static levels are the top levels. A state-node's DW layer is the number of state-nodes
 * above it on its path, so in an uneven tree "a leaf state's DW layer is the layer of its own depth".
 *
 * @module
 */
import { InvalidArgumentError, InvalidShapeError } from './errors.js';

/** A generic tree description: a node with no children is a leaf. */
export interface NodeSpec {
  /** Kickoff-only node (no state transaction, no DW layer). Default false. Never true for a leaf. */
  readonly static?: boolean;
  /** Children in placement order. */
  readonly children?: readonly NodeSpec[];
}

/** One logical node of a {@link TreeShape}; `id` is its pre-order index (root = 0). */
export interface ShapeNode {
  /** Pre-order index. */
  readonly id: number;
  /** Parent's id, or -1 for the root. */
  readonly parent: number;
  /** Children's ids in placement order. */
  readonly children: readonly number[];
  /** Absolute depth (root = 0, static levels included). */
  readonly depth: number;
  /** Kickoff-only node. */
  readonly static: boolean;
  /** Leaf index in placement order, or -1 for an interior node. */
  readonly leaf: number;
  /** DW layer (0 = top state layer), or -1 for a static node. */
  readonly layer: number;
  /** One past the last pre-order id of this node's subtree (so the subtree is `id .. end-1`). */
  readonly end: number;
}

/** A validated, immutable tree shape. */
export interface TreeShape {
  /** Nodes in pre-order; `nodes[0]` is the root. */
  readonly nodes: readonly ShapeNode[];
  /** Node id of each leaf, in placement order. */
  readonly leaves: readonly number[];
  /** Number of DW layers on the deepest path (0 only if there is no state-node, which is invalid). */
  readonly layerCount: number;
  /** Number of static (kickoff-only) nodes. */
  readonly staticCount: number;
}

/** Builds and validates a {@link TreeShape} from a {@link NodeSpec}. */
export function shapeFromSpec(spec: NodeSpec): TreeShape {
  if (typeof spec !== 'object' || spec === null) throw new InvalidArgumentError('spec', 'expected a node');
  interface Mut {
    id: number;
    parent: number;
    children: number[];
    depth: number;
    static: boolean;
    leaf: number;
    layer: number;
    end: number;
  }
  const nodes: Mut[] = [];
  const leaves: number[] = [];
  // Iterative pre-order walk (no recursion limit on deep trees).
  const stack: { spec: NodeSpec; parent: number; depth: number; layerAbove: number }[] = [
    { spec, parent: -1, depth: 0, layerAbove: 0 },
  ];
  while (stack.length > 0) {
    const { spec: s, parent, depth, layerAbove } = stack.pop() as (typeof stack)[number];
    const id = nodes.length;
    if (typeof s !== 'object' || s === null) throw new InvalidShapeError('not a node object', id);
    const kids = s.children ?? [];
    if (!Array.isArray(kids)) throw new InvalidShapeError('children must be an array', id);
    const isStatic = s.static === true;
    if (s.static !== undefined && typeof s.static !== 'boolean')
      throw new InvalidShapeError('static must be a boolean', id);
    const isLeaf = kids.length === 0;
    if (isLeaf && isStatic) throw new InvalidShapeError('a leaf is never static', id);
    if (isStatic && parent >= 0 && !(nodes[parent] as Mut).static)
      throw new InvalidShapeError('a static node must not sit below a state-node', id);
    const node: Mut = {
      id,
      parent,
      children: [],
      depth,
      static: isStatic,
      leaf: isLeaf ? leaves.length : -1,
      layer: isStatic ? -1 : layerAbove,
      end: -1,
    };
    nodes.push(node);
    if (isLeaf) leaves.push(id);
    if (parent >= 0) (nodes[parent] as Mut).children.push(id);
    const below = isStatic ? layerAbove : layerAbove + 1;
    for (let i = kids.length - 1; i >= 0; i--)
      stack.push({ spec: kids[i] as NodeSpec, parent: id, depth: depth + 1, layerAbove: below });
  }
  // Subtree ends: in pre-order, a subtree is contiguous; compute bottom-up.
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i] as Mut;
    const last = n.children[n.children.length - 1];
    n.end = last === undefined ? i + 1 : (nodes[last] as Mut).end;
  }
  let layerCount = 0;
  let staticCount = 0;
  for (const n of nodes) {
    if (n.static) staticCount++;
    else layerCount = Math.max(layerCount, n.layer + 1);
  }
  return Object.freeze({
    nodes: Object.freeze(nodes.map((n) => Object.freeze({ ...n, children: Object.freeze(n.children) }))),
    leaves: Object.freeze(leaves),
    layerCount,
    staticCount,
  });
}

/** Turns a shape back into its {@link NodeSpec} (inverse of {@link shapeFromSpec}). */
export function shapeToSpec(shape: TreeShape): NodeSpec {
  const build = (id: number): NodeSpec => {
    const n = shape.nodes[id] as ShapeNode;
    const children = n.children.map(build);
    return n.static ? { static: true, children } : children.length > 0 ? { children } : {};
  };
  return build(0);
}

/** Options of {@link buildShape}: brief §3.1's shape parameters, counted in leaves. */
export interface BuildShapeOptions {
  /** Number of leaves L (clients are cut into leaves by `leafArity` before this). ≥ 1. */
  readonly leaves: number;
  /** Fan-out of interior levels from the root down, each 2..200; the last entry repeats. Default [2]. */
  readonly levelArity?: readonly number[];
  /** Top levels that are kickoff-only. Default 0. */
  readonly staticLevels?: number;
}

/**
 * Builds the shape brief §3.1 prescribes: "a node at depth d with L leaves below has
 * `k = min(levelArity[d], L)` children …; the children take contiguous runs of the ordered leaves,
 * the first `L mod k` of them `⌈L/k⌉` leaves and the rest `⌊L/k⌋`. A node with one leaf below is that
 * leaf." A node at depth < `staticLevels` is static unless it is a leaf.
 *
 * @throws {InvalidArgumentError} leaves < 1, an arity outside 2..200, or a negative staticLevels.
 */
export function buildShape(options: BuildShapeOptions): TreeShape {
  const L = options.leaves;
  if (!Number.isInteger(L) || L < 1 || L > 1_000_000)
    throw new InvalidArgumentError('options.leaves', `expected an integer in 1..1000000, got ${L}`);
  const arity = options.levelArity ?? [2];
  if (!Array.isArray(arity) || arity.length === 0)
    throw new InvalidArgumentError('options.levelArity', 'expected a non-empty array');
  arity.forEach((a, i) => {
    if (!Number.isInteger(a) || a < 2 || a > 200)
      throw new InvalidArgumentError(`options.levelArity[${i}]`, `expected an integer in 2..200, got ${a}`);
  });
  const staticLevels = options.staticLevels ?? 0;
  if (!Number.isInteger(staticLevels) || staticLevels < 0)
    throw new InvalidArgumentError(
      'options.staticLevels',
      `expected a non-negative integer, got ${staticLevels}`,
    );
  const arityAt = (d: number) => arity[Math.min(d, arity.length - 1)] as number;
  const build = (leaves: number, depth: number): NodeSpec => {
    if (leaves === 1) return {};
    const k = Math.min(arityAt(depth), leaves);
    const big = leaves % k;
    const children: NodeSpec[] = [];
    for (let i = 0; i < k; i++)
      children.push(build(i < big ? Math.ceil(leaves / k) : Math.floor(leaves / k), depth + 1));
    return depth < staticLevels ? { static: true, children } : { children };
  };
  return shapeFromSpec(build(L, 0));
}
