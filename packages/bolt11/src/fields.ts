/**
 * The tagged fields of a BOLT 11 invoice ("Tagged Fields"): each is a 5-bit type, a 10-bit
 * `data_length` in words and `data_length` 5-bit words of data.
 *
 * Decoding is strict: every value has exactly one encoding (zero padding bits, minimal integers), so
 * a decoded invoice re-encodes to the same words. Fields BOLT 11 tells readers to skip (an unknown
 * type, an `f` field of an unknown version) are kept as `unknown` fields, verbatim.
 *
 * @module
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { asserters } from '@superscalar/core';
import { bytesToWords, uintToWords, wordsToBytes, wordsToUint } from './_words.js';
import { DecodeError, InvalidArgumentError } from './errors.js';
import { featureBits, featureWords, isKnownEvenFeature } from './features.js';

/** One hop of a route hint (`r`): the channel from `pubkey` towards the payee, with its BOLT 7 policy. */
export interface RouteHintHop {
  /** Node id (33-byte compressed key) of the node at the start of the channel. */
  readonly pubkey: Uint8Array;
  /** The channel's `short_channel_id` (8 bytes, as on the wire; an SCID alias works the same way). */
  readonly shortChannelId: Uint8Array;
  /** `fee_base_msat` (u32). */
  readonly feeBaseMsat: number;
  /** `fee_proportional_millionths` (u32). */
  readonly feeProportionalMillionths: number;
  /** `cltv_expiry_delta` (u16). */
  readonly cltvExpiryDelta: number;
}

/**
 * An on-chain fallback (`f`): `version` 0–16 is a segwit version with its witness program (version 0:
 * 20 or 32 bytes; 1–16: 2 to 40 bytes, as BIP 141); 17 is a P2PKH and 18 a P2SH, each with a
 * 20-byte hash.
 */
export interface Fallback {
  readonly version: number;
  readonly program: Uint8Array;
}

/**
 * A tagged field. The `type` names BOLT 11's field (its letter in brackets); `unknown` keeps a field
 * BOLT 11 tells readers to skip — a type it does not define, or an `f` field whose version is 19–31 —
 * as its raw 5-bit words, so the invoice re-encodes identically.
 */
export type TaggedField =
  /** `p`: SHA256 of the payment preimage (32 bytes). */
  | { readonly type: 'paymentHash'; readonly value: Uint8Array }
  /** `s`: the payment secret (32 bytes), sent back in the final hop's onion payload. */
  | { readonly type: 'paymentSecret'; readonly value: Uint8Array }
  /** `d`: short description, UTF-8 (at most 639 bytes). */
  | { readonly type: 'description'; readonly value: string }
  /** `h`: SHA256 of a longer description (32 bytes). */
  | { readonly type: 'descriptionHash'; readonly value: Uint8Array }
  /** `n`: the payee's node id (33 bytes); without it, readers recover it from the signature. */
  | { readonly type: 'payeeNodeId'; readonly value: Uint8Array }
  /** `x`: seconds after `timestamp` until the invoice expires (default 3600). */
  | { readonly type: 'expiry'; readonly value: number }
  /** `c`: `min_final_cltv_expiry_delta` (default 18). */
  | { readonly type: 'minFinalCltvExpiryDelta'; readonly value: number }
  /** `f`: an on-chain fallback address; may repeat, most preferred first. */
  | { readonly type: 'fallback'; readonly value: Fallback }
  /** `r`: a private route to the payee, from a public node, 1 to 12 hops; may repeat. */
  | { readonly type: 'routeHint'; readonly value: readonly RouteHintHop[] }
  /** `9`: the feature bits set, as bit numbers (at least one; any order when encoding, ascending when decoded). */
  | { readonly type: 'features'; readonly value: readonly number[] }
  /** `m`: payment metadata, returned in the final hop's onion payload (at most 639 bytes). */
  | { readonly type: 'metadata'; readonly value: Uint8Array }
  /** A field to skip: `tag` is its 5-bit type, `words` its data as 5-bit words. */
  | { readonly type: 'unknown'; readonly tag: number; readonly words: readonly number[] };

/** The `type` of a {@link TaggedField}. */
export type TaggedFieldType = TaggedField['type'];

