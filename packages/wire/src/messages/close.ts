/**
 * Cooperative close (brief §6): one version-2 transaction spending the funding output by key path,
 * signed by all N + 1 with one MuSig2 session. `close_propose` fixes the transaction (nLockTime = the
 * tip height, the fee rate, the outputs); each later message names the proposal by `attempt` (a
 * re-proposal to bump the fee increments it). A client asks the LSP to close with a `close_propose`
 * of `attempt` 0 and no outputs (a close request, roles memo §3 step 11); a proposal has outputs.
 *
 * @module
 */
import {
  aggnonce,
  bytes16,
  bytes32,
  feeRate,
  height,
  list,
  pubnonce,
  sats,
  scalar,
  sig64,
  struct,
  uint,
} from '../_fields.js';
import { defineMessage, type MessageCodec } from '../codec.js';

/** One output of the close transaction. */
export interface CloseTxOutput {
  /** scriptPubKey (1..10,000 bytes). */
  readonly script: Uint8Array;
  readonly amount: bigint;
}

/** `close_propose` (LSP → all clients). */
export interface ClosePropose {
  readonly type: 'close_propose';
  readonly factoryId: Uint8Array;
  readonly attempt: number;
  /** The tip height: the transaction's nLockTime. */
  readonly tipHeight: number;
  /** sat/kvB. */
  readonly closeFeeRate: number;
  /**
   * In transaction order (clients in placement order, then the LSP). Empty only in a client's close
   * request, whose `attempt` is 0.
   */
  readonly outputs: readonly CloseTxOutput[];
}

/** `close_nonce` (client → LSP). */
export interface CloseNonce {
  readonly type: 'close_nonce';
  readonly factoryId: Uint8Array;
  readonly attempt: number;
  readonly pubnonce: Uint8Array;
}

/** `close_agg_nonce` (LSP → clients). */
export interface CloseAggNonce {
  readonly type: 'close_agg_nonce';
  readonly factoryId: Uint8Array;
  readonly attempt: number;
  readonly aggnonce: Uint8Array;
}

/** `close_psig` (client → LSP). */
export interface ClosePsig {
  readonly type: 'close_psig';
  readonly factoryId: Uint8Array;
  readonly attempt: number;
  readonly psig: Uint8Array;
}

/** `close_done` (LSP → clients): the final signature (the LSP broadcasts). */
export interface CloseDone {
  readonly type: 'close_done';
  readonly factoryId: Uint8Array;
  readonly attempt: number;
  readonly signature: Uint8Array;
}

const factoryId = { tlv: 0, key: 'factoryId', codec: bytes32 };
const attempt = { tlv: 2, key: 'attempt', codec: uint(2) };
const MAX_SCRIPT = 10_000;

/** @internal */
export const closeCodecs: MessageCodec[] = [
  defineMessage({
    name: 'close_propose',
    type: 0x0400,
    fields: [
      factoryId,
      attempt,
      { tlv: 4, key: 'tipHeight', codec: height },
      { tlv: 6, key: 'closeFeeRate', codec: feeRate },
      {
        tlv: 8,
        key: 'outputs',
        codec: list(
          struct([
            ['amount', sats],
            ['script', bytes16(MAX_SCRIPT)],
          ]),
        ),
      },
    ],
    check: (m, fail) => {
      if ((m.outputs as CloseTxOutput[]).length === 0 && m.attempt !== 0)
        fail('outputs', 'only a close request (attempt 0) has no outputs');
      (m.outputs as CloseTxOutput[]).forEach((o, i) => {
        if (o.script.length === 0) fail(`outputs[${i}].script`, 'an output script has at least one byte');
      });
    },
  }),
  defineMessage({
    name: 'close_nonce',
    type: 0x0402,
    fields: [factoryId, attempt, { tlv: 4, key: 'pubnonce', codec: pubnonce }],
  }),
  defineMessage({
    name: 'close_agg_nonce',
    type: 0x0404,
    fields: [factoryId, attempt, { tlv: 4, key: 'aggnonce', codec: aggnonce }],
  }),
  defineMessage({
    name: 'close_psig',
    type: 0x0406,
    fields: [factoryId, attempt, { tlv: 4, key: 'psig', codec: scalar }],
  }),
  defineMessage({
    name: 'close_done',
    type: 0x0408,
    fields: [factoryId, attempt, { tlv: 4, key: 'signature', codec: sig64 }],
  }),
];
