/**
 * Brief §6, the unilateral side: a client's exit path (its root-to-leaf transactions in broadcast order
 * with the earliest height each becomes valid), the CPFP child that carries any v3 tree transaction
 * through its P2A anchor as a 1-parent-1-child package, the LSP's timeout recovery of a node or channel
 * output by its CLTV leaf, and the LSP's L-stock spend by its CSV leaf.
 *
 * Heights (§6): a transaction whose input has a BIP68 relative lock of `n` blocks on an output
 * confirmed at height `h` may be mined in block `h + n` at the earliest; the mempool judges it at
 * tip + 1, so it is accepted from tip `h + n − 1` (before that Core answers `non-BIP68-final`). A
 * kickoff (no relative lock) spends a confirmed parent in the next block, `h + 1`. A transaction with
 * nLockTime `X` (and a non-final nSequence) is accepted from tip `X` and mined from block `X + 1`.
 *
 * Not here: the channel commitment that ends an exit (poon-dryja), fee estimation (the caller passes
 * rates), wallet coin selection for CPFP (the caller passes one confirmed fee coin).
 *
 * @module
 */

import { equalBytes as bytesEqual, concatBytes } from '@superscalar/core';
import { schnorrVerify } from '@superscalar/musig2';
import {
  displayHex,
  encodeTx,
  P2A_SCRIPT,
  P2TR_DUST,
  TaprootSighasher,
  type Tx,
  type TxOut,
  tapLeafHash,
  txidBytes,
  txidBytesOf,
  txVsize,
} from '@superscalar/tx';
import { assertBytes, assertInt, assertObject, assertSats, assertTree } from './_assert.js';
import { relativeLockBlocks } from './_script.js';
import { bip86OutputKey, signBip86, signPlain } from './_sign.js';
import { FactoryTreeError, InvalidArgumentError, PathVerificationError } from './errors.js';
import { SpendError } from './exitErrors.js';
import type { FactoryTree, TreeTx } from './transactions.js';
import { feeFor } from './tree.js';

/** TRUC (BIP431): the largest child of an unconfirmed v3 parent, in vB. */
export const CPFP_CHILD_MAX_VSIZE = 1000;

/** nSequence of a timeout recovery's input: non-final, so nLockTime binds (§6). */
export const TIMEOUT_RECOVERY_SEQUENCE = 0xfffffffe;

/**
 * Earliest heights for a transaction whose parent output confirmed at `parentConfirmedAt` and whose
 * input nSequence is `sequence`: `block` is the first block that may include it, `broadcastTip` the
 * first tip at which a mempool accepts it (one less: the mempool judges at tip + 1).
 */
export function earliestInclusion(
  parentConfirmedAt: number,
  sequence: number,
): { readonly block: number; readonly broadcastTip: number } {
  assertInt(parentConfirmedAt, 'parentConfirmedAt', 0, 499_999_999);
  assertInt(sequence, 'sequence', 0, 0xffffffff);
  if ((sequence & 0x80000000) === 0 && (sequence & 0x00400000) !== 0)
    throw new InvalidArgumentError('sequence', 'a time-based relative lock (no tree transaction uses one)');
  // BIP68: valid in a block at height ≥ coinHeight + n; a confirmed parent is always one block back.
  const block = parentConfirmedAt + Math.max(1, relativeLockBlocks(sequence));
  return Object.freeze({ block, broadcastTip: block - 1 });
}

/** One transaction of a client's exit path. */
export interface ExitStep {
  /** Index in the tree's transaction list. */
  readonly tx: number;
  readonly kind: TreeTx['kind'];
  /** Display-order txid. */
  readonly txid: string;
  /** The signed transaction (64-byte key-path witness). */
  readonly bytes: Uint8Array;
  /** BIP68 relative lock in blocks (0 for a kickoff). */
  readonly relativeLock: number;
  /** Height at which its parent confirmed, or (when `projected`) would confirm at the earliest. */
  readonly parentConfirmedAt: number;
  /** First block that may include it. */
  readonly earliestBlock: number;
  /** First tip at which a mempool accepts it (`earliestBlock − 1`). */
  readonly earliestBroadcastTip: number;
  /** True when some ancestor's confirmation height was projected rather than given. */
  readonly projected: boolean;
  /** Its fee (already paid by the pre-signed transaction) and exact vsize, for CPFP. */
  readonly fee: bigint;
  readonly vsize: number;
  /** Output index of its P2A anchor (the last output). */
  readonly anchorVout: number;
}

