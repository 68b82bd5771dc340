// Test-only transaction kit: P2TR outputs (key path and one-leaf script path) built with
// @noble/curves, sighashes from @scure/btc-signer (an implementation independent of src/script),
// signatures from noble's schnorr, serialisation with the package's codec.
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { SigHash, Transaction } from '@scure/btc-signer';
import { fromHex, toHex } from '@superscalar/core';
import { createTx, encodeTx, fromDisplayHex, type Tx, type TxOut, vsize } from '../index.js';

const { taggedHash, lift_x, pointToBytes } = schnorr.utils;
const N = secp256k1.Point.CURVE().n;

const mod = (a: bigint): bigint => ((a % N) + N) % N;
const toBig = (b: Uint8Array): bigint => BigInt(`0x${toHex(b) || '0'}`);
const to32 = (n: bigint): Uint8Array => fromHex(n.toString(16).padStart(64, '0'));

/** P2A anchor output script `OP_1 <0x4e73>`. */
export const P2A = Uint8Array.of(0x51, 0x02, 0x4e, 0x73);

/** A deterministic key from a small seed. */
export function key(seed: number): { priv: Uint8Array; xonly: Uint8Array } {
  const priv = to32(
    mod(toBig(taggedHash('superscalar/chain/test-key', Uint8Array.of(seed & 0xff, seed >> 8)))),
  );
  return { priv, xonly: schnorr.getPublicKey(priv) };
}

/** BIP341 leaf hash for leaf version 0xc0. */
export function tapLeafHash(script: Uint8Array): Uint8Array {
  const len =
    script.length < 0xfd
      ? Uint8Array.of(script.length)
      : Uint8Array.of(0xfd, script.length & 0xff, script.length >> 8);
  return taggedHash('TapLeaf', Uint8Array.of(0xc0), len, script);
}

/** Tweaks an x-only key: Q = P + H_TapTweak(P || root)·G. */
function tweak(xonly: Uint8Array, root: Uint8Array): { q: Uint8Array; parity: number; t: bigint } {
  const t = mod(toBig(taggedHash('TapTweak', xonly, root)));
  const Q = lift_x(toBig(xonly)).add(secp256k1.Point.BASE.multiply(t));
  return { q: pointToBytes(Q), parity: Q.toAffine().y & 1n ? 1 : 0, t };
}

/** A P2TR output with no script tree (BIP86 tweak). */
export function p2trKeyPath(k: { priv: Uint8Array; xonly: Uint8Array }): {
  script: Uint8Array;
  priv: Uint8Array;
} {
  const { q, t } = tweak(k.xonly, new Uint8Array(0));
  // Signing key: d' = (d or n − d so that P has even y) + t.
  const P = secp256k1.Point.BASE.multiply(toBig(k.priv));
  const d = P.toAffine().y & 1n ? N - toBig(k.priv) : toBig(k.priv);
  return { script: Uint8Array.from([0x51, 0x20, ...q]), priv: to32(mod(d + t)) };
}

/** A P2TR output whose only leaf is `leaf`; returns the output script and the 33-byte control block. */
export function p2trLeaf(
  internal: Uint8Array,
  leaf: Uint8Array,
): { script: Uint8Array; control: Uint8Array } {
  const { q, parity } = tweak(internal, tapLeafHash(leaf));
  return {
    script: Uint8Array.from([0x51, 0x20, ...q]),
    control: Uint8Array.from([0xc0 | parity, ...internal]),
  };
}

/** Minimal CScriptNum push. */
export function pushNum(n: number): Uint8Array {
  if (n === 0) return Uint8Array.of(0);
  if (n >= 1 && n <= 16) return Uint8Array.of(0x50 + n);
  const bytes: number[] = [];
  let v = n;
  while (v > 0) {
    bytes.push(v & 0xff);
    v = Math.floor(v / 256);
  }
  if (bytes[bytes.length - 1]! & 0x80) bytes.push(0);
  return Uint8Array.from([bytes.length, ...bytes]);
}

