/**
 * Brief §6, the cooperative close: one transaction spending the funding output by key path, signed by
 * all N+1 when no HTLC is pending — version 2 (it may exceed TRUC's size; it is re-signed to bump, no
 * anchor), nLockTime = the tip height of `close_propose`, input nSequence `0xFFFFFFFD`. Outputs: each
 * client whose balance is at least 330 sats, in placement order, at its close address; then the LSP's
 * close address with the rest (client balances below dust included, and reported) minus the fee at
 * `closeFeeRate`. And the client's check before it signs: its **own** close address must be paid at
 * least its balance (the C client accepts any output of that size, even the LSP's).
 *
 * @module
 */
import { equalBytes as bytesEqual } from '@superscalar/core';
import {
  displayHex,
  encodeTx,
  LOCKTIME_THRESHOLD,
  P2TR_DUST,
  TaprootSighasher,
  type Tx,
  type TxOut,
  txidBytes,
  txidBytesOf,
  txVsize,
} from '@superscalar/tx';
import { assertBytes, assertInt, assertOutline, assertSats } from './_assert.js';
import { InvalidArgumentError } from './errors.js';
import { CloseRejectedError, SpendError } from './exitErrors.js';
import { keyPathJob, type SigningJob } from './jobs.js';
import type { FactoryOutline } from './transactions.js';
import { feeFor } from './tree.js';

/** nSequence of the cooperative close's input (§6). */
export const COOPERATIVE_CLOSE_SEQUENCE = 0xfffffffd;
/** Transaction version of the cooperative close (not TRUC: it may be larger than 10,000 vB). */
export const COOPERATIVE_CLOSE_VERSION = 2;
/** Core's standard size limit (400,000 weight units). */
export const MAX_STANDARD_VSIZE = 100_000;

/** What `close_propose` carries. */
export interface CooperativeCloseRequest {
  /** Each client's balance, indexed like `clients[]`. */
  readonly balances: readonly bigint[];
  /** The chain tip height when proposed: the close's nLockTime. */
  readonly tipHeight: number;
  /** Fee rate, sat/kvB. */
  readonly closeFeeRate: number;
}

/** An output of the cooperative close and whom it pays. */
export interface CloseOutput {
  /** The client (index into `clients[]`), or -1 for the LSP. */
  readonly owner: number;
  readonly value: bigint;
}

/** A built (unsigned) cooperative close. */
export interface CooperativeClose {
  readonly tx: Tx;
  /** Display-order hex txid. */
  readonly txid: string;
  /** The txid in internal byte order. */
  readonly txidBytes: Uint8Array;
  /** The funding output it spends. */
  readonly spent: TxOut;
  /** BIP341 key-path sighash: the MuSig2 message of all N+1. */
  readonly sighash: Uint8Array;
  /** `ceil(closeFeeRate × vsize / 1000)`. */
  readonly fee: bigint;
  /** Exact final vsize (64-byte key-path witness). */
  readonly vsize: number;
  /** The outputs, in order, with their owners. */
  readonly outputs: readonly CloseOutput[];
  /** Client balances below 330 sats, left to the LSP's output (placement order). */
  readonly dustBalances: readonly { readonly client: number; readonly balance: bigint }[];
  /** The LSP's output. */
  readonly lspAmount: bigint;
  /** The signing job (all N+1, funding key, BIP86 tweak). */
  readonly job: SigningJob;
}

/**
 * Builds the cooperative close of `tree`'s factory from a `close_propose` (§6).
 *
 * @throws {InvalidArgumentError} malformed balances, height or rate. {@link SpendError} `below-dust`
 *   when the LSP's output would be below 330 sats, `too-large` above 100,000 vB.
 */
export function buildCooperativeClose(
  tree: FactoryOutline,
  request: CooperativeCloseRequest,
): CooperativeClose {
  assertOutline(tree);
  const p = tree.proposal;
  const { balances, tipHeight, closeFeeRate } = request;
  if (!Array.isArray(balances) || balances.length !== p.clients.length)
    throw new InvalidArgumentError(
      'request.balances',
      `expected one balance per client (${p.clients.length})`,
    );
  balances.forEach((b, i) => {
    assertSats(b, `request.balances[${i}]`);
  });
  assertInt(tipHeight, 'request.tipHeight', 0, LOCKTIME_THRESHOLD - 1);
  assertInt(closeFeeRate, 'request.closeFeeRate', 0, 100_000_000);
  const paid: CloseOutput[] = [];
  const dustBalances: { client: number; balance: bigint }[] = [];
  for (const c of tree.layout.order) {
    const b = balances[c] as bigint;
    if (b >= P2TR_DUST) paid.push(Object.freeze({ owner: c, value: b }));
    else if (b > 0n) dustBalances.push(Object.freeze({ client: c, balance: b }));
  }
  const fundingTxid = txidBytes(p.funding.txid, 'tree.proposal.funding.txid');
  const draft = (lsp: bigint): Tx => ({
    version: COOPERATIVE_CLOSE_VERSION,
    locktime: tipHeight,
    inputs: [{ txidBytes: fundingTxid, vout: p.funding.vout, sequence: COOPERATIVE_CLOSE_SEQUENCE }],
    outputs: [
      ...paid.map((o) => ({
        value: o.value,
        script: (p.clients[o.owner] as (typeof p.clients)[number]).closeScript,
      })),
      { value: lsp, script: p.lsp.closeScript },
    ],
  });
  const vsize = txVsize(draft(0n), [[new Uint8Array(64)]]);
  if (vsize > MAX_STANDARD_VSIZE)
    throw new SpendError(
      'too-large',
      'cooperative close',
      `${vsize} vB is above the standard ${MAX_STANDARD_VSIZE}`,
    );
  const fee = feeFor(closeFeeRate, vsize);
  const lspAmount = p.funding.amount - paid.reduce((a, o) => a + o.value, 0n) - fee;
  if (lspAmount < P2TR_DUST)
    throw new SpendError(
      'below-dust',
      'cooperative close: LSP output',
      `${lspAmount} sats after the clients' balances and a ${fee}-sat fee (funding ${p.funding.amount})`,
    );
  const tx = draft(lspAmount);
  const spent: TxOut = { value: p.funding.amount, script: tree.funding.script };
  const sighash = new TaprootSighasher(tx, [spent]).sighash(0);
  const id = txidBytesOf(tx);
  return Object.freeze({
    tx,
    txid: displayHex(id),
    txidBytes: id,
    spent,
    sighash,
    fee,
    vsize,
    outputs: Object.freeze([...paid, Object.freeze({ owner: -1, value: lspAmount })]),
    dustBalances: Object.freeze(dustBalances),
    lspAmount,
    job: keyPathJob({
      id: 'cooperative-close',
      kind: 'close',
      sighash,
      participants: tree.keys.map((_, i) => i),
      keys: tree.keys,
      spent: tree.funding,
    }),
  });
}

