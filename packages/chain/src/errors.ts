/**
 * Errors of `@superscalar/chain`. Every error is a {@link ChainError}, which extends `SuperscalarError`
 * from `@superscalar/core`: `code` is stable and prefixed `CHAIN_`, and `Cls.isInstance(x)` is exact
 * (a sibling never matches, a subclass matches its ancestors) across duplicated copies of the package.
 * Match on `code` or `isInstance`, never on the message.
 *
 * The codec's {@link DecodeError} lives in `tx/errors.ts`, the interpreter's `ScriptError` in
 * `script/scriptError.ts` and `ScriptAsmError` in `script/asm.ts`; all extend {@link ChainError}.
 */
import { SuperscalarError, tagError } from '@superscalar/core';

/**
 * Stable codes of every error this package throws. What a caller does with each:
 * - `CHAIN_TX_REJECTED`: the node refused a transaction (fix it, or wait for `non-final`).
 * - `CHAIN_NOT_FOUND`: the block, transaction or outpoint is unknown.
 * - `CHAIN_UNAVAILABLE`, `CHAIN_RPC_TIMEOUT`, `CHAIN_RPC_WARMING_UP`: retry later.
 * - `CHAIN_RPC_AUTH_FAILED`: fix the credentials.
 * - `CHAIN_RPC_ERROR`: an RPC error with no more specific meaning.
 * - `CHAIN_RPC_MALFORMED_REPLY`: the node's answer broke its documented shape or did not match what
 *   was asked (a txid that does not hash its bytes): stop trusting that node.
 * - `CHAIN_RPC_REPLY_TOO_LARGE`: a reply over the per-method size, depth or token bounds, refused
 *   before parsing: stop trusting that node.
 * - `CHAIN_WRONG_NETWORK`: the node runs another chain: never talk to it.
 * - `CHAIN_INVALID_ARGUMENT`: a caller's bug.
 * - `CHAIN_DECODE`: undecodable transaction bytes or script assembly.
 * - `CHAIN_SCRIPT`: an input's scripts failed (Core's script error name in `scriptError`).
 */
export type ChainErrorCode =
  | 'CHAIN_TX_REJECTED'
  | 'CHAIN_NOT_FOUND'
  | 'CHAIN_UNAVAILABLE'
  | 'CHAIN_RPC_TIMEOUT'
  | 'CHAIN_RPC_WARMING_UP'
  | 'CHAIN_RPC_AUTH_FAILED'
  | 'CHAIN_RPC_ERROR'
  | 'CHAIN_RPC_MALFORMED_REPLY'
  | 'CHAIN_RPC_REPLY_TOO_LARGE'
  | 'CHAIN_WRONG_NETWORK'
  | 'CHAIN_INVALID_ARGUMENT'
  | 'CHAIN_DECODE'
  | 'CHAIN_SCRIPT'
  | 'CHAIN_FOLLOWER_SUBSCRIBER_FAILED'
  | 'CHAIN_FOLLOWER_REORG_BEYOND_HISTORY';

/** Base class of every error of `@superscalar/chain`; `code` is stable. */
export class ChainError<C extends ChainErrorCode = ChainErrorCode> extends SuperscalarError<C> {}
tagError(ChainError, '@superscalar/chain:ChainError');

/** Where a rejection came from and which rule it broke, beyond Core's reject string. */
export interface TxRejectedInit {
  /** Bitcoin Core's reject string, e.g. `non-BIP68-final` or `TRUC-violation`. */
  reason: string;
  /** Core's debug text or our explanation (`"0 < 110"`, `"input 0: …"`). */
  detail?: string;
  /** Txid of the rejected transaction (display order hex), when known. */
  txid?: string;
  /** Index of the offending input, when the rule is about one input. */
  inputIndex?: number;
  /** Short name of the rule, e.g. `BIP68`, `TRUC child size`, `RBF rule 4`. */
  rule?: string;
  cause?: unknown;
}

/**
 * A node refused a transaction or package. `reason` is Bitcoin Core's reject string exactly as
 * `testmempoolaccept`/`submitpackage` report it (Core ≥ 30 forms), so a test can match it on either
 * backend; where only `sendrawtransaction` refuses (`maxburnamount`), Core's whole message. What to
 * do: fix the transaction (or wait, for `non-final`/`non-BIP68-final`).
 */
export class TxRejected extends ChainError<'CHAIN_TX_REJECTED'> {
  /** Core's reject string. */
  readonly reason: string;
  /** Core's debug message or SimChain's explanation. */
  readonly detail: string | undefined;
  /** Txid of the rejected transaction. */
  readonly txid: string | undefined;
  /** The offending input, if the rule concerns one. */
  readonly inputIndex: number | undefined;
  /** Short rule name. */
  readonly rule: string | undefined;

