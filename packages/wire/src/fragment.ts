/**
 * Messages larger than one frame (brief §10: "split to stay under 65,535 bytes"). A large message is
 * encoded whole, then cut into `fragment` messages of at most `maxFrameSize` bytes each; the receiver's
 * {@link Reassembler} joins them and decodes the result.
 *
 * Rules (each violation is a typed WireError, and the reassembler drops what it buffered):
 * - one fragmented message at a time per connection: parts 0..parts − 1 in order, all with the same
 *   `fragmentId`, `messageType`, `parts` and `totalLength` (`WIRE_FRAGMENT_INTERLEAVED`,
 *   `WIRE_FRAGMENT_OUT_OF_ORDER`, `WIRE_FRAGMENT_DUPLICATE`, `WIRE_FRAGMENT_MISMATCH`); other messages may arrive
 *   between parts and pass through;
 * - memory is bounded before anything is buffered: `parts ≤ maxParts` (`WIRE_FRAGMENT_TOO_MANY_PARTS`),
 *   `totalLength ≤ maxTotalSize` (`WIRE_FRAGMENT_TOO_LARGE`); the parts' data must add up to exactly
 *   `totalLength` (`WIRE_FRAGMENT_LENGTH_MISMATCH`, raised as soon as they exceed it);
 * - the joined bytes start with `messageType` and decode as that message (never another fragment).
 *
 * @module
 */
import { MAX_MESSAGE_SIZE } from './codec.js';
import { wireError } from './errors.js';
import {
  decodeMessage,
  encodeMessage,
  limitFor,
  type Message,
  messageNameOf,
  type SizeLimits,
} from './message.js';
import { FRAGMENT_TYPE, type Fragment } from './messages/setup.js';

/** Default bound on one reassembled message: 1 MiB. */
export const DEFAULT_MAX_TOTAL_SIZE = 1 << 20;
/** Default bound on the parts of one message. */
export const DEFAULT_MAX_PARTS = 64;

/** Options of {@link encodeFrames}. */
export interface EncodeFramesOptions {
  /** Largest frame, bytes (default 65,535; at least 1,024). */
  readonly maxFrameSize?: number;
  /** The id the parts carry (default 0); use a per-connection counter. */
  readonly fragmentId?: bigint;
  /** Largest whole message accepted (default {@link DEFAULT_MAX_TOTAL_SIZE}). */
  readonly maxTotalSize?: number;
}

// Every fragment field is fixed-width, so the header is the same for every part with ≥ 253 data bytes.
function fragmentOverhead(): number {
  const probe = encodeMessage({
    type: 'fragment',
    fragmentId: 0n,
    messageType: 0,
    part: 0,
    parts: 2,
    totalLength: 300,
    data: new Uint8Array(300),
  });
  return probe.length - 300;
}
let overhead: number | undefined;

/**
 * The frames that carry `msg`: the message itself when it fits `maxFrameSize`, else `fragment`
 * messages, each at most `maxFrameSize` bytes.
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` for a bad message or option; `WIRE_MESSAGE_TOO_LARGE` above
 *   `maxTotalSize` or 65,535 parts.
 */
export function encodeFrames(msg: Message, options: EncodeFramesOptions = {}): Uint8Array[] {
  const maxFrame = maxFrameOf(options);
  if (msg?.type === 'fragment')
    throw wireError('WIRE_INVALID_ARGUMENT', 'a fragment is not fragmented again', { field: 'type' });
  const full = encodeMessage(msg, { maxSize: options.maxTotalSize ?? DEFAULT_MAX_TOTAL_SIZE });
  return split(full, maxFrame, options.fragmentId ?? 0n);
}

/**
 * @internal The frames that carry `full`, a message's whole encoding from `encodeMessage` (an
 * `EncodedMessage`'s bytes): {@link encodeFrames} without encoding again. The one frame of a message
 * that fits is `full` itself (a session encrypts a copy; nothing here or there writes to it).
 *
 * @throws {WireError} `WIRE_INVALID_ARGUMENT` for a `fragment` or a bad option;
 *   `WIRE_MESSAGE_TOO_LARGE` above `maxTotalSize` or 65,535 parts.
 */
