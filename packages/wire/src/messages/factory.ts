/**
 * Factory ceremony messages (brief §8): the proposal, the two MuSig2 rounds over each client's path
 * (one nonce per transaction, indexed by tree transaction and kind; distribution nonces separately),
 * the signed path, abort and funding.
 *
 * `factory_propose` carries every field of `@superscalar/factory-tree`'s `Proposal`, so a client
 * rebuilds the tree from it; decoding checks each field's range, and the client then runs
 * `validateProposal` (the tree-level rules of §2 belong to factory-tree).
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Placement, Proposal, TreeTxKind } from '@superscalar/factory-tree';
import {
  aggnonce,
  bytes32,
  enumU8,
  f64,
  height,
  list,
  p2trScript,
  point,
  pubnonce,
  s64,
  sats,
  scalar,
  sig64,
  struct,
  text,
  txidHex,
  uint,
} from '../_fields.js';
import { defineMessage, type MessageCodec } from '../codec.js';
import { NETWORK_CODES } from './setup.js';

export type { Proposal, TreeTxKind };

/** `factory_propose` (LSP → each client, §8 step 1). Usually fragmented for large N. */
export interface FactoryPropose {
  readonly type: 'factory_propose';
  readonly proposal: Proposal;
}

/** A public nonce for one tree transaction of the client's path. */
export interface TxNonce {
  /** Index of the transaction in the tree's transaction list. */
  readonly tx: number;
  /** Which transaction of its node (a cross-check of `tx`). */
  readonly kind: TreeTxKind;
  /** BIP327 `pubnonce` (66 bytes). */
  readonly pubnonce: Uint8Array;
}

/** A public nonce for a distribution transaction (0 = the top one, k = sub-distribution k). */
export interface DistributionNonce {
  readonly index: number;
  readonly pubnonce: Uint8Array;
}

/** `factory_nonces` (client → LSP, round 1): one nonce per path transaction, plus distribution nonces. */
export interface FactoryNonces {
  readonly type: 'factory_nonces';
  readonly factoryId: Uint8Array;
  /** Signing attempt, 0 first (§8 step 4: retries use fresh nonces). */
  readonly attempt: number;
  /** By strictly increasing `tx`. */
  readonly nonces: readonly TxNonce[];
  /** By strictly increasing `index`. */
  readonly distributionNonces: readonly DistributionNonce[];
}

/** An aggregate nonce for one path transaction. */
export interface TxAggNonce {
  readonly tx: number;
  readonly kind: TreeTxKind;
  /** BIP327 `aggnonce` (66 bytes). */
  readonly aggnonce: Uint8Array;
}

/** An aggregate nonce for a distribution transaction. */
export interface DistributionAggNonce {
  readonly index: number;
  readonly aggnonce: Uint8Array;
}

/** `factory_agg_nonces` (LSP → client, round 2): `NonceAgg(aggothernonce, LSP nonce)` for its path only. */
export interface FactoryAggNonces {
  readonly type: 'factory_agg_nonces';
  readonly factoryId: Uint8Array;
  readonly attempt: number;
  readonly aggNonces: readonly TxAggNonce[];
  readonly distributionAggNonces: readonly DistributionAggNonce[];
}

/** A 32-byte MuSig2 partial signature for one path transaction. */
export interface TxPartialSig {
  readonly tx: number;
  readonly psig: Uint8Array;
}

/** A partial signature for a distribution transaction. */
export interface DistributionPartialSig {
  readonly index: number;
  readonly psig: Uint8Array;
}

/** `factory_psigs` (client → LSP). */
export interface FactoryPsigs {
  readonly type: 'factory_psigs';
  readonly factoryId: Uint8Array;
  readonly attempt: number;
  readonly psigs: readonly TxPartialSig[];
  readonly distributionPsigs: readonly DistributionPartialSig[];
}

/** A complete BIP340 signature for one transaction. */
export interface TxSignature {
  readonly tx: number;
  readonly signature: Uint8Array;
}

/** A complete signature for a distribution transaction. */
export interface DistributionSignature {
  readonly index: number;
  readonly signature: Uint8Array;
}

/**
 * `factory_signed` (LSP → client, §8 step 4): the final signatures of the client's path and of the
 * distribution transaction(s). The client rebuilds each transaction from the proposal, attaches the
 * signature and verifies it; signatures rather than whole transactions keep the message O(depth).
 */
export interface FactorySigned {
  readonly type: 'factory_signed';
  readonly factoryId: Uint8Array;
  readonly signatures: readonly TxSignature[];
  readonly distributionSignatures: readonly DistributionSignature[];
}

