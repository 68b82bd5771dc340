/**
 * BIP341 taproot outputs: TapLeaf and TapBranch hashes, script trees with each leaf's Merkle path,
 * the TapTweak, the tweaked output key and its P2TR scriptPubKey, control blocks, and the tweaked
 * secret key of a key-path spend ("taproot_tweak_pubkey" and "taproot_tweak_seckey").
 *
 * Does not: aggregate keys (MuSig2 internal keys come from `@superscalar/musig2`; its `applyTweak`
 * with {@link taprootTweak} gives the same output key as {@link taprootOutput}).
 *
 * @module
 */
import { curve, encodePoint, n as N, p as P, type Point as Pt } from '@superscalar/secp';
import { taggedHash } from './_hash.js';
import { InvalidArgumentError } from './errors.js';
import { compactSizeLen, Writer } from './io.js';

/** The tapscript leaf version (BIP342). */
export const TAPSCRIPT_LEAF_VERSION = 0xc0;

function bytesToBigInt(b: Uint8Array): bigint {
  let k = 0n;
  for (const x of b) k = (k << 8n) | BigInt(x);
  return k;
}

function scalarBytes(k: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = k;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function assertBytes(v: unknown, len: number, argument: string): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== len)
    throw new InvalidArgumentError(argument, `expected ${len} bytes`);
}

// lift_x costs a square root; builders lift the same few internal keys again and again.
const lifted = new Map<string, Pt | null>();
const LIFT_CACHE = 4096;

function hexOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** BIP340 `lift_x`: the even-y point with x-coordinate `x`. */
function liftX(x: Uint8Array, argument: string): Pt {
  const key = hexOf(x);
  let pt = lifted.get(key);
  if (pt === undefined) {
    const v = bytesToBigInt(x);
    pt = null;
    if (v < P) {
      const c = new Uint8Array(33);
      c[0] = 0x02;
      c.set(x, 1);
      pt = curve().decompress(c) ?? null;
    }
    if (lifted.size >= LIFT_CACHE) lifted.delete(lifted.keys().next().value as string);
    lifted.set(key, pt);
  }
  if (pt === null) throw new InvalidArgumentError(argument, 'not the x-coordinate of a secp256k1 point');
  return pt;
}

/** "hash_TapLeaf(v || compact_size(size of s) || s)". */
export function tapLeafHash(script: Uint8Array, leafVersion: number = TAPSCRIPT_LEAF_VERSION): Uint8Array {
  if (!(script instanceof Uint8Array)) throw new InvalidArgumentError('script', 'expected a Uint8Array');
  if (!Number.isInteger(leafVersion) || leafVersion < 0 || leafVersion > 0xfe || (leafVersion & 1) !== 0)
    throw new InvalidArgumentError('leafVersion', 'expected an even byte');
  const len = new Writer(compactSizeLen(script.length));
  len.compactSize(script.length);
  return taggedHash('TapLeaf', Uint8Array.of(leafVersion), len.finish(), script);
}

/** "hash_TapBranch(min(a, b) || max(a, b))" of two 32-byte node hashes. */
export function tapBranchHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  assertBytes(a, 32, 'a');
  assertBytes(b, 32, 'b');
  for (let i = 0; i < 32; i++) {
    if (a[i] !== b[i])
      return (a[i] as number) < (b[i] as number)
        ? taggedHash('TapBranch', a, b)
        : taggedHash('TapBranch', b, a);
  }
  return taggedHash('TapBranch', a, b);
}

/** A leaf of a script tree. */
export interface TapLeaf {
  /** The leaf script. */
  readonly script: Uint8Array;
  /** Its leaf version (default {@link TAPSCRIPT_LEAF_VERSION}). */
  readonly leafVersion?: number;
}

/** A script tree: a leaf, or a pair of subtrees (BIP341's nested lists of depth at most 128). */
export type TapTree = TapLeaf | readonly [TapTree, TapTree];

