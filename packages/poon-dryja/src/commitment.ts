/**
 * The commitment transaction of brief §7: version 3, one input spending the channel output
 * (`KeyAgg({LSP, client})` with the `T_m` CLTV leaf, brief §4.3) with the obscured commitment number in
 * its nSequence and nLockTime, and the outputs `to_local`, `to_remote`, one per untrimmed HTLC, and
 * the 240-sat P2A anchor, in BIP69 order. The fee `ceil(feeRate × vsize / 1000)` of the exact final
 * transaction (one 64-byte key-path witness) and the anchor are paid from the LSP's output (the
 * funder); truncated msat, trimmed HTLCs and a funder output that falls below dust go to the fee too.
 *
 * Naming: the **holder** is the side whose commitment this is (who can broadcast it); `local` means the
 * holder and `remote` the other side, as in BOLT 3.
 *
 * Not here: signing (a MuSig2 session over {@link Commitment.sighash}, driven by the state machine),
 * claims (`claims.ts`), penalties (`penalty.ts`), rebinding (`rebind.ts`).
 *
 * @module
 */
import { compareBytes } from '@superscalar/core';
import { channelOutput } from '@superscalar/factory-tree';
import { keySort } from '@superscalar/musig2';
import { schnorrVerify } from '@superscalar/secp';
import {
  ANCHOR_AMOUNT,
  P2TR_DUST as DUST_LIMIT,
  displayHex,
  encodeTx,
  encodeTxNoWitness,
  P2A_SCRIPT,
  TaprootSighasher,
  TRUC_MAX_VSIZE,
  type Tx,
  type TxOut,
  txidBytesOf,
  txidBytes as txidFromHex,
  txVsize,
} from '@superscalar/tx';
import {
  assertBigInt,
  assertBytes,
  assertFeeRate,
  assertInt,
  assertMsat,
  assertObject,
  assertSats,
} from './_assert.js';
import { hexKey, Lru } from './_cache.js';
import { decodePoint } from './_ec.js';
import {
  FeeUnaffordableError,
  InvalidArgumentError,
  InvalidCommitmentError,
  InvalidSignatureError,
  TransactionTooLargeError,
} from './errors.js';
import { feeForVsize, htlcTrimThreshold } from './fees.js';
import {
  derivePubkey,
  deriveRevocationPubkey,
  MAX_COMMITMENT_NUMBER,
  obscuredLocks,
  obscuringFactor,
} from './keys.js';
import {
  NUMS_XONLY,
  offeredHtlcSuccessLeaf,
  offeredHtlcTimeoutLeaf,
  receivedHtlcSuccessLeaf,
  receivedHtlcTimeoutLeaf,
  type TapscriptOutput,
  tapscriptOutput,
  toLocalLeaf,
  toRemoteLeaf,
} from './scripts.js';

/** A channel party. The LSP is always the funder. */
export type Side = 'lsp' | 'client';

/** The other side. */
export function otherSide(side: Side): Side {
  return side === 'lsp' ? 'client' : 'lsp';
}

/** One party's BOLT 3 basepoints, each a 33-byte compressed public key. */
export interface Basepoints {
  /** `revocation_basepoint`: the counterparty's commitments' revocation keys derive from it. */
  readonly revocation: Uint8Array;
  /** `payment_basepoint`: with `option_static_remotekey`, the counterparty's `to_remote` pays it as is. */
  readonly payment: Uint8Array;
  /** `delayed_payment_basepoint`: this party's own `to_local` key derives from it. */
  readonly delayedPayment: Uint8Array;
  /** `htlc_basepoint`: this party's HTLC keys on both commitments derive from it. */
  readonly htlc: Uint8Array;
}

