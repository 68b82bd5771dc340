// Migration crash-test child: opens (and so migrates) the SQLite store at argv[2], printing
// `opening` just before and `done` after. The parent SIGKILLs it at seeded points in between.
import { writeSync } from 'node:fs';
import { openSqliteStore } from '../src/sqlite.js';

const path = process.argv[2] as string;
writeSync(1, 'opening\n');
const store = await openSqliteStore({ path, sealingKey: new Uint8Array(32).fill(0x42) });
await store.close();
writeSync(1, 'done\n');
