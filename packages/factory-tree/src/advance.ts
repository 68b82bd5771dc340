/**
 * State advances (protocol brief §5.1, §5.2): what the signers of an advance sign, built on
 * `@superscalar/dw-counter`'s odometer (`advance`, which decides between a per-leaf advance and a
 * carry and hands out the counters `c`).
 *
 * {@link planAdvance} takes the current factory tree, the leaf to advance, the new allocations and the
 * poison hashes of the new leaf-state instances, and returns exactly the transactions to sign — the
 * advanced node's new state, and for a carry every kickoff and state below it (states reset to 0) —
 * each as a signing job (sighash, signer set, sorted keys, tweak, the key the signature verifies
 * against), plus, for every superseded leaf-state instance, its poison (§5.3) and its stale-channel
 * settlements (§5.4), or the reason one is not signed (an output below 330 sats).
 *
 * Amount conservation: a leaf state's input is fixed by its kickoff output, so a new allocation must
 * sum to the leaf's total, and no channel or L-stock output may be below dust
 * ({@link InvalidAllocationError}).
 *
 * Not here: the channels' rebound commitments (poon-dryja), nonce exchange and persistence (roles),
 * and §5.1's refusal to advance a state whose kickoff or any ancestor is in the mempool or on chain
 * (the roles know the chain; this module is pure).
 * {@link signJobsSimulated} runs the signing with every party in one process, for tests and demos.
 *
 * @module
 */
import { equalBytes as bytesEqual, type Rng } from '@superscalar/core';
import { type AdvanceResult, abandonAdvance, advance as dwAdvance } from '@superscalar/dw-counter';
import {
  deterministicSign,
  InvalidContributionError,
  MuSig2Error,
  nonceAgg,
  nonceGen,
  Session,
} from '@superscalar/musig2';
import { BelowDustError } from '@superscalar/tx';
import { assertBytes, assertInt, assertObject, assertTree } from './_assert.js';
import { publicKeyOf } from './_sign.js';
import { InvalidArgumentError, SigningError } from './errors.js';
import { keyPathJob, type SigningJob, signingJob } from './jobs.js';
import { buildPoison, type PoisonTx } from './poison.js';
import type { Proposal } from './proposal.js';
import { buildSettlement, type SettlementTx } from './settlement.js';
import {
  buildTreeWith,
  checkAllocation,
  type FactoryState,
  type FactoryTree,
  type LeafAllocation,
  type TreeTx,
} from './transactions.js';

/** A stale-channel settlement of a superseded leaf state, or why none is signed. */
export interface SettlementEntry {
  /** The client (index into `clients[]`). */
  readonly client: number;
  /** The channel output's index in the superseded leaf state. */
  readonly vout: number;
  /** The settlement, or undefined when its payout would be below dust. */
  readonly settlement: SettlementTx | undefined;
  /** Why no settlement is signed (undefined when one is). */
  readonly skipped: string | undefined;
}

/** A superseded leaf-state instance: its old transaction, its poison and its settlements. */
export interface SupersededLeafState {
  readonly leaf: number;
  readonly node: number;
  /** Its counter `c` (the L-stock secret `s_c` the LSP reveals after the advance). */
  readonly counter: number;
  /** The superseded leaf state transaction (from the previous tree). */
  readonly stateTx: TreeTx;
  /** The poison, or undefined when some client output would be below dust. */
  readonly poison: PoisonTx | undefined;
  /** Why no poison is signed (undefined when one is). */
  readonly poisonSkipped: string | undefined;
  /** One entry per channel output, placement order. */
  readonly settlements: readonly SettlementEntry[];
}

