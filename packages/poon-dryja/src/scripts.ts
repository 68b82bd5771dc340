/**
 * The commitment's output scripts (brief §7) and the taproot trees they sit in. Every leaf is a
 * tapscript (leaf version `0xc0`), numbers are minimal CScriptNum pushes, keys x-only (BIP340):
 *
 * - `to_local`: internal key `revocationpubkey`, leaf `<toSelfDelay> OP_CHECKSEQUENCEVERIFY OP_DROP
 *   <delayedpubkey> OP_CHECKSIG` ({@link toLocalLeaf});
 * - `to_remote`: internal key the BIP341 NUMS point ({@link NUMS_XONLY}), leaf `<remote_paymentkey>
 *   OP_CHECKSIGVERIFY OP_1 OP_CHECKSEQUENCEVERIFY` ({@link toRemoteLeaf});
 * - offered HTLC (offered by the holder): success (remote) {@link offeredHtlcSuccessLeaf}, timeout
 *   (local) {@link offeredHtlcTimeoutLeaf};
 * - received HTLC (offered by the remote): success (local) {@link receivedHtlcSuccessLeaf}, timeout
 *   (remote) {@link receivedHtlcTimeoutLeaf}; both HTLC kinds with internal key `revocationpubkey`;
 * - the P2A anchor `OP_1 <0x4e73>` (`@superscalar/tx`'s `P2A_SCRIPT`).
 *
 * The payment hash is the SHA256 of the preimage (`OP_SHA256`; no RIPEMD160 as in BOLT 3's segwit-v0
 * scripts).
 *
 * @module
 */
import { concatBytes, fromHex } from '@superscalar/core';
import { controlBlock, type TapTree, taprootOutput, tapTree } from '@superscalar/tx';
import { assertBytes, assertInt } from './_assert.js';
import { InvalidArgumentError } from './errors.js';

const OP_0 = 0x00;
const OP_1 = 0x51;
const OP_DROP = 0x75;
const OP_EQUALVERIFY = 0x88;
const OP_SIZE = 0x82;
const OP_SHA256 = 0xa8;
const OP_CHECKSIG = 0xac;
const OP_CHECKSIGVERIFY = 0xad;
const OP_CHECKLOCKTIMEVERIFY = 0xb1;
const OP_CHECKSEQUENCEVERIFY = 0xb2;

/**
 * BIP341's NUMS point H, x-only: `lift_x(0x50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0)`
 * — nobody knows its discrete logarithm, so an output with this internal key has no key path.
 */
export const NUMS_XONLY: Uint8Array = fromHex(
  '50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0',
);

/** Minimal push of a non-negative script number (CScriptNum, minimal encoding). */
function pushNum(n: number): Uint8Array {
  if (n === 0) return Uint8Array.of(OP_0);
  if (n >= 1 && n <= 16) return Uint8Array.of(0x50 + n);
  const bytes: number[] = [];
  let v = n;
  while (v > 0) {
    bytes.push(v & 0xff);
    v = Math.floor(v / 256);
  }
  if (((bytes[bytes.length - 1] as number) & 0x80) !== 0) bytes.push(0);
  return Uint8Array.of(bytes.length, ...bytes);
}

function push32(b: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(32), b);
}

function assertXonly(k: unknown, name: string): asserts k is Uint8Array {
  assertBytes(k, name, 32);
}

function assertCsv(v: unknown, name: string): asserts v is number {
  // BIP68 block-based relative lock: 16 bits.
  assertInt(v, name, 1, 0xffff);
}

function assertCltv(v: unknown, name: string): asserts v is number {
  // A block height (below BIP65's time threshold).
  assertInt(v, name, 1, 499_999_999);
}

const HASH_CHECK = (paymentHash: Uint8Array) =>
  concatBytes(
    Uint8Array.of(OP_SIZE),
    pushNum(32),
    Uint8Array.of(OP_EQUALVERIFY, OP_SHA256),
    push32(paymentHash),
    Uint8Array.of(OP_EQUALVERIFY),
  );