export function framesOf(full: Uint8Array, options: EncodeFramesOptions = {}): Uint8Array[] {
  const maxFrame = maxFrameOf(options);
  const messageType = ((full[0] as number) << 8) | (full[1] as number);
  if (messageType === FRAGMENT_TYPE)
    throw wireError('WIRE_INVALID_ARGUMENT', 'a fragment is not fragmented again', { field: 'type' });
  const max = options.maxTotalSize ?? DEFAULT_MAX_TOTAL_SIZE;
  if (full.length > max)
    throw wireError(
      'WIRE_MESSAGE_TOO_LARGE',
      `${messageNameOf(messageType) ?? messageType} encodes to ${full.length} bytes, above ${max}`,
      { messageType },
    );
  return split(full, maxFrame, options.fragmentId ?? 0n);
}

function maxFrameOf(options: EncodeFramesOptions): number {
  const maxFrame = options.maxFrameSize ?? MAX_MESSAGE_SIZE;
  if (!Number.isInteger(maxFrame) || maxFrame < 1024 || maxFrame > MAX_MESSAGE_SIZE)
    throw wireError(
      'WIRE_INVALID_ARGUMENT',
      `maxFrameSize must be an integer in 1024..65535, got ${maxFrame}`,
      {
        field: 'maxFrameSize',
      },
    );
  return maxFrame;
}

function split(full: Uint8Array, maxFrame: number, fragmentId: bigint): Uint8Array[] {
  if (full.length <= maxFrame) return [full];
  overhead ??= fragmentOverhead();
  const chunk = maxFrame - overhead;
  const parts = Math.ceil(full.length / chunk);
  if (parts > 0xffff)
    throw wireError('WIRE_MESSAGE_TOO_LARGE', `${full.length} bytes need ${parts} parts, above 65,535`);
  const messageType = ((full[0] as number) << 8) | (full[1] as number);
  const frames: Uint8Array[] = [];
  for (let part = 0; part < parts; part++)
    frames.push(
      encodeMessage({
        type: 'fragment',
        fragmentId,
        messageType,
        part,
        parts,
        totalLength: full.length,
        data: full.subarray(part * chunk, Math.min(full.length, (part + 1) * chunk)),
      }),
    );
  return frames;
}

/** Options of {@link Reassembler}. */
export interface ReassemblerOptions {
  /** Most parts of one message (default {@link DEFAULT_MAX_PARTS}). */
  readonly maxParts?: number;
  /** Largest reassembled message, bytes (default {@link DEFAULT_MAX_TOTAL_SIZE}). */
  readonly maxTotalSize?: number;
  /**
   * Largest reassembled message per type, bytes: a first part declaring more for its `messageType`
   * is refused before anything is buffered, and the joined message is decoded with the same bound.
   */
  readonly maxTotalSizeByType?: SizeLimits;
}

interface Pending {
  readonly first: Fragment;
  readonly chunks: Uint8Array[];
  next: number;
  received: number;
}

/**
 * Joins `fragment` messages (one connection's, in arrival order) into the messages they carry.
 * Sans-IO: feed it each decoded message with {@link push} or each frame with {@link receive}.
 */
export class Reassembler {
  private readonly maxParts: number;
  private readonly maxTotalSize: number;
  private readonly byType: SizeLimits | undefined;
  private pending: Pending | undefined;

  constructor(options: ReassemblerOptions = {}) {
    const maxParts = options.maxParts ?? DEFAULT_MAX_PARTS;
    const maxTotalSize = options.maxTotalSize ?? DEFAULT_MAX_TOTAL_SIZE;
    if (!Number.isInteger(maxParts) || maxParts < 2 || maxParts > 0xffff)
      throw wireError('WIRE_INVALID_ARGUMENT', `maxParts must be an integer in 2..65535, got ${maxParts}`, {
        field: 'maxParts',
      });
    if (!Number.isInteger(maxTotalSize) || maxTotalSize < 3 || maxTotalSize > 0xffffffff)
      throw wireError(
        'WIRE_INVALID_ARGUMENT',
        `maxTotalSize must be an integer in 3..2^32 − 1, got ${maxTotalSize}`,
        {
          field: 'maxTotalSize',
        },
      );
    this.maxParts = maxParts;
    this.maxTotalSize = maxTotalSize;
    this.byType = options.maxTotalSizeByType;
  }

