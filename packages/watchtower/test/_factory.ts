// A real factory on SimChain for the tower's tests, built and signed with factory-tree's in-process
// helpers (signTreeSimulated, planAdvance, signJobsSimulated): deterministic keys, the funding output
// funded on the chain, one advance of a leaf, and an "attacker" who publishes transactions with CPFP
// children paid from faucet coins. The roles' tower tests (packages/client/test/_tower.ts) build
// their factories here too, with keys of their own (`FactoryKeys`).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  encodeTx as chainEncodeTx,
  createTx,
  FAUCET_SCRIPT,
  type FundedOutput,
  fromDisplayHex,
  type SimChain,
} from '@superscalar/chain';
import {
  type AdvancePlan,
  advanceCounters,
  buildTree,
  createProposal,
  type FactoryTree,
  fundingOutput,
  type LeafAllocation,
  lStockSecret,
  type Proposal,
  planAdvance,
  poisonHashesFromSeed,
  signedTxBytes,
  signJobsSimulated,
  signTreeSimulated,
  type TreeTx,
} from '@superscalar/factory-tree';
import { decodeTx, txidOf } from '@superscalar/tx';

const enc = new TextEncoder();

export function secretKey(tag: string, i: number): Uint8Array {
  for (let n = 0; ; n++) {
    const sk = sha256(enc.encode(`watchtower test ${tag} ${i} ${n}`));
    if (secp256k1.utils.isValidSecretKey(sk)) return sk;
  }
}

export function closeScript(tag: string, i: number): Uint8Array {
  const pk = secp256k1.getPublicKey(secretKey(`${tag}/close`, i), true);
  return Uint8Array.of(0x51, 0x20, ...pk.slice(1));
}

/** The LSP's per-factory L-stock shachain seed. */
export const LSTOCK_SEED = sha256(enc.encode('watchtower test l-stock seed'));

/** Where a factory's keys come from: participant `i`'s (0 = the LSP) secret key and close script. */
export interface FactoryKeys {
  secretKey(i: number): Uint8Array;
  closeScript(i: number): Uint8Array;
  /** The LSP's per-factory L-stock shachain seed. */
  readonly lStockSeed: Uint8Array;
  readonly factoryId: Uint8Array;
}

/** This package's keys for the factory of `N` clients tagged `tag`. */
export function towerTestKeys(tag: string, N: number): FactoryKeys {
  return {
    secretKey: (i) => secretKey(tag, i),
    closeScript: (i) => closeScript(tag, i),
    lStockSeed: LSTOCK_SEED,
    factoryId: sha256(enc.encode(`factory ${tag} ${N}`)),
  };
}

export interface Factory {
  readonly factoryId: Uint8Array;
  readonly proposal: Proposal;
  readonly sks: Uint8Array[];
  readonly tree: FactoryTree;
  readonly lStockSeed: Uint8Array;
  /** The initial tree's signatures, by transaction index. */
  readonly sigs: readonly Uint8Array[];
  /** The initial tree's signed bytes. */
  signed(t: TreeTx): Uint8Array;
}

/**
 * A factory of `N` clients (capacity 100,000 each, 60,000 of L-stock per leaf), its funding confirmed;
 * its keys are {@link towerTestKeys} of the tag `keysOrTag`, or `keysOrTag` itself.
 */
export function fundedFactory(chain: SimChain, N: number, keysOrTag: string | FactoryKeys = 'f'): Factory {
  const keys = typeof keysOrTag === 'string' ? towerTestKeys(keysOrTag, N) : keysOrTag;
  const sks = Array.from({ length: N + 1 }, (_, i) => keys.secretKey(i));
  const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));
  const leaves = Math.ceil(N / 2);
  const amount = BigInt(N) * 100_000n + BigInt(leaves) * 60_000n;
  const funding = chain.fundSync(fundingOutput(pks[0] as Uint8Array, pks.slice(1)).script, amount);
  const proposal = createProposal({
    network: 'regtest',
    proposalHeight: chain.height,
    lsp: { key: pks[0] as Uint8Array, closeScript: keys.closeScript(0) },
    clients: pks.slice(1).map((key, i) => ({
      key,
      closeScript: keys.closeScript(i + 1),
      capacity: 100_000n,
      balance: 50_000n,
    })),
    funding: { txid: funding.txid, vout: funding.vout, amount },
    poisonHashes: poisonHashesFromSeed(keys.lStockSeed, leaves),
  });
  const tree = buildTree(proposal);
  const sigs = signTreeSimulated(tree, sks);
  return {
    factoryId: keys.factoryId,
    proposal,
    sks,
    tree,
    lStockSeed: keys.lStockSeed,
    sigs,
    signed: (t) => signedTxBytes(t, sigs[t.index] as Uint8Array),
  };
}

