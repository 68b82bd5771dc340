// The libsecp256k1 backend over the `secp256k1@5` package's N-API addon. Built from the addon's API
// object, so this file imports nothing Node-specific; `_backend-node.ts` loads the addon.
//
// Crossing: points enter C as 65-byte uncompressed encodings and come back the same way. Every point
// this backend returns is affine (Z = 1) and its encoding is remembered (a WeakMap keyed by the point),
// so a point that goes back into C is not encoded again; a point from elsewhere is encoded once
// (one inversion if it is projective). Decoding a result is two big-endian reads, no curve check: the
// bytes come from libsecp256k1.
//
// Secrets: `mulG` writes the secret scalar into a 32-byte buffer this module owns, hands it to
// `secp256k1_ec_pubkey_create`, and zeroes the buffer before returning (also on failure). The bigint
// itself cannot be wiped (JavaScript), and the addon does not copy the buffer. libsecp256k1's
// `ecmult_gen` is constant time, and the context is randomised (blinded) with 32 fresh random bytes at
// load. `mulSecret` (ECDH) does the same with `secp256k1_ecdh` (constant-time `ecmult_const`), its
// hash callback returning the shared point itself. `mul`, `mulAddG` and `msm` are for public scalars
// only: `pubkey_tweak_mul` and `pubkey_tweak_add` both run libsecp256k1's variable-time `ecmult` (in
// this libsecp256k1 version `eckey_pubkey_tweak_mul` calls `secp256k1_ecmult`, not `ecmult_const`).
import {
  type CurveBackend,
  uncompressedOf as enc,
  INFINITY,
  type Point,
  PointCons,
  rememberEncoding,
} from './backend.js';
import { InvalidArgumentError } from './errors.js';

