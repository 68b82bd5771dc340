/**
 * Forming a factory (roles memo §3 step 2), by policy or by the `form_factory` command: the waiting
 * registrations of connected, un-benched clients (at most `maxClients`, oldest first); the LSP's
 * factory key, close address and L-stock seed for its next factory index (brief §1: never reused);
 * the shape (the policy's, or `suggestShape`'s); the funding amount (the tree's root requirement plus
 * `lStockPerLeaf` per leaf); the unsigned funding transaction from the wallet, reserved until
 * `proposalHeight + fundingTimeout`; the proposal and its factory id. Everything is persisted (with
 * the wallet's operations and the event) before `factory_propose` leaves.
 *
 * When a ceremony aborted, its remaining clients register again with fresh keys; the next factory
 * forms as soon as all of them are back (or by the ordinary timer).
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import {
  type ClientSpec,
  createProposal,
  fundingOutput,
  layoutTree,
  type Proposal,
  type ProposalInput,
  poisonHashesFromSeed,
  suggestShape,
} from '@superscalar/factory-tree';
import { encodeTxNoWitness } from '@superscalar/tx';
import { factoryIdOf } from '@superscalar/wire';
import type { LspCore, LspFactory } from './_core.js';
import { sendPropose, startRound } from './ceremony.js';
import { putProposal, type StoredRegistration } from './codec.js';
import { FundingError } from './errors.js';

/** Waiting registrations the next factory may take, oldest first. */
export function eligible(core: LspCore): StoredRegistration[] {
  const out: StoredRegistration[] = [];
  for (const r of core.registrations.values()) {
    if (r.status !== 'waiting' || !core.connected.has(r.peer)) continue;
    const until = core.benched.get(r.peer);
    if (until !== undefined && until > core.now) continue;
    if (busy(core, r.peer)) continue;
    out.push(r);
  }
  return out.sort((a, b) => a.at - b.at || (toHex(a.key) < toHex(b.key) ? -1 : 1));
}

/** True while `peer` takes part in a ceremony that has not funded yet. */
function busy(core: LspCore, peer: string): boolean {
  for (const { f } of core.factoriesOf(peer)) if (f.phase === 'ceremony') return true;
  return false;
}

/** Forms a factory when the policy says so (called on ticks, registrations and connections). */
export function maybeForm(core: LspCore): void {
  if (core.formBackoffUntil > core.now) return;
  const regs = eligible(core);
  if (regs.length === 0) return;
  const p = core.policy;
  const reform = core.reform;
  if (reform !== null) {
    const back = regs.filter((r) => reform.peers.has(r.peer));
    if (back.length === reform.peers.size && back.length >= p.minClients) {
      core.reform = null;
      formFactory(core, regs.slice(0, p.maxClients));
      return;
    }
  }
  const first = regs[0] as StoredRegistration;
  if (regs.length >= p.maxClients || (regs.length >= p.minClients && core.now >= first.at + p.formAfterMs))
    formFactory(core, regs.slice(0, p.maxClients));
}

/** The `form_factory` command: form now from whoever is eligible. */
export function formNow(core: LspCore): void {
  const regs = eligible(core);
  if (regs.length === 0) throw new FundingError('no registered, connected client to form a factory with');
  core.formBackoffUntil = 0;
  formFactory(core, regs.slice(0, core.policy.maxClients));
}

const PROBE_AMOUNT = 1_000_000_000_000_000n;

function proposalInput(core: LspCore, index: number, regs: readonly StoredRegistration[], tip: number) {
  const p = core.policy;
  const kc = core.keys;
  const clients: ClientSpec[] = regs.map((r) => ({
    key: r.key,
    closeScript: r.closeScript,
    capacity: r.capacity,
    balance: r.balance,
    ...(r.profile === undefined ? {} : { profile: r.profile }),
  }));
  let shape: { leafArity: 1 | 2; levelArity: readonly number[]; staticLevels: number };
  if (p.levelArity !== undefined)
    shape = { leafArity: p.leafArity, levelArity: p.levelArity, staticLevels: p.staticLevels };
  else {
    const s = suggestShape(clients.length, p.dw, p.toSelfDelay, {
      htlcBudget: p.htlcBudget,
      leafArity: p.leafArity,
      ...(p.advance.minAdvancesPerLeaf === undefined
        ? {}
        : { minAdvancesPerLeaf: p.advance.minAdvancesPerLeaf }),
    });
    if (s === undefined)
      throw new FundingError(`no shape fits ${clients.length} clients within the exit budget`);
    shape = s;
  }
  const leaves = Math.ceil(clients.length / shape.leafArity);
  const rates = core.feeRates;
  return {
    leaves,
    input: {
      network: core.deps.network,
      proposalHeight: tip,
      lsp: { key: kc.factoryKey(index).publicKey, closeScript: kc.closeAddress(index).scriptPubKey },
      clients,
      placement: p.placement,
      leafArity: shape.leafArity,
      levelArity: shape.levelArity,
      staticLevels: shape.staticLevels,
      dw: p.dw,
      treeFeeRate: Math.max(p.treeFeeRate, rates?.tree ?? 0),
      timeoutStep: p.timeoutStep,
      activeBlocks: p.activeBlocks,
      dyingBlocks: p.dyingBlocks,
      exitMargin: p.exitMargin,
      fundingTimeout: p.fundingTimeout,
      minimumDepth: p.minimumDepth,
      commitFeeRate: Math.max(p.commitFeeRate, rates?.commitment ?? 0),
      lStockCsv: p.lStockCsv,
      toSelfDelay: p.toSelfDelay,
      htlcBudget: p.htlcBudget,
      poisonHashes: poisonHashesFromSeed(kc.lStockShachainSeed(index).secret, leaves),
    } satisfies Omit<ProposalInput, 'funding'>,
  };
}