/** What {@link planAdvance} returns. */
export interface AdvancePlan {
  /** The dw-counter result (kind, advanced node, changed nodes, superseded and created counters). */
  readonly dw: AdvanceResult;
  /** `leaf` or `carry`. */
  readonly kind: 'leaf' | 'carry';
  /** The tree before the advance. */
  readonly previous: FactoryTree;
  /** The tree after the advance (persist it once every job is signed and verified). */
  readonly next: FactoryTree;
  /** The new transactions of `next` (the advanced node's state first, then pre-order). */
  readonly newTxs: readonly TreeTx[];
  /** Every superseded leaf-state instance (placement order). */
  readonly superseded: readonly SupersededLeafState[];
  /**
   * Everything to sign, in release order (§5.1): the new tree transactions, then the poisons and
   * settlements (the LSP completes and releases those only after the new states verify).
   */
  readonly jobs: readonly SigningJob[];
}

/** What the advance changes. */
export interface AdvanceRequest {
  /** The leaf whose state advances (placement order). */
  readonly leaf: number;
  /**
   * New allocations by leaf. Any leaf below the advanced node may appear (the advanced leaf normally
   * does); a leaf not given keeps its allocation. A leaf outside the advanced node's subtree is not
   * re-signed and is rejected.
   */
  readonly allocations?: ReadonlyMap<number, LeafAllocation>;
  /**
   * `sha256(s_c)` for each counter `c` the advance creates (dw-counter's `created`; see
   * {@link advanceCounters}), from the LSP's L-stock seed (`poisonHashesFromSeed`).
   */
  readonly poisonHashes: ReadonlyMap<number, Uint8Array>;
}

/** The counters `c` an advance of `leaf` would create (to derive their poison hashes first). */
export function advanceCounters(tree: FactoryTree, leaf: number): number[] {
  assertTree(tree);
  return dwAdvance(tree.state.dw, leaf).created.map((c) => c.counter);
}

/** The signing job of a poison (script path, untweaked `KeyAgg(leaf signers)`). */
export function poisonJob(tree: FactoryTree, s: SupersededLeafState): SigningJob | undefined {
  assertTree(tree);
  assertObject(s, 's');
  return poisonJobFor(tree.keys, s);
}

/** @internal {@link poisonJob} over the participants' keys (a client holds them, not the tree). */
export function poisonJobFor(keys: readonly Uint8Array[], s: SupersededLeafState): SigningJob | undefined {
  if (s.poison === undefined) return undefined;
  return signingJob({
    id: `poison c=${s.counter}`,
    kind: 'poison',
    sighash: s.poison.sighash,
    participants: s.stateTx.signers,
    keys,
    tweak: undefined,
    internalKey: s.poison.signingKey,
    outputKey: s.poison.signingKey,
  });
}

/** The signing job of a settlement (key path of `KeyAgg({LSP, client})` with its taproot tweak). */
export function settlementJob(
  tree: FactoryTree,
  counter: number,
  e: SettlementEntry,
): SigningJob | undefined {
  assertTree(tree);
  assertObject(e, 'e');
  return settlementJobFor(tree.keys, counter, e);
}

/** @internal {@link settlementJob} over the participants' keys. */
export function settlementJobFor(
  keys: readonly Uint8Array[],
  counter: number,
  e: SettlementEntry,
): SigningJob | undefined {
  if (e.settlement === undefined) return undefined;
  return keyPathJob({
    id: `settlement c=${counter} client=${e.client}`,
    kind: 'settlement',
    sighash: e.settlement.sighash,
    participants: [0, e.client + 1],
    keys,
    spent: e.settlement.channel,
  });
}

/** @internal The signing job of a new tree transaction. */
export function treeJobFor(keys: readonly Uint8Array[], t: TreeTx): SigningJob {
  return keyPathJob({
    id: `tx ${t.index}`,
    kind: 'tree',
    sighash: t.sighash,
    participants: t.signers,
    keys,
    spent: t.spentTaproot,
  });
}

function reason(e: unknown, what: string): string {
  if (BelowDustError.isInstance(e)) return `${e.message}: no ${what} is signed`;
  throw e;
}

/**
 * @internal A superseded leaf-state instance with its poison (§5.3) and stale-channel settlements
 * (§5.4), or why each is not signed: built from the superseded leaf state transaction alone, so the
 * LSP (`planAdvance`, over its tree) and a client (`planClientAdvance`, over its path) build the same.
 */
