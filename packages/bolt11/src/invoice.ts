/**
 * BOLT 11 invoices: encode, decode, sign and verify
 * (https://github.com/lightning/bolts/blob/master/11-payment-encoding.md).
 *
 * An invoice is bech32 (BIP 173 without its 90-character limit, as BOLT 11 requires): the
 * human-readable part `ln` + currency + amount, then a 35-bit timestamp, tagged fields, and a
 * 65-byte recoverable ECDSA signature by the payee's node key over
 * `SHA256(hrp as UTF-8 || data words, zero-padded to a byte)`.
 *
 * Not here: paying (routes, fees, the routable window), URI schemes (`lightning:`), BOLT 12 offers.
 *
 * @module
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bech32 } from '@scure/base';
import { asserters, concatBytes, equalBytes, type Network } from '@superscalar/core';
import { bytesToWords, uintToFixedWords, wordsToBytes, wordsToUint } from './_words.js';
import { type AmountMultiplier, encodeHrp, MAX_AMOUNT_MSAT, parseHrp } from './amount.js';
import { DecodeError, type DecodeReason, InvalidArgumentError } from './errors.js';
import {
  copyField,
  decodeField,
  encodeField,
  type Fallback,
  FIELD_LETTER,
  letterOf,
  MAX_FIELD_WORDS,
  type RouteHintHop,
  type TaggedField,
  type TaggedFieldType,
} from './fields.js';

/** What a payee writes: everything but the signature. */
export interface UnsignedInvoice {
  /** The chain: `lnbc` mainnet, `lntb` testnet4, `lntbs` signet, `lnbcrt` regtest. */
  readonly network: Network;
  /** The amount asked, msat (1 to 21 million BTC); absent for an any-amount invoice. */
  readonly amountMsat?: bigint;
  /**
   * How the human-readable part writes the amount; absent: the shortest. A decoded invoice keeps the
   * one it was written with, so it re-encodes (and verifies) identically.
   */
  readonly multiplier?: AmountMultiplier;
  /** Creation time, seconds since 1970 (35 bits). */
  readonly timestamp: number;
  /**
   * The tagged fields, in order: exactly one `paymentHash` and one `paymentSecret`, exactly one of
   * `description` and `descriptionHash`, at most one of each other type except `fallback`,
   * `routeHint` and `unknown` (most preferred first).
   */
  readonly fields: readonly TaggedField[];
}

/** An invoice with its signature. */
export interface SignedInvoice extends UnsignedInvoice {
  /** The compact ECDSA signature, `r || s` (64 bytes). */
  readonly signature: Uint8Array;
  /** The recovery id, 0 to 3. */
  readonly recoveryId: number;
}

/**
 * A decoded (or freshly signed) invoice, with what its fields say and BOLT 11's defaults applied.
 * The named properties are read from `fields`; {@link encodeInvoice} and {@link verifyInvoice} use
 * `fields` only.
 */
export interface Invoice extends SignedInvoice {
  /** The payee: the `n` field when present, else the key recovered from the signature. */
  readonly payeeNodeId: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly paymentSecret: Uint8Array;
  /** The `d` field, when the invoice has one (else it has `descriptionHash`). */
  readonly description?: string;
  /** The `h` field, when the invoice has one. */
  readonly descriptionHash?: Uint8Array;
  /** Seconds after `timestamp` the invoice stays payable: the `x` field, default 3600. */
  readonly expiry: number;
  /** The `c` field, default 18. */
  readonly minFinalCltvExpiryDelta: number;
  /** The `f` fields this package understands, most preferred first (unknown versions are skipped). */
  readonly fallbacks: readonly Fallback[];
  /** The `r` fields, each a route from a public node to the payee. */
  readonly routeHints: readonly (readonly RouteHintHop[])[];
  /** Feature bits set, ascending (none when there is no `9` field). */
  readonly features: readonly number[];
  /** The `m` field, when present. */
  readonly metadata?: Uint8Array;
}

