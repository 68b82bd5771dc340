/**
 * Factory ceremony messages (brief §8): the proposal, the two MuSig2 rounds over each client's path
 * (one nonce per transaction, indexed by tree transaction and kind; distribution nonces separately),
 * the signed path, abort and funding.
 *
 * `factory_propose` carries every field of `@superscalar/factory-tree`'s `Proposal`, so a client
 * rebuilds the tree from it; decoding checks each field's range, and the client then runs
 * `checkProposal` (the tree-level rules of §2 belong to factory-tree).
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
  msat,
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
import { parseUnsignedTx, txidOfUnsigned, unsignedTx } from '../_tx.js';
import { defineMessage, type MessageCodec } from '../codec.js';
import { wireError } from '../errors.js';
import { NETWORK_CODES } from './setup.js';

export type { Proposal, TreeTxKind };

/**
 * `factory_propose` (LSP → each client, §8 step 1). Usually fragmented for large N.
 *
 * Carries the proposal and the **unsigned funding transaction** (witness-free serialization): the
 * client recomputes its txid and checks its funding output. Decoding already checks that the
 * transaction parses, that its txid is `proposal.funding.txid` and that output `funding.vout` exists
 * and pays exactly `funding.amount`; the output's script (the tree's funding key) is the client's
 * check, with factory-tree, since it needs the key aggregation of every participant.
 */
