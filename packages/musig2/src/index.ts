/**
 * `@superscalar/musig2`: BIP327 MuSig2 — key aggregation with plain and x-only tweaks, nonce
 * generation and aggregation, partial signing and verification, signature aggregation and
 * DeterministicSign — with secret nonces the library owns (usable once, never serialisable) and the
 * pieces tree signing needs (a key-aggregation cache, aggregate-first verification).
 *
 * @packageDocumentation
 */

export { taggedHash } from './_hash.js';
export type { AggregateJob, JobFault } from './batch.js';
export { aggregateBatch, BatchAggregationError } from './batch.js';
export type { SchnorrItem } from './bip340.js';
export { schnorrBatchVerify, schnorrVerify } from './bip340.js';
export type { DeterministicSignOptions, DeterministicSignResult } from './deterministicSign.js';
export { DeterministicSigner, deterministicSign } from './deterministicSign.js';
export type { Contribution, MuSig2ErrorCode } from './errors.js';
export {
  InfiniteNonceError,
  InvalidArgumentError,
  InvalidContributionError,
  MuSig2Error,
  NonceReuseError,
  SecretNonceNotSerialisableError,
  ValueError,
} from './errors.js';
export {
  applyTweak,
  applyTweaks,
  getPlainPubkey,
  getSecondKey,
  getXonlyPubkey,
  hashKeys,
  KeyAggContext,
  keyAgg,
  keyAggCoeff,
  type MemoOptions,
  msm,
} from './keyAgg.js';
export { defaultKeyAggCache, KeyAggCache } from './keyAggCache.js';
export { keySort, keySortWithOrder } from './keySort.js';
export { aggregateNoncePoints, decodePubnonce, nonceAgg } from './nonceAgg.js';
export type { NonceGenOptions, NonceGenResult } from './nonceGen.js';
export { nonceGen } from './nonceGen.js';
export type { Point } from './point.js';
export {
  bytesToInt,
  cbytes,
  cbytesExt,
  G,
  hasEvenY,
  INFINITY,
  isInfinity,
  liftX,
  modN,
  mulG,
  mulPublic,
  n,
  PointCons,
  pointFromCompressed,
  pointFromCompressedExt,
  scalarToBytes,
  xbytes,
} from './point.js';
export { isSecretNonce, SecretNonce } from './secretNonce.js';
export type {
  PartialSigVerifyOptions,
  SessionContext,
  SessionOptions,
  SessionValues,
  SignOptions,
} from './session.js';
export {
  getSessionKeyAggCoeff,
  getSessionValues,
  partialSigAgg,
  partialSigAggWithValues,
  partialSigVerify,
  partialSigVerifyInternal,
  Session,
  Signer,
  sessionValuesFor,
  sign,
  signWithValues,
  verifyAggregate,
  verifyPartialPoints,
} from './session.js';
