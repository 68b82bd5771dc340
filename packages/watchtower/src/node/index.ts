// @superscalar/watchtower/node: the tower's runtime (follower, broadcaster, store, fee wallet) and a
// standalone process over a store of its own. Re-exports only.
export { TowerRunner, type TowerRunnerOptions } from './runner.js';
export {
  type StandaloneTower,
  type StandaloneTowerOptions,
  startStandaloneTower,
  storeCommit,
} from './standalone.js';
