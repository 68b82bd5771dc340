/**
 * What a client checks before relying on anything (protocol brief §4.5, §8 steps 3–4, §5.1, §5.3):
 * it rebuilds the tree from the proposal (at the current state) and compares every received
 * transaction on its own path byte-for-byte — version, outpoint, nSequence (the DW lock), nLockTime,
 * every output's amount and script (so every CLTV timeout `T_k`, channel key and L-stock poison hash)
 * — then checks each BIP340 signature against the spent output's tweaked key and the rebuilt
 * sighash. After an advance it checks the new transactions on its path, its poison (script path,
 * untweaked leaf key) and its settlement; a revealed `s_c` against its poison leaf.
 *
 * Every failure is a {@link PathVerificationError} naming the transaction and the fault.
 *
 * @module
 */

import { equalBytes as bytesEqual, toHex as hex } from '@superscalar/core';
import { schnorrVerify } from '@superscalar/musig2';
import { decodeTx, encodeTx, type Tx, type TxIn, type TxOut } from '@superscalar/tx';
import { assertBytes, assertInt, assertObject, assertTree } from './_assert.js';
import type { AdvancePlan, SupersededLeafState } from './advance.js';
import { buildClientPath, type ClientPath } from './clientPath.js';
import { InvalidArgumentError, PathVerificationError } from './errors.js';
import type { ClientPathState } from './pathState.js';
import { type PoisonTx, verifyLStockSecret } from './poison.js';
import type { Proposal } from './proposal.js';
import type { FactoryTree, TreeTx } from './transactions.js';

/** What {@link validateSignedTx} checks a received transaction against. */
export interface ExpectedTx {
  /** The rebuilt unsigned transaction. */
  readonly tx: Tx;
  /** Its key-path sighash. */
  readonly sighash: Uint8Array;
  /** The x-only key the signature must verify against (the spent output's tweaked key). */
  readonly outputKey: Uint8Array;
}

/** Where a check is (for the error). */
interface Where {
  readonly tx: number;
  readonly label: string;
}

function fail(w: Where, fault: PathVerificationError['fault'], message: string): never {
  throw new PathVerificationError(w.tx, fault, message, { label: w.label });
}

function describeMismatch(exp: Tx, got: Tx): string | undefined {
  if (got.version !== exp.version) return `version ${got.version}, expected ${exp.version}`;
  const ei = exp.inputs[0] as TxIn;
  const gi = got.inputs[0] as TxIn;
  if (!bytesEqual(gi.txidBytes, ei.txidBytes) || gi.vout !== ei.vout) return 'spends another outpoint';
  if (gi.sequence !== ei.sequence) return `nSequence ${gi.sequence}, expected ${ei.sequence} (relative lock)`;
  if (got.locktime !== exp.locktime) return `nLockTime ${got.locktime}, expected ${exp.locktime}`;
  if (got.outputs.length !== exp.outputs.length)
    return `${got.outputs.length} outputs, expected ${exp.outputs.length}`;
  for (let i = 0; i < exp.outputs.length; i++) {
    const e = exp.outputs[i] as TxOut;
    const g = got.outputs[i] as TxOut;
    if (g.value !== e.value) return `output ${i} amount ${g.value}, expected ${e.value}`;
    if (!bytesEqual(g.script, e.script))
      return `output ${i} script ${hex(g.script)}, expected ${hex(e.script)}`;
  }
  return undefined;
}

/**
 * Checks one received signed key-path transaction against the rebuilt one: decodes it strictly,
 * compares it byte-for-byte (naming the first differing field), and verifies its BIP340 signature
 * against `expected.outputKey`. Returns the signature.
 *
 * @throws {PathVerificationError} `undecodable`, `tx-mismatch` or `signature-invalid`.
 */
