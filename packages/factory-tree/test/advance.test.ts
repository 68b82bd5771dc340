import { schnorr } from '@noble/curves/secp256k1.js';
import { BelowDustError } from '@superscalar/tx';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  type AdvancePlan,
  abandonPlan,
  advanceCounters,
  planAdvance,
  signJobsSimulated,
} from '../src/advance.js';
import { InvalidAllocationError, InvalidArgumentError, SigningError } from '../src/errors.js';
import { buildPoison } from '../src/poison.js';
import { settlementPayout } from '../src/settlement.js';
import { buildTree, type LeafAllocation, lStockOutput } from '../src/transactions.js';
import { feeFor } from '../src/tree.js';
import { adv, hashesFor, makeProposal, sell, thrown } from './_fixtures.js';

describe('§5.1 per-leaf advance', () => {
  const { proposal, sks } = makeProposal({ N: 4 });
  const tree = buildTree(proposal);
  const plan = adv(tree, 0, sell(tree, 0, 0, 10_000n));

  it('signs exactly the leaf’s new state: nSequence smaller by S, same kickoff outpoint', () => {
    expect(plan.kind).toBe('leaf');
    expect(plan.newTxs.map((t) => t.index)).toEqual([
      tree.layout.nodeTxs[tree.layout.shape.leaves[0] as number]?.state,
    ]);
    const [n] = plan.newTxs;
    const old = tree.txs[n?.index as number];
    expect(n?.tx.inputs[0]?.sequence).toBe((old?.tx.inputs[0]?.sequence as number) - proposal.dw.S);
    expect(n?.tx.inputs[0]?.txidBytes).toEqual(old?.tx.inputs[0]?.txidBytes);
    expect(n?.tx.inputs[0]?.vout).toBe(old?.tx.inputs[0]?.vout);
    expect(n?.dwState).toBe(1);
    expect(n?.tx.outputs.map((o) => o.value)).toEqual([
      110_000n,
      100_000n,
      (tree.state.allocations[0]?.lStock as bigint) - 10_000n,
      240n,
    ]);
    // The other leaf and every ancestor are untouched.
    for (const t of plan.next.txs) if (t.index !== n?.index) expect(t.txid).toEqual(tree.txs[t.index]?.txid);
    // The new L-stock commits the new counter's poison hash.
    expect(plan.dw.created.map((c) => c.counter)).toEqual([2]);
    expect(n?.outputRoles[2]).toEqual({ kind: 'lstock', leaf: 0, counter: 2 });
  });

  it('poison of the superseded L-stock: lost_i + equal share of R, remainder to the last client, exact fee', () => {
    const [s] = plan.superseded;
    expect(s?.counter).toBe(0);
    const poison = s?.poison;
    expect(poison).toBeDefined();
    if (!poison) return;
    const oldL = tree.state.allocations[0]?.lStock as bigint;
    const R = oldL - 10_000n - 240n - poison.fee;
    expect(poison.payouts.map((x) => x.lost)).toEqual([10_000n, 0n]);
    expect(poison.payouts.map((x) => x.amount)).toEqual([10_000n + R / 2n, R - R / 2n]);
    expect(poison.tx.outputs.map((o) => o.script)).toEqual([
      proposal.clients[0]?.closeScript,
      proposal.clients[1]?.closeScript,
      Uint8Array.of(0x51, 0x02, 0x4e, 0x73),
    ]);
    expect(poison.tx).toMatchObject({ version: 3, locktime: 0, inputs: [{ sequence: 0xfffffffd, vout: 2 }] });
    expect(poison.tx.inputs[0]?.txidBytes).toEqual(s?.stateTx.txidBytes);
    // [64-byte sig, 32-byte secret, 73-byte leaf, 65-byte control]: 1 + 65 + 33 + 74 + 66 = 239 witness bytes.
    expect(poison.controlBlock.length).toBe(65);
    expect(poison.fee).toBe(feeFor(proposal.treeFeeRate, poison.vsize));
  });

  it('settlements pay each client channel output − 240 − fee, then a 240-sat anchor', () => {
    const [s] = plan.superseded;
    expect(s?.settlements.map((e) => e.client)).toEqual([0, 1]);
    for (const e of s?.settlements ?? []) {
      const st = e.settlement;
      expect(st).toBeDefined();
      if (!st) continue;
      expect(st.tx.outputs[0]?.value).toBe(100_000n - 240n - st.fee);
      expect(st.tx.outputs[1]?.value).toBe(240n);
      expect(st.tx).toMatchObject({
        version: 3,
        locktime: 0,
        inputs: [{ sequence: 0xfffffffd, vout: e.vout }],
      });
      expect(st.fee).toBe(feeFor(proposal.treeFeeRate, st.vsize));
    }
  });

  it('jobs: the new state, then poison and settlements, each signed by its own signer set', () => {
    expect(plan.jobs.map((j) => j.id)).toEqual([
      'tx 3',
      'poison c=0',
      'settlement c=0 client=0',
      'settlement c=0 client=1',
    ]);
    expect(plan.jobs.map((j) => [...j.signers].sort())).toEqual([
      [0, 1, 2],
      [0, 1, 2],
      [0, 1],
      [0, 2],
    ]);
    expect(plan.jobs[1]?.tweak).toBeUndefined();
    const sigs = signJobsSimulated(plan.jobs, tree.keys, sks);
    plan.jobs.forEach((j, i) => {
      expect(schnorr.verify(sigs[i] as Uint8Array, j.sighash, j.outputKey)).toBe(true);
    });
    const bad = thrown(() =>
      signJobsSimulated(plan.jobs, tree.keys, sks, {
        tamper: (id, who, psig) =>
          id === 'poison c=0' && who === 2 ? Uint8Array.from(psig).fill(1, 0, 4) : psig,
      }),
    );
    expect(SigningError.isInstance(bad) && (bad as SigningError).signer).toBe(2);
  });

  it('amount conservation and dust: typed errors naming the leaf and figure', () => {
    const a = tree.state.allocations[0] as LeafAllocation;
    const e1 = thrown(() => adv(tree, 0, { capacities: a.capacities, lStock: a.lStock + 1n }));
    expect(InvalidAllocationError.isInstance(e1) && (e1 as InvalidAllocationError).leaf).toBe(0);
    expect((e1 as InvalidAllocationError).figure).toBe(a.lStock + 1n + 200_000n);
    const e2 = thrown(() =>
      adv(tree, 0, { capacities: [329n, (a.capacities[1] as bigint) + 100_000n - 329n], lStock: a.lStock }),
    );
    expect((e2 as InvalidAllocationError).field).toBe('request.allocations[0].capacities[0]');
    const e3 = thrown(() => adv(tree, 0, sell(tree, 0, 1, a.lStock - 100n)));
    expect((e3 as InvalidAllocationError).field).toBe('request.allocations[0].lStock');
    // A leaf not below the advanced node is not re-signed.
    const e4 = thrown(() =>
      planAdvance(tree, {
        leaf: 0,
        allocations: new Map([[1, tree.state.allocations[1] as LeafAllocation]]),
        poisonHashes: hashesFor(tree, 0),
      }),
    );
    expect(InvalidArgumentError.isInstance(e4) && (e4 as InvalidArgumentError).argument).toBe(
      'request.allocations[1]',
    );
    const e5 = thrown(() => planAdvance(tree, { leaf: 0, poisonHashes: new Map() }));
    expect((e5 as InvalidArgumentError).argument).toBe('request.poisonHashes[2]');
    const extra = new Map([...hashesFor(tree, 0), [7, new Uint8Array(32)]]);
    const e6 = thrown(() => planAdvance(tree, { leaf: 0, poisonHashes: extra }));
    expect((e6 as InvalidArgumentError).argument).toBe('request.poisonHashes[7]');
  });

  it('no poison when a client output would be below dust; no settlement below dust; both reported', () => {
    // Client 1's capacity is almost the whole leaf; the L-stock is tiny, so R < 0 after selling.
    const small = makeProposal({
      N: 2,
      leafArity: 2,
      capacity: (i) => (i === 0 ? 500n : 50_000n),
      lStockEach: 2_000n,
    });
    const t = buildTree(small.proposal);
    const a = t.state.allocations[0] as LeafAllocation;
    const p = adv(t, 0, {
      capacities: [a.capacities[0] as bigint, (a.capacities[1] as bigint) + a.lStock - 400n],
      lStock: 400n,
    });
    const [s] = p.superseded;
    expect(s?.poison).toBeUndefined();
    expect(s?.poisonSkipped).toMatch(/no poison is signed/);
    expect(s?.settlements[0]?.settlement).toBeUndefined();
    expect(s?.settlements[0]?.skipped).toMatch(/below 330/);
    expect(s?.settlements[1]?.settlement).toBeDefined();
    expect(p.jobs.map((j) => j.id)).toEqual([`tx ${p.newTxs[0]?.index}`, 'settlement c=0 client=1']);
  });
});

