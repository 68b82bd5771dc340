/**
 * `@superscalar/secp`: the secp256k1 backend of `@superscalar/*`. One small interface
 * ({@link CurveBackend}) for the operations that dominate MuSig2 and BIP340, two implementations:
 * @noble/curves (everywhere) and libsecp256k1 (the `secp256k1@5` package's prebuilt N-API addon, in
 * Node where it loads). Chosen at import by export condition, overridable with
 * {@link setCurveBackend}; {@link curve} returns the one in use.
 *
 * @packageDocumentation
 */
export { nobleBackend } from './_noble.js';
export {
  type CurveBackend,
  encodePoint,
  G,
  INFINITY,
  n,
  type Point,
  PointCons,
  p,
  xOnlyBytes,
} from './backend.js';
export { liftX, schnorrSign, schnorrVerify, taggedHash } from './bip340.js';
export { BackendUnavailableError, InvalidArgumentError, SecpError, type SecpErrorCode } from './errors.js';
export {
  availableBackends,
  type BackendChoice,
  curve,
  nativeBackendStatus,
  setCurveBackend,
} from './select.js';
