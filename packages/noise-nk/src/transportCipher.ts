/**
 * BOLT 8 transport framing ("Lightning Message Specification"): every message is sent as
 * `encrypt(sk, sn, "", len:u16be) || encrypt(sk, sn+1, "", body)`, i.e. an 18-byte encrypted length
 * (2 bytes + 16-byte MAC) then the encrypted body (+16-byte MAC); at most 65,535 bytes per message.
 * Each direction's key rotates after 1,000 uses (every 500 messages), done by {@link CipherState}.
 *
 * Sans-IO: {@link TransportCipher.encrypt} returns frame bytes; {@link TransportCipher.push} takes
 * received bytes in any chunking and returns the complete messages. A MAC failure or an oversized
 * length poisons the receiving direction: every later `push` throws the same error.
 */
import { assertBytes, EMPTY } from './_assert.js';
import type { CipherState } from './cipherState.js';
import { BadMacError, FrameTooLargeError, InvalidArgumentError, type NoiseError } from './errors.js';

/** BOLT 8's largest message: 65,535 bytes (the length is a 2-byte field). */
export const MAX_MESSAGE_SIZE = 65535;
/** Bytes of the encrypted length prefix: 2 + 16-byte MAC. */
export const LENGTH_HEADER_SIZE = 18;
/** Bytes a frame adds to its message: the 18-byte header and the body's 16-byte MAC. */
export const FRAME_OVERHEAD = 34;
/**
 * The largest frame: {@link MAX_MESSAGE_SIZE} + {@link FRAME_OVERHEAD} = 65,569 bytes. No transport
 * needs to take more than this from a peer at once (set a WebSocket server's `maxPayload` to it).
 */
export const MAX_FRAME_SIZE = MAX_MESSAGE_SIZE + FRAME_OVERHEAD;

/** A pair of rotating cipher states with BOLT 8 framing and an incremental frame reader. */
export class TransportCipher {
  readonly #send: CipherState;
  readonly #recv: CipherState;
  readonly #max: number;
  /** The header or body being assembled from several chunks. */
  #partial: Uint8Array | undefined;
  #scratch: Uint8Array = new Uint8Array(0);
  #buffered = 0;
  /** Body length (including MAC) of the frame being read, or -1 while waiting for a header. */
  #bodyLen = -1;
  #error: NoiseError | undefined;

  /**
   * @param send - cipher state for outgoing frames.
   * @param receive - cipher state for incoming frames.
   * @param maxMessageSize - largest message sent or accepted; default and cap 65,535.
   */
  constructor(send: CipherState, receive: CipherState, maxMessageSize: number = MAX_MESSAGE_SIZE) {
    if (!Number.isInteger(maxMessageSize) || maxMessageSize < 0 || maxMessageSize > MAX_MESSAGE_SIZE)
      throw new InvalidArgumentError('maxMessageSize', `expected an integer in [0, ${MAX_MESSAGE_SIZE}]`);
    this.#send = send;
    this.#recv = receive;
    this.#max = maxMessageSize;
  }

  /** The largest message this cipher sends or accepts. */
  get maxMessageSize(): number {
    return this.#max;
  }

  /** Bytes received but not yet returned as a message. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Encrypts one message into one frame. Throws {@link FrameTooLargeError} above the limit. */
  encrypt(message: Uint8Array): Uint8Array {
    assertBytes(message, 'message');
    const len = message.length;
    if (len > this.#max) throw new FrameTooLargeError(len, this.#max);
    const out = new Uint8Array(LENGTH_HEADER_SIZE + len + 16);
    this.#send.encryptInto(EMPTY, Uint8Array.of(len >>> 8, len & 0xff), out.subarray(0, LENGTH_HEADER_SIZE));
    this.#send.encryptInto(EMPTY, message, out.subarray(LENGTH_HEADER_SIZE));
    return out;
  }

  /**
   * Feeds received bytes (any chunking) and returns the messages they complete, in order. Throws
   * {@link BadMacError} or {@link FrameTooLargeError}; after that the reader stays failed.
   * Holds at most one frame's bytes beyond what it returns.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    assertBytes(chunk, 'chunk');
    if (this.#error !== undefined) throw this.#error;
    const out: Uint8Array[] = [];
    let data = chunk;
    try {
      for (;;) {
        const need = this.#bodyLen < 0 ? LENGTH_HEADER_SIZE : this.#bodyLen;
        let piece: Uint8Array;
        if (this.#buffered === 0 && data.length >= need) {
          // Whole piece in this chunk: decrypt in place, no copy.
          piece = data.subarray(0, need);
          data = data.subarray(need);
        } else {
          // Retained bytes are copied (once) into a buffer of the piece's exact size: the caller
          // may reuse its chunk.
          if (data.length === 0) break;
          if (this.#partial === undefined) {
            // One scratch buffer per reader, grown to the largest piece seen: the AEAD never
            // retains its input, so it is reused for every frame (no allocation per frame).
            if (this.#scratch.length < need) this.#scratch = new Uint8Array(Math.max(need, 256));
            this.#partial = this.#scratch.subarray(0, need);
          }
          const take = Math.min(need - this.#buffered, data.length);
          this.#partial.set(data.subarray(0, take), this.#buffered);
          this.#buffered += take;
          data = data.subarray(take);
          if (this.#buffered < need) break;
          piece = this.#partial;
          this.#partial = undefined;
          this.#buffered = 0;
        }
        if (this.#bodyLen < 0) {
          const lb = this.#recv.decryptWithAd(EMPTY, piece);
          if (lb === undefined) throw new BadMacError('length');
          const len = (lb[0]! << 8) | lb[1]!;
          if (len > this.#max) throw new FrameTooLargeError(len, this.#max);
          this.#bodyLen = len + 16;
        } else {
          const m = this.#recv.decryptWithAd(EMPTY, piece);
          if (m === undefined) throw new BadMacError('body');
          this.#bodyLen = -1;
          out.push(m);
        }
      }
    } catch (err) {
      this.#error = err as NoiseError;
      this.#partial = undefined;
      this.#scratch = new Uint8Array(0);
      this.#buffered = 0;
      throw err;
    }
    return out;
  }
}