/** Reason codes of `factory_abort` (any other u16 is allowed and means "other"). */
export const FactoryAbortReason = {
  /** A party did not answer in time. */
  TIMEOUT: 1,
  /** The proposal failed `validateProposal` or the funding check. */
  INVALID_PROPOSAL: 2,
  /** An aggregate signature failed after the allowed retries. */
  SIGNING_FAILED: 3,
  /** The funding transaction cannot be broadcast or did not confirm by `fundingTimeout`. */
  FUNDING_FAILED: 4,
  /** A client withdrew. */
  CLIENT_WITHDREW: 5,
  /** The LSP cancelled. */
  CANCELLED: 6,
} as const;

/** `factory_abort` (either way): the ceremony stops; nothing signed so far may be used. */
export interface FactoryAbort {
  readonly type: 'factory_abort';
  readonly factoryId: Uint8Array;
  /** A {@link FactoryAbortReason} code. */
  readonly reason: number;
  readonly text: string;
  /** The participant blamed, when one is (0 = LSP, i + 1 = clients[i]); informational (BIP327). */
  readonly blamed?: number;
}

/** `factory_funded` (LSP → clients, §8 step 6): the funding transaction was broadcast. */
export interface FactoryFunded {
  readonly type: 'factory_funded';
  readonly factoryId: Uint8Array;
  /** Display-order hex txid. */
  readonly txid: string;
  readonly vout: number;
}

const PLACEMENT_CODES: Readonly<Record<Placement, number>> = {
  sequential: 0,
  inward: 1,
  outward: 2,
  timezone: 3,
};
const TX_KIND_CODES: Readonly<Record<TreeTxKind, number>> = { kickoff: 0, state: 1 };
const txIndex = uint(4);
const distIndex = uint(2);
const txKind = enumU8(TX_KIND_CODES);

const profile = struct(
  [
    ['contribution', s64],
    ['uptime', f64],
    ['timezone', f64],
  ],
  'placement profile',
);

const client = struct(
  [
    ['key', point],
    ['closeScript', p2trScript],
    ['capacity', sats],
    ['balance', sats],
    ['profile', profile, 'optional'],
  ],
  'client',
);

/** @internal The proposal's fields (in `factory_propose.proposal`), in TLV order. */
const proposalFields = [
  { tlv: 0, key: 'network', codec: enumU8(NETWORK_CODES) },
  { tlv: 2, key: 'proposalHeight', codec: height },
  {
    tlv: 4,
    key: 'lsp',
    codec: struct(
      [
        ['key', point],
        ['closeScript', p2trScript],
      ],
      'LSP key and close script',
    ),
  },
  { tlv: 6, key: 'clients', codec: list(client, { countBytes: 4, min: 1 }) },
  { tlv: 8, key: 'placement', codec: enumU8(PLACEMENT_CODES) },
  { tlv: 10, key: 'leafArity', codec: uint(1, 1, 2) },
  { tlv: 12, key: 'levelArity', codec: list(uint(1, 2), { min: 1, max: 255 }) },
  { tlv: 14, key: 'staticLevels', codec: uint(1, 0, 64) },
  {
    tlv: 16,
    key: 'dw',
    codec: struct(
      [
        ['K', uint(2, 2, 256)],
        ['S', uint(2, 1)],
      ],
      'DW parameters K, S',
    ),
  },
  {
    tlv: 18,
    key: 'lStock',
    codec: list(sats, { countBytes: 4, min: 1 }),
    optional: true,
    absentAsUndefined: true,
  },
  { tlv: 20, key: 'treeFeeRate', codec: uint(4, 0, 100_000_000) },
  { tlv: 22, key: 'timeoutStep', codec: uint(2, 1) },
  { tlv: 24, key: 'activeBlocks', codec: uint(4, 1, 1_000_000) },
  { tlv: 26, key: 'dyingBlocks', codec: uint(4, 0, 1_000_000) },
  { tlv: 28, key: 'exitMargin', codec: uint(4, 0, 1_000_000) },
  { tlv: 30, key: 'fundingTimeout', codec: uint(4, 1, 1_000_000) },
  { tlv: 32, key: 'minimumDepth', codec: uint(2, 1, 1_000) },
  { tlv: 34, key: 'commitFeeRate', codec: uint(4, 0, 100_000_000) },
  { tlv: 36, key: 'lStockCsv', codec: uint(2, 1) },
  { tlv: 38, key: 'toSelfDelay', codec: uint(2, 1) },
  { tlv: 40, key: 'htlcBudget', codec: uint(2) },
  { tlv: 42, key: 'T', codec: height },
  {
    tlv: 44,
    key: 'funding',
    codec: struct(
      [
        ['txid', txidHex],
        ['vout', uint(4)],
        ['amount', sats],
      ],
      'funding outpoint and amount',
    ),
  },
  { tlv: 46, key: 'poisonHashes', codec: list(bytes32, { countBytes: 4, min: 1 }) },
];

