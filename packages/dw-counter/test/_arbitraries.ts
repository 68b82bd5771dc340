// Shared fast-check arbitraries and the §5.2 safety checker for the dw-counter tests.
import fc from 'fast-check';
import {
  buildShape,
  type DwParams,
  type DwState,
  type NodeSpec,
  pathOf,
  shapeFromSpec,
  type TreeShape,
} from '../src/index.js';

/** A random generic tree (uneven), with the top `staticDepth` levels static except leaves. */
export const arbSpec: fc.Arbitrary<NodeSpec> = fc
  .tuple(
    fc.letrec<{ node: NodeSpec }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constant<NodeSpec>({}),
        fc.array(tie('node'), { minLength: 1, maxLength: 4 }).map((children) => ({ children })),
      ),
    })).node,
    fc.integer({ min: 0, max: 2 }),
  )
  .map(([spec, staticDepth]) => markStatic(spec, staticDepth));

function markStatic(spec: NodeSpec, staticDepth: number, depth = 0): NodeSpec {
  const children = spec.children ?? [];
  if (children.length === 0) return {};
  const kids = children.map((c) => markStatic(c, staticDepth, depth + 1));
  return depth < staticDepth ? { static: true, children: kids } : { children: kids };
}

/** A random §3.1 shape: leaves, level arities, static levels. */
export const arbBuiltShape: fc.Arbitrary<TreeShape> = fc
  .record({
    leaves: fc.integer({ min: 1, max: 40 }),
    levelArity: fc.array(fc.integer({ min: 2, max: 5 }), { minLength: 1, maxLength: 3 }),
    staticLevels: fc.integer({ min: 0, max: 3 }),
  })
  .map((o) => buildShape(o));

/** Realistic and arbitrary shapes, half and half, capped in size for speed. */
export const arbShape: fc.Arbitrary<TreeShape> = fc
  .oneof(arbBuiltShape, arbSpec.map(shapeFromSpec))
  .filter((s) => s.nodes.length <= 120);

/** Small K (so carries and exhaustion happen) and any step. */
export const arbParams: fc.Arbitrary<DwParams> = fc.record({
  K: fc.integer({ min: 2, max: 4 }),
  S: fc.integer({ min: 1, max: 500 }),
});

/** A state transaction on a signed path: (node, kickoff instance, state, nSequence). */
export interface SignedStep {
  readonly node: number;
  readonly static: boolean;
  readonly instance: number;
  readonly state: number;
  readonly nSequence: number;
}

/** A signed root-to-leaf path, in the order it was signed. */
export interface SignedPath {
  readonly leaf: number;
  readonly seq: number;
  readonly steps: readonly SignedStep[];
}

export function signedPath(state: DwState, leaf: number, seq: number): SignedPath {
  return { leaf, seq, steps: pathOf(state, leaf).map((s) => ({ ...s })) };
}

/**
 * Brief §5.2's safety rule for a pair of signed paths, `older` signed before `newer`: at the top-most
 * node where they use different state transactions, both spend the same kickoff output and the newer
 * nSequence is smaller by at least S. Returns a description of the violation, or undefined.
 */
export function safetyViolation(older: SignedPath, newer: SignedPath, S: number): string | undefined {
  const n = Math.min(older.steps.length, newer.steps.length);
  for (let k = 0; k < n; k++) {
    const a = older.steps[k] as SignedStep;
    const b = newer.steps[k] as SignedStep;
    if (a.node !== b.node) return undefined; // the paths fork into different children: no shared node
    if (a.static) {
      if (a.instance !== b.instance) return `static node ${a.node} rebuilt`;
      continue;
    }
    if (a.instance === b.instance && a.state === b.state) continue; // same state transaction
    if (a.instance !== b.instance)
      return `node ${a.node}: the paths spend different kickoff outputs (instances ${a.instance}, ${b.instance}) below identical ancestors`;
    if (!(b.nSequence <= a.nSequence - S))
      return `node ${a.node}: newer nSequence ${b.nSequence} is not at least S=${S} below older ${a.nSequence}`;
    return undefined;
  }
  return undefined;
}

/** Checks every ordered pair of a log; returns the first violation found. */
export function firstViolation(log: readonly SignedPath[], S: number): string | undefined {
  for (let i = 0; i < log.length; i++)
    for (let j = i + 1; j < log.length; j++) {
      const older = log[i] as SignedPath;
      const newer = log[j] as SignedPath;
      const v = safetyViolation(older, newer, S);
      if (v !== undefined) return `${v} (paths #${i} leaf ${older.leaf}, #${j} leaf ${newer.leaf})`;
    }
  return undefined;
}
