/**
 * Errors of `@superscalar/chain`. Every error carries the package brand
 * `Symbol.for('@superscalar/chain/error')`, so `ChainError.isInstance(x)` (and each subclass's
 * `isInstance`) works across duplicated copies of the package. Match on `code`, never on the message.
 */

const BRAND = Symbol.for('@superscalar/chain/error');

/** Per-class tag on each prototype: survives minification, unlike constructor names. */
const KIND = Symbol.for('@superscalar/chain/error-kind');

function branded(x: unknown, kind: string | undefined): boolean {
  if (typeof x !== 'object' || x === null) return false;
  if ((x as Record<symbol, unknown>)[BRAND] !== true) return false;
  if (kind === undefined) return true;
  // A subclass instance is also an instance of its ancestors: walk the prototype chain's tags.
  for (let p: object | null = x; p !== null; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, KIND) && (p as Record<symbol, unknown>)[KIND] === kind) return true;
  }
  return false;
}

function tag(cls: { prototype: object }, kind: string): void {
  Object.defineProperty(cls.prototype, KIND, { value: kind });
}

/** Stable codes of every error this package throws. */
export type ChainErrorCode =
  | 'TX_REJECTED'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'RPC_TIMEOUT'
  | 'RPC_WARMING_UP'
  | 'RPC_AUTH_FAILED'
  | 'RPC_ERROR'
  | 'RPC_MALFORMED_REPLY'
  | 'WRONG_NETWORK'
  | 'INVALID_ARGUMENT'
  | 'FOLLOWER_SUBSCRIBER_FAILED'
  | 'FOLLOWER_REORG_BEYOND_HISTORY';

/** Base class of every error of `@superscalar/chain`; `code` is stable. */
export class ChainError extends Error {
  /** Stable, machine-readable code. */
  readonly code: ChainErrorCode;

  constructor(code: ChainErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name =
      ((new.target.prototype as unknown as Record<symbol, unknown>)[KIND] as string | undefined) ??
      'ChainError';
  }

  /** True for any error of this package, from any copy of it. */
  static isInstance(x: unknown): x is ChainError {
    return branded(x, undefined);
  }
}
tag(ChainError, 'ChainError');
Object.defineProperty(ChainError.prototype, BRAND, { value: true });

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
 * backend. What to do: fix the transaction (or wait, for `non-final`/`non-BIP68-final`).
 */
export class TxRejected extends ChainError {
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
    super('TX_REJECTED', `${tx} rejected: ${init.reason}${where}${rule}${detail}`, { cause: init.cause });
    this.reason = init.reason;
    this.detail = init.detail;
    this.txid = init.txid;
    this.inputIndex = init.inputIndex;
    this.rule = init.rule;
  }

  static override isInstance(x: unknown): x is TxRejected {
    return branded(x, 'TxRejected');
  }
}
tag(TxRejected, 'TxRejected');

/** The block, transaction or outpoint asked for is unknown to the backend. */
export class NotFound extends ChainError {
  /** What was looked up, e.g. `transaction 12ab…`. */
  readonly what: string;

  constructor(what: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', `${what} not found`, options);
    this.what = what;
  }

  static override isInstance(x: unknown): x is NotFound {
    return branded(x, 'NotFound');
  }
}
tag(NotFound, 'NotFound');

/**
 * The backend cannot answer now (connection refused, timeout, node warming up). Retry later; a
 * broadcast that failed this way may or may not have reached the node, so re-broadcast (it is
 * idempotent) rather than assume either.
 */
export class Unavailable extends ChainError {
  constructor(
    message: string,
    options?: { cause?: unknown; code?: 'UNAVAILABLE' | 'RPC_TIMEOUT' | 'RPC_WARMING_UP' },
  ) {
    super(options?.code ?? 'UNAVAILABLE', message, options);
  }

  static override isInstance(x: unknown): x is Unavailable {
    return branded(x, 'Unavailable');
  }
}
tag(Unavailable, 'Unavailable');

/** An RPC did not answer within the configured timeout. */
export class RpcTimeout extends Unavailable {
  /** The RPC method. */
  readonly method: string;
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(method: string, timeoutMs: number) {
    super(`bitcoind did not answer ${method} within ${timeoutMs} ms`, { code: 'RPC_TIMEOUT' });
    this.method = method;
    this.timeoutMs = timeoutMs;
  }

  static override isInstance(x: unknown): x is RpcTimeout {
    return branded(x, 'RpcTimeout');
  }
}
tag(RpcTimeout, 'RpcTimeout');

/** bitcoind answered RPC error -28: it is still loading (block index, wallet, verifying blocks). */
export class WarmingUp extends Unavailable {
  /** bitcoind's message, e.g. `Loading block index…`. */
  readonly nodeMessage: string;

  constructor(nodeMessage: string) {
    super(`bitcoind is warming up (${nodeMessage}); retry in a few seconds`, { code: 'RPC_WARMING_UP' });
    this.nodeMessage = nodeMessage;
  }

  static override isInstance(x: unknown): x is WarmingUp {
    return branded(x, 'WarmingUp');
  }
}
tag(WarmingUp, 'WarmingUp');

/** HTTP 401/403 from bitcoind: wrong user/password or a stale cookie file. */
export class RpcAuthFailed extends ChainError {
  /** HTTP status (401 or 403). */
  readonly status: number;

