// The O(depth) client: its path built alone, the §8 ceremony with each client signing only its
// path and distribution jobs, its unsigned path check and its distribution verifier.
import { displayHex, encodeTx, type Tx, txidBytesOf } from '@superscalar/tx';
import { describe, expect, it } from 'vitest';
import { advanceCounters, planAdvance } from '../src/advance.js';
import { ceremonyJobs, checkSignedDistribution, clientDistribution } from '../src/clientDistribution.js';
import { buildClientPath, checkUnsignedPath } from '../src/clientPath.js';
import { buildDistribution } from '../src/distribution.js';
import { PathVerificationError } from '../src/errors.js';
import {
  clientJobsRound1,
  clientJobsRound2,
  type IndexedJob,
  lspAggregateJobs,
  lspSignJobs,
} from '../src/jobs.js';
import { clientPathState } from '../src/pathState.js';
import { type Proposal, poisonHashesFromSeed } from '../src/proposal.js';
import { signingPlan } from '../src/signingPlan.js';
import { buildTree, fundingOutput, signedTxBytes } from '../src/transactions.js';
import { treeTxVsize } from '../src/tree.js';
import { validatePath } from '../src/verify.js';
import { fixtureFundingAmount, LSTOCK_SEED, makeProposal, participants, thrown } from './_fixtures.js';

const N = 6;
const { pks } = participants(N);
const amount = fixtureFundingAmount({ N });
/** The LSP's unsigned funding transaction (its inputs are placeholders: only the txid matters here). */
function fundingTxFor(script: Uint8Array, value: bigint): Tx {
  return {
    version: 2,
    locktime: 0,
    inputs: [{ txidBytes: new Uint8Array(32).fill(9), vout: 1, sequence: 0xfffffffd }],
    outputs: [
      { value: 5_000n, script: Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(3)) },
      { value, script },
    ],
  };
}
const fundingTx = fundingTxFor(fundingOutput(pks[0] as Uint8Array, pks.slice(1)).script, amount);
function proposalFunding(tx: Tx, amountClaimed = amount) {
  return makeProposal({ N, funding: { txid: displayHex(txidBytesOf(tx)), vout: 1, amount: amountClaimed } });
}
const { proposal, sks } = proposalFunding(fundingTx);
const tree = buildTree(proposal);
const fundingBytes = encodeTx(fundingTx);
const MAXV = treeTxVsize(3); // a distribution tree of two sub-distributions

function pathError(f: () => unknown): PathVerificationError {
  const e = thrown(f);
  expect(e).toBeInstanceOf(PathVerificationError);
  return e as PathVerificationError;
}

describe('buildClientPath: a client builds its own path only', () => {
  it('builds byte-identical path transactions and jobs to the whole tree, for every client and shape', () => {
    const shapes: Proposal[] = [
      proposal,
      makeProposal({ N: 9, leafArity: 1, levelArity: [3, 2], staticLevels: 1 }).proposal,
    ];
    for (const p of shapes) {
      const t = buildTree(p);
      const plan = signingPlan(t);
      for (let c = 0; c < p.clients.length; c++) {
        const cp = buildClientPath(p, c);
        expect(cp.txs.map((x) => x.index)).toEqual(plan.byParticipant[c + 1]);
        cp.txs.forEach((x) => {
          const full = t.txs[x.index];
          expect(encodeTx(x.tx)).toEqual(encodeTx(full?.tx as Tx));
          expect(x.sighash).toEqual(full?.sighash);
        });
        expect(cp.jobs.map((j) => j.job)).toEqual(cp.jobs.map((j) => plan.txs[j.index]));
      }
    }
  });

  it('builds the path at a later state (after an advance) like the whole tree does', () => {
    const cs = advanceCounters(tree, 1);
    const hs = poisonHashesFromSeed(LSTOCK_SEED, cs.length, cs[0]);
    const plan = planAdvance(tree, {
      leaf: 1,
      poisonHashes: new Map(cs.map((c, i) => [c, hs[i] as Uint8Array])),
    });
    const client = tree.layout.leafClients[1]?.[0] as number;
    const cp = buildClientPath(proposal, client, { state: clientPathState(plan.next, client) });
    for (const x of cp.txs) expect(encodeTx(x.tx)).toEqual(encodeTx(plan.next.txs[x.index]?.tx as Tx));
  });
});

