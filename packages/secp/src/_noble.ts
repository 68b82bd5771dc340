// The @noble/curves backend: pure JavaScript, runs everywhere (browsers, workers, Node without the
// native module). The reference the native backend is tested against.
import { mulAddUnsafe, pippenger } from '@noble/curves/abstract/curve.js';
import { type CurveBackend, G, INFINITY, n, type Point, PointCons } from './backend.js';
import { InvalidArgumentError } from './errors.js';

/**
 * Above this many terms an MSM uses Pippenger's bucket method; at or below it, interleaved Straus
 * (measured on noble's secp256k1: Straus costs about 0.4 ms per term at every size, Pippenger falls
 * below that only past roughly 768 terms).
 */
const PIPPENGER_THRESHOLD = 768;

function mul(P: Point, k: bigint): Point {
  return k === 0n || P.is0() ? INFINITY : P.multiplyUnsafe(k);
}

/** The @noble/curves backend (default outside Node, and in Node when the native module does not load). */
export const nobleBackend: CurveBackend = Object.freeze({
  id: 'noble',
  name: '@noble/curves',
  mulG(k: bigint): Point {
    if (k <= 0n || k >= n) throw new InvalidArgumentError('k', 'expected a scalar in [1, n)');
    return G.multiply(k);
  },
  mulSecret(P: Point, k: bigint): Point {
    if (k <= 0n || k >= n) throw new InvalidArgumentError('k', 'expected a scalar in [1, n)');
    return P.is0() ? INFINITY : P.multiply(k);
  },
  mul,
  mulAddG(P: Point, a: bigint, b: bigint): Point {
    return mul(G, b).add(mul(P, a));
  },
  add(P: Point, Q: Point): Point {
    return P.add(Q);
  },
  msm(points: readonly Point[], scalars: readonly bigint[]): Point {
    // Terms with coefficient 1 (KeyAgg's second key, batch verification's first item) need no
    // multiplication.
    const ps: Point[] = [];
    const ss: bigint[] = [];
    let acc = INFINITY;
    for (let i = 0; i < points.length; i++) {
      const s = scalars[i] as bigint;
      const P = points[i] as Point;
      if (s === 0n || P.is0()) continue;
      if (s === 1n) acc = acc.add(P);
      else {
        ps.push(P);
        ss.push(s);
      }
    }
    if (ps.length === 0) return acc;
    if (ps.length === 1) return acc.add((ps[0] as Point).multiplyUnsafe(ss[0] as bigint));
    const sum =
      ps.length > PIPPENGER_THRESHOLD ? pippenger(PointCons, ps, ss) : mulAddUnsafe(PointCons, ps, ss);
    return acc.add(sum);
  },
  sum(points: readonly Point[]): Point {
    let acc = INFINITY;
    for (const P of points) acc = acc.add(P);
    return acc;
  },
  decompress(bytes: Uint8Array): Point | undefined {
    if (bytes.length !== 33 || (bytes[0] !== 2 && bytes[0] !== 3)) return undefined;
    try {
      return PointCons.fromBytes(bytes);
    } catch {
      return undefined;
    }
  },
});
