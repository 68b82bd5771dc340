/**
 * Claims of a confirmed (honest) commitment's outputs, brief §7: the holder's `to_local` after
 * `toSelfDelay`, the remote's `to_remote` one block after confirmation, and either side's HTLC
 * success (with the preimage) and timeout (after the expiry) leaves. Version 3, one or more inputs,
 * one output to a given script, each input's nSequence the leaf's CSV value (`toSelfDelay` or 1),
 * nLockTime the largest `cltv_expiry` of the timeout inputs (0 when there are none), fee
 * `ceil(feeRate × vsize / 1000)` of the exact signed transaction. Witnesses `[sig, preimage, script,
 * control]` for preimage leaves and `[sig, script, control]` otherwise; signatures are single-key
 * BIP340 script-path signatures (`SIGHASH_DEFAULT`) with the BOLT 3-derived secrets.
 *
 * The caller passes basepoint secrets; this module derives the per-commitment secret key and checks it
 * against the key in the leaf before signing ({@link KeyMismatchError}).
 *
 * Not here: spending a revoked commitment (`penalty.ts`), fee bumping (re-sign at a higher rate).
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes as bytesEqual } from '@superscalar/core';
import {
  checkDust,
  encodeTx,
  TaprootSighasher,
  TRUC_MAX_VSIZE,
  type Tx,
  type TxIn,
  type TxOut,
  txidOf,
  txVsize,
} from '@superscalar/tx';
import { assertBytes, assertDestination, assertFeeRate, assertInt, assertObject } from './_assert.js';
import { decodeScalar } from './_ec.js';
import { defaultRng, type Rng, signSchnorr } from './_sign.js';
import {
  type Commitment,
  type CommitmentOutput,
  type HtlcOutput,
  otherSide,
  type Side,
} from './commitment.js';
import { InvalidArgumentError, KeyMismatchError, TransactionTooLargeError } from './errors.js';
import { feeForVsize } from './fees.js';
import { derivePrivkey, perCommitmentPoint } from './keys.js';

/** What a claim input spends, and by which leaf. */
export type ClaimKind = 'to_local' | 'to_remote' | 'htlc_success' | 'htlc_timeout';

/** One commitment output to claim. */
export interface ClaimInput {
  /** The commitment output's index. */
  readonly vout: number;
  /**
   * `to_local` (the holder, after `toSelfDelay`), `to_remote` (the remote, after 1 block),
   * `htlc_success` (the payee, with the preimage) or `htlc_timeout` (the offerer, after the expiry).
   */
  readonly kind: ClaimKind;
  /**
   * The claimant's basepoint secret (32 bytes): `delayed_payment_basepoint_secret` for `to_local`,
   * `payment_basepoint_secret` for `to_remote` (the static key itself), `htlc_basepoint_secret` for
   * either HTLC leaf.
   */
  readonly basepointSecret: Uint8Array;
  /** The 32-byte payment preimage, for `htlc_success` only. */
  readonly preimage?: Uint8Array;
}

/** Arguments of {@link buildClaim}. */
export interface BuildClaimArgs {
  /** The commitment whose outputs are claimed (as built by `buildCommitment`). */
  readonly commitment: Commitment;
  /** The outputs to claim (one or more, all of one claimant). */
  readonly inputs: readonly ClaimInput[];
  /** Where the claim pays (a standard scriptPubKey, e.g. the claimant's P2TR). */
  readonly destinationScript: Uint8Array;
  /** Fee rate, sat/kvB. */
  readonly feeRate: number;
  /** BIP340 auxiliary randomness (default: the CSPRNG). */
  readonly rng?: Rng;
}

/** A signed claim transaction. */
export interface Claim {
  /** The transaction without witnesses. */
  readonly tx: Tx;
  /** Broadcastable bytes (with witnesses). */
  readonly bytes: Uint8Array;
  /** Display-order txid. */
  readonly txid: string;
  /** Who claims (every input belongs to this side). */
  readonly claimant: Side;
  /** Its vsize. */
  readonly vsize: number;
  /** Its fee, `ceil(feeRate × vsize / 1000)`. */
  readonly fee: bigint;
  /** What the destination receives. */
  readonly amount: bigint;
  /**
   * The largest relative lock (CSV, blocks) among its inputs: with the commitment confirmed at height
   * `h`, the claim can be mined from block `h + csv` on (and not before block `tx.locktime + 1`).
   */
  readonly csv: number;
}

