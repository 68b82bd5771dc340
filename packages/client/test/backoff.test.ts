import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/index.js';
import { backoffDelay } from '../src/runtime/index.js';

const fixed = (byte: number) => (n: number) => new Uint8Array(n).fill(byte);

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, without jitter', () => {
    const o = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, o, fixed(0xff)))).toEqual([
      100, 200, 400, 800, 1_000, 1_000, 1_000,
    ]);
  });

  it('takes up to `jitter` of each delay off at random, drawn from the injected rng', () => {
    const o = { initialDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0.5 };
    expect(backoffDelay(0, o, fixed(0))).toBe(1_000);
    expect(backoffDelay(0, o, fixed(0x80))).toBe(749); // 0x80808080 / 2^32 ≈ 0.502
    expect(backoffDelay(0, o, fixed(0xff))).toBe(500);
    // Any draw stays within [d·(1 − jitter), d].
    for (let b = 0; b < 256; b += 17) {
      const d = backoffDelay(3, o, fixed(b));
      expect(d).toBeGreaterThanOrEqual(4_000);
      expect(d).toBeLessThanOrEqual(8_000);
    }
  });

  it('refuses nonsense options', () => {
    expect(() => backoffDelay(0, { factor: 0.5 }, fixed(0))).toThrow(InvalidArgumentError);
    expect(() => backoffDelay(0, { jitter: 2 }, fixed(0))).toThrow(InvalidArgumentError);
    expect(() => backoffDelay(0, { initialDelayMs: 10, maxDelayMs: 5 }, fixed(0))).toThrow(
      InvalidArgumentError,
    );
    expect(() => backoffDelay(-1, {}, fixed(0))).toThrow(InvalidArgumentError);
  });
});
