/**
 * The client's unilateral exits (brief §6, §7): when and what it broadcasts on its own.
 *
 * **Triggers.** The user's `force_close`; the channel's `go_on_chain` (an HTLC deadline of §7) or a
 * channel failure; the embedder's policy (`exitAfterBlocks`: the LSP has neither closed nor rotated
 * the factory that many blocks after its proposal; `exitIfUnreachableMs`: the LSP has been unreachable
 * that long); and the chain itself — a transaction of its path confirmed that it did not broadcast
 * (someone is publishing the tree: follow it out at once, each block lost shortens the window). At
 * `T_dist` with the funding output unspent (the LSP neither closed nor rotated), it broadcasts the
 * distribution instead, re-bumped each block.
 *
 * **Plan.** Its O(depth) path root → leaf (signed at the ceremony), its latest commitment (the channel
 * stops there: no update is signed after it), then its claims into its wallet (or its close address
 * when it has no wallet): `to_local` after `toSelfDelay`, each HTLC it was paid with the preimage, each
 * HTLC it offered after its CLTV. The claims stay with the channel's owner: they need its basepoint
 * secrets, which no tower holds.
 *
 * The driver itself is `driver.ts`; its record is `client/x/<factoryId>`.
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import { signedDistributionBytes, signedTxBytes, tDist } from '@superscalar/factory-tree';
import type { BlobRecord } from '@superscalar/persist';
import { feePolicy } from '@superscalar/watchtower';
import type { ClientCore, ClientFactory } from '../_core.js';
import { DecodeError, FactoryStateError } from '../errors.js';
import type { FeeRates } from '../io.js';
import { ExitBook } from './book.js';
import {
  type ExitContext,
  ExitDriver,
  type ExitItemSpec,
  type ExitOutput,
  type ExitReason,
  newExitRecord,
} from './driver.js';
import {
  claimItems,
  commitmentItem,
  distributionItems,
  learnClaims,
  rebumpClaims,
  treeId,
  treeItem,
} from './plan.js';
import { towerTakeOverOps } from './takeOver.js';

/** Key of a factory's exit record. */
export const exitKey = (idHex: string): string => `client/x/${idHex}`;

/** The client's exits (memory: the drivers, the last fee rates, when the LSP was last connected). */
export class ClientExits extends ExitBook {
  rates: FeeRates | null = null;
  /** ms: the LSP was connected at this time (ticks update it). */
  lspSeenAt: number | null = null;
  /** ms: the `lspSeenAt` last persisted (`client/lsp-seen`), null: none. */
  lspSeenStored: number | null = null;

  constructor() {
    super({ prefix: 'client/x/', newerError: (key, message) => new DecodeError(key, message) });
  }

  /** The channel of this factory stopped: its exit (not a distribution, not a watch) is under way. */
  frozen(idHex: string): boolean {
    const r = this.drivers.get(idHex)?.record.reason;
    return r !== undefined && r !== 'distribution' && r !== 'path-watch';
  }
}

function context(core: ClientCore): ExitContext {
  const r = core.exits.rates;
  const estimate = Math.max(1_000, r?.funding ?? 0, r?.close ?? 0);
  return {
    wallet: core.deps.wallet,
    policy: feePolicy(),
    estimate,
    urgent: estimate,
    replaying: core.exits.replaying(core.tipHeight),
  };
}

/** Persists the driver's record and events, then broadcasts (the record is durable first). */
function apply(core: ClientCore, d: ExitDriver, out: ExitOutput): void {
  if (out.dirty || out.ops.length > 0) core.persist([...out.ops, core.exits.recordOp(d)]);
  if (d.record.reason === 'path-watch') return; // watching only: nothing to journal or broadcast
  for (const e of out.events) {
    core.event(e);
    core.log(e.kind === 'ExitStepLost' ? 'warn' : 'info', e.kind, {
      factoryId: e.factoryId,
      ...('txid' in e ? { txid: e.txid, label: e.label } : {}),
      ...('height' in e ? { height: e.height } : {}),
    });
  }
  for (const b of out.broadcasts) core.out.broadcast(b.raw, b.txid, b.label, b.child);
  if (out.events.some((e) => e.kind === 'ExitCompleted')) finished(core, d);
}

/** An exit completed: the factory is over (its fee coins released). */
function finished(core: ClientCore, d: ExitDriver): void {
  core.persist(d.release(core.deps.wallet));
  const f = core.factories.get(d.record.factoryId);
  if (f === undefined) return;
  f.phase = 'closed';
  core.saveFactory(f);
  core.finish(f);
}

