/**
 * State advances, client side (brief §5.1–§5.4, §11): the client's half of an advance the LSP runs
 * (`lsp/src/advance.ts`), O(depth) — it checks and signs only its own path, its leaf's poison and its
 * own settlement, from its `ClientFactoryRecord`.
 *
 * 1. `advance_propose`: its terms (`clientAdvanceTerms`), its plan (`planClientAdvance`: which node
 *    advances is its own computation), then its refusals, each a typed {@link AdvanceRefusedError}
 *    journalled as `AdvanceFailed` and answered with its `factory_reestablish` (the LSP abandons the
 *    advance): a liquidity fee above what it agreed — the maximum of its own `advance_request`, else
 *    `policy.maxLiquidityFeeMsat` (default 0) — i.e. an allocation paying it less than its channel
 *    balance minus the agreed fee; a rebound commitment §5.4 refuses (reserve, dust, affordability,
 *    a capacity shrinking below its balance); a path already on chain (§5.1). Else the channel is
 *    prepared for its new outpoint (`rebind_prepare`), round 1 draws one nonce per job (memory only),
 *    the step is persisted and `advance_nonces` leaves.
 * 2. `advance_agg_nonces`: first the LSP's half of its rebound commitment completes **its own**
 *    rebound commitment (verified, persisted: `rebound`), then it signs the LSP's (the new outpoint
 *    durably tracked first), then its partial signatures of the new path, poison and settlement —
 *    never before it holds its rebound commitment (§5.4). Step `psigs` is persisted before
 *    `advance_psigs` leaves.
 * 3. `advance_done`: every new path transaction, the poison and its settlement verified
 *    (`validateClientAdvance`); the record (`recordClientAdvance`: new path state and signatures, the
 *    superseded state with its poison and settlement signatures) and step `signed` persisted in one
 *    update; the channel activates its new outpoint; `AdvanceCompleted` (it counts the advance, and
 *    pays for liquidity, only now).
 * 4. `lstock_secret`: checked against the superseded state's poison hash and stored
 *    (`recordRevealedSecret`); the advance is `complete`.
 *
 * **Watchtower entries** (`tower.ts`'s builders, brief §11): the new channel outpoint is tracked
 * (poon-dryja's `watch funding`, persisted by `rebind_sign`) before the client's partial signatures
 * for the new state leave (step 2); the superseded state's poison (secret slot empty) and the
 * client's settlement, and the stale-state entries of its new path's kickoffs (a replaced row per
 * kickoff whose newest state changed, a new row per kickoff a carry rebuilt:
 * `clientAdvanceTowerOps`), go in the same store update as the verified `advance_done` (step 3),
 * before the channel's activation and before any later channel message on the new outpoint; the
 * revealed `s_c` (`revealedSecretOps`) in the update that stores it (step 4). Until step 3 the
 * client holds no signature of the new state and its old state stays valid for it.
 *
 * **Retries**: the LSP retries an advance whose aggregation nobody can be blamed for (client nonces
 * that cancel, BIP327) by sending the same `advance_propose` under a later `attempt`: accepted at
 * step `nonces` or `psigs` only if it is the very same proposal (a retry re-signs exactly the same
 * transactions and rebound commitments), it draws everything afresh — the channel's rebinding nonce
 * (`rebind_prepare` again on the same outpoint) and one nonce per job — and persists step `nonces`
 * with the attempt before `advance_nonces` leaves; messages of another attempt are stale.
 *
 * **Interruptions**: a disconnection or restart before step `psigs` abandons the advance (nonces are
 * gone; the LSP abandons it too). At `psigs` the client keeps its plan (rebuilt from the persisted
 * proposal) and waits for the LSP's `factory_reestablish`: naming this advance complete, it holds back
 * its channel's reconnection until `advance_done` (resent by the LSP) is verified and activated;
 * naming an older one, it abandons. A `factory_reestablish` from the LSP on a live connection is the
 * LSP's abort notice of an advance in flight.
 *
 * @module
 */
import { equalBytes, fromHex, toHex } from '@superscalar/core';
import {
  type ClientAdvancePlan,
  type ClientFactoryRecord,
  type ClientSigningState,
  clientFactoryRecord,
  clientJobsRound1,
  clientJobsRound2,
  planClientAdvance,
  recordClientAdvance,
  recordRevealedSecret,
  type SigningJob,
  type SupersededResponse,
  signedSettlementBytes,
  signedTxBytes,
  supersededResponses,
  validateClientAdvance,
} from '@superscalar/factory-tree';
import type { BlobRecord, Op } from '@superscalar/persist';
import type { ChannelEvent } from '@superscalar/poon-dryja';
import {
  type AdvanceAggNonces,
  type AdvanceDone,
  type AdvancePropose,
  type AdvanceTxKind,
  type AdvanceTxRef,
  type ClientAdvanceTerms,
  clientAdvanceTerms,
  decodeMessage,
  encodeMessage,
  type FactoryReestablish,
  type LstockSecret,
} from '@superscalar/wire';
import type { ClientCore, ClientFactory } from './_core.js';
import { factoryOf } from './ceremony.js';
import { drive } from './channels.js';
import { putRecord, readRecord, recordKey } from './codec.js';
import {
  AdvanceRefusedError,
  AdvanceSignatureError,
  DecodeError,
  FactoryStateError,
  InvalidArgumentError,
  StaleMessageError,
  UnexpectedMessageError,
} from './errors.js';
import { clientAdvanceTowerOps, revealedSecretOps } from './tower.js';
import { retiredGuardOps } from './towerRetired.js';

