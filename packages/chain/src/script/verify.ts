/**
 * Transaction-level script verification: {@link verifyInput} for one input and {@link verifyTx} for
 * every input with one shared {@link SighashCache} (BIP143/BIP341 hashes computed once per tx).
 */
import { InvalidArgumentError } from '../errors.js';
import type { Tx, TxOut } from '../tx/transaction.js';
import { ScriptFailure, type SignatureContext, verifyScriptInternal } from './interpreter.js';
import { ScriptError } from './scriptError.js';
import { SighashCache } from './sighash.js';

function toScriptError(e: unknown, inputIndex: number | undefined): never {
  if (e instanceof ScriptFailure) throw new ScriptError(e.code, { inputIndex });
  throw e;
}

function checkArgs(tx: Tx, spentOutputs: readonly TxOut[], flags: number): void {
  if (!Array.isArray(spentOutputs) || spentOutputs.length !== tx.inputs.length)
    throw new InvalidArgumentError(
      'spentOutputs',
      `expected one spent output per input (${tx.inputs.length}), got ${Array.isArray(spentOutputs) ? spentOutputs.length : typeof spentOutputs}`,
    );
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff)
    throw new InvalidArgumentError('flags', 'expected a uint32 of SCRIPT_VERIFY bits');
}

/**
 * Verifies input `inputIndex` of `tx` against the output it spends, under `flags`
 * (e.g. `STANDARD_FLAGS` for the mempool, `MANDATORY_FLAGS` for blocks). `spentOutputs` holds the
 * output spent by every input, in input order (BIP341 signs them all).
 * @throws {ScriptError} with Core's error `code` and `reason` when the input is invalid.
 */
export function verifyInput(
  tx: Tx,
  inputIndex: number,
  spentOutputs: readonly TxOut[],
  flags: number,
  cache?: SighashCache,
): void {
  checkArgs(tx, spentOutputs, flags);
  if (!Number.isInteger(inputIndex) || inputIndex < 0 || inputIndex >= tx.inputs.length)
    throw new InvalidArgumentError('inputIndex', `expected an index below ${tx.inputs.length}`);
  if (cache && (cache.tx !== tx || cache.spentOutputs !== spentOutputs))
    throw new InvalidArgumentError('cache', 'the cache was built for another transaction or spent outputs');
  const input = tx.inputs[inputIndex]!;
  const spent = spentOutputs[inputIndex]!;
  const ctx: SignatureContext = {
    tx,
    inputIndex,
    amount: spent.value,
    spentOutputs,
    cache: cache ?? new SighashCache(tx, spentOutputs),
  };
  try {
    verifyScriptInternal(input.scriptSig, spent.script, input.witness, flags, ctx);
  } catch (e) {
    toScriptError(e, inputIndex);
  }
}

/**
 * Verifies every input of `tx`, sharing one sighash cache. Throws the first failing input's
 * {@link ScriptError} (its `inputIndex` says which).
 */
export function verifyTx(tx: Tx, spentOutputs: readonly TxOut[], flags: number): void {
  checkArgs(tx, spentOutputs, flags);
  const cache = new SighashCache(tx, spentOutputs);
  for (let i = 0; i < tx.inputs.length; i++) verifyInput(tx, i, spentOutputs, flags, cache);
}

/**
 * Core's `VerifyScript` on raw parts, for tests and tools: `amount` is the spent value and
 * `spentOutputs` (optional) every spent output for taproot signatures.
 * @throws {ScriptError} on failure.
 */
export function verifyScript(args: {
  scriptSig: Uint8Array;
  scriptPubKey: Uint8Array;
  witness: readonly Uint8Array[];
  flags: number;
  tx: Tx;
  inputIndex: number;
  amount: bigint;
  spentOutputs?: readonly TxOut[];
}): void {
  const ctx: SignatureContext = {
    tx: args.tx,
    inputIndex: args.inputIndex,
    amount: args.amount,
    spentOutputs: args.spentOutputs,
    cache: new SighashCache(args.tx, args.spentOutputs),
  };
  try {
    verifyScriptInternal(args.scriptSig, args.scriptPubKey, args.witness, args.flags, ctx);
  } catch (e) {
    toScriptError(e, undefined);
  }
}
