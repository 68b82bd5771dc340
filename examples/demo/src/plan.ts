// The factory plan: the LSP policy that makes each 4-client factory exactly `target` sats.
//
// The LSP funds `tree root requirement + lStockPerLeaf × leaves` (explicit L-stocks, so a client can
// check the funding amount exactly, brief §8). The root requirement is the channels, every tree
// transaction's anchor and fee, computed bottom-up (brief §4.4): it does not depend on the keys, only
// on the number of clients, the shape and the tree fee rate. So the demo lays out a probe proposal
// with placeholder keys — the LSP's own method — and solves for `lStockPerLeaf`. When what is left
// for the L-stocks does not split evenly between the leaves (at 1,000 sat/kvB the 4-client tree needs
// 82,035 sats, leaving an odd 17,965), it raises the tree fee rate by the smallest step that makes it
// split (1,001 sat/kvB: 82,040 + 2 × 8,980). The shape is `suggestShape`'s, written into the policy
// so that the LSP and this plan cannot disagree; the demo checks the LSP's amount against the plan.
import { concatBytes, fromHex, type Network } from '@superscalar/core';
import {
  createProposal,
  layoutTree,
  poisonHashesFromSeed,
  proposalDefaults,
  suggestShape,
} from '@superscalar/factory-tree';
import type { LspPolicy } from '@superscalar/lsp';

/** Clients per factory (the LSP's policy: `minClients` = `maxClients` = 4). */
export const CLIENTS_PER_FACTORY = 4;
/** Each factory's funding, sats. */
export const FACTORY_SATS = 100_000n;
/** Each channel's capacity, sats. */
export const CHANNEL_SATS = 20_000n;
/** Each client's initial balance, sats. */
export const CLIENT_BALANCE_SATS = 10_000n;

/** brief §7 "Routable window": regtest parameters under which two-hop payments fit. */
export const ROUTABLE_REGTEST = { activeBlocks: 288, dyingBlocks: 24, htlcBudget: 12 } as const;

/** What each factory looks like, and the LSP policy that makes it so. */
export interface FactoryPlan {
  readonly clientsPerFactory: number;
  readonly capacity: bigint;
  readonly balance: bigint;
  /** The funding amount of each factory. */
  readonly amount: bigint;
  /** The tree's root requirement without L-stock: channels, anchors and fees. */
  readonly tree: bigint;
  readonly leaves: number;
  readonly lStockPerLeaf: bigint;
  readonly treeFeeRate: number;
  readonly shape: {
    readonly leafArity: 1 | 2;
    readonly levelArity: readonly number[];
    readonly staticLevels: number;
  };
  /** Transactions in the tree. */
  readonly treeTxs: number;
  /** The LSP policy: forming (4 clients each), the shape, the L-stock, the routable window. */
  readonly policy: LspPolicy;
}

const PROBE_AMOUNT = 1_000_000_000_000_000n;

/**
 * Placeholder keys for the probe: k·G for k = 1..6 (compressed). Amounts do not depend on keys, and
 * constants cost nothing, where deriving keys would take tens of ms of BIP32 in JavaScript.
 */
const PLACEHOLDER_KEYS = [
  '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
  '02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5',
  '02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9',
  '02e493dbf1c10d80f3581e4904930b1404cc6c13900ee0758474fa94abe8c4cd13',
  '022f8bde4d1a07209355b4a7250a5c5128e88b84bddc619ab7cba8d569b240efe4',
  '03fff97bd5755eeea420453a14355235d382f6472f8568a18b2f057a1460297556',
].map((h) => fromHex(h));

/** A P2TR scriptPubKey paying `key`'s x-only key (a placeholder close address). */
const p2tr = (key: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x51, 0x20), key.subarray(1));