/** The part of `secp256k1@5`'s API (`require('secp256k1/bindings')`) this backend uses. */
export interface Secp256k1Addon {
  contextRandomize(seed: Uint8Array | null): void;
  publicKeyCreate(seckey: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyConvert(pubkey: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyCombine(pubkeys: Uint8Array[], compressed?: boolean): Uint8Array;
  publicKeyTweakAdd(pubkey: Uint8Array, tweak: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyTweakMul(pubkey: Uint8Array, tweak: Uint8Array, compressed?: boolean): Uint8Array;
  ecdh(
    pubkey: Uint8Array,
    seckey: Uint8Array,
    options: {
      hashfn: (x: Uint8Array, y: Uint8Array, data: unknown) => Uint8Array;
      xbuf: Uint8Array;
      ybuf: Uint8Array;
    },
    output: Uint8Array,
  ): Uint8Array;
}

// Big-endian 32 bytes at `at` as a bigint, four 64-bit reads (noble's bytesToNumberBE goes through hex).
function read256(b: Uint8Array, at: number): bigint {
  const v = new DataView(b.buffer, b.byteOffset + at, 32);
  return (
    (v.getBigUint64(0) << 192n) |
    (v.getBigUint64(8) << 128n) |
    (v.getBigUint64(16) << 64n) |
    v.getBigUint64(24)
  );
}

// Writes k (in [0, 2^256)) big-endian into out[0..32).
function write256(out: Uint8Array, k: bigint): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, 32);
  v.setBigUint64(0, k >> 192n);
  v.setBigUint64(8, (k >> 128n) & 0xffffffffffffffffn);
  v.setBigUint64(16, (k >> 64n) & 0xffffffffffffffffn);
  v.setBigUint64(24, k & 0xffffffffffffffffn);
  return out;
}

function dec(b: Uint8Array): Point {
  const P = new PointCons(read256(b, 1), read256(b, 33), 1n);
  rememberEncoding(P, b);
  return P;
}

/**
 * Builds the native backend from the addon. Randomises its context with `seed` (32 random bytes)
 * first. Throws if the addon does not answer a known-answer check (`1⋅G`, `2⋅G`).
 */
export function createNativeBackend(addon: Secp256k1Addon, seed: Uint8Array): CurveBackend {
  addon.contextRandomize(seed);
  const scratch = new Uint8Array(32);
  // mulSecret's buffers: libsecp256k1 hands the shared point's coordinates to `hashfn` through xs/ys,
  // which returns them as one 65-byte encoding (shared); all three are zeroed after each call.
  const xs = new Uint8Array(32);
  const ys = new Uint8Array(32);
  const shared = new Uint8Array(65);
  const hashfn = (x: Uint8Array, y: Uint8Array): Uint8Array => {
    shared[0] = 4;
    shared.set(x, 1);
    shared.set(y, 33);
    return shared;
  };

  function scalar(k: bigint): Uint8Array {
    return write256(new Uint8Array(32), k);
  }

  function mul(P: Point, k: bigint): Point {
    if (k === 0n || P.is0()) return INFINITY;
    if (k === 1n) return P;
    return dec(addon.publicKeyTweakMul(enc(P), scalar(k), false));
  }

  function mulGPublic(b: bigint): Point {
    return b === 0n ? INFINITY : dec(addon.publicKeyCreate(scalar(b), false));
  }

  // Combine fails only when the sum is infinity (every input is a valid point).
  function combine(encoded: Uint8Array[]): Point {
    if (encoded.length === 0) return INFINITY;
    if (encoded.length === 1) return dec(encoded[0] as Uint8Array);
    try {
      return dec(addon.publicKeyCombine(encoded, false));
    } catch {
      return INFINITY;
    }
  }

  const backend: CurveBackend = Object.freeze({
    id: 'native',
    name: 'libsecp256k1 (secp256k1@5 N-API)',
    mulG(k: bigint): Point {
      // Same contract as noble's multiply: k in [1, n).
      if (k <= 0n || k >= PointCons.Fn.ORDER)
        throw new InvalidArgumentError('k', 'expected a scalar in [1, n)');
      try {
        write256(scratch, k);
        return dec(addon.publicKeyCreate(scratch, false));
      } finally {
        scratch.fill(0);
      }
    },
    mulSecret(P: Point, k: bigint): Point {
      if (k <= 0n || k >= PointCons.Fn.ORDER)
        throw new InvalidArgumentError('k', 'expected a scalar in [1, n)');
      if (P.is0()) return INFINITY;
      // secp256k1_ecdh (constant-time ecmult_const), not pubkey_tweak_mul (variable-time ecmult).
      const out = new Uint8Array(65);
      try {
        write256(scratch, k);
        addon.ecdh(enc(P), scratch, { hashfn, xbuf: xs, ybuf: ys }, out);
        return dec(out);
      } finally {
        scratch.fill(0);
        xs.fill(0);
        ys.fill(0);
        shared.fill(0);
      }
    },
    mul,
    mulAddG(P: Point, a: bigint, b: bigint): Point {
      if (a === 0n || P.is0()) return mulGPublic(b);
      if (b === 0n) return mul(P, a);
      const aP = a === 1n ? enc(P) : addon.publicKeyTweakMul(enc(P), scalar(a), false);
      try {
        return dec(addon.publicKeyTweakAdd(aP, scalar(b), false));
      } catch {
        return INFINITY; // a⋅P = −b⋅G
      }
    },
    add(P: Point, Q: Point): Point {
      if (P.is0()) return Q;
      if (Q.is0()) return P;
      return combine([enc(P), enc(Q)]);
    },
    msm(points: readonly Point[], scalars: readonly bigint[]): Point {
      const terms: Uint8Array[] = [];
      for (let i = 0; i < points.length; i++) {
        const P = points[i] as Point;
        const s = scalars[i] as bigint;
        if (s === 0n || P.is0()) continue;
        terms.push(s === 1n ? enc(P) : addon.publicKeyTweakMul(enc(P), scalar(s), false));
      }
      return combine(terms);
    },
    sum(points: readonly Point[]): Point {
      const terms: Uint8Array[] = [];
      for (const P of points) if (!P.is0()) terms.push(enc(P));
      return combine(terms);
    },
    decompress(bytes: Uint8Array): Point | undefined {
      if (bytes.length !== 33 || (bytes[0] !== 2 && bytes[0] !== 3)) return undefined;
      let out: Uint8Array;
      try {
        out = addon.publicKeyConvert(bytes, false);
      } catch {
        return undefined;
      }
      return dec(out);
    },
  });
  // Known answers: a mis-built addon must not be used.
  const G2 = PointCons.BASE.double();
  if (!backend.mulG(1n).equals(PointCons.BASE) || !backend.mul(PointCons.BASE, 2n).equals(G2))
    throw new Error('libsecp256k1 addon failed its known-answer check');
  return backend;
}