describe('§5.2 carry', () => {
  const { proposal } = makeProposal({ N: 4 });
  let tree = buildTree(proposal);
  const history: AdvancePlan[] = [];
  for (let i = 0; i < 4; i++) {
    const plan = adv(tree, 0);
    history.push(plan);
    tree = plan.next;
  }

  it('three leaf advances, then the root advances and everything below is rebuilt at state 0', () => {
    expect(history.map((p) => p.kind)).toEqual(['leaf', 'leaf', 'leaf', 'carry']);
    const carry = history[3] as AdvancePlan;
    expect(carry.dw.advancedNode).toBe(0);
    // Root state, then each leaf's kickoff and state (pre-order).
    expect(carry.newTxs.map((t) => `${t.node}:${t.kind}`)).toEqual([
      '0:state',
      '1:kickoff',
      '1:state',
      '2:kickoff',
      '2:state',
    ]);
    expect(carry.newTxs.map((t) => t.tx.inputs[0]?.sequence)).toEqual([20, 0xffffffff, 30, 0xffffffff, 30]);
    // Both leaves are superseded; each gets a fresh counter.
    expect(carry.superseded.map((s) => s.counter)).toEqual([4, 1]);
    expect(carry.dw.created.map((c) => c.counter)).toEqual([5, 6]);
    // The new root state spends the same root kickoff output as the old one.
    expect(carry.newTxs[0]?.tx.inputs[0]?.txidBytes).toEqual(carry.previous.txs[1]?.tx.inputs[0]?.txidBytes);
    // Every kickoff below spends a new outpoint.
    expect(carry.newTxs[1]?.tx.inputs[0]?.txidBytes).toEqual(carry.newTxs[0]?.txidBytes);
    expect(carry.newTxs[1]?.txid).not.toBe(carry.previous.txs[2]?.txid);
  });

  it('abandoning a plan keeps the previous tree but retires its counters', () => {
    const plan = adv(tree, 1);
    const kept = abandonPlan(plan);
    expect(kept.txs).toBe(tree.txs);
    expect(kept.state.dw.nextCounter).toBe(plan.next.state.dw.nextCounter);
    expect(advanceCounters(kept, 1)).not.toEqual(plan.dw.created.map((c) => c.counter));
  });
});