  /** True while a fragmented message is incomplete. */
  get inProgress(): boolean {
    return this.pending !== undefined;
  }

  /** Bytes buffered for the incomplete message. */
  get bufferedBytes(): number {
    return this.pending?.received ?? 0;
  }

  /** Drops any incomplete message. */
  reset(): void {
    this.pending = undefined;
  }

  /** Decodes one frame and {@link push}es it. */
  receive(frame: Uint8Array): Message | undefined {
    return this.push(decodeMessage(frame));
  }

  /**
   * Feeds one decoded message. A non-fragment message is returned as is; a fragment returns
   * undefined until its message is complete, then that message.
   *
   * @throws {WireError} a `FRAGMENT_*` code for a rule broken (see the module doc), or the decoding
   *   error of the joined message.
   */
  push(msg: Message): Message | undefined {
    if (msg.type !== 'fragment') return msg;
    try {
      return this.take(msg);
    } catch (e) {
      this.pending = undefined;
      throw e;
    }
  }

  private take(f: Fragment): Message | undefined {
    const field = `fragment[${f.part}]`;
    let p = this.pending;
    if (p === undefined) {
      if (f.part !== 0)
        throw wireError('WIRE_FRAGMENT_OUT_OF_ORDER', `part ${f.part} before part 0`, { field });
      if (f.parts > this.maxParts)
        throw wireError('WIRE_FRAGMENT_TOO_MANY_PARTS', `${f.parts} parts, above ${this.maxParts}`, {
          field,
        });
      const name = messageNameOf(f.messageType);
      const limit = name === undefined ? this.maxTotalSize : limitFor(this.byType, name, this.maxTotalSize);
      if (f.totalLength > limit)
        throw wireError('WIRE_FRAGMENT_TOO_LARGE', `${f.totalLength} bytes, above ${limit}`, { field });
      if (f.totalLength > f.parts * MAX_MESSAGE_SIZE)
        throw wireError('WIRE_FRAGMENT_MISMATCH', `${f.totalLength} bytes cannot fit ${f.parts} parts`, {
          field,
        });
      p = { first: f, chunks: [], next: 0, received: 0 };
      this.pending = p;
    } else {
      const a = p.first;
      if (f.fragmentId !== a.fragmentId)
        throw wireError(
          'WIRE_FRAGMENT_INTERLEAVED',
          `a part of fragment ${f.fragmentId} before fragment ${a.fragmentId} is complete`,
          { field },
        );
      if (f.messageType !== a.messageType || f.parts !== a.parts || f.totalLength !== a.totalLength)
        throw wireError('WIRE_FRAGMENT_MISMATCH', 'messageType, parts or totalLength differ from part 0', {
          field,
        });
      if (f.part < p.next) throw wireError('WIRE_FRAGMENT_DUPLICATE', `part ${f.part} again`, { field });
      if (f.part > p.next)
        throw wireError('WIRE_FRAGMENT_OUT_OF_ORDER', `part ${f.part} where part ${p.next} was due`, {
          field,
        });
    }
    if (p.received + f.data.length > p.first.totalLength)
      throw wireError(
        'WIRE_FRAGMENT_LENGTH_MISMATCH',
        `the parts exceed the declared ${p.first.totalLength} bytes`,
        { field },
      );
    p.chunks.push(f.data);
    p.received += f.data.length;
    p.next++;
    if (p.next < p.first.parts) return undefined;
    this.pending = undefined;
    if (p.received !== p.first.totalLength)
      throw wireError(
        'WIRE_FRAGMENT_LENGTH_MISMATCH',
        `the parts carry ${p.received} bytes, ${p.first.totalLength} declared`,
        { field },
      );
    const full = new Uint8Array(p.received);
    let o = 0;
    for (const c of p.chunks) {
      full.set(c, o);
      o += c.length;
    }
    const inner = ((full[0] as number) << 8) | (full[1] as number);
    if (inner !== p.first.messageType || inner === FRAGMENT_TYPE)
      throw wireError(
        'WIRE_FRAGMENT_MISMATCH',
        `the joined message has type ${inner}, not ${p.first.messageType}`,
        {
          field: 'fragment',
        },
      );
    return decodeMessage(full, {
      maxSize: this.maxTotalSize,
      ...(this.byType === undefined ? {} : { maxSizeByType: this.byType }),
    });
  }
}
