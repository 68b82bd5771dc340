import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { vectorJson } from '../../../../test-utils/index.js';
import {
  ALL_FLAGS,
  decodeScript,
  isP2SH,
  parseAsm,
  parseFlags,
  SCRIPT_VERIFY,
  ScriptError,
  verifyTx,
  witnessProgram,
} from '../../src/script/index.js';
import {
  checkTransaction,
  decodeTx,
  fromDisplayHex,
  type Tx,
  type TxOut,
  toDisplayHex,
} from '../../src/tx/index.js';
import { coreVectorTableRows } from './_core.js';

const F = SCRIPT_VERIFY;

interface TxRow {
  tx: Tx;
  spent: TxOut[] | undefined;
  flagsText: string;
  raw: unknown[];
}

function parseRow(row: unknown[]): TxRow {
  const prevs = new Map<string, TxOut>();
  for (const p of row[0] as [string, number, string, number?][]) {
    const key = `${toDisplayHex(fromDisplayHex(p[0]))}:${p[1] >>> 0}`;
    prevs.set(key, { value: BigInt(p[3] ?? 0), script: parseAsm(p[2]) });
  }
  const tx = decodeTx(hexToBytes(row[1] as string));
  const spent: TxOut[] = [];
  for (const i of tx.inputs) {
    const s = prevs.get(`${toDisplayHex(i.prevTxid)}:${i.vout}`);
    if (!s) return { tx, spent: undefined, flagsText: row[2] as string, raw: row };
    spent.push(s);
  }
  return { tx, spent, flagsText: row[2] as string, raw: row };
}

/** segwit: any input has a witness, spends a witness program, or a P2SH whose redeem script is one. */
function category(r: TxRow): 'segwit' | 'legacy' {
  for (let k = 0; k < r.tx.inputs.length; k++) {
    const input = r.tx.inputs[k]!;
    if (input.witness.length > 0) return 'segwit';
    const spk = r.spent?.[k]?.script;
    if (!spk) continue;
    if (witnessProgram(spk)) return 'segwit';
    if (isP2SH(spk)) {
      const ops = decodeScript(input.scriptSig);
      const last = ops?.[ops.length - 1]?.data;
      if (last && witnessProgram(last)) return 'segwit';
    }
  }
  return 'legacy';
}

const trim = (f: number): number => {
  let x = f;
  if (!(x & F.P2SH)) x &= ~F.WITNESS;
  if (!(x & F.WITNESS)) x &= ~F.CLEANSTACK;
  return x >>> 0;
};
const fill = (f: number): number => {
  let x = f;
  if (x & F.CLEANSTACK) x |= F.WITNESS;
  if (x & F.WITNESS) x |= F.P2SH;
  return x >>> 0;
};
const singleFlags = Object.values(F).filter((b) => b !== 0);

/** Core's CheckTxScripts: true when every input verifies. */
function scriptsValid(r: TxRow, flags: number): { ok: boolean; code?: string } {
  try {
    verifyTx(r.tx, r.spent!, flags);
    return { ok: true };
  } catch (e) {
    if (!ScriptError.isInstance(e)) throw e;
    return { ok: false, code: e.scriptError };
  }
}

const counts: Record<string, { run: number; excluded: number }> = {};
const bump = (file: string, cat: string, what: 'run' | 'excluded'): void => {
  const key = `${file}|${cat}`;
  counts[key] ??= { run: 0, excluded: 0 };
  counts[key][what]++;
};

describe('Bitcoin Core tx_valid.json / tx_invalid.json', () => {
  it('every tx_valid row verifies with all flags but its excluded ones, minus any flag, and fails with any excluded flag added back', () => {
    const rows = vectorJson<unknown[][]>('bitcoin-core/tx_valid.json').filter((r) => Array.isArray(r[0]));
    const failures: string[] = [];
    for (const raw of rows) {
      const r = parseRow(raw);
      const cat = category(r);
      const excluded = parseFlags(r.flagsText);
      if (excluded === undefined || !r.spent) {
        bump('tx_valid.json', cat, 'excluded');
        continue;
      }
      bump('tx_valid.json', cat, 'run');
      if (checkTransaction(r.tx) !== null) failures.push(`CheckTransaction: ${JSON.stringify(raw)}`);
      const base = (ALL_FLAGS & ~excluded) >>> 0;
      const main = scriptsValid(r, base);
      if (!main.ok) failures.push(`${main.code}: ${JSON.stringify(raw)}`);
      for (const bit of singleFlags) {
        const f = trim(ALL_FLAGS & ~(excluded | bit));
        if (!scriptsValid(r, f).ok) failures.push(`fails without ${bit}: ${JSON.stringify(raw)}`);
      }
      // Maximality: adding back any one excluded flag makes it fail.
      for (const bit of singleFlags) {
        const minusOne = trim(excluded & ~bit);
        if (minusOne === excluded) continue;
        if (scriptsValid(r, (ALL_FLAGS & ~minusOne) >>> 0).ok)
          failures.push(`passes with ${bit} added back: ${JSON.stringify(raw)}`);
      }
    }
    console.log(`tx_valid.json: ${JSON.stringify(counts)}`);
    expect(failures).toEqual([]);
  }, 300_000);

  it('every tx_invalid row fails CheckTransaction (BADTX) or its scripts under its flags, with any flag added, and passes with any one removed', () => {
    const rows = vectorJson<unknown[][]>('bitcoin-core/tx_invalid.json').filter((r) => Array.isArray(r[0]));
    const failures: string[] = [];
    for (const raw of rows) {
      let r: TxRow;
      try {
        r = parseRow(raw);
      } catch (e) {
        // Undecodable transactions are invalid too (Core's deserialisation throws).
        bump('tx_invalid.json', 'legacy', 'run');
        failures.push(`undecodable: ${String(e)} ${JSON.stringify(raw)}`);
        continue;
      }
      const cat = category(r);
      if (checkTransaction(r.tx) !== null) {
        bump('tx_invalid.json', cat, 'run');
        if (r.flagsText !== 'BADTX') failures.push(`unexpected BADTX: ${JSON.stringify(raw)}`);
        continue;
      }
      const flags = parseFlags(r.flagsText);
      if (flags === undefined || !r.spent) {
        bump('tx_invalid.json', cat, 'excluded');
        continue;
      }
      bump('tx_invalid.json', cat, 'run');
      if (scriptsValid(r, flags).ok) failures.push(`passes: ${JSON.stringify(raw)}`);
      for (const bit of singleFlags) {
        if (scriptsValid(r, fill(flags | bit)).ok)
          failures.push(`passes with ${bit} added: ${JSON.stringify(raw)}`);
      }
      for (const bit of singleFlags) {
        const minusOne = trim(flags & ~bit);
        if (minusOne === flags) continue;
        if (!scriptsValid(r, minusOne).ok)
          failures.push(`still fails without ${bit}: ${JSON.stringify(raw)}`);
      }
    }
    console.log(`tx_invalid.json: ${JSON.stringify(counts)}`);
    expect(failures).toEqual([]);
  }, 300_000);

  it('CORE-VECTORS.md states the run/excluded counts this suite measured', () => {
    const table = coreVectorTableRows(readFileSync(join(__dirname, 'CORE-VECTORS.md'), 'utf8'));
    expect(Object.keys(counts).length).toBe(4);
    for (const [k, v] of Object.entries(counts)) expect(table).toContain(`${k}|${v.run}|${v.excluded}`);
  }, 300_000);
});
