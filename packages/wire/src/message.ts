/**
 * Every message of brief §10 as one discriminated union, {@link Message}, with one strict, total codec:
 * {@link encodeMessage} and {@link decodeMessage}. The type numbers are in {@link MESSAGE_TYPES} (and
 * the README's table).
 *
 * @module
 */
import { type Extensible, MAX_MESSAGE_SIZE, type MessageCodec } from './codec.js';
import { WireError, wireError } from './errors.js';
import {
  type AdvanceAggNonces,
  type AdvanceDone,
  type AdvanceNonces,
  type AdvancePropose,
  type AdvancePsigs,
  type AdvanceRequestMessage,
  advanceCodecs,
  type LstockSecret,
} from './messages/advance.js';
import { type ChannelMessage, channelCodecs } from './messages/channel.js';
import {
  type CloseAggNonce,
  type CloseDone,
  type CloseNonce,
  type ClosePropose,
  type ClosePsig,
  closeCodecs,
} from './messages/close.js';
import {
  type FactoryAbort,
  type FactoryAggNonces,
  type FactoryFunded,
  type FactoryNonces,
  type FactoryPropose,
  type FactoryPsigs,
  type FactoryReestablish,
  type FactoryRegister,
  type FactoryRegisterResponse,
  type FactorySigned,
  factoryCodecs,
} from './messages/factory.js';
import { type Invoice, type InvoiceRequest, invoiceCodecs } from './messages/invoice.js';
import { type JitAccept, type JitMigrate, type JitOffer, type JitReady, jitCodecs } from './messages/jit.js';
import {
  type RotationBegin,
  rotationCodecs,
  type TurnoverComplete,
  type TurnoverPresig,
} from './messages/rotation.js';
import {
  type ErrorMessage,
  type Fragment,
  type Init,
  type Ping,
  type Pong,
  setupCodecs,
  type Warning,
} from './messages/setup.js';

/** Setup and control messages. */
export type SetupMessage = Init | ErrorMessage | Warning | Ping | Pong | Fragment;
/** Factory ceremony messages. */
export type FactoryMessage =
  | FactoryPropose
  | FactoryNonces
  | FactoryAggNonces
  | FactoryPsigs
  | FactorySigned
  | FactoryAbort
  | FactoryFunded
  | FactoryRegister
  | FactoryRegisterResponse
  | FactoryReestablish;
/** State-advance messages. */
export type AdvanceMessage =
  | AdvancePropose
  | AdvanceNonces
  | AdvanceAggNonces
  | AdvancePsigs
  | AdvanceDone
  | LstockSecret
  | AdvanceRequestMessage;
/** Cooperative-close messages. */
export type CloseMessage = ClosePropose | CloseNonce | CloseAggNonce | ClosePsig | CloseDone;
/** Rotation and key-turnover messages. */
export type RotationMessage = RotationBegin | TurnoverPresig | TurnoverComplete;
/** JIT-channel messages. */
export type JitMessage = JitOffer | JitAccept | JitReady | JitMigrate;
/** Invoice messages. */
export type InvoiceMessage = InvoiceRequest | Invoice;

/** Every message, discriminated by `type`; a decoded one may carry unknown odd records. */
export type Message = (
  | SetupMessage
  | FactoryMessage
  | AdvanceMessage
  | ChannelMessage
  | CloseMessage
  | RotationMessage
  | JitMessage
  | InvoiceMessage
) &
  Extensible;

/** The `type` strings. */
export type MessageName = Message['type'];

const ALL: readonly MessageCodec[] = [
  ...setupCodecs,
  ...factoryCodecs,
  ...advanceCodecs,
  ...channelCodecs,
  ...closeCodecs,
  ...rotationCodecs,
  ...jitCodecs,
  ...invoiceCodecs,
];

const byName = new Map<string, MessageCodec>();
const byType = new Map<number, MessageCodec>();
for (const c of ALL) {
  if (byName.has(c.spec.name) || byType.has(c.spec.type)) throw new Error(`duplicate message ${c.spec.name}`);
  byName.set(c.spec.name, c);
  byType.set(c.spec.type, c);
}

/** Message name → 2-byte type, for every message this package knows. */
export const MESSAGE_TYPES: Readonly<Record<MessageName, number>> = Object.freeze(
  Object.fromEntries(ALL.map((c) => [c.spec.name, c.spec.type])) as Record<MessageName, number>,
);

/** Every message name, in type order. */
export const MESSAGE_NAMES: readonly MessageName[] = Object.freeze(
  [...ALL].sort((a, b) => a.spec.type - b.spec.type).map((c) => c.spec.name as MessageName),
);

/** The name of a 2-byte message type, or undefined for a type this package does not know. */
export function messageNameOf(type: number): MessageName | undefined {
  return byType.get(type)?.spec.name as MessageName | undefined;
}

/** @internal The compiled codec of a message name (tests, docs). */
export function codecOf(name: string): MessageCodec | undefined {
  return byName.get(name);
}

