/**
 * `@superscalar/wallet`: the on-chain coins of a SuperScalar role — BIP86 keys with a gap limit,
 * UTXOs followed through reorgs from the chain's block follower, reservations, factory funding (and
 * its double-spend on abandon), CPFP fee coins, coin selection — as a state machine that returns the
 * persist operations of each change. Browser-safe core; the Core-wallet adapter talks JSON-RPC through
 * any `rpc(method, params)` client.
 */
export { addressToScript, scriptToAddress } from './address.js';
export {
  BNB_MAX_TRIES,
  feeForVsize,
  P2TR_INPUT_WEIGHT,
  P2TR_OUTPUT_WEIGHT,
  type Selection,
  type SelectionCoin,
  type SelectionOptions,
  selectCoins,
  selectionWaste,
} from './coinSelection.js';
export { type CoreFundingTx, type CoreRpcClient, CoreWallet } from './coreWallet.js';
export {
  CoinSpentError,
  CoreRpcError,
  DecodeError,
  FeeRateTooLowError,
  InputUnconfirmedError,
  InsufficientFundsError,
  InvalidArgumentError,
  UnknownTxError,
  WalletError,
  type WalletErrorCode,
  WrongNetworkError,
  WrongStateError,
} from './errors.js';
export {
  type CheckpointRef,
  RECORD_VERSION,
  type Reservation,
  type WalletCoin,
  type WalletMeta,
  type WalletTx,
  type WalletTxKind,
  type WalletTxState,
  walletPrefix,
} from './records.js';
export {
  abandonIfAbsent,
  broadcastPending,
  type Commit,
  followWallet,
  isMissingInputs,
  type RefusalResolution,
  rebroadcastPending,
  resolveRefusal,
} from './sync.js';
export {
  type CreateWalletOptions,
  type FundingOptions,
  type FundingTx,
  type Payment,
  type SignedTx,
  Wallet,
  type WalletBalance,
  type WalletChange,
  type WalletOptions,
} from './wallet.js';
