/**
 * The byte transport a {@link NoiseSession} runs over, and its WebSocket adapter.
 *
 * A {@link ByteChannel} is a reliable, ordered byte pipe with write back-pressure (`write` returns
 * false above the high-water mark, then `drain` fires), optional read back-pressure (`pause` /
 * `resume`), a graceful `end` and an immediate `destroy`. Adapters: {@link webSocketChannel} here
 * (the `ws` package in Node and the browser's `WebSocket` have the same shape), and `socketChannel`
 * for `node:net` sockets in `@superscalar/noise-nk/node`.
 */
import { DecodeError, FrameTooLargeError, InvalidArgumentError, TransportError } from './errors.js';
import { MAX_FRAME_SIZE } from './transportCipher.js';

/** Callbacks a channel delivers to its one consumer. */
export interface ByteChannelHandlers {
  /** Bytes arrived. The consumer may keep a reference; the channel must not reuse the buffer. */
  data(bytes: Uint8Array): void;
  /** The write buffer fell below the high-water mark after a `write` returned false. */
  drain(): void;
  /** The transport closed (the peer ended it, or `end`/`destroy` completed). Fires at most once. */
  end(): void;
  /** The transport failed; `end` follows. */
  error(cause: unknown): void;
}

/** A reliable, ordered byte transport. */
export interface ByteChannel {
  /** Starts delivering events to `handlers`. Called once. */
  start(handlers: ByteChannelHandlers): void;
  /** Queues bytes; false when the caller should wait for `drain` before writing more. */
  write(bytes: Uint8Array): boolean;
  /** Stops delivering `data` until `resume` (a no-op where the transport cannot pause). */
  pause(): void;
  /** Resumes delivering `data`. */
  resume(): void;
  /** Flushes queued bytes, then closes. */
  end(): void;
  /** Closes now, discarding queued bytes. */
  destroy(): void;
  /** The peer's address, when known (IP for TCP). */
  readonly remoteAddress?: string | undefined;
}

/** The subset of the WebSocket API (browser `WebSocket`, Node's `ws`) that the adapter uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: 'open' | 'message' | 'close' | 'error',
    listener: (event: WebSocketEventLike) => void,
  ): void;
  /** `ws` only: stop reading from the socket. */
  pause?: (() => void) | undefined;
  /** `ws` only. */
  resume?: (() => void) | undefined;
  /** `ws` only: close without the closing handshake. */
  terminate?: (() => void) | undefined;
}

/** The part of a WebSocket event the adapter relies on (it reads `data` of `message` events). */
export interface WebSocketEventLike {
  readonly type: string;
}

/** Options of {@link webSocketChannel}. */
export interface WebSocketChannelOptions {
  /** `write` returns false while `bufferedAmount` exceeds this (default 1 MiB). */
  readonly highWaterMark?: number | undefined;
  /** How often to poll `bufferedAmount` while waiting to drain (default 4 ms). */
  readonly drainPollMs?: number | undefined;
  /**
   * Largest WebSocket message accepted from the peer (default {@link MAX_FRAME_SIZE}, 65,569: one
   * frame; we send one frame per message). A larger one fails the channel with
   * `FrameTooLargeError`. This only bounds what is passed on: the WebSocket implementation has
   * buffered the message by then, so cap it there too (`ws`: `maxPayload: MAX_FRAME_SIZE`).
   */
  readonly maxMessageBytes?: number | undefined;
}

const CONNECTING = 0;
const OPEN = 1;

/**
 * Adapts a WebSocket (browser `WebSocket` or `ws`) to a {@link ByteChannel}. Binary messages are
 * treated as a byte stream (message boundaries carry no meaning); a text message is a transport error.
 * Writes made while the socket is still connecting are queued until it opens.
 */
export function webSocketChannel(ws: WebSocketLike, options: WebSocketChannelOptions = {}): ByteChannel {
  if (typeof ws !== 'object' || ws === null || typeof ws.send !== 'function')
    throw new InvalidArgumentError('ws', 'expected a WebSocket-like object');
  const hwm = options.highWaterMark ?? 1 << 20;
  const poll = options.drainPollMs ?? 4;
  const maxMessage = options.maxMessageBytes ?? MAX_FRAME_SIZE;
  if (!Number.isSafeInteger(maxMessage) || maxMessage < 1)
    throw new InvalidArgumentError('options.maxMessageBytes', 'expected a positive integer');
  ws.binaryType = 'arraybuffer';
  let h: ByteChannelHandlers | undefined;
  let pending: Uint8Array[] = [];
  let ended = false;
  let closing = false;
  let waitingDrain = false;
  let early: (() => void)[] = [];
  const fire = (f: (h: ByteChannelHandlers) => void) => {
    if (h !== undefined) f(h);
    else early.push(() => f(h!));
  };
  const finish = () => {
    if (ended) return;
    ended = true;
    fire((x) => x.end());
  };
  const checkDrain = () => {
    if (ended) return;
    if (ws.bufferedAmount <= hwm) {
      waitingDrain = false;
      h?.drain();
    } else setTimeout(checkDrain, poll);
  };
  ws.addEventListener('open', () => {
    const q = pending;
    pending = [];
    for (const b of q) ws.send(b);
    if (closing) ws.close(1000);
  });
  ws.addEventListener('message', (ev) => {
    const d = (ev as { readonly data?: unknown }).data;
    const size = d instanceof ArrayBuffer ? d.byteLength : ArrayBuffer.isView(d) ? d.byteLength : 0;
    if (size > maxMessage) fire((x) => x.error(new FrameTooLargeError(size, maxMessage)));
    else if (d instanceof ArrayBuffer) fire((x) => x.data(new Uint8Array(d)));
    else if (ArrayBuffer.isView(d)) fire((x) => x.data(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    else fire((x) => x.error(new DecodeError('NOISE_DECODE', 'WebSocket text message on a binary channel')));
  });
  ws.addEventListener('error', (ev: unknown) =>
    fire((x) => x.error(new TransportError('WebSocket error', { cause: ev }))),
  );
  ws.addEventListener('close', finish);
  return {
    start(handlers) {
      h = handlers;
      const e = early;
      early = [];
      for (const f of e) f();
    },
    write(bytes) {
      if (ended || closing) return true;
      if (ws.readyState === CONNECTING) {
        pending.push(bytes);
        return true;
      }
      if (ws.readyState !== OPEN) return true;
      ws.send(bytes);
      if (ws.bufferedAmount > hwm) {
        if (!waitingDrain) {
          waitingDrain = true;
          setTimeout(checkDrain, poll);
        }
        return false;
      }
      return true;
    },
    pause() {
      ws.pause?.();
    },
    resume() {
      ws.resume?.();
    },
    end() {
      if (closing || ended) return;
      closing = true;
      if (ws.readyState !== CONNECTING) ws.close(1000);
    },
    destroy() {
      if (ended) return;
      closing = true;
      if (ws.terminate !== undefined) ws.terminate();
      else ws.close(1000);
    },
  };
}
