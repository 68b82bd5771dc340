/**
 * The script interpreter: Bitcoin Core's `EvalScript`, `VerifyScript`, `VerifyWitnessProgram` and
 * `ExecuteWitnessScript` (script/interpreter.cpp) for legacy scripts, P2SH, witness v0 (P2WPKH,
 * P2WSH, both P2SH-wrapped), taproot key path and BIP342 tapscript, and P2A, under Core's flags.
 * Each rule follows Core's order of checks, so the first failure reported is the one Core reports.
 */

import { schnorr } from '@noble/curves/secp256k1.js';
import { ripemd160, sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { InvalidArgumentError } from '../errors.js';
import { compactSizeLength, concatBytes, equalBytes } from '../tx/_bytes.js';
import type { Tx, TxOut } from '../tx/transaction.js';
import { sigCacheAdd, sigCacheHas, sigCacheKey } from './_sigCache.js';
import { SCRIPT_VERIFY as F } from './flags.js';
import { isOpSuccess, OP } from './opcodes.js';
import {
  checkMinimalPush,
  findAndDelete,
  isP2SH,
  isPayToAnchor,
  isPushOnly,
  OpReader,
  pushData,
  witnessProgram,
} from './script.js';
import { fail, ScriptFailure } from './scriptError.js';
import { castToBool, clampInt32, decodeScriptNum, encodeScriptNum } from './scriptNum.js';
import { legacySighash, type SighashCache, segwitV0Sighash, taprootSighash } from './sighash.js';
import { checkPubKeyEncoding, checkSignatureEncoding, SIGHASH, verifyEcdsa } from './signatureEncoding.js';
import {
  ANNEX_TAG,
  TAPROOT_CONTROL_BASE_SIZE,
  TAPROOT_CONTROL_MAX_SIZE,
  TAPROOT_CONTROL_NODE_SIZE,
  TAPROOT_LEAF_MASK,
  TAPROOT_LEAF_TAPSCRIPT,
  tapLeafHash,
  verifyTaprootCommitment,
} from './taproot.js';

/** Which rules a script runs under (Core's SigVersion). */
export const SigVersion = { BASE: 0, WITNESS_V0: 1, TAPROOT: 2, TAPSCRIPT: 3 } as const;
/** One of {@link SigVersion}'s values. */
export type SigVersion = (typeof SigVersion)[keyof typeof SigVersion];

const MAX_SCRIPT_ELEMENT_SIZE = 520;
const MAX_OPS_PER_SCRIPT = 201;
const MAX_PUBKEYS_PER_MULTISIG = 20;
const MAX_SCRIPT_SIZE = 10_000;
const MAX_STACK_SIZE = 1000;
const LOCKTIME_THRESHOLD = 500_000_000;
const SEQUENCE_FINAL = 0xffffffff;
const SEQUENCE_LOCKTIME_DISABLE_FLAG = 0x80000000;
const SEQUENCE_LOCKTIME_TYPE_FLAG = 0x00400000;
const SEQUENCE_LOCKTIME_MASK = 0x0000ffff;
const VALIDATION_WEIGHT_PER_SIGOP_PASSED = 50;
const VALIDATION_WEIGHT_OFFSET = 50;

const FALSE = new Uint8Array(0);
const TRUE = Uint8Array.of(1);

/** The transaction context signatures and timelocks are checked against (Core's signature checker). */
export interface SignatureContext {
  readonly tx: Tx;
  readonly inputIndex: number;
  /** Value of the output this input spends. */
  readonly amount: bigint;
  /** Every spent output (BIP341 needs them all); `undefined` makes taproot signature checks fail. */
  readonly spentOutputs: readonly TxOut[] | undefined;
  readonly cache: SighashCache;
}

/** Per-execution state of a witness script (Core's ScriptExecutionData). */
export interface ExecData {
  annex: Uint8Array | undefined;
  leafHash: Uint8Array | undefined;
  codeSeparatorPos: number;
  weightLeft: number;
}

function newExecData(): ExecData {
  return { annex: undefined, leafHash: undefined, codeSeparatorPos: 0xffffffff, weightLeft: 0 };
}

// ---- signature checker ----

function checkEcdsaSignature(
  ctx: SignatureContext,
  sigIn: Uint8Array,
  pubkey: Uint8Array,
  scriptCode: Uint8Array,
  sigversion: SigVersion,
): boolean {
  if (sigIn.length === 0) return false;
  const hashType = sigIn[sigIn.length - 1]!;
  const sig = sigIn.subarray(0, sigIn.length - 1);
  const hash =
    sigversion === SigVersion.WITNESS_V0
      ? segwitV0Sighash(ctx.tx, ctx.inputIndex, scriptCode, ctx.amount, hashType, ctx.cache)
      : legacySighash(ctx.tx, ctx.inputIndex, scriptCode, hashType);
  return verifyEcdsa(sig, pubkey, hash);
}

/** Core's CheckSchnorrSignature: fails with the Schnorr error codes (never returns false). */
function checkSchnorrSignature(
  ctx: SignatureContext,
  sigIn: Uint8Array,
  pubkey: Uint8Array,
  sigversion: SigVersion,
  exec: ExecData,
): void {
  if (sigIn.length !== 64 && sigIn.length !== 65) fail('SCHNORR_SIG_SIZE');
  let hashType: number = SIGHASH.DEFAULT;
  let sig = sigIn;
  if (sigIn.length === 65) {
    hashType = sigIn[64]!;
    sig = sigIn.subarray(0, 64);
    if (hashType === SIGHASH.DEFAULT) fail('SCHNORR_SIG_HASHTYPE');
  }
  if (!ctx.spentOutputs) fail('SCHNORR_SIG_HASHTYPE');
  const hash = taprootSighash(ctx.tx, ctx.inputIndex, ctx.spentOutputs, hashType, {
    cache: ctx.cache,
    ...(exec.annex ? { annex: exec.annex } : {}),
    ...(sigversion === SigVersion.TAPSCRIPT
      ? { leafHash: exec.leafHash!, codeSeparatorPos: exec.codeSeparatorPos }
      : {}),
  });
  if (!hash) fail('SCHNORR_SIG_HASHTYPE');
  const k = sigCacheKey('s', hash, pubkey, sig);
  if (sigCacheHas(k)) return;
  let ok = false;
  try {
    ok = schnorr.verify(sig, hash, pubkey);
  } catch {
    ok = false;
  }
  if (!ok) fail('SCHNORR_SIG');
  sigCacheAdd(k);
}

function checkLockTime(ctx: SignatureContext, lockTime: number): boolean {
  const txLock = ctx.tx.locktime;
  if (
    !(
      (txLock < LOCKTIME_THRESHOLD && lockTime < LOCKTIME_THRESHOLD) ||
      (txLock >= LOCKTIME_THRESHOLD && lockTime >= LOCKTIME_THRESHOLD)
    )
  )
    return false;
  if (lockTime > txLock) return false;
  // CLTV is bypassable via a final nSequence (IsFinalTx would ignore nLockTime): forbid it.
  if (ctx.tx.inputs[ctx.inputIndex]!.sequence === SEQUENCE_FINAL) return false;
  return true;
}

function checkSequence(ctx: SignatureContext, sequence: number): boolean {
  const txSeq = ctx.tx.inputs[ctx.inputIndex]!.sequence;
  // Core ≥ 28 compares the version as uint32.
  if (ctx.tx.version < 2) return false;
  if (txSeq & SEQUENCE_LOCKTIME_DISABLE_FLAG) return false;
  const mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK;
  const txMasked = txSeq & mask;
  const masked = (sequence % 2 ** 32) & mask; // operand is non-negative and < 2^39 here
  if (
    !(
      (txMasked < SEQUENCE_LOCKTIME_TYPE_FLAG && masked < SEQUENCE_LOCKTIME_TYPE_FLAG) ||
      (txMasked >= SEQUENCE_LOCKTIME_TYPE_FLAG && masked >= SEQUENCE_LOCKTIME_TYPE_FLAG)
    )
  )
    return false;
  return masked <= txMasked;
}

// ---- EvalScript ----

function evalChecksigPreTapscript(
  sig: Uint8Array,
  pubkey: Uint8Array,
  script: Uint8Array,
  codeHashStart: number,
  flags: number,
  ctx: SignatureContext,
  sigversion: SigVersion,
): boolean {
  let scriptCode = script.subarray(codeHashStart);
  if (sigversion === SigVersion.BASE) {
    const r = findAndDelete(scriptCode, pushData(sig));
    if (r.found > 0 && flags & F.CONST_SCRIPTCODE) fail('SIG_FINDANDDELETE');
    scriptCode = r.script;
  }
  checkSignatureEncoding(sig, flags);
  checkPubKeyEncoding(pubkey, flags, sigversion === SigVersion.WITNESS_V0);
  const ok = checkEcdsaSignature(ctx, sig, pubkey, scriptCode, sigversion);
  if (!ok && flags & F.NULLFAIL && sig.length > 0) fail('NULLFAIL');
  return ok;
}

function evalChecksigTapscript(
  sig: Uint8Array,
  pubkey: Uint8Array,
  flags: number,
  ctx: SignatureContext,
  exec: ExecData,
): boolean {
  const success = sig.length > 0;
  if (success) {
    exec.weightLeft -= VALIDATION_WEIGHT_PER_SIGOP_PASSED;
    if (exec.weightLeft < 0) fail('TAPSCRIPT_VALIDATION_WEIGHT');
  }
  if (pubkey.length === 0) fail('TAPSCRIPT_EMPTY_PUBKEY');
  if (pubkey.length === 32) {
    if (success) checkSchnorrSignature(ctx, sig, pubkey, SigVersion.TAPSCRIPT, exec);
  } else if (flags & F.DISCOURAGE_UPGRADABLE_PUBKEYTYPE) {
    fail('DISCOURAGE_UPGRADABLE_PUBKEYTYPE');
  }
  return success;
}

const DISABLED = new Set<number>([
  OP.OP_CAT,
  OP.OP_SUBSTR,
  OP.OP_LEFT,
  OP.OP_RIGHT,
  OP.OP_INVERT,
  OP.OP_AND,
  OP.OP_OR,
  OP.OP_XOR,
  OP.OP_2MUL,
  OP.OP_2DIV,
  OP.OP_MUL,
  OP.OP_DIV,
  OP.OP_MOD,
  OP.OP_LSHIFT,
  OP.OP_RSHIFT,
]);

/**
 * Runs one script on `stack` (mutated in place). Throws the internal failure with Core's error code.
 * Exported for tests and tooling; most callers want {@link verifyScript}.
 */
export function evalScript(
  stack: Uint8Array[],
  script: Uint8Array,
  flags: number,
  ctx: SignatureContext,
  sigversion: SigVersion,
  exec: ExecData = newExecData(),
): void {
  const legacyish = sigversion === SigVersion.BASE || sigversion === SigVersion.WITNESS_V0;
  if (legacyish && script.length > MAX_SCRIPT_SIZE) fail('SCRIPT_SIZE');
  const r = new OpReader(script);
  let codeHashStart = 0;
  const vfExec: boolean[] = [];
  let falseCount = 0; // number of false entries in vfExec
  const alt: Uint8Array[] = [];
  let opCount = 0;
  const requireMinimal = (flags & F.MINIMALDATA) !== 0;
  exec.codeSeparatorPos = 0xffffffff;
  let opcodePos = 0;

  const top = (i: number): Uint8Array => stack[stack.length + i]!;
  const need = (n: number): void => {
    if (stack.length < n) fail('INVALID_STACK_OPERATION');
  };
  const num = (v: Uint8Array, maxSize = 4): number => decodeScriptNum(v, requireMinimal, maxSize);

  for (; r.pos < script.length; opcodePos++) {
    const fExec = falseCount === 0;
    if (!r.next()) fail('BAD_OPCODE');
    const opcode = r.opcode;
    const data = r.data;
    if (data && data.length > MAX_SCRIPT_ELEMENT_SIZE) fail('PUSH_SIZE');
    if (legacyish && opcode > OP.OP_16 && ++opCount > MAX_OPS_PER_SCRIPT) fail('OP_COUNT');
    if (DISABLED.has(opcode)) fail('DISABLED_OPCODE');
    if (opcode === OP.OP_CODESEPARATOR && sigversion === SigVersion.BASE && flags & F.CONST_SCRIPTCODE)
      fail('OP_CODESEPARATOR');

    if (fExec && opcode <= OP.OP_PUSHDATA4) {
      if (requireMinimal && !checkMinimalPush(data!, opcode)) fail('MINIMALDATA');
      stack.push(Uint8Array.from(data!));
    } else if (fExec || (opcode >= OP.OP_IF && opcode <= OP.OP_ENDIF)) {
      switch (opcode) {
        case OP.OP_1NEGATE:
        case OP.OP_1:
        case OP.OP_2:
        case OP.OP_3:
        case OP.OP_4:
        case OP.OP_5:
        case OP.OP_6:
        case OP.OP_7:
        case OP.OP_8:
        case OP.OP_9:
        case OP.OP_10:
        case OP.OP_11:
        case OP.OP_12:
        case OP.OP_13:
        case OP.OP_14:
        case OP.OP_15:
        case OP.OP_16:
          stack.push(encodeScriptNum(opcode - (OP.OP_1 - 1)));
          break;
        case OP.OP_NOP:
          break;
        case OP.OP_CHECKLOCKTIMEVERIFY: {
          if (!(flags & F.CHECKLOCKTIMEVERIFY)) break; // NOP2
          need(1);
          // 5-byte operands: nLockTime is uint32, beyond CScriptNum's default 4 bytes.
          const lockTime = num(top(-1), 5);
          if (lockTime < 0) fail('NEGATIVE_LOCKTIME');
          if (!checkLockTime(ctx, lockTime)) fail('UNSATISFIED_LOCKTIME');
          break;
        }
        case OP.OP_CHECKSEQUENCEVERIFY: {
          if (!(flags & F.CHECKSEQUENCEVERIFY)) break; // NOP3
          need(1);
          const seq = num(top(-1), 5);
          if (seq < 0) fail('NEGATIVE_LOCKTIME');
          // The disable flag makes CSV a NOP, for future soft forks.
          if (Math.floor(seq / 2 ** 31) % 2 === 1) break;
          if (!checkSequence(ctx, seq)) fail('UNSATISFIED_LOCKTIME');
          break;
        }
        case OP.OP_NOP1:
        case OP.OP_NOP4:
        case OP.OP_NOP5:
        case OP.OP_NOP6:
        case OP.OP_NOP7:
        case OP.OP_NOP8:
        case OP.OP_NOP9:
        case OP.OP_NOP10:
          if (flags & F.DISCOURAGE_UPGRADABLE_NOPS) fail('DISCOURAGE_UPGRADABLE_NOPS');
          break;
        case OP.OP_IF:
        case OP.OP_NOTIF: {
          let value = false;
          if (fExec) {
            if (stack.length < 1) fail('INVALID_STACK_OPERATION');
            const v = top(-1);
            if (sigversion === SigVersion.TAPSCRIPT && (v.length > 1 || (v.length === 1 && v[0] !== 1)))
              fail('TAPSCRIPT_MINIMALIF');
            if (sigversion === SigVersion.WITNESS_V0 && flags & F.MINIMALIF) {
              if (v.length > 1) fail('MINIMALIF');
              if (v.length === 1 && v[0] !== 1) fail('MINIMALIF');
            }
            value = castToBool(v);
            if (opcode === OP.OP_NOTIF) value = !value;
            stack.pop();
          }
          vfExec.push(value);
          if (!value) falseCount++;
          break;
        }
        case OP.OP_ELSE: {
          if (vfExec.length === 0) fail('UNBALANCED_CONDITIONAL');
          const last = vfExec.length - 1;
          if (vfExec[last]) falseCount++;
          else falseCount--;
          vfExec[last] = !vfExec[last];
          break;
        }
        case OP.OP_ENDIF:
          if (vfExec.length === 0) fail('UNBALANCED_CONDITIONAL');
          if (!vfExec.pop()) falseCount--;
          break;
        case OP.OP_VERIFY:
          need(1);
          if (!castToBool(top(-1))) fail('VERIFY');
          stack.pop();
          break;
        case OP.OP_RETURN:
          fail('OP_RETURN');
          break;
        case OP.OP_TOALTSTACK:
          need(1);
          alt.push(stack.pop()!);
          break;
        case OP.OP_FROMALTSTACK:
          if (alt.length < 1) fail('INVALID_ALTSTACK_OPERATION');
          stack.push(alt.pop()!);
          break;
        case OP.OP_2DROP:
          need(2);
          stack.length -= 2;
          break;
        case OP.OP_2DUP: {
          need(2);
          const a = top(-2);
          const b = top(-1);
          stack.push(a, b);
          break;
        }
        case OP.OP_3DUP: {
          need(3);
          const a = top(-3);
          const b = top(-2);
          const c = top(-1);
          stack.push(a, b, c);
          break;
        }
        case OP.OP_2OVER: {
          need(4);
          const a = top(-4);
          const b = top(-3);
          stack.push(a, b);
          break;
        }
        case OP.OP_2ROT: {
          need(6);
          const moved = stack.splice(stack.length - 6, 2);
          stack.push(...moved);
          break;
        }
        case OP.OP_2SWAP: {
          need(4);
          const moved = stack.splice(stack.length - 4, 2);
          stack.push(...moved);
          break;
        }
        case OP.OP_IFDUP:
          need(1);
          if (castToBool(top(-1))) stack.push(top(-1));
          break;
        case OP.OP_DEPTH:
          stack.push(encodeScriptNum(stack.length));
          break;
        case OP.OP_DROP:
          need(1);
          stack.pop();
          break;
        case OP.OP_DUP:
          need(1);
          stack.push(top(-1));
          break;
        case OP.OP_NIP:
          need(2);
          stack.splice(stack.length - 2, 1);
          break;
        case OP.OP_OVER:
          need(2);
          stack.push(top(-2));
          break;
        case OP.OP_PICK:
        case OP.OP_ROLL: {
          need(2);
          const n = clampInt32(num(top(-1)));
          stack.pop();
          if (n < 0 || n >= stack.length) fail('INVALID_STACK_OPERATION');
          const v = top(-n - 1);
          if (opcode === OP.OP_ROLL) stack.splice(stack.length - n - 1, 1);
          stack.push(v);
          break;
        }
        case OP.OP_ROT: {
          need(3);
          const [x1] = stack.splice(stack.length - 3, 1);
          stack.push(x1!);
          break;
        }
        case OP.OP_SWAP: {
          need(2);
          const a = stack.pop()!;
          const b = stack.pop()!;
          stack.push(a, b);
          break;
        }
        case OP.OP_TUCK: {
          need(2);
          stack.splice(stack.length - 2, 0, top(-1));
          break;
        }
        case OP.OP_SIZE:
          need(1);
          stack.push(encodeScriptNum(top(-1).length));
          break;
        case OP.OP_EQUAL:
        case OP.OP_EQUALVERIFY: {
          need(2);
          const eq = equalBytes(top(-2), top(-1));
          stack.length -= 2;
          stack.push(eq ? TRUE : FALSE);
          if (opcode === OP.OP_EQUALVERIFY) {
            if (!eq) fail('EQUALVERIFY');
            stack.pop();
          }
          break;
        }
        case OP.OP_1ADD:
        case OP.OP_1SUB:
        case OP.OP_NEGATE:
        case OP.OP_ABS:
        case OP.OP_NOT:
        case OP.OP_0NOTEQUAL: {
          need(1);
          let bn = num(top(-1));
          if (opcode === OP.OP_1ADD) bn += 1;
          else if (opcode === OP.OP_1SUB) bn -= 1;
          else if (opcode === OP.OP_NEGATE) bn = -bn;
          else if (opcode === OP.OP_ABS) bn = Math.abs(bn);
          else if (opcode === OP.OP_NOT) bn = bn === 0 ? 1 : 0;
          else bn = bn !== 0 ? 1 : 0;
          stack.pop();
          stack.push(encodeScriptNum(bn));
          break;
        }
        case OP.OP_ADD:
        case OP.OP_SUB:
        case OP.OP_BOOLAND:
        case OP.OP_BOOLOR:
        case OP.OP_NUMEQUAL:
        case OP.OP_NUMEQUALVERIFY:
        case OP.OP_NUMNOTEQUAL:
        case OP.OP_LESSTHAN:
        case OP.OP_GREATERTHAN:
        case OP.OP_LESSTHANOREQUAL:
        case OP.OP_GREATERTHANOREQUAL:
        case OP.OP_MIN:
        case OP.OP_MAX: {
          need(2);
          const a = num(top(-2));
          const b = num(top(-1));
          let bn: number;
          switch (opcode) {
            case OP.OP_ADD:
              bn = a + b;
              break;
            case OP.OP_SUB:
              bn = a - b;
              break;
            case OP.OP_BOOLAND:
              bn = a !== 0 && b !== 0 ? 1 : 0;
              break;
            case OP.OP_BOOLOR:
              bn = a !== 0 || b !== 0 ? 1 : 0;
              break;
            case OP.OP_NUMEQUAL:
            case OP.OP_NUMEQUALVERIFY:
              bn = a === b ? 1 : 0;
              break;
            case OP.OP_NUMNOTEQUAL:
              bn = a !== b ? 1 : 0;
              break;
            case OP.OP_LESSTHAN:
              bn = a < b ? 1 : 0;
              break;
            case OP.OP_GREATERTHAN:
              bn = a > b ? 1 : 0;
              break;
            case OP.OP_LESSTHANOREQUAL:
              bn = a <= b ? 1 : 0;
              break;
            case OP.OP_GREATERTHANOREQUAL:
              bn = a >= b ? 1 : 0;
              break;
            case OP.OP_MIN:
              bn = Math.min(a, b);
              break;
            default:
              bn = Math.max(a, b);
          }
          stack.length -= 2;
          stack.push(encodeScriptNum(bn));
          if (opcode === OP.OP_NUMEQUALVERIFY) {
            if (!castToBool(top(-1))) fail('NUMEQUALVERIFY');
            stack.pop();
          }
          break;
        }
        case OP.OP_WITHIN: {
          need(3);
          const x = num(top(-3));
          const lo = num(top(-2));
          const hi = num(top(-1));
          stack.length -= 3;
          stack.push(lo <= x && x < hi ? TRUE : FALSE);
          break;
        }
        case OP.OP_RIPEMD160:
        case OP.OP_SHA1:
        case OP.OP_SHA256:
        case OP.OP_HASH160:
        case OP.OP_HASH256: {
          need(1);
          const v = stack.pop()!;
          let h: Uint8Array;
          if (opcode === OP.OP_RIPEMD160) h = ripemd160(v);
          else if (opcode === OP.OP_SHA1) h = sha1(v);
          else if (opcode === OP.OP_SHA256) h = sha256(v);
          else if (opcode === OP.OP_HASH160) h = ripemd160(sha256(v));
          else h = sha256(sha256(v));
          stack.push(h);
          break;
        }
        case OP.OP_CODESEPARATOR:
          codeHashStart = r.pos;
          exec.codeSeparatorPos = opcodePos;
          break;
        case OP.OP_CHECKSIG:
        case OP.OP_CHECKSIGVERIFY: {
          need(2);
          const sig = top(-2);
          const pubkey = top(-1);
          const ok =
            sigversion === SigVersion.TAPSCRIPT
              ? evalChecksigTapscript(sig, pubkey, flags, ctx, exec)
              : evalChecksigPreTapscript(sig, pubkey, script, codeHashStart, flags, ctx, sigversion);
          stack.length -= 2;
          stack.push(ok ? TRUE : FALSE);
          if (opcode === OP.OP_CHECKSIGVERIFY) {
            if (!ok) fail('CHECKSIGVERIFY');
            stack.pop();
          }
          break;
        }
        case OP.OP_CHECKSIGADD: {
          if (legacyish) fail('BAD_OPCODE');
          need(3);
          const sig = top(-3);
          const n = num(top(-2));
          const pubkey = top(-1);
          const ok = evalChecksigTapscript(sig, pubkey, flags, ctx, exec);
          stack.length -= 3;
          stack.push(encodeScriptNum(n + (ok ? 1 : 0)));
          break;
        }
        case OP.OP_CHECKMULTISIG:
        case OP.OP_CHECKMULTISIGVERIFY: {
          if (sigversion === SigVersion.TAPSCRIPT) fail('TAPSCRIPT_CHECKMULTISIG');
          let i = 1;
          if (stack.length < i) fail('INVALID_STACK_OPERATION');
          let nKeys = clampInt32(num(top(-i)));
          if (nKeys < 0 || nKeys > MAX_PUBKEYS_PER_MULTISIG) fail('PUBKEY_COUNT');
          opCount += nKeys;
          if (opCount > MAX_OPS_PER_SCRIPT) fail('OP_COUNT');
          let ikey = ++i;
          // ikey2: position of the last non-signature item (top = 1), for NULLFAIL clean-up.
          let ikey2 = nKeys + 2;
          i += nKeys;
          if (stack.length < i) fail('INVALID_STACK_OPERATION');
          let nSigs = clampInt32(num(top(-i)));
          if (nSigs < 0 || nSigs > nKeys) fail('SIG_COUNT');
          let isig = ++i;
          i += nSigs;
          if (stack.length < i) fail('INVALID_STACK_OPERATION');
          let scriptCode = script.subarray(codeHashStart);
          for (let k = 0; k < nSigs; k++) {
            if (sigversion === SigVersion.BASE) {
              const res = findAndDelete(scriptCode, pushData(top(-isig - k)));
              if (res.found > 0 && flags & F.CONST_SCRIPTCODE) fail('SIG_FINDANDDELETE');
              scriptCode = res.script;
            }
          }
          let success = true;
          while (success && nSigs > 0) {
            const sig = top(-isig);
            const key = top(-ikey);
            // The order of these checks is observable (CHECKMULTISIG NOT with STRICTENC).
            checkSignatureEncoding(sig, flags);
            checkPubKeyEncoding(key, flags, sigversion === SigVersion.WITNESS_V0);
            if (checkEcdsaSignature(ctx, sig, key, scriptCode, sigversion)) {
              isig++;
              nSigs--;
            }
            ikey++;
            nKeys--;
            // More signatures left than keys: too many failed; stop early.
            if (nSigs > nKeys) success = false;
          }
          while (i-- > 1) {
            if (!success && flags & F.NULLFAIL && ikey2 === 0 && top(-1).length > 0) fail('NULLFAIL');
            if (ikey2 > 0) ikey2--;
            stack.pop();
          }
          // The historical extra argument ("dummy"); NULLDUMMY requires it empty.
          if (stack.length < 1) fail('INVALID_STACK_OPERATION');
          if (flags & F.NULLDUMMY && top(-1).length > 0) fail('SIG_NULLDUMMY');
          stack.pop();
          stack.push(success ? TRUE : FALSE);
          if (opcode === OP.OP_CHECKMULTISIGVERIFY) {
            if (!success) fail('CHECKMULTISIGVERIFY');
            stack.pop();
          }
          break;
        }
        default:
          fail('BAD_OPCODE');
      }
    }
    if (stack.length + alt.length > MAX_STACK_SIZE) fail('STACK_SIZE');
  }
  if (vfExec.length !== 0) fail('UNBALANCED_CONDITIONAL');
}

// ---- witness programs ----

function witnessSerializedSize(witness: readonly Uint8Array[]): number {
  let n = compactSizeLength(witness.length);
  for (const w of witness) n += compactSizeLength(w.length) + w.length;
  return n;
}

function executeWitnessScript(
  stackIn: readonly Uint8Array[],
  script: Uint8Array,
  flags: number,
  sigversion: SigVersion,
  ctx: SignatureContext,
  exec: ExecData,
): void {
  const stack = stackIn.slice();
  if (sigversion === SigVersion.TAPSCRIPT) {
    // OP_SUCCESSx overrides everything, including stack element size limits.
    const r = new OpReader(script);
    while (r.pos < script.length) {
      if (!r.next()) fail('BAD_OPCODE');
      if (isOpSuccess(r.opcode)) {
        if (flags & F.DISCOURAGE_OP_SUCCESS) fail('DISCOURAGE_OP_SUCCESS');
        return;
      }
    }
    if (stack.length > MAX_STACK_SIZE) fail('STACK_SIZE');
  }
  for (const elem of stack) if (elem.length > MAX_SCRIPT_ELEMENT_SIZE) fail('PUSH_SIZE');
  evalScript(stack, script, flags, ctx, sigversion, exec);
  // Scripts inside witness implicitly require cleanstack behaviour.
  if (stack.length !== 1) fail('CLEANSTACK');
  if (!castToBool(stack[0]!)) fail('EVAL_FALSE');
}

function verifyWitnessProgram(
  witness: readonly Uint8Array[],
  version: number,
  program: Uint8Array,
  flags: number,
  ctx: SignatureContext,
  isP2sh: boolean,
): void {
  const exec = newExecData();
  let stack = witness;
  if (version === 0) {
    if (program.length === 32) {
      // P2WSH: the last item is the script, committed to by SHA256.
      if (stack.length === 0) fail('WITNESS_PROGRAM_WITNESS_EMPTY');
      const script = stack[stack.length - 1]!;
      stack = stack.slice(0, -1);
      if (!equalBytes(sha256(script), program)) fail('WITNESS_PROGRAM_MISMATCH');
      executeWitnessScript(stack, script, flags, SigVersion.WITNESS_V0, ctx, exec);
      return;
    }
    if (program.length === 20) {
      // P2WPKH: exactly [sig, pubkey], run as DUP HASH160 <program> EQUALVERIFY CHECKSIG.
      if (stack.length !== 2) fail('WITNESS_PROGRAM_MISMATCH');
      const script = concatBytes(
        Uint8Array.of(OP.OP_DUP, OP.OP_HASH160, 20),
        program,
        Uint8Array.of(OP.OP_EQUALVERIFY, OP.OP_CHECKSIG),
      );
      executeWitnessScript(stack, script, flags, SigVersion.WITNESS_V0, ctx, exec);
      return;
    }
    fail('WITNESS_PROGRAM_WRONG_LENGTH');
  }
  if (version === 1 && program.length === 32 && !isP2sh) {
    if (!(flags & F.TAPROOT)) return;
    if (stack.length === 0) fail('WITNESS_PROGRAM_WITNESS_EMPTY');
    const last = stack[stack.length - 1]!;
    if (stack.length >= 2 && last.length > 0 && last[0] === ANNEX_TAG) {
      exec.annex = last;
      stack = stack.slice(0, -1);
    }
    if (stack.length === 1) {
      // Key path.
      checkSchnorrSignature(ctx, stack[0]!, program, SigVersion.TAPROOT, exec);
      return;
    }
    // Script path.
    const control = stack[stack.length - 1]!;
    const script = stack[stack.length - 2]!;
    stack = stack.slice(0, -2);
    if (
      control.length < TAPROOT_CONTROL_BASE_SIZE ||
      control.length > TAPROOT_CONTROL_MAX_SIZE ||
      (control.length - TAPROOT_CONTROL_BASE_SIZE) % TAPROOT_CONTROL_NODE_SIZE !== 0
    )
      fail('TAPROOT_WRONG_CONTROL_SIZE');
    const leafVersion = control[0]! & TAPROOT_LEAF_MASK;
    exec.leafHash = tapLeafHash(script, leafVersion);
    if (!verifyTaprootCommitment(control, program, exec.leafHash)) fail('WITNESS_PROGRAM_MISMATCH');
    if (leafVersion === TAPROOT_LEAF_TAPSCRIPT) {
      exec.weightLeft = witnessSerializedSize(witness) + VALIDATION_WEIGHT_OFFSET;
      executeWitnessScript(stack, script, flags, SigVersion.TAPSCRIPT, ctx, exec);
      return;
    }
    if (flags & F.DISCOURAGE_UPGRADABLE_TAPROOT_VERSION) fail('DISCOURAGE_UPGRADABLE_TAPROOT_VERSION');
    return;
  }
  if (!isP2sh && isPayToAnchor(version, program)) return;
  if (flags & F.DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM) fail('DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM');
  // Other versions and sizes are anyone-can-spend until a soft fork gives them meaning.
}

/**
 * Core's VerifyScript: runs scriptSig then scriptPubKey, P2SH, witness programs (native and
 * P2SH-wrapped), CLEANSTACK and the unexpected-witness rule. Throws the internal failure; the public
 * entry points convert it to a {@link ScriptError}.
 */
export function verifyScriptInternal(
  scriptSig: Uint8Array,
  scriptPubKey: Uint8Array,
  witness: readonly Uint8Array[],
  flags: number,
  ctx: SignatureContext,
): void {
  let hadWitness = false;
  if (flags & F.SIGPUSHONLY && !isPushOnly(scriptSig)) fail('SIG_PUSHONLY');
  let stack: Uint8Array[] = [];
  evalScript(stack, scriptSig, flags, ctx, SigVersion.BASE);
  const stackCopy = flags & F.P2SH ? stack.slice() : [];
  evalScript(stack, scriptPubKey, flags, ctx, SigVersion.BASE);
  if (stack.length === 0 || !castToBool(stack[stack.length - 1]!)) fail('EVAL_FALSE');

  if (flags & F.WITNESS) {
    const wp = witnessProgram(scriptPubKey);
    if (wp) {
      hadWitness = true;
      if (scriptSig.length !== 0) fail('WITNESS_MALLEATED');
      verifyWitnessProgram(witness, wp.version, wp.program, flags, ctx, false);
      stack.length = 1;
    }
  }

  if (flags & F.P2SH && isP2SH(scriptPubKey)) {
    if (!isPushOnly(scriptSig)) fail('SIG_PUSHONLY');
    stack = stackCopy;
    const redeem = stack.pop()!;
    evalScript(stack, redeem, flags, ctx, SigVersion.BASE);
    if (stack.length === 0 || !castToBool(stack[stack.length - 1]!)) fail('EVAL_FALSE');
    if (flags & F.WITNESS) {
      const wp = witnessProgram(redeem);
      if (wp) {
        hadWitness = true;
        // The scriptSig must be exactly one push of the redeem script.
        if (!equalBytes(scriptSig, pushData(redeem))) fail('WITNESS_MALLEATED_P2SH');
        verifyWitnessProgram(witness, wp.version, wp.program, flags, ctx, true);
        stack.length = 1;
      }
    }
  }

  if (flags & F.CLEANSTACK) {
    if (!(flags & F.P2SH) || !(flags & F.WITNESS))
      throw new InvalidArgumentError('flags', 'CLEANSTACK requires P2SH and WITNESS');
    if (stack.length !== 1) fail('CLEANSTACK');
  }
  if (flags & F.WITNESS) {
    if (!(flags & F.P2SH)) throw new InvalidArgumentError('flags', 'WITNESS requires P2SH');
    if (!hadWitness && witness.length > 0) fail('WITNESS_UNEXPECTED');
  }
}

export { ScriptFailure };
