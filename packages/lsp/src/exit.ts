/**
 * The LSP's unilateral side (brief §6, §7): recoveries and its own exit, on the client package's exit
 * driver (`ExitDriver`: locks, CPFP from the LSP's wallet, re-bumps every block, reorgs, restarts).
 *
 * **Recovery** (automatic): as soon as a transaction of a factory's tree confirms — a client exiting —
 * the LSP follows the tree: it watches every tree transaction (it broadcasts none of them), and
 * broadcasts, each when its lock allows,
 * - the **L-stock spend** of every leaf state that confirms, `lStockCsv` blocks after it (by its CSV
 *   leaf; a poisoned L-stock is lost to the poison, as it should be);
 * - the **timeout recovery** of every node or channel output still unspent at its `T_k` (by its CLTV
 *   leaf): a subtree nobody published, or a channel whose client never broadcast its commitment;
 * - the **`to_remote` claim** (and the HTLC timeouts it offered) of a client's commitment that confirms.
 *
 * **Exit** (`exit_factory`): when a client is offline and blocks a close, the LSP publishes the rest of
 * the factory itself: every tree transaction in order, then its own latest commitment of each channel
 * and its claims (`to_local` after `toSelfDelay`, its offered HTLCs after their CLTV), with the
 * recoveries above. Its channels of that factory stop at those commitments.
 *
 * Every exit item spending one output names the others spending it (`conflicts`), so whichever
 * confirms settles the rest, and the driver completes once everything is confirmed or lost; the
 * factory then ends (`closed`).
 *
 * @module
 */
import {
  claimItems,
  commitmentItem,
  distributionItems,
  ExitBook,
  type ExitContext,
  ExitDriver,
  type ExitItemSpec,
  type ExitOutput,
  type ExitReason,
  learnClaims,
  newExitRecord,
  rebumpClaims,
  towerTakeOverOps,
  treeId,
  treeItem,
} from '@superscalar/client';
import { fromHex, toHex } from '@superscalar/core';
import {
  buildTree,
  lStockSpend,
  signedDistributionBytes,
  signedTxBytes,
  signLspScriptPathSpend,
  type TreeTx,
  tDist,
  timeoutRecovery,
} from '@superscalar/factory-tree';
import type { BlobRecord } from '@superscalar/persist';
import { feePolicy } from '@superscalar/watchtower';
import type { LspCore, LspFactory } from './_core.js';
import { advanceSignatures, currentTree, onMempoolTxids } from './advance.js';
import { built } from './ceremony.js';
import { DecodeError, FactoryStateError } from './errors.js';

/** Key of a factory's exit record. */
export const lspExitKey = (idHex: string): string => `lsp/x/${idHex}`;

/** The LSP's exits (memory: the drivers; restored drivers re-send with the first input). */
export class LspExits extends ExitBook {
  constructor() {
    super({ prefix: 'lsp/x/', newerError: (key, message) => new DecodeError(key, message) });
  }

  /** The LSP exits this factory itself: its channels stopped at their commitments. */
  frozen(idHex: string): boolean {
    return this.drivers.get(idHex)?.record.reason === 'exit-factory';
  }

  /** The LSP broadcasts its commitment of this channel (its exit of the factory or of the channel). */
  frozenChannel(idHex: string, clientIndex: number): boolean {
    const d = this.drivers.get(idHex);
    if (d === undefined) return false;
    if (d.record.reason === 'exit-factory') return true;
    const c = d.item(`commitment ${clientIndex}`);
    return c !== undefined && c.broadcast !== false;
  }
}

function context(core: LspCore): ExitContext {
  const r = core.feeRates;
  const estimate = Math.max(1_000, r?.funding ?? 0, r?.close ?? 0);
  return {
    wallet: core.deps.wallet,
    policy: feePolicy(),
    estimate,
    urgent: estimate,
    replaying: core.exits.replaying(core.tipHeight),
  };
}