/** The channel's static parameters: both commitments of every number are built from them. */
export interface ChannelConfig {
  /** The LSP's 33-byte funding key (one of the channel output's `KeyAgg({LSP, client})` keys). */
  readonly lspFundingKey: Uint8Array;
  /** The client's 33-byte funding key. */
  readonly clientFundingKey: Uint8Array;
  /** `T_m`, the block height in the channel output's CLTV leaf (after it the LSP can take the output). */
  readonly channelTimeout: number;
  /** `to_self_delay` (blocks, 1..65,535): how long a broadcaster waits for its own outputs. */
  readonly toSelfDelay: number;
  /** The LSP's basepoints. */
  readonly lspBasepoints: Basepoints;
  /** The client's basepoints. */
  readonly clientBasepoints: Basepoints;
  /** Dust limit of `to_local`/`to_remote` and the base of the HTLC trim threshold, sats; default 330, never lower. */
  readonly dustLimit?: bigint;
}

/** The channel output a commitment spends. */
export interface FundingOutpoint {
  /** Txid of the transaction holding the channel output (the leaf state), display-order hex. */
  readonly txid: string;
  /** Its output index. */
  readonly vout: number;
  /** The channel output's amount in sats (the channel capacity). */
  readonly amount: bigint;
}

/** An HTLC committed in both directions' views. */
export interface HtlcSpec {
  /** The offerer's HTLC id (BOLT 2: ids count per offerer, so `(offeredBy, id)` is unique). */
  readonly id: bigint;
  /** Who offered it (the payer of this hop). */
  readonly offeredBy: Side;
  /** Amount in msat (the output holds `floor(msat / 1000)` sats). */
  readonly amountMsat: bigint;
  /** SHA256 of the preimage, 32 bytes. */
  readonly paymentHash: Uint8Array;
  /** Absolute expiry height (0 < h < 500,000,000). */
  readonly cltvExpiry: number;
}

/** What one commitment contains. */
export interface CommitmentSpec {
  /** Whose commitment (the broadcaster). */
  readonly holder: Side;
  /** Commitment number, 0 .. 2^48 − 1. */
  readonly commitmentNumber: number;
  /** The holder's per-commitment point for this number (33 bytes). */
  readonly perCommitmentPoint: Uint8Array;
  /** The LSP's balance in msat, HTLCs excluded, before the fee and anchor it pays. */
  readonly lspBalanceMsat: bigint;
  /** The client's balance in msat, HTLCs excluded. */
  readonly clientBalanceMsat: bigint;
  /** The HTLCs this commitment carries (trimmed ones included: they go to the fee). */
  readonly htlcs: readonly HtlcSpec[];
  /** The commitment fee rate (`commitFeeRate`), sat/kvB. */
  readonly feeRate: number;
}

/** The per-commitment keys of one commitment (33-byte compressed; scripts use their x-only form). */
export interface CommitmentKeys {
  /** `revocationpubkey`: internal key of `to_local` and of every HTLC output. */
  readonly revocationPubkey: Uint8Array;
  /** The holder's `delayedpubkey` (`to_local` leaf). */
  readonly localDelayedPubkey: Uint8Array;
  /** The holder's `htlcpubkey` (its HTLC leaves). */
  readonly localHtlcPubkey: Uint8Array;
  /** The remote's `htlcpubkey` (its HTLC leaves). */
  readonly remoteHtlcPubkey: Uint8Array;
  /** The remote's payment key: its `payment_basepoint` itself (`option_static_remotekey`). */
  readonly remotePaymentKey: Uint8Array;
}

interface OutputCommon {
  /** Output index in the commitment. */
  readonly vout: number;
  /** Amount, sats. */
  readonly amount: bigint;
  /** scriptPubKey. */
  readonly script: Uint8Array;
}

/** The holder's own balance: revocation key path, or its delayed key after `toSelfDelay`. */
export interface ToLocalOutput extends OutputCommon {
  readonly role: 'to_local';
  /** The taproot tree: internal key `revocationpubkey`, one leaf. */
  readonly taproot: TapscriptOutput;
  /** `<toSelfDelay> OP_CHECKSEQUENCEVERIFY OP_DROP <delayedpubkey> OP_CHECKSIG`. */
  readonly leaf: Uint8Array;
  /** Its 33-byte control block. */
  readonly controlBlock: Uint8Array;
}