  constructor(status: number) {
    super(
      'RPC_AUTH_FAILED',
      `bitcoind refused the credentials (HTTP ${status}); check rpcuser/rpcpassword or re-read the cookie file`,
    );
    this.status = status;
  }

  static override isInstance(x: unknown): x is RpcAuthFailed {
    return branded(x, 'RpcAuthFailed');
  }
}
tag(RpcAuthFailed, 'RpcAuthFailed');

/** bitcoind returned a JSON-RPC error that has no more specific class. */
export class RpcError extends ChainError {
  /** The RPC method. */
  readonly method: string;
  /** bitcoind's numeric error code (e.g. -8 invalid parameter). */
  readonly rpcCode: number;
  /** bitcoind's error message. */
  readonly rpcMessage: string;

  constructor(method: string, rpcCode: number, rpcMessage: string) {
    super('RPC_ERROR', `bitcoind ${method} failed with ${rpcCode}: ${rpcMessage}`);
    this.method = method;
    this.rpcCode = rpcCode;
    this.rpcMessage = rpcMessage;
  }

  static override isInstance(x: unknown): x is RpcError {
    return branded(x, 'RpcError');
  }
}
tag(RpcError, 'RpcError');

/** A reply did not have the shape bitcoind documents (or was not JSON at all): never trusted. */
export class MalformedReply extends ChainError {
  /** The RPC method. */
  readonly method: string;
  /** Path of the offending field, e.g. `result.tx-results[0].vsize`. */
  readonly path: string;

  constructor(method: string, path: string, problem: string, options?: { cause?: unknown }) {
    super('RPC_MALFORMED_REPLY', `bitcoind's ${method} reply is malformed at ${path}: ${problem}`, options);
    this.method = method;
    this.path = path;
  }

  static override isInstance(x: unknown): x is MalformedReply {
    return branded(x, 'MalformedReply');
  }
}
tag(MalformedReply, 'MalformedReply');

/** The node runs a different chain than the one configured (e.g. `main` instead of `regtest`). */
export class WrongNetwork extends ChainError {
  /** The configured chain. */
  readonly expected: string;
  /** The chain the node reports. */
  readonly actual: string;

  constructor(expected: string, actual: string) {
    super(
      'WRONG_NETWORK',
      `bitcoind runs chain "${actual}" but "${expected}" was configured; refusing to talk to it`,
    );
    this.expected = expected;
    this.actual = actual;
  }

  static override isInstance(x: unknown): x is WrongNetwork {
    return branded(x, 'WrongNetwork');
  }
}
tag(WrongNetwork, 'WrongNetwork');

/** A caller passed a malformed value; `argument` names it (e.g. `outputs[2].amount`). */
export class InvalidArgument extends ChainError {
  /** Path of the argument. */
  readonly argument: string;

  constructor(argument: string, problem: string) {
    super('INVALID_ARGUMENT', `${argument}: ${problem}`);
    this.argument = argument;
  }

  static override isInstance(x: unknown): x is InvalidArgument {
    return branded(x, 'InvalidArgument');
  }
}
tag(InvalidArgument, 'InvalidArgument');

/**
 * A `BlockFollower` subscriber threw (or rejected) while handling an event. The follower did not
 * advance that subscriber past the block: it gets the same event again on the next poll (delivery is
 * at-least-once). Other subscribers are not affected. `cause` is what the subscriber threw.
 */
export class SubscriberFailed extends ChainError {
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
      'FOLLOWER_SUBSCRIBER_FAILED',
      `subscriber "${init.subscriber}" did not accept the ${init.event} block ${init.block.height} ` +
        `(${init.block.hash}); it stays at its cursor and gets the block again on the next poll`,
      { cause: init.cause },
    );
    this.subscriber = init.subscriber;
    this.event = init.event;
    this.block = { height: init.block.height, hash: init.block.hash };
  }

  static override isInstance(x: unknown): x is SubscriberFailed {
    return branded(x, 'SubscriberFailed');
  }
}
tag(SubscriberFailed, 'SubscriberFailed');

/**
 * A subscriber's cursor left the best chain below everything the follower knows of it: the fork
 * point is deeper than the stored history (the checkpoint it resumed from, or `historyDepth`). Nothing
 * is delivered to it (a partial rewind would leave it at a height whose hash nobody knows): it stays at
 * its cursor and gets this error on every poll. What to do: re-subscribe from an older checkpoint or
 * from a height below the fork (a rescan).
 */
export class ReorgBeyondHistory extends ChainError {
  /** The subscriber's name. */
  readonly subscriber: string;
  /** The lowest block the follower knows on the subscriber's branch; it is not on the best chain. */
  readonly lowestKnown: { readonly height: number; readonly hash: string };

  constructor(subscriber: string, lowestKnown: { readonly height: number; readonly hash: string }) {
    super(
      'FOLLOWER_REORG_BEYOND_HISTORY',
      `subscriber "${subscriber}": block ${lowestKnown.height} (${lowestKnown.hash}) is no longer on the ` +
        'best chain and the follower knows no older block of that branch; re-subscribe from an older ' +
        'checkpoint or rescan from below the fork',
    );
    this.subscriber = subscriber;
    this.lowestKnown = { height: lowestKnown.height, hash: lowestKnown.hash };
  }

  static override isInstance(x: unknown): x is ReorgBeyondHistory {
    return branded(x, 'ReorgBeyondHistory');
  }
}
tag(ReorgBeyondHistory, 'ReorgBeyondHistory');
