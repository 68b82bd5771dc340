// Shared test helpers (not part of the package).

import { type Aead, nobleAead } from '../src/aead.js';
import { nodeAead } from '../src/node/aead.js';

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Both AEAD backends: every vector test runs once per backend. */
export const BACKENDS: readonly [string, Aead][] = [
  ['node:crypto', nodeAead],
  ['@noble/ciphers', nobleAead],
];

/** An rng that hands out the given byte strings in order, then fails the test. */
export function queuedRng(...keys: Uint8Array[]): (n: number) => Uint8Array {
  const q = [...keys];
  return (n) => {
    const k = q.shift();
    if (k === undefined || k.length !== n) throw new Error(`test rng exhausted or wrong size (${n})`);
    return k;
  };
}

import type { ByteChannel, ByteChannelHandlers } from '../src/byteChannel.js';
import type { Timers } from '../src/session.js';

/** An in-memory ByteChannel end: bytes written reach the peer on a microtask. */
export class MemoryChannel implements ByteChannel {
  peer: MemoryChannel | undefined;
  handlers: ByteChannelHandlers | undefined;
  readonly sent: Uint8Array[] = [];
  paused = false;
  ended = false;
  destroyed = false;
  pauseCalls = 0;
  /** When set, write() returns this (to simulate a full transport buffer). */
  writeResult = true;
  remoteAddress = 'memory';

  start(h: ByteChannelHandlers): void {
    this.handlers = h;
  }
  write(bytes: Uint8Array): boolean {
    if (this.ended) return true;
    this.sent.push(bytes);
    const p = this.peer;
    const copy = Uint8Array.from(bytes);
    queueMicrotask(() => p?.inject(copy));
    return this.writeResult;
  }
  /** Delivers bytes to this end as if the peer had sent them. */
  inject(bytes: Uint8Array): void {
    if (!this.ended) this.handlers?.data(bytes);
  }
  pause(): void {
    this.paused = true;
    this.pauseCalls++;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    this.closeNow();
  }
  destroy(): void {
    this.destroyed = true;
    this.closeNow();
  }
  /** Ends this side and, a microtask later, the peer. */
  closeNow(): void {
    if (this.ended) return;
    this.ended = true;
    const p = this.peer;
    queueMicrotask(() => {
      this.handlers?.end();
      p?.closeNow();
    });
  }
}

export function memoryPair(): [MemoryChannel, MemoryChannel] {
  const a = new MemoryChannel();
  const b = new MemoryChannel();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Manually driven timers: `fire()` runs every pending callback. */
export class FakeTimers implements Timers {
  readonly pending = new Map<number, { cb: () => void; ms: number }>();
  #id = 0;
  setTimeout(cb: () => void, ms: number): unknown {
    const id = ++this.#id;
    this.pending.set(id, { cb, ms });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  fire(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const t of all) t.cb();
  }
}

/** A deterministic secp256k1 key for tests. */
export const key = (b: number): Uint8Array => new Uint8Array(32).fill(b);

/** Fast byte equality (vitest's deep equality is slow on 64 KiB arrays). */
export function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}
