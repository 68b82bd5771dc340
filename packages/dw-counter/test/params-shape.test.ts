import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  bip68Blocks,
  buildShape,
  DwCounterError,
  dwExitDelay,
  InvalidArgumentError,
  type InvalidDwParamsError,
  InvalidShapeError,
  nSequenceForState,
  shapeFromSpec,
  shapeToSpec,
  type TreeShape,
  validateDwParams,
} from '../src/index.js';
import { arbSpec } from './_arbitraries.js';

function paramsError(K: number, S: number): InvalidDwParamsError {
  try {
    validateDwParams({ K, S });
  } catch (e) {
    expect(DwCounterError.isInstance(e)).toBe(true);
    return e as InvalidDwParamsError;
  }
  throw new Error('expected InvalidDwParamsError');
}

describe('DW parameters (brief §2, §3.3)', () => {
  it('nSequence(s) = S·(K−1−s): state 0 waits longest, state K−1 waits 0 blocks', () => {
    expect([0, 1, 2, 3].map((s) => nSequenceForState({ K: 4, S: 144 }, s))).toEqual([432, 288, 144, 0]);
    expect(nSequenceForState({ K: 256, S: 257 }, 0)).toBe(65_535);
  });

  it('consecutive states differ by exactly S and never set BIP68 disable/type bits (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 256 }), fc.integer({ min: 1, max: 65_535 }), (K, S) => {
        fc.pre(S * (K - 1) <= 65_535);
        const bad: number[] = [];
        for (let s = 0; s < K; s++) {
          const n = nSequenceForState({ K, S }, s);
          if ((n & ~0xffff) !== 0) bad.push(s);
          if (s > 0 && nSequenceForState({ K, S }, s - 1) - n !== S) bad.push(s);
        }
        expect(bad).toEqual([]);
      }),
      { numRuns: propertyRuns(200, 50) },
    );
  });

  it('rejects K outside 2..256, S < 1 and S·(K−1) > 65,535 naming the field and figure', () => {
    expect(paramsError(1, 10)).toMatchObject({ field: 'K', figure: 1 });
    expect(paramsError(257, 10)).toMatchObject({ field: 'K', figure: 257 });
    expect(paramsError(4, 0)).toMatchObject({ field: 'S', figure: 0 });
    expect(paramsError(4, 1.5)).toMatchObject({ field: 'S', figure: 1.5 });
    const e = paramsError(256, 258);
    expect(e).toMatchObject({ field: 'S·(K−1)', figure: 65_790, code: 'DW_INVALID_PARAMS' });
    expect(e.message).toContain('65790');
    expect(validateDwParams({ K: 256, S: 257 })).toEqual({ K: 256, S: 257 });
  });

  it('BIP68 block locks: 0..65535 only', () => {
    expect(bip68Blocks(65_535)).toBe(65_535);
    expect(() => bip68Blocks(65_536)).toThrow(InvalidArgumentError);
    expect(() => bip68Blocks(-1)).toThrow(InvalidArgumentError);
    expect(() => nSequenceForState({ K: 4, S: 1 }, 4)).toThrow(/state/);
  });
});

const txCount = (s: TreeShape) => 2 * s.nodes.length - s.staticCount;

