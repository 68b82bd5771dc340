// @superscalar/client: the client role (browser-safe). Re-exports only.
export {
  type ClientCloseOptions,
  type ClientClosePhase,
  type ClientCloseResult,
  ClientCloseSession,
} from './close.js';
export { closeRequest } from './closeRequest.js';
export {
  ClientError,
  type ClientErrorCode,
  type CloseRefusal,
  CloseRefusedError,
  CloseSignatureError,
  InvalidArgumentError,
  type StaleFault,
  StaleMessageError,
  type UnexpectedFault,
  UnexpectedMessageError,
} from './errors.js';
export type { Action, FeeRates, PeerId, RuntimeInput } from './io.js';