/** `<n> OP_CHECKLOCKTIMEVERIFY OP_DROP <xonly> OP_CHECKSIG`. */
export const cltvLeaf = (n: number, xonly: Uint8Array): Uint8Array =>
  Uint8Array.from([...pushNum(n), 0xb1, 0x75, 0x20, ...xonly, 0xac]);
/** `<n> OP_CHECKSEQUENCEVERIFY OP_DROP <xonly> OP_CHECKSIG`. */
export const csvLeaf = (n: number, xonly: Uint8Array): Uint8Array =>
  Uint8Array.from([...pushNum(n), 0xb2, 0x75, 0x20, ...xonly, 0xac]);

/** An input to spend. */
export interface Spendable {
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  readonly script: Uint8Array;
}

/** How to satisfy an input: key path with a tweaked key, a one-leaf script path, or P2A (empty). */
export type Signer =
  | { readonly kind: 'key'; readonly priv: Uint8Array }
  | {
      readonly kind: 'leaf';
      readonly priv: Uint8Array;
      readonly leaf: Uint8Array;
      readonly control: Uint8Array;
    }
  | { readonly kind: 'anchor' };

/** Options of {@link spend}. */
export interface SpendSpec {
  readonly inputs: readonly {
    readonly from: Spendable;
    readonly signer: Signer;
    readonly sequence?: number;
  }[];
  readonly outputs: readonly TxOut[];
  readonly version?: number;
  readonly locktime?: number;
}

function sighash(tx: Tx, idx: number, prevouts: readonly Spendable[], leaf?: Uint8Array): Uint8Array {
  const st = Transaction.fromRaw(encodeTx(tx), {
    allowUnknownOutputs: true,
    allowUnknownInputs: true,
    disableScriptCheck: true,
    allowUnknownVersion: true,
  });
  return st.preimageWitnessV1(
    idx,
    prevouts.map((p) => p.script),
    SigHash.DEFAULT,
    prevouts.map((p) => p.value),
    -1,
    leaf,
    leaf === undefined ? undefined : 0xc0,
  );
}

/** Builds and signs a transaction; returns it with its raw bytes. */
export function spend(spec: SpendSpec): { tx: Tx; raw: Uint8Array; vsize: number } {
  const base = {
    version: spec.version ?? 2,
    locktime: spec.locktime ?? 0,
    outputs: spec.outputs,
  };
  const inputs = spec.inputs.map((i) => ({
    prevTxid: fromDisplayHex(i.from.txid),
    vout: i.from.vout,
    sequence: i.sequence ?? 0xfffffffd,
  }));
  const unsigned = createTx({ ...base, inputs });
  const prevouts = spec.inputs.map((i) => i.from);
  const witnesses = spec.inputs.map((i, idx): Uint8Array[] => {
    const s = i.signer;
    if (s.kind === 'anchor') return [];
    if (s.kind === 'key') return [schnorr.sign(sighash(unsigned, idx, prevouts), s.priv, new Uint8Array(32))];
    return [
      schnorr.sign(sighash(unsigned, idx, prevouts, s.leaf), s.priv, new Uint8Array(32)),
      s.leaf,
      s.control,
    ];
  });
  const tx = createTx({ ...base, inputs: inputs.map((i, k) => ({ ...i, witness: witnesses[k]! })) });
  return { tx, raw: encodeTx(tx), vsize: vsize(tx) };
}

/** Corrupts the first byte of input `idx`'s first witness item (an invalid signature). */
export function corruptSig(tx: Tx, idx = 0): Uint8Array {
  const t = createTx({
    version: tx.version,
    locktime: tx.locktime,
    outputs: tx.outputs,
    inputs: tx.inputs.map((i, k) => ({
      ...i,
      witness:
        k === idx
          ? [Uint8Array.from(i.witness[0]!.map((b, j) => (j === 0 ? b ^ 1 : b))), ...i.witness.slice(1)]
          : i.witness,
    })),
  });
  return encodeTx(t);
}
