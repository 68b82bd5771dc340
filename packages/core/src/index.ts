/**
 * `@superscalar/core`: the vocabulary every `@superscalar/*` package shares — the error base and its
 * exact `isInstance`, the `Rng`/`Clock`/`Logger` ports, networks, bytes and hex, and boundary
 * asserters. No I/O, no dependencies, browser-safe.
 */

export { type ArgumentFault, type Asserters, asserters, MAX_MONEY } from './assert.js';
export {
  compareBytes,
  concatBytes,
  equalBytes,
  equalBytesConstantTime,
  fromHex,
  reversed,
  toHex,
} from './bytes.js';
export { type CoreErrorCode, InvalidArgumentError, kindOf, SuperscalarError, tagError } from './errors.js';
export { coinType, isNetwork, NETWORKS, type Network, segwitHrp } from './network.js';
export {
  type Clock,
  consoleLogger,
  cryptoRng,
  type Logger,
  type LogLevel,
  type LogRecord,
  levelAtLeast,
  type ManualClock,
  manualClock,
  noopLogger,
  type Rng,
  systemClock,
} from './ports.js';
