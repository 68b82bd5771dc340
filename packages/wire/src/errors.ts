/**
 * Errors of `@superscalar/wire`: {@link WireError} and its subclasses, with a stable `code`. Every
 * decoder and encoder of this package throws nothing else (the fuzz suite holds it to that).
 *
 * @module
 */

import { SuperscalarError, tagError } from '@superscalar/core';

/**
 * Stable error codes.
 *
 * Decoding: `WIRE_TRUNCATED` (the input ends inside a field), `WIRE_NON_CANONICAL_BIGSIZE`, `WIRE_TLV_ORDER` (types
 * not strictly increasing), `WIRE_TLV_LENGTH_OVERRUN` (a record's length runs past the end),
 * `WIRE_UNKNOWN_EVEN_TLV`, `WIRE_UNKNOWN_MESSAGE_TYPE` (see {@link WireError.ignorable}), `WIRE_MISSING_FIELD`,
 * `WIRE_BAD_LENGTH` (a fixed-width value of the wrong size), `WIRE_TRAILING_BYTES` (bytes left inside a record
 * after its fields), `WIRE_OUT_OF_RANGE`, `WIRE_INVALID_POINT`, `WIRE_INVALID_VALUE` (an enum code, a boolean, UTF-8,
 * ordering inside a list), `WIRE_MESSAGE_TOO_LARGE`.
 *
 * Encoding: `WIRE_INVALID_ARGUMENT` (a value that has no encoding: wrong type, out of range, unknown key).
 *
 * Fragments (brief §10, split messages): `WIRE_FRAGMENT_OUT_OF_ORDER`, `WIRE_FRAGMENT_DUPLICATE`,
 * `WIRE_FRAGMENT_TOO_MANY_PARTS`, `WIRE_FRAGMENT_TOO_LARGE`, `WIRE_FRAGMENT_MISMATCH` (a part disagrees with the first
 * part of its message), `WIRE_FRAGMENT_LENGTH_MISMATCH` (the parts do not add up to the declared length),
 * `WIRE_FRAGMENT_INTERLEAVED` (a part of another message before the current one is complete).
 *
 * Links (`MessageLink`, each closes that connection only): the `init` exchange — `WIRE_INIT_TIMEOUT`,
 * `WIRE_INIT_EXPECTED` (another message came first), `WIRE_NO_COMMON_VERSION`, `WIRE_NETWORK_MISMATCH`,
 * `WIRE_UNKNOWN_REQUIRED_FEATURE`, `WIRE_IDENTITY_MISSING`, `WIRE_IDENTITY_INVALID` ({@link InitError});
 * then `WIRE_UNEXPECTED_MESSAGE` (a second `init`), `WIRE_PEER_ERROR` (the peer sent a connection-level
 * `error`: {@link PeerError}), `WIRE_PEER_SILENT` (nothing received for the silence timeout),
 * `WIRE_SEND_BUFFER_FULL` (the peer does not read what we send), `WIRE_HANDLER_FAILED` (the message
 * handler threw).
 */
export type WireErrorCode =
  | 'WIRE_TRUNCATED'
  | 'WIRE_NON_CANONICAL_BIGSIZE'
  | 'WIRE_TLV_ORDER'
  | 'WIRE_TLV_LENGTH_OVERRUN'
  | 'WIRE_UNKNOWN_EVEN_TLV'
  | 'WIRE_UNKNOWN_MESSAGE_TYPE'
  | 'WIRE_MISSING_FIELD'
  | 'WIRE_BAD_LENGTH'
  | 'WIRE_TRAILING_BYTES'
  | 'WIRE_OUT_OF_RANGE'
  | 'WIRE_INVALID_POINT'
  | 'WIRE_INVALID_VALUE'
  | 'WIRE_MESSAGE_TOO_LARGE'
  | 'WIRE_INVALID_ARGUMENT'
  | 'WIRE_FRAGMENT_OUT_OF_ORDER'
  | 'WIRE_FRAGMENT_DUPLICATE'
  | 'WIRE_FRAGMENT_TOO_MANY_PARTS'
  | 'WIRE_FRAGMENT_TOO_LARGE'
  | 'WIRE_FRAGMENT_MISMATCH'
  | 'WIRE_FRAGMENT_LENGTH_MISMATCH'
  | 'WIRE_FRAGMENT_INTERLEAVED'
  | 'WIRE_INIT_TIMEOUT'
  | 'WIRE_INIT_EXPECTED'
  | 'WIRE_NO_COMMON_VERSION'
  | 'WIRE_NETWORK_MISMATCH'
  | 'WIRE_UNKNOWN_REQUIRED_FEATURE'
  | 'WIRE_IDENTITY_MISSING'
  | 'WIRE_IDENTITY_INVALID'
  | 'WIRE_UNEXPECTED_MESSAGE'
  | 'WIRE_PEER_ERROR'
  | 'WIRE_PEER_SILENT'
  | 'WIRE_SEND_BUFFER_FULL'
  | 'WIRE_HANDLER_FAILED';