/** BOLT 11's default `x`: one hour. */
export const DEFAULT_EXPIRY_SECONDS = 3600;
/** BOLT 11's default `c`. */
export const DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA = 18;
/** Largest timestamp: 35 bits. */
export const MAX_TIMESTAMP = 2 ** 35 - 1;

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const TIMESTAMP_WORDS = 7;
const SIGNATURE_WORDS = 104; // 520 bits: r || s || recovery id
const SINGLE: ReadonlySet<TaggedFieldType> = new Set([
  'paymentHash',
  'paymentSecret',
  'description',
  'descriptionHash',
  'payeeNodeId',
  'expiry',
  'minFinalCltvExpiryDelta',
  'features',
  'metadata',
] as const);

const assert = asserters((argument, message) => new InvalidArgumentError(argument, message));
const utf8 = new TextEncoder();

/** The invoice-level rules BOLT 11 puts on a field list; `undefined` when they hold. */
function ruleViolation(
  fields: readonly TaggedField[],
): { reason: DecodeReason; detail: string; field?: string } | undefined {
  const seen = new Set<TaggedFieldType>();
  for (const f of fields) {
    if (SINGLE.has(f.type) && seen.has(f.type)) {
      const letter = FIELD_LETTER[f.type as keyof typeof FIELD_LETTER];
      return { reason: 'duplicate-field', detail: `more than one ${letter} field`, field: letter };
    }
    seen.add(f.type);
  }
  // BOLT 11: "MUST include exactly one p field", "exactly one s field"; a reader "if a valid s field
  // is not provided: MUST fail the payment".
  if (!seen.has('paymentHash')) return { reason: 'missing-field', detail: 'no payment hash', field: 'p' };
  if (!seen.has('paymentSecret')) return { reason: 'missing-field', detail: 'no payment secret', field: 's' };
  // BOLT 11: "MUST fail the payment if neither a d field nor a h field is present, or if both are present."
  const d = seen.has('description');
  const h = seen.has('descriptionHash');
  if (!d && !h) return { reason: 'missing-field', detail: 'neither a description nor a description hash' };
  if (d && h) return { reason: 'conflicting-fields', detail: 'both a description and a description hash' };
  return undefined;
}

/** The human-readable part and the data words before the signature, checked; throws InvalidArgumentError. */
function unsignedWords(invoice: UnsignedInvoice, path: string): { hrp: string; words: number[] } {
  if (typeof invoice !== 'object' || invoice === null)
    throw new InvalidArgumentError(path, 'expected an invoice');
  if (invoice.amountMsat !== undefined)
    assert.bigint(invoice.amountMsat, 1n, MAX_AMOUNT_MSAT, `${path}.amountMsat`);
  const hrp = encodeHrp(invoice.network, invoice.amountMsat, invoice.multiplier);
  const timestamp = assert.int(invoice.timestamp, 0, MAX_TIMESTAMP, `${path}.timestamp`);
  if (!Array.isArray(invoice.fields)) throw new InvalidArgumentError(`${path}.fields`, 'expected an array');
  const words = uintToFixedWords(timestamp, TIMESTAMP_WORDS);
  invoice.fields.forEach((field: TaggedField, i: number) => {
    const { tag, words: data } = encodeField(field, `${path}.fields[${i}]`);
    if (data.length > MAX_FIELD_WORDS)
      throw new InvalidArgumentError(
        `${path}.fields[${i}]`,
        `${data.length} words; a field holds at most ${MAX_FIELD_WORDS}`,
      );
    words.push(tag, data.length >> 5, data.length & 31, ...data);
  });
  const broken = ruleViolation(invoice.fields);
  if (broken !== undefined) throw new InvalidArgumentError(`${path}.fields`, broken.detail);
  return { hrp, words };
}

function signingHash(hrp: string, words: number[]): Uint8Array {
  // BOLT 11: "the SHA-256 hash of: the human-readable part (as UTF-8 bytes) concatenated with the data
  // part (excluding the signature), with 0 bits appended to pad to a byte boundary."
  return sha256(concatBytes(utf8.encode(hrp), wordsToBytes(words, true) as Uint8Array));
}

/**
 * The key that signed `hash`: with an `n` field, `n` itself if the signature verifies against it and
 * is low-S; otherwise the key recovered from the signature (high-S accepted). `undefined` when none.
 */