export function supersededLeafState(
  p: Proposal,
  layout: { readonly leafClients: readonly (readonly number[])[] },
  s: {
    readonly leaf: number;
    readonly node: number;
    readonly counter: number;
    readonly stateTx: TreeTx;
    readonly oldAllocation: LeafAllocation;
    readonly newAllocation: LeafAllocation;
  },
): SupersededLeafState {
  const { stateTx, oldAllocation: oldAlloc, newAllocation: newAlloc } = s;
  const clients = layout.leafClients[s.leaf] as readonly number[];
  let poison: PoisonTx | undefined;
  let poisonSkipped: string | undefined;
  try {
    poison = buildPoison({
      lStock: stateTx.outputTaproot[clients.length] as NonNullable<TreeTx['outputTaproot'][number]>,
      outpoint: { txid: stateTx.txid, vout: clients.length },
      amount: stateTx.tx.outputs[clients.length]?.value as bigint,
      clients: clients.map((c, i) => ({
        closeScript: (p.clients[c] as Proposal['clients'][number]).closeScript,
        oldCapacity: oldAlloc.capacities[i] as bigint,
        newCapacity: newAlloc.capacities[i] as bigint,
      })),
      feeRate: p.treeFeeRate,
    });
  } catch (e) {
    poisonSkipped = reason(e, 'poison');
  }
  const settlements = clients.map((c, i): SettlementEntry => {
    try {
      const settlement = buildSettlement({
        channel: stateTx.outputTaproot[i] as NonNullable<TreeTx['outputTaproot'][number]>,
        outpoint: { txid: stateTx.txid, vout: i },
        amount: stateTx.tx.outputs[i]?.value as bigint,
        closeScript: (p.clients[c] as Proposal['clients'][number]).closeScript,
        feeRate: p.treeFeeRate,
      });
      return Object.freeze({ client: c, vout: i, settlement, skipped: undefined });
    } catch (e) {
      return Object.freeze({ client: c, vout: i, settlement: undefined, skipped: reason(e, 'settlement') });
    }
  });
  return Object.freeze({
    leaf: s.leaf,
    node: s.node,
    counter: s.counter,
    stateTx,
    poison,
    poisonSkipped,
    settlements: Object.freeze(settlements),
  });
}

/**
 * Plans the advance of `request.leaf` (§5.1; a carry, §5.2, when its layer is exhausted).
 *
 * @throws {ExhaustedError} (dw-counter) no state on the leaf's DW path has room: rotate the factory.
 * @throws {InvalidAllocationError} a new allocation that does not sum to its leaf's total or has dust.
 * @throws {InvalidArgumentError} an allocation for a leaf not re-signed, or a missing poison hash.
 */