describe('the §8 ceremony with O(depth) clients', () => {
  it('each client signs only its path and distribution jobs; its path and distribution verify', () => {
    const dist = buildDistribution(tree, { maxVsize: MAXV });
    const jobs = ceremonyJobs(tree, dist);
    const clients = proposal.clients.map((_, c) => {
      const path = buildClientPath(proposal, c);
      checkUnsignedPath(path, { fundingTx: fundingBytes, self: { key: pks[c + 1] as Uint8Array } });
      const cd = clientDistribution(path, { maxVsize: MAXV });
      const own: IndexedJob[] = [...path.jobs, ...cd.jobs];
      expect(own.length).toBe(path.txs.length + 2);
      for (const { index, job } of own) expect(job).toEqual(jobs[index]);
      return {
        path,
        cd,
        r1: clientJobsRound1({ participant: c + 1, secretKey: sks[c + 1] as Uint8Array, jobs: own }),
      };
    });
    const lsp = lspSignJobs({
      jobs,
      lspSecretKey: sks[0] as Uint8Array,
      nonces: clients.map((x) => x.r1.nonces),
    });
    const partials = clients.map((x, c) =>
      clientJobsRound2(x.r1.state, lsp.aggNonces.find((a) => a.participant === c + 1) as never),
    );
    const sigs = lspAggregateJobs(lsp.state, partials);
    clients.forEach(({ path, cd }) => {
      const signed = path.txs.map((t) => signedTxBytes(t, sigs[t.index] as Uint8Array));
      expect(validatePath(proposal, path.client, signed).path).toHaveLength(path.txs.length);
      const entries = cd.positions.map((pos) => ({
        index: pos,
        signature: sigs[tree.txs.length + pos] as Uint8Array,
      }));
      expect(checkSignedDistribution(cd, entries)).toHaveLength(2);
      // the verifier refuses a missing, a swapped and a tampered signature
      expect(pathError(() => checkSignedDistribution(cd, entries.slice(1))).fault).toBe('missing-tx');
      const swapped = entries.map((e, k) => ({
        index: e.index,
        signature: (entries[1 - k] as typeof e).signature,
      }));
      expect(pathError(() => checkSignedDistribution(cd, swapped)).fault).toBe('signature-invalid');
      const flipped = entries.map((e) => ({
        ...e,
        signature: Uint8Array.from(e.signature, (b, i) => (i === 5 ? b ^ 1 : b)),
      }));
      expect(pathError(() => checkSignedDistribution(cd, flipped)).fault).toBe('signature-invalid');
    });
  });
});