function signer(
  hash: Uint8Array,
  signature: Uint8Array,
  recoveryId: number,
  n: Uint8Array | undefined,
): Uint8Array | undefined {
  if (n !== undefined) {
    // BOLT 11: "if a valid n field is provided: MUST use the n field to validate the signature instead
    // of performing public-key recovery. If the signature is not compliant with the low-S standard
    // rule: MUST fail the payment".
    return secp256k1.verify(signature, hash, n, { prehash: false, lowS: true, format: 'compact' })
      ? n
      : undefined;
  }
  // BOLT 11: "otherwise: MUST perform ECDSA public-key recovery and accept both high-S and low-S signatures."
  try {
    const sig = secp256k1.Signature.fromBytes(signature, 'compact').addRecoveryBit(recoveryId);
    return sig.recoverPublicKey(hash).toBytes(true);
  } catch {
    return undefined;
  }
}

function payeeField(fields: readonly TaggedField[]): Uint8Array | undefined {
  for (const f of fields) if (f.type === 'payeeNodeId') return f.value;
  return undefined;
}

/** The named properties of an invoice whose fields obey {@link ruleViolation}. */
function describe(signed: SignedInvoice, payeeNodeId: Uint8Array): Invoice {
  let paymentHash: Uint8Array | undefined;
  let paymentSecret: Uint8Array | undefined;
  let description: string | undefined;
  let descriptionHash: Uint8Array | undefined;
  let metadata: Uint8Array | undefined;
  let expiry = DEFAULT_EXPIRY_SECONDS;
  let minFinalCltvExpiryDelta = DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA;
  let features: readonly number[] = [];
  const fallbacks: Fallback[] = [];
  const routeHints: (readonly RouteHintHop[])[] = [];
  for (const f of signed.fields) {
    switch (f.type) {
      case 'paymentHash':
        paymentHash = f.value;
        break;
      case 'paymentSecret':
        paymentSecret = f.value;
        break;
      case 'description':
        description = f.value;
        break;
      case 'descriptionHash':
        descriptionHash = f.value;
        break;
      case 'metadata':
        metadata = f.value;
        break;
      case 'expiry':
        expiry = f.value;
        break;
      case 'minFinalCltvExpiryDelta':
        minFinalCltvExpiryDelta = f.value;
        break;
      case 'features':
        features = f.value;
        break;
      case 'fallback':
        fallbacks.push(f.value);
        break;
      case 'routeHint':
        routeHints.push(f.value);
        break;
      default:
        break;
    }
  }
  return {
    ...signed,
    payeeNodeId,
    paymentHash: paymentHash as Uint8Array,
    paymentSecret: paymentSecret as Uint8Array,
    ...(description === undefined ? {} : { description }),
    ...(descriptionHash === undefined ? {} : { descriptionHash }),
    expiry,
    minFinalCltvExpiryDelta,
    fallbacks,
    routeHints,
    features,
    ...(metadata === undefined ? {} : { metadata }),
  };
}

