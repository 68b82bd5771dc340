import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../../test-utils/index.js';
import {
  compileScript,
  MANDATORY_FLAGS,
  OP,
  p2trScript,
  pushData,
  SCRIPT_ERROR_REASONS,
  ScriptError,
  STANDARD_FLAGS,
  type TapTree,
  taprootOutput,
  verifyInput,
} from '../../src/script/index.js';
import type { TxOut } from '../../src/tx/index.js';
import {
  check,
  compressed,
  hash160,
  secretKey,
  signTaproot,
  signV0,
  spendTx,
  tweakSecretKey,
  withWitness,
  xonly,
} from './_spend.js';

const VALUE = 100_000n;
const hashTypes = [0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83];

/** A balanced-ish tree from a list of leaves. */
function treeOf(scripts: Uint8Array[]): TapTree {
  if (scripts.length === 1) return { script: scripts[0]! };
  const mid = scripts.length >> 1;
  return [treeOf(scripts.slice(0, mid)), treeOf(scripts.slice(mid))];
}

function scriptPathSpend(opts: {
  leaves: Uint8Array[];
  which: number;
  internal: Uint8Array;
  witnessFor: (tx: ReturnType<typeof spendTx>, spent: TxOut[], leafHash: Uint8Array) => Uint8Array[];
  annex?: Uint8Array;
  tx?: Partial<Parameters<typeof spendTx>[0]>;
}) {
  const out = taprootOutput(opts.internal, treeOf(opts.leaves));
  const leaf = out.leaves[opts.which]!;
  const spent: TxOut[] = [{ value: VALUE, script: out.script }];
  const tx = spendTx(opts.tx ?? {});
  const stack = opts.witnessFor(tx, spent, leaf.leafHash);
  const witness = [...stack, leaf.script, leaf.controlBlock, ...(opts.annex ? [opts.annex] : [])];
  return { tx: withWitness(tx, 0, witness), spent, leaf, out };
}

