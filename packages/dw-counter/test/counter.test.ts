import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  abandonAdvance,
  advance,
  advancesLeft,
  buildShape,
  canAdvance,
  type DwState,
  ExhaustedError,
  InvalidArgumentError,
  initialState,
  nodeState,
  pathOf,
  shapeFromSpec,
} from '../src/index.js';
import { arbParams, arbShape, firstViolation, type SignedPath, signedPath } from './_arbitraries.js';

const arbRun = fc.record({
  shape: arbShape,
  params: arbParams,
  // biased towards a few leaves so that carries, epoch resets and exhaustion happen often
  picks: fc.array(fc.oneof(fc.nat({ max: 2 }), fc.nat()), { minLength: 1, maxLength: 60 }),
});

interface Replay {
  log: SignedPath[];
  states: DwState[];
  exhausted: number;
  carries: number;
  epochResets: number;
}

/** Replays random advances, logging every signed path (initial tree, then each advance's new paths). */
function replay(
  shape: ReturnType<typeof buildShape>,
  params: { K: number; S: number },
  picks: number[],
): Replay {
  let st = initialState(shape, params);
  const log: SignedPath[] = shape.leaves.map((_, leaf) => signedPath(st, leaf, 0));
  const states = [st];
  let exhausted = 0;
  let carries = 0;
  let epochResets = 0;
  picks.forEach((pick, i) => {
    const leaf = pick % shape.leaves.length;
    try {
      const r = advance(st, leaf);
      if (r.kind === 'carry') carries++;
      if (r.epochReset) epochResets++;
      st = r.next;
      states.push(st);
      for (const c of r.created) log.push(signedPath(st, c.leaf, i + 1));
    } catch (e) {
      expect(e).toBeInstanceOf(ExhaustedError);
      exhausted++;
    }
  });
  return { log, states, exhausted, carries, epochResets };
}

describe('§5.2 safety rule', () => {
  it('for any two signed root-to-leaf paths, at the top-most differing state the newer spends the same kickoff output and waits ≥ S less (random shapes and advances)', () => {
    const seen = { paths: 0, carries: 0, epochResets: 0, exhausted: 0 };
    const numRuns = propertyRuns(400, 80);
    fc.assert(
      fc.property(arbRun, ({ shape, params, picks }) => {
        const r = replay(shape, params, picks);
        seen.paths += r.log.length;
        seen.carries += r.carries;
        seen.epochResets += r.epochResets;
        seen.exhausted += r.exhausted;
        expect(firstViolation(r.log, params.S)).toBeUndefined();
      }),
      { numRuns },
    );
    console.log(`§5.2 safety: ${numRuns} runs, ${JSON.stringify(seen)}`);
    // the runs must exercise carries, epoch resets and exhaustion, or the property proves little
    expect(seen.carries).toBeGreaterThan(0);
    expect(seen.epochResets).toBeGreaterThan(0);
    expect(seen.exhausted).toBeGreaterThan(0);
  });

  it('the checker itself catches a violation: the same log read newest-first fails', () => {
    // Guard against a checker that can never fail: reverse a log with carries in it.
    const shape = buildShape({ leaves: 4, levelArity: [2] });
    const { log } = replay(shape, { K: 2, S: 7 }, [0, 0, 0, 1, 2, 3]);
    const reversed = [...log].reverse().map((p, i) => ({ ...p, seq: i }));
    expect(firstViolation(reversed, 7)).toMatch(/not at least S|different kickoff outputs/);
    // and a path whose kickoff instance changed with no ancestor change is flagged too
    const forged = log.map((p) => ({ ...p, steps: p.steps.map((s) => ({ ...s })) }));
    const last = forged[forged.length - 1] as SignedPath;
    const leafStep = last.steps[last.steps.length - 1] as { instance: number };
    leafStep.instance += 1000;
    expect(firstViolation(forged, 7)).toBeDefined();
  });
});