function apply(core: LspCore, d: ExitDriver, out: ExitOutput): void {
  if (out.dirty || out.ops.length > 0) core.persist([...out.ops, core.exits.recordOp(d)]);
  for (const e of out.events) {
    core.event(e);
    core.log(e.kind === 'ExitStepLost' ? 'warn' : 'info', e.kind, {
      factoryId: e.factoryId,
      ...('txid' in e ? { txid: e.txid, label: e.label } : {}),
      ...('height' in e ? { height: e.height } : {}),
    });
  }
  for (const b of out.broadcasts) core.out.broadcast(b.raw, b.txid, b.label, b.child);
  // What the LSP sends of a tree is in a mempool from now on: an advance of that path is refused (§5.1).
  if (out.broadcasts.length > 0)
    onMempoolTxids(
      core,
      out.broadcasts.map((b) => b.txid),
    );
  if (out.events.some((e) => e.kind === 'ExitCompleted')) {
    core.persist(d.release(core.deps.wallet));
    const f = core.factories.get(d.record.factoryId);
    if (f !== undefined) {
      f.phase = 'closed';
      core.saveFactory(f);
      core.finish(f);
    }
  }
}

/**
 * The LSP's plan for a factory: every tree transaction (broadcast when `publish`, else watched), the
 * timeout recovery of every node and channel output, the L-stock spend of every leaf, and per channel
 * its own latest commitment (broadcast when `publish`) with its claims, and the client's with the
 * LSP's claims on it.
 */
/** What the LSP broadcasts of its plan (the rest is watched): tree transactions and its commitments. */
interface Publish {
  readonly tree: 'all' | ReadonlySet<number>;
  readonly channels: 'all' | ReadonlySet<number>;
}

const NOTHING: Publish = { tree: new Set(), channels: new Set() };
const EVERYTHING: Publish = { tree: 'all', channels: 'all' };
const has = (s: 'all' | ReadonlySet<number>, i: number): boolean => s === 'all' || s.has(i);

/** The preimage of an HTLC the LSP was paid, from a forward still live (its payee fulfilled it). */
function preimageOf(core: LspCore, paymentHash: string): Uint8Array | undefined {
  for (const fw of core.forwards.byKey.values())
    if (fw.paymentHash === paymentHash && fw.preimage !== undefined) return fromHex(fw.preimage);
  return undefined;
}

/**
 * The signature of each transaction of the factory's current tree: the advances' (by txid) or the
 * ceremony's (by index, checked against the ceremony tree's txid: an index an advance reused for a new
 * transaction never gets the superseded one's signature).
 */
function treeSignatures(f: LspFactory, sigs: readonly Uint8Array[]): (t: TreeTx) => Uint8Array {
  const advanced = advanceSignatures(f);
  let initial: readonly TreeTx[] | undefined;
  return (t) => {
    const a = advanced.get(t.txid);
    if (a !== undefined) return a;
    initial ??= advanced.size === 0 ? currentTree(f).txs : buildTree(f.proposal).txs;
    const s = sigs[t.index];
    if (s === undefined || initial[t.index]?.txid !== t.txid)
      throw new FactoryStateError(f.idHex, f.phase, `no signature of tree tx ${t.index} (${t.txid})`);
    return s;
  };
}

