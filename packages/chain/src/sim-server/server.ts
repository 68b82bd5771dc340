/**
 * SimChain as a server: one {@link SimChain} behind the subset of Bitcoin Core's JSON-RPC that
 * `BitcoindRpc` uses, plus the regtest controls `RegtestControl` maps to, so `BitcoindRpc` talks to it
 * unchanged (`network: 'regtest'`). For crash tests and multi-process benchmarks: the chain outlives
 * the processes under test, and with a `datadir` it also survives its own restart.
 *
 * Node only (`node:http`, `node:fs`): import it from `@superscalar/chain/sim-server`, or run the CLI
 * (`superscalar-sim-server`, `cli.ts`).
 *
 * - **Auth** like Core: HTTP Basic with `user`/`password`, or a random cookie `__cookie__:<hex>`
 *   written to `<datadir>/.cookie` (mode 0600) and removed on close. 401 otherwise.
 * - **Binds 127.0.0.1** unless told otherwise.
 * - **Persistence**: with a `datadir`, every state-changing call (mine, broadcast, package, send,
 *   invalidate, mock time) is appended to `<datadir>/simchain.journal` and fsynced before the reply;
 *   a restart replays the journal into a fresh SimChain with the same clock readings, which rebuilds
 *   the same blocks, hashes and mempool (SimChain is deterministic given its inputs). A torn last
 *   line (a kill -9 mid-write) is dropped: that call was never answered.
 * - **Not served**: wallets beyond one implicit wallet whose coins are SimChain's faucet (any
 *   `/wallet/<name>` path reaches it), `generateblock` with transactions, P2P, ZMQ, `reconsiderblock`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { InvalidArgumentError, NotFound, TxRejected, Unavailable } from '../errors.js';
import type { ChainBlock, FeePurpose, TxInfo } from '../interfaces.js';
import { addressToScript, scriptToAddress } from '../sim/_address.js';
import { headerBytes, merkleRoot } from '../sim/_block.js';
import type { SimPolicy } from '../sim/policy.js';
import { FAUCET_SCRIPT, SimChain } from '../sim/simChain.js';
import { Writer } from '../tx/_bytes.js';
import { decodeTx, fromDisplayHex, isCoinbase, txidHex, vsize, wtxidHex } from '../tx/index.js';

/** The SimChain settings a server starts with (and records in its journal). */
export interface SimServerChainOptions {
  readonly policy?: Partial<SimPolicy>;
  readonly feeRates?: Partial<Record<FeePurpose, number>>;
  readonly presignedFloor?: number;
  readonly genesisTime?: number;
}

/** Options of {@link startSimServer}. */
export interface SimServerOptions {
  /** Interface to bind (default `127.0.0.1`). */
  readonly host?: string;
  /** TCP port (default 0: any free port; read it from the result). */
  readonly port?: number;
  /**
   * Directory for the cookie and the journal. With it, state persists across restarts (unless
   * `persist: false`). Without it, the state lives in memory and `auth` is required.
   */
  readonly datadir?: string;
  /** Write and replay the journal (default: true when `datadir` is set). */
  readonly persist?: boolean;
  /** Fixed credentials instead of a cookie. */
  readonly auth?: { readonly user: string; readonly password: string };
  /** SimChain settings for a new chain; a replayed journal keeps the ones it was created with. */
  readonly chain?: SimServerChainOptions;
  /** Wall clock, unix seconds (default `Date.now()`); `setmocktime` overrides it as on Core. */
  readonly clock?: () => number;
  /** Largest request body accepted, bytes (default 64 MiB). */
  readonly maxRequestBytes?: number;
}

/** A running server. */
export interface SimServer {
  /** `http://host:port`, for `BitcoindRpc`'s `url`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The cookie file when cookie auth is used. */
  readonly cookieFile: string | undefined;
  /** The served chain, for in-process inspection (do not change it behind the journal's back). */
  readonly chain: SimChain;
  /** Resolves once `stop` was called over RPC or {@link SimServer.close} ran. */
  readonly closed: Promise<void>;
  /** Stops listening, removes the cookie, closes the journal. */
  close(): Promise<void>;
}

