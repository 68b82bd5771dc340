/**
 * State-advance messages (brief §5): a per-leaf advance, a carry into an ancestor, or an epoch reset,
 * signed in one session by the signers of the advancing node — the new states (and, for a carry, the
 * rebuilt kickoffs), the poison of every superseded leaf state, the stale-channel settlements, and each
 * channel's rebound commitment (one partial signature per channel, §5.4). The LSP then reveals the
 * superseded states' L-stock secrets `s_c`.
 *
 * Transactions are named by {@link AdvanceTxRef}: `kickoff`/`state` by their index in the rebuilt
 * tree's transaction list, `poison` by the superseded leaf's index, `settlement` by the client whose
 * superseded channel output it spends (participant index, 1 = clients[0]).
 *
 * @module
 */
import {
  aggnonce,
  bytes32,
  enumU8,
  list,
  pubnonce,
  sats,
  scalar,
  sig64,
  struct,
  u48,
  uint,
} from '../_fields.js';
import { defineMessage, type MessageCodec } from '../codec.js';

/** What is advancing (§5.1, §5.2). */
export type AdvanceKind = 'leaf' | 'carry' | 'epoch-reset';
/** The kinds of transaction an advance signs. */
export type AdvanceTxKind = 'kickoff' | 'state' | 'poison' | 'settlement';

/** Names one transaction of an advance session. */
export interface AdvanceTxRef {
  readonly kind: AdvanceTxKind;
  /** Tree tx index (kickoff, state), leaf index (poison) or participant index (settlement). */
  readonly index: number;
}

/** A channel's new capacity in the advancing leaf. */
export interface ChannelAllocation {
  /** Participant index of the channel's client (1 = clients[0]). */
  readonly client: number;
  /** New channel capacity `c_i`, sats. */
  readonly capacity: bigint;
}

/** A leaf-state instance the advance creates (§5.3: one per-factory counter per instance). */
export interface CreatedLeafState {
  readonly leaf: number;
  /** The per-factory counter c (< 2^48). */
  readonly counter: number;
  /** `sha256(s_c)`, the new L-stock's poison hash. */
  readonly poisonHash: Uint8Array;
}

/** `advance_propose` (LSP → the leaf's or subtree's signers). */
export interface AdvancePropose {
  readonly type: 'advance_propose';
  readonly factoryId: Uint8Array;
  /** The LSP's sequence number of this advance in the factory (every later message names it). */
  readonly advanceId: number;
  /** The leaf whose change triggers the advance. */
  readonly leaf: number;
  readonly kind: AdvanceKind;
  /** The leaf's channels after the advance, by strictly increasing `client`. */
  readonly allocations: readonly ChannelAllocation[];
  /** The leaf's L-stock after the advance, sats. */
  readonly lStock: bigint;
  /** Every leaf-state instance created (one for a leaf advance; every leaf below for a carry), by increasing counter. */
  readonly created: readonly CreatedLeafState[];
}

/** A public nonce for one advance transaction. */
export interface AdvanceTxNonce extends AdvanceTxRef {
  readonly pubnonce: Uint8Array;
}

/** A fresh verification nonce for a channel's rebound commitment (§5.4). */
export interface RebindingNonce {
  readonly channelId: Uint8Array;
  readonly verificationNonce: Uint8Array;
}

/** `advance_nonces` (each signer → LSP). Entries by strictly increasing (kind, index); channels by id. */
export interface AdvanceNonces {
  readonly type: 'advance_nonces';
  readonly factoryId: Uint8Array;
  readonly advanceId: number;
  readonly nonces: readonly AdvanceTxNonce[];
  readonly rebindingNonces: readonly RebindingNonce[];
}

/** An aggregate nonce for one advance transaction. */
export interface AdvanceTxAggNonce extends AdvanceTxRef {
  readonly aggnonce: Uint8Array;
}

/** `advance_agg_nonces` (LSP → each signer). */
export interface AdvanceAggNonces {
  readonly type: 'advance_agg_nonces';
  readonly factoryId: Uint8Array;
  readonly advanceId: number;
  readonly aggNonces: readonly AdvanceTxAggNonce[];
}

/** A partial signature for one advance transaction. */
export interface AdvanceTxPartialSig extends AdvanceTxRef {
  readonly psig: Uint8Array;
}

/** The signer's half of a rebound commitment (§5.4): its partial signature and signing nonce. */
export interface ReboundCommitmentSig {
  readonly channelId: Uint8Array;
  readonly partialSig: Uint8Array;
  readonly signingNonce: Uint8Array;
}

/** `advance_psigs` (each signer → LSP). */
export interface AdvancePsigs {
  readonly type: 'advance_psigs';
  readonly factoryId: Uint8Array;
  readonly advanceId: number;
  readonly psigs: readonly AdvanceTxPartialSig[];
  readonly reboundCommitments: readonly ReboundCommitmentSig[];
}

