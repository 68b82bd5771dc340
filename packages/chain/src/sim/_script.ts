// Internal script helpers for policy: tokenising, Core's `Solver` output types, push-only checks and
// sigop counting. No execution here: inputs are executed by the script interpreter in src/script/.

/** One parsed script element: an opcode and, for pushes, its data. */
export interface ScriptOp {
  readonly op: number;
  readonly data?: Uint8Array;
}

const OP_0 = 0x00;
const OP_PUSHDATA1 = 0x4c;
const OP_PUSHDATA2 = 0x4d;
const OP_PUSHDATA4 = 0x4e;
const OP_1NEGATE = 0x4f;
const OP_1 = 0x51;
const OP_16 = 0x60;
const OP_RETURN = 0x6a;
const OP_DUP = 0x76;
const OP_EQUAL = 0x87;
const OP_EQUALVERIFY = 0x88;
const OP_HASH160 = 0xa9;
const OP_CHECKSIG = 0xac;
const OP_CHECKSIGVERIFY = 0xad;
const OP_CHECKMULTISIG = 0xae;
const OP_CHECKMULTISIGVERIFY = 0xaf;

/** Tokenises a script; `null` if a push runs past the end (Core's `GetOp` failure). */
export function parseScript(script: Uint8Array): ScriptOp[] | null {
  const ops: ScriptOp[] = [];
  let i = 0;
  while (i < script.length) {
    const op = script[i++]!;
    if (op <= OP_PUSHDATA4) {
      let n: number;
      if (op < OP_PUSHDATA1) n = op;
      else if (op === OP_PUSHDATA1) {
        if (i + 1 > script.length) return null;
        n = script[i]!;
        i += 1;
      } else if (op === OP_PUSHDATA2) {
        if (i + 2 > script.length) return null;
        n = script[i]! | (script[i + 1]! << 8);
        i += 2;
      } else {
        if (i + 4 > script.length) return null;
        n = (script[i]! | (script[i + 1]! << 8) | (script[i + 2]! << 16) | (script[i + 3]! << 24)) >>> 0;
        i += 4;
      }
      if (i + n > script.length) return null;
      ops.push({ op, data: script.slice(i, i + n) });
      i += n;
    } else {
      ops.push({ op });
    }
  }
  return ops;
}

/** Core's `IsPushOnly`: only push opcodes (OP_0…OP_16, OP_1NEGATE, direct pushes), parseable. */
export function isPushOnly(script: Uint8Array): boolean {
  const ops = parseScript(script);
  if (ops === null) return false;
  // Core counts OP_RESERVED (0x50) as push-only too: only opcodes above OP_16 fail.
  return ops.every((o) => o.op <= OP_16);
}

/** The stack a push-only scriptSig leaves (Core's EvalScript with no flags, pushes only); null if not push-only. */
export function pushStack(scriptSig: Uint8Array): Uint8Array[] | null {
  const ops = parseScript(scriptSig);
  if (ops === null) return null;
  const stack: Uint8Array[] = [];
  for (const o of ops) {
    if (o.data !== undefined) stack.push(o.data);
    else if (o.op === OP_0) stack.push(new Uint8Array(0));
    else if (o.op === OP_1NEGATE) stack.push(Uint8Array.of(0x81));
    else if (o.op >= OP_1 && o.op <= OP_16) stack.push(Uint8Array.of(o.op - OP_1 + 1));
    else return null;
  }
  return stack;
}

/** Core's `TxoutType`, as `Solver` classifies a scriptPubKey. */
export type OutputType =
  | 'nonstandard'
  | 'anchor'
  | 'pubkey'
  | 'pubkeyhash'
  | 'scripthash'
  | 'multisig'
  | 'nulldata'
  | 'witness_v0_keyhash'
  | 'witness_v0_scripthash'
  | 'witness_v1_taproot'
  | 'witness_unknown';

/** The result of {@link solve}. */
export interface Solved {
  readonly type: OutputType;
  /** For multisig: required and total keys. */
  readonly m?: number;
  readonly n?: number;
}

/** Core's `IsPayToAnchor`: exactly `OP_1 <0x4e73>`. */
export function isPayToAnchor(s: Uint8Array): boolean {
  return s.length === 4 && s[0] === OP_1 && s[1] === 0x02 && s[2] === 0x4e && s[3] === 0x73;
}

/** Core's `IsPayToScriptHash`: `OP_HASH160 <20> OP_EQUAL`. */
export function isPayToScriptHash(s: Uint8Array): boolean {
  return s.length === 23 && s[0] === OP_HASH160 && s[1] === 0x14 && s[22] === OP_EQUAL;
}

