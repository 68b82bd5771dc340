/**
 * The channel state machine's persisted form: {@link ChannelState} and its versioned binary encoding
 * ({@link encodeChannelState} / {@link decodeChannelState}). What a `persist` action carries.
 *
 * The state holds no private key and no secret nonce: the funding key, the shachain seed and the
 * basepoint secrets come from the keychain at restore time (`ChannelSecrets`), and secret nonces
 * never leave memory (brief §7, §11). It does hold the counterparty's revealed per-commitment secrets
 * (the compact shachain store) and every signature the holder relies on.
 *
 * Encoding, version 1 (all integers big-endian): `0x01`, then the fields in the order of
 * {@link ChannelState} (`revision` in 4 bytes, where earlier releases wrote the same count as the
 * persist's `updateId`: the bytes are unchanged); commitment numbers are 8 bytes below 2^48; optional values are a presence byte (0 or 1) and the value; lists a 2-byte
 * count; variable bytes a 2-byte length. Decoding is strict: unknown version, out-of-range values,
 * invalid enums, flags other than 0/1, balances that do not add up to the channel output, trailing
 * bytes — each is a {@link DecodeError} naming the byte offset.
 *
 * @module
 */
import { toHex } from '@superscalar/core';
import { ShachainStore } from '@superscalar/shachain';
import { assertObject } from './_assert.js';
import { txidHexBytes } from './_hex.js';
import type { Spec, Update } from './channel/_log.js';
import {
  type Basepoints,
  type ChannelConfig,
  type FundingOutpoint,
  type Side,
  validateConfig,
} from './commitment.js';
import { DecodeError, InvalidArgumentError } from './errors.js';

/** A commitment's balances (msat, HTLCs excluded), its HTLCs and its fee rate, in absolute terms. */
export type ChannelSpec = Spec;

/** One update of BOLT 2's update log (`add`, `fulfill`, `fail`, `fee`), as its proposer sent it. */
export type ChannelUpdate = Update;

/** Brief §2/§7 channel limits and the factory figures the HTLC deadline rules need. */
export interface ChannelPolicy {
  /** The channel reserve, sats (brief §2: 1% of capacity, ≥ 330). */
  readonly reserve: bigint;
  /** Largest trimmed-HTLC sats plus commitment fee a commitment may carry, sats. */
  readonly maxDustExposure: bigint;
  /** Untrimmed HTLCs per direction, at most 114 (brief §7). */
  readonly maxAcceptedHtlcs: number;
  /** The factory's worst-case exit delay (brief §3.4), blocks. */
  readonly exitDelay: number;
  /** Transactions on the client's root-to-leaf path. */
  readonly pathTxs: number;
  /** The factory's `exitMargin`, blocks. */
  readonly exitMargin: number;
  /** The factory's `htlcBudget`, blocks. */
  readonly htlcBudget: number;
  /** First height of the factory's dying period (`proposalHeight + activeBlocks`): no adds from then on. */
  readonly dyingHeight: number;
}

/** A commitment the channel knows: its number, its spec and the holder's per-commitment point. */
export interface CommitmentRecord {
  readonly number: number;
  readonly spec: ChannelSpec;
  readonly point: Uint8Array;
}

/** The holder's own current commitment, with the complete (aggregate, verified) signature. */
export interface HolderCommitmentRecord extends CommitmentRecord {
  /** 64-byte BIP340 signature on the current channel outpoint. */
  readonly signature: Uint8Array;
}

/** Every channel outpoint the channel ever had (brief §5.4), oldest first; the last is the current one. */
export interface FundingRecord {
  readonly outpoint: FundingOutpoint;
  /** The first counterparty commitment number signed on this outpoint. */
  readonly firstRemoteNumber: number;
  /** The last counterparty commitment number signed on it (`null` while it is the current outpoint). */
  readonly lastRemoteNumber: number | null;
  /** Once superseded: the holder's last commitment on it and its signature (still broadcastable). */
  readonly holder: { readonly number: number; readonly signature: Uint8Array } | null;
}

/** A rebinding in progress (brief §5.4): the new outpoint and, once complete, the holder's signature on it. */
export interface RebindRecord {
  readonly outpoint: FundingOutpoint;
  /** The holder's commitment `n` on the new outpoint, aggregated and verified; null until complete. */
  readonly signature: Uint8Array | null;
}

