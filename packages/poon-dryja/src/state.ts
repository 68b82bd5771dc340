/**
 * The channel state machine's persisted form: {@link ChannelState} and its versioned binary encoding
 * ({@link encodeChannelState} / {@link decodeChannelState}). What a `persist` action carries.
 *
 * The state holds no private key and no secret nonce: the funding key, the shachain seed and the
 * basepoint secrets come from the keychain at restore time (`ChannelSecrets`), and secret nonces
 * never leave memory (brief §7, §11). It does hold the counterparty's revealed per-commitment secrets
 * (the compact shachain store) and every signature the holder relies on.
 *
 * Encoding, version 2 (all integers big-endian): `0x02`, then the fields in the order of
 * {@link ChannelState} (`revision` in 4 bytes, where earlier releases wrote the same count as the
 * persist's `updateId`: the bytes are unchanged); commitment numbers are 8 bytes below 2^48; optional
 * values are a presence byte (0 or 1) and the value; lists a 2-byte count; variable bytes a 2-byte
 * length. Version 2 adds what a rebinding with a capacity change needs (brief §5.4): after each
 * funding record its optional `balances` (two u64 msat), and after the rebinding record's signature
 * its liquidity fee (u64 msat), reserve and `maxDustExposure` (u64 sats). Version 1 (every outpoint of
 * one capacity, no such fields) still decodes. Decoding is strict: unknown version, out-of-range
 * values, invalid enums, flags other than 0/1, balances that do not add up to their channel output,
 * trailing bytes — each is a {@link DecodeError} naming the byte offset.
 *
 * @module
 */
import { ShachainStore } from '@superscalar/shachain';
import { assertObject } from './_assert.js';
import {
  LAST_SENT,
  PHASES,
  Reader,
  readBasepoints,
  readCommit,
  readOutpoint,
  readSpec,
  readUpdates,
  SIDES,
  U48,
  Writer,
  writeBasepoints,
  writeCommit,
  writeOutpoint,
  writeSpec,
  writeUpdates,
} from './_stateBytes.js';
import type { Spec, Update } from './channel/_log.js';
import { type ChannelConfig, type FundingOutpoint, type Side, validateConfig } from './commitment.js';
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

/** A commitment's two balances (msat, HTLCs excluded). */
export interface ChannelBalances {
  readonly lspMsat: bigint;
  readonly clientMsat: bigint;
}

/**
 * Every channel outpoint the channel ever had (brief §5.4), the current one last (an outpoint signed
 * in a rebinding that never activated sits before the outpoint that was current then).
 */
export interface FundingRecord {
  readonly outpoint: FundingOutpoint;
  /** The first counterparty commitment number signed on this outpoint. */
  readonly firstRemoteNumber: number;
  /** The last counterparty commitment number signed on it (`null` while it is the current outpoint). */
  readonly lastRemoteNumber: number | null;
  /** Once superseded: the holder's last commitment on it and its signature (still broadcastable). */
  readonly holder: { readonly number: number; readonly signature: Uint8Array } | null;
  /**
   * The balances of this outpoint's copies of the counterparty's commitment `lastRemoteNumber` and of
   * the holder's `holder.number` when they differ from the current outpoint's copies of the same
   * numbers (a rebinding with a capacity change or a liquidity fee, brief §5.4); null when they are the
   * same. Penalties of those numbers on this copy are built with these amounts.
   */
  readonly balances: ChannelBalances | null;
}

/** A rebinding in progress (brief §5.4): the new outpoint and, once complete, the holder's signature on it. */
export interface RebindRecord {
  readonly outpoint: FundingOutpoint;
  /** The holder's commitment `n` on the new outpoint, aggregated and verified; null until complete. */
  readonly signature: Uint8Array | null;
  /** The liquidity fee moved from the client's balance to the LSP's, msat (0 without, brief §5.4). */
  readonly liquidityFeeMsat: bigint;
  /** The reserve of the new capacity, sats: the policy's once the rebinding activates. */
  readonly reserve: bigint;
  /** `maxDustExposure` of the new capacity, sats: the policy's once the rebinding activates. */
  readonly maxDustExposure: bigint;
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
export const CHANNEL_STATE_VERSION = 2;

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
    w.bool(f.balances !== null);
    if (f.balances !== null) {
      w.u64(f.balances.lspMsat);
      w.u64(f.balances.clientMsat);
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
    w.u64(s.rebind.liquidityFeeMsat);
    w.u64(s.rebind.reserve);
    w.u64(s.rebind.maxDustExposure);
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
  if (version !== 1 && version !== CHANNEL_STATE_VERSION) r.fail(`unknown version ${version}`, 0);
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
    let balances: ChannelBalances | null = null;
    if (version > 1 && r.bool(`fundings[${i}].balances presence`)) {
      const at = r.pos;
      balances = {
        lspMsat: r.u64(`fundings[${i}].balances.lspMsat`),
        clientMsat: r.u64(`fundings[${i}].balances.clientMsat`),
      };
      if (balances.lspMsat + balances.clientMsat > outpoint.amount * 1000n)
        r.fail(`fundings[${i}].balances: more than the outpoint holds`, at);
      if (lastRemoteNumber === null) r.fail(`fundings[${i}]: the current outpoint has no balances`, at);
    }
    if ((lastRemoteNumber === null) !== (i === nFundings - 1))
      r.fail(`fundings[${i}]: only the current (last) outpoint has no last number`);
    fundings.push({ outpoint, firstRemoteNumber, lastRemoteNumber, holder, balances });
  }
  const capacityMsat = (fundings[nFundings - 1] as FundingRecord).outpoint.amount * 1000n;
  if (version === 1)
    for (const f of fundings)
      if (f.outpoint.amount * 1000n !== capacityMsat)
        r.fail('the outpoints do not all hold the channel capacity');
  // The initial spec adds up to the capacity the channel opened with: one of its outpoints'.
  const initialSpec = readSpec(
    r,
    'initialSpec',
    fundings.map((f) => f.outpoint.amount * 1000n),
  );
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
    rebind =
      version === 1
        ? {
            outpoint,
            signature,
            liquidityFeeMsat: 0n,
            reserve: policy.reserve,
            maxDustExposure: policy.maxDustExposure,
          }
        : {
            outpoint,
            signature,
            liquidityFeeMsat: r.u64('rebind.liquidityFeeMsat'),
            reserve: r.u64('rebind.reserve'),
            maxDustExposure: r.u64('rebind.maxDustExposure'),
          };
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
