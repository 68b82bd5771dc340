// Test fixtures: deterministic keys, proposals of small shapes, advances of a leaf, SimChain helpers
// (funding, CPFP children through the P2A anchor paid from a confirmed faucet coin).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  txidHex as chainTxidHex,
  createTx,
  decodeTx,
  encodeTx,
  FAUCET_SCRIPT,
  type FundedOutput,
  fromDisplayHex,
  type SimChain,
  vsize,
} from '@superscalar/chain';
import type { Network } from '@superscalar/core';
import {
  type AdvancePlan,
  advanceCounters,
  createProposal,
  type FactoryTree,
  fundingOutput,
  type LeafAllocation,
  type Proposal,
  type ProposalInput,
  planAdvance,
  poisonHashesFromSeed,
} from '../src/index.js';

const enc = new TextEncoder();

/** A deterministic valid secret key. */
export function secretKey(tag: string, i: number): Uint8Array {
  for (let ctr = 0; ; ctr++) {
    const sk = sha256(enc.encode(`factory-tree test ${tag} ${i} ${ctr}`));
    if (secp256k1.utils.isValidSecretKey(sk)) return sk;
  }
}

/** A P2TR close script for participant `i` (any valid x-only key). */
export function closeScript(tag: string, i: number): Uint8Array {
  const pk = secp256k1.getPublicKey(secretKey(`${tag}/close`, i), true);
  return Uint8Array.from([0x51, 0x20, ...pk.slice(1)]);
}

/** The LSP's per-factory L-stock shachain seed used by the fixtures. */
export const LSTOCK_SEED = sha256(enc.encode('factory-tree test l-stock seed'));

/** Options of {@link makeProposal}. */
export interface FixtureOptions {
  readonly N: number;
  readonly tag?: string;
  readonly network?: Network;
  readonly leafArity?: 1 | 2;
  readonly levelArity?: readonly number[];
  readonly staticLevels?: number;
  readonly capacity?: bigint | ((i: number) => bigint);
  readonly lStockEach?: bigint;
  readonly funding?: { txid: string; vout: number; amount?: bigint };
  readonly proposalHeight?: number;
  readonly overrides?: Partial<ProposalInput>;
}

const participantCache = new Map<string, { sks: Uint8Array[]; pks: Uint8Array[] }>();

/** Participants' secret keys (0 = LSP, i + 1 = clients[i]) and public keys (memoised: 1,025 keys cost seconds). */
export function participants(N: number, tag = 'p'): { sks: Uint8Array[]; pks: Uint8Array[] } {
  const id = `${tag}/${N}`;
  let r = participantCache.get(id);
  if (r === undefined) {
    const sks = Array.from({ length: N + 1 }, (_, i) => secretKey(tag, i));
    r = { sks, pks: sks.map((sk) => secp256k1.getPublicKey(sk, true)) };
    participantCache.set(id, r);
  }
  return { sks: [...r.sks], pks: [...r.pks] };
}

/** The funding amount the fixtures use: Σ capacities + L-stock per leaf (fees come out of the L-stocks). */
export function fixtureFundingAmount(o: FixtureOptions): bigint {
  const cap = o.capacity ?? 100_000n;
  let total = 0n;
  for (let i = 0; i < o.N; i++) total += typeof cap === 'function' ? cap(i) : cap;
  const leaves = Math.ceil(o.N / (o.leafArity ?? 2));
  return total + BigInt(leaves) * (o.lStockEach ?? 60_000n);
}

/** A valid proposal over deterministic keys; the funding outpoint defaults to a dummy one. */
export function makeProposal(o: FixtureOptions): { proposal: Proposal; sks: Uint8Array[] } {
  const tag = o.tag ?? 'p';
  const { sks, pks } = participants(o.N, tag);
  const cap = o.capacity ?? 100_000n;
  const leafArity = o.leafArity ?? 2;
  const levelArity = o.levelArity ?? [2];
  const staticLevels = o.staticLevels ?? 0;
  const clients = pks.slice(1).map((key, i) => {
    const capacity = typeof cap === 'function' ? cap(i) : cap;
    return { key, closeScript: closeScript(tag, i + 1), capacity, balance: capacity / 2n };
  });
  const leaves = Math.ceil(o.N / leafArity);
  const proposal = createProposal({
    network: o.network ?? 'regtest',
    proposalHeight: o.proposalHeight ?? 200,
    lsp: { key: pks[0] as Uint8Array, closeScript: closeScript(tag, 0) },
    clients,
    leafArity,
    levelArity,
    staticLevels,
    funding: {
      txid: o.funding?.txid ?? '11'.repeat(32),
      vout: o.funding?.vout ?? 0,
      amount: o.funding?.amount ?? fixtureFundingAmount(o),
    },
    poisonHashes: leaves === 0 ? [] : poisonHashesFromSeed(LSTOCK_SEED, leaves),
    ...o.overrides,
  });
  return { proposal, sks };
}

