import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vectorJson } from '../../../../test-utils/index.js';
import {
  decodeScript,
  isP2SH,
  parseFlags,
  SCRIPT_VERIFY,
  ScriptError,
  verifyScript,
  witnessProgram,
} from '../../src/script/index.js';
import { coreVectorTableRows, creditingTx, parseScriptRow, type ScriptRow, spendingTx } from './_core.js';

const F = SCRIPT_VERIFY;

function run(row: ScriptRow, flags: number): string {
  // Core's DoTest: CLEANSTACK implies P2SH and WITNESS.
  let f = flags;
  if (f & F.CLEANSTACK) f |= F.P2SH | F.WITNESS;
  const credit = creditingTx(row.scriptPubKey, row.amount);
  const spend = spendingTx(row.scriptSig, row.witness, credit);
  try {
    verifyScript({
      scriptSig: row.scriptSig,
      scriptPubKey: row.scriptPubKey,
      witness: row.witness,
      flags: f,
      tx: spend,
      inputIndex: 0,
      amount: row.amount,
      spentOutputs: credit.outputs,
    });
    return 'OK';
  } catch (e) {
    if (!ScriptError.isInstance(e)) throw e;
    return e.scriptError;
  }
}

/** Category of a row: does it involve segwit (witness data, a witness program, or P2SH-wrapped one)? */
function category(row: ScriptRow): 'segwit' | 'legacy' {
  if (row.hasWitness || row.witness.length > 0) return 'segwit';
  if (witnessProgram(row.scriptPubKey)) return 'segwit';
  // P2SH-wrapped witness program: the last push of the scriptSig is a witness program.
  if (isP2SH(row.scriptPubKey)) {
    const ops = decodeScript(row.scriptSig);
    const last = ops?.[ops.length - 1]?.data;
    if (last && witnessProgram(last)) return 'segwit';
  }
  return 'legacy';
}

describe('Bitcoin Core script_tests.json', () => {
  const rows = vectorJson<unknown[][]>('bitcoin-core/script_tests.json').filter((r) => r.length > 1);
  const parsed = rows.map(parseScriptRow);
  const counts = { segwit: { run: 0, excluded: 0 }, legacy: { run: 0, excluded: 0 } };

  it('every row gives Core’s expected result and error code (segwit and legacy rows alike)', () => {
    const failures: string[] = [];
    for (const row of parsed) {
      const cat = category(row);
      const flags = parseFlags(row.flags);
      if (flags === undefined) {
        counts[cat].excluded++;
        continue;
      }
      counts[cat].run++;
      const got = run(row, flags);
      if (got !== row.expected) failures.push(`${got} != ${row.expected}: ${JSON.stringify(row.raw)}`);
    }
    console.log(`script_tests.json: ${JSON.stringify(counts)}`);
    expect(failures).toEqual([]);
    expect(counts.segwit.excluded).toBe(0);
    expect(counts.segwit.run + counts.legacy.run).toBe(rows.length);
  }, 300_000);

  it('removing flags from a passing row keeps it passing; adding flags to a failing row keeps it failing', () => {
    // Core's DoTest property, with every single flag instead of random subsets (deterministic).
    const failures: string[] = [];
    for (const row of parsed) {
      const flags = parseFlags(row.flags)!;
      const expectOk = row.expected === 'OK';
      for (const bit of Object.values(F)) {
        if (bit === 0) continue;
        let f = expectOk ? flags & ~bit : flags | bit;
        if (f & F.CLEANSTACK && (~f & (F.P2SH | F.WITNESS)) !== 0) continue;
        if (f & F.WITNESS && !(f & F.P2SH)) continue;
        f >>>= 0;
        if ((run(row, f) === 'OK') !== expectOk)
          failures.push(`flags ${f.toString(16)}: ${JSON.stringify(row.raw)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('CORE-VECTORS.md states the run/excluded counts this suite measured', () => {
    const table = coreVectorTableRows(readFileSync(join(__dirname, 'CORE-VECTORS.md'), 'utf8'));
    for (const cat of ['segwit', 'legacy'] as const) {
      expect(table).toContain(`script_tests.json|${cat}|${counts[cat].run}|${counts[cat].excluded}`);
    }
  }, 300_000);
});
