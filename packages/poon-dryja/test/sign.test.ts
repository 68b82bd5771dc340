// verifyOwnSchnorr (internal): BIP340 verification computed with the signer's secret must give
// schnorrVerify's verdict for a right secret, and fail for a wrong signature, key, tweak or parity.
import { sha256 } from '@noble/hashes/sha2.js';
import { curve, encodePoint, n, schnorrSign, schnorrVerify } from '@superscalar/secp';
import { describe, expect, it } from 'vitest';
import { bytesToBigInt, scalarBytes } from '../src/_ec.js';
import { verifyOwnSchnorr } from '../src/_sign.js';

/** 32 deterministic bytes from a label. */
const bytes = (label: string) => sha256(new TextEncoder().encode(label));

/** A secret (any parity), its x-only key and the even-y form of the secret. */
function key(label: string): { sk: Uint8Array; pk: Uint8Array; dEven: bigint; d: bigint } {
  const d = bytesToBigInt(bytes(label)) % n;
  const P = encodePoint(curve().mulG(d));
  return { sk: scalarBytes(d), pk: P.subarray(1), dEven: P[0] === 0x03 ? n - d : d, d };
}

describe('verifyOwnSchnorr', () => {
  const cases = Array.from({ length: 16 }, (_, i) => ({ k: key(`key ${i}`), msg: bytes(`msg ${i}`), i }));

  it('agrees with schnorrVerify on signatures made with the key (both parities of the secret)', () => {
    const parities = new Set<boolean>();
    for (const { k, msg, i } of cases) {
      parities.add(k.dEven === k.d);
      const sig = schnorrSign(msg, k.sk, bytes(`aux ${i}`));
      expect(schnorrVerify(sig, msg, k.pk)).toBe(true);
      expect(verifyOwnSchnorr(sig, msg, k.pk, k.dEven)).toBe(true);
    }
    expect(parities.size).toBe(2); // the cases cover odd-y and even-y secrets
  });

  it('fails for a flipped bit in r, in s or in the message, like schnorrVerify', () => {
    for (const { k, msg, i } of cases) {
      const sig = schnorrSign(msg, k.sk, bytes(`aux ${i}`));
      for (const at of [0, 31, 32, 63]) {
        const bad = Uint8Array.from(sig);
        bad[at] = (bad[at] as number) ^ (1 << (i % 8));
        expect(verifyOwnSchnorr(bad, msg, k.pk, k.dEven)).toBe(schnorrVerify(bad, msg, k.pk));
        expect(verifyOwnSchnorr(bad, msg, k.pk, k.dEven)).toBe(false);
      }
      const other = Uint8Array.from(msg);
      other[0] = (other[0] as number) ^ 1;
      expect(verifyOwnSchnorr(sig, other, k.pk, k.dEven)).toBe(false);
    }
  });

  it('fails when the secret is not the key’s: the other parity, another secret, a signature by another key', () => {
    for (const { k, msg, i } of cases) {
      const sig = schnorrSign(msg, k.sk, bytes(`aux ${i}`));
      expect(verifyOwnSchnorr(sig, msg, k.pk, n - k.dEven)).toBe(false);
      expect(verifyOwnSchnorr(sig, msg, k.pk, (k.dEven + 1n) % n)).toBe(false);
      // Signed with a wrong (tweaked) secret, checked against the right key with that same secret.
      const wrong = key(`wrong ${i}`);
      const bySomeoneElse = schnorrSign(msg, wrong.sk, bytes(`aux ${i}`));
      expect(schnorrVerify(bySomeoneElse, msg, k.pk)).toBe(false);
      expect(verifyOwnSchnorr(bySomeoneElse, msg, k.pk, wrong.dEven)).toBe(false);
      expect(verifyOwnSchnorr(bySomeoneElse, msg, k.pk, k.dEven)).toBe(false);
    }
  });

  it('fails for out-of-range r or s and wrong lengths', () => {
    const { k, msg } = cases[0] as (typeof cases)[number];
    const sig = schnorrSign(msg, k.sk, bytes('aux'));
    const highS = Uint8Array.from(sig);
    highS.set(scalarBytes(n), 32);
    expect(verifyOwnSchnorr(highS, msg, k.pk, k.dEven)).toBe(false);
    const highR = Uint8Array.from(sig);
    highR.fill(0xff, 0, 32);
    expect(verifyOwnSchnorr(highR, msg, k.pk, k.dEven)).toBe(false);
    expect(verifyOwnSchnorr(sig.subarray(0, 63), msg, k.pk, k.dEven)).toBe(false);
    expect(verifyOwnSchnorr(sig, msg, encodePoint(curve().mulG(1n)), k.dEven)).toBe(false);
  });
});
