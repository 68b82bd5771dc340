// What the kill -9 children (crash-child.ts, event-crash-child.ts) share: the store the parent names on
// the command line, and the wait for the parent's go.
import type { Store } from '../src/index.js';

/** The children's sealing key. */
const key = new Uint8Array(32).fill(0x42);

/** Opens the store of `backend` (`sqlite`: `target` is the file; else PostgreSQL at `target`, `schema`). */
export async function openChildStore(
  backend: string | undefined,
  target: string | undefined,
  schema: string | undefined,
): Promise<Store> {
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

/** Resolves on the parent's first line on stdin (it pre-spawns children to hide Node's start-up). */
export function parentGo(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.stdin.once('data', () => resolve());
  });
}
