/**
 * BIP341 taproot commitments: tagged hashes, leaf and branch hashes, the output-key tweak, control
 * blocks and their verification against a witness program. Helpers to build outputs and script-path
 * witnesses live here too, so tests and SimChain can construct spends independently of the builders.
 */

import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { InvalidArgumentError } from '../errors.js';
import { compactSizeLength, concatBytes, equalBytes, Writer } from '../tx/_bytes.js';

const tagCache = new Map<string, Uint8Array>();

/** BIP340 tagged hash: SHA256(SHA256(tag) ‖ SHA256(tag) ‖ msg…). */
export function taggedHash(tag: string, ...msgs: Uint8Array[]): Uint8Array {
  let t = tagCache.get(tag);
  if (!t) {
    const h = sha256(new TextEncoder().encode(tag));
    t = concatBytes(h, h);
    tagCache.set(tag, t);
  }
  const hasher = sha256.create().update(t);
  for (const m of msgs) hasher.update(m);
  return hasher.digest();
}

/** Leaf version of BIP342 tapscript. */
export const TAPROOT_LEAF_TAPSCRIPT = 0xc0;
/** Mask of the leaf version in a control block's first byte. */
export const TAPROOT_LEAF_MASK = 0xfe;
/** Control block size without path: leaf-version/parity byte and the 32-byte internal key. */
export const TAPROOT_CONTROL_BASE_SIZE = 33;
/** Size of one merkle path node in a control block. */
export const TAPROOT_CONTROL_NODE_SIZE = 32;
/** Maximum merkle path length (tree depth). */
export const TAPROOT_CONTROL_MAX_NODE_COUNT = 128;
/** Maximum control block size: 33 + 32·128. */
export const TAPROOT_CONTROL_MAX_SIZE =
  TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * TAPROOT_CONTROL_MAX_NODE_COUNT;
/** The annex tag: a last witness item starting with 0x50 (with ≥ 2 items) is the annex. */
export const ANNEX_TAG = 0x50;

/** TapLeaf hash: tagged("TapLeaf", leafVersion ‖ compactSize(script) ‖ script). */
export function tapLeafHash(script: Uint8Array, leafVersion: number = TAPROOT_LEAF_TAPSCRIPT): Uint8Array {
  const w = new Writer(script.length + 1 + compactSizeLength(script.length));
  w.u8(leafVersion).varBytes(script);
  return taggedHash('TapLeaf', w.finish());
}

function lexLess(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** TapBranch hash of two children, in lexicographic order. */
export function tapBranchHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  return lexLess(a, b) ? taggedHash('TapBranch', a, b) : taggedHash('TapBranch', b, a);
}

/** TapTweak hash of an x-only internal key and an optional merkle root (absent: BIP86 key-only). */
export function tapTweakHash(internalKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  return merkleRoot ? taggedHash('TapTweak', internalKey, merkleRoot) : taggedHash('TapTweak', internalKey);
}

const CURVE_N = secp256k1.Point.CURVE().n;
const G = secp256k1.Point.BASE;

function toBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function liftX(x: Uint8Array): InstanceType<typeof secp256k1.Point> | undefined {
  try {
    return secp256k1.Point.fromBytes(concatBytes(Uint8Array.of(0x02), x));
  } catch {
    return undefined;
  }
}

/**
 * The tweaked output key Q = P + t·G with t = TapTweak(P ‖ root) (BIP341 `taproot_tweak_pubkey`).
 * Returns undefined when P is not a valid x-only key, t ≥ n, or Q is infinity.
 */
export function taprootTweakPubkey(
  internalKey: Uint8Array,
  merkleRoot?: Uint8Array,
): { outputKey: Uint8Array; parity: 0 | 1 } | undefined {
  if (internalKey.length !== 32) return undefined;
  const P = liftX(internalKey);
  if (!P) return undefined;
  const t = toBigInt(tapTweakHash(internalKey, merkleRoot));
  if (t >= CURVE_N) return undefined;
  const Q = t === 0n ? P : P.add(G.multiply(t));
  if (Q.equals(secp256k1.Point.ZERO)) return undefined;
  const enc = Q.toBytes(true);
  return { outputKey: enc.subarray(1), parity: enc[0] === 0x03 ? 1 : 0 };
}

