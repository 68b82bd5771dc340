// The native backend's own guarantees, on a recording wrapper around the real addon: the secret scalar
// buffer handed to C is zeroed before mulG returns (also when the call throws), the context is
// randomised at construction, and a wrong addon fails its known-answer check.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createNativeBackend, type Secp256k1Addon } from '../src/_native.js';
import { G } from '../src/index.js';
import { nativeExpected } from '../src/testing/index.js';

let addon: Secp256k1Addon | undefined;
try {
  addon = createRequire(import.meta.url)('secp256k1/bindings') as Secp256k1Addon;
} catch (err) {
  if (nativeExpected()) throw err;
}

describe.skipIf(addon === undefined)('native backend', () => {
  const real = addon as Secp256k1Addon;

  function recording() {
    const seen: Uint8Array[] = [];
    const seeds: (Uint8Array | null)[] = [];
    const wrapped: Secp256k1Addon = {
      ...real,
      contextRandomize: (seed) => {
        seeds.push(seed === null ? null : Uint8Array.from(seed));
        real.contextRandomize(seed);
      },
      publicKeyCreate: (sk, c) => {
        seen.push(sk);
        return real.publicKeyCreate(sk, c);
      },
      publicKeyConvert: real.publicKeyConvert.bind(real),
      publicKeyCombine: real.publicKeyCombine.bind(real),
      publicKeyTweakAdd: real.publicKeyTweakAdd.bind(real),
      publicKeyTweakMul: real.publicKeyTweakMul.bind(real),
    };
    return { wrapped, seen, seeds };
  }

  it('zeroes the secret scalar buffer it passed to C', () => {
    const { wrapped, seen } = recording();
    const b = createNativeBackend(wrapped, new Uint8Array(32).fill(9));
    seen.length = 0;
    const k = 0x1234567890abcdef1234567890abcdefn;
    expect(b.mulG(k).equals(G.multiply(k))).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.every((x) => x === 0)).toBe(true);
  });

  it('zeroes it when the C call throws, too', () => {
    const { wrapped, seen } = recording();
    // An addon that fails after the known-answer check.
    let calls = 0;
    const flaky: Secp256k1Addon = {
      ...wrapped,
      publicKeyCreate: (sk, c) => {
        calls++;
        seen.push(sk);
        if (calls > 1) throw new Error('boom');
        return real.publicKeyCreate(sk, c);
      },
    };
    const b3 = createNativeBackend(flaky, new Uint8Array(32));
    seen.length = 0;
    expect(() => b3.mulG(12345n)).toThrow('boom');
    expect(seen[0]?.every((x) => x === 0)).toBe(true);
  });

  it('mulSecret (ECDH) goes through secp256k1_ecdh and zeroes the scalar and the shared point, also when C throws', () => {
    const seen: { sk: Uint8Array; x: Uint8Array; y: Uint8Array; out: Uint8Array }[] = [];
    let tweakMuls = 0;
    let fail = false;
    const wrapped: Secp256k1Addon = {
      ...real,
      publicKeyTweakMul: (P, t, c) => {
        tweakMuls++;
        return real.publicKeyTweakMul(P, t, c);
      },
      ecdh: (P, sk, o, out) => {
        seen.push({ sk, x: o.xbuf, y: o.ybuf, out });
        if (fail) throw new Error('boom');
        return real.ecdh(P, sk, o, out);
      },
    };
    const b = createNativeBackend(wrapped, new Uint8Array(32).fill(9));
    const P = G.multiply(77n);
    tweakMuls = 0;
    const k = 0xfedcba9876543210fedcba9876543210n;
    expect(b.mulSecret(P, k).equals(P.multiply(k))).toBe(true);
    expect(tweakMuls).toBe(0); // never the variable-time path
    expect(seen).toHaveLength(1);
    const zero = (a: Uint8Array | undefined) => a?.every((x) => x === 0);
    expect(zero(seen[0]?.sk) && zero(seen[0]?.x) && zero(seen[0]?.y)).toBe(true);
    fail = true;
    expect(() => b.mulSecret(P, k)).toThrow('boom');
    expect(zero(seen[1]?.sk)).toBe(true);
  });

  it('randomises the context with the seed it is given', () => {
    const { wrapped, seeds } = recording();
    createNativeBackend(wrapped, new Uint8Array(32).fill(7));
    expect(seeds).toEqual([new Uint8Array(32).fill(7)]);
  });

  it('refuses an addon that fails its known-answer check', () => {
    const wrong: Secp256k1Addon = {
      ...real,
      publicKeyCreate: (sk, c) => real.publicKeyCreate(Uint8Array.from(sk).fill(3, 31), c),
    };
    expect(() => createNativeBackend(wrong, new Uint8Array(32))).toThrow('known-answer');
  });
});
