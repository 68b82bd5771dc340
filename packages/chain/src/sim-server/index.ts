// @superscalar/chain/sim-server: SimChain served over Bitcoin Core's JSON-RPC (Node only: node:http,
// node:fs, node:child_process), its CLI (`superscalar-sim-server`) and a helper that spawns the CLI.
export {
  type SimServer,
  type SimServerChainOptions,
  type SimServerOptions,
  startSimServer,
} from './server.js';
export { type SpawnedSimServer, type SpawnSimServerOptions, spawnSimServer } from './spawn.js';
