// @superscalar/client: the client role (browser-safe). Re-exports only.
export {
  Client,
  type ClientFactoryInfo,
  type ClientOptions,
  type ClientRestoreOptions,
} from './client.js';
export type { ClientFactoryPhase, RegistrationStatus } from './codec.js';
export {
  ClientError,
  type ClientErrorCode,
  type Consequence,
  DecodeError,
  InvalidArgumentError,
  InvalidProposalError,
  InvalidSignatureError,
  InvariantError,
  NotImplementedError,
  NotLspError,
  PeerFaultError,
  StaleMessageError,
  UnexpectedMessageError,
  UnknownFactoryError,
} from './errors.js';
export { type ClientEvent, type ClientEventKind, decodeClientEvent } from './events.js';
export type { Action, ClientCommand, ClientInput, FeeRates, PeerId, RuntimeInput } from './io.js';
export { type ClientPolicy, type ResolvedClientPolicy, resolveClientPolicy } from './policy.js';
