/**
 * Test fakes for code built on `@superscalar/noise-nk` (exported as `@superscalar/noise-nk/test`):
 * an in-memory {@link ByteChannel} pair and manually driven {@link Timers}. Deterministic: no
 * sockets, no real time. Not for production use.
 */
import type { Clock } from '@superscalar/core';
import type { ByteChannel, ByteChannelHandlers } from '../byteChannel.js';
import { InvalidArgumentError } from '../errors.js';
import type { Timers } from '../session.js';

/** One end of an in-memory channel: bytes written reach the peer on a microtask. */
export class MemoryChannel implements ByteChannel {
  /** The other end (undefined: writes go nowhere, as to a silent peer). */
  peer: MemoryChannel | undefined;
  /** The consumer's handlers, once started. */
  handlers: ByteChannelHandlers | undefined;
  /** Every chunk written through this end, in order. */
  readonly sent: Uint8Array[] = [];
  /** True while the consumer has paused reading. */
  paused = false;
  /** True once ended or destroyed. */
  ended = false;
  /** True once destroyed. */
  destroyed = false;
  /** What `write` returns (set false to simulate a full transport buffer; then call `handlers.drain()`). */
  writeResult = true;
  /** Reported peer address. */
  remoteAddress = 'memory';

  start(handlers: ByteChannelHandlers): void {
    this.handlers = handlers;
  }

  write(bytes: Uint8Array): boolean {
    if (this.ended) return true;
    this.sent.push(bytes);
    const p = this.peer;
    const copy = Uint8Array.from(bytes);
    queueMicrotask(() => p?.inject(copy));
    return this.writeResult;
  }

  /** Delivers bytes to this end's consumer as if the peer had sent them (e.g. to inject garbage). */
  inject(bytes: Uint8Array): void {
    if (!this.ended) this.handlers?.data(bytes);
  }

  pause(): void {
    this.paused = true;
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

  /** Ends this end now and, a microtask later, the peer. */
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

/** Two connected in-memory channel ends. */
export function memoryChannelPair(): [MemoryChannel, MemoryChannel] {
  const a = new MemoryChannel();
  const b = new MemoryChannel();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/**
 * Manually driven timers on a virtual clock: callbacks run only when `advance(ms)` or `fire()` is
 * called. Also a core `Clock` (`now()`), so one instance can drive both a session's timers and a
 * listener's rate limit (`Acceptor`'s `clock`) on the same virtual time.
 */
export class FakeTimers implements Timers, Clock {
  /** Pending callbacks by handle, with their requested delay and virtual due time. */
  readonly pending = new Map<
    number,
    { readonly cb: () => void; readonly ms: number; readonly due: number }
  >();
  #id = 0;
  #now: number;

  /** @param startMs - the virtual time to start at (default 0). */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  /** The virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.#id;
    this.pending.set(id, { cb: callback, ms, due: this.#now + ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /**
   * Moves virtual time forward by `ms`, running every callback that falls due on the way, in due
   * order (the clock reads each one's due time while it runs; timers set meanwhile run too if due).
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new InvalidArgumentError('ms', 'virtual time never goes backwards');
    const end = this.#now + ms;
    for (;;) {
      let next: [number, { readonly cb: () => void; readonly due: number }] | undefined;
      for (const e of this.pending)
        if (e[1].due <= end && (next === undefined || e[1].due < next[1].due)) next = e;
      if (next === undefined) break;
      this.pending.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].due);
      next[1].cb();
    }
    this.#now = end;
  }

  /** Runs every pending callback now, whatever its due time (virtual time does not move). */
  fire(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const t of all) t.cb();
  }
}