/** Structure and fields of an invoice string, before its signature and invoice-level rules. */
function parse(text: unknown): { signed: SignedInvoice; hash: Uint8Array } {
  if (typeof text !== 'string') throw new InvalidArgumentError('text', 'expected a string');
  // BOLT 11: "MUST parse the address as Bech32, as specified in BIP-0173 (also without the character
  // limit)". The checks before the checksum tell a malformed string from a wrong checksum.
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase())
    throw new DecodeError('bech32', 'mixed upper and lower case');
  const sep = lower.lastIndexOf('1');
  if (sep < 1) throw new DecodeError('bech32', 'no separator 1 after a human-readable part');
  for (let i = 0; i < sep; i++) {
    const c = lower.charCodeAt(i);
    if (c < 33 || c > 126)
      throw new DecodeError('bech32', `character ${i} of the human-readable part is not printable ASCII`);
  }
  const dataPart = lower.slice(sep + 1);
  if (dataPart.length < 6) throw new DecodeError('bech32', 'no room for the 6-character checksum');
  for (let i = 0; i < dataPart.length; i++)
    if (!CHARSET.includes(dataPart[i] as string))
      throw new DecodeError('bech32', `character "${dataPart[i]}" is not in the bech32 alphabet`);
  let words: number[];
  let hrp: string;
  try {
    ({ prefix: hrp, words } = bech32.decode(lower as `${string}1${string}`, false));
  } catch (e) {
    // BOLT 11: "if the checksum is incorrect: MUST fail the payment."
    throw new DecodeError('checksum', 'the bech32 checksum does not match', { cause: e });
  }
  const { network, amountMsat, multiplier } = parseHrp(hrp);
  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS)
    throw new DecodeError(
      'too-short',
      `${words.length} data words; a timestamp and a signature take ${TIMESTAMP_WORDS + SIGNATURE_WORDS}`,
    );
  const end = words.length - SIGNATURE_WORDS;
  const timestamp = Number(wordsToUint(words.slice(0, TIMESTAMP_WORDS)));
  const fields: TaggedField[] = [];
  let at = TIMESTAMP_WORDS;
  while (at < end) {
    const tag = words[at] as number;
    if (at + 3 > end)
      throw new DecodeError('field-truncated', 'a field header runs into the signature', {
        field: letterOf(tag),
      });
    const length = ((words[at + 1] as number) << 5) | (words[at + 2] as number);
    if (at + 3 + length > end)
      throw new DecodeError('field-truncated', `data_length ${length} runs into the signature`, {
        field: letterOf(tag),
      });
    fields.push(decodeField(tag, words.slice(at + 3, at + 3 + length)));
    at += 3 + length;
  }
  const sig = wordsToBytes(words.slice(end), false) as Uint8Array; // 520 bits: whole bytes
  const recoveryId = sig[64] as number;
  if (recoveryId > 3) throw new DecodeError('signature', `recovery id ${recoveryId} is not in {0, 1, 2, 3}`);
  const signed: SignedInvoice = {
    network,
    ...(amountMsat === undefined ? {} : { amountMsat, multiplier }),
    timestamp,
    fields,
    signature: sig.slice(0, 64),
    recoveryId,
  };
  return { signed, hash: signingHash(hrp, words.slice(0, end)) };
}

/**
 * Decodes and checks an invoice string (either case), as a BOLT 11 reader: bech32 and its checksum,
 * the human-readable part, every field, the signature (against `n` when present, low-S; otherwise by
 * public-key recovery), then the invoice-level rules. Throws {@link DecodeError} with the first
 * failing check's `reason` (see {@link DecodeReason}); a non-string is an {@link InvalidArgumentError}.
 *
 * Stricter than BOLT 11 where it is silent or says SHOULD: non-zero padding bits, non-minimal `x`,
 * `c`, `9`, an empty `9`, invalid UTF-8 in `d`, invalid keys in `n` or `r`, malformed fallbacks of a
 * known version and repeated single fields (`p`, `s`, `d`, `h`, `n`, `x`, `c`, `9`, `m`) are refused.
 * Does not check expiry: see {@link invoiceExpired}.
 */
export function decodeInvoice(text: string): Invoice {
  const { signed, hash } = parse(text);
  const payee = signer(hash, signed.signature, signed.recoveryId, payeeField(signed.fields));
  if (payee === undefined)
    throw new DecodeError(
      'signature',
      payeeField(signed.fields) === undefined
        ? 'no public key recovers from the signature'
        : 'the signature does not verify against the n field, or is not low-S',
    );
  const broken = ruleViolation(signed.fields);
  if (broken !== undefined)
    throw new DecodeError(
      broken.reason,
      broken.detail,
      broken.field === undefined ? {} : { field: broken.field },
    );
  return describe(signed, payee);
}

/**
 * The invoice string of a signed invoice, lower case (upper-case it for QR codes if you like). Checks
 * every field and rule (an {@link InvalidArgumentError} names the first fault) but not the signature:
 * see {@link verifyInvoice}. `encodeInvoice(decodeInvoice(s)) === s.toLowerCase()` for every valid `s`.
 */
export function encodeInvoice(invoice: SignedInvoice): string {
  const { hrp, words } = unsignedWords(invoice, 'invoice');
  const signature = assert.bytes(invoice.signature, 64, 'invoice.signature');
  const recoveryId = assert.int(invoice.recoveryId, 0, 3, 'invoice.recoveryId');
  words.push(...bytesToWords(concatBytes(signature, Uint8Array.of(recoveryId))));
  return bech32.encode(hrp, words, false);
}

/**
 * The 32 bytes a payee signs: `SHA256(hrp || data words before the signature, zero-padded)`. For
 * signing elsewhere (a hardware signer); then attach `{ signature, recoveryId }` and encode.
 */
