import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asserters,
  compareBytes,
  concatBytes,
  equalBytes,
  equalBytesConstantTime,
  fromHex,
  InvalidArgumentError,
  reversed,
  toHex,
} from '../src/index.js';

const runs = Number(process.env.PROPERTY_RUNS ?? 200);

describe('hex', () => {
  it(`round-trips any bytes (${runs} runs)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
        expect(fromHex(toHex(b).toUpperCase())).toEqual(b);
      }),
      { numRuns: runs },
    );
  });

  it('refuses odd length, non-hex characters and a wrong length with a typed error', () => {
    for (const [h, len] of [
      ['abc', undefined],
      ['zz', undefined],
      ['0x00', undefined],
      ['00', 2],
      [' 0', undefined],
    ] as const) {
      let err: unknown;
      try {
        fromHex(h, 'txid', len);
      } catch (e) {
        err = e;
      }
      expect(InvalidArgumentError.isInstance(err)).toBe(true);
      expect((err as InvalidArgumentError).argument).toBe('txid');
    }
  });
});

describe('bytes', () => {
  it('concat, equality, order and reversal agree with their definitions', () => {
    const a = fromHex('0102');
    const b = fromHex('03');
    expect(toHex(concatBytes(a, b))).toBe('010203');
    expect(equalBytes(a, fromHex('0102'))).toBe(true);
    expect(equalBytes(a, b)).toBe(false);
    expect(equalBytesConstantTime(a, fromHex('0103'))).toBe(false);
    expect(equalBytesConstantTime(a, fromHex('0102'))).toBe(true);
    expect(compareBytes(a, fromHex('0103'))).toBeLessThan(0);
    expect(compareBytes(fromHex('01'), a)).toBeLessThan(0);
    expect(toHex(reversed(fromHex('a1b2c3')))).toBe('c3b2a1');
  });
});

describe('asserters', () => {
  class PkgArgError extends Error {
    constructor(
      readonly argument: string,
      message: string,
    ) {
      super(message);
    }
  }
  const check = asserters((argument, message) => new PkgArgError(argument, message));

  it("throws the package's own error naming the argument path", () => {
    expect(() => check.bytes(new Uint8Array(3), 32, 'clients[3].key')).toThrow(PkgArgError);
    expect(() => check.sats(-1n, 'amount')).toThrow(/amount/);
    expect(() => check.sats(1, 'amount')).toThrow(PkgArgError);
    expect(() => check.sats(2_100_000_000_000_001n, 'amount')).toThrow(PkgArgError);
    expect(() => check.u32(2 ** 32, 'locktime')).toThrow(PkgArgError);
    expect(() => check.int(1.5, 0, 2, 'n')).toThrow(PkgArgError);
    expect(() => check.bigint(5n, 0n, 4n, 'n')).toThrow(PkgArgError);
    expect(() => check.fn(1, 'rng')).toThrow(PkgArgError);
  });

  it('returns a copy of bytes and the checked value otherwise', () => {
    const k = new Uint8Array(32).fill(7);
    const c = check.bytes(k, 32, 'k');
    expect(c).toEqual(k);
    expect(c).not.toBe(k);
    expect(check.sats(0n, 'a')).toBe(0n);
    expect(check.u32(0xffff_ffff, 'x')).toBe(0xffff_ffff);
  });
});