function lspPlan(core: LspCore, f: LspFactory, publish: Publish): ExitItemSpec[] {
  const sigs = f.signatures;
  const fundingHeight = f.fundingConfirmedAt;
  if (sigs === null || fundingHeight === null)
    throw new FactoryStateError(f.idHex, f.phase, 'nothing to exit: the factory is not signed and funded');
  // The current tree (after advances and carries) and each transaction's signature: an advance's by
  // txid, else the ceremony's (by index, for a transaction the advances left unchanged).
  const tree = currentTree(f);
  const signatureOf = treeSignatures(f, sigs);
  const p = f.proposal;
  const key = core.keys.factoryKey(f.index).secretKey;
  const feeRate = context(core).estimate;
  const a = core.deps.wallet.newAddress();
  core.persist(a.ops);
  const destination = a.script;
  const conflicts = new Map<string, Set<string>>();
  const conflict = (x: string, y: string) => {
    for (const [u, v] of [
      [x, y],
      [y, x],
    ] as const) {
      const s = conflicts.get(u) ?? new Set<string>();
      s.add(v);
      conflicts.set(u, s);
    }
  };
  const items: ExitItemSpec[] = [];
  const tail: ExitItemSpec[] = [];
  for (const t of tree.txs) {
    items.push(
      treeItem(t, signedTxBytes(t, signatureOf(t)), {
        parent: t.parent < 0 ? null : t.parent,
        fundingHeight,
        dwStep: p.dw.S,
        broadcast: has(publish.tree, t.index),
      }),
    );
    t.outputRoles.forEach((role, vout) => {
      if (role.kind !== 'node' && role.kind !== 'channel') return;
      let spend: ReturnType<typeof timeoutRecovery>;
      try {
        spend = timeoutRecovery(tree, { tx: t.index, vout }, { feeRate, destination });
      } catch {
        return; // below dust after its fee
      }
      const id = `timeout ${t.index}:${vout}`;
      tail.push({
        id,
        kind: 'timeout',
        label: `timeout recovery of tx ${t.index}:${vout} (T_${t.k} = ${role.Tk})`,
        txid: spend.txid,
        raw: signLspScriptPathSpend(spend, key),
        anchor: null,
        parent: treeId(t.index),
        csv: 0,
        locktime: role.Tk,
        amount: spend.tx.outputs[0]?.value as bigint,
      });
      if (role.kind === 'node') conflict(id, treeId(role.childTx));
      else {
        conflict(id, `commitment ${role.client}`);
        conflict(id, `remote commitment ${role.client}`);
      }
    });
  }
  tree.layout.leafPaths.forEach((path, leaf) => {
    const state = tree.txs[path[path.length - 1] as number] as TreeTx;
    let spend: ReturnType<typeof lStockSpend>;
    try {
      spend = lStockSpend(tree, leaf, { feeRate, destination });
    } catch {
      return;
    }
    tail.push({
      id: `lstock ${leaf}`,
      kind: 'lstock',
      label: `L-stock of leaf ${leaf} (CSV ${p.lStockCsv})`,
      txid: spend.txid,
      raw: signLspScriptPathSpend(spend, key),
      anchor: null,
      parent: treeId(state.index),
      csv: p.lStockCsv,
      locktime: 0,
      amount: spend.tx.outputs[0]?.value as bigint,
    });
  });
  for (const slot of f.channels) {
    const ch = slot.channel;
    if (ch === null || ch.localCommitmentNumber < 0) continue;
    const i = slot.clientIndex;
    const leafState = tree.txs.find((t) =>
      t.outputRoles.some((r) => r.kind === 'channel' && r.client === i),
    ) as TreeTx;
    const keys = core.keys.channelKeys(f.index, i);
    const secrets = {
      delayed: keys.delayedPayment.secretKey,
      htlc: keys.htlc.secretKey,
      payment: keys.payment.secretKey,
    };
    const own = ch.forceCloseTransaction();
    const ownId = `commitment ${i}`;
    const remoteId = `remote commitment ${i}`;
    conflict(ownId, remoteId);
    tail.push(
      commitmentItem(own.commitment, own.bytes, {
        id: ownId,
        label: `clients[${i}]'s channel: LSP commitment ${own.commitment.commitmentNumber}`,
        parent: treeId(leafState.index),
        broadcast: has(publish.channels, i),
      }),
      ...claimItems(own.commitment, {
        parent: ownId,
        side: 'lsp',
        secrets,
        preimageOf: (hash) => preimageOf(core, hash),
        destination,
        feeRate,
        prefix: `client ${i} `,
      }),
    );
    if (ch.remoteCommitmentNumber >= 0) {
      const remote = ch.counterpartyCommitment();
      tail.push(
        commitmentItem(remote, remote.unsignedBytes, {
          id: remoteId,
          label: `clients[${i}]'s channel: client commitment ${remote.commitmentNumber}`,
          parent: treeId(leafState.index),
          external: true,
          broadcast: false,
        }),
        ...claimItems(remote, {
          parent: remoteId,
          side: 'lsp',
          secrets,
          preimageOf: (hash) => preimageOf(core, hash),
          destination,
          feeRate,
          prefix: `client ${i} remote `,
        }),
      );
    }
  }
  return [...items, ...tail].map((s) => {
    const c = conflicts.get(s.id);
    return c === undefined ? s : { ...s, conflicts: [...c] };
  });
}

