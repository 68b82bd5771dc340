/**
 * Script bytes: opcode iteration (Core's `GetScriptOp`), minimal pushes, push-only and template
 * checks (P2SH, witness programs, P2A), `FindAndDelete`, and a small builder.
 */
import { InvalidArgumentError } from '../errors.js';
import { concatBytes, equalBytes } from '../tx/_bytes.js';
import { OP } from './opcodes.js';
import { encodeScriptNum } from './scriptNum.js';

/** One decoded instruction: the opcode and, for pushes, the pushed bytes. */
export interface ScriptOp {
  readonly opcode: number;
  /** The pushed data for opcodes 0x00..0x4e; undefined for every other opcode. */
  readonly data: Uint8Array | undefined;
}

/**
 * A cursor over script bytes with Core's `GetScriptOp` semantics: `next()` returns false on a
 * truncated push, leaving `pos` where Core's iterator would be (past the opcode and length bytes).
 */
export class OpReader {
  pos: number;
  opcode = OP.OP_INVALIDOPCODE as number;
  data: Uint8Array | undefined;

  constructor(
    readonly script: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.script.length;
  }

  next(): boolean {
    const s = this.script;
    const end = s.length;
    this.opcode = OP.OP_INVALIDOPCODE;
    this.data = undefined;
    if (this.pos >= end) return false;
    const op = s[this.pos++]!;
    if (op <= OP.OP_PUSHDATA4) {
      let size: number;
      if (op < OP.OP_PUSHDATA1) size = op;
      else if (op === OP.OP_PUSHDATA1) {
        if (end - this.pos < 1) return false;
        size = s[this.pos++]!;
      } else if (op === OP.OP_PUSHDATA2) {
        if (end - this.pos < 2) return false;
        size = s[this.pos]! | (s[this.pos + 1]! << 8);
        this.pos += 2;
      } else {
        if (end - this.pos < 4) return false;
        size =
          (s[this.pos]! | (s[this.pos + 1]! << 8) | (s[this.pos + 2]! << 16) | (s[this.pos + 3]! << 24)) >>>
          0;
        this.pos += 4;
      }
      if (end - this.pos < size) return false;
      this.data = s.subarray(this.pos, this.pos + size);
      this.pos += size;
    }
    this.opcode = op;
    return true;
  }
}

/** Decodes a whole script into instructions, or `undefined` when a push runs past the end. */
export function decodeScript(script: Uint8Array): ScriptOp[] | undefined {
  const r = new OpReader(script);
  const ops: ScriptOp[] = [];
  while (!r.done) {
    if (!r.next()) return undefined;
    ops.push({ opcode: r.opcode, data: r.data === undefined ? undefined : Uint8Array.from(r.data) });
  }
  return ops;
}

/** Core's CheckMinimalPush: the push used the shortest possible encoding for its data. */
export function checkMinimalPush(data: Uint8Array, opcode: number): boolean {
  const n = data.length;
  if (n === 0) return opcode === OP.OP_0;
  if (n === 1 && data[0]! >= 1 && data[0]! <= 16) return false;
  if (n === 1 && data[0] === 0x81) return false;
  if (n <= 75) return opcode === n;
  if (n <= 255) return opcode === OP.OP_PUSHDATA1;
  if (n <= 65535) return opcode === OP.OP_PUSHDATA2;
  return true;
}

/** Core's IsPushOnly: every instruction parses and is at most OP_16. */
export function isPushOnly(script: Uint8Array): boolean {
  const r = new OpReader(script);
  while (!r.done) {
    if (!r.next()) return false;
    if (r.opcode > OP.OP_16) return false;
  }
  return true;
}

/** `OP_HASH160 <20 bytes> OP_EQUAL`. */
export function isP2SH(script: Uint8Array): boolean {
  return (
    script.length === 23 && script[0] === OP.OP_HASH160 && script[1] === 0x14 && script[22] === OP.OP_EQUAL
  );
}

