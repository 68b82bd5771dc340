/**
 * BitcoindRpc: every port of `@superscalar/chain` over Bitcoin Core's JSON-RPC (HTTP, `node:http`).
 * Node only: import it from `@superscalar/chain/bitcoind`.
 *
 * - Auth by cookie file (re-read once after a 401, for a restarted node) or user/password.
 * - Wallet calls go to `/wallet/<name>`; chain calls to `/`.
 * - Timeouts per call; retries with backoff on transient failures only (connection refused/reset,
 *   timeouts, HTTP 503 work-queue-full, -28 warming up) and **never** for `sendrawtransaction` or
 *   `submitpackage` (the caller decides; re-broadcasting is idempotent).
 * - The node's chain is checked once against `network` ({@link WrongNetwork}).
 * - Every reply is shape-checked; anything unexpected is a {@link MalformedReply}.
 * - Rejections become {@link TxRejected} with Core's reject string (`missing-inputs` for a single
 *   transaction as `testmempoolaccept` says it; `submitpackage` failures from its result).
 *
 * Requirements: `-txindex=1` for `getTransaction`/`getSpend` of confirmed transactions the wallet
 * does not know; Core ≥ 28 (TRUC, P2A, `submitpackage` with package RBF), ≥ 25 for
 * `gettxspendingprevout`.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { isNetwork, type Network } from '@superscalar/core';
import {
  InvalidArgumentError,
  MalformedReply,
  NotFound,
  ReplyTooLarge,
  RpcAuthFailed,
  RpcError,
  RpcTimeout,
  TxRejected,
  Unavailable,
  WarmingUp,
  WrongNetwork,
} from '../errors.js';
import type {
  ChainBackend,
  ChainBlock,
  ChainTip,
  Confirmation,
  FeePurpose,
  FundedOutput,
  MineOptions,
  NodePolicyInfo,
  OutPoint,
  PackageAccepted,
  SpendStatus,
  TxInfo,
  WaitOptions,
} from '../interfaces.js';
import { scriptToAddress } from '../sim/_address.js';
import { DecodeError, decodeTx, type Tx, toDisplayHex, txidHex, wtxidHex } from '../tx/index.js';
import { decodeBlock } from './_block.js';
import { boundsFor, decodeReply, type ReplyBounds, type Shape } from './_reply.js';

/** Credentials: Core's `.cookie` file, or `-rpcuser`/`-rpcpassword` (or `-rpcauth`). */
export type BitcoindAuth =
  | { readonly cookieFile: string }
  | { readonly user: string; readonly password: string };

/** Core's name (`getblockchaininfo.chain`) for each {@link Network}. */
const CORE_CHAIN: Readonly<Record<Network, string>> = {
  mainnet: 'main',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
};

/** Options of {@link BitcoindRpc}. */
export interface BitcoindRpcOptions {
  /** e.g. `http://127.0.0.1:18443`. Only `http:` (put TLS in front with a tunnel if needed). */
  readonly url: string;
  readonly auth: BitcoindAuth;
  /**
   * The network the node must run (`getblockchaininfo.chain` is `main`, `testnet4`, `signet` or
   * `regtest`); checked before every call until it has answered once, and never again trusted blindly.
   */
  readonly network: Network;
  /** Wallet name for wallet calls (`fund`, default mining address). */
  readonly wallet?: string;
  /** Per-call timeout, ms (default 30,000). */
  readonly timeoutMs?: number;
  /** Retries of a transient failure (default 3); never applied to broadcasts. */
  readonly retries?: number;
  /** First backoff delay, ms, doubled each retry (default 250). */
  readonly retryDelayMs?: number;
  /** Poll interval of `waitFor*`, ms (default 1,000). */
  readonly pollIntervalMs?: number;
  /** Confirmation targets for `estimatesmartfee` by purpose (defaults: presigned 6, cpfp 2, urgent 1, economical 12). */
  readonly feeTargets?: Partial<Record<FeePurpose, number>>;
  /** Used when the node has no estimate (fresh regtest): sat/kvB (default 1,000). */
  readonly fallbackFeeRate?: number;
  /** Floor for `presigned`, sat/kvB (default 1,000, brief §1). */
  readonly presignedFloor?: number;
  /** How far `getSpend` scans blocks for a confirmed spender (default 2,016). */
  readonly maxSpendScanBlocks?: number;
  /** Injected sleep (tests). */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Replaces the HTTP transport (tests, custom tunnels): posts `body` to `path` with the given headers
   * and resolves with the status and body text. Default: `node:http` to `url`.
   */
  readonly transport?: BitcoindTransport;
}

