/**
 * A BOLT 8-framed Noise session over any {@link ByteChannel}: {@link connect} (initiator) and
 * {@link accept} (responder) run the handshake with a timeout, then resolve to a {@link NoiseSession}
 * that sends and receives whole messages (≤ 65,535 bytes) with back-pressure both ways.
 *
 * Failure policy (brief §10): a handshake timeout, a bad act, a bad MAC, an oversized frame or any
 * garbage closes **that** connection with a typed {@link NoiseError}, reported through the pending
 * `connect`/`accept`/`receive`/`send` promise and through `closed`; nothing else is affected and no
 * promise this package creates on its own behalf ever rejects unobserved.
 */
import { concatBytes } from '@superscalar/core';
import { assertBytes } from './_assert.js';
import type { ByteChannel } from './byteChannel.js';
import {
  ConnectionClosedError,
  HandshakeTimeoutError,
  IdleTimeoutError,
  InvalidArgumentError,
  NoiseError,
  TransportError,
} from './errors.js';
import { Handshake, type InitiatorOptions, type ResponderOptions } from './handshake.js';
import type { TransportCipher } from './transportCipher.js';

/** Injected timers (for the handshake timeout); default the global `setTimeout`/`clearTimeout`. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Session options shared by {@link connect} and {@link accept}. */
export interface SessionOptions {
  /** Handshake deadline in milliseconds (default 10,000). */
  readonly handshakeTimeoutMs?: number | undefined;
  /** Timer functions; inject a fake in tests. */
  readonly timers?: Timers | undefined;
  /** Received-but-unread bytes above which the channel is paused (default 1 MiB). */
  readonly readHighWaterMark?: number | undefined;
  /** After `close()`, how long to wait for the peer to close before destroying (default 10,000 ms). */
  readonly closeTimeoutMs?: number | undefined;
  /**
   * Closes an established session with `IdleTimeoutError` when nothing has been received from the
   * peer for this long (default: off). Sending does not count, and neither does time spent paused
   * because the application has not read what arrived. Pair it with application-level pings
   * (BOLT 1 `ping`/`pong`) sent more often than the timeout.
   */
  readonly idleTimeoutMs?: number | undefined;
}

/** Options of {@link connect}. */
export interface ConnectOptions extends InitiatorOptions, SessionOptions {}
/** Options of {@link accept}. */
export interface AcceptOptions extends ResponderOptions, SessionOptions {
  /**
   * Deadline for the peer's act one, from the start of `accept` (default 2,000 ms; brief §10). An
   * idle connection then holds a listener's handshake slot for 2 s, not for the whole handshake
   * deadline. Must not exceed `handshakeTimeoutMs` to have an effect.
   */
  readonly actOneTimeoutMs?: number | undefined;
}

/** Default deadline for the whole handshake: 10 s (brief §10). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default deadline for a responder to receive act one: 2 s (brief §10, v2). */
export const DEFAULT_ACT_ONE_TIMEOUT_MS = 2_000;