/** A client's unilateral exit (§6). */
export interface ExitPath {
  /** The client (index into `clients[]`). */
  readonly client: number;
  /** Its leaf (placement order). */
  readonly leaf: number;
  /** Root kickoff → leaf state, in broadcast order. */
  readonly steps: readonly ExitStep[];
  /**
   * The smallest `T_k` on the path: from tip `deadline` the LSP may take an output of the path by its
   * timeout leaf (mined from block `deadline + 1`), so the client's channel commitment must confirm by
   * block `deadline`.
   */
  readonly deadline: number;
  /** The client's channel output in the leaf state (the outpoint its commitment spends). */
  readonly channel: {
    readonly txid: string;
    readonly vout: number;
    readonly value: bigint;
    readonly Tk: number;
  };
}

/** Heights the exit schedule starts from. */
export interface ExitHeights {
  /** Height at which the funding transaction confirmed. */
  readonly fundingConfirmedAt: number;
  /**
   * Confirmation height of each path step already on chain (index = step), undefined for those not
   * yet confirmed; a missing height is projected as the step's earliest block.
   */
  readonly confirmedAt?: readonly (number | undefined)[];
}

/** What {@link exitPath} needs besides the tree and the client. */
export interface ExitPathOptions {
  /** One 64-byte signature per tree transaction, indexed like `tree.txs` (undefined where not held). */
  readonly signatures: readonly (Uint8Array | undefined)[];
  /** Heights the exit schedule starts from. */
  readonly heights: ExitHeights;
}

/**
 * The exit path of `client`: its root-to-leaf transactions with their signed bytes and the earliest
 * height each becomes valid, given the confirmation heights known so far (§6). Each signature is
 * verified against the spent output's tweaked key first (§4.5).
 *
 * @param client index into `clients[]`.
 * @param options.signatures one 64-byte signature per tree transaction, indexed like `tree.txs`.
 * @throws {PathVerificationError} a missing or invalid signature on the path.
 */
export function exitPath(tree: FactoryTree, client: number, options: ExitPathOptions): ExitPath {
  assertTree(tree);
  assertInt(client, 'client', 0, tree.proposal.clients.length - 1);
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected { signatures, heights }');
  const { signatures, heights } = options;
  if (!Array.isArray(signatures))
    throw new InvalidArgumentError('options.signatures', 'expected one signature per tree transaction');
  if (typeof heights !== 'object' || heights === null)
    throw new InvalidArgumentError('options.heights', 'expected { fundingConfirmedAt, confirmedAt? }');
  assertInt(heights.fundingConfirmedAt, 'options.heights.fundingConfirmedAt', 0, 499_999_999);
  const leaf = tree.layout.leafClients.findIndex((cl) => cl.includes(client));
  const path = tree.layout.leafPaths[leaf] as readonly number[];
  const confirmedAt = heights.confirmedAt ?? [];
  if (!Array.isArray(confirmedAt) || confirmedAt.length > path.length)
    throw new InvalidArgumentError('options.heights.confirmedAt', `expected at most ${path.length} heights`);
  const steps: ExitStep[] = [];
  let parentAt = heights.fundingConfirmedAt;
  let projected = false;
  let deadline = Number.POSITIVE_INFINITY;
  path.forEach((ti, i) => {
    const t = tree.txs[ti] as TreeTx;
    const sig = signatures[ti];
    if (!(sig instanceof Uint8Array) || sig.length !== 64)
      throw new PathVerificationError(ti, 'missing-tx', 'no 64-byte signature for this path transaction');
    if (!schnorrVerify(sig, t.sighash, t.spentTaproot.outputKey))
      throw new PathVerificationError(
        ti,
        'signature-invalid',
        "the signature does not verify against the spent output's key",
      );
    const sequence = (t.tx.inputs[0] as Tx['inputs'][number]).sequence;
    const at = earliestInclusion(parentAt, sequence);
    steps.push(
      Object.freeze({
        tx: ti,
        kind: t.kind,
        txid: t.txid,
        bytes: encodeTx(t.tx, [[sig]]),
        relativeLock: relativeLockBlocks(sequence),
        parentConfirmedAt: parentAt,
        earliestBlock: at.block,
        earliestBroadcastTip: at.broadcastTip,
        projected,
        fee: t.fee,
        vsize: t.vsize,
        anchorVout: t.tx.outputs.length - 1,
      }),
    );
    for (const r of t.outputRoles)
      if (r.kind === 'node' || r.kind === 'channel') deadline = Math.min(deadline, r.Tk);
    const known = confirmedAt[i];
    if (known !== undefined) {
      assertInt(known, `options.heights.confirmedAt[${i}]`, at.block, 499_999_999);
      parentAt = known;
    } else {
      parentAt = at.block;
      projected = true;
    }
  });
  const leafState = tree.txs[path[path.length - 1] as number] as TreeTx;
  const vout = leafState.outputRoles.findIndex((r) => r.kind === 'channel' && r.client === client);
  const role = leafState.outputRoles[vout] as { Tk: number };
  return Object.freeze({
    client,
    leaf,
    steps: Object.freeze(steps),
    deadline,
    channel: Object.freeze({
      txid: leafState.txid,
      vout,
      value: (leafState.tx.outputs[vout] as TxOut).value,
      Tk: role.Tk,
    }),
  });
}

