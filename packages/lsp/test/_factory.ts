// A factory of one LSP and n clients whose funding output is confirmed on a SimChain (tests fund first;
// the real ceremony broadcasts funding last, brief §8). Keys come from each participant's keychain
// (factory key and close address of factory index 0), as the roles derive them (the client tests'
// `party`, with a seed of the LSP tests' own).
import type { SimChain } from '@superscalar/chain';
import {
  createProposal,
  fundingOutput,
  type Proposal,
  poisonHashesFromSeed,
} from '@superscalar/factory-tree';
import { party as clientParty, type Party } from '../../client/test/_factory.js';

/** A funded test factory. */
export interface TestFactory {
  readonly proposal: Proposal;
  readonly lsp: Party;
  readonly clients: readonly Party[];
}

/** Channel capacity of every test client. */
export const CAPACITY = 100_000n;

/** Participant `i`'s keys (0 = the LSP), from a keychain seeded by `tag` and `i`. */
const party = (tag: string, i: number): Party => clientParty(tag, i, 'close test');

/** Funds `n` clients' factory on `chain` (one confirmation) and makes its proposal at that tip. */
export function fundedFactory(chain: SimChain, n: number, tag = 'f'): TestFactory {
  const lsp = party(tag, 0);
  const clients = Array.from({ length: n }, (_, i) => party(tag, i + 1));
  const leaves = Math.ceil(n / 2);
  const funding = fundingOutput(
    lsp.publicKey,
    clients.map((c) => c.publicKey),
  );
  const coin = chain.fundSync(funding.script, BigInt(n) * CAPACITY + BigInt(leaves) * 50_000n);
  const proposal = createProposal({
    network: 'regtest',
    proposalHeight: chain.height,
    lsp: { key: lsp.publicKey, closeScript: lsp.closeScript },
    clients: clients.map((c) => ({
      key: c.publicKey,
      closeScript: c.closeScript,
      capacity: CAPACITY,
      balance: CAPACITY / 2n,
    })),
    funding: { txid: coin.txid, vout: coin.vout, amount: coin.amount },
    poisonHashes: poisonHashesFromSeed(new Uint8Array(32).fill(7), leaves),
  });
  return { proposal, lsp, clients };
}

// A deterministic `Rng` (tests replay exactly) and the error a function throws.
export { seededRng, thrown } from '../../../test-utils/index.js';
