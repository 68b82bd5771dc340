import { decodeTx, encodeTx } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { advanceCounters, planAdvance, signJobsSimulated } from '../src/advance.js';
import { PathVerificationError } from '../src/errors.js';
import { clientPathState } from '../src/pathState.js';
import { lStockSecret, type Proposal, poisonHashesFromSeed } from '../src/proposal.js';
import { signedSettlementBytes } from '../src/settlement.js';
import { signTreeSimulated } from '../src/signingPlan.js';
import { buildTree, type LeafAllocation, signedTxBytes, type TreeTx } from '../src/transactions.js';
import { layoutTree } from '../src/tree.js';
import { checkRevealedSecret, validateAdvance, validatePath } from '../src/verify.js';
import { LSTOCK_SEED, makeProposal, thrown } from './_fixtures.js';
import { withInput0 } from './_txkit.js';

function pathError(f: () => unknown): PathVerificationError {
  const e = thrown(f);
  if (!PathVerificationError.isInstance(e)) throw e;
  return e as PathVerificationError;
}

const { proposal, sks } = makeProposal({ N: 5 });
const tree = buildTree(proposal);
const sigs = signTreeSimulated(tree, sks);
const signedPathOf = (client: number) => {
  const leaf = tree.layout.leafClients.findIndex((l) => l.includes(client));
  return (tree.layout.leafPaths[leaf] as number[]).map((i) =>
    signedTxBytes(tree.txs[i] as TreeTx, sigs[i] as Uint8Array),
  );
};

/** Re-serialises a signed transaction after `edit` changes its unsigned part. */
function edited(bytes: Uint8Array, edit: (d: { tx: TreeTx['tx'] }) => object): Uint8Array {
  const tx = decodeTx(bytes);
  return encodeTx(edit({ tx }) as never);
}

describe('validatePath: a client checks its signed path against the proposal', () => {
  it('every client accepts its own path', () => {
    for (let c = 0; c < proposal.clients.length; c++) {
      const v = validatePath(proposal, c, signedPathOf(c), {
        fundingOutput: { value: proposal.funding.amount, script: tree.funding.script },
      });
      expect(v.path.map((t) => t.index)).toEqual(tree.layout.leafPaths[v.leaf]);
      expect(v.signatures).toEqual(v.path.map((t) => sigs[t.index]));
    }
  });

  it('a tampered signature: signature-invalid, naming the transaction', () => {
    const path = signedPathOf(2);
    const bad = Uint8Array.from(path[2] as Uint8Array);
    bad[bad.length - 10] = (bad[bad.length - 10] as number) ^ 0x01; // inside the signature
    const e = pathError(() => validatePath(proposal, 2, [...path.slice(0, 2), bad, ...path.slice(3)]));
    expect(e.fault).toBe('signature-invalid');
    expect(e.tx).toBe(tree.layout.leafPaths[1]?.[2]);
  });

  it('a tampered transaction: tx-mismatch naming the field (amount, script, lock, outpoint)', () => {
    const path = signedPathOf(0);
    const cases: [string, (tx: { tx: TreeTx['tx'] }) => object, RegExp][] = [
      [
        'amount',
        (d) => ({
          ...d.tx,
          outputs: d.tx.outputs.map((o, i) => (i === 0 ? { ...o, value: o.value - 1n } : o)),
        }),
        /output 0 amount/,
      ],
      [
        'script',
        (d) => ({
          ...d.tx,
          outputs: d.tx.outputs.map((o, i) =>
            i === 0 ? { ...o, script: Uint8Array.from(o.script).fill(7, 2, 3) } : o,
          ),
        }),
        /output 0 script/,
      ],
      ['sequence', (d) => withInput0(d.tx, { sequence: 0 }), /nSequence 0/],
      ['locktime', (d) => ({ ...d.tx, locktime: 5 }), /nLockTime 5/],
      ['outpoint', (d) => withInput0(d.tx, { vout: 1 }), /another outpoint/],
      ['version', (d) => ({ ...d.tx, version: 2 }), /version 2/],
    ];
    for (const [, edit, msg] of cases) {
      const bad = edited(path[1] as Uint8Array, edit);
      const e = pathError(() => validatePath(proposal, 0, [path[0] as Uint8Array, bad, ...path.slice(2)]));
      expect(e.fault).toBe('tx-mismatch');
      expect(e.message).toMatch(msg);
      expect(e.tx).toBe(1);
    }
  });

  it("the client's own entry: key, close address and capacity as agreed", () => {
    const me = proposal.clients[3] as Proposal['clients'][number];
    const self = { key: me.key, closeScript: me.closeScript, capacity: me.capacity };
    expect(() => validatePath(proposal, 3, signedPathOf(3), { self })).not.toThrow();
    for (const bad of [
      { ...self, key: proposal.clients[2]?.key as Uint8Array },
      { ...self, closeScript: proposal.clients[2]?.closeScript as Uint8Array },
      { ...self, capacity: me.capacity + 1n },
    ]) {
      const e = pathError(() => validatePath(proposal, 3, signedPathOf(3), { self: bad }));
      expect([e.fault, e.label]).toEqual(['client-mismatch', 'clients[3]']);
    }
  });

  it('truncated, trailing, missing and extra transactions', () => {
    const path = signedPathOf(0);
    const p0 = path[0] as Uint8Array;
    expect(pathError(() => validatePath(proposal, 0, [p0.slice(0, -1), ...path.slice(1)])).fault).toBe(
      'undecodable',
    );
    expect(
      pathError(() => validatePath(proposal, 0, [Uint8Array.of(...p0, 0), ...path.slice(1)])).fault,
    ).toBe('undecodable');
    expect(pathError(() => validatePath(proposal, 0, path.slice(0, -1))).fault).toBe('missing-tx');
    expect(pathError(() => validatePath(proposal, 0, [...path, p0])).fault).toBe('tx-mismatch');
    // Another client's path does not verify as this client's.
    expect(pathError(() => validatePath(proposal, 0, signedPathOf(4))).fault).not.toBe('missing-tx');
  });

  it('a proposal whose funding amount does not match the tree, or a funding output that differs', () => {
    const withL: Proposal = { ...proposal, lStock: [...layoutTree(proposal).lStock] };
    expect(() => validatePath(withL, 0, signedPathOf(0))).not.toThrow();
    const off: Proposal = { ...withL, funding: { ...withL.funding, amount: withL.funding.amount + 1n } };
    const e = pathError(() => validatePath(off, 0, signedPathOf(0)));
    expect([e.fault, e.tx]).toEqual(['funding-mismatch', -1]);
    const e2 = pathError(() =>
      validatePath(proposal, 0, signedPathOf(0), {
        fundingOutput: { value: proposal.funding.amount - 1n, script: tree.funding.script },
      }),
    );
    expect(e2.fault).toBe('funding-mismatch');
    const e3 = pathError(() =>
      validatePath(proposal, 0, signedPathOf(0), {
        fundingOutput: {
          value: proposal.funding.amount,
          script: tree.txs[0]?.outputTaproot[0]?.script as Uint8Array,
        },
      }),
    );
    expect(e3.fault).toBe('funding-mismatch');
  });
});

