// Benchmarks of @superscalar/lsp (`pnpm bench`): the ceremony over loopback at N = 4, 64 and 127 (about
// half a minute); N = 1,024 takes minutes: `npx tsx --conditions=source bench/ceremony.ts 1024`.
import { cpus } from 'node:os';
import { HEADER, row, runCeremony } from './ceremony.js';

console.log(
  `ceremony over loopback — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
);
console.log(HEADER);
for (const n of [4, 64, 127]) console.log(row(await runCeremony(n)));
