/**
 * {@link ByteChannel} adapter for `node:net` sockets (and anything with the same `Duplex` events).
 */
import type { Socket } from 'node:net';
import type { ByteChannel, ByteChannelHandlers } from '../byteChannel.js';
import { InvalidArgumentError } from '../errors.js';

/** Options of {@link socketChannel}. */
export interface SocketChannelOptions {
  /**
   * `write` returns false once this many bytes are queued in the socket (default 1 MiB). Node's own
   * 16 KiB mark would stall a 64 KiB-frame sender on every frame.
   */
  readonly highWaterMark?: number | undefined;
}

/**
 * Adapts a TCP socket. Disables Nagle's algorithm (frames are written whole). The adapter listens
 * for `error` from the moment it is created, so a socket error can never go unhandled.
 */
export function socketChannel(socket: Socket, options: SocketChannelOptions = {}): ByteChannel {
  if (typeof socket !== 'object' || socket === null || typeof socket.write !== 'function')
    throw new InvalidArgumentError('socket', 'expected a net.Socket');
  // Never below the socket's own mark: a false return must be followed by Node's 'drain' event.
  const hwm = Math.max(options.highWaterMark ?? 1 << 20, socket.writableHighWaterMark);
  let h: ByteChannelHandlers | undefined;
  let ended = false;
  let early: ((x: ByteChannelHandlers) => void)[] = [];
  const fire = (f: (x: ByteChannelHandlers) => void) => {
    if (h !== undefined) f(h);
    else early.push(f);
  };
  const finish = () => {
    if (ended) return;
    ended = true;
    fire((x) => x.end());
  };
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.setNoDelay(true);
  socket.on('error', (err) => fire((x) => x.error(err)));
  socket.on('close', finish);
  socket.on('end', finish);
  return {
    remoteAddress: socket.remoteAddress,
    start(handlers) {
      h = handlers;
      socket.on('drain', () => handlers.drain());
      socket.on('data', (b: Buffer) => handlers.data(b));
      const e = early;
      early = [];
      for (const f of e) f(handlers);
    },
    write(bytes) {
      if (socket.destroyed || socket.writableEnded) return true;
      // Frames written in one tick leave in one writev (one syscall instead of one per frame).
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      socket.write(bytes);
      return socket.writableLength < hwm;
    },
    pause() {
      socket.pause();
    },
    resume() {
      socket.resume();
    },
    end() {
      socket.end();
    },
    destroy() {
      socket.destroy();
    },
  };
}
