// BIP86 / BIP341 key-path-only taproot tweak, on the active `@superscalar/secp` curve backend.
// Internal: not exported from the package.
import { curve, encodePoint, n as N, taggedHash } from '@superscalar/secp';
import { InvalidArgumentError } from './errors.js';

function bigintFrom(b: Uint8Array): bigint {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

function bytes32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** BIP86/BIP341 tweak of a key with no script tree: returns the output key and its secret key. */
export function bip86(secretKey: Uint8Array): { outputKey: Uint8Array; tweakedSecretKey: Uint8Array } {
  const P = encodePoint(curve().mulG(bigintFrom(secretKey))); // constant time: secret
  const px = P.subarray(1);
  // "t = int(hashTapTweak(bytes(P)))"; fail if t ≥ n (probability ~2^-128).
  const t = bigintFrom(taggedHash('TapTweak', px));
  if (t >= N)
    throw new InvalidArgumentError('closeAddress', 'TapTweak out of range; use another factory index');
  // d' = d if has_even_y(P) else n − d; Q = d'·G + t·G
  const d = P[0] === 0x02 ? bigintFrom(secretKey) : N - bigintFrom(secretKey);
  const q = (d + t) % N;
  if (q === 0n)
    throw new InvalidArgumentError('closeAddress', 'tweaked key is zero; use another factory index');
  const Q = encodePoint(curve().mulG(q));
  return { outputKey: Q.slice(1), tweakedSecretKey: bytes32(q) };
}
