/**
 * Stale-channel settlement (protocol brief §5.4): when a leaf state is superseded, each of its channel
 * outputs is covered by a version-3 key-path transaction, signed in the advance session, that pays the
 * client's close address `channel output − 240 − fee` and then a 240-sat P2A anchor; nLockTime 0,
 * nSequence `0xFFFFFFFD`, fee `ceil(treeFeeRate × vsize / 1000)` with the 64-byte key-path witness.
 * Below 330 sats no settlement is signed (`@superscalar/tx`'s `BelowDustError`; the advance reports it).
 *
 * The poon-dryja package reuses {@link buildSettlement} for every superseded channel outpoint.
 *
 * @module
 */
import {
  ANCHOR_AMOUNT,
  checkDust,
  displayHex,
  encodeTx,
  type OutPoint,
  P2A_SCRIPT,
  TaprootSighasher,
  type Tx,
  type TxOut,
  txidBytes,
  txidBytesOf,
  txVsize,
} from '@superscalar/tx';
import { assertBytes, assertInt, assertSats } from './_assert.js';
import { InvalidArgumentError } from './errors.js';
import type { TaprootOutput } from './transactions.js';
import { feeFor } from './tree.js';

/** nSequence of poison and settlement inputs: RBF-signalling, no relative lock. */
export const SETTLEMENT_SEQUENCE = 0xfffffffd;

/** A built, unsigned stale-channel settlement. */
export interface SettlementTx {
  /** The unsigned transaction. */
  readonly tx: Tx;
  /** Display-order hex txid. */
  readonly txid: string;
  /** The txid in internal byte order. */
  readonly txidBytes: Uint8Array;
  /** The superseded channel output it spends. */
  readonly spent: TxOut;
  /** That output's taproot details (`KeyAgg({LSP, client})`, CLTV leaf): the signing key and tweak. */
  readonly channel: TaprootOutput;
  /** What the client's close address receives. */
  readonly payout: bigint;
  /** Exact vsize with the 64-byte key-path witness. */
  readonly vsize: number;
  /** `ceil(feeRate × vsize / 1000)`. */
  readonly fee: bigint;
  /** BIP341 key-path sighash (`SIGHASH_DEFAULT`): the MuSig2 message. */
  readonly sighash: Uint8Array;
}

const KEY_PATH_WITNESS = [new Uint8Array(64)];

function settlementTx(prevTxid: Uint8Array, vout: number, payout: bigint, closeScript: Uint8Array): Tx {
  return {
    version: 3,
    locktime: 0,
    inputs: [{ txidBytes: prevTxid, vout, sequence: SETTLEMENT_SEQUENCE }],
    outputs: [
      { value: payout, script: closeScript },
      { value: ANCHOR_AMOUNT, script: P2A_SCRIPT },
    ],
  };
}

/** The settlement's fee and payout for a channel output of `amount` (the payout may be below dust). */
export function settlementPayout(
  amount: bigint,
  closeScript: Uint8Array,
  feeRate: number,
): { fee: bigint; payout: bigint; vsize: number } {
  assertSats(amount, 'amount');
  assertBytes(closeScript, 'closeScript');
  assertInt(feeRate, 'feeRate', 0, 100_000_000);
  const vsize = txVsize(settlementTx(new Uint8Array(32), 0, 0n, closeScript), [KEY_PATH_WITNESS]);
  const fee = feeFor(feeRate, vsize);
  return { fee, payout: amount - ANCHOR_AMOUNT - fee, vsize };
}

/** What {@link buildSettlement} builds from. */
export interface SettlementOptions {
  /** The channel output's taproot details (from `channelOutput`). */
  readonly channel: TaprootOutput;
  /** The superseded channel outpoint (display-order hex txid). */
  readonly outpoint: OutPoint;
  /** The channel output's value, sats. */
  readonly amount: bigint;
  /** The client's close address (P2TR scriptPubKey). */
  readonly closeScript: Uint8Array;
  /** `treeFeeRate`, sat/kvB. */
  readonly feeRate: number;
}

/**
 * Builds the stale-channel settlement of one superseded channel output (§5.4).
 *
 * @throws {BelowDustError} (`@superscalar/tx`) the payout would be below 330 sats: no settlement is signed.
 */
export function buildSettlement(options: SettlementOptions): SettlementTx {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected { channel, outpoint, amount, closeScript, feeRate }');
  const { channel, outpoint, amount, closeScript, feeRate } = options;
  if (typeof channel !== 'object' || channel === null || !(channel.script instanceof Uint8Array))
    throw new InvalidArgumentError('options.channel', 'expected a TaprootOutput (channelOutput)');
  if (typeof outpoint !== 'object' || outpoint === null || typeof outpoint.txid !== 'string')
    throw new InvalidArgumentError('options.outpoint', 'expected { txid, vout }');
  if (!/^[0-9a-f]{64}$/.test(outpoint.txid))
    throw new InvalidArgumentError(
      'options.outpoint.txid',
      'expected 64 lower-case hex characters (display order)',
    );
  assertInt(outpoint.vout, 'options.outpoint.vout', 0, 0xffffffff);
  assertSats(amount, 'options.amount');
  assertBytes(closeScript, 'options.closeScript', 34);
  if (closeScript[0] !== 0x51 || closeScript[1] !== 0x20)
    throw new InvalidArgumentError('options.closeScript', 'expected a P2TR scriptPubKey');
  assertInt(feeRate, 'options.feeRate', 0, 100_000_000);
  const { fee, payout, vsize } = settlementPayout(amount, closeScript, feeRate);
  checkDust(payout, 'settlement payout');
  const tx = settlementTx(
    txidBytes(outpoint.txid, 'options.outpoint.txid'),
    outpoint.vout,
    payout,
    Uint8Array.from(closeScript),
  );
  const spent: TxOut = { value: amount, script: channel.script };
  const id = txidBytesOf(tx);
  return Object.freeze({
    tx,
    txid: displayHex(id),
    txidBytes: id,
    spent,
    channel,
    payout,
    vsize,
    fee,
    sighash: new TaprootSighasher(tx, [spent]).sighash(0),
  });
}

/** Serialises a settlement with its 64-byte key-path signature. */
export function signedSettlementBytes(s: SettlementTx, signature: Uint8Array): Uint8Array {
  assertBytes(signature, 'signature', 64);
  return encodeTx(s.tx, [[signature]]);
}
