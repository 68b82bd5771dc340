// secp256k1 validity checks for decoded fields. A compressed point is valid iff its prefix is 02/03,
// its x is below p and x³ + 7 is a quadratic residue mod p (secp256k1 has prime order, so x³ + 7 is
// never 0). The residue test is a Jacobi symbol, several times cheaper than the square root a full
// decompression computes; test/curve.test.ts checks it against @noble/curves on random inputs.

/** The field prime p. */
export const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
/** The group order n. */
export const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export function bytesToBigInt(b: Uint8Array, from = 0, to = b.length): bigint {
  let v = 0n;
  for (let i = from; i < to; i++) v = (v << 8n) | BigInt(b[i] as number);
  return v;
}

// Jacobi symbol (a/n) for odd n > 0 by the binary algorithm (quadratic reciprocity).
function jacobi(a0: bigint, n0: bigint): number {
  let a = a0 % n0;
  let n = n0;
  let t = 1;
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n;
      const r = n & 7n;
      if (r === 3n || r === 5n) t = -t;
    }
    const tmp = a;
    a = n;
    n = tmp;
    if ((a & 3n) === 3n && (n & 3n) === 3n) t = -t;
    a %= n;
  }
  return n === 1n ? t : 0;
}

/** True iff x (a field element candidate) is the x coordinate of a curve point. */
export function isValidX(x: bigint): boolean {
  if (x >= P) return false;
  return jacobi((((x * x) % P) * x + 7n) % P, P) === 1;
}

/** True iff `b[at..at+33]` is a valid compressed secp256k1 point (not infinity). */
export function isValidCompressedPoint(b: Uint8Array, at = 0): boolean {
  const prefix = b[at];
  if (prefix !== 0x02 && prefix !== 0x03) return false;
  return isValidX(bytesToBigInt(b, at + 1, at + 33));
}
