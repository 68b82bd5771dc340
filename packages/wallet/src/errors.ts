/**
 * Errors of `@superscalar/wallet`: one base class, {@link WalletError}, and one subclass per fault,
 * each with a stable `WALLET_` code, so a role maps a fault to a consequence from `code` alone. Every
 * class is tagged (`@superscalar/wallet:<Name>`), so `Cls.isInstance(x)` is exact across copies.
 *
 * @module
 */
import { SuperscalarError, tagError } from '@superscalar/core';
import type { OutPoint } from '@superscalar/tx';

/** Stable codes of the wallet's errors. */
export type WalletErrorCode =
  | 'WALLET_INVALID_ARGUMENT'
  | 'WALLET_DECODE'
  | 'WALLET_INSUFFICIENT_FUNDS'
  | 'WALLET_FEE_RATE_TOO_LOW'
  | 'WALLET_WRONG_NETWORK'
  | 'WALLET_COIN_SPENT'
  | 'WALLET_INPUT_UNCONFIRMED'
  | 'WALLET_UNKNOWN_TX'
  | 'WALLET_WRONG_STATE'
  | 'WALLET_CORE_RPC';

/** Base of every error of `@superscalar/wallet`. */
export class WalletError extends SuperscalarError<WalletErrorCode> {}
tagError(WalletError, '@superscalar/wallet:WalletError');

/** An argument had the wrong type, length or range; `argument` names its path (`options.feeRate`). */
export class InvalidArgumentError extends WalletError {
  readonly argument: string;
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super('WALLET_INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/wallet:InvalidArgumentError');

/** A stored wallet record could not be decoded (a damaged store, or one written by a newer release). */
export class DecodeError extends WalletError {
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('WALLET_DECODE', `${key}: ${message}`, options);
    this.key = key;
  }
}
tagError(DecodeError, '@superscalar/wallet:DecodeError');

/** The spendable coins (confirmed, unreserved, of the allowed types) do not cover amount plus fee. */
export class InsufficientFundsError extends WalletError {
  /** What was needed: the amount plus the fee of the smallest transaction that could pay it. */
  readonly needed: bigint;
  /** What the eligible coins hold. */
  readonly available: bigint;
  constructor(needed: bigint, available: bigint) {
    super(
      'WALLET_INSUFFICIENT_FUNDS',
      `needs ${needed} sats (amount, fee and change) but the eligible coins hold ${available}: fund the wallet or wait for confirmations`,
    );
    this.needed = needed;
    this.available = available;
  }
}
tagError(InsufficientFundsError, '@superscalar/wallet:InsufficientFundsError');

/** A fee rate below the relay floor the wallet was configured with. */
export class FeeRateTooLowError extends WalletError {
  readonly feeRate: number;
  readonly floor: number;
  constructor(feeRate: number, floor: number) {
    super(
      'WALLET_FEE_RATE_TOO_LOW',
      `fee rate ${feeRate} sat/kvB is below the relay floor ${floor} sat/kvB: nodes would not relay it`,
    );
    this.feeRate = feeRate;
    this.floor = floor;
  }
}
tagError(FeeRateTooLowError, '@superscalar/wallet:FeeRateTooLowError');

/** An address of another network (or a script the wallet cannot pay). */
export class WrongNetworkError extends WalletError {
  readonly address: string;
  readonly expected: string;
  constructor(address: string, expected: string) {
    super('WALLET_WRONG_NETWORK', `address ${address} is not a ${expected} address`);
    this.address = address;
    this.expected = expected;
  }
}
tagError(WrongNetworkError, '@superscalar/wallet:WrongNetworkError');

/**
 * A coin the wallet meant to spend is already spent by a transaction it did not make (another wallet
 * of the same seed, or a conflict that confirmed). The wallet's state records the spend.
 */
export class CoinSpentError extends WalletError {
  readonly outpoint: OutPoint;
  /** The spending transaction, when known. */
  readonly spentBy: string | undefined;
  constructor(outpoint: OutPoint, spentBy: string | undefined) {
    super(
      'WALLET_COIN_SPENT',
      `coin ${outpoint.txid}:${outpoint.vout} is already spent${spentBy === undefined ? '' : ` by ${spentBy}`}: abandon what used it and build again`,
    );
    this.outpoint = outpoint;
    this.spentBy = spentBy;
  }
}
tagError(CoinSpentError, '@superscalar/wallet:CoinSpentError');

/**
 * An input of a funding transaction is no longer confirmed (a reorg took its block away): the
 * funding txid is only fixed once every input is confirmed again. Wait for the next block, or abandon.
 */
export class InputUnconfirmedError extends WalletError {
  readonly outpoint: OutPoint;
  constructor(outpoint: OutPoint) {
    super(
      'WALLET_INPUT_UNCONFIRMED',
      `input ${outpoint.txid}:${outpoint.vout} is no longer confirmed (reorg): wait for it to confirm again or abandon`,
    );
    this.outpoint = outpoint;
  }
}
tagError(InputUnconfirmedError, '@superscalar/wallet:InputUnconfirmedError');

/** A txid the wallet has no record of. */
export class UnknownTxError extends WalletError {
  readonly txid: string;
  constructor(txid: string) {
    super('WALLET_UNKNOWN_TX', `the wallet has no transaction ${txid}`);
    this.txid = txid;
  }
}
tagError(UnknownTxError, '@superscalar/wallet:UnknownTxError');

/** The transaction is not in a state that allows the call (e.g. signing a conflicted funding). */
export class WrongStateError extends WalletError {
  readonly txid: string;
  readonly state: string;
  constructor(txid: string, state: string, action: string) {
    super('WALLET_WRONG_STATE', `cannot ${action} ${txid}: it is ${state}`);
    this.txid = txid;
    this.state = state;
  }
}
tagError(WrongStateError, '@superscalar/wallet:WrongStateError');

/** Bitcoin Core's wallet refused a call of the Core-wallet adapter; `method` and Core's message. */
export class CoreRpcError extends WalletError {
  readonly method: string;
  constructor(method: string, message: string, options?: { cause?: unknown }) {
    super('WALLET_CORE_RPC', `${method}: ${message}`, options);
    this.method = method;
  }
}
tagError(CoreRpcError, '@superscalar/wallet:CoreRpcError');