/** A final signature of one advance transaction. */
export interface AdvanceTxSignature extends AdvanceTxRef {
  readonly signature: Uint8Array;
}

/** `advance_done` (LSP → signers): the final signatures each signer must hold before it counts the advance. */
export interface AdvanceDone {
  readonly type: 'advance_done';
  readonly factoryId: Uint8Array;
  readonly advanceId: number;
  readonly signatures: readonly AdvanceTxSignature[];
}

/** `lstock_secret` (LSP → clients): the secret `s_c` of a superseded L-stock (check `sha256(s_c)`). */
export interface LstockSecret {
  readonly type: 'lstock_secret';
  readonly factoryId: Uint8Array;
  readonly counter: number;
  readonly secret: Uint8Array;
}

const ADVANCE_KIND_CODES: Readonly<Record<AdvanceKind, number>> = { leaf: 0, carry: 1, 'epoch-reset': 2 };
const TX_KIND_CODES: Readonly<Record<AdvanceTxKind, number>> = {
  kickoff: 0,
  state: 1,
  poison: 2,
  settlement: 3,
};

// (kind, index) as one sortable number: kind code · 2^32 + index.
const refKey = (e: AdvanceTxRef) => (TX_KIND_CODES[e.kind] ?? 0) * 2 ** 32 + e.index;
const idKey = (e: { channelId: Uint8Array }) => {
  let v = 0n;
  for (const b of e.channelId) v = (v << 8n) | BigInt(b);
  return v;
};

const ref = (extra: string, codec: Parameters<typeof struct>[0][number][1]) =>
  struct([
    ['kind', enumU8(TX_KIND_CODES)],
    ['index', uint(4)],
    [extra, codec],
  ]);
const refs = (extra: string, codec: Parameters<typeof struct>[0][number][1]) =>
  list(ref(extra, codec), { key: refKey as never, keyName: '(kind, index)' });

const factoryId = { tlv: 0, key: 'factoryId', codec: bytes32 };
const advanceId = { tlv: 2, key: 'advanceId', codec: uint(4) };

/** @internal */
export const advanceCodecs: MessageCodec[] = [
  defineMessage({
    name: 'advance_propose',
    type: 0x0200,
    fields: [
      factoryId,
      advanceId,
      { tlv: 4, key: 'leaf', codec: uint(4) },
      { tlv: 6, key: 'kind', codec: enumU8(ADVANCE_KIND_CODES) },
      {
        tlv: 8,
        key: 'allocations',
        codec: list(
          struct([
            ['client', uint(4, 1)],
            ['capacity', sats],
          ]),
          { min: 1, key: ((e: ChannelAllocation) => e.client) as never, keyName: 'client' },
        ),
      },
      { tlv: 10, key: 'lStock', codec: sats },
      {
        tlv: 12,
        key: 'created',
        codec: list(
          struct([
            ['leaf', uint(4)],
            ['counter', u48()],
            ['poisonHash', bytes32],
          ]),
          { min: 1, key: ((e: CreatedLeafState) => e.counter) as never, keyName: 'counter' },
        ),
      },
    ],
  }),
  defineMessage({
    name: 'advance_nonces',
    type: 0x0202,
    fields: [
      factoryId,
      advanceId,
      { tlv: 4, key: 'nonces', codec: refs('pubnonce', pubnonce) },
      {
        tlv: 6,
        key: 'rebindingNonces',
        codec: list(
          struct([
            ['channelId', bytes32],
            ['verificationNonce', pubnonce],
          ]),
          { key: idKey as never, keyName: 'channelId' },
        ),
      },
    ],
  }),
  defineMessage({
    name: 'advance_agg_nonces',
    type: 0x0204,
    fields: [factoryId, advanceId, { tlv: 4, key: 'aggNonces', codec: refs('aggnonce', aggnonce) }],
  }),
  defineMessage({
    name: 'advance_psigs',
    type: 0x0206,
    fields: [
      factoryId,
      advanceId,
      { tlv: 4, key: 'psigs', codec: refs('psig', scalar) },
      {
        tlv: 6,
        key: 'reboundCommitments',
        codec: list(
          struct([
            ['channelId', bytes32],
            ['partialSig', scalar],
            ['signingNonce', pubnonce],
          ]),
          { key: idKey as never, keyName: 'channelId' },
        ),
      },
    ],
  }),
  defineMessage({
    name: 'advance_done',
    type: 0x0208,
    fields: [factoryId, advanceId, { tlv: 4, key: 'signatures', codec: refs('signature', sig64) }],
  }),
  defineMessage({
    name: 'lstock_secret',
    type: 0x020a,
    fields: [factoryId, { tlv: 2, key: 'counter', codec: u48() }, { tlv: 4, key: 'secret', codec: bytes32 }],
  }),
];
