/**
 * Boundary asserters (STYLE.md §3): each checks one argument and names its path in the error.
 * A package builds its set once with its own `InvalidArgumentError`, so the error carries its code.
 */

/** Makes the package's invalid-argument error for `argument` (a path like `clients[3].key`). */
export type ArgumentFault = (argument: string, message: string) => Error;

/** The asserters of one package, throwing its own invalid-argument error. */
export interface Asserters {
  /** A copy of `v` when it is a `Uint8Array` (of `length` bytes, when given). */
  bytes(v: unknown, length: number | undefined, argument: string): Uint8Array;
  /** `v` when it is a non-negative bigint amount of at most 21e14 sats (the money supply). */
  sats(v: unknown, argument: string): bigint;
  /** `v` when it is an integer in [min, max]. */
  int(v: unknown, min: number, max: number, argument: string): number;
  /** `v` when it is an integer in [0, 2^32 - 1]. */
  u32(v: unknown, argument: string): number;
  /** `v` when it is a bigint in [min, max]. */
  bigint(v: unknown, min: bigint, max: bigint, argument: string): bigint;
  /** `v` when it is a function. */
  fn<F extends (...args: never[]) => unknown>(v: unknown, argument: string): F;
}

/** 21,000,000 BTC in sats: no amount can exceed it. */
export const MAX_MONEY = 2_100_000_000_000_000n;

/** Builds a package's asserters around its own invalid-argument error. */
export function asserters(fault: ArgumentFault): Asserters {
  return {
    bytes(v, length, argument) {
      if (!(v instanceof Uint8Array)) throw fault(argument, `expected Uint8Array, got ${describe(v)}`);
      if (length !== undefined && v.length !== length) {
        throw fault(argument, `expected ${length} bytes, got ${v.length}`);
      }
      return Uint8Array.from(v);
    },
    sats(v, argument) {
      if (typeof v !== 'bigint')
        throw fault(argument, `expected a bigint amount in sats, got ${describe(v)}`);
      if (v < 0n || v > MAX_MONEY) throw fault(argument, `amount ${v} is outside [0, ${MAX_MONEY}] sats`);
      return v;
    },
    int(v, min, max, argument) {
      if (typeof v !== 'number' || !Number.isInteger(v))
        throw fault(argument, `expected an integer, got ${describe(v)}`);
      if (v < min || v > max) throw fault(argument, `${v} is outside [${min}, ${max}]`);
      return v;
    },
    u32(v, argument) {
      return this.int(v, 0, 0xffff_ffff, argument);
    },
    bigint(v, min, max, argument) {
      if (typeof v !== 'bigint') throw fault(argument, `expected a bigint, got ${describe(v)}`);
      if (v < min || v > max) throw fault(argument, `${v} is outside [${min}, ${max}]`);
      return v;
    },
    fn<F extends (...args: never[]) => unknown>(v: unknown, argument: string): F {
      if (typeof v !== 'function') throw fault(argument, `expected a function, got ${describe(v)}`);
      return v as F;
    },
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
