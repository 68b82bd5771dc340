/**
 * Rotation and PTLC key turnover (brief §9). The LSP pre-signs, with adaptor point = the client's old
 * factory public key, the credit the client receives in the new factory; the message binds the dying
 * factory's funding outpoint and the new factory's id. The client completes the signature (revealing
 * its old factory secret key to the LSP, who extracts it) and returns it in `turnover_complete`. The
 * roles issue specifies the exchange; these messages carry what it needs.
 *
 * The pre-signature is 65 bytes — `@superscalar/adaptor`'s format `cbytes(R') || s'` — not 64: R' needs
 * its parity byte for `adapt` and `extractSecadaptor`.
 *
 * @module
 */
import { bytes32, height, point, presig65, sig64, txidHex, uint } from '../_fields.js';
import { defineMessage, type MessageCodec } from '../codec.js';

/** `rotation_begin` (LSP → client): move from the dying factory to the new one. */
export interface RotationBegin {
  readonly type: 'rotation_begin';
  /** The dying factory. */
  readonly factoryId: Uint8Array;
  readonly newFactoryId: Uint8Array;
  /** Height by which the turnover must be complete (the dying period's end). */
  readonly deadline: number;
}

/** `turnover_presig` (LSP → client). */
export interface TurnoverPresig {
  readonly type: 'turnover_presig';
  readonly factoryId: Uint8Array;
  /** The dying factory's funding outpoint (display-order txid), part of the signed message binding. */
  readonly dyingFundingTxid: string;
  readonly dyingFundingVout: number;
  readonly newFactoryId: Uint8Array;
  /** The adaptor pre-signature (65 bytes, `@superscalar/adaptor`). */
  readonly preSignature: Uint8Array;
  /** The adaptor point: the client's old factory public key (33 bytes). */
  readonly adaptorPoint: Uint8Array;
}

/** `turnover_complete` (client → LSP): the adapted, complete BIP340 signature. */
export interface TurnoverComplete {
  readonly type: 'turnover_complete';
  readonly factoryId: Uint8Array;
  readonly newFactoryId: Uint8Array;
  readonly signature: Uint8Array;
}

const factoryId = { tlv: 0, key: 'factoryId', codec: bytes32 };

/** @internal */
export const rotationCodecs: MessageCodec[] = [
  defineMessage({
    name: 'rotation_begin',
    type: 0x0500,
    fields: [
      factoryId,
      { tlv: 2, key: 'newFactoryId', codec: bytes32 },
      { tlv: 4, key: 'deadline', codec: height },
    ],
  }),
  defineMessage({
    name: 'turnover_presig',
    type: 0x0502,
    fields: [
      factoryId,
      { tlv: 2, key: 'dyingFundingTxid', codec: txidHex },
      { tlv: 4, key: 'dyingFundingVout', codec: uint(4) },
      { tlv: 6, key: 'newFactoryId', codec: bytes32 },
      { tlv: 8, key: 'preSignature', codec: presig65 },
      { tlv: 10, key: 'adaptorPoint', codec: point },
    ],
  }),
  defineMessage({
    name: 'turnover_complete',
    type: 0x0504,
    fields: [
      factoryId,
      { tlv: 2, key: 'newFactoryId', codec: bytes32 },
      { tlv: 4, key: 'signature', codec: sig64 },
    ],
  }),
];
