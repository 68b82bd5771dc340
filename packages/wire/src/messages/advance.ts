/**
 * State-advance messages (brief §5): a per-leaf advance, a carry into an ancestor, or an epoch reset,
 * signed in one session by the signers of the advancing node — the new states (and, for a carry, the
 * rebuilt kickoffs), the poison of every superseded leaf state, the stale-channel settlements, and each
 * channel's rebound commitments (§5.4). The LSP then reveals the superseded states' L-stock secrets
 * `s_c`.
 *
 * The order (§5.1, §5.4: nobody releases a partial signature for a new leaf state before holding its
 * valid rebound commitment): `advance_propose` (every re-signed leaf's new allocation, each channel's
 * liquidity fee, the created counters) → `advance_nonces` (each client: its nonces, and the fresh
 * verification nonce of its own rebound commitment) → `advance_agg_nonces` (the LSP: aggregate
 * nonces, the LSP's verification nonce of its own rebound commitment, and its partial signature of the
 * client's rebound commitment, so the client completes its commitment before it signs the tree) →
 * `advance_psigs` (each client: its partial signatures, and its partial signature of the LSP's rebound
 * commitment) → `advance_done` (the LSP, once it holds its own rebound commitments: the final
 * signatures) → `lstock_secret`.
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
  msat,
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

/** A channel's terms after the advance (brief §5.4 "Capacity change"). */
export interface ChannelAllocation {
  /** Participant index of the channel's client (1 = clients[0]). */
  readonly client: number;
  /** New channel capacity `c_i`, sats. */
  readonly capacity: bigint;
  /**
   * The liquidity fee the client pays for this advance, msat: it moves from the client's balance to
   * the LSP's on both rebound commitments (0 when nothing is sold).
   */
  readonly liquidityFeeMsat: bigint;
}

/** One re-signed leaf's allocation after the advance. */
export interface LeafAllocationEntry {
  /** The leaf (placement order). */
  readonly leaf: number;
  /** Its channels, by strictly increasing `client` (one or two). */
  readonly channels: readonly ChannelAllocation[];
  /** Its L-stock after the advance, sats. */
  readonly lStock: bigint;
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
  /**
   * The allocation of every leaf the advance re-signs, by strictly increasing `leaf`: exactly the
   * leaves of `created`, in the same order (a leaf whose allocation does not change repeats it).
   */
  readonly allocations: readonly LeafAllocationEntry[];
  /**
   * Every leaf-state instance created (one for a leaf advance; every leaf below the advanced node for
   * a carry), by increasing counter — consecutive counters, leaves in increasing order.
   */
  readonly created: readonly CreatedLeafState[];
  /**
   * The signing attempt (absent: 0, the first). The LSP retries an advance whose aggregation failed
   * with nobody to blame by sending the same proposal again under the next attempt: every signer
   * draws fresh nonces (rebinding included) and later messages name that attempt. An odd TLV: a peer
   * that predates it ignores it.
   */
  readonly attempt?: number;
}

/** A public nonce for one advance transaction. */
export interface AdvanceTxNonce extends AdvanceTxRef {
  readonly pubnonce: Uint8Array;
}

/** A fresh verification nonce for a holder's rebound commitment on a channel (§5.4). */
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
  /** The signing attempt of `advance_propose` it answers (absent: 0). */
  readonly attempt?: number;
}

/** An aggregate nonce for one advance transaction. */
export interface AdvanceTxAggNonce extends AdvanceTxRef {
  readonly aggnonce: Uint8Array;
}

/**
 * `advance_agg_nonces` (LSP → each signer): the aggregate nonces of the signer's transactions and,
 * per channel of the signer (§5.4), the LSP's fresh verification nonce for its own rebound commitment
 * and the LSP's half of the signer's rebound commitment — so the client completes and verifies its
 * rebound commitment before it releases any partial signature of the new tree transactions.
 */
export interface AdvanceAggNonces {
  readonly type: 'advance_agg_nonces';
  readonly factoryId: Uint8Array;
  readonly advanceId: number;
  readonly aggNonces: readonly AdvanceTxAggNonce[];
  /** The LSP's verification nonce for its own rebound commitment, per channel (by channel id). */
  readonly rebindingNonces: readonly RebindingNonce[];
  /** The LSP's partial signature (and signing nonce) of the client's rebound commitment, per channel. */
  readonly reboundCommitments: readonly ReboundCommitmentSig[];
  /** The signing attempt of `advance_propose` it answers (absent: 0). */
  readonly attempt?: number;
}

/** A partial signature for one advance transaction. */
export interface AdvanceTxPartialSig extends AdvanceTxRef {
  readonly psig: Uint8Array;
}

/** The signer's half of the other holder's rebound commitment (§5.4): its partial signature and signing nonce. */
export interface ReboundCommitmentSig {
  readonly channelId: Uint8Array;
  readonly partialSig: Uint8Array;
  readonly signingNonce: Uint8Array;
}