/** The bech32 letter of each field type, as BOLT 11 names them. */
export const FIELD_LETTER: Readonly<Record<Exclude<TaggedFieldType, 'unknown'>, string>> = Object.freeze({
  paymentHash: 'p',
  paymentSecret: 's',
  description: 'd',
  descriptionHash: 'h',
  payeeNodeId: 'n',
  expiry: 'x',
  minFinalCltvExpiryDelta: 'c',
  fallback: 'f',
  routeHint: 'r',
  features: '9',
  metadata: 'm',
});

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const TAG: Record<Exclude<TaggedFieldType, 'unknown'>, number> = {
  paymentHash: 1,
  paymentSecret: 16,
  description: 13,
  descriptionHash: 23,
  payeeNodeId: 19,
  expiry: 6,
  minFinalCltvExpiryDelta: 24,
  fallback: 9,
  routeHint: 3,
  features: 5,
  metadata: 27,
};
const TYPE_OF_TAG = new Map<number, Exclude<TaggedFieldType, 'unknown'>>(
  Object.entries(TAG).map(([k, v]) => [v, k as Exclude<TaggedFieldType, 'unknown'>]),
);

/** @internal The bech32 letter of a 5-bit tag. */
export const letterOf = (tag: number): string => CHARSET[tag] as string;

/** Most bytes a variable field holds: 1023 words × 5 bits, rounded down to bytes. */
export const MAX_FIELD_BYTES = 639;
/** Most 5-bit words a field holds (its `data_length` is 10 bits). */
export const MAX_FIELD_WORDS = 1023;
/** Most hops one `r` field holds (51 bytes each). */
export const MAX_ROUTE_HINT_HOPS = 12;
const HOP_BYTES = 51;

const assert = asserters((argument, message) => new InvalidArgumentError(argument, message));
const utf8 = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isPublicKey(key: Uint8Array): boolean {
  if (key.length !== 33 || (key[0] !== 2 && key[0] !== 3)) return false;
  try {
    secp256k1.Point.fromBytes(key);
    return true;
  } catch {
    return false;
  }
}

function fallbackProgramOk(version: number, length: number): boolean {
  if (version === 17 || version === 18) return length === 20;
  if (version === 0) return length === 20 || length === 32;
  return version >= 1 && version <= 16 && length >= 2 && length <= 40;
}

