// @superscalar/chain/bitcoind: the Bitcoin Core JSON-RPC backend (Node only: uses node:http and node:fs).
export {
  type BitcoindAuth,
  BitcoindRpc,
  type BitcoindRpcOptions,
  type BitcoindTransport,
} from './bitcoindRpc.js';
export {
  type BitcoindDiscovery,
  discoverBitcoind,
  MIN_CORE_VERSION,
  type RegtestNode,
  type RegtestNodeOptions,
  startRegtestNode,
} from './regtestNode.js';