function start(
  core: LspCore,
  f: LspFactory,
  reason: ExitReason,
  block?: Block,
  publish: Publish = reason === 'exit-factory' ? EVERYTHING : NOTHING,
): ExitDriver {
  const height = block?.height ?? core.tipHeight ?? f.proposal.proposalHeight;
  const items = lspPlan(core, f, publish);
  const d = new ExitDriver(newExitRecord({ factoryId: f.idHex, reason, height, items }));
  core.exits.drivers.set(f.idHex, d);
  learn(core, d, context(core), height); // the HTLCs waiting for a preimage, recorded from the start
  handOver(core, d);
  apply(core, d, d.started(height));
  apply(
    core,
    d,
    d.onBlock(context(core), {
      height,
      hash: block?.hash ?? core.meta.tip?.hash ?? '',
      txids: block?.txids ?? new Set(),
    }),
  );
  return d;
}

/**
 * The states the LSP now publishes itself leave its embedded tower (`towerTakeOverOps`: released,
 * active triggers included, the tower's package in flight adopted): the driver answers their
 * kickoffs, so the LSP's tower and its driver never outbid each other on one anchor.
 */
function handOver(core: LspCore, d: ExitDriver): void {
  const ops = towerTakeOverOps(d, core.tower);
  if (ops.length > 0) core.persist(ops);
}

type Block = { readonly height: number; readonly hash: string; readonly txids: ReadonlySet<string> };

/**
 * `exit_factory`: the LSP publishes the rest of the factory (an offline client no longer blocks a
 * close). Over a recovery under way, it turns its watched tree transactions and commitments into
 * broadcasts.
 */
export function onExitFactory(core: LspCore, factoryId: Uint8Array): void {
  const idHex = toHex(factoryId);
  const f = core.factories.get(idHex);
  if (f === undefined)
    throw new FactoryStateError(idHex, core.finished.get(idHex) ?? 'unknown', 'no live factory');
  if (f.phase !== 'open' && f.phase !== 'funded' && f.phase !== 'closing')
    throw new FactoryStateError(idHex, f.phase, 'exit_factory needs a funded factory');
  exitFactory(core, f);
}

function exitFactory(core: LspCore, f: LspFactory, block?: Block): void {
  const idHex = f.idHex;
  const have = core.exits.drivers.get(idHex);
  if (have === undefined) {
    start(core, f, 'exit-factory', block);
    return;
  }
  if (have.record.reason === 'exit-factory') return;
  have.publish('exit-factory');
  handOver(core, have);
  const out = have.onBlock(context(core), {
    height: block?.height ?? core.tipHeight ?? 0,
    hash: block?.hash ?? core.meta.tip?.hash ?? '',
    txids: new Set(),
  });
  out.dirty = true;
  out.events.unshift({
    kind: 'ExitStarted',
    factoryId: idHex,
    reason: 'exit-factory',
    height: core.tipHeight ?? 0,
    steps: have.record.items.filter((i) => i.external !== true).length,
  });
  apply(core, have, out);
}

/**
 * The LSP's exit of one channel (its `go_on_chain`: an HTLC deadline of §7, or the client broke a
 * channel rule): the client's path and the LSP's own latest commitment of that channel, its claims —
 * the HTLC success claims with the preimages its forwards learned, its offered HTLCs' timeouts — and
 * the recoveries. The rest of the factory is only watched.
 */