// ---- CPFP --------------------------------------------------------------------------------------

/** What a CPFP child needs to know of its v3 parent. */
export interface AnchoredParent {
  /** Display-order hex txid. */
  readonly txid: string;
  /** Output index of the P2A anchor. */
  readonly anchorVout: number;
  /** The anchor's amount (240 sats for every pre-signed transaction of this package). */
  readonly anchorValue: bigint;
  /** Fee the parent pays itself. */
  readonly fee: bigint;
  /** The parent's exact vsize. */
  readonly vsize: number;
}

/**
 * The {@link AnchoredParent} of a pre-signed transaction whose last output is its P2A anchor: a tree
 * transaction, a distribution transaction.
 */
export function anchoredParent(t: {
  readonly txid: string;
  readonly tx: { readonly outputs: readonly TxOut[] };
  readonly fee: bigint;
  readonly vsize: number;
}): AnchoredParent {
  assertObject(t, 't');
  assertObject(t.tx, 't.tx');
  const anchor = t.tx.outputs[t.tx.outputs.length - 1];
  if (anchor === undefined || !bytesEqual(anchor.script, P2A_SCRIPT))
    throw new InvalidArgumentError('t.tx.outputs', 'the last output is not a P2A anchor');
  return Object.freeze({
    txid: t.txid,
    anchorVout: t.tx.outputs.length - 1,
    anchorValue: (t.tx.outputs[t.tx.outputs.length - 1] as TxOut).value,
    fee: t.fee,
    vsize: t.vsize,
  });
}

/** A confirmed P2TR key-path coin of the broadcaster that pays for the CPFP child. */
export interface FeeCoin {
  /** Display-order txid. */
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  /** Its P2TR scriptPubKey (a key-path spend: one 64-byte witness item). */
  readonly script: Uint8Array;
}

/** An unsigned CPFP child. */
export interface CpfpChild {
  /** Version 3, inputs [parent's P2A anchor, fee coin], one change output. */
  readonly tx: Tx;
  /** Display-order hex txid (the witness does not change it). */
  readonly txid: string;
  /** The txid in internal byte order. */
  readonly txidBytes: Uint8Array;
  /** The outputs its inputs spend, in input order (for the BIP341 sighash). */
  readonly spent: readonly TxOut[];
  /** The child's fee. */
  readonly fee: bigint;
  /** Exact final vsize (empty anchor witness, 64-byte key-path signature). */
  readonly vsize: number;
  /** Package feerate reached, sat/kvB, rounded down: (parent fee + child fee) / (parent + child vsize). */
  readonly packageFeeRate: number;
  /** BIP341 key-path sighash (`SIGHASH_DEFAULT`) of the fee input (input 1), for the broadcaster to sign. */
  readonly sighash: Uint8Array;
}

/** Options of {@link buildCpfpChild}. */
export interface CpfpOptions {
  readonly parent: AnchoredParent;
  readonly feeCoin: FeeCoin;
  /** Where the change goes (any standard scriptPubKey; the broadcaster's). */
  readonly changeScript: Uint8Array;
  /** Target package feerate, sat/kvB. */
  readonly feeRate: number;
}

