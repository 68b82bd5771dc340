/**
 * The LSP's listeners: TCP (`node:net`) and, optionally, WebSocket (`ws`), both feeding one
 * `@superscalar/noise-nk` `Acceptor`, so brief §10's admission limits (per-IP rate, handshakes in
 * progress per IP and in all, act-one and handshake deadlines) apply to both transports together.
 * Both bind 127.0.0.1 unless told otherwise.
 *
 * @module
 */
import { createServer, type Server } from 'node:net';
import type { Clock } from '@superscalar/core';
import {
  Acceptor,
  MAX_FRAME_SIZE,
  type NoiseError,
  type NoiseSession,
  type PeerInfo,
} from '@superscalar/noise-nk';
import { socketChannel } from '@superscalar/noise-nk/node';
import { WebSocketServer } from 'ws';
import { ListenError } from '../errors.js';

/** brief §10's limits, as `@superscalar/noise-nk`'s `Acceptor` takes them (its defaults apply). */
export interface ListenerLimits {
  /** Connections admitted per source IP per `windowMs` (default 10). */
  readonly perIpPerMinute?: number;
  /** The rate window, ms (default 60,000). */
  readonly windowMs?: number;
  /** Handshakes in progress per source IP (default 2). */
  readonly maxHandshakesPerIp?: number;
  /** Handshakes in progress in all (default 64). */
  readonly maxConcurrentHandshakes?: number;
  /** Act one due within this many ms of the connection (default 2,000). */
  readonly actOneTimeoutMs?: number;
  /** The whole handshake due within this many ms (default 10,000). */
  readonly handshakeTimeoutMs?: number;
}

/** Where to listen. */
export interface ListenAddress {
  /** Default `127.0.0.1`; exposing the LSP is a deliberate choice. */
  readonly host?: string;
  /** Default 0: an ephemeral port (read it back from the node). */
  readonly port?: number;
}

/** Options of {@link startServers}. */
export interface ServerOptions {
  readonly localStatic: Uint8Array;
  readonly tcp: ListenAddress;
  /** A WebSocket listener too (off when undefined); `path` restricts the upgrade path. */
  readonly webSocket?: ListenAddress & { readonly path?: string };
  readonly limits?: ListenerLimits;
  readonly clock?: Clock;
  readonly onSession: (session: NoiseSession, peer: PeerInfo) => void;
  readonly onError: (error: NoiseError, peer: PeerInfo) => void;
}

/** Running listeners. */
export interface Servers {
  readonly tcp: { readonly host: string; readonly port: number };
  readonly webSocket: { readonly host: string; readonly port: number; readonly url: string } | undefined;
  /** Stops accepting connections (established ones stay). */
  stopAccepting(): void;
  /** Destroys handshakes in progress and closes the sessions the acceptor delivered. */
  closeSessions(): Promise<void>;
  /** Resolves once the listeners are closed (after their last connection ended). */
  closed(): Promise<void>;
}

/**
 * Binds the listeners.
 *
 * @throws {ListenError} a listener could not bind (the other one is closed again).
 */
export async function startServers(o: ServerOptions): Promise<Servers> {
  const acceptor = new Acceptor({
    localStatic: o.localStatic,
    onSession: o.onSession,
    onError: o.onError,
    ...o.limits,
    ...(o.clock === undefined ? {} : { clock: o.clock }),
  });
  const tcpHost = o.tcp.host ?? '127.0.0.1';
  const server: Server = createServer({ allowHalfOpen: false, pauseOnConnect: true }, (socket) => {
    socket.on('error', () => undefined); // reported through the session
    acceptor.handle(
      { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      () => {
        const ch = socketChannel(socket);
        socket.resume();
        return ch;
      },
      () => socket.destroy(),
    );
  });
  server.on('error', () => undefined);
  const tcpPort = await new Promise<number>((resolve, reject) => {
    const fail = (cause: Error) => reject(new ListenError('tcp', `${tcpHost}:${o.tcp.port ?? 0}`, cause));
    server.once('error', fail);
    server.listen(o.tcp.port ?? 0, tcpHost, () => {
      server.off('error', fail);
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : 0);
    });
  });
  let wss: WebSocketServer | undefined;
  let ws: Servers['webSocket'];
  if (o.webSocket !== undefined) {
    const host = o.webSocket.host ?? '127.0.0.1';
    const path = o.webSocket.path;
    try {
      const w = new WebSocketServer({
        host,
        port: o.webSocket.port ?? 0,
        maxPayload: MAX_FRAME_SIZE,
        ...(path === undefined ? {} : { path }),
      });
      wss = w;
      const port = await new Promise<number>((resolve, reject) => {
        w.once('error', (cause) =>
          reject(new ListenError('websocket', `${host}:${o.webSocket?.port ?? 0}`, cause)),
        );
        w.once('listening', () => {
          const a = w.address();
          resolve(typeof a === 'object' && a !== null ? a.port : 0);
        });
      });
      w.on('error', () => undefined);
      acceptor.serveWebSocket(w as unknown as Parameters<Acceptor['serveWebSocket']>[0]);
      const h = host.includes(':') ? `[${host}]` : host;
      ws = { host, port, url: `ws://${h}:${port}${path ?? '/'}` };
    } catch (e) {
      wss?.close();
      await new Promise<void>((r) => server.close(() => r()));
      throw e;
    }
  }
  let stopped: Promise<void> | undefined;
  const stopAccepting = () => {
    // Node calls back once the last connection has ended: await it only after closing them.
    stopped ??= Promise.all([
      new Promise<void>((r) => server.close(() => r())),
      new Promise<void>((r) => (wss === undefined ? r() : wss.close(() => r()))),
    ]).then(() => undefined);
    return stopped;
  };
  return {
    tcp: { host: tcpHost, port: tcpPort },
    webSocket: ws,
    stopAccepting: () => void stopAccepting(),
    closeSessions: () => acceptor.close(),
    closed: stopAccepting,
  };
}