/** A JSON-RPC error with Core's numeric code. */
class RpcFault extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const RPC_MISC_ERROR = -1;
const RPC_TYPE_ERROR = -3;
const RPC_INVALID_ADDRESS_OR_KEY = -5;
const RPC_INVALID_PARAMETER = -8;
const RPC_DESERIALIZATION_ERROR = -22;
const RPC_VERIFY_ERROR = -25;
const RPC_VERIFY_REJECTED = -26;
const RPC_VERIFY_ALREADY_IN_CHAIN = -27;
const RPC_METHOD_NOT_FOUND = -32601;
const RPC_PARSE_ERROR = -32700;
const RPC_INVALID_REQUEST = -32600;

/** Positional names of each method's parameters (for named-parameter calls), as Core names them. */
const PARAMS: Record<string, readonly string[]> = {
  getblockchaininfo: [],
  getblockcount: [],
  getbestblockhash: [],
  getblockhash: ['height'],
  getblock: ['blockhash', 'verbosity'],
  getblockheader: ['blockhash', 'verbose'],
  getrawtransaction: ['txid', 'verbose', 'blockhash'],
  gettxout: ['txid', 'n', 'include_mempool'],
  gettxspendingprevout: ['outputs'],
  getrawmempool: ['verbose'],
  getmempoolinfo: [],
  sendrawtransaction: ['hexstring', 'maxfeerate', 'maxburnamount'],
  testmempoolaccept: ['rawtxs', 'maxfeerate'],
  submitpackage: ['package', 'maxfeerate', 'maxburnamount'],
  getnetworkinfo: [],
  estimatesmartfee: ['conf_target', 'estimate_mode'],
  getnewaddress: ['label', 'address_type'],
  getbalances: [],
  getbalance: [],
  sendtoaddress: ['address', 'amount'],
  generatetodescriptor: ['num_blocks', 'descriptor', 'maxtries'],
  generatetoaddress: ['nblocks', 'address', 'maxtries'],
  generateblock: ['output', 'transactions'],
  invalidateblock: ['blockhash'],
  setmocktime: ['timestamp'],
  uptime: [],
  stop: [],
};

/** One journal line: a state-changing call, with the clock reading it ran at. */
type JournalOp =
  | { op: 'mine'; t: number; n: number; script: string; empty: boolean }
  | { op: 'send'; t: number; script: string; amount: string }
  | { op: 'tx'; t: number; hex: string }
  | { op: 'package'; t: number; parent: string; child: string }
  | { op: 'invalidate'; t: number; hash: string }
  | { op: 'mocktime'; t: number; time: number };

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function bytesOf(v: unknown, name: string): Uint8Array {
  if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v))
    throw new RpcFault(RPC_DESERIALIZATION_ERROR, `${name}: expected hex`);
  return Uint8Array.from(Buffer.from(v, 'hex'));
}

function hashParam(v: unknown, name: string): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v))
    throw new RpcFault(
      RPC_INVALID_PARAMETER,
      `${name} must be of length 64 (not ${String(v).length}, for '${String(v).slice(0, 80)}')`,
    );
  return v.toLowerCase();
}

function intParam(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new RpcFault(RPC_TYPE_ERROR, `${name}: expected an integer`);
  return v;
}

/** A BTC amount (JSON number or decimal string, ≤ 8 decimals) as sats. */
function satsParam(v: unknown, name: string): bigint {
  const s = typeof v === 'number' && Number.isFinite(v) ? v.toFixed(8) : v;
  if (typeof s !== 'string' || !/^\d{1,8}(\.\d{1,8})?$/.test(s))
    throw new RpcFault(RPC_TYPE_ERROR, `${name}: invalid amount`);
  const [whole, frac = ''] = s.split('.');
  const sats = BigInt(whole!) * 100_000_000n + BigInt(frac.padEnd(8, '0'));
  if (sats <= 0n) throw new RpcFault(RPC_TYPE_ERROR, `${name}: amount out of range`);
  return sats;
}

/** Sats as the JSON number Core prints (8 decimals at most). */
const btc = (sats: bigint): number => Number(sats) / 1e8;