/** `to_local` leaf: `<toSelfDelay> OP_CHECKSEQUENCEVERIFY OP_DROP <delayedpubkey> OP_CHECKSIG`. */
export function toLocalLeaf(toSelfDelay: number, delayedXonly: Uint8Array): Uint8Array {
  assertCsv(toSelfDelay, 'toSelfDelay');
  assertXonly(delayedXonly, 'delayedXonly');
  return concatBytes(
    pushNum(toSelfDelay),
    Uint8Array.of(OP_CHECKSEQUENCEVERIFY, OP_DROP),
    push32(delayedXonly),
    Uint8Array.of(OP_CHECKSIG),
  );
}

/** `to_remote` leaf: `<remote_paymentkey> OP_CHECKSIGVERIFY OP_1 OP_CHECKSEQUENCEVERIFY`. */
export function toRemoteLeaf(remotePaymentXonly: Uint8Array): Uint8Array {
  assertXonly(remotePaymentXonly, 'remotePaymentXonly');
  return concatBytes(
    push32(remotePaymentXonly),
    Uint8Array.of(OP_CHECKSIGVERIFY, OP_1, OP_CHECKSEQUENCEVERIFY),
  );
}

/**
 * Offered HTLC, success leaf (the remote claims with the preimage, one block after the commitment
 * confirms): `OP_SIZE 32 OP_EQUALVERIFY OP_SHA256 <hash> OP_EQUALVERIFY <remote_htlc>
 * OP_CHECKSIGVERIFY OP_1 OP_CHECKSEQUENCEVERIFY`.
 */
export function offeredHtlcSuccessLeaf(paymentHash: Uint8Array, remoteHtlcXonly: Uint8Array): Uint8Array {
  assertBytes(paymentHash, 'paymentHash', 32);
  assertXonly(remoteHtlcXonly, 'remoteHtlcXonly');
  return concatBytes(
    HASH_CHECK(paymentHash),
    push32(remoteHtlcXonly),
    Uint8Array.of(OP_CHECKSIGVERIFY, OP_1, OP_CHECKSEQUENCEVERIFY),
  );
}

/**
 * Offered HTLC, timeout leaf (the holder takes it back after the expiry and its own delay):
 * `<cltv> OP_CHECKLOCKTIMEVERIFY OP_DROP <toSelfDelay> OP_CHECKSEQUENCEVERIFY OP_DROP <local_htlc>
 * OP_CHECKSIG`.
 */
export function offeredHtlcTimeoutLeaf(
  cltvExpiry: number,
  toSelfDelay: number,
  localHtlcXonly: Uint8Array,
): Uint8Array {
  assertCltv(cltvExpiry, 'cltvExpiry');
  assertCsv(toSelfDelay, 'toSelfDelay');
  assertXonly(localHtlcXonly, 'localHtlcXonly');
  return concatBytes(
    pushNum(cltvExpiry),
    Uint8Array.of(OP_CHECKLOCKTIMEVERIFY, OP_DROP),
    pushNum(toSelfDelay),
    Uint8Array.of(OP_CHECKSEQUENCEVERIFY, OP_DROP),
    push32(localHtlcXonly),
    Uint8Array.of(OP_CHECKSIG),
  );
}

/**
 * Received HTLC, success leaf (the holder claims with the preimage after its own delay):
 * `OP_SIZE 32 OP_EQUALVERIFY OP_SHA256 <hash> OP_EQUALVERIFY <toSelfDelay> OP_CHECKSEQUENCEVERIFY
 * OP_DROP <local_htlc> OP_CHECKSIG`.
 */
export function receivedHtlcSuccessLeaf(
  paymentHash: Uint8Array,
  toSelfDelay: number,
  localHtlcXonly: Uint8Array,
): Uint8Array {
  assertBytes(paymentHash, 'paymentHash', 32);
  assertCsv(toSelfDelay, 'toSelfDelay');
  assertXonly(localHtlcXonly, 'localHtlcXonly');
  return concatBytes(
    HASH_CHECK(paymentHash),
    pushNum(toSelfDelay),
    Uint8Array.of(OP_CHECKSEQUENCEVERIFY, OP_DROP),
    push32(localHtlcXonly),
    Uint8Array.of(OP_CHECKSIG),
  );
}

