/**
 * Rebinding (brief §5.4): when a leaf state advances, each channel of the leaf gets a new channel
 * outpoint, and both parties sign each holder's current commitment `n` again on it — the same
 * per-commitment point, keys, outputs, nSequence and nLockTime; only the input differs (except for a
 * capacity change, `capacityChange.ts`). The
 * superseded outpoint is covered by the stale-channel settlement the advance session signs
 * (`@superscalar/factory-tree`); {@link validateStaleSettlement} verifies that a settlement pays the
 * client what the brief requires before the client relies on it.
 *
 * Not here: the advance session, its nonces (a fresh verification nonce per rebound commitment) and
 * the watch list of every outpoint copy (the state machine and the watchtower).
 *
 * @module
 */
import { equalBytes as bytesEqual } from '@superscalar/core';
import { channelOutput } from '@superscalar/factory-tree';
import { schnorrVerify } from '@superscalar/secp';
import {
  ANCHOR_AMOUNT,
  P2TR_DUST as DUST_LIMIT,
  decodeTx,
  P2A_SCRIPT,
  TaprootSighasher,
  type Tx,
  txidBytes,
  txVsize,
} from '@superscalar/tx';
import { assertBytes, assertFeeRate, assertInt, assertMsat, assertObject, assertSats } from './_assert.js';
import { decodePoint } from './_ec.js';
import { checkCapacityChange, checkReboundSpec, reboundSpec } from './capacityChange.js';
import { buildCommitment, type Commitment, type FundingOutpoint } from './commitment.js';
import {
  CapacityChangeRejectedError,
  FeeUnaffordableError,
  InvalidArgumentError,
  InvalidCommitmentError,
  SettlementMismatchError,
} from './errors.js';
import { defaultMaxDustExposure, defaultReserve, feeForVsize } from './fees.js';

/** Options of {@link rebindCommitment}. */
export interface RebindOptions {
  /**
   * `T_m` of the new channel output when it differs from the old one's (it does not in a per-leaf
   * advance or carry: the leaf keeps its depth). Default: the commitment's `channelTimeout`.
   */
  readonly channelTimeout?: number;
  /**
   * Brief §5.4 "Capacity change": the liquidity fee, msat, moved from the client's balance to the
   * LSP's on the rebound copy (default 0).
   */
  readonly liquidityFeeMsat?: bigint;
  /** The reserve of the new capacity, sats (default `defaultReserve(newFunding.amount)`). */
  readonly reserve?: bigint;
  /** `maxDustExposure` of the new capacity, sats (default `defaultMaxDustExposure(newFunding.amount)`). */
  readonly maxDustExposure?: bigint;
}

/**
 * Commitment `c` rebuilt on `newFunding` (brief §5.4): the same number, point, keys, nSequence and
 * nLockTime, a new input, hence a new txid and sighash.
 *
 * - Same amount and no liquidity fee: the outputs are exactly the old copy's (asserted).
 * - A **capacity change** (`newFunding.amount ≠ c.funding.amount`) or a liquidity fee: the LSP's
 *   balance changes by `c_new − c_old` and the fee moves from the client's balance to the LSP's
 *   ({@link reboundSpec}); every HTLC output is kept; the commitment fee is recomputed on the exact
 *   new transaction; and the copy is refused ({@link CapacityChangeRejectedError}), in this order,
 *   if the client's balance is below the fee, the capacity shrinks by more than the LSP's balance,
 *   a balance output present on the old copy would fall below 330 sats, the client paying a fee
 *   would fall below the new reserve, the LSP's balance would not cover §7's affordability at the
 *   new reserve, or the dust exposure would exceed the new limit.
 *
 * @throws {InvalidCommitmentError} `newFunding` is the outpoint the commitment already spends.
 * @throws {CapacityChangeRejectedError} naming the rule (above).
 */