describe('advance reports exactly what changed', () => {
  it('changed = the advanced node and every state below it; nothing outside its subtree moves; superseded/created = leaves under it', () => {
    fc.assert(
      fc.property(arbRun, ({ shape, params, picks }) => {
        let st = initialState(shape, params);
        for (const pick of picks) {
          const leaf = pick % shape.leaves.length;
          if (!canAdvance(st, leaf)) continue;
          const r = advance(st, leaf);
          const diff = shape.nodes
            .map((n) => n.id)
            .filter((id) => st.states[id] !== r.next.states[id] || st.instances[id] !== r.next.instances[id]);
          const top = shape.nodes[r.advancedNode]!;
          const subtree = shape.nodes.slice(top.id, top.end).map((n) => n.id);
          expect(r.changed.map((c) => c.node)).toEqual(subtree);
          expect(diff).toEqual(subtree); // every node below changes (state reset or instance bump)
          expect(r.next.states[top.id]).toBe(st.states[top.id]! + 1);
          expect(r.next.instances[top.id]).toBe(st.instances[top.id]);
          const leavesUnder = subtree.map((id) => shape.nodes[id]!.leaf).filter((l) => l >= 0);
          expect(r.superseded.map((x) => x.leaf)).toEqual(leavesUnder);
          expect(r.created.map((x) => x.leaf)).toEqual(leavesUnder);
          expect(leavesUnder).toContain(leaf);
          // the path to the advanced node is the leaf's own: the carry stays on it
          expect(pathOf(st, leaf).map((s) => s.node)).toContain(top.id);
          // counters: fresh, consecutive, in placement order; superseded ones were the current ones
          expect(r.created.map((x) => x.counter)).toEqual(leavesUnder.map((_, i) => st.nextCounter + i));
          expect(r.superseded.map((x) => x.counter)).toEqual(leavesUnder.map((l) => st.leafCounters[l]));
          expect(r.kind).toBe(r.advancedNode === shape.leaves[leaf] ? 'leaf' : 'carry');
          st = r.next;
        }
      }),
      { numRuns: propertyRuns(300, 60) },
    );
  });

  it('never mutates its input state', () => {
    fc.assert(
      fc.property(arbRun, ({ shape, params, picks }) => {
        const st = initialState(shape, params);
        const snapshot = JSON.stringify(st);
        for (const pick of picks) {
          const leaf = pick % shape.leaves.length;
          if (canAdvance(st, leaf)) advance(st, leaf);
        }
        expect(JSON.stringify(st)).toBe(snapshot);
        expect(Object.isFrozen(st.states)).toBe(true);
      }),
      { numRuns: propertyRuns(100, 20) },
    );
  });

  it('no leaf-state counter c is ever handed out twice, across advances and abandoned attempts', () => {
    fc.assert(
      fc.property(arbRun, fc.array(fc.boolean(), { maxLength: 60 }), ({ shape, params, picks }, aborts) => {
        let st = initialState(shape, params);
        const used = new Set<number>(st.leafCounters);
        picks.forEach((pick, i) => {
          const leaf = pick % shape.leaves.length;
          if (!canAdvance(st, leaf)) return;
          const r = advance(st, leaf);
          for (const c of r.created) {
            expect(used.has(c.counter)).toBe(false);
            used.add(c.counter);
          }
          st = aborts[i] === true ? abandonAdvance(st, r) : r.next;
        });
      }),
      { numRuns: propertyRuns(200, 40) },
    );
  });
});

