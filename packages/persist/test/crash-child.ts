// Crash-test writer: opens the store, reports where it resumes, then applies the deterministic stream
// with up to WINDOW updates in flight (so group commits happen), printing each acknowledged id. The
// parent SIGKILLs it at seeded random points. Bundled to .mjs by the test (spawn cost matters); it
// starts only when the parent writes a line to its stdin.
import { writeSync } from 'node:fs';
import type { Store } from '../src/index.js';
import { crashOps } from './_crashModel.js';

const [backend, target, schema, windowArg] = process.argv.slice(2);
const key = new Uint8Array(32).fill(0x42);
const window = Number(windowArg ?? '4');

async function open(): Promise<Store> {
  if (backend === 'sqlite') {
    const { openSqliteStore } = await import('../src/sqlite.js');
    return openSqliteStore({ path: target as string, sealingKey: key });
  }
  const { openPostgresStore } = await import('../src/postgres.js');
  return openPostgresStore({
    connectionString: target as string,
    schema: schema as string,
    sealingKey: key,
    poolSize: 2,
  });
}

// Wait for the parent's go (it pre-spawns the next child to hide Node's start-up time).
await new Promise<void>((resolve) => {
  process.stdin.once('data', () => resolve());
});
const store = await open();
let next = (await store.lastUpdateId()) + 1n;
writeSync(1, `ready ${next - 1n}\n`);
let inFlight = 0;
await new Promise<void>((_, reject) => {
  const pump = () => {
    while (inFlight < window) {
      const id = next++;
      inFlight++;
      store.applyUpdate({ id, ops: crashOps(id) }).then(
        (ack) => {
          writeSync(1, `ack ${ack.id}\n`);
          inFlight--;
          pump();
        },
        (e) => reject(e),
      );
    }
  };
  pump();
});
