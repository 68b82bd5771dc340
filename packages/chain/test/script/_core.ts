// Helpers to run Bitcoin Core's JSON test data (script_tests.json, tx_valid/invalid.json) the way
// Core's own unit tests do (src/test/script_tests.cpp, transaction_tests.cpp).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { parseAsm, pushNumber, taprootOutput } from '../../src/script/index.js';
import { createTx, type Tx, txid } from '../../src/tx/index.js';

/** Core's BuildCreditingTransaction: version 1, one coinbase-like input, one output. */
export function creditingTx(scriptPubKey: Uint8Array, value: bigint): Tx {
  return createTx({
    version: 1,
    locktime: 0,
    inputs: [
      {
        prevTxid: new Uint8Array(32),
        vout: 0xffffffff,
        scriptSig: new Uint8Array([...pushNumber(0), ...pushNumber(0)]),
        sequence: 0xffffffff,
      },
    ],
    outputs: [{ value, script: scriptPubKey }],
  });
}

/** Core's BuildSpendingTransaction: spends output 0 of `credit` to an empty script, same value. */
export function spendingTx(scriptSig: Uint8Array, witness: Uint8Array[], credit: Tx): Tx {
  return createTx({
    version: 1,
    locktime: 0,
    inputs: [{ prevTxid: txid(credit), vout: 0, scriptSig, sequence: 0xffffffff, witness }],
    outputs: [{ value: credit.outputs[0]!.value, script: new Uint8Array() }],
  });
}

/** x-only public key of Core's test key0 (secret key 1), the internal key of generated taproot outputs. */
const KEY0_XONLY = secp256k1.getPublicKey(hexToBytes(`${'00'.repeat(31)}01`), true).subarray(1);

/** BTC amount (JSON number) to sats, as Core's AmountFromValue. */
export function btcToSats(v: number): bigint {
  return BigInt(Math.round(v * 1e8));
}

export interface ScriptRow {
  witness: Uint8Array[];
  amount: bigint;
  scriptSig: Uint8Array;
  scriptPubKey: Uint8Array;
  flags: string;
  expected: string;
  comment: string;
  hasWitness: boolean;
  raw: unknown[];
}

/** Decodes a script_tests.json row, resolving #SCRIPT#, #CONTROLBLOCK# and #TAPROOTOUTPUT#. */
export function parseScriptRow(row: unknown[]): ScriptRow {
  let pos = 0;
  const witness: Uint8Array[] = [];
  let amount = 0n;
  let hasWitness = false;
  let tapscript: Uint8Array | undefined;
  if (Array.isArray(row[0])) {
    hasWitness = true;
    const w = row[0] as (string | number)[];
    for (let i = 0; i < w.length - 1; i++) {
      const el = w[i] as string;
      if (el.startsWith('#SCRIPT#')) {
        tapscript = parseAsm(el.slice('#SCRIPT#'.length));
        witness.push(tapscript);
      } else if (el === '#CONTROLBLOCK#') {
        const out = taprootOutput(KEY0_XONLY, { script: tapscript! });
        witness.push(out.leaves[0]!.controlBlock);
      } else {
        witness.push(hexToBytes(el));
      }
    }
    amount = btcToSats(w[w.length - 1] as number);
    pos++;
  }
  const scriptSig = parseAsm(row[pos++] as string);
  const spkText = row[pos++] as string;
  const scriptPubKey =
    spkText === '0x51 0x20 #TAPROOTOUTPUT#'
      ? taprootOutput(KEY0_XONLY, { script: tapscript! }).script
      : parseAsm(spkText);
  const flags = row[pos++] as string;
  const expected = row[pos++] as string;
  const comment = (row[pos] as string | undefined) ?? '';
  return { witness, amount, scriptSig, scriptPubKey, flags, expected, comment, hasWitness, raw: row };
}

/** The table rows of CORE-VECTORS.md as `file|category|run|excluded` strings (whitespace-insensitive). */
export function coreVectorTableRows(markdown: string): Set<string> {
  const rows = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    rows.add(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim())
        .join('|'),
    );
  }
  return rows;
}