/** What a client checks a proposed cooperative close against: itself, its balance and the transaction. */
export interface CooperativeCloseCheck {
  /** The client (index into `clients[]`). */
  readonly client: number;
  /** Its balance, sats. */
  readonly balance: bigint;
  /** The proposed (unsigned) close transaction. */
  readonly tx: Tx;
}

/**
 * The client-side check of a proposed cooperative close (§6), run before the client releases a partial
 * signature: the transaction must spend the factory's funding output in the §6 form (version 2, one
 * input with nSequence `0xFFFFFFFD`), and, when `balance` is at least 330 sats, an output paying the
 * client's **own** close address at least `balance` — an output of that size to anyone else does not
 * count. A balance below dust goes to the LSP's output and needs no output. Once it passes, the client
 * signs {@link cooperativeCloseSighash} of the same transaction, computed by itself.
 *
 * @throws {CloseRejectedError} naming the client and the fault.
 */
export function checkCooperativeClose(tree: FactoryOutline, check: CooperativeCloseCheck): void {
  assertOutline(tree);
  const p = tree.proposal;
  if (typeof check !== 'object' || check === null)
    throw new InvalidArgumentError('check', 'expected { client, balance, tx }');
  const { client, balance, tx } = check;
  assertInt(client, 'check.client', 0, p.clients.length - 1);
  assertSats(balance, 'check.balance');
  if (typeof tx !== 'object' || tx === null || !Array.isArray(tx.outputs) || !Array.isArray(tx.inputs))
    throw new InvalidArgumentError('check.tx', 'expected a one-input transaction');
  if (tx.inputs.length !== 1)
    throw new CloseRejectedError(client, 'wrong-input', `it has ${tx.inputs.length} inputs, expected one`);
  const input = tx.inputs[0] as Tx['inputs'][number];
  assertBytes(input.txidBytes, 'check.tx.inputs[0].txidBytes', 32);
  if (
    !bytesEqual(input.txidBytes, txidBytes(p.funding.txid, 'tree.proposal.funding.txid')) ||
    input.vout !== p.funding.vout
  )
    throw new CloseRejectedError(client, 'wrong-input', 'it does not spend the factory funding output');
  if (tx.version !== COOPERATIVE_CLOSE_VERSION || input.sequence !== COOPERATIVE_CLOSE_SEQUENCE)
    throw new CloseRejectedError(
      client,
      'wrong-form',
      `expected version 2 and nSequence 0xfffffffd, got version ${tx.version}, nSequence ${input.sequence}`,
    );
  if (balance >= P2TR_DUST) {
    const own = (p.clients[client] as (typeof p.clients)[number]).closeScript;
    const mine = tx.outputs.filter((o) => bytesEqual(o.script, own));
    if (mine.length === 0)
      throw new CloseRejectedError(
        client,
        'no-own-output',
        `no output pays the client's close address (balance ${balance})`,
      );
    let best = 0n;
    for (const o of mine) if (o.value > best) best = o.value;
    if (best < balance)
      throw new CloseRejectedError(
        client,
        'underpaid',
        `its close address gets ${best} sats, its balance is ${balance}`,
      );
  }
}

/**
 * The BIP341 key-path sighash of a one-input cooperative close `tx` spending `tree`'s funding output:
 * the message all N+1 sign. A client computes it itself, after {@link checkCooperativeClose} passed.
 */
export function cooperativeCloseSighash(tree: FactoryOutline, tx: Tx): Uint8Array {
  assertOutline(tree);
  if (typeof tx !== 'object' || tx === null || !Array.isArray(tx.inputs) || tx.inputs.length !== 1)
    throw new InvalidArgumentError('tx', 'expected a one-input transaction');
  return new TaprootSighasher(tx, [
    { value: tree.proposal.funding.amount, script: tree.funding.script },
  ]).sighash(0);
}

/** Serialises the cooperative close with the aggregate 64-byte key-path signature. */
export function signedCloseBytes(close: CooperativeClose, signature: Uint8Array): Uint8Array {
  assertBytes(signature, 'signature', 64);
  return encodeTx(close.tx, [[signature]]);
}