/** @internal Validates a field and returns its tag and words; `path` names it in errors. */
export function encodeField(field: TaggedField, path: string): { tag: number; words: number[] } {
  if (typeof field !== 'object' || field === null)
    throw new InvalidArgumentError(path, 'expected a tagged field');
  const v = `${path}.value`;
  switch (field.type) {
    case 'paymentHash':
    case 'paymentSecret':
    case 'descriptionHash':
      return { tag: TAG[field.type], words: bytesToWords(assert.bytes(field.value, 32, v)) };
    case 'payeeNodeId': {
      const key = assert.bytes(field.value, 33, v);
      if (!isPublicKey(key)) throw new InvalidArgumentError(v, 'not a valid compressed secp256k1 public key');
      return { tag: TAG.payeeNodeId, words: bytesToWords(key) };
    }
    case 'description': {
      if (typeof field.value !== 'string') throw new InvalidArgumentError(v, 'expected a string');
      if (LONE_SURROGATE.test(field.value))
        throw new InvalidArgumentError(v, 'has a lone surrogate, which UTF-8 cannot encode');
      const bytes = utf8.encode(field.value);
      if (bytes.length > MAX_FIELD_BYTES)
        throw new InvalidArgumentError(
          v,
          `${bytes.length} UTF-8 bytes; at most ${MAX_FIELD_BYTES} fit (use descriptionHash)`,
        );
      return { tag: TAG.description, words: bytesToWords(bytes) };
    }
    case 'metadata': {
      const bytes = assert.bytes(field.value, undefined, v);
      if (bytes.length > MAX_FIELD_BYTES)
        throw new InvalidArgumentError(v, `at most ${MAX_FIELD_BYTES} bytes fit`);
      return { tag: TAG.metadata, words: bytesToWords(bytes) };
    }
    case 'expiry':
    case 'minFinalCltvExpiryDelta':
      // BOLT 11: "MUST use the minimum data_length possible, i.e. no leading 0 field-elements."
      return {
        tag: TAG[field.type],
        words: uintToWords(assert.int(field.value, 0, Number.MAX_SAFE_INTEGER, v)),
      };
    case 'fallback': {
      const f = field.value;
      if (typeof f !== 'object' || f === null)
        throw new InvalidArgumentError(v, 'expected { version, program }');
      const version = assert.int(f.version, 0, 18, `${v}.version`);
      const program = assert.bytes(f.program, undefined, `${v}.program`);
      if (!fallbackProgramOk(version, program.length))
        throw new InvalidArgumentError(
          `${v}.program`,
          `${program.length} bytes is not a valid program for version ${version}`,
        );
      return { tag: TAG.fallback, words: [version, ...bytesToWords(program)] };
    }
    case 'routeHint': {
      const hops = field.value;
      if (!Array.isArray(hops) || hops.length < 1 || hops.length > MAX_ROUTE_HINT_HOPS)
        throw new InvalidArgumentError(v, `expected an array of 1 to ${MAX_ROUTE_HINT_HOPS} hops`);
      const bytes = new Uint8Array(hops.length * HOP_BYTES);
      const view = new DataView(bytes.buffer);
      hops.forEach((hop: RouteHintHop, i: number) => {
        const hp = `${v}[${i}]`;
        if (typeof hop !== 'object' || hop === null) throw new InvalidArgumentError(hp, 'expected a hop');
        const key = assert.bytes(hop.pubkey, 33, `${hp}.pubkey`);
        if (!isPublicKey(key))
          throw new InvalidArgumentError(`${hp}.pubkey`, 'not a valid compressed public key');
        const at = i * HOP_BYTES;
        bytes.set(key, at);
        bytes.set(assert.bytes(hop.shortChannelId, 8, `${hp}.shortChannelId`), at + 33);
        view.setUint32(at + 41, assert.u32(hop.feeBaseMsat, `${hp}.feeBaseMsat`));
        view.setUint32(at + 45, assert.u32(hop.feeProportionalMillionths, `${hp}.feeProportionalMillionths`));
        view.setUint16(at + 49, assert.int(hop.cltvExpiryDelta, 0, 0xffff, `${hp}.cltvExpiryDelta`));
      });
      return { tag: TAG.routeHint, words: bytesToWords(bytes) };
    }
    case 'features': {
      const bits = field.value;
      // BOLT 11: "if 9 contains non-zero bits: MUST use the minimum data_length … otherwise: MUST omit".
      if (!Array.isArray(bits) || bits.length === 0)
        throw new InvalidArgumentError(
          v,
          'expected a non-empty array of bit numbers (omit the field when none is set)',
        );
      const seen = new Set<number>();
      bits.forEach((b: unknown, i: number) => {
        const bit = assert.int(b, 0, MAX_FIELD_WORDS * 5 - 1, `${v}[${i}]`);
        if (seen.has(bit)) throw new InvalidArgumentError(`${v}[${i}]`, `bit ${bit} listed twice`);
        if (bit % 2 === 0 && !isKnownEvenFeature(bit))
          throw new InvalidArgumentError(
            `${v}[${i}]`,
            `even bit ${bit} is not a known invoice feature; readers would refuse it`,
          );
        seen.add(bit);
      });
      return { tag: TAG.features, words: featureWords(bits) };
    }
    case 'unknown': {
      const tag = assert.int(field.tag, 0, 31, `${path}.tag`);
      const words = field.words;
      if (!Array.isArray(words) || words.length > MAX_FIELD_WORDS)
        throw new InvalidArgumentError(
          `${path}.words`,
          `expected an array of at most ${MAX_FIELD_WORDS} words`,
        );
      words.forEach((w: unknown, i: number) => {
        assert.int(w, 0, 31, `${path}.words[${i}]`);
      });
      const known = TYPE_OF_TAG.get(tag);
      if (known !== undefined && !(known === 'fallback' && (words[0] ?? 0) >= 19))
        throw new InvalidArgumentError(
          `${path}.tag`,
          `tag ${tag} (${letterOf(tag)}) is a known field; only an f field of version 19–31 may be unknown`,
        );
      return { tag, words: [...words] };
    }
    default:
      throw new InvalidArgumentError(
        `${path}.type`,
        `unknown field type ${String((field as { type: unknown }).type)}`,
      );
  }
}

/**
 * @internal A copy of a field {@link encodeField} accepted, as {@link decodeField} would return it
 * (fresh bytes, features ascending), so a signed invoice shares no array with its caller.
 */
export function copyField(field: TaggedField): TaggedField {
  switch (field.type) {
    case 'paymentHash':
    case 'paymentSecret':
    case 'descriptionHash':
    case 'payeeNodeId':
    case 'metadata':
      return { type: field.type, value: Uint8Array.from(field.value) };
    case 'description':
    case 'expiry':
    case 'minFinalCltvExpiryDelta':
      return { type: field.type, value: field.value } as TaggedField;
    case 'fallback':
      return {
        type: 'fallback',
        value: { version: field.value.version, program: Uint8Array.from(field.value.program) },
      };
    case 'routeHint':
      return {
        type: 'routeHint',
        value: field.value.map((h) => ({
          pubkey: Uint8Array.from(h.pubkey),
          shortChannelId: Uint8Array.from(h.shortChannelId),
          feeBaseMsat: h.feeBaseMsat,
          feeProportionalMillionths: h.feeProportionalMillionths,
          cltvExpiryDelta: h.cltvExpiryDelta,
        })),
      };
    case 'features':
      return { type: 'features', value: [...field.value].sort((a, b) => a - b) };
    case 'unknown':
      return { type: 'unknown', tag: field.tag, words: [...field.words] };
  }
}

