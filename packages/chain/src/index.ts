// @superscalar/chain: the chain ports (ChainSource, Broadcaster, FeeEstimator, RegtestControl),
// SimChain (in-process regtest validating like Bitcoin Core), the raw transaction codec and the script
// interpreter. BitcoindRpc (Node only) is exported from `@superscalar/chain/bitcoind`.
export {
  ChainError,
  type ChainErrorCode,
  InvalidArgument,
  MalformedReply,
  NotFound,
  ReorgBeyondHistory,
  RpcAuthFailed,
  RpcError,
  RpcTimeout,
  SubscriberFailed,
  TxRejected,
  type TxRejectedInit,
  Unavailable,
  WarmingUp,
  WrongNetwork,
} from './errors.js';
export {
  BlockFollower,
  type BlockFollowerOptions,
  type BlockRef,
  type ChainEvent,
  type ChainEventHandler,
  type FollowerCursor,
  type FollowerRunner,
  type FollowerRunOptions,
  type FollowFrom,
  type PollReport,
  type SubscribeOptions,
  type Subscription,
} from './follower.js';
export type {
  Broadcaster,
  ChainBackend,
  ChainBlock,
  ChainSource,
  ChainTip,
  Confirmation,
  FeeEstimator,
  FeePurpose,
  FundedOutput,
  MineOptions,
  NodePolicyInfo,
  OutPoint,
  PackageAccepted,
  RegtestControl,
  SpendStatus,
  TxInfo,
  WaitOptions,
} from './interfaces.js';
export * from './script/index.js';
export { addressToScript, scriptToAddress } from './sim/_address.js';
export {
  type CoinAge,
  calculateSequenceLocks,
  evaluateSequenceLocks,
  isFinalTx,
  LOCKTIME_THRESHOLD,
  medianTimePast,
  SEQUENCE_FINAL,
  SEQUENCE_LOCKTIME_DISABLE_FLAG,
  SEQUENCE_LOCKTIME_GRANULARITY,
  SEQUENCE_LOCKTIME_MASK,
  SEQUENCE_LOCKTIME_TYPE_FLAG,
  type SequenceLocks,
} from './sim/locks.js';
export {
  DEFAULT_POLICY,
  dustThreshold,
  feeAtRate,
  type SimPolicy,
  TRUC_CHILD_MAX_VSIZE,
  TRUC_MAX_VSIZE,
  TRUC_VERSION,
} from './sim/policy.js';
export { FAUCET_SCRIPT, SimChain, type SimChainOptions } from './sim/simChain.js';
export * from './tx/index.js';