/** The scriptPubKey `OP_1 <32-byte output key>`. */
export function p2trScript(outputKey: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x51, 0x20), outputKey);
}

/** The merkle root a control block commits to for a leaf hash (BIP341 script-path steps). */
export function controlBlockMerkleRoot(control: Uint8Array, leafHash: Uint8Array): Uint8Array {
  let k = leafHash;
  for (
    let i = TAPROOT_CONTROL_BASE_SIZE;
    i + TAPROOT_CONTROL_NODE_SIZE <= control.length;
    i += TAPROOT_CONTROL_NODE_SIZE
  ) {
    k = tapBranchHash(k, control.subarray(i, i + TAPROOT_CONTROL_NODE_SIZE));
  }
  return k;
}

/** Checks that a control block and leaf hash commit to the 32-byte witness program (Core's VerifyTaprootCommitment). */
export function verifyTaprootCommitment(
  control: Uint8Array,
  program: Uint8Array,
  leafHash: Uint8Array,
): boolean {
  const internal = control.subarray(1, TAPROOT_CONTROL_BASE_SIZE);
  const root = controlBlockMerkleRoot(control, leafHash);
  const q = taprootTweakPubkey(internal, root);
  if (!q) return false;
  return equalBytes(q.outputKey, program) && q.parity === (control[0]! & 1);
}

/** A script tree: a leaf, or a pair of subtrees (BIP341's nested-list form). */
export type TapTree = { script: Uint8Array; leafVersion?: number } | readonly [TapTree, TapTree];

/** A leaf with its control-block path (sibling hashes from the leaf up). */
export interface TapLeafInfo {
  readonly script: Uint8Array;
  readonly leafVersion: number;
  readonly leafHash: Uint8Array;
  readonly path: readonly Uint8Array[];
}

/** Walks a script tree: its merkle root and every leaf with its path (BIP341 `taproot_tree_helper`). */
export function tapTreeInfo(tree: TapTree): { root: Uint8Array; leaves: TapLeafInfo[] } {
  if (!Array.isArray(tree)) {
    const leaf = tree as { script: Uint8Array; leafVersion?: number };
    const leafVersion = leaf.leafVersion ?? TAPROOT_LEAF_TAPSCRIPT;
    const leafHash = tapLeafHash(leaf.script, leafVersion);
    return { root: leafHash, leaves: [{ script: leaf.script, leafVersion, leafHash, path: [] }] };
  }
  const [l, r] = tree as readonly [TapTree, TapTree];
  const left = tapTreeInfo(l);
  const right = tapTreeInfo(r);
  const leaves = [
    ...left.leaves.map((x) => ({ ...x, path: [...x.path, right.root] })),
    ...right.leaves.map((x) => ({ ...x, path: [...x.path, left.root] })),
  ];
  return { root: tapBranchHash(left.root, right.root), leaves };
}

/**
 * A taproot output for an x-only internal key and an optional script tree: the scriptPubKey, output
 * key, parity, merkle root, and per leaf the control block a script-path spend needs.
 */
export function taprootOutput(
  internalKey: Uint8Array,
  tree?: TapTree,
): {
  script: Uint8Array;
  outputKey: Uint8Array;
  parity: 0 | 1;
  merkleRoot: Uint8Array | undefined;
  leaves: (TapLeafInfo & { controlBlock: Uint8Array })[];
} {
  const info = tree ? tapTreeInfo(tree) : undefined;
  const tweaked = taprootTweakPubkey(internalKey, info?.root);
  if (!tweaked) throw new InvalidArgumentError('internalKey', 'not a valid x-only public key');
  const leaves = (info?.leaves ?? []).map((leaf) => ({
    ...leaf,
    controlBlock: concatBytes(Uint8Array.of(leaf.leafVersion | tweaked.parity), internalKey, ...leaf.path),
  }));
  return {
    script: p2trScript(tweaked.outputKey),
    outputKey: tweaked.outputKey,
    parity: tweaked.parity,
    merkleRoot: info?.root,
    leaves,
  };
}
