import { sqliteHarness } from './_sqlite.js';
import { storeConformance } from './conformance.js';

storeConformance('SQLite (better-sqlite3, temp file)', async () => sqliteHarness());
