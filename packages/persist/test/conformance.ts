// The Store conformance suite: every backend runs exactly these tests (STYLE.md §11, arkade-style).
// A backend supplies a harness that opens one database (again and again, with any key), runs raw SQL
// against it for fault injection, and destroys it.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { propertyRuns } from '../../../test-utils/index.js';
import {
  BACKUP_VERSION,
  type ColumnSpec,
  InvalidArgumentError,
  MAX_KEY_BYTES,
  type MutableTableName,
  PersistError,
  SCHEMA_VERSION,
  type Store,
  type StoreOptions,
  TABLE_SPECS,
  type TableSpec,
  type Update,
  UpdateGapError,
  verifyBackup,
} from '../src/index.js';

/** One database under test. */
export interface StoreHarness {
  /** `sqlite` or `postgres` (for the few raw SQL snippets that differ). */
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Opens the database (created on first use) with `sealingKey` (default {@link KEY}) and the
   * store options given (default: the suite's {@link HOLD}).
   */
  open(sealingKey?: Uint8Array, options?: Partial<StoreOptions>): Promise<Store>;
  /** Runs raw SQL on the database outside the store (fault injection, raw inspection). */
  query(text: string): Promise<Record<string, unknown>[]>;
  /** Installs a trigger that makes any write of a channel whose state is 'fail' abort. */
  injectChannelFailure(): Promise<void>;
  /** Drops the database. */
  destroy(): Promise<void>;
}

export const KEY = new Uint8Array(32).fill(0x42);
export const OTHER_KEY = new Uint8Array(32).fill(0x43);
export const WEAK = { kdf: { log2N: 10, r: 8, p: 1 }, allowWeakKdf: true } as const;
/**
 * The suite's hold for updates that arrive before their predecessors (the default, 1 s, would make the
 * gap properties slow; tests that need the hold to outlast a slow commit pass their own).
 */
export const HOLD = { holdMs: 30 } as const;

const b = (n: number, len = 32) => new Uint8Array(len).fill(n);

function expectCode(e: unknown, code: string): void {
  expect(PersistError.isInstance(e), `expected a PersistError ${code}, got ${String(e)}`).toBe(true);
  expect((e as PersistError).code).toBe(code);
}

async function rejects(p: Promise<unknown>, code: string): Promise<PersistError> {
  try {
    await p;
  } catch (e) {
    expectCode(e, code);
    return e as PersistError;
  }
  throw new Error(`expected rejection with ${code}`);
}

function channel(id: number, state = 'open', local = 1000n) {
  return {
    op: 'put' as const,
    table: 'channels' as const,
    row: { channelId: b(id), factoryId: null, localSats: local, remoteSats: 5n, commitmentNumber: 1, state },
  };
}

function invoice(n: number, preimage: Uint8Array | null) {
  return {
    op: 'put' as const,
    table: 'invoices' as const,
    row: { paymentHash: b(n), preimage, amountMsat: BigInt(n), state: 'open', expiresAt: null },
  };
}

const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\u0000'));

function arbColumn(c: ColumnSpec, inKey: boolean): fc.Arbitrary<unknown> {
  let a: fc.Arbitrary<unknown>;
  switch (c.kind) {
    case 'bytes':
      a = inKey ? fc.uint8Array({ minLength: 1, maxLength: 3, max: 3 }) : fc.uint8Array({ maxLength: 48 });
      break;
    case 'bigint':
      a = inKey ? fc.bigInt(0n, 3n) : fc.bigInt(c.min ?? -(2n ** 63n), c.max ?? 2n ** 63n - 1n);
      break;
    case 'txid':
      a = inKey
        ? fc.constantFrom('00'.repeat(32), 'ab'.repeat(32), `${'0'.repeat(63)}1`)
        : fc.uint8Array({ minLength: 32, maxLength: 32 }).map((x) => Buffer.from(x).toString('hex'));
      break;
    case 'int':
      a = inKey ? fc.integer({ min: 0, max: 3 }) : fc.maxSafeInteger();
      break;
    case 'text':
      a = inKey ? fc.constantFrom('a', 'b', 'é') : text;
      break;
    case 'bool':
      a = fc.boolean();
      break;
  }
  return c.nullable ? fc.option(a, { nil: null }) : a;
}

function arbRow(spec: TableSpec): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    Object.fromEntries(spec.columns.map((c) => [c.field, arbColumn(c, spec.key.includes(c.field))])),
  );
}

const MUTABLE = TABLE_SPECS.filter((t) => t.name !== 'events');