describe('validateAdvance: the new states, the poison and the settlement', () => {
  const cs = advanceCounters(tree, 0);
  const hs = poisonHashesFromSeed(LSTOCK_SEED, cs.length, cs[0]);
  const a = tree.state.allocations[0] as LeafAllocation;
  const plan = planAdvance(tree, {
    leaf: 0,
    allocations: new Map([
      [
        0,
        {
          capacities: [a.capacities[0] as bigint, (a.capacities[1] as bigint) + 7_000n],
          lStock: a.lStock - 7_000n,
        },
      ],
    ]),
    poisonHashes: new Map(cs.map((c, i) => [c, hs[i] as Uint8Array])),
  });
  const jobSigs = signJobsSimulated(plan.jobs, tree.keys, sks);
  const sigOf = (id: string) => jobSigs[plan.jobs.findIndex((j) => j.id === id)] as Uint8Array;
  const received = (client: number) => ({
    txs: plan.newTxs.map((t) => signedTxBytes(t, sigOf(`tx ${t.index}`))),
    poisonSignature: sigOf('poison c=0'),
    settlement: signedSettlementBytes(
      plan.superseded[0]?.settlements.find((e) => e.client === client)?.settlement as never,
      sigOf(`settlement c=0 client=${client}`),
    ),
  });

  it('both clients of the leaf accept; the new path verifies at the new state', () => {
    for (const c of [0, 1]) {
      const v = validateAdvance(plan, c, received(c));
      expect(v.txs.map((t) => t.index)).toEqual(plan.newTxs.map((t) => t.index));
      expect(v.poisonSignature).toEqual(sigOf('poison c=0'));
    }
    const path = (plan.next.layout.leafPaths[0] as number[]).map((i) => {
      const t = plan.next.txs[i] as TreeTx;
      const fresh = plan.newTxs.some((n) => n.index === i);
      return signedTxBytes(t, fresh ? sigOf(`tx ${i}`) : (sigs[i] as Uint8Array));
    });
    expect(
      validatePath(proposal, 1, path, { state: clientPathState(plan.next, 1) }).path.map((t) => t.dwState),
    ).toEqual([-1, 0, -1, 0, -1, 1]);
    // The old path does not verify at the new state.
    expect(
      pathError(() => validatePath(proposal, 1, signedPathOf(1), { state: clientPathState(plan.next, 1) }))
        .tx,
    ).toBe(tree.layout.leafPaths[0]?.at(-1));
  });

  it('a client of another leaf expects nothing', () => {
    expect(validateAdvance(plan, 3, { txs: [] }).txs).toEqual([]);
  });

  it('a tampered poison signature, a settlement for the other client, a missing settlement', () => {
    const r = received(0);
    const badPoison = Uint8Array.from(r.poisonSignature);
    badPoison[0] = (badPoison[0] as number) ^ 1;
    const e1 = pathError(() => validateAdvance(plan, 0, { ...r, poisonSignature: badPoison }));
    expect([e1.fault, e1.label]).toEqual(['signature-invalid', 'poison c=0']);
    const e2 = pathError(() => validateAdvance(plan, 0, { ...r, settlement: received(1).settlement }));
    expect([e2.fault, e2.label]).toEqual(['tx-mismatch', 'settlement c=0 client=0']);
    const e3 = pathError(() => validateAdvance(plan, 0, { txs: r.txs, poisonSignature: r.poisonSignature }));
    expect(e3.fault).toBe('missing-tx');
    const e4 = pathError(() => validateAdvance(plan, 0, { ...r, txs: [] }));
    expect(e4.fault).toBe('missing-tx');
  });

  it('a revealed s_c is checked against its poison leaf', () => {
    const poison = plan.superseded[0]?.poison as NonNullable<(typeof plan.superseded)[number]['poison']>;
    expect(() => checkRevealedSecret(poison, 0, lStockSecret(LSTOCK_SEED, 0))).not.toThrow();
    expect(() => checkRevealedSecret(poison.leafScript, 0, lStockSecret(LSTOCK_SEED, 0))).not.toThrow();
    const e = pathError(() => checkRevealedSecret(poison, 1, lStockSecret(LSTOCK_SEED, 1)));
    expect([e.fault, e.label]).toEqual(['secret-invalid', 'secret c=1']);
  });
});