/** Core's `IsWitnessProgram`: version and program, or null. */
export function witnessProgram(s: Uint8Array): { version: number; program: Uint8Array } | null {
  if (s.length < 4 || s.length > 42) return null;
  const v = s[0]!;
  if (v !== OP_0 && (v < OP_1 || v > OP_16)) return null;
  if (s[1]! + 2 !== s.length) return null;
  return { version: v === OP_0 ? 0 : v - OP_1 + 1, program: s.slice(2) };
}

function isValidPubKey(k: Uint8Array): boolean {
  if (k.length === 33) return k[0] === 2 || k[0] === 3;
  if (k.length === 65) return k[0] === 4;
  return false;
}

function smallInt(op: number): number | null {
  if (op === OP_0) return 0;
  if (op >= OP_1 && op <= OP_16) return op - OP_1 + 1;
  return null;
}

/** Core's `Solver` (script/solver.cpp): the standard type of a scriptPubKey. */
export function solve(s: Uint8Array): Solved {
  if (isPayToScriptHash(s)) return { type: 'scripthash' };
  const wp = witnessProgram(s);
  if (wp !== null) {
    if (isPayToAnchor(s)) return { type: 'anchor' };
    if (wp.version === 0 && wp.program.length === 20) return { type: 'witness_v0_keyhash' };
    if (wp.version === 0 && wp.program.length === 32) return { type: 'witness_v0_scripthash' };
    if (wp.version === 1 && wp.program.length === 32) return { type: 'witness_v1_taproot' };
    if (wp.version !== 0) return { type: 'witness_unknown' };
    return { type: 'nonstandard' };
  }
  // Provably unspendable, data-carrying output: OP_RETURN followed by pushes only.
  if (s.length >= 1 && s[0] === OP_RETURN && isPushOnly(s.slice(1))) return { type: 'nulldata' };
  const ops = parseScript(s);
  if (ops === null) return { type: 'nonstandard' };
  if (ops.length === 2 && ops[0]!.data !== undefined && ops[1]!.op === OP_CHECKSIG) {
    if (isValidPubKey(ops[0]!.data)) return { type: 'pubkey' };
  }
  if (
    s.length === 25 &&
    s[0] === OP_DUP &&
    s[1] === OP_HASH160 &&
    s[2] === 0x14 &&
    s[23] === OP_EQUALVERIFY &&
    s[24] === OP_CHECKSIG
  )
    return { type: 'pubkeyhash' };
  if (ops.length >= 4 && ops[ops.length - 1]!.op === OP_CHECKMULTISIG) {
    const m = smallInt(ops[0]!.op);
    const n = smallInt(ops[ops.length - 2]!.op);
    const keys = ops.slice(1, -2);
    if (
      m !== null &&
      n !== null &&
      m >= 1 &&
      n >= 1 &&
      m <= n &&
      keys.length === n &&
      keys.every((k) => k.data !== undefined && isValidPubKey(k.data))
    )
      return { type: 'multisig', m, n };
  }
  return { type: 'nonstandard' };
}

/**
 * Core's `CScript::HasValidOps`: every opcode parses (no push runs past the end) and none is above
 * `MAX_OPCODE` (OP_CHECKSIGADD).
 */
export function hasValidOps(s: Uint8Array): boolean {
  const ops = parseScript(s);
  return ops?.every((o) => o.op <= MAX_OPCODE) === true;
}

/** Core's MAX_OPCODE: OP_CHECKSIGADD. */
const MAX_OPCODE = 0xba;

/** Core's `IsUnspendable`: OP_RETURN-prefixed or larger than MAX_SCRIPT_SIZE (10,000 bytes). */
export function isUnspendable(s: Uint8Array): boolean {
  return (s.length > 0 && s[0] === OP_RETURN) || s.length > 10_000;
}

/** Core's `GetSigOpCount(fAccurate = true)`: CHECKMULTISIG counts its key count when it follows OP_n. */
export function sigOpCountAccurate(s: Uint8Array): number {
  const ops = parseScript(s);
  if (ops === null) return 0;
  let n = 0;
  let last = 0xff;
  for (const o of ops) {
    if (o.op === OP_CHECKSIG || o.op === OP_CHECKSIGVERIFY) n += 1;
    else if (o.op === OP_CHECKMULTISIG || o.op === OP_CHECKMULTISIGVERIFY) {
      n += last >= OP_1 && last <= OP_16 ? last - OP_1 + 1 : 20;
    }
    last = o.op;
  }
  return n;
}
