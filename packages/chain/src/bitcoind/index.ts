// @superscalar/chain/bitcoind: the Bitcoin Core JSON-RPC backend (Node only: uses node:http and node:fs).
export {
  type BitcoindAuth,
  type BitcoindChain,
  BitcoindRpc,
  type BitcoindRpcOptions,
  type BitcoindTransport,
} from './bitcoindRpc.js';
