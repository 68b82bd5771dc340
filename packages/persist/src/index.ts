// @superscalar/persist: durable SuperScalar state. Re-exports only; the drivers live behind the
// `./sqlite` and `./postgres` subpaths so this entry never loads better-sqlite3 or pg.
export * from './backend.js';
export * from './backup.js';
export * from './errors.js';
export * from './migrations.js';
export * from './seal.js';
export type { Store, StoreOptions } from './store.js';
export * from './tables.js';
export * from './update.js';
