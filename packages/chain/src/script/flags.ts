/**
 * Script verification flags: Bitcoin Core's `SCRIPT_VERIFY_*` bits (script/interpreter.h) and its
 * mandatory (consensus) and standard (policy) sets (policy/policy.h, Core ≥ 29).
 */

/** Flag bits, same values as Core. */
export const SCRIPT_VERIFY = {
  NONE: 0,
  P2SH: 1 << 0,
  STRICTENC: 1 << 1,
  DERSIG: 1 << 2,
  LOW_S: 1 << 3,
  NULLDUMMY: 1 << 4,
  SIGPUSHONLY: 1 << 5,
  MINIMALDATA: 1 << 6,
  DISCOURAGE_UPGRADABLE_NOPS: 1 << 7,
  CLEANSTACK: 1 << 8,
  CHECKLOCKTIMEVERIFY: 1 << 9,
  CHECKSEQUENCEVERIFY: 1 << 10,
  WITNESS: 1 << 11,
  DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM: 1 << 12,
  MINIMALIF: 1 << 13,
  NULLFAIL: 1 << 14,
  WITNESS_PUBKEYTYPE: 1 << 15,
  CONST_SCRIPTCODE: 1 << 16,
  TAPROOT: 1 << 17,
  DISCOURAGE_UPGRADABLE_TAPROOT_VERSION: 1 << 18,
  DISCOURAGE_OP_SUCCESS: 1 << 19,
  DISCOURAGE_UPGRADABLE_PUBKEYTYPE: 1 << 20,
} as const;

/** A flag name, e.g. `WITNESS`. */
export type ScriptFlagName = keyof typeof SCRIPT_VERIFY;

const F = SCRIPT_VERIFY;

/**
 * Consensus flags every block enforces today (Core's MANDATORY_SCRIPT_VERIFY_FLAGS): a failure under
 * them makes a transaction invalid, not just non-standard.
 */
export const MANDATORY_FLAGS =
  F.P2SH | F.DERSIG | F.NULLDUMMY | F.CHECKLOCKTIMEVERIFY | F.CHECKSEQUENCEVERIFY | F.WITNESS | F.TAPROOT;

/** Core's STANDARD_SCRIPT_VERIFY_FLAGS: what the mempool enforces. */
export const STANDARD_FLAGS =
  MANDATORY_FLAGS |
  F.STRICTENC |
  F.MINIMALDATA |
  F.DISCOURAGE_UPGRADABLE_NOPS |
  F.CLEANSTACK |
  F.MINIMALIF |
  F.NULLFAIL |
  F.LOW_S |
  F.DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM |
  F.WITNESS_PUBKEYTYPE |
  F.CONST_SCRIPTCODE |
  F.DISCOURAGE_UPGRADABLE_TAPROOT_VERSION |
  F.DISCOURAGE_OP_SUCCESS |
  F.DISCOURAGE_UPGRADABLE_PUBKEYTYPE;

/** Every flag bit this interpreter models. */
export const ALL_FLAGS = Object.values(SCRIPT_VERIFY).reduce((a, b) => a | b, 0);

/**
 * Parses Core's comma-separated flag names (`"P2SH,WITNESS"`, `""` or `"NONE"` for none) into bits.
 * Returns `undefined` for a name this interpreter does not model.
 */
export function parseFlags(names: string): number | undefined {
  let bits = 0;
  for (const raw of names.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!Object.hasOwn(SCRIPT_VERIFY, name)) return undefined;
    bits |= SCRIPT_VERIFY[name as ScriptFlagName];
  }
  return bits;
}

/** Core's invariants: CLEANSTACK requires WITNESS and P2SH; WITNESS requires P2SH. */
export function flagsAreConsistent(flags: number): boolean {
  if (flags & F.CLEANSTACK && (~flags & (F.P2SH | F.WITNESS)) !== 0) return false;
  if (flags & F.WITNESS && (flags & F.P2SH) === 0) return false;
  return true;
}
