/**
 * Invoices (brief §7): the LSP asks a client for a payment hash to put in an invoice it issues for the
 * client; the client answers with the hash only — its preimage never leaves the client.
 *
 * @module
 */
import { bytes32, msat, u64, uint } from '../_fields.js';
import { defineMessage, type MessageCodec } from '../codec.js';

/** `invoice_request` (LSP → client). */
export interface InvoiceRequest {
  readonly type: 'invoice_request';
  /** Request id, echoed by the answer. */
  readonly requestId: bigint;
  /** Amount, msat; absent for an any-amount invoice. */
  readonly amountMsat?: bigint;
  /** SHA256 of the invoice description (BOLT 11 `h`). */
  readonly descriptionHash: Uint8Array;
  /** Invoice lifetime, seconds. */
  readonly expirySeconds: number;
}

/** `invoice` (client → LSP): the payment hash only. */
export interface Invoice {
  readonly type: 'invoice';
  readonly requestId: bigint;
  readonly paymentHash: Uint8Array;
}

const requestId = { tlv: 0, key: 'requestId', codec: u64() };

/** @internal */
export const invoiceCodecs: MessageCodec[] = [
  defineMessage({
    name: 'invoice_request',
    type: 0x0700,
    fields: [
      requestId,
      { tlv: 2, key: 'descriptionHash', codec: bytes32 },
      { tlv: 4, key: 'expirySeconds', codec: uint(4, 1) },
      { tlv: 6, key: 'amountMsat', codec: msat, optional: true },
    ],
  }),
  defineMessage({
    name: 'invoice',
    type: 0x0702,
    fields: [requestId, { tlv: 2, key: 'paymentHash', codec: bytes32 }],
  }),
];