// BOLT 11: "MUST fail the payment if any field with fixed data_length (p, h, s, n) does not have the
// correct length (52, 52, 52, 53)."
const FIXED_WORDS: Partial<Record<TaggedFieldType, number>> = {
  paymentHash: 52,
  paymentSecret: 52,
  descriptionHash: 52,
  payeeNodeId: 53,
};

/** @internal Decodes one field's words; throws {@link DecodeError}. */
export function decodeField(tag: number, words: number[]): TaggedField {
  const type = TYPE_OF_TAG.get(tag);
  if (type === undefined) return { type: 'unknown', tag, words };
  const field = letterOf(tag);
  const fail = (reason: 'field-value' | 'non-minimal', detail: string): never => {
    throw new DecodeError(reason, detail, { field });
  };
  const fixed = FIXED_WORDS[type];
  if (fixed !== undefined && words.length !== fixed)
    throw new DecodeError('field-length', `data_length ${words.length}, expected ${fixed}`, { field });
  const bytes = (ws: number[]): Uint8Array =>
    wordsToBytes(ws, false) ?? fail('field-value', 'non-zero padding bits, or a spare padding word');
  const uint = (): number => {
    if (words[0] === 0) fail('non-minimal', 'starts with a zero word');
    const n = wordsToUint(words);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail('field-value', 'value above 2^53 - 1');
    return Number(n);
  };
  switch (type) {
    case 'paymentHash':
    case 'paymentSecret':
    case 'descriptionHash':
      return { type, value: bytes(words) };
    case 'payeeNodeId': {
      const key = bytes(words);
      if (!isPublicKey(key)) fail('field-value', 'not a valid compressed public key');
      return { type, value: key };
    }
    case 'description': {
      let text: string;
      try {
        text = utf8Strict.decode(bytes(words));
      } catch (e) {
        if (DecodeError.isInstance(e)) throw e;
        return fail('field-value', 'not valid UTF-8');
      }
      return { type, value: text };
    }
    case 'metadata':
      return { type, value: bytes(words) };
    case 'expiry':
    case 'minFinalCltvExpiryDelta':
      return { type, value: uint() };
    case 'fallback': {
      if (words.length === 0) fail('field-value', 'empty (no version)');
      const version = words[0] as number;
      // BOLT 11: "MUST skip over f fields that use an unknown version."
      if (version >= 19) return { type: 'unknown', tag, words };
      const program = bytes(words.slice(1));
      if (!fallbackProgramOk(version, program.length))
        fail('field-value', `${program.length}-byte program is not valid for version ${version}`);
      return { type, value: { version, program } };
    }
    case 'routeHint': {
      const all = bytes(words);
      if (all.length === 0 || all.length % HOP_BYTES !== 0)
        fail('field-value', `${all.length} bytes is not a whole number of ${HOP_BYTES}-byte hops`);
      const view = new DataView(all.buffer);
      const hops: RouteHintHop[] = [];
      for (let at = 0; at < all.length; at += HOP_BYTES) {
        const pubkey = all.slice(at, at + 33);
        if (!isPublicKey(pubkey))
          fail('field-value', `hop ${hops.length}: not a valid compressed public key`);
        hops.push({
          pubkey,
          shortChannelId: all.slice(at + 33, at + 41),
          feeBaseMsat: view.getUint32(at + 41),
          feeProportionalMillionths: view.getUint32(at + 45),
          cltvExpiryDelta: view.getUint16(at + 49),
        });
      }
      return { type, value: hops };
    }
    case 'features': {
      // BOLT 11: readers "SHOULD treat the invoice as invalid" when 9 "begins with 0 field elements";
      // writers "MUST omit the 9 field altogether" when no bit is set.
      if (words.length === 0) fail('non-minimal', 'empty (a writer omits the field when no bit is set)');
      if (words[0] === 0) fail('non-minimal', 'starts with a zero word');
      const bits = featureBits(words);
      for (const b of bits)
        if (b % 2 === 0 && !isKnownEvenFeature(b))
          throw new DecodeError('unknown-feature', `compulsory feature bit ${b} is unknown`, { field });
      return { type, value: bits };
    }
  }
}