/** The remote's balance: its static payment key, one block after the commitment confirms. */
export interface ToRemoteOutput extends OutputCommon {
  readonly role: 'to_remote';
  /** The taproot tree: internal key the NUMS point, one leaf. */
  readonly taproot: TapscriptOutput;
  /** `<remote_paymentkey> OP_CHECKSIGVERIFY OP_1 OP_CHECKSEQUENCEVERIFY`. */
  readonly leaf: Uint8Array;
  /** Its 33-byte control block. */
  readonly controlBlock: Uint8Array;
}

/** An untrimmed HTLC. */
export interface HtlcOutput extends OutputCommon {
  readonly role: 'htlc';
  /** The HTLC's id (unique per offerer). */
  readonly htlcId: bigint;
  /** Who offered it. */
  readonly offeredBy: Side;
  /** `offered` when the holder offered it, `received` when the remote did. */
  readonly direction: 'offered' | 'received';
  /** Its msat amount (the output holds `floor(msat / 1000)`). */
  readonly amountMsat: bigint;
  /** Payment hash (32 bytes). */
  readonly paymentHash: Uint8Array;
  /** Expiry height. */
  readonly cltvExpiry: number;
  /** The taproot tree: internal key `revocationpubkey`, leaves [success, timeout]. */
  readonly taproot: TapscriptOutput;
  /** The preimage leaf (remote's for offered, the holder's for received). */
  readonly successLeaf: Uint8Array;
  /** The expiry leaf (the holder's for offered, remote's for received). */
  readonly timeoutLeaf: Uint8Array;
  /** 65-byte control block of the success leaf. */
  readonly successControlBlock: Uint8Array;
  /** 65-byte control block of the timeout leaf. */
  readonly timeoutControlBlock: Uint8Array;
  /** Who may spend by the success leaf: the payee. */
  readonly successBy: Side;
  /** Who may spend by the timeout leaf: the offerer. */
  readonly timeoutBy: Side;
  /** nSequence the success leaf needs (`toSelfDelay` for the holder, 1 for the remote). */
  readonly successCsv: number;
  /** nSequence the timeout leaf needs (`toSelfDelay` for the holder, 1 for the remote). */
  readonly timeoutCsv: number;
}

/** The keyless P2A anchor (240 sats). */
export interface AnchorOutput extends OutputCommon {
  readonly role: 'anchor';
}

/** One commitment output. */
export type CommitmentOutput = ToLocalOutput | ToRemoteOutput | HtlcOutput | AnchorOutput;

/** A built, unsigned commitment. */
export interface Commitment {
  /** The channel parameters it was built from. */
  readonly config: ChannelConfig;
  /** The outpoint it spends. */
  readonly funding: FundingOutpoint;
  /** What it contains (a frozen copy of the spec). */
  readonly spec: CommitmentSpec;
  /** Whose commitment. */
  readonly holder: Side;
  /** Commitment number. */
  readonly commitmentNumber: number;
  /** The holder's per-commitment point. */
  readonly perCommitmentPoint: Uint8Array;
  /** The per-commitment keys. */
  readonly keys: CommitmentKeys;
  /** `n XOR obscuring factor` (48 bits). */
  readonly obscuredNumber: bigint;
  /** The unsigned transaction: version 3, the obscured locks, one input, the outputs in BIP69 order. */
  readonly tx: Tx;
  /** Its serialisation without witness. */
  readonly unsignedBytes: Uint8Array;
  /** Txid, display-order hex (the witness does not change it). */
  readonly txid: string;
  /** Txid, internal byte order (what spending inputs reference). */
  readonly txidBytes: Uint8Array;
  /** The channel output spent (amount and scriptPubKey). */
  readonly spentOutput: TxOut;
  /** BIP341 key-path `SIGHASH_DEFAULT` message of the input: what the MuSig2 session signs. */
  readonly sighash: Uint8Array;
  /** The MuSig2 signers' keys, KeySort'ed (`[LSP, client]` funding keys in BIP327 order). */
  readonly signingKeys: readonly Uint8Array[];
  /** The channel output's taproot tweak, applied in the session as an x-only tweak. */
  readonly tweak: Uint8Array;
  /** The channel output's x-only output key: the aggregate signature verifies against it. */
  readonly outputKey: Uint8Array;
  /** The outputs, in transaction order. */
  readonly outputs: readonly CommitmentOutput[];
  /** Everything that goes to miners: channel output − Σ outputs (rate fee + msat + trimmed + dust). */
  readonly fee: bigint;
  /** `ceil(feeRate × vsize / 1000)`: the fee the rate requires. */
  readonly rateFee: bigint;
  /** The signed transaction's vsize (one 64-byte key-path witness). */
  readonly vsize: number;
  /** Ids of the HTLCs trimmed (no output), as `{ offeredBy, id }`. */
  readonly trimmedHtlcs: readonly { readonly offeredBy: Side; readonly id: bigint }[];
  /** Ids of the trimmed HTLCs (ids alone: pair with {@link Commitment.trimmedHtlcs} when both sides use one id). */
  readonly trimmedHtlcIds: readonly bigint[];
}