export function rebindCommitment(
  c: Commitment,
  newFunding: FundingOutpoint,
  options: RebindOptions = {},
): Commitment {
  assertObject(c, 'commitment');
  assertObject(newFunding, 'newFunding');
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options', 'expected an object');
  assertSats(newFunding.amount, 'newFunding.amount');
  const fee = options.liquidityFeeMsat ?? 0n;
  assertMsat(fee, 'options.liquidityFeeMsat');
  if (
    typeof newFunding.txid === 'string' &&
    newFunding.txid.toLowerCase() === c.funding.txid &&
    newFunding.vout === c.funding.vout
  )
    throw new InvalidCommitmentError('newFunding', 'is the outpoint the commitment already spends');
  const config =
    options.channelTimeout === undefined ? c.config : { ...c.config, channelTimeout: options.channelTimeout };
  if (newFunding.amount !== c.funding.amount || fee > 0n) {
    const spec = reboundSpec(c.spec, {
      oldCapacity: c.funding.amount,
      newCapacity: newFunding.amount,
      liquidityFeeMsat: fee,
    });
    let rebound: Commitment;
    try {
      rebound = buildCommitment(config, newFunding, spec, { allowOversize: c.vsize > 10_000 });
    } catch (e) {
      if (!FeeUnaffordableError.isInstance(e)) throw e;
      throw new CapacityChangeRejectedError('affordability', c.holder, e.available, e.required, e.message);
    }
    // The brief's own rules first (a balance output lost to dust), then the new capacity's limits.
    checkCapacityChange(c, rebound);
    checkReboundSpec(spec, {
      reserve: options.reserve ?? defaultReserve(newFunding.amount),
      maxDustExposure: options.maxDustExposure ?? defaultMaxDustExposure(newFunding.amount),
      liquidityFeeMsat: fee,
    });
    return rebound;
  }
  // The rebound copy is never larger than the original (same outputs), so the size check cannot fail
  // differently; pass the original's oversize allowance through anyway.
  const rebound = buildCommitment(config, newFunding, c.spec, { allowOversize: c.vsize > 10_000 });
  const same =
    rebound.tx.version === c.tx.version &&
    rebound.tx.locktime === c.tx.locktime &&
    rebound.tx.inputs[0]?.sequence === c.tx.inputs[0]?.sequence &&
    rebound.tx.outputs.length === c.tx.outputs.length &&
    rebound.tx.outputs.every(
      (o, i) =>
        o.value === c.tx.outputs[i]?.value &&
        bytesEqual(o.script, c.tx.outputs[i]?.script ?? new Uint8Array()),
    );
  // An invariant of buildCommitment (outputs depend only on config and spec); fail loudly if broken.
  if (!same)
    throw new InvalidCommitmentError(
      'commitment',
      'the rebound copy differs from the original beyond its input',
    );
  return rebound;
}

/** Arguments of {@link validateStaleSettlement}. */
export interface StaleSettlementArgs {
  /** The settlement transaction's bytes (signed, or unsigned without witness). */
  readonly settlement: Uint8Array;
  /** The superseded channel outpoint it must spend. */
  readonly oldFunding: FundingOutpoint;
  /** The channel's funding keys (`lspFundingKey`, `clientFundingKey`). */
  readonly lspFundingKey: Uint8Array;
  /** The client's funding key. */
  readonly clientFundingKey: Uint8Array;
  /** `T_m` of the superseded channel output. */
  readonly channelTimeout: number;
  /** The client's close address (scriptPubKey) the settlement must pay. */
  readonly clientCloseScript: Uint8Array;
  /** `treeFeeRate`, sat/kvB. */
  readonly treeFeeRate: number;
}

/** What a valid settlement pays. */
export interface ValidatedSettlement {
  /** What the client's close address receives: `channel output − 240 − fee`. */
  readonly payout: bigint;
  /** `ceil(treeFeeRate × vsize / 1000)`. */
  readonly fee: bigint;
  /** Its vsize with a 64-byte key-path witness. */
  readonly vsize: number;
  /** The key-path sighash (what the advance session signs). */
  readonly sighash: Uint8Array;
  /** True when the bytes carried a witness, which was checked to be a valid key-path signature. */
  readonly signed: boolean;
}

/**
 * Validates a stale-channel settlement of the superseded channel outpoint against brief §5.4 and
 * returns what it pays: version 3,
 * nLockTime 0, one input spending `oldFunding` with nSequence `0xFFFFFFFD`, outputs exactly
 * `[client close address: channel output − 240 − fee, P2A anchor: 240]` with fee `ceil(treeFeeRate ×
 * vsize / 1000)` for the 64-byte key-path witness, and a payout of at least 330 sats. With a witness,
 * also checks it is one valid BIP340 signature by the channel output key.
 *
 * @throws {SettlementMismatchError} naming the first field that differs.
 */
