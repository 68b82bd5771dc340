// The event queue under SIGKILL: a child produces updates with events and consumes them through
// EventQueue (nextEvent, then eventHandled), printing each delivery and each durable acknowledgement;
// the parent kills it at seeded points (half of them right after a delivery, i.e. between nextEvent
// and eventHandled), restarts it, and finally lets one child drain the journal. Then: every journal
// event was delivered (no loss), in order within a run, an acknowledged event never again, and a run
// starts with the last unacknowledged event or the one after it (at-least-once, at most one replay).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForNode, crashKills, repoRoot, uniformRng } from '../../../test-utils/index.js';
import type { Store } from '../src/index.js';
import { openSqliteStore } from '../src/sqlite.js';
import { freshSchema, PG_URL, pgQuery, requirePostgres } from './_pg.js';
import { KEY } from './conformance.js';

const pkgDir = join(repoRoot, 'packages', 'persist');
const bundleDir = join(pkgDir, 'node_modules', '.crash-child');
const bundle = join(bundleDir, `event-child-${process.pid}.mjs`);
const SEED = Number(process.env.CRASH_SEED ?? 0xe7e);
const KILLS = crashKills(40, 12);
const TARGET = 60; // event updates the children produce in all (1–3 events each)
console.log(`[persist event crash] crashKills(40, 12) = ${KILLS} SIGKILLs per backend, seed ${SEED}`);

beforeAll(() => {
  mkdirSync(bundleDir, { recursive: true });
  bundleForNode({
    entry: join(pkgDir, 'test', 'event-crash-child.ts'),
    outfile: bundle,
    name: 'the event crash child',
  });
});
afterAll(() => rmSync(bundle, { force: true }));

type Line = { what: 'got' | 'acked'; id: string };

/** Runs a child until it printed `killAfter` got/acked lines (then SIGKILL) or finished by itself. */
function runChild(args: string[], killAfter: number | undefined): Promise<{ lines: Line[]; done: boolean }> {
  const child: ChildProcess = spawn(process.execPath, [bundle, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const lines: Line[] = [];
    let out = '';
    let err = '';
    let killed = false;
    let done = false;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`event child stalled: ${err}`));
    }, 60_000);
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    child.stdout?.on('data', (d) => {
      out += String(d);
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        const [what, id] = out.slice(0, nl).split(' ');
        out = out.slice(nl + 1);
        // Lines after the kill decision still count: the child runs until the signal lands.
        if (what === 'done') done = true;
        if (what !== 'got' && what !== 'acked') continue;
        lines.push({ what, id: id as string });
        if (!killed && killAfter !== undefined && lines.length >= killAfter) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    // 'close' (not 'exit'): every line the child wrote before it died has been read.
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if ((signal === 'SIGKILL' && killed) || (code === 0 && done)) resolve({ lines, done });
      else reject(new Error(`event child exited (code ${code}, signal ${signal}): ${err}`));
    });
    child.stdin?.write('go\n');
  });
}

async function eventRounds(name: string, args: string[], open: () => Promise<Store>): Promise<void> {
  const rand = uniformRng(SEED);
  const runs: Line[][] = [];
  let between = 0;
  for (let k = 0; k < KILLS; k++) {
    // Kill after an odd line count (a `got`: between nextEvent and eventHandled) or an even one.
    const killAfter = Math.floor(rand() * 12) + 1;
    if (killAfter % 2 === 1) between++;
    const r = await runChild([...args, 'run', String(TARGET)], killAfter);
    runs.push(r.lines);
    if (r.done) break;
  }
  const last = await runChild([...args, 'drain', String(TARGET)], undefined);
  expect(last.done).toBe(true);
  runs.push(last.lines);

  const store = await open();
  let journal: string[];
  try {
    journal = (await store.events()).map((e) => `${e.updateId}.${e.index}`);
  } finally {
    await store.close();
  }
  const at = new Map(journal.map((id, i) => [id, i]));
  const idx = (id: string) => {
    const i = at.get(id);
    expect(i, `${id} is a journal event`).toBeDefined();
    return i as number;
  };
  const delivered = new Set<string>();
  const acked = new Set<string>();
  let lastGot: number | undefined;
  let lastAckPrinted = false;
  let replays = 0;
  for (const run of runs) {
    let first = true;
    for (const l of run) {
      const i = idx(l.id);
      if (l.what === 'acked') {
        expect(i, 'an ack names the event just delivered').toBe(lastGot);
        acked.add(l.id);
        lastAckPrinted = true;
        continue;
      }
      expect(acked.has(l.id), `${l.id} was acknowledged, never delivered again`).toBe(false);
      const expected = lastGot === undefined ? 0 : lastGot + 1;
      if (first && lastGot !== undefined && !lastAckPrinted && i === lastGot) replays++;
      else expect(i, `${name}: delivery in journal order`).toBe(expected);
      delivered.add(l.id);
      lastGot = i;
      lastAckPrinted = false;
      first = false;
    }
  }
  expect(journal.length).toBeGreaterThanOrEqual(TARGET);
  expect([...delivered].sort(), 'every journal event was delivered').toEqual([...journal].sort());
  expect(lastGot).toBe(journal.length - 1);
  console.log(
    `[persist event crash ${name}] ${runs.length - 1} SIGKILLs (${between} aimed between nextEvent and eventHandled), ${journal.length} events, ${replays} re-delivered after a kill, none lost`,
  );
}

describe('event queue crash safety: SQLite', () => {
  it(`SIGKILL between nextEvent and eventHandled: at-least-once, in order, nothing lost (${KILLS} kills)`, {
    timeout: KILLS * 5000 + 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'persist-event-crash-'));
    const path = join(dir, 'events.db');
    try {
      await eventRounds('sqlite', ['sqlite', path, '-'], () => openSqliteStore({ path, sealingKey: KEY }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

if (requirePostgres('event queue crash safety: PostgreSQL')) {
  describe('event queue crash safety: PostgreSQL', () => {
    it(`SIGKILL between nextEvent and eventHandled: at-least-once, in order, nothing lost (${KILLS} kills)`, {
      timeout: KILLS * 5000 + 60_000,
    }, async () => {
      const schema = freshSchema('evcrash');
      const { openPostgresStore } = await import('../src/postgres.js');
      try {
        await eventRounds('postgres', ['postgres', PG_URL as string, schema], () =>
          openPostgresStore({ connectionString: PG_URL as string, schema, sealingKey: KEY, poolSize: 2 }),
        );
      } finally {
        await pgQuery('public', `drop schema if exists "${schema}" cascade`);
      }
    });
  });
}
