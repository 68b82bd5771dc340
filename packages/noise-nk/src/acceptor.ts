/**
 * Server-side admission and handshake for any transport: {@link Acceptor} applies the
 * {@link ConnectionLimiter} (brief §10 defaults: 10 connections per minute per IP, 2 handshakes in
 * progress per IP, 64 in all), runs the responder handshake with its deadlines (act one within 2 s,
 * the whole handshake within 10 s), and hands each session to `onSession`; every refused or
 * failed connection is closed and reported to `onError` with its typed error. The TCP `listen`
 * (`@superscalar/noise-nk/node`) is built on it; {@link Acceptor.webSocketHandler} plugs it into a
 * WebSocket server (e.g. `ws`'s `WebSocketServer` `connection` event).
 */
import { type Clock, systemClock } from '@superscalar/core';
import type { ByteChannel, WebSocketLike } from './byteChannel.js';
import { webSocketChannel } from './byteChannel.js';
import { ConnectionLimiter, type ConnectionLimiterOptions } from './connectionLimiter.js';
import { ConnectionClosedError, InvalidArgumentError, NoiseError, RateLimitedError } from './errors.js';
import { Handshake } from './handshake.js';
import { type AcceptOptions, accept, type NoiseSession } from './session.js';
import { MAX_FRAME_SIZE } from './transportCipher.js';

/** The peer of a connection. */
export interface PeerInfo {
  readonly address: string;
  readonly port: number;
}

/** Options of {@link Acceptor}. */
export interface AcceptorOptions extends AcceptOptions, ConnectionLimiterOptions {
  /** Receives each established session. A throw destroys that session (reported to `onError`). */
  readonly onSession: (session: NoiseSession, peer: PeerInfo) => void;
  /** Receives each refused or failed connection's typed error (default: ignore). */
  readonly onError?: ((error: NoiseError, peer: PeerInfo) => void) | undefined;
  /** Clock for the rate limit, in milliseconds (default core's `systemClock()`). */
  readonly clock?: Clock | undefined;
}

/** The part of an HTTP upgrade request the WebSocket handler reads (Node's `IncomingMessage`). */
export interface UpgradeRequestLike {
  readonly socket: { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined };
}

/** The part of a WebSocket server {@link Acceptor.serveWebSocket} uses (`ws`'s `WebSocketServer`). */
export interface WebSocketServerLike {
  /** The server's options; `maxPayload` is the largest message it buffers from a peer. */
  readonly options?: { readonly maxPayload?: number | undefined } | undefined;
  on(event: 'connection', listener: (ws: WebSocketLike, request: UpgradeRequestLike) => void): unknown;
}

/** Admits connections, runs the responder handshake and delivers sessions. */
export class Acceptor {
  readonly #o: AcceptorOptions;
  readonly #limiter: ConnectionLimiter;
  readonly #clock: Clock;
  readonly #handshaking = new Set<ByteChannel>();
  readonly #sessions = new Set<NoiseSession>();

  constructor(options: AcceptorOptions) {
    if (typeof options?.onSession !== 'function')
      throw new InvalidArgumentError('options.onSession', 'expected a function');
    // Validate the responder options once, up front, instead of failing every connection.
    Handshake.responder(options);
    this.#o = options;
    this.#limiter = new ConnectionLimiter(options);
    this.#clock = options.clock ?? systemClock();
  }

  /** Handshakes in progress. */
  get activeHandshakes(): number {
    return this.#limiter.activeHandshakes;
  }

  /**
   * Takes a new connection. `refuse` closes the raw transport unread (called when a limit refuses
   * it); otherwise `channel` carries the handshake.
   */
  handle(peer: PeerInfo, channel: () => ByteChannel, refuse: () => void): void {
    const adm = this.#limiter.admit(peer.address, this.#clock.now());
    if (!adm.ok) {
      refuse();
      this.#report(new RateLimitedError(peer.address, adm.limit), peer);
      return;
    }
    let ch: ByteChannel;
    let pending: Promise<NoiseSession>;
    try {
      ch = channel();
    } catch (cause) {
      adm.release();
      refuse();
      this.#report(new ConnectionClosedError('the transport could not be wrapped', { cause }), peer);
      return;
    }
    try {
      pending = accept(ch, this.#o);
    } catch (e) {
      // Options were validated in the constructor; anything thrown here still closes only this connection.
      adm.release();
      ch.destroy();
      this.#report(
        NoiseError.isInstance(e) ? e : new ConnectionClosedError('handshake could not start', { cause: e }),
        peer,
      );
      return;
    }
    this.#handshaking.add(ch);
    pending.then(
      (session) => {
        adm.release();
        this.#handshaking.delete(ch);
        this.#sessions.add(session);
        void session.closed.then(() => this.#sessions.delete(session));
        try {
          this.#o.onSession(session, peer);
        } catch (cause) {
          session.destroy();
          this.#report(new ConnectionClosedError('onSession threw; session destroyed', { cause }), peer);
        }
      },
      (e: NoiseError) => {
        adm.release();
        this.#handshaking.delete(ch);
        this.#report(e, peer);
      },
    );
  }

  /**
   * Serves a `ws` WebSocket server: checks that it buffers at most one frame from a peer
   * (`options.maxPayload` in 1…{@link MAX_FRAME_SIZE}, 65,569 bytes; `ws`'s default is 100 MiB, and 0
   * means unlimited) and registers {@link Acceptor.webSocketHandler} for its `connection` event.
   * Throws `InvalidArgumentError` (`wss.options.maxPayload`) for a server that could make us buffer
   * more from an unauthenticated peer (brief §10). Bind the server to 127.0.0.1 unless told otherwise.
   */
  serveWebSocket(wss: WebSocketServerLike): void {
    if (typeof wss !== 'object' || wss === null || typeof wss.on !== 'function')
      throw new InvalidArgumentError('wss', 'expected a WebSocket server (ws WebSocketServer)');
    const max = wss.options?.maxPayload;
    if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1 || max > MAX_FRAME_SIZE)
      throw new InvalidArgumentError(
        'wss.options.maxPayload',
        `must be at most ${MAX_FRAME_SIZE} (one frame), got ${String(max)}: create the server with { maxPayload: MAX_FRAME_SIZE }`,
      );
    wss.on('connection', this.webSocketHandler());
  }

  /**
   * A `connection` handler for WebSocket servers: `wss.on('connection', acceptor.webSocketHandler())`.
   * Prefer {@link Acceptor.serveWebSocket}, which checks the server's cap; with this handler, set
   * the server's largest message to {@link MAX_FRAME_SIZE} yourself (`ws`: `maxPayload`). Messages
   * larger than one frame that reach the handler close their connection with `FrameTooLargeError`.
   */
  webSocketHandler(): (ws: WebSocketLike, request: UpgradeRequestLike) => void {
    return (ws, request) => {
      const peer = { address: request.socket.remoteAddress ?? '', port: request.socket.remotePort ?? 0 };
      this.handle(
        peer,
        () => webSocketChannel(ws),
        () => (ws.terminate !== undefined ? ws.terminate() : ws.close(1008, 'rate limited')),
      );
    };
  }

  /** Destroys handshakes in progress and closes open sessions gracefully. */
  async close(): Promise<void> {
    for (const ch of this.#handshaking) ch.destroy();
    await Promise.all([...this.#sessions].map((s) => s.close()));
  }

  #report(e: NoiseError, peer: PeerInfo): void {
    try {
      this.#o.onError?.(e, peer);
    } catch {
      // A faulty error callback must not take the server down; the connection is already closed.
    }
  }
}