/** The client's signed path, root first, as items. */
function pathPlan(f: ClientFactory): ExitItemSpec[] {
  const sigs = f.signatures;
  const fundingHeight = f.fundingConfirmedAt;
  if (sigs === null || fundingHeight === null)
    throw new FactoryStateError(f.idHex, f.phase, 'nothing to exit: the factory is not signed and funded');
  const items: ExitItemSpec[] = [];
  f.path.txs.forEach((t, k) => {
    items.push(
      treeItem(t, signedTxBytes(t, sigs.path[k] as Uint8Array), {
        parent: k === 0 ? null : (f.path.txs[k - 1] as typeof t).index,
        fundingHeight,
        dwStep: f.proposal.dw.S,
      }),
    );
  });
  return items;
}

/**
 * The height from which a client whose path is being published must leave to finish before its
 * smallest `T_k`: `T_k − exitDelay − pathTxs − exitMargin` (§7's bound; after `T_dist` it is past).
 */
export function latestExitStart(f: ClientFactory): number {
  let deadline = Number.POSITIVE_INFINITY;
  for (const t of f.path.txs)
    for (const r of t.outputRoles)
      if (r.kind === 'node' || r.kind === 'channel') deadline = Math.min(deadline, r.Tk);
  return deadline - f.path.layout.exitDelay - f.path.txs.length - f.proposal.exitMargin;
}

/**
 * The LSP's latest commitment of the client's channel confirmed in this block (the LSP went on chain
 * for the channel): the client leaves at once, claiming its outputs of that commitment.
 */
function lspCommitmentIn(f: ClientFactory, watch: ExitDriver, txids: ReadonlySet<string>): boolean {
  const leaf = f.path.txs[f.path.txs.length - 1];
  const ch = f.channel;
  if (leaf === undefined || ch === null || ch.remoteCommitmentNumber < 0) return false;
  if (watch.item(treeId(leaf.index))?.status !== 'confirmed') return false;
  return txids.has(ch.counterpartyCommitment().txid);
}

/** Where the client's claims pay: a new address of its wallet, else its close address. */
function claimDestination(core: ClientCore, f: ClientFactory): Uint8Array {
  const wallet = core.deps.wallet;
  if (wallet === undefined) return core.keys.closeAddress(f.factoryIndex).scriptPubKey;
  const a = wallet.newAddress();
  core.persist(a.ops);
  return a.script;
}

/** The client's plan for a factory: its path, its latest commitment, its claims. */
function forceClosePlan(core: ClientCore, f: ClientFactory): ExitItemSpec[] {
  const items = pathPlan(f);
  const ch = f.channel;
  if (ch === null || ch.localCommitmentNumber < 0) return items;
  const leaf = f.path.txs[f.path.txs.length - 1] as (typeof f.path.txs)[number];
  const { commitment, bytes } = ch.forceCloseTransaction();
  const hasRemote = ch.remoteCommitmentNumber >= 0;
  items.push(
    commitmentItem(commitment, bytes, {
      id: 'commitment',
      label: `commitment ${commitment.commitmentNumber}`,
      parent: treeId(leaf.index),
      ...(hasRemote ? { conflicts: ['remote commitment'] } : {}),
    }),
  );
  const keys = core.keys.channelKeys(f.factoryIndex, f.clientIndex);
  const destination = claimDestination(core, f);
  const claims = {
    side: 'client' as const,
    secrets: {
      delayed: keys.delayedPayment.secretKey,
      htlc: keys.htlc.secretKey,
      payment: keys.payment.secretKey,
    },
    preimageOf: (hash: string) => core.payments.invoices.get(hash)?.preimage,
    destination,
    feeRate: context(core).estimate,
  };
  items.push(...claimItems(commitment, { ...claims, parent: 'commitment' }));
  if (hasRemote) {
    // The LSP may publish its own latest commitment first (its exit): the client then claims its
    // to_remote output there (1 block after it confirms, by its static payment key) and its HTLCs.
    const remote = ch.counterpartyCommitment();
    items.push(
      commitmentItem(remote, remote.unsignedBytes, {
        id: 'remote commitment',
        label: `LSP commitment ${remote.commitmentNumber}`,
        parent: treeId(leaf.index),
        external: true,
        broadcast: false,
        conflicts: ['commitment'],
      }),
      ...claimItems(remote, { ...claims, parent: 'remote commitment', prefix: 'remote ' }),
    );
  }
  return items;
}