/** `raw(HEX)` or `addr(ADDRESS)`, with or without a `#checksum`. */
function descriptorScript(v: unknown): Uint8Array {
  if (typeof v !== 'string') throw new RpcFault(RPC_INVALID_ADDRESS_OR_KEY, 'expected a descriptor');
  const d = v.replace(/#[0-9a-z]{8}$/, '');
  const raw = /^raw\(([0-9a-fA-F]*)\)$/.exec(d);
  if (raw !== null) return bytesOf(raw[1], 'descriptor');
  const addr = /^addr\(([^)]+)\)$/.exec(d);
  if (addr !== null) return addressScript(addr[1]);
  throw new RpcFault(
    RPC_INVALID_ADDRESS_OR_KEY,
    `SimChain server supports raw() and addr() descriptors, not ${d.slice(0, 80)}`,
  );
}

function addressScript(a: unknown): Uint8Array {
  try {
    return addressToScript(a as string);
  } catch (e) {
    if (InvalidArgumentError.isInstance(e)) throw new RpcFault(RPC_INVALID_ADDRESS_OR_KEY, 'Invalid address');
    throw e;
  }
}

/** Core's RPC error for a rejected `sendrawtransaction`. */
function rejectionFault(e: TxRejected): RpcFault {
  const text = e.detail === undefined || e.detail === '' ? e.reason : `${e.reason}, ${e.detail}`;
  if (e.reason === 'missing-inputs') return new RpcFault(RPC_VERIFY_ERROR, 'bad-txns-inputs-missingorspent');
  if (e.reason === 'txn-already-known' || e.reason === 'txn-already-in-mempool')
    return new RpcFault(RPC_VERIFY_ALREADY_IN_CHAIN, 'Transaction already in block chain');
  if (e.reason === 'TX decode failed') return new RpcFault(RPC_DESERIALIZATION_ERROR, 'TX decode failed');
  return new RpcFault(RPC_VERIFY_REJECTED, text);
}

/** Applies journal operations to a chain (live and on replay alike). */
class Machine {
  /** The clock reading the current operation runs at. */
  now = 0;
  readonly chain: SimChain;

  constructor(options: SimServerChainOptions) {
    this.chain = new SimChain({ ...options, clock: () => this.now });
  }

  apply(op: JournalOp): unknown {
    this.now = op.t;
    const c = this.chain;
    switch (op.op) {
      case 'mine':
        return c.mineSync(op.n, { scriptPubKey: bytesOf(op.script, 'script'), empty: op.empty });
      case 'send':
        return c.faucetSend(bytesOf(op.script, 'script'), BigInt(op.amount));
      case 'tx':
        return c.broadcastSync(bytesOf(op.hex, 'hex'));
      case 'package':
        return c.broadcastPackageSync(bytesOf(op.parent, 'parent'), bytesOf(op.child, 'child'));
      case 'invalidate':
        return c.invalidateBlockSync(op.hash);
      case 'mocktime':
        void c.setMockTime(op.time);
        return null;
    }
  }
}

