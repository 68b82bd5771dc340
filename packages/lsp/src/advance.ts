/**
 * State advances, LSP side (brief §5.1–§5.4, §11; flaw 8): a per-leaf advance, or a carry into the
 * nearest ancestor with room (§5.2), run with the clients of the re-signed subtree over the wire.
 *
 * Triggered by a purpose only — the `advance_leaf` command (a liquidity sale, a rebalance) or a
 * client's `advance_request` the policy grants — never after a payment (flaw 8). Steps:
 *
 * 1. **Refusals** (typed, `CommandRefused`): the factory is not open, an advance is in progress, a
 *    kickoff or state of the re-signed path is in a mempool (`mempool_txids`) or on chain (§5.1,
 *    `LSP_ADVANCE_PATH_PUBLISHED`), the leaf's DW subtree is exhausted (`FactoryExhausted`: rotate),
 *    an allocation breaks conservation or dust.
 * 2. **Quiescence**: every channel of the re-signed leaves waits until it holds no HTLC and nothing
 *    pending, then gets `quiesce` (`stfu` both ways); `quiesceTimeoutMs` without it → `AdvanceFailed`.
 * 3. **Propose**: `planAdvance` with the poison hashes of the counters it creates (the L-stock
 *    shachain, §5.3). The attempt is persisted first in the factory's advance history **as abandoned**
 *    (so a crash from here on retires its counters and nothing of it is ever released); each channel
 *    is prepared for its new outpoint (`rebind_prepare`: §5.4's capacity-change checks, the LSP's
 *    fresh verification nonce); `advance_propose` (allocations, fees, created counters) leaves.
 * 4. **Nonces** (`advance_nonces`): exactly the client's jobs by (kind, index) and its channel's
 *    rebinding nonce; the LSP signs the client's rebound commitment (`rebind_sign`, its new outpoint
 *    durably tracked first). When all are in: `lspSignJobs` (DeterministicSign: the LSP signs last and
 *    holds no secret nonce) → `advance_agg_nonces` (aggregate nonces, the LSP's rebinding nonce and
 *    its half of the client's rebound commitment, so the client holds its own before it signs).
 * 5. **Partial signatures** (`advance_psigs`): the client's half of the LSP's rebound commitment
 *    completes it (`rebind_complete`); when all are in, `lspAggregateJobs` verifies every signature —
 *    the new states first in the job list, then poisons and settlements; nothing leaves before all
 *    verify (§5.1 release order).
 * 6. **Signed**: persisted (the history's record turns complete, every signature stored by txid;
 *    in the same update the tower's guarded kickoffs with the new states, `lspAdvanceTowerOps`),
 *    `AdvanceCompleted`; the channels activate their new outpoints; each client gets `advance_done`
 *    (its signatures), then `lstock_secret` for each superseded state of its leaf.
 *
 * 7. **Retries** (an aggregation nobody can be blamed for, BIP327: client nonces of one job that sum
 *    to infinity, which DeterministicSign refuses in step 4, or an aggregate that fails with every
 *    partial valid in step 5): the same proposal again under `attempt` a + 1 (persisted first), every
 *    signer drawing fresh nonces, the rebinding's included, up to `policy.advance.maxSigningAttempts`
 *    attempts; then `AdvanceFailed` with `attempts` and the clients whose nonces cancelled. A blamed
 *    failure (a partial signature that does not verify) abandons at once, as before.
 *
 * **Interruptions** (one rule, the same on both sides): before step 6 is durable an advance is
 * abandoned by any disconnection of a participant, a timeout, a refusal or a restart (secret nonces
 * are gone): the LSP resumes the channels, journals `AdvanceFailed`, and tells the other participants
 * with a `factory_reestablish` naming the last complete advance each took part in (one holding a
 * newer one abandons it). A retried advance is no exception: the advance in flight and its attempt are
 * durable, so after a restart the LSP journals `AdvanceFailed { reason: 'restart', attempts }` once.
 * After step 6, a client that reconnects naming that advance at an earlier
 * step gets `advance_done` and the secrets again before its channel reconnects.
 *
 * @module
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex } from '@superscalar/core';
import {
  type AdvancePlan,
  type AdvanceRecord,
  abandonPlan,
  advanceCounters,
  advanceRecord,
  decodeFactory,
  encodeFactory,
  type FactoryTree,
  InvalidAllocationError,
  type JobNonces,
  type JobPartialSigs,
  jobsByParticipant,
  type LeafAllocation,
  type LspSigningState,
  lStockSecret,
  lspAggregateJobs,
  lspSignJobs,
  planAdvance,
  replayFactory,
  SigningError,
  type SigningJob,
  type StoredFactory,
} from '@superscalar/factory-tree';
import type { BlobRecord } from '@superscalar/persist';
import type { ChannelEvent } from '@superscalar/poon-dryja';
import type {
  AdvanceAggNonces,
  AdvanceDone,
  AdvanceNonces,
  AdvancePropose,
  AdvancePsigs,
  AdvanceRequestMessage,
  AdvanceTxKind,
  AdvanceTxRef,
  FactoryReestablish,
} from '@superscalar/wire';
import type { ChannelSlot, LspCore, LspFactory } from './_core.js';
import { liquidityFeeMsat } from './advancePolicy.js';
import { built, participantOf } from './ceremony.js';
import { drive } from './channels.js';
import { busy } from './closing.js';
import {
  AdvancePathPublishedError,
  AdvanceRefusedError,
  DecodeError,
  InvalidArgumentError,
  StaleMessageError,
  UnexpectedMessageError,
} from './errors.js';
import type { PeerId } from './io.js';
import { lspAdvanceTowerOps } from './tower.js';
import { cancellingJob, clientSigners, unblamedAggregate } from './unblamed.js';

/** Why an advance is run (flaw 8: never "after a payment"). */
export type AdvancePurpose = 'liquidity' | 'rebalance' | 'client_request';
const PURPOSES: readonly AdvancePurpose[] = ['liquidity', 'rebalance', 'client_request'];

/** A completed advance, as the LSP keeps it (journal and `factory_reestablish`). */
export interface CompletedAdvance {
  readonly advanceId: number;
  readonly leaf: number;
  readonly kind: 'leaf' | 'carry' | 'epoch-reset';
  readonly purpose: AdvancePurpose;
  readonly node: number;
  readonly superseded: readonly number[];
  readonly created: readonly number[];
  /** Per re-signed channel: client index, capacity after, liquidity fee (msat). */
  readonly channels: readonly {
    readonly clientIndex: number;
    readonly capacity: bigint;
    readonly fee: bigint;
  }[];
}

