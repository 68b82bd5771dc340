// The TCP listener: binds 127.0.0.1 by default, 10 connections per minute per IP (tested from
// distinct loopback addresses 127.0.0.2 / 127.0.0.3), 2 handshakes in progress per IP and 64 in all,
// act one within 2 s and the handshake within 10 s on injected timers, and typed errors for every
// refused or failed connection. The starvation attack itself is simulated in starvation.test.ts; the
// last test here is its short real-socket check.
import { connect as netConnect, type Socket } from 'node:net';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Acceptor } from '../src/acceptor.js';
import { type WebSocketEventLike, webSocketChannel } from '../src/byteChannel.js';
import {
  FrameTooLargeError,
  HandshakeTimeoutError,
  InvalidArgumentError,
  NoiseError,
  RateLimitedError,
} from '../src/errors.js';
import { Handshake } from '../src/handshake.js';
import { listen, type NoiseListener } from '../src/node/listen.js';
import { socketChannel } from '../src/node/socket.js';
import { accept, connect, type NoiseSession } from '../src/session.js';
import { MAX_FRAME_SIZE } from '../src/transportCipher.js';
import { FakeTimers, key } from './_helpers.js';

const SERVER = key(7);
const SERVER_PUB = secp256k1.getPublicKey(SERVER, true);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function rawSocket(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.on('error', () => {});
    s.once('error', reject);
    cleanups.push(() => {
      s.destroy();
    });
  });
}