describe('taproot script path (property)', () => {
  it('spends built with this package’s helpers verify; mutated signatures, control blocks and scripts fail with Core’s codes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        fc.constantFrom(...hashTypes),
        fc.boolean(),
        fc.nat({ max: 200 }),
        (nLeaves, whichRaw, hashType, withAnnex, seed) => {
          const keys = Array.from({ length: nLeaves }, (_, k) => secretKey(seed * 16 + k));
          const leaves = keys.map((k) => compileScript([xonly(k), OP.OP_CHECKSIG]));
          const which = whichRaw % nLeaves;
          const annex = withAnnex ? Uint8Array.of(0x50, seed & 0xff) : undefined;
          const make = (sigMutator = (s: Uint8Array) => s) =>
            scriptPathSpend({
              leaves,
              which,
              internal: xonly(secretKey(seed + 1000)),
              ...(annex ? { annex } : {}),
              witnessFor: (tx, spent, leafHash) => [
                sigMutator(
                  signTaproot(tx, 0, spent, keys[which]!, {
                    hashType,
                    leafHash,
                    ...(annex ? { annex } : {}),
                  }),
                ),
              ],
            });
          const good = make();
          expect(check(good.tx, 0, good.spent, STANDARD_FLAGS)).toBe('OK');
          // A flipped signature bit: an invalid non-empty signature aborts tapscript.
          const bad = make((s) => Uint8Array.from(s, (b, k) => (k === 5 ? b ^ 1 : b)));
          expect(check(bad.tx, 0, bad.spent, MANDATORY_FLAGS)).toBe('SCHNORR_SIG');
          // An explicit SIGHASH_DEFAULT byte is forbidden.
          const explicit0 = make((s) => Uint8Array.of(...s.subarray(0, 64), 0));
          expect(check(explicit0.tx, 0, explicit0.spent, MANDATORY_FLAGS)).toBe('SCHNORR_SIG_HASHTYPE');
          // An empty signature makes CHECKSIG push false.
          const empty = make(() => new Uint8Array(0));
          expect(check(empty.tx, 0, empty.spent, MANDATORY_FLAGS)).toBe('EVAL_FALSE');
          // Tampering with the control block or the leaf script breaks the commitment.
          const w = good.tx.inputs[0]!.witness;
          const cbAt = annex ? w.length - 2 : w.length - 1;
          const flipCb = w.map((x, k) =>
            k === cbAt ? Uint8Array.from(x, (b, j) => (j === 1 ? b ^ 1 : b)) : x,
          );
          expect(check(withWitness(good.tx, 0, flipCb), 0, good.spent, MANDATORY_FLAGS)).toBe(
            'WITNESS_PROGRAM_MISMATCH',
          );
          const shortCb = w.map((x, k) => (k === cbAt ? x.subarray(0, x.length - 1) : x));
          expect(check(withWitness(good.tx, 0, shortCb), 0, good.spent, MANDATORY_FLAGS)).toBe(
            'TAPROOT_WRONG_CONTROL_SIZE',
          );
          const otherScript = w.map((x, k) => (k === cbAt - 1 ? Uint8Array.of(...x, OP.OP_NOP) : x));
          expect(check(withWitness(good.tx, 0, otherScript), 0, good.spent, MANDATORY_FLAGS)).toBe(
            'WITNESS_PROGRAM_MISMATCH',
          );
          // The signature commits to the annex: dropping it invalidates the signature.
          if (annex) {
            expect(check(withWitness(good.tx, 0, w.slice(0, -1)), 0, good.spent, MANDATORY_FLAGS)).toBe(
              'SCHNORR_SIG',
            );
          }
        },
      ),
      { numRuns: propertyRuns(60, 15) },
    );
  });

  it('key-path spends verify for every hash type; another amount or output breaks the signature', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 500 }),
        fc.constantFrom(...hashTypes),
        fc.boolean(),
        (seed, hashType, tree) => {
          const sk = secretKey(seed);
          const leaves = tree ? treeOf([compileScript([OP.OP_1])]) : undefined;
          const out = taprootOutput(xonly(sk), leaves);
          const spent: TxOut[] = [{ value: VALUE, script: out.script }];
          const tx = spendTx({});
          const sig = signTaproot(tx, 0, spent, tweakSecretKey(sk, out.merkleRoot), { hashType });
          const signed = withWitness(tx, 0, [sig]);
          expect(check(signed, 0, spent, STANDARD_FLAGS)).toBe('OK');
          expect(check(signed, 0, [{ value: VALUE + 1n, script: out.script }], MANDATORY_FLAGS)).toBe(
            'SCHNORR_SIG',
          );
          const moreFee = withWitness(spendTx({ outputValue: 80_000n }), 0, [sig]);
          // SIGHASH_NONE does not commit to the outputs.
          expect(check(moreFee, 0, spent, MANDATORY_FLAGS)).toBe((hashType & 3) === 2 ? 'OK' : 'SCHNORR_SIG');
          expect(check(withWitness(tx, 0, [sig.subarray(0, 63)]), 0, spent, MANDATORY_FLAGS)).toBe(
            'SCHNORR_SIG_SIZE',
          );
          expect(check(withWitness(tx, 0, []), 0, spent, MANDATORY_FLAGS)).toBe(
            'WITNESS_PROGRAM_WITNESS_EMPTY',
          );
        },
      ),
      { numRuns: propertyRuns(60, 15) },
    );
  });
});