/** An advance in flight (memory only: an interruption abandons it). */
interface Session {
  readonly advanceId: number;
  readonly leaf: number;
  readonly purpose: AdvancePurpose;
  readonly requestedBy: PeerId | null;
  /** New capacities and fees by client index (only those asked). */
  readonly capacities: ReadonlyMap<number, bigint>;
  readonly fees: ReadonlyMap<number, bigint>;
  step: 'quiescing' | 'nonces' | 'psigs';
  /** The signing attempt (0 first): a retry after an unblamed failure signs the same plan again. */
  attempt: number;
  /** The `advance_propose` of attempt 0 (a retry sends it again naming its attempt). */
  propose: AdvancePropose | null;
  deadline: number;
  /** The clients of the re-signed leaves (client indices), and their leaves. */
  clients: number[];
  leaves: number[];
  plan: AdvancePlan | null;
  /** Each job's wire name, in `plan.jobs` order. */
  refs: AdvanceTxRef[];
  byClient: Map<number, number[]>;
  readonly nonces: Map<number, AdvanceNonces>;
  readonly psigs: Map<number, AdvancePsigs>;
  lspState: LspSigningState | null;
  /** The LSP's rebinding verification nonce per client, and its half of the client's rebound commitment. */
  readonly lspNonce: Map<number, Uint8Array>;
  readonly lspHalf: Map<number, { partialSig: Uint8Array; signingNonce: Uint8Array }>;
  /** Clients whose channel completed the LSP's rebound commitment. */
  readonly rebound: Set<number>;
}