function keyOf(spec: TableSpec, row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(spec.key.map((k) => [k, row[k]]));
}

function keyString(spec: TableSpec, row: Record<string, unknown>): string {
  return spec.key
    .map((k) => {
      const v = row[k];
      return v instanceof Uint8Array ? Array.from(v).join('.') : String(v);
    })
    .join('|');
}

/** Registers the conformance suite for one backend. */
export function storeConformance(name: string, make: () => Promise<StoreHarness>): void {
  describe(`Store conformance: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await make();
      store = await h.open();
    });
    afterEach(async () => {
      await store.close();
      await h.destroy();
    });

    it('a new store is empty at the current schema version', async () => {
      expect(await store.lastUpdateId()).toBe(0n);
      expect(store.schemaVersion).toBe(SCHEMA_VERSION);
      expect(store.keyId.length).toBe(8);
      for (const t of TABLE_SPECS) expect(await store.list(t.name)).toEqual([]);
    });

    it('several processes opening one fresh database at once all succeed on one schema', async () => {
      const h2 = await make();
      try {
        const stores = await Promise.all([h2.open(), h2.open(), h2.open()]);
        await stores[0]?.applyUpdate({ id: 1n, ops: [channel(1)] });
        for (const s of stores) expect(await s.lastUpdateId()).toBe(1n);
        await Promise.all(stores.map((s) => s.close()));
        const versions = await h2.query('select version from schema_version');
        expect(versions.length).toBe(SCHEMA_VERSION);
      } finally {
        await h2.destroy();
      }
    });

    it('every table round-trips arbitrary rows exactly, last write per key wins', async () => {
      let id = 0n;
      const model = new Map<string, Map<string, Record<string, unknown>>>();
      await fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(...MUTABLE)
            .chain((spec) =>
              fc.tuple(fc.constant(spec), fc.array(arbRow(spec), { minLength: 1, maxLength: 6 })),
            ),
          async ([spec, rows]) => {
            id += 1n;
            const ack = await store.applyUpdate({
              id,
              ops: rows.map(
                (row) =>
                  ({
                    op: 'put',
                    table: spec.name as MutableTableName,
                    row,
                  }) as unknown as Update['ops'][number],
              ),
            });
            expect(ack).toEqual({ id });
            const m = model.get(spec.name) ?? new Map();
            model.set(spec.name, m);
            for (const row of rows) m.set(keyString(spec, row), row);
            for (const row of rows)
              expect(await store.get(spec.name, keyOf(spec, row) as never)).toEqual(
                m.get(keyString(spec, row)),
              );
            expect(await store.list(spec.name)).toHaveLength(m.size);
          },
        ),
        { numRuns: propertyRuns(150, 25) },
      );
      expect(await store.lastUpdateId()).toBe(id);
    });

    it('ids must follow on: a gap still open after the hold is refused and writes nothing', async () => {
      await store.applyUpdate({ id: 1n, ops: [channel(1)] });
      const e = await rejects(store.applyUpdate({ id: 3n, ops: [channel(2)] }), 'PERSIST_UPDATE_GAP');
      expect(e).toMatchObject({ id: 3n, lastId: 1n });
      expect(UpdateGapError.isInstance(e)).toBe(true);
      expect(await store.get('channels', { channelId: b(2) })).toBeUndefined();
      expect(await store.lastUpdateId()).toBe(1n);
      await rejects(store.applyUpdate({ id: 0n, ops: [] }), 'PERSIST_INVALID_ARGUMENT');
      expect(await store.applyUpdate({ id: 2n, ops: [channel(2)] })).toEqual({ id: 2n });
    });

    it('a replayed id with the same ops is a no-op returning the same ack; with other ops it is refused', async () => {
      const u: Update = { id: 1n, ops: [channel(1), { op: 'event', kind: 'k', payload: b(1, 3) }] };
      const ack = await store.applyUpdate(u);
      expect(await store.applyUpdate(u)).toEqual(ack);
      expect(await store.events()).toHaveLength(1);
      await rejects(store.applyUpdate({ id: 1n, ops: [channel(1, 'closed')] }), 'PERSIST_UPDATE_CONFLICT');
      expect((await store.get('channels', { channelId: b(1) }))?.state).toBe('open');
      expect(await store.lastUpdateId()).toBe(1n);
    });

    it('the id sequence matches a model under random applies, replays and gaps', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 1, maxLength: 12 }),
          async (steps) => {
            let last = await store.lastUpdateId();
            for (const s of steps) {
              const raw = last + BigInt(s === 0 ? 1 : s);
              const id = raw < 1n ? 1n : raw;
              const u: Update = { id, ops: [channel(Number(id % 200n) + 1, `s${id}`)] };
              if (id === last + 1n) {
                expect(await store.applyUpdate(u)).toEqual({ id });
                last = id;
              } else if (id > last + 1n) await rejects(store.applyUpdate(u), 'PERSIST_UPDATE_GAP');
              // a replay: every id was applied with these same ops, so the same ack
              else expect(await store.applyUpdate(u)).toEqual({ id });
            }
            expect(await store.lastUpdateId()).toBe(last);
          },
        ),
        { numRuns: propertyRuns(60, 15) },
      );
    });

    it('concurrent updates are grouped, all acknowledged in order, and all durable', async () => {
      const n = 300;
      const acks = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          store.applyUpdate({
            id: BigInt(i + 1),
            ops: [
              channel((i % 50) + 1, 'open', BigInt(i)),
              { op: 'event', kind: 'step', payload: b(i % 256, 4) },
            ],
          }),
        ),
      );
      expect(acks.map((a) => a.id)).toEqual(Array.from({ length: n }, (_, i) => BigInt(i + 1)));
      await store.close();
      store = await h.open();
      expect(await store.lastUpdateId()).toBe(BigInt(n));
      const ev = await store.events();
      expect(ev.map((e) => e.updateId)).toEqual(acks.map((a) => a.id));
      expect((await store.get('channels', { channelId: b(50) }))?.localSats).toBe(BigInt(n - 1));
    });

    it('a group of updates touching the same rows ends as if applied one by one', async () => {
      const del = (id: number) => ({
        op: 'delete' as const,
        table: 'channels' as const,
        key: { channelId: b(id) },
      });
      const steps: Update['ops'][] = [
        [channel(1, 'a'), channel(2, 'a')],
        [del(1), channel(3, 'a')],
        [channel(1, 'b'), del(2)],
        [del(3), channel(3, 'c'), channel(1, 'c')],
        [del(1)],
        [channel(1, 'd'), del(4)],
      ];
      await Promise.all(steps.map((ops, i) => store.applyUpdate({ id: BigInt(i + 1), ops })));
      const rows = await store.list('channels');
      expect(rows.map((r) => [r.channelId[0], r.state])).toEqual([
        [1, 'd'],
        [3, 'c'],
      ]);
    });

    it('updates submitted out of id order within the hold are applied in id order', async () => {
      const r = await Promise.allSettled(
        [1n, 2n, 4n, 3n].map((id) => store.applyUpdate({ id, ops: [channel(Number(id))] })),
      );
      expect(r.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(await store.lastUpdateId()).toBe(4n);
      expect(await store.get('channels', { channelId: b(4) })).toBeDefined();
    });

    /** 300 updates whose later ones overwrite earlier ones, so the final state shows the order. */
    function orderedStream(n: number): Update[] {
      return Array.from({ length: n }, (_, i) => ({
        id: BigInt(i + 1),
        ops: [
          channel((i % 7) + 1, `s${i + 1}`, BigInt(i)),
          ...(i % 5 === 4
            ? [{ op: 'delete' as const, table: 'channels' as const, key: { channelId: b(8) } }]
            : []),
          ...(i % 5 === 2 ? [channel(8, `s${i + 1}`)] : []),
          { op: 'event' as const, kind: 'step', payload: b(i % 256, 4) },
        ],
      }));
    }
    async function expectAppliedInOrder(s: Store, n: number): Promise<void> {
      expect(await s.lastUpdateId()).toBe(BigInt(n));
      const ev = await s.events();
      expect(ev.map((e) => e.updateId)).toEqual(Array.from({ length: n }, (_, i) => BigInt(i + 1)));
      // The last writer of each channel is the highest id touching it.
      for (let c = 1; c <= 7; c++) {
        const last = Math.max(...Array.from({ length: n }, (_, i) => i).filter((i) => i % 7 === c - 1));
        expect((await s.get('channels', { channelId: b(c) }))?.state).toBe(`s${last + 1}`);
      }
      const lastDelete = Math.max(...Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 === 4));
      const lastPut = Math.max(...Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 === 2));
      expect((await s.get('channels', { channelId: b(8) })) !== undefined).toBe(lastPut > lastDelete);
    }

    it('300 updates submitted concurrently in a shuffled order are all applied in id order', async () => {
      const n = 300;
      const updates = fc.sample(fc.shuffledSubarray(orderedStream(n), { minLength: n }), {
        numRuns: 1,
        seed: 17,
      })[0] as Update[];
      expect(updates.map((u) => u.id)).not.toEqual(orderedStream(n).map((u) => u.id));
      const order: bigint[] = [];
      const acks = await Promise.all(
        updates.map((u) =>
          store.applyUpdate(u).then((a) => {
            order.push(a.id);
            return a;
          }),
        ),
      );
      expect(acks.map((a) => a.id)).toEqual(updates.map((u) => u.id));
      expect(order).toEqual(Array.from({ length: n }, (_, i) => BigInt(i + 1)));
      await expectAppliedInOrder(store, n);
      await store.close();
      store = await h.open();
      await expectAppliedInOrder(store, n);
    });

    it('shuffled updates arriving over many ticks, while groups commit, are applied in id order', async () => {
      const n = 300;
      // Hold longer than any commit here can take: this test is about order, not the hold.
      await store.close();
      store = await h.open(KEY, { holdMs: 60_000, maxBatch: 16 });
      const [updates, delays] = fc.sample(
        fc.tuple(
          fc.shuffledSubarray(orderedStream(n), { minLength: n }),
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
        ),
        { numRuns: 1, seed: 42 },
      )[0] as [Update[], number[]];
      const acks: Promise<unknown>[] = [];
      for (const [i, u] of updates.entries()) {
        acks.push(store.applyUpdate(u));
        for (let k = 0; k < (delays[i] as number); k++) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(acks);
      await expectAppliedInOrder(store, n);
    });

    it('the held updates are bounded: beyond maxHeld the highest ids are refused at once', async () => {
      await store.close();
      store = await h.open(KEY, { holdMs: 60_000, maxHeld: 2 });
      const settled = [5n, 3n, 4n].map((id) =>
        store.applyUpdate({ id, ops: [channel(Number(id))] }).then(
          () => 'applied',
          (e) => (e as PersistError).code,
        ),
      );
      // 5 is refused while 3 and 4 are still held (the hold is 60 s): only the count can refuse it.
      expect(await settled[0]).toBe('PERSIST_UPDATE_GAP');
      await store.applyUpdate({ id: 1n, ops: [channel(1)] });
      await store.applyUpdate({ id: 2n, ops: [channel(2)] });
      expect(await Promise.all(settled.slice(1))).toEqual(['applied', 'applied']);
      expect(await store.lastUpdateId()).toBe(4n);
      expect(await store.get('channels', { channelId: b(5) })).toBeUndefined();
    });

    it('closing the store refuses the updates still waiting for their predecessors', async () => {
      await store.close();
      store = await h.open(KEY, { holdMs: 60_000 });
      await store.applyUpdate({ id: 1n, ops: [channel(1)] });
      const held = store.applyUpdate({ id: 3n, ops: [channel(3)] });
      await store.close();
      const e = await rejects(held, 'PERSIST_UPDATE_GAP');
      expect(e).toMatchObject({ id: 3n, lastId: 1n });
      store = await h.open();
      expect(await store.lastUpdateId()).toBe(1n);
    });

    it('keys and indexed fields are limited to MAX_KEY_BYTES, identically on every backend', async () => {
      const rnd = (len: number) => Uint8Array.from({ length: len }, (_, i) => (i * 7919 + 13) & 0xff);
      const ascii = (len: number) =>
        Array.from({ length: len }, (_, i) => String.fromCharCode(33 + ((i * 31) % 90))).join('');
      // At the limit, in every key and indexed field of the widest composite key: accepted and read back.
      const htlc = {
        channelId: rnd(MAX_KEY_BYTES),
        direction: ascii(MAX_KEY_BYTES),
        htlcId: 1n,
        amountMsat: 1n,
        paymentHash: rnd(MAX_KEY_BYTES),
        cltvExpiry: 1,
        state: 'x',
      };
      const blob = { key: 'é'.repeat(MAX_KEY_BYTES / 2), version: 1, data: b(1, 10), secret: false };
      await store.applyUpdate({
        id: 1n,
        ops: [
          { op: 'put', table: 'htlcs', row: htlc },
          { op: 'put', table: 'blobs', row: blob },
          {
            op: 'put',
            table: 'factories',
            row: {
              factoryId: rnd(MAX_KEY_BYTES),
              params: rnd(100_000),
              state: ascii(MAX_KEY_BYTES),
              fundingTxid: null,
              fundingVout: null,
              timeoutHeight: 1,
            },
          },
        ],
      });
      expect(
        await store.get('htlcs', { channelId: htlc.channelId, direction: htlc.direction, htlcId: 1n }),
      ).toEqual(htlc);
      expect(await store.get('blobs', { key: blob.key })).toEqual(blob);
      // One byte over (text counted in UTF-8), and the 2 MB key PostgreSQL's index used to refuse.
      const over: [Update['ops'][number], RegExp][] = [
        [
          { op: 'put', table: 'blobs', row: { ...blob, key: ascii(MAX_KEY_BYTES + 1) } },
          /row\.key: 1025 UTF-8 bytes/,
        ],
        [
          { op: 'put', table: 'blobs', row: { ...blob, key: `${'é'.repeat(MAX_KEY_BYTES / 2)}a` } },
          /row\.key/,
        ],
        [{ op: 'put', table: 'blobs', row: { ...blob, key: 'k'.repeat(2_000_000) } }, /row\.key/],
        [
          { op: 'put', table: 'htlcs', row: { ...htlc, channelId: rnd(MAX_KEY_BYTES + 1) } },
          /row\.channelId: 1025 bytes/,
        ],
        [{ op: 'put', table: 'htlcs', row: { ...htlc, paymentHash: rnd(2_000_000) } }, /row\.paymentHash/],
        [
          {
            op: 'put',
            table: 'factories',
            row: {
              factoryId: b(1),
              params: b(1),
              state: 's'.repeat(2_000_000),
              fundingTxid: null,
              fundingVout: null,
              timeoutHeight: 1,
            },
          },
          /row\.state/,
        ],
        [{ op: 'delete', table: 'blobs', key: { key: 'k'.repeat(MAX_KEY_BYTES + 1) } }, /key\.key/],
      ];
      for (const [op, re] of over) {
        const e = await rejects(store.applyUpdate({ id: 2n, ops: [op] }), 'PERSIST_INVALID_ARGUMENT');
        expect(e.message).toMatch(re);
      }
      await rejects(store.get('blobs', { key: 'k'.repeat(2_000_000) }), 'PERSIST_INVALID_ARGUMENT');
      expect(await store.lastUpdateId()).toBe(1n);
    });

    it('amounts are never negative nor above the money supply; txids are display-order hex', async () => {
      const row = channel(1).row;
      const htlc = {
        channelId: b(1),
        direction: 'offered',
        htlcId: 1n,
        amountMsat: 1n,
        paymentHash: b(2),
        cltvExpiry: 1,
        state: 'x',
      };
      const bad: [Update['ops'][number], RegExp][] = [
        [{ op: 'put', table: 'channels', row: { ...row, localSats: -1n } }, /row\.localSats: -1 is outside/],
        [{ op: 'put', table: 'channels', row: { ...row, remoteSats: -5n } }, /row\.remoteSats/],
        [
          { op: 'put', table: 'channels', row: { ...row, localSats: 2_100_000_000_000_001n } },
          /row\.localSats/,
        ],
        [{ op: 'put', table: 'htlcs', row: { ...htlc, amountMsat: -1n } }, /row\.amountMsat/],
        [{ ...invoice(1, null), row: { ...invoice(1, null).row, amountMsat: -1n } }, /row\.amountMsat/],
        [
          { op: 'delete', table: 'broadcasts', key: { txid: 'AB'.repeat(32) } },
          /key\.txid: expected a display-order txid/,
        ],
        [{ op: 'delete', table: 'broadcasts', key: { txid: 'ab'.repeat(31) } }, /key\.txid/],
        [{ op: 'delete', table: 'broadcasts', key: { txid: b(1) as never } }, /key\.txid/],
      ];
      for (const [op, re] of bad) {
        const e = await rejects(store.applyUpdate({ id: 1n, ops: [op] }), 'PERSIST_INVALID_ARGUMENT');
        expect(e.message).toMatch(re);
      }
      await store.applyUpdate({
        id: 1n,
        ops: [
          {
            op: 'put',
            table: 'channels',
            row: { ...row, localSats: 0n, remoteSats: 2_100_000_000_000_000n },
          },
          { op: 'put', table: 'htlcs', row: { ...htlc, amountMsat: 0n } },
        ],
      });
      expect((await store.get('channels', { channelId: b(1) }))?.remoteSats).toBe(2_100_000_000_000_000n);
    });

    it('an update the backend refuses is all-or-nothing, and does not take its group down', async () => {
      await h.injectChannelFailure();
      await store.applyUpdate({ id: 1n, ops: [channel(1)] });
      const blob = {
        op: 'put' as const,
        table: 'blobs' as const,
        row: { key: 'x', version: 1, data: b(9, 2000), secret: false },
      };
      const r = await Promise.allSettled([
        store.applyUpdate({ id: 2n, ops: [channel(2)] }),
        store.applyUpdate({
          id: 3n,
          ops: [blob, { op: 'event', kind: 'e', payload: b(1, 1) }, channel(3, 'fail')],
        }),
        store.applyUpdate({ id: 3n, ops: [channel(3)] }),
      ]);
      expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expectCode((r[1] as PromiseRejectedResult).reason, 'PERSIST_UPDATE_FAILED');
      expect(await store.get('blobs', { key: 'x' })).toBeUndefined();
      expect((await store.events()).length).toBe(0);
      expect(await store.lastUpdateId()).toBe(3n);
      expect((await store.get('channels', { channelId: b(3) }))?.state).toBe('open');
    });

    it('acknowledged updates survive close and reopen', async () => {
      await store.applyUpdate({ id: 1n, ops: [invoice(1, b(7)), channel(1)] });
      await store.close();
      store = await h.open();
      expect(await store.lastUpdateId()).toBe(1n);
      expect((await store.get('invoices', { paymentHash: b(1) }))?.preimage).toEqual(b(7));
      await store.applyUpdate({
        id: 2n,
        ops: [{ op: 'delete', table: 'channels', key: { channelId: b(1) } }],
      });
      expect(await store.get('channels', { channelId: b(1) })).toBeUndefined();
    });

    it('secrets are sealed at rest: the plaintext never reaches a column', async () => {
      const secret = b(0xab);
      await store.applyUpdate({
        id: 1n,
        ops: [
          invoice(1, secret),
          { op: 'put', table: 'lstockSecrets', row: { factoryId: b(1), c: 5, secret } },
          { op: 'put', table: 'blobs', row: { key: 's', version: 1, data: secret, secret: true } },
          { op: 'put', table: 'blobs', row: { key: 'p', version: 1, data: secret, secret: false } },
        ],
      });
      const raw = [
        ...(await h.query('select preimage as v from invoices')),
        ...(await h.query('select secret as v from lstock_secrets')),
        ...(await h.query("select data as v from blobs where blob_key = 's'")),
      ].map((r) => new Uint8Array(r.v as Uint8Array));
      for (const v of raw) {
        expect(v[0]).toBe(1); // envelope version
        expect(v.length).toBe(1 + 8 + 12 + 32 + 16);
        expect(Buffer.from(v).includes(Buffer.from(secret))).toBe(false);
      }
      const plain = await h.query("select data as v from blobs where blob_key = 'p'");
      expect(new Uint8Array(plain[0]?.v as Uint8Array)).toEqual(secret);
      expect((await store.get('lstockSecrets', { factoryId: b(1), c: 5 }))?.secret).toEqual(secret);
    });

    it('a sealed value moved to another row, or of an unknown version, is refused by type', async () => {
      await store.applyUpdate({ id: 1n, ops: [invoice(1, b(1)), invoice(2, b(2))] });
      await h.query(
        'update invoices set preimage = (select preimage from invoices where amount_msat = 2) where amount_msat = 1',
      );
      await rejects(store.get('invoices', { paymentHash: b(1) }), 'PERSIST_DECODE');
      expect((await store.get('invoices', { paymentHash: b(2) }))?.preimage).toEqual(b(2));
      const lit = h.kind === 'sqlite' ? "X'02'" : "'\\x02'::bytea";
      await h.query(`update invoices set preimage = ${lit} where amount_msat = 2`);
      const e = await rejects(
        store.get('invoices', { paymentHash: b(2) }),
        'PERSIST_UNKNOWN_ENVELOPE_VERSION',
      );
      expect(e).toMatchObject({ version: 2 });
    });

    it('the wrong key is refused at open and changes nothing', async () => {
      await store.applyUpdate({ id: 1n, ops: [invoice(1, b(7))] });
      await store.close();
      const e = await rejects(h.open(OTHER_KEY), 'PERSIST_WRONG_KEY');
      expect(e.message).toMatch(/sealing key does not match/);
      store = await h.open();
      expect(await store.lastUpdateId()).toBe(1n);
      expect((await store.get('invoices', { paymentHash: b(1) }))?.preimage).toEqual(b(7));
    });

    it('a database written by a newer schema is refused without modification', async () => {
      await store.applyUpdate({ id: 1n, ops: [channel(1)] });
      await store.close();
      await h.query(`insert into schema_version (version, name) values (${SCHEMA_VERSION + 1}, 'future')`);
      const e = await rejects(h.open(), 'PERSIST_SCHEMA_TOO_NEW');
      expect(e).toMatchObject({ found: SCHEMA_VERSION + 1, supported: SCHEMA_VERSION });
      const rows = await h.query('select version from schema_version order by version');
      expect(rows.map((r) => Number(r.version))).toEqual(
        Array.from({ length: SCHEMA_VERSION + 1 }, (_, i) => i + 1),
      );
      await h.query(`delete from schema_version where version = ${SCHEMA_VERSION + 1}`);
      store = await h.open();
      expect(await store.lastUpdateId()).toBe(1n);
    });

    it('list filters by equality (null included) and refuses secret fields', async () => {
      await store.applyUpdate({
        id: 1n,
        ops: [
          { ...channel(1), row: { ...channel(1).row, factoryId: b(9) } },
          channel(2),
          { ...channel(3, 'closed'), row: { ...channel(3, 'closed').row, factoryId: b(9) } },
        ],
      });
      expect((await store.list('channels', { factoryId: b(9) })).map((c) => c.channelId[0])).toEqual([1, 3]);
      expect((await store.list('channels', { factoryId: null })).map((c) => c.channelId[0])).toEqual([2]);
      expect((await store.list('channels', { factoryId: b(9), state: 'open' })).length).toBe(1);
      await expect(store.list('invoices', { preimage: b(1) })).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('the event journal is append-only and ordered by update then position', async () => {
      for (let i = 1n; i <= 5n; i++)
        await store.applyUpdate({
          id: i,
          ops: [
            { op: 'event', kind: 'a', payload: b(Number(i), 1) },
            { op: 'event', kind: 'b', payload: b(Number(i), 2) },
          ],
        });
      const all = await store.events();
      expect(all.map((e) => [e.updateId, e.index])).toEqual(
        [1n, 2n, 3n, 4n, 5n].flatMap((u) => [
          [u, 0],
          [u, 1],
        ]),
      );
      expect((await store.events({ afterUpdateId: 3n, limit: 3 })).map((e) => e.updateId)).toEqual([
        4n,
        4n,
        5n,
      ]);
      await rejects(
        store.applyUpdate({ id: 6n, ops: [{ op: 'put', table: 'events', row: {} } as never] }),
        'PERSIST_INVALID_ARGUMENT',
      );
    });

    it('malformed updates are refused with the argument path, before anything is queued', async () => {
      const bad: [unknown, RegExp][] = [
        [{ id: 1, ops: [] }, /update\.id/],
        [{ id: 1n, ops: {} }, /update\.ops/],
        [{ id: 1n, ops: [{ op: 'upsert' }] }, /update\.ops\[0\]\.op/],
        [{ id: 1n, ops: [{ op: 'put', table: 'nope', row: {} }] }, /update\.ops\[0\]\.table/],
        [
          { id: 1n, ops: [{ ...channel(1), row: { ...channel(1).row, localSats: 5 } }] },
          /ops\[0\]\.row\.localSats/,
        ],
        [{ id: 1n, ops: [{ ...channel(1), row: { ...channel(1).row, extra: 1 } }] }, /ops\[0\]\.row\.extra/],
        [
          { id: 1n, ops: [{ op: 'put', table: 'channels', row: { channelId: b(1) } }] },
          /row\.factoryId: is missing/,
        ],
        [{ id: 1n, ops: [{ ...channel(1), row: { ...channel(1).row, localSats: 2n ** 63n } }] }, /64-bit/],
        [{ id: 1n, ops: [{ ...channel(1), row: { ...channel(1).row, state: 'a\u0000' } }] }, /NUL/],
        [{ id: 1n, ops: [{ op: 'delete', table: 'channels', key: { channelId: 'x' } }] }, /key\.channelId/],
      ];
      for (const [u, re] of bad) {
        const e = await rejects(store.applyUpdate(u as Update), 'PERSIST_INVALID_ARGUMENT');
        expect(e.message).toMatch(re);
      }
      expect(await store.lastUpdateId()).toBe(0n);
    });

    it('caller bytes are copied: mutating them after applyUpdate changes nothing stored', async () => {
      const data = b(5, 8);
      const p = store.applyUpdate({
        id: 1n,
        ops: [{ op: 'put', table: 'blobs', row: { key: 'k', version: 2, data, secret: true } }],
      });
      data.fill(0);
      await p;
      expect((await store.get('blobs', { key: 'k' }))?.data).toEqual(b(5, 8));
    });

    it('a closed store refuses calls with StoreClosedError', async () => {
      await store.close();
      await rejects(store.applyUpdate({ id: 1n, ops: [] }), 'PERSIST_STORE_CLOSED');
      await rejects(store.lastUpdateId(), 'PERSIST_STORE_CLOSED');
      store = await h.open();
    });

    describe('backup and restore', () => {
      async function fill(s: Store, from: bigint, to: bigint) {
        for (let i = from; i <= to; i++)
          await s.applyUpdate({
            id: i,
            ops: [
              channel(Number(i % 7n) + 1, `s${i}`),
              invoice(Number(i % 5n) + 1, b(Number(i))),
              {
                op: 'put',
                table: 'blobs',
                row: { key: `b${i % 3n}`, version: 1, data: b(Number(i), 1500), secret: i % 2n === 0n },
              },
              { op: 'event', kind: 'e', payload: b(Number(i), 2) },
            ],
          });
      }
      async function dump(s: Store) {
        const out: Record<string, unknown> = { last: await s.lastUpdateId(), events: await s.events() };
        for (const t of MUTABLE) out[t.name] = await s.list(t.name);
        return out;
      }

      it('a backup taken while updates run restores a consistent state elsewhere', async () => {
        await fill(store, 1n, 10n);
        const [file] = await Promise.all([
          store.backup({ passphrase: 'pw', ...WEAK }),
          fill(store, 11n, 30n),
        ]);
        const summary = await verifyBackup(file, { passphrase: 'pw', allowWeakKdf: true });
        expect(summary.keyId).toEqual(store.keyId);
        expect(summary.lastUpdateId).toBeGreaterThanOrEqual(10n);
        const at = summary.lastUpdateId;
        // The same history replayed to `at` on a second store is what the backup must hold.
        const h2 = await make();
        const reference = await h2.open();
        await fill(reference, 1n, at);
        const expected = await dump(reference);
        await reference.close();
        await h2.destroy();
        const h3 = await make();
        const target = await h3.open();
        try {
          const r = await target.restore(file, { passphrase: 'pw', allowWeakKdf: true });
          expect(r.lastUpdateId).toBe(at);
          expect(await dump(target)).toEqual(expected);
          // the sequence continues after a restore
          await target.applyUpdate({ id: at + 1n, ops: [channel(1)] });
        } finally {
          await target.close();
          await h3.destroy();
        }
      });

      it('restore refuses wrong passphrase, damage, unknown versions and another store key, touching nothing', async () => {
        await fill(store, 1n, 3n);
        const file = await store.backup({ passphrase: 'pw', ...WEAK });
        const h2 = await make();
        const target = await h2.open();
        try {
          await target.applyUpdate({ id: 1n, ops: [channel(99)] });
          const before = await dump(target);
          const o = { passphrase: 'pw', allowWeakKdf: true, overwrite: true };
          await rejects(target.restore(file, { ...o, passphrase: 'nope' }), 'PERSIST_WRONG_PASSPHRASE');
          const flipped = Uint8Array.from(file);
          flipped[flipped.length - 40] = (flipped[flipped.length - 40] as number) ^ 1;
          await rejects(target.restore(flipped, o), 'PERSIST_BACKUP_DECODE');
          await rejects(target.restore(file.slice(0, file.length - 1), o), 'PERSIST_BACKUP_DECODE');
          await rejects(target.restore(file.slice(0, 3), o), 'PERSIST_BACKUP_DECODE');
          const v2 = Uint8Array.from(file);
          v2[4] = BACKUP_VERSION + 1;
          await rejects(target.restore(v2, o), 'PERSIST_UNKNOWN_BACKUP_VERSION');
          await rejects(verifyBackup(v2, o), 'PERSIST_UNKNOWN_BACKUP_VERSION');
          await rejects(
            target.restore(file, { passphrase: 'pw', allowWeakKdf: true }),
            'PERSIST_RESTORE_REFUSED',
          );
          expect(await dump(target)).toEqual(before);
          await target.close();
          // another store key: refused before writing
          const other = await make();
          const wrong = await other.open(OTHER_KEY);
          const e = await rejects(wrong.restore(file, o), 'PERSIST_RESTORE_REFUSED');
          expect(e.message).toMatch(/store key/);
          expect(await wrong.lastUpdateId()).toBe(0n);
          await wrong.close();
          await other.destroy();
        } finally {
          await target.close();
          await h2.destroy();
        }
      });

      it('restore with overwrite replaces the contents exactly', async () => {
        await fill(store, 1n, 4n);
        const expected = await dump(store);
        const file = await store.backup({ passphrase: 'pw', ...WEAK });
        await fill(store, 5n, 8n);
        await store.restore(file, { passphrase: 'pw', allowWeakKdf: true, overwrite: true });
        expect(await dump(store)).toEqual(expected);
      });
    });
  });
}
