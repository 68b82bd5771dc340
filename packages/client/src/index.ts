// @superscalar/client: the client role (browser-safe). Re-exports only.
export { ClientError, type ClientErrorCode, InvalidArgumentError } from './errors.js';
export type { Action, FeeRates, PeerId, RuntimeInput } from './io.js';
