/**
 * Penalties for a revoked commitment, brief §7: once the holder has revealed the per-commitment
 * secret of commitment `n`, the counterparty computes the revocation secret key and sweeps the
 * revoked `to_local` and every HTLC output by the key path (their internal key is
 * `revocationpubkey`; the key-path secret is the revocation secret tweaked with the output's
 * TapTweak, BIP341). Version-3 transactions of at most 170 inputs each (9,842 vB), nLockTime 0,
 * nSequence `0xFFFFFFFD`, outputs `[sweep, 240-sat P2A anchor]`, fee `ceil(feeRate × vsize / 1000)`
 * of the exact signed transaction.
 *
 * The result is fully signed bytes: a watchtower holds them without any channel key (brief §11) and
 * broadcasts them when the revoked commitment confirms, with a CPFP child through the anchor. After a
 * rebinding (brief §5.4) commitment `n` exists on several outpoints: build the penalties of every
 * copy ({@link buildPenaltiesForCopies}).
 *
 * Not here: the revoked commitment's `to_remote` (the penaliser's own balance, claimed by its static
 * payment key through `claims.ts`).
 *
 * @module
 */

import { equalBytes as bytesEqual } from '@superscalar/core';
import {
  ANCHOR_AMOUNT,
  P2TR_DUST as DUST_LIMIT,
  encodeTx,
  P2A_SCRIPT,
  TaprootSighasher,
  type Tx,
  type TxOut,
  txidOf,
  txVsize,
} from '@superscalar/tx';
import { assertBytes, assertDestination, assertFeeRate, assertInt, assertObject } from './_assert.js';
import { bytesToBigInt, decodeScalar, N } from './_ec.js';
import { addTweak, defaultRng, type Rng, signSchnorrUnverified, verifyOwnSchnorr } from './_sign.js';
import type { Commitment, HtlcOutput, ToLocalOutput } from './commitment.js';
import { InvalidArgumentError, KeyMismatchError, SelfVerificationError } from './errors.js';
import { feeForVsize } from './fees.js';
import { deriveRevocationPrivkey, perCommitmentPoint } from './keys.js';

/** Most inputs in one penalty transaction (≈ 9,842 vB: inside TRUC's 10,000). */
export const MAX_PENALTY_INPUTS = 170;

/** nSequence of penalty inputs (key path: no relative lock; RBF-signalling). */
export const PENALTY_SEQUENCE = 0xfffffffd;

/** Arguments of {@link buildPenalties}. */
export interface BuildPenaltiesArgs {
  /** The revoked commitment (the counterparty's, as built to sign it). */
  readonly commitment: Commitment;
  /** The per-commitment secret the holder revealed for it (32 bytes; checked against its point). */
  readonly perCommitmentSecret: Uint8Array;
  /** The penaliser's `revocation_basepoint_secret` (32 bytes). */
  readonly revocationBasepointSecret: Uint8Array;
  /** Where the penalty pays. */
  readonly sweepScript: Uint8Array;
  /** Fee rate, sat/kvB. */
  readonly feeRate: number;
  /** Inputs per transaction, 1..170 (default 170). */
  readonly maxInputs?: number;
  /** BIP340 auxiliary randomness (default: the CSPRNG). */
  readonly rng?: Rng;
}

/** One signed penalty transaction. */
export interface PenaltyTx {
  /** The transaction without witnesses. */
  readonly tx: Tx;
  /** Broadcastable bytes (with witnesses). */
  readonly bytes: Uint8Array;
  /** Display-order txid. */
  readonly txid: string;
  /** The commitment outputs it spends (vouts, ascending). */
  readonly vouts: readonly number[];
  /** Its vsize. */
  readonly vsize: number;
  /** Its fee. */
  readonly fee: bigint;
  /** What the sweep script receives. */
  readonly amount: bigint;
}

/** The penalty set of one revoked commitment copy. */
export interface PenaltySet {
  /** The revoked commitment's display-order txid (the trigger: its confirmation). */
  readonly commitmentTxid: string;
  /** Its funding outpoint (which copy this is). */
  readonly funding: { readonly txid: string; readonly vout: number };
  /** The transactions, each of at most `maxInputs` inputs. */
  readonly transactions: readonly PenaltyTx[];
  /**
   * Outputs left unswept because their batch would pay less than 330 sats after fee and anchor
   * (only possible at absurd fee rates or for a last batch of tiny HTLCs).
   */
  readonly unswept: readonly number[];
}

type Sweepable = ToLocalOutput | HtlcOutput;

/**
 * The penalty set of a revoked commitment (brief §7): every `to_local` and HTLC output swept by the
 * revocation key path, in transactions of at most `maxInputs` inputs (outputs in vout order).
 *
 * @throws {KeyMismatchError} the secret is not the commitment's, or the basepoint secret is not the
 *   revocation basepoint the commitment used.
 */
