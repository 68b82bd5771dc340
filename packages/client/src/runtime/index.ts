// @superscalar/client/runtime: the role runtime core, shared by the Node runtimes of both roles and
// (later) the browser client's. Browser-safe. Re-exports only.
export { type BackoffOptions, backoffDelay, validateBackoff } from './backoff.js';
export { ActionExecutor, type ExecutorDeps } from './executor.js';
export { KeyCache } from './keyCache.js';
export { nodeIdOf } from './nodeId.js';
export { Out } from './out.js';
export { DEFAULT_FEE_PURPOSES, RoleRuntime } from './runtime.js';
export {
  attachTowerTo,
  defaultTowerAccount,
  EmbeddedTower,
  type EmbeddedTowerOptions,
  FACTORY_END_EVENTS,
  type NodeTowerOptions,
  openNodeTower,
} from './tower.js';
export type {
  ChainPorts,
  FeePurposes,
  PeerLink,
  RoleMachine,
  RoleRuntimeOptions,
  RuntimeErrors,
} from './types.js';
