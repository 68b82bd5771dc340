// A persisted factory record holds everything a watchtower needs: after encode → decode → replay,
// the stale path, its poison (with the revealed s_c) and its settlements are rebuilt byte-for-byte and
// confirm on SimChain with the stored signatures.
import { SimChain } from '@superscalar/chain';
import { expect, it } from 'vitest';
import { advanceCounters, planAdvance, signJobsSimulated } from '../src/advance.js';
import { signedPoisonBytes } from '../src/poison.js';
import { lStockSecret, poisonHashesFromSeed } from '../src/proposal.js';
import { advanceRecord, decodeFactory, encodeFactory, replayFactory } from '../src/serialize.js';
import { signedSettlementBytes } from '../src/settlement.js';
import { signTreeSimulated } from '../src/signingPlan.js';
import { buildTree, type LeafAllocation, signedTxBytes, type TreeTx } from '../src/transactions.js';
import { checkRevealedSecret } from '../src/verify.js';
import { FeeWallet, fundedProposal, LSTOCK_SEED } from './_fixtures.js';

it('encode → decode → replay: the stored signatures and secret punish a stale state on chain', {
  timeout: 120_000,
}, () => {
  const chain = new SimChain();
  const wallet = new FeeWallet(chain, 8);
  const { proposal, sks } = fundedProposal(chain, { N: 4 });
  const tree = buildTree(proposal);
  const signatures = new Map<string, Uint8Array>();
  signTreeSimulated(tree, sks).forEach((sig, i) => {
    signatures.set((tree.txs[i] as TreeTx).txid, sig);
  });
  const cs = advanceCounters(tree, 1);
  const hs = poisonHashesFromSeed(LSTOCK_SEED, cs.length, cs[0]);
  const poisonHashes = new Map(cs.map((c, i) => [c, hs[i] as Uint8Array]));
  const a = tree.state.allocations[1] as LeafAllocation;
  const allocations = new Map([
    [
      1,
      {
        capacities: [a.capacities[0] as bigint, (a.capacities[1] as bigint) + 9_000n],
        lStock: a.lStock - 9_000n,
      },
    ],
  ]);
  const plan = planAdvance(tree, { leaf: 1, allocations, poisonHashes });
  const jobSigs = signJobsSimulated(plan.jobs, tree.keys, sks);
  // Store each job's signature under the txid it signs.
  const stale = plan.superseded[0];
  if (stale?.poison === undefined) throw new Error('expected a poison');
  const txidOfJob = new Map<string, string>([
    ...plan.newTxs.map((t): [string, string] => [`tx ${t.index}`, t.txid]),
    [`poison c=${stale.counter}`, stale.poison.txid],
    ...stale.settlements.map((e): [string, string] => [
      `settlement c=${stale.counter} client=${e.client}`,
      e.settlement?.txid as string,
    ]),
  ]);
  plan.jobs.forEach((j, i) => {
    signatures.set(txidOfJob.get(j.id) as string, jobSigs[i] as Uint8Array);
  });
  const secret = lStockSecret(LSTOCK_SEED, stale.counter);
  checkRevealedSecret(stale.poison, stale.counter, secret);
  const bytes = encodeFactory({
    proposal,
    history: [advanceRecord(1, allocations, poisonHashes)],
    signatures,
    secrets: new Map([[stale.counter, secret]]),
  });

  // Everything below uses only the decoded record.
  const record = decodeFactory(bytes);
  const { plans, tree: current } = replayFactory(record);
  const replayed = plans[0];
  const initial = replayed?.previous as typeof tree;
  expect(current.txs.map((t) => t.txid)).toEqual(plan.next.txs.map((t) => t.txid));
  const sigOf = (txid: string) => record.signatures.get(txid) as Uint8Array;
  const { S, K } = record.proposal.dw;
  for (const i of initial.layout.leafPaths[1] as number[]) {
    const t = initial.txs[i] as TreeTx;
    if (t.kind === 'state') chain.mineSync(S * (K - 1) - 1);
    wallet.broadcast(signedTxBytes(t, sigOf(t.txid)));
    chain.mineSync(1);
  }
  const s = replayed?.superseded[0];
  const poison = s?.poison;
  if (s === undefined || poison === undefined) throw new Error('replay lost the poison');
  const poisonTxid = wallet.broadcast(
    signedPoisonBytes(poison, sigOf(poison.txid), record.secrets.get(s.counter) as Uint8Array),
  ).parentTxid;
  const settled = s.settlements.map(
    (e) =>
      wallet.broadcast(
        signedSettlementBytes(
          e.settlement as NonNullable<typeof e.settlement>,
          sigOf((e.settlement as NonNullable<typeof e.settlement>).txid),
        ),
      ).parentTxid,
  );
  chain.mineSync(1);
  expect(chain.utxo({ txid: poisonTxid, vout: 1 })?.value).toBe(poison.payouts[1]?.amount);
  expect(poison.payouts[1]?.lost).toBe(9_000n);
  for (const txid of settled) expect(chain.utxo({ txid, vout: 0 })).toBeDefined();
});
