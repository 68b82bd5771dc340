// Sessions over real loopback transports: node:net TCP sockets and WebSockets (the `ws` package,
// which has the browser WebSocket's shape). Large messages, many messages (key rotation), back-pressure,
// clean close, and typed-error closes for garbage.
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { webSocketChannel } from '../src/byteChannel.js';
import { BadMacError, DecodeError, HandshakeError, NoiseError } from '../src/errors.js';
import { socketChannel } from '../src/node/socket.js';
import { accept, connect, type NoiseSession } from '../src/session.js';
import { MAX_FRAME_SIZE } from '../src/transportCipher.js';
import { key, same } from './_helpers.js';

const SERVER = key(7);
const SERVER_PUB = secp256k1.getPublicKey(SERVER, true);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** A TCP server on 127.0.0.1 that accepts Noise sessions; returns the port and the accepted results. */
async function tcpServer(): Promise<{ port: number; results: Promise<NoiseSession>[]; server: Server }> {
  const results: Promise<NoiseSession>[] = [];
  const server = createServer((sock) => {
    const p = accept(socketChannel(sock), { localStatic: SERVER });
    p.catch(() => {}); // observed by the tests through `results`
    results.push(p);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, results, server };
}

function tcpClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => {
      s.destroy();
    });
  });
}

async function waitFor<T>(f: () => T | undefined): Promise<T> {
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('over TCP (node:net)', () => {
  it('exchanges 65,535-byte messages and 1,100 small ones (across key rotations) both ways', async () => {
    const srv = await tcpServer();
    const c = await connect(socketChannel(await tcpClient(srv.port)), { remoteStatic: SERVER_PUB });
    const s = await waitFor(() => srv.results[0]).then((p) => p);
    const big = new Uint8Array(65535).map((_, i) => i & 0xff);
    await c.send(big);
    expect(same(await s.receive(), big)).toBe(true);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 1100; i++) sends.push(s.send(Uint8Array.of(i & 0xff, i >> 8)));
    await Promise.all(sends);
    for (let i = 0; i < 1100; i++)
      expect(same(await c.receive(), Uint8Array.of(i & 0xff, i >> 8))).toBe(true);
    await c.close();
    expect(await s.receive()).toBeUndefined();
    expect(await s.closed).toBeUndefined();
  });

  it('moves 8 MiB through a slow reader in order (back-pressure on both ends)', async () => {
    const srv = await tcpServer();
    const c = await connect(socketChannel(await tcpClient(srv.port)), {
      remoteStatic: SERVER_PUB,
    });
    const s = await waitFor(() => srv.results[0]);
    const N = 128;
    const writer = (async () => {
      for (let i = 0; i < N; i++) await c.send(new Uint8Array(65535).fill(i));
    })();
    let got = 0;
    for (let i = 0; i < N; i++) {
      const m = await s.receive();
      expect(m?.length).toBe(65535);
      expect(m?.[0]).toBe(i);
      got++;
      if (i % 16 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await writer;
    expect(got).toBe(N);
  });

  it('garbage instead of act 1 fails only that connection, with a HandshakeError', async () => {
    const srv = await tcpServer();
    const raw = await tcpClient(srv.port);
    raw.write(new Uint8Array(50).fill(0xab));
    const err = await waitFor(() => srv.results[0]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    // The server still serves others.
    const c = await connect(socketChannel(await tcpClient(srv.port)), { remoteStatic: SERVER_PUB });
    const s = await waitFor(() => srv.results[1]);
    await c.send(Uint8Array.of(9));
    expect(await s.receive()).toEqual(Uint8Array.of(9));
  });

  it('garbage after the handshake closes that session with BadMacError', async () => {
    const srv = await tcpServer();
    const sock = await tcpClient(srv.port);
    const c = await connect(socketChannel(sock), { remoteStatic: SERVER_PUB });
    const s = await waitFor(() => srv.results[0]);
    sock.write(new Uint8Array(40).fill(1)); // bypasses the cipher
    await expect(s.receive()).rejects.toBeInstanceOf(BadMacError);
    expect(await s.closed).toBeInstanceOf(BadMacError);
    // The client sees the connection go away.
    expect(await c.closed).toSatisfy((e) => e === undefined || NoiseError.isInstance(e));
  });
});

describe('over WebSocket (ws)', () => {
  async function wsServer() {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: MAX_FRAME_SIZE });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    const results: Promise<NoiseSession>[] = [];
    wss.on('connection', (ws) => {
      const p = accept(webSocketChannel(ws), { localStatic: SERVER });
      p.catch(() => {});
      results.push(p);
    });
    const addr = wss.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    return { url: `ws://127.0.0.1:${port}`, results };
  }

  it('runs the handshake and exchanges messages, including 65,535-byte ones, then closes cleanly', async () => {
    const srv = await wsServer();
    const ws = new WebSocket(srv.url);
    cleanups.push(() => ws.terminate());
    const c = await connect(webSocketChannel(ws), { remoteStatic: SERVER_PUB });
    const s = await waitFor(() => srv.results[0]);
    expect(c.handshakeHash).toEqual(s.handshakeHash);
    const big = new Uint8Array(65535).fill(7);
    // 2.5 MiB: more than both high-water marks, so the writer must wait for the reader.
    const writer = (async () => {
      for (let i = 0; i < 40; i++) await c.send(big);
    })();
    for (let i = 0; i < 40; i++) expect(same(await s.receive(), big)).toBe(true);
    await writer;
    await s.send(Uint8Array.of(1, 2, 3));
    expect(await c.receive()).toEqual(Uint8Array.of(1, 2, 3));
    await c.close();
    expect(await s.receive()).toBeUndefined();
  });

  it('a text message or garbage bytes close that session with a typed error', async () => {
    const srv = await wsServer();
    const ws = new WebSocket(srv.url);
    cleanups.push(() => ws.terminate());
    await connect(webSocketChannel(ws), { remoteStatic: SERVER_PUB });
    const s = await waitFor(() => srv.results[0]);
    ws.send('hello');
    const err = await s.receive().catch((e: unknown) => e);
    expect(DecodeError.isInstance(err) && err.code).toBe('NOISE_DECODE');

    const ws2 = new WebSocket(srv.url);
    cleanups.push(() => ws2.terminate());
    await connect(webSocketChannel(ws2), { remoteStatic: SERVER_PUB });
    const s2 = await waitFor(() => srv.results[1]);
    ws2.send(new Uint8Array(64).fill(3));
    await expect(s2.receive()).rejects.toBeInstanceOf(BadMacError);
  });
});