/** The distribution the client holds signed (its top or single transaction, and its own sub). */
function distributionPlan(f: ClientFactory): ExitItemSpec[] {
  const sigs = f.signatures;
  const fundingHeight = f.fundingConfirmedAt;
  if (sigs === null || fundingHeight === null)
    throw new FactoryStateError(f.idHex, f.phase, 'no signed distribution');
  const raws = f.dist.txs.map((t, k) => signedDistributionBytes(t, sigs.dist[k] as Uint8Array));
  return distributionItems(f.dist.txs, raws, {
    fundingHeight,
    amount: f.dist.distribution.payouts[f.clientIndex] as bigint,
    client: f.clientIndex,
  });
}

/**
 * Starts the exit of `f` (idempotent: an exit under way stays; a distribution gives way to a path
 * exit once the path is published). `block`: the block being handled, if any (its confirmations).
 */
export function startExit(
  core: ClientCore,
  f: ClientFactory,
  reason: ExitReason,
  block?: { readonly height: number; readonly hash: string; readonly txids: ReadonlySet<string> },
): void {
  const have = core.exits.drivers.get(f.idHex);
  if (have !== undefined) {
    const r = have.record.reason;
    if (r !== 'distribution' && r !== 'path-watch') return;
    if (r === 'distribution' && reason === 'distribution') return;
    if (r === 'path-watch' && (reason === 'distribution' || reason === 'path-watch')) return;
    core.persist(have.release(core.deps.wallet));
  }
  const height = block?.height ?? core.tipHeight ?? f.proposal.proposalHeight;
  const items =
    reason === 'distribution'
      ? distributionPlan(f)
      : reason === 'path-watch'
        ? pathPlan(f).map((s) => ({ ...s, broadcast: false }))
        : forceClosePlan(core, f);
  const d = new ExitDriver(newExitRecord({ factoryId: f.idHex, reason, height, items }));
  // What the watch saw confirmed stays confirmed (the same transactions, by id and txid).
  if (have?.record.reason === 'path-watch')
    for (const old of have.record.items) {
      const it = d.item(old.id);
      if (it !== undefined && it.txid === old.txid && old.status === 'confirmed') {
        it.status = 'confirmed';
        it.confirmedAt = old.confirmedAt;
      }
    }
  core.exits.drivers.set(f.idHex, d);
  learn(core, d, context(core), height); // the HTLCs waiting for a preimage, recorded from the start
  const handOver = towerTakeOverOps(d, core.tower);
  if (handOver.length > 0) core.persist(handOver);
  if (reason !== 'path-watch') apply(core, d, d.started(height));
  const ctx = context(core);
  apply(
    core,
    d,
    d.onBlock(ctx, {
      height,
      hash: block?.hash ?? core.meta.tip?.hash ?? '',
      txids: block?.txids ?? new Set(),
    }),
  );
}

/** `force_close`: the user's command. */
export function onForceClose(core: ClientCore, factoryId: Uint8Array): void {
  const idHex = toHex(factoryId);
  const f = core.factories.get(idHex);
  if (f === undefined)
    throw new FactoryStateError(idHex, core.finished.get(idHex) ?? 'unknown', 'no live factory');
  if (f.phase !== 'open' && f.phase !== 'funded' && f.phase !== 'closing')
    throw new FactoryStateError(idHex, f.phase, 'force_close needs a funded factory');
  startExit(core, f, 'command');
}

/** The channel asks to go on chain (an HTLC deadline, §7) or failed in committed state. */
export function onChannelGoOnChain(core: ClientCore, f: ClientFactory, reason: ExitReason): void {
  if (core.exits.frozen(f.idHex) || f.fundingConfirmedAt === null || f.signatures === null) return;
  core.log('warn', 'going on chain', { factoryId: f.idHex, reason });
  startExit(core, f, reason);
}