export function validateSignedTx(
  expected: ExpectedTx,
  signed: Uint8Array,
  where: { readonly tx?: number; readonly label?: string } = {},
): Uint8Array {
  assertObject(expected, 'expected');
  const w: Where = { tx: where.tx ?? -2, label: where.label ?? `tx ${where.tx ?? '?'}` };
  if (!(signed instanceof Uint8Array)) fail(w, 'missing-tx', 'expected the signed transaction bytes');
  let d: Tx | undefined;
  try {
    d = decodeTx(signed);
  } catch {
    d = undefined;
  }
  const input = d?.inputs[0];
  if (
    d === undefined ||
    d.inputs.length !== 1 ||
    input === undefined ||
    (input.scriptSig?.length ?? 0) !== 0 ||
    (input.witness?.length ?? 0) === 0
  )
    fail(w, 'undecodable', 'not a one-input segwit transaction');
  const m = describeMismatch(expected.tx, d);
  if (m !== undefined) fail(w, 'tx-mismatch', m);
  const witness = input.witness as readonly Uint8Array[];
  if (witness.length !== 1 || witness[0]?.length !== 64)
    fail(w, 'tx-mismatch', 'the witness is not one 64-byte key-path signature');
  const sig = witness[0] as Uint8Array;
  if (!bytesEqual(encodeTx(expected.tx, [[sig]]), signed))
    fail(w, 'tx-mismatch', 'not byte-identical to the rebuilt transaction');
  if (!schnorrVerify(sig, expected.sighash, expected.outputKey))
    fail(w, 'signature-invalid', "the signature does not verify against the spent output's key");
  return sig;
}

/** Options of {@link validatePath}. */
export interface PathVerificationOptions {
  /**
   * The O(depth) state the path was signed at (default: the initial state): the client's record's
   * (`ClientFactoryRecord.state`), its own step after an advance (`advanceClientPathState`), or a
   * whole tree's projected on its path (`clientPathState(tree, client)`).
   */
  readonly state?: ClientPathState;
  /** The funding output as it appears in the LSP's funding transaction (checked when given). */
  readonly fundingOutput?: TxOut;
  /**
   * What the client agreed to (checked when given): its factory key, close address and channel
   * capacity must be its entry in the proposal, so the path pays it what it expects.
   */
  readonly self?: {
    readonly key: Uint8Array;
    readonly closeScript?: Uint8Array;
    readonly capacity?: bigint;
  };
}

/** What {@link validatePath} returns: the client's rebuilt path (never the whole tree) and its signatures. */
export interface VerifiedPath {
  /** The client's path as rebuilt from the proposal (see `buildClientPath`). */
  readonly clientPath: ClientPath;
  /** The client's leaf (placement order). */
  readonly leaf: number;
  /** The path's transactions, root first. */
  readonly path: readonly TreeTx[];
  /** Their signatures, in the same order. */
  readonly signatures: readonly Uint8Array[];
}

/** The leaf (placement order) holding `client` (index into `clients[]`). */
export function leafOfClient(tree: FactoryTree, client: number): number {
  assertTree(tree);
  assertInt(client, 'client', 0, tree.proposal.clients.length - 1);
  return tree.layout.leafClients.findIndex((cl) => cl.includes(client));
}

/**
 * A client's check of its signed path (§8 step 4): rebuilds its own path from `proposal` (at
 * `options.state`; O(depth) transactions, see `buildClientPath`), checks the funding amount matches the tree's root requirement (and the funding
 * output, when given), then each transaction of its root-to-leaf path, in broadcast order.
 *
 * @param client index into `clients[]`.
 * @param signedPath the signed transactions of its path, root kickoff first.
 * @throws {PathVerificationError} naming the transaction and the fault (`funding-mismatch` at -1).
 * @throws {InvalidProposalError} any other rejection of §2.
 */
