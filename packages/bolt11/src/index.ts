/**
 * `@superscalar/bolt11`: BOLT 11 Lightning invoices — encode, decode, sign and verify. Browser-safe,
 * deterministic, no I/O.
 */
export {
  type AmountMultiplier,
  amountMsat,
  encodeAmount,
  invoicePrefix,
  MAX_AMOUNT_MSAT,
} from './amount.js';
export {
  Bolt11Error,
  type Bolt11ErrorCode,
  DecodeError,
  type DecodeReason,
  InvalidArgumentError,
} from './errors.js';
export { INVOICE_FEATURES } from './features.js';
export {
  type Fallback,
  FIELD_LETTER,
  MAX_FIELD_BYTES,
  MAX_FIELD_WORDS,
  MAX_ROUTE_HINT_HOPS,
  type RouteHintHop,
  type TaggedField,
  type TaggedFieldType,
} from './fields.js';
export {
  DEFAULT_EXPIRY_SECONDS,
  DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA,
  decodeInvoice,
  encodeInvoice,
  type Invoice,
  invoiceExpired,
  invoiceSigningHash,
  MAX_TIMESTAMP,
  type SignedInvoice,
  signInvoice,
  type UnsignedInvoice,
  verifyInvoice,
} from './invoice.js';