describe('poison and settlement amounts (property)', () => {
  const runs = propertyRuns(300, 50);
  const { proposal } = makeProposal({ N: 2 });
  const keys = [proposal.lsp.key, ...proposal.clients.map((c) => c.key)];
  const lStock = lStockOutput({
    leafKeys: keys,
    lspKey: proposal.lsp.key,
    lStockCsv: 10,
    poisonHash: new Uint8Array(32).fill(1),
  });
  const close = proposal.clients.map((c) => c.closeScript);
  it(`Σ outputs + anchor + fee = the L-stock; each client gets ≥ lost_i; skipped exactly below dust (${runs} runs)`, () => {
    console.log(`poison amounts: ${runs} runs`);
    fc.assert(
      fc.property(
        fc.bigInt({ min: 330n, max: 10_000_000n }),
        fc.array(
          fc.tuple(fc.bigInt({ min: 330n, max: 5_000_000n }), fc.bigInt({ min: 330n, max: 5_000_000n })),
          { minLength: 1, maxLength: 2 },
        ),
        fc.integer({ min: 0, max: 50_000 }),
        (amount, caps, feeRate) => {
          const clients = caps.map(([oldCapacity, newCapacity], i) => ({
            closeScript: close[i] as Uint8Array,
            oldCapacity,
            newCapacity,
          }));
          const lost = caps.map(([o, n]) => (n > o ? n - o : 0n));
          let poison: ReturnType<typeof buildPoison> | undefined;
          try {
            poison = buildPoison({
              lStock,
              outpoint: { txid: '00'.repeat(32), vout: 2 },
              amount,
              clients,
              feeRate,
            });
          } catch (e) {
            if (!BelowDustError.isInstance(e)) throw e;
          }
          // The same figures computed independently: the fee from the final witness size.
          const vsize =
            4 + 1 + 41 + 1 + 43 * caps.length + 13 + 4 + Math.ceil((2 + 1 + 65 + 33 + 74 + 66) / 4);
          const fee = feeFor(feeRate, vsize);
          const R = amount - lost.reduce((a, b) => a + b, 0n) - 240n - fee;
          const n = BigInt(caps.length);
          const expected =
            R < 0n
              ? undefined
              : lost.map((l, i) => l + R / n + (i === caps.length - 1 ? R - (R / n) * n : 0n));
          const ok = expected?.every((x) => x >= 330n) === true;
          expect(poison !== undefined).toBe(ok);
          if (poison === undefined) return;
          expect(poison.vsize).toBe(vsize);
          expect(poison.payouts.map((p) => p.amount)).toEqual(expected);
          expect(poison.tx.outputs.reduce((a, o) => a + o.value, 0n) + poison.fee).toBe(amount);
          const s = settlementPayout(amount, close[0] as Uint8Array, feeRate);
          expect(s.payout).toBe(amount - 240n - feeFor(feeRate, 4 + 1 + 41 + 1 + 43 + 13 + 4 + 17));
        },
      ),
      { numRuns: runs },
    );
  });
});
