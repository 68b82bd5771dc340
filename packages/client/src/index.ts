// @superscalar/client: the client role (browser-safe). Re-exports only.
export { isNodeId, isWebSocketUrl, type LspAddress, parseLspAddress } from './address.js';
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
  DiscoveryError,
  InvalidArgumentError,
  MachineFailedError,
  StoppedError,
} from './errors.js';
export type { Action, FeeRates, PeerId, RuntimeInput } from './io.js';