/** A block: every driver, then the triggers (a published path, the policy deadline, `T_dist`). */
export function exitsOnBlock(
  core: ClientCore,
  height: number,
  hash: string,
  txids: ReadonlySet<string>,
): void {
  const ctx = context(core);
  resendRestored(core);
  for (const d of core.exits.drivers.values()) {
    if (ctx.replaying !== true) rebump(core, d, ctx, height, txids);
    const learned = learn(core, d, ctx, height);
    const out = d.onBlock(ctx, { height, hash, txids });
    if (learned) out.dirty = true;
    apply(core, d, out);
  }
  const pruned = core.exits.prune({
    tip: height,
    depth: ctx.policy.finalityDepth,
    live: (idHex) => core.factories.has(idHex),
  });
  if (pruned.length > 0) core.persist(pruned);
  for (const f of [...core.factories.values()]) {
    if (f.signatures === null || f.fundingConfirmedAt === null) continue;
    if (f.phase !== 'open' && f.phase !== 'funded' && f.phase !== 'closing') continue;
    if (f.close !== null && f.close.confirmed !== null) continue;
    const d = core.exits.drivers.get(f.idHex);
    const block = { height, hash, txids };
    if (d?.record.reason === 'path-watch') {
      if (height >= latestExitStart(f) || lspCommitmentIn(f, d, txids))
        startExit(core, f, 'path-published', block);
      continue;
    }
    if (d !== undefined && d.record.reason !== 'distribution') continue;
    if (f.path.txs.some((t) => txids.has(t.txid))) {
      startExit(core, f, 'path-watch', block);
      if (height >= latestExitStart(f)) startExit(core, f, 'path-published', block);
      continue;
    }
    if (d !== undefined) continue;
    if (f.dist.txs.some((t) => txids.has(t.txid)) || height >= tDist(f.proposal)) {
      startExit(core, f, 'distribution', block);
      continue;
    }
    const after = core.policy.exitAfterBlocks;
    if (after !== null && f.phase === 'open' && height >= f.proposal.proposalHeight + after)
      startExit(core, f, 'policy-deadline', block);
  }
}

/** The commitments of `d`'s plan and what a claim on each needs (the channel stopped at them). */
function claimSource(core: ClientCore, d: ExitDriver) {
  const f = core.factories.get(d.record.factoryId);
  const ch = f?.channel ?? null;
  if (f === undefined || ch === null) return undefined;
  const keys = core.keys.channelKeys(f.factoryIndex, f.clientIndex);
  return {
    commitmentOf: (parent: string) =>
      parent === 'commitment'
        ? ch.forceCloseTransaction().commitment
        : parent === 'remote commitment'
          ? ch.counterpartyCommitment()
          : undefined,
    optionsOf: (parent: string) => ({
      side: 'client' as const,
      secrets: {
        delayed: keys.delayedPayment.secretKey,
        htlc: keys.htlc.secretKey,
        payment: keys.payment.secretKey,
      },
      preimageOf: (hash: string) => core.payments.invoices.get(hash)?.preimage,
      prefix: parent === 'remote commitment' ? 'remote ' : '',
    }),
  };
}

/** Re-signs the claims still unconfirmed a block after they went out (brief §7). */
function rebump(
  core: ClientCore,
  d: ExitDriver,
  ctx: ExitContext,
  tip: number,
  txids: ReadonlySet<string>,
): void {
  const src = claimSource(core, d);
  if (src === undefined) return;
  rebumpClaims(d, {
    policy: ctx.policy,
    estimate: ctx.estimate,
    tip,
    txids,
    commitmentOf: src.commitmentOf,
    optionsOf: src.optionsOf,
  });
}

/**
 * The HTLCs paid to the client whose preimage it learned after its exit started, claimed (brief §7).
 * Its preimages are its invoices', known before it accepts an HTLC: a claim added here is one whose
 * invoice came back after the plan (a restored store); nothing waits for one.
 */
function learn(core: ClientCore, d: ExitDriver, ctx: ExitContext, tip: number): boolean {
  const src = claimSource(core, d);
  if (src === undefined) return false;
  const { added, changed } = learnClaims(d, {
    tip,
    feeRate: ctx.estimate,
    commitmentOf: src.commitmentOf,
    optionsOf: src.optionsOf,
    mayLearn: (hash) => core.payments.invoices.has(hash),
    destination: () => claimDestination(core, core.factories.get(d.record.factoryId) as ClientFactory),
  });
  for (const id of added)
    core.log('info', 'a preimage learned during the exit: its HTLC is claimed on chain', {
      factoryId: d.record.factoryId,
      step: id,
    });
  return changed || added.length > 0;
}

/** A disconnected block. */
export function exitsOnBlockDisconnected(core: ClientCore, height: number): void {
  const ctx = context(core);
  resendRestored(core);
  for (const d of core.exits.drivers.values()) apply(core, d, d.onBlockDisconnected(ctx, height));
}

/** A broadcast's result. */
export function exitsOnBroadcastResult(
  core: ClientCore,
  txid: string,
  error: { readonly code: string; readonly reason: string } | undefined,
): void {
  if (error === undefined) return;
  for (const d of core.exits.drivers.values())
    apply(core, d, d.onBroadcastResult(txid, error, core.tipHeight ?? 0));
}

