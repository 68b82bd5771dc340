/**
 * Bitcoin Core's script-assembly notation (core_read.cpp `ParseScript`), as used by its test data:
 * decimal numbers are pushed as script numbers, `0x..` is raw bytes inserted as-is, `'text'` is a data
 * push, and opcode names are accepted with or without the `OP_` prefix.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { tagError } from '@superscalar/core';
import { InvalidArgumentError } from '../errors.js';
import { concatBytes } from '../tx/_bytes.js';
import { DecodeError } from '../tx/errors.js';
import { MAX_OPCODE, OP, opcodeName } from './opcodes.js';
import { pushData, pushNumber } from './script.js';

let opNames: Map<string, number> | undefined;

function names(): Map<string, number> {
  if (opNames) return opNames;
  const m = new Map<string, number>();
  for (let op = 0; op <= MAX_OPCODE; op++) {
    // Core skips the push opcodes (below OP_NOP) except OP_RESERVED.
    if (op < OP.OP_NOP && op !== OP.OP_RESERVED) continue;
    const name = opcodeName(op);
    if (name === 'OP_UNKNOWN') continue;
    m.set(name, op);
    if (name.startsWith('OP_')) m.set(name.slice(3), op);
  }
  opNames = m;
  return m;
}

/** Error for text that is not valid script assembly. */
export class ScriptAsmError extends DecodeError {
  /** The word that is not assembly. */
  readonly token: string;

  constructor(token: string, offset: number) {
    super('ASM', offset, `script parse error: '${token.slice(0, 80)}'`);
    this.token = token;
  }
}
tagError(ScriptAsmError, '@superscalar/chain:ScriptAsmError');

/** Parses Core's script-assembly notation into script bytes; {@link ScriptAsmError} for a word it cannot read. */
export function parseAsm(text: string): Uint8Array {
  const out: Uint8Array[] = [];
  const table = names();
  if (typeof text !== 'string') throw new InvalidArgumentError('text', 'expected a string');
  for (const m of text.matchAll(/[^ \t\n]+/g)) {
    const w = m[0];
    const at = m.index;
    if (/^-?\d+$/.test(w) && w !== '-') {
      const n = Number(w);
      if (!Number.isSafeInteger(n) || n > 0xffffffff || n < -0xffffffff) throw new ScriptAsmError(w, at);
      out.push(pushNumber(n));
    } else if (/^0x[0-9a-fA-F]+$/.test(w) && w.length % 2 === 0) {
      out.push(hexToBytes(w.slice(2)));
    } else if (w.length >= 2 && w.startsWith("'") && w.endsWith("'")) {
      out.push(pushData(new TextEncoder().encode(w.slice(1, -1))));
    } else if (table.has(w)) {
      out.push(Uint8Array.of(table.get(w)!));
    } else {
      throw new ScriptAsmError(w, at);
    }
  }
  return concatBytes(...out);
}