/** Options of {@link encodeMessage} and {@link decodeMessage}. */
export interface SizeOptions {
  /**
   * Largest encoding accepted, bytes (default 65,535, one BOLT 8 frame). Larger messages travel as
   * fragments: see `encodeFrames` and `Reassembler`.
   */
  readonly maxSize?: number;
  /**
   * Largest encoding accepted per message type, bytes, checked from the 2-byte type before any field
   * is decoded (a role allows each peer only what its part of the protocol needs: a client's
   * `factory_nonces` carries O(depth) entries). Types absent here are bounded by `maxSize` alone.
   */
  readonly maxSizeByType?: SizeLimits;
}

/** Per-type size bounds, bytes, by message name. */
export type SizeLimits = Readonly<Partial<Record<MessageName, number>>>;

/** The bound for a message type: the smaller of its per-type limit and `max`. */
export function limitFor(limits: SizeLimits | undefined, name: string, max: number): number {
  const l = limits?.[name as MessageName];
  if (l === undefined) return max;
  if (!Number.isSafeInteger(l) || l < 2)
    throw wireError(
      'WIRE_INVALID_ARGUMENT',
      `maxSizeByType.${name} must be an integer ≥ 2, got ${String(l)}`,
      {
        field: `maxSizeByType.${name}`,
      },
    );
  return Math.min(l, max);
}

function maxSizeOf(o: SizeOptions | undefined): number {
  const m = o?.maxSize ?? MAX_MESSAGE_SIZE;
  if (!Number.isSafeInteger(m) || m < 2)
    throw wireError('WIRE_INVALID_ARGUMENT', `maxSize must be an integer ≥ 2, got ${String(m)}`);
  return m;
}

function tag(e: unknown, messageType: number): never {
  if (WireError.isInstance(e) && e.messageType === undefined)
    (e as { messageType: number | undefined }).messageType = messageType;
  throw e;
}

/**
 * Encodes a message: its 2-byte type, then its TLV stream. Validates every field.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` naming the field for a value with no encoding (wrong type,
 *   out of range, invalid point, unknown key); `WIRE_MESSAGE_TOO_LARGE` above `maxSize`.
 */
export function encodeMessage(msg: Message, options?: SizeOptions): Uint8Array {
  const max = maxSizeOf(options);
  if (typeof msg !== 'object' || msg === null)
    throw wireError('WIRE_INVALID_ARGUMENT', 'expected a message object');
  const codec = typeof msg.type === 'string' ? byName.get(msg.type) : undefined;
  if (codec === undefined)
    throw wireError('WIRE_INVALID_ARGUMENT', `unknown message type ${JSON.stringify(String(msg.type))}`, {
      field: 'type',
    });
  let out: Uint8Array;
  try {
    out = codec.encode(msg);
  } catch (e) {
    tag(e, codec.spec.type);
  }
  if (out.length > max)
    throw wireError('WIRE_MESSAGE_TOO_LARGE', `${msg.type} encodes to ${out.length} bytes, above ${max}`, {
      messageType: codec.spec.type,
    });
  return out;
}

/**
 * Decodes one message. Total: any input either decodes or throws a {@link WireError}, and the result
 * re-encodes to exactly `bytes`.
 *
 * @throws {WireError} `WIRE_UNKNOWN_MESSAGE_TYPE` (ignore it when `ignorable`, i.e. odd; else close the
 *   connection), `WIRE_MESSAGE_TOO_LARGE`, or the decoding error of the field at fault.
 */
export function decodeMessage(input: Uint8Array, options?: SizeOptions): Message {
  const max = maxSizeOf(options);
  if (!(input instanceof Uint8Array)) throw wireError('WIRE_INVALID_ARGUMENT', 'expected a Uint8Array');
  // A Buffer's slice() is a view: decode through a plain Uint8Array so every returned field is a copy.
  const bytes = plain(input);
  if (bytes.length > max)
    throw wireError('WIRE_MESSAGE_TOO_LARGE', `${bytes.length} bytes, above ${max}`, { offset: max });
  if (bytes.length < 2)
    throw wireError('WIRE_TRUNCATED', 'a message starts with a 2-byte type', { offset: 0 });
  const type = ((bytes[0] as number) << 8) | (bytes[1] as number);
  const codec = byType.get(type);
  if (codec === undefined)
    throw wireError(
      'WIRE_UNKNOWN_MESSAGE_TYPE',
      `unknown message type ${type} (${type % 2 === 1 ? 'odd: ignore it' : 'even: close the connection'})`,
      { messageType: type, offset: 0 },
    );
  const limit = limitFor(options?.maxSizeByType, codec.spec.name, max);
  if (bytes.length > limit)
    throw wireError('WIRE_MESSAGE_TOO_LARGE', `${codec.spec.name} of ${bytes.length} bytes, above ${limit}`, {
      messageType: type,
      offset: limit,
    });
  try {
    return codec.decode(bytes) as unknown as Message;
  } catch (e) {
    // No catch-all here: the fuzz suites must see any exception that is not a WireError.
    tag(e, type);
  }
}

/** @internal A plain Uint8Array view of `b` (whose `slice` copies), whatever its subclass. */
export function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The 2-byte type of an encoded message, or undefined when shorter than 2 bytes. */
export function peekMessageType(bytes: Uint8Array): number | undefined {
  return bytes.length < 2 ? undefined : ((bytes[0] as number) << 8) | (bytes[1] as number);
}
