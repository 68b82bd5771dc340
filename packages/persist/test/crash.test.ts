// Crash safety, proven: a child process applies the deterministic update stream and prints each
// acknowledged id; the parent SIGKILLs it after a seeded random number of acknowledgements (with
// updates in flight, so kills land inside group commits), reopens the store and checks that every
// acknowledged update is present, that the contents equal the model after exactly `lastUpdateId()`
// updates (no partial update is visible), and that the next child resumes at the next id.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForNode, crashKills, repoRoot, uniformRng } from '../../../test-utils/index.js';
import type { Store } from '../src/index.js';
import { openSqliteStore } from '../src/sqlite.js';
import { CrashModel } from './_crashModel.js';
import { freshSchema, PG_URL, pgQuery, requirePostgres } from './_pg.js';
import { KEY } from './conformance.js';

const pkgDir = join(repoRoot, 'packages', 'persist');
const bundleDir = join(pkgDir, 'node_modules', '.crash-child');
const bundle = join(bundleDir, `child-${process.pid}.mjs`);
const SEED = Number(process.env.CRASH_SEED ?? 0x5eed);
// crashKills() counts the kills across the suite (300 locally, 40 under CI=true, CRASH_KILLS
// overrides): half on SQLite, half on PostgreSQL.
const TOTAL_KILLS = crashKills();
const KILLS = Math.max(1, Math.ceil(TOTAL_KILLS / 2));
console.log(`[persist crash] crashKills() = ${TOTAL_KILLS}: ${KILLS} SIGKILLs per backend`);

function keyString(row: Record<string, unknown>): string {
  return Object.values(row)
    .map((v) => (v instanceof Uint8Array ? Array.from(v).join('.') : String(v)))
    .join('|');
}
const sorted = (rows: Record<string, unknown>[]) =>
  [...rows].sort((a, b) => (keyString(a) < keyString(b) ? -1 : 1));

beforeAll(() => {
  mkdirSync(bundleDir, { recursive: true });
  bundleForNode({
    entry: join(pkgDir, 'test', 'crash-child.ts'),
    outfile: bundle,
    name: 'the crash child',
    minify: true,
  });
});
afterAll(() => rmSync(bundle, { force: true }));

interface Round {
  ready: bigint;
  maxAcked: bigint;
  acks: number;
  readyMs?: number;
}

/** A started child waiting for its go (Node's start-up and module loading happen before). */
function prespawn(args: string[]): ChildProcess {
  return spawn(process.execPath, [bundle, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Lets a pre-spawned child run until it has printed `target` acks, then SIGKILLs it. */
function runChild(child: ChildProcess, target: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const round: Round = { ready: -1n, maxAcked: 0n, acks: 0 };
    let out = '';
    let err = '';
    let killed = false;
    const kill = () => {
      if (!killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    const guard = setTimeout(() => {
      kill();
      reject(new Error(`child did not reach ${target} acks in 60 s: ${err}`));
    }, 60_000);
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    child.stdout?.on('data', (d) => {
      out += String(d);
      let nl = out.indexOf('\n');
      while (nl >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        nl = out.indexOf('\n');
        if (killed) continue;
        const [what, n] = line.split(' ');
        if (what === 'ready') {
          round.ready = BigInt(n as string);
          round.readyMs = performance.now() - goAt;
          if (target === 0) setImmediate(kill);
        } else if (what === 'ack') {
          const id = BigInt(n as string);
          if (id <= round.maxAcked) reject(new Error(`ack ${id} after ${round.maxAcked}`));
          round.maxAcked = id;
          round.acks++;
          if (round.acks >= target) kill();
        }
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal === 'SIGKILL' && killed) resolve(round);
      else reject(new Error(`child exited by itself (code ${code}, signal ${signal}): ${err}`));
    });
    const goAt = performance.now();
    child.stdin?.write('go\n');
  });
}

async function crashRounds(name: string, args: string[], open: () => Promise<Store>): Promise<void> {
  const rand = uniformRng(SEED);
  const model = new CrashModel();
  let started = Date.now();
  let totalAcks = 0;
  const prof = { child: 0, verify: 0, ready: 0 };
  let spare = prespawn(args);
  for (let k = 0; k < KILLS; k++) {
    // Mostly small counts (kills land early, often mid-commit), sometimes long runs.
    const target = rand() < 0.15 ? 0 : Math.floor(rand() ** 2 * 40) + 1;
    const child = spare;
    spare = prespawn(args);
    const t0 = performance.now();
    const round = await runChild(child, target);
    const t1 = performance.now();
    prof.child += t1 - t0;
    prof.ready += round.readyMs ?? 0;
    expect(round.ready, 'the child resumes right after the last update the store holds').toBe(model.last);
    totalAcks += round.acks;
    const store = await open();
    try {
      const last = await store.lastUpdateId();
      expect(last, `every acknowledged update is present (kill ${k})`).toBeGreaterThanOrEqual(round.maxAcked);
      const prev = model.last;
      model.advanceTo(last);
      for (const t of ['channels', 'blobs', 'htlcs', 'lstockSecrets'] as const)
        expect(
          sorted((await store.list(t)) as unknown as Record<string, unknown>[]),
          `${t} after kill ${k}`,
        ).toEqual(sorted(model.rows(t)));
      const ev = await store.events({ afterUpdateId: prev });
      expect(ev.map((e) => e.updateId)).toEqual(
        Array.from({ length: Number(last - prev) }, (_, i) => prev + BigInt(i + 1)),
      );
    } finally {
      await store.close();
    }
    prof.verify += performance.now() - t1;
    if (k === KILLS - 1) spare.kill('SIGKILL');
    if (k === 0) {
      console.log(`[persist crash ${name}] first round incl. spawn took ${Date.now() - started} ms`);
      started = Date.now();
    }
  }
  console.log(
    `[persist crash ${name}] ${KILLS} SIGKILLs (CRASH_KILLS/crashKills(), seed ${SEED}), ${totalAcks} acks, ${model.last} updates verified, ${(Date.now() - started) / Math.max(1, KILLS - 1)} ms per kill (child ${Math.round(prof.child)} ms of which open ${Math.round(prof.ready)} ms, verify ${Math.round(prof.verify)} ms in all)`,
  );
  expect(model.last).toBeGreaterThan(0n);
}

describe('crash safety: SQLite', () => {
  it(`SIGKILL at seeded points never loses an acknowledged update nor shows a partial one (${KILLS} kills)`, {
    timeout: KILLS * 3000 + 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'persist-crash-'));
    const path = join(dir, 'crash.db');
    try {
      await crashRounds('sqlite', ['sqlite', path, '-', '6'], () =>
        openSqliteStore({ path, sealingKey: KEY }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

if (requirePostgres('crash safety: PostgreSQL')) {
  describe('crash safety: PostgreSQL', () => {
    it(`SIGKILL at seeded points never loses an acknowledged update nor shows a partial one (${KILLS} kills)`, {
      timeout: KILLS * 3000 + 60_000,
    }, async () => {
      const schema = freshSchema('crash');
      const { openPostgresStore } = await import('../src/postgres.js');
      try {
        await crashRounds('postgres', ['postgres', PG_URL as string, schema, '6'], () =>
          openPostgresStore({ connectionString: PG_URL as string, schema, sealingKey: KEY, poolSize: 2 }),
        );
      } finally {
        await pgQuery('public', `drop schema if exists "${schema}" cascade`);
      }
    });
  });
}