  constructor(init: TxRejectedInit) {
    const where = init.inputIndex === undefined ? '' : ` (input ${init.inputIndex})`;
    const rule = init.rule === undefined ? '' : ` [${init.rule}]`;
    const detail = init.detail === undefined || init.detail === '' ? '' : `: ${init.detail}`;
    const tx = init.txid === undefined ? 'transaction' : `transaction ${init.txid}`;
    super('CHAIN_TX_REJECTED', `${tx} rejected: ${init.reason}${where}${rule}${detail}`, {
      cause: init.cause,
    });
    this.reason = init.reason;
    this.detail = init.detail;
    this.txid = init.txid;
    this.inputIndex = init.inputIndex;
    this.rule = init.rule;
  }
}
tagError(TxRejected, '@superscalar/chain:TxRejected');

/** The block, transaction or outpoint asked for is unknown to the backend. */
export class NotFound extends ChainError<'CHAIN_NOT_FOUND'> {
  /** What was looked up, e.g. `transaction 12ab…`. */
  readonly what: string;

  constructor(what: string, options?: { cause?: unknown }) {
    super('CHAIN_NOT_FOUND', `${what} not found`, options);
    this.what = what;
  }
}
tagError(NotFound, '@superscalar/chain:NotFound');

type UnavailableCode = 'CHAIN_UNAVAILABLE' | 'CHAIN_RPC_TIMEOUT' | 'CHAIN_RPC_WARMING_UP';

/**
 * The backend cannot answer now (connection refused, timeout, node warming up). Retry later; a
 * broadcast that failed this way may or may not have reached the node, so re-broadcast (it is
 * idempotent) rather than assume either.
 */
export class Unavailable extends ChainError<UnavailableCode> {
  constructor(message: string, options?: { cause?: unknown; code?: UnavailableCode }) {
    super(options?.code ?? 'CHAIN_UNAVAILABLE', message, options);
  }
}
tagError(Unavailable, '@superscalar/chain:Unavailable');

/** An RPC did not answer within the configured timeout. */
export class RpcTimeout extends Unavailable {
  /** The RPC method. */
  readonly method: string;
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(method: string, timeoutMs: number) {
    super(`bitcoind did not answer ${method} within ${timeoutMs} ms`, { code: 'CHAIN_RPC_TIMEOUT' });
    this.method = method;
    this.timeoutMs = timeoutMs;
  }
}
tagError(RpcTimeout, '@superscalar/chain:RpcTimeout');

/** bitcoind answered RPC error -28: it is still loading (block index, wallet, verifying blocks). */
export class WarmingUp extends Unavailable {
  /** bitcoind's message, e.g. `Loading block index…`. */
  readonly nodeMessage: string;

  constructor(nodeMessage: string) {
    super(`bitcoind is warming up (${nodeMessage}); retry in a few seconds`, {
      code: 'CHAIN_RPC_WARMING_UP',
    });
    this.nodeMessage = nodeMessage;
  }
}
tagError(WarmingUp, '@superscalar/chain:WarmingUp');

/** HTTP 401/403 from bitcoind: wrong user/password or a stale cookie file. */
export class RpcAuthFailed extends ChainError<'CHAIN_RPC_AUTH_FAILED'> {
  /** HTTP status (401 or 403). */
  readonly status: number;

  constructor(status: number) {
    super(
      'CHAIN_RPC_AUTH_FAILED',
      `bitcoind refused the credentials (HTTP ${status}); check rpcuser/rpcpassword or re-read the cookie file`,
    );
    this.status = status;
  }
}
tagError(RpcAuthFailed, '@superscalar/chain:RpcAuthFailed');

/** bitcoind returned a JSON-RPC error that has no more specific class. */
export class RpcError extends ChainError<'CHAIN_RPC_ERROR'> {
  /** The RPC method. */
  readonly method: string;
  /** bitcoind's numeric error code (e.g. -8 invalid parameter). */
  readonly rpcCode: number;
  /** bitcoind's error message, whole. */
  readonly rpcMessage: string;

  constructor(method: string, rpcCode: number, rpcMessage: string) {
    super('CHAIN_RPC_ERROR', `bitcoind ${method} failed with ${rpcCode}: ${rpcMessage}`);
    this.method = method;
    this.rpcCode = rpcCode;
    this.rpcMessage = rpcMessage;
  }
}
tagError(RpcError, '@superscalar/chain:RpcError');

/**
 * A reply did not have the shape bitcoind documents (or was not JSON at all), or contradicted what
 * was asked (a transaction whose bytes do not hash to its txid, a fee rate out of bounds): never
 * trusted.
 */
export class MalformedReply extends ChainError<'CHAIN_RPC_MALFORMED_REPLY' | 'CHAIN_RPC_REPLY_TOO_LARGE'> {
  /** The RPC method. */
  readonly method: string;
  /** Path of the offending field, e.g. `result.tx-results[0].vsize`. */
  readonly path: string;

  constructor(
    method: string,
    path: string,
    problem: string,
    options?: { cause?: unknown; code?: 'CHAIN_RPC_REPLY_TOO_LARGE' },
  ) {
    super(
      options?.code ?? 'CHAIN_RPC_MALFORMED_REPLY',
      `bitcoind's ${method} reply is malformed at ${path}: ${problem}`,
      options,
    );
    this.method = method;
    this.path = path;
  }
}
tagError(MalformedReply, '@superscalar/chain:MalformedReply');

