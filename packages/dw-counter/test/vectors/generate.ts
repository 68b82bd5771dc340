// Regenerates dw-counter-v1.json: npx tsx --conditions=source test/vectors/generate.ts > test/vectors/dw-counter-v1.json
// The vectors are checked by test/vectors.test.ts; regenerate only on a deliberate format change.
import {
  advance,
  type BuildShapeOptions,
  buildShape,
  type DwParams,
  DwCounterError,
  encodeState,
  initialState,
  pathOf,
} from '../../src/index.js';

interface Case {
  name: string;
  comment: string;
  build: BuildShapeOptions;
  params: DwParams;
  advances: number[];
}

const cases: Case[] = [
  {
    name: 'uneven-3-leaves-K2',
    comment: 'levelArity [2], 3 leaves: leaves 0 and 1 at depth 2, leaf 2 at depth 1 (its own layer 1). Leaf 0 runs the odometer to exhaustion (2^3 − 1 advances), with carries and an epoch reset.',
    build: { leaves: 3, levelArity: [2], staticLevels: 0 },
    params: { K: 2, S: 10 },
    advances: [0, 0, 0, 0, 0, 0, 0, 0, 2],
  },
  {
    name: 'brief-default-N4',
    comment: 'N = 4 clients in leaves of 2 (2 leaves), the brief defaults K = 4, S = 144: leaf advances, a carry into the root (epoch reset), then the other leaf.',
    build: { leaves: 2 },
    params: { K: 4, S: 144 },
    advances: [0, 0, 0, 0, 1, 1, 0],
  },
  {
    name: 'static-root-two-subtrees',
    comment: 'Root static: two DW subtrees carry on their own. The left one is exhausted (EXHAUSTED, factory must rotate) while the right one is untouched and still advances.',
    build: { leaves: 4, levelArity: [2], staticLevels: 1 },
    params: { K: 2, S: 10 },
    advances: [0, 0, 0, 1, 0, 3, 3],
  },
  {
    name: 'wide-N1024-static2',
    comment: 'N = 1,024 in leaves of 2 (512 leaves), levelArity [2,4,8], staticLevels 2: 587 logical nodes, 1,171 transactions, 3 DW layers. Leaf 0 carries into its layer-1 and layer-0 ancestors.',
    build: { leaves: 512, levelArity: [2, 4, 8], staticLevels: 2 },
    params: { K: 4, S: 144 },
    advances: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 511],
  },
];

const nulls = (xs: readonly number[]) => xs.map((x) => (x < 0 ? null : x));

const out = cases.map((c) => {
  const shape = buildShape(c.build);
  const small = shape.nodes.length <= 20;
  let st = initialState(shape, c.params);
  const nseqAll = () => nulls(st.states.map((s) => (s < 0 ? -1 : c.params.S * (c.params.K - 1 - s))));
  const steps = c.advances.map((leaf) => {
    try {
      const r = advance(st, leaf);
      st = r.next;
      return {
        leaf,
        kind: r.kind,
        epochReset: r.epochReset,
        advancedNode: r.advancedNode,
        changed: r.changed.map((x) => ({
          node: x.node,
          state: x.state,
          instance: x.instance,
          nSequence: x.nSequence,
          kickoffRebuilt: x.kickoffRebuilt,
        })),
        superseded: r.superseded.map((x) => ({ leaf: x.leaf, counter: x.counter })),
        created: r.created.map((x) => ({ leaf: x.leaf, counter: x.counter })),
        path: pathOf(st, leaf).map((p) => ({ node: p.node, instance: p.instance, state: p.state, nSequence: p.static ? null : p.nSequence })),
        nSequenceAll: nseqAll(),
      };
    } catch (e) {
      if (!DwCounterError.isInstance(e)) throw e;
      return { leaf, error: e.code };
    }
  });
  return {
    name: c.name,
    comment: c.comment,
    build: c.build,
    params: c.params,
    shape: {
      nodeCount: shape.nodes.length,
      staticCount: shape.staticCount,
      transactionCount: 2 * shape.nodes.length - shape.staticCount,
      layerCount: shape.layerCount,
      ...(small ? { nodes: shape.nodes.map((n) => ({ id: n.id, parent: n.parent, static: n.static, leaf: n.leaf, layer: n.layer })) } : {}),
    },
    initialNSequenceAll: nulls(initialState(shape, c.params).states.map((s) => (s < 0 ? -1 : c.params.S * (c.params.K - 1)))),
    steps,
    finalEncodedHex: Buffer.from(encodeState(st)).toString('hex'),
  };
});

// arrays of numbers and nulls on one line each, the rest indented
const compact = (json: string) => json.replace(/\[[\d\s,null-]*\]/g, (m) => m.replace(/\s+/g, ''));
console.log(
  compact(JSON.stringify(
    {
      description:
        '@superscalar/dw-counter vectors v1 (our own construction). Shapes follow protocol brief §3.1 (build = leaves, levelArity, staticLevels); node ids are pre-order, leaves numbered in placement order. nSequence(s) = S·(K−1−s) (BIP68 blocks); null for static (kickoff-only) nodes. Each step advances one leaf: the leaf itself if it has room, else the nearest ancestor state-node with room inside its DW subtree (every state below reset to 0, every kickoff below rebuilt: instance + 1). counter = the per-factory leaf-state counter c (brief §5.3). error EXHAUSTED = the factory must rotate; the state is unchanged. finalEncodedHex = the v1 binary encoding of the final state.',
      vectors: out,
    },
    null,
    1,
  )),
);