const byTx = ((e: { tx: number }) => e.tx) as (e: unknown) => number;
const byIndex = ((e: { index: number }) => e.index) as (e: unknown) => number;
const factoryId = { tlv: 0, key: 'factoryId', codec: bytes32 };
const attempt = { tlv: 2, key: 'attempt', codec: uint(1) };

const proposeCodec = defineMessage({
  name: 'factory_propose',
  type: 0x0100,
  nested: 'proposal',
  fields: proposalFields,
});

/** @internal */
export const factoryCodecs: MessageCodec[] = [
  proposeCodec,
  defineMessage({
    name: 'factory_nonces',
    type: 0x0102,
    fields: [
      factoryId,
      attempt,
      {
        tlv: 4,
        key: 'nonces',
        codec: list(
          struct([
            ['tx', txIndex],
            ['kind', txKind],
            ['pubnonce', pubnonce],
          ]),
          { key: byTx, keyName: 'tx' },
        ),
      },
      {
        tlv: 6,
        key: 'distributionNonces',
        codec: list(
          struct([
            ['index', distIndex],
            ['pubnonce', pubnonce],
          ]),
          { key: byIndex, keyName: 'index' },
        ),
      },
    ],
  }),
  defineMessage({
    name: 'factory_agg_nonces',
    type: 0x0104,
    fields: [
      factoryId,
      attempt,
      {
        tlv: 4,
        key: 'aggNonces',
        codec: list(
          struct([
            ['tx', txIndex],
            ['kind', txKind],
            ['aggnonce', aggnonce],
          ]),
          { key: byTx, keyName: 'tx' },
        ),
      },
      {
        tlv: 6,
        key: 'distributionAggNonces',
        codec: list(
          struct([
            ['index', distIndex],
            ['aggnonce', aggnonce],
          ]),
          { key: byIndex, keyName: 'index' },
        ),
      },
    ],
  }),
  defineMessage({
    name: 'factory_psigs',
    type: 0x0106,
    fields: [
      factoryId,
      attempt,
      {
        tlv: 4,
        key: 'psigs',
        codec: list(
          struct([
            ['tx', txIndex],
            ['psig', scalar],
          ]),
          { key: byTx, keyName: 'tx' },
        ),
      },
      {
        tlv: 6,
        key: 'distributionPsigs',
        codec: list(
          struct([
            ['index', distIndex],
            ['psig', scalar],
          ]),
          { key: byIndex, keyName: 'index' },
        ),
      },
    ],
  }),
  defineMessage({
    name: 'factory_signed',
    type: 0x0108,
    fields: [
      factoryId,
      {
        tlv: 2,
        key: 'signatures',
        codec: list(
          struct([
            ['tx', txIndex],
            ['signature', sig64],
          ]),
          { key: byTx, keyName: 'tx' },
        ),
      },
      {
        tlv: 4,
        key: 'distributionSignatures',
        codec: list(
          struct([
            ['index', distIndex],
            ['signature', sig64],
          ]),
          { key: byIndex, keyName: 'index' },
        ),
      },
    ],
  }),
  defineMessage({
    name: 'factory_abort',
    type: 0x010a,
    fields: [
      factoryId,
      { tlv: 2, key: 'reason', codec: uint(2) },
      { tlv: 4, key: 'text', codec: text },
      { tlv: 6, key: 'blamed', codec: uint(4), optional: true },
    ],
  }),
  defineMessage({
    name: 'factory_funded',
    type: 0x010c,
    fields: [factoryId, { tlv: 2, key: 'txid', codec: txidHex }, { tlv: 4, key: 'vout', codec: uint(4) }],
  }),
];

const TAG = sha256(new TextEncoder().encode('superscalar-ts/factory-id'));

/**
 * A factory id: `tagged_hash("superscalar-ts/factory-id", encoding of factory_propose)` — it commits to
 * every proposal field (the funding outpoint included), so two factories never share one. The
 * messages only carry 32 bytes; roles may use this or any other unique 32-byte id.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` when the proposal has no encoding.
 */
export function factoryIdOf(proposal: Proposal): Uint8Array {
  const body = proposeCodec.encode({ type: 'factory_propose', proposal });
  const buf = new Uint8Array(64 + body.length);
  buf.set(TAG, 0);
  buf.set(TAG, 32);
  buf.set(body, 64);
  return sha256(buf);
}
