/**
 * BOLT 3 key derivation ("Key Derivation" in 03-transactions.md) and the obscured commitment number,
 * as brief §7 uses them:
 *
 * - `localpubkey`/`delayedpubkey`/`htlcpubkey = basepoint + SHA256(per_commitment_point || basepoint)·G`
 *   ({@link derivePubkey}), and the matching secret ({@link derivePrivkey});
 * - `revocationpubkey = revocation_basepoint·SHA256(revocation_basepoint || per_commitment_point) +
 *   per_commitment_point·SHA256(per_commitment_point || revocation_basepoint)`
 *   ({@link deriveRevocationPubkey}), and its secret, computable only with both the revocation
 *   basepoint secret and the revealed per-commitment secret ({@link deriveRevocationPrivkey});
 * - the obscuring factor: the lower 48 bits of `SHA256(payment_basepoint_LSP ||
 *   payment_basepoint_client)` (the LSP is the funder, BOLT 3's "opener").
 *
 * Not here: the remote payment key. With `option_static_remotekey` (brief §7) it is the remote's
 * `payment_basepoint` itself, untweaked, so the commitment builder uses the basepoint directly.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@superscalar/core';
import { curve, encodePoint } from '@superscalar/secp';
import { assertBigInt, assertBytes, assertInt } from './_assert.js';
import { bytesToBigInt, decodePoint, decodeScalar, N, scalarBytes, secretToPoint } from './_ec.js';
import { InvalidArgumentError } from './errors.js';

function hashScalar(...parts: Uint8Array[]): bigint {
  // A SHA256 output ≥ n has probability ~2^-128; reduce like BOLT 3's reference (mod n).
  return bytesToBigInt(sha256(concatBytes(...parts))) % N;
}

/** The compressed public key of a per-commitment secret: `per_commitment_secret·G` (33 bytes). */
export function perCommitmentPoint(perCommitmentSecret: Uint8Array): Uint8Array {
  const k = decodeScalar(perCommitmentSecret, 'perCommitmentSecret');
  return secretToPoint(k);
}

/**
 * BOLT 3 `localpubkey`, `local_htlcpubkey`, `remote_htlcpubkey`, `local_delayedpubkey`:
 * `basepoint + SHA256(per_commitment_point || basepoint)·G`. 33-byte compressed in and out.
 */
export function derivePubkey(basepoint: Uint8Array, perCommitmentPointBytes: Uint8Array): Uint8Array {
  const B = decodePoint(basepoint, 'basepoint');
  decodePoint(perCommitmentPointBytes, 'perCommitmentPoint');
  const t = hashScalar(perCommitmentPointBytes, basepoint);
  const P = t === 0n ? B : curve().mulAddG(B, 1n, t); // t is public
  if (P.is0()) throw new InvalidArgumentError('perCommitmentPoint', 'derives the point at infinity');
  return encodePoint(P);
}

/**
 * The secret of {@link derivePubkey}: `basepoint_secret + SHA256(per_commitment_point || basepoint)`
 * mod n, with `basepoint = basepoint_secret·G`. 32 bytes in and out.
 */
export function derivePrivkey(basepointSecret: Uint8Array, perCommitmentPointBytes: Uint8Array): Uint8Array {
  const b = decodeScalar(basepointSecret, 'basepointSecret');
  decodePoint(perCommitmentPointBytes, 'perCommitmentPoint');
  const basepoint = secretToPoint(b);
  const k = (b + hashScalar(perCommitmentPointBytes, basepoint)) % N;
  if (k === 0n) throw new InvalidArgumentError('basepointSecret', 'derives the zero key');
  return scalarBytes(k);
}

/**
 * BOLT 3 `revocationpubkey`: `revocation_basepoint·SHA256(revocation_basepoint || per_commitment_point)
 * + per_commitment_point·SHA256(per_commitment_point || revocation_basepoint)`. The revocation
 * basepoint is the counterparty's (the party that can penalise), the point the holder's.
 */
