import { describe, expect, it, test } from 'vitest';
import { isCi } from '../../test-utils/index.js';
import { checkCeremony, type KillPlan, runCeremony } from '../harness/process/ceremony.js';
import { lspKeychain, openRoleStore, processSuite } from '../harness/process/index.js';

const PG_URL = process.env.SUPERSCALAR_PG_URL ?? '';
const SUITE = 'the LSP over PostgreSQL, killed -9 mid-ceremony';

if (PG_URL === '') {
  const why = `${SUITE}: SUPERSCALAR_PG_URL is not set, so the PostgreSQL suite cannot run. Run it with \`bash scripts/with-postgres.sh npx vitest run test/process-postgres.test.ts\` (in integration/).`;
  if (isCi)
    describe(SUITE, () => {
      it('requires PostgreSQL under CI', () => {
        throw new Error(`${why} Under CI=true this is a failure, never a skip.`);
      });
    });
  else {
    console.warn(`\n${'!'.repeat(100)}\n!! SKIPPED ${why}\n${'!'.repeat(100)}\n`);
    describe.skip(`${SUITE} (skipped: SUPERSCALAR_PG_URL unset)`, () => {
      it('needs PostgreSQL', () => undefined);
    });
  }
} else {
  const schema = `proc_lsp_${process.pid}_${Date.now().toString(36)}`;
  // (The schema stays after: scripts/with-postgres.sh's server is thrown away with its data.)
  const suite = processSuite('proc-pg-sim-');

  const plan: KillPlan = {
    name: 'lsp-postgres',
    victim: 'lsp',
    freezes: [
      { on: 'handled', type: 'factory_nonces', nth: 2 },
      { on: 'persisted', kind: 'ChannelReady', nth: 2 },
    ],
    beforeSignatures: true,
  };

  describe(SUITE, () => {
    test('the factory opens with the LSP restarted from PostgreSQL in round 1 and in channel setup', async () => {
      const run = await runCeremony({
        plan,
        bundle: suite.bundle,
        server: suite.server,
        lspStore: { kind: 'postgres', url: PG_URL, schema },
      });
      try {
        expect(run.kills).toBe(3);
        await checkCeremony(run, plan);
        // The LSP's store really was PostgreSQL: its journal is in the schema.
        const store = await openRoleStore({
          dir: run.world.dir,
          store: { kind: 'postgres', url: PG_URL, schema },
          name: 'lsp',
          sealingKey: lspKeychain(run.world.o.seed).storeSealingKey(),
        });
        expect(store.backend).toBe('postgres');
        expect((await store.events()).filter((e) => e.kind === 'FactoryOpen')).toHaveLength(1);
        await store.close();
      } finally {
        await run.world.close();
      }
    }, 180_000);
  });
}
