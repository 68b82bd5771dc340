import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.js';
import {
  compileScript,
  MANDATORY_FLAGS,
  OP,
  pushData,
  ScriptError,
  SighashCache,
  STANDARD_FLAGS,
  taprootOutput,
  verifyInput,
  verifyTx,
} from '../../src/script/index.js';
import { createTx, type TxOut } from '../../src/tx/index.js';
import { compressed, hash160, secretKey, signTaproot, signV0, tweakSecretKey, xonly } from './_spend.js';

const skT = secretKey(30);
const skW = secretKey(31);
const tr = taprootOutput(xonly(skT));
const wpkh = compileScript([OP.OP_0, hash160(compressed(skW))]);
const msScript = compileScript([
  OP.OP_1,
  compressed(skW),
  compressed(secretKey(32)),
  OP.OP_2,
  OP.OP_CHECKMULTISIG,
]);
const p2wsh = compileScript([OP.OP_0, sha256(msScript)]);
const p2shP2wsh = compileScript([OP.OP_HASH160, hash160(p2wsh), OP.OP_EQUAL]);
const spent: TxOut[] = [
  { value: 50_000n, script: tr.script },
  { value: 60_000n, script: wpkh },
  { value: 70_000n, script: p2shP2wsh },
];
const unsigned = createTx({
  version: 2,
  locktime: 0,
  inputs: [0, 1, 2].map((k) => ({ prevTxid: new Uint8Array(32).fill(9), vout: k, sequence: 0xfffffffd })),
  outputs: [{ value: 170_000n, script: tr.script }],
});

function signAll() {
  const p2pkh = compileScript([
    OP.OP_DUP,
    OP.OP_HASH160,
    hash160(compressed(skW)),
    OP.OP_EQUALVERIFY,
    OP.OP_CHECKSIG,
  ]);
  const witnesses = [
    [signTaproot(unsigned, 0, spent, tweakSecretKey(skT))],
    [signV0(unsigned, 1, p2pkh, 60_000n, skW), compressed(skW)],
    [new Uint8Array(0), signV0(unsigned, 2, msScript, 70_000n, skW), msScript],
  ];
  return createTx({
    ...unsigned,
    inputs: unsigned.inputs.map((i, k) => ({
      ...i,
      witness: witnesses[k]!,
      scriptSig: k === 2 ? pushData(p2wsh) : new Uint8Array(0),
    })),
  });
}

describe('verifyTx / verifyInput', () => {
  it('verifies a transaction mixing P2TR key path, P2WPKH and P2SH-P2WSH multisig with one shared cache', () => {
    const tx = signAll();
    expect(() => verifyTx(tx, spent, STANDARD_FLAGS)).not.toThrow();
    for (let i = 0; i < 3; i++) expect(() => verifyInput(tx, i, spent, STANDARD_FLAGS)).not.toThrow();
  });

  it('names the failing input: a wrong amount for input 2 fails there with NULLFAIL (policy) / EVAL_FALSE (consensus)', () => {
    const tx = signAll();
    const wrong = spent.map((s, k) => (k === 2 ? { ...s, value: 1n } : s));
    const failing = (flags: number) => {
      try {
        verifyInput(tx, 2, wrong, flags);
      } catch (e) {
        return e as ScriptError;
      }
      throw new Error('expected a failure');
    };
    expect([failing(STANDARD_FLAGS).scriptError, failing(STANDARD_FLAGS).inputIndex]).toEqual([
      'NULLFAIL',
      2,
    ]);
    expect(failing(MANDATORY_FLAGS).scriptError).toBe('EVAL_FALSE');
    let first: unknown;
    try {
      verifyTx(tx, wrong, STANDARD_FLAGS);
    } catch (e) {
      first = e;
    }
    // Input 0 (taproot) commits to all amounts, so it is the first to fail.
    expect(ScriptError.isInstance(first) && [first.scriptError, first.inputIndex]).toEqual([
      'SCHNORR_SIG',
      0,
    ]);
  });

  it('rejects malformed arguments with InvalidArgumentError naming them', () => {
    const tx = signAll();
    expect(() => verifyInput(tx, 0, spent.slice(0, 2), STANDARD_FLAGS)).toThrow(/spentOutputs/);
    expect(() => verifyInput(tx, 3, spent, STANDARD_FLAGS)).toThrow(/inputIndex/);
    expect(() => verifyInput(tx, 0, spent, -1)).toThrow(/flags/);
    expect(() => verifyInput(tx, 0, spent, STANDARD_FLAGS, new SighashCache(unsigned, spent))).toThrow(
      /cache/,
    );
    try {
      verifyTx(tx, [], STANDARD_FLAGS);
    } catch (e) {
      expect(InvalidArgumentError.isInstance(e)).toBe(true);
    }
    expect.assertions(5);
  });
});
