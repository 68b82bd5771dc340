/**
 * A message encoded once, for sending as is to many peers. The LSP sends the same `factory_propose`
 * (O(N) keys, nonces' owners, close scripts) to each of its N clients; encoding it once per client
 * checked every point on the curve N times, O(N²) for the ceremony. {@link preEncodeMessage} runs the
 * strict encoder once; `MessageLink.sendEncoded` sends the result over any number of links.
 *
 * The encoder's guarantee holds for what is sent: only {@link preEncodeMessage} makes an
 * {@link EncodedMessage}, from `encodeMessage`'s output (every field checked, every point on the
 * curve), and the bytes are private, so nothing changes them after the checks. `bytes()` hands out a
 * copy.
 *
 * @module
 */
import { wireError } from './errors.js';
import { encodeMessage, type Message, type MessageName } from './message.js';

// The bytes of each EncodedMessage, readable only inside this package (the link reads them), and the
// token without which none is made: only preEncodeMessage holds both.
const encodings = new WeakMap<EncodedMessage, Uint8Array>();
const TOKEN: unique symbol = Symbol('EncodedMessage');

/** A message and its encoding, made by {@link preEncodeMessage}. */
export class EncodedMessage {
  /** The message that was encoded. Changing it afterwards does not change what is sent. */
  readonly message: Message;
  /** Its `type`. */
  readonly type: MessageName;
  /** Its encoded size, bytes (the 2-byte type included). */
  readonly size: number;

  /** @internal Use {@link preEncodeMessage}. */
  constructor(token: typeof TOKEN, message: Message, bytes: Uint8Array) {
    if (token !== TOKEN)
      throw wireError('WIRE_INVALID_ARGUMENT', 'an EncodedMessage is made by preEncodeMessage', {
        field: 'token',
      });
    this.message = message;
    this.type = message.type;
    this.size = bytes.length;
    encodings.set(this, bytes);
  }

  /** A copy of the encoding. */
  bytes(): Uint8Array {
    return (encodings.get(this) as Uint8Array).slice();
  }
}

/** Options of {@link preEncodeMessage}. */
export interface PreEncodeOptions {
  /**
   * Largest encoding accepted, bytes (default 2^32 − 1: no bound here; the link that sends it applies
   * its own `maxTotalSize`).
   */
  readonly maxSize?: number;
}

/**
 * Encodes `message` once (its 2-byte type, then its TLV stream), validating every field as
 * `encodeMessage` does, for `MessageLink.sendEncoded` to any number of peers.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` naming the field for a value with no encoding;
 *   `WIRE_MESSAGE_TOO_LARGE` above `maxSize`.
 */
export function preEncodeMessage(message: Message, options: PreEncodeOptions = {}): EncodedMessage {
  const bytes = encodeMessage(message, { maxSize: options.maxSize ?? 0xffffffff });
  return new EncodedMessage(TOKEN, message, bytes);
}

/**
 * @internal The bytes of `encoded` (not a copy: never write to them).
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` when `encoded` was not made by {@link preEncodeMessage}.
 */
export function encodingOf(encoded: EncodedMessage): Uint8Array {
  const bytes = typeof encoded === 'object' && encoded !== null ? encodings.get(encoded) : undefined;
  if (bytes === undefined)
    throw wireError('WIRE_INVALID_ARGUMENT', 'expected an EncodedMessage made by preEncodeMessage', {
      field: 'encoded',
    });
  return bytes;
}
