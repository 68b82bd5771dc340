/**
 * `@superscalar/adaptor`: BIP340-compatible Schnorr adaptor signatures (single signer) and MuSig2
 * adaptor sessions, with adapt and extract.
 *
 * @packageDocumentation
 */

export type { AdaptorDeterministicSignOptions, AdaptorDeterministicSignResult } from './deterministicSign.js';
export { adaptorDeterministicSign } from './deterministicSign.js';
export type { AdaptorErrorCode } from './errors.js';
export {
  AdaptorError,
  InvalidArgumentError,
  InvalidPresignatureError,
  SignatureMismatchError,
  SigningFailedError,
} from './errors.js';
export type { AdaptorSessionContext } from './musigAdaptor.js';
export { AdaptorSession, adaptorSessionValues } from './musigAdaptor.js';
export type { PresigSignOptions, PresigVerifyOptions } from './schnorrAdaptor.js';
export {
  adapt,
  adaptorPoint,
  extractAdaptor,
  extractSecadaptor,
  PRESIG_LENGTH,
  presigSign,
  presigVerify,
} from './schnorrAdaptor.js';
