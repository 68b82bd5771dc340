/**
 * Policy and consensus figures every transaction builder of `@superscalar/*` shares, one name each.
 *
 * @module
 */
import { BelowDustError } from './errors.js';

/** The P2A (pay-to-anchor) scriptPubKey `OP_1 <0x4e73>` (`51 02 4e 73`), Core 28+ policy. */
export const P2A_SCRIPT: Uint8Array = Uint8Array.of(0x51, 0x02, 0x4e, 0x73);

/** The amount of every P2A anchor output of the project's transactions (brief §1), in sats. */
export const ANCHOR_AMOUNT = 240n;

/** Core's dust limit of a P2TR output at the default 3,000 sat/kvB dust relay fee, in sats. */
export const P2TR_DUST = 330n;

/** BIP431 (TRUC, version 3): the largest virtual size of a TRUC transaction, in vbytes. */
export const TRUC_MAX_VSIZE = 10_000;

/** nLockTime (and CLTV) values below this are block heights, at or above it Unix times. */
export const LOCKTIME_THRESHOLD = 500_000_000;

/**
 * Throws {@link BelowDustError} when `amount` is below `limit` (default {@link P2TR_DUST}).
 * `output` names the output in the error (`settlement payout`).
 */
export function checkDust(amount: bigint, output: string, limit: bigint = P2TR_DUST): void {
  if (amount < limit) throw new BelowDustError(output, amount, limit);
}
