// The O(depth) path state: the projection of a whole tree's state on one path, the client's own step
// after an advance (against planAdvance over the whole tree), and the refusals of malformed states.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import { abandonPlan, advanceCounters, planAdvance } from '../src/advance.js';
import { buildClientPath } from '../src/clientPath.js';
import { InvalidAllocationError, InvalidArgumentError } from '../src/errors.js';
import { advanceClientPathState, type ClientPathState, clientPathState } from '../src/pathState.js';
import { buildTree, type FactoryTree } from '../src/transactions.js';
import { hashesFor, makeProposal, sell, thrown } from './_fixtures.js';

const runs = propertyRuns(40, 10);

describe('clientPathState', () => {
  it('of the initial tree is the initial path state buildClientPath starts from, for every client', () => {
    for (const o of [{ N: 6 }, { N: 9, leafArity: 1 as const, levelArity: [3, 2], staticLevels: 1 }]) {
      const { proposal } = makeProposal(o);
      const tree = buildTree(proposal);
      for (let c = 0; c < proposal.clients.length; c++) {
        const s = clientPathState(tree, c);
        const cp = buildClientPath(proposal, c);
        expect(s).toEqual(cp.state);
        // one entry per state node on the path (static kickoffs have none)
        expect(s.states).toHaveLength(cp.txs.filter((t) => t.kind === 'state').length);
        expect(s.counter).toBe(cp.leaf);
      }
    }
  });
});

describe('advanceClientPathState', () => {
  it(`follows planAdvance over the whole tree, client by client (${runs} runs)`, { timeout: 120_000 }, () => {
    console.log(`path state advance: ${runs} runs`);
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 7 }),
        fc.constantFrom(1, 2),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 1000 }), fc.boolean()), { minLength: 1, maxLength: 6 }),
        (N, leafArity, steps) => {
          const { proposal } = makeProposal({
            N,
            leafArity: leafArity as 1 | 2,
            overrides: { dw: { K: 2, S: 5 } },
          });
          let tree: FactoryTree = buildTree(proposal);
          // each client keeps only its own path and path state
          let paths = proposal.clients.map((_, c) => buildClientPath(proposal, c));
          const L = tree.layout.leafClients.length;
          for (const [pick, amount, abandon] of steps) {
            const leaf = pick % L;
            try {
              advanceCounters(tree, leaf);
            } catch {
              break; // exhausted: the factory would rotate
            }
            const poisonHashes = hashesFor(tree, leaf);
            const allocation = sell(tree, leaf, 0, BigInt(amount));
            const plan = planAdvance(tree, {
              leaf,
              allocations: new Map([[leaf, allocation]]),
              poisonHashes,
            });
            if (abandon) {
              tree = abandonPlan(plan); // retires counters only: no path changes
              continue;
            }
            const created = new Map(plan.dw.created.map((x) => [x.leaf, x.counter]));
            paths = paths.map((cp) => {
              const c = created.get(cp.leaf);
              if (c === undefined) return cp; // its path is not re-signed
              const next = advanceClientPathState(cp, {
                node: plan.dw.advancedNode,
                counter: c,
                poisonHash: poisonHashes.get(c) as Uint8Array,
                ...(cp.leaf === leaf ? { allocation } : {}),
              });
              return buildClientPath(proposal, cp.client, { state: next });
            });
            tree = plan.next;
          }
          for (const cp of paths) {
            expect(cp.state).toEqual(clientPathState(tree, cp.client));
            expect(cp.txs.map((t) => t.txid)).toEqual(cp.txs.map((t) => tree.txs[t.index]?.txid));
            expect(cp.txs.map((t) => t.instance)).toEqual(cp.txs.map((t) => tree.txs[t.index]?.instance));
          }
        },
      ),
      { numRuns: runs },
    );
  });

  it('refuses a node off the path or without room, a counter not above the current one, a bad hash or allocation', () => {
    const { proposal } = makeProposal({ N: 6, overrides: { dw: { K: 2, S: 5 } } });
    const cp = buildClientPath(proposal, 0);
    const leafNode = cp.txs.at(-1)?.node as number;
    const other = buildClientPath(proposal, 5).txs.at(-1)?.node as number;
    const ok = { node: leafNode, counter: 9, poisonHash: new Uint8Array(32) };
    const argument = (f: () => unknown) => {
      const e = thrown(f);
      expect(InvalidArgumentError.isInstance(e)).toBe(true);
      return (e as InvalidArgumentError).argument;
    };
    expect(advanceClientPathState(cp, ok).states.at(-1)).toBe(1);
    expect(argument(() => advanceClientPathState(cp, { ...ok, node: other }))).toBe('advance.node');
    const full: ClientPathState = { ...cp.state, states: cp.state.states.map(() => 1) }; // K = 2: no room
    expect(argument(() => advanceClientPathState({ ...cp, state: full }, ok))).toBe('advance.node');
    expect(argument(() => advanceClientPathState(cp, { ...ok, counter: cp.state.counter }))).toBe(
      'advance.counter',
    );
    expect(argument(() => advanceClientPathState(cp, { ...ok, poisonHash: new Uint8Array(31) }))).toBe(
      'advance.poisonHash',
    );
    const a = cp.state.allocation;
    const e = thrown(() =>
      advanceClientPathState(cp, { ...ok, allocation: { ...a, lStock: a.lStock + 1n } }),
    );
    expect(InvalidAllocationError.isInstance(e)).toBe(true);
  });
});

describe('buildClientPath refuses a malformed path state with a typed error', () => {
  const { proposal } = makeProposal({ N: 6 });
  const s = buildClientPath(proposal, 2).state;
  const argument = (state: unknown) => {
    const e = thrown(() => buildClientPath(proposal, 2, { state: state as ClientPathState }));
    expect(InvalidArgumentError.isInstance(e)).toBe(true);
    return (e as InvalidArgumentError).argument;
  };

  it('names the field', () => {
    expect(argument(null)).toBe('options.state');
    expect(argument({ ...s, states: s.states.slice(1) })).toBe('options.state.states');
    expect(argument({ ...s, instances: [...s.instances, 0] })).toBe('options.state.instances');
    expect(argument({ ...s, states: s.states.map(() => proposal.dw.K) })).toBe('options.state.states[0]');
    expect(argument({ ...s, counter: 2 ** 48 })).toBe('options.state.counter');
    expect(argument({ ...s, poisonHash: new Uint8Array(33) })).toBe('options.state.poisonHash');
    const e = thrown(() =>
      buildClientPath(proposal, 2, {
        state: { ...s, allocation: { ...s.allocation, lStock: s.allocation.lStock - 1n } },
      }),
    );
    expect(InvalidAllocationError.isInstance(e)).toBe(true);
  });
});
