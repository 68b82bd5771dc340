/**
 * A TCP listener that accepts Noise sessions (responder side) with brief §10's defaults: binds
 * 127.0.0.1 unless told otherwise, admits at most 10 connections per source IP per minute, at most
 * 2 handshakes in progress per source IP and 64 in all (excess connections are closed unread and
 * reported as `RateLimitedError`), and closes a connection whose act one has not arrived within 2 s
 * or whose handshake has not finished within 10 s. Built on {@link Acceptor}.
 */
import { createServer, type Server } from 'node:net';
import { Acceptor, type AcceptorOptions } from '../acceptor.js';
import { TransportError } from '../errors.js';
import { socketChannel } from './socket.js';

/** Options of {@link listen}. */
export interface ListenOptions extends AcceptorOptions {
  /** Address to bind (default `127.0.0.1`; pass `0.0.0.0` or `::` deliberately to expose it). */
  readonly host?: string | undefined;
  /** Port (default 0: an ephemeral port; read it from `listener.port`). */
  readonly port?: number | undefined;
}

/** A running listener. */
export interface NoiseListener {
  /** The bound address. */
  readonly host: string;
  /** The bound port. */
  readonly port: number;
  /** Handshakes in progress. */
  readonly activeHandshakes: number;
  /** Stops accepting, destroys handshakes in progress and closes open sessions gracefully. */
  close(): Promise<void>;
}

/**
 * Starts a listener; resolves once it is bound. Invalid options throw `InvalidArgumentError`
 * before anything is bound; a failure to bind (address in use, permission) rejects with
 * `TransportError` (its `cause` is Node's error).
 */
export function listen(options: ListenOptions): Promise<NoiseListener> {
  const acceptor = new Acceptor(options);
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer({ allowHalfOpen: false, pauseOnConnect: true }, (socket) => {
    socket.on('error', () => {}); // errors are reported through the session; never unhandled
    const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    acceptor.handle(
      peer,
      () => {
        const ch = socketChannel(socket);
        socket.resume();
        return ch;
      },
      () => socket.destroy(),
    );
  });
  server.on('error', () => {}); // listen errors reject below; later ones cannot be acted upon
  return new Promise((resolve, reject) => {
    const onListenError = (cause: Error) =>
      reject(new TransportError(`could not listen on ${host}:${options.port ?? 0}`, { cause }));
    server.once('error', onListenError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onListenError);
      const addr = server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      resolve({
        host,
        port,
        get activeHandshakes() {
          return acceptor.activeHandshakes;
        },
        close: async () => {
          const done = new Promise<void>((r) => server.close(() => r()));
          await acceptor.close();
          await done;
        },
      });
    });
  });
}