describe('tapscript rules', () => {
  const sk = secretKey(1);
  const internal = xonly(secretKey(2));
  const one = (
    script: Uint8Array,
    stack: (tx: ReturnType<typeof spendTx>, spent: TxOut[], leaf: Uint8Array) => Uint8Array[],
    tx = {},
  ) => scriptPathSpend({ leaves: [script], which: 0, internal, witnessFor: stack, tx });

  it('CHECKSIGADD 2-of-3 verifies; a wrong non-empty signature fails SCHNORR_SIG (no NULLFAIL escape)', () => {
    const [a, b, c] = [secretKey(10), secretKey(11), secretKey(12)];
    const script = compileScript([
      xonly(a),
      OP.OP_CHECKSIG,
      xonly(b),
      OP.OP_CHECKSIGADD,
      xonly(c),
      OP.OP_CHECKSIGADD,
      OP.OP_2,
      OP.OP_NUMEQUAL,
    ]);
    const ok = one(script, (tx, spent, leafHash) => [
      signTaproot(tx, 0, spent, c, { leafHash }),
      new Uint8Array(0),
      signTaproot(tx, 0, spent, a, { leafHash }),
    ]);
    expect(check(ok.tx, 0, ok.spent, STANDARD_FLAGS)).toBe('OK');
    const bad = one(script, (tx, spent, leafHash) => [
      signTaproot(tx, 0, spent, c, { leafHash }),
      signTaproot(tx, 0, spent, c, { leafHash }),
      signTaproot(tx, 0, spent, a, { leafHash }),
    ]);
    expect(check(bad.tx, 0, bad.spent, MANDATORY_FLAGS)).toBe('SCHNORR_SIG');
    const onlyOne = one(script, (tx, spent, leafHash) => [
      new Uint8Array(0),
      new Uint8Array(0),
      signTaproot(tx, 0, spent, a, { leafHash }),
    ]);
    expect(check(onlyOne.tx, 0, onlyOne.spent, MANDATORY_FLAGS)).toBe('EVAL_FALSE');
  });

  it('the validation-weight budget rejects signature checks the witness does not pay for', () => {
    const leaf = (k: number) =>
      compileScript([
        ...Array.from({ length: k }, () => [OP.OP_DUP, xonly(sk), OP.OP_CHECKSIGVERIFY]).flat(),
        xonly(sk),
        OP.OP_CHECKSIG,
      ]);
    const cheap = one(leaf(3), (tx, spent, leafHash) => [signTaproot(tx, 0, spent, sk, { leafHash })]);
    expect(check(cheap.tx, 0, cheap.spent, MANDATORY_FLAGS)).toBe('OK');
    const costly = one(leaf(20), (tx, spent, leafHash) => [signTaproot(tx, 0, spent, sk, { leafHash })]);
    expect(check(costly.tx, 0, costly.spent, MANDATORY_FLAGS)).toBe('TAPSCRIPT_VALIDATION_WEIGHT');
  });

  it('OP_SUCCESSx succeeds under consensus and is discouraged by policy', () => {
    const s = one(Uint8Array.of(0x50), () => []);
    expect(check(s.tx, 0, s.spent, MANDATORY_FLAGS)).toBe('OK');
    expect(check(s.tx, 0, s.spent, STANDARD_FLAGS)).toBe('DISCOURAGE_OP_SUCCESS');
    // OP_SUCCESS wins even after a push that would otherwise be invalid.
    const t = one(Uint8Array.of(OP.OP_RETURN, 0xbb), () => []);
    expect(check(t.tx, 0, t.spent, MANDATORY_FLAGS)).toBe('OK');
  });

  it('unknown leaf versions and pubkey types pass consensus and are discouraged by policy', () => {
    const out = taprootOutput(internal, { script: Uint8Array.of(OP.OP_0), leafVersion: 0xc2 });
    const spent: TxOut[] = [{ value: VALUE, script: out.script }];
    const tx = withWitness(spendTx({}), 0, [out.leaves[0]!.script, out.leaves[0]!.controlBlock]);
    expect(check(tx, 0, spent, MANDATORY_FLAGS)).toBe('OK');
    expect(check(tx, 0, spent, STANDARD_FLAGS)).toBe('DISCOURAGE_UPGRADABLE_TAPROOT_VERSION');
    const k33 = one(compileScript([new Uint8Array(33).fill(2), OP.OP_CHECKSIG]), () => [Uint8Array.of(1)]);
    expect(check(k33.tx, 0, k33.spent, MANDATORY_FLAGS)).toBe('OK');
    expect(check(k33.tx, 0, k33.spent, STANDARD_FLAGS)).toBe('DISCOURAGE_UPGRADABLE_PUBKEYTYPE');
    const k0 = one(compileScript([new Uint8Array(0), OP.OP_CHECKSIG]), () => [new Uint8Array(0)]);
    expect(check(k0.tx, 0, k0.spent, MANDATORY_FLAGS)).toBe('TAPSCRIPT_EMPTY_PUBKEY');
  });

  it('MINIMALIF is consensus in tapscript; CHECKMULTISIG is unavailable; CLEANSTACK is implicit', () => {
    const ifs = compileScript([OP.OP_IF, OP.OP_1, OP.OP_ELSE, OP.OP_1, OP.OP_ENDIF]);
    expect(check(one(ifs, () => [Uint8Array.of(1)]).tx, 0, one(ifs, () => []).spent, MANDATORY_FLAGS)).toBe(
      'OK',
    );
    const two = one(ifs, () => [Uint8Array.of(2)]);
    expect(check(two.tx, 0, two.spent, MANDATORY_FLAGS)).toBe('TAPSCRIPT_MINIMALIF');
    const ms = one(compileScript([OP.OP_0, OP.OP_0, OP.OP_CHECKMULTISIG]), () => []);
    expect(check(ms.tx, 0, ms.spent, MANDATORY_FLAGS)).toBe('TAPSCRIPT_CHECKMULTISIG');
    const extra = one(compileScript([OP.OP_1]), () => [Uint8Array.of(1)]);
    expect(check(extra.tx, 0, extra.spent, MANDATORY_FLAGS)).toBe('CLEANSTACK');
  });

  it('OP_CODESEPARATOR position is committed to in tapscript signatures', () => {
    const script = compileScript([OP.OP_CODESEPARATOR, xonly(sk), OP.OP_CHECKSIG]);
    const ok = one(script, (tx, spent, leafHash) => [
      signTaproot(tx, 0, spent, sk, { leafHash, codeSeparatorPos: 0 }),
    ]);
    expect(check(ok.tx, 0, ok.spent, STANDARD_FLAGS)).toBe('OK');
    const wrong = one(script, (tx, spent, leafHash) => [signTaproot(tx, 0, spent, sk, { leafHash })]);
    expect(check(wrong.tx, 0, wrong.spent, MANDATORY_FLAGS)).toBe('SCHNORR_SIG');
  });
});