export function planAdvance(tree: FactoryTree, request: AdvanceRequest): AdvancePlan {
  assertTree(tree);
  if (typeof request !== 'object' || request === null)
    throw new InvalidArgumentError('request', 'expected { leaf, allocations?, poisonHashes }');
  const p: Proposal = tree.proposal;
  const layout = tree.layout;
  assertInt(request.leaf, 'request.leaf', 0, layout.leafClients.length - 1);
  const result = dwAdvance(tree.state.dw, request.leaf);
  const createdLeaves = new Set(result.created.map((c) => c.leaf));
  const allocations = [...tree.state.allocations];
  const given = request.allocations ?? new Map<number, LeafAllocation>();
  if (!(given instanceof Map))
    throw new InvalidArgumentError('request.allocations', 'expected a Map leaf → allocation');
  for (const [leaf, a] of given) {
    if (!createdLeaves.has(leaf))
      throw new InvalidArgumentError(
        `request.allocations[${leaf}]`,
        `leaf ${leaf} is not below the advanced node ${result.advancedNode}: it is not re-signed in this advance`,
      );
    checkAllocation(layout, leaf, a, { argument: `request.allocations[${leaf}]` });
    allocations[leaf] = Object.freeze({ capacities: Object.freeze([...a.capacities]), lStock: a.lStock });
  }
  if (!(request.poisonHashes instanceof Map))
    throw new InvalidArgumentError('request.poisonHashes', 'expected a Map counter → sha256(s_c)');
  const createdCounters = new Set(result.created.map((c) => c.counter));
  for (const c of request.poisonHashes.keys())
    if (!createdCounters.has(c))
      throw new InvalidArgumentError(
        `request.poisonHashes[${String(c)}]`,
        `this advance creates counters ${[...createdCounters].join(', ')} only`,
      );
  const poisonHashes = [...tree.state.poisonHashes];
  for (const c of result.created) {
    const h = request.poisonHashes.get(c.counter);
    assertBytes(h, `request.poisonHashes[${c.counter}]`, 32);
    poisonHashes[c.leaf] = Uint8Array.from(h);
  }
  const state: FactoryState = Object.freeze({
    dw: result.next,
    allocations: Object.freeze(allocations),
    poisonHashes: Object.freeze(poisonHashes),
  });
  // Only the advanced node's state and its subtree change; in pre-order they are contiguous.
  const top = layout.shape.nodes[result.advancedNode] as { end: number };
  const from = (layout.nodeTxs[result.advancedNode] as { state: number }).state;
  const lastNode = layout.nodeTxs[top.end - 1] as { kickoff: number; state: number };
  const to = Math.max(lastNode.kickoff, lastNode.state) + 1;
  const next = buildTreeWith(p, layout, state, { tree, from, to });

  const newTxs: TreeTx[] = [];
  for (const ch of result.changed) {
    const nt = layout.nodeTxs[ch.node] as { kickoff: number; state: number };
    if (ch.kickoffRebuilt) newTxs.push(next.txs[nt.kickoff] as TreeTx);
    newTxs.push(next.txs[nt.state] as TreeTx);
  }

  const superseded = result.superseded.map((s) =>
    supersededLeafState(p, layout, {
      leaf: s.leaf,
      node: s.node,
      counter: s.counter,
      stateTx: tree.txs[(layout.nodeTxs[s.node] as { state: number }).state] as TreeTx,
      oldAllocation: tree.state.allocations[s.leaf] as LeafAllocation,
      newAllocation: allocations[s.leaf] as LeafAllocation,
    }),
  );

  const jobs: SigningJob[] = newTxs.map((t) => treeJobFor(next.keys, t));
  for (const s of superseded) {
    const pj = poisonJob(tree, s);
    if (pj) jobs.push(pj);
    for (const e of s.settlements) {
      const sj = settlementJob(tree, s.counter, e);
      if (sj) jobs.push(sj);
    }
  }
  return Object.freeze({
    dw: result,
    kind: result.kind,
    previous: tree,
    next,
    newTxs: Object.freeze(newTxs),
    superseded: Object.freeze(superseded),
    jobs: Object.freeze(jobs),
  });
}

/**
 * The tree to keep when an advance's signing aborts: the previous tree with the attempt's counters
 * retired (dw-counter's `abandonAdvance`), so no `c` is ever reused for another L-stock (§5.3).
 */
export function abandonPlan(plan: AdvancePlan): FactoryTree {
  assertObject(plan, 'plan');
  const prev = plan.previous;
  return Object.freeze({
    ...prev,
    state: Object.freeze({ ...prev.state, dw: abandonAdvance(prev.state.dw, plan.dw) }),
  });
}

/** Options of {@link signJobsSimulated}. */
export interface SimulatedJobOptions {
  /** Randomness for the clients' nonces (default: the CSPRNG). Inject only in tests. */
  readonly rng?: Rng;
  /** Test hook: may replace a participant's partial signature before aggregation. */
  readonly tamper?: (job: string, participant: number, psig: Uint8Array) => Uint8Array;
}