/** A leaf of a built script tree, with what spending it needs. */
export interface TapTreeLeaf {
  /** The leaf script. */
  readonly script: Uint8Array;
  /** Its leaf version. */
  readonly leafVersion: number;
  /** Its TapLeaf hash (the `leafHash` of its script-path sighash). */
  readonly leafHash: Uint8Array;
  /** Sibling hashes from the leaf up to the root (the control block's Merkle path). */
  readonly path: readonly Uint8Array[];
}

/** A built script tree: its Merkle root and its leaves in depth-first, left-to-right order. */
export interface TapTreeInfo {
  /** The Merkle root (the leaf hash for a one-leaf tree). */
  readonly merkleRoot: Uint8Array;
  /** Every leaf, depth-first left to right. */
  readonly leaves: readonly TapTreeLeaf[];
}

/**
 * Builds a script tree: each leaf's hash and Merkle path, and the root (BIP341 `taproot_tree_helper`).
 *
 * @throws {InvalidArgumentError} a malformed tree or one deeper than 128.
 */
export function tapTree(tree: TapTree): TapTreeInfo {
  const leaves: { script: Uint8Array; leafVersion: number; leafHash: Uint8Array; path: Uint8Array[] }[] = [];
  const walk = (t: TapTree, depth: number, at: string): { hash: Uint8Array; from: number } => {
    if (depth > 128) throw new InvalidArgumentError(at, 'script tree deeper than 128');
    if (Array.isArray(t)) {
      if (t.length !== 2) throw new InvalidArgumentError(at, 'expected a leaf or a pair of subtrees');
      const from = leaves.length;
      const left = walk(t[0], depth + 1, `${at}[0]`);
      const mid = leaves.length;
      const right = walk(t[1], depth + 1, `${at}[1]`);
      for (let i = from; i < mid; i++) (leaves[i] as { path: Uint8Array[] }).path.push(right.hash);
      for (let i = mid; i < leaves.length; i++) (leaves[i] as { path: Uint8Array[] }).path.push(left.hash);
      return { hash: tapBranchHash(left.hash, right.hash), from };
    }
    const leaf = t as TapLeaf;
    if (typeof leaf !== 'object' || leaf === null || !(leaf.script instanceof Uint8Array))
      throw new InvalidArgumentError(at, 'expected { script, leafVersion? }');
    const leafVersion = leaf.leafVersion ?? TAPSCRIPT_LEAF_VERSION;
    const leafHash = tapLeafHash(leaf.script, leafVersion);
    leaves.push({ script: Uint8Array.from(leaf.script), leafVersion, leafHash, path: [] });
    return { hash: leafHash, from: leaves.length - 1 };
  };
  const root = walk(tree, 0, 'tree');
  return { merkleRoot: root.hash, leaves };
}

/** BIP341 TapTweak `t = hash_TapTweak(P || merkleRoot)` (`hash_TapTweak(P)` without a script tree). */
export function taprootTweak(internalKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  assertBytes(internalKey, 32, 'internalKey');
  if (merkleRoot === undefined) return taggedHash('TapTweak', internalKey);
  assertBytes(merkleRoot, 32, 'merkleRoot');
  return taggedHash('TapTweak', internalKey, merkleRoot);
}

/** A taproot output key and what spending it needs. */
export interface TaprootKey {
  /** x-only internal key P. */
  readonly internalKey: Uint8Array;
  /** The script tree's Merkle root, or undefined for a key-path-only (BIP86) output. */
  readonly merkleRoot: Uint8Array | undefined;
  /** The 32-byte TapTweak t. */
  readonly tweak: Uint8Array;
  /** x-only output key Q = P + t·G. */
  readonly outputKey: Uint8Array;
  /** Parity of Q's y (0 even, 1 odd), the low bit of a control block's first byte. */
  readonly parity: 0 | 1;
  /** The P2TR scriptPubKey `OP_1 <Q>`. */
  readonly script: Uint8Array;
}