/** `advance_psigs` (each signer → LSP): its partial signatures and its half of the LSP's rebound commitments. */
export interface AdvancePsigs {
  readonly type: 'advance_psigs';
  readonly factoryId: Uint8Array;
  readonly advanceId: number;
  readonly psigs: readonly AdvanceTxPartialSig[];
  readonly reboundCommitments: readonly ReboundCommitmentSig[];
  /** The signing attempt of `advance_propose` it answers (absent: 0). */
  readonly attempt?: number;
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

/**
 * `advance_request` (client → LSP): a client asks for an advance of its leaf (brief §5: a client's
 * request is one of an advance's purposes), typically a liquidity purchase — the capacity it wants
 * for its channel and the most it pays for it. The LSP decides by its policy; if it grants it, an
 * `advance_propose` follows (its fee at most `maxLiquidityFeeMsat`), else a `warning`.
 */
export interface AdvanceRequestMessage {
  readonly type: 'advance_request';
  readonly factoryId: Uint8Array;
  /** The channel capacity the client asks for, sats (its current capacity: a plain re-sign). */
  readonly capacity: bigint;
  /** The most the client pays for it, msat (moved to the LSP on the rebound commitments). */
  readonly maxLiquidityFeeMsat: bigint;
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

const rebindingNonces = list(
  struct([
    ['channelId', bytes32],
    ['verificationNonce', pubnonce],
  ]),
  { key: idKey as never, keyName: 'channelId' },
);
const reboundCommitments = list(
  struct([
    ['channelId', bytes32],
    ['partialSig', scalar],
    ['signingNonce', pubnonce],
  ]),
  { key: idKey as never, keyName: 'channelId' },
);

const factoryId = { tlv: 0, key: 'factoryId', codec: bytes32 };
const advanceId = { tlv: 2, key: 'advanceId', codec: uint(4) };
// Odd and optional (added with the advance's signing retries): absent means attempt 0.
const attempt = { tlv: 13, key: 'attempt', codec: uint(2), optional: true };

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
            ['leaf', uint(4)],
            [
              'channels',
              list(
                struct([
                  ['client', uint(4, 1)],
                  ['capacity', sats],
                  ['liquidityFeeMsat', msat],
                ]),
                { min: 1, max: 2, key: ((e: ChannelAllocation) => e.client) as never, keyName: 'client' },
              ),
            ],
            ['lStock', sats],
          ]),
          { min: 1, key: ((e: LeafAllocationEntry) => e.leaf) as never, keyName: 'leaf' },
        ),
      },
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
      attempt,
    ],
    check: (m, fail) => {
      const created = m.created as readonly CreatedLeafState[];
      const allocations = m.allocations as readonly LeafAllocationEntry[];
      created.forEach((c, i) => {
        const first = created[0] as CreatedLeafState;
        if (c.counter !== first.counter + i) fail(`created[${i}].counter`, 'counters are not consecutive');
        if (i > 0 && c.leaf <= (created[i - 1] as CreatedLeafState).leaf)
          fail(`created[${i}].leaf`, 'leaves are not in increasing order');
      });
      if (allocations.length !== created.length || allocations.some((a, i) => a.leaf !== created[i]?.leaf))
        fail('allocations', 'expected one allocation per created leaf state, in the same order');
      if (!created.some((c) => c.leaf === m.leaf)) fail('leaf', 'the advancing leaf creates no leaf state');
      if (m.kind === 'leaf' && created.length !== 1)
        fail('created', 'a leaf advance creates exactly one leaf state');
      if (m.kind !== 'leaf' && created.length < 2)
        fail('created', 'a carry re-signs every leaf below an interior node (at least two)');
    },
  }),
  defineMessage({
    name: 'advance_nonces',
    type: 0x0202,
    fields: [
      factoryId,
      advanceId,
      { tlv: 4, key: 'nonces', codec: refs('pubnonce', pubnonce) },
      { tlv: 6, key: 'rebindingNonces', codec: rebindingNonces },
      attempt,
    ],
  }),
  defineMessage({
    name: 'advance_agg_nonces',
    type: 0x0204,
    fields: [
      factoryId,
      advanceId,
      { tlv: 4, key: 'aggNonces', codec: refs('aggnonce', aggnonce) },
      { tlv: 6, key: 'rebindingNonces', codec: rebindingNonces },
      { tlv: 8, key: 'reboundCommitments', codec: reboundCommitments },
      attempt,
    ],
  }),
  defineMessage({
    name: 'advance_psigs',
    type: 0x0206,
    fields: [
      factoryId,
      advanceId,
      { tlv: 4, key: 'psigs', codec: refs('psig', scalar) },
      { tlv: 6, key: 'reboundCommitments', codec: reboundCommitments },
      attempt,
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
  defineMessage({
    name: 'advance_request',
    type: 0x020c,
    fields: [
      factoryId,
      { tlv: 2, key: 'capacity', codec: sats },
      { tlv: 4, key: 'maxLiquidityFeeMsat', codec: msat },
    ],
  }),
];
