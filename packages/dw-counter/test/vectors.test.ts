import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  advance,
  type BuildShapeOptions,
  buildShape,
  DwCounterError,
  type DwParams,
  type DwState,
  decodeState,
  encodeState,
  initialState,
  pathOf,
} from '../src/index.js';

interface Step {
  leaf: number;
  error?: string;
  kind?: string;
  epochReset?: boolean;
  advancedNode?: number;
  changed?: { node: number; state: number; instance: number; nSequence: number; kickoffRebuilt: boolean }[];
  superseded?: { leaf: number; counter: number }[];
  created?: { leaf: number; counter: number }[];
  path?: { node: number; instance: number; state: number; nSequence: number | null }[];
  nSequenceAll?: (number | null)[];
}
interface Vector {
  name: string;
  build: BuildShapeOptions;
  params: DwParams;
  shape: {
    nodeCount: number;
    staticCount: number;
    transactionCount: number;
    layerCount: number;
    nodes?: { id: number; parent: number; static: boolean; leaf: number; layer: number }[];
  };
  initialNSequenceAll?: (number | null)[];
  steps: Step[];
  finalEncodedHex?: string;
}

const file = JSON.parse(readFileSync(new URL('./vectors/dw-counter-v1.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
};
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const nseqAll = (st: DwState) => st.states.map((s) => (s < 0 ? null : st.params.S * (st.params.K - 1 - s)));

describe('published dw-counter vectors (test/vectors/dw-counter-v1.json)', () => {
  it('has the four published shapes', () => {
    expect(file.vectors.map((v) => v.name)).toEqual([
      'uneven-3-leaves-K2',
      'brief-default-N4',
      'static-root-two-subtrees',
      'wide-N1024-static2',
    ]);
  });

  for (const v of file.vectors) {
    it(`${v.name}: shape, every advance, nSequence per node and the final encoding match`, () => {
      const shape = buildShape(v.build);
      expect({
        nodeCount: shape.nodes.length,
        staticCount: shape.staticCount,
        transactionCount: 2 * shape.nodes.length - shape.staticCount,
        layerCount: shape.layerCount,
      }).toEqual({
        nodeCount: v.shape.nodeCount,
        staticCount: v.shape.staticCount,
        transactionCount: v.shape.transactionCount,
        layerCount: v.shape.layerCount,
      });
      if (v.shape.nodes)
        expect(
          shape.nodes.map((n) => ({
            id: n.id,
            parent: n.parent,
            static: n.static,
            leaf: n.leaf,
            layer: n.layer,
          })),
        ).toEqual(v.shape.nodes);
      let st = initialState(shape, v.params);
      if (v.initialNSequenceAll) expect(nseqAll(st)).toEqual(v.initialNSequenceAll);
      for (const step of v.steps) {
        if (step.error !== undefined) {
          const before = st;
          try {
            advance(st, step.leaf);
            expect.fail(`leaf ${step.leaf} should fail with ${step.error}`);
          } catch (e) {
            // The vectors name the fault (`EXHAUSTED`); the code carries the package prefix.
            expect(DwCounterError.isInstance(e) && e.code).toBe(`DW_${step.error}`);
          }
          expect(st).toBe(before);
          continue;
        }
        const r = advance(st, step.leaf);
        st = r.next;
        expect(r.kind).toBe(step.kind);
        expect(r.epochReset).toBe(step.epochReset);
        expect(r.advancedNode).toBe(step.advancedNode);
        expect(
          r.changed.map((x) => ({
            node: x.node,
            state: x.state,
            instance: x.instance,
            nSequence: x.nSequence,
            kickoffRebuilt: x.kickoffRebuilt,
          })),
        ).toEqual(step.changed);
        expect(r.superseded.map((x) => ({ leaf: x.leaf, counter: x.counter }))).toEqual(step.superseded);
        expect(r.created.map((x) => ({ leaf: x.leaf, counter: x.counter }))).toEqual(step.created);
        expect(
          pathOf(st, step.leaf).map((p) => ({
            node: p.node,
            instance: p.instance,
            state: p.state,
            nSequence: p.static ? null : p.nSequence,
          })),
        ).toEqual(step.path);
        if (step.nSequenceAll) expect(nseqAll(st)).toEqual(step.nSequenceAll);
      }
      if (v.finalEncodedHex !== undefined) {
        expect(hex(encodeState(st))).toBe(v.finalEncodedHex);
        const bytes = Uint8Array.from(v.finalEncodedHex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
        expect(decodeState(bytes)).toEqual(st);
      }
    });
  }

  it('hand-checked: uneven-3-leaves-K2 (K = 2, S = 10) matches the odometer worked by hand', () => {
    // nodes: 0 root (layer 0) → 1 (layer 1) → leaves 2, 3 (layer 2); 4 = leaf 2 (layer 1)
    const v = file.vectors[0]!;
    expect(v.initialNSequenceAll).toEqual([10, 10, 10, 10, 10]);
    const s = v.steps;
    // 1: leaf 0 → state 1 (waits 0)
    expect(s[0]).toMatchObject({ kind: 'leaf', advancedNode: 2, nSequenceAll: [10, 10, 0, 10, 10] });
    expect(s[0]!.superseded).toEqual([{ leaf: 0, counter: 0 }]);
    expect(s[0]!.created).toEqual([{ leaf: 0, counter: 3 }]);
    // 2: leaf layer full → carry into node 1; leaves 0 and 1 reset, kickoffs rebuilt. The initial tree
    // took c = 0, 1, 2 and step 1 took c = 3, so the two new leaf states take c = 4, 5.
    expect(s[1]).toMatchObject({ kind: 'carry', advancedNode: 1, nSequenceAll: [10, 0, 10, 10, 10] });
    expect(s[1]!.created).toEqual([
      { leaf: 0, counter: 4 },
      { leaf: 1, counter: 5 },
    ]);
    // 4: everything below the root is full → epoch reset: all 4 nodes below rebuilt
    expect(s[3]).toMatchObject({
      kind: 'carry',
      advancedNode: 0,
      epochReset: true,
      nSequenceAll: [0, 10, 10, 10, 10],
    });
    expect(s[3]!.changed!.map((c) => c.kickoffRebuilt)).toEqual([false, true, true, true, true]);
    // 8: 2^3 − 1 = 7 advances later, leaf 0 is exhausted; leaf 2 still has its own layer
    expect(s[7]).toEqual({ leaf: 0, error: 'EXHAUSTED' });
    expect(s[8]).toMatchObject({ kind: 'leaf', advancedNode: 4 });
  });
});