/** A witness program: version 0..16 and a 2..40-byte program (BIP141), or `undefined`. */
export function witnessProgram(script: Uint8Array): { version: number; program: Uint8Array } | undefined {
  if (script.length < 4 || script.length > 42) return undefined;
  const v = script[0]!;
  if (v !== OP.OP_0 && (v < OP.OP_1 || v > OP.OP_16)) return undefined;
  if (script[1]! + 2 !== script.length) return undefined;
  return { version: v === 0 ? 0 : v - OP.OP_1 + 1, program: script.subarray(2) };
}

/** The P2A anchor: witness v1 program `4e73` (`OP_1 <0x4e73>`). */
export function isPayToAnchor(version: number, program: Uint8Array): boolean {
  return version === 1 && program.length === 2 && program[0] === 0x4e && program[1] === 0x73;
}

/** The bytes of a data push with the shortest push opcode (Core's `CScript << vector`; empty is OP_0). */
export function pushData(data: Uint8Array): Uint8Array {
  const n = data.length;
  let head: number[];
  if (n < OP.OP_PUSHDATA1) head = [n];
  else if (n <= 0xff) head = [OP.OP_PUSHDATA1, n];
  else if (n <= 0xffff) head = [OP.OP_PUSHDATA2, n & 0xff, n >>> 8];
  else head = [OP.OP_PUSHDATA4, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  return concatBytes(Uint8Array.from(head), data);
}

/** The bytes of a number push as Core's `CScript << int64`: OP_0, OP_1NEGATE, OP_1..OP_16, or minimal data. */
export function pushNumber(n: number): Uint8Array {
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('n', `${n} is not a safe integer`);
  if (n === 0) return Uint8Array.of(OP.OP_0);
  if (n === -1 || (n >= 1 && n <= 16)) return Uint8Array.of(n + OP.OP_1 - 1);
  return pushData(encodeScriptNum(n));
}

/**
 * Assembles a script: a `number` is an opcode byte, a `Uint8Array` is data pushed minimally, and a
 * `bigint` is a script number pushed as Core's `CScript << int64` (OP_0, OP_1NEGATE, OP_1..OP_16, or
 * minimal data), e.g. `compileScript([500n, OP.OP_CHECKLOCKTIMEVERIFY, OP.OP_DROP])`.
 */
export function compileScript(parts: readonly (number | bigint | Uint8Array)[]): Uint8Array {
  return concatBytes(
    ...parts.map((p, i) => {
      if (typeof p === 'number') {
        if (!Number.isInteger(p) || p < 0 || p > 0xff)
          throw new InvalidArgumentError(`parts[${i}]`, `bad opcode ${p}`);
        return Uint8Array.of(p);
      }
      if (typeof p === 'bigint') {
        if (p > BigInt(Number.MAX_SAFE_INTEGER) || p < -BigInt(Number.MAX_SAFE_INTEGER))
          throw new InvalidArgumentError(`parts[${i}]`, `number ${p} out of range`);
        return pushNumber(Number(p));
      }
      if (!(p instanceof Uint8Array))
        throw new InvalidArgumentError(`parts[${i}]`, 'expected a number, bigint or Uint8Array');
      return pushData(p);
    }),
  );
}

/**
 * Core's FindAndDelete: removes every occurrence of `needle` that starts at an instruction boundary.
 * Returns the new script and the number removed.
 */
export function findAndDelete(script: Uint8Array, needle: Uint8Array): { script: Uint8Array; found: number } {
  if (needle.length === 0) return { script, found: 0 };
  const parts: Uint8Array[] = [];
  let found = 0;
  const r = new OpReader(script);
  let pc2 = 0;
  for (;;) {
    parts.push(script.subarray(pc2, r.pos));
    while (
      script.length - r.pos >= needle.length &&
      equalBytes(script.subarray(r.pos, r.pos + needle.length), needle)
    ) {
      r.pos += needle.length;
      found++;
    }
    pc2 = r.pos;
    if (!r.next()) break;
  }
  if (found === 0) return { script, found };
  parts.push(script.subarray(pc2));
  return { script: concatBytes(...parts), found };
}