async function client(port: number, localAddress: string): Promise<NoiseSession> {
  return connect(socketChannel(await rawSocket(port, localAddress)), { remoteStatic: SERVER_PUB });
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

async function start(extra: Partial<Parameters<typeof listen>[0]> = {}) {
  const errors: NoiseError[] = [];
  const sessions: NoiseSession[] = [];
  let clock = 1_000_000;
  const l: NoiseListener = await listen({
    localStatic: SERVER,
    onSession: (s) => sessions.push(s),
    onError: (e) => errors.push(e),
    clock: { now: () => clock },
    ...extra,
  });
  cleanups.push(() => l.close());
  return { l, errors, sessions, advance: (ms: number) => (clock += ms) };
}

describe('listen()', () => {
  it('binds 127.0.0.1 unless told otherwise', async () => {
    const { l } = await start();
    expect(l.host).toBe('127.0.0.1');
    expect(l.port).toBeGreaterThan(0);
  });

  it('admits 10 connections per minute per IP; the 11th is refused; other IPs and the next minute are not', async () => {
    const { l, errors, sessions, advance } = await start();
    for (let i = 0; i < 10; i++) await client(l.port, '127.0.0.2');
    const refused = await client(l.port, '127.0.0.2').catch((e: unknown) => e);
    expect(NoiseError.isInstance(refused)).toBe(true);
    await waitFor(() => errors.length > 0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RateLimitedError);
    expect((errors[0] as RateLimitedError).limit).toBe('per_ip_rate');
    expect((errors[0] as RateLimitedError).remoteAddress).toBe('127.0.0.2');
    await client(l.port, '127.0.0.3'); // another address is unaffected
    advance(60_001);
    await client(l.port, '127.0.0.2'); // a minute later the first address is admitted again
    await waitFor(() => sessions.length === 12);
    expect(errors).toHaveLength(1);
  });

  it('allows 2 handshakes in progress per IP and refuses a 3rd from that IP until one ends', async () => {
    const { l, errors } = await start();
    const idle: Socket[] = [];
    for (let i = 0; i < 2; i++) idle.push(await rawSocket(l.port, '127.0.0.2'));
    await waitFor(() => l.activeHandshakes === 2);
    const refused = await client(l.port, '127.0.0.2').catch((e: unknown) => e);
    expect(NoiseError.isInstance(refused)).toBe(true);
    await waitFor(() => errors.length > 0);
    expect((errors[0] as RateLimitedError).limit).toBe('per_ip_handshakes');
    expect((await client(l.port, '127.0.0.3')).isOpen).toBe(true); // another address is unaffected
    idle[0]!.destroy();
    await waitFor(() => l.activeHandshakes === 1);
    expect((await client(l.port, '127.0.0.2')).isOpen).toBe(true);
  });

  it('with maxConcurrentHandshakes: 3, refuses a 4th handshake in progress from any address', async () => {
    const { l, errors } = await start({ maxConcurrentHandshakes: 3 });
    await rawSocket(l.port, '127.0.0.2');
    await rawSocket(l.port, '127.0.0.2');
    const third = await rawSocket(l.port, '127.0.0.3');
    await waitFor(() => l.activeHandshakes === 3);
    const refused = await client(l.port, '127.0.0.4').catch((e: unknown) => e);
    expect(NoiseError.isInstance(refused)).toBe(true);
    await waitFor(() => errors.length > 0);
    expect((errors[0] as RateLimitedError).limit).toBe('concurrent_handshakes');
    third.destroy();
    await waitFor(() => l.activeHandshakes === 2);
    expect((await client(l.port, '127.0.0.4')).isOpen).toBe(true);
  });

  it('closes a connection whose act one does not arrive within 2 s, and a handshake not done in 10 s (injected timers)', async () => {
    const timers = new FakeTimers();
    const { l, errors } = await start({ timers, pattern: 'XK' });
    const sock = await rawSocket(l.port, '127.0.0.2');
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    await waitFor(() => timers.pending.size === 2);
    expect([...timers.pending.values()].map((t) => t.ms).sort((a, b) => a - b)).toEqual([2_000, 10_000]);
    timers.advance(1_999);
    expect(l.activeHandshakes).toBe(1);
    timers.advance(1);
    await closed;
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(HandshakeTimeoutError);
    expect((errors[0] as HandshakeTimeoutError).deadline).toBe('act_one');
    expect((errors[0] as HandshakeTimeoutError).timeoutMs).toBe(2_000);
    expect(l.activeHandshakes).toBe(0);
    // XK: act one sent on time, act three never: the whole-handshake deadline (10 s) closes it.
    const s2 = await rawSocket(l.port, '127.0.0.2');
    const closed2 = new Promise<void>((r) => s2.once('close', () => r()));
    s2.resume(); // read act two, so that the socket can report its close
    const initiator = Handshake.initiator({ remoteStatic: SERVER_PUB, pattern: 'XK', localStatic: key(9) });
    s2.write(initiator.writeAct());
    await waitFor(() => timers.pending.size === 1); // act one read: only the 10 s deadline is left
    timers.advance(9_999);
    expect(l.activeHandshakes).toBe(1);
    timers.advance(1);
    await closed2;
    await waitFor(() => errors.length > 1);
    expect((errors[1] as HandshakeTimeoutError).deadline).toBe('handshake');
    expect((errors[1] as HandshakeTimeoutError).timeoutMs).toBe(10_000);
  });

  it('a throwing onSession destroys only that session and reports a typed error', async () => {
    const errors: NoiseError[] = [];
    const l = await listen({
      localStatic: SERVER,
      onSession: () => {
        throw new Error('embedder bug');
      },
      onError: (e) => errors.push(e),
    });
    cleanups.push(() => l.close());
    const c = await client(l.port, '127.0.0.2');
    expect(await c.receive()).toBeUndefined();
    await waitFor(() => errors.length > 0);
    expect(errors[0]?.code).toBe('NOISE_CONNECTION_CLOSED');
  });
});

describe('listen() against the starvation attack (real sockets, issue 17.1)', () => {
  it('idle connections from 127.0.0.2 and .3 take 2 slots each, an honest client from .4 still connects, and the idle ones are cut at 2 s', async () => {
    const timers = new FakeTimers();
    const { l, errors } = await start({ timers });
    const idle: Socket[] = [];
    for (const ip of ['127.0.0.2', '127.0.0.3'])
      for (let i = 0; i < 3; i++) idle.push(await rawSocket(l.port, ip));
    await waitFor(() => errors.length === 2 && l.activeHandshakes === 4);
    expect(errors.map((e) => (e as RateLimitedError).limit)).toEqual([
      'per_ip_handshakes',
      'per_ip_handshakes',
    ]);
    const honest = await client(l.port, '127.0.0.4');
    expect(honest.isOpen).toBe(true);
    const allClosed = Promise.all(
      idle.map((s) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())))),
    );
    timers.advance(2_000);
    await allClosed;
    await waitFor(() => errors.length === 6);
    expect(errors.slice(2).map((e) => (e as HandshakeTimeoutError).deadline)).toEqual([
      'act_one',
      'act_one',
      'act_one',
      'act_one',
    ]);
    expect(l.activeHandshakes).toBe(0);
  });
});

