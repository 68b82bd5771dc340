// Internal bridge from SimChain's mempool to the script interpreter (src/script/): every input is
// verified with Core's standard flags (the mempool's, as Core 30's PolicyScriptChecks), and a failure
// is classified as consensus or policy by re-running that input with the mandatory flags only.
import { MANDATORY_FLAGS, ScriptError, SighashCache, STANDARD_FLAGS, verifyInput } from '../script/index.js';
import type { Tx, TxOut } from '../tx/index.js';
import type { ScriptFailure } from './mempool.js';

function failure(
  tx: Tx,
  i: number,
  spent: readonly TxOut[],
  flags: number,
  cache: SighashCache,
): ScriptError | null {
  try {
    verifyInput(tx, i, spent, flags, cache);
    return null;
  } catch (e) {
    if (ScriptError.isInstance(e)) return e;
    throw e;
  }
}

/** Verifies every input; returns the first failure (Core's ScriptErrorString) or null. */
export function verifyScripts(tx: Tx, spent: readonly TxOut[]): ScriptFailure | null {
  const cache = new SighashCache(tx, spent);
  for (let i = 0; i < tx.inputs.length; i++) {
    const e = failure(tx, i, spent, STANDARD_FLAGS, cache);
    if (e === null) continue;
    const consensus = failure(tx, i, spent, MANDATORY_FLAGS, cache) !== null;
    return { inputIndex: i, error: e.reason, consensus };
  }
  return null;
}
