/**
 * The channel's fee, trimming, reserve and dust-exposure arithmetic (brief §7), as pure functions the
 * commitment builder and the channel state machine share. Amounts are sats (`bigint`) unless the name
 * says msat; fee rates integer sat/kvB; `fee = ceil(rate × vsize / 1000)`.
 *
 * Commitment size: every commitment has one key-path input (one 64-byte witness item), P2TR outputs
 * of 43 bytes each and a 13-byte P2A anchor, so its vsize is `54 + varint(outputs) + 43·p + 17` with
 * `p` P2TR outputs: 9,971 vB with 114 HTLCs each way plus `to_local` and `to_remote`, 10,014 vB with
 * 115 + 114 (above TRUC's 10,000).
 *
 * @module
 */

import { ANCHOR_AMOUNT, P2TR_DUST as DUST_LIMIT, compactSizeLen as varintLen } from '@superscalar/tx';
import { assertFeeRate, assertInt, assertMsat, assertObject, assertSats } from './_assert.js';
/** `max_accepted_htlcs`: untrimmed HTLC outputs per direction (brief §7); a peer asking more is refused. */
export const MAX_UNTRIMMED_HTLCS_PER_DIRECTION = 114;
/** The vsize an HTLC claim is budgeted at when trimming (the local success leaf, `toSelfDelay` ≥ 17). */
export const HTLC_CLAIM_VSIZE = 156;

/** `ceil(feeRate × vsize / 1000)` sats. */
export function feeForVsize(feeRate: number, vsize: number): bigint {
  assertFeeRate(feeRate, 'feeRate');
  assertInt(vsize, 'vsize', 0, 1_000_000);
  return (BigInt(feeRate) * BigInt(vsize) + 999n) / 1000n;
}

/** Sats of an msat amount as a commitment output holds it: `floor(msat / 1000)`. */
export function msatToSat(amountMsat: bigint): bigint {
  assertMsat(amountMsat, 'amountMsat');
  return amountMsat / 1000n;
}

/**
 * The exact vsize of a commitment with `untrimmedHtlcs` HTLC outputs and `mainOutputs` (0, 1 or 2)
 * of `to_local`/`to_remote`, with its one 64-byte key-path witness and the anchor.
 */
export function commitmentVsize(untrimmedHtlcs: number, mainOutputs = 2): number {
  assertInt(untrimmedHtlcs, 'untrimmedHtlcs', 0, 10_000);
  assertInt(mainOutputs, 'mainOutputs', 0, 2);
  const p2tr = untrimmedHtlcs + mainOutputs;
  // version 4, input count 1, input 41, outputs, locktime 4; witness: marker, flag, count, len, sig.
  const base = 4 + 1 + 41 + varintLen(p2tr + 1) + 43 * p2tr + 13 + 4;
  return Math.ceil((base * 4 + 2 + 1 + 1 + 64) / 4);
}

/**
 * The commitment fee `ceil(feeRate × vsize / 1000)` with `untrimmedHtlcs` HTLC outputs, assuming
 * both `to_local` and `to_remote` are present (the largest the fee can be for that HTLC count; the
 * builder charges the exact figure of the final transaction, which is never more).
 */
export function commitmentFee(untrimmedHtlcs: number, feeRate: number, mainOutputs = 2): bigint {
  return feeForVsize(feeRate, commitmentVsize(untrimmedHtlcs, mainOutputs));
}

/**
 * The HTLC trim threshold: `330 + ceil(feeRate × 156 / 1000)` sats. An HTLC whose `floor(msat/1000)`
 * is below it gets no output (its amount goes to the fee).
 */
export function htlcTrimThreshold(feeRate: number): bigint {
  return DUST_LIMIT + feeForVsize(feeRate, HTLC_CLAIM_VSIZE);
}

