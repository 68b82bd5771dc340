/**
 * What a spend of an HTLC output reveals (BOLT 5: a node extracts preimages from on-chain spends).
 * Every HTLC output of a commitment (brief §7) has the internal key `revocationpubkey` and two
 * tapscript leaves; its witness says which path spent it (BIP341):
 *
 * - one element (after an annex, if any): the **key path** — the revocation key (a penalty);
 * - `[sig, preimage, successLeaf, control]`: the **success leaf** (offered: the remote's; received:
 *   the holder's) — the element consumed by `OP_SIZE 32 OP_EQUALVERIFY OP_SHA256 <hash>` is the top of
 *   the stack, the preimage, 32 bytes whose SHA256 is the payment hash;
 * - `[sig, timeoutLeaf, control]`: the **timeout leaf** (nothing learned).
 *
 * {@link htlcSpendOf} never throws: a witness that matches none of these (a junk element where the
 * preimage goes, another script, a malformed control block, not an array of byte strings) is
 * `unrecognised`, with the reason, and the caller ignores it.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@superscalar/core';

/** The HTLC output a spend is checked against (an {@link HtlcOutput} has these fields). */
export interface HtlcLeaves {
  /** Payment hash (32 bytes). */
  readonly paymentHash: Uint8Array;
  /** The preimage leaf of the output. */
  readonly successLeaf: Uint8Array;
  /** The expiry leaf of the output. */
  readonly timeoutLeaf: Uint8Array;
}

/** How an HTLC output was spent, from its input's witness. */
export type HtlcSpend =
  /** By the revocation key (a penalty of a revoked commitment). */
  | { readonly path: 'key' }
  /** By the success leaf: the preimage (32 bytes, `sha256(preimage)` is the payment hash). */
  | { readonly path: 'success'; readonly preimage: Uint8Array }
  /** By the timeout leaf. */
  | { readonly path: 'timeout' }
  /** Not a spend of this output by any of its paths (ignored). */
  | { readonly path: 'unrecognised'; readonly reason: string };

const TAPSCRIPT_LEAF_VERSION = 0xc0;
const ANNEX_TAG = 0x50;

function unrecognised(reason: string): HtlcSpend {
  return { path: 'unrecognised', reason };
}

/**
 * Classifies the witness of an input spending `htlc`'s output (see the module's comment). Returns a
 * copy of the preimage for a success-leaf spend; never throws.
 */
export function htlcSpendOf(witness: readonly Uint8Array[], htlc: HtlcLeaves): HtlcSpend {
  if (!Array.isArray(witness)) return unrecognised('the witness is not an array');
  if (!witness.every((e) => e instanceof Uint8Array)) return unrecognised('a witness element is not bytes');
  if (
    !(htlc?.paymentHash instanceof Uint8Array) ||
    !(htlc.successLeaf instanceof Uint8Array) ||
    !(htlc.timeoutLeaf instanceof Uint8Array)
  )
    return unrecognised('no HTLC output to check against');
  let stack: readonly Uint8Array[] = witness;
  const last = stack[stack.length - 1];
  if (stack.length >= 2 && last !== undefined && last.length > 0 && last[0] === ANNEX_TAG)
    stack = stack.slice(0, -1); // BIP341: an annex is dropped before the path is told
  if (stack.length === 0) return unrecognised('empty witness');
  if (stack.length === 1) return { path: 'key' };
  const control = stack[stack.length - 1] as Uint8Array;
  const script = stack[stack.length - 2] as Uint8Array;
  const args = stack.slice(0, -2);
  if (control.length < 33 || (control.length - 33) % 32 !== 0 || control.length > 33 + 32 * 128)
    return unrecognised(`control block of ${control.length} bytes`);
  if (((control[0] as number) & 0xfe) !== TAPSCRIPT_LEAF_VERSION)
    return unrecognised('not a tapscript leaf version');
  if (equalBytes(script, htlc.successLeaf)) {
    if (args.length !== 2) return unrecognised(`success leaf with ${args.length} stack elements, expected 2`);
    const preimage = args[1] as Uint8Array;
    if (preimage.length !== 32)
      return unrecognised(`a ${preimage.length}-byte element where the preimage goes`);
    if (!equalBytes(sha256(preimage), htlc.paymentHash))
      return unrecognised('the element where the preimage goes does not hash to the payment hash');
    return { path: 'success', preimage: Uint8Array.from(preimage) };
  }
  if (equalBytes(script, htlc.timeoutLeaf)) {
    if (args.length !== 1) return unrecognised(`timeout leaf with ${args.length} stack elements, expected 1`);
    return { path: 'timeout' };
  }
  return unrecognised('a script that is neither of the output’s leaves');
}