/** Options of {@link buildCommitment}. */
export interface BuildCommitmentOptions {
  /**
   * Build even above TRUC's 10,000 vB (tests of relay policy only): such a commitment never relays,
   * so the state machine must never sign one. Default false: {@link TransactionTooLargeError}.
   */
  readonly allowOversize?: boolean;
}

function validateBasepoints(b: unknown, name: string): void {
  assertObject(b, name);
  for (const k of ['revocation', 'payment', 'delayedPayment', 'htlc'] as const)
    decodePoint(b[k], `${name}.${k}`);
}

/**
 * Validates a channel config (every key a valid point, distinct funding keys, `channelTimeout` a
 * height, `toSelfDelay` 1..65,535, `dustLimit` ≥ 330) and returns it normalised: a frozen copy with
 * `dustLimit` filled in (330 when absent). Throws {@link InvalidArgumentError} naming the field.
 */
export function validateConfig(config: ChannelConfig): ChannelConfig & { readonly dustLimit: bigint } {
  assertObject(config, 'config');
  decodePoint(config.lspFundingKey, 'config.lspFundingKey');
  decodePoint(config.clientFundingKey, 'config.clientFundingKey');
  if (compareBytes(config.lspFundingKey, config.clientFundingKey) === 0)
    throw new InvalidArgumentError('config.clientFundingKey', 'equals the LSP funding key');
  assertInt(config.channelTimeout, 'config.channelTimeout', 1, 499_999_999);
  assertInt(config.toSelfDelay, 'config.toSelfDelay', 1, 0xffff);
  validateBasepoints(config.lspBasepoints, 'config.lspBasepoints');
  validateBasepoints(config.clientBasepoints, 'config.clientBasepoints');
  const dust = config.dustLimit ?? DUST_LIMIT;
  assertSats(dust, 'config.dustLimit');
  if (dust < DUST_LIMIT)
    throw new InvalidArgumentError('config.dustLimit', 'below the 330-sat P2TR dust limit');
  return Object.freeze({ ...config, dustLimit: dust });
}

function validateFunding(funding: FundingOutpoint): Uint8Array {
  assertObject(funding, 'funding');
  const txid =
    typeof funding.txid === 'string' && /^[0-9a-fA-F]{64}$/.test(funding.txid)
      ? txidFromHex(funding.txid)
      : undefined;
  if (txid === undefined) throw new InvalidArgumentError('funding.txid', 'expected 64 hex characters');
  assertInt(funding.vout, 'funding.vout', 0, 0xffffffff);
  assertSats(funding.amount, 'funding.amount');
  return txid;
}