export function exitChannel(
  core: LspCore,
  f: LspFactory,
  clientIndex: number,
  reason: 'go_on_chain' | 'channel-failed',
): void {
  if (core.exits.frozenChannel(f.idHex, clientIndex)) return;
  if (f.signatures === null || f.fundingConfirmedAt === null) return;
  if (f.phase !== 'open' && f.phase !== 'funded' && f.phase !== 'closing') return;
  const { tree } = built(f);
  const leaf = tree.layout.leafClients.findIndex((cl) => cl.includes(clientIndex));
  const path = tree.layout.leafPaths[leaf] as readonly number[];
  core.log('warn', 'the LSP goes on chain for a channel', { factoryId: f.idHex, clientIndex, reason });
  const have = core.exits.drivers.get(f.idHex);
  if (have === undefined) {
    start(core, f, reason, undefined, { tree: new Set(path), channels: new Set([clientIndex]) });
    return;
  }
  const ids = new Set([...path.map(treeId), `commitment ${clientIndex}`]);
  have.publish(reason, ids);
  handOver(core, have);
  const height = core.tipHeight ?? 0;
  const out = have.onBlock(context(core), { height, hash: core.meta.tip?.hash ?? '', txids: new Set() });
  out.dirty = true;
  out.events.unshift({ kind: 'ExitStarted', factoryId: f.idHex, reason, height, steps: ids.size });
  apply(core, have, out);
}

/** A block: every driver, then a recovery for each factory whose tree started to be published. */
export function lspExitsOnBlock(
  core: LspCore,
  height: number,
  hash: string,
  txids: ReadonlySet<string>,
): void {
  resendRestored(core);
  const ctx = context(core);
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
  const before = core.policy.exitBeforeDistribution;
  for (const f of [...core.factories.values()]) {
    if (f.signatures === null || f.fundingConfirmedAt === null) continue;
    if (f.phase !== 'open' && f.phase !== 'funded' && f.phase !== 'closing') continue;
    if (f.close !== null && f.close.confirmed !== null) continue;
    const d = core.exits.drivers.get(f.idHex);
    if (before !== null && height >= tDist(f.proposal) - before && d?.record.reason !== 'exit-factory') {
      core.log('warn', 'T_dist is near and the factory is still open: exiting it', { factoryId: f.idHex });
      exitFactory(core, f, { height, hash, txids });
      continue;
    }
    if (d !== undefined) continue;
    const b = built(f);
    if (b.dist.txs.some((t) => txids.has(t.txid))) {
      // The clients took the factory with the distribution (the LSP neither closed nor rotated it by
      // T_dist): nothing is left for the LSP; the factory ends once it is confirmed.
      core.log('warn', 'the distribution confirmed: the factory is the clients’', { factoryId: f.idHex });
      watchDistribution(core, f, { height, hash, txids });
      continue;
    }
    if (b.tree.txs.some((t) => txids.has(t.txid))) start(core, f, 'recovery', { height, hash, txids });
  }
}

/** The commitments of `d`'s plan (`commitment i`, `remote commitment i`) and what a claim on each needs. */
function claimSource(core: LspCore, d: ExitDriver) {
  const f = core.factories.get(d.record.factoryId);
  if (f === undefined) return undefined;
  const slotOf = (parent: string) => {
    const m = /^(remote )?commitment (\d+)$/.exec(parent);
    if (m === null) return undefined;
    const slot = f.channels[Number(m[2])];
    return slot?.channel == null
      ? undefined
      : { remote: m[1] !== undefined, i: Number(m[2]), ch: slot.channel };
  };
  return {
    commitmentOf: (parent: string) => {
      const s = slotOf(parent);
      if (s === undefined) return undefined;
      return s.remote ? s.ch.counterpartyCommitment() : s.ch.forceCloseTransaction().commitment;
    },
    optionsOf: (parent: string) => {
      const s = slotOf(parent);
      if (s === undefined) return undefined;
      const keys = core.keys.channelKeys(f.index, s.i);
      return {
        side: 'lsp' as const,
        secrets: {
          delayed: keys.delayedPayment.secretKey,
          htlc: keys.htlc.secretKey,
          payment: keys.payment.secretKey,
        },
        preimageOf: (hash: string) => preimageOf(core, hash),
        prefix: s.remote ? `client ${s.i} remote ` : `client ${s.i} `,
      };
    },
  };
}