/** Starts a SimChain JSON-RPC server (see the module doc). */
export async function startSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('options.port', 'expected an integer in [0, 65535]');
  const datadir = options.datadir;
  if (datadir === undefined && options.auth === undefined)
    throw new InvalidArgumentError('options', 'give a datadir (for the cookie) or auth { user, password }');
  const persist = options.persist ?? datadir !== undefined;
  if (persist && datadir === undefined) throw new InvalidArgumentError('options.persist', 'needs a datadir');
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  const maxRequestBytes = options.maxRequestBytes ?? 64 * 1024 * 1024;
  if (datadir !== undefined) mkdirSync(datadir, { recursive: true });

  // Journal: the first line holds the chain options; then one operation per line.
  let machine: Machine;
  let journalFd: number | undefined;
  if (persist) {
    const path = join(datadir!, 'simchain.journal');
    const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
    let good = 0; // bytes of complete, parsable lines
    const parsed: unknown[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (i === lines.length - 1) break; // after the last '\n': empty, or a torn write
      try {
        parsed.push(JSON.parse(line));
      } catch {
        break;
      }
      good += Buffer.byteLength(line) + 1;
    }
    const header = parsed[0] as { simchainJournal?: number; chain?: SimServerChainOptions } | undefined;
    if (header !== undefined && header.simchainJournal !== 1)
      throw new Unavailable(`${path} is not a SimChain journal (version 1)`);
    machine = new Machine(header?.chain ?? options.chain ?? {});
    for (const op of parsed.slice(1) as JournalOp[]) {
      try {
        machine.apply(op);
      } catch {
        // It failed live too: recorded for its side effects (a faucet send may mine first).
      }
    }
    journalFd = openSync(path, 'a+');
    if (existsSync(path) && readFileSync(path).length > good) {
      // Drop a torn tail (kill -9 during a write): that call was never answered.
      closeSync(journalFd);
      writeFileSync(path, readFileSync(path).subarray(0, good));
      journalFd = openSync(path, 'a');
    }
    if (header === undefined) {
      writeSync(
        journalFd,
        `${JSON.stringify({ simchainJournal: 1, chain: options.chain ?? {} }, (_k, v) => v)}\n`,
      );
      fsyncSync(journalFd);
    }
  } else {
    machine = new Machine(options.chain ?? {});
  }
  const chain = machine.chain;

  /** Runs a state-changing operation and records it (success or failure) before answering. */
  const run = (op: JournalOp): unknown => {
    let result: unknown;
    let error: unknown;
    let failed = false;
    try {
      result = machine.apply(op);
    } catch (e) {
      failed = true;
      error = e;
    }
    if (journalFd !== undefined) {
      writeSync(journalFd, `${JSON.stringify(op)}\n`);
      fsyncSync(journalFd);
    }
    if (failed) throw error;
    return result;
  };
  const now = (): number => clock();

  // Credentials.
  let expected: Buffer;
  let cookieFile: string | undefined;
  if (options.auth !== undefined) {
    expected = Buffer.from(`${options.auth.user}:${options.auth.password}`);
  } else {
    cookieFile = join(datadir!, '.cookie');
    const cookie = `__cookie__:${randomBytes(32).toString('hex')}`;
    writeFileSync(cookieFile, cookie, { mode: 0o600 });
    expected = Buffer.from(cookie);
  }
  const authorized = (header: string | undefined): boolean => {
    if (header === undefined || !header.startsWith('Basic ')) return false;
    const got = Buffer.from(header.slice(6), 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  const startedAt = Date.now();
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));

  const faucetAddress = scriptToAddress(FAUCET_SCRIPT)!;

  const txJson = (raw: Uint8Array) => {
    const tx = decodeTx(raw);
    return {
      txid: txidHex(tx),
      hash: wtxidHex(tx),
      version: tx.version,
      size: raw.length,
      vsize: vsize(tx),
      locktime: tx.locktime,
      vin: tx.inputs.map((i) =>
        isCoinbase(tx)
          ? { coinbase: '', sequence: i.sequence }
          : {
              txid: Buffer.from(i.prevTxid).reverse().toString('hex'),
              vout: i.vout,
              sequence: i.sequence,
            },
      ),
      vout: tx.outputs.map((o, n) => ({
        value: btc(o.value),
        n,
        scriptPubKey: {
          hex: hexOf(o.script),
          ...(scriptToAddress(o.script) === null ? {} : { address: scriptToAddress(o.script) }),
        },
      })),
      hex: hexOf(raw),
    };
  };

  const blockOr = (hash: string) => {
    const b = chain.blockByHash(hash);
    if (b === undefined) throw new RpcFault(RPC_INVALID_ADDRESS_OR_KEY, 'Block not found');
    return b;
  };
  // The block exactly as SimChain mined it: its header (from which its hash comes) and transactions.
  const rawHeader = (b: ChainBlock) =>
    headerBytes(b.prevHash, merkleRoot(b.txids.map((t) => fromDisplayHex(t))), b.time);
  const rawBlock = (b: ChainBlock) => {
    const w = new Writer();
    w.bytes(rawHeader(b));
    w.compactSize(b.txs.length);
    for (const t of b.txs) w.bytes(t);
    return w.finish();
  };

  const headerJson = (b: { block: ChainBlock; active: boolean }) => ({
    hash: b.block.hash,
    confirmations: b.active ? chain.height - b.block.height + 1 : -1,
    height: b.block.height,
    time: b.block.time,
    mediantime: b.block.mediantime,
    nTx: b.block.txs.length,
    ...(b.block.height === 0 ? {} : { previousblockhash: b.block.prevHash }),
    ...(b.active && b.block.height < chain.height
      ? { nextblockhash: chain.blockAt(b.block.height + 1).hash }
      : {}),
  });

  const methods: Record<string, (p: unknown[]) => unknown> = {
    getblockchaininfo: () => {
      const tip = chain.blockAt(chain.height);
      return {
        chain: 'regtest',
        blocks: tip.height,
        headers: tip.height,
        bestblockhash: tip.hash,
        time: tip.time,
        mediantime: tip.mediantime,
        initialblockdownload: false,
        pruned: false,
        warnings: [],
      };
    },
    getblockcount: () => chain.height,
    getbestblockhash: () => chain.blockAt(chain.height).hash,
    getblockhash: ([h]) => {
      const height = intParam(h, 'height');
      if (height < 0 || height > chain.height)
        throw new RpcFault(RPC_INVALID_PARAMETER, 'Block height out of range');
      return chain.blockAt(height).hash;
    },
    getblockheader: ([hash, verbose = true]) => {
      const b = blockOr(hashParam(hash, 'blockhash'));
      if (verbose === false || verbose === 0) return hexOf(rawHeader(b.block));
      return headerJson(b);
    },
    getblock: ([hash, verbosity = 1]) => {
      const b = blockOr(hashParam(hash, 'blockhash'));
      const v = verbosity === true ? 1 : verbosity === false ? 0 : intParam(verbosity, 'verbosity');
      if (v === 0) return hexOf(rawBlock(b.block));
      return {
        ...headerJson(b),
        tx: v === 1 ? [...b.block.txids] : b.block.txs.map(txJson),
      };
    },
    getrawtransaction: async ([txid, verbose = false]) => {
      const id = hashParam(txid, 'txid');
      let info: TxInfo;
      try {
        info = await chain.getTransaction(id);
      } catch (e) {
        if (NotFound.isInstance(e))
          throw new RpcFault(
            RPC_INVALID_ADDRESS_OR_KEY,
            'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.',
          );
        throw e;
      }
      if (verbose === false || verbose === 0) return hexOf(info.tx);
      const c = info.confirmation;
      return {
        ...txJson(info.tx),
        ...(c === undefined
          ? {}
          : {
              blockhash: c.blockHash,
              confirmations: c.confirmations,
              blocktime: chain.blockAt(c.height).time,
            }),
      };
    },
    gettxout: async ([txid, n, includeMempool = true]) => {
      const id = hashParam(txid, 'txid');
      const vout = intParam(n, 'n');
      const confirmed = chain.utxo({ txid: id, vout });
      const bestblock = chain.blockAt(chain.height).hash;
      if (includeMempool !== false) {
        const s = await spendOf(chain, id, vout);
        if (s === undefined || s.spent) return null;
      }
      if (confirmed !== undefined)
        return {
          bestblock,
          confirmations: chain.height - confirmed.height + 1,
          value: btc(confirmed.value),
          scriptPubKey: { hex: hexOf(confirmed.scriptPubKey) },
          coinbase: confirmed.coinbase,
        };
      if (includeMempool === false) return null;
      const out = decodeTx((await chain.getTransaction(id)).tx).outputs[vout];
      if (out === undefined) return null;
      return {
        bestblock,
        confirmations: 0,
        value: btc(out.value),
        scriptPubKey: { hex: hexOf(out.script) },
        coinbase: false,
      };
    },
    gettxspendingprevout: async ([outputs]) => {
      if (!Array.isArray(outputs)) throw new RpcFault(RPC_TYPE_ERROR, 'outputs: expected an array');
      const out = [];
      for (const o of outputs as { txid?: unknown; vout?: unknown }[]) {
        const txid = hashParam(o?.txid, 'txid');
        const vout = intParam(o?.vout, 'vout');
        const s = await spendOf(chain, txid, vout);
        out.push(
          s?.spent && s.confirmation === undefined ? { txid, vout, spendingtxid: s.txid } : { txid, vout },
        );
      }
      return out;
    },
    getrawmempool: () => chain.mempool(),
    getmempoolinfo: () => ({ loaded: true, size: chain.mempool().length }),
    sendrawtransaction: ([hex]) => {
      const raw = bytesOf(hex, 'hexstring');
      return rejecting(() => run({ op: 'tx', t: now(), hex: hexOf(raw) }));
    },
    testmempoolaccept: ([rawtxs]) => {
      if (!Array.isArray(rawtxs) || rawtxs.length !== 1)
        throw new RpcFault(RPC_INVALID_PARAMETER, 'SimChain server tests one transaction at a time');
      const raw = bytesOf(rawtxs[0], 'rawtxs[0]');
      let ids: { txid: string; wtxid: string };
      try {
        const tx = decodeTx(raw);
        ids = { txid: txidHex(tx), wtxid: wtxidHex(tx) };
      } catch {
        throw new RpcFault(RPC_DESERIALIZATION_ERROR, 'TX decode failed');
      }
      try {
        chain.testAccept(raw);
        return [{ ...ids, allowed: true }];
      } catch (e) {
        if (!TxRejected.isInstance(e)) throw e;
        return [{ ...ids, allowed: false, 'reject-reason': e.reason }];
      }
    },
    submitpackage: ([pkg]) => {
      if (!Array.isArray(pkg) || pkg.length !== 2)
        throw new RpcFault(RPC_INVALID_PARAMETER, 'SimChain server accepts 1-parent-1-child packages only');
      const parent = bytesOf(pkg[0], 'package[0]');
      const child = bytesOf(pkg[1], 'package[1]');
      let p: ReturnType<typeof decodeTx>;
      let c: ReturnType<typeof decodeTx>;
      try {
        p = decodeTx(parent);
        c = decodeTx(child);
      } catch {
        throw new RpcFault(RPC_DESERIALIZATION_ERROR, 'TX decode failed');
      }
      try {
        const r = run({ op: 'package', t: now(), parent: hexOf(parent), child: hexOf(child) }) as {
          replacedTxids: readonly string[];
        };
        return {
          package_msg: 'success',
          'tx-results': {
            [wtxidHex(p)]: { txid: txidHex(p), vsize: vsize(p) },
            [wtxidHex(c)]: { txid: txidHex(c), vsize: vsize(c) },
          },
          'replaced-transactions': [...r.replacedTxids],
        };
      } catch (e) {
        if (!TxRejected.isInstance(e)) throw e;
        // Reported as a package-level failure: BitcoindRpc takes the reason from package_msg.
        const text = e.detail === undefined || e.detail === '' ? e.reason : `${e.reason}, ${e.detail}`;
        return { package_msg: text, 'tx-results': {}, 'replaced-transactions': [] };
      }
    },
    getnetworkinfo: () => {
      const p = chain.relayPolicy;
      return {
        version: p.coreVersion,
        subversion: `/SimChain:${p.coreVersion}/`,
        protocolversion: 70016,
        relayfee: p.minRelayFeeRate / 1e8,
        incrementalfee: p.incrementalRelayFeeRate / 1e8,
        networkactive: true,
        connections: 0,
        warnings: [],
      };
    },
    estimatesmartfee: async ([target]) => {
      const t = intParam(target, 'conf_target');
      if (t < 1 || t > 1008)
        throw new RpcFault(RPC_INVALID_PARAMETER, 'Invalid conf_target, must be between 1 and 1008');
      const purpose: FeePurpose = t <= 1 ? 'urgent' : t <= 2 ? 'cpfp' : t <= 6 ? 'presigned' : 'economical';
      return { feerate: (await chain.feeRate(purpose)) / 1e8, blocks: t };
    },
    getnewaddress: () => faucetAddress,
    getbalances: () => {
      const trusted = btc(chain.faucetBalance());
      return { mine: { trusted, untrusted_pending: 0, immature: 0 } };
    },
    getbalance: () => btc(chain.faucetBalance()),
    sendtoaddress: ([address, amount]) => {
      const script = addressScript(address);
      const sats = satsParam(amount, 'amount');
      return rejecting(() => run({ op: 'send', t: now(), script: hexOf(script), amount: sats.toString() }));
    },
    generatetodescriptor: ([n, descriptor]) => {
      const count = intParam(n, 'num_blocks');
      const script = descriptorScript(descriptor);
      return run({ op: 'mine', t: now(), n: count, script: hexOf(script), empty: false });
    },
    generatetoaddress: ([n, address]) => {
      const count = intParam(n, 'nblocks');
      return run({ op: 'mine', t: now(), n: count, script: hexOf(addressScript(address)), empty: false });
    },
    generateblock: ([output, transactions = []]) => {
      if (!Array.isArray(transactions) || transactions.length > 0)
        throw new RpcFault(
          RPC_INVALID_PARAMETER,
          'SimChain server mines generateblock with no transactions only',
        );
      const script =
        typeof output === 'string' && output.includes('(') ? descriptorScript(output) : addressScript(output);
      const [hash] = run({ op: 'mine', t: now(), n: 1, script: hexOf(script), empty: true }) as string[];
      return { hash };
    },
    invalidateblock: ([hash]) => {
      const h = hashParam(hash, 'blockhash');
      if (chain.blockByHash(h) === undefined)
        throw new RpcFault(RPC_INVALID_ADDRESS_OR_KEY, 'Block not found');
      run({ op: 'invalidate', t: now(), hash: h });
      return null;
    },
    setmocktime: ([timestamp]) => {
      const time = intParam(timestamp, 'timestamp');
      if (time < 0) throw new RpcFault(RPC_INVALID_PARAMETER, `Mocktime cannot be negative: ${time}`);
      run({ op: 'mocktime', t: now(), time });
      return null;
    },
    uptime: () => Math.floor((Date.now() - startedAt) / 1000),
    stop: () => {
      setImmediate(() => void close());
      return 'SimChain server stopping';
    },
  };

  const call = async (req: unknown): Promise<{ status: number; body: unknown }> => {
    const r = req as { id?: unknown; method?: unknown; params?: unknown } | null;
    const id = r?.id ?? null;
    const fail = (status: number, code: number, message: string) => ({
      status,
      body: { result: null, error: { code, message }, id },
    });
    if (typeof r !== 'object' || r === null || typeof r.method !== 'string')
      return fail(400, RPC_INVALID_REQUEST, 'Method must be a string');
    const m = methods[r.method];
    if (m === undefined || !Object.hasOwn(methods, r.method))
      return fail(404, RPC_METHOD_NOT_FOUND, 'Method not found');
    let params: unknown[];
    if (r.params === undefined || r.params === null) params = [];
    else if (Array.isArray(r.params)) params = r.params;
    else if (typeof r.params === 'object') {
      const names = PARAMS[r.method] ?? [];
      const named = r.params as Record<string, unknown>;
      for (const k of Object.keys(named))
        if (!names.includes(k)) return fail(500, RPC_INVALID_PARAMETER, `Unknown named parameter ${k}`);
      params = names.map((n) => named[n]);
      while (params.length > 0 && params[params.length - 1] === undefined) params.pop();
    } else return fail(400, RPC_INVALID_REQUEST, 'Params must be an array or object');
    try {
      return { status: 200, body: { result: (await m(params)) ?? null, error: null, id } };
    } catch (e) {
      if (e instanceof RpcFault) return fail(500, e.code, e.message);
      if (InvalidArgumentError.isInstance(e)) return fail(500, RPC_INVALID_PARAMETER, e.message);
      if (NotFound.isInstance(e)) return fail(500, RPC_INVALID_ADDRESS_OR_KEY, e.message);
      return fail(500, RPC_MISC_ERROR, e instanceof Error ? e.message : String(e));
    }
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (!authorized(req.headers.authorization)) {
      reply(401, '', { 'www-authenticate': 'Basic realm="jsonrpc"' });
      return;
    }
    if (req.method !== 'POST') {
      reply(405, 'JSONRPC server handles only POST requests');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxRequestBytes) {
        reply(413, '');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > maxRequestBytes) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        reply(
          500,
          JSON.stringify({
            result: null,
            error: { code: RPC_PARSE_ERROR, message: 'Parse error' },
            id: null,
          }),
        );
        return;
      }
      void (async () => {
        if (Array.isArray(parsed)) {
          const out = [];
          for (const r of parsed) out.push((await call(r)).body);
          reply(200, JSON.stringify(out));
        } else {
          const r = await call(parsed);
          reply(r.status, JSON.stringify(r.body));
        }
      })();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }).then(() => {
      if (cookieFile !== undefined) rmSync(cookieFile, { force: true });
      if (journalFd !== undefined) closeSync(journalFd);
      journalFd = undefined;
      resolveClosed();
    });
    return closing;
  };

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    host,
    port: bound,
    cookieFile,
    chain,
    closed,
    close,
  };
}

/** What spends an outpoint, or undefined for an output that never existed. */
async function spendOf(chain: SimChain, txid: string, vout: number) {
  try {
    return await chain.getSpend({ txid, vout });
  } catch (e) {
    if (NotFound.isInstance(e)) return undefined;
    throw e;
  }
}

/** Runs a broadcast, turning a rejection into Core's RPC error. */
function rejecting<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (TxRejected.isInstance(e)) throw rejectionFault(e);
    throw e;
  }
}