function validateSpec(spec: CommitmentSpec): void {
  assertObject(spec, 'spec');
  if (spec.holder !== 'lsp' && spec.holder !== 'client')
    throw new InvalidArgumentError('spec.holder', "expected 'lsp' or 'client'");
  assertInt(spec.commitmentNumber, 'spec.commitmentNumber', 0, MAX_COMMITMENT_NUMBER);
  decodePoint(spec.perCommitmentPoint, 'spec.perCommitmentPoint');
  assertMsat(spec.lspBalanceMsat, 'spec.lspBalanceMsat');
  assertMsat(spec.clientBalanceMsat, 'spec.clientBalanceMsat');
  assertFeeRate(spec.feeRate, 'spec.feeRate');
  if (!Array.isArray(spec.htlcs)) throw new InvalidArgumentError('spec.htlcs', 'expected an array');
  const seen = new Set<string>();
  spec.htlcs.forEach((h: HtlcSpec, i: number) => {
    const name = `spec.htlcs[${i}]`;
    assertObject(h, name);
    assertBigInt(h.id, `${name}.id`, 0n, (1n << 64n) - 1n);
    if (h.offeredBy !== 'lsp' && h.offeredBy !== 'client')
      throw new InvalidArgumentError(`${name}.offeredBy`, "expected 'lsp' or 'client'");
    assertMsat(h.amountMsat, `${name}.amountMsat`);
    assertBytes(h.paymentHash, `${name}.paymentHash`, 32);
    assertInt(h.cltvExpiry, `${name}.cltvExpiry`, 1, 499_999_999);
    const key = `${h.offeredBy}:${h.id}`;
    if (seen.has(key))
      throw new InvalidCommitmentError(
        `${name}.id`,
        `duplicate HTLC id ${h.id} offered by the ${h.offeredBy}`,
      );
    seen.add(key);
  });
}

function freezeSpec(spec: CommitmentSpec): CommitmentSpec {
  return Object.freeze({
    holder: spec.holder,
    commitmentNumber: spec.commitmentNumber,
    perCommitmentPoint: Uint8Array.from(spec.perCommitmentPoint),
    lspBalanceMsat: spec.lspBalanceMsat,
    clientBalanceMsat: spec.clientBalanceMsat,
    htlcs: Object.freeze(
      spec.htlcs.map((h) =>
        Object.freeze({
          id: h.id,
          offeredBy: h.offeredBy,
          amountMsat: h.amountMsat,
          paymentHash: Uint8Array.from(h.paymentHash),
          cltvExpiry: h.cltvExpiry,
        }),
      ),
    ),
    feeRate: spec.feeRate,
  });
}

function freezeConfig(c: ChannelConfig): ChannelConfig {
  const bp = (b: Basepoints): Basepoints =>
    Object.freeze({
      revocation: Uint8Array.from(b.revocation),
      payment: Uint8Array.from(b.payment),
      delayedPayment: Uint8Array.from(b.delayedPayment),
      htlc: Uint8Array.from(b.htlc),
    });
  return Object.freeze({
    lspFundingKey: Uint8Array.from(c.lspFundingKey),
    clientFundingKey: Uint8Array.from(c.clientFundingKey),
    channelTimeout: c.channelTimeout,
    toSelfDelay: c.toSelfDelay,
    lspBasepoints: bp(c.lspBasepoints),
    clientBasepoints: bp(c.clientBasepoints),
    dustLimit: c.dustLimit ?? DUST_LIMIT,
  });
}

/**
 * The per-commitment keys of the holder's commitment with per-commitment point `point` (BOLT 3):
 * revocation from the remote's revocation basepoint, the holder's delayed and HTLC keys and the
 * remote's HTLC key tweaked by the point, the remote's payment key untweaked.
 */
export function commitmentKeys(config: ChannelConfig, holder: Side, point: Uint8Array): CommitmentKeys {
  assertObject(config, 'config');
  const local = holder === 'lsp' ? config.lspBasepoints : config.clientBasepoints;
  const remote = holder === 'lsp' ? config.clientBasepoints : config.lspBasepoints;
  const key = hexKey(remote.revocation, local.delayedPayment, local.htlc, remote.htlc, remote.payment, point);
  const k = keysCache.get(key, () => deriveKeys(local, remote, point));
  // Fresh copies: the cached bytes must never be reachable by a caller that might write to them.
  return Object.freeze({
    revocationPubkey: Uint8Array.from(k.revocationPubkey),
    localDelayedPubkey: Uint8Array.from(k.localDelayedPubkey),
    localHtlcPubkey: Uint8Array.from(k.localHtlcPubkey),
    remoteHtlcPubkey: Uint8Array.from(k.remoteHtlcPubkey),
    remotePaymentKey: Uint8Array.from(k.remotePaymentKey),
  });
}