const defaultTimers: Timers = {
  setTimeout: (cb, ms) => globalThis.setTimeout(cb, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};

/**
 * Runs the initiator's handshake over `channel` and resolves to the open session. Rejects with a
 * {@link NoiseError} (`HandshakeError`, `HandshakeTimeoutError`, `ConnectionClosedError`,
 * `TransportError`) after closing the channel.
 */
export function connect(channel: ByteChannel, options: ConnectOptions): Promise<NoiseSession> {
  return start(channel, () => Handshake.initiator(options), options, undefined);
}

/** Runs the responder's handshake over `channel`; see {@link connect}. */
export function accept(channel: ByteChannel, options: AcceptOptions): Promise<NoiseSession> {
  return start(
    channel,
    () => Handshake.responder(options),
    options,
    options?.actOneTimeoutMs ?? DEFAULT_ACT_ONE_TIMEOUT_MS,
  );
}

function start(
  channel: ByteChannel,
  make: () => Handshake,
  o: SessionOptions,
  actOneTimeoutMs: number | undefined,
): Promise<NoiseSession> {
  // Invalid options reject the returned promise (never a synchronous throw) and close the channel.
  try {
    if (typeof o !== 'object' || o === null) throw new InvalidArgumentError('options', 'expected an object');
    const timeout = o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout <= 0)
      throw new InvalidArgumentError('options.handshakeTimeoutMs', 'expected a positive number');
    const actOne = actOneTimeoutMs ?? timeout;
    if (!Number.isFinite(actOne) || actOne <= 0)
      throw new InvalidArgumentError('options.actOneTimeoutMs', 'expected a positive number');
    const closeTimeout = o.closeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    if (!Number.isFinite(closeTimeout) || closeTimeout <= 0)
      throw new InvalidArgumentError('options.closeTimeoutMs', 'expected a positive number');
    const idle = o.idleTimeoutMs;
    if (idle !== undefined && (!Number.isFinite(idle) || idle <= 0))
      throw new InvalidArgumentError(
        'options.idleTimeoutMs',
        'expected a positive number (or undefined: off)',
      );
    const hwm = o.readHighWaterMark ?? 1 << 20;
    if (!Number.isInteger(hwm) || hwm < 1)
      throw new InvalidArgumentError('options.readHighWaterMark', 'expected a positive integer');
    const hs = make();
    const limits = { timeout, actOne, closeTimeout, idle, timers: o.timers ?? defaultTimers, hwm };
    return new Promise<NoiseSession>((resolve, reject) => {
      new NoiseSession(channel, hs, limits, resolve, reject);
    });
  } catch (err) {
    channel.destroy();
    return Promise.reject(err);
  }
}

type Phase = 'handshake' | 'open' | 'closing' | 'closed';

interface Waiter {
  resolve(v: Uint8Array | undefined): void;
  reject(e: unknown): void;
}

/**
 * An established session. Obtain one from {@link connect} or {@link accept}.
 *
 * - `send(message)` encrypts and writes one message; it resolves once the channel can take more
 *   (back-pressure) and rejects only if the session is closed or fails.
 * - `receive()` resolves to the next message, or `undefined` after a clean close; it rejects with
 *   the error that closed the session. The session is also an async iterable of messages.
 * - `closed` resolves (never rejects) when the channel is gone: to `undefined` for a clean close,
 *   else to the error.
 */
export class NoiseSession implements AsyncIterable<Uint8Array> {
  readonly #channel: ByteChannel;
  #hs: Handshake | undefined;
  #transport: TransportCipher | undefined;
  #phase: Phase = 'handshake';
  #error: NoiseError | undefined;
  #inbox: Uint8Array[] = [];
  #inboxHead = 0;
  #inboxBytes = 0;
  #paused = false;
  readonly #hwm: number;
  #waiters: Waiter[] = [];
  #drainWaiters: { resolve(): void; reject(e: unknown): void }[] = [];
  #hsBuf: Uint8Array = new Uint8Array(0);
  readonly #timers: Timers;
  readonly #closeTimeout: number;
  #timer: unknown;
  #firstActTimer: unknown;
  readonly #idleTimeout: number | undefined;
  #idleTimer: unknown;
  #onOpen: ((s: NoiseSession) => void) | undefined;
  #onFail: ((e: unknown) => void) | undefined;
  #resolveClosed!: (e: NoiseError | undefined) => void;
  /** Resolves when the channel is closed: `undefined` if cleanly, else the error that closed it. */
  readonly closed: Promise<NoiseError | undefined>;
  #handshakeHash: Uint8Array | undefined;
  #remoteStatic: Uint8Array | undefined;

  /** @internal Use {@link connect} or {@link accept}. */
  constructor(
    channel: ByteChannel,
    hs: Handshake,
    limits: {
      timeout: number;
      actOne: number;
      closeTimeout: number;
      idle: number | undefined;
      timers: Timers;
      hwm: number;
    },
    onOpen: (s: NoiseSession) => void,
    onFail: (e: unknown) => void,
  ) {
    const { timeout: timeoutMs, timers } = limits;
    this.#channel = channel;
    this.#hs = hs;
    this.#timers = timers;
    this.#hwm = limits.hwm;
    this.#closeTimeout = limits.closeTimeout;
    this.#idleTimeout = limits.idle;
    this.#onOpen = onOpen;
    this.#onFail = onFail;
    this.closed = new Promise((r) => {
      this.#resolveClosed = r;
    });
    this.#timer = timers.setTimeout(() => this.#fail(new HandshakeTimeoutError(timeoutMs)), timeoutMs);
    // The first act we read (a responder's act one) has its own, shorter deadline (brief §10).
    if (limits.actOne < timeoutMs)
      this.#firstActTimer = timers.setTimeout(
        () => this.#fail(new HandshakeTimeoutError(limits.actOne, 'act_one')),
        limits.actOne,
      );
    channel.start({
      data: (b) => this.#onData(b),
      drain: () => this.#onDrain(),
      end: () => this.#onEnd(),
      error: (cause) =>
        this.#fail(NoiseError.isInstance(cause) ? cause : new TransportError('transport failed', { cause })),
    });
    if (this.#phase === 'handshake' && hs.isMyTurn) this.#guard(() => this.#channel.write(hs.writeAct()));
  }

