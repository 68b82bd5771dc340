// PostgreSQL test plumbing: the server URL from SUPERSCALAR_PG_URL (scripts/with-postgres.sh sets it),
// one fresh schema per harness so files and tests stay isolated.
import pg from 'pg';
import { describe, it } from 'vitest';
import { isCi } from '../../../test-utils/index.js';
import { openPostgresStore } from '../src/postgres.js';
import { HOLD, KEY, type StoreHarness } from './conformance.js';

export const PG_URL = process.env.SUPERSCALAR_PG_URL;

/**
 * When no server is configured: under CI a failing test says why; elsewhere a loud message and a
 * skipped suite. Returns true when the PostgreSQL suites may run.
 */
export function requirePostgres(suite: string): boolean {
  if (PG_URL !== undefined && PG_URL !== '') return true;
  const why = `${suite}: SUPERSCALAR_PG_URL is not set, so the PostgreSQL suite cannot run. Run it with \`cd /work/main && bash scripts/with-postgres.sh npx vitest run --project persist\`.`;
  if (isCi) {
    describe(suite, () => {
      it('requires PostgreSQL under CI', () => {
        throw new Error(`${why} Under CI=true this is a failure, never a skip.`);
      });
    });
  } else {
    console.warn(`\n${'!'.repeat(100)}\n!! SKIPPED ${why}\n${'!'.repeat(100)}\n`);
    describe.skip(`${suite} (skipped: SUPERSCALAR_PG_URL unset)`, () => {
      it('needs PostgreSQL', () => undefined);
    });
  }
  return false;
}

let counter = 0;
export function freshSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}

export async function pgQuery(schema: string, text: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    return (await c.query(text)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

export function pgHarness(prefix = 'conf'): StoreHarness {
  const schema = freshSchema(prefix);
  return {
    kind: 'postgres',
    open: (sealingKey = KEY, options = {}) =>
      openPostgresStore({
        connectionString: PG_URL as string,
        schema,
        sealingKey,
        poolSize: 4,
        ...HOLD,
        ...options,
      }),
    query: (text) => pgQuery(schema, text),
    async injectChannelFailure() {
      await pgQuery(
        schema,
        `create function fail_channel() returns trigger language plpgsql as $$ begin if new.state = 'fail' then raise exception 'injected failure'; end if; return new; end $$;
         create trigger fail_channel before insert or update on channels for each row execute function fail_channel();`,
      );
    },
    async destroy() {
      await pgQuery('public', `drop schema if exists "${schema}" cascade`);
    },
  };
}