export function validatePath(
  proposal: Proposal,
  client: number,
  signedPath: readonly Uint8Array[],
  options: PathVerificationOptions = {},
): VerifiedPath {
  // Only the client's path is built (O(depth) transactions), never the whole tree.
  const cp = buildClientPath(proposal, client, options.state === undefined ? {} : { state: options.state });
  if (options.fundingOutput !== undefined) {
    const f = options.fundingOutput;
    const w = { tx: -1, label: 'funding' };
    if (f.value !== proposal.funding.amount)
      fail(
        w,
        'funding-mismatch',
        `the funding output pays ${f.value}, the proposal says ${proposal.funding.amount}`,
      );
    if (!(f.script instanceof Uint8Array) || !bytesEqual(f.script, cp.funding.script))
      fail(w, 'funding-mismatch', 'the funding output is not KeyAgg(all N+1) with the BIP86 tweak');
  }
  const leaf = cp.leaf;
  if (options.self !== undefined) {
    const me = proposal.clients[client] as Proposal['clients'][number];
    const w = { tx: -2, label: `clients[${client}]` };
    const want = options.self;
    if (!(want.key instanceof Uint8Array) || !bytesEqual(want.key, me.key))
      fail(w, 'client-mismatch', 'the proposal holds another factory key for this client');
    if (want.closeScript !== undefined && !bytesEqual(want.closeScript, me.closeScript))
      fail(w, 'client-mismatch', "the proposal pays another close address than the client's");
    if (want.capacity !== undefined && want.capacity !== me.capacity)
      fail(w, 'client-mismatch', `capacity ${me.capacity} in the proposal, ${want.capacity} agreed`);
    const alloc = cp.state.allocation;
    const pos = (cp.layout.leafClients[leaf] as readonly number[]).indexOf(client);
    if (want.capacity !== undefined && options.state === undefined && alloc.capacities[pos] !== want.capacity)
      fail(w, 'client-mismatch', 'the channel output is not the agreed capacity');
  }
  if (!Array.isArray(signedPath))
    throw new InvalidArgumentError('signedPath', 'expected an array of transactions');
  const path = cp.txs;
  const signatures = path.map((t, k) => {
    const label = `tx ${t.index} (node ${t.node} ${t.kind})`;
    const bytes = signedPath[k];
    if (bytes === undefined) fail({ tx: t.index, label }, 'missing-tx', `path position ${k} not received`);
    return validateSignedTx({ tx: t.tx, sighash: t.sighash, outputKey: t.spentTaproot.outputKey }, bytes, {
      tx: t.index,
      label,
    });
  });
  if (signedPath.length > path.length)
    fail(
      { tx: -2, label: 'path' },
      'tx-mismatch',
      `${signedPath.length} transactions, the path has ${path.length}`,
    );
  return Object.freeze({ clientPath: cp, leaf, path, signatures: Object.freeze(signatures) });
}

/** What a client receives at the end of an advance (§5.1). */
export interface ReceivedAdvance {
  /** The new transactions on the client's path, signed, in broadcast order. */
  readonly txs: readonly Uint8Array[];
  /** The signature of its superseded leaf state's poison, when the plan has a poison. */
  readonly poisonSignature?: Uint8Array;
  /** Its own stale-channel settlement, signed, when the plan has one. */
  readonly settlement?: Uint8Array;
}

/** What {@link validateAdvance} returns. */
export interface VerifiedAdvance {
  /** The new transactions on the client's path and their signatures. */
  readonly txs: readonly TreeTx[];
  readonly signatures: readonly Uint8Array[];
  /** The poison's signature (undefined when the plan has no poison for the client's leaf). */
  readonly poisonSignature: Uint8Array | undefined;
  /** The settlement's signature (undefined when none is signed). */
  readonly settlementSignature: Uint8Array | undefined;
}

/**
 * A client's check of an advance (§5.1): `plan` is the client's own rebuild (`planAdvance` over its
 * copy of the tree and the proposed allocations and poison hashes). Checks the new transactions on
 * its path, its leaf's poison signature (script path, untweaked `KeyAgg(leaf signers)`) and its
 * settlement. A client not below the advanced node expects nothing.
 *
 * @throws {PathVerificationError} naming the transaction and the fault.
 */
