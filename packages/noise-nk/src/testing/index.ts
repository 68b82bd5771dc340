/**
 * Test fakes for code built on `@superscalar/noise-nk` (exported as `@superscalar/noise-nk/test`):
 * an in-memory {@link ByteChannel} pair and manually driven {@link Timers}. Deterministic: no
 * sockets, no real time. Not for production use.
 */
import type { ByteChannel, ByteChannelHandlers } from '../byteChannel.js';
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

/** Manually driven timers: callbacks run only when `fire()` is called. */
export class FakeTimers implements Timers {
  /** Pending callbacks by handle, with their requested delay. */
  readonly pending = new Map<number, { readonly cb: () => void; readonly ms: number }>();
  #id = 0;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.#id;
    this.pending.set(id, { cb: callback, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Runs every pending callback (as if their deadlines had all passed). */
  fire(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const t of all) t.cb();
  }
}