const keysCache = new Lru<CommitmentKeys>(1024);

function deriveKeys(local: Basepoints, remote: Basepoints, point: Uint8Array): CommitmentKeys {
  return Object.freeze({
    revocationPubkey: deriveRevocationPubkey(remote.revocation, point),
    localDelayedPubkey: derivePubkey(local.delayedPayment, point),
    localHtlcPubkey: derivePubkey(local.htlc, point),
    remoteHtlcPubkey: derivePubkey(remote.htlc, point),
    remotePaymentKey: Uint8Array.from(remote.payment),
  });
}

const channelOutputCache = new Lru<ReturnType<typeof channelOutput>>(256);

const xonly = (pk: Uint8Array) => pk.slice(1);

interface Draft {
  readonly role: CommitmentOutput['role'];
  readonly amount: bigint;
  readonly script: Uint8Array;
  readonly htlcId?: bigint;
  readonly build: (vout: number) => CommitmentOutput;
}

/**
 * Builds the holder's commitment number `spec.commitmentNumber` on `funding` (brief §7).
 *
 * The LSP's balance pays the fee and the 240-sat anchor; `lspBalanceMsat + clientBalanceMsat + Σ HTLC
 * msat` must equal the channel output exactly. Throws {@link InvalidArgumentError} for malformed
 * input, {@link InvalidCommitmentError} for balances that do not add up or duplicate HTLC ids,
 * {@link FeeUnaffordableError} when the LSP cannot pay fee and anchor, and
 * {@link TransactionTooLargeError} above 10,000 vB (unless `options.allowOversize`).
 */
