// Test helpers: build single-input spends of P2TR / P2WPKH / P2WSH outputs with this package's own
// taproot and sighash helpers, signed with noble primitives.
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  compileScript,
  OP,
  ScriptError,
  SighashCache,
  segwitV0Sighash,
  taprootSighash,
  tapTweakHash,
  verifyInput,
} from '../../src/script/index.js';
import { createTx, type Tx, type TxOut } from '../../src/tx/index.js';

export const N = secp256k1.Point.CURVE().n;
const toBig = (b: Uint8Array): bigint => BigInt(`0x${bytesToHex(b)}`);
const to32 = (v: bigint): Uint8Array => hexToBytes(v.toString(16).padStart(64, '0'));

/** A deterministic secret key from a small seed (never zero). */
export function secretKey(seed: number): Uint8Array {
  return to32((toBig(sha256(Uint8Array.of(seed & 0xff, (seed >> 8) & 0xff, 7))) % (N - 1n)) + 1n);
}
export const xonly = (sk: Uint8Array): Uint8Array => schnorr.getPublicKey(sk);
export const compressed = (sk: Uint8Array): Uint8Array => secp256k1.getPublicKey(sk, true);
export const hash160 = (b: Uint8Array): Uint8Array => ripemd160(sha256(b));

/** BIP341 taproot_tweak_seckey. */
export function tweakSecretKey(sk: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  const P = secp256k1.Point.BASE.multiply(toBig(sk));
  const d = P.toBytes(true)[0] === 0x02 ? toBig(sk) : N - toBig(sk);
  return to32((d + toBig(tapTweakHash(P.toBytes(true).subarray(1), merkleRoot))) % N);
}

/** A one-input, one-output spend of `prev` (value `prevValue`). */
export function spendTx(opts: {
  version?: number;
  locktime?: number;
  sequence?: number;
  outputValue?: bigint;
  extraInputs?: number;
}): Tx {
  const inputs = [
    { prevTxid: new Uint8Array(32).fill(0xaa), vout: 0, sequence: opts.sequence ?? 0xfffffffd },
  ];
  for (let k = 0; k < (opts.extraInputs ?? 0); k++)
    inputs.push({ prevTxid: new Uint8Array(32).fill(0xbb), vout: k, sequence: 0xffffffff });
  return createTx({
    version: opts.version ?? 2,
    locktime: opts.locktime ?? 0,
    inputs,
    outputs: [
      { value: opts.outputValue ?? 90_000n, script: compileScript([OP.OP_1, new Uint8Array(32).fill(3)]) },
    ],
  });
}

/** Replaces input `i`'s witness (and scriptSig). */
export function withWitness(tx: Tx, i: number, witness: Uint8Array[], scriptSig?: Uint8Array): Tx {
  return createTx({
    ...tx,
    inputs: tx.inputs.map((inp, k) =>
      k === i
        ? { ...inp, witness, scriptSig: scriptSig ?? inp.scriptSig }
        : { ...inp, witness: [...inp.witness] },
    ),
  });
}

/** Schnorr signature over the BIP341/342 sighash, with the hash-type byte unless SIGHASH_DEFAULT. */
export function signTaproot(
  tx: Tx,
  i: number,
  spent: readonly TxOut[],
  sk: Uint8Array,
  opts: { hashType?: number; leafHash?: Uint8Array; annex?: Uint8Array; codeSeparatorPos?: number } = {},
): Uint8Array {
  const hashType = opts.hashType ?? 0;
  const hash = taprootSighash(tx, i, spent, hashType, {
    cache: new SighashCache(tx, spent),
    ...(opts.leafHash ? { leafHash: opts.leafHash } : {}),
    ...(opts.annex ? { annex: opts.annex } : {}),
    ...(opts.codeSeparatorPos !== undefined ? { codeSeparatorPos: opts.codeSeparatorPos } : {}),
  });
  if (!hash) throw new Error('no sighash');
  const sig = schnorr.sign(hash, sk, new Uint8Array(32));
  return hashType === 0 ? sig : Uint8Array.of(...sig, hashType);
}

/** DER ECDSA signature (low S unless `highS`) over the BIP143 sighash, plus the hash-type byte. */
export function signV0(
  tx: Tx,
  i: number,
  scriptCode: Uint8Array,
  amount: bigint,
  sk: Uint8Array,
  opts: { hashType?: number; highS?: boolean } = {},
): Uint8Array {
  const hashType = opts.hashType ?? 1;
  const hash = segwitV0Sighash(tx, i, scriptCode, amount, hashType);
  let sig = secp256k1.Signature.fromBytes(
    secp256k1.sign(hash, sk, { prehash: false, lowS: true }),
    'compact',
  );
  if (opts.highS) sig = new secp256k1.Signature(sig.r, N - sig.s);
  return Uint8Array.of(...sig.toBytes('der'), hashType);
}

/** Runs verifyInput; returns 'OK' or the ScriptError code. */
export function check(tx: Tx, i: number, spent: readonly TxOut[], flags: number): string {
  try {
    verifyInput(tx, i, spent, flags);
    return 'OK';
  } catch (e) {
    if (ScriptError.isInstance(e)) return e.scriptError;
    throw e;
  }
}