/** Which bound a refused reply crossed. */
export type ReplyLimit = 'bytes' | 'depth' | 'tokens';

/**
 * A reply exceeded the work bound of its method (body size, JSON nesting depth or token count) and
 * was refused before it was parsed, so a hostile or compromised node cannot exhaust memory or block
 * the event loop. A {@link MalformedReply} with code `CHAIN_RPC_REPLY_TOO_LARGE`.
 */
export class ReplyTooLarge extends MalformedReply {
  /** The bound crossed. */
  readonly limit: ReplyLimit;
  /** Its value for this method (bytes, nesting levels or tokens). */
  readonly max: number;

  constructor(method: string, limit: ReplyLimit, max: number) {
    super(method, 'body', `more than ${max} ${limit === 'depth' ? 'nesting levels' : limit}`, {
      code: 'CHAIN_RPC_REPLY_TOO_LARGE',
    });
    this.limit = limit;
    this.max = max;
  }
}
tagError(ReplyTooLarge, '@superscalar/chain:ReplyTooLarge');

/** The node runs a different chain than the one configured (e.g. `main` instead of `regtest`). */
export class WrongNetwork extends ChainError<'CHAIN_WRONG_NETWORK'> {
  /** The configured network. */
  readonly expected: string;
  /** The chain the node reports (Core's name: `main`, `test`, `testnet4`, `signet`, `regtest`). */
  readonly actual: string;

  constructor(expected: string, actual: string) {
    super(
      'CHAIN_WRONG_NETWORK',
      `bitcoind runs chain "${actual}" but "${expected}" was configured; refusing to talk to it`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}
tagError(WrongNetwork, '@superscalar/chain:WrongNetwork');

/** A caller passed a malformed value; `argument` names it (e.g. `outputs[2].amount`). */
export class InvalidArgumentError extends ChainError<'CHAIN_INVALID_ARGUMENT'> {
  /** Path of the argument. */
  readonly argument: string;

  constructor(argument: string, problem: string, options?: { cause?: unknown }) {
    super('CHAIN_INVALID_ARGUMENT', `${argument}: ${problem}`, options);
    this.argument = argument;
  }
}
tagError(InvalidArgumentError, '@superscalar/chain:InvalidArgumentError');

/**
 * A `BlockFollower` subscriber threw (or rejected) while handling an event. The follower did not
 * advance that subscriber past the block: it gets the same event again on the next poll (delivery is
 * at-least-once). Other subscribers are not affected. `cause` is what the subscriber threw.
 */
export class SubscriberFailed extends ChainError<'CHAIN_FOLLOWER_SUBSCRIBER_FAILED'> {
  /** The subscriber's name. */
  readonly subscriber: string;
  /** The event it did not accept. */
  readonly event: 'connected' | 'disconnected';
  /** The block of that event. */
  readonly block: { readonly height: number; readonly hash: string };

  constructor(init: {
    subscriber: string;
    event: 'connected' | 'disconnected';
    block: { readonly height: number; readonly hash: string };
    cause: unknown;
  }) {
    super(
      'CHAIN_FOLLOWER_SUBSCRIBER_FAILED',
      `subscriber "${init.subscriber}" did not accept the ${init.event} block ${init.block.height} ` +
        `(${init.block.hash}); it stays at its cursor and gets the block again on the next poll`,
      { cause: init.cause },
    );
    this.subscriber = init.subscriber;
    this.event = init.event;
    this.block = { height: init.block.height, hash: init.block.hash };
  }
}
tagError(SubscriberFailed, '@superscalar/chain:SubscriberFailed');

/**
 * A subscriber's cursor left the best chain below everything the follower knows of it: the fork
 * point is deeper than the stored history (the checkpoint it resumed from, or `historyDepth`). Nothing
 * is delivered to it (a partial rewind would leave it at a height whose hash nobody knows): it stays at
 * its cursor and gets this error on every poll. What to do: re-subscribe from an older checkpoint or
 * from a height below the fork (a rescan).
 */
export class ReorgBeyondHistory extends ChainError<'CHAIN_FOLLOWER_REORG_BEYOND_HISTORY'> {
  /** The subscriber's name. */
  readonly subscriber: string;
  /** The lowest block the follower knows on the subscriber's branch; it is not on the best chain. */
  readonly lowestKnown: { readonly height: number; readonly hash: string };

  constructor(subscriber: string, lowestKnown: { readonly height: number; readonly hash: string }) {
    super(
      'CHAIN_FOLLOWER_REORG_BEYOND_HISTORY',
      `subscriber "${subscriber}": block ${lowestKnown.height} (${lowestKnown.hash}) is no longer on the ` +
        'best chain and the follower knows no older block of that branch; re-subscribe from an older ' +
        'checkpoint or rescan from below the fork',
    );
    this.subscriber = subscriber;
    this.lowestKnown = { height: lowestKnown.height, hash: lowestKnown.hash };
  }
}
tagError(ReorgBeyondHistory, '@superscalar/chain:ReorgBeyondHistory');
