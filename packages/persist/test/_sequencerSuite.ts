// The Sequencer and EventQueue suite: every backend runs exactly these tests.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CorruptDatabaseError,
  EVENT_CURSOR_KEY,
  EventQueue,
  NoEventError,
  type Op,
  Sequencer,
  SequencerFailedError,
  type Store,
  UpdateFailedError,
} from '../src/index.js';
import type { StoreHarness } from './conformance.js';

const b = (n: number, len = 32) => new Uint8Array(len).fill(n);
const event = (n: number): Op => ({ op: 'event', kind: `k${n}`, payload: Uint8Array.of(n) });
const blob = (key: string, n: number): Op => ({
  op: 'put',
  table: 'blobs',
  row: { key, version: 1, data: Uint8Array.of(n), secret: false },
});
const channel = (id: number, state = 'open'): Op => ({
  op: 'put',
  table: 'channels',
  row: { channelId: b(id), factoryId: null, localSats: 1n, remoteSats: 1n, commitmentNumber: 0, state },
});

export function sequencerSuite(name: string, make: () => Promise<StoreHarness>): void {
  describe(`Sequencer and EventQueue: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await make();
      store = await h.open();
    });
    afterEach(async () => {
      await store.close().catch(() => undefined);
      await h.destroy();
    });

    it('numbers updates from lastUpdateId() + 1, in call order, also when commits overlap', async () => {
      await store.applyUpdate({ id: 1n, ops: [blob('x', 1)] });
      await store.applyUpdate({ id: 2n, ops: [blob('x', 2)] });
      const seq = await Sequencer.open(store);
      expect(seq.nextId).toBe(3n);
      const acks = await Promise.all(Array.from({ length: 40 }, (_, i) => seq.commit([blob('x', 10 + i)])));
      expect(acks.map((a) => a.id)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(3 + i)));
      expect(await store.lastUpdateId()).toBe(42n);
      // The last commit in call order is the last applied.
      expect((await store.get('blobs', { key: 'x' }))?.data).toEqual(Uint8Array.of(49));
      expect(seq.pending).toBe(0);
    });

    it('fail-stop: a refused update fails the sequencer, and later commits never reach the store', async () => {
      await h.injectChannelFailure();
      const seq = await Sequencer.open(store);
      const failures: SequencerFailedError[] = [];
      seq.onFail((e) => failures.push(e));
      await seq.commit([channel(1)]);
      const bad = await seq.commit([channel(2, 'fail')]).catch((e: unknown) => e);
      expect(SequencerFailedError.isInstance(bad)).toBe(true);
      expect((bad as SequencerFailedError).updateId).toBe(2n);
      expect(UpdateFailedError.isInstance((bad as SequencerFailedError).cause)).toBe(true);
      expect(seq.failure).toBe(failures[0]);
      const later = await seq.commit([channel(3)]).catch((e: unknown) => e);
      expect(SequencerFailedError.isInstance(later)).toBe(true);
      expect((later as SequencerFailedError).updateId).toBeUndefined();
      expect(seq.nextId).toBe(3n); // nothing was numbered after the failure
      expect(await store.lastUpdateId()).toBe(1n);
      expect(await store.get('channels', { channelId: b(3) })).toBeUndefined();
      expect(failures).toHaveLength(1);
      let late: unknown;
      seq.onFail((e) => {
        late = e;
      });
      expect(late).toBe(failures[0]);
    });

    it('fail-stop: a malformed operation fails the sequencer too (its id is spent)', async () => {
      const seq = await Sequencer.open(store);
      const bad = await seq
        .commit([{ op: 'put', table: 'blobs', row: { key: 'x' } } as unknown as Op])
        .catch((e: unknown) => e);
      expect((bad as SequencerFailedError).code).toBe('PERSIST_SEQUENCER_FAILED');
      await expect(seq.commit([blob('y', 1)])).rejects.toMatchObject({ code: 'PERSIST_SEQUENCER_FAILED' });
      expect(await store.lastUpdateId()).toBe(0n);
    });

    it('idle() waits for every commit in flight', async () => {
      const seq = await Sequencer.open(store);
      const done: bigint[] = [];
      for (let i = 0; i < 10; i++) void seq.commit([blob('x', i)]).then((a) => done.push(a.id));
      await seq.idle();
      expect(done).toHaveLength(10);
    });

    it('delivers events in update order and index order, the same one until it is acknowledged', async () => {
      const seq = await Sequencer.open(store);
      const q = await EventQueue.open(seq);
      expect(await q.nextEvent()).toBeUndefined();
      await expect(q.eventHandled()).rejects.toSatisfy((e) => NoEventError.isInstance(e));
      await seq.commit([event(1), blob('x', 1), event(2), event(3)]);
      await seq.commit([blob('x', 2)]);
      await seq.commit([event(4)]);
      const seen: string[] = [];
      for (;;) {
        const e = await q.nextEvent();
        if (e === undefined) break;
        expect(await q.nextEvent()).toEqual(e);
        seen.push(`${e.updateId}.${e.index}:${e.kind}`);
        await q.eventHandled();
      }
      expect(seen).toEqual(['1.0:k1', '1.1:k2', '1.2:k3', '3.0:k4']);
    });

    it('the cursor is persisted: a new queue resumes after the last acknowledged event', async () => {
      let seq = await Sequencer.open(store);
      let q = await EventQueue.open(seq);
      await seq.commit([event(1), event(2)]);
      await seq.commit([event(3)]);
      expect((await q.nextEvent())?.kind).toBe('k1');
      await q.eventHandled();
      expect((await q.nextEvent())?.kind).toBe('k2'); // delivered, never acknowledged
      await store.close();
      store = await h.open();
      seq = await Sequencer.open(store);
      q = await EventQueue.open(seq);
      expect((await q.nextEvent())?.kind).toBe('k2');
      await q.eventHandled();
      expect((await q.nextEvent())?.kind).toBe('k3');
      const cursor = await store.get('blobs', { key: EVENT_CURSOR_KEY });
      expect(cursor?.data).toEqual(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]));
    });

    it('waitForEvent wakes when an update with an event commits, and honours its signal', async () => {
      const seq = await Sequencer.open(store);
      const q = await EventQueue.open(seq);
      const waiting = q.waitForEvent();
      await seq.commit([blob('x', 1)]);
      await seq.commit([event(7)]);
      expect((await waiting).kind).toBe('k7');
      await q.eventHandled();
      const ac = new AbortController();
      const aborted = q.waitForEvent(ac.signal).catch((e: unknown) => e);
      ac.abort(new Error('stop'));
      expect(await aborted).toMatchObject({ message: 'stop' });
    });

    it('a malformed cursor record is CorruptDatabaseError', async () => {
      await store.applyUpdate({
        id: 1n,
        ops: [{ op: 'put', table: 'blobs', row: { key: 'cur', version: 2, data: b(0, 12), secret: false } }],
      });
      const seq = await Sequencer.open(store);
      await expect(EventQueue.open(seq, { cursorKey: 'cur' })).rejects.toSatisfy((e) =>
        CorruptDatabaseError.isInstance(e),
      );
    });
  });
}