export interface FactoryPropose {
  readonly type: 'factory_propose';
  readonly proposal: Proposal;
  /** The unsigned funding transaction, witness-free (its inputs are confirmed segwit coins, §8). */
  readonly fundingTx: Uint8Array;
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

/**
 * A public nonce for a distribution transaction, named by its position in `buildDistribution(…).txs`:
 * 0 = the top (or single) one, 1 + g = sub-distribution g.
 */
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
  /** The proposal failed `checkProposal` or the funding check. */
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

/** A client's placement profile (brief §2), as in factory-tree's `ClientSpec.profile`. */
export interface PlacementProfile {
  readonly contribution: bigint;
  readonly uptime: number;
  readonly timezone: number;
}

/**
 * `factory_register` (client → LSP, before the proposal): what the client brings to the next
 * factory. Everything here becomes the client's entry of `proposal.clients[]` if the LSP grants it.
 *
 * `factoryKey` is a fresh per-factory key (brief §1): a client never reuses a key in a second
 * proposal, so when a ceremony restarts (an abort, a crash, a failed signing round) the client
 * **registers again with a fresh factory key**, and the LSP refuses a key it has seen before
 * (`RegistrationRefusal.KEY_REUSED`). The key also names the registration: the response echoes it.
 *
 * No `cltv_expiry_delta` travels here: every party derives it from the proposal's shape (brief §7,
 * `exitDelay + toSelfDelay + htlcBudget`), since a delta too small for the shape loses funds.
 */
export interface FactoryRegister {
  readonly type: 'factory_register';
  /** The client's fresh per-factory key (33-byte compressed). */
  readonly factoryKey: Uint8Array;
  /** The client's close address for this factory: a P2TR scriptPubKey (34 bytes). */
  readonly closeScript: Uint8Array;
  /** Requested channel capacity `c_i`, sats. */
  readonly capacity: bigint;
  /** Requested initial client balance `b_i`, sats (at most `capacity`). */
  readonly balance: bigint;
  /** Placement profile, when the client has one. */
  readonly profile?: PlacementProfile;
}

/** What the LSP grants a registration: amounts (its policy may lower them) and its routing terms. */
export interface RegistrationGrant {
  /** Granted capacity `c_i`, sats (the proposal will carry it). */
  readonly capacity: bigint;
  /** Granted initial client balance `b_i`, sats (at most `capacity`). */
  readonly balance: bigint;
  /** BOLT 7 `fee_base_msat` the LSP charges to forward over this client's channel. */
  readonly feeBaseMsat: number;
  /** BOLT 7 `fee_proportional_millionths`. */
  readonly feeProportionalMillionths: number;
  /** Smallest HTLC the LSP forwards, msat. */
  readonly htlcMinimumMsat: bigint;
  /** Largest HTLC the LSP forwards, msat (at least `htlcMinimumMsat`). */
  readonly htlcMaximumMsat: bigint;
}

/** Reason codes of a refused registration (any other u16 is allowed and means "other"). */
export const RegistrationRefusal = {
  /** The LSP cannot fund the requested capacity now. */
  CAPACITY_UNAVAILABLE: 1,
  /** Capacity or balance below the LSP's minimum or above its maximum. */
  AMOUNT_OUT_OF_RANGE: 2,
  /** The next factory is full. */
  FACTORY_FULL: 3,
  /** The factory key was used before (brief §1: register again with a fresh key). */
  KEY_REUSED: 4,
  /** The LSP is not accepting registrations now (no ceremony planned, rate limit). */
  NOT_ACCEPTING: 5,
} as const;

/** Why a registration was refused. */
export interface RegistrationRefusalInfo {
  /** A {@link RegistrationRefusal} code. */
  readonly reason: number;
  readonly text: string;
}

/**
 * `factory_register_response` (LSP → client): exactly one of `grant` (the amounts the LSP's policy
 * grants, possibly below the request, and its routing fees and limits) or `refusal`.
 */
export interface FactoryRegisterResponse {
  readonly type: 'factory_register_response';
  /** The `factoryKey` of the registration answered. */
  readonly factoryKey: Uint8Array;
  readonly grant?: RegistrationGrant;
  readonly refusal?: RegistrationRefusalInfo;
}

/** Phase of a factory, as a reconnecting peer holds it. */
export type FactoryPhase = 'ceremony' | 'open' | 'advance' | 'close' | 'aborted' | 'closed';
/**
 * The last ceremony step a peer completed and persisted (§8): `proposed` (holds the proposal),
 * `nonces` (round 1 sent or received), `agg_nonces`, `psigs` (round 2), `signed` (holds the signed
 * path and distribution), `channels` (initial commitments exchanged), `funded` (funding broadcast,
 * waiting for `minimumDepth`).
 */
export type CeremonyStep = 'proposed' | 'nonces' | 'agg_nonces' | 'psigs' | 'signed' | 'channels' | 'funded';
/**
 * The last step of an advance a peer completed and persisted: `proposed`, `nonces`, `agg_nonces`,
 * `psigs`, `signed` (holds every signature, `advance_done`), `complete` (the superseded state's
 * secrets revealed; the advance is over).
 */
export type AdvanceStep = 'proposed' | 'nonces' | 'agg_nonces' | 'psigs' | 'signed' | 'complete';
/** The last step of a cooperative close: `proposed`, `nonce`, `agg_nonce`, `psig`, `signed`. */
export type CloseStep = 'proposed' | 'nonce' | 'agg_nonce' | 'psig' | 'signed';

/**
 * `factory_reestablish` (either way, once per factory after every reconnection, before any other
 * message of that factory): the phase and step this peer holds, so that an interrupted ceremony,
 * advance or close resumes or aborts the same way on both sides. Rules (the roles apply them):
 * secret nonces never survive a disconnection, so a signing round that was not complete restarts
 * with fresh nonces under a new `attempt` (ceremony, close) or is abandoned (advance: the old state
 * stays valid until `signed`); a peer ahead resends what the other lacks (`factory_signed`,
 * `advance_done`, `close_done`); a peer that answers `aborted` ends the factory for both.
 *
 * Record presence follows the phase: `ceremony` iff phase `ceremony`; `close` iff phase `close`;
 * `advance` required in phase `advance` (any step but `complete`), allowed in `open`, `close` and
 * `closed` as the last advance (step `complete`), absent in `ceremony` and `aborted`. Later issues
 * extend this message with odd TLV records, never with a second message.
 */
export interface FactoryReestablish {
  readonly type: 'factory_reestablish';
  readonly factoryId: Uint8Array;
  readonly phase: FactoryPhase;
  readonly ceremony?: { readonly attempt: number; readonly step: CeremonyStep };
  readonly advance?: { readonly advanceId: number; readonly step: AdvanceStep };
  readonly close?: { readonly attempt: number; readonly step: CloseStep };
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

/** @internal The proposal alone (what {@link factoryIdOf} hashes: the encoding before issue 20). */
const proposalOnlyCodec = defineMessage({
  name: 'factory_propose',
  type: 0x0100,
  nested: 'proposal',
  fields: proposalFields,
});

const proposeCodec = defineMessage({
  name: 'factory_propose',
  type: 0x0100,
  nested: 'proposal',
  fields: [...proposalFields, { tlv: 48, key: 'fundingTx', codec: unsignedTx, outer: true }],
  check(f, fail) {
    const tx = f.fundingTx as Uint8Array;
    const funding = f.funding as Proposal['funding'];
    const txid = txidOfUnsigned(tx);
    if (txid !== funding.txid)
      fail('fundingTx', `its txid ${txid} is not proposal.funding.txid ${funding.txid}`);
    const outputs = parseUnsignedTx(tx, 'fundingTx').outputs;
    const out = outputs[funding.vout];
    if (out === undefined)
      return fail(
        'fundingTx',
        `has ${outputs.length} outputs: proposal.funding.vout ${funding.vout} does not exist`,
      );
    if (out.value !== funding.amount)
      fail(
        'fundingTx',
        `output ${funding.vout} pays ${out.value} sats, proposal.funding.amount is ${funding.amount}`,
      );
  },
});

const ceremonySteps: Readonly<Record<CeremonyStep, number>> = {
  proposed: 1,
  nonces: 2,
  agg_nonces: 3,
  psigs: 4,
  signed: 5,
  channels: 6,
  funded: 7,
};
const advanceSteps: Readonly<Record<AdvanceStep, number>> = {
  proposed: 1,
  nonces: 2,
  agg_nonces: 3,
  psigs: 4,
  signed: 5,
  complete: 6,
};
const closeSteps: Readonly<Record<CloseStep, number>> = {
  proposed: 1,
  nonce: 2,
  agg_nonce: 3,
  psig: 4,
  signed: 5,
};
const PHASE_CODES: Readonly<Record<FactoryPhase, number>> = {
  ceremony: 1,
  open: 2,
  advance: 3,
  close: 4,
  aborted: 5,
  closed: 6,
};

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
  defineMessage({
    name: 'factory_register',
    type: 0x010e,
    fields: [
      { tlv: 0, key: 'factoryKey', codec: point },
      { tlv: 2, key: 'closeScript', codec: p2trScript },
      { tlv: 4, key: 'capacity', codec: sats },
      { tlv: 6, key: 'balance', codec: sats },
      { tlv: 8, key: 'profile', codec: profile, optional: true },
    ],
    check(f, fail) {
      if ((f.balance as bigint) > (f.capacity as bigint))
        fail('balance', `${f.balance} sats exceed the requested capacity ${f.capacity}`);
    },
  }),
  defineMessage({
    name: 'factory_register_response',
    type: 0x0110,
    fields: [
      { tlv: 0, key: 'factoryKey', codec: point },
      {
        tlv: 2,
        key: 'grant',
        optional: true,
        codec: struct(
          [
            ['capacity', sats],
            ['balance', sats],
            ['feeBaseMsat', uint(4)],
            ['feeProportionalMillionths', uint(4)],
            ['htlcMinimumMsat', msat],
            ['htlcMaximumMsat', msat],
          ],
          'grant',
        ),
      },
      {
        tlv: 4,
        key: 'refusal',
        optional: true,
        codec: struct(
          [
            ['reason', uint(2)],
            ['text', text],
          ],
          'refusal',
        ),
      },
    ],
    check(f, fail) {
      const g = f.grant as RegistrationGrant | undefined;
      if ((g === undefined) === (f.refusal === undefined))
        fail('grant', 'exactly one of grant and refusal must be present');
      if (g !== undefined) {
        if (g.balance > g.capacity)
          fail('grant.balance', `${g.balance} sats exceed the capacity ${g.capacity}`);
        if (g.htlcMinimumMsat > g.htlcMaximumMsat)
          fail('grant.htlcMaximumMsat', `${g.htlcMaximumMsat} is below htlcMinimumMsat ${g.htlcMinimumMsat}`);
      }
    },
  }),
  defineMessage({
    name: 'factory_reestablish',
    type: 0x0112,
    fields: [
      factoryId,
      { tlv: 2, key: 'phase', codec: enumU8(PHASE_CODES) },
      {
        tlv: 4,
        key: 'ceremony',
        optional: true,
        codec: struct(
          [
            ['attempt', uint(1)],
            ['step', enumU8(ceremonySteps)],
          ],
          'ceremony round',
        ),
      },
      {
        tlv: 6,
        key: 'advance',
        optional: true,
        codec: struct(
          [
            ['advanceId', uint(4)],
            ['step', enumU8(advanceSteps)],
          ],
          'advance id and step',
        ),
      },
      {
        tlv: 8,
        key: 'close',
        optional: true,
        codec: struct(
          [
            ['attempt', uint(2)],
            ['step', enumU8(closeSteps)],
          ],
          'close attempt and step',
        ),
      },
    ],
    check(f, fail) {
      const phase = f.phase as FactoryPhase;
      const adv = f.advance as FactoryReestablish['advance'];
      if ((f.ceremony !== undefined) !== (phase === 'ceremony'))
        fail('ceremony', `present iff phase is "ceremony" (phase "${phase}")`);
      if ((f.close !== undefined) !== (phase === 'close'))
        fail('close', `present iff phase is "close" (phase "${phase}")`);
      if (phase === 'advance') {
        if (adv === undefined) return fail('advance', 'required in phase "advance"');
        if (adv.step === 'complete') fail('advance.step', 'an advance in progress is not "complete"');
      } else if (adv !== undefined) {
        if (phase === 'ceremony' || phase === 'aborted') fail('advance', `absent in phase "${phase}"`);
        if (adv.step !== 'complete')
          fail('advance.step', `phase "${phase}" holds only a complete advance (step "${adv.step}")`);
      }
    },
  }),
];

const enc = new TextEncoder();
const TAG = sha256(enc.encode('superscalar-ts/factory-id'));
const CHANNEL_TAG = sha256(enc.encode('superscalar-ts/channel-id'));

/**
 * The factory id every message's `factoryId` carries: `tagged_hash("superscalar-ts/factory-id",
 * encoding of factory_propose without its fundingTx record)`, i.e. the 2-byte type and the proposal's
 * TLV records 0..46. It commits to every proposal field, the funding txid included (which commits to
 * the funding transaction), so two factories never share one; it is the same id as before
 * `factory_propose` carried the funding transaction.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` when the proposal has no encoding.
 */
export function factoryIdOf(proposal: Proposal): Uint8Array {
  const body = proposalOnlyCodec.encode({ type: 'factory_propose', proposal });
  const buf = new Uint8Array(64 + body.length);
  buf.set(TAG, 0);
  buf.set(TAG, 32);
  buf.set(body, 64);
  return sha256(buf);
}

/**
 * The channel id of client `clientIndex`'s leaf channel (its index in `proposal.clients[]`, not its
 * placement position): `tagged_hash("superscalar-ts/channel-id", factoryId || u32be(clientIndex))`,
 * with `factoryId = factoryIdOf(proposal)`. It depends on nothing an advance or a rebinding changes
 * (brief §5.4), so it is stable for the channel's life.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` for a factory id that is not 32 bytes or an index
 *   outside 0..2^32 − 1.
 */
export function channelIdOf(factoryId: Uint8Array, clientIndex: number): Uint8Array {
  if (!(factoryId instanceof Uint8Array) || factoryId.length !== 32)
    throw wireError('WIRE_INVALID_ARGUMENT', 'expected 32 bytes', { field: 'factoryId' });
  if (!Number.isInteger(clientIndex) || clientIndex < 0 || clientIndex > 0xffffffff)
    throw wireError(
      'WIRE_INVALID_ARGUMENT',
      `expected an integer in 0..2^32 − 1, got ${String(clientIndex)}`,
      {
        field: 'clientIndex',
      },
    );
  const buf = new Uint8Array(64 + 36);
  buf.set(CHANNEL_TAG, 0);
  buf.set(CHANNEL_TAG, 32);
  buf.set(factoryId, 64);
  new DataView(buf.buffer).setUint32(96, clientIndex);
  return sha256(buf);
}