/** Where a {@link WireError} happened, as far as it is known. */
export interface WireErrorContext {
  /** The field path, e.g. `factory_propose.proposal.clients[3].key`. */
  readonly field?: string;
  /** The 2-byte message type being decoded or encoded. */
  readonly messageType?: number;
  /** The TLV record type at fault. */
  readonly tlvType?: bigint;
  /** Byte offset in the input where decoding failed. */
  readonly offset?: number;
  readonly cause?: unknown;
}

/**
 * Base of every error of this package. A peer's bytes that fail to decode mean: close that connection
 * (BOLT 1), except `WIRE_UNKNOWN_MESSAGE_TYPE` with {@link ignorable} true, which the receiver ignores.
 * Subclasses: {@link DecodeError} (a peer's bytes), {@link FragmentError} (a peer's fragments),
 * {@link MessageTooLargeError} (above a size bound, either way) and {@link InvalidArgumentError} (a
 * value the caller asked to encode has no encoding). Build one with {@link wireError}.
 */
export class WireError extends SuperscalarError<WireErrorCode> {
  /** The field path, when known. */
  readonly field: string | undefined;
  /** The message type, when known. */
  readonly messageType: number | undefined;
  /** The TLV record type, when the fault is in one record. */
  readonly tlvType: bigint | undefined;
  /** Offset in the decoded input, when decoding. */
  readonly offset: number | undefined;

  constructor(code: WireErrorCode, message: string, context: WireErrorContext = {}) {
    super(
      code,
      context.field === undefined ? message : `${context.field}: ${message}`,
      context.cause === undefined ? undefined : { cause: context.cause },
    );
    this.field = context.field;
    this.messageType = context.messageType;
    this.tlvType = context.tlvType;
    this.offset = context.offset;
  }

  /**
   * True only for `WIRE_UNKNOWN_MESSAGE_TYPE` with an odd type: BOLT 1's "it's ok to be odd" — the
   * receiver ignores such a message instead of closing the connection.
   */
  get ignorable(): boolean {
    return (
      this.code === 'WIRE_UNKNOWN_MESSAGE_TYPE' &&
      this.messageType !== undefined &&
      this.messageType % 2 === 1
    );
  }
}
tagError(WireError, '@superscalar/wire:WireError');

/** A peer's bytes are not a valid encoding (any decoding code but fragments and size). */
export class DecodeError extends WireError {}
tagError(DecodeError, '@superscalar/wire:DecodeError');

/** A peer's `fragment` messages break the reassembly rules (`WIRE_FRAGMENT_*`). */
export class FragmentError extends DecodeError {}
tagError(FragmentError, '@superscalar/wire:FragmentError');

/** A message is larger than the bound for its type or for any message (`WIRE_MESSAGE_TOO_LARGE`). */
export class MessageTooLargeError extends WireError {}
tagError(MessageTooLargeError, '@superscalar/wire:MessageTooLargeError');

/** A value to encode, or an option, has no valid form (`WIRE_INVALID_ARGUMENT`); `field` names it. */
export class InvalidArgumentError extends WireError {}
tagError(InvalidArgumentError, '@superscalar/wire:InvalidArgumentError');

/**
 * A message link (`MessageLink`) closed its connection because of this fault; nothing else is
 * affected. Subclasses: {@link InitError}, {@link PeerError}.
 */
export class LinkError extends WireError {}
tagError(LinkError, '@superscalar/wire:LinkError');

/** The `init` exchange failed (timeout, wrong first message, version, network, feature, identity). */
export class InitError extends LinkError {}
tagError(InitError, '@superscalar/wire:InitError');

/** The peer failed the connection with an `error` message; `text` is what it said (print it escaped). */
export class PeerError extends LinkError {
  readonly text: string;
  constructor(text: string) {
    super('WIRE_PEER_ERROR', `the peer closed the connection with an error: ${JSON.stringify(text)}`);
    this.text = text;
  }
}
tagError(PeerError, '@superscalar/wire:PeerError');

const INIT_CODES: ReadonlySet<WireErrorCode> = new Set([
  'WIRE_NO_COMMON_VERSION',
  'WIRE_NETWORK_MISMATCH',
  'WIRE_UNKNOWN_REQUIRED_FEATURE',
  'WIRE_IDENTITY_MISSING',
  'WIRE_IDENTITY_INVALID',
]);
const LINK_CODES: ReadonlySet<WireErrorCode> = new Set([
  'WIRE_UNEXPECTED_MESSAGE',
  'WIRE_PEER_SILENT',
  'WIRE_SEND_BUFFER_FULL',
  'WIRE_HANDLER_FAILED',
]);

/** The error of the right class for `code`. */
export function wireError(code: WireErrorCode, message: string, context: WireErrorContext = {}): WireError {
  if (code === 'WIRE_INVALID_ARGUMENT') return new InvalidArgumentError(code, message, context);
  if (code === 'WIRE_MESSAGE_TOO_LARGE') return new MessageTooLargeError(code, message, context);
  if (code.startsWith('WIRE_FRAGMENT_')) return new FragmentError(code, message, context);
  if (code.startsWith('WIRE_INIT_') || INIT_CODES.has(code)) return new InitError(code, message, context);
  if (code === 'WIRE_PEER_ERROR') return new PeerError(message);
  if (LINK_CODES.has(code)) return new LinkError(code, message, context);
  return new DecodeError(code, message, context);
}