export function validateAdvance(
  plan: AdvancePlan,
  client: number,
  received: ReceivedAdvance,
): VerifiedAdvance {
  assertObject(plan, 'plan');
  const tree = plan.next;
  const leaf = leafOfClient(tree, client);
  const onPath = new Set(tree.layout.leafPaths[leaf]);
  const txs = plan.newTxs.filter((t) => onPath.has(t.index));
  return checkReceivedAdvance(
    txs,
    plan.superseded.find((s) => s.leaf === leaf),
    client,
    received,
  );
}

/**
 * @internal What a client checks of an advance it receives, whoever built the expected
 * transactions (`validateAdvance` over a whole tree's plan, `validateClientAdvance` over its path):
 * the new transactions on its path in broadcast order, its leaf's poison signature and its own
 * settlement.
 */
export function checkReceivedAdvance(
  txs: readonly TreeTx[],
  mine: SupersededLeafState | undefined,
  client: number,
  received: ReceivedAdvance,
): VerifiedAdvance {
  if (typeof received !== 'object' || received === null || !Array.isArray(received.txs))
    throw new InvalidArgumentError('received', 'expected { txs, poisonSignature?, settlement? }');
  const signatures = txs.map((t, k) => {
    const label = `new tx ${t.index} (node ${t.node} ${t.kind})`;
    const bytes = received.txs[k];
    if (bytes === undefined) fail({ tx: t.index, label }, 'missing-tx', 'not received');
    return validateSignedTx({ tx: t.tx, sighash: t.sighash, outputKey: t.spentTaproot.outputKey }, bytes, {
      tx: t.index,
      label,
    });
  });
  if (received.txs.length > txs.length)
    fail(
      { tx: -2, label: 'advance' },
      'tx-mismatch',
      `${received.txs.length} transactions, expected ${txs.length}`,
    );
  let poisonSignature: Uint8Array | undefined;
  let settlementSignature: Uint8Array | undefined;
  if (mine?.poison !== undefined) {
    const w = { tx: -2, label: `poison c=${mine.counter}` };
    const sig = received.poisonSignature;
    if (!(sig instanceof Uint8Array) || sig.length !== 64)
      fail(w, 'missing-tx', 'no 64-byte poison signature');
    if (!schnorrVerify(sig, mine.poison.sighash, mine.poison.signingKey))
      fail(w, 'signature-invalid', 'the poison signature does not verify against KeyAgg(leaf signers)');
    poisonSignature = sig;
  }
  const entry = mine?.settlements.find((e) => e.client === client);
  if (entry?.settlement !== undefined) {
    const s = entry.settlement;
    const label = `settlement c=${mine?.counter} client=${client}`;
    if (received.settlement === undefined) fail({ tx: -2, label }, 'missing-tx', 'not received');
    settlementSignature = validateSignedTx(
      { tx: s.tx, sighash: s.sighash, outputKey: s.channel.outputKey },
      received.settlement,
      { tx: -2, label },
    );
  }
  return Object.freeze({
    txs: Object.freeze([...txs]),
    signatures: Object.freeze(signatures),
    poisonSignature,
    settlementSignature,
  });
}

/**
 * Checks a revealed L-stock secret `s_c` against the poison it opens (§5.3); keep it keyed by `c`
 * only after this passes.
 *
 * @throws {PathVerificationError} `secret-invalid`.
 */
export function checkRevealedSecret(
  poison: PoisonTx | Uint8Array,
  counter: number,
  secret: Uint8Array,
): void {
  assertInt(counter, 'counter', 0, 2 ** 48 - 1);
  assertBytes(secret, 'secret', 32);
  if (!verifyLStockSecret(secret, poison))
    throw new PathVerificationError(
      -2,
      'secret-invalid',
      `sha256(s_${counter}) is not the poison leaf's hash`,
      {
        label: `secret c=${counter}`,
      },
    );
}
