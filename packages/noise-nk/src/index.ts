export {
  Acceptor,
  type AcceptorOptions,
  type PeerInfo,
  type UpgradeRequestLike,
  type WebSocketServerLike,
} from './acceptor.js';
export { type Aead, type AeadKey, nobleAead } from './aead.js';
export {
  type ByteChannel,
  type ByteChannelHandlers,
  type WebSocketChannelOptions,
  type WebSocketEventLike,
  type WebSocketLike,
  webSocketChannel,
} from './byteChannel.js';
export { CipherState, type KeyRotation } from './cipherState.js';
export {
  type Admission,
  type AdmissionLimit,
  ConnectionLimiter,
  type ConnectionLimiterOptions,
  DEFAULT_MAX_CONCURRENT_HANDSHAKES,
  DEFAULT_MAX_HANDSHAKES_PER_IP,
  DEFAULT_PER_IP_PER_MINUTE,
} from './connectionLimiter.js';
export { type Dh, type KeyPair, secp256k1Dh, x25519Dh } from './dh.js';
export {
  BadMacError,
  ConnectionClosedError,
  DecodeError,
  FrameTooLargeError,
  HandshakeError,
  type HandshakeFailure,
  HandshakeTimeoutError,
  IdleTimeoutError,
  InvalidArgumentError,
  type NoiseDecodeCode,
  NoiseError,
  type NoiseErrorCode,
  NonceExhaustedError,
  RateLimitedError,
  StateError,
  TransportError,
} from './errors.js';
export {
  DEFAULT_PROLOGUE,
  HANDSHAKE_VERSION,
  Handshake,
  type HandshakeCommonOptions,
  type HandshakeOutcome,
  type InitiatorOptions,
  KEY_ROTATION_INTERVAL,
  protocolNameFor,
  type ResponderOptions,
} from './handshake.js';
export {
  type HandshakeResult,
  HandshakeState,
  type HandshakeStateOptions,
  type PatternName,
  patternMessageCount,
} from './handshakeState.js';
export {
  type AcceptOptions,
  accept,
  type ConnectOptions,
  connect,
  DEFAULT_ACT_ONE_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  NoiseSession,
  type SessionOptions,
  type Timers,
} from './session.js';
export { SymmetricState } from './symmetricState.js';
export {
  FRAME_OVERHEAD,
  LENGTH_HEADER_SIZE,
  MAX_FRAME_SIZE,
  MAX_MESSAGE_SIZE,
  TransportCipher,
} from './transportCipher.js';