  /** The final Noise handshake hash (32 bytes): bind identity proofs to it. */
  get handshakeHash(): Uint8Array {
    return Uint8Array.from(this.#handshakeHash ?? new Uint8Array(0));
  }

  /** The peer's static public key: the responder's (for initiators), the initiator's in XK, else undefined. */
  get remoteStatic(): Uint8Array | undefined {
    return this.#remoteStatic === undefined ? undefined : Uint8Array.from(this.#remoteStatic);
  }

  /** The peer's address as the channel reports it. */
  get remoteAddress(): string | undefined {
    return this.#channel.remoteAddress;
  }

  /** True until `close`, `destroy`, the peer's close or an error. */
  get isOpen(): boolean {
    return this.#phase === 'open';
  }

  /** Encrypts and sends one message (≤ the frame limit, 65,535 bytes by default). */
  send(message: Uint8Array): Promise<void> {
    try {
      assertBytes(message, 'message');
      if (this.#phase !== 'open') throw this.#error ?? new ConnectionClosedError();
      const frame = this.#transport!.encrypt(message);
      if (this.#channel.write(frame)) return Promise.resolve();
      return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The next message, or `undefined` once the session closed cleanly and every message was read. */
  receive(): Promise<Uint8Array | undefined> {
    const m = this.#shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.#phase === 'closed')
      return this.#error ? Promise.reject(this.#error) : Promise.resolve(undefined);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Iterates received messages until the session closes (throws the error that closed it, if any). */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const m = await this.receive();
      if (m === undefined) return;
      yield m;
    }
  }

  /** Closes gracefully: queued frames are flushed, then the channel ends. Resolves when closed. */
  async close(): Promise<void> {
    if (this.#phase === 'open') {
      this.#phase = 'closing';
      this.#clearIdle();
      // Frames already written are flushed by end(): their senders may proceed.
      this.#onDrain();
      this.#channel.end();
      // A peer that never closes its side must not hold the connection open forever.
      this.#timer = this.#timers.setTimeout(
        () => this.#fail(new ConnectionClosedError('peer did not close in time; destroyed'), true),
        this.#closeTimeout,
      );
    } else if (this.#phase === 'handshake') this.#fail(new ConnectionClosedError('closed during handshake'));
    await this.closed;
  }

  /** Closes now, discarding unsent data; `error` (if given) becomes the session's error. */
  destroy(error?: NoiseError): void {
    this.#fail(error ?? new ConnectionClosedError('session destroyed locally'), error === undefined);
  }

  #shift(): Uint8Array | undefined {
    if (this.#inboxHead >= this.#inbox.length) return undefined;
    const m = this.#inbox[this.#inboxHead]!;
    this.#inbox[this.#inboxHead++] = undefined as never;
    if (this.#inboxHead > 1024 && this.#inboxHead * 2 > this.#inbox.length) {
      this.#inbox = this.#inbox.slice(this.#inboxHead);
      this.#inboxHead = 0;
    }
    this.#inboxBytes -= m.length;
    if (this.#paused && this.#inboxBytes <= this.#hwm / 2 && this.#phase !== 'closed') {
      this.#paused = false;
      this.#channel.resume();
      this.#armIdle();
    }
    return m;
  }

  #deliver(msgs: Uint8Array[]): void {
    for (const m of msgs) {
      const w = this.#waiters.shift();
      if (w !== undefined) w.resolve(m);
      else {
        this.#inbox.push(m);
        this.#inboxBytes += m.length;
      }
    }
    if (!this.#paused && this.#inboxBytes > this.#hwm) {
      this.#paused = true;
      this.#channel.pause();
      this.#clearIdle(); // the application is behind, not the peer
    }
  }

  #guard(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.#fail(err);
    }
  }

  #onData(bytes: Uint8Array): void {
    if (this.#phase === 'closed') return;
    this.#guard(() => {
      if (this.#phase === 'handshake') this.#handshakeData(bytes);
      else {
        this.#armIdle();
        this.#deliver(this.#transport!.push(bytes));
      }
    });
  }