/**
 * Signs advance jobs with every party simulated in one process, as `signTreeSimulated` does for the
 * tree: each client draws one nonce per job, the LSP signs last with BIP327 `DeterministicSign`, and
 * each aggregate is verified against the job's `outputKey` (blaming a signer only on failure).
 *
 * @param keys participant public keys (the tree's `keys`), to check `secretKeys` against.
 * @param secretKeys indexed by participant (0 = LSP, i + 1 = clients[i]).
 * @returns one 64-byte signature per job, in order.
 * @throws {SigningError} naming the job's position and the blamed participant.
 */
export function signJobsSimulated(
  jobs: readonly SigningJob[],
  keys: readonly Uint8Array[],
  secretKeys: readonly Uint8Array[],
  options: SimulatedJobOptions = {},
): Uint8Array[] {
  if (!Array.isArray(jobs) || !Array.isArray(keys) || !Array.isArray(secretKeys))
    throw new InvalidArgumentError('jobs', 'expected arrays of jobs, keys and secret keys');
  if (!Array.isArray(secretKeys) || secretKeys.length !== keys.length)
    throw new InvalidArgumentError('secretKeys', `expected ${keys.length} keys (LSP first)`);
  secretKeys.forEach((sk, i) => {
    assertBytes(sk, `secretKeys[${i}]`, 32);
    if (!bytesEqual(publicKeyOf(sk, `secretKeys[${i}]`), keys[i] as Uint8Array))
      throw new InvalidArgumentError(`secretKeys[${i}]`, 'does not match the key of that participant');
  });
  return jobs.map((j, idx) => signJob(j, idx, secretKeys, options));
}

function signJob(
  j: SigningJob,
  idx: number,
  sks: readonly Uint8Array[],
  options: SimulatedJobOptions,
): Uint8Array {
  const tweaks = j.tweak === undefined ? [] : [j.tweak];
  const isXonly = j.tweak === undefined ? [] : [true];
  const lspPos = j.signers.indexOf(0);
  if (lspPos < 0) throw new InvalidArgumentError(`jobs[${idx}]`, 'the LSP signs every job');
  const pubnonces: Uint8Array[] = new Array(j.signers.length);
  const secnonces = new Map<number, ReturnType<typeof nonceGen>['secnonce']>();
  try {
    j.signers.forEach((s, pos) => {
      if (s === 0) return;
      const r = nonceGen({
        pk: j.pubkeys[pos] as Uint8Array,
        sk: sks[s] as Uint8Array,
        aggpk: j.outputKey,
        msg: j.sighash,
        ...(options.rng ? { rng: options.rng } : {}),
      });
      pubnonces[pos] = r.pubnonce;
      secnonces.set(pos, r.secnonce);
    });
    const aggothernonce = nonceAgg(pubnonces.filter((_, pos) => pos !== lspPos));
    const lsp = deterministicSign({
      sk: sks[0] as Uint8Array,
      aggothernonce,
      pubkeys: j.pubkeys,
      tweaks,
      isXonly,
      msg: j.sighash,
    });
    pubnonces[lspPos] = lsp.pubnonce;
    const session = new Session({
      aggnonce: nonceAgg([aggothernonce, lsp.pubnonce]),
      pubkeys: j.pubkeys,
      tweaks,
      isXonly,
      msg: j.sighash,
    });
    if (!bytesEqual(session.xonlyPubkey, j.outputKey))
      throw new SigningError(idx, null, `${j.id}: the session key is not the key the job verifies against`);
    const psigs = j.signers.map((s, pos) => {
      const psig = s === 0 ? lsp.psig : session.sign(secnonces.get(pos) as never, sks[s] as Uint8Array);
      return options.tamper ? options.tamper(j.id, s, psig) : psig;
    });
    return session.aggregateVerified(psigs, pubnonces);
  } catch (e) {
    if (e instanceof SigningError) throw e;
    if (e instanceof InvalidContributionError && e.signer !== null) {
      const who = j.signers[e.signer] ?? null;
      throw new SigningError(idx, who, `${j.id}: invalid ${e.contrib} from participant ${who}`, { cause: e });
    }
    if (MuSig2Error.isInstance(e)) throw new SigningError(idx, null, `${j.id}: ${e.message}`, { cause: e });
    throw e;
  }
}
