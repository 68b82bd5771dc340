// NoiseSession over an in-memory channel: handshake, messages, close, timeout, bad MAC, oversize,
// back-pressure. Deterministic: no sockets, no real timers.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  BadMacError,
  ConnectionClosedError,
  FrameTooLargeError,
  HandshakeError,
  HandshakeTimeoutError,
  IdleTimeoutError,
  InvalidArgumentError,
  NoiseError,
} from '../src/errors.js';
import { accept, connect, DEFAULT_HANDSHAKE_TIMEOUT_MS, type NoiseSession } from '../src/session.js';
import { FakeTimers, key, memoryPair, same } from './_helpers.js';

const SERVER = key(7);
const SERVER_PUB = secp256k1.getPublicKey(SERVER, true);
const CLIENT = key(9);

async function pair(pattern: 'NK' | 'XK' = 'NK', extra: { maxMessageSize?: number } = {}) {
  const [a, b] = memoryPair();
  const [c, s] = await Promise.all([
    connect(a, { remoteStatic: SERVER_PUB, pattern, localStatic: CLIENT, ...extra }),
    accept(b, { localStatic: SERVER, pattern, ...extra }),
  ]);
  return { a, b, c, s };
}

describe('NoiseSession over a memory channel', () => {
  for (const pattern of ['NK', 'XK'] as const) {
    it(`${pattern}: both sides agree on the handshake hash and exchange messages both ways, in order`, async () => {
      const { c, s } = await pair(pattern);
      expect(c.handshakeHash).toEqual(s.handshakeHash);
      expect(c.handshakeHash).toHaveLength(32);
      expect(c.remoteStatic).toEqual(SERVER_PUB);
      expect(s.remoteStatic).toEqual(pattern === 'XK' ? secp256k1.getPublicKey(CLIENT, true) : undefined);
      for (let i = 0; i < 1200; i++) {
        await c.send(Uint8Array.of(i & 0xff, i >> 8));
        await s.send(Uint8Array.of(i >> 8, i & 0xff));
      }
      for (let i = 0; i < 1200; i++) {
        expect(same(await s.receive(), Uint8Array.of(i & 0xff, i >> 8))).toBe(true);
        expect(same(await c.receive(), Uint8Array.of(i >> 8, i & 0xff))).toBe(true);
      }
    });
  }

  it('a clean close ends receive() with undefined and resolves closed with undefined on both sides', async () => {
    const { c, s } = await pair();
    await c.send(Uint8Array.of(1));
    await c.close();
    expect(await s.receive()).toEqual(Uint8Array.of(1));
    expect(await s.receive()).toBeUndefined();
    expect(await c.closed).toBeUndefined();
    expect(await s.closed).toBeUndefined();
    await expect(c.send(Uint8Array.of(2))).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('async iteration yields every message then stops at close', async () => {
    const { c, s } = await pair();
    for (let i = 0; i < 5; i++) await c.send(Uint8Array.of(i));
    await c.close();
    const got: number[] = [];
    for await (const m of s) got.push(m[0]!);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it('a handshake that never completes times out (default 10 s) on the injected timer and closes', async () => {
    const [a] = memoryPair();
    a.peer = undefined; // nobody answers
    const timers = new FakeTimers();
    const p = connect(a, { remoteStatic: SERVER_PUB, timers });
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([DEFAULT_HANDSHAKE_TIMEOUT_MS]);
    timers.fire();
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeTimeoutError);
    expect((err as HandshakeTimeoutError).timeoutMs).toBe(10_000);
    expect(a.destroyed).toBe(true);
  });

  it('a completed handshake clears its timer', async () => {
    const [a, b] = memoryPair();
    const t1 = new FakeTimers();
    const t2 = new FakeTimers();
    await Promise.all([
      connect(a, { remoteStatic: SERVER_PUB, timers: t1 }),
      accept(b, { localStatic: SERVER, timers: t2 }),
    ]);
    expect(t1.pending.size + t2.pending.size).toBe(0);
  });

  it('a responder with a different static key fails act 2 on the client with a typed error', async () => {
    const [a, b] = memoryPair();
    const [cr, sr] = await Promise.allSettled([
      connect(a, { remoteStatic: SERVER_PUB }),
      accept(b, { localStatic: key(8) }),
    ]);
    expect(cr.status).toBe('rejected');
    expect(sr.status).toBe('rejected');
    // The responder cannot decrypt act 1 (it was encrypted to SERVER's key): bad tag on act 1.
    const se = (sr as PromiseRejectedResult).reason as HandshakeError;
    expect(se).toBeInstanceOf(HandshakeError);
    expect(se.bolt8Label).toBe('ACT1_BAD_TAG');
    expect(NoiseError.isInstance((cr as PromiseRejectedResult).reason)).toBe(true);
  });

  it('mismatched prologues fail the handshake', async () => {
    const [a, b] = memoryPair();
    const r = await Promise.allSettled([
      connect(a, { remoteStatic: SERVER_PUB, prologue: Uint8Array.of(1) }),
      accept(b, { localStatic: SERVER }),
    ]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
  });

  it('a tampered frame closes the receiving session with BadMacError (reported in receive and closed)', async () => {
    const { b, s } = await pair();
    const pending = s.receive();
    b.inject(new Uint8Array(18).fill(0x55));
    await expect(pending).rejects.toBeInstanceOf(BadMacError);
    expect(await s.closed).toBeInstanceOf(BadMacError);
    expect(b.destroyed).toBe(true);
    await expect(s.receive()).rejects.toBeInstanceOf(BadMacError);
  });

  it('messages authenticated before a bad frame are still delivered, then the error', async () => {
    const { a, b, c, s } = await pair();
    await c.send(Uint8Array.of(42));
    await Promise.resolve();
    b.inject(Uint8Array.of(1, 2, 3, ...new Uint8Array(30)));
    void a;
    expect(await s.receive()).toEqual(Uint8Array.of(42));
    await expect(s.receive()).rejects.toBeInstanceOf(BadMacError);
  });

  it('sending more than 65,535 bytes throws FrameTooLargeError and the session stays open', async () => {
    const { c, s } = await pair();
    await expect(c.send(new Uint8Array(65536))).rejects.toBeInstanceOf(FrameTooLargeError);
    expect(c.isOpen).toBe(true);
    const big = new Uint8Array(65535).fill(3);
    await c.send(big);
    expect(same(await s.receive(), big)).toBe(true);
  });

  it('a received length above the configured limit closes the session with FrameTooLargeError', async () => {
    const [a, b] = memoryPair();
    const [c, s] = await Promise.all([
      connect(a, { remoteStatic: SERVER_PUB }),
      accept(b, { localStatic: SERVER, maxMessageSize: 100 }),
    ]);
    await c.send(new Uint8Array(101));
    await expect(s.receive()).rejects.toBeInstanceOf(FrameTooLargeError);
  });

  it('send() waits for drain when the channel reports a full buffer', async () => {
    const { a, c, s } = await pair();
    a.writeResult = false;
    let done = false;
    const p = c.send(Uint8Array.of(1)).then(() => {
      done = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    a.writeResult = true;
    a.handlers!.drain();
    await p;
    expect(done).toBe(true);
    expect(await s.receive()).toEqual(Uint8Array.of(1));
  });

  it('unread input above the read high-water mark pauses the channel; reading resumes it', async () => {
    const [a, b] = memoryPair();
    const [c, s] = await Promise.all([
      connect(a, { remoteStatic: SERVER_PUB }),
      accept(b, { localStatic: SERVER, readHighWaterMark: 1000 }),
    ]);
    for (let i = 0; i < 20; i++) await c.send(new Uint8Array(100));
    await new Promise((r) => setImmediate(r));
    expect(b.paused).toBe(true);
    for (let i = 0; i < 20; i++) await s.receive();
    expect(b.paused).toBe(false);
  });

  it('close() destroys the connection when the peer does not close within the deadline (injected timer)', async () => {
    const [a, b] = memoryPair();
    const timers = new FakeTimers();
    const [c] = await Promise.all([
      connect(a, { remoteStatic: SERVER_PUB, timers, closeTimeoutMs: 1234 }),
      accept(b, { localStatic: SERVER }),
    ]);
    a.end = () => {}; // a transport whose graceful close never completes
    const closing = c.close();
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([1234]);
    timers.fire();
    await closing;
    expect(a.destroyed).toBe(true);
    expect(await c.closed).toBeUndefined();
  });

  it('invalid options reject (not throw) with InvalidArgumentError and close the channel', async () => {
    const [a] = memoryPair();
    const p = connect(a, { remoteStatic: new Uint8Array(33) });
    await expect(p).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(a.destroyed).toBe(true);
  });

  it('the peer ending mid-handshake rejects with ConnectionClosedError', async () => {
    const [a, b] = memoryPair();
    const p = connect(a, { remoteStatic: SERVER_PUB });
    b.end();
    await expect(p).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('destroy() closes both sides; the peer sees a clean end', async () => {
    const { c, s }: { c: NoiseSession; s: NoiseSession } = await pair();
    c.destroy();
    expect(await s.receive()).toBeUndefined();
    expect(c.isOpen).toBe(false);
  });
});

describe('idle timeout of established sessions (optional, off by default)', () => {
  async function idlePair(idleTimeoutMs: number | undefined, readHighWaterMark?: number) {
    const [a, b] = memoryPair();
    const timers = new FakeTimers();
    const [c, s] = await Promise.all([
      connect(a, { remoteStatic: SERVER_PUB }),
      accept(b, { localStatic: SERVER, timers, idleTimeoutMs, readHighWaterMark }),
    ]);
    return { a, b, c, s, timers };
  }
  const settle = () => new Promise<void>((r) => setImmediate(r));

  it('off by default: an established session has no timer pending, however long it is silent', async () => {
    const { s, timers } = await idlePair(undefined);
    expect(timers.pending.size).toBe(0);
    timers.advance(24 * 3600_000);
    expect(s.isOpen).toBe(true);
  });

  it('closes the session with IdleTimeoutError after idleTimeoutMs without receiving; each message restarts it', async () => {
    const { c, s, timers } = await idlePair(30_000);
    timers.advance(29_999);
    expect(s.isOpen).toBe(true);
    await c.send(Uint8Array.of(1));
    await settle();
    timers.advance(29_999); // 59,998 ms since open, 29,999 since the message
    expect(s.isOpen).toBe(true);
    await s.send(Uint8Array.of(2)); // sending does not count as activity
    timers.advance(1);
    expect(s.isOpen).toBe(false);
    expect(await s.receive()).toEqual(Uint8Array.of(1));
    const err = await s.receive().catch((e: unknown) => e);
    expect(IdleTimeoutError.isInstance(err) && [err.code, err.timeoutMs]).toEqual([
      'NOISE_IDLE_TIMEOUT',
      30_000,
    ]);
    expect(await s.closed).toBe(err);
    expect(await c.receive()).toEqual(Uint8Array.of(2));
    expect(await c.receive()).toBeUndefined(); // the peer sees the connection end
  });

  it('time spent paused because the application is not reading does not count as idle', async () => {
    const { b, c, s, timers } = await idlePair(30_000, 1000);
    for (let i = 0; i < 20; i++) await c.send(new Uint8Array(100));
    await settle();
    expect(b.paused).toBe(true);
    timers.advance(60_000);
    expect(s.isOpen).toBe(true);
    for (let i = 0; i < 20; i++) await s.receive(); // reading resumes the channel and the deadline
    expect(b.paused).toBe(false);
    timers.advance(29_999);
    expect(s.isOpen).toBe(true);
    timers.advance(1);
    expect(s.isOpen).toBe(false);
  });

  it('a non-positive idleTimeoutMs is an InvalidArgumentError', async () => {
    const [, b] = memoryPair();
    const err = await accept(b, { localStatic: SERVER, idleTimeoutMs: 0 }).catch((e: unknown) => e);
    expect(InvalidArgumentError.isInstance(err) && err.argument).toBe('options.idleTimeoutMs');
  });
});
