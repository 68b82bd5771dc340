/**
 * Writes vectors/messages.json (see scripts/_vectors.ts). `test/vectors.test.ts` checks the package
 * against the file and that this script still reproduces it byte for byte.
 *
 * Run: `pnpm --filter @superscalar/wire vectors` (or `npx tsx --conditions=source scripts/generate-vectors.ts`).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildVectors } from './_vectors.js';

const out = fileURLToPath(new URL('../vectors/messages.json', import.meta.url));
const v = buildVectors();
writeFileSync(out, `${JSON.stringify(v, null, 2)}\n`);
console.log(`wrote ${v.valid.length} valid and ${v.invalid.length} invalid vectors to ${out}`);