/** An HTTP POST: resolves with status and body, or rejects (an `Unavailable` for network faults). */
export type BitcoindTransport = (request: {
  readonly path: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly method: string;
}) => Promise<{ status: number; text: string }>;

const NEVER_RETRY = new Set(['sendrawtransaction', 'submitpackage']);
/** Fee failures Core reconsiders in a package: in `submitpackage` results they may be stale echoes. */
const FEE_REASONS = new Set([
  'min relay fee not met',
  'mempool min fee not met',
  'insufficient fee',
  'insufficient fee (including sibling eviction)',
  'mempool full',
]);
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const RPC_INVALID_ADDRESS_OR_KEY = -5;
const RPC_INVALID_PARAMETER = -8;
const RPC_VERIFY_ERROR = -25;
const RPC_VERIFY_REJECTED = -26;
const RPC_VERIFY_ALREADY_IN_CHAIN = -27;
const RPC_DESERIALIZATION_ERROR = -22;

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function satsToBtc(sats: bigint): string {
  const s = sats.toString().padStart(9, '0');
  return `${s.slice(0, -8)}.${s.slice(-8)}`;
}

/**
 * Integer sat/kvB from a node's BTC/kvB figure, checked: finite, ≥ 0 and at most 1 BTC/kvB (else
 * {@link MalformedReply}); rounded up, so a floor never falls below the node's.
 */
function feeRateOf(field: Shape): number {
  const v = field.nonNegative();
  const sat = Math.ceil(Math.round(v * 1e8 * 1000) / 1000);
  if (!Number.isSafeInteger(sat) || sat > MAX_BELIEVABLE_FEE_RATE)
    throw new MalformedReply(field.method, field.path, `fee rate above ${MAX_BELIEVABLE_FEE_RATE} sat/kvB`);
  return sat;
}

/**
 * Splits Core's `TxValidationState::ToString()` text, `reason` or `reason, debug`, at the first `, `
 * outside parentheses: a reason such as `mempool-script-verify-flag-failed (…)` is kept whole, and
 * nothing is dropped (the rest is the detail).
 */
export function splitReason(message: string): { reason: string; detail?: string } {
  let depth = 0;
  for (let i = 0; i < message.length - 1; i++) {
    const c = message[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && c === ',' && message[i + 1] === ' ')
      return { reason: message.slice(0, i), detail: message.slice(i + 2) };
  }
  return { reason: message };
}

/**
 * Core's `TransactionErrorString` texts that `sendrawtransaction` returns whole with RPC -25 (they are
 * not `reason, debug` pairs), and the reject reason each is reported as: `max-fee-exceeded` is what
 * `testmempoolaccept` says for the same transaction; `maxburnamount` has no testmempoolaccept name, so
 * the reason is Core's message itself.
 */
const TRANSACTION_ERRORS: ReadonlyMap<string, string> = new Map([
  ['Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)', 'max-fee-exceeded'],
  [
    'Unspendable output exceeds maximum configured by user (maxburnamount)',
    'Unspendable output exceeds maximum configured by user (maxburnamount)',
  ],
]);

/** Largest fee rate believed from a node, sat/kvB (1 BTC/kvB, the most `maxfeerate` accepts). */
const MAX_BELIEVABLE_FEE_RATE = 100_000_000;

/** Parses a transaction we were handed, for ids; undecodable bytes are refused like Core does. */
function ids(raw: Uint8Array, name: string): { txid: string; wtxid: string } {
  if (!(raw instanceof Uint8Array)) throw new InvalidArgumentError(name, 'expected a Uint8Array');
  try {
    const tx = decodeTx(raw);
    return { txid: txidHex(tx), wtxid: wtxidHex(tx) };
  } catch (e) {
    if (DecodeError.isInstance(e))
      throw new TxRejected({ reason: 'TX decode failed', detail: e.message, rule: 'decode', cause: e });
    throw e;
  }
}

/** Bitcoin Core JSON-RPC backend (see module doc). */
export class BitcoindRpc implements ChainBackend {
  private readonly url: URL;
  private readonly opts: Required<
    Omit<BitcoindRpcOptions, 'wallet' | 'feeTargets' | 'sleep' | 'transport'>
  > & {
    wallet: string | undefined;
    transport: BitcoindTransport | undefined;
    feeTargets: Record<FeePurpose, number>;
    sleep: (ms: number) => Promise<void>;
  };
  private authHeader: string | undefined;
  private nextId = 1;
  private networkChecked: Promise<void> | undefined;
  private miningAddress: string | undefined;