describe('checkUnsignedPath refuses each tampering with a typed error', () => {
  const c = 3;
  const path = buildClientPath(proposal, c);
  const me = proposal.clients[c] as Proposal['clients'][number];
  const self = { key: me.key, closeScript: me.closeScript, capacity: me.capacity, balance: me.balance };

  it('accepts the honest proposal and funding transaction', () => {
    expect(() => checkUnsignedPath(path, { fundingTx: fundingBytes, self })).not.toThrow();
    const unsignedPath = path.txs.map((t) => encodeTx(t.tx));
    expect(() => checkUnsignedPath(path, { fundingTx: fundingBytes, self, unsignedPath })).not.toThrow();
  });

  it('funding: undecodable bytes, another txid, a wrong output script or amount', () => {
    expect(pathError(() => checkUnsignedPath(path, { fundingTx: fundingBytes.slice(0, 20) })).fault).toBe(
      'undecodable',
    );
    const other = encodeTx({ ...fundingTx, locktime: 7 });
    expect(pathError(() => checkUnsignedPath(path, { fundingTx: other })).message).toMatch(/txid/);
    // The LSP names its tampered transaction's txid in the proposal: the output itself is then checked.
    const wrongScript = fundingTxFor(fundingOutput(pks[0] as Uint8Array, pks.slice(2)).script, amount);
    const p1 = proposalFunding(wrongScript).proposal;
    const e1 = pathError(() =>
      checkUnsignedPath(buildClientPath(p1, c), { fundingTx: encodeTx(wrongScript) }),
    );
    expect([e1.fault, e1.tx]).toEqual(['funding-mismatch', -1]);
    expect(e1.message).toMatch(/KeyAgg/);
    const wrongAmount = fundingTxFor(fundingOutput(pks[0] as Uint8Array, pks.slice(1)).script, amount - 1n);
    const p2 = proposalFunding(wrongAmount).proposal;
    const e2 = pathError(() =>
      checkUnsignedPath(buildClientPath(p2, c), { fundingTx: encodeTx(wrongAmount) }),
    );
    expect(e2.fault).toBe('funding-mismatch');
    expect(e2.message).toMatch(/pays/);
  });

  it('its entry: another key, close address, capacity or balance than agreed', () => {
    const check = (s: typeof self) =>
      pathError(() => checkUnsignedPath(path, { fundingTx: fundingBytes, self: s }));
    expect(check({ ...self, key: pks[1] as Uint8Array }).fault).toBe('client-mismatch');
    expect(check({ ...self, closeScript: Uint8Array.of(0x51, 0x20, ...new Uint8Array(32)) }).fault).toBe(
      'client-mismatch',
    );
    expect(check({ ...self, capacity: me.capacity + 1n }).message).toMatch(/capacity/);
    expect(check({ ...self, balance: me.balance + 1n }).message).toMatch(/balance/);
  });

  it('timeouts: a path that times out before the agreed deadline', () => {
    const deadline = Math.min(...path.txs.map((t) => proposal.T - t.k * proposal.timeoutStep));
    expect(() =>
      checkUnsignedPath(path, { fundingTx: fundingBytes, self: { ...self, minDeadline: deadline } }),
    ).not.toThrow();
    const e = pathError(() =>
      checkUnsignedPath(path, { fundingTx: fundingBytes, self: { ...self, minDeadline: deadline + 1 } }),
    );
    expect(e.message).toMatch(/times out/);
  });

  it('an unsigned path from the LSP with another amount, script, lock or lock time', () => {
    const tampered = (k: number, edit: (tx: Tx) => Tx) =>
      path.txs.map((t, i) => encodeTx(i === k ? edit(t.tx) : t.tx));
    const last = path.txs.length - 1;
    const cases: [number, (tx: Tx) => Tx, RegExp][] = [
      [
        last,
        (tx) => ({ ...tx, outputs: tx.outputs.map((o, i) => (i === 0 ? { ...o, value: o.value - 1n } : o)) }),
        /amount/,
      ],
      [
        0,
        (tx) => ({
          ...tx,
          outputs: tx.outputs.map((o, i) =>
            i === 0 ? { ...o, script: Uint8Array.from(o.script).fill(4, 2) } : o,
          ),
        }),
        /script/,
      ],
      [
        1,
        (tx) => ({ ...tx, inputs: tx.inputs.map((x) => ({ ...x, sequence: x.sequence + 1 })) }),
        /nSequence/,
      ],
      [last, (tx) => ({ ...tx, locktime: 100 }), /nLockTime/],
      [0, (tx) => ({ ...tx, inputs: tx.inputs.map((x) => ({ ...x, vout: x.vout + 1 })) }), /outpoint/],
    ];
    for (const [k, edit, re] of cases) {
      const e = pathError(() =>
        checkUnsignedPath(path, { fundingTx: fundingBytes, self, unsignedPath: tampered(k, edit) }),
      );
      expect(e.fault).toBe('tx-mismatch');
      expect(e.tx).toBe(path.txs[k]?.index);
      expect(e.message).toMatch(re);
    }
    expect(
      pathError(() =>
        checkUnsignedPath(path, { fundingTx: fundingBytes, unsignedPath: [Uint8Array.of(1, 2)] }),
      ).fault,
    ).toBe('tx-mismatch');
  });
});
