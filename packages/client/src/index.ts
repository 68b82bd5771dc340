// @superscalar/client: the client role (browser-safe). Re-exports only.
export { isNodeId, isWebSocketUrl, type LspAddress, parseLspAddress } from './address.js';
export {
  type ClientCloseOptions,
  type ClientClosePhase,
  type ClientCloseResult,
  ClientCloseSession,
} from './close.js';
export { closeRequest } from './closeRequest.js';
export {
  addressesOf,
  type DiscoverOptions,
  discoverLsp,
  type FetchLike,
  type FetchResponseLike,
  parseWellKnown,
  WELL_KNOWN_PATH,
  type WellKnownDocument,
  wellKnownUrl,
} from './discovery.js';
export {
  ClientError,
  type ClientErrorCode,
  type CloseRefusal,
  CloseRefusedError,
  CloseSignatureError,
  DiscoveryError,
  InvalidArgumentError,
  MachineFailedError,
  type StaleFault,
  StaleMessageError,
  StoppedError,
  type UnexpectedFault,
  UnexpectedMessageError,
} from './errors.js';
export type { Action, FeeRates, PeerId, RuntimeInput } from './io.js';