describe('timelocks (BIP65 CLTV, BIP112 CSV) in tapscript', () => {
  const sk = secretKey(3);
  const internal = xonly(secretKey(4));
  const cltv = (t: number) =>
    compileScript([BigInt(t), OP.OP_CHECKLOCKTIMEVERIFY, OP.OP_DROP, xonly(sk), OP.OP_CHECKSIG]);
  const csv = (n: number) =>
    compileScript([BigInt(n), OP.OP_CHECKSEQUENCEVERIFY, OP.OP_DROP, xonly(sk), OP.OP_CHECKSIG]);
  const spend = (script: Uint8Array, tx: Parameters<typeof spendTx>[0]) =>
    scriptPathSpend({
      leaves: [script],
      which: 0,
      internal,
      tx,
      witnessFor: (t, spent, leafHash) => [signTaproot(t, 0, spent, sk, { leafHash })],
    });

  it('CLTV passes at the locktime and fails before it, across the height/time boundary, or with a final sequence', () => {
    expect(
      check(...args(spend(cltv(800_000), { locktime: 800_000, sequence: 0xfffffffe })), STANDARD_FLAGS),
    ).toBe('OK');
    expect(
      check(...args(spend(cltv(800_000), { locktime: 799_999, sequence: 0xfffffffe })), STANDARD_FLAGS),
    ).toBe('UNSATISFIED_LOCKTIME');
    expect(
      check(...args(spend(cltv(800_000), { locktime: 1_700_000_000, sequence: 0xfffffffe })), STANDARD_FLAGS),
    ).toBe('UNSATISFIED_LOCKTIME');
    expect(
      check(...args(spend(cltv(800_000), { locktime: 800_000, sequence: 0xffffffff })), STANDARD_FLAGS),
    ).toBe('UNSATISFIED_LOCKTIME');
    expect(check(...args(spend(cltv(-1), { locktime: 800_000, sequence: 0 })), STANDARD_FLAGS)).toBe(
      'NEGATIVE_LOCKTIME',
    );
  });

  it('CSV passes with enough relative lock and fails with less, the wrong unit, a disabled sequence or version 1', () => {
    expect(check(...args(spend(csv(144), { sequence: 144 })), STANDARD_FLAGS)).toBe('OK');
    expect(check(...args(spend(csv(144), { sequence: 143 })), STANDARD_FLAGS)).toBe('UNSATISFIED_LOCKTIME');
    expect(check(...args(spend(csv(144), { sequence: 0x00400000 | 144 })), STANDARD_FLAGS)).toBe(
      'UNSATISFIED_LOCKTIME',
    );
    expect(check(...args(spend(csv(144), { sequence: (0x80000000 | 144) >>> 0 })), STANDARD_FLAGS)).toBe(
      'UNSATISFIED_LOCKTIME',
    );
    expect(check(...args(spend(csv(144), { sequence: 144, version: 1 })), STANDARD_FLAGS)).toBe(
      'UNSATISFIED_LOCKTIME',
    );
  });

  it('a ScriptError carries Core’s code, reason text and the input index', () => {
    const s = spend(cltv(800_000), { locktime: 1, sequence: 0 });
    let caught: unknown;
    try {
      verifyInput(s.tx, 0, s.spent, STANDARD_FLAGS);
    } catch (e) {
      caught = e;
    }
    expect(ScriptError.isInstance(caught)).toBe(true);
    const e = caught as ScriptError;
    expect([e.scriptError, e.reason, e.inputIndex]).toEqual([
      'UNSATISFIED_LOCKTIME',
      'Locktime requirement not satisfied',
      0,
    ]);
    expect(SCRIPT_ERROR_REASONS.UNSATISFIED_LOCKTIME).toBe('Locktime requirement not satisfied');
  });
});