interface Plan {
  readonly output: CommitmentOutput;
  readonly claimant: Side;
  readonly leaf: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly control: Uint8Array;
  readonly sequence: number;
  readonly locktime: number;
  readonly secret: Uint8Array;
  readonly preimage: Uint8Array | undefined;
}

function planInput(c: Commitment, input: ClaimInput, name: string): Plan {
  assertObject(input, name);
  assertInt(input.vout, `${name}.vout`, 0, c.outputs.length - 1);
  const output = c.outputs[input.vout] as CommitmentOutput;
  decodeScalar(input.basepointSecret, `${name}.basepointSecret`);
  const holder = c.holder;
  const point = c.perCommitmentPoint;
  const wrongKind = (what: string) =>
    new InvalidArgumentError(
      `${name}.kind`,
      `output ${input.vout} is ${what}, not claimable as ${input.kind}`,
    );
  const expectKey = (secret: Uint8Array, expected: Uint8Array) => {
    if (!bytesEqual(perCommitmentPoint(secret), expected))
      throw new KeyMismatchError(
        `${name}.basepointSecret`,
        `does not derive the key in output ${input.vout}'s leaf`,
      );
  };
  if (input.preimage !== undefined && input.kind !== 'htlc_success')
    throw new InvalidArgumentError(`${name}.preimage`, 'only an htlc_success claim takes a preimage');
  switch (input.kind) {
    case 'to_local': {
      if (output.role !== 'to_local') throw wrongKind(output.role);
      const secret = derivePrivkey(input.basepointSecret, point);
      expectKey(secret, c.keys.localDelayedPubkey);
      return {
        output,
        claimant: holder,
        leaf: output.leaf,
        leafHash: output.taproot.leafHashes[0] as Uint8Array,
        control: output.controlBlock,
        sequence: c.config.toSelfDelay,
        locktime: 0,
        secret,
        preimage: undefined,
      };
    }
    case 'to_remote': {
      if (output.role !== 'to_remote') throw wrongKind(output.role);
      const secret = Uint8Array.from(input.basepointSecret);
      expectKey(secret, c.keys.remotePaymentKey);
      return {
        output,
        claimant: otherSide(holder),
        leaf: output.leaf,
        leafHash: output.taproot.leafHashes[0] as Uint8Array,
        control: output.controlBlock,
        sequence: 1,
        locktime: 0,
        secret,
        preimage: undefined,
      };
    }
    case 'htlc_success':
    case 'htlc_timeout': {
      if (output.role !== 'htlc') throw wrongKind(output.role);
      const h: HtlcOutput = output;
      const success = input.kind === 'htlc_success';
      const claimant = success ? h.successBy : h.timeoutBy;
      const secret = derivePrivkey(input.basepointSecret, point);
      expectKey(secret, claimant === holder ? c.keys.localHtlcPubkey : c.keys.remoteHtlcPubkey);
      let preimage: Uint8Array | undefined;
      if (success) {
        assertBytes(input.preimage, `${name}.preimage`, 32);
        if (!bytesEqual(sha256(input.preimage), h.paymentHash))
          throw new InvalidArgumentError(
            `${name}.preimage`,
            `does not hash to HTLC ${h.htlcId}'s payment hash`,
          );
        preimage = Uint8Array.from(input.preimage);
      }
      return {
        output,
        claimant,
        leaf: success ? h.successLeaf : h.timeoutLeaf,
        leafHash: h.taproot.leafHashes[success ? 0 : 1] as Uint8Array,
        control: success ? h.successControlBlock : h.timeoutControlBlock,
        sequence: success ? h.successCsv : h.timeoutCsv,
        locktime: success ? 0 : h.cltvExpiry,
        secret,
        preimage,
      };
    }
    default:
      throw new InvalidArgumentError(
        `${name}.kind`,
        "expected 'to_local', 'to_remote', 'htlc_success' or 'htlc_timeout'",
      );
  }
}

/**
 * Builds and signs a claim of one or more outputs of a confirmed commitment, all by one claimant.
 *
 * @throws {InvalidArgumentError} a malformed input, an output of another kind, two claimants, a
 *   preimage that does not hash to the payment hash, or an output claimed twice.
 * @throws {KeyMismatchError} a basepoint secret that does not derive the leaf's key.
 * @throws {BelowDustError} (`@superscalar/tx`, `TX_BELOW_DUST`) the claimed amount minus the fee is below 330 sats.
 * @throws {TransactionTooLargeError} a batch above 10,000 vB (TRUC): claim in several transactions.
 */
