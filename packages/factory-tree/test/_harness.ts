// SimChain test harness for factory-tree (and other packages' tests): deterministic participants, a
// funded factory, simulated MuSig2 signing of any key-path job, a fee wallet of confirmed BIP86 coins,
// and broadcasting a v3 transaction with its CPFP child as a 1-parent-1-child package.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { vsize as chainVsize, decodeTx, type SimChain, STANDARD_FLAGS, verifyTx } from '@superscalar/chain';
import { concatBytes as concat, type Rng } from '@superscalar/core';
import { deterministicSign, nonceAgg, nonceGen, Session } from '@superscalar/musig2';
import { encodeTx, type Tx, txidBytes, txidOf } from '@superscalar/tx';
import { bip86OutputKey, signBip86 } from '../src/_sign.js';
import {
  type AnchoredParent,
  buildCpfpChild,
  buildTree,
  createProposal,
  type FactoryTree,
  type FeeCoin,
  fundingOutput,
  layoutTree,
  type PlacementProfile,
  type Proposal,
  type ProposalInput,
  poisonHashesFromSeed,
  shapeFigures,
  signCpfpChildBip86,
} from '../src/index.js';
import { sighashOne } from './_txkit.js';

/** A deterministic 32-byte secret key for `label`. */
export function testSecretKey(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(`factory-tree test key ${label}`));
}

/** `OP_1 <x-only BIP86 key>` of a secret key. */
export function p2trOf(secretKey: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x51, 0x20), bip86OutputKey(secretKey));
}

/** The participants of a test factory: index 0 is the LSP, i + 1 is clients[i]. */
export interface Participants {
  readonly secretKeys: readonly Uint8Array[];
  readonly publicKeys: readonly Uint8Array[];
  readonly closeScripts: readonly Uint8Array[];
  readonly lStockSeed: Uint8Array;
}

/** `n` clients plus the LSP, keys derived from `tag`. */
export function participants(n: number, tag = 'p'): Participants {
  const secretKeys = Array.from({ length: n + 1 }, (_, i) => testSecretKey(`${tag}/${i}`));
  return {
    secretKeys,
    publicKeys: secretKeys.map((sk) => secp256k1.getPublicKey(sk, true)),
    closeScripts: secretKeys.map((_, i) => p2trOf(testSecretKey(`${tag}/close/${i}`))),
    lStockSeed: testSecretKey(`${tag}/lstock`),
  };
}

/** What {@link proposalFor} and {@link openFactory} take. */
export interface FactorySpec {
  readonly n: number;
  readonly tag?: string;
  /** Channel capacity of client i (default 100,000 sats). */
  readonly capacity?: (i: number) => bigint;
  /** Placement profile of client i (default none). */
  readonly profile?: (i: number) => PlacementProfile;
  /** L-stock budget per leaf added to the funding amount (default 50,000 sats). */
  readonly lStockPerLeaf?: bigint;
  /** Any §2 field to override. */
  readonly overrides?: Partial<ProposalInput>;
}

/** A proposal for `spec` at `proposalHeight`, funded by `funding` (txid, vout) of `amount`. */
export function proposalFor(
  spec: FactorySpec,
  who: Participants,
  proposalHeight: number,
  funding: { txid: string; vout: number; amount: bigint },
): Proposal {
  const leafArity = spec.overrides?.leafArity ?? 2;
  const leaves = Math.ceil(spec.n / leafArity);
  const capacity = spec.capacity ?? (() => 100_000n);
  return createProposal({
    network: 'regtest',
    proposalHeight,
    lsp: { key: who.publicKeys[0] as Uint8Array, closeScript: who.closeScripts[0] as Uint8Array },
    clients: Array.from({ length: spec.n }, (_, i) => ({
      key: who.publicKeys[i + 1] as Uint8Array,
      closeScript: who.closeScripts[i + 1] as Uint8Array,
      capacity: capacity(i),
      balance: capacity(i) / 2n,
      ...(spec.profile ? { profile: spec.profile(i) } : {}),
    })),
    funding,
    poisonHashes: poisonHashesFromSeed(who.lStockSeed, leaves),
    ...spec.overrides,
  });
}

/** The funding amount of `spec`: Σ capacities plus the L-stock budget per leaf (fees come out of it). */
export function fundingAmountFor(spec: FactorySpec): bigint {
  const leaves = Math.ceil(spec.n / (spec.overrides?.leafArity ?? 2));
  const capacity = spec.capacity ?? (() => 100_000n);
  let sum = 0n;
  for (let i = 0; i < spec.n; i++) sum += capacity(i);
  return sum + BigInt(leaves) * (spec.lStockPerLeaf ?? 50_000n);
}

