// Benchmarks of @superscalar/persist (figures in the README): durable single-update commits (one
// fsync'd transaction each, p50/p99 latency) and grouped throughput with many updates in flight, on
// SQLite and — when SUPERSCALAR_PG_URL is set — PostgreSQL. Each update is one channel step: a
// channel row, an HTLC row, an event and a 1–4 KiB blob. The peer, in the same run, is raw
// better-sqlite3 writing the same rows with the same durability settings and no library on top.
//   cd packages/persist && npx tsx --conditions=source bench/index.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Op, Store } from '../src/index.js';
import { openPostgresStore } from '../src/postgres.js';
import { openSqliteStore } from '../src/sqlite.js';

const KEY = new Uint8Array(32).fill(1);
const SINGLE = Number(process.env.BENCH_SINGLE ?? 300);
const GROUPED = Number(process.env.BENCH_GROUPED ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);

function step(id: bigint): Op[] {
  const n = Number(id);
  const blob = new Uint8Array(1024 + ((n * 997) % 3073)).fill(n & 0xff);
  const ch = new Uint8Array(32).fill(n % 50);
  return [
    {
      op: 'put',
      table: 'channels',
      row: {
        channelId: ch,
        factoryId: null,
        localSats: id,
        remoteSats: 1000n,
        commitmentNumber: Number(id),
        state: 'open',
      },
    },
    {
      op: 'put',
      table: 'htlcs',
      row: {
        channelId: ch,
        direction: 'offered',
        htlcId: id,
        amountMsat: 1000n,
        paymentHash: new Uint8Array(32).fill(7),
        cltvExpiry: 900_000,
        state: 'pending',
      },
    },
    { op: 'event', kind: 'step', payload: new Uint8Array(16) },
    { op: 'put', table: 'blobs', row: { key: `chan/${n % 50}`, version: 1, data: blob, secret: true } },
  ];
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function single(store: Store, from: bigint): Promise<string> {
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < SINGLE; i++) {
    const s = performance.now();
    await store.applyUpdate({ id: from + BigInt(i), ops: step(from + BigInt(i)) });
    lat.push(performance.now() - s);
  }
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return `${Math.round(SINGLE / secs)} updates/s, p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms`;
}

async function grouped(store: Store, from: bigint): Promise<string> {
  let next = from;
  const end = from + BigInt(GROUPED);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < end) {
        const id = next++;
        await store.applyUpdate({ id, ops: step(id) });
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return `${Math.round(GROUPED / secs)} updates/s (${GROUPED} updates, ${CONCURRENCY} in flight)`;
}

function rawSqlite(path: string, grouped: boolean): string {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`create table channels (channel_id blob primary key, local integer, remote integer, num integer, state text);
    create table htlcs (channel_id blob, dir text, id integer, amt integer, hash blob, cltv integer, state text, primary key (channel_id, dir, id));
    create table events (update_id integer, idx integer, kind text, payload blob, primary key (update_id, idx));
    create table blobs (k text primary key, v integer, data blob);
    create table updates (id integer primary key, mac blob, n integer);`);
  const ch = db.prepare(
    'insert into channels values (?, ?, ?, ?, ?) on conflict (channel_id) do update set local = excluded.local, num = excluded.num',
  );
  const ht = db.prepare(
    'insert into htlcs values (?, ?, ?, ?, ?, ?, ?) on conflict do update set state = excluded.state',
  );
  const ev = db.prepare('insert into events values (?, 0, ?, ?)');
  const bl = db.prepare(
    'insert into blobs values (?, 1, ?) on conflict (k) do update set data = excluded.data',
  );
  const up = db.prepare('insert into updates values (?, ?, 4)');
  const one = (i: number) => {
    const c = new Uint8Array(32).fill(i % 50);
    ch.run(c, i, 1000, i, 'open');
    ht.run(c, 'offered', i, 1000, new Uint8Array(32), 900000, 'pending');
    ev.run(i, 'step', new Uint8Array(16));
    bl.run(`chan/${i % 50}`, new Uint8Array(1024 + ((i * 997) % 3073)).fill(i & 0xff));
    up.run(i, new Uint8Array(32));
  };
  const n = grouped ? GROUPED : SINGLE;
  const lat: number[] = [];
  const t0 = performance.now();
  if (grouped) {
    // the same grouping the store does: CONCURRENCY updates per transaction
    const tx = db.transaction((a: number, b: number) => {
      for (let i = a; i < b; i++) one(i);
    });
    for (let i = 1; i <= n; i += CONCURRENCY) tx(i, Math.min(n + 1, i + CONCURRENCY));
  } else {
    const tx = db.transaction(one);
    for (let i = 1; i <= n; i++) {
      const s = performance.now();
      tx(i);
      lat.push(performance.now() - s);
    }
  }
  const secs = (performance.now() - t0) / 1000;
  db.close();
  if (grouped) return `${Math.round(n / secs)} updates/s (${CONCURRENCY} per transaction)`;
  lat.sort((a, b) => a - b);
  return `${Math.round(n / secs)} updates/s, p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms`;
}

const dir = mkdtempSync(join(tmpdir(), 'persist-bench-'));
console.log(
  `@superscalar/persist bench — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, dir ${dir}`,
);
try {
  const s = await openSqliteStore({ path: join(dir, 'store.db'), sealingKey: KEY });
  console.log(`sqlite  single  (store)        ${await single(s, 1n)}`);
  console.log(`sqlite  single  (raw peer)     ${rawSqlite(join(dir, 'raw1.db'), false)}`);
  console.log(`sqlite  grouped (store)        ${await grouped(s, BigInt(SINGLE + 1))}`);
  console.log(`sqlite  grouped (raw peer)     ${rawSqlite(join(dir, 'raw2.db'), true)}`);
  await s.close();
  const url = process.env.SUPERSCALAR_PG_URL;
  if (url) {
    const schema = `bench_${process.pid}`;
    const p = await openPostgresStore({ connectionString: url, schema, sealingKey: KEY });
    console.log(`postgres single  (store)       ${await single(p, 1n)}`);
    console.log(`postgres grouped (store)       ${await grouped(p, BigInt(SINGLE + 1))}`);
    await p.close();
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`drop schema "${schema}" cascade`);
    await c.end();
  } else console.log('postgres: skipped (SUPERSCALAR_PG_URL unset; run under scripts/with-postgres.sh)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