export function buildClaim(args: BuildClaimArgs): Claim {
  assertObject(args, 'args');
  const c = args.commitment;
  assertObject(c, 'args.commitment');
  if (!Array.isArray(args.inputs) || args.inputs.length === 0)
    throw new InvalidArgumentError('args.inputs', 'expected at least one input');
  assertDestination(args.destinationScript, 'args.destinationScript');
  assertFeeRate(args.feeRate, 'args.feeRate');
  const rng = args.rng ?? defaultRng;
  const plans = args.inputs.map((input, i) => planInput(c, input, `args.inputs[${i}]`));
  const seen = new Set<number>();
  plans.forEach((p, i) => {
    if (seen.has(p.output.vout)) throw new InvalidArgumentError(`args.inputs[${i}].vout`, 'claimed twice');
    seen.add(p.output.vout);
    if (p.claimant !== (plans[0] as Plan).claimant)
      throw new InvalidArgumentError(
        `args.inputs[${i}]`,
        'every input of one claim must belong to one claimant',
      );
  });
  const locktime = plans.reduce((m, p) => Math.max(m, p.locktime), 0);
  const inputs: TxIn[] = plans.map((p) => ({
    txidBytes: c.txidBytes,
    vout: p.output.vout,
    sequence: p.sequence,
  }));
  const total = plans.reduce((s, p) => s + p.output.amount, 0n);
  const destination = Uint8Array.from(args.destinationScript);
  const witnessFor = (p: Plan, sig: Uint8Array) =>
    p.preimage === undefined ? [sig, p.leaf, p.control] : [sig, p.preimage, p.leaf, p.control];
  const sized: Tx = { version: 3, locktime, inputs, outputs: [{ value: 0n, script: destination }] };
  const vsize = txVsize(
    sized,
    plans.map((p) => witnessFor(p, new Uint8Array(64))),
  );
  // Version 3: a claim above TRUC's size would never relay (split a large batch).
  if (vsize > TRUC_MAX_VSIZE) throw new TransactionTooLargeError('the claim', vsize, TRUC_MAX_VSIZE);
  const fee = feeForVsize(args.feeRate, vsize);
  const amount = total - fee;
  checkDust(amount, 'the claim');
  const tx: Tx = Object.freeze({
    version: 3,
    locktime,
    inputs: Object.freeze(inputs),
    outputs: Object.freeze([{ value: amount, script: destination }]),
  });
  const spent: TxOut[] = plans.map((p) => ({ value: p.output.amount, script: p.output.script }));
  const sighasher = new TaprootSighasher(tx, spent);
  const witnesses = plans.map((p, i) =>
    witnessFor(p, signSchnorr(sighasher.sighash(i, { leafHash: p.leafHash }), p.secret, rng)),
  );
  return Object.freeze({
    tx,
    bytes: encodeTx(tx, witnesses),
    txid: txidOf(tx),
    claimant: (plans[0] as Plan).claimant,
    vsize,
    fee,
    amount,
    csv: plans.reduce((m, p) => Math.max(m, p.sequence), 0),
  });
}

/**
 * The outputs of commitment `c` that `side` can claim by a script leaf once `c` confirms: `to_local`
 * for the holder, `to_remote` for the remote, and each HTLC's success leaf (the payee) and timeout
 * leaf (the offerer). Returned as `{ vout, kind }` pairs, for the caller to add secrets and preimages.
 */
export function claimableOutputs(c: Commitment, side: Side): readonly { vout: number; kind: ClaimKind }[] {
  assertObject(c, 'c');
  const out: { vout: number; kind: ClaimKind }[] = [];
  for (const o of c.outputs) {
    if (o.role === 'to_local' && side === c.holder) out.push({ vout: o.vout, kind: 'to_local' });
    else if (o.role === 'to_remote' && side !== c.holder) out.push({ vout: o.vout, kind: 'to_remote' });
    else if (o.role === 'htlc')
      out.push({ vout: o.vout, kind: o.successBy === side ? 'htlc_success' : 'htlc_timeout' });
  }
  return out;
}