describe('exhaustion and the odometer', () => {
  it('a lone leaf advances exactly K^m − 1 times, m = state-nodes on its path, then ExhaustedError', () => {
    fc.assert(
      fc.property(arbShape, fc.integer({ min: 2, max: 3 }), fc.nat(), (shape, K, pick) => {
        const leaf = pick % shape.leaves.length;
        let st = initialState(shape, { K, S: 1 });
        const m = pathOf(st, leaf).filter((s) => !s.static).length;
        fc.pre(K ** m <= 2000);
        let n = 0;
        while (canAdvance(st, leaf)) {
          expect(advancesLeft(st, leaf)).toBe(BigInt(K ** m - 1 - n));
          st = advance(st, leaf).next;
          n++;
        }
        expect(n).toBe(K ** m - 1);
        expect(advancesLeft(st, leaf)).toBe(0n);
        expect(() => advance(st, leaf)).toThrow(ExhaustedError);
      }),
      { numRuns: propertyRuns(200, 40) },
    );
  });

  it('with static levels each subtree under the static kickoffs carries on its own', () => {
    // 4 leaves, binary, root static: two independent DW subtrees of 2 layers each (K = 2).
    const shape = buildShape({ leaves: 4, levelArity: [2], staticLevels: 1 });
    let st = initialState(shape, { K: 2, S: 5 });
    const right = (s: DwState) => JSON.stringify([s.states.slice(4), s.instances.slice(4)]);
    const before = right(st);
    for (let i = 0; i < 3; i++) st = advance(st, 0).next; // 2^2 − 1 advances exhaust the left subtree
    expect(() => advance(st, 0)).toThrow(ExhaustedError);
    st = advance(st, 1).next; // the sibling was reset by the carry: its own layer still has room
    expect(() => advance(st, 1)).toThrow(ExhaustedError);
    expect(right(st)).toBe(before); // the right subtree never moved
    expect(canAdvance(st, 2)).toBe(true);
    const r = advance(st, 2);
    expect(r.changed.every((c) => c.node >= 4)).toBe(true);
    try {
      advance(st, 0);
    } catch (e) {
      expect((e as ExhaustedError).topNode).toBe(1);
      expect((e as ExhaustedError).leaf).toBe(0);
    }
  });

  it('the root case is the epoch reset: all states below reset to 0 and every kickoff below is rebuilt', () => {
    const shape = buildShape({ leaves: 4, levelArity: [2] });
    let st = initialState(shape, { K: 2, S: 3 });
    st = advance(st, 0).next; // leaf 0 → 1
    st = advance(st, 0).next; // carry into node 1
    st = advance(st, 0).next; // leaf 0 → 1
    const r = advance(st, 0); // carry into the root: epoch reset
    expect(r.kind).toBe('carry');
    expect(r.epochReset).toBe(true);
    expect(r.advancedNode).toBe(0);
    expect(r.changed.length).toBe(shape.nodes.length);
    expect(r.superseded.length).toBe(4);
    expect(r.next.states).toEqual([1, 0, 0, 0, 0, 0, 0]);
    expect(r.changed.filter((c) => c.kickoffRebuilt).length).toBe(shape.nodes.length - 1);
  });

  it('has no cap on layers: a 12-layer chain with K = 2 takes 4,095 advances', () => {
    let spec = {};
    for (let i = 0; i < 11; i++) spec = { children: [spec] };
    const shape = shapeFromSpec(spec);
    expect(shape.layerCount).toBe(12);
    let st = initialState(shape, { K: 2, S: 1 });
    let n = 0;
    while (canAdvance(st, 0)) {
      st = advance(st, 0).next;
      n++;
    }
    expect(n).toBe(4095);
  });
});

describe('queries and argument checks', () => {
  it('abandonAdvance refuses an attempt from another tree', () => {
    const a = initialState(buildShape({ leaves: 3 }), { K: 4, S: 10 });
    const b = initialState(buildShape({ leaves: 5 }), { K: 4, S: 10 });
    expect(() => abandonAdvance(a, advance(b, 0))).toThrow(/attempt/);
    expect(abandonAdvance(a, advance(a, 0)).nextCounter).toBe(4);
  });

  it('nodeState and pathOf report the nSequence S·(K−1−s)', () => {
    const shape = buildShape({ leaves: 3 });
    const st = advance(initialState(shape, { K: 4, S: 144 }), 2).next;
    expect(nodeState(st, 0)).toEqual({ instance: 0, state: 0, nSequence: 432 });
    expect(pathOf(st, 2).map((s) => s.nSequence)).toEqual([432, 288]);
  });

  it('rejects an unknown leaf or node', () => {
    const st = initialState(buildShape({ leaves: 3 }), { K: 4, S: 144 });
    expect(() => advance(st, 3)).toThrow(InvalidArgumentError);
    expect(() => advance(st, -1)).toThrow(/leaf/);
    expect(() => nodeState(st, 99)).toThrow(/node/);
    expect(() => advance({} as DwState, 0)).toThrow(InvalidArgumentError);
  });
});