describe('tree shape (brief §3.1)', () => {
  it('reproduces the brief’s transaction counts', () => {
    expect(txCount(buildShape({ leaves: 2 }))).toBe(6); // N = 4, leaf arity 2
    expect(txCount(buildShape({ leaves: 32 }))).toBe(126); // N = 64, leaf arity 2
    expect(txCount(buildShape({ leaves: 64 }))).toBe(254); // N = 64, leaf arity 1
    expect(txCount(buildShape({ leaves: 512 }))).toBe(2046); // N = 1,024, leaf arity 2
    expect(txCount(buildShape({ leaves: 1024 }))).toBe(4094); // N = 1,024, leaf arity 1
    const wide = buildShape({ leaves: 512, levelArity: [2, 4, 8], staticLevels: 2 });
    expect(wide.nodes.length).toBe(587);
    expect(txCount(wide)).toBe(1171);
    expect(wide.layerCount).toBe(3);
    expect(buildShape({ leaves: 512 }).layerCount).toBe(10); // "10 state levels"
  });

  it('reproduces the brief’s §3.4 exit delays', () => {
    const p = { K: 4, S: 144 };
    expect(dwExitDelay(buildShape({ leaves: 512 }).layerCount, p)).toBe(4320);
    const wide = buildShape({ leaves: 512, levelArity: [2, 4, 8], staticLevels: 2 });
    expect(dwExitDelay(wide.layerCount, p)).toBe(1296);
    expect(dwExitDelay(wide.layerCount, { K: 4, S: 72 })).toBe(648);
    expect(
      dwExitDelay(buildShape({ leaves: 512, levelArity: [2, 4, 8], staticLevels: 3 }).layerCount, p),
    ).toBe(864);
  });

  it('children take contiguous runs, the first L mod k with ⌈L/k⌉ leaves (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }),
        fc.array(fc.integer({ min: 2, max: 9 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 4 }),
        (L, levelArity, staticLevels) => {
          const shape = buildShape({ leaves: L, levelArity, staticLevels });
          expect(shape.leaves.length).toBe(L);
          // leaves are numbered left to right in pre-order
          expect(shape.leaves.map((id) => shape.nodes[id]!.leaf)).toEqual(shape.leaves.map((_, i) => i));
          const prefix = [0];
          for (const n of shape.nodes) prefix.push(prefix[prefix.length - 1]! + (n.leaf >= 0 ? 1 : 0));
          const leafCount = (id: number) => prefix[shape.nodes[id]!.end]! - prefix[id]!;
          for (const n of shape.nodes) {
            const below = leafCount(n.id);
            if (n.leaf >= 0) continue;
            const k = Math.min(levelArity[Math.min(n.depth, levelArity.length - 1)]!, below);
            const sizes = n.children.map(leafCount);
            const big = below % k;
            const want = sizes.map((_, i) => (i < big ? Math.ceil(below / k) : Math.floor(below / k)));
            // "a node with one leaf below is that leaf"; k children; contiguous ⌈L/k⌉ then ⌊L/k⌋ runs
            if (
              below < 2 ||
              n.children.length !== k ||
              sizes.join() !== want.join() ||
              n.static !== n.depth < staticLevels
            )
              expect.fail(`node ${n.id}: ${below} leaves, children ${sizes.join()} (want ${want.join()})`);
          }
          for (const id of shape.leaves) expect(shape.nodes[id]!.static).toBe(false);
          // a state-node's layer counts the state-nodes above it
          for (const n of shape.nodes) {
            let above = 0;
            for (let p = n.parent; p >= 0; p = shape.nodes[p]!.parent) if (!shape.nodes[p]!.static) above++;
            if (n.layer !== (n.static ? -1 : above))
              expect.fail(`node ${n.id}: layer ${n.layer}, want ${above}`);
          }
        },
      ),
      { numRuns: propertyRuns(300, 60) },
    );
  });

  it('builds uneven trees: a leaf state’s layer is the layer of its own depth', () => {
    const shape = buildShape({ leaves: 3 });
    expect(shape.leaves.map((id) => shape.nodes[id]!.layer)).toEqual([2, 2, 1]);
  });

  it('spec round trip: shapeFromSpec(shapeToSpec(s)) is s (property)', () => {
    fc.assert(
      fc.property(arbSpec, (spec) => {
        const shape = shapeFromSpec(spec);
        expect(shapeFromSpec(shapeToSpec(shape))).toEqual(shape);
      }),
      { numRuns: propertyRuns(300, 60) },
    );
  });

  it('rejects a static leaf, a static node under a state-node and bad build options', () => {
    expect(() => shapeFromSpec({ static: true })).toThrow(InvalidShapeError);
    expect(() => shapeFromSpec({ children: [{ static: true, children: [{}] }, {}] })).toThrow(
      /static node must not sit below/,
    );
    expect(() => buildShape({ leaves: 0 })).toThrow(/options.leaves/);
    expect(() => buildShape({ leaves: 4, levelArity: [2, 201] })).toThrow(/levelArity\[1\]/);
    expect(() => buildShape({ leaves: 4, levelArity: [1] })).toThrow(InvalidArgumentError);
    expect(() => buildShape({ leaves: 4, staticLevels: -1 })).toThrow(/staticLevels/);
  });
});
