/**
 * Rewrites the generated message tables of README.md (between the `messages:begin`/`messages:end`
 * markers) from the codec specs. `test/readme.test.ts` fails when they differ.
 *
 * Run: `npx tsx --conditions=source scripts/readme-tables.ts` (from packages/wire).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BEGIN, END, messageTables } from './_tables.js';

const path = fileURLToPath(new URL('../README.md', import.meta.url));
const readme = readFileSync(path, 'utf8');
const a = readme.indexOf(BEGIN);
const b = readme.indexOf(END);
if (a < 0 || b < a) throw new Error('README.md has no message table markers');
writeFileSync(path, `${readme.slice(0, a + BEGIN.length)}\n${messageTables()}\n${readme.slice(b)}`);
console.log('README.md message tables updated');
