/**
 * Brief §5.4 "Capacity change": when an advance moves liquidity between a leaf's L-stock and a
 * channel (`c_new ≠ c_old`), the rebound commitment `n` on the new channel outpoint keeps its
 * per-commitment point, keys, nSequence, nLockTime and every HTLC output; the LSP's balance changes
 * by `c_new − c_old` and the liquidity fee moves from the client's balance to the LSP's. The
 * commitment fee is recomputed on the exact new transaction (the builder's rule), and the rebound
 * commitment must satisfy the limits of the new capacity: reserve (rounded up), `maxDustExposure`,
 * and §7's affordability. Refusals are {@link CapacityChangeRejectedError}s naming the rule.
 *
 * {@link reboundSpec} is the balance arithmetic; {@link checkCapacityChange} the checks of one
 * holder's rebound commitment against its old copy. `rebindCommitment` (`rebind.ts`) runs both.
 *
 * @module
 */
import { equalBytes, toHex } from '@superscalar/core';
import { ANCHOR_AMOUNT, P2TR_DUST as DUST_LIMIT } from '@superscalar/tx';
import { assertMsat, assertObject, assertSats } from './_assert.js';
import type { Commitment, CommitmentSpec } from './commitment.js';
import { CapacityChangeRejectedError, InvalidArgumentError } from './errors.js';
import { dustExposure, lspRequiredBalance, msatToSat } from './fees.js';

/** A capacity change as both holders' rebound commitments apply it. */
export interface CapacityChange {
  /** The old channel output's amount, sats. */
  readonly oldCapacity: bigint;
  /** The new channel output's amount, sats. */
  readonly newCapacity: bigint;
  /** The liquidity fee moved from the client's balance to the LSP's, msat (default 0). */
  readonly liquidityFeeMsat?: bigint;
}

/** The limits of the new capacity a rebound commitment must meet. */
export interface CapacityLimits {
  /** The channel reserve of the new capacity, sats (brief §2: `max(330, ceil(1%))`). */
  readonly reserve: bigint;
  /** `maxDustExposure` of the new capacity, sats. */
  readonly maxDustExposure: bigint;
  /** The liquidity fee, msat: when above 0, the client's balance must keep its reserve after paying it. */
  readonly liquidityFeeMsat: bigint;
}

/**
 * The spec of commitment `n` rebound on a channel output of `newCapacity`: the LSP's balance gains
 * `(newCapacity − oldCapacity)·1000 + fee` msat, the client's loses the fee; number, point, HTLCs and
 * fee rate unchanged (so the HTLC outputs are the same).
 *
 * @throws {CapacityChangeRejectedError} `fee-above-balance` (the client's balance is below the fee)
 *   or `lsp-balance` (the capacity shrinks by more than the LSP's balance).
 */
export function reboundSpec(spec: CommitmentSpec, change: CapacityChange): CommitmentSpec {
  assertObject(spec, 'spec');
  assertObject(change, 'change');
  assertSats(change.oldCapacity, 'change.oldCapacity');
  assertSats(change.newCapacity, 'change.newCapacity');
  const fee = change.liquidityFeeMsat ?? 0n;
  assertMsat(fee, 'change.liquidityFeeMsat');
  assertMsat(spec.lspBalanceMsat, 'spec.lspBalanceMsat');
  assertMsat(spec.clientBalanceMsat, 'spec.clientBalanceMsat');
  const holder = spec.holder === 'lsp' ? 'lsp' : 'client';
  if (spec.clientBalanceMsat < fee)
    throw new CapacityChangeRejectedError(
      'fee-above-balance',
      holder,
      spec.clientBalanceMsat,
      fee,
      `the client's balance ${spec.clientBalanceMsat} msat is below the liquidity fee ${fee} msat`,
    );
  const lsp = spec.lspBalanceMsat + (change.newCapacity - change.oldCapacity) * 1000n + fee;
  if (lsp < 0n)
    throw new CapacityChangeRejectedError(
      'lsp-balance',
      holder,
      change.oldCapacity - change.newCapacity,
      spec.lspBalanceMsat / 1000n,
      `the capacity shrinks by ${change.oldCapacity - change.newCapacity} sats, more than the LSP's balance`,
    );
  return Object.freeze({ ...spec, lspBalanceMsat: lsp, clientBalanceMsat: spec.clientBalanceMsat - fee });
}