/** The LSP's advance state of a factory (`LspFactory.advance`). */
export interface LspAdvanceState {
  /** The advance history (factory-tree's `StoredFactory`: replayed, it gives the current tree). */
  stored: StoredFactory;
  /** Completed advances, oldest first. */
  completed: CompletedAdvance[];
  /** Tree txids seen in a block (persisted) and in a mempool (memory only). */
  readonly onChain: Set<string>;
  readonly inMempool: Set<string>;
  /** Memory only. */
  session: Session | null;
  /** Memory only: the replayed plans of completed advances, by advance id (for resends). */
  plans: Map<number, AdvancePlan>;
  /** Memory only: clients sent the LSP's reconnection `factory_reestablish`, whose own is still due. */
  readonly expecting: Set<number>;
  /** An advance in flight when the LSP stopped (restored): journalled as abandoned at the first input. */
  interrupted?: { readonly advanceId: number; readonly leaf: number; readonly attempt: number };
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** Blob key of a factory's advance state. */
export const advanceKey = (idHex: string) => `lsp/f/${idHex}/a`;

function stateOf(f: LspFactory): LspAdvanceState {
  if (f.advance === undefined)
    f.advance = {
      stored: { proposal: f.proposal, history: [], signatures: new Map(), secrets: new Map() },
      completed: [],
      onChain: new Set(),
      inMempool: new Set(),
      session: null,
      plans: new Map(),
      expecting: new Set(),
    };
  return f.advance;
}

function save(core: LspCore, f: LspFactory): void {
  const a = stateOf(f);
  const json = JSON.stringify(
    {
      factory: toHex(encodeFactory(a.stored)),
      completed: a.completed,
      onChain: [...a.onChain],
      // The proposed advance in flight and its signing attempt: durable before any message of that
      // attempt leaves, so a restart never reuses an attempt and reports how far it got.
      ...(a.session?.plan == null
        ? {}
        : { inFlight: { advanceId: a.session.advanceId, leaf: a.session.leaf, attempt: a.session.attempt } }),
    },
    (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
  );
  core.persist([
    {
      op: 'put',
      table: 'blobs',
      row: { key: advanceKey(f.idHex), version: 1, data: enc.encode(json), secret: false },
    },
  ]);
}

/** The factory's current tree (after its advances). */
export function currentTree(f: LspFactory): FactoryTree {
  return built(f).tree;
}

/** The current tree's signature of each transaction signed in an advance, by txid (the ceremony's are in `f.signatures`). */
export function advanceSignatures(f: LspFactory): ReadonlyMap<string, Uint8Array> {
  return f.advance?.stored.signatures ?? new Map();
}

// ---------------------------------------------------------------------------------------------
// Restore

/** Restores every factory's advance state from its blob (called by `Lsp.restore`). */
export function restoreAdvances(core: LspCore, byKey: ReadonlyMap<string, BlobRecord>): void {
  for (const f of core.factories.values()) {
    const b = byKey.get(advanceKey(f.idHex));
    if (b === undefined) continue;
    let o: {
      factory: string;
      completed: Record<string, unknown>[];
      onChain: string[];
      inFlight?: { advanceId: number; leaf: number; attempt: number };
    };
    let stored: StoredFactory;
    try {
      o = JSON.parse(dec.decode(b.data));
      stored = decodeFactory(fromHex(o.factory));
    } catch (cause) {
      throw new DecodeError(advanceKey(f.idHex), 'the advance record does not decode', { cause });
    }
    const a = stateOf(f);
    a.stored = stored;
    a.completed = o.completed.map((c) => ({
      ...(c as unknown as CompletedAdvance),
      channels: (c.channels as { clientIndex: number; capacity: string; fee: string }[]).map((x) => ({
        clientIndex: x.clientIndex,
        capacity: BigInt(x.capacity),
        fee: BigInt(x.fee),
      })),
    }));
    for (const t of o.onChain) a.onChain.add(t);
    if (o.inFlight !== undefined && !a.completed.some((c) => c.advanceId === o.inFlight?.advanceId))
      a.interrupted = o.inFlight;
    applyHistory(f);
  }
}

/** Rebuilds the current tree from the history (and the plans of completed advances). */
function applyHistory(f: LspFactory): void {
  const a = stateOf(f);
  const b = built(f);
  const r = replayFactory(a.stored);
  f.built = { ...b, tree: r.tree };
  a.plans = new Map();
  let k = 0;
  a.stored.history.forEach((h, i) => {
    if (!h.abandoned) a.plans.set(i + 1, r.plans[k++] as AdvancePlan);
  });
}

/**
 * First input after a restore: channels of a signed advance that did not activate before the crash
 * activate now (the rebound commitments are durable, the new state is signed).
 */
export function resumeAdvancesAfterRestore(core: LspCore): void {
  for (const f of core.factories.values()) {
    const a = f.advance;
    const lost = a?.interrupted;
    if (a !== undefined && lost !== undefined) {
      // Its secret nonces went with the process: abandoned, as every interruption (the clients learn
      // it from the reestablish). The durable attempt counter says how far it got.
      delete a.interrupted;
      save(core, f);
      core.event({
        kind: 'AdvanceFailed',
        factoryId: f.idHex,
        leaf: lost.leaf,
        advanceId: lost.advanceId,
        reason: 'restart',
        text: `the LSP restarted during advance ${lost.advanceId} (attempt ${lost.attempt})`,
        attempts: lost.attempt + 1,
      });
    }
    const last = a?.completed[a.completed.length - 1];
    if (a === undefined || last === undefined) continue;
    const plan = a.plans.get(last.advanceId);
    if (plan === undefined) continue;
    for (const c of last.channels) activate(core, f, plan, c.clientIndex);
  }
}

// ---------------------------------------------------------------------------------------------
// Commands and requests

function commandFactory(core: LspCore, factoryId: unknown): LspFactory {
  if (!(factoryId instanceof Uint8Array) || factoryId.length !== 32)
    throw new InvalidArgumentError('command.factoryId', 'expected 32 bytes');
  const f = core.factory(factoryId);
  if (f === undefined)
    throw new InvalidArgumentError('command.factoryId', `unknown factory ${toHex(factoryId)}`);
  return f;
}

/** The `advance_leaf` command. */
export function onAdvanceLeaf(
  core: LspCore,
  i: {
    factoryId: Uint8Array;
    leaf: number;
    purpose: AdvancePurpose;
    allocations?: ReadonlyMap<number, bigint>;
    liquidityFeesMsat?: ReadonlyMap<number, bigint>;
  },
): void {
  const f = commandFactory(core, i.factoryId);
  if (!PURPOSES.includes(i.purpose))
    throw new InvalidArgumentError('command.purpose', `expected one of ${PURPOSES.join(', ')}`);
  for (const [k, m] of [
    ['allocations', i.allocations],
    ['liquidityFeesMsat', i.liquidityFeesMsat],
  ] as const)
    if (m !== undefined && !(m instanceof Map))
      throw new InvalidArgumentError(`command.${k}`, 'expected a Map client index → bigint');
  start(core, f, {
    leaf: i.leaf,
    purpose: i.purpose,
    requestedBy: null,
    capacities: i.allocations ?? new Map(),
    fees: i.liquidityFeesMsat ?? new Map(),
  });
}

/** A client's `advance_request`: the policy decides; a grant starts an advance of its leaf. */
export function onAdvanceRequest(core: LspCore, peer: PeerId, m: AdvanceRequestMessage): void {
  const { f, client } = participantOf(core, peer, m.factoryId);
  const tree = currentTree(f);
  const leaf = tree.layout.leafClients.findIndex((cl) => cl.includes(client));
  const slotInLeaf = (tree.layout.leafClients[leaf] as readonly number[]).indexOf(client);
  const alloc = tree.state.allocations[leaf] as LeafAllocation;
  const capacity = alloc.capacities[slotInLeaf] as bigint;
  const fee = liquidityFeeMsat(core.policy.advance, m.capacity - capacity);
  let accepted = false;
  let why = '';
  if (f.phase !== 'open') why = `the factory is ${f.phase}, not open`;
  else if (f.advance?.session != null) why = 'an advance is in progress';
  else if (fee > m.maxLiquidityFeeMsat)
    why = `the liquidity fee is ${fee} msat, above the ${m.maxLiquidityFeeMsat} offered`;
  else if (m.capacity - capacity > alloc.lStock) why = "the leaf's L-stock cannot pay that capacity";
  else {
    try {
      accepted =
        core.policy.advance.acceptAdvanceRequest({
          factoryId: f.idHex,
          peer,
          clientIndex: client,
          capacity,
          requestedCapacity: m.capacity,
          maxLiquidityFeeMsat: m.maxLiquidityFeeMsat,
          liquidityFeeMsat: fee,
        }) === true;
    } catch (e) {
      core.log('error', 'policy.advance.acceptAdvanceRequest threw: refused', { factoryId: f.idHex }, e);
    }
    if (!accepted) why = "refused by the LSP's policy";
  }
  core.event({
    kind: 'AdvanceRequested',
    factoryId: f.idHex,
    peer,
    clientIndex: client,
    capacity: m.capacity,
    liquidityFeeMsat: fee,
    accepted,
  });
  if (!accepted) {
    core.send(peer, { type: 'warning', factoryId: f.id, text: `advance request refused: ${why}` });
    return;
  }
  try {
    start(core, f, {
      leaf,
      purpose: 'client_request',
      requestedBy: peer,
      capacities: m.capacity === capacity ? new Map() : new Map([[client, m.capacity]]),
      fees: fee === 0n ? new Map() : new Map([[client, fee]]),
    });
  } catch (e) {
    if (!AdvanceRefusedError.isInstance(e) && !AdvancePathPublishedError.isInstance(e)) throw e;
    core.send(peer, {
      type: 'warning',
      factoryId: f.id,
      text: `advance request refused: ${(e as Error).message}`,
    });
  }
}

/**
 * The leaves an advance of `leaf` re-signs (dw-counter's `created`), or null when its DW subtree is
 * exhausted: then `FactoryExhausted` and the refusal are journalled here (a thrown refusal would
 * discard the event with the input's other actions).
 */
function createdLeaves(core: LspCore, f: LspFactory, leaf: number, command: string): number[] | null {
  const tree = currentTree(f);
  try {
    const counters = advanceCounters(tree, leaf);
    const plan = planAdvance(tree, {
      leaf,
      poisonHashes: new Map(counters.map((c) => [c, new Uint8Array(32)])),
    });
    return plan.dw.created.map((c) => c.leaf);
  } catch (e) {
    if ((e as { code?: unknown })?.code !== 'DW_EXHAUSTED') throw e;
    const topNode = (e as { topNode?: number }).topNode ?? -1;
    const err = new AdvanceRefusedError(
      'exhausted',
      `leaf ${leaf}: every DW layer of its subtree is at its last state; rotate the factory`,
      { cause: e },
    );
    core.event({ kind: 'FactoryExhausted', factoryId: f.idHex, leaf, topNode });
    core.event({ kind: 'CommandRefused', command, code: err.code, message: err.message });
    core.log('warn', 'factory exhausted: rotate it', { factoryId: f.idHex, leaf, topNode });
    return null;
  }
}

/** §5.1: any transaction on the re-signed paths (root to every re-signed leaf) published? */
function checkUnpublished(f: LspFactory, leaves: readonly number[]): void {
  const a = stateOf(f);
  const tree = currentTree(f);
  for (const leaf of leaves)
    for (const i of tree.layout.leafPaths[leaf] ?? []) {
      const txid = (tree.txs[i] as { txid: string }).txid;
      for (const [set, where] of [
        [a.onChain, 'chain'],
        [a.inMempool, 'mempool'],
      ] as const)
        if (set.has(txid))
          throw new AdvancePathPublishedError(
            txid,
            where,
            `tx ${i} (${txid}) of leaf ${leaf}'s path is ${where === 'chain' ? 'on chain' : 'in a mempool'}: no advance of this path (brief §5.1)`,
          );
    }
}

function start(
  core: LspCore,
  f: LspFactory,
  r: {
    leaf: number;
    purpose: AdvancePurpose;
    requestedBy: PeerId | null;
    capacities: ReadonlyMap<number, bigint>;
    fees: ReadonlyMap<number, bigint>;
  },
): void {
  if (f.phase !== 'open')
    throw new AdvanceRefusedError('state', `factory ${f.idHex} is ${f.phase}: only an open factory advances`);
  const a = stateOf(f);
  if (a.session !== null)
    throw new AdvanceRefusedError('busy', `an advance of leaf ${a.session.leaf} is in progress`);
  const tree = currentTree(f);
  const L = tree.layout.leafClients.length;
  if (!Number.isInteger(r.leaf) || r.leaf < 0 || r.leaf >= L)
    throw new InvalidArgumentError('command.leaf', `expected a leaf in 0..${L - 1}`);
  const leaves = createdLeaves(core, f, r.leaf, r.requestedBy === null ? 'advance_leaf' : 'advance_request');
  if (leaves === null) {
    if (r.requestedBy !== null)
      core.send(r.requestedBy, {
        type: 'warning',
        factoryId: f.id,
        text: 'advance request refused: the factory is exhausted',
      });
    return;
  }
  checkUnpublished(f, leaves);
  const clients = leaves.flatMap((l) => [...(tree.layout.leafClients[l] as readonly number[])]);
  for (const [c, v] of [...r.capacities, ...r.fees]) {
    if (!(tree.layout.leafClients[r.leaf] as readonly number[]).includes(c))
      throw new InvalidArgumentError('command.allocations', `client ${c} is not in leaf ${r.leaf}`);
    if (typeof v !== 'bigint' || v < 0n)
      throw new InvalidArgumentError('command.allocations', 'expected amounts as bigints ≥ 0');
  }
  // The allocation is checked now (conservation, dust) so a bad one is refused before any quiescence.
  allocationOf(tree, r.leaf, r.capacities);
  a.session = {
    advanceId: a.stored.history.length + 1,
    leaf: r.leaf,
    purpose: r.purpose,
    requestedBy: r.requestedBy,
    capacities: new Map(r.capacities),
    fees: new Map(r.fees),
    step: 'quiescing',
    attempt: 0,
    propose: null,
    deadline: core.now + core.policy.advance.quiesceTimeoutMs,
    clients,
    leaves,
    plan: null,
    refs: [],
    byClient: new Map(),
    nonces: new Map(),
    psigs: new Map(),
    lspState: null,
    lspNonce: new Map(),
    lspHalf: new Map(),
    rebound: new Set(),
  };
  core.log('info', 'advance asked', { factoryId: f.idHex, leaf: r.leaf, purpose: r.purpose, leaves });
  for (const c of clients) quiesce(core, f, f.channels[c] as ChannelSlot);
  tryPropose(core, f);
}

/** The leaf's new allocation: the given capacities, the L-stock paying (or taking) the difference. */
function allocationOf(
  tree: FactoryTree,
  leaf: number,
  capacities: ReadonlyMap<number, bigint>,
): LeafAllocation {
  const cl = tree.layout.leafClients[leaf] as readonly number[];
  const old = tree.state.allocations[leaf] as LeafAllocation;
  const caps = cl.map((c, k) => capacities.get(c) ?? (old.capacities[k] as bigint));
  const delta = caps.reduce((s, x, k) => s + x - (old.capacities[k] as bigint), 0n);
  const next = { capacities: caps, lStock: old.lStock - delta };
  if (next.lStock < 0n)
    throw new AdvanceRefusedError(
      'allocation',
      `leaf ${leaf}: its L-stock (${old.lStock} sats) cannot pay ${delta} sats`,
    );
  try {
    // planAdvance checks conservation and dust; probe it on the current tree.
    const counters = advanceCounters(tree, leaf);
    planAdvance(tree, {
      leaf,
      allocations: new Map([[leaf, next]]),
      poisonHashes: new Map(counters.map((c) => [c, new Uint8Array(32)])),
    });
  } catch (e) {
    if (InvalidAllocationError.isInstance(e))
      throw new AdvanceRefusedError('allocation', `leaf ${leaf}: ${(e as Error).message}`, { cause: e });
    throw e;
  }
  return next;
}

// ---------------------------------------------------------------------------------------------
// Quiescence

function quiesce(core: LspCore, f: LspFactory, slot: ChannelSlot): void {
  const ch = slot.channel;
  if (slot.quiesced || ch === null || ch.phase !== 'normal') return;
  if (!core.connected.has(f.participants[slot.clientIndex] as string)) return;
  if (busy(slot)) return;
  slot.quiesced = true;
  drive(core, f, slot, { type: 'quiesce' });
}

/** After a channel's actions (hook of `channels.ts`): quiescence progress of an advance. */
export function advanceAfterChannel(core: LspCore, f: LspFactory, slot: ChannelSlot): void {
  const s = f.advance?.session;
  if (s == null || s.step !== 'quiescing' || !s.clients.includes(slot.clientIndex)) return;
  quiesce(core, f, slot);
  tryPropose(core, f);
}

function tryPropose(core: LspCore, f: LspFactory): void {
  const s = stateOf(f).session;
  if (s === null || s.step !== 'quiescing') return;
  const ready = s.clients.every((c) => {
    const slot = f.channels[c] as ChannelSlot;
    return slot.quiescent && !busy(slot) && core.connected.has(f.participants[c] as string);
  });
  if (ready) propose(core, f, s);
}

// ---------------------------------------------------------------------------------------------
// Propose

/** The wire name of each job of a plan (`tx <i>`, `poison c=<c>`, `settlement c=<c> client=<i>`). */
export function jobRefs(plan: AdvancePlan): AdvanceTxRef[] {
  const leafOfCounter = new Map(plan.superseded.map((s) => [s.counter, s.leaf]));
  return plan.jobs.map((j) => refOfJob(j, (i) => plan.next.txs[i]?.kind ?? 'state', leafOfCounter));
}

/** @internal The wire name of a job (shared logic with the client, which passes its own lookups). */
export function refOfJob(
  j: SigningJob,
  kindOfTx: (index: number) => 'kickoff' | 'state',
  leafOfCounter: ReadonlyMap<number, number>,
): AdvanceTxRef {
  let m = /^tx (\d+)$/.exec(j.id);
  if (m !== null) return { kind: kindOfTx(Number(m[1])), index: Number(m[1]) };
  m = /^poison c=(\d+)$/.exec(j.id);
  if (m !== null) return { kind: 'poison', index: leafOfCounter.get(Number(m[1])) as number };
  m = /^settlement c=(\d+) client=(\d+)$/.exec(j.id);
  if (m !== null) return { kind: 'settlement', index: Number(m[2]) + 1 };
  throw new InvalidArgumentError('job.id', `not an advance job: ${j.id}`);
}

const refKey = (r: { kind: AdvanceTxKind; index: number }) => `${r.kind}:${r.index}`;
const KIND_ORDER: Readonly<Record<AdvanceTxKind, number>> = {
  kickoff: 0,
  state: 1,
  poison: 2,
  settlement: 3,
};
const refCmp = (a: AdvanceTxRef, b: AdvanceTxRef) =>
  KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.index - b.index;

function propose(core: LspCore, f: LspFactory, s: Session): void {
  const a = stateOf(f);
  const tree = currentTree(f);
  const counters = advanceCounters(tree, s.leaf);
  const seed = core.keys.lStockShachainSeed(f.index).secret;
  const poisonHashes = new Map(counters.map((c) => [c, sha256(lStockSecret(seed, c))]));
  const allocations = new Map([[s.leaf, allocationOf(tree, s.leaf, s.capacities)]]);
  const plan = planAdvance(tree, { leaf: s.leaf, allocations, poisonHashes });
  s.plan = plan;
  s.step = 'nonces';
  s.refs = jobRefs(plan);
  s.byClient = new Map([...jobsByParticipant(plan.jobs)].map(([p, js]) => [p - 1, js]));
  // Persist the attempt as abandoned before anything of it leaves: a crash retires its counters.
  a.stored = {
    ...a.stored,
    history: [...a.stored.history, advanceRecord(s.leaf, allocations, poisonHashes, { abandoned: true })],
  };
  save(core, f);
  s.propose = {
    type: 'advance_propose',
    factoryId: f.id,
    advanceId: s.advanceId,
    leaf: s.leaf,
    kind: kindOf(plan),
    allocations: plan.dw.created.map((x) => {
      const al = plan.next.state.allocations[x.leaf] as LeafAllocation;
      return {
        leaf: x.leaf,
        channels: (tree.layout.leafClients[x.leaf] as readonly number[]).map((c, k) => ({
          client: c + 1,
          capacity: al.capacities[k] as bigint,
          liquidityFeeMsat: s.fees.get(c) ?? 0n,
        })),
        lStock: al.lStock,
      };
    }),
    created: plan.dw.created.map((x) => ({
      leaf: x.leaf,
      counter: x.counter,
      poisonHash: poisonHashes.get(x.counter) as Uint8Array,
    })),
  };
  core.log('info', 'advance proposed', {
    factoryId: f.idHex,
    advanceId: s.advanceId,
    leaf: s.leaf,
    kind: s.propose.kind,
    clients: s.clients,
  });
  sendAttempt(core, f, s);
}

/**
 * One signing attempt of a proposed advance: each channel prepared for its new outpoint (§5.4's
 * checks, the LSP's fresh rebinding nonce), then `advance_propose` naming the attempt. A retry sends
 * the same proposal (the same plan: nothing new is ever signed), so every signer draws fresh nonces.
 */
function sendAttempt(core: LspCore, f: LspFactory, s: Session): void {
  const plan = s.plan as AdvancePlan;
  for (const c of s.clients) {
    const slot = f.channels[c] as ChannelSlot;
    const funding = newFunding(plan, c);
    try {
      drive(core, f, slot, {
        type: 'rebind_prepare',
        funding,
        liquidityFeeMsat: s.fees.get(c) ?? 0n,
      });
    } catch (e) {
      abort(core, f, 'channel', `channel of client ${c}: ${(e as Error).message}`);
      return;
    }
    if (!s.lspNonce.has(c)) {
      abort(
        core,
        f,
        'channel',
        `the channel of client ${c} cannot be rebound on ${funding.txid}:${funding.vout}`,
      );
      return;
    }
  }
  s.deadline = core.now + core.policy.stepTimeoutMs;
  const msg: AdvancePropose = { ...(s.propose as AdvancePropose), ...attemptField(s) };
  for (const c of s.clients) core.send(f.participants[c] as string, msg);
}

/** The `attempt` field of the advance messages: absent for attempt 0 (the bytes of before retries). */
function attemptField(s: Session): { attempt?: number } {
  return s.attempt === 0 ? {} : { attempt: s.attempt };
}

function kindOf(plan: AdvancePlan): 'leaf' | 'carry' | 'epoch-reset' {
  return plan.dw.epochReset ? 'epoch-reset' : plan.kind;
}

/** Client `c`'s channel outpoint in the plan's new tree. */
function newFunding(plan: AdvancePlan, c: number): { txid: string; vout: number; amount: bigint } {
  const layout = plan.next.layout;
  const leaf = layout.leafClients.findIndex((cl) => cl.includes(c));
  const path = layout.leafPaths[leaf] as readonly number[];
  const t = plan.next.txs[path[path.length - 1] as number] as FactoryTree['txs'][number];
  const vout = t.outputRoles.findIndex((r) => r.kind === 'channel' && r.client === c);
  return { txid: t.txid, vout, amount: (t.tx.outputs[vout] as { value: bigint }).value };
}

/** Channel events of a rebinding (hook of `channels.ts`). */
export function onAdvanceChannelEvent(
  core: LspCore,
  f: LspFactory,
  slot: ChannelSlot,
  e: ChannelEvent,
): void {
  const s = f.advance?.session;
  const c = slot.clientIndex;
  if (s == null || !s.clients.includes(c)) {
    core.log('debug', 'rebinding event outside an advance', { channelId: slot.idHex, event: e.type });
    return;
  }
  if (e.type === 'rebind_nonce') s.lspNonce.set(c, e.nonce);
  else if (e.type === 'rebind_partial')
    s.lspHalf.set(c, { partialSig: e.partialSig, signingNonce: e.signingNonce });
  else if (e.type === 'rebound') s.rebound.add(c);
}

// ---------------------------------------------------------------------------------------------
// Signing rounds

function inSession(
  core: LspCore,
  peer: PeerId,
  m: { factoryId: Uint8Array; advanceId: number; type: string },
) {
  const { f, client } = participantOf(core, peer, m.factoryId);
  const s = f.advance?.session;
  if (s == null || s.advanceId !== m.advanceId || s.plan === null)
    throw new StaleMessageError(peer, `${m.type} of advance ${m.advanceId}: not in progress`, {
      factoryId: f.idHex,
    });
  if (!s.clients.includes(client))
    throw new UnexpectedMessageError(peer, `${m.type}: the client does not sign advance ${m.advanceId}`, {
      factoryId: f.idHex,
    });
  return { f, client, s };
}

function sameRefs(got: readonly AdvanceTxRef[], want: readonly AdvanceTxRef[]): boolean {
  return got.length === want.length && got.every((r, i) => refKey(r) === refKey(want[i] as AdvanceTxRef));
}

/** The client's jobs as wire names, sorted as the wire lists them. */
function wantRefs(s: Session, client: number): AdvanceTxRef[] {
  return (s.byClient.get(client) ?? []).map((j) => s.refs[j] as AdvanceTxRef).sort(refCmp);
}

/** `advance_nonces`. */
export function onAdvanceNonces(core: LspCore, peer: PeerId, m: AdvanceNonces): void {
  const { f, client, s } = inSession(core, peer, m);
  if (s.step !== 'nonces' || s.nonces.has(client) || (m.attempt ?? 0) !== s.attempt)
    throw new StaleMessageError(peer, 'advance_nonces out of step', { factoryId: f.idHex });
  const slot = f.channels[client] as ChannelSlot;
  const rb = m.rebindingNonces;
  if (
    !sameRefs(m.nonces, wantRefs(s, client)) ||
    rb.length !== 1 ||
    toHex(rb[0]?.channelId ?? new Uint8Array()) !== slot.idHex
  ) {
    abort(
      core,
      f,
      'signing_failed',
      `client ${client}: advance_nonces for other jobs than its own`,
      client + 1,
    );
    return;
  }
  drive(core, f, slot, {
    type: 'rebind_sign',
    peerNonce: (rb[0] as { verificationNonce: Uint8Array }).verificationNonce,
  });
  if (!s.lspHalf.has(client)) {
    abort(core, f, 'signing_failed', `client ${client}: its rebinding nonce does not decode`, client + 1);
    return;
  }
  s.nonces.set(client, m);
  if (s.nonces.size === s.clients.length) signRound(core, f, s);
}

function signRound(core: LspCore, f: LspFactory, s: Session): void {
  const plan = s.plan as AdvancePlan;
  const index = new Map(s.refs.map((r, j) => [refKey(r), j]));
  const nonces: JobNonces[] = [...s.nonces].map(([client, m]) => {
    const pairs = m.nonces
      .map((n) => ({ j: index.get(refKey(n)) as number, n: n.pubnonce }))
      .sort((x, y) => x.j - y.j);
    return { participant: client + 1, jobs: pairs.map((p) => p.j), pubnonces: pairs.map((p) => p.n) };
  });
  let signed: ReturnType<typeof lspSignJobs>;
  try {
    signed = lspSignJobs({ jobs: plan.jobs, lspSecretKey: core.keys.factoryKey(f.index).secretKey, nonces });
  } catch (e) {
    const cancelled = cancellingJob(e);
    if (cancelled !== null) {
      const job = plan.jobs[cancelled] as SigningJob;
      retry(
        core,
        f,
        s,
        `${job.id}: the client nonces sum to infinity (BIP327 DeterministicSign cannot sign)`,
        job,
      );
      return;
    }
    if (
      !SigningError.isInstance(e) &&
      !InvalidArgumentError.isInstance(e) &&
      !(e as { code?: string })?.code?.startsWith('TREE_')
    )
      throw e;
    const blamed = SigningError.isInstance(e) ? ((e as SigningError).signer ?? undefined) : undefined;
    abort(core, f, 'signing_failed', `round 2: ${(e as Error).message}`, blamed ?? undefined);
    return;
  }
  s.lspState = signed.state;
  s.step = 'psigs';
  s.deadline = core.now + core.policy.stepTimeoutMs;
  for (const agg of signed.aggNonces) {
    const client = agg.participant - 1;
    const slot = f.channels[client] as ChannelSlot;
    const half = s.lspHalf.get(client) as { partialSig: Uint8Array; signingNonce: Uint8Array };
    const msg: AdvanceAggNonces = {
      type: 'advance_agg_nonces',
      factoryId: f.id,
      advanceId: s.advanceId,
      aggNonces: agg.jobs
        .map((j, k) => ({ ...(s.refs[j] as AdvanceTxRef), aggnonce: agg.aggnonces[k] as Uint8Array }))
        .sort(refCmp),
      rebindingNonces: [
        { channelId: slot.channelId, verificationNonce: s.lspNonce.get(client) as Uint8Array },
      ],
      reboundCommitments: [
        { channelId: slot.channelId, partialSig: half.partialSig, signingNonce: half.signingNonce },
      ],
      ...attemptField(s),
    };
    core.send(f.participants[client] as string, msg);
  }
}

/** `advance_psigs`. */
export function onAdvancePsigs(core: LspCore, peer: PeerId, m: AdvancePsigs): void {
  const { f, client, s } = inSession(core, peer, m);
  if (s.step !== 'psigs' || s.psigs.has(client) || (m.attempt ?? 0) !== s.attempt)
    throw new StaleMessageError(peer, 'advance_psigs out of step', { factoryId: f.idHex });
  const slot = f.channels[client] as ChannelSlot;
  const rc = m.reboundCommitments;
  if (
    !sameRefs(m.psigs, wantRefs(s, client)) ||
    rc.length !== 1 ||
    toHex(rc[0]?.channelId ?? new Uint8Array()) !== slot.idHex
  ) {
    abort(
      core,
      f,
      'signing_failed',
      `client ${client}: advance_psigs for other jobs than its own`,
      client + 1,
    );
    return;
  }
  const half = rc[0] as { partialSig: Uint8Array; signingNonce: Uint8Array };
  drive(core, f, slot, {
    type: 'rebind_complete',
    partialSig: half.partialSig,
    signingNonce: half.signingNonce,
  });
  if (!s.rebound.has(client)) {
    abort(
      core,
      f,
      'signing_failed',
      `client ${client}: its half of the LSP's rebound commitment does not verify`,
      client + 1,
    );
    return;
  }
  s.psigs.set(client, m);
  if (s.psigs.size === s.clients.length) aggregate(core, f, s);
}

function aggregate(core: LspCore, f: LspFactory, s: Session): void {
  const plan = s.plan as AdvancePlan;
  const index = new Map(s.refs.map((r, j) => [refKey(r), j]));
  const partials: JobPartialSigs[] = [...s.psigs].map(([client, m]) => {
    const pairs = m.psigs
      .map((p) => ({ j: index.get(refKey(p)) as number, p: p.psig }))
      .sort((x, y) => x.j - y.j);
    return { participant: client + 1, jobs: pairs.map((p) => p.j), psigs: pairs.map((p) => p.p) };
  });
  let sigs: Uint8Array[];
  try {
    sigs = lspAggregateJobs(
      s.lspState as LspSigningState,
      partials,
      core.deps.rng ? { rng: core.deps.rng } : {},
    );
  } catch (e) {
    if (!SigningError.isInstance(e)) throw e;
    if (unblamedAggregate(e)) {
      // With the LSP's nonce derived from the clients' (DeterministicSign), this is no client's
      // doing that the LSP could prove (an infinite R' needs a hash collision, 'aggnonce' is the
      // aggregator's own mismatch): retried without naming anyone.
      retry(core, f, s, `the aggregate failed with nobody to blame: ${(e as Error).message}`, undefined);
      return;
    }
    const blamed = (e as SigningError).signer;
    abort(core, f, 'signing_failed', (e as Error).message, blamed ?? undefined);
    return;
  }
  complete(core, f, s, plan, sigs);
}

/**
 * An aggregation that failed with nobody to blame (BIP327: client nonces that cancel to infinity):
 * the same advance is signed again with fresh nonces from every signer, the new attempt durable
 * before anything of it leaves, up to `policy.advance.maxSigningAttempts` attempts; then it is
 * abandoned, naming the clients whose nonces cancelled (every client signer of that job: only
 * signers that know each other's nonces can cancel them, see `unblamed.ts`). Nothing of the failed
 * attempt is released; the retry re-signs exactly the same transactions (same plan, same rebound
 * commitments), so whatever an earlier attempt let anyone hold signs nothing new.
 */
function retry(core: LspCore, f: LspFactory, s: Session, why: string, job: SigningJob | undefined): void {
  const cancelling = job === undefined ? [] : clientSigners(job);
  const attempts = s.attempt + 1;
  const names = cancelling.length === 0 ? '' : ` (clients [${cancelling.join(', ')}])`;
  if (attempts >= core.policy.advance.maxSigningAttempts) {
    abort(
      core,
      f,
      'signing_failed',
      `${why}${names}; nobody to blame after ${attempts} attempt(s), the limit: abandoned`,
      undefined,
      { attempts, cancelling },
    );
    return;
  }
  s.attempt = attempts;
  s.step = 'nonces';
  s.nonces.clear();
  s.psigs.clear();
  s.lspState = null;
  s.lspNonce.clear();
  s.lspHalf.clear();
  s.rebound.clear();
  save(core, f);
  core.event({
    kind: 'AdvanceRetried',
    factoryId: f.idHex,
    leaf: s.leaf,
    advanceId: s.advanceId,
    attempt: s.attempt,
    text: `${why}${names}`,
    ...(cancelling.length === 0 ? {} : { cancelling }),
  });
  core.log('warn', 'advance retried with fresh nonces', {
    factoryId: f.idHex,
    advanceId: s.advanceId,
    attempt: s.attempt,
    why,
  });
  sendAttempt(core, f, s);
}

/** Step 6: persist, journal, activate the channels, then `advance_done` and the secrets. */
function complete(core: LspCore, f: LspFactory, s: Session, plan: AdvancePlan, sigs: Uint8Array[]): void {
  const a = stateOf(f);
  const history = [...a.stored.history];
  const last = history[history.length - 1] as AdvanceRecord;
  const poisonHashes = new Map(
    plan.dw.created.map((c) => [c.counter, plan.next.state.poisonHashes[c.leaf] as Uint8Array]),
  );
  history[history.length - 1] = advanceRecord(s.leaf, last.allocations, poisonHashes);
  const signatures = new Map(a.stored.signatures);
  plan.jobs.forEach((j, k) => {
    signatures.set(txidOfJob(plan, j), sigs[k] as Uint8Array);
  });
  const secrets = new Map(a.stored.secrets);
  const seed = core.keys.lStockShachainSeed(f.index).secret;
  for (const x of plan.superseded) secrets.set(x.counter, lStockSecret(seed, x.counter));
  a.stored = { ...a.stored, history, signatures, secrets };
  const record: CompletedAdvance = {
    advanceId: s.advanceId,
    leaf: s.leaf,
    kind: kindOf(plan),
    purpose: s.purpose,
    node: plan.dw.advancedNode,
    superseded: plan.dw.superseded.map((x) => x.counter),
    created: plan.dw.created.map((x) => x.counter),
    channels: s.clients.map((c) => ({
      clientIndex: c,
      capacity: newFunding(plan, c).amount,
      fee: s.fees.get(c) ?? 0n,
    })),
  };
  a.completed.push(record);
  a.plans.set(s.advanceId, plan);
  a.session = null;
  f.built = { ...built(f), tree: plan.next };
  save(core, f);
  // The same update: the tower's guarded kickoffs with the new states (brief §11), before any
  // channel moves or any signature of the new state leaves.
  core.persist(
    lspAdvanceTowerOps({
      factoryId: f.id,
      plan,
      signatures: new Map(plan.jobs.map((j, k) => [j.id, sigs[k] as Uint8Array])),
    }),
  );
  core.event({
    kind: 'AdvanceCompleted',
    factoryId: f.idHex,
    advanceId: record.advanceId,
    leaf: record.leaf,
    advanceKind: record.kind,
    purpose: record.purpose,
    node: record.node,
    counters: { superseded: [...record.superseded], created: [...record.created] },
    channels: record.channels.map((c) => ({
      clientIndex: c.clientIndex,
      capacity: c.capacity,
      liquidityFeeMsat: c.fee,
    })),
    feesMsat: record.channels.reduce((t, c) => t + c.fee, 0n),
    ...(s.attempt === 0 ? {} : { attempt: s.attempt }),
  });
  core.log('info', 'advance signed', { factoryId: f.idHex, advanceId: s.advanceId, kind: record.kind });
  for (const c of s.clients) {
    activate(core, f, plan, c);
    (f.channels[c] as ChannelSlot).quiesced = false;
    (f.channels[c] as ChannelSlot).quiescent = false;
  }
  for (const c of s.clients) sendDone(core, f, s.advanceId, c);
}

function txidOfJob(plan: AdvancePlan, j: SigningJob): string {
  let m = /^tx (\d+)$/.exec(j.id);
  if (m !== null) return (plan.next.txs[Number(m[1])] as { txid: string }).txid;
  m = /^poison c=(\d+)$/.exec(j.id);
  if (m !== null) return plan.superseded.find((x) => x.counter === Number(m?.[1]))?.poison?.txid as string;
  m = /^settlement c=(\d+) client=(\d+)$/.exec(j.id) as RegExpExecArray;
  const sup = plan.superseded.find((x) => x.counter === Number(m[1]));
  return sup?.settlements.find((e) => e.client === Number(m[2]))?.settlement?.txid as string;
}

/** Activates client `c`'s channel on its new outpoint (if it has not yet). */
function activate(core: LspCore, f: LspFactory, plan: AdvancePlan, c: number): void {
  const slot = f.channels[c] as ChannelSlot;
  const ch = slot.channel;
  if (ch === null) return;
  const want = newFunding(plan, c);
  const cur = ch.state.fundings[ch.state.fundings.length - 1]?.outpoint;
  if (cur?.txid === want.txid && cur.vout === want.vout) return;
  drive(core, f, slot, { type: 'rebind_activate' });
}

/** Sends client `c` advance `advanceId`'s `advance_done`, then `lstock_secret` of every superseded state of its leaf. */
function sendDone(core: LspCore, f: LspFactory, advanceId: number, c: number): void {
  const a = stateOf(f);
  const plan = a.plans.get(advanceId);
  if (plan === undefined) return;
  const refs = jobRefs(plan);
  const mine = jobsByParticipant(plan.jobs).get(c + 1) ?? [];
  const msg: AdvanceDone = {
    type: 'advance_done',
    factoryId: f.id,
    advanceId,
    signatures: mine
      .map((j) => ({
        ...(refs[j] as AdvanceTxRef),
        signature: a.stored.signatures.get(txidOfJob(plan, plan.jobs[j] as SigningJob)) as Uint8Array,
      }))
      .sort(refCmp),
  };
  core.send(f.participants[c] as string, msg);
  sendSecrets(core, f, plan, c);
}

function sendSecrets(core: LspCore, f: LspFactory, plan: AdvancePlan, c: number): void {
  const leaf = plan.next.layout.leafClients.findIndex((cl) => cl.includes(c));
  const seed = core.keys.lStockShachainSeed(f.index).secret;
  for (const x of plan.superseded)
    if (x.leaf === leaf)
      core.send(f.participants[c] as string, {
        type: 'lstock_secret',
        factoryId: f.id,
        counter: x.counter,
        secret: lStockSecret(seed, x.counter),
      });
}

// ---------------------------------------------------------------------------------------------
// Abort, timers, connections

/**
 * Abandons the advance in flight: nothing of it is released; its counters stay retired (its history
 * record is the abandoned one written at propose); the channels resume; every other participant
 * still connected is told with a `factory_reestablish` naming the last complete advance it took part in.
 */
function abort(
  core: LspCore,
  f: LspFactory,
  reason: 'timeout' | 'disconnected' | 'refused' | 'signing_failed' | 'channel' | 'closing',
  text: string,
  blamed?: number,
  unblamed?: { readonly attempts: number; readonly cancelling: readonly number[] },
): void {
  const a = stateOf(f);
  const s = a.session;
  if (s === null) return;
  a.session = null;
  const proposed = s.plan !== null;
  // Its counters are retired (§5.3), as the persisted history's abandoned record replays.
  if (s.plan !== null) f.built = { ...built(f), tree: abandonPlan(s.plan) };
  // No longer in flight (a restart must not report it again).
  if (proposed) save(core, f);
  core.event({
    kind: 'AdvanceFailed',
    factoryId: f.idHex,
    leaf: s.leaf,
    ...(proposed ? { advanceId: s.advanceId } : {}),
    reason,
    text,
    ...(blamed === undefined ? {} : { blamed }),
    ...(unblamed === undefined
      ? s.attempt === 0
        ? {}
        : { attempts: s.attempt + 1 }
      : {
          attempts: unblamed.attempts,
          ...(unblamed.cancelling.length === 0 ? {} : { cancelling: [...unblamed.cancelling] }),
        }),
  });
  core.log('warn', 'advance abandoned', { factoryId: f.idHex, advanceId: s.advanceId, reason, text, blamed });
  for (const c of s.clients) {
    const slot = f.channels[c] as ChannelSlot;
    if (slot.quiesced && slot.channel !== null) drive(core, f, slot, { type: 'resume' });
    slot.quiesced = false;
    slot.quiescent = false;
  }
  // Every participant still connected learns it (its channel may be quiescent, it may hold the
  // proposal): the LSP's state again, as after a reconnection.
  for (const c of s.clients) {
    const peer = f.participants[c] as string;
    if (!core.connected.has(peer)) continue;
    core.send(peer, reestablishMessage(f, c));
    if (s.requestedBy === peer)
      core.send(peer, { type: 'warning', factoryId: f.id, text: `advance abandoned: ${text}` });
  }
}

/** The last complete advance client `client` took part in, if any. */
function lastOf(f: LspFactory, client: number): CompletedAdvance | undefined {
  return f.advance?.completed.findLast((x) => x.channels.some((c) => c.clientIndex === client));
}

/**
 * The LSP's `factory_reestablish` of an open factory for client `client`: the last complete advance
 * that client took part in (so an advance it holds at `psigs` is either that one — completed — or
 * newer — abandoned).
 */
export function reestablishMessage(f: LspFactory, client: number): FactoryReestablish {
  const last = lastOf(f, client);
  return {
    type: 'factory_reestablish',
    factoryId: f.id,
    phase: 'open',
    ...(last === undefined ? {} : { advance: { advanceId: last.advanceId, step: 'complete' as const } }),
  };
}

/** The LSP's `factory_reestablish` at a client's connection (hook): its own is expected next. */
export function reestablishOnConnect(f: LspFactory, client: number): FactoryReestablish {
  stateOf(f).expecting.add(client);
  return reestablishMessage(f, client);
}

/** Timers (hook of the tick): an advance's deadline. */
export function advanceTick(core: LspCore, f: LspFactory): void {
  const s = f.advance?.session;
  if (s == null || core.now < s.deadline) return;
  const waiting =
    s.step === 'quiescing'
      ? s.clients.filter((c) => !(f.channels[c] as ChannelSlot).quiescent)
      : s.clients.filter((c) => !(s.step === 'nonces' ? s.nonces : s.psigs).has(c));
  abort(core, f, 'timeout', `step ${s.step} not done in time (waiting for clients ${waiting.join(', ')})`);
}

/** A participant's connection is gone (hook of `onPeerDisconnected`). */
export function advanceOnDisconnect(core: LspCore, f: LspFactory, client: number): void {
  f.advance?.expecting.delete(client);
  const s = f.advance?.session;
  if (s == null || !s.clients.includes(client)) return;
  // Before the proposal the advance only waits for quiescence: it asks again at the reconnection.
  if (s.step === 'quiescing') return;
  abort(core, f, 'disconnected', `client ${client} disconnected during step ${s.step}`);
}

/** The factory starts closing: an advance in flight is abandoned (hook of the close). */
export function advanceOnClose(core: LspCore, f: LspFactory): void {
  abort(core, f, 'closing', 'the factory started closing');
}

/**
 * A client's `factory_reestablish` of an open factory (hook, before its channel reconnects). After a
 * reconnection it names the advance it holds: the last complete advance it took part in, at an earlier step, gets
 * `advance_done` and/or the secrets again. On a live connection (no reconnection pending) it is the
 * client's refusal or loss of the advance in flight, which is abandoned; then nothing else of the
 * reconnection runs (returns true).
 */
export function advanceOnReestablish(
  core: LspCore,
  f: LspFactory,
  client: number,
  m: FactoryReestablish,
): boolean {
  const a = stateOf(f);
  const reconnection = a.expecting.delete(client);
  const s = a.session;
  if (s !== null && s.plan !== null && s.clients.includes(client)) {
    const held = m.advance?.advanceId === s.advanceId ? ` (it names it at step ${m.advance.step})` : '';
    abort(core, f, 'refused', `client ${client} does not hold advance ${s.advanceId}${held}`);
  }
  if (!reconnection) return true;
  const adv = m.advance;
  const last = lastOf(f, client);
  if (adv === undefined || last === undefined || adv.advanceId !== last.advanceId || adv.step === 'complete')
    return false;
  if (adv.step === 'signed') {
    const plan = a.plans.get(last.advanceId);
    if (plan !== undefined) sendSecrets(core, f, plan, client);
    return false;
  }
  sendDone(core, f, last.advanceId, client);
  return false;
}

/** Blocks (hook of the chain): tree transactions seen on chain are remembered (§5.1 refusals). */
export function advanceOnBlock(core: LspCore, f: LspFactory, inBlock: ReadonlySet<string>): void {
  if (f.phase !== 'open' && f.phase !== 'closing') return;
  const hits = currentTree(f).txs.filter(
    (t) => inBlock.has(t.txid) && f.advance?.onChain.has(t.txid) !== true,
  );
  if (hits.length === 0) return;
  const a = stateOf(f);
  for (const t of hits) a.onChain.add(t.txid);
  save(core, f);
  core.log('warn', 'a tree transaction is on chain: no more advances of its paths', { factoryId: f.idHex });
  const s = a.session;
  if (s !== null) {
    try {
      checkUnpublished(f, s.leaves);
    } catch (e) {
      abort(core, f, 'refused', (e as Error).message);
    }
  }
}

/** `mempool_txids`: tree transactions seen in a mempool (memory only). */
export function onMempoolTxids(core: LspCore, txids: readonly string[]): void {
  if (!Array.isArray(txids)) throw new InvalidArgumentError('input.txids', 'expected an array of txids');
  const seen = new Set(txids);
  for (const f of core.factories.values()) {
    if (f.phase !== 'open') continue;
    const hits = currentTree(f).txs.filter((t) => seen.has(t.txid));
    if (hits.length === 0) continue;
    const a = stateOf(f);
    for (const t of hits) a.inMempool.add(t.txid);
    const s = a.session;
    if (s !== null)
      try {
        checkUnpublished(f, s.leaves);
      } catch (e) {
        abort(core, f, 'refused', (e as Error).message);
      }
  }
}

/** What `Lsp.factory()` reports of advances. */
export function advanceInfo(f: LspFactory):
  | {
      readonly inProgress?: {
        readonly leaf: number;
        readonly advanceId: number;
        readonly step: string;
        readonly attempt: number;
      };
      readonly completed: readonly CompletedAdvance[];
    }
  | undefined {
  const a = f.advance;
  if (a === undefined) return undefined;
  const s = a.session;
  return {
    ...(s === null
      ? {}
      : { inProgress: { leaf: s.leaf, advanceId: s.advanceId, step: s.step, attempt: s.attempt } }),
    completed: [...a.completed],
  };
}