/** Funds the factory's funding output on `chain` and returns the proposal spending it. */
export function fundedProposal(
  chain: SimChain,
  o: Omit<FixtureOptions, 'funding' | 'proposalHeight'>,
): { proposal: Proposal; sks: Uint8Array[]; funding: FundedOutput } {
  const { pks } = participants(o.N, o.tag ?? 'p');
  const script = fundingOutput(pks[0] as Uint8Array, pks.slice(1)).script;
  const amount = fixtureFundingAmount(o);
  const funding = chain.fundSync(script, amount);
  const { proposal, sks } = makeProposal({
    ...o,
    funding: { txid: funding.txid, vout: funding.vout, amount },
    proposalHeight: chain.height,
  });
  return { proposal, sks, funding };
}

/** A confirmed fee coin (faucet script: witness `[OP_TRUE]` spends it). */
export function feeCoin(chain: SimChain, amount = 200_000n): FundedOutput {
  return chain.fundSync(FAUCET_SCRIPT, amount);
}

/**
 * A version-3 CPFP child spending `parent`'s P2A anchor (empty witness) and a confirmed fee coin,
 * paying `childFee` in total; returns the child's raw bytes.
 */
export function cpfpChild(parent: Uint8Array, coin: FundedOutput, childFee = 5_000n): Uint8Array {
  const p = decodeTx(parent);
  const anchorVout = p.outputs.findIndex(
    (o) => o.script.length === 4 && o.script[0] === 0x51 && o.script[1] === 0x02,
  );
  if (anchorVout < 0) throw new Error('parent has no P2A anchor');
  const anchorValue = (p.outputs[anchorVout] as { value: bigint }).value;
  const tx = createTx({
    version: 3,
    locktime: 0,
    inputs: [
      { prevTxid: fromDisplayHex(chainTxidHex(p)), vout: anchorVout, sequence: 0xfffffffd, witness: [] },
      {
        prevTxid: fromDisplayHex(coin.txid),
        vout: coin.vout,
        sequence: 0xfffffffd,
        witness: [Uint8Array.of(0x51)],
      },
    ],
    outputs: [{ value: coin.amount + anchorValue - childFee, script: FAUCET_SCRIPT }],
  });
  if (vsize(tx) > 1000) throw new Error('child too large');
  return encodeTx(tx);
}

/**
 * Confirmed fee coins funded up front (each `fund` mines a block, so funding them while a test counts
 * blocks would shift its locks). `take()` hands out the next one.
 */
export class FeeWallet {
  private readonly coins: FundedOutput[] = [];
  constructor(
    private readonly chain: SimChain,
    count: number,
  ) {
    for (let i = 0; i < count; i++) this.coins.push(feeCoin(chain));
  }
  take(): FundedOutput {
    const c = this.coins.shift();
    if (c === undefined) throw new Error('fee wallet empty: fund more coins up front');
    return c;
  }
  /** Broadcasts `parent` with a CPFP child paying `childFee` from the next coin. */
  broadcast(parent: Uint8Array, childFee = 5_000n) {
    return this.chain.broadcastPackageSync(parent, cpfpChild(parent, this.take(), childFee));
  }
}

export { thrown } from '../../../test-utils/index.js';

/** Poison hashes for the counters an advance of `leaf` creates. */
export function hashesFor(tree: FactoryTree, leaf: number): Map<number, Uint8Array> {
  const cs = advanceCounters(tree, leaf);
  const hs = poisonHashesFromSeed(LSTOCK_SEED, cs.length, cs[0]);
  return new Map(cs.map((c, i) => [c, hs[i] as Uint8Array]));
}

/** Moves `amount` from leaf `leaf`'s L-stock to its client `i`. */
export function sell(tree: FactoryTree, leaf: number, i: number, amount: bigint): LeafAllocation {
  const a = tree.state.allocations[leaf] as LeafAllocation;
  return { capacities: a.capacities.map((c, k) => (k === i ? c + amount : c)), lStock: a.lStock - amount };
}

/** The plan of an advance of `leaf` (to `alloc`, else the same allocation), its poison hashes from the seed. */
export function adv(tree: FactoryTree, leaf: number, alloc?: LeafAllocation): AdvancePlan {
  return planAdvance(tree, {
    leaf,
    allocations: alloc ? new Map([[leaf, alloc]]) : undefined,
    poisonHashes: hashesFor(tree, leaf),
  });
}