/** Re-signs the LSP's claims still unconfirmed a block after they went out (brief §7). */
function rebump(
  core: LspCore,
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
 * Brief §7: an incoming HTLC of a channel the LSP exits whose outgoing side is fulfilled afterwards
 * (another channel, maybe of another factory): the forward's preimage (persisted with the forward)
 * claims it on chain by its success leaf before its CLTV expiry. The exit waits for such a preimage
 * while the forward is still open downstream.
 */
function learn(core: LspCore, d: ExitDriver, ctx: ExitContext, tip: number): boolean {
  const src = claimSource(core, d);
  if (src === undefined) return false;
  const { added, changed } = learnClaims(d, {
    tip,
    feeRate: ctx.estimate,
    commitmentOf: src.commitmentOf,
    optionsOf: src.optionsOf,
    mayLearn: (hash) => forwardOpen(core, hash),
    destination: () => {
      const a = core.deps.wallet.newAddress();
      core.persist(a.ops);
      return a.script;
    },
  });
  for (const id of added)
    core.log('info', 'a preimage learned during the exit: its HTLC is claimed on chain', {
      factoryId: d.record.factoryId,
      step: id,
    });
  return changed || added.length > 0;
}

/** A forward of `paymentHash` whose outgoing HTLC may still be fulfilled. */
function forwardOpen(core: LspCore, paymentHash: string): boolean {
  for (const fw of core.forwards.byKey.values())
    if (fw.paymentHash === paymentHash && (fw.state === 'pending' || fw.state === 'offered')) return true;
  return false;
}

/** A tick: restored drivers re-send; claims whose preimage came since the last block go out when due. */
export function lspExitsOnTick(core: LspCore): void {
  resendRestored(core);
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

/** A driver over the distribution transactions (watched only: they pay the clients). */
function watchDistribution(core: LspCore, f: LspFactory, block: Block): void {
  const sigs = f.signatures as readonly Uint8Array[];
  const { dist } = built(f);
  // The ceremony signed the tree, then the distribution: its signatures are the last ones (the current
  // tree may hold more transactions after a carry).
  const first = sigs.length - dist.txs.length;
  // Only the transaction that spends the funding output (the single distribution, or a tree's top):
  // once it confirms nothing is the LSP's; a sub-distribution is its clients' to publish, whenever
  // they come (waiting for every one would keep the factory open for as long as one run is away).
  const mine = dist.txs.slice(0, 1);
  const raws = mine.map((t, k) => signedDistributionBytes(t, sigs[first + k] as Uint8Array));
  const items = distributionItems(mine, raws, {
    fundingHeight: f.fundingConfirmedAt as number,
    amount: 0n,
    client: 0,
  }).map(({ amount: _paid, ...s }) => ({ ...s, external: true, broadcast: false }));
  const d = new ExitDriver(
    newExitRecord({ factoryId: f.idHex, reason: 'distribution', height: block.height, items }),
  );
  core.exits.drivers.set(f.idHex, d);
  apply(core, d, d.started(block.height));
  apply(core, d, d.onBlock(context(core), block));
}

/** A disconnected block. */
export function lspExitsOnBlockDisconnected(core: LspCore, height: number): void {
  resendRestored(core);
  const ctx = context(core);
  for (const d of core.exits.drivers.values()) apply(core, d, d.onBlockDisconnected(ctx, height));
}

/** A broadcast's result (an input spent elsewhere makes an item lost). */
export function lspExitsOnBroadcastResult(
  core: LspCore,
  txid: string,
  error: { readonly code: string; readonly reason: string } | undefined,
): void {
  resendRestored(core);
  if (error === undefined) return;
  for (const d of core.exits.drivers.values())
    apply(core, d, d.onBroadcastResult(txid, error, core.tipHeight ?? 0));
}

/** Restored drivers broadcast what they had in flight with the first input. */
export function resendRestored(core: LspCore): void {
  if (core.exits.replaying(core.tipHeight)) return; // at the tip, from its state
  for (const d of core.exits.takeResend()) apply(core, d, d.resendAll());
}

/** `Lsp.restore`: the exit records. */
export function restoreLspExits(core: LspCore, blobs: Iterable<BlobRecord>): void {
  core.exits.restore(blobs);
}
