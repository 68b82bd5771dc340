export type { AcceptorOptions, PeerInfo, UpgradeRequestLike } from './acceptor.js';
export { Acceptor } from './acceptor.js';
export type { Aead, AeadKey } from './aead.js';
export { nobleAead } from './aead.js';
export type {
  ByteChannel,
  ByteChannelHandlers,
  WebSocketChannelOptions,
  WebSocketEventLike,
  WebSocketLike,
} from './byteChannel.js';
export { webSocketChannel } from './byteChannel.js';
export type { KeyRotation } from './cipherState.js';
export { CipherState } from './cipherState.js';
export type { Admission, ConnectionLimiterOptions } from './connectionLimiter.js';
export { ConnectionLimiter } from './connectionLimiter.js';
export type { Dh, KeyPair } from './dh.js';
export { secp256k1Dh, x25519Dh } from './dh.js';
export type { HandshakeFailure, NoiseErrorCode } from './errors.js';
export {
  BadMacError,
  ConnectionClosedError,
  FrameTooLargeError,
  HandshakeError,
  HandshakeTimeoutError,
  InvalidArgumentError,
  NoiseError,
  NonceExhaustedError,
  RateLimitedError,
  StateError,
  TransportError,
} from './errors.js';
export type {
  HandshakeCommonOptions,
  HandshakeOutcome,
  InitiatorOptions,
  ResponderOptions,
} from './handshake.js';
export {
  DEFAULT_PROLOGUE,
  HANDSHAKE_VERSION,
  Handshake,
  KEY_ROTATION_INTERVAL,
  protocolNameFor,
} from './handshake.js';
export type { HandshakeResult, HandshakeStateOptions, PatternName } from './handshakeState.js';
export { HandshakeState, patternMessageCount } from './handshakeState.js';
export type { AcceptOptions, ConnectOptions, SessionOptions, Timers } from './session.js';
export { accept, connect, DEFAULT_HANDSHAKE_TIMEOUT_MS, NoiseSession } from './session.js';
export { SymmetricState } from './symmetricState.js';
export { FRAME_OVERHEAD, LENGTH_HEADER_SIZE, MAX_MESSAGE_SIZE, TransportCipher } from './transportCipher.js';