/**
 * The CPFP child of a v3 transaction (§1): version 3, nLockTime 0, spending the parent's P2A anchor
 * with an empty witness and one confirmed fee coin of the broadcaster, paying the change back. Its fee
 * makes the 1-parent-1-child package reach `feeRate`: `ceil(feeRate × (parentVsize + childVsize) /
 * 1000) − parentFee`, and never less than the child's own `ceil(feeRate × childVsize / 1000)` (so a
 * parent that already pays the rate is still bumped, not subsidised to zero).
 *
 * @throws {SpendError} `fee-coin-too-small` when the change would fall below 330 sats.
 */
export function buildCpfpChild(options: CpfpOptions): CpfpChild {
  assertObject(options, 'options');
  const { parent, feeCoin, changeScript, feeRate } = options;
  const parentTxid = txidBytes(parent.txid, 'parent.txid');
  assertInt(parent.anchorVout, 'parent.anchorVout', 0, 0xffff);
  assertSats(parent.anchorValue, 'parent.anchorValue');
  assertSats(parent.fee, 'parent.fee');
  assertInt(parent.vsize, 'parent.vsize', 1, 100_000);
  assertSats(feeCoin.value, 'feeCoin.value');
  assertInt(feeCoin.vout, 'feeCoin.vout', 0, 0xffffffff);
  assertBytes(feeCoin.script, 'feeCoin.script', 34);
  if (feeCoin.script[0] !== 0x51 || feeCoin.script[1] !== 0x20)
    throw new InvalidArgumentError('feeCoin.script', 'expected a P2TR scriptPubKey (key-path spend)');
  assertBytes(changeScript, 'changeScript');
  assertInt(feeRate, 'feeRate', 0, 100_000_000);
  const inputs = [
    { txidBytes: parentTxid, vout: parent.anchorVout, sequence: 0xfffffffd },
    { txidBytes: txidBytes(feeCoin.txid, 'feeCoin.txid'), vout: feeCoin.vout, sequence: 0xfffffffd },
  ];
  const spent: TxOut[] = [
    { value: parent.anchorValue, script: P2A_SCRIPT },
    { value: feeCoin.value, script: Uint8Array.from(feeCoin.script) },
  ];
  const draft = (change: bigint): Tx => ({
    version: 3,
    locktime: 0,
    inputs,
    outputs: [{ value: change, script: Uint8Array.from(changeScript) }],
  });
  // Amounts are fixed-width, so the size does not depend on the change.
  const vsize = txVsize(draft(0n), [[], [new Uint8Array(64)]]);
  if (vsize > CPFP_CHILD_MAX_VSIZE)
    throw new SpendError(
      'too-large',
      'changeScript',
      `the child would be ${vsize} vB (> ${CPFP_CHILD_MAX_VSIZE})`,
    );
  const packageFee = feeFor(feeRate, parent.vsize + vsize) - parent.fee;
  const ownFee = feeFor(feeRate, vsize);
  let fee = packageFee;
  if (ownFee > fee) fee = ownFee;
  const change = feeCoin.value + parent.anchorValue - fee;
  if (change < P2TR_DUST)
    throw new SpendError(
      'fee-coin-too-small',
      'feeCoin.value',
      `change ${change} after a ${fee}-sat fee would be below ${P2TR_DUST} sats`,
    );
  const tx = draft(change);
  const packageFeeRate = Number(((parent.fee + fee) * 1000n) / BigInt(parent.vsize + vsize));
  const id = txidBytesOf(tx);
  return Object.freeze({
    tx,
    txid: displayHex(id),
    txidBytes: id,
    spent: Object.freeze(spent),
    fee,
    vsize,
    packageFeeRate,
    sighash: new TaprootSighasher(tx, spent).sighash(1),
  });
}

/**
 * Runs a curve operation on a caller's secret key: the curve's (or @superscalar/tx's) rejection of the
 * key (zero, >= n) becomes this package's `InvalidArgumentError`.
 */
function curveCall<T>(argument: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (FactoryTreeError.isInstance(e)) throw e;
    throw new InvalidArgumentError(argument, 'not a valid secp256k1 secret key', { cause: e });
  }
}

/** Serialises a CPFP child: an empty witness on the anchor, `signature` on the fee coin. */
export function signedCpfpChildBytes(child: CpfpChild, signature: Uint8Array): Uint8Array {
  assertBytes(signature, 'signature', 64);
  return encodeTx(child.tx, [[], [signature]]);
}

/**
 * Signs a CPFP child whose fee coin is the BIP86 output of `secretKey` (key path, no script tree) and
 * serialises it. `auxRand`: BIP340 auxiliary randomness (default: the CSPRNG).
 *
 * @throws {InvalidArgumentError} when the fee coin is not that key's BIP86 output.
 */
