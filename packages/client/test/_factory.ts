// A factory of one LSP and n clients (keys from each participant's keychain, factory index 0) and the
// `close_propose` an honest LSP sends for given balances (factory-tree's buildCooperativeClose, brief §6).
import {
  buildCooperativeClose,
  buildTree,
  createProposal,
  type FactoryTree,
  poisonHashesFromSeed,
} from '@superscalar/factory-tree';
import { Keychain } from '@superscalar/keys';
import { type ClosePropose, factoryIdOf } from '@superscalar/wire';

/** One participant's keys for the factory. */
export interface Party {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly closeScript: Uint8Array;
}

/** A test factory: its tree (and proposal), the LSP and the clients. */
export interface TestFactory {
  readonly tree: FactoryTree;
  readonly lsp: Party;
  readonly clients: readonly Party[];
}

/**
 * Participant `i`'s keys (0 = the LSP), from a keychain seeded by `tag` and `i` (after `prefix`: the
 * LSP's tests use their own).
 */
export function party(tag: string, i: number, prefix = 'client close test'): Party {
  const seed = new TextEncoder().encode(`${prefix} ${tag} participant ${i}`.padEnd(32, '.'));
  const kc = Keychain.fromSeed(seed.subarray(0, 64), { network: 'regtest' });
  const k = kc.factoryKey(0);
  return { secretKey: k.secretKey, publicKey: k.publicKey, closeScript: kc.closeAddress(0).scriptPubKey };
}

/** `n` clients of 100,000 sats capacity, funded by a placeholder outpoint (no chain needed here). */
export function testFactory(n: number, tag = 'c'): TestFactory {
  const lsp = party(tag, 0);
  const clients = Array.from({ length: n }, (_, i) => party(tag, i + 1));
  const leaves = Math.ceil(n / 2);
  const proposal = createProposal({
    network: 'regtest',
    proposalHeight: 500,
    lsp: { key: lsp.publicKey, closeScript: lsp.closeScript },
    clients: clients.map((c) => ({
      key: c.publicKey,
      closeScript: c.closeScript,
      capacity: 100_000n,
      balance: 50_000n,
    })),
    funding: { txid: 'cd'.repeat(32), vout: 1, amount: BigInt(n) * 100_000n + BigInt(leaves) * 50_000n },
    poisonHashes: poisonHashesFromSeed(new Uint8Array(32).fill(7), leaves),
  });
  return { tree: buildTree(proposal), lsp, clients };
}

/** The `close_propose` of an honest LSP for `balances` at `tipHeight` and `closeFeeRate`. */
export function honestPropose(
  f: TestFactory,
  balances: readonly bigint[],
  { attempt = 1, tipHeight = 800, closeFeeRate = 1_000 } = {},
): ClosePropose {
  const close = buildCooperativeClose(f.tree, { balances, tipHeight, closeFeeRate });
  return {
    type: 'close_propose',
    factoryId: factoryIdOf(f.tree.proposal),
    attempt,
    tipHeight,
    closeFeeRate,
    outputs: close.tx.outputs.map((o) => ({ script: o.script, amount: o.value })),
  };
}

// A deterministic `Rng` (tests replay exactly) and the error a function throws.
export { seededRng, thrown } from '../../../test-utils/index.js';