export interface Advanced {
  readonly plan: AdvancePlan;
  /** The advanced leaf's new allocation. */
  readonly allocation: LeafAllocation;
  /** The counters the advance moves (`advanceCounters`) and their new poison hashes. */
  readonly counters: readonly number[];
  readonly poisonHashes: readonly Uint8Array[];
  /** Each job's signature by job id (`tx 3`, `poison c=0`, `settlement c=0 client=1`). */
  readonly sigs: ReadonlyMap<string, Uint8Array>;
  /** Signed bytes of a transaction of the new tree (new ones from the plan, others from `f`). */
  signedNext(t: TreeTx): Uint8Array;
  /** `s_c`, as the LSP reveals it after the advance. */
  secret(c: number): Uint8Array;
}

/** Advances `leaf` once, selling `amount` of its L-stock to its first client, every job signed. */
export function advanceLeaf(f: Factory, leaf: number, amount: bigint): Advanced {
  const cs = advanceCounters(f.tree, leaf);
  const hs = poisonHashesFromSeed(f.lStockSeed, cs.length, cs[0]);
  const a = f.tree.state.allocations[leaf] as LeafAllocation;
  const allocation = {
    capacities: a.capacities.map((c, k) => (k === 0 ? c + amount : c)),
    lStock: a.lStock - amount,
  };
  const plan = planAdvance(f.tree, {
    leaf,
    allocations: new Map([[leaf, allocation]]),
    poisonHashes: new Map(cs.map((c, i) => [c, hs[i] as Uint8Array])),
  });
  const list = signJobsSimulated(plan.jobs, plan.previous.keys, f.sks);
  const sigs = new Map(plan.jobs.map((j, i) => [j.id, list[i] as Uint8Array]));
  const fresh = new Set(plan.newTxs.map((t) => t.txid));
  return {
    plan,
    allocation,
    counters: cs,
    poisonHashes: hs,
    sigs,
    signedNext: (t) =>
      fresh.has(t.txid) ? signedTxBytes(t, sigs.get(`tx ${t.index}`) as Uint8Array) : f.signed(t),
    secret: (c) => lStockSecret(f.lStockSeed, c),
  };
}

/** Someone publishing transactions with CPFP children from faucet coins funded up front. */
export class Attacker {
  readonly #coins: FundedOutput[] = [];
  constructor(
    private readonly chain: SimChain,
    count: number,
  ) {
    for (let i = 0; i < count; i++) this.#coins.push(chain.fundSync(FAUCET_SCRIPT, 50_000n));
  }

  /** Broadcasts `parent` (a v3 transaction with a P2A anchor last) with a child paying `fee`. */
  publish(parent: Uint8Array, fee = 5_000n): string {
    const coin = this.#coins.shift();
    if (coin === undefined) throw new Error('attacker out of coins: fund more up front');
    const p = decodeTx(parent);
    const child = createTx({
      version: 3,
      locktime: 0,
      inputs: [
        {
          prevTxid: fromDisplayHex(txidOf(p)),
          vout: p.outputs.length - 1,
          sequence: 0xfffffffd,
          witness: [],
        },
        {
          prevTxid: fromDisplayHex(coin.txid),
          vout: coin.vout,
          sequence: 0xfffffffd,
          witness: [Uint8Array.of(0x51)],
        },
      ],
      outputs: [{ value: coin.amount + 240n - fee, script: FAUCET_SCRIPT }],
    });
    return this.chain.broadcastPackageSync(parent, chainEncodeTx(child)).parentTxid;
  }
}
