/**
 * A TCP listener that accepts Noise sessions (responder side) with brief §10's defaults: binds
 * 127.0.0.1 unless told otherwise, admits at most 10 connections per source IP per minute and at
 * most 4 concurrent handshakes (excess connections are closed unread and reported as
 * {@link RateLimitedError}), and closes a handshake that takes longer than 10 s.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ConnectionLimiter, type ConnectionLimiterOptions } from '../connectionLimiter.js';
import { ConnectionClosedError, InvalidArgumentError, type NoiseError, RateLimitedError } from '../errors.js';
import { Handshake } from '../handshake.js';
import { type AcceptOptions, accept, type NoiseSession } from '../session.js';
import { socketChannel } from './socket.js';

/** The peer of a connection. */
export interface PeerInfo {
  readonly address: string;
  readonly port: number;
}

/** Options of {@link listen}. */
export interface ListenOptions extends AcceptOptions, ConnectionLimiterOptions {
  /** Address to bind (default `127.0.0.1`; pass `0.0.0.0` or `::` deliberately to expose it). */
  readonly host?: string | undefined;
  /** Port (default 0: an ephemeral port; read it from `listener.port`). */
  readonly port?: number | undefined;
  /** Receives each established session. A throw destroys that session (reported to `onError`). */
  readonly onSession: (session: NoiseSession, peer: PeerInfo) => void;
  /** Receives each refused or failed connection's typed error (default: ignore). */
  readonly onError?: ((error: NoiseError, peer: PeerInfo) => void) | undefined;
  /** Clock for the rate limit, in milliseconds (default `Date.now`). */
  readonly now?: (() => number) | undefined;
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

/** Starts a listener; resolves once it is bound. */
export function listen(options: ListenOptions): Promise<NoiseListener> {
  if (typeof options?.onSession !== 'function')
    throw new InvalidArgumentError('options.onSession', 'expected a function');
  // Validate the responder options once, up front, instead of failing every connection.
  Handshake.responder(options);
  const limiter = new ConnectionLimiter(options);
  const now = options.now ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const onError = options.onError ?? (() => {});
  const report = (e: NoiseError, peer: PeerInfo) => {
    try {
      onError(e, peer);
    } catch {
      // A faulty error callback must not take the listener down; the connection is already closed.
    }
  };
  const handshaking = new Set<Socket>();
  const sessions = new Set<NoiseSession>();
  const server: Server = createServer({ allowHalfOpen: false, pauseOnConnect: true }, (socket) => {
    socket.on('error', () => {}); // errors are reported through the session; never unhandled
    const peer: PeerInfo = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const adm = limiter.admit(peer.address, now());
    if (!adm.ok) {
      socket.destroy();
      report(new RateLimitedError(peer.address, adm.limit), peer);
      return;
    }
    handshaking.add(socket);
    const ch = socketChannel(socket);
    let pending: Promise<NoiseSession>;
    try {
      pending = accept(ch, options);
    } catch (e) {
      adm.release();
      handshaking.delete(socket);
      socket.destroy();
      report(e as NoiseError, peer);
      return;
    }
    socket.resume();
    pending.then(
      (session) => {
        adm.release();
        handshaking.delete(socket);
        sessions.add(session);
        void session.closed.then(() => sessions.delete(session));
        try {
          options.onSession(session, peer);
        } catch (cause) {
          session.destroy();
          report(new ConnectionClosedError('onSession threw; session destroyed', { cause }), peer);
        }
      },
      (e: NoiseError) => {
        adm.release();
        handshaking.delete(socket);
        report(e, peer);
      },
    );
  });
  server.on('error', () => {}); // listen errors reject below; later ones cannot be acted upon
  return new Promise((resolve, reject) => {
    const onListenError = (err: Error) => reject(err);
    server.once('error', onListenError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onListenError);
      const addr = server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      resolve({
        host,
        port,
        get activeHandshakes() {
          return limiter.activeHandshakes;
        },
        close: async () => {
          const done = new Promise<void>((r) => server.close(() => r()));
          for (const s of handshaking) s.destroy();
          await Promise.all([...sessions].map((s) => s.close()));
          await done;
        },
      });
    });
  });
}