export function deriveRevocationPubkey(
  revocationBasepoint: Uint8Array,
  perCommitmentPointBytes: Uint8Array,
): Uint8Array {
  const R = decodePoint(revocationBasepoint, 'revocationBasepoint');
  const P = decodePoint(perCommitmentPointBytes, 'perCommitmentPoint');
  const a = hashScalar(revocationBasepoint, perCommitmentPointBytes);
  const b = hashScalar(perCommitmentPointBytes, revocationBasepoint);
  // Public inputs only: variable-time multiplication is fine here.
  const sum = curve().msm([R, P], [a, b]);
  if (sum.is0()) throw new InvalidArgumentError('perCommitmentPoint', 'derives the point at infinity');
  return encodePoint(sum);
}

/**
 * The secret of {@link deriveRevocationPubkey}: `revocation_basepoint_secret·SHA256(revocation_basepoint
 * || per_commitment_point) + per_commitment_secret·SHA256(per_commitment_point || revocation_basepoint)`
 * mod n. Only the party holding the revocation basepoint secret, once the holder has revealed the
 * per-commitment secret, can compute it.
 */
export function deriveRevocationPrivkey(
  revocationBasepointSecret: Uint8Array,
  perCommitmentSecret: Uint8Array,
): Uint8Array {
  const r = decodeScalar(revocationBasepointSecret, 'revocationBasepointSecret');
  const p = decodeScalar(perCommitmentSecret, 'perCommitmentSecret');
  const R = secretToPoint(r);
  const P = secretToPoint(p);
  const k = (r * hashScalar(R, P) + p * hashScalar(P, R)) % N;
  if (k === 0n) throw new InvalidArgumentError('perCommitmentSecret', 'derives the zero key');
  return scalarBytes(k);
}

/**
 * BOLT 3 obscuring factor: the lower 48 bits of `SHA256(payment_basepoint_LSP ||
 * payment_basepoint_client)`, the LSP being the funder.
 */
export function obscuringFactor(lspPaymentBasepoint: Uint8Array, clientPaymentBasepoint: Uint8Array): bigint {
  assertBytes(lspPaymentBasepoint, 'lspPaymentBasepoint', 33);
  assertBytes(clientPaymentBasepoint, 'clientPaymentBasepoint', 33);
  const h = sha256(concatBytes(lspPaymentBasepoint, clientPaymentBasepoint));
  return bytesToBigInt(h.subarray(26, 32));
}

/** Largest commitment number: 2^48 − 1. */
export const MAX_COMMITMENT_NUMBER = 2 ** 48 - 1;

const MAX_OBSCURING_FACTOR = (1n << 48n) - 1n;

/**
 * The commitment input's nSequence and the commitment's nLockTime for commitment number `n`:
 * `obscured = n XOR factor`, nSequence `0x80000000 | (obscured >> 24)`, nLockTime
 * `0x20000000 | (obscured & 0xFFFFFF)` (BOLT 3; the disable bit makes the nSequence no relative
 * lock, and the 0x20 prefix makes the nLockTime a time in 1987, always final).
 */
export function obscuredLocks(
  commitmentNumber: number,
  factor: bigint,
): { readonly obscured: bigint; readonly sequence: number; readonly locktime: number } {
  assertInt(commitmentNumber, 'commitmentNumber', 0, MAX_COMMITMENT_NUMBER);
  assertBigInt(factor, 'factor', 0n, MAX_OBSCURING_FACTOR);
  const obscured = BigInt(commitmentNumber) ^ factor;
  return {
    obscured,
    sequence: (0x80000000 | Number(obscured >> 24n)) >>> 0,
    locktime: (0x20000000 | Number(obscured & 0xffffffn)) >>> 0,
  };
}

/** The commitment number hidden in a commitment's nSequence and nLockTime (inverse of {@link obscuredLocks}). */
export function commitmentNumberFromLocks(sequence: number, locktime: number, factor: bigint): number {
  assertInt32(sequence, 'sequence');
  assertInt32(locktime, 'locktime');
  assertBigInt(factor, 'factor', 0n, MAX_OBSCURING_FACTOR);
  const obscured = (BigInt(sequence & 0xffffff) << 24n) | BigInt(locktime & 0xffffff);
  return Number(obscured ^ factor);
}

function assertInt32(v: unknown, name: string): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new InvalidArgumentError(name, `expected a uint32, got ${String(v)}`);
}