export function signCpfpChildBip86(
  child: CpfpChild,
  secretKey: Uint8Array,
  auxRand?: Uint8Array,
): Uint8Array {
  assertBytes(secretKey, 'secretKey', 32);
  if (auxRand !== undefined) assertBytes(auxRand, 'auxRand', 32);
  const q = curveCall('secretKey', () => bip86OutputKey(secretKey));
  if (!bytesEqual((child.spent[1] as TxOut).script.subarray(2), q))
    throw new InvalidArgumentError('secretKey', "the fee coin is not this key's BIP86 output");
  return signedCpfpChildBytes(child, signBip86(child.sighash, secretKey, auxRand));
}

// ---- script-path spends by the LSP -------------------------------------------------------------

/** A script-path spend of one tree output by the LSP alone (unsigned). */
export interface ScriptPathSpend {
  /** `timeout`: a node or channel output by its CLTV leaf; `lstock`: an L-stock output by its CSV leaf. */
  readonly kind: 'timeout' | 'lstock';
  /** Version 3, one input, one output, no anchor. */
  readonly tx: Tx;
  /** Display-order hex txid. */
  readonly txid: string;
  /** The txid in internal byte order. */
  readonly txidBytes: Uint8Array;
  /** The output spent. */
  readonly spent: TxOut;
  /** The leaf script executed. */
  readonly leafScript: Uint8Array;
  /** `(0xc0 | parity(Q)) || xonly(internal key) [|| path]`. */
  readonly controlBlock: Uint8Array;
  /** BIP341 script-path sighash (`SIGHASH_DEFAULT`): the LSP's BIP340 message. */
  readonly sighash: Uint8Array;
  /** `ceil(feeRate × vsize / 1000)`, from the output itself. */
  readonly fee: bigint;
  /** Exact final vsize with `[sig, leaf script, control block]`. */
  readonly vsize: number;
}

/** Options of the LSP's script-path spends. */
export interface LspSpendOptions {
  /** Fee rate, sat/kvB (the current estimate). */
  readonly feeRate: number;
  /** Where the output goes; default the LSP's close address of the proposal. */
  readonly destination?: Uint8Array;
}

function scriptPathSpend(
  kind: ScriptPathSpend['kind'],
  tree: FactoryTree,
  t: TreeTx,
  vout: number,
  leafScript: Uint8Array,
  controlBlock: Uint8Array,
  locktime: number,
  sequence: number,
  options: LspSpendOptions,
): ScriptPathSpend {
  assertInt(options.feeRate, 'options.feeRate', 0, 100_000_000);
  const destination = options.destination ?? tree.proposal.lsp.closeScript;
  assertBytes(destination, 'options.destination');
  const spent = t.tx.outputs[vout] as TxOut;
  const draft = (value: bigint): Tx => ({
    version: 3,
    locktime,
    inputs: [{ txidBytes: t.txidBytes, vout, sequence }],
    outputs: [{ value, script: Uint8Array.from(destination) }],
  });
  const vsize = txVsize(draft(0n), [[new Uint8Array(64), leafScript, controlBlock]]);
  const fee = feeFor(options.feeRate, vsize);
  const value = spent.value - fee;
  if (value < P2TR_DUST)
    throw new SpendError(
      'below-dust',
      `tx[${t.index}].outputs[${vout}]`,
      `${spent.value} sats minus a ${fee}-sat fee is below dust`,
    );
  const tx = draft(value);
  const id = txidBytesOf(tx);
  return Object.freeze({
    kind,
    tx,
    txid: displayHex(id),
    txidBytes: id,
    spent,
    leafScript,
    controlBlock,
    sighash: new TaprootSighasher(tx, [spent]).sighash(0, { leafHash: tapLeafHash(leafScript) }),
    fee,
    vsize,
  });
}

function outputOf(tree: FactoryTree, txIndex: number, vout: number): TreeTx {
  assertInt(txIndex, 'output.tx', 0, tree.txs.length - 1);
  const t = tree.txs[txIndex] as TreeTx;
  assertInt(vout, 'output.vout', 0, t.tx.outputs.length - 1);
  return t;
}