/**
 * BIP341 `taproot_tweak_pubkey`: the output key of x-only internal key `internalKey` committing to
 * `merkleRoot` (none: BIP86), and its scriptPubKey.
 *
 * @throws {InvalidArgumentError} an internal key that is not a point's x-coordinate, or a tweak ≥ n
 * (probability about 2^-128).
 */
export function taprootOutput(internalKey: Uint8Array, merkleRoot?: Uint8Array): TaprootKey {
  const tweak = taprootTweak(internalKey, merkleRoot);
  const t = bytesToBigInt(tweak);
  if (t >= N) throw new InvalidArgumentError('merkleRoot', 'taproot tweak out of range');
  const Q = curve().mulAddG(liftX(internalKey, 'internalKey'), 1n, t); // t is public
  if (Q.is0()) throw new InvalidArgumentError('internalKey', 'tweaked key is infinity');
  const q = encodePoint(Q);
  const outputKey = q.slice(1);
  return Object.freeze({
    internalKey: Uint8Array.from(internalKey),
    merkleRoot: merkleRoot === undefined ? undefined : Uint8Array.from(merkleRoot),
    tweak,
    outputKey,
    parity: q[0] === 0x03 ? 1 : 0,
    script: p2trScript(outputKey),
  });
}

/** The P2TR scriptPubKey `OP_1 <32-byte output key>`. */
export function p2trScript(outputKey: Uint8Array): Uint8Array {
  assertBytes(outputKey, 32, 'outputKey');
  const s = new Uint8Array(34);
  s[0] = 0x51;
  s[1] = 0x20;
  s.set(outputKey, 2);
  return s;
}

/**
 * A script-path control block: `(leafVersion | parity(Q)) || P || path…`.
 *
 * @throws {InvalidArgumentError} a path longer than 128 or an element not 32 bytes.
 */
export function controlBlock(
  key: Pick<TaprootKey, 'internalKey' | 'parity'>,
  leaf: Pick<TapTreeLeaf, 'leafVersion' | 'path'>,
): Uint8Array {
  assertBytes(key.internalKey, 32, 'key.internalKey');
  if (leaf.path.length > 128) throw new InvalidArgumentError('leaf.path', 'longer than 128');
  const out = new Uint8Array(33 + 32 * leaf.path.length);
  out[0] = (leaf.leafVersion & 0xfe) | (key.parity & 1);
  out.set(key.internalKey, 1);
  leaf.path.forEach((h, i) => {
    assertBytes(h, 32, `leaf.path[${i}]`);
    out.set(h, 33 + 32 * i);
  });
  return out;
}

/**
 * BIP341 `taproot_tweak_seckey`: the secret key that signs a key-path spend of the output whose
 * internal key is `secretKey`'s public key (negated first when its y is odd), committing to
 * `merkleRoot` (none: BIP86).
 *
 * @throws {InvalidArgumentError} a secret key of 0 or ≥ n, or a tweak that makes it so.
 */
export function tweakSecretKey(secretKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  assertBytes(secretKey, 32, 'secretKey');
  const d0 = bytesToBigInt(secretKey);
  if (d0 === 0n || d0 >= N) throw new InvalidArgumentError('secretKey', 'not a valid secret key (0 or ≥ n)');
  const p = encodePoint(curve().mulG(d0)); // constant time: d0 is secret
  const d = p[0] === 0x02 ? d0 : N - d0;
  const t = bytesToBigInt(taprootTweak(p.subarray(1), merkleRoot));
  if (t >= N) throw new InvalidArgumentError('merkleRoot', 'taproot tweak out of range');
  const k = (d + t) % N;
  if (k === 0n) throw new InvalidArgumentError('secretKey', 'tweaked secret key is zero');
  return scalarBytes(k);
}