export function invoiceSigningHash(invoice: UnsignedInvoice): Uint8Array {
  const { hrp, words } = unsignedWords(invoice, 'invoice');
  return signingHash(hrp, words);
}

/**
 * Signs an invoice with the payee's node secret key: ECDSA over secp256k1, RFC 6979 deterministic
 * nonces, low-S, with the recovery id. If the invoice has an `n` field it must be this key's public
 * key. Returns the decoded form ({@link encodeInvoice} gives the string), sharing no array with
 * `invoice`, with `features` ascending: equal to `decodeInvoice(encodeInvoice(result))`.
 */
export function signInvoice(invoice: UnsignedInvoice, nodeSecretKey: Uint8Array): Invoice {
  const { hrp, words } = unsignedWords(invoice, 'invoice');
  const sk = assert.bytes(nodeSecretKey, 32, 'nodeSecretKey');
  if (!secp256k1.utils.isValidSecretKey(sk))
    throw new InvalidArgumentError('nodeSecretKey', 'not in [1, n - 1]');
  const payee = secp256k1.getPublicKey(sk, true);
  const n = payeeField(invoice.fields);
  if (n !== undefined && !equalBytes(n, payee))
    throw new InvalidArgumentError(
      'invoice.fields',
      'the payeeNodeId field is not the public key of nodeSecretKey',
    );
  const hash = signingHash(hrp, words);
  // noble's 'recovered' format is recovery id || r || s.
  const sig = secp256k1.sign(hash, sk, { prehash: false, lowS: true, format: 'recovered' });
  sk.fill(0);
  const signed: SignedInvoice = {
    network: invoice.network,
    ...(invoice.amountMsat === undefined
      ? {}
      : { amountMsat: invoice.amountMsat, multiplier: parseHrp(hrp).multiplier as AmountMultiplier }),
    timestamp: invoice.timestamp,
    fields: invoice.fields.map(copyField),
    signature: sig.slice(1, 65),
    recoveryId: sig[0] as number,
  };
  return describe(signed, payee);
}

/**
 * True when a well-formed invoice carries a valid signature — against its `n` field (low-S) when
 * present, else by public-key recovery — and, when `payeeNodeId` is given, the signer is that node.
 * A string is decoded first: a malformed one throws {@link DecodeError}, and one whose only fault is
 * its signature gives `false`. An invoice object whose fields are malformed throws
 * {@link InvalidArgumentError}.
 */
export function verifyInvoice(invoice: SignedInvoice | string, payeeNodeId?: Uint8Array): boolean {
  const expected = payeeNodeId === undefined ? undefined : assert.bytes(payeeNodeId, 33, 'payeeNodeId');
  let signer_: Uint8Array | undefined;
  if (typeof invoice === 'string') {
    try {
      signer_ = decodeInvoice(invoice).payeeNodeId;
    } catch (e) {
      if (DecodeError.isInstance(e) && e.reason === 'signature') return false;
      throw e;
    }
  } else {
    const { hrp, words } = unsignedWords(invoice, 'invoice');
    const signature = assert.bytes(invoice.signature, 64, 'invoice.signature');
    const recoveryId = assert.int(invoice.recoveryId, 0, 3, 'invoice.recoveryId');
    signer_ = signer(signingHash(hrp, words), signature, recoveryId, payeeField(invoice.fields));
  }
  return signer_ !== undefined && (expected === undefined || equalBytes(signer_, expected));
}

/**
 * True once `timestamp + expiry` lies in the past: `nowSeconds > timestamp + expiry` (BOLT 11: after
 * it "has passed", a payer "SHOULD NOT attempt a payment" and a payee "SHOULD NOT accept" one).
 */
export function invoiceExpired(invoice: Pick<Invoice, 'timestamp' | 'expiry'>, nowSeconds: number): boolean {
  if (typeof invoice !== 'object' || invoice === null)
    throw new InvalidArgumentError('invoice', 'expected an invoice');
  const timestamp = assert.int(invoice.timestamp, 0, MAX_TIMESTAMP, 'invoice.timestamp');
  const expiry = assert.int(invoice.expiry, 0, Number.MAX_SAFE_INTEGER, 'invoice.expiry');
  const now = assert.int(nowSeconds, 0, Number.MAX_SAFE_INTEGER, 'nowSeconds');
  return now > timestamp + expiry;
}