  constructor(options: BitcoindRpcOptions) {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'expected an object');
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new InvalidArgumentError('options.url', 'expected an http:// URL');
    }
    if (url.protocol !== 'http:') throw new InvalidArgumentError('options.url', 'only http: is supported');
    const auth = options.auth as Partial<{ cookieFile: unknown; user: unknown; password: unknown }>;
    if (
      typeof auth !== 'object' ||
      auth === null ||
      !(
        typeof auth.cookieFile === 'string' ||
        (typeof auth.user === 'string' && typeof auth.password === 'string')
      )
    )
      throw new InvalidArgumentError('options.auth', 'expected { cookieFile } or { user, password }');
    if (!isNetwork(options.network))
      throw new InvalidArgumentError('options.network', 'expected mainnet, testnet4, signet or regtest');
    const int = (v: number | undefined, d: number, name: string, min = 0): number => {
      if (v === undefined) return d;
      if (!Number.isInteger(v) || v < min)
        throw new InvalidArgumentError(`options.${name}`, `expected an integer ≥ ${min}`);
      return v;
    };
    this.url = url;
    this.opts = {
      url: options.url,
      auth: options.auth,
      network: options.network,
      wallet: options.wallet,
      timeoutMs: int(options.timeoutMs, 30_000, 'timeoutMs', 1),
      retries: int(options.retries, 3, 'retries'),
      retryDelayMs: int(options.retryDelayMs, 250, 'retryDelayMs'),
      pollIntervalMs: int(options.pollIntervalMs, 1000, 'pollIntervalMs', 1),
      feeTargets: { presigned: 6, cpfp: 2, urgent: 1, economical: 12, ...options.feeTargets },
      fallbackFeeRate: int(options.fallbackFeeRate, 1000, 'fallbackFeeRate', 1),
      presignedFloor: int(options.presignedFloor, 1000, 'presignedFloor'),
      maxSpendScanBlocks: int(options.maxSpendScanBlocks, 2016, 'maxSpendScanBlocks', 1),
      sleep: options.sleep ?? defaultSleep,
      transport: options.transport,
    };
    if ('user' in options.auth)
      this.authHeader = `Basic ${Buffer.from(`${options.auth.user}:${options.auth.password}`).toString('base64')}`;
  }

  // ---- transport -----------------------------------------------------------------------------

  private async loadCookie(): Promise<string> {
    const auth = this.opts.auth;
    if (!('cookieFile' in auth)) return this.authHeader!;
    let text: string;
    try {
      text = (await readFile(auth.cookieFile, 'utf8')).trim();
    } catch (e) {
      throw new Unavailable(`cannot read the cookie file ${auth.cookieFile} (is bitcoind running?)`, {
        cause: e,
      });
    }
    if (!text.includes(':')) throw new Unavailable(`cookie file ${auth.cookieFile} is not user:password`);
    this.authHeader = `Basic ${Buffer.from(text).toString('base64')}`;
    return this.authHeader;
  }

  private post(
    path: string,
    body: string,
    method: string,
    maxBytes: number,
  ): Promise<{ status: number; text: string }> {
    const timeoutMs = this.opts.timeoutMs;
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const req = request(
        {
          hostname: this.url.hostname,
          port: this.url.port === '' ? 80 : Number(this.url.port),
          path,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: this.authHeader ?? '',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBytes) {
              req.destroy();
              done(() => reject(new ReplyTooLarge(method, 'bytes', maxBytes)));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () =>
            done(() =>
              resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
            ),
          );
          res.on('error', (e) =>
            done(() => reject(new Unavailable(`bitcoind connection failed during ${method}`, { cause: e }))),
          );
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        done(() => reject(new RpcTimeout(method, timeoutMs)));
      }, timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) =>
        done(() =>
          reject(
            new Unavailable(
              `cannot reach bitcoind at ${this.url.host} for ${method} (${e.code ?? e.message})`,
              { cause: e },
            ),
          ),
        ),
      );
      req.end(body);
    });
  }

  private isTransient(e: unknown): boolean {
    if (WarmingUp.isInstance(e) || RpcTimeout.isInstance(e)) return true;
    if (e instanceof Unavailable) {
      const code = (e.cause as NodeJS.ErrnoException | undefined)?.code;
      return code === undefined || TRANSIENT_CODES.has(code);
    }
    return false;
  }

  /** One JSON-RPC call; returns the validated-later `result` shape. */
  private async call(
    method: string,
    params: unknown[] | Record<string, unknown>,
    opts: { wallet?: boolean; raw?: boolean } = {},
  ): Promise<Shape> {
    if (method !== 'getblockchaininfo') await this.checkNetwork();
    const bounds: ReplyBounds = boundsFor(method, opts.raw !== true);
    const retries = NEVER_RETRY.has(method) ? 0 : this.opts.retries;
    let delay = this.opts.retryDelayMs;
    let cookieRetried = false;
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.authHeader === undefined) await this.loadCookie();
        const id = this.nextId++;
        const body = JSON.stringify({ jsonrpc: '1.0', id, method, params });
        const path =
          opts.wallet === true && this.opts.wallet !== undefined
            ? `/wallet/${encodeURIComponent(this.opts.wallet)}`
            : '/';
        const res =
          this.opts.transport === undefined
            ? await this.post(path, body, method, bounds.bytes)
            : await this.opts.transport({
                path,
                body,
                method,
                headers: { 'content-type': 'application/json', authorization: this.authHeader ?? '' },
              });
        if (typeof res?.status !== 'number' || typeof res.text !== 'string')
          throw new MalformedReply(method, 'transport', 'expected { status, text }');
        if (res.status === 401 || res.status === 403) {
          if ('cookieFile' in this.opts.auth && !cookieRetried) {
            cookieRetried = true;
            this.authHeader = undefined;
            attempt--;
            continue;
          }
          throw new RpcAuthFailed(res.status);
        }
        if (res.status === 503) throw new Unavailable(`bitcoind is busy (HTTP 503 during ${method})`);
        if (res.status !== 200 && res.status !== 500 && res.status !== 404)
          throw new MalformedReply(method, 'status', `unexpected HTTP status ${res.status}`);
        return decodeReply(method, id, res.text, bounds);
      } catch (e) {
        if (attempt >= retries || !this.isTransient(e)) throw e;
        await this.opts.sleep(delay);
        delay *= 2;
      }
    }
  }

  private checkNetwork(): Promise<void> {
    this.networkChecked ??= (async () => {
      const r = (await this.call('getblockchaininfo', [])).obj();
      const chain = r.at('chain').str();
      if (chain !== CORE_CHAIN[this.opts.network]) throw new WrongNetwork(this.opts.network, chain);
    })().catch((e) => {
      this.networkChecked = undefined;
      throw e;
    });
    return this.networkChecked;
  }

  /** A raw call for anything this class does not wrap; the result is unvalidated JSON. */
  async rpc(method: string, params: unknown[] = [], options: { wallet?: boolean } = {}): Promise<unknown> {
    if (typeof method !== 'string' || !/^[a-z]+$/.test(method))
      throw new InvalidArgumentError('method', 'expected an RPC name');
    return (await this.call(method, params, { ...options, raw: true })).value;
  }

  // ---- ChainSource ---------------------------------------------------------------------------

  async tip(): Promise<ChainTip> {
    await this.checkNetwork();
    const r = (await this.call('getblockchaininfo', [])).obj();
    // The same reply names the chain: check it on every call, not only the first.
    const chain = r.at('chain').str();
    if (chain !== CORE_CHAIN[this.opts.network]) {
      this.networkChecked = undefined;
      throw new WrongNetwork(this.opts.network, chain);
    }
    return { height: r.at('blocks').int(0), hash: r.at('bestblockhash').hash() };
  }

  async blockHash(height: number): Promise<string> {
    if (!Number.isInteger(height) || height < 0)
      throw new InvalidArgumentError('height', 'expected a non-negative integer');
    try {
      return (await this.call('getblockhash', [height])).hash();
    } catch (e) {
      if (RpcError.isInstance(e) && e.rpcCode === RPC_INVALID_PARAMETER)
        throw new NotFound(`block at height ${height}`);
      throw e;
    }
  }

  /**
   * A block by hash, checked: the raw block (`getblock` verbosity 0, one bounded hex string) must
   * hash to `hash`, its transactions to its merkle root and their witnesses to its commitment; the
   * txids are computed here, never taken from the node. Height and median time come from
   * `getblockheader`, whose hash and previous hash must agree with the raw block's.
   */
  private async block(hash: string): Promise<ChainBlock & { decoded: Tx[] }> {
    const raw = (await this.call('getblock', [hash, 0])).hexBytes(4_000_000);
    const b = decodeBlock(raw, hash);
    const h = (await this.call('getblockheader', [hash, true])).obj();
    const height = h.at('height').int(0);
    if (h.at('hash').hash() !== hash)
      throw new MalformedReply('getblockheader', 'result.hash', 'header of another block');
    const prevHash = height === 0 ? '0'.repeat(64) : h.at('previousblockhash').hash();
    if (prevHash !== b.prevHash)
      throw new MalformedReply('getblockheader', 'result.previousblockhash', "not the raw block's");
    return {
      height,
      hash,
      prevHash,
      time: b.time,
      mediantime: h.at('mediantime').int(0),
      txs: b.txs,
      txids: b.txids,
      decoded: b.decoded,
    };
  }

  async blocksSince(height: number, limit = 1000): Promise<ChainBlock[]> {
    if (!Number.isInteger(height) || height < -1)
      throw new InvalidArgumentError('height', 'expected an integer ≥ -1');
    if (!Number.isInteger(limit) || limit < 1)
      throw new InvalidArgumentError('limit', 'expected a positive integer');
    const tip = await this.tip();
    const out: ChainBlock[] = [];
    for (let h = height + 1; h <= tip.height && out.length < limit; h++) {
      let hash: string;
      try {
        hash = await this.blockHash(h);
      } catch (e) {
        if (NotFound.isInstance(e)) break; // a reorg shortened the chain meanwhile
        throw e;
      }
      const { decoded: _, ...b } = await this.block(hash);
      // Stop at a reorganisation that happened while reading: the caller re-reads from its tip.
      const prev = out[out.length - 1];
      if (prev !== undefined && b.prevHash !== prev.hash) break;
      out.push(b);
    }
    return out;
  }

  private async confirmation(blockHash: string): Promise<Confirmation> {
    const h = (await this.call('getblockheader', [blockHash, true])).obj();
    return { blockHash, height: h.at('height').int(0), confirmations: h.at('confirmations').int(-1) };
  }

  async getTransaction(txid: string): Promise<TxInfo> {
    if (typeof txid !== 'string' || !/^[0-9a-f]{64}$/.test(txid))
      throw new InvalidArgumentError('txid', 'expected 64 hex');
    let r: Shape;
    try {
      r = (await this.call('getrawtransaction', [txid, true])).obj();
    } catch (e) {
      if (RpcError.isInstance(e) && e.rpcCode === RPC_INVALID_ADDRESS_OR_KEY)
        throw new NotFound(`transaction ${txid}`);
      throw e;
    }
    const tx = r.at('hex').hexBytes(4_000_000);
    if (r.at('txid').hash() !== txid)
      throw new MalformedReply('getrawtransaction', 'result.txid', 'another transaction');
    // The bytes must be the transaction asked for: hash them, never trust the label.
    let actual: string;
    try {
      actual = txidHex(decodeTx(tx));
    } catch (e) {
      throw new MalformedReply('getrawtransaction', 'result.hex', 'undecodable transaction', { cause: e });
    }
    if (actual !== txid)
      throw new MalformedReply(
        'getrawtransaction',
        'result.hex',
        `bytes of transaction ${actual}, not ${txid}`,
      );
    if (!r.has('blockhash') || !r.has('confirmations')) return { txid, tx };
    const c = await this.confirmation(r.at('blockhash').hash());
    if (c.confirmations < 1) return { txid, tx };
    return { txid, tx, confirmation: c };
  }

  async getSpend(outpoint: OutPoint): Promise<SpendStatus> {
    const txid = outpoint?.txid;
    if (typeof txid !== 'string' || !/^[0-9a-f]{64}$/.test(txid))
      throw new InvalidArgumentError('outpoint.txid', 'expected 64 hex');
    const vout = outpoint.vout;
    if (!Number.isInteger(vout) || vout < 0)
      throw new InvalidArgumentError('outpoint.vout', 'expected an index');
    const m = (await this.call('gettxspendingprevout', [[{ txid, vout }]])).arr(1);
    const entry = m[0]?.obj();
    if (entry?.has('spendingtxid') === true) {
      const spender = entry.at('spendingtxid').hash();
      const stx = decodeTx((await this.getTransaction(spender)).tx);
      const vin = stx.inputs.findIndex(
        (i) => Buffer.from(i.prevTxid).reverse().toString('hex') === txid && i.vout === vout,
      );
      if (vin < 0)
        throw new MalformedReply(
          'gettxspendingprevout',
          'result[0].spendingtxid',
          'does not spend the outpoint',
        );
      return { spent: true, txid: spender, vin };
    }
    const utxo = await this.call('gettxout', [txid, vout, true]);
    if (!utxo.isNull()) {
      utxo.obj();
      return { spent: false };
    }
    // Spent in a block (or never existed): scan forward from the creating block.
    const created = await this.getTransaction(txid);
    const outputs = decodeTx(created.tx).outputs.length;
    if (vout >= outputs) throw new NotFound(`outpoint ${txid}:${vout}`);
    if (created.confirmation === undefined) throw new NotFound(`outpoint ${txid}:${vout}`);
    const tip = await this.tip();
    const last = Math.min(tip.height, created.confirmation.height + this.opts.maxSpendScanBlocks);
    for (let h = created.confirmation.height; h <= last; h++) {
      const hash = await this.blockHash(h);
      const b = await this.block(hash);
      for (let t = 1; t < b.decoded.length; t++) {
        const vin = b.decoded[t]!.inputs.findIndex(
          (i) => i.vout === vout && toDisplayHex(i.prevTxid) === txid,
        );
        if (vin >= 0)
          return { spent: true, txid: b.txids[t]!, vin, confirmation: await this.confirmation(hash) };
      }
    }
    throw new Unavailable(
      `spender of ${txid}:${vout} not found within ${this.opts.maxSpendScanBlocks} blocks`,
    );
  }

  private async poll<T>(answer: () => Promise<T | undefined>, options?: WaitOptions): Promise<T> {
    const signal = options?.signal;
    for (;;) {
      if (signal?.aborted === true) throw signal.reason;
      const a = await answer();
      if (a !== undefined) return a;
      await this.opts.sleep(this.opts.pollIntervalMs);
    }
  }

  waitForHeight(height: number, options?: WaitOptions): Promise<ChainTip> {
    if (!Number.isInteger(height) || height < 0)
      throw new InvalidArgumentError('height', 'expected a non-negative integer');
    return this.poll(async () => {
      const t = await this.tip();
      return t.height >= height ? t : undefined;
    }, options);
  }

  waitForConfirmation(txid: string, confirmations = 1, options?: WaitOptions): Promise<Confirmation> {
    if (!Number.isInteger(confirmations) || confirmations < 1)
      throw new InvalidArgumentError('confirmations', 'expected a positive integer');
    return this.poll(async () => {
      try {
        const c = (await this.getTransaction(txid)).confirmation;
        return c !== undefined && c.confirmations >= confirmations ? c : undefined;
      } catch (e) {
        if (NotFound.isInstance(e)) return undefined;
        throw e;
      }
    }, options);
  }

  // ---- Broadcaster ---------------------------------------------------------------------------

  /** Maps a `sendrawtransaction` RPC error to {@link TxRejected} (testmempoolaccept's names). */
  private static rejection(e: unknown, txid: string): unknown {
    if (!RpcError.isInstance(e)) return e;
    const { reason, detail } = splitReason(e.rpcMessage);
    const base = { txid, cause: e, ...(detail === undefined ? {} : { detail }) };
    switch (e.rpcCode) {
      case RPC_VERIFY_REJECTED:
        return new TxRejected({ ...base, reason });
      case RPC_VERIFY_ERROR: {
        // sendrawtransaction's own checks (maxfeerate, maxburnamount): Core's message, whole.
        const named = TRANSACTION_ERRORS.get(e.rpcMessage);
        if (named !== undefined)
          return new TxRejected({ txid, cause: e, reason: named, detail: e.rpcMessage });
        // Core ≥ 0.21 reports missing/spent inputs here; testmempoolaccept calls it missing-inputs.
        if (/missingorspent|missing inputs|inputs missing/i.test(e.rpcMessage))
          return new TxRejected({ ...base, reason: 'missing-inputs', detail: e.rpcMessage });
        return new TxRejected({ ...base, reason });
      }
      case RPC_VERIFY_ALREADY_IN_CHAIN:
        return new TxRejected({ ...base, reason: 'txn-already-known', detail: e.rpcMessage });
      case RPC_DESERIALIZATION_ERROR:
        return new TxRejected({ ...base, reason: 'TX decode failed', detail: e.rpcMessage });
      default:
        return e;
    }
  }

  async broadcast(tx: Uint8Array): Promise<string> {
    const { txid } = ids(tx, 'tx');
    let r: Shape;
    try {
      r = await this.call('sendrawtransaction', [hex(tx)]);
    } catch (e) {
      throw BitcoindRpc.rejection(e, txid);
    }
    const got = r.hash();
    if (got !== txid) throw new MalformedReply('sendrawtransaction', 'result', 'txid of another transaction');
    return got;
  }

  async broadcastPackage(parent: Uint8Array, child: Uint8Array): Promise<PackageAccepted> {
    const p = ids(parent, 'parent');
    const c = ids(child, 'child');
    let r: Shape;
    try {
      r = (await this.call('submitpackage', [[hex(parent), hex(child)]])).obj();
    } catch (e) {
      if (
        RpcError.isInstance(e) &&
        e.rpcCode === RPC_VERIFY_ERROR &&
        /topology|child-with-parents/.test(e.rpcMessage)
      )
        throw new TxRejected({ reason: 'package-not-child-with-parents', detail: e.rpcMessage, cause: e });
      throw BitcoindRpc.rejection(e, c.txid);
    }
    return BitcoindRpc.packageResult(r, p, c);
  }

  /** Interprets a `submitpackage` result (exported for the parser tests). */
  static packageResult(
    r: Shape,
    p: { txid: string; wtxid: string },
    c: { txid: string; wtxid: string },
  ): PackageAccepted {
    const msg = r.at('package_msg').str();
    const results = r.at('tx-results').obj();
    for (const key of results.keys())
      if (!/^[0-9a-f]{64}$/.test(key))
        throw new MalformedReply(
          'submitpackage',
          `result.tx-results.${key.slice(0, 80)}`,
          'key is not a wtxid',
        );
    const replaced = r.has('replaced-transactions')
      ? r
          .at('replaced-transactions')
          .arr(10_000)
          .map((s) => s.hash())
      : [];
    if (msg === 'success') {
      for (const t of [p, c]) {
        const e = results.at(t.wtxid);
        if (e.value === undefined) continue; // a same-txid-different-witness entry is keyed by the submitted wtxid too; tolerate absence
        if (e.obj().has('error'))
          throw new MalformedReply('submitpackage', `result.tx-results.${t.wtxid}.error`, 'error on success');
        if (e.has('txid') && e.at('txid').hash() !== t.txid)
          throw new MalformedReply('submitpackage', `result.tx-results.${t.wtxid}.txid`, 'mismatch');
      }
      return { parentTxid: p.txid, childTxid: c.txid, replacedTxids: replaced };
    }
    // Core's AcceptPackage: a package-level failure (package RBF, TRUC in package) has no
    // per-transaction result, so each transaction shows its stale individual result and the cause is in
    // package_msg. Otherwise (package_msg "transaction failed"/"unspent-dust") the cause is a
    // transaction's error; individual fee failures and the child's missing parent are only echoes.
    const packageLevel = msg !== 'transaction failed' && msg !== 'unspent-dust';
    if (!packageLevel) {
      const errors: { t: { txid: string; wtxid: string }; text: string; echo: boolean }[] = [];
      for (const t of [p, c]) {
        const e = results.at(t.wtxid);
        if (e.value === undefined || !e.obj().has('error')) continue;
        const text = e.at('error').str();
        // Core ≤ 30 says `unevaluated`, later Cores `package-not-validated`, for a tx it did not judge.
        if (text === 'unevaluated' || text === 'package-not-validated') continue;
        const reason = splitReason(text).reason;
        const echo = FEE_REASONS.has(reason) || (t === c && reason === 'bad-txns-inputs-missingorspent');
        errors.push({ t, text, echo });
      }
      const chosen = errors.find((e) => !e.echo) ?? errors[0];
      if (chosen !== undefined) {
        const { reason, detail } = splitReason(chosen.text);
        throw new TxRejected({
          reason,
          txid: chosen.t.txid,
          ...(detail === undefined ? {} : { detail }),
          rule: 'package',
        });
      }
    }
    const { reason, detail } = splitReason(msg);
    throw new TxRejected({
      reason,
      txid: c.txid,
      ...(detail === undefined ? {} : { detail }),
      rule: 'package',
    });
  }

  // ---- FeeEstimator --------------------------------------------------------------------------

  async policyInfo(): Promise<NodePolicyInfo> {
    const r = (await this.call('getnetworkinfo', [])).obj();
    return {
      version: r.at('version').int(1, 99_999_999),
      minRelayFeeRate: feeRateOf(r.at('relayfee')),
      incrementalRelayFeeRate: feeRateOf(r.at('incrementalfee')),
    };
  }

  async feeRate(purpose: FeePurpose): Promise<number> {
    const target = this.opts.feeTargets[purpose];
    if (target === undefined)
      throw new InvalidArgumentError('purpose', `unknown fee purpose ${String(purpose)}`);
    const est = (await this.call('estimatesmartfee', [target])).obj();
    const rate = est.has('feerate') ? feeRateOf(est.at('feerate')) : this.opts.fallbackFeeRate;
    const info = await this.policyInfo();
    const floor =
      purpose === 'presigned'
        ? Math.max(this.opts.presignedFloor, info.minRelayFeeRate)
        : info.minRelayFeeRate;
    return Math.max(rate, floor);
  }

  // ---- RegtestControl ------------------------------------------------------------------------

  private async walletAddress(): Promise<string> {
    this.miningAddress ??= (await this.call('getnewaddress', [], { wallet: true })).str();
    return this.miningAddress;
  }

  async mine(count: number, options?: MineOptions): Promise<string[]> {
    if (!Number.isInteger(count) || count < 0 || count > 100_000)
      throw new InvalidArgumentError('count', 'expected an integer in [0, 100000]');
    if (options?.scriptPubKey !== undefined && options.address !== undefined)
      throw new InvalidArgumentError('options', 'give either scriptPubKey or address, not both');
    const target =
      options?.scriptPubKey !== undefined
        ? `raw(${hex(options.scriptPubKey)})`
        : options?.address !== undefined
          ? `addr(${options.address})`
          : `addr(${await this.walletAddress()})`;
    if (options?.empty === true) {
      const out: string[] = [];
      for (let i = 0; i < count; i++)
        out.push((await this.call('generateblock', [target, []])).obj().at('hash').hash());
      return out;
    }
    return (await this.call('generatetodescriptor', [count, target])).arr(count).map((s) => s.hash());
  }

  async fund(scriptPubKey: Uint8Array, amount: bigint): Promise<FundedOutput> {
    if (!(scriptPubKey instanceof Uint8Array))
      throw new InvalidArgumentError('scriptPubKey', 'expected a Uint8Array');
    if (typeof amount !== 'bigint' || amount <= 0n)
      throw new InvalidArgumentError('amount', 'expected a positive bigint');
    const address = scriptToAddress(scriptPubKey);
    if (address === null)
      throw new InvalidArgumentError('scriptPubKey', 'has no address; the wallet can only pay addresses');
    const balance = (await this.call('getbalances', [], { wallet: true }))
      .obj()
      .at('mine')
      .obj()
      .at('trusted')
      .btcSats();
    if (balance < amount + 1_000_000n) await this.mine(101);
    const txid = (
      await this.call('sendtoaddress', { address, amount: satsToBtc(amount) }, { wallet: true })
    ).hash();
    await this.mine(1);
    const info = await this.getTransaction(txid);
    const tx = decodeTx(info.tx);
    const vout = tx.outputs.findIndex(
      (o) => o.value === amount && Buffer.from(o.script).equals(Buffer.from(scriptPubKey)),
    );
    if (vout < 0 || info.confirmation === undefined)
      throw new Unavailable(`funding transaction ${txid} has no confirmed output paying the script`);
    return {
      txid,
      vout,
      amount,
      scriptPubKey: Uint8Array.from(scriptPubKey),
      height: info.confirmation.height,
    };
  }

  async invalidateBlock(hash: string): Promise<void> {
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash))
      throw new InvalidArgumentError('hash', 'expected 64 hex');
    try {
      await this.call('invalidateblock', [hash]);
    } catch (e) {
      if (RpcError.isInstance(e) && e.rpcCode === RPC_INVALID_ADDRESS_OR_KEY)
        throw new NotFound(`block ${hash}`);
      throw e;
    }
  }

  async setMockTime(unixSeconds: number): Promise<void> {
    if (!Number.isInteger(unixSeconds) || unixSeconds < 0)
      throw new InvalidArgumentError('unixSeconds', 'expected a non-negative integer');
    await this.call('setmocktime', [unixSeconds]);
  }
}