/** The steps a client persists of an advance it signs. */
type Step = 'nonces' | 'psigs' | 'signed';

/** An advance the client takes part in. */
interface Current {
  readonly advanceId: number;
  step: Step;
  /** The signing attempt (0 first; the LSP retries an unblamed failure with the same proposal). */
  attempt: number;
  readonly propose: AdvancePropose;
  readonly terms: ClientAdvanceTerms;
  readonly plan: ClientAdvancePlan;
  /** Each of its jobs' wire name, in `plan.jobs` order. */
  readonly refs: readonly AdvanceTxRef[];
  /** Memory only. */
  signing: ClientSigningState | null;
  rebound: boolean;
  half: { partialSig: Uint8Array; signingNonce: Uint8Array } | null;
  nonce: Uint8Array | null;
}

/** The client's advance state of a factory (`ClientFactory.advance`). */
export interface ClientAdvanceState {
  /** The O(depth) record (path state, signatures, superseded states, revealed secrets). */
  record: ClientFactoryRecord;
  /** The last advance it completed (0: none). */
  lastComplete: number;
  current: Current | null;
  /** Memory only: its own `advance_request` (what it agreed to pay). */
  requested: { readonly capacity: bigint; readonly maxLiquidityFeeMsat: bigint } | null;
  /** Memory only: the connection on which the LSP's `factory_reestablish` was last received. */
  lspSeenOn: number;
  /** Memory only: the connection on which the client sent its reconnection `factory_reestablish`. */
  sentOn: number;
  /** Memory only: the channel's reconnection waits for `advance_done`. */
  deferredConnect: boolean;
  /** Memory only: txids of its path seen in a block (§5.1). */
  readonly onChain: Set<string>;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** Blob key of a factory's advance state. */
export const advanceKey = (idHex: string) => `client/f/${idHex}/a`;

function stateOf(f: ClientFactory): ClientAdvanceState {
  if (f.advance === undefined) {
    const s = f.signatures;
    f.advance = {
      record: clientFactoryRecord(
        f.path,
        s === null
          ? {}
          : {
              path: s.path,
              distribution: s.dist.map((signature, k) => ({
                index: f.dist.positions[k] as number,
                signature,
              })),
            },
      ),
      lastComplete: 0,
      current: null,
      requested: null,
      lspSeenOn: -1,
      sentOn: -1,
      deferredConnect: false,
      onChain: new Set(),
    };
  }
  return f.advance;
}

function saveState(core: ClientCore, f: ClientFactory): void {
  const a = stateOf(f);
  const c = a.current;
  const json = JSON.stringify({
    lastComplete: a.lastComplete,
    current:
      c === null
        ? null
        : {
            advanceId: c.advanceId,
            step: c.step,
            propose: toHex(encodeMessage(c.propose)),
            ...(c.attempt === 0 ? {} : { attempt: c.attempt }),
          },
  });
  core.persist([
    {
      op: 'put',
      table: 'blobs',
      row: { key: advanceKey(f.idHex), version: 1, data: enc.encode(json), secret: false },
    },
  ]);
}

function saveRecordOf(core: ClientCore, f: ClientFactory): void {
  core.persist([
    putRecord(f.idHex, {
      factoryIndex: f.factoryIndex,
      clientIndex: f.clientIndex,
      fundingTx: f.fundingTx,
      record: stateOf(f).record,
    }),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Restore

/** Restores every factory's record and advance state (called by `Client.restore`). */
export function restoreClientAdvances(core: ClientCore, byKey: ReadonlyMap<string, BlobRecord>): void {
  for (const f of core.factories.values()) {
    const b = byKey.get(advanceKey(f.idHex));
    if (b === undefined) continue;
    const rb = byKey.get(recordKey(f.idHex));
    if (rb === undefined) throw new DecodeError(recordKey(f.idHex), 'missing with an advance record');
    const record = readRecord(rb).record;
    let o: {
      lastComplete: number;
      current: { advanceId: number; step: Step; propose: string; attempt?: number } | null;
    };
    try {
      o = JSON.parse(dec.decode(b.data));
    } catch (cause) {
      throw new DecodeError(advanceKey(f.idHex), 'not UTF-8 JSON', { cause });
    }
    f.advance = {
      record,
      lastComplete: o.lastComplete,
      current: null,
      requested: null,
      lspSeenOn: -1,
      sentOn: -1,
      deferredConnect: false,
      onChain: new Set(),
    };
    const c = o.current;
    // Before `psigs` the nonces are gone with the process: the advance is abandoned (as the LSP does).
    if (c === null || c.step === 'nonces') continue;
    const m = decodeMessage(fromHex(c.propose));
    if (m.type !== 'advance_propose') throw new DecodeError(advanceKey(f.idHex), 'not an advance_propose');
    if (c.step === 'signed') {
      // The record already holds the new state: only the secret is missing (no plan needed).
      f.advance.current = restoredSigned(m, c.advanceId, c.attempt ?? 0);
      continue;
    }
    // Step psigs: the plan is rebuilt from the record's (old) state and the proposal.
    const terms = termsOf(f, m);
    if (terms === undefined) continue;
    const plan = planClientAdvance(f.path, terms.request);
    f.advance.current = {
      advanceId: c.advanceId,
      step: 'psigs',
      attempt: c.attempt ?? 0,
      propose: m,
      terms,
      plan,
      refs: refsOf(plan),
      signing: null,
      rebound: true,
      half: null,
      nonce: null,
    };
  }
}

function restoredSigned(m: AdvancePropose, advanceId: number, attempt: number): Current {
  return {
    advanceId,
    step: 'signed',
    attempt,
    propose: m,
    terms: undefined as unknown as ClientAdvanceTerms,
    plan: undefined as unknown as ClientAdvancePlan,
    refs: [],
    signing: null,
    rebound: true,
    half: null,
    nonce: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function termsOf(f: ClientFactory, m: AdvancePropose): ClientAdvanceTerms | undefined {
  return clientAdvanceTerms(m, {
    client: f.clientIndex,
    leaf: f.path.leaf,
    leafClients: f.path.layout.leafClients[f.path.leaf] as readonly number[],
  });
}

const KIND_ORDER: Readonly<Record<AdvanceTxKind, number>> = {
  kickoff: 0,
  state: 1,
  poison: 2,
  settlement: 3,
};
const refKey = (r: { kind: AdvanceTxKind; index: number }) => `${r.kind}:${r.index}`;
const refCmp = (a: AdvanceTxRef, b: AdvanceTxRef) =>
  KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.index - b.index;

/** The wire name of each of the client's jobs (the LSP names the same jobs the same way). */
function refsOf(plan: ClientAdvancePlan): AdvanceTxRef[] {
  const kinds = new Map(plan.newTxs.map((t) => [t.index, t.kind]));
  return plan.jobs.map((j: SigningJob) => {
    let m = /^tx (\d+)$/.exec(j.id);
    if (m !== null) return { kind: kinds.get(Number(m[1])) ?? 'state', index: Number(m[1]) };
    m = /^poison c=(\d+)$/.exec(j.id);
    if (m !== null) return { kind: 'poison', index: plan.superseded.leaf };
    m = /^settlement c=(\d+) client=(\d+)$/.exec(j.id);
    if (m !== null) return { kind: 'settlement', index: Number(m[2]) + 1 };
    throw new InvalidArgumentError('job.id', `not an advance job: ${j.id}`);
  });
}

/** The client's new channel outpoint in a plan (its leaf state's channel output). */
function newFunding(
  f: ClientFactory,
  plan: ClientAdvancePlan,
): { txid: string; vout: number; amount: bigint } {
  const leafTx = plan.next.txs[plan.next.txs.length - 1] as ClientAdvancePlan['next']['txs'][number];
  const vout = leafTx.outputRoles.findIndex((r) => r.kind === 'channel' && r.client === f.clientIndex);
  return { txid: leafTx.txid, vout, amount: (leafTx.tx.outputs[vout] as { value: bigint }).value };
}

/** The client's `factory_reestablish` for an open factory (its advance, if any). */
export function clientReestablishMessage(f: ClientFactory): FactoryReestablish {
  const a = f.advance;
  const c = a?.current;
  if (c != null && (c.step === 'psigs' || c.step === 'signed'))
    return {
      type: 'factory_reestablish',
      factoryId: f.id,
      phase: 'advance',
      advance: { advanceId: c.advanceId, step: c.step },
    };
  return {
    type: 'factory_reestablish',
    factoryId: f.id,
    phase: 'open',
    ...(a === undefined || a.lastComplete === 0
      ? {}
      : { advance: { advanceId: a.lastComplete, step: 'complete' as const } }),
  };
}

/** The client's `factory_reestablish` at a (re)connection (hook): the LSP's answer is expected. */
export function reestablishOnConnect(core: ClientCore, f: ClientFactory): FactoryReestablish {
  stateOf(f).sentOn = core.connection;
  return clientReestablishMessage(f);
}

/** Abandons the advance in flight (nothing of it counts; the channel leaves quiescence). */
function abandon(core: ClientCore, f: ClientFactory, reason: string, text: string, code?: string): void {
  const a = stateOf(f);
  const c = a.current;
  if (c === null) return;
  a.current = null;
  a.deferredConnect = false;
  saveState(core, f);
  if (f.channel !== null) drive(core, f, { type: 'resume' });
  f.quiescent = false;
  core.event({
    kind: 'AdvanceFailed',
    factoryId: f.idHex,
    advanceId: c.advanceId,
    reason,
    text,
    ...(code === undefined ? {} : { code }),
  });
  core.log('warn', 'advance abandoned', { factoryId: f.idHex, advanceId: c.advanceId, reason, text });
}

/** Refuses an advance: typed error journalled, the LSP told with the client's state. */
function refuse(core: ClientCore, f: ClientFactory, advanceId: number, e: AdvanceRefusedError): undefined {
  const a = stateOf(f);
  a.current = null;
  saveState(core, f);
  if (f.channel !== null) drive(core, f, { type: 'resume' });
  f.quiescent = false;
  core.event({
    kind: 'AdvanceFailed',
    factoryId: f.idHex,
    advanceId,
    reason: 'refused',
    text: e.message,
    code: e.code,
  });
  core.log('warn', 'advance refused', { factoryId: f.idHex, advanceId, why: e.reason }, e);
  if (core.connected) core.send(clientReestablishMessage(f));
  return undefined;
}

/** The record's newest superseded state, rebuilt with its poison and settlement (the one just recorded). */
function lastSuperseded(record: ClientFactoryRecord): SupersededResponse | undefined {
  const last = record.superseded[record.superseded.length - 1];
  if (last === undefined) return undefined;
  // Only that state (its successor is the record's current state): one rebuild, not one per advance.
  return supersededResponses({ ...record, superseded: [last] })[0];
}

/**
 * Tower entries in the current persist (the `Out` merges it with the record's update). A builder
 * that refuses them is a bug: reported, and the advance's own state still persists.
 */
function persistTowerOps(core: ClientCore, f: ClientFactory, what: string, build: () => Op[]): void {
  let ops: Op[];
  try {
    ops = build();
  } catch (e) {
    const message = (e as Error)?.message ?? String(e);
    core.log('error', 'tower entries refused', { factoryId: f.idHex, what }, e);
    core.event({ kind: 'InvariantViolated', invariant: `tower: ${what} entries`, message });
    return;
  }
  if (ops.length > 0) core.persist(ops);
}

// ---------------------------------------------------------------------------------------------
// The command

/** `request_advance`: asks the LSP for an advance of the client's leaf (a liquidity purchase). */
export function onRequestAdvance(
  core: ClientCore,
  i: { factoryId: Uint8Array; capacity?: bigint; maxLiquidityFeeMsat?: bigint },
): void {
  if (!(i.factoryId instanceof Uint8Array) || i.factoryId.length !== 32)
    throw new InvalidArgumentError('command.factoryId', 'expected 32 bytes');
  const f = core.factories.get(toHex(i.factoryId));
  if (f === undefined) throw new InvalidArgumentError('command.factoryId', 'unknown factory');
  if (f.phase !== 'open') throw new FactoryStateError(f.idHex, f.phase, 'only an open factory advances');
  const a = stateOf(f);
  const s = a.record.state;
  const slot = (f.path.layout.leafClients[f.path.leaf] as readonly number[]).indexOf(f.clientIndex);
  const capacity = i.capacity ?? (s.allocation.capacities[slot] as bigint);
  const fee = i.maxLiquidityFeeMsat ?? 0n;
  if (typeof capacity !== 'bigint' || capacity <= 0n)
    throw new InvalidArgumentError('command.capacity', 'expected sats (a bigint > 0)');
  if (typeof fee !== 'bigint' || fee < 0n)
    throw new InvalidArgumentError('command.maxLiquidityFeeMsat', 'expected msat (a bigint ≥ 0)');
  if (!core.connected) throw new FactoryStateError(f.idHex, f.phase, 'not connected to the LSP');
  a.requested = { capacity, maxLiquidityFeeMsat: fee };
  core.send({ type: 'advance_request', factoryId: f.id, capacity, maxLiquidityFeeMsat: fee });
  core.log('info', 'advance requested', { factoryId: f.idHex, capacity, maxLiquidityFeeMsat: fee });
}

// ---------------------------------------------------------------------------------------------
// Messages

/** `advance_propose`. */
export function onAdvancePropose(core: ClientCore, peer: string, m: AdvancePropose): undefined {
  const f = factoryOf(core, peer, m.factoryId);
  const a = stateOf(f);
  if (m.advanceId <= a.lastComplete)
    throw new StaleMessageError(peer, `advance_propose of advance ${m.advanceId}: done`, {
      factoryId: f.idHex,
    });
  const cur = a.current;
  // The LSP's retry of the advance in flight (an unblamed aggregation failure): fresh nonces.
  if (cur !== null && cur.advanceId === m.advanceId && cur.step !== 'signed')
    return retryAdvance(core, peer, f, cur, m);
  if (cur !== null && cur.step !== 'nonces')
    throw new UnexpectedMessageError(
      peer,
      `advance_propose while advance ${cur.advanceId} is at ${cur.step}`,
      {
        factoryId: f.idHex,
      },
    );
  if (cur !== null) abandon(core, f, 'superseded', `a new proposal ${m.advanceId} replaces it`);
  const refusal = (reason: AdvanceRefusedError['reason'], text: string, cause?: unknown) =>
    refuse(core, f, m.advanceId, new AdvanceRefusedError(reason, text, cause === undefined ? {} : { cause }));
  if (f.phase !== 'open' || f.channel === null || f.channel.phase !== 'normal')
    return refusal('state', `the factory is ${f.phase}: only an open factory advances`);
  let terms: ClientAdvanceTerms | undefined;
  try {
    terms = termsOf(f, m);
  } catch (cause) {
    return refusal('terms', `advance_propose: ${(cause as Error).message}`, cause);
  }
  if (terms === undefined)
    throw new UnexpectedMessageError(peer, "advance_propose that does not re-sign the client's leaf", {
      factoryId: f.idHex,
    });
  for (const t of f.path.txs)
    if (a.onChain.has(t.txid))
      return refusal('published', `tx ${t.index} of its path is on chain: no advance (brief §5.1)`);
  // Its own exit's broadcasts are in a mempool even when no block has them yet (brief §5.1).
  const exiting = core.exits.drivers.get(f.idHex)?.record.reason;
  if (exiting !== undefined && exiting !== 'path-watch')
    return refusal('published', `the client is exiting the factory (${exiting}): no advance (brief §5.1)`);
  let plan: ClientAdvancePlan;
  try {
    plan = planClientAdvance(f.path, terms.request);
  } catch (cause) {
    return refusal('terms', `the advance does not apply to its path: ${(cause as Error).message}`, cause);
  }
  // The fee it agreed to: its own request's maximum, else the policy's (default 0).
  const requested = a.requested;
  const agreed =
    requested !== null && m.leaf === f.path.leaf
      ? requested.maxLiquidityFeeMsat
      : core.policy.maxLiquidityFeeMsat;
  if (terms.liquidityFeeMsat > agreed)
    return refusal(
      'fee',
      `the allocation pays it ${terms.liquidityFeeMsat} msat less than its balance; it agreed to at most ${agreed}`,
    );
  const balance = f.channel.localSpec?.clientMsat ?? 0n;
  if (terms.liquidityFeeMsat > balance)
    return refusal('fee', `the liquidity fee ${terms.liquidityFeeMsat} msat is above its balance ${balance}`);
  const funding = newFunding(f, plan);
  if (funding.amount !== terms.capacity)
    return refusal(
      'terms',
      `its channel output is ${funding.amount} sats, the proposal says ${terms.capacity}`,
    );
  const current: Current = {
    advanceId: m.advanceId,
    step: 'nonces',
    attempt: m.attempt ?? 0,
    propose: m,
    terms,
    plan,
    refs: refsOf(plan),
    signing: null,
    rebound: false,
    half: null,
    nonce: null,
  };
  a.current = current;
  try {
    drive(core, f, { type: 'rebind_prepare', funding, liquidityFeeMsat: terms.liquidityFeeMsat });
  } catch (cause) {
    return refusal('channel', `its channel refuses the new terms: ${(cause as Error).message}`, cause);
  }
  if (current.nonce === null)
    return refusal('channel', 'its channel cannot be rebound now (not quiescent, or the terms fail §5.4)');
  sendNonces(core, f, current);
  core.log('info', 'advance accepted', { factoryId: f.idHex, advanceId: m.advanceId, kind: plan.kind });
}

/**
 * Round 1 of the current attempt: one fresh nonce per job (memory only), the step and attempt
 * persisted, then `advance_nonces` with its channel's fresh rebinding nonce.
 */
function sendNonces(core: ClientCore, f: ClientFactory, c: Current): void {
  const r = clientJobsRound1({
    participant: f.clientIndex + 1,
    secretKey: core.keys.factoryKey(f.factoryIndex).secretKey,
    jobs: c.plan.jobs.map((job, index) => ({ index, job })),
    ...(core.deps.rng === undefined ? {} : { rng: core.deps.rng }),
  });
  c.signing = r.state;
  saveState(core, f);
  core.send({
    type: 'advance_nonces',
    factoryId: f.id,
    advanceId: c.advanceId,
    nonces: c.refs.map((ref, k) => ({ ...ref, pubnonce: r.nonces.pubnonces[k] as Uint8Array })).sort(refCmp),
    rebindingNonces: [{ channelId: f.channelId, verificationNonce: c.nonce as Uint8Array }],
    ...(c.attempt === 0 ? {} : { attempt: c.attempt }),
  });
}

/**
 * The LSP signs the advance in flight again under a later attempt (its aggregation failed with
 * nobody to blame, brief §5.1 / BIP327): only the very same proposal is accepted — a retry signs
 * exactly the transactions and rebound commitments already agreed, so nothing new can be obtained
 * from the client this way — and everything is drawn afresh: the channel's rebinding nonce
 * (`rebind_prepare` again on the same outpoint) and one nonce per job. Secret nonces of the earlier
 * attempt are dropped unused or were consumed by their one signature; the new step is persisted
 * before `advance_nonces` leaves.
 */
function retryAdvance(
  core: ClientCore,
  peer: string,
  f: ClientFactory,
  c: Current,
  m: AdvancePropose,
): undefined {
  const attempt = m.attempt ?? 0;
  if (attempt <= c.attempt)
    throw new StaleMessageError(
      peer,
      `advance_propose of advance ${m.advanceId}, attempt ${attempt}: at ${c.attempt}`,
      {
        factoryId: f.idHex,
      },
    );
  const { attempt: _n, ...terms } = m;
  const { attempt: _o, ...held } = c.propose;
  if (!equalBytes(encodeMessage(terms), encodeMessage(held))) {
    abandon(core, f, 'invalid', `attempt ${attempt} of advance ${m.advanceId} changes its terms`);
    if (core.connected) core.send(clientReestablishMessage(f));
    return undefined;
  }
  const refusal = (text: string, cause?: unknown) =>
    refuse(
      core,
      f,
      m.advanceId,
      new AdvanceRefusedError('channel', text, cause === undefined ? {} : { cause }),
    );
  if (f.channel === null || f.channel.phase !== 'normal')
    return refusal('its channel is not open: no retry of the advance');
  c.signing = null;
  c.rebound = false;
  c.half = null;
  c.nonce = null;
  c.attempt = attempt;
  c.step = 'nonces';
  try {
    drive(core, f, {
      type: 'rebind_prepare',
      funding: newFunding(f, c.plan),
      liquidityFeeMsat: c.terms.liquidityFeeMsat,
    });
  } catch (cause) {
    return refusal(`its channel refuses the retry: ${(cause as Error).message}`, cause);
  }
  if (c.nonce === null) return refusal('its channel cannot be rebound again now');
  sendNonces(core, f, c);
  core.log('info', 'advance retried with fresh nonces', {
    factoryId: f.idHex,
    advanceId: c.advanceId,
    attempt,
  });
  return undefined;
}

function currentOf(
  core: ClientCore,
  peer: string,
  m: { factoryId: Uint8Array; advanceId: number; type: string },
) {
  const f = factoryOf(core, peer, m.factoryId);
  const c = f.advance?.current;
  if (c == null || c.advanceId !== m.advanceId)
    throw new StaleMessageError(peer, `${m.type} of advance ${m.advanceId}: not in progress`, {
      factoryId: f.idHex,
    });
  return { f, c };
}

/** `advance_agg_nonces`: its rebound commitment first, then its halves and partial signatures. */
export function onAdvanceAggNonces(core: ClientCore, peer: string, m: AdvanceAggNonces): undefined {
  const { f, c } = currentOf(core, peer, m);
  const s = c.signing;
  if (c.step !== 'nonces' || s === null || (m.attempt ?? 0) !== c.attempt)
    throw new StaleMessageError(peer, 'advance_agg_nonces out of step', { factoryId: f.idHex });
  const byRef = new Map(m.aggNonces.map((x) => [refKey(x), x.aggnonce]));
  const half = m.reboundCommitments[0];
  const nonce = m.rebindingNonces[0];
  const bad = (text: string) =>
    abandonWithError(core, f, new AdvanceSignatureError(peer, text, { factoryId: f.idHex }));
  if (
    byRef.size !== c.refs.length ||
    c.refs.some((r) => !byRef.has(refKey(r))) ||
    half === undefined ||
    nonce === undefined ||
    toHex(half.channelId) !== f.channelIdHex ||
    toHex(nonce.channelId) !== f.channelIdHex
  )
    return bad('advance_agg_nonces for other jobs or another channel');
  // §5.4: hold our own rebound commitment before anything of the new tree is signed.
  drive(core, f, { type: 'rebind_complete', partialSig: half.partialSig, signingNonce: half.signingNonce });
  if (!c.rebound) return bad("the LSP's half of the client's rebound commitment does not verify");
  drive(core, f, { type: 'rebind_sign', peerNonce: nonce.verificationNonce });
  const mine = c.half;
  if (mine === null) return bad("the LSP's rebinding nonce does not decode");
  let psigs: ReturnType<typeof clientJobsRound2>;
  try {
    psigs = clientJobsRound2(s, {
      participant: f.clientIndex + 1,
      jobs: c.refs.map((_, k) => k),
      aggnonces: c.refs.map((r) => byRef.get(refKey(r)) as Uint8Array),
    });
  } catch (cause) {
    return bad(`round 2 failed: ${(cause as Error).message}`);
  }
  c.signing = null;
  c.step = 'psigs';
  saveState(core, f);
  core.send({
    type: 'advance_psigs',
    factoryId: f.id,
    advanceId: c.advanceId,
    psigs: c.refs.map((r, k) => ({ ...r, psig: psigs.psigs[k] as Uint8Array })).sort(refCmp),
    reboundCommitments: [
      { channelId: f.channelId, partialSig: mine.partialSig, signingNonce: mine.signingNonce },
    ],
    ...(c.attempt === 0 ? {} : { attempt: c.attempt }),
  });
}

function abandonWithError(core: ClientCore, f: ClientFactory, e: AdvanceSignatureError): undefined {
  abandon(core, f, 'invalid', e.message, e.code);
  if (core.connected) core.send(clientReestablishMessage(f));
  return undefined;
}

/** `advance_done`: verify, record, activate, count it. */
export function onAdvanceDone(core: ClientCore, peer: string, m: AdvanceDone): void {
  const { f, c } = currentOf(core, peer, m);
  if (c.step !== 'psigs')
    throw new StaleMessageError(peer, `advance_done at step ${c.step}`, { factoryId: f.idHex });
  const a = stateOf(f);
  const plan = c.plan;
  const sig = new Map(m.signatures.map((x) => [refKey(x), x.signature]));
  const get = (kind: AdvanceTxKind, index: number) => sig.get(refKey({ kind, index }));
  const own = plan.superseded.settlements.find((e) => e.client === f.clientIndex)?.settlement;
  const poisonSig = get('poison', plan.superseded.leaf);
  const settlementSig = get('settlement', f.clientIndex + 1);
  let verified: ReturnType<typeof validateClientAdvance>;
  try {
    verified = validateClientAdvance(plan, {
      txs: plan.newTxs.map((t) => {
        const s = get(t.kind, t.index);
        if (s === undefined) throw new InvalidArgumentError('advance_done', `no signature of tx ${t.index}`);
        return signedTxBytes(t, s);
      }),
      ...(poisonSig === undefined ? {} : { poisonSignature: poisonSig }),
      ...(own === undefined || settlementSig === undefined
        ? {}
        : { settlement: signedSettlementBytes(own, settlementSig) }),
    });
  } catch (cause) {
    throw new AdvanceSignatureError(peer, `advance_done does not verify: ${(cause as Error).message}`, {
      factoryId: f.idHex,
      cause,
    });
  }
  const previous = { txs: f.path.txs, signatures: [...a.record.pathSignatures] }; // a carry retires its kickoffs
  a.record = recordClientAdvance(a.record, plan, verified);
  f.path = plan.next;
  f.signatures = { path: [...a.record.pathSignatures], dist: f.signatures?.dist ?? [] };
  c.step = 'signed';
  // One update: the record, the step and the tower's entries (the superseded state's poison and
  // settlement, the new path's guarded kickoffs), before the channel moves to its new outpoint.
  saveRecordOf(core, f);
  saveState(core, f);
  persistTowerOps(core, f, 'advance', () => [
    ...clientAdvanceTowerOps({
      factoryId: f.id,
      path: plan.next,
      pathSignatures: a.record.pathSignatures,
      superseded: lastSuperseded(a.record),
      ...(verified.poisonSignature === undefined ? {} : { poisonSignature: verified.poisonSignature }),
    }),
    ...retiredGuardOps({
      factoryId: f.id,
      idHex: f.idHex,
      previous,
      next: plan.next.txs,
      dwStep: f.proposal.dw.S,
    }),
  ]);
  drive(core, f, { type: 'rebind_activate' });
  f.quiescent = false;
  core.event({
    kind: 'AdvanceCompleted',
    factoryId: f.idHex,
    advanceId: c.advanceId,
    leaf: c.propose.leaf,
    advanceKind: c.propose.kind,
    counters: { superseded: [plan.superseded.counter], created: [c.terms.request.counter] },
    capacity: c.terms.capacity,
    liquidityFeeMsat: c.terms.liquidityFeeMsat,
  });
  core.log('info', 'advance done', { factoryId: f.idHex, advanceId: c.advanceId });
  if (a.requested !== null && c.propose.leaf === f.path.leaf) a.requested = null;
  if (a.deferredConnect) {
    a.deferredConnect = false;
    if (f.channel?.phase === 'normal') drive(core, f, { type: 'connected' });
  }
}

/** `lstock_secret`: the superseded state's `s_c`, checked and kept. */
export function onLstockSecret(core: ClientCore, peer: string, m: LstockSecret): void {
  const f = factoryOf(core, peer, m.factoryId);
  const a = stateOf(f);
  if (a.record.secrets.has(m.counter))
    throw new StaleMessageError(peer, `a repeated lstock_secret c=${m.counter}`, { factoryId: f.idHex });
  try {
    a.record = recordRevealedSecret(a.record, m.counter, m.secret);
  } catch (cause) {
    throw new AdvanceSignatureError(peer, `lstock_secret c=${m.counter}: ${(cause as Error).message}`, {
      factoryId: f.idHex,
      cause,
    });
  }
  saveRecordOf(core, f);
  // The same update: the secret for the tower (a poison without it is useless, §5.3).
  const entry = a.record.superseded.find((e) => e.state.counter === m.counter);
  if (entry?.poisonSignature !== undefined)
    persistTowerOps(core, f, 'secret', () =>
      revealedSecretOps({
        factoryId: f.id,
        counter: m.counter,
        secret: m.secret,
        poison: entry.state.poisonHash,
      }),
    );
  const c = a.current;
  if (c !== null && c.step === 'signed') {
    a.lastComplete = c.advanceId;
    a.current = null;
    saveState(core, f);
  }
  core.log('info', 'L-stock secret kept', { factoryId: f.idHex, counter: m.counter });
}

/** Rebinding events of its channel (hook of `channels.ts`). */
export function onAdvanceChannelEvent(core: ClientCore, f: ClientFactory, e: ChannelEvent): void {
  const c = f.advance?.current;
  if (c == null) {
    core.log('debug', 'rebinding event outside an advance', { channelId: f.channelIdHex, event: e.type });
    return;
  }
  if (e.type === 'rebind_nonce') c.nonce = e.nonce;
  else if (e.type === 'rebind_partial') c.half = { partialSig: e.partialSig, signingNonce: e.signingNonce };
  else if (e.type === 'rebound') c.rebound = true;
}

// ---------------------------------------------------------------------------------------------
// Connections and chain

/** The connection is gone (hook): an advance before `psigs` is abandoned (its nonces go with it). */
export function advanceOnDisconnect(core: ClientCore, f: ClientFactory): void {
  const c = f.advance?.current;
  if (c == null || c.step !== 'nonces') return;
  abandon(core, f, 'disconnected', 'the connection to the LSP was lost before the partial signatures');
}

/**
 * The LSP's `factory_reestablish` of an open factory (hook, before the channel reconnects). Returns
 * true when it was handled here and the channel must not reconnect now.
 */
export function advanceOnReestablish(core: ClientCore, f: ClientFactory, m: FactoryReestablish): boolean {
  const a = stateOf(f);
  // The LSP's answer to our reconnection message comes once per connection; any other is a notice.
  const notice = a.lspSeenOn === core.connection || a.sentOn !== core.connection;
  a.lspSeenOn = core.connection;
  const lspLast = m.advance?.advanceId ?? 0;
  const c = a.current;
  if (c !== null && c.step !== 'signed' && lspLast < c.advanceId)
    abandon(core, f, notice ? 'aborted' : 'disconnected', `the LSP holds advance ${lspLast} as its last`);
  else if (c !== null && c.step === 'psigs' && lspLast === c.advanceId && !notice) {
    // The LSP completed it: its advance_done (resent) comes next; the channel reconnects after it.
    a.deferredConnect = true;
    return true;
  }
  if (notice) {
    // An abort notice on a live connection: the channel leaves quiescence, nothing reconnects.
    if (f.channel !== null && a.current === null) drive(core, f, { type: 'resume' });
    f.quiescent = false;
    return true;
  }
  return false;
}

/** Blocks (hook): its path's transactions on chain refuse later advances (§5.1). */
export function advanceOnBlock(f: ClientFactory, inBlock: ReadonlySet<string>): void {
  if (f.phase !== 'open') return;
  for (const t of f.path.txs) if (inBlock.has(t.txid)) stateOf(f).onChain.add(t.txid);
}

/** What `Client.factory()` reports of advances. */
export function advanceInfo(f: ClientFactory) {
  const a = f.advance;
  if (a === undefined) return undefined;
  const c = a.current;
  return {
    lastComplete: a.lastComplete,
    counter: a.record.state.counter,
    states: [...a.record.state.states],
    superseded: a.record.superseded.map((e) => e.state.counter),
    secrets: [...a.record.secrets.keys()],
    ...(c === null ? {} : { inProgress: { advanceId: c.advanceId, step: c.step } }),
  };
}
