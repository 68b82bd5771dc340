/**
 * The embedder's event queue (LDK's `next_event`/`event_handled`): the `events` journal a role appends
 * to in its updates, read in order behind a cursor that is itself persisted.
 *
 * **Delivery: at-least-once.** {@link EventQueue.nextEvent} returns the first journal event after the
 * cursor (the same one until it is acknowledged); {@link EventQueue.eventHandled} moves the cursor past
 * it with its own durable update, committed through the store's {@link Sequencer}. After a crash, an
 * event that was delivered but not acknowledged is delivered again, so handlers must be idempotent;
 * an acknowledged one never comes back. Events of one update come in their index order, updates in id
 * order.
 *
 * The cursor is a `blobs` record (`persist/event-cursor` unless configured; version 1, 12 bytes: the
 * update id as u64 and the event index as u32, big-endian).
 *
 * @module
 */
import { CorruptDatabaseError, InvalidArgumentError, NoEventError } from './errors.js';
import type { Sequencer } from './sequencer.js';
import type { EventRecord } from './tables.js';

/** The default blob key of the queue's cursor. */
export const EVENT_CURSOR_KEY = 'persist/event-cursor';

const CURSOR_VERSION = 1;

/** Options of {@link EventQueue.open}. */
export interface EventQueueOptions {
  /** Blob key holding the cursor (default {@link EVENT_CURSOR_KEY}); one queue per key. */
  readonly cursorKey?: string;
}

interface Position {
  readonly updateId: bigint;
  readonly index: number;
}

/** Reads a store's event journal in order, behind a persisted cursor. */
export class EventQueue {
  readonly #seq: Sequencer;
  readonly #key: string;
  /** The last acknowledged event (undefined: none yet). */
  #cursor: Position | undefined;
  /** The event `nextEvent` returned and nobody acknowledged yet. */
  #pending: EventRecord | undefined;
  #wake: (() => void) | undefined;
  #woken: Promise<void> | undefined;

  private constructor(seq: Sequencer, key: string, cursor: Position | undefined) {
    this.#seq = seq;
    this.#key = key;
    this.#cursor = cursor;
    seq.onCommit((_ack, ops) => {
      if (ops.some((o) => o.op === 'event')) this.#notify();
    });
  }

  /**
   * The queue of `sequencer`'s store, resuming after its persisted cursor.
   *
   * @throws {CorruptDatabaseError} the cursor record is malformed.
   */
  static async open(sequencer: Sequencer, options: EventQueueOptions = {}): Promise<EventQueue> {
    const key = options.cursorKey ?? EVENT_CURSOR_KEY;
    if (typeof key !== 'string' || key.length === 0)
      throw new InvalidArgumentError('options.cursorKey', 'expected a non-empty string');
    const blob = await sequencer.store.get('blobs', { key });
    return new EventQueue(sequencer, key, blob === undefined ? undefined : decodeCursor(key, blob));
  }

  /**
   * The first event after the last acknowledged one, or undefined when there is none. Returns the
   * same event until {@link eventHandled} acknowledges it.
   */
  async nextEvent(): Promise<EventRecord | undefined> {
    if (this.#pending !== undefined) return this.#pending;
    const c = this.#cursor;
    const store = this.#seq.store;
    let next: EventRecord | undefined;
    if (c === undefined) next = (await store.events({ limit: 1 }))[0];
    else {
      // Indexes of one update are 0, 1, 2…: after (u, i) come at most i + 1 events of u, then the next.
      const rows = await store.events({ afterUpdateId: c.updateId - 1n, limit: c.index + 2 });
      next = rows.find((e) => e.updateId > c.updateId || (e.updateId === c.updateId && e.index > c.index));
    }
    // Another call may have delivered (or acknowledged) meanwhile: keep one pending event.
    if (this.#pending !== undefined) return this.#pending;
    if (next !== undefined && !after(next, this.#cursor)) return this.nextEvent();
    this.#pending = next;
    return next;
  }

  /**
   * Acknowledges the event {@link nextEvent} returned: the cursor moves past it at once (a later
   * `nextEvent` returns the one after) and resolves once that is durable.
   *
   * @throws {NoEventError} no event is waiting for its acknowledgement.
   * @throws {SequencerFailedError} the cursor could not be committed (the event will be delivered
   *   again after a restart).
   */
  async eventHandled(): Promise<void> {
    const e = this.#pending;
    if (e === undefined) throw new NoEventError();
    this.#pending = undefined;
    this.#cursor = { updateId: e.updateId, index: e.index };
    await this.#seq.commit([
      {
        op: 'put',
        table: 'blobs',
        row: { key: this.#key, version: CURSOR_VERSION, data: encodeCursor(e), secret: false },
      },
    ]);
  }

  /**
   * The next event, waiting for one to be committed if there is none (like {@link nextEvent}, it is
   * not acknowledged). Rejects with `signal.reason` when `signal` aborts.
   */
  async waitForEvent(signal?: AbortSignal): Promise<EventRecord> {
    for (;;) {
      signal?.throwIfAborted();
      this.#woken ??= new Promise<void>((r) => {
        this.#wake = r;
      });
      const woken = this.#woken;
      const e = await this.nextEvent();
      if (e !== undefined) return e;
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal?.reason);
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        void woken.then(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    this.#woken = undefined;
    w?.();
  }
}

function after(e: EventRecord, c: Position | undefined): boolean {
  return c === undefined || e.updateId > c.updateId || (e.updateId === c.updateId && e.index > c.index);
}

function encodeCursor(e: EventRecord): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, e.updateId);
  v.setUint32(8, e.index);
  return out;
}

function decodeCursor(key: string, blob: { version: number; data: Uint8Array }): Position {
  if (blob.version !== CURSOR_VERSION || blob.data.length !== 12)
    throw new CorruptDatabaseError(
      `blobs.${key}`,
      `event cursor of version ${blob.version} and ${blob.data.length} bytes (expected version 1, 12 bytes)`,
    );
  const v = new DataView(blob.data.buffer, blob.data.byteOffset, 12);
  return { updateId: v.getBigUint64(0), index: v.getUint32(8) };
}
