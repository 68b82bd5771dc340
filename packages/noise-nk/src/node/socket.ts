/**
 * {@link ByteChannel} adapter for `node:net` sockets (and anything with the same `Duplex` events).
 */
import type { Socket } from 'node:net';
import type { ByteChannel, ByteChannelHandlers } from '../byteChannel.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * Adapts a TCP socket. Disables Nagle's algorithm (frames are written whole). The adapter listens
 * for `error` from the moment it is created, so a socket error can never go unhandled.
 */
export function socketChannel(socket: Socket): ByteChannel {
  if (typeof socket !== 'object' || socket === null || typeof socket.write !== 'function')
    throw new InvalidArgumentError('socket', 'expected a net.Socket');
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
      return socket.write(bytes);
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