export function buildPenalties(args: BuildPenaltiesArgs): PenaltySet {
  assertObject(args, 'args');
  const c = args.commitment;
  assertObject(c, 'args.commitment');
  decodeScalar(args.perCommitmentSecret, 'args.perCommitmentSecret');
  decodeScalar(args.revocationBasepointSecret, 'args.revocationBasepointSecret');
  assertDestination(args.sweepScript, 'args.sweepScript');
  assertFeeRate(args.feeRate, 'args.feeRate');
  const maxInputs = args.maxInputs ?? MAX_PENALTY_INPUTS;
  assertInt(maxInputs, 'args.maxInputs', 1, MAX_PENALTY_INPUTS);
  const rng = args.rng ?? defaultRng;
  if (!bytesEqual(perCommitmentPoint(args.perCommitmentSecret), c.perCommitmentPoint))
    throw new KeyMismatchError(
      'args.perCommitmentSecret',
      `is not the secret of commitment ${c.commitmentNumber}'s per-commitment point`,
    );
  const revocationSecret = deriveRevocationPrivkey(args.revocationBasepointSecret, args.perCommitmentSecret);
  if (!bytesEqual(perCommitmentPoint(revocationSecret), c.keys.revocationPubkey))
    throw new KeyMismatchError(
      'args.revocationBasepointSecret',
      "does not derive the commitment's revocationpubkey",
    );

  // BIP340's even-y form of the revocation secret, from the point just computed for the check above.
  const revocationD = bytesToBigInt(revocationSecret);
  const evenD = c.keys.revocationPubkey[0] === 0x03 ? N - revocationD : revocationD;
  const sweepable = c.outputs.filter((o): o is Sweepable => o.role === 'to_local' || o.role === 'htlc');
  const sweep = Uint8Array.from(args.sweepScript);
  const transactions: PenaltyTx[] = [];
  const unswept: number[] = [];
  for (let at = 0; at < sweepable.length; at += maxInputs) {
    const batch = sweepable.slice(at, at + maxInputs);
    const inputs = batch.map((o) => ({ txidBytes: c.txidBytes, vout: o.vout, sequence: PENALTY_SEQUENCE }));
    const outputsFor = (value: bigint) => [
      { value, script: sweep },
      { value: ANCHOR_AMOUNT, script: Uint8Array.from(P2A_SCRIPT) },
    ];
    const vsize = txVsize(
      { version: 3, locktime: 0, inputs, outputs: outputsFor(0n) },
      batch.map(() => [new Uint8Array(64)]),
    );
    const fee = feeForVsize(args.feeRate, vsize);
    const total = batch.reduce((s, o) => s + o.amount, 0n);
    const amount = total - fee - ANCHOR_AMOUNT;
    if (amount < DUST_LIMIT) {
      unswept.push(...batch.map((o) => o.vout));
      continue;
    }
    const tx: Tx = Object.freeze({
      version: 3,
      locktime: 0,
      inputs: Object.freeze(inputs),
      outputs: Object.freeze(outputsFor(amount)),
    });
    const spent: TxOut[] = batch.map((o) => ({ value: o.amount, script: o.script }));
    const sighasher = new TaprootSighasher(tx, spent);
    const msgs = batch.map((_, i) => sighasher.sighash(i));
    const secrets = batch.map((o) => addTweak(evenD, o.taproot.tweak));
    const sigs = batch.map((_, i) =>
      signSchnorrUnverified(msgs[i] as Uint8Array, secrets[i] as Uint8Array, rng),
    );
    // Verify-your-own-signatures, each against its output key (the x-only key the chain checks), once
    // (signSchnorrUnverified skips the per-signature check): a wrong penalty signature would only
    // show when a breach needs it, and the watchtower holding these bytes has no key to sign again.
    // verifyOwnSchnorr is BIP340 verification computed with the output's secret (`(s − e⋅d)⋅G`: one
    // base multiplication); `d` is taken even-y by the output key's parity, so a wrong tweak or
    // parity fails it like a bad signature.
    batch.forEach((o, i) => {
      const d = bytesToBigInt(secrets[i] as Uint8Array);
      const dEven = o.taproot.parity === 1 ? N - d : d;
      if (!verifyOwnSchnorr(sigs[i] as Uint8Array, msgs[i] as Uint8Array, o.taproot.outputKey, dEven))
        throw new SelfVerificationError('penalty');
    });
    const witnesses = sigs.map((sig) => [sig]);
    transactions.push(
      Object.freeze({
        tx,
        bytes: encodeTx(tx, witnesses),
        txid: txidOf(tx),
        vouts: Object.freeze(batch.map((o) => o.vout)),
        vsize,
        fee,
        amount,
      }),
    );
  }
  return Object.freeze({
    commitmentTxid: c.txid,
    funding: Object.freeze({ txid: c.funding.txid, vout: c.funding.vout }),
    transactions: Object.freeze(transactions),
    unswept: Object.freeze(unswept),
  });
}

/**
 * The penalty sets of every outpoint copy of one revoked commitment number (brief §5.4: after
 * rebinding, commitment `n` exists on each channel outpoint the channel had). Every copy must be the
 * same holder's same number and per-commitment point.
 */
export function buildPenaltiesForCopies(
  copies: readonly Commitment[],
  args: Omit<BuildPenaltiesArgs, 'commitment'>,
): readonly PenaltySet[] {
  if (!Array.isArray(copies) || copies.length === 0)
    throw new InvalidArgumentError('copies', 'expected at least one commitment');
  const first = copies[0] as Commitment;
  copies.forEach((c, i) => {
    assertObject(c, `copies[${i}]`);
    assertBytes(c.perCommitmentPoint, `copies[${i}].perCommitmentPoint`, 33);
    if (
      c.holder !== first.holder ||
      c.commitmentNumber !== first.commitmentNumber ||
      !bytesEqual(c.perCommitmentPoint, first.perCommitmentPoint)
    )
      throw new InvalidArgumentError(
        `copies[${i}]`,
        'not a copy of the same commitment (holder, number, point)',
      );
  });
  return Object.freeze(copies.map((commitment) => buildPenalties({ ...args, commitment })));
}