/** A factory funded on a SimChain. */
export interface OpenFactory {
  readonly chain: SimChain;
  readonly who: Participants;
  readonly tree: FactoryTree;
  /** Height at which the funding output confirmed. */
  readonly fundingHeight: number;
}

/**
 * Funds the funding output of `spec` on `chain` (one confirmation), makes the proposal at that tip and
 * builds the tree. (Tests fund first; the real ceremony broadcasts funding last, §8.)
 */
export function openFactory(chain: SimChain, spec: FactorySpec): OpenFactory {
  const who = participants(spec.n, spec.tag);
  const funding = fundingOutput(who.publicKeys[0] as Uint8Array, who.publicKeys.slice(1));
  const coin = chain.fundSync(funding.script, fundingAmountFor(spec));
  const proposal = proposalFor(spec, who, chain.height, {
    txid: coin.txid,
    vout: coin.vout,
    amount: coin.amount,
  });
  return { chain, who, tree: buildTree(proposal), fundingHeight: coin.height };
}

/** A tree layout for `spec` with a dummy funding outpoint (no chain), for shape and size checks. */
export function unfundedTree(spec: FactorySpec, proposalHeight = 200): FactoryTree {
  const who = participants(spec.n, spec.tag);
  const p = proposalFor(spec, who, proposalHeight, {
    txid: 'ab'.repeat(32),
    vout: 0,
    amount: fundingAmountFor(spec),
  });
  layoutTree(p);
  shapeFigures(p);
  return buildTree(p);
}

/** What a key-path signing job needs (a key-path `SigningJob`). */
export interface SignableJob {
  readonly sighash: Uint8Array;
  readonly signers: readonly number[];
  readonly pubkeys: readonly Uint8Array[];
  readonly tweak: Uint8Array | undefined;
  readonly outputKey: Uint8Array;
}

/**
 * Simulated §8 signing of one job: every client draws a fresh nonce, the LSP (participant 0) signs
 * last with `DeterministicSign`, the aggregate is verified against the job's output key.
 */
export function signJob(job: SignableJob, secretKeys: readonly Uint8Array[], rng?: Rng): Uint8Array {
  const tweaks = job.tweak === undefined ? [] : [job.tweak];
  const isXonly = job.tweak === undefined ? [] : [true];
  const lspPos = job.signers.indexOf(0);
  const pubnonces: Uint8Array[] = new Array(job.signers.length);
  const secnonces = new Map<number, ReturnType<typeof nonceGen>['secnonce']>();
  job.signers.forEach((s, pos) => {
    if (s === 0) return;
    const r = nonceGen({
      pk: job.pubkeys[pos] as Uint8Array,
      sk: secretKeys[s] as Uint8Array,
      aggpk: job.outputKey,
      msg: job.sighash,
      ...(rng ? { rng } : {}),
    });
    pubnonces[pos] = r.pubnonce;
    secnonces.set(pos, r.secnonce);
  });
  const aggothernonce = nonceAgg(pubnonces.filter((_, pos) => pos !== lspPos));
  const lsp = deterministicSign({
    sk: secretKeys[0] as Uint8Array,
    aggothernonce,
    pubkeys: job.pubkeys,
    tweaks,
    isXonly,
    msg: job.sighash,
  });
  pubnonces[lspPos] = lsp.pubnonce;
  const session = new Session({
    aggnonce: nonceAgg([aggothernonce, lsp.pubnonce]),
    pubkeys: job.pubkeys,
    tweaks,
    isXonly,
    msg: job.sighash,
  });
  const psigs = job.signers.map((s, pos) =>
    s === 0 ? lsp.psig : session.sign(secnonces.get(pos) as never, secretKeys[s] as Uint8Array),
  );
  return session.aggregateVerified(psigs, pubnonces);
}

/**
 * A broadcaster's wallet of confirmed BIP86 coins for CPFP children. Change of a child becomes
 * spendable again once it confirms ({@link FeeWallet.refresh} after mining).
 */
export class FeeWallet {
  readonly secretKey: Uint8Array;
  readonly script: Uint8Array;
  private readonly confirmed: FeeCoin[] = [];
  private readonly pending: FeeCoin[] = [];

