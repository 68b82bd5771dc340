import { pgHarness, requirePostgres } from './_pg.js';
import { sequencerSuite } from './_sequencerSuite.js';
import { sqliteHarness } from './_sqlite.js';

sequencerSuite('SQLite (temp file)', async () => sqliteHarness());
if (requirePostgres('Sequencer and EventQueue: PostgreSQL')) {
  sequencerSuite('PostgreSQL (one schema per test)', async () => pgHarness('seq'));
}
