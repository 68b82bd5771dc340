// A factory of one LSP and n clients whose funding output is confirmed on a SimChain (tests fund first;
// the real ceremony broadcasts funding last, brief §8). Keys come from each participant's keychain
// (factory key and close address of factory index 0), as the roles derive them.
import type { SimChain } from '@superscalar/chain';
import type { Rng } from '@superscalar/core';
import {
  createProposal,
  fundingOutput,
  type Proposal,
  poisonHashesFromSeed,
} from '@superscalar/factory-tree';
import { Keychain } from '@superscalar/keys';

/** One participant's keys for the factory. */
export interface Party {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly closeScript: Uint8Array;
}

/** A funded test factory. */
export interface TestFactory {
  readonly proposal: Proposal;
  readonly lsp: Party;
  readonly clients: readonly Party[];
}

/** Channel capacity of every test client. */
export const CAPACITY = 100_000n;

/** Participant `i`'s keys (0 = the LSP), from a keychain seeded by `tag` and `i`. */
export function party(tag: string, i: number): Party {
  const seed = new TextEncoder().encode(`close test ${tag} participant ${i}`.padEnd(32, '.'));
  const kc = Keychain.fromSeed(seed.subarray(0, 64), { network: 'regtest' });
  const k = kc.factoryKey(0);
  return { secretKey: k.secretKey, publicKey: k.publicKey, closeScript: kc.closeAddress(0).scriptPubKey };
}

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

/** A deterministic `Rng` (xorshift32 bytes): tests replay exactly. */
export function seededRng(seed: number): Rng {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
    return out;
  };
}

/** The error `f` throws (the test fails when it returns). */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}