describe('Acceptor on a WebSocket server', () => {
  it('applies the same per-IP limit to WebSocket clients (127.0.0.2 refused after 10, 127.0.0.3 admitted)', async () => {
    const errors: NoiseError[] = [];
    const sessions: NoiseSession[] = [];
    const acceptor = new Acceptor({
      localStatic: SERVER,
      onSession: (s) => sessions.push(s),
      onError: (e) => errors.push(e),
      clock: { now: () => 0 },
    });
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: MAX_FRAME_SIZE });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    acceptor.serveWebSocket(wss);
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    cleanups.push(() => acceptor.close());
    const port = (wss.address() as { port: number }).port;
    const wsClient = (localAddress: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, { localAddress });
      ws.on('error', () => {});
      cleanups.push(() => ws.terminate());
      return connect(webSocketChannel(ws), { remoteStatic: SERVER_PUB });
    };
    for (let i = 0; i < 10; i++) await wsClient('127.0.0.2');
    const refused = await wsClient('127.0.0.2').catch((e: unknown) => e);
    expect(NoiseError.isInstance(refused)).toBe(true);
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(RateLimitedError);
    expect((errors[0] as RateLimitedError).remoteAddress).toBe('127.0.0.2');
    const ok = await wsClient('127.0.0.3');
    await ok.send(Uint8Array.of(1));
    await waitFor(() => sessions.length === 11);
    expect(await sessions[10]!.receive()).toEqual(Uint8Array.of(1));
  });
});

describe('WebSocket: an unauthenticated peer can make us buffer at most one frame (issue 17.1)', () => {
  const acceptorFor = (errors: NoiseError[], sessions: NoiseSession[]) =>
    new Acceptor({ localStatic: SERVER, onSession: (s) => sessions.push(s), onError: (e) => errors.push(e) });

  it('serveWebSocket refuses a ws server with the default maxPayload (100 MiB), 0 (unlimited) or one frame + 1', async () => {
    const acceptor = acceptorFor([], []);
    for (const maxPayload of [undefined, 0, MAX_FRAME_SIZE + 1]) {
      const wss = new WebSocketServer({
        noServer: true,
        ...(maxPayload === undefined ? {} : { maxPayload }),
      });
      let err: unknown;
      try {
        acceptor.serveWebSocket(wss);
      } catch (e) {
        err = e;
      }
      expect(InvalidArgumentError.isInstance(err) && err.argument).toBe('wss.options.maxPayload');
      expect(wss.listenerCount('connection')).toBe(0);
    }
    const ok = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_SIZE });
    acceptor.serveWebSocket(ok);
    expect(ok.listenerCount('connection')).toBe(1);
  });

  it('with maxPayload = MAX_FRAME_SIZE: a 65,570-byte message before the handshake is refused by ws (1009) unread; a 65,535-byte message after it passes', async () => {
    const errors: NoiseError[] = [];
    const sessions: NoiseSession[] = [];
    const acceptor = acceptorFor(errors, sessions);
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: MAX_FRAME_SIZE });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    acceptor.serveWebSocket(wss);
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    cleanups.push(() => acceptor.close());
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;

    const hostile = new WebSocket(url, { localAddress: '127.0.0.2' });
    hostile.on('error', () => {});
    cleanups.push(() => hostile.terminate());
    await new Promise<void>((r) => hostile.once('open', () => r()));
    const closeCode = new Promise<number>((r) => hostile.once('close', (code) => r(code)));
    hostile.send(new Uint8Array(MAX_FRAME_SIZE + 1));
    expect(await closeCode).toBe(1009);
    await waitFor(() => errors.length > 0);
    // ws reports its refusal as an error event: a TransportError for that connection only.
    expect(errors.map((e) => e.code)).toEqual(['NOISE_TRANSPORT_ERROR']);
    expect(sessions).toHaveLength(0);

    const honest = new WebSocket(url, { localAddress: '127.0.0.3', maxPayload: MAX_FRAME_SIZE });
    honest.on('error', () => {});
    cleanups.push(() => honest.terminate());
    const c = await connect(webSocketChannel(honest), { remoteStatic: SERVER_PUB });
    await waitFor(() => sessions.length === 1);
    const big = new Uint8Array(65_535).fill(5); // one frame of exactly MAX_FRAME_SIZE bytes
    await c.send(big);
    await sessions[0]!.send(big);
    expect((await sessions[0]!.receive())?.length).toBe(65_535);
    expect((await c.receive())?.length).toBe(65_535);
  });

  it('webSocketChannel closes the session with FrameTooLargeError for a message above one frame (a server that did not cap it)', async () => {
    const listeners = new Map<string, (ev: WebSocketEventLike) => void>();
    const fake = {
      binaryType: 'blob',
      readyState: 1,
      bufferedAmount: 0,
      send() {},
      close() {},
      terminate() {},
      addEventListener(type: string, l: (ev: WebSocketEventLike) => void) {
        listeners.set(type, l);
      },
    };
    const p = accept(webSocketChannel(fake), { localStatic: SERVER });
    listeners.get('message')!({
      type: 'message',
      data: new ArrayBuffer(MAX_FRAME_SIZE + 1),
    } as WebSocketEventLike);
    const err = await p.catch((e: unknown) => e);
    expect(FrameTooLargeError.isInstance(err) && [err.length, err.limit]).toEqual([
      MAX_FRAME_SIZE + 1,
      MAX_FRAME_SIZE,
    ]);
  });
});