/** The channel's phase. */
export type ChannelPhase = 'opening' | 'normal' | 'failed';

/** The order of the last `commitment_signed` and `revoke_and_ack` sent, for retransmission. */
export type LastSent = 'none' | 'commit' | 'revoke';

/** Everything the state machine persists. */
export interface ChannelState {
  /**
   * How many times this channel's state has been persisted (0 when opened): a newer state has a
   * higher revision, so a runtime can refuse to restore a state older than one it has seen. Not a
   * store update id (the runtime that owns the store assigns those, DESIGN §4).
   */
  readonly revision: number;
  readonly channelId: Uint8Array;
  /** This side. */
  readonly role: Side;
  readonly config: ChannelConfig;
  readonly policy: ChannelPolicy;
  readonly phase: ChannelPhase;
  /** Latest chain height seen. */
  readonly height: number;
  /** Every outpoint, the current one last. */
  readonly fundings: readonly FundingRecord[];
  /** The spec of commitment 0 (both holders). */
  readonly initialSpec: ChannelSpec;
  /** The holder's current commitment (null until commitment 0 is received). */
  readonly localCommit: HolderCommitmentRecord | null;
  /** The counterparty's current (unrevoked) commitment (null until commitment 0 is signed). */
  readonly remoteCommit: CommitmentRecord | null;
  /** The counterparty's next commitment, signed by us and awaiting its revocation of the current one. */
  readonly nextRemoteCommit: CommitmentRecord | null;
  /** The counterparty's per-commitment points for its next commitments, in order. */
  readonly remoteNextPoints: readonly Uint8Array[];
  readonly localChanges: {
    readonly proposed: readonly Update[];
    readonly signed: readonly Update[];
    readonly acked: readonly Update[];
  };
  readonly remoteChanges: {
    readonly proposed: readonly Update[];
    readonly acked: readonly Update[];
    readonly signed: readonly Update[];
  };
  readonly localNextHtlcId: bigint;
  readonly remoteNextHtlcId: bigint;
  /** The counterparty's per-commitment secrets (compact BOLT 3 store). */
  readonly remoteSecrets: ShachainStore;
  /** `stfu` sent by us / received from the peer. */
  readonly localStfu: boolean;
  readonly remoteStfu: boolean;
  readonly lastSent: LastSent;
  readonly rebind: RebindRecord | null;
}

/** The encoding version {@link encodeChannelState} writes. */
export const CHANNEL_STATE_VERSION = 1;