/** A tick: re-send after a restart; the unreachable-LSP policy. */
export function exitsOnTick(core: ClientCore): void {
  resendRestored(core);
  learnOnTick(core);
  const x = core.exits;
  const limit = core.policy.exitIfUnreachableMs;
  if (core.connected || x.lspSeenAt === null) {
    x.lspSeenAt = core.now;
    // Persisted every tenth of the limit while connected: after a restart the count resumes from the
    // last sighting stored (at most a tenth of the limit early), never from the restart.
    if (limit !== null && (x.lspSeenStored === null || core.now - x.lspSeenStored >= Math.max(1, limit / 10)))
      persistLspSeen(core, core.now);
    return;
  }
  // Unreachable: the last sighting, exactly, before the deadline counts from it.
  if (limit !== null && x.lspSeenStored !== x.lspSeenAt) persistLspSeen(core, x.lspSeenAt);
  if (limit === null || core.now - x.lspSeenAt < limit) return;
  for (const f of [...core.factories.values()])
    if (
      (f.phase === 'open' || f.phase === 'closing') &&
      f.signatures !== null &&
      f.fundingConfirmedAt !== null &&
      !x.frozen(f.idHex)
    )
      startExit(core, f, 'policy-unreachable');
}

/** Key of when the LSP was last seen connected (`exitIfUnreachableMs` across restarts). */
export const LSP_SEEN_KEY = 'client/lsp-seen';
const LSP_SEEN_VERSION = 1;

function persistLspSeen(core: ClientCore, at: number): void {
  core.exits.lspSeenStored = at;
  core.persist([
    {
      op: 'put',
      table: 'blobs',
      row: {
        key: LSP_SEEN_KEY,
        version: LSP_SEEN_VERSION,
        data: new TextEncoder().encode(JSON.stringify({ at })),
        secret: false,
      },
    },
  ]);
}

function restoreLspSeen(core: ClientCore, b: BlobRecord): void {
  if (b.version > LSP_SEEN_VERSION) throw new DecodeError(b.key, `version ${b.version} is newer`);
  let at: unknown;
  try {
    at = (JSON.parse(new TextDecoder().decode(b.data)) as { at?: unknown }).at;
  } catch (cause) {
    throw new DecodeError(b.key, 'not JSON', { cause });
  }
  if (typeof at !== 'number' || !Number.isSafeInteger(at)) throw new DecodeError(b.key, 'no time');
  core.exits.lspSeenAt = at;
  core.exits.lspSeenStored = at;
}

/** Claims whose preimage came since the last block go out at once when due. */
function learnOnTick(core: ClientCore): void {
  const tip = core.tipHeight;
  if (tip === null) return;
  const ctx = context(core);
  for (const d of core.exits.drivers.values()) {
    if (!learn(core, d, ctx, tip)) continue;
    const out = d.onTick(ctx, tip);
    out.dirty = true;
    apply(core, d, out);
  }
}

function resendRestored(core: ClientCore): void {
  if (core.exits.replaying(core.tipHeight)) return; // at the tip, from its state
  for (const d of core.exits.takeResend()) apply(core, d, d.resendAll());
}

/** `Client.restore`: the exit records (their drivers re-send what was in flight with the first input). */
export function restoreExits(core: ClientCore, blobs: Iterable<BlobRecord>): void {
  const all = [...blobs];
  core.exits.restore(all);
  const seen = all.find((b) => b.key === LSP_SEEN_KEY);
  if (seen !== undefined) restoreLspSeen(core, seen);
}

/** What {@link Client.exits} reports. */
export interface ClientExitInfo {
  readonly factoryId: string;
  readonly reason: ExitReason;
  readonly startedAt: number;
  readonly completed: boolean;
  readonly steps: readonly {
    readonly id: string;
    readonly kind: string;
    readonly label: string;
    readonly txid: string;
    readonly status: string;
    readonly confirmedAt: number | null;
    readonly firstBroadcastAt: number | null;
    readonly amount?: bigint;
    readonly childTxid?: string;
  }[];
}

/** @internal The drivers as {@link ClientExitInfo}s. */
export function exitInfo(d: ExitDriver): ClientExitInfo {
  const r = d.record;
  return {
    factoryId: r.factoryId,
    reason: r.reason,
    startedAt: r.startedAt,
    completed: r.completed,
    steps: r.items.map((i) => ({
      id: i.id,
      kind: i.kind,
      label: i.label,
      txid: i.txid,
      status: i.status,
      confirmedAt: i.confirmedAt?.height ?? null,
      firstBroadcastAt: i.firstTip,
      ...(i.amount === undefined ? {} : { amount: i.amount }),
      ...(i.child === null ? {} : { childTxid: i.child.txid }),
    })),
  };
}