/**
 * Checks the affordability of a rebound spec (before building it): with a liquidity fee the client
 * keeps its reserve; the LSP's balance covers `reserve + commitmentFee(untrimmed + 2) + 240`; trimmed
 * HTLCs plus the fee stay within `maxDustExposure`.
 *
 * @throws {CapacityChangeRejectedError} `client-reserve`, `affordability` or `dust-exposure`.
 */
export function checkReboundSpec(spec: CommitmentSpec, limits: CapacityLimits): void {
  assertObject(limits, 'limits');
  assertSats(limits.reserve, 'limits.reserve');
  assertSats(limits.maxDustExposure, 'limits.maxDustExposure');
  assertMsat(limits.liquidityFeeMsat, 'limits.liquidityFeeMsat');
  const holder = spec.holder;
  const client = msatToSat(spec.clientBalanceMsat);
  if (limits.liquidityFeeMsat > 0n && client < limits.reserve)
    throw new CapacityChangeRejectedError(
      'client-reserve',
      holder,
      client,
      limits.reserve,
      `after the liquidity fee the client's balance ${client} sats is below the new reserve ${limits.reserve}`,
    );
  const required = lspRequiredBalance(spec.htlcs, spec.feeRate, limits.reserve);
  const lsp = msatToSat(spec.lspBalanceMsat);
  if (lsp < required)
    throw new CapacityChangeRejectedError(
      'affordability',
      holder,
      lsp,
      required,
      `the LSP's balance ${lsp} sats does not cover reserve + fee + anchor (${required} sats)`,
    );
  const exposure = dustExposure(spec.htlcs, spec.feeRate);
  if (exposure > limits.maxDustExposure)
    throw new CapacityChangeRejectedError(
      'dust-exposure',
      holder,
      exposure,
      limits.maxDustExposure,
      `trimmed HTLCs plus the fee (${exposure} sats) exceed the new maxDustExposure ${limits.maxDustExposure}`,
    );
}

/**
 * Checks one holder's rebound commitment against its old copy (brief §5.4): same version, nSequence,
 * nLockTime, per-commitment point and keys, the same HTLC outputs (amounts and scripts), and every
 * `to_local`/`to_remote` output the old copy had still present (at least 330 sats).
 *
 * @throws {CapacityChangeRejectedError} `output-below-dust`.
 * @throws {InvalidArgumentError} two commitments that are not copies of one commitment `n`.
 */
export function checkCapacityChange(old: Commitment, rebound: Commitment): void {
  assertObject(old, 'old');
  assertObject(rebound, 'rebound');
  const same =
    rebound.holder === old.holder &&
    rebound.commitmentNumber === old.commitmentNumber &&
    rebound.tx.version === old.tx.version &&
    rebound.tx.locktime === old.tx.locktime &&
    rebound.tx.inputs[0]?.sequence === old.tx.inputs[0]?.sequence &&
    equalBytes(rebound.perCommitmentPoint, old.perCommitmentPoint) &&
    equalBytes(rebound.keys.revocationPubkey, old.keys.revocationPubkey);
  if (!same) throw new InvalidArgumentError('rebound', 'is not a copy of the same commitment n');
  const htlcs = (c: Commitment) =>
    c.outputs
      .filter((o) => o.role === 'htlc')
      .map((o) => `${o.amount}:${toHex(o.script)}`)
      .sort();
  const [a, b] = [htlcs(old), htlcs(rebound)];
  if (a.length !== b.length || a.some((x, i) => x !== b[i]))
    throw new InvalidArgumentError('rebound', 'its HTLC outputs differ from the old copy');
  for (const role of ['to_local', 'to_remote'] as const) {
    if (!old.outputs.some((o) => o.role === role)) continue;
    const now = rebound.outputs.find((o) => o.role === role);
    if (now === undefined) {
      const lsp = (role === 'to_local') === (old.holder === 'lsp');
      const spec = rebound.spec;
      const figure = lsp
        ? msatToSat(spec.lspBalanceMsat) - rebound.rateFee - ANCHOR_AMOUNT
        : msatToSat(spec.clientBalanceMsat);
      const side = lsp ? 'LSP' : 'client';
      throw new CapacityChangeRejectedError(
        'output-below-dust',
        old.holder,
        figure,
        DUST_LIMIT,
        `the ${side}'s ${role} output of the old copy would fall below ${DUST_LIMIT} sats`,
      );
    }
  }
}