/**
 * Received HTLC, timeout leaf (the remote takes it back after the expiry, one block after the
 * commitment confirms): `<cltv> OP_CHECKLOCKTIMEVERIFY OP_DROP <remote_htlc> OP_CHECKSIGVERIFY OP_1
 * OP_CHECKSEQUENCEVERIFY`.
 */
export function receivedHtlcTimeoutLeaf(cltvExpiry: number, remoteHtlcXonly: Uint8Array): Uint8Array {
  assertCltv(cltvExpiry, 'cltvExpiry');
  assertXonly(remoteHtlcXonly, 'remoteHtlcXonly');
  return concatBytes(
    pushNum(cltvExpiry),
    Uint8Array.of(OP_CHECKLOCKTIMEVERIFY, OP_DROP),
    push32(remoteHtlcXonly),
    Uint8Array.of(OP_CHECKSIGVERIFY, OP_1, OP_CHECKSEQUENCEVERIFY),
  );
}

/** A P2TR output with a single-key internal key and one or two tapscript leaves. */
export interface TapscriptOutput {
  /** x-only internal key P. */
  readonly internalKey: Uint8Array;
  /** The leaf scripts, in the order given. */
  readonly leaves: readonly Uint8Array[];
  /** TapLeaf hash of each leaf. */
  readonly leafHashes: readonly Uint8Array[];
  /** The Merkle root (the leaf hash for one leaf, their TapBranch for two). */
  readonly merkleRoot: Uint8Array;
  /** BIP341 `TapTweak(P || merkleRoot)` as a 32-byte scalar: the key-path secret is `d + t`. */
  readonly tweak: Uint8Array;
  /** x-only output key Q = P + t·G. */
  readonly outputKey: Uint8Array;
  /** Parity of Q (0 even, 1 odd). */
  readonly parity: 0 | 1;
  /** The scriptPubKey `OP_1 <Q>`. */
  readonly script: Uint8Array;
  /**
   * The control block of each leaf: `(0xc0 | parity(Q)) || P || sibling hash` — 33 bytes for one
   * leaf, 65 for two.
   */
  readonly controlBlocks: readonly Uint8Array[];
}

/**
 * Builds a P2TR output with x-only internal key `internalKey` (a single key: `revocationpubkey` or the
 * NUMS point) and one or two leaves.
 */
export function tapscriptOutput(internalKey: Uint8Array, leaves: readonly Uint8Array[]): TapscriptOutput {
  assertBytes(internalKey, 'internalKey', 32);
  if (!Array.isArray(leaves) || leaves.length < 1 || leaves.length > 2)
    throw new InvalidArgumentError('leaves', 'expected one or two leaf scripts');
  leaves.forEach((l, i) => {
    assertBytes(l, `leaves[${i}]`);
  });
  const tree: TapTree =
    leaves.length === 1
      ? { script: leaves[0] as Uint8Array }
      : [{ script: leaves[0] as Uint8Array }, { script: leaves[1] as Uint8Array }];
  const built = tapTree(tree);
  let key: ReturnType<typeof taprootOutput>;
  try {
    key = taprootOutput(internalKey, built.merkleRoot);
  } catch (e) {
    const tweakFault = (e as { argument?: string }).argument === 'merkleRoot';
    throw new InvalidArgumentError(
      tweakFault ? 'leaves' : 'internalKey',
      tweakFault ? 'taproot tweak out of range' : 'not a valid compressed secp256k1 point',
    );
  }
  const leafHashes = built.leaves.map((l) => l.leafHash);
  const merkleRoot = built.merkleRoot;
  const { tweak, outputKey, parity } = key;
  const controlBlocks = built.leaves.map((l) => controlBlock(key, l));
  return Object.freeze({
    internalKey: Uint8Array.from(internalKey),
    leaves: Object.freeze(leaves.map((l) => Uint8Array.from(l))),
    leafHashes: Object.freeze(leafHashes),
    merkleRoot,
    tweak,
    outputKey,
    parity,
    script: key.script,
    controlBlocks: Object.freeze(controlBlocks),
  });
}
