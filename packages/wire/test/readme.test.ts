import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeQuickstart } from '../../../test-utils/index.js';

it('the README quickstart runs as written: a message round-trips and an identity proof verifies', async () => {
  const mod = await runReadmeQuickstart(fileURLToPath(new URL('..', import.meta.url)));
  expect(mod.hex).toMatch(/^030a0020/);
  expect(mod.decoded).toMatchObject({ type: 'update_fee', feeRate: 2500 });
  expect(mod.verified).toBe(true);
  expect(mod.code).toBe('WIRE_UNKNOWN_EVEN_TLV');
});

it('the README message tables are the ones the codecs generate', async () => {
  const { readFileSync } = await import('node:fs');
  const { BEGIN, END, messageTables } = await import('../scripts/_tables.js');
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const body = readme.slice(readme.indexOf(BEGIN) + BEGIN.length, readme.indexOf(END));
  // The formatter pads table cells; compare modulo whitespace and dash runs.
  const norm = (t: string) =>
    t
      .replace(/\s+/g, ' ')
      .replace(/-{3,}/g, '---')
      .replace(/ ?\| ?/g, '|')
      .trim();
  expect(norm(body)).toBe(norm(messageTables()));
});