function args(s: {
  tx: ReturnType<typeof spendTx>;
  spent: TxOut[];
}): [ReturnType<typeof spendTx>, number, TxOut[]] {
  return [s.tx, 0, s.spent];
}

describe('segwit v0 and P2SH-wrapped', () => {
  const sk = secretKey(20);
  const pk = compressed(sk);
  const p2wpkh = compileScript([OP.OP_0, hash160(pk)]);
  const p2pkhCode = compileScript([OP.OP_DUP, OP.OP_HASH160, hash160(pk), OP.OP_EQUALVERIFY, OP.OP_CHECKSIG]);

  it('P2WPKH verifies; high S is policy-only (SIG_HIGH_S); a wrong key is WITNESS_PROGRAM mismatch via EQUALVERIFY', () => {
    const spent: TxOut[] = [{ value: VALUE, script: p2wpkh }];
    const tx = spendTx({});
    const good = withWitness(tx, 0, [signV0(tx, 0, p2pkhCode, VALUE, sk), pk]);
    expect(check(good, 0, spent, STANDARD_FLAGS)).toBe('OK');
    const high = withWitness(tx, 0, [signV0(tx, 0, p2pkhCode, VALUE, sk, { highS: true }), pk]);
    expect(check(high, 0, spent, MANDATORY_FLAGS)).toBe('OK');
    expect(check(high, 0, spent, STANDARD_FLAGS)).toBe('SIG_HIGH_S');
    const other = withWitness(tx, 0, [signV0(tx, 0, p2pkhCode, VALUE, sk), compressed(secretKey(21))]);
    expect(check(other, 0, spent, MANDATORY_FLAGS)).toBe('EQUALVERIFY');
    expect(check(withWitness(tx, 0, [pk]), 0, spent, MANDATORY_FLAGS)).toBe('WITNESS_PROGRAM_MISMATCH');
    // The amount is signed (BIP143).
    expect(check(good, 0, [{ value: VALUE - 1n, script: p2wpkh }], STANDARD_FLAGS)).toBe('NULLFAIL');
    expect(check(good, 0, [{ value: VALUE - 1n, script: p2wpkh }], MANDATORY_FLAGS)).toBe('EVAL_FALSE');
  });

  it('P2SH-P2WPKH verifies; anything but exactly one push of the redeem script is WITNESS_MALLEATED_P2SH', () => {
    const p2sh = compileScript([OP.OP_HASH160, hash160(p2wpkh), OP.OP_EQUAL]);
    const spent: TxOut[] = [{ value: VALUE, script: p2sh }];
    const tx = spendTx({});
    const w = [signV0(tx, 0, p2pkhCode, VALUE, sk), pk];
    expect(check(withWitness(tx, 0, w, pushData(p2wpkh)), 0, spent, STANDARD_FLAGS)).toBe('OK');
    const twoPushes = Uint8Array.of(OP.OP_0, ...pushData(p2wpkh));
    expect(check(withWitness(tx, 0, w, twoPushes), 0, spent, MANDATORY_FLAGS)).toBe('WITNESS_MALLEATED_P2SH');
  });

  it('P2WSH with CLTV verifies and reports UNSATISFIED_LOCKTIME early; an uncompressed key is WITNESS_PUBKEYTYPE', () => {
    const ws = compileScript([500n, OP.OP_CHECKLOCKTIMEVERIFY, OP.OP_DROP, pk, OP.OP_CHECKSIG]);
    const spent: TxOut[] = [{ value: VALUE, script: compileScript([OP.OP_0, sha256(ws)]) }];
    const tx = spendTx({ locktime: 500, sequence: 0xfffffffe });
    expect(check(withWitness(tx, 0, [signV0(tx, 0, ws, VALUE, sk), ws]), 0, spent, STANDARD_FLAGS)).toBe(
      'OK',
    );
    const early = spendTx({ locktime: 499, sequence: 0xfffffffe });
    expect(
      check(withWitness(early, 0, [signV0(early, 0, ws, VALUE, sk), ws]), 0, spent, STANDARD_FLAGS),
    ).toBe('UNSATISFIED_LOCKTIME');
    const upk = secp256k1.getPublicKey(sk, false);
    const ws2 = compileScript([upk, OP.OP_CHECKSIG]);
    const spent2: TxOut[] = [{ value: VALUE, script: compileScript([OP.OP_0, sha256(ws2)]) }];
    const t2 = withWitness(tx, 0, [signV0(tx, 0, ws2, VALUE, sk), ws2]);
    expect(check(t2, 0, spent2, MANDATORY_FLAGS)).toBe('OK');
    expect(check(t2, 0, spent2, STANDARD_FLAGS)).toBe('WITNESS_PUBKEYTYPE');
  });

  it('a P2A anchor is spendable with an empty witness under standard flags', () => {
    const spent: TxOut[] = [{ value: 240n, script: Uint8Array.of(0x51, 0x02, 0x4e, 0x73) }];
    expect(check(spendTx({}), 0, spent, STANDARD_FLAGS)).toBe('OK');
    // Other v1 programs of non-taproot length remain discouraged.
    expect(
      check(spendTx({}), 0, [{ value: 1n, script: Uint8Array.of(0x51, 0x02, 0x4e, 0x74) }], STANDARD_FLAGS),
    ).toBe('DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM');
    expect(p2trScript(new Uint8Array(32)).length).toBe(34);
  });
});