/** True when an HTLC of `amountMsat` is trimmed at `feeRate` (the same on both sides' commitments). */
export function isTrimmed(amountMsat: bigint, feeRate: number): boolean {
  return msatToSat(amountMsat) < htlcTrimThreshold(feeRate);
}

/** The number of HTLCs in `htlcs` that get an output at `feeRate`. */
export function untrimmedHtlcCount(
  htlcs: readonly { readonly amountMsat: bigint }[],
  feeRate: number,
): number {
  const threshold = htlcTrimThreshold(feeRate);
  let n = 0;
  for (const h of htlcs) if (msatToSat(h.amountMsat) >= threshold) n++;
  return n;
}

/** The default channel reserve: 1% of the capacity, rounded up, at least 330 sats (brief §2). */
export function defaultReserve(capacity: bigint): bigint {
  assertSats(capacity, 'capacity');
  const onePercent = (capacity + 99n) / 100n;
  return onePercent > DUST_LIMIT ? onePercent : DUST_LIMIT;
}

/** The default `maxDustExposure`: max(5,000 sats, 1% of the capacity rounded up) (brief §2). */
export function defaultMaxDustExposure(capacity: bigint): bigint {
  assertSats(capacity, 'capacity');
  const onePercent = (capacity + 99n) / 100n;
  return onePercent > 5_000n ? onePercent : 5_000n;
}

/**
 * The largest initial client balance: `capacity − reserve − commitmentFee(0 HTLCs) − 240` (brief §7),
 * so the LSP can pay commitment 0's fee and anchor and keep its reserve. Negative when nothing fits.
 */
export function maxInitialClientBalance(capacity: bigint, reserve: bigint, feeRate: number): bigint {
  assertSats(capacity, 'capacity');
  assertSats(reserve, 'reserve');
  return capacity - reserve - commitmentFee(0, feeRate) - ANCHOR_AMOUNT;
}

/**
 * What the LSP's balance must cover on a commitment with these HTLCs at `feeRate` (brief §7
 * affordability): `reserve + commitmentFee(untrimmed + 2) + 240` sats — the fee counted with room for
 * one more untrimmed HTLC each way, both main outputs present.
 */
export function lspRequiredBalance(
  htlcs: readonly { readonly amountMsat: bigint }[],
  feeRate: number,
  reserve: bigint,
): bigint {
  assertSats(reserve, 'reserve');
  return reserve + commitmentFee(untrimmedHtlcCount(htlcs, feeRate) + 2, feeRate) + ANCHOR_AMOUNT;
}

/**
 * Brief §7 affordability of one side's resulting commitment: true when the LSP's balance (msat,
 * HTLCs excluded) is at least {@link lspRequiredBalance}. The state machine refuses an
 * `update_add_htlc` or `update_fee` unless this holds for both sides' resulting commitments.
 */
export function lspCanAfford(args: {
  readonly lspBalanceMsat: bigint;
  readonly htlcs: readonly { readonly amountMsat: bigint }[];
  readonly feeRate: number;
  readonly reserve: bigint;
}): boolean {
  assertObject(args, 'args');
  return msatToSat(args.lspBalanceMsat) >= lspRequiredBalance(args.htlcs, args.feeRate, args.reserve);
}

/**
 * Brief §7 dust exposure of a commitment: the sats of its trimmed HTLCs (`floor(msat/1000)` each)
 * plus its fee `commitmentFee(untrimmed HTLCs)` — what would go to miners rather than to either side.
 * The state machine rejects an update that makes this exceed `maxDustExposure`.
 */
export function dustExposure(htlcs: readonly { readonly amountMsat: bigint }[], feeRate: number): bigint {
  const threshold = htlcTrimThreshold(feeRate);
  let trimmed = 0n;
  let untrimmed = 0;
  for (const h of htlcs) {
    const sats = msatToSat(h.amountMsat);
    if (sats < threshold) trimmed += sats;
    else untrimmed++;
  }
  return trimmed + commitmentFee(untrimmed, feeRate);
}