/** Forms, persists and proposes a factory from `regs` (the caller checked they are eligible). */
export function formFactory(core: LspCore, regs: readonly StoredRegistration[]): LspFactory | undefined {
  const tip = core.tipHeight;
  if (tip === null) {
    core.log('warn', 'cannot form a factory before the first block');
    core.formBackoffUntil = core.now + core.policy.stepTimeoutMs;
    return undefined;
  }
  const index = core.meta.nextFactoryIndex;
  const { leaves, input } = proposalInput(core, index, regs, tip);
  // The tree's root requirement: a probe proposal with a large amount puts the surplus in L-stock.
  const probe = layoutTree(
    createProposal({ ...input, funding: { txid: '00'.repeat(32), vout: 0, amount: PROBE_AMOUNT } }),
  );
  const base = PROBE_AMOUNT - probe.lStock.reduce((a, b) => a + b, 0n);
  const amount = base + BigInt(leaves) * core.policy.lStockPerLeaf;
  const script = fundingOutput(
    input.lsp.key,
    regs.map((r) => r.key),
  ).script;
  const owner = `lsp-factory-${index}`;
  let built: ReturnType<LspCore['deps']['wallet']['buildFunding']>;
  try {
    built = core.deps.wallet.buildFunding({
      outputs: [{ script, value: amount }],
      feeRate: Math.max(core.policy.fundingFeeRate, core.feeRates?.funding ?? 0),
      owner,
      expiresAtHeight: tip + core.policy.fundingTimeout,
    });
  } catch (cause) {
    core.formBackoffUntil = core.now + core.policy.stepTimeoutMs;
    throw new FundingError(`the wallet cannot fund ${amount} sats: ${(cause as Error).message}`, { cause });
  }
  let proposal: Proposal;
  try {
    // Explicit L-stocks: the funding amount must then be the tree's root requirement exactly (§8).
    proposal = createProposal({
      ...input,
      lStock: Array.from({ length: leaves }, () => core.policy.lStockPerLeaf),
      funding: { txid: built.funding.txid, vout: built.funding.fundingVout, amount },
    });
  } catch (cause) {
    // The wallet's memory holds the reservation: record it and its release together.
    core.persist(built.ops);
    core.persist(core.deps.wallet.release(owner));
    throw new FundingError(`the proposal cannot be built: ${(cause as Error).message}`, { cause });
  }
  const id = factoryIdOf(proposal);
  const idHex = toHex(id);
  const fundingTx = encodeTxNoWitness(built.funding.tx);
  const f: LspFactory = {
    id,
    idHex,
    index,
    owner,
    proposal,
    fundingTx,
    participants: regs.map((r) => r.peer),
    phase: 'ceremony',
    step: 'nonces',
    attempt: 0,
    signingFailures: 0,
    restarts: 0,
    lastBlamed: null,
    restartsBy: new Map(),
    fundingConfirmedAt: null,
    abandonTxid: null,
    built: null,
    round: null,
    signatures: null,
    channels: [],
    deadline: null,
    heard: new Set(),
    rebroadcast: false,
    close: null,
  };
  core.addFactory(f);
  core.meta = { ...core.meta, nextFactoryIndex: index + 1 };
  core.persist(built.ops);
  core.saveMeta();
  for (const r of regs) {
    const used = { ...r, status: 'used' as const };
    core.registrations.set(toHex(r.key), used);
    core.saveRegistration(used);
  }
  core.persist([
    putProposal(idHex, { factoryIndex: index, owner, participants: f.participants, fundingTx, proposal }),
  ]);
  core.saveFactory(f);
  core.event({
    kind: 'FactoryProposed',
    factoryId: idHex,
    factoryIndex: index,
    clients: regs.length,
    fundingTxid: built.funding.txid,
    amount,
    proposalHeight: tip,
  });
  core.log('info', 'factory proposed', { factoryId: idHex, clients: regs.length, amount });
  startRound(core, f);
  for (const peer of f.participants) if (core.connected.has(peer)) sendPropose(core, f, peer);
  return f;
}