/** The tree's root requirement (without L-stock) and its size, for `n` clients. */
function treeRequirement(
  network: Network,
  n: number,
  shape: FactoryPlan['shape'],
  treeFeeRate: number,
  terms: { capacity: bigint; balance: bigint },
): { tree: bigint; txs: number; leaves: number } {
  if (n + 1 > PLACEHOLDER_KEYS.length)
    throw new Error(`the probe has keys for ${PLACEHOLDER_KEYS.length - 1} clients`);
  const key = (i: number): Uint8Array => PLACEHOLDER_KEYS[i] as Uint8Array;
  const leaves = Math.ceil(n / shape.leafArity);
  const proposal = createProposal({
    network,
    proposalHeight: 200,
    lsp: { key: key(0), closeScript: p2tr(key(0)) },
    clients: Array.from({ length: n }, (_, i) => ({
      key: key(i + 1),
      closeScript: p2tr(key(i + 1)),
      ...terms,
    })),
    ...shape,
    ...ROUTABLE_REGTEST,
    treeFeeRate,
    poisonHashes: poisonHashesFromSeed(new Uint8Array(32).fill(42), leaves),
    funding: { txid: '00'.repeat(32), vout: 0, amount: PROBE_AMOUNT },
  });
  const layout = layoutTree(proposal);
  const lStock = layout.lStock.reduce((a, b) => a + b, 0n);
  return { tree: PROBE_AMOUNT - lStock, txs: layout.txs.length, leaves };
}

/**
 * The plan of a `target`-sat factory of `clientsPerFactory` clients, each with a channel of
 * `capacity` and an initial balance of `balance`, at a tree fee rate of at least `minTreeFeeRate`.
 *
 * @throws {Error} no fee rate within 1,000 sat/kvB above the minimum splits the rest evenly, or the
 *   target cannot even pay the tree (an L-stock below 330 sats).
 */
export function planFactory(options: {
  readonly network: Network;
  readonly target: bigint;
  readonly clientsPerFactory: number;
  readonly capacity: bigint;
  readonly balance: bigint;
  readonly minTreeFeeRate: number;
}): FactoryPlan {
  const { network, target, clientsPerFactory: n, capacity, balance } = options;
  const d = proposalDefaults(network);
  const s = suggestShape(n, d.dw, d.toSelfDelay, { htlcBudget: ROUTABLE_REGTEST.htlcBudget, leafArity: 2 });
  if (s === undefined) throw new Error(`no factory shape fits ${n} clients`);
  const shape = { leafArity: s.leafArity, levelArity: s.levelArity, staticLevels: s.staticLevels };
  const floor = Math.max(1000, options.minTreeFeeRate);
  for (let treeFeeRate = floor; treeFeeRate <= floor + 1000; treeFeeRate++) {
    const { tree, txs, leaves } = treeRequirement(network, n, shape, treeFeeRate, { capacity, balance });
    const rest = target - tree;
    if (rest < 330n * BigInt(leaves))
      throw new Error(`${target} sats cannot pay a tree of ${tree} sats and ${leaves} L-stocks of 330`);
    if (rest % BigInt(leaves) !== 0n) continue;
    const lStockPerLeaf = rest / BigInt(leaves);
    return {
      clientsPerFactory: n,
      capacity,
      balance,
      amount: target,
      tree,
      leaves,
      lStockPerLeaf,
      treeFeeRate,
      shape,
      treeTxs: txs,
      policy: {
        ...ROUTABLE_REGTEST,
        ...shape,
        minClients: n,
        maxClients: n,
        // Form as soon as `n` are registered; never on the timer with fewer.
        formAfterMs: 3_600_000,
        lStockPerLeaf,
        treeFeeRate,
      },
    };
  }
  throw new Error(`no tree fee rate from ${floor} to ${floor + 1000} sat/kvB splits ${target} sats evenly`);
}

/** The demo's plan: factories of {@link CLIENTS_PER_FACTORY} clients of {@link FACTORY_SATS} sats each. */
export function demoPlan(minTreeFeeRate: number): FactoryPlan {
  return planFactory({
    network: 'regtest',
    target: FACTORY_SATS,
    clientsPerFactory: CLIENTS_PER_FACTORY,
    capacity: CHANNEL_SATS,
    balance: CLIENT_BALANCE_SATS,
    minTreeFeeRate,
  });
}