export function buildCommitment(
  config: ChannelConfig,
  funding: FundingOutpoint,
  spec: CommitmentSpec,
  options: BuildCommitmentOptions = {},
): Commitment {
  const { dustLimit } = validateConfig(config);
  const prevTxid = validateFunding(funding);
  validateSpec(spec);
  const total =
    spec.lspBalanceMsat + spec.clientBalanceMsat + spec.htlcs.reduce((s, h) => s + h.amountMsat, 0n);
  if (total !== funding.amount * 1000n)
    throw new InvalidCommitmentError(
      'spec',
      `balances and HTLCs add up to ${total} msat, the channel output holds ${funding.amount * 1000n} msat`,
    );
  const cfg = freezeConfig(config);
  const frozen = freezeSpec(spec);
  const holder = frozen.holder;
  const remote = otherSide(holder);
  const keys = commitmentKeys(cfg, holder, frozen.perCommitmentPoint);
  const revocationX = xonly(keys.revocationPubkey);
  const toSelfDelay = cfg.toSelfDelay;
  const threshold = htlcTrimThreshold(frozen.feeRate) - DUST_LIMIT + dustLimit;

  const drafts: Draft[] = [];
  const trimmedHtlcs: { offeredBy: Side; id: bigint }[] = [];
  for (const h of frozen.htlcs) {
    const amount = h.amountMsat / 1000n;
    if (amount < threshold) {
      trimmedHtlcs.push(Object.freeze({ offeredBy: h.offeredBy, id: h.id }));
      continue;
    }
    const offered = h.offeredBy === holder;
    const successLeaf = offered
      ? offeredHtlcSuccessLeaf(h.paymentHash, xonly(keys.remoteHtlcPubkey))
      : receivedHtlcSuccessLeaf(h.paymentHash, toSelfDelay, xonly(keys.localHtlcPubkey));
    const timeoutLeaf = offered
      ? offeredHtlcTimeoutLeaf(h.cltvExpiry, toSelfDelay, xonly(keys.localHtlcPubkey))
      : receivedHtlcTimeoutLeaf(h.cltvExpiry, xonly(keys.remoteHtlcPubkey));
    const taproot = tapscriptOutput(revocationX, [successLeaf, timeoutLeaf]);
    drafts.push({
      role: 'htlc',
      amount,
      script: taproot.script,
      htlcId: h.id,
      build: (vout) =>
        Object.freeze({
          role: 'htlc',
          vout,
          amount,
          script: taproot.script,
          htlcId: h.id,
          offeredBy: h.offeredBy,
          direction: offered ? 'offered' : 'received',
          amountMsat: h.amountMsat,
          paymentHash: h.paymentHash,
          cltvExpiry: h.cltvExpiry,
          taproot,
          successLeaf,
          timeoutLeaf,
          successControlBlock: taproot.controlBlocks[0] as Uint8Array,
          timeoutControlBlock: taproot.controlBlocks[1] as Uint8Array,
          successBy: otherSide(h.offeredBy),
          timeoutBy: h.offeredBy,
          successCsv: offered ? 1 : toSelfDelay,
          timeoutCsv: offered ? toSelfDelay : 1,
        }),
    });
  }
  // A copy: the exported constant must not be reachable (and writable) through a commitment.
  const anchorScript = Uint8Array.from(P2A_SCRIPT);
  drafts.push({
    role: 'anchor',
    amount: ANCHOR_AMOUNT,
    script: anchorScript,
    build: (vout) => Object.freeze({ role: 'anchor', vout, amount: ANCHOR_AMOUNT, script: anchorScript }),
  });

  const localBalance = (holder === 'lsp' ? frozen.lspBalanceMsat : frozen.clientBalanceMsat) / 1000n;
  const remoteBalance = (remote === 'lsp' ? frozen.lspBalanceMsat : frozen.clientBalanceMsat) / 1000n;
  const localLeaf = toLocalLeaf(toSelfDelay, xonly(keys.localDelayedPubkey));
  const localTaproot = tapscriptOutput(revocationX, [localLeaf]);
  const remoteLeaf = toRemoteLeaf(xonly(keys.remotePaymentKey));
  const remoteTaproot = tapscriptOutput(NUMS_XONLY, [remoteLeaf]);
  const mainDraft = (role: 'to_local' | 'to_remote', amount: bigint): Draft => {
    const taproot = role === 'to_local' ? localTaproot : remoteTaproot;
    const leaf = role === 'to_local' ? localLeaf : remoteLeaf;
    return {
      role,
      amount,
      script: taproot.script,
      build: (vout) =>
        Object.freeze({
          role,
          vout,
          amount,
          script: taproot.script,
          taproot,
          leaf,
          controlBlock: taproot.controlBlocks[0] as Uint8Array,
        }) as ToLocalOutput | ToRemoteOutput,
    };
  };
  // The LSP (funder) pays fee and anchor; the other main output is fixed.
  const lspRole = holder === 'lsp' ? 'to_local' : 'to_remote';
  const clientRole = holder === 'lsp' ? 'to_remote' : 'to_local';
  const lspSats = holder === 'lsp' ? localBalance : remoteBalance;
  const clientSats = holder === 'lsp' ? remoteBalance : localBalance;
  if (clientSats >= dustLimit) drafts.push(mainDraft(clientRole, clientSats));

  const factor = obscuringFactor(cfg.lspBasepoints.payment, cfg.clientBasepoints.payment);
  const locks = obscuredLocks(frozen.commitmentNumber, factor);
  const fundingOut = channelOutputCache.get(
    hexKey(cfg.lspFundingKey, cfg.clientFundingKey, cfg.channelTimeout),
    () => channelOutput(cfg.lspFundingKey, cfg.clientFundingKey, cfg.channelTimeout),
  );
  const input = { txidBytes: prevTxid, vout: funding.vout, sequence: locks.sequence };
  const assemble = (ds: readonly Draft[]): Tx => ({
    version: 3,
    locktime: locks.locktime,
    inputs: Object.freeze([Object.freeze(input)]),
    outputs: Object.freeze(ds.map((d) => Object.freeze({ value: d.amount, script: d.script }))),
  });
  const keyPathWitness = [[new Uint8Array(64)]];
  const vsizeOf = (ds: readonly Draft[]) => txVsize(assemble(ds), keyPathWitness);

  // First with the LSP's output (its amount does not change the size), else without it.
  let final: Draft[];
  let vsize = vsizeOf([...drafts, mainDraft(lspRole, 0n)]);
  let rateFee = feeForVsize(frozen.feeRate, vsize);
  const lspOut = lspSats - rateFee - ANCHOR_AMOUNT;
  if (lspOut >= dustLimit) {
    final = [...drafts, mainDraft(lspRole, lspOut)];
  } else {
    vsize = vsizeOf(drafts);
    rateFee = feeForVsize(frozen.feeRate, vsize);
    if (lspSats < rateFee + ANCHOR_AMOUNT) throw new FeeUnaffordableError(rateFee + ANCHOR_AMOUNT, lspSats);
    final = drafts;
  }
  if (vsize > TRUC_MAX_VSIZE && options.allowOversize !== true)
    throw new TransactionTooLargeError(
      `commitment ${frozen.commitmentNumber} of the ${holder}`,
      vsize,
      TRUC_MAX_VSIZE,
    );

  // BIP69: amount, then scriptPubKey; byte-identical outputs by HTLC id (one direction only can tie).
  final.sort(
    (a, b) =>
      (a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0) ||
      compareBytes(a.script, b.script) ||
      Number((a.htlcId ?? 0n) - (b.htlcId ?? 0n) > 0n) - Number((a.htlcId ?? 0n) - (b.htlcId ?? 0n) < 0n),
  );
  const outputs = final.map((d, vout) => d.build(vout));
  const tx: Tx = Object.freeze(assemble(final));
  const spentOutput: TxOut = Object.freeze({
    value: funding.amount,
    script: Uint8Array.from(fundingOut.script),
  });
  const sighash = new TaprootSighasher(tx, [spentOutput]).sighash(0);
  const txidBytes = txidBytesOf(tx);
  const outSum = outputs.reduce((s, o) => s + o.amount, 0n);
  return Object.freeze({
    config: cfg,
    funding: Object.freeze({ txid: funding.txid.toLowerCase(), vout: funding.vout, amount: funding.amount }),
    spec: frozen,
    holder,
    commitmentNumber: frozen.commitmentNumber,
    perCommitmentPoint: frozen.perCommitmentPoint,
    keys,
    obscuredNumber: locks.obscured,
    tx,
    unsignedBytes: encodeTxNoWitness(tx),
    txid: displayHex(txidBytes),
    txidBytes,
    spentOutput,
    sighash,
    signingKeys: Object.freeze(keySort([cfg.lspFundingKey, cfg.clientFundingKey])),
    tweak: Uint8Array.from(fundingOut.tweak),
    outputKey: Uint8Array.from(fundingOut.outputKey),
    outputs: Object.freeze(outputs),
    fee: funding.amount - outSum,
    rateFee,
    vsize,
    trimmedHtlcs: Object.freeze(trimmedHtlcs),
    trimmedHtlcIds: Object.freeze(trimmedHtlcs.map((t) => t.id)),
  });
}

/** True when `signature` (64 bytes) is a valid BIP340 signature of the commitment's sighash by its output key. */
export function verifyCommitmentSignature(c: Commitment, signature: Uint8Array): boolean {
  assertBytes(signature, 'signature', 64);
  try {
    return schnorrVerify(signature, c.sighash, c.outputKey);
  } catch {
    return false;
  }
}

/**
 * The broadcastable commitment: the unsigned transaction with the aggregate signature as its one
 * key-path witness item. Verifies the signature first ({@link InvalidSignatureError}).
 */
export function signedCommitmentBytes(c: Commitment, signature: Uint8Array): Uint8Array {
  if (!verifyCommitmentSignature(c, signature))
    throw new InvalidSignatureError(`commitment ${c.commitmentNumber} of the ${c.holder}`);
  return encodeTx(c.tx, [[Uint8Array.from(signature)]]);
}