  #handshakeData(bytes: Uint8Array): void {
    const hs = this.#hs!;
    let buf = this.#hsBuf.length === 0 ? bytes : concatBytes(this.#hsBuf, bytes);
    while (!hs.isComplete && !hs.isMyTurn) {
      const need = hs.nextActLength;
      if (buf.length < need) break;
      hs.readAct(buf.subarray(0, need));
      buf = buf.subarray(need);
      this.#clearFirstActTimer();
      if (!hs.isComplete && hs.isMyTurn) this.#channel.write(hs.writeAct());
    }
    if (!hs.isComplete) {
      this.#hsBuf = Uint8Array.from(buf);
      return;
    }
    this.#hsBuf = new Uint8Array(0);
    this.#open();
    if (buf.length > 0) this.#deliver(this.#transport!.push(buf));
  }

  #open(): void {
    const out = this.#hs!.outcome;
    this.#hs = undefined;
    this.#transport = out.transport;
    this.#handshakeHash = out.handshakeHash;
    this.#remoteStatic = out.remoteStatic;
    this.#phase = 'open';
    this.#timers.clearTimeout(this.#timer);
    this.#clearFirstActTimer();
    this.#armIdle();
    const ok = this.#onOpen;
    this.#onOpen = undefined;
    this.#onFail = undefined;
    ok?.(this);
  }

  #onDrain(): void {
    const ws = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of ws) w.resolve();
  }

  #onEnd(): void {
    if (this.#phase === 'closed') return;
    if (this.#phase === 'handshake') {
      this.#fail(new ConnectionClosedError('peer closed the connection during the handshake'));
      return;
    }
    if (this.#transport !== undefined && this.#transport.bufferedBytes > 0) {
      this.#fail(new TransportError('connection ended in the middle of a frame'));
      return;
    }
    this.#finish(undefined);
  }

  /** Closes the channel with `err` (the first error wins). `clean` marks a local destroy. */
  #fail(err: unknown, clean = false): void {
    if (this.#phase === 'closed') return;
    const e = NoiseError.isInstance(err) ? err : new TransportError('unexpected failure', { cause: err });
    this.#channel.destroy();
    this.#finish(clean && this.#phase !== 'handshake' ? undefined : e, e);
  }

  #finish(error: NoiseError | undefined, rejectWith?: NoiseError): void {
    const wasHandshake = this.#phase === 'handshake';
    this.#phase = 'closed';
    this.#error = error;
    this.#timers.clearTimeout(this.#timer);
    this.#clearFirstActTimer();
    this.#clearIdle();
    const reason = rejectWith ?? error ?? new ConnectionClosedError('connection closed');
    if (wasHandshake) {
      const fail = this.#onFail;
      this.#onOpen = undefined;
      this.#onFail = undefined;
      fail?.(reason);
    }
    this.#rejectDrainWaiters(reason);
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) {
      if (error !== undefined) w.reject(error);
      else w.resolve(undefined);
    }
    this.#resolveClosed(error);
  }

  /** (Re)starts the idle deadline while the session is open and reading. */
  #armIdle(): void {
    const ms = this.#idleTimeout;
    if (ms === undefined || this.#phase !== 'open' || this.#paused) return;
    this.#clearIdle();
    this.#idleTimer = this.#timers.setTimeout(() => {
      this.#idleTimer = undefined;
      this.#fail(new IdleTimeoutError(ms));
    }, ms);
  }

  #clearIdle(): void {
    if (this.#idleTimer === undefined) return;
    this.#timers.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #clearFirstActTimer(): void {
    if (this.#firstActTimer === undefined) return;
    this.#timers.clearTimeout(this.#firstActTimer);
    this.#firstActTimer = undefined;
  }

  #rejectDrainWaiters(err: unknown): void {
    const ds = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const d of ds) d.reject(err);
  }
}
