import { pgHarness, requirePostgres } from './_pg.js';
import { storeConformance } from './conformance.js';

if (requirePostgres('Store conformance: PostgreSQL')) {
  storeConformance('PostgreSQL (pg Pool, one schema per test)', async () => pgHarness());
}