/**
 * The LSP's timeout recovery of a node or channel output (§6): version 3, nLockTime `T_k`, input
 * nSequence `0xFFFFFFFE`, witness `[sig, <T_k> CLTV DROP <LSP> CHECKSIG, (0xc0 | parity(Q)) ||
 * xonly(internal key)]`, one output of the spent amount minus the fee, no anchor. Accepted from tip
 * `T_k` once the parent has confirmed.
 *
 * @throws {SpendError} `not-a-timeout-output` (an anchor or L-stock output), `below-dust`.
 */
export function timeoutRecovery(
  tree: FactoryTree,
  output: { readonly tx: number; readonly vout: number },
  options: LspSpendOptions,
): ScriptPathSpend {
  assertTree(tree);
  assertObject(output, 'output');
  const t = outputOf(tree, output.tx, output.vout);
  const role = t.outputRoles[output.vout];
  const tap = t.outputTaproot[output.vout];
  if (role === undefined || tap === undefined || (role.kind !== 'node' && role.kind !== 'channel'))
    throw new SpendError(
      'not-a-timeout-output',
      `tx[${t.index}].outputs[${output.vout}]`,
      `a ${role?.kind ?? 'missing'} output has no CLTV timeout leaf`,
    );
  const leafScript = tap.leaves[0] as Uint8Array;
  const controlBlock = concatBytes(Uint8Array.of(0xc0 | tap.parity), tap.internalKey);
  return scriptPathSpend(
    'timeout',
    tree,
    t,
    output.vout,
    leafScript,
    controlBlock,
    role.Tk,
    TIMEOUT_RECOVERY_SEQUENCE,
    options,
  );
}

/**
 * The LSP's L-stock spend of leaf `leaf`'s initial state (§6): version 3, nLockTime 0, input nSequence
 * `lStockCsv`, witness `[sig, <lStockCsv> CSV DROP <LSP> CHECKSIG, 65-byte control block whose path is
 * the poison leaf's hash]`, no anchor. Valid once the leaf state has `lStockCsv` confirmations.
 */
export function lStockSpend(tree: FactoryTree, leaf: number, options: LspSpendOptions): ScriptPathSpend {
  assertTree(tree);
  assertInt(leaf, 'leaf', 0, tree.layout.leafPaths.length - 1);
  const path = tree.layout.leafPaths[leaf] as readonly number[];
  const t = tree.txs[path[path.length - 1] as number] as TreeTx;
  const vout = t.outputRoles.findIndex((r) => r.kind === 'lstock');
  const tap = t.outputTaproot[vout] as NonNullable<TreeTx['outputTaproot'][number]>;
  const [csvLeaf, poison] = tap.leaves as [Uint8Array, Uint8Array];
  const controlBlock = concatBytes(Uint8Array.of(0xc0 | tap.parity), tap.internalKey, tapLeafHash(poison));
  const csv = tree.proposal.lStockCsv;
  return scriptPathSpend('lstock', tree, t, vout, csvLeaf, controlBlock, 0, csv, options);
}

/** Serialises a script-path spend with the LSP's 64-byte BIP340 signature. */
export function signedScriptPathSpendBytes(spend: ScriptPathSpend, signature: Uint8Array): Uint8Array {
  assertBytes(signature, 'signature', 64);
  return encodeTx(spend.tx, [[signature, spend.leafScript, spend.controlBlock]]);
}

/**
 * Signs a script-path spend with the LSP's factory secret key (BIP340 over the script-path sighash,
 * the untweaked key of the leaf) and serialises it. `auxRand`: BIP340 auxiliary randomness (default:
 * the CSPRNG).
 *
 * @throws {InvalidArgumentError} when `lspSecretKey` is not the key of the leaf.
 */
export function signLspScriptPathSpend(
  spend: ScriptPathSpend,
  lspSecretKey: Uint8Array,
  auxRand?: Uint8Array,
): Uint8Array {
  assertBytes(lspSecretKey, 'lspSecretKey', 32);
  if (auxRand !== undefined) assertBytes(auxRand, 'auxRand', 32);
  const sig = curveCall('lspSecretKey', () => signPlain(spend.sighash, lspSecretKey, auxRand));
  // The leaf is `… <LSP x-only> OP_CHECKSIG`: its last 33 bytes are the push and the opcode.
  const key = spend.leafScript.subarray(spend.leafScript.length - 33, spend.leafScript.length - 1);
  if (!schnorrVerify(sig, spend.sighash, key))
    throw new InvalidArgumentError('lspSecretKey', "not the LSP key of this output's leaf");
  return signedScriptPathSpendBytes(spend, sig);
}