export function validateStaleSettlement(args: StaleSettlementArgs): ValidatedSettlement {
  assertObject(args, 'args');
  assertBytes(args.settlement, 'args.settlement');
  assertObject(args.oldFunding, 'args.oldFunding');
  const oldTxid =
    typeof args.oldFunding.txid === 'string' && /^[0-9a-fA-F]{64}$/.test(args.oldFunding.txid)
      ? txidBytes(args.oldFunding.txid)
      : undefined;
  if (oldTxid === undefined)
    throw new InvalidArgumentError('args.oldFunding.txid', 'expected 64 hex characters');
  assertInt(args.oldFunding.vout, 'args.oldFunding.vout', 0, 0xffffffff);
  assertBytes(args.clientCloseScript, 'args.clientCloseScript');
  assertFeeRate(args.treeFeeRate, 'args.treeFeeRate');
  decodePoint(args.lspFundingKey, 'args.lspFundingKey');
  decodePoint(args.clientFundingKey, 'args.clientFundingKey');
  assertInt(args.channelTimeout, 'args.channelTimeout', 1, 499_999_999);
  const channel = channelOutput(args.lspFundingKey, args.clientFundingKey, args.channelTimeout);
  let tx: Tx;
  try {
    tx = decodeTx(args.settlement);
  } catch (e) {
    void e;
    throw new SettlementMismatchError('settlement', 'not a decodable transaction');
  }
  if (tx.inputs.some((i) => (i.scriptSig?.length ?? 0) > 0))
    throw new SettlementMismatchError('settlement', 'not a decodable transaction (a scriptSig)');
  const mismatch = (field: string, message: string) => new SettlementMismatchError(field, message);
  if (tx.version !== 3) throw mismatch('version', `expected 3, got ${tx.version}`);
  if (tx.locktime !== 0) throw mismatch('locktime', `expected 0, got ${tx.locktime}`);
  if (tx.inputs.length !== 1) throw mismatch('inputs', `expected one input, got ${tx.inputs.length}`);
  const input = tx.inputs[0] as (typeof tx.inputs)[number];
  if (!bytesEqual(input.txidBytes, oldTxid) || input.vout !== args.oldFunding.vout)
    throw mismatch('inputs[0]', 'does not spend the superseded channel outpoint');
  if (input.sequence !== 0xfffffffd)
    throw mismatch('inputs[0].sequence', `expected 0xfffffffd, got 0x${input.sequence.toString(16)}`);
  if (tx.outputs.length !== 2) throw mismatch('outputs', `expected 2 outputs, got ${tx.outputs.length}`);
  const [pay, anchor] = tx.outputs as [(typeof tx.outputs)[number], (typeof tx.outputs)[number]];
  if (!bytesEqual(pay.script, args.clientCloseScript))
    throw mismatch('outputs[0].script', "does not pay the client's close address");
  if (anchor.value !== ANCHOR_AMOUNT || !bytesEqual(anchor.script, P2A_SCRIPT))
    throw mismatch('outputs[1]', 'expected the 240-sat P2A anchor');
  const vsize = txVsize(tx, [[new Uint8Array(64)]]);
  const fee = feeForVsize(args.treeFeeRate, vsize);
  const payout = args.oldFunding.amount - ANCHOR_AMOUNT - fee;
  if (pay.value !== payout)
    throw mismatch(
      'outputs[0].value',
      `expected channel output − 240 − fee = ${payout} sats, got ${pay.value}`,
    );
  if (payout < DUST_LIMIT)
    throw mismatch('outputs[0].value', `${payout} sats is below dust: no settlement is valid`);
  const sighash = new TaprootSighasher(tx, [
    { value: args.oldFunding.amount, script: channel.script },
  ]).sighash(0);
  const witness = tx.inputs[0]?.witness ?? [];
  const signed = witness.length > 0;
  if (signed) {
    const sig = witness[0] as Uint8Array;
    if (witness.length !== 1 || sig.length !== 64)
      throw mismatch('witness', 'expected one 64-byte key-path signature');
    let ok = false;
    try {
      ok = schnorrVerify(sig, sighash, channel.outputKey);
    } catch {
      ok = false;
    }
    if (!ok) throw mismatch('witness', 'the signature does not verify against the channel output key');
  }
  return Object.freeze({ payout, fee, vsize, sighash, signed });
}