  private constructor(label: string) {
    this.secretKey = testSecretKey(`fee-wallet/${label}`);
    this.script = p2trOf(this.secretKey);
  }

  /** Funds `count` confirmed coins of `value` each (one faucet payment split in one transaction). */
  static create(chain: SimChain, count: number, value = 50_000n, label = 'default'): FeeWallet {
    const w = new FeeWallet(label);
    const splitFee = BigInt(200 + 43 * count);
    const coin = chain.fundSync(w.script, value * BigInt(count) + splitFee);
    const tx: Tx = {
      version: 2,
      locktime: 0,
      inputs: [{ txidBytes: txidBytes(coin.txid), vout: coin.vout, sequence: 0xfffffffd }],
      outputs: Array.from({ length: count }, () => ({ value, script: w.script })),
    };
    const sig = signBip86(sighashOne(tx, { value: coin.amount, script: w.script }), w.secretKey);
    const txid = chain.broadcastSync(encodeTx(tx, [[sig]]));
    chain.mineSync(1);
    for (let v = 0; v < count; v++) w.confirmed.push({ txid, vout: v, value, script: w.script });
    return w;
  }

  /** Confirmed coins available. */
  get available(): number {
    return this.confirmed.length;
  }

  /** Takes a confirmed coin. */
  take(): FeeCoin {
    const c = this.confirmed.pop();
    if (c === undefined) throw new Error('fee wallet: no confirmed coin left (mine, then refresh)');
    return c;
  }

  /** Records an unconfirmed change coin. */
  addPending(c: FeeCoin): void {
    this.pending.push(c);
  }

  /** Moves confirmed change into the spendable set. */
  refresh(chain: SimChain): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const c = this.pending[i] as FeeCoin;
      if (chain.utxo({ txid: c.txid, vout: c.vout }) !== undefined) {
        this.confirmed.push(c);
        this.pending.splice(i, 1);
      }
    }
  }
}

/**
 * Broadcasts a v3 `parentBytes` with a CPFP child through its P2A anchor as a 1-parent-1-child
 * package, paying the package to `feeRate` from a confirmed coin of `wallet`. Returns the txids and the
 * child's fee.
 */
export function broadcastWithCpfp(
  chain: SimChain,
  parentBytes: Uint8Array,
  parent: AnchoredParent,
  wallet: FeeWallet,
  feeRate = 2_000,
): { parentTxid: string; childTxid: string; childFee: bigint; childVsize: number } {
  const feeCoin = wallet.take();
  const child = buildCpfpChild({ parent, feeCoin, changeScript: wallet.script, feeRate });
  const bytes = signCpfpChildBip86(child, wallet.secretKey);
  try {
    const r = chain.broadcastPackageSync(parentBytes, bytes);
    wallet.addPending({
      txid: child.txid,
      vout: 0,
      value: child.tx.outputs[0]?.value as bigint,
      script: wallet.script,
    });
    return {
      parentTxid: r.parentTxid,
      childTxid: r.childTxid,
      childFee: child.fee,
      childVsize: chainVsize(decodeTx(bytes)),
    };
  } catch (e) {
    wallet.addPending(feeCoin); // unspent: it is still confirmed, give it back
    wallet.refresh(chain);
    throw e;
  }
}

/** Mines until the tip is `height` (no-op when already there). */
export function mineTo(chain: SimChain, height: number): void {
  if (chain.height < height) chain.mineSync(height - chain.height);
}

/** Verifies every input of raw `bytes` with Core's standard flags against `spent` (chain's interpreter). */
export function verifyStandard(
  bytes: Uint8Array,
  spent: readonly { value: bigint; script: Uint8Array }[],
): void {
  verifyTx(decodeTx(bytes), spent, STANDARD_FLAGS);
}

/** `input − Σ outputs` of raw `bytes` given the spent outputs. */
export function feePaid(bytes: Uint8Array, spent: readonly { value: bigint }[]): bigint {
  const tx = decodeTx(bytes);
  return spent.reduce((a, o) => a + o.value, 0n) - tx.outputs.reduce((a, o) => a + o.value, 0n);
}

/** Display txid of a one-input tx. */
export function displayTxid(tx: Tx): string {
  return txidOf(tx);
}

/** The reject reason of `f()`, or 'accepted' when it does not throw. */
export function rejectReason(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'reason' in e)
      return String((e as { reason: unknown }).reason);
    throw e;
  }
}