const SIDES: readonly Side[] = ['lsp', 'client'];
const PHASES: readonly ChannelPhase[] = ['opening', 'normal', 'failed'];
const LAST_SENT: readonly LastSent[] = ['none', 'commit', 'revoke'];
const UPDATE_KINDS = ['add', 'fulfill', 'fail', 'fee'] as const;
const U64 = (1n << 64n) - 1n;
const U48 = (1n << 48n) - 1n;

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private push(b: Uint8Array) {
    this.chunks.push(b);
    this.size += b.length;
  }
  u8(x: number) {
    this.push(Uint8Array.of(x));
  }
  u16(x: number) {
    this.push(Uint8Array.of(x >>> 8, x & 0xff));
  }
  u32(x: number) {
    this.push(Uint8Array.of(x >>> 24, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff));
  }
  u64(x: bigint) {
    const b = new Uint8Array(8);
    let v = x;
    for (let i = 7; i >= 0; i--) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    this.push(b);
  }
  bytes(b: Uint8Array) {
    this.push(Uint8Array.from(b));
  }
  varbytes(b: Uint8Array) {
    this.u16(b.length);
    this.bytes(b);
  }
  bool(b: boolean) {
    this.u8(b ? 1 : 0);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  fail(reason: string, at = this.pos): never {
    throw new DecodeError(reason, at);
  }
  need(n: number, what: string) {
    if (this.pos + n > this.buf.length) this.fail(`truncated: ${what} needs ${n} bytes`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = ((this.buf[this.pos] as number) << 8) | (this.buf[this.pos + 1] as number);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (
      (((b[p] as number) << 24) |
        ((b[p + 1] as number) << 16) |
        ((b[p + 2] as number) << 8) |
        (b[p + 3] as number)) >>>
      0
    );
  }
  u64(what: string, max = U64): bigint {
    this.need(8, what);
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(this.buf[this.pos + i] as number);
    if (v > max) this.fail(`${what} ${v} above ${max}`);
    this.pos += 8;
    return v;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  varbytes(what: string): Uint8Array {
    const n = this.u16(`${what} length`);
    return this.bytes(n, what);
  }
  bool(what: string): boolean {
    const at = this.pos;
    const v = this.u8(what);
    if (v > 1) this.fail(`${what} flag ${v} is not 0 or 1`, at);
    return v === 1;
  }
  enumOf<T>(values: readonly T[], what: string): T {
    const at = this.pos;
    const v = this.u8(what);
    const r = values[v];
    if (r === undefined) this.fail(`unknown ${what} ${v}`, at);
    return r;
  }
  int(what: string, min: number, max: number): number {
    const at = this.pos;
    const v = this.u32(what);
    if (v < min || v > max) this.fail(`${what} ${v} outside ${min}..${max}`, at);
    return v;
  }
  done() {
    if (this.pos !== this.buf.length) this.fail(`${this.buf.length - this.pos} trailing bytes`);
  }
}

function writeBasepoints(w: Writer, b: Basepoints) {
  w.bytes(b.revocation);
  w.bytes(b.payment);
  w.bytes(b.delayedPayment);
  w.bytes(b.htlc);
}

function readBasepoints(r: Reader, what: string): Basepoints {
  return {
    revocation: r.bytes(33, `${what}.revocation`),
    payment: r.bytes(33, `${what}.payment`),
    delayedPayment: r.bytes(33, `${what}.delayedPayment`),
    htlc: r.bytes(33, `${what}.htlc`),
  };
}

function writeOutpoint(w: Writer, o: FundingOutpoint, what: string) {
  w.bytes(txidHexBytes(o.txid, `${what}.txid`));
  w.u32(o.vout);
  w.u64(o.amount);
}

function readOutpoint(r: Reader, what: string): FundingOutpoint {
  const txid = toHex(r.bytes(32, `${what}.txid`));
  const vout = r.u32(`${what}.vout`);
  const amount = r.u64(`${what}.amount`, 2_100_000_000_000_000n);
  return { txid, vout, amount };
}

function writeSpec(w: Writer, s: Spec) {
  w.u64(s.lspMsat);
  w.u64(s.clientMsat);
  w.u32(s.feeRate);
  w.u16(s.htlcs.length);
  for (const h of s.htlcs) {
    w.u8(SIDES.indexOf(h.offeredBy));
    w.u64(h.id);
    w.u64(h.amountMsat);
    w.bytes(h.paymentHash);
    w.u32(h.cltvExpiry);
  }
}

function readSpec(r: Reader, what: string, capacityMsat: bigint): Spec {
  const at = r.pos;
  const lspMsat = r.u64(`${what}.lspMsat`);
  const clientMsat = r.u64(`${what}.clientMsat`);
  const feeRate = r.int(`${what}.feeRate`, 1, 0xffffffff);
  const count = r.u16(`${what}.htlcs count`);
  const htlcs = [];
  const seen = new Set<string>();
  let total = lspMsat + clientMsat;
  for (let i = 0; i < count; i++) {
    const hat = r.pos;
    const offeredBy = r.enumOf(SIDES, `${what}.htlcs[${i}].offeredBy`);
    const id = r.u64(`${what}.htlcs[${i}].id`);
    const amountMsat = r.u64(`${what}.htlcs[${i}].amountMsat`);
    const paymentHash = r.bytes(32, `${what}.htlcs[${i}].paymentHash`);
    const cltvExpiry = r.int(`${what}.htlcs[${i}].cltvExpiry`, 1, 499_999_999);
    const key = `${offeredBy}:${id}`;
    if (seen.has(key)) r.fail(`${what}.htlcs[${i}]: duplicate HTLC ${key}`, hat);
    seen.add(key);
    total += amountMsat;
    htlcs.push({ offeredBy, id, amountMsat, paymentHash, cltvExpiry });
  }
  if (total !== capacityMsat)
    r.fail(`${what}: balances and HTLCs add up to ${total} msat, not the channel's ${capacityMsat}`, at);
  return { lspMsat, clientMsat, feeRate, htlcs };
}

function writeUpdates(w: Writer, us: readonly Update[]) {
  w.u16(us.length);
  for (const u of us) {
    w.u8(UPDATE_KINDS.indexOf(u.kind));
    switch (u.kind) {
      case 'add':
        w.u8(SIDES.indexOf(u.htlc.offeredBy));
        w.u64(u.htlc.id);
        w.u64(u.htlc.amountMsat);
        w.bytes(u.htlc.paymentHash);
        w.u32(u.htlc.cltvExpiry);
        w.varbytes(u.onion);
        break;
      case 'fulfill':
        w.u64(u.id);
        w.bytes(u.preimage);
        break;
      case 'fail':
        w.u64(u.id);
        w.varbytes(u.reason);
        break;
      case 'fee':
        w.u32(u.feeRate);
        break;
    }
  }
}

function readUpdates(r: Reader, what: string): Update[] {
  const n = r.u16(`${what} count`);
  const out: Update[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${what}[${i}]`;
    const kind = r.enumOf(UPDATE_KINDS, `${name}.kind`);
    switch (kind) {
      case 'add': {
        const offeredBy = r.enumOf(SIDES, `${name}.offeredBy`);
        const id = r.u64(`${name}.id`);
        const amountMsat = r.u64(`${name}.amountMsat`);
        const paymentHash = r.bytes(32, `${name}.paymentHash`);
        const cltvExpiry = r.int(`${name}.cltvExpiry`, 1, 499_999_999);
        const onion = r.varbytes(`${name}.onion`);
        out.push({ kind, htlc: { offeredBy, id, amountMsat, paymentHash, cltvExpiry }, onion });
        break;
      }
      case 'fulfill':
        out.push({ kind, id: r.u64(`${name}.id`), preimage: r.bytes(32, `${name}.preimage`) });
        break;
      case 'fail':
        out.push({ kind, id: r.u64(`${name}.id`), reason: r.varbytes(`${name}.reason`) });
        break;
      case 'fee':
        out.push({ kind, feeRate: r.int(`${name}.feeRate`, 1, 0xffffffff) });
        break;
    }
  }
  return out;
}

function writeCommit(w: Writer, c: CommitmentRecord | null) {
  w.bool(c !== null);
  if (c === null) return;
  w.u64(BigInt(c.number));
  writeSpec(w, c.spec);
  w.bytes(c.point);
}

function readCommit(r: Reader, what: string, capacityMsat: bigint): CommitmentRecord | null {
  if (!r.bool(`${what} presence`)) return null;
  const number = Number(r.u64(`${what}.number`, U48));
  const spec = readSpec(r, `${what}.spec`, capacityMsat);
  const point = r.bytes(33, `${what}.point`);
  return { number, spec, point };
}

/** Encodes a channel state (version {@link CHANNEL_STATE_VERSION}). */
export function encodeChannelState(s: ChannelState): Uint8Array {
  assertObject(s, 's');
  const w = new Writer();
  w.u8(CHANNEL_STATE_VERSION);
  w.u32(s.revision);
  w.bytes(s.channelId);
  w.u8(SIDES.indexOf(s.role));
  const c = s.config;
  w.bytes(c.lspFundingKey);
  w.bytes(c.clientFundingKey);
  w.u32(c.channelTimeout);
  w.u32(c.toSelfDelay);
  writeBasepoints(w, c.lspBasepoints);
  writeBasepoints(w, c.clientBasepoints);
  w.u64(c.dustLimit ?? 330n);
  const p = s.policy;
  w.u64(p.reserve);
  w.u64(p.maxDustExposure);
  w.u32(p.maxAcceptedHtlcs);
  w.u32(p.exitDelay);
  w.u32(p.pathTxs);
  w.u32(p.exitMargin);
  w.u32(p.htlcBudget);
  w.u32(p.dyingHeight);
  w.u8(PHASES.indexOf(s.phase));
  w.u32(s.height);
  w.u16(s.fundings.length);
  for (const [i, f] of s.fundings.entries()) {
    writeOutpoint(w, f.outpoint, `state.fundings[${i}].outpoint`);
    w.u64(BigInt(f.firstRemoteNumber));
    w.bool(f.lastRemoteNumber !== null);
    if (f.lastRemoteNumber !== null) w.u64(BigInt(f.lastRemoteNumber));
    w.bool(f.holder !== null);
    if (f.holder !== null) {
      w.u64(BigInt(f.holder.number));
      w.bytes(f.holder.signature);
    }
  }
  writeSpec(w, s.initialSpec);
  writeCommit(w, s.localCommit);
  if (s.localCommit !== null) w.bytes(s.localCommit.signature);
  writeCommit(w, s.remoteCommit);
  writeCommit(w, s.nextRemoteCommit);
  w.u8(s.remoteNextPoints.length);
  for (const pt of s.remoteNextPoints) w.bytes(pt);
  writeUpdates(w, s.localChanges.proposed);
  writeUpdates(w, s.localChanges.signed);
  writeUpdates(w, s.localChanges.acked);
  writeUpdates(w, s.remoteChanges.proposed);
  writeUpdates(w, s.remoteChanges.acked);
  writeUpdates(w, s.remoteChanges.signed);
  w.u64(s.localNextHtlcId);
  w.u64(s.remoteNextHtlcId);
  w.varbytes(s.remoteSecrets.encode());
  w.bool(s.localStfu);
  w.bool(s.remoteStfu);
  w.u8(LAST_SENT.indexOf(s.lastSent));
  w.bool(s.rebind !== null);
  if (s.rebind !== null) {
    writeOutpoint(w, s.rebind.outpoint, 'state.rebind.outpoint');
    w.bool(s.rebind.signature !== null);
    if (s.rebind.signature !== null) w.bytes(s.rebind.signature);
  }
  return w.finish();
}

/**
 * Decodes {@link encodeChannelState}'s bytes. Strict: any deviation is a {@link DecodeError}
 * with the byte offset; keys and points of the config are checked as the commitment builder checks
 * them, every spec must add up to the channel output.
 */
export function decodeChannelState(bytes: Uint8Array): ChannelState {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', 'expected a Uint8Array');
  const r = new Reader(bytes);
  const version = r.u8('version');
  if (version !== CHANNEL_STATE_VERSION) r.fail(`unknown version ${version}`, 0);
  const revision = r.int('revision', 0, 0xffffffff);
  const channelId = r.bytes(32, 'channelId');
  const role = r.enumOf(SIDES, 'role');
  const cfgAt = r.pos;
  const lspFundingKey = r.bytes(33, 'config.lspFundingKey');
  const clientFundingKey = r.bytes(33, 'config.clientFundingKey');
  const channelTimeout = r.int('config.channelTimeout', 1, 499_999_999);
  const toSelfDelay = r.int('config.toSelfDelay', 1, 0xffff);
  const lspBasepoints = readBasepoints(r, 'config.lspBasepoints');
  const clientBasepoints = readBasepoints(r, 'config.clientBasepoints');
  const dustLimit = r.u64('config.dustLimit');
  const config: ChannelConfig = {
    lspFundingKey,
    clientFundingKey,
    channelTimeout,
    toSelfDelay,
    lspBasepoints,
    clientBasepoints,
    dustLimit,
  };
  try {
    validateConfig(config);
  } catch (cause) {
    throw new DecodeError(`config: ${(cause as Error).message}`, cfgAt, { cause });
  }
  const policy: ChannelPolicy = {
    reserve: r.u64('policy.reserve'),
    maxDustExposure: r.u64('policy.maxDustExposure'),
    maxAcceptedHtlcs: r.int('policy.maxAcceptedHtlcs', 0, 114),
    exitDelay: r.int('policy.exitDelay', 0, 0xffffffff),
    pathTxs: r.int('policy.pathTxs', 0, 0xffffffff),
    exitMargin: r.int('policy.exitMargin', 0, 0xffffffff),
    htlcBudget: r.int('policy.htlcBudget', 0, 0xffffffff),
    dyingHeight: r.int('policy.dyingHeight', 0, 499_999_999),
  };
  const phase = r.enumOf(PHASES, 'phase');
  const height = r.int('height', 0, 499_999_999);
  const nFundings = r.u16('fundings count');
  if (nFundings === 0) r.fail('no funding outpoint', r.pos - 2);
  const fundings: FundingRecord[] = [];
  for (let i = 0; i < nFundings; i++) {
    const outpoint = readOutpoint(r, `fundings[${i}].outpoint`);
    const firstRemoteNumber = Number(r.u64(`fundings[${i}].firstRemoteNumber`, U48));
    const lastRemoteNumber = r.bool(`fundings[${i}].lastRemoteNumber presence`)
      ? Number(r.u64(`fundings[${i}].lastRemoteNumber`, U48))
      : null;
    const holder = r.bool(`fundings[${i}].holder presence`)
      ? {
          number: Number(r.u64(`fundings[${i}].holder.number`, U48)),
          signature: r.bytes(64, `fundings[${i}].holder.signature`),
        }
      : null;
    if ((lastRemoteNumber === null) !== (i === nFundings - 1))
      r.fail(`fundings[${i}]: only the current (last) outpoint has no last number`);
    fundings.push({ outpoint, firstRemoteNumber, lastRemoteNumber, holder });
  }
  const capacityMsat = (fundings[0] as FundingRecord).outpoint.amount * 1000n;
  for (const f of fundings)
    if (f.outpoint.amount * 1000n !== capacityMsat)
      r.fail('the outpoints do not all hold the channel capacity');
  const initialSpec = readSpec(r, 'initialSpec', capacityMsat);
  const local = readCommit(r, 'localCommit', capacityMsat);
  const localCommit = local === null ? null : { ...local, signature: r.bytes(64, 'localCommit.signature') };
  const remoteCommit = readCommit(r, 'remoteCommit', capacityMsat);
  const nextRemoteCommit = readCommit(r, 'nextRemoteCommit', capacityMsat);
  const nPoints = r.u8('remoteNextPoints count');
  if (nPoints > 2) r.fail(`${nPoints} remote next points (at most 2)`, r.pos - 1);
  const remoteNextPoints: Uint8Array[] = [];
  for (let i = 0; i < nPoints; i++) remoteNextPoints.push(r.bytes(33, `remoteNextPoints[${i}]`));
  const localChanges = {
    proposed: readUpdates(r, 'localChanges.proposed'),
    signed: readUpdates(r, 'localChanges.signed'),
    acked: readUpdates(r, 'localChanges.acked'),
  };
  const remoteChanges = {
    proposed: readUpdates(r, 'remoteChanges.proposed'),
    acked: readUpdates(r, 'remoteChanges.acked'),
    signed: readUpdates(r, 'remoteChanges.signed'),
  };
  const localNextHtlcId = r.u64('localNextHtlcId');
  const remoteNextHtlcId = r.u64('remoteNextHtlcId');
  const secretsAt = r.pos;
  const secretBytes = r.varbytes('remoteSecrets');
  let remoteSecrets: ShachainStore;
  try {
    remoteSecrets = ShachainStore.decode(secretBytes);
  } catch (cause) {
    throw new DecodeError(`remoteSecrets: ${(cause as Error).message}`, secretsAt, { cause });
  }
  const localStfu = r.bool('localStfu');
  const remoteStfu = r.bool('remoteStfu');
  const lastSent = r.enumOf(LAST_SENT, 'lastSent');
  let rebind: RebindRecord | null = null;
  if (r.bool('rebind presence')) {
    const outpoint = readOutpoint(r, 'rebind.outpoint');
    const signature = r.bool('rebind.signature presence') ? r.bytes(64, 'rebind.signature') : null;
    rebind = { outpoint, signature };
  }
  r.done();
  return {
    revision,
    channelId,
    role,
    config,
    policy,
    phase,
    height,
    fundings,
    initialSpec,
    localCommit,
    remoteCommit,
    nextRemoteCommit,
    remoteNextPoints,
    localChanges,
    remoteChanges,
    localNextHtlcId,
    remoteNextHtlcId,
    remoteSecrets,
    localStfu,
    remoteStfu,
    lastSent,
    rebind,
  };
}
